//! Consent evidence as typed values: every [`Signal`] a record's consent decision saw.
//!
//! A document's evidence is a `Vec<Signal>` from the moment the consent checks make it to the
//! moment a writer stores it (the `consent.evidence` column is its JSON array, written once by
//! the column writer, read once by the shard reader). Nothing in between parses or re-serialises
//! it: a refused page's ledger row, a redirect chain, a later pass's carried evidence and the
//! licence guard all work on the values.
//!
//! The JSON form of one signal: `signal`, `found_in`, `raw`, `verdict` (`allow`, `refuse` with
//! a `reason`, or `neutral`), `fetched_at`, `source_sha256`, then the [`Detail`] fields the
//! kind of signal has (a licence finding's `spdx`, `tier`, …), absent where it has none.

use crate::ReasonCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// What one signal says about AI training (or, for robots.txt, about fetching).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "verdict", content = "reason")]
pub enum Verdict {
    /// An explicit yes (e.g. `train-ai=y`, an RSL permit, tdm-reservation 0).
    Allow,
    /// An explicit no, with the reason code that a refusal carries.
    Refuse(ReasonCode),
    /// Present but says nothing about training (e.g. `noindex`, `noimageai` for text).
    Neutral,
}

/// One signal seen, as recorded in a document's or ledger row's evidence.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signal {
    /// Which signal: `robots`, `robots.ai-token`, `aipref.robots`, `aipref.header`,
    /// `content-signal`, `tdmrep.well-known`, `tdmrep.header`, `tdmrep.meta`, `noai.meta`,
    /// `noai.header`, `ai-txt`, `rsl`, `registry`, `licence`, `licence.page`,
    /// `redirect-chain`, `consent.carried`, …
    pub signal: String,
    /// Where it was found: a URL (robots.txt, tdmrep.json, the page) or a header name.
    pub found_in: String,
    /// The raw value (a robots.txt line, a header value, a meta content), at most
    /// [`MAX_RAW`] bytes.
    pub raw: String,
    #[serde(flatten)]
    pub verdict: Verdict,
    /// When the document holding the signal was fetched.
    pub fetched_at: Option<DateTime<Utc>>,
    /// sha256 of the robots.txt (or other site file) the signal came from, so that the
    /// decision can be re-checked later against the same bytes.
    pub source_sha256: Option<String>,
    /// Boxed: most signals have none, and a signal stays small.
    #[serde(flatten)]
    pub detail: Box<Detail>,
}

/// The fields only some kinds of signal have.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Detail {
    /// A licence finding's SPDX id; for `licence.page`, the page's licence (absent: none).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub spdx: Option<String>,
    /// A licence finding's tier: `metadata`, `body`, `text` or `media`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tier: Option<String>,
    /// A licence finding's restrictiveness class.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub restrictiveness: Option<String>,
    /// Whether this licence finding is the page's licence.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chosen: Option<bool>,
    /// A licence finding's licence URL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// A few words of the page around a licence statement or link: never in a refused page's
    /// ledger row ([`without_snippets`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub snippet: Option<String>,
    /// For `licence.page`: the page's licence domain.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
    /// For `licence.page`: how many licence findings the page had.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub findings: Option<u32>,
    /// For `redirect-chain`: every hop, in full (`raw` is capped).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chain: Option<Vec<String>>,
}

/// Longest raw value kept in evidence.
pub const MAX_RAW: usize = 500;

/// The signal that stands for evidence another tool wrote which does not read as signals.
pub const UNREADABLE_SIGNAL: &str = "consent.evidence-unreadable";

impl Signal {
    pub fn new(signal: &str, found_in: &str, raw: &str, verdict: Verdict) -> Self {
        Signal {
            signal: signal.to_string(),
            found_in: found_in.to_string(),
            raw: capped(raw).to_string(),
            verdict,
            fetched_at: None,
            source_sha256: None,
            detail: Box::default(),
        }
    }

    pub fn fetched(mut self, at: Option<DateTime<Utc>>, sha256: Option<String>) -> Self {
        self.fetched_at = at;
        self.source_sha256 = sha256;
        self
    }

    pub fn with_detail(mut self, detail: Detail) -> Self {
        self.detail = Box::new(detail);
        self
    }

    /// This signal without its snippet: where `raw` repeats the snippet, `raw` becomes the
    /// licence URL, else the SPDX id.
    pub fn without_snippet(&self) -> Signal {
        let mut s = self.clone();
        if let Some(snippet) = s.detail.snippet.take() {
            if s.raw == snippet {
                s.raw = s
                    .detail
                    .url
                    .clone()
                    .or_else(|| s.detail.spdx.clone())
                    .unwrap_or_default();
            }
        }
        s
    }
}

/// `raw` cut to at most [`MAX_RAW`] bytes, on a character boundary.
fn capped(raw: &str) -> &str {
    let mut end = raw.len().min(MAX_RAW);
    while !raw.is_char_boundary(end) {
        end -= 1;
    }
    &raw[..end]
}

/// Evidence fit for a refused page's ledger row: every snippet (a few words of the page's own
/// text) taken out, because no part of a refused page's text may be written anywhere. What each
/// finding was, where it was found and its URL stay.
pub fn without_snippets(signals: &[Signal]) -> Vec<Signal> {
    signals.iter().map(Signal::without_snippet).collect()
}

/// The JSON array of a `consent.evidence` column or field, as signals. Evidence that does not
/// read as signals (another tool's) becomes one neutral [`UNREADABLE_SIGNAL`] holding its
/// first [`MAX_RAW`] bytes: it is neither lost without trace nor taken for signals.
pub fn evidence_from_json(json: &str) -> Vec<Signal> {
    serde_json::from_str(json).unwrap_or_else(|_| {
        vec![Signal::new(
            UNREADABLE_SIGNAL,
            "consent.evidence",
            json,
            Verdict::Neutral,
        )]
    })
}

/// The JSON array of `signals`, as the `consent.evidence` column stores it.
pub fn evidence_to_json(signals: &[Signal]) -> String {
    serde_json::to_string(signals).expect("signals serialise")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_json_form_is_flat_and_round_trips() {
        let refusal = Signal::new(
            "robots",
            "http://a.example/robots.txt",
            "Disallow: /",
            Verdict::Refuse(ReasonCode::RobotsDisallow),
        );
        let licence = Signal::new(
            "licence",
            "link-rel",
            "<link rel=license>",
            Verdict::Neutral,
        )
        .with_detail(Detail {
            spdx: Some("CC-BY-4.0".into()),
            snippet: Some("<link rel=license>".into()),
            chosen: Some(true),
            ..Detail::default()
        });
        let json = evidence_to_json(&[refusal.clone(), licence.clone()]);
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(v[0]["verdict"], "refuse");
        assert_eq!(v[0]["reason"], "robots.disallow");
        assert!(v[0].get("spdx").is_none(), "no empty detail fields");
        assert_eq!(v[1]["spdx"], "CC-BY-4.0");
        assert_eq!(v[1]["chosen"], true);
        assert_eq!(evidence_from_json(&json), vec![refusal, licence.clone()]);
        // Without its snippet, a finding whose raw value was the snippet shows its id.
        let bare = licence.without_snippet();
        assert_eq!(
            (bare.raw.as_str(), bare.detail.snippet),
            ("CC-BY-4.0", None)
        );
    }

    #[test]
    fn raw_values_are_capped_and_foreign_evidence_is_marked() {
        let long = "é".repeat(400);
        let s = Signal::new("x", "y", &long, Verdict::Neutral);
        assert!(s.raw.len() <= MAX_RAW && long.starts_with(&s.raw));
        let foreign = evidence_from_json(r#"{"tool": "other", "ok": true}"#);
        assert_eq!(foreign.len(), 1);
        assert_eq!(foreign[0].signal, UNREADABLE_SIGNAL);
        assert!(foreign[0].raw.contains("\"tool\""));
        assert_eq!(foreign[0].verdict, Verdict::Neutral);
    }
}
