//! Exact dedup across the ranks of a job, through files, with no process holding every hash.
//!
//! Each rank deduplicates its own documents as they stream (the first of a text within the
//! rank wins, [`crate::ExactDedup`]) and writes one [`Claim`] per document it kept into
//! `DIR/claims-RANK-PART.jsonl`, where PART is the text hash modulo the number of partitions.
//! Once every rank has finished, [`decide`] reads one partition at a time (every rank's file
//! of it) and elects one winner per text: the claim with the smallest [`Claim::order`], which
//! is the rule a single process applies as it reads its inputs in order. Every other claim of
//! the text is a [`Loser`], named with the winner.
//!
//! Memory: one partition's claims (about 1/PART of the job's kept documents, some 300 bytes
//! each) plus the losers found (about 100 bytes each).

use assent_schemas::Source;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

/// One document's claim to its text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claim {
    /// The normalised-text hash (32 hex digits).
    pub text_hash: String,
    /// Claims of held documents (waiting for a corpus-wide decision of their own) rank after
    /// every other claim: a single process admits them only once its input is exhausted.
    pub held: bool,
    /// The input's position in the job's whole input list (0 for a crawl).
    pub input: u32,
    /// The record's offset in its input.
    pub offset: u64,
    pub doc_id: String,
    pub rank: u32,
    /// For the ledger row of a loser.
    pub url: String,
    pub source: Source,
    /// The shard the document was written to (None while it is held).
    pub shard: Option<String>,
    /// What of its consent could not be checked (for the manifest's counts, if it loses).
    #[serde(default)]
    pub unchecked: Vec<assent_schemas::Unchecked>,
    /// Its text's words, for the ledger row of a loser.
    #[serde(default)]
    pub words: u64,
}

impl Claim {
    /// Lower wins: not held, then earlier input, then earlier offset, then the doc_id (a
    /// crawl's records have no order shared between ranks).
    pub fn order(&self) -> (bool, u32, u64, &str) {
        (self.held, self.input, self.offset, &self.doc_id)
    }
}

/// A claim that lost its text to an earlier one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Loser {
    pub claim: Claim,
    pub duplicate_of: String,
}

/// Writes one rank's claims, spread over the partition files.
pub struct ClaimWriter {
    dir: PathBuf,
    rank: u32,
    files: Vec<Option<BufWriter<File>>>,
    pub written: u64,
}

impl ClaimWriter {
    /// Creates `dir`; files are made as claims arrive, and any of this rank's earlier files
    /// are removed so that a rank that is run again starts clean.
    pub fn new(dir: &Path, rank: u32, partitions: u32) -> std::io::Result<Self> {
        std::fs::create_dir_all(dir)?;
        for p in 0..partitions.max(1) {
            match std::fs::remove_file(claims_path(dir, rank, p)) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
                _ => {}
            }
        }
        Ok(ClaimWriter {
            dir: dir.to_path_buf(),
            rank,
            files: (0..partitions.max(1)).map(|_| None).collect(),
            written: 0,
        })
    }

    pub fn add(&mut self, claim: &Claim) -> std::io::Result<()> {
        let p = partition_of(&claim.text_hash, self.files.len() as u32) as usize;
        if self.files[p].is_none() {
            let path = claims_path(&self.dir, self.rank, p as u32);
            self.files[p] = Some(BufWriter::new(File::create(path)?));
        }
        let out = self.files[p].as_mut().expect("opened above");
        serde_json::to_writer(&mut *out, claim)?;
        out.write_all(b"\n")?;
        self.written += 1;
        Ok(())
    }

    /// Flushes and syncs every file.
    pub fn finish(self) -> std::io::Result<()> {
        for f in self.files.into_iter().flatten() {
            f.into_inner().map_err(|e| e.into_error())?.sync_all()?;
        }
        Ok(())
    }
}

/// `DIR/claims-RANK-PART.jsonl`.
pub fn claims_path(dir: &Path, rank: u32, partition: u32) -> PathBuf {
    dir.join(format!("claims-{rank:05}-{partition:04}.jsonl"))
}

/// The partition of a text hash: its value modulo `partitions` (a hash that is not hex, by
/// its own xxh3).
pub fn partition_of(text_hash: &str, partitions: u32) -> u32 {
    let key = u128::from_str_radix(text_hash, 16)
        .unwrap_or_else(|_| xxhash_rust::xxh3::xxh3_128(text_hash.as_bytes()));
    (key % u128::from(partitions.max(1))) as u32
}

/// Elects the winner of every text among the claims of ranks `0..world` in `dir`, ignoring
/// the claims of `withdrawn` documents (held ones that were refused). Returns the losers of
/// each rank, by doc_id.
pub fn decide(
    dir: &Path,
    world: u32,
    partitions: u32,
    withdrawn: &HashSet<String>,
) -> std::io::Result<Vec<HashMap<String, Loser>>> {
    let mut losers: Vec<HashMap<String, Loser>> = (0..world).map(|_| HashMap::new()).collect();
    for p in 0..partitions.max(1) {
        let mut by_text: BTreeMap<String, Vec<Claim>> = BTreeMap::new();
        for rank in 0..world {
            let path = claims_path(dir, rank, p);
            let file = match File::open(&path) {
                Ok(f) => f,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(e),
            };
            for line in BufReader::new(file).lines() {
                let claim: Claim = serde_json::from_str(&line?).map_err(|e| {
                    std::io::Error::new(
                        std::io::ErrorKind::InvalidData,
                        format!("{}: {e}", path.display()),
                    )
                })?;
                if !withdrawn.contains(&claim.doc_id) {
                    by_text
                        .entry(claim.text_hash.clone())
                        .or_default()
                        .push(claim);
                }
            }
        }
        for (_, mut claims) in by_text {
            if claims.len() < 2 {
                continue;
            }
            claims.sort_by(|a, b| a.order().cmp(&b.order()));
            let winner = claims[0].doc_id.clone();
            for claim in claims.into_iter().skip(1) {
                let rank = claim.rank.min(world - 1) as usize;
                losers[rank].insert(
                    claim.doc_id.clone(),
                    Loser {
                        claim,
                        duplicate_of: winner.clone(),
                    },
                );
            }
        }
    }
    Ok(losers)
}

#[cfg(test)]
mod tests {
    use super::*;
    use assent_schemas::{text_hash, SourceKind};

    fn claim(text: &str, held: bool, input: u32, offset: u64, rank: u32) -> Claim {
        Claim {
            text_hash: text_hash(text),
            held,
            input,
            offset,
            doc_id: format!("d{input}-{offset}"),
            rank,
            url: format!("http://x.example/{input}/{offset}"),
            source: Source {
                kind: SourceKind::Warc,
                file: Some(format!("in{input}.warc")),
                record_id: None,
                offset: Some(offset),
            },
            shard: None,
            unchecked: Vec::new(),
            words: 2,
        }
    }

    #[test]
    fn the_earliest_claim_wins_whatever_rank_wrote_it() {
        let dir = tempfile::tempdir().unwrap();
        let mut w1 = ClaimWriter::new(dir.path(), 1, 4).unwrap();
        let mut w0 = ClaimWriter::new(dir.path(), 0, 4).unwrap();
        w1.add(&claim("same text", false, 1, 10, 1)).unwrap();
        w1.add(&claim("other", false, 1, 20, 1)).unwrap();
        w0.add(&claim("same text", false, 2, 5, 0)).unwrap();
        w0.add(&claim("same text", true, 0, 0, 0)).unwrap(); // held: ranks last
        w0.add(&claim("gone", false, 0, 1, 0)).unwrap();
        w1.add(&claim("gone", false, 3, 1, 1)).unwrap();
        w0.finish().unwrap();
        w1.finish().unwrap();
        let withdrawn: HashSet<String> = ["d0-1".to_string()].into_iter().collect();
        let losers = decide(dir.path(), 2, 4, &withdrawn).unwrap();
        assert_eq!(losers[1].len(), 0, "{:?}", losers[1]);
        let mut lost: Vec<(&str, &str)> = losers[0]
            .values()
            .map(|l| (l.claim.doc_id.as_str(), l.duplicate_of.as_str()))
            .collect();
        lost.sort();
        assert_eq!(lost, vec![("d0-0", "d1-10"), ("d2-5", "d1-10")]);
        // The same claims decided with one partition give the same losers.
        let dir1 = tempfile::tempdir().unwrap();
        let mut w = ClaimWriter::new(dir1.path(), 0, 1).unwrap();
        for c in [
            claim("same text", false, 1, 10, 0),
            claim("same text", false, 2, 5, 0),
            claim("same text", true, 0, 0, 0),
        ] {
            w.add(&c).unwrap();
        }
        w.finish().unwrap();
        assert_eq!(
            decide(dir1.path(), 1, 1, &HashSet::new()).unwrap()[0].len(),
            2
        );
    }

    #[test]
    fn a_rank_run_again_starts_from_no_claims() {
        let dir = tempfile::tempdir().unwrap();
        let mut w = ClaimWriter::new(dir.path(), 0, 2).unwrap();
        w.add(&claim("a", false, 0, 0, 0)).unwrap();
        w.add(&claim("a", false, 0, 1, 0)).unwrap();
        w.finish().unwrap();
        assert_eq!(
            decide(dir.path(), 1, 2, &HashSet::new()).unwrap()[0].len(),
            1
        );
        ClaimWriter::new(dir.path(), 0, 2)
            .unwrap()
            .finish()
            .unwrap();
        assert!(decide(dir.path(), 1, 2, &HashSet::new()).unwrap()[0].is_empty());
    }
}
