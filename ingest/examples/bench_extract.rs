//! Times the extractor on a folder of pages (the extraction benchmark's `html/*.html.gz`).
//!
//!   cargo run --release -p assent-ingest --example bench_extract -- \
//!       [--rounds N] [--parse-only] [--predictions PRED.jsonl] PATH...
//!   cargo run -p assent-ingest --example bench_extract -- --explain PAGE.html[.gz]
//!
//! PATH is a folder (its `.html` and `.html.gz` files) or a file. Pages are read, gunzipped and
//! decoded (`charset::decode`, or UTF-8 with replacement when that refuses) before the clock
//! starts; then `extract_html` (or, with `--parse-only`, `Document::parse`) runs over all of
//! them N times (default 5). Prints one JSON line: pages, MB, rounds, seconds, pages_per_s,
//! mb_per_s. `--predictions` also writes one `{"path", "text"}` line per page, the input of
//! `extraction_eval.py`. `--explain` prints, for one page, every block with whether it was
//! kept and the element it came from (for working on the extractor).

use assent_ingest::charset;
use assent_ingest::extract::{dom::Document, explain_html, extract_html};
use std::io::{Read, Write};
use std::path::PathBuf;
use std::time::Instant;

fn main() {
    let mut rounds = 5usize;
    let mut parse_only = false;
    let mut predictions: Option<PathBuf> = None;
    let mut explain = false;
    let mut paths: Vec<PathBuf> = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--rounds" => {
                rounds = args
                    .next()
                    .and_then(|n| n.parse().ok())
                    .expect("--rounds N")
            }
            "--parse-only" => parse_only = true,
            "--explain" => explain = true,
            "--predictions" => predictions = Some(args.next().expect("--predictions PATH").into()),
            "-h" | "--help" => {
                eprintln!(
                    "usage: bench_extract [--rounds N] [--parse-only] [--predictions OUT.jsonl] PATH...\n       \
                     bench_extract --explain PAGE"
                );
                return;
            }
            _ => paths.push(arg.into()),
        }
    }
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            let mut entries: Vec<PathBuf> = std::fs::read_dir(&path)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| {
                    let name = p.to_string_lossy();
                    name.ends_with(".html") || name.ends_with(".html.gz")
                })
                .collect();
            entries.sort();
            files.extend(entries);
        } else {
            files.push(path);
        }
    }
    assert!(!files.is_empty(), "no pages given");
    let pages: Vec<(PathBuf, String)> = files
        .into_iter()
        .map(|path| {
            let raw = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let bytes = if path.to_string_lossy().ends_with(".gz") {
                let mut out = Vec::new();
                flate2::read::GzDecoder::new(raw.as_slice())
                    .read_to_end(&mut out)
                    .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                out
            } else {
                raw
            };
            let text = match charset::decode(&bytes, None, true) {
                Ok(decoded) => decoded.text,
                Err(_) => String::from_utf8_lossy(&bytes).into_owned(),
            };
            (path, text)
        })
        .collect();
    let bytes: usize = pages.iter().map(|(_, t)| t.len()).sum();
    if explain {
        for (_, html) in &pages {
            print!("{}", explain_html(html));
        }
        return;
    }

    if let Some(out) = &predictions {
        let mut file = std::io::BufWriter::new(
            std::fs::File::create(out).unwrap_or_else(|e| panic!("{}: {e}", out.display())),
        );
        for (path, html) in &pages {
            let e = extract_html(html);
            let line = serde_json::json!({
                "path": path.to_string_lossy(),
                "text": e.text,
                "title": e.title,
            });
            writeln!(file, "{line}").expect("write predictions");
        }
        file.flush().expect("write predictions");
    }

    let mut sink = 0usize;
    let start = Instant::now();
    for _ in 0..rounds {
        for (_, html) in &pages {
            sink += if parse_only {
                Document::parse(html).len()
            } else {
                extract_html(html).text.len()
            };
        }
    }
    let seconds = start.elapsed().as_secs_f64();
    let n = (pages.len() * rounds) as f64;
    println!(
        "{}",
        serde_json::json!({
            "what": if parse_only { "parse" } else { "parse+extract" },
            "pages": pages.len(),
            "mb": (bytes as f64 / 1e6 * 100.0).round() / 100.0,
            "rounds": rounds,
            "seconds": (seconds * 1000.0).round() / 1000.0,
            "pages_per_s": (n / seconds).round(),
            "mb_per_s": (bytes as f64 * rounds as f64 / 1e6 / seconds).round(),
            "checksum": sink,
        })
    );
}
