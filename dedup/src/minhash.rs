//! MinHash signatures and locality-sensitive hashing: which documents are near-duplicates.
//!
//! FineWeb's settings by default: the text is normalised (lower-cased, every character that
//! is neither a letter nor a digit a space, each digit `0`, whitespace collapsed), cut into
//! words and then into word 5-grams (the shingles); each shingle is hashed once with a seeded
//! xxh3, and the 112 hash functions of the signature are multiply-add-shift hashes of that
//! value (`a·x + b` modulo 2⁶⁴, its high 32 bits; `a` odd), `a` and `b` drawn from the seed.
//! Two documents whose shingle sets have Jaccard similarity `s` agree on each signature value
//! with probability about `s` (a 32-bit value adds a chance collision of 2⁻³²). The signature is cut into 14 bands of 8 rows; documents that share any whole band are
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

/// The normalised text (see the module docs): each word its characters lower-cased, digits
/// `0`, words joined by one space. Returns it and where each word starts.
pub fn normalised(text: &str) -> (String, Vec<usize>) {
    let bytes = text.as_bytes();
    let mut norm: Vec<u8> = Vec::with_capacity(text.len());
    let mut starts = Vec::with_capacity(text.len() / 5);
    let mut in_word = false;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        // ASCII a byte at a time through a table; anything else a character at a time.
        let mapped = if b < 0x80 {
            i += 1;
            ASCII[b as usize]
        } else {
            let c = text[i..].chars().next().expect("a character starts here");
            i += c.len_utf8();
            if !c.is_alphanumeric() {
                0
            } else {
                if !in_word {
                    if !norm.is_empty() {
                        norm.push(b' ');
                    }
                    starts.push(norm.len());
                    in_word = true;
                }
                if c.is_numeric() {
                    norm.push(b'0');
                } else {
                    let mut buf = [0u8; 4];
                    for l in c.to_lowercase() {
                        norm.extend_from_slice(l.encode_utf8(&mut buf).as_bytes());
                    }
                }
                continue;
            }
        };
        if mapped == 0 {
            in_word = false;
            continue;
        }
        if !in_word {
            if !norm.is_empty() {
                norm.push(b' ');
            }
            starts.push(norm.len());
            in_word = true;
        }
        norm.push(mapped);
    }
    let norm = String::from_utf8(norm).expect("built of whole characters");
    (norm, starts)
}

/// What an ASCII byte becomes in the normalised text: a letter lower-cased, a digit `0`,
/// anything else 0 (not part of a word).
const ASCII: [u8; 128] = {
    let mut t = [0u8; 128];
    let mut b = 0;
    while b < 128 {
        let c = b as u8;
        t[b] = if c.is_ascii_digit() {
            b'0'
        } else if c.is_ascii_alphabetic() {
            c.to_ascii_lowercase()
        } else {
            0
        };
        b += 1;
    }
    t
};

/// The normalised words of `text`.
pub fn normalised_words(text: &str) -> Vec<String> {
    let (norm, _) = normalised(text);
    norm.split(' ')
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

/// The hashes of the shingles of `text`, sorted and without repeats: a set. A shingle's
/// bytes are its words joined by one space; a text of fewer words than a shingle is one
/// shingle of all its words; a text without words has none.
pub fn shingles(text: &str, config: &MinHashConfig) -> Vec<u64> {
    let mut out = shingle_hashes(text, config);
    out.sort_unstable();
    out.dedup();
    out
}

/// The hashes of the shingles of `text` in text order, repeats and all (a signature does
/// not care: a minimum is the same over a repeat).
fn shingle_hashes(text: &str, config: &MinHashConfig) -> Vec<u64> {
    let (norm, starts) = normalised(text);
    let n = config.shingle_words.max(1);
    let hash = |bytes: &str| xxh3_64_with_seed(bytes.as_bytes(), config.seed);
    if starts.is_empty() {
        Vec::new()
    } else if starts.len() < n {
        vec![hash(&norm)]
    } else {
        // Word k ends where word k + 1 starts, less its space; the last at the text's end.
        let end = |k: usize| starts.get(k + 1).map_or(norm.len(), |s| s - 1);
        (0..=starts.len() - n)
            .map(|i| hash(&norm[starts[i]..end(i + n - 1)]))
            .collect()
    }
}

/// The hash functions of a signature: `(a, b)` for each, drawn from the seed.
#[derive(Clone, Debug)]
pub struct MinHasher {
    a: Vec<u64>,
    b: Vec<u64>,
    config: MinHashConfig,
}

impl MinHasher {
    pub fn new(config: MinHashConfig) -> Self {
        // SplitMix64 from the seed; `a` odd.
        let mut state = config.seed ^ 0x5EED_0FA5_5E47;
        let mut next = || {
            state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        };
        let (mut a, mut b) = (Vec::new(), Vec::new());
        for _ in 0..config.hashes() {
            a.push(next() | 1);
            b.push(next());
        }
        MinHasher { a, b, config }
    }

    pub fn config(&self) -> &MinHashConfig {
        &self.config
    }

    /// The signature of a shingle set (repeats change nothing): for each hash function, the
    /// least value it gives a shingle. An empty set has the signature of all `u32::MAX`, which shares a band with no
    /// document that has a shingle.
    pub fn signature(&self, shingles: &[u64]) -> Vec<u32> {
        let mut sig = vec![u32::MAX; self.a.len()];
        #[cfg(target_arch = "x86_64")]
        {
            // The same loop compiled for wider vectors where the processor has them: 64-bit
            // products eight at a time with AVX-512, emulated four at a time with AVX2.
            if std::arch::is_x86_feature_detected!("avx512dq") {
                // SAFETY: the processor has the features the function is compiled for.
                unsafe { fold_avx512(&mut sig, &self.a, &self.b, shingles) };
                return sig;
            }
            if std::arch::is_x86_feature_detected!("avx2") {
                // SAFETY: as above.
                unsafe { fold_avx2(&mut sig, &self.a, &self.b, shingles) };
                return sig;
            }
        }
        fold(&mut sig, &self.a, &self.b, shingles);
        sig
    }

    pub fn signature_of(&self, text: &str) -> Vec<u32> {
        self.signature(&shingle_hashes(text, &self.config))
    }

    /// The hash of each band of `signature` (band index mixed in, so that equal values in
    /// different bands never meet).
    pub fn band_hashes(&self, signature: &[u32]) -> Vec<u64> {
        signature
            .chunks(self.config.rows)
            .enumerate()
            .map(|(band, rows)| {
                let mut bytes = Vec::with_capacity(4 * rows.len());
                for r in rows {
                    bytes.extend_from_slice(&r.to_le_bytes());
                }
                xxh3_64_with_seed(&bytes, band as u64)
            })
            .collect()
    }
}

/// Lowers each `sig[i]` to the least value hash function `i` gives a shingle.
#[inline(always)]
fn fold(sig: &mut [u32], a: &[u64], b: &[u64], shingles: &[u64]) {
    // Four shingles at a time for each hash function: a value stays in a register over four
    // products instead of going to memory after each.
    let mut quads = shingles.chunks_exact(4);
    for q in &mut quads {
        for ((s, &a), &b) in sig.iter_mut().zip(a).zip(b) {
            let m = multiply_shift(a, b, q[0])
                .min(multiply_shift(a, b, q[1]))
                .min(multiply_shift(a, b, q[2]))
                .min(multiply_shift(a, b, q[3]));
            *s = (*s).min(m);
        }
    }
    for &x in quads.remainder() {
        for ((s, &a), &b) in sig.iter_mut().zip(a).zip(b) {
            *s = (*s).min(multiply_shift(a, b, x));
        }
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512dq,avx512vl")]
unsafe fn fold_avx512(sig: &mut [u32], a: &[u64], b: &[u64], shingles: &[u64]) {
    fold(sig, a, b, shingles)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn fold_avx2(sig: &mut [u32], a: &[u64], b: &[u64], shingles: &[u64]) {
    fold(sig, a, b, shingles)
}

/// The high 32 bits of `a·x + b` modulo 2⁶⁴: the multiply-add-shift hash of Dietzfelbinger
/// ("Universal hashing and k-wise independent random variables via integer arithmetic
/// without primes", 1996), with `a` odd. A multiplication, an addition and a shift, where
/// the modular arithmetic of a prime field costs a 128-bit product and its reduction; the
/// shingles it hashes are xxh3 values already.
fn multiply_shift(a: u64, b: u64, x: u64) -> u32 {
    (a.wrapping_mul(x).wrapping_add(b) >> 32) as u32
}

/// The estimated Jaccard similarity of two signatures: the share of equal values.
pub fn estimated_jaccard(a: &[u32], b: &[u32]) -> f64 {
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
pub fn candidate_pairs(hasher: &MinHasher, signatures: &[Vec<u32>]) -> Vec<(u32, u32)> {
    let mut buckets: std::collections::HashMap<(usize, u64), Vec<u32>> =
        std::collections::HashMap::new();
    for (i, sig) in signatures.iter().enumerate() {
        if sig.iter().all(|&v| v == u32::MAX) {
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
pub fn near_duplicate_pairs(hasher: &MinHasher, signatures: &[Vec<u32>]) -> Vec<(u32, u32)> {
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
    let signatures: Vec<Vec<u32>> = texts.iter().map(|t| hasher.signature_of(t)).collect();
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
    fn a_shingle_is_its_words_joined_by_one_space() {
        let config = MinHashConfig {
            shingle_words: 2,
            ..MinHashConfig::default()
        };
        let h = |s: &str| xxh3_64_with_seed(s.as_bytes(), config.seed);
        let mut want = vec![h("the 0"), h("0 cats"), h("cats ärger")];
        want.sort_unstable();
        assert_eq!(shingles("The  2 -- cats, Ärger!", &config), want);
        assert_eq!(shingles("Alone", &config), vec![h("alone")]);
        assert!(shingles(" ... ", &config).is_empty());
    }

    #[test]
    fn every_instruction_set_gives_the_same_signature() {
        let hasher = MinHasher::new(MinHashConfig::default());
        let shingles: Vec<u64> = (0..37u64)
            .map(|i| i.wrapping_mul(0x9E37_79B9_7F4A_7C15))
            .collect();
        let mut plain = vec![u32::MAX; 112];
        fold(&mut plain, &hasher.a, &hasher.b, &shingles);
        assert_eq!(hasher.signature(&shingles), plain);
        let one_by_one: Vec<u32> = (0..112)
            .map(|i| {
                shingles
                    .iter()
                    .map(|&x| multiply_shift(hasher.a[i], hasher.b[i], x))
                    .min()
                    .unwrap()
            })
            .collect();
        assert_eq!(plain, one_by_one);
    }

    #[test]
    fn multiply_shift_is_the_high_half_of_the_wrapped_sum() {
        for (a, b, x) in [
            (3u64, 5u64, 7u64),
            (u64::MAX, u64::MAX, u64::MAX),
            (1 << 63 | 1, 12345, 1 << 40),
        ] {
            let want = (((a as u128 * x as u128 + b as u128) % (1u128 << 64)) >> 32) as u32;
            assert_eq!(multiply_shift(a, b, x), want);
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
