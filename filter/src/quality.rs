//! The `quality-signals` step: measures every document needs for the quality rules, recorded
//! in its `quality` column so that users can filter again without running the pipeline again.
//!
//! For now: characters, words and non-blank lines. The Gopher, C4 and FineWeb rules join here.

use assent_schemas::{DocStep, Document, LedgerRow};

/// Records the signals; drops nothing.
#[derive(Clone, Debug, Default)]
pub struct QualitySignals;

impl DocStep for QualitySignals {
    fn name(&self) -> &'static str {
        "quality-signals"
    }

    fn apply(&self, mut doc: Document) -> Result<Document, Box<LedgerRow>> {
        let text = &doc.text;
        let words = text.split_whitespace().count() as f64;
        let chars = text.chars().count() as f64;
        let lines = text.lines().filter(|l| !l.trim().is_empty()).count() as f64;
        doc.quality.insert("chars".into(), chars);
        doc.quality.insert("words".into(), words);
        doc.quality.insert("lines".into(), lines);
        Ok(doc)
    }
}
