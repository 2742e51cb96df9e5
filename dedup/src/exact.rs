//! Exact dedup: the first document with a given normalised-text hash stays, later ones go.
//!
//! A `DashMap` holds one entry per distinct text (the 16-byte hash and the 32-byte id of the
//! document that claimed it), so memory grows with the number of distinct documents — about
//! 100 bytes each — not with their size. Shards lock separately, so worker threads that
//! check documents at the same time rarely wait for each other.

use dashmap::mapref::entry::Entry;
use dashmap::DashMap;

/// Who claimed a text first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FirstSeen {
    pub doc_id: String,
}

/// The set of texts already kept, shared by every worker of one run.
#[derive(Debug, Default)]
pub struct ExactDedup {
    seen: DashMap<u128, FirstSeen>,
}

impl ExactDedup {
    pub fn new() -> Self {
        Self::default()
    }

    /// Claims `text_hash` (32 hex digits, as `assent_schemas::text_hash` writes it) for
    /// `doc_id`. Returns `None` when the text is new, or the first claimant when it is a
    /// duplicate. A hash that is not hex is compared as written, through its own xxh3.
    pub fn claim(&self, text_hash: &str, doc_id: &str) -> Option<FirstSeen> {
        self.claim_within(text_hash, doc_id, true)
    }

    /// [`ExactDedup::claim`], remembering a new text only when `room` (a set at its memory
    /// budget still finds the texts it holds).
    pub fn claim_within(&self, text_hash: &str, doc_id: &str, room: bool) -> Option<FirstSeen> {
        let key = u128::from_str_radix(text_hash, 16)
            .unwrap_or_else(|_| xxhash_rust::xxh3::xxh3_128(text_hash.as_bytes()));
        match self.seen.entry(key) {
            Entry::Occupied(first) => Some(first.get().clone()),
            Entry::Vacant(slot) => {
                if room {
                    slot.insert(FirstSeen {
                        doc_id: doc_id.to_string(),
                    });
                }
                None
            }
        }
    }

    /// Number of distinct texts claimed.
    pub fn len(&self) -> usize {
        self.seen.len()
    }

    pub fn is_empty(&self) -> bool {
        self.seen.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use assent_schemas::text_hash;

    #[test]
    fn first_claim_wins_and_duplicates_name_it() {
        let d = ExactDedup::new();
        assert_eq!(d.claim(&text_hash("Hello  world"), "a"), None);
        assert_eq!(d.claim(&text_hash("Other text"), "b"), None);
        let dup = d.claim(&text_hash("Hello world\n"), "c");
        assert_eq!(dup, Some(FirstSeen { doc_id: "a".into() }));
        assert_eq!(d.len(), 2);
    }

    #[test]
    fn concurrent_claims_keep_exactly_one_of_each_text() {
        let d = ExactDedup::new();
        let winners: usize = std::thread::scope(|s| {
            let handles: Vec<_> = (0..4)
                .map(|t| {
                    let d = &d;
                    s.spawn(move || {
                        (0..1000)
                            .filter(|i| {
                                d.claim(&text_hash(&format!("doc {i}")), &format!("{t}-{i}"))
                                    .is_none()
                            })
                            .count()
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).sum()
        });
        assert_eq!(winners, 1000);
        assert_eq!(d.len(), 1000);
    }

    #[test]
    fn a_set_without_room_still_finds_what_it_holds() {
        let d = ExactDedup::new();
        assert_eq!(d.claim_within(&text_hash("a"), "1", true), None);
        assert_eq!(d.claim_within(&text_hash("b"), "2", false), None);
        assert_eq!(d.len(), 1, "b was not remembered");
        let first = d.claim_within(&text_hash("a"), "3", false);
        assert_eq!(first, Some(FirstSeen { doc_id: "1".into() }));
        assert_eq!(d.claim_within(&text_hash("b"), "4", false), None);
    }

    #[test]
    fn non_hex_hashes_still_compare() {
        let d = ExactDedup::new();
        assert_eq!(d.claim("zzz", "a"), None);
        assert_eq!(d.claim("zzz", "b"), Some(FirstSeen { doc_id: "a".into() }));
        assert_eq!(d.claim("zzy", "c"), None);
    }
}
