//! Duplicate removal.
//!
//! For now: exact dedup on the normalised-text hash ([`ExactDedup`]). URL dedup and
//! MinHash-LSH near-duplicate removal, in stages that can run across machines, join later.

pub mod exact;

pub use exact::{ExactDedup, FirstSeen};
