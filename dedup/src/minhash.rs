//! MinHash signatures and locality-sensitive hashing: which documents are near-duplicates.
//!
//! FineWeb's settings by default: the text is normalised (lower-cased, every character that
//! is neither a letter nor a digit a space, each digit `0`, whitespace collapsed), cut into
//! words and then into word 5-grams (the shingles); each shingle is hashed once with a seeded
//! xxh3, and the 112 hash functions of the signature are the universal permutations
//! `(a·x + b) mod (2⁶¹ − 1)` of that hash, `a` and `b` drawn from the seed. Two documents whose
//! shingle sets have Jaccard similarity `s` agree on each signature value with probability
//! `s`. The signature is cut into 14 bands of 8 rows; documents that share any whole band are
//! candidates, which happens with probability `1 − (1 − s⁸)¹⁴` (about 0.92 at s = 0.8, 0.10 at
//! s = 0.6): the S-curve [`candidate_probability`] gives.
//!
//! A candidate pair is confirmed when the share of equal signature values (the estimate of
//! their Jaccard similarity) reaches the threshold (0.8); confirmed pairs are joined into
//! clusters by a union-find ([`UnionFind`]), and each cluster keeps one document.
//!
//! This module is the arithmetic; the stages that split it across processes are
//! [`crate::near`]. [`near_duplicates`] does every step in one process, in memory, for tests
//! and small corpora. Not yet: Unicode diacritics folded in normalisation (datatrove folds them).

use xxhash_rust::xxh3::xxh3_64_with_seed;

/// The Mersenne prime 2⁶¹ − 1, the modulus of the permutations.
const PRIME: u64 = (1 << 61) - 1;

/// How signatures are made and compared.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MinHashConfig {
    /// Words per shingle.
    pub shingle_words: usize,
    pub bands: usize,
    pub rows: usize,
    /// Estimated Jaccard similarity at which a candidate pair is a near-duplicate.
    pub threshold: f64,
    pub seed: u64,
}

impl Default for MinHashConfig {
    fn default() -> Self {
        MinHashConfig {
            shingle_words: 5,
            bands: 14,
            rows: 8,
            threshold: 0.8,
            seed: 1,
        }
    }
}

impl MinHashConfig {
    pub fn hashes(&self) -> usize {
        self.bands * self.rows
    }
}

/// The probability that two documents of Jaccard similarity `s` share a band:
/// `1 − (1 − s^r)^b`.
pub fn candidate_probability(s: f64, bands: usize, rows: usize) -> f64 {
    1.0 - (1.0 - s.powi(rows as i32)).powi(bands as i32)
}

/// The normalised words of `text` (see the module docs).
pub fn normalised_words(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    for c in text.chars() {
        if c.is_alphanumeric() {
            if c.is_numeric() {
                word.push('0');
            } else {
                word.extend(c.to_lowercase());
            }
        } else if !word.is_empty() {
            words.push(std::mem::take(&mut word));
        }
    }
    if !word.is_empty() {
        words.push(word);
    }
    words
}

/// The hashes of the shingles of `text`, sorted and without repeats: a set. A text of fewer
/// words than a shingle is one shingle of all its words; a text without words has none.
pub fn shingles(text: &str, config: &MinHashConfig) -> Vec<u64> {
    let words = normalised_words(text);
    let n = config.shingle_words.max(1);
    let mut out: Vec<u64> = if words.is_empty() {
        Vec::new()
    } else if words.len() < n {
        vec![xxh3_64_with_seed(words.join(" ").as_bytes(), config.seed)]
    } else {
        let mut key = String::new();
        words
            .windows(n)
            .map(|w| {
                key.clear();
                for (i, word) in w.iter().enumerate() {
                    if i > 0 {
                        key.push(' ');
                    }
                    key.push_str(word);
                }
                xxh3_64_with_seed(key.as_bytes(), config.seed)
            })
            .collect()
    };
    out.sort_unstable();
    out.dedup();
    out
}

/// The permutations of a signature: `(a, b)` for each hash function, drawn from the seed.
#[derive(Clone, Debug)]
pub struct MinHasher {
    permutations: Vec<(u64, u64)>,
    config: MinHashConfig,
}

impl MinHasher {
    pub fn new(config: MinHashConfig) -> Self {
        // SplitMix64 from the seed: a, b in [1, PRIME).
        let mut state = config.seed ^ 0x5EED_0FA5_5E47;
        let mut next = || {
            state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            1 + (z ^ (z >> 31)) % (PRIME - 1)
        };
        let permutations = (0..config.hashes()).map(|_| (next(), next())).collect();
        MinHasher {
            permutations,
            config,
        }
    }

    pub fn config(&self) -> &MinHashConfig {
        &self.config
    }

    /// The signature of a shingle set: for each permutation, the least permuted hash. An
    /// empty set has the signature of all `u64::MAX`, which shares a band with no document
    /// that has a shingle.
    pub fn signature(&self, shingles: &[u64]) -> Vec<u64> {
        let mut sig = vec![u64::MAX; self.permutations.len()];
        for &x in shingles {
            let x = x % PRIME;
            for (s, &(a, b)) in sig.iter_mut().zip(&self.permutations) {
                let v = permute(a, b, x);
                if v < *s {
                    *s = v;
                }
            }
        }
        sig
    }

    pub fn signature_of(&self, text: &str) -> Vec<u64> {
        self.signature(&shingles(text, &self.config))
    }

    /// The hash of each band of `signature` (band index mixed in, so that equal values in
    /// different bands never meet).
    pub fn band_hashes(&self, signature: &[u64]) -> Vec<u64> {
        signature
            .chunks(self.config.rows)
            .enumerate()
            .map(|(band, rows)| {
                let mut bytes = Vec::with_capacity(8 * rows.len());
                for r in rows {
                    bytes.extend_from_slice(&r.to_le_bytes());
                }
                xxh3_64_with_seed(&bytes, band as u64)
            })
            .collect()
    }
}

/// `(a·x + b) mod (2⁶¹ − 1)` without overflow (x < 2⁶¹).
fn permute(a: u64, b: u64, x: u64) -> u64 {
    let v = (a as u128) * (x as u128) + b as u128;
    // Reduction modulo a Mersenne prime: fold the high bits onto the low ones.
    let folded = (v & PRIME as u128) + (v >> 61);
    let folded = (folded & PRIME as u128) + (folded >> 61);
    let r = folded as u64;
    if r >= PRIME {
        r - PRIME
    } else {
        r
    }
}

/// The estimated Jaccard similarity of two signatures: the share of equal values.
pub fn estimated_jaccard(a: &[u64], b: &[u64]) -> f64 {
    let equal = a.iter().zip(b).filter(|(x, y)| x == y).count();
    equal as f64 / a.len().max(1) as f64
}

/// The Jaccard similarity of two sorted shingle sets.
pub fn jaccard(a: &[u64], b: &[u64]) -> f64 {
    let (mut i, mut j, mut both) = (0, 0, 0usize);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                both += 1;
                i += 1;
                j += 1;
            }
        }
    }
    let union = a.len() + b.len() - both;
    if union == 0 {
        1.0
    } else {
        both as f64 / union as f64
    }
}

/// Disjoint sets over `0..n` with path halving and union by size.
#[derive(Clone, Debug, Default)]
pub struct UnionFind {
    parent: Vec<u32>,
    size: Vec<u32>,
}

impl UnionFind {
    pub fn new(n: usize) -> Self {
        UnionFind {
            parent: (0..n as u32).collect(),
            size: vec![1; n],
        }
    }

    /// A new set of one element; its index.
    pub fn add(&mut self) -> u32 {
        let i = self.parent.len() as u32;
        self.parent.push(i);
        self.size.push(1);
        i
    }

    pub fn find(&mut self, mut x: u32) -> u32 {
        while self.parent[x as usize] != x {
            let p = self.parent[x as usize];
            self.parent[x as usize] = self.parent[p as usize];
            x = self.parent[x as usize];
        }
        x
    }

    pub fn union(&mut self, a: u32, b: u32) {
        let (mut a, mut b) = (self.find(a), self.find(b));
        if a == b {
            return;
        }
        if self.size[a as usize] < self.size[b as usize] {
            std::mem::swap(&mut a, &mut b);
        }
        self.parent[b as usize] = a;
        self.size[a as usize] += self.size[b as usize];
    }
}

/// The candidate pairs among `signatures`: those that share a whole band (indices, the
/// smaller first, each pair once, sorted), in memory.
pub fn candidate_pairs(hasher: &MinHasher, signatures: &[Vec<u64>]) -> Vec<(u32, u32)> {
    let mut buckets: std::collections::HashMap<(usize, u64), Vec<u32>> =
        std::collections::HashMap::new();
    for (i, sig) in signatures.iter().enumerate() {
        if sig.iter().all(|&v| v == u64::MAX) {
            continue;
        }
        for (band, h) in hasher.band_hashes(sig).into_iter().enumerate() {
            buckets.entry((band, h)).or_default().push(i as u32);
        }
    }
    let mut candidates: Vec<(u32, u32)> = Vec::new();
    for members in buckets.values() {
        for (k, &a) in members.iter().enumerate() {
            for &b in &members[k + 1..] {
                candidates.push((a.min(b), a.max(b)));
            }
        }
    }
    candidates.sort_unstable();
    candidates.dedup();
    candidates
}

/// The confirmed near-duplicate pairs among `signatures`: the candidates whose estimated
/// similarity reaches the threshold.
pub fn near_duplicate_pairs(hasher: &MinHasher, signatures: &[Vec<u64>]) -> Vec<(u32, u32)> {
    let threshold = hasher.config().threshold;
    candidate_pairs(hasher, signatures)
        .into_iter()
        .filter(|&(a, b)| {
            estimated_jaccard(&signatures[a as usize], &signatures[b as usize]) >= threshold
        })
        .collect()
}

/// Clusters of near-duplicates among `texts`: for each text, the index of its cluster's
/// representative (the smallest index in it; a text alone is its own).
pub fn near_duplicates(hasher: &MinHasher, texts: &[&str]) -> Vec<u32> {
    let signatures: Vec<Vec<u64>> = texts.iter().map(|t| hasher.signature_of(t)).collect();
    let mut sets = UnionFind::new(texts.len());
    for (a, b) in near_duplicate_pairs(hasher, &signatures) {
        sets.union(a, b);
    }
    let mut smallest = vec![u32::MAX; texts.len()];
    for i in 0..texts.len() as u32 {
        let root = sets.find(i) as usize;
        smallest[root] = smallest[root].min(i);
    }
    (0..texts.len() as u32)
        .map(|i| smallest[sets.find(i) as usize])
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalisation_folds_case_punctuation_and_digits() {
        assert_eq!(
            normalised_words("Hello, World! It's 2024…  Ünïcode"),
            ["hello", "world", "it", "s", "0000", "ünïcode"]
        );
    }

    #[test]
    fn the_permutation_is_the_modular_arithmetic() {
        for (a, b, x) in [
            (3, 5, 7),
            (PRIME - 1, PRIME - 1, PRIME - 1),
            (1 << 60, 12345, (1 << 61) - 2),
        ] {
            let want = ((a as u128 * x as u128 + b as u128) % PRIME as u128) as u64;
            assert_eq!(permute(a, b, x), want);
        }
    }

    #[test]
    fn the_estimate_follows_the_true_similarity() {
        let hasher = MinHasher::new(MinHashConfig::default());
        let words: Vec<String> = (0..400)
            .map(|i| {
                let i = i * 7919 % 1000;
                format!(
                    "w{}{}",
                    (b'a' + (i / 26 % 26) as u8) as char,
                    (b'a' + (i % 26) as u8) as char
                )
            })
            .collect();
        let a = words.join(" ");
        // The same words with the last quarter replaced.
        let mut edited = words.clone();
        for w in edited.iter_mut().skip(300) {
            w.push('x');
        }
        let b = edited.join(" ");
        let (sa, sb) = (shingles(&a, hasher.config()), shingles(&b, hasher.config()));
        let truth = jaccard(&sa, &sb);
        let estimate = estimated_jaccard(&hasher.signature(&sa), &hasher.signature(&sb));
        assert!((0.5..0.7).contains(&truth), "{truth}");
        // 112 hashes: the standard error is about 0.045 here.
        assert!((estimate - truth).abs() < 0.15, "{estimate} vs {truth}");
        assert_eq!(
            estimated_jaccard(&hasher.signature(&sa), &hasher.signature(&sa)),
            1.0
        );
    }

    #[test]
    fn the_s_curve_is_fineweb_s() {
        let p = |s| candidate_probability(s, 14, 8);
        assert!((p(0.8) - 0.924).abs() < 0.001, "{}", p(0.8));
        assert!(p(0.5) < 0.06);
        assert!(p(0.95) > 0.9999);
    }

    #[test]
    fn clusters_join_through_a_chain_and_keep_strangers_apart() {
        let hasher = MinHasher::new(MinHashConfig::default());
        // Words of letters (digits all normalise to 0).
        let word = |prefix: char, i: usize| {
            let (a, b) = (
                (b'a' + (i / 26) as u8) as char,
                (b'a' + (i % 26) as u8) as char,
            );
            format!("{prefix}{a}{b}")
        };
        let base: Vec<String> = (0..300).map(|i| word('t', i)).collect();
        let text = |edit: usize| {
            let mut w = base.clone();
            w[edit] = "changed".into();
            w.join(" ")
        };
        let (a, b, c) = (text(10), text(150), text(290));
        let other: String = (0..300).map(|i| word('u', i) + " ").collect();
        let clusters = near_duplicates(&hasher, &[&a, &other, &b, &c, ""]);
        assert_eq!(clusters, [0, 1, 0, 0, 4]);
    }
}
