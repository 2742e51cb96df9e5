//! Word n-gram keys for the Gopher repetition rules, without building the n-gram strings.
//!
//! datatrove compares n-grams as strings: joined with spaces for the top n-gram rules (so two
//! n-grams are equal when their words are), joined without a separator for the duplicated
//! n-gram rules (so `ab`+`c` equals `a`+`bc`). A key here is the polynomial hash of exactly
//! those bytes, modulo the Mersenne prime 2^61 - 1, in two bases at once (122 bits): the hash
//! of a concatenation is computed from its words' hashes and lengths, so every n-gram of every
//! n costs n multiplications, and no string is made. Different n-grams share a key with
//! probability about n·L/2^61 per pair (L their length in bytes): never, in practice.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

const M: u64 = (1 << 61) - 1;
const BASES: [u64; 2] = [0x1f3d_5b79_a2c4_e681 % M, 0x0b5a_d4ec_e1f2_3a97 % M];

fn mulmod(a: u64, b: u64) -> u64 {
    let p = a as u128 * b as u128;
    let r = (p as u64 & M) + (p >> 61) as u64;
    if r >= M {
        r - M
    } else {
        r
    }
}

fn addmod(a: u64, b: u64) -> u64 {
    let r = a + b;
    if r >= M {
        r - M
    } else {
        r
    }
}

/// A word's hash and its base raised to its length, in both bases.
#[derive(Clone, Copy)]
struct Part {
    hash: [u64; 2],
    pow: [u64; 2],
}

impl Part {
    fn of(bytes: &[u8], separator: bool) -> Part {
        let mut part = Part {
            hash: [0; 2],
            pow: [1; 2],
        };
        for (k, base) in BASES.iter().enumerate() {
            for &b in bytes {
                part.hash[k] = addmod(mulmod(part.hash[k], *base), b as u64 + 1);
                part.pow[k] = mulmod(part.pow[k], *base);
            }
            if separator {
                // 257: no byte's value (1 to 256), so word boundaries count.
                part.hash[k] = addmod(mulmod(part.hash[k], *base), 257);
                part.pow[k] = mulmod(part.pow[k], *base);
            }
        }
        part
    }
}

/// The words of a text, ready for n-gram keys.
pub struct Ngrams {
    joined: Vec<Part>,
    spaced: Vec<Part>,
}

/// Keys are hashes already (n-gram keys here, the audit's top-k keys): the map takes their
/// low bits as they are.
#[derive(Default)]
pub struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ b as u64;
        }
    }
    fn write_u128(&mut self, v: u128) {
        self.0 = v as u64 ^ (v >> 64) as u64;
    }
    fn write_u64(&mut self, v: u64) {
        self.0 = v;
    }
}

pub type KeyMap<V> = HashMap<u128, V, BuildHasherDefault<KeyHasher>>;
pub type KeySet = HashSet<u128, BuildHasherDefault<KeyHasher>>;

impl Ngrams {
    pub fn new(words: &[&str]) -> Ngrams {
        Ngrams {
            joined: words
                .iter()
                .map(|w| Part::of(w.as_bytes(), false))
                .collect(),
            spaced: words.iter().map(|w| Part::of(w.as_bytes(), true)).collect(),
        }
    }

    /// The keys of every n-gram, n = 1, 2, ..., each computed from the (n-1)-gram's in one
    /// step; `visit(n, keys)` sees `keys[i]`, the key of `words[i..i + n]`, for i in order.
    fn each_n(parts: &[Part], max_n: usize, mut visit: impl FnMut(usize, &[u128])) {
        let mut k: Vec<[u64; 2]> = parts.iter().map(|p| p.hash).collect();
        let mut keys: Vec<u128> = Vec::with_capacity(parts.len());
        for n in 1..=max_n.min(parts.len()) {
            if n > 1 {
                // k[i] covered words[i..i+n-1]; extend it by words[i+n-1].
                k.truncate(parts.len() + 1 - n);
                for (i, key) in k.iter_mut().enumerate() {
                    let p = &parts[i + n - 1];
                    for (b, k) in key.iter_mut().enumerate() {
                        *k = addmod(mulmod(*k, p.pow[b]), p.hash[b]);
                    }
                }
            }
            keys.clear();
            keys.extend(k.iter().map(|key| (key[0] as u128) << 64 | key[1] as u128));
            visit(n, &keys);
        }
    }

    /// [`Ngrams::each_n`] for the words joined without a separator.
    pub fn each_joined(&self, max_n: usize, visit: impl FnMut(usize, &[u128])) {
        Self::each_n(&self.joined, max_n, visit)
    }

    /// [`Ngrams::each_n`] for the words as a sequence (joined with spaces).
    pub fn each_spaced(&self, max_n: usize, visit: impl FnMut(usize, &[u128])) {
        Self::each_n(&self.spaced, max_n, visit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_compare_what_datatrove_compares() {
        let w = ["ab", "c", "a", "bc", "ab", "c"];
        let g = Ngrams::new(&w);
        let (mut joined, mut spaced) = (Vec::new(), Vec::new());
        g.each_joined(2, |n, k| joined.push((n, k.to_vec())));
        g.each_spaced(2, |n, k| spaced.push((n, k.to_vec())));
        let (j2, s2) = (&joined[1].1, &spaced[1].1);
        assert_eq!((joined[1].0, j2.len()), (2, 5));
        // Joined without a separator, "ab"+"c" is "a"+"bc"; as words, it is not.
        assert_eq!(j2[0], j2[2]);
        assert_ne!(s2[0], s2[2]);
        assert_eq!(s2[0], s2[4]);
        assert_ne!(joined[0].1[0], joined[0].1[1]);
        // Many distinct n-grams, no shared key.
        let words: Vec<String> = (0..5000).map(|i| format!("w{i}")).collect();
        let refs: Vec<&str> = words.iter().map(String::as_str).collect();
        let mut keys = KeySet::default();
        Ngrams::new(&refs).each_spaced(3, |n, k| {
            if n == 3 {
                keys.extend(k.iter().copied());
            }
        });
        assert_eq!(keys.len(), refs.len() - 2);
    }
}
