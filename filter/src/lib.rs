//! Filters that decide whether a document's text is worth training on.
//!
//! Each is a per-document step ([`assent_schemas::DocStep`]): for now language identification
//! ([`lang`]) and the quality signals ([`quality`]). Quality rules (Gopher, C4, FineWeb), PII
//! redaction and corpus audit statistics join here in later versions.

pub mod lang;
pub mod quality;

pub use lang::{LanguageFilter, LanguageGuess};
pub use quality::QualitySignals;
