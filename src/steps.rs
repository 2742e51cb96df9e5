//! The steps of a curation run, built from `[pipeline] steps`.
//!
//! Every record first passes admission ([`crate::stages`]: decode, consent and licence,
//! extract), which no configuration removes or reorders. Then come the configured steps, of
//! two kinds:
//!
//! - per-document steps ([`DocStep`], defined in `assent-schemas` so that any crate can
//!   provide one): pure functions of one document, run on every core;
//! - stream steps ([`StreamStep`], defined in `assent-schemas` too): they see the documents
//!   in input order, may keep state, and may need every rank's partial state before
//!   deciding. A rank's step decides what it can alone, can hold a document for the job's
//!   end, and leaves its partial state in `OUT/exchange/`; at the job's end
//!   ([`crate::pipeline::finalise`]) each decides the rest through a [`JobEnd`], in the
//!   list's order. The licence guard lives in `assent-consent`, exact and near dedup in
//!   `assent-dedup`.
//!
//! The pipeline knows no concrete step: [`build`] is the one place where the names of the
//! configuration meet the types. The default list is every step, in [`KNOWN_STEPS`]'s order:
//! language, FineWeb's quality rules in FineWeb's order, PII redaction (after the rules, so
//! that they judge the text as written), the quality signals, then the stream steps. The
//! licence guard comes before exact dedup, so that a document the guard refuses at the job's
//! end cannot have cost a duplicate of it its place; URL dedup, then exact dedup, then near
//! dedup, each deciding among what the ones before it left.

use crate::config::Config;
use assent_ingest::consent::licence::guard::LicenceGuard;
use assent_ingest::consent::Policy;
use assent_schemas::DocStep;
use std::collections::HashSet;

pub use assent_schemas::stream::{Flow, JobEnd, RankContext, StreamStep};

/// The default `[pipeline] steps`: every step (see the module docs).
pub const DEFAULT_STEPS: [&str; 11] = KNOWN_STEPS;

/// Every step there is: the per-document ones, then the stream ones.
pub const KNOWN_STEPS: [&str; 11] = [
    "language",
    "gopher-repetition",
    "gopher-quality",
    "c4-quality",
    "fineweb-quality",
    "pii",
    "quality-signals",
    "licence-guard",
    "url-dedup",
    "exact-dedup",
    "near-dedup",
];

/// Whether `name` is a stream step (it needs the whole job, not one document).
pub fn is_stream_step(name: &str) -> bool {
    matches!(
        name,
        "licence-guard" | "url-dedup" | "exact-dedup" | "near-dedup"
    )
}

/// A run's steps: the per-document ones, then the stream ones.
pub type Steps = (Vec<Box<dyn DocStep>>, Vec<Box<dyn StreamStep>>);

/// The steps `config` lists: the per-document ones, then the stream ones. `rank` is given
/// for a rank's run (its stream steps write partial state) and absent at the job's end.
pub fn build(config: &Config, rank: Option<RankContext<'_>>) -> anyhow::Result<Steps> {
    let mut docs: Vec<Box<dyn DocStep>> = Vec::new();
    let mut streams: Vec<Box<dyn StreamStep>> = Vec::new();
    let mut seen = HashSet::new();
    for name in &config.pipeline.steps {
        anyhow::ensure!(seen.insert(name), "[pipeline] steps lists {name:?} twice");
        let doc_step: Option<Box<dyn DocStep>> = match name.as_str() {
            "language" => Some(Box::new(assent_filter::LanguageFilter {
                allowed: config.lang.allowed.clone(),
                min_score: config.lang.min_score,
            })),
            "quality-signals" => Some(Box::new(assent_filter::QualitySignals)),
            "gopher-repetition" => Some(Box::new(assent_filter::GopherRepetition {
                config: config.quality.gopher_repetition.clone(),
            })),
            "gopher-quality" => Some(Box::new(assent_filter::GopherQuality {
                config: config.quality.gopher_quality.clone(),
            })),
            "c4-quality" => Some(Box::new(assent_filter::C4Quality {
                config: config.quality.c4.clone(),
            })),
            "fineweb-quality" => Some(Box::new(assent_filter::FinewebQuality {
                config: config.quality.fineweb.clone(),
            })),
            "pii" => Some(Box::new(assent_filter::PiiRedaction)),
            _ => None,
        };
        if let Some(step) = doc_step {
            anyhow::ensure!(
                streams.is_empty(),
                "[pipeline] steps: the per-document step {name:?} must come before the stream steps ({})",
                streams.iter().map(|s| s.name()).collect::<Vec<_>>().join(", ")
            );
            docs.push(step);
            continue;
        }
        let stream: Box<dyn StreamStep> = match name.as_str() {
            "licence-guard" => Box::new(
                LicenceGuard::new(
                    config.licence.min_domain_share,
                    config.crawl.policy == Policy::OpenLicenceOnly,
                )
                .map_err(anyhow::Error::msg)?,
            ),
            "url-dedup" | "exact-dedup" => Box::new(assent_dedup::DedupStep::new(
                match name.as_str() {
                    "url-dedup" => assent_dedup::Key::Url,
                    _ => assent_dedup::Key::Text,
                },
                config.pipeline.exchange_partitions,
                config.pipeline.dedup_memory_bytes,
                rank.as_ref(),
            )?),
            "near-dedup" => Box::new(assent_dedup::NearDedupStep::new(
                &config.near_dedup,
                rank.as_ref(),
            )?),
            other => anyhow::bail!(
                "[pipeline] steps: no step is called {other:?} (known: {})",
                KNOWN_STEPS.join(", ")
            ),
        };
        streams.push(stream);
    }
    Ok((docs, streams))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_steps(steps: &[&str]) -> Config {
        let mut c = Config::default();
        c.pipeline.steps = steps.iter().map(|s| s.to_string()).collect();
        c
    }

    #[test]
    fn the_list_is_built_in_order_and_checked() {
        let (docs, streams) = build(&Config::default(), None).unwrap();
        let names: Vec<&str> = docs
            .iter()
            .map(|s| s.name())
            .chain(streams.iter().map(|s| s.name()))
            .collect();
        assert_eq!(names, DEFAULT_STEPS);
        let (docs, streams) = build(&with_steps(&["quality-signals"]), None).unwrap();
        assert_eq!((docs.len(), streams.len()), (1, 0));
        let err = |steps: &[&str]| build(&with_steps(steps), None).err().unwrap().to_string();
        assert!(err(&["langauge"]).contains("no step is called \"langauge\""));
        assert!(err(&["exact-dedup", "language"]).contains("must come before the stream steps"));
        assert!(err(&["language", "language"]).contains("twice"));
    }
}
