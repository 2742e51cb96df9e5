//! Near-duplicate removal in four stages that chain through files, none of which holds the
//! corpus (the shape of datatrove's MinHash pipeline, with the clustering split too).
//!
//! 1. **signatures** ([`SignatureWriter`], one per rank or input shard): each document's
//!    MinHash signature goes to `sig-RANK.bin` (fixed-size records, so any one can be read
//!    back by its position), what the later stages need of the document to `docs-RANK.jsonl`,
//!    and its band hashes to sorted runs, one set per band, spilled whenever the buffer passes
//!    the memory budget.
//! 2. **buckets** ([`run_buckets`], one task per group of bands): every run of a band is
//!    merged; documents that share the band's hash are candidates, and each is confirmed
//!    against the ones before it in the bucket by the estimated Jaccard similarity of their
//!    signatures (read back from the signature files). Confirmed pairs are written as edges.
//! 3. **clusters** ([`run_clusters`]): each band's edges are reduced to stars (a node and
//!    its set's root) by a union-find that starts again whenever it fills its budget; once
//!    every band's are there, the part that finishes last finds the connected components of
//!    all the stars on disk (large-star / small-star rounds, each a sort within the budget:
//!    `components.rs`), joins each member with its document line, and writes
//!    `clusters.jsonl`, each cluster with what the keep rule needs of its members.
//! 4. **filter**: the caller applies [`Cluster::decide`] to each cluster and takes out every
//!    member but the one kept (the pipeline's job end, or `assent dedup`).
//!
//! A document is named between stages by its key, `rank << 32 | seq`. Inside a bucket the
//! documents are ordered by the xxh3 of their doc_id, not by key, so that the edges found, and
//! so the clusters, are the same whatever the number of ranks that made the signatures.
//!
//! Each part leaves a completion marker (`*.done`), written last; a relaunch skips the parts
//! that have one, and a part run again first removes what an interrupted run of it left.
//!
//! Memory: signatures, the budget of band records (`spill_bytes`); buckets, one buffered
//! reader per run and one bucket's members; clusters, the same budget for each sort, and the
//! largest cluster. None grows with the corpus or with its number of near-duplicates.

mod buckets;
mod clusters;
mod components;
mod files;
mod signatures;
mod sort;

pub use buckets::{run_buckets, BucketStats};
pub use clusters::{
    count_clusters, for_each_cluster, read_clusters, run_clusters, Cluster, Decided, Member,
};
pub use files::Layout;
pub use signatures::{SignatureCounts, SignatureWriter};

use crate::minhash::MinHashConfig;
use assent_schemas::{Source, Unchecked};
use serde::{Deserialize, Serialize};

/// How near-duplicates are found and how much memory the signature stage may hold.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NearConfig {
    pub minhash: MinHashConfig,
    /// Bytes of band records a signature writer holds before it spills a sorted run.
    pub spill_bytes: usize,
    /// How many earlier members of a bucket a document is compared with before the bucket
    /// gives up on it (it may still meet its near-duplicate in another band).
    pub max_comparisons: usize,
}

impl Default for NearConfig {
    fn default() -> Self {
        NearConfig {
            minhash: MinHashConfig::default(),
            spill_bytes: 64 << 20,
            max_comparisons: 16,
        }
    }
}

/// What the stages carry of a document: the keep rule's inputs, and what its ledger row
/// needs if it is taken out.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NearDoc {
    pub doc_id: String,
    /// Milliseconds since the Unix epoch.
    pub fetched_at: Option<i64>,
    /// The text's length in bytes.
    pub len: u64,
    pub url: String,
    pub source: Source,
    /// The shard it was written to; None while another step holds it.
    pub shard: Option<String>,
    #[serde(default)]
    pub unchecked: Vec<Unchecked>,
    /// Its text's words, for the ledger row.
    pub words: u64,
}

impl NearDoc {
    /// The keep rule: lower is kept. The earliest fetch (a document with no fetch time comes
    /// after every one that has one), then the longest text, then the smallest doc_id.
    pub fn keep_order(&self) -> (bool, i64, std::cmp::Reverse<u64>, &str) {
        (
            self.fetched_at.is_none(),
            self.fetched_at.unwrap_or(0),
            std::cmp::Reverse(self.len),
            &self.doc_id,
        )
    }
}

/// The key of document `seq` of `rank`.
pub fn key(rank: u32, seq: u32) -> u64 {
    (u64::from(rank) << 32) | u64::from(seq)
}

/// The rank and seq of a key.
pub fn unkey(key: u64) -> (u32, u32) {
    ((key >> 32) as u32, key as u32)
}

/// Every stage a job has not finished yet, in one process: buckets and clusters for all
/// bands. The signatures must be there (every rank's).
pub fn run_remaining(dir: &std::path::Path) -> std::io::Result<()> {
    run_buckets(dir, 0, 1)?;
    run_clusters(dir, 0, 1)?;
    Ok(())
}

#[cfg(test)]
mod tests;
