//! The provenance log of a corpus, `OUT/log/`: a `kept` tree with a leaf for every document of
//! its shards (in the manifest's shard order, then row order) and a `refused` tree with a leaf
//! for every ledger row that did not keep its record (in ledger order), each leaf
//! `assent-leaf/1` ([`assent_schemas::leaf`]).
//!
//! The log only grows. [`append_corpus`] adds the leaves a tree does not hold yet, so running it
//! again adds nothing, and a later version of the corpus (a dedup pass, an opt-out) adds a leaf
//! for each document whose place changed and each new refusal; consistency proofs then tie
//! each version's checkpoint to the ones before. Memory: the hashes of both trees' leaves
//! (32 bytes, an index and a map entry each), a first version's bound.
//!
//! Which leaves are the corpus as it is now is written beside the trees, as the leaf indices
//! of its documents and refusals in order (`kept.current`, `refused.current`: little-endian
//! u64s): a leaf of a document since removed stays in the tree but leaves these lists.

use crate::manifest::{write_atomically, CorpusManifest};
use crate::merkle::{leaf_hash, Hash};
use crate::parquet_out::OutputError;
use crate::shards::{read_documents, read_ledger};
use crate::tree_log::TreeLog;
use assent_schemas::leaf::Leaf;
use assent_schemas::Decision;
use std::collections::HashMap;
use std::path::Path;

/// A tree's size and root.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TreeHead {
    pub size: u64,
    pub root: Hash,
}

/// Both trees' heads, and what this append added to each.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LogHeads {
    pub kept: TreeHead,
    pub refused: TreeHead,
    pub kept_added: u64,
    pub refused_added: u64,
    /// Records whose leaf has no encoding (a value holding a line break): left out, counted.
    pub unencodable: u64,
}

/// One tree open for appending, with the hashes of the leaves it holds.
struct Growing {
    log: TreeLog,
    /// Each held leaf's index, by its hash.
    held: HashMap<Hash, u64>,
    added: u64,
    /// The leaves of the version being appended, in order.
    current: Vec<u64>,
}

impl Growing {
    fn open(dir: &Path, name: &str) -> std::io::Result<Growing> {
        let log = TreeLog::open(dir, name)?;
        let held = (0..log.len())
            .map(|i| Ok((log.leaf_hash(i)?, i)))
            .collect::<std::io::Result<_>>()?;
        Ok(Growing {
            log,
            held,
            added: 0,
            current: Vec::new(),
        })
    }

    fn add(&mut self, leaf: &[u8]) -> std::io::Result<()> {
        let hash = leaf_hash(leaf);
        let index = match self.held.get(&hash) {
            Some(&i) => i,
            None => {
                let i = self.log.push(leaf)?;
                self.held.insert(hash, i);
                self.added += 1;
                i
            }
        };
        self.current.push(index);
        Ok(())
    }

    fn finish(self, dir: &Path, name: &str) -> std::io::Result<(TreeHead, u64)> {
        self.log.sync()?;
        let list: Vec<u8> = self.current.iter().flat_map(|i| i.to_le_bytes()).collect();
        write_atomically(&current_path(dir, name), &list)?;
        let size = self.log.len();
        Ok((
            TreeHead {
                size,
                root: self.log.root(size)?,
            },
            self.added,
        ))
    }
}

fn current_path(dir: &Path, tree: &str) -> std::path::PathBuf {
    dir.join(format!("{tree}.current"))
}

/// The leaf indices of the corpus's current version in tree `tree` (`kept` or `refused`) of
/// the log in `dir`, in corpus order; empty before the first append.
pub fn current_leaves(dir: &Path, tree: &str) -> std::io::Result<Vec<u64>> {
    match std::fs::read(current_path(dir, tree)) {
        Ok(bytes) => Ok(bytes
            .chunks_exact(8)
            .map(|c| u64::from_le_bytes(c.try_into().expect("8 bytes")))
            .collect()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(e),
    }
}

/// Adds to `out/log/` the leaves of the corpus `manifest` describes that its trees do not
/// hold yet; returns the trees' heads.
pub fn append_corpus(out: &Path, manifest: &CorpusManifest) -> Result<LogHeads, OutputError> {
    let dir = out.join("log");
    let io = |e: std::io::Error| OutputError::Io {
        path: dir.clone(),
        source: e,
    };
    let mut kept = Growing::open(&dir, "kept").map_err(io)?;
    let mut refused = Growing::open(&dir, "refused").map_err(io)?;
    let mut unencodable = 0;
    for shard in &manifest.shards {
        for (row, doc) in read_documents(&out.join(&shard.path), 1024)?.enumerate() {
            match Leaf::kept(&doc?, &shard.path, row as u64).encode() {
                Ok(leaf) => kept.add(&leaf).map_err(io)?,
                Err(_) => unencodable += 1,
            }
        }
    }
    for file in &manifest.ledger {
        for row in read_ledger(&out.join(&file.path), 4096)? {
            let row = row?;
            if row.decision == Decision::Kept {
                continue;
            }
            match Leaf::refused(&row).encode() {
                Ok(leaf) => refused.add(&leaf).map_err(io)?,
                Err(_) => unencodable += 1,
            }
        }
    }
    let (kept, kept_added) = kept.finish(&dir, "kept").map_err(io)?;
    let (refused, refused_added) = refused.finish(&dir, "refused").map_err(io)?;
    Ok(LogHeads {
        kept,
        refused,
        kept_added,
        refused_added,
        unencodable,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::merkle::{verify_consistency, verify_inclusion};
    use crate::shards::{LedgerWriter, ShardWriter};
    use assent_schemas::reason::{ReasonCode, Stage};
    use assent_schemas::{Document, LedgerRow, Source, SourceKind};

    fn source() -> Source {
        Source {
            kind: SourceKind::Crawl,
            file: None,
            record_id: None,
            offset: None,
        }
    }

    fn doc(i: usize) -> Document {
        crate::shards::tests::doc(i, 20 + i)
    }

    /// A corpus of `docs` (one shard per `per_shard`) and `refusals` refused URLs.
    fn corpus(
        out: &Path,
        docs: &[Document],
        per_shard: usize,
        refusals: usize,
        seq: u32,
    ) -> CorpusManifest {
        let mut shards = ShardWriter::new(out, 0, 1, "test").unwrap().first_seq(seq);
        for chunk in docs.chunks(per_shard) {
            shards.write(chunk).unwrap();
        }
        let mut ledger = LedgerWriter::new(out, 0, "test").unwrap().first_seq(seq);
        let mut rows: Vec<LedgerRow> = (0..refusals)
            .map(|i| {
                LedgerRow::left(
                    Some(format!("http://private.demo.test/{i}")),
                    None,
                    source(),
                    Stage::Consent,
                    ReasonCode::RobotsDisallow,
                    serde_json::json!({"robots": "Disallow: /"}),
                )
            })
            .collect();
        // A kept row, which the refused tree leaves out.
        rows.push(LedgerRow::kept(&docs[0], "shards/part-00000-00000.parquet"));
        ledger.write(&rows).unwrap();
        let mut manifest = CorpusManifest::new("test", serde_json::json!({}), "test");
        manifest.shards = shards.finish().unwrap();
        manifest.ledger = ledger.finish().unwrap();
        manifest
    }

    #[test]
    fn a_corpus_log_holds_each_document_and_refusal_once_and_a_new_version_extends_it() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path();
        let docs: Vec<Document> = (0..12).map(doc).collect();
        let first = corpus(out, &docs, 5, 4, 0);
        let heads = append_corpus(out, &first).unwrap();
        assert_eq!((heads.kept.size, heads.refused.size), (12, 4));
        assert_eq!(heads.unencodable, 0);
        // Each kept leaf names its document and place, and its proof verifies.
        let kept = TreeLog::open(&out.join("log"), "kept").unwrap();
        for i in 0..12u64 {
            let bytes = kept.leaf(i).unwrap();
            let leaf = Leaf::parse(&bytes).unwrap();
            assert_eq!(
                leaf.doc_id.as_deref(),
                Some(docs[i as usize].doc_id.as_str())
            );
            assert_eq!(
                leaf.shard.as_deref(),
                Some(first.shards[i as usize / 5].path.as_str())
            );
            assert_eq!(leaf.row, Some(i % 5));
            let path: Vec<Vec<u8>> = kept
                .inclusion(i, 12)
                .unwrap()
                .iter()
                .map(|h| h.to_vec())
                .collect();
            verify_inclusion(&leaf_hash(&bytes), i, 12, &path, &heads.kept.root).unwrap();
        }
        drop(kept);
        // Again: nothing new.
        let again = append_corpus(out, &first).unwrap();
        assert_eq!((again.kept, again.refused), (heads.kept, heads.refused));
        assert_eq!((again.kept_added, again.refused_added), (0, 0));
        let first_leaves: Vec<u64> = (0..12).collect();
        assert_eq!(
            current_leaves(&out.join("log"), "kept").unwrap(),
            first_leaves
        );
        // A later version without document 3, in shards of new names (as a rewrite makes
        // them), and one more refusal: every document has a new place, so a new leaf.
        let fewer: Vec<Document> = docs
            .iter()
            .filter(|d| d.doc_id != docs[3].doc_id)
            .cloned()
            .collect();
        let second = corpus(out, &fewer, 5, 5, 10);
        let later = append_corpus(out, &second).unwrap();
        assert_eq!(
            later.refused_added, 1,
            "the four earlier refusals are held already"
        );
        assert_eq!(later.kept_added, 11);
        assert_eq!(later.kept.size, 23);
        let log = out.join("log");
        let now: Vec<u64> = (12..23).collect();
        assert_eq!(current_leaves(&log, "kept").unwrap(), now);
        assert_eq!(
            current_leaves(&log, "refused").unwrap(),
            vec![0, 1, 2, 3, 4]
        );
        let kept = TreeLog::open(&out.join("log"), "kept").unwrap();
        let proof: Vec<Vec<u8>> = kept
            .consistency(12, later.kept.size)
            .unwrap()
            .iter()
            .map(|h| h.to_vec())
            .collect();
        verify_consistency(
            12,
            later.kept.size,
            &proof,
            &heads.kept.root,
            &later.kept.root,
        )
        .unwrap();
    }
}
