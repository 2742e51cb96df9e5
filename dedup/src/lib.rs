//! Duplicate removal.
//!
//! For now: exact dedup on the normalised-text hash ([`ExactDedup`]) within a process, and
//! across the ranks of a job through partitioned claim files ([`partitioned`]), which the
//! pipeline's `exact-dedup` stream step ([`ExactDedupStep`]) wires together. MinHash LSH
//! ([`minhash`]: signatures, bands, confirmation, union-find) in a first, in-memory version,
//! measured against the near-duplicates of [`neardup_gen`] (`tests/accuracy.rs`, and
//! `examples/bench_neardup.rs`, which prints precision and recall at 0.7, 0.8 and 0.9 and the
//! candidate rate beside the S-curve); its stages across ranks and its step in `curate`, and
//! URL dedup, come next.

pub mod exact;
pub mod minhash;
pub mod near;
pub mod neardup_gen;
pub mod partitioned;
pub mod step;

pub use exact::{ExactDedup, FirstSeen};
pub use step::ExactDedupStep;
