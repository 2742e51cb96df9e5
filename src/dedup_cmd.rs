//! `assent dedup DIR`: near-duplicate removal as four stages that can each run as the tasks
//! of an array job (the stages themselves are [`assent_dedup::near`]).
//!
//! On a finished corpus (`DIR/manifest.json`), with its files in `DIR/dedup/`:
//!
//! 1. `signatures`: one part per shard of the manifest (task R of W takes shards R, R+W, …);
//! 2. `buckets`: task R of W takes bands R, R+W, …;
//! 3. `clusters`: the same bands; the task that finishes the last band merges;
//! 4. `filter`: task R of W rewrites shards R, R+W, … without the documents each cluster
//!    does not keep (the keep rule: earliest fetch, then longest, then doc_id), with the
//!    kept one's cluster id and size, and leaves the ledger rows in its marker. The task
//!    that finds every shard's marker there writes them to one ledger file and writes the
//!    new `manifest.json` (from the one the signatures stage saw, so that doing it twice
//!    gives the same), under a lock, then runs the audit again.
//!
//! On a job of W ranks that `assent curate` has not merged yet (`DIR/exchange/near/`): the
//! ranks were the signature stage and `assent merge` will be the filter, so only `buckets`
//! and `clusters` run here, as tasks of their own, and the merge skips what they finished.
//!
//! Every part leaves a marker; a relaunch skips finished parts. `--force` starts over.

use crate::config::Config;
use anyhow::Context;
use assent_dedup::near::{self, NearConfig, SignatureWriter};
use assent_dedup::near_step::{near_doc_of, near_row};
use assent_manifests::{
    read_provenance, rewrite_shard, CorpusManifest, LedgerWriter, OutputFile, ShardEdit,
};
use assent_schemas::{Dedup, LedgerRow, Unchecked};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Stage {
    Signatures,
    Buckets,
    Clusters,
    Filter,
}

pub const STAGES: [Stage; 4] = [
    Stage::Signatures,
    Stage::Buckets,
    Stage::Clusters,
    Stage::Filter,
];

/// What `assent dedup` works on.
enum Target {
    /// A finished corpus: its manifest, and the stages' directory.
    Corpus {
        manifest: Box<CorpusManifest>,
        work: PathBuf,
    },
    /// The exchange of an unmerged job.
    Job { work: PathBuf },
}

fn target(dir: &Path) -> anyhow::Result<Target> {
    let manifest = dir.join("manifest.json");
    if manifest.exists() {
        return Ok(Target::Corpus {
            manifest: Box::new(
                CorpusManifest::read(&manifest)
                    .with_context(|| format!("cannot read {}", manifest.display()))?,
            ),
            work: dir.join("dedup"),
        });
    }
    let work = assent_dedup::near_step::work_dir(&dir.join(crate::pipeline::EXCHANGE_DIR));
    anyhow::ensure!(
        work.exists(),
        "{} is neither a finished corpus (no manifest.json) nor a job whose ranks ran the near-dedup step (no {})",
        dir.display(),
        work.display()
    );
    Ok(Target::Job { work })
}

/// The near-dedup settings: `--config`'s, else those the corpus or job was made with.
fn settings(dir: &Path, given: Option<&Config>) -> anyhow::Result<NearConfig> {
    if let Some(c) = given {
        return Ok(c.near_dedup.clone());
    }
    let manifest = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read {}", dir.display()))?
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("manifest") && n.ends_with(".json"))
        })
        .min();
    let Some(manifest) = manifest else {
        return Ok(NearConfig::default());
    };
    let m = CorpusManifest::read(&manifest)
        .with_context(|| format!("cannot read {}", manifest.display()))?;
    let config: Config = serde_json::from_value(m.config.clone()).unwrap_or_default();
    Ok(config.near_dedup)
}

/// What one call did, for the summary.
#[derive(Debug, Default)]
pub struct Report {
    pub lines: Vec<String>,
}

/// Runs `stages` as task `rank` of `world` on `dir`.
pub fn dedup(
    dir: &Path,
    stages: &[Stage],
    rank: u32,
    world: u32,
    config: Option<&Config>,
    force: bool,
) -> anyhow::Result<Report> {
    let target = target(dir)?;
    let settings = settings(dir, config)?;
    let mut report = Report::default();
    let work = match &target {
        Target::Corpus { work, .. } | Target::Job { work } => work.clone(),
    };
    if force && matches!(target, Target::Corpus { .. }) && work.exists() {
        std::fs::remove_dir_all(&work)
            .with_context(|| format!("cannot remove {}", work.display()))?;
    }
    if work.join(APPLIED).exists() {
        report.lines.push(format!(
            "already applied to {} (--force starts over)",
            dir.display()
        ));
        return Ok(report);
    }
    for stage in stages {
        match (&target, stage) {
            (Target::Corpus { manifest, work }, Stage::Signatures) => {
                let n = signatures(dir, manifest, work, rank, world, &settings)?;
                report.lines.push(format!("signatures  {n} shards signed"));
            }
            (_, Stage::Buckets) => {
                let s = near::run_buckets(&work, rank, world)
                    .with_context(|| format!("buckets in {}", work.display()))?;
                report.lines.push(format!(
                    "buckets     bands {:?}: {} pairs compared, {} confirmed",
                    s.bands, s.compared, s.edges
                ));
            }
            (_, Stage::Clusters) => {
                let merged = near::run_clusters(&work, rank, world)
                    .with_context(|| format!("clusters in {}", work.display()))?;
                report.lines.push(match merged {
                    true => format!(
                        "clusters    {} clusters",
                        near::count_clusters(&work)?
                    ),
                    false => "clusters    this task's bands done; another task merges".into(),
                });
            }
            (Target::Corpus { work, .. }, Stage::Filter) => {
                report
                    .lines
                    .extend(filter(dir, work, rank, world)?);
            }
            (Target::Job { .. }, Stage::Signatures | Stage::Filter) => anyhow::bail!(
                "{} is a job of `assent curate` ranks, which wrote the signatures; `assent merge` is its filter stage: run only buckets and clusters here",
                dir.display()
            ),
        }
    }
    Ok(report)
}

/// The marker of a corpus whose new manifest is written.
const APPLIED: &str = "applied.done";

/// The manifest as the signature stage first saw it.
fn before_path(work: &Path) -> PathBuf {
    work.join("manifest-before.json")
}

fn signatures(
    dir: &Path,
    manifest: &CorpusManifest,
    work: &Path,
    rank: u32,
    world: u32,
    settings: &NearConfig,
) -> anyhow::Result<usize> {
    std::fs::create_dir_all(work).with_context(|| format!("cannot create {}", work.display()))?;
    let before = before_path(work);
    if !before.exists() {
        // Every task writes the same bytes, each through a file of its own and a rename.
        let tmp = work.join(format!("manifest-before.json.{}.tmp", std::process::id()));
        manifest
            .write(&tmp)
            .and_then(|()| std::fs::rename(&tmp, &before))
            .with_context(|| format!("cannot write {}", before.display()))?;
    }
    let before = CorpusManifest::read(&before)?;
    let parts = before.shards.len() as u32;
    let layout = near::Layout::new(work);
    let mine: Vec<(u32, &OutputFile)> = before
        .shards
        .iter()
        .enumerate()
        .map(|(i, f)| (i as u32, f))
        .filter(|(i, _)| i % world == rank && !layout.signatures_done(*i).exists())
        .collect();
    mine.par_iter().try_for_each(|(part, shard)| {
        let mut w = SignatureWriter::new(work, *part, parts, settings)?;
        let path = dir.join(&shard.path);
        for doc in read_provenance(&path, 1024)
            .with_context(|| format!("cannot read {}", path.display()))?
        {
            let doc = doc.with_context(|| format!("cannot read {}", path.display()))?;
            w.add(&near_doc_of(&doc, &shard.path), &doc.text)?;
        }
        w.finish()?;
        anyhow::Ok(())
    })?;
    Ok(mine.len())
}

/// A filter part's marker: the shard as it is now, and the rows of the documents it lost.
#[derive(Serialize, Deserialize)]
struct Filtered {
    shard: OutputFile,
    rows: Vec<LedgerRow>,
    unchecked: Vec<Vec<Unchecked>>,
}

/// What the clusters decide of one shard.
#[derive(Default)]
struct ShardDecision {
    edit: ShardEdit,
    rows: Vec<LedgerRow>,
    unchecked: Vec<Vec<Unchecked>>,
}

fn filtered_path(work: &Path, part: usize) -> PathBuf {
    work.join(format!("filter-{part:05}.done"))
}

fn filter(dir: &Path, work: &Path, rank: u32, world: u32) -> anyhow::Result<Vec<String>> {
    let before = CorpusManifest::read(&before_path(work)).with_context(|| {
        format!(
            "{}: no signatures stage has run on this corpus",
            work.display()
        )
    })?;
    anyhow::ensure!(
        near::Layout::new(work).clusters().exists(),
        "{}: the clusters are not finished; run the clusters stage first",
        work.display()
    );
    let mine: Vec<(usize, &OutputFile)> = before
        .shards
        .iter()
        .enumerate()
        .filter(|(i, _)| *i as u32 % world == rank && !filtered_path(work, *i).exists())
        .collect();
    // What the clusters decide of this part's shards, read one cluster at a time.
    let mut edits: BTreeMap<String, ShardDecision> = mine
        .iter()
        .map(|(_, s)| (s.path.clone(), ShardDecision::default()))
        .collect();
    let none = Default::default();
    near::for_each_cluster(work, |c| {
        let Some(d) = c.decide(&none) else {
            return Ok(());
        };
        let kept = &d.kept.doc;
        for m in &d.removed {
            if let Some(e) = edits.get_mut(m.doc.shard.as_deref().unwrap_or_default()) {
                e.edit.drop.insert(m.doc.doc_id.clone());
                e.rows.push(near_row(&m.doc, &kept.doc_id, d.size));
                e.unchecked.push(m.doc.unchecked.clone());
            }
        }
        if let Some(e) = edits.get_mut(kept.shard.as_deref().unwrap_or_default()) {
            e.edit.dedup.insert(
                kept.doc_id.clone(),
                Dedup {
                    cluster: Some(kept.doc_id.clone()),
                    cluster_size: Some(d.size),
                    duplicate_of: None,
                },
            );
        }
        Ok(())
    })?;
    let mut lines = Vec::new();
    let mut removed = 0usize;
    for (i, shard) in mine {
        let ShardDecision {
            edit,
            rows,
            unchecked,
        } = edits.remove(&shard.path).unwrap_or_default();
        let now = if edit.drop.is_empty() && edit.dedup.is_empty() {
            shard.clone()
        } else {
            rewrite_shard(dir, &shard.path, &edit, crate::pipeline::PIPELINE_VERSION)?.0
        };
        removed += rows.len();
        let marker = Filtered {
            shard: now,
            rows,
            unchecked,
        };
        near_marker(&filtered_path(work, i), &marker)?;
    }
    lines.push(format!("filter      {removed} near-duplicates taken out"));
    if (0..before.shards.len()).all(|i| filtered_path(work, i).exists()) {
        apply(dir, work, before)?;
        lines.push("filter      manifest.json written".into());
    }
    Ok(lines)
}

fn near_marker(path: &Path, what: &Filtered) -> anyhow::Result<()> {
    let bytes = serde_json::to_vec(what)?;
    assent_manifests::write_atomically(path, &bytes)
        .with_context(|| format!("cannot write {}", path.display()))
}

/// Writes the ledger rows of every filter part and the new manifest, once, under a lock.
fn apply(dir: &Path, work: &Path, before: CorpusManifest) -> anyhow::Result<()> {
    let lock_path = work.join("apply.lock");
    let lock = std::fs::File::create(&lock_path)
        .with_context(|| format!("cannot create {}", lock_path.display()))?;
    lock.lock()
        .with_context(|| format!("cannot lock {}", lock_path.display()))?;
    let applied = work.join(APPLIED);
    if applied.exists() {
        return Ok(()); // another task applied it while this one waited
    }
    // A ledger file an interrupted apply wrote is not in the manifest it started from.
    crate::pipeline::finalise::remove_added_files(dir, &before)?;
    let mut manifest = before.clone();
    let mut shards = Vec::new();
    let mut ledger = LedgerWriter::new(dir, 0, crate::pipeline::PIPELINE_VERSION)?
        .first_seq(crate::pipeline::finalise::next_ledger_seq(&before));
    for i in 0..before.shards.len() {
        let path = filtered_path(work, i);
        let f: Filtered = serde_json::from_slice(&std::fs::read(&path)?)
            .with_context(|| format!("cannot read {}", path.display()))?;
        for (row, unchecked) in f.rows.iter().zip(&f.unchecked) {
            manifest
                .counts
                .remove(&crate::pipeline::finalise::kept_row_shape(row));
            manifest.consent.uncount_kept(unchecked);
            manifest.counts.add(row);
        }
        ledger.write(&f.rows)?;
        if f.shard.rows > 0 {
            shards.push(f.shard);
        }
    }
    manifest.shards = shards;
    manifest.ledger.extend(ledger.finish()?);
    let config: Config = serde_json::from_value(manifest.config.clone()).unwrap_or_default();
    crate::publish::write_manifest(dir, &mut manifest, &config.log)?;
    assent_manifests::write_atomically(&applied, b"{}")?;
    crate::audit_cmd::audit(dir)?;
    // What is left are the markers and clusters.jsonl: the record of what was decided.
    for e in std::fs::read_dir(work)?.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if name.ends_with(".bin") {
            std::fs::remove_file(e.path())?;
        }
    }
    let runs = near::Layout::new(work).runs_dir();
    if runs.exists() {
        std::fs::remove_dir_all(&runs)?;
    }
    Ok(())
}
