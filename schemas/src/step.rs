//! The contract of a per-document step: a pure function of one document that keeps it
//! (possibly changed: a signal added, text redacted) or turns it into a ledger row with a
//! reason code.
//!
//! Pure means the verdict depends on the document and the step's settings alone, never on
//! other documents or on order, so the pipeline runs a batch's documents through the steps
//! on every core at once. Steps that need to see documents in order, or the whole job
//! (exact dedup, the licence guard, near-duplicate removal), are stream steps, wired by the
//! pipeline itself.
//!
//! A step is a type in the crate that owns its subject, with its settings in a section of
//! the configuration; the pipeline builds the list of steps from `[pipeline] steps`.

use crate::{Document, LedgerRow, ReasonCode, Stage};

pub trait DocStep: Send + Sync {
    /// The name `[pipeline] steps` knows the step by.
    fn name(&self) -> &'static str;
    /// The document, kept, or the ledger row that says why it leaves.
    fn apply(&self, doc: Document) -> Result<Document, Box<LedgerRow>>;
}

impl Document {
    /// The ledger row of this document leaving at `stage` for `reason`: `evidence` (a JSON
    /// object) is given where the record is (input file and offset), never the text.
    pub fn left(&self, stage: Stage, reason: ReasonCode, evidence: serde_json::Value) -> LedgerRow {
        LedgerRow::left_in_input(
            &self.url,
            &self.doc_id,
            &self.source,
            stage,
            reason,
            evidence,
        )
    }
}
