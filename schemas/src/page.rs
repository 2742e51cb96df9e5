//! What the readers hand to the pipeline.

use crate::{Consent, Document, LedgerRow, Licence, Source};
use chrono::{DateTime, Utc};

/// The content of a page before extraction.
#[derive(Clone, Debug, PartialEq)]
pub enum Payload {
    /// An HTML (or XHTML) body as received, after transfer and content decoding, its charset
    /// not yet decoded (admission's first step does it, on every core), or not text at all.
    Html(Vec<u8>),
    /// A `text/plain` body as received, charset not yet decoded (or not text at all).
    PlainText(Vec<u8>),
    /// Text that needs neither decoding nor extraction: a WET conversion record, or the `text`
    /// column of tabular input.
    Text(String),
    /// An HTML or `text/plain` body decoded from its charset. Admission decodes a body once,
    /// first, and every later reader (the consent and licence checks, extraction) takes this
    /// text; a body that is not text stays as bytes, for extraction to refuse.
    Decoded(DecodedBody),
}

/// A body decoded from its charset ([`Payload::Decoded`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecodedBody {
    pub text: String,
    /// HTML (else `text/plain`).
    pub html: bool,
    /// The encoding it was decoded with (`encoding_rs` name: `UTF-8`, `windows-1252`, …).
    pub encoding: &'static str,
    /// Where that encoding was found (`bom`, `header`, `meta`, `detected`, `default`).
    pub charset_found_in: &'static str,
}

impl Payload {
    /// Bytes it holds, near enough for batching.
    pub fn len(&self) -> usize {
        match self {
            Payload::Html(b) | Payload::PlainText(b) => b.len(),
            Payload::Text(t) => t.len(),
            Payload::Decoded(d) => d.text.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// One page or text record read from an input, ready for extraction and filtering.
#[derive(Clone, Debug, PartialEq)]
pub struct Page {
    /// The URL as the input gave it (WARC-Target-URI, `url` column, fetched URL); may be empty
    /// for tabular input without a `url` column.
    pub url: String,
    pub source: Source,
    pub fetched_at: Option<DateTime<Utc>>,
    pub http_status: Option<u16>,
    /// The declared media type with its parameters (`text/html; charset=iso-8859-1`).
    pub content_type: Option<String>,
    /// HTTP response headers, names lower-cased, in order (empty for non-HTTP records).
    pub headers: Vec<(String, String)>,
    pub payload: Payload,
    /// The consent decision and its evidence, where the input carried signals (a crawl);
    /// `None` for archives and tabular input, which are kept under the default policy.
    pub consent: Option<Consent>,
    /// A licence found before extraction (by the crawler's consent check).
    pub licence: Option<Licence>,
    /// Consent evidence the input carried for a text record (a `consent` column or field,
    /// such as an Assent shard's): what an earlier pass decided about the page, read where
    /// this input holds no headers or markup to judge it by.
    pub carried_consent: Option<Box<Consent>>,
}

/// What a reader yields for each record of its input.
#[derive(Clone, Debug, PartialEq)]
pub enum InputItem {
    Page(Page),
    /// A record that did not become a page (malformed, not content, wrong status or type), with
    /// the reason and evidence already in ledger form.
    Skipped(LedgerRow),
    /// A page the crawler fetched and consent refused: its row, and what the licence audit
    /// counts of it — the URL its licences were read at and the page licence found there.
    RefusedPage {
        row: LedgerRow,
        licence_url: String,
        spdx: Option<String>,
    },
    /// A document of an Assent corpus read back (`curate --shards`), with every column: its
    /// consent is judged again with what this run can check, on top of what the earlier pass
    /// recorded, and its text is not extracted again.
    Document(Box<Document>),
}
