//! Consent: every machine-readable signal a site or page gives about fetching and AI training,
//! parsed to its own specification, recorded as evidence, and combined into one decision.
//!
//! The order (DESIGN.md): may we fetch (robots.txt for our own token)? may we train (any
//! explicit "no" wins: AI-crawler tokens in robots.txt, IETF aipref Content-Usage, Content-Signal,
//! TDMRep, noai, ai.txt, RSL, the opt-out registry)? then the licence, which never overrides a
//! refusal; under policy `open-licence-only` a page needs an allowed licence.
//!
//! Each parser turns what it read into [`Signal`]s; [`decision::decide`] combines them. Site-level
//! signals (robots.txt, ai.txt, tdmrep.json, RSL documents, the registry) are known before a page
//! is requested, so a page they refuse is never fetched; page-level signals (headers, meta tags)
//! refuse a fetched page, whose body is then discarded.

pub mod ai_tokens;
pub mod aipref;
pub mod aitxt;
pub mod decision;
pub mod licence;
pub mod noai;
pub mod page;
pub mod paths;
pub mod registry;
pub mod robots;
pub mod rsl;
pub mod site;
pub mod tags;
pub mod tdmrep;

use assent_schemas::ReasonCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// What one signal says about AI training (or, for robots.txt, about fetching).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
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
    /// `noai.header`, `ai-txt`, `rsl`, `registry`, `licence`.
    pub signal: String,
    /// Where it was found: a URL (robots.txt, tdmrep.json, the page) or a header name.
    pub found_in: String,
    /// The raw value (a robots.txt line, a header value, a meta content), trimmed to 500 bytes.
    pub raw: String,
    #[serde(flatten)]
    pub verdict: Verdict,
    /// When the document holding the signal was fetched.
    pub fetched_at: Option<DateTime<Utc>>,
    /// sha256 of the robots.txt (or other site file) the signal came from, so that the
    /// decision can be re-checked later against the same bytes.
    pub source_sha256: Option<String>,
}

/// Longest raw value kept in evidence.
pub const MAX_RAW: usize = 500;

impl Signal {
    pub fn new(signal: &str, found_in: &str, raw: &str, verdict: Verdict) -> Self {
        let mut end = raw.len().min(MAX_RAW);
        while !raw.is_char_boundary(end) {
            end -= 1;
        }
        Signal {
            signal: signal.to_string(),
            found_in: found_in.to_string(),
            raw: raw[..end].to_string(),
            verdict,
            fetched_at: None,
            source_sha256: None,
        }
    }

    pub fn fetched(mut self, at: Option<DateTime<Utc>>, sha256: Option<String>) -> Self {
        self.fetched_at = at;
        self.source_sha256 = sha256;
        self
    }
}

/// Which pages are kept when no signal refuses them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Policy {
    /// Keep pages with no signal (the default).
    #[default]
    OptOut,
    /// Keep only pages under an allowed licence.
    OpenLicenceOnly,
}
