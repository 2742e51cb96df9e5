//! What a curation run leaves behind for people who train on it and people who audit it.
//!
//! - [`parquet_out`]: Parquet files written atomically and rolled at a size, shared by the
//!   shard writer and the ledger writer.
//! - [`shards`]: [`ShardWriter`] for documents and [`LedgerWriter`] for decisions.
//! - [`manifest`]: `OUT/manifest.json` — configuration, versions, inputs with their sha256,
//!   counts by stage and reason, every output file with its sha256 and row count, and the
//!   [`licence_audit`]: licence shares by domain, and the [`consent_summary`]: how consent was
//!   checked and how many kept documents could not be checked wholly.
//!
//! - [`log`], [`tree_log`], [`merkle`]: the provenance log, two append-only RFC 6962 trees
//!   (`kept`, `refused`) of `assent-leaf/1` leaves under `OUT/log/`; [`checkpoint`] and
//!   [`signed_log`]: their C2SP checkpoints, signed with Ed25519, recorded in the manifest.

pub mod checkpoint;
pub mod consent_summary;
pub mod log;
pub mod manifest;
pub mod merkle;
pub mod parquet_out;
pub mod shards;
pub mod signed_log;
pub mod tree_log;

pub use assent_schemas::digest::sha256_file;
pub use assent_schemas::licence_audit::{self, DomainLicences, LicenceAudit, LicenceShare};
pub use consent_summary::ConsentSummary;
pub use manifest::{write_atomically, CorpusManifest, Counts, InputFile, ManifestError};
pub use parquet_out::{OutputError, OutputFile, RollingParquetWriter};
pub use shards::{
    part_numbers, read_documents, read_ledger, read_provenance, rewrite_shard, LedgerWriter,
    ShardEdit, ShardWriter,
};
