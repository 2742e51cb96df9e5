//! MinHash LSH against the truth: passages of `../shared/data/text` with controlled edits
//! ([`assent_dedup::neardup_gen`]), every same-passage pair's Jaccard similarity computed
//! exactly, and the pairs LSH confirms at FineWeb's settings (112 hashes, 14 bands of 8 rows,
//! threshold 0.8). Recall over the pairs at least 0.85 similar must be at least 0.9, and
//! precision at least 0.95, with the same margin below the threshold as recall has above it:
//! a confirmed pair is right when it is at least 0.75 similar. (The share of confirmed pairs
//! at least 0.8 similar is printed too; it is lower, because 112 hashes estimate a pair's
//! similarity to about ±0.04, and this generator makes many pairs just under 0.8.)

use assent_dedup::minhash::MinHashConfig;
use assent_dedup::neardup_gen::{generate, measure};

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
    let a = measure(&generate(&refs, &rates, 7), &MinHashConfig::default());
    eprintln!("{a:?}");
    assert!(a.similar >= 1000, "too few similar pairs to measure");
    assert!(a.borderline >= 500, "too few borderline pairs to measure");
    assert!(a.recall >= 0.9, "{a:?}");
    assert!(a.precision >= 0.95, "{a:?}");
}
