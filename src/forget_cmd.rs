//! `assent forget DIR --registry FILE`: takes out of a finished corpus every document the
//! opt-out registry now covers (a verified opt-out of the query service lands there), as a
//! new version of the corpus: the shards holding them are rewritten without them, each gets a
//! `registry.opt-out` ledger row, the version is appended to the provenance log with a new
//! signed checkpoint tied to the last by consistency proofs, the audit and the index are
//! brought up to date, and the training runs that read the removed documents are named
//! (from the index's lineage), in the printed report and `DIR/forget/report-TIME.json`.
//!
//! Killed part way, it is run again: what to remove is decided first and written to
//! `DIR/forget/plan.json`; the rewrites are idempotent (a shard without those documents is
//! left alone), ledger files not in the manifest are removed before the rows are written
//! again, and the plan goes once the manifest is written.

use crate::pipeline::finalise::{kept_row_shape, next_ledger_seq, remove_added_files};
use anyhow::Context;
use assent_ingest::consent::registry::OptOutRegistry;
use assent_manifests::{
    read_documents, rewrite_shard, write_atomically, CorpusManifest, LedgerWriter, ShardEdit,
};
use assent_schemas::{LedgerRow, ReasonCode, Stage, Unchecked};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

/// What a forget decided to remove, written before anything changes.
#[derive(Debug, Serialize, Deserialize)]
struct Plan {
    registry: String,
    registry_sha256: String,
    rows: Vec<LedgerRow>,
    unchecked: Vec<Vec<Unchecked>>,
    removed: Vec<Removed>,
}

/// A removed document, as the report lists it.
#[derive(Debug, Serialize, Deserialize)]
pub struct Removed {
    pub doc_id: String,
    pub url: String,
    pub shard: String,
}

#[derive(Debug, Serialize)]
pub struct ForgetReport {
    pub registry: String,
    pub registry_sha256: String,
    pub removed: Vec<Removed>,
    /// The training runs that read a shard holding a removed document.
    pub models: Vec<assent_provenance::lookup::Model>,
    pub kept_size_before: u64,
    pub kept_size: u64,
    pub refused_size: u64,
    pub report: Option<PathBuf>,
}

fn plan_path(dir: &Path) -> PathBuf {
    dir.join("forget").join("plan.json")
}

/// Forgets what `registry` covers in the corpus in `dir`; `runs` are searched for training
/// runs besides those registered with the corpus.
pub fn forget(dir: &Path, registry: &Path, runs: &[PathBuf]) -> anyhow::Result<ForgetReport> {
    let manifest_path = dir.join("manifest.json");
    let before = CorpusManifest::read(&manifest_path)
        .with_context(|| format!("{} is not a finished corpus", dir.display()))?;
    let kept_size_before = before.log.as_ref().map_or(0, |l| l.kept.size);
    let plan = match std::fs::read(plan_path(dir)) {
        Ok(bytes) => serde_json::from_slice(&bytes).context("forget/plan.json does not parse")?,
        Err(_) => {
            let plan = decide(dir, &before, registry)?;
            if plan.rows.is_empty() {
                println!(
                    "nothing to forget: no document of {} is covered by {}",
                    dir.display(),
                    registry.display()
                );
                return Ok(ForgetReport {
                    registry: plan.registry,
                    registry_sha256: plan.registry_sha256,
                    removed: vec![],
                    models: vec![],
                    kept_size_before,
                    kept_size: kept_size_before,
                    refused_size: before.log.as_ref().map_or(0, |l| l.refused.size),
                    report: None,
                });
            }
            let path = plan_path(dir);
            std::fs::create_dir_all(path.parent().expect("in forget/"))?;
            write_atomically(&path, &serde_json::to_vec(&plan)?)
                .with_context(|| format!("cannot write {}", path.display()))?;
            plan
        }
    };
    // The documents' lineage, from the index before they leave it (a corpus made before the
    // log has none to give).
    let models = match before.log {
        Some(_) => {
            assent_provenance::index::build(dir, runs)
                .context("cannot bring the index up to date")?;
            let ids: Vec<&str> = plan
                .rows
                .iter()
                .filter_map(|r| r.doc_id.as_deref())
                .collect();
            assent_provenance::lookup::Index::open(dir)?.models_of_documents(&ids)?
        }
        None => {
            tracing::warn!(
                "{} has no provenance log: the runs that read it cannot be named",
                dir.display()
            );
            Vec::new()
        }
    };

    remove_added_files(dir, &before)?;
    let mut manifest = before.clone();
    let mut emptied = Vec::new();
    let mut losing: BTreeMap<&str, ShardEdit> = BTreeMap::new();
    for r in &plan.removed {
        let edit = losing.entry(r.shard.as_str()).or_default();
        edit.drop.insert(r.doc_id.clone());
    }
    for file in manifest.shards.iter_mut() {
        let Some(edit) = losing.get(file.path.as_str()) else {
            continue;
        };
        let (now, _) = rewrite_shard(dir, &file.path, edit, crate::pipeline::PIPELINE_VERSION)?;
        if now.rows == 0 {
            emptied.push(now.path.clone());
        }
        *file = now;
    }
    manifest.shards.retain(|f| f.rows > 0);
    let mut ledger = LedgerWriter::new(dir, 0, crate::pipeline::PIPELINE_VERSION)?
        .first_seq(next_ledger_seq(&before));
    ledger.write(&plan.rows)?;
    manifest.ledger.extend(ledger.finish()?);
    for (row, unchecked) in plan.rows.iter().zip(&plan.unchecked) {
        manifest.counts.remove(&kept_row_shape(row));
        manifest.consent.uncount_kept(unchecked);
        manifest.counts.add(row);
    }
    let config: crate::config::Config =
        serde_json::from_value(manifest.config.clone()).unwrap_or_default();
    crate::publish::write_manifest(dir, &mut manifest, &config.log)?;
    for e in emptied {
        let _ = std::fs::remove_file(dir.join(e));
    }
    std::fs::remove_file(plan_path(dir))?;
    crate::audit_cmd::audit(dir)?;
    assent_provenance::index::build(dir, runs)?;

    let log = manifest.log.as_ref().expect("published above");
    let mut report = ForgetReport {
        registry: plan.registry,
        registry_sha256: plan.registry_sha256,
        removed: plan.removed,
        models,
        kept_size_before,
        kept_size: log.kept.size,
        refused_size: log.refused.size,
        report: None,
    };
    let path = dir.join("forget").join(format!(
        "report-{}.json",
        chrono::Utc::now().format("%Y%m%dT%H%M%SZ")
    ));
    write_atomically(&path, &serde_json::to_vec_pretty(&report)?)
        .with_context(|| format!("cannot write {}", path.display()))?;
    report.report = Some(path);
    Ok(report)
}

/// Which documents of the corpus the registry covers, with the rows that record their
/// removal.
fn decide(dir: &Path, manifest: &CorpusManifest, registry: &Path) -> anyhow::Result<Plan> {
    let reg = OptOutRegistry::load(registry)?;
    let now = chrono::Utc::now();
    let mut plan = Plan {
        registry: registry.display().to_string(),
        registry_sha256: reg.version().to_string(),
        rows: Vec::new(),
        unchecked: Vec::new(),
        removed: Vec::new(),
    };
    let mut seen = HashSet::new();
    for file in &manifest.shards {
        for doc in read_documents(&dir.join(&file.path), 1024)? {
            let doc = doc?;
            let Ok(url) = url::Url::parse(&doc.url) else {
                continue;
            };
            let Some(signal) = reg.check(&url) else {
                continue;
            };
            if !seen.insert(doc.doc_id.clone()) {
                continue;
            }
            plan.rows.push(LedgerRow::left(
                Some(doc.url.clone()),
                Some(doc.doc_id.clone()),
                doc.source.clone(),
                Stage::Consent,
                ReasonCode::RegistryOptOut,
                serde_json::json!({
                    "forgotten_at": now,
                    "registry_sha256": reg.version(),
                    "signal": signal,
                    "shard": file.path,
                }),
            ));
            plan.unchecked.push(doc.consent.unchecked.clone());
            plan.removed.push(Removed {
                doc_id: doc.doc_id.clone(),
                url: doc.url.clone(),
                shard: file.path.clone(),
            });
        }
    }
    Ok(plan)
}

/// The report as the command prints it.
pub fn describe(r: &ForgetReport) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "forgot {} documents covered by {} (sha256 {})",
        r.removed.len(),
        r.registry,
        r.registry_sha256
    );
    for d in r.removed.iter().take(20) {
        let _ = writeln!(s, "  {}  {}", d.doc_id, d.url);
    }
    if r.removed.len() > 20 {
        let _ = writeln!(s, "  ... and {} more", r.removed.len() - 20);
    }
    let _ = writeln!(
        s,
        "log: kept tree {} -> {} leaves, refused tree {}; new checkpoints in manifest.json",
        r.kept_size_before, r.kept_size, r.refused_size
    );
    if r.models.is_empty() {
        let _ = writeln!(s, "no training run read these documents");
    } else {
        let _ = writeln!(
            s,
            "training runs that read these documents (their models hold what was forgotten):"
        );
        for m in &r.models {
            let _ = writeln!(
                s,
                "  {}  {}  (training manifest sha256 {})",
                m.name, m.run, m.training_manifest_sha256
            );
        }
    }
    if let Some(p) = &r.report {
        let _ = writeln!(s, "report: {}", p.display());
    }
    s
}
