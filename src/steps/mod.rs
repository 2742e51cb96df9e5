//! The steps of a curation run, built from `[pipeline] steps`.
//!
//! Every record first passes admission ([`crate::stages`]: decode, consent and licence,
//! extract), which no configuration removes or reorders. Then come the configured steps, of
//! two kinds:
//!
//! - per-document steps ([`DocStep`], defined in `assent-schemas` so that any crate can
//!   provide one): pure functions of one document, run on every core;
//! - stream steps ([`StreamStep`]): they see the documents in input order, may keep state,
//!   and may need every rank's partial state before deciding. A rank's step decides what it
//!   can alone, can hold a document for the job's end, and leaves its partial state in
//!   `OUT/exchange/`; at the job's end ([`crate::pipeline::finalise`]) each decides the rest
//!   through a [`JobEnd`], in the list's order.
//!
//! The pipeline knows no concrete step: [`build`] is the one place where the names of the
//! configuration meet the types. The default list is
//! `["language", "quality-signals", "licence-guard", "exact-dedup"]`: per-document steps come
//! before stream steps. The licence guard comes before exact dedup, so that a document the
//! guard refuses at the job's end cannot have cost a duplicate of it its place.

pub mod exact_dedup;
pub mod licence_guard;

use crate::config::Config;
use anyhow::Context;
use assent_manifests::LicenceAudit;
use assent_schemas::{DocStep, Document, LedgerRow, Unchecked};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

/// The default `[pipeline] steps`.
pub const DEFAULT_STEPS: [&str; 4] = [
    "language",
    "quality-signals",
    "licence-guard",
    "exact-dedup",
];

/// What a stream step does with a document.
pub enum Flow {
    /// On to the next step (and to a shard).
    Pass(Document),
    /// On to the next steps, then held until the job's end, which decides it.
    Hold(Document),
    /// Out, with the row that says why.
    Left(LedgerRow),
}

/// A step that sees documents in input order (see the module docs).
pub trait StreamStep: Send {
    fn name(&self) -> &'static str;
    /// A document, in input order; `held` says an earlier step holds it.
    fn see(&mut self, doc: Document, held: bool) -> Flow;
    /// A document that passed every step, as written to `shard` (None: held).
    fn passed(&mut self, _doc: &Document, _shard: Option<&str>) -> anyhow::Result<()> {
        Ok(())
    }
    /// The rank is done: write its partial state.
    fn finish_rank(&mut self) -> anyhow::Result<()> {
        Ok(())
    }
    /// The job's end, every rank done: take out what the whole job shows must go.
    fn decide(&mut self, _job: &mut JobEnd<'_>) -> anyhow::Result<()> {
        Ok(())
    }
}

/// A run's steps: the per-document ones, then the stream ones.
pub type Steps = (Vec<Box<dyn DocStep>>, Vec<Box<dyn StreamStep>>);

/// Where a stream step of a rank is.
pub struct RankContext<'a> {
    pub out: &'a Path,
    pub rank: u32,
    pub world: u32,
    /// The position of each input (by its display name) in the job's whole list.
    pub input_index: &'a HashMap<String, u32>,
}

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
            "licence-guard" => Box::new(licence_guard::LicenceGuard::new(config)?),
            "exact-dedup" => Box::new(exact_dedup::ExactDedupStep::new(config, rank.as_ref())?),
            other => anyhow::bail!(
                "[pipeline] steps: no step is called {other:?} (known: {})",
                DEFAULT_STEPS.join(", ")
            ),
        };
        streams.push(stream);
    }
    Ok((docs, streams))
}

/// A document the job's end takes out.
#[derive(Clone, Debug)]
pub struct Dropped {
    /// Why: the record's final ledger row.
    pub row: LedgerRow,
    /// The shard a rank wrote it to (it had a `kept` row, which this one supersedes); None
    /// for a held document.
    pub shard: Option<String>,
    /// What of its consent was not checked (for the manifest's counts).
    pub unchecked: Vec<Unchecked>,
    /// Its WARC record id, when the crawler archived it and it must leave the crawl's WARC.
    pub archived_record: Option<String>,
}

/// What the stream steps decide with at the job's end.
pub struct JobEnd<'a> {
    pub out: &'a Path,
    pub config: &'a Config,
    pub world: u32,
    /// The job's licence audit: every rank's counts summed, shares filled in.
    pub audit: LicenceAudit,
    dropped: Vec<BTreeMap<String, Dropped>>,
}

impl<'a> JobEnd<'a> {
    pub fn new(out: &'a Path, config: &'a Config, world: u32, audit: LicenceAudit) -> Self {
        JobEnd {
            out,
            config,
            world,
            audit,
            dropped: vec![BTreeMap::new(); world as usize],
        }
    }

    /// The documents rank `rank` held, in its input order.
    pub fn held(
        &self,
        rank: u32,
    ) -> anyhow::Result<Box<dyn Iterator<Item = anyhow::Result<Document>>>> {
        licence_guard::read_held(&held_path(self.out, rank))
    }

    /// Takes a document of rank `rank` out; the first decision about a document stands.
    pub fn drop_doc(&mut self, rank: u32, doc_id: &str, dropped: Dropped) {
        self.dropped[rank as usize]
            .entry(doc_id.to_string())
            .or_insert(dropped);
    }

    /// Every document taken out so far, of any rank.
    pub fn dropped_ids(&self) -> HashSet<String> {
        self.dropped
            .iter()
            .flat_map(|d| d.keys().cloned())
            .collect()
    }

    /// What was decided, rank by rank.
    pub fn into_dropped(self) -> (LicenceAudit, Vec<BTreeMap<String, Dropped>>) {
        (self.audit, self.dropped)
    }
}

/// `OUT/exchange/held-RANK.jsonl`: the documents a rank's steps held.
pub fn held_path(out: &Path, rank: u32) -> PathBuf {
    licence_guard::held_path(&out.join(crate::pipeline::EXCHANGE_DIR), rank)
}

/// The exact-dedup claims' directory.
pub fn claims_dir(out: &Path) -> PathBuf {
    out.join(crate::pipeline::EXCHANGE_DIR).join("exact")
}

/// Writes held documents to their file, creating it on the first.
pub struct HeldWriter {
    out: PathBuf,
    rank: u32,
    file: Option<licence_guard::HeldDocs>,
}

impl HeldWriter {
    pub fn new(out: &Path, rank: u32) -> Self {
        HeldWriter {
            out: out.to_path_buf(),
            rank,
            file: None,
        }
    }

    pub fn append(&mut self, doc: &Document) -> anyhow::Result<()> {
        if self.file.is_none() {
            let dir = self.out.join(crate::pipeline::EXCHANGE_DIR);
            self.file = Some(
                licence_guard::HeldDocs::create(&dir, self.rank)
                    .with_context(|| format!("cannot hold documents under {}", dir.display()))?,
            );
        }
        self.file
            .as_mut()
            .expect("created above")
            .append(std::slice::from_ref(doc))
    }

    pub fn finish(self) -> anyhow::Result<()> {
        match self.file {
            Some(f) => f.finish(),
            None => Ok(()),
        }
    }
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
