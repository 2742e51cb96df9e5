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
pub mod markup;
pub mod noai;
pub mod page;
pub mod paths;
pub mod registry;
pub mod robots;
pub mod rsl;
pub mod site;
pub mod tags;
pub mod tdmrep;

use serde::{Deserialize, Serialize};

/// The signals are typed values of `assent-schemas`, which every record carries.
pub use assent_schemas::evidence::{Detail, Signal, Verdict, MAX_RAW};

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
