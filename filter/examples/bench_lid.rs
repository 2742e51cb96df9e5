//! Benchmark (not a test): language ID accuracy per language on `../shared/data/lid` (one
//! sentence a line, 1,000 lines a language), for the languages whatlang knows, and the mean.
//!
//!   cargo run --release -p assent-filter --example bench_lid [-- LID_DIR]
//!
//! A sentence counts as right when the guess is its file's language, whatever the score; the
//! share kept by a `[lang] min_score` is printed beside it (0.5 and FineWeb's 0.65).
use assent_filter::lang::supported;
use assent_filter::LanguageFilter;
use std::time::Instant;

fn main() {
    let dir = std::env::args().nth(1).unwrap_or_else(|| {
        concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/data/lid").to_string()
    });
    let known = supported();
    let filter = LanguageFilter::default();
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{dir}: {e}"))
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "txt"))
        .collect();
    files.sort();
    let (mut rates, mut skipped, mut bytes) = (Vec::new(), Vec::new(), 0usize);
    let started = Instant::now();
    println!("lang  sentences  right   at 0.5  at 0.65");
    for path in files {
        let code = path.file_stem().unwrap().to_string_lossy().into_owned();
        if !known.contains(&code.as_str()) {
            skipped.push(code);
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let (mut n, mut right, mut at50, mut at65) = (0, 0, 0, 0);
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            n += 1;
            bytes += line.len();
            if let Some(g) = filter.identify(line).filter(|g| g.code == code) {
                right += 1;
                at50 += usize::from(g.score >= 0.5);
                at65 += usize::from(g.score >= 0.65);
            }
        }
        let pct = |k: usize| 100.0 * k as f64 / n.max(1) as f64;
        println!(
            "{code:<5} {n:>9}  {:>5.1}%  {:>5.1}%  {:>6.1}%",
            pct(right),
            pct(at50),
            pct(at65)
        );
        rates.push(pct(right));
    }
    let mean = rates.iter().sum::<f64>() / rates.len().max(1) as f64;
    let secs = started.elapsed().as_secs_f64();
    println!(
        "mean over {} languages whatlang knows: {mean:.1}% (reference figure for this set: 95.0%)",
        rates.len()
    );
    println!("not known to whatlang, left out: {}", skipped.join(" "));
    println!(
        "{:.1} MB in {secs:.2} s: {:.1} MB/s",
        bytes as f64 / 1e6,
        bytes as f64 / 1e6 / secs
    );
}
