//! Assent: a consent-respecting, provenance-tagged pre-training corpus, and models trained on it.
//!
//! This crate is the only one that knows every stage: it reads the configuration, wires the
//! stages of the member crates together ([`pipeline`]), and offers them as a command line
//! ([`cli`]). The stages themselves live in the member crates:
//! `assent-ingest` (inputs and extraction), `assent-filter` (language and quality),
//! `assent-dedup`, `assent-manifests` (shards, ledger, manifests) and `assent-train`.

pub mod audit_cmd;
pub mod card;
pub mod cli;
pub mod config;
pub mod dedup_cmd;
pub mod demo;
pub mod extract_cmd;
pub mod forget_cmd;
pub mod inputs;
pub mod pipeline;
pub mod provenance_cmd;
pub mod publish;
pub mod stages;
pub mod steps;
pub mod summary;
