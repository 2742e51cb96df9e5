//! Duplicate removal.
//!
//! For now: exact dedup on the normalised-text hash ([`ExactDedup`]) within a process, and
//! across the ranks of a job through partitioned claim files ([`partitioned`]), which the
//! pipeline's `exact-dedup` stream step ([`ExactDedupStep`]) wires together. URL dedup and
//! MinHash-LSH near-duplicate removal join later.

pub mod exact;
pub mod partitioned;
pub mod step;

pub use exact::{ExactDedup, FirstSeen};
pub use step::ExactDedupStep;
