//! Everything that brings pages into Assent and turns them into text.
//!
//! - [`warc`]: reading WARC 1.0/1.1 files (plain, whole-file gzip, gzip per record) record by
//!   record, and writing WARC 1.1 files; a malformed record is reported with its byte offset and
//!   reading goes on with the next one.
//! - [`http`]: parsing the HTTP response stored in a WARC record (status, headers, chunked and
//!   compressed bodies).
//! - [`charset`]: decoding a body to text from the header, the `<meta>` charset, a byte-order
//!   mark, or detection.
//! - [`tabular`]: Parquet and JSONL files with a `text` column, so that text curated by other
//!   tools can enter at the filter stage.
//! - [`extract`]: HTML to text.
//! - [`consent`]: robots.txt and every AI-training opt-out signal, combined into a decision.
//! - [`archive`]: robots.txt, ai.txt, tdmrep.json and RSL captures found in WARC inputs, so
//!   that archived pages are judged by what their sites said.
//! - [`crawl`]: a polite, consent-aware crawler whose pages enter the same pipeline.
//!
//! Readers yield [`InputItem`]s: a [`Page`] to process, or a ledger row for a record that could
//! not become one. Nothing is dropped without a row.

pub mod archive;
pub mod charset;
pub mod consent;
pub mod crawl;
pub mod extract;
pub mod http;
pub mod page;
pub mod tabular;
pub mod warc;

pub use page::{InputItem, Page, Payload};
