//! Everything that brings pages into Assent and turns them into text, under one name. Each part
//! is a crate of its own in `ingest/`, so that what needs only one part depends on it alone
//! (the opt-out service needs consent, with no network and no Parquet):
//!
//! - [`consent`] (`assent-consent`): robots.txt and every AI-training opt-out signal and
//!   licence, combined into a decision, as pure functions;
//! - [`extract`] and [`charset`] (`assent-extract`): decoding a body to text, and HTML to text;
//! - [`warc`], [`http`], [`tabular`], [`archive`], [`file_consent`] (`assent-inputs`): WARC,
//!   HTTP payloads, JSONL and Parquet text, the site files of archives, and the consent of
//!   pages this run did not crawl;
//! - [`crawl`] (`assent-crawl`): a polite, consent-aware crawler whose pages enter the same
//!   pipeline.
//!
//! Readers yield [`InputItem`]s: a [`Page`] to process, a document of an Assent corpus, or a
//! ledger row for a record that could not become one. Nothing is dropped without a row.

pub use assent_consent as consent;
pub use assent_crawl as crawl;
pub use assent_extract as extract;
pub use assent_extract::charset;
pub use assent_inputs::{archive, file_consent, http, tabular, warc};
pub use assent_schemas::page::{self, InputItem, Page, Payload};
