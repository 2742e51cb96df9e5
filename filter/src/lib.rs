//! Filters that decide whether a document's text is worth training on.
//!
//! Each is a per-document step ([`assent_schemas::DocStep`]): language identification
//! ([`lang`]), the basic counts ([`quality`]), and FineWeb's quality rules in FineWeb's order:
//! [`gopher`] repetition and quality, [`c4`], [`fineweb`]. The rules follow datatrove 0.10.1,
//! FineWeb's reference implementation, measure for measure; their words and sentences are cut
//! as its spaCy tokenizer cuts them ([`words`]). Every measure goes into the document's
//! `quality` column; a document that fails a rule leaves with that rule's reason code, the
//! measure and the threshold as evidence. Then [`pii`] redaction, and the corpus [`audit`]
//! (with its page, [`audit_page`]) that every finished curation ends with.

pub mod audit;
pub mod audit_page;
pub mod c4;
pub mod fineweb;
pub mod gopher;
pub mod lang;
mod ngrams;
pub mod pii;
mod punctuation;
pub mod quality;
pub mod text;
pub mod words;

pub use c4::{C4Config, C4Quality};
pub use fineweb::{FinewebConfig, FinewebQuality};
pub use gopher::{
    GopherQuality, GopherRepetition, QualityConfig as GopherQualityConfig, RepetitionConfig,
};
pub use lang::{LanguageFilter, LanguageGuess};
pub use pii::PiiRedaction;
pub use quality::QualitySignals;

use assent_schemas::{Document, LedgerRow, ReasonCode};
use serde::{Deserialize, Serialize};

/// `[quality]`: the thresholds of every quality rule, FineWeb's by default.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RulesConfig {
    pub gopher_repetition: RepetitionConfig,
    pub gopher_quality: GopherQualityConfig,
    pub c4: C4Config,
    pub fineweb: FinewebConfig,
}

/// Why a rule drops a document: its code, and the measure against the threshold.
#[derive(Clone, Debug, PartialEq)]
pub struct Verdict {
    pub code: ReasonCode,
    pub measure: &'static str,
    pub value: Option<f64>,
    pub threshold: Option<f64>,
    /// Whether the value was above (else below) the threshold.
    pub above: bool,
}

impl Verdict {
    pub fn above(measure: &'static str, value: f64, threshold: f64, code: ReasonCode) -> Self {
        Verdict {
            code,
            measure,
            value: Some(value),
            threshold: Some(threshold),
            above: true,
        }
    }

    pub fn below(measure: &'static str, value: f64, threshold: f64, code: ReasonCode) -> Self {
        Verdict {
            code,
            measure,
            value: Some(value),
            threshold: Some(threshold),
            above: false,
        }
    }

    /// A rule that holds or not, without a measure (a phrase found).
    pub fn flag(measure: &'static str, code: ReasonCode) -> Self {
        Verdict {
            code,
            measure,
            value: None,
            threshold: None,
            above: true,
        }
    }
}

/// Records `measures` in the document's `quality` column; with a verdict, the document leaves
/// with its row instead (the measure and threshold as evidence, never the text).
pub(crate) fn record<'a>(
    mut doc: Document,
    measures: impl IntoIterator<Item = (&'a str, f64)>,
    verdict: Option<Verdict>,
) -> Result<Document, Box<LedgerRow>> {
    for (name, value) in measures {
        doc.quality.insert(name.to_string(), value);
    }
    match verdict {
        None => Ok(doc),
        Some(v) => {
            let evidence = serde_json::json!({
                "measure": v.measure,
                "value": v.value,
                "threshold": v.threshold,
                "rule": if v.above { "at most" } else { "at least" },
            });
            Err(Box::new(doc.left(gopher::STAGE, v.code, evidence)))
        }
    }
}

/// The row of a document with no text left to judge.
pub(crate) fn empty(doc: &Document) -> LedgerRow {
    doc.left(
        gopher::STAGE,
        ReasonCode::QualityEmpty,
        serde_json::json!({}),
    )
}
