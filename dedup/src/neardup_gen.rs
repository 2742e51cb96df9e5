//! Near-duplicates with controlled edits, and their true similarity: the ground truth that
//! MinHash LSH is measured against.
//!
//! From each source passage it makes variants by one kind of edit at a chosen rate (a share
//! of the passage's words): words inserted at random places, words deleted, neighbouring
//! words swapped, or boilerplate lines (share, subscribe, copyright) added at the start and
//! end. The true similarity of two documents is the Jaccard similarity of their shingle
//! sets, computed exactly ([`crate::minhash::jaccard`]) on the shingles the signatures use.
//! Deterministic for a seed.

use crate::minhash::{jaccard, shingles, MinHashConfig};

/// An edit made to a passage.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Edit {
    Insert,
    Delete,
    Swap,
    Boilerplate,
}

pub const EDITS: [Edit; 4] = [Edit::Insert, Edit::Delete, Edit::Swap, Edit::Boilerplate];

/// One generated document: its text, the passage it came from, and how.
#[derive(Clone, Debug)]
pub struct Generated {
    pub text: String,
    pub source: usize,
    /// None for the passage itself.
    pub edit: Option<(Edit, f64)>,
}

/// SplitMix64.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

const BOILERPLATE: [&str; 4] = [
    "Share this page on your favourite network and follow us for more.",
    "Subscribe to our newsletter to get every new post in your inbox.",
    "All rights reserved. Reproduction without permission is prohibited.",
    "Read more stories like this one in our archive section today.",
];

/// `passage` with `rate` of its words edited by `edit`. Inserted words are taken from
/// `vocabulary`.
pub fn edited(passage: &str, edit: Edit, rate: f64, vocabulary: &[&str], seed: u64) -> String {
    let mut rng = Rng(seed);
    let mut words: Vec<&str> = passage.split_whitespace().collect();
    let n = ((words.len() as f64) * rate).round().max(1.0) as usize;
    match edit {
        Edit::Insert => {
            for _ in 0..n {
                let at = rng.below(words.len() + 1);
                words.insert(at, vocabulary[rng.below(vocabulary.len())]);
            }
        }
        Edit::Delete => {
            for _ in 0..n.min(words.len().saturating_sub(1)) {
                let at = rng.below(words.len());
                words.remove(at);
            }
        }
        Edit::Swap => {
            for _ in 0..n {
                if words.len() > 1 {
                    let at = rng.below(words.len() - 1);
                    words.swap(at, at + 1);
                }
            }
        }
        Edit::Boilerplate => {
            // About n words of boilerplate, split between the start and the end.
            let mut head = Vec::new();
            let mut tail = Vec::new();
            let mut added = 0;
            let mut k = rng.below(BOILERPLATE.len());
            while added < n {
                let line = BOILERPLATE[k % BOILERPLATE.len()];
                added += line.split_whitespace().count();
                if k.is_multiple_of(2) {
                    head.push(line);
                } else {
                    tail.push(line);
                }
                k += 1;
            }
            return format!(
                "{}\n{}\n{}",
                head.join("\n"),
                words.join(" "),
                tail.join("\n")
            )
            .trim()
            .to_string();
        }
    }
    words.join(" ")
}

/// Every passage and, for each, one variant per edit kind and rate.
pub fn generate(passages: &[&str], rates: &[f64], seed: u64) -> Vec<Generated> {
    let vocabulary: Vec<&str> = passages
        .iter()
        .flat_map(|p| p.split_whitespace())
        .step_by(7)
        .collect();
    let mut out = Vec::new();
    for (source, passage) in passages.iter().enumerate() {
        out.push(Generated {
            text: passage.to_string(),
            source,
            edit: None,
        });
        for (e, &edit) in EDITS.iter().enumerate() {
            for (r, &rate) in rates.iter().enumerate() {
                let s = seed ^ ((source as u64) << 20) ^ ((e as u64) << 10) ^ r as u64;
                out.push(Generated {
                    text: edited(passage, edit, rate, &vocabulary, s),
                    source,
                    edit: Some((edit, rate)),
                });
            }
        }
    }
    out
}

/// The true similarity of every pair of documents from the same passage (documents of
/// different passages share no shingle worth counting; [`Truth::of`] computes any pair).
pub struct Truth {
    pub shingles: Vec<Vec<u64>>,
    /// (a, b, Jaccard), a < b, documents of one passage.
    pub pairs: Vec<(u32, u32, f64)>,
}

impl Truth {
    pub fn new(docs: &[Generated], config: &MinHashConfig) -> Self {
        let shingles: Vec<Vec<u64>> = docs.iter().map(|d| shingles(&d.text, config)).collect();
        let mut pairs = Vec::new();
        for a in 0..docs.len() {
            for b in a + 1..docs.len() {
                if docs[a].source == docs[b].source {
                    pairs.push((a as u32, b as u32, jaccard(&shingles[a], &shingles[b])));
                }
            }
        }
        Truth { shingles, pairs }
    }

    pub fn of(&self, a: u32, b: u32) -> f64 {
        jaccard(&self.shingles[a as usize], &self.shingles[b as usize])
    }
}

/// How MinHash LSH did on generated documents against their truth.
#[derive(Clone, Debug)]
pub struct Accuracy {
    pub docs: usize,
    /// Same-passage pairs, those at least 0.85 similar, and those in [0.7, 0.85).
    pub pairs: usize,
    pub similar: usize,
    pub borderline: usize,
    pub confirmed: usize,
    /// The share of the pairs at least 0.85 similar that LSH confirmed.
    pub recall: f64,
    /// The share of confirmed pairs at least 0.05 below the threshold similar (the margin
    /// recall has above it), and at least the threshold.
    pub precision: f64,
    pub strict_precision: f64,
}

/// Confirms the near-duplicate pairs among `docs` at `config` and measures them.
pub fn measure(docs: &[Generated], config: &MinHashConfig) -> Accuracy {
    use crate::minhash::{near_duplicate_pairs, MinHasher};
    let truth = Truth::new(docs, config);
    let hasher = MinHasher::new(config.clone());
    let signatures: Vec<Vec<u32>> = truth.shingles.iter().map(|s| hasher.signature(s)).collect();
    let found: std::collections::HashSet<(u32, u32)> = near_duplicate_pairs(&hasher, &signatures)
        .into_iter()
        .collect();
    let similar: Vec<(u32, u32)> = truth
        .pairs
        .iter()
        .filter(|p| p.2 >= 0.85)
        .map(|p| (p.0, p.1))
        .collect();
    let recalled = similar.iter().filter(|p| found.contains(p)).count();
    let precision_at = |t: f64| {
        let right = found.iter().filter(|&&(a, b)| truth.of(a, b) >= t).count();
        right as f64 / found.len().max(1) as f64
    };
    Accuracy {
        docs: docs.len(),
        pairs: truth.pairs.len(),
        similar: similar.len(),
        borderline: truth
            .pairs
            .iter()
            .filter(|p| (0.7..0.85).contains(&p.2))
            .count(),
        confirmed: found.len(),
        recall: recalled as f64 / similar.len().max(1) as f64,
        precision: precision_at(config.threshold - 0.05),
        strict_precision: precision_at(config.threshold),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edits_change_the_share_of_words_asked() {
        let passage: String = (0..200).map(|i| format!("word{i} ")).collect();
        let vocab = ["new"];
        let count = |t: &str| t.split_whitespace().count();
        assert_eq!(count(&edited(&passage, Edit::Insert, 0.1, &vocab, 1)), 220);
        assert_eq!(count(&edited(&passage, Edit::Delete, 0.1, &vocab, 1)), 180);
        assert_eq!(count(&edited(&passage, Edit::Swap, 0.1, &vocab, 1)), 200);
        assert!(count(&edited(&passage, Edit::Boilerplate, 0.1, &vocab, 1)) >= 220);
        // The same seed, the same text.
        assert_eq!(
            edited(&passage, Edit::Swap, 0.05, &vocab, 9),
            edited(&passage, Edit::Swap, 0.05, &vocab, 9)
        );
    }
}
