//! MinHash LSH against the truth: passages of `../shared/data/text` with controlled edits
//! ([`assent_dedup::neardup_gen`]), every same-passage pair's Jaccard similarity computed
//! exactly, and the pairs LSH confirms at FineWeb's settings (112 hashes, 14 bands of 8 rows,
//! threshold 0.8). Recall over the pairs at least 0.85 similar must be at least 0.9, and
//! precision at least 0.95, with the same margin below the threshold as recall has above it:
//! a confirmed pair is right when it is at least 0.75 similar. (The share of confirmed pairs
//! at least 0.8 similar is printed too; it is lower, because 112 hashes estimate a pair's
//! similarity to about ±0.04, and this generator makes many pairs just under 0.8.)

use assent_dedup::minhash::{near_duplicate_pairs, MinHashConfig, MinHasher};
use assent_dedup::neardup_gen::{generate, Truth};
use std::collections::HashSet;

fn passages() -> Vec<String> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/data/text/tinyshakespeare.txt");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let words: Vec<&str> = text.split_whitespace().collect();
    // 120 passages of 300 words, spread over the play texts.
    (0..120)
        .map(|i| words[i * 1500..i * 1500 + 300].join(" "))
        .collect()
}

#[test]
fn lsh_finds_the_near_duplicates_and_little_else() {
    let passages = passages();
    let refs: Vec<&str> = passages.iter().map(String::as_str).collect();
    let rates = [0.01, 0.02, 0.04, 0.06, 0.08, 0.12, 0.2, 0.35];
    let docs = generate(&refs, &rates, 7);
    let config = MinHashConfig::default();
    let truth = Truth::new(&docs, &config);
    let hasher = MinHasher::new(config.clone());
    let signatures: Vec<Vec<u32>> = truth.shingles.iter().map(|s| hasher.signature(s)).collect();
    let found: HashSet<(u32, u32)> = near_duplicate_pairs(&hasher, &signatures)
        .into_iter()
        .collect();

    let similar: Vec<(u32, u32)> = truth
        .pairs
        .iter()
        .filter(|p| p.2 >= 0.85)
        .map(|p| (p.0, p.1))
        .collect();
    let recalled = similar.iter().filter(|p| found.contains(p)).count();
    let recall = recalled as f64 / similar.len() as f64;
    let precision_at = |t: f64| {
        let right = found.iter().filter(|&&(a, b)| truth.of(a, b) >= t).count();
        right as f64 / found.len().max(1) as f64
    };
    let (strict, precision) = (
        precision_at(config.threshold),
        precision_at(config.threshold - 0.05),
    );
    let spread = |lo: f64, hi: f64| truth.pairs.iter().filter(|p| p.2 >= lo && p.2 < hi).count();
    eprintln!(
        "{} documents, {} same-passage pairs ({} at least 0.85 similar, {} in [0.7, 0.85)); \
         confirmed {}: recall {recall:.3}, precision {precision:.3} (against 0.8 exactly: {strict:.3})",
        docs.len(),
        truth.pairs.len(),
        similar.len(),
        spread(0.7, 0.85),
        found.len()
    );
    assert!(similar.len() >= 1000, "too few similar pairs to measure");
    assert!(
        spread(0.7, 0.85) >= 500,
        "too few borderline pairs to measure"
    );
    assert!(recall >= 0.9, "recall {recall:.3}");
    assert!(precision >= 0.95, "precision {precision:.3}");
}
