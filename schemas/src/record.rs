//! The document record (one shard row) and the ledger record (one decision).

use crate::reason::{Decision, ReasonCode, Stage};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Where a document's bytes came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SourceKind {
    Warc,
    Crawl,
    Parquet,
    Jsonl,
}

impl SourceKind {
    pub const ALL: [SourceKind; 4] = [Self::Warc, Self::Crawl, Self::Parquet, Self::Jsonl];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Warc => "warc",
            Self::Crawl => "crawl",
            Self::Parquet => "parquet",
            Self::Jsonl => "jsonl",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// The provenance of a document or ledger row: which input, and where in it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Source {
    pub kind: SourceKind,
    /// The input file (WARC, Parquet, JSONL), as given on the command line; none for a crawl.
    pub file: Option<String>,
    /// WARC-Record-ID, the `id` column of tabular input, or the crawl's fetch id.
    pub record_id: Option<String>,
    /// Byte offset of the WARC record (of its gzip member, for per-record gzip), or the row or
    /// line number of tabular input.
    pub offset: Option<u64>,
}

/// A licence found on a page. A document's `licence` is the one licence the page is taken to
/// carry (the most restrictive of the highest-precedence source present); every licence found
/// is in its consent evidence, each with its source, tier and snippet.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Licence {
    /// SPDX licence id (`CC-BY-4.0`), or `LicenseRef-…` for a licence SPDX does not list
    /// (`LicenseRef-Unknown` for one the page declares but Assent cannot identify).
    pub spdx: String,
    /// Where it was found: `header`, `link-rel`, `meta`, `json-ld`, `microdata`, `rdfa`,
    /// `rsl`, `a-rel`, `text`.
    pub found_in: String,
    /// The licence URL as the page gave it, where it gave one.
    pub url: Option<String>,
    /// What the page said, at most 200 bytes: the tag, the JSON-LD value, or the sentence.
    #[serde(default)]
    pub snippet: Option<String>,
}

/// A part of consent that could not be checked for a document (DESIGN.md: "where a signal
/// could not be checked, the document says so in its evidence and the manifest counts it").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Unchecked {
    /// Site-level signals: no robots.txt (nor ai.txt, tdmrep.json) was to be had for the
    /// host — none among the archived inputs, and no answer from the host in a live check.
    Site,
    /// Page-level signals: the input holds no response headers or markup (WET text, JSONL,
    /// Parquet).
    Page,
}

impl Unchecked {
    pub const ALL: [Unchecked; 2] = [Self::Site, Self::Page];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Site => "site",
            Self::Page => "page",
        }
    }

    pub fn parse(s: &str) -> Option<Unchecked> {
        Self::ALL.into_iter().find(|u| u.as_str() == s)
    }
}

/// Why a document was allowed in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Consent {
    pub decision: Decision,
    /// Reason codes behind the decision; empty for a page kept with no signal at all.
    pub reasons: Vec<ReasonCode>,
    /// The signals seen (signal, where found, raw value, fetch time, hashes), in order;
    /// stored as a JSON array ([`crate::evidence`]).
    pub evidence: Vec<crate::Signal>,
    /// What could not be checked (empty when everything was): such a document is kept under
    /// `[consent] unchecked = "keep"`, refused under `"refuse"`.
    #[serde(default)]
    pub unchecked: Vec<Unchecked>,
}

impl Default for Consent {
    fn default() -> Self {
        Consent {
            decision: Decision::Kept,
            reasons: Vec::new(),
            evidence: Vec::new(),
            unchecked: Vec::new(),
        }
    }
}

/// Near- and exact-duplicate bookkeeping for a kept document.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dedup {
    /// The cluster of near-duplicates the document belongs to, where clustering ran.
    pub cluster: Option<String>,
    /// How many documents the cluster held when it was decided (the kept one with them).
    #[serde(default)]
    pub cluster_size: Option<u64>,
    /// The doc_id of the kept document this one duplicates (set only in ledgers and audits:
    /// a kept document duplicates nothing).
    pub duplicate_of: Option<String>,
}

/// One kept document: one row of a shard.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Document {
    pub doc_id: String,
    pub url: String,
    pub host: String,
    pub source: Source,
    pub fetched_at: Option<DateTime<Utc>>,
    pub http_status: Option<u16>,
    pub content_type: Option<String>,
    pub text: String,
    pub text_hash: String,
    pub lang: Option<String>,
    pub lang_score: Option<f32>,
    /// The writing system the language identifier saw (`Latin`, `Cyrillic`, `Mandarin`, …).
    #[serde(default)]
    pub script: Option<String>,
    pub licence: Option<Licence>,
    pub consent: Consent,
    /// Quality signals by name (`word_count`, `mean_word_length`, …).
    pub quality: BTreeMap<String, f64>,
    pub dedup: Dedup,
    pub pipeline_version: String,
}

/// The longest URL a ledger row keeps, in bytes; a longer one (a hostile page's link, a
/// malformed record's target) is cut there and ends in `…`.
pub const MAX_LEDGER_URL: usize = 2048;

fn bounded_url(url: String) -> String {
    if url.len() <= MAX_LEDGER_URL {
        return url;
    }
    let mut end = MAX_LEDGER_URL - '…'.len_utf8();
    while !url.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &url[..end])
}

/// One decision about one URL or record. Never holds the page's text.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LedgerRow {
    pub url: Option<String>,
    pub doc_id: Option<String>,
    pub source: Source,
    pub stage: Stage,
    pub decision: Decision,
    pub reasons: Vec<ReasonCode>,
    /// JSON object with whatever backs the decision: offsets, headers, the duplicate's id, …
    pub evidence: String,
    pub recorded_at: DateTime<Utc>,
    /// The words ([`candidate_words`]) of the record's text when it left, where there was a
    /// text: an extracted page that a filter or dedup dropped, or a fetched page that consent
    /// refused (extracted to be counted, its text dropped at once). None where no text was
    /// read (a URL refused before any fetch, a record that failed to decode). The audit's
    /// share of candidate words removed by refusals is built from it.
    pub words: Option<u64>,
}

/// Words as whitespace separates them: the one measure of a text's size that the ledger's
/// `words` column and the audit's consent share use, for kept and removed text alike.
pub fn candidate_words(text: &str) -> u64 {
    let bytes = text.as_bytes();
    // Counted as runs between whitespace, over the bytes (`split_whitespace` decodes every
    // character). Without a byte that can start a non-ASCII whitespace character, every
    // whitespace byte is ASCII, and a branch-free pass over the bytes counts the words.
    // (Folded a block at a time, not `any`, which goes a byte at a time.)
    let lead = |c: &u8| matches!(c, 0xC2 | 0xE1 | 0xE2 | 0xE3);
    if !bytes
        .chunks(256)
        .any(|block| block.iter().fold(false, |seen, c| seen | lead(c)))
    {
        let space = |c: u8| matches!(c, b'\t'..=b'\r' | b' ');
        // A word starts at each byte that is not a space and follows one (or the start).
        let first = bytes.first().map_or(0, |&c| u64::from(!space(c)));
        // Counted in blocks of 255 pairs into a byte, which the compiler keeps in vector
        // lanes (a u64 per pair would take four lanes of eight).
        let (before, after) = (bytes, &bytes[1.min(bytes.len())..]);
        let starts: u64 = before
            .chunks(255)
            .zip(after.chunks(255))
            .map(|(a, b)| {
                let n = a
                    .iter()
                    .zip(b)
                    .fold(0u8, |n, (&a, &b)| n + u8::from(space(a) & !space(b)));
                u64::from(n)
            })
            .sum();
        return first + starts;
    }
    let (mut words, mut in_word, mut i) = (0u64, false, 0usize);
    while i < text.len() {
        let n = whitespace_len(text, i);
        words += u64::from(n == 0 && !in_word);
        in_word = n == 0;
        i += n.max(1);
    }
    words
}

/// The byte length of the whitespace character (`char::is_whitespace`) at byte `i` of `text`,
/// or 0 when there is none there (also inside a multi-byte character). For byte loops that
/// cut text at whitespace without decoding every character: beyond ASCII, whitespace
/// characters start with C2, E1, E2 or E3, and only those are decoded.
pub fn whitespace_len(text: &str, i: usize) -> usize {
    let c = text.as_bytes()[i];
    if c < 0x80 {
        return usize::from(matches!(c, b'\t'..=b'\r' | b' '));
    }
    if !matches!(c, 0xC2 | 0xE1 | 0xE2 | 0xE3) {
        return 0;
    }
    match text[i..].chars().next() {
        Some(ch) if ch.is_whitespace() => ch.len_utf8(),
        _ => 0,
    }
}

impl LedgerRow {
    /// A row for a document that left the pipeline for `reason`; the decision follows the code.
    pub fn left(
        url: Option<String>,
        doc_id: Option<String>,
        source: Source,
        stage: Stage,
        reason: ReasonCode,
        evidence: serde_json::Value,
    ) -> Self {
        LedgerRow {
            url: url.map(bounded_url),
            doc_id,
            source,
            stage,
            decision: reason.decision(),
            reasons: vec![reason],
            evidence: evidence.to_string(),
            recorded_at: Utc::now(),
            words: None,
        }
    }

    /// [`LedgerRow::left`] for a record of the input that left after admission: `evidence` (a
    /// JSON object) is given where the record is, its input file and offset. An empty URL
    /// (a text row without one) is recorded as none.
    pub fn left_in_input(
        url: &str,
        doc_id: &str,
        source: &Source,
        stage: Stage,
        reason: ReasonCode,
        evidence: serde_json::Value,
    ) -> Self {
        let mut evidence = evidence;
        if let serde_json::Value::Object(map) = &mut evidence {
            map.insert("file".into(), source.file.clone().into());
            map.insert("offset".into(), source.offset.into());
        }
        LedgerRow::left(
            (!url.is_empty()).then(|| url.to_string()),
            Some(doc_id.to_string()),
            source.clone(),
            stage,
            reason,
            evidence,
        )
    }

    /// This row with the words of the text the record had when it left.
    pub fn with_words(mut self, words: Option<u64>) -> Self {
        self.words = words;
        self
    }

    /// The row written when a document reaches a shard; it names what of its consent could
    /// not be checked, if anything.
    pub fn kept(doc: &Document, shard: &str) -> Self {
        let mut evidence = serde_json::json!({ "shard": shard, "text_hash": doc.text_hash });
        if !doc.consent.unchecked.is_empty() {
            evidence["consent_unchecked"] = serde_json::json!(doc.consent.unchecked);
        }
        LedgerRow {
            url: Some(doc.url.clone()),
            doc_id: Some(doc.doc_id.clone()),
            source: doc.source.clone(),
            stage: Stage::Output,
            decision: Decision::Kept,
            reasons: Vec::new(),
            evidence: evidence.to_string(),
            recorded_at: Utc::now(),
            words: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::candidate_words;

    #[test]
    fn candidate_words_are_runs_between_whitespace() {
        // Every whitespace character, between words that share their lead bytes (é, —, 、).
        let every: String = (0..=0x3000u32)
            .filter_map(char::from_u32)
            .filter(|c| c.is_whitespace())
            .map(|c| format!("é—{c}a、b{c}{c}"))
            .collect();
        for text in [
            "",
            "  ",
            "one",
            " one  two\tthree\r\nfour ",
            "é und\u{a0}ß",
            "é und ß\nжи́ли  中文",
            "a\u{3000}b c",
            &every,
        ] {
            assert_eq!(
                candidate_words(text),
                text.split_whitespace().count() as u64,
                "{text:?}"
            );
        }
    }
}
