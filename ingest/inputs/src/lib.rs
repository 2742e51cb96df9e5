//! What brings archived and tabular records into Assent.
//!
//! - [`warc`]: reading WARC 1.0/1.1 files (plain, whole-file gzip, gzip per record) record by
//!   record, and writing WARC 1.1 files; a malformed record is reported with its byte offset and
//!   reading goes on with the next one.
//! - [`http`]: parsing the HTTP response stored in a WARC record (status, headers, chunked and
//!   compressed bodies), and the content codings the crawler decodes too.
//! - [`tabular`]: Parquet and JSONL files with a `text` column, so that text curated by other
//!   tools can enter at the filter stage.
//! - [`archive`]: robots.txt, ai.txt, tdmrep.json and RSL captures found in WARC inputs, so
//!   that archived pages are judged by what their sites said;
//! - [`file_consent`]: the consent and licence of pages this run did not crawl, by the same
//!   rules as a crawl's.
//!
//! Readers yield [`InputItem`](assent_schemas::page::InputItem)s: a page to process, or a
//! ledger row for a record that could not become one. Nothing is dropped without a row.

pub mod archive;
pub mod file_consent;
pub mod http;
pub mod tabular;
pub mod warc;
