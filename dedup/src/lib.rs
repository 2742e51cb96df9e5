//! Duplicate removal.
//!
//! - URL dedup (the earliest fetch of a URL wins) and exact dedup on the normalised-text hash
//!   ([`ExactDedup`] within a rank), across the ranks of a job through partitioned claim
//!   files ([`partitioned`]) sorted outside memory past a budget: the pipeline's
//!   `url-dedup` and `exact-dedup` stream steps ([`DedupStep`]).
//! - Near-duplicates by MinHash LSH: the arithmetic in [`minhash`], the stages that split it
//!   across processes through files in [`near`], and the pipeline's `near-dedup` stream step
//!   ([`NearDedupStep`]). Measured against the near-duplicates of [`neardup_gen`]
//!   (`tests/accuracy.rs`, and `examples/bench_neardup.rs`, which prints precision and recall
//!   at 0.7, 0.8 and 0.9 and the candidate rate beside the S-curve).

pub mod exact;
pub mod minhash;
pub mod near;
pub mod near_step;
pub mod neardup_gen;
pub mod partitioned;
pub mod step;

pub use exact::{ExactDedup, FirstSeen};
pub use near_step::NearDedupStep;
pub use step::{DedupStep, Key};
