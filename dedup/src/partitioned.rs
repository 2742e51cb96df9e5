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
    /// Fetch time, milliseconds since the Unix epoch (for [`Winner::EarliestFetch`]).
    #[serde(default)]
    pub fetched_at: Option<i64>,
}

/// Which claim of a key wins.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Winner {
    /// Not held, then earlier input, then earlier offset, then the doc_id (a crawl's records
    /// have no order shared between ranks): the first a single process admits.
    InputOrder,
    /// The earliest fetch (a claim without a fetch time after every one with), then as
    /// [`Winner::InputOrder`].
    EarliestFetch,
}

impl Claim {
    /// Lower wins (see [`Winner`]).
    pub fn order(&self, winner: Winner) -> (bool, i64, u32, u64, &str) {
        let fetch = match winner {
            Winner::InputOrder => 0,
            Winner::EarliestFetch => self.fetched_at.unwrap_or(i64::MAX),
        };
        (self.held, fetch, self.input, self.offset, &self.doc_id)
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

/// Elects the winner of every key among the claims of ranks `0..world` in `dir`, ignoring
/// the claims of `withdrawn` documents (held ones that were refused). A partition whose
/// files hold more than `budget` bytes is sorted outside memory: runs of at most `budget`
/// bytes of claims are sorted and written, then merged. Returns the losers of each rank, by
/// doc_id.
pub fn decide(
    dir: &Path,
    world: u32,
    partitions: u32,
    withdrawn: &HashSet<String>,
    winner: Winner,
    budget: u64,
) -> std::io::Result<Vec<HashMap<String, Loser>>> {
    let mut losers: Vec<HashMap<String, Loser>> = (0..world).map(|_| HashMap::new()).collect();
    let mut elect = |mut claims: Vec<Claim>| {
        if claims.len() < 2 {
            return;
        }
        claims.sort_by(|a, b| a.order(winner).cmp(&b.order(winner)));
        let first = claims[0].doc_id.clone();
        for claim in claims.into_iter().skip(1) {
            let rank = claim.rank.min(world - 1) as usize;
            losers[rank].insert(
                claim.doc_id.clone(),
                Loser {
                    claim,
                    duplicate_of: first.clone(),
                },
            );
        }
    };
    for p in 0..partitions.max(1) {
        let files: Vec<PathBuf> = (0..world)
            .map(|rank| claims_path(dir, rank, p))
            .filter(|f| f.exists())
            .collect();
        let bytes: u64 = files
            .iter()
            .map(|f| std::fs::metadata(f).map(|m| m.len()))
            .sum::<std::io::Result<u64>>()?;
        let live = |c: &Claim| !withdrawn.contains(&c.doc_id);
        if bytes <= budget {
            let mut by_key: BTreeMap<String, Vec<Claim>> = BTreeMap::new();
            for f in &files {
                for claim in read_claims(f)? {
                    let claim = claim?;
                    if live(&claim) {
                        by_key
                            .entry(claim.text_hash.clone())
                            .or_default()
                            .push(claim);
                    }
                }
            }
            by_key.into_values().for_each(&mut elect);
        } else {
            let runs = spill::sorted_runs(&files, &dir.join(format!("runs-{p:04}")), budget, live)?;
            spill::merge_groups(&runs, &mut elect)?;
            for r in &runs {
                std::fs::remove_file(r)?;
            }
        }
    }
    Ok(losers)
}

/// The claims of one file, line by line.
fn read_claims(path: &Path) -> std::io::Result<impl Iterator<Item = std::io::Result<Claim>>> {
    let path_shown = path.display().to_string();
    Ok(BufReader::new(File::open(path)?).lines().map(move |line| {
        serde_json::from_str(&line?).map_err(|e| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("{path_shown}: {e}"),
            )
        })
    }))
}

/// Claims sorted outside memory: runs of JSON lines sorted by key, merged.
mod spill {
    use super::{read_claims, Claim};
    use std::cmp::Reverse;
    use std::collections::BinaryHeap;
    use std::fs::File;
    use std::io::{BufWriter, Write};
    use std::path::{Path, PathBuf};

    /// Writes the claims of `files` that are `live` as runs under `dir`, each at most about
    /// `budget` bytes of claims, sorted by key.
    pub fn sorted_runs(
        files: &[PathBuf],
        dir: &Path,
        budget: u64,
        live: impl Fn(&Claim) -> bool,
    ) -> std::io::Result<Vec<PathBuf>> {
        std::fs::create_dir_all(dir)?;
        let mut runs = Vec::new();
        let mut chunk: Vec<Claim> = Vec::new();
        let mut held = 0u64;
        let flush = |chunk: &mut Vec<Claim>, runs: &mut Vec<PathBuf>| -> std::io::Result<()> {
            if chunk.is_empty() {
                return Ok(());
            }
            chunk.sort_by(|a, b| a.text_hash.cmp(&b.text_hash));
            let path = dir.join(format!("run-{:05}.jsonl", runs.len()));
            let mut w = BufWriter::new(File::create(&path)?);
            for c in chunk.drain(..) {
                serde_json::to_writer(&mut w, &c)?;
                w.write_all(b"\n")?;
            }
            w.into_inner().map_err(|e| e.into_error())?.sync_all()?;
            runs.push(path);
            Ok(())
        };
        for f in files {
            for claim in read_claims(f)? {
                let claim = claim?;
                if !live(&claim) {
                    continue;
                }
                // What a claim costs held: its JSON line, about.
                held += 200 + claim.url.len() as u64 + claim.doc_id.len() as u64;
                chunk.push(claim);
                if held >= budget {
                    flush(&mut chunk, &mut runs)?;
                    held = 0;
                }
            }
        }
        flush(&mut chunk, &mut runs)?;
        Ok(runs)
    }

    /// Merges sorted runs and hands each key's claims to `group`.
    pub fn merge_groups(
        runs: &[PathBuf],
        group: &mut impl FnMut(Vec<Claim>),
    ) -> std::io::Result<()> {
        let mut readers = Vec::new();
        for r in runs {
            readers.push(read_claims(r)?);
        }
        // The heap holds each run's next key; the claim itself waits in `next`.
        let mut heap = BinaryHeap::new();
        let mut next: Vec<Option<Claim>> = Vec::new();
        for (i, r) in readers.iter_mut().enumerate() {
            let c = r.next().transpose()?;
            if let Some(c) = &c {
                heap.push(Reverse((c.text_hash.clone(), i)));
            }
            next.push(c);
        }
        let mut current: Vec<Claim> = Vec::new();
        while let Some(Reverse((key, i))) = heap.pop() {
            let claim = next[i]
                .take()
                .expect("a claim waits for each key in the heap");
            next[i] = readers[i].next().transpose()?;
            if let Some(c) = &next[i] {
                heap.push(Reverse((c.text_hash.clone(), i)));
            }
            if current.first().is_some_and(|c| c.text_hash != key) {
                group(std::mem::take(&mut current));
            }
            current.push(claim);
        }
        if !current.is_empty() {
            group(current);
        }
        Ok(())
    }
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
            fetched_at: None,
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
        let losers = decide(dir.path(), 2, 4, &withdrawn, Winner::InputOrder, u64::MAX).unwrap();
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
            decide(
                dir1.path(),
                1,
                1,
                &HashSet::new(),
                Winner::InputOrder,
                u64::MAX
            )
            .unwrap()[0]
                .len(),
            2
        );
    }

    #[test]
    fn a_partition_past_the_budget_is_sorted_on_disk_with_the_same_result() {
        let dir = tempfile::tempdir().unwrap();
        let mut writers: Vec<ClaimWriter> = (0..3)
            .map(|r| ClaimWriter::new(dir.path(), r, 2).unwrap())
            .collect();
        // 300 claims of 40 texts, each text claimed from several ranks and inputs.
        for i in 0..300u64 {
            let rank = (i % 3) as u32;
            let mut c = claim(
                &format!("text {}", i % 40),
                i % 7 == 0,
                (i % 5) as u32,
                i,
                rank,
            );
            c.doc_id = format!("doc{i}");
            writers[rank as usize].add(&c).unwrap();
        }
        for w in writers {
            w.finish().unwrap();
        }
        let withdrawn: HashSet<String> = ["doc3".to_string(), "doc45".to_string()].into();
        let sorted = |losers: Vec<HashMap<String, Loser>>| -> Vec<(String, String)> {
            let mut all: Vec<(String, String)> = losers
                .into_iter()
                .flatten()
                .map(|(id, l)| (id, l.duplicate_of))
                .collect();
            all.sort();
            all
        };
        let in_memory =
            sorted(decide(dir.path(), 3, 2, &withdrawn, Winner::InputOrder, u64::MAX).unwrap());
        // Runs of about ten claims each.
        let on_disk =
            sorted(decide(dir.path(), 3, 2, &withdrawn, Winner::InputOrder, 3000).unwrap());
        assert_eq!(in_memory.len(), 300 - 40 - 2);
        assert_eq!(in_memory, on_disk);
        // The runs are gone once merged.
        assert!(std::fs::read_dir(dir.path().join("runs-0000"))
            .unwrap()
            .next()
            .is_none());
    }

    #[test]
    fn the_earliest_fetch_wins_a_url() {
        let dir = tempfile::tempdir().unwrap();
        let mut w = ClaimWriter::new(dir.path(), 0, 1).unwrap();
        for (offset, fetched) in [(0, Some(30)), (1, Some(10)), (2, None), (3, Some(10))] {
            let mut c = claim("http://x.example/", false, 0, offset, 0);
            c.fetched_at = fetched;
            w.add(&c).unwrap();
        }
        w.finish().unwrap();
        let losers = decide(
            dir.path(),
            1,
            1,
            &HashSet::new(),
            Winner::EarliestFetch,
            u64::MAX,
        )
        .unwrap();
        // Offset 1 and 3 were fetched first; of the two, the earlier in the input wins.
        let mut lost: Vec<&str> = losers[0].keys().map(String::as_str).collect();
        lost.sort();
        assert_eq!(lost, ["d0-0", "d0-2", "d0-3"]);
        assert!(losers[0].values().all(|l| l.duplicate_of == "d0-1"));
    }

    #[test]
    fn a_rank_run_again_starts_from_no_claims() {
        let dir = tempfile::tempdir().unwrap();
        let mut w = ClaimWriter::new(dir.path(), 0, 2).unwrap();
        w.add(&claim("a", false, 0, 0, 0)).unwrap();
        w.add(&claim("a", false, 0, 1, 0)).unwrap();
        w.finish().unwrap();
        assert_eq!(
            decide(
                dir.path(),
                1,
                2,
                &HashSet::new(),
                Winner::InputOrder,
                u64::MAX
            )
            .unwrap()[0]
                .len(),
            1
        );
        ClaimWriter::new(dir.path(), 0, 2)
            .unwrap()
            .finish()
            .unwrap();
        assert!(decide(
            dir.path(),
            1,
            2,
            &HashSet::new(),
            Winner::InputOrder,
            u64::MAX
        )
        .unwrap()[0]
            .is_empty());
    }
}
