//! The records that every Assent stage passes along and every output file stores.
//!
//! Two records matter:
//! - [`Document`]: one kept page, with everything needed to say where it came from, why it was
//!   allowed in, and what the pipeline measured about it. One row of a shard.
//! - [`LedgerRow`]: one decision about one URL or archive record, kept or not. The ledger never
//!   carries a page's text, so refusing a page leaves no copy of it behind.
//!
//! Why something left the pipeline is always a [`ReasonCode`]: a closed enum with stable dotted
//! names, so that counts in manifests and queries over ledgers mean the same thing across runs.
//!
//! [`columns`] turns both records into Arrow record batches (and back) with the schemas that
//! the Parquet writers use; [`SCHEMA_VERSION`] goes into every file's key-value metadata.

#[cfg(feature = "columns")]
pub mod columns;
pub mod digest;
pub mod evidence;
pub mod ids;
pub mod leaf;
pub mod licence_audit;
pub mod media;
pub mod page;
pub mod reason;
pub mod record;
pub mod step;
pub mod stream;

#[cfg(feature = "columns")]
pub use columns::{
    document_schema, documents_from_batch, documents_to_batch, ledger_from_batch, ledger_schema,
    ledger_to_batch, provenance_from_batch, strings_of, ColumnsError, Provenance,
    PROVENANCE_COLUMNS, SCHEMA_VERSION, SCHEMA_VERSION_KEY,
};
pub use evidence::{Signal, Verdict};
pub use ids::{canonical_url, doc_id, host_of, normalise_text, text_hash, PageUrl};
pub use reason::{Decision, ReasonCode, Stage};
pub use record::{
    candidate_words, whitespace_len, Consent, Dedup, Document, LedgerRow, Licence, Source,
    SourceKind, Unchecked, MAX_LEDGER_URL,
};
pub use step::DocStep;
pub use stream::{Dropped, Flow, JobEnd, RankContext, StreamStep};
