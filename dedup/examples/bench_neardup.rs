//! Benchmark (not a test): MinHash LSH's accuracy on generated near-duplicates
//! ([`assent_dedup::neardup_gen`], passages of `../shared/data/text`), at FineWeb's settings.
//!
//!   cargo run --release -p assent-dedup --example bench_neardup [PASSAGES]
//!
//! Prints, for thresholds 0.7, 0.8 and 0.9, precision and recall of the confirmed pairs
//! against the exact Jaccard similarity (a pair is a true near-duplicate at or above the
//! threshold); then, by similarity, the share of pairs that became candidates beside the
//! theoretical 1 − (1 − s^r)^b.

use assent_dedup::minhash::{
    candidate_pairs, candidate_probability, near_duplicate_pairs, MinHashConfig, MinHasher,
};
use assent_dedup::neardup_gen::{generate, Truth};
use std::collections::HashSet;

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .map(|a| a.parse().expect("PASSAGES: a number"))
        .unwrap_or(120);
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/data/text/tinyshakespeare.txt");
    let text = std::fs::read_to_string(&path).expect("../shared/data/text/tinyshakespeare.txt");
    let words: Vec<&str> = text.split_whitespace().collect();
    let step = (words.len() - 300) / n;
    let passages: Vec<String> = (0..n)
        .map(|i| words[i * step..i * step + 300].join(" "))
        .collect();
    let refs: Vec<&str> = passages.iter().map(String::as_str).collect();
    let rates = [0.01, 0.02, 0.04, 0.06, 0.08, 0.12, 0.2, 0.35];
    let docs = generate(&refs, &rates, 7);
    let base = MinHashConfig::default();
    let truth = Truth::new(&docs, &base);
    println!(
        "{} documents from {n} passages, {} same-passage pairs; {} hashes in {} bands of {} rows",
        docs.len(),
        truth.pairs.len(),
        base.hashes(),
        base.bands,
        base.rows
    );
    for threshold in [0.7, 0.8, 0.9] {
        let config = MinHashConfig {
            threshold,
            ..base.clone()
        };
        let hasher = MinHasher::new(config);
        let signatures: Vec<Vec<u32>> =
            truth.shingles.iter().map(|s| hasher.signature(s)).collect();
        let found: HashSet<(u32, u32)> = near_duplicate_pairs(&hasher, &signatures)
            .into_iter()
            .collect();
        let true_pairs: Vec<(u32, u32)> = truth
            .pairs
            .iter()
            .filter(|p| p.2 >= threshold)
            .map(|p| (p.0, p.1))
            .collect();
        let hit = true_pairs.iter().filter(|p| found.contains(p)).count();
        let right = found
            .iter()
            .filter(|&&(a, b)| truth.of(a, b) >= threshold)
            .count();
        println!(
            "threshold {threshold}: {} true pairs, {} confirmed; precision {:.3}, recall {:.3}",
            true_pairs.len(),
            found.len(),
            right as f64 / found.len().max(1) as f64,
            hit as f64 / true_pairs.len().max(1) as f64
        );
    }
    let hasher = MinHasher::new(base.clone());
    let signatures: Vec<Vec<u32>> = truth.shingles.iter().map(|s| hasher.signature(s)).collect();
    let candidates: HashSet<(u32, u32)> =
        candidate_pairs(&hasher, &signatures).into_iter().collect();
    println!("similarity   pairs   candidates   theory 1-(1-s^8)^14");
    for k in 8..20 {
        let (lo, hi) = (k as f64 * 0.05, (k + 1) as f64 * 0.05);
        let in_bucket: Vec<_> = truth
            .pairs
            .iter()
            .filter(|p| p.2 >= lo && (p.2 < hi || k == 19))
            .collect();
        if in_bucket.is_empty() {
            continue;
        }
        let got = in_bucket
            .iter()
            .filter(|p| candidates.contains(&(p.0, p.1)))
            .count();
        let mid = in_bucket.iter().map(|p| p.2).sum::<f64>() / in_bucket.len() as f64;
        println!(
            "[{lo:.2}, {hi:.2})  {:6}   {:10.3}   {:.3}",
            in_bucket.len(),
            got as f64 / in_bucket.len() as f64,
            candidate_probability(mid, base.bands, base.rows)
        );
    }
}
