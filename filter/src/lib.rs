//! Filters that decide whether a document's text is worth training on.
//!
//! For now: language identification ([`lang`]). Quality rules (Gopher, C4, FineWeb), PII
//! redaction and corpus audit statistics join here in later versions.

pub mod lang;

pub use lang::{LanguageFilter, LanguageGuess};
