//! WARC files: reading (WARC 1.0 and 1.1, and the 0.18 of ClueWeb09) and writing (WARC 1.1).
//!
//! Web archives are large and often damaged: crawls are cut off, gzip members broken, lengths
//! wrong. So reading is a stream, one record at a time, with memory that stays flat whatever the
//! file size, and a damaged record is reported, with the byte offset where it starts, and
//! reading goes on with the next record. Nothing panics and nothing loops: every error either
//! consumes input or ends the stream.
//!
//! - [`WarcReader`] yields [`WarcRecord`]s or [`WarcError`]s from plain, whole-file gzip or
//!   gzip-per-record files (detected by the gzip magic). A record's offset is the compressed
//!   offset of its gzip member when it starts one (what Common Crawl indexes use to fetch a
//!   record with a range request), and its uncompressed offset otherwise.
//! - [`read_pages`] turns records into [`InputItem`](assent_schemas::page::InputItem)s: pages for the pipeline,
//!   or ledger rows saying why a record did not become one.
//! - [`WarcWriter`] writes WARC 1.1, one gzip member per record, with deterministic record ids
//!   and Common Crawl style digests, so that a run over the same input writes the same bytes.

mod pages;
mod read;
mod rewrite;
mod stream;
#[cfg(test)]
mod tests;
mod write;

pub use pages::{error_item, pages, read_pages, record_item};
pub use read::{open, WarcReader};
pub use rewrite::drop_warc_records;
pub use write::{WarcWriter, WrittenRecord, DEFAULT_GZIP_LEVEL};

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use std::fmt;

/// The largest record block that is read into memory. A larger record is skipped (its bytes
/// are read past, not held) and reported as an error.
pub const MAX_RECORD_BLOCK: u64 = 64 * 1024 * 1024;

/// One WARC record: its header and its block, as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WarcRecord {
    /// Byte offset of the record: of its gzip member when it starts one, else uncompressed.
    pub offset: u64,
    /// The version from the first line, `1.0` or `1.1` (or `0.18`, `0.17`).
    pub version: String,
    /// Named fields in file order, names as written, values trimmed.
    pub fields: Vec<(String, String)>,
    pub block: Vec<u8>,
}

impl WarcRecord {
    /// The first field named `name` (case-insensitive).
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// `WARC-Type`, as written (`response`, `resource`, `conversion`, …).
    pub fn warc_type(&self) -> Option<&str> {
        self.field("WARC-Type")
    }

    /// `WARC-Record-ID`, with its angle brackets (`<urn:uuid:…>`).
    pub fn record_id(&self) -> Option<&str> {
        self.field("WARC-Record-ID")
    }

    /// `WARC-Target-URI`, without the angle brackets some writers (wget) put around it.
    pub fn target_uri(&self) -> Option<&str> {
        self.field("WARC-Target-URI")
            .map(strip_uri_brackets)
            .filter(|u| !u.is_empty())
    }

    /// `WARC-Date`, or `None` if absent or unparseable.
    pub fn date(&self) -> Option<DateTime<Utc>> {
        self.field("WARC-Date").and_then(parse_warc_date)
    }

    pub fn payload_digest(&self) -> Option<&str> {
        self.field("WARC-Payload-Digest")
    }

    /// The record's `Content-Type` (of the block, not of the HTTP payload).
    pub fn content_type(&self) -> Option<&str> {
        self.field("Content-Type").filter(|v| !v.is_empty())
    }

    /// `WARC-Identified-Payload-Type`: the media type the archiver sniffed from the payload.
    pub fn identified_payload_type(&self) -> Option<&str> {
        self.field("WARC-Identified-Payload-Type")
            .filter(|v| !v.is_empty())
    }
}

/// A record (or stretch of input) that could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WarcError {
    /// Where the bad record or stretch starts, counted like [`WarcRecord::offset`].
    pub offset: u64,
    pub message: String,
    /// The record's id, when its header was read before the error.
    pub record_id: Option<String>,
    /// The record's target, when its header was read before the error.
    pub target_uri: Option<String>,
}

impl WarcError {
    pub(crate) fn at(offset: u64, message: impl Into<String>) -> Self {
        WarcError {
            offset,
            message: message.into(),
            record_id: None,
            target_uri: None,
        }
    }
}

impl fmt::Display for WarcError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "WARC record at offset {}: {}", self.offset, self.message)?;
        if let Some(id) = &self.record_id {
            write!(f, " (record {id})")?;
        }
        Ok(())
    }
}

impl std::error::Error for WarcError {}

pub(crate) fn strip_uri_brackets(raw: &str) -> &str {
    let t = raw.trim();
    t.strip_prefix('<')
        .and_then(|s| s.strip_suffix('>'))
        .map_or(t, str::trim)
}

/// Parses a `WARC-Date`: RFC 3339 (`2017-03-06T04:02:06Z`, with optional fractional seconds
/// or a numeric offset), or the lower precisions W3C-DTF allows, read as UTC.
pub fn parse_warc_date(raw: &str) -> Option<DateTime<Utc>> {
    let s = raw.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    let naive = s.strip_suffix('Z').unwrap_or(s);
    for format in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(naive, format) {
            return Some(t.and_utc());
        }
    }
    NaiveDate::parse_from_str(naive, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc())
}

#[cfg(test)]
mod unit_tests {
    use super::*;

    fn record(fields: &[(&str, &str)]) -> WarcRecord {
        WarcRecord {
            offset: 0,
            version: "1.1".into(),
            fields: fields
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect(),
            block: Vec::new(),
        }
    }

    #[test]
    fn fields_are_case_insensitive_and_uris_unbracketed() {
        let r = record(&[
            ("warc-type", "response"),
            ("WARC-Target-URI", " <http://example.com/> "),
            ("WARC-RECORD-ID", "<urn:uuid:1>"),
            ("Content-Type", "application/http; msgtype=response"),
        ]);
        assert_eq!(r.warc_type(), Some("response"));
        assert_eq!(r.field("Warc-Type"), Some("response"));
        assert_eq!(r.target_uri(), Some("http://example.com/"));
        assert_eq!(r.record_id(), Some("<urn:uuid:1>"));
        assert_eq!(r.content_type(), Some("application/http; msgtype=response"));
        assert_eq!(r.date(), None);
        assert_eq!(record(&[("WARC-Target-URI", "<>")]).target_uri(), None);
    }

    #[test]
    fn dates_parse_with_and_without_fractions() {
        let t = parse_warc_date("2017-03-06T04:02:06Z").unwrap();
        assert_eq!(t.to_rfc3339(), "2017-03-06T04:02:06+00:00");
        let t = parse_warc_date("2021-10-01T18:51:25.123456Z").unwrap();
        assert_eq!(t.timestamp_subsec_micros(), 123456);
        let t = parse_warc_date("2008-10-29T05:21:46-07:00").unwrap();
        assert_eq!(t.to_rfc3339(), "2008-10-29T12:21:46+00:00");
        assert!(parse_warc_date("2017-03-06").is_some());
        assert!(parse_warc_date("2017-03-06T04:02:06").is_some());
        // ClueWeb09's impossible day of the year.
        assert_eq!(parse_warc_date("2008-10-294T05:21:46-0700"), None);
        assert_eq!(parse_warc_date(""), None);
    }

    #[test]
    fn error_display_names_offset_and_record() {
        let mut e = WarcError::at(1234, "truncated block");
        assert_eq!(e.to_string(), "WARC record at offset 1234: truncated block");
        e.record_id = Some("<urn:uuid:x>".into());
        assert!(e.to_string().ends_with("(record <urn:uuid:x>)"));
    }
}
