//! The job's end: the decisions that need every rank's partial state, then one
//! `manifest.json`.
//!
//! Run by a single process as it finishes, and by `assent merge OUT` after the W ranks of a
//! job. In order:
//!
//! 1. the ranks' licence audits are summed, so that each domain's licence shares are the
//!    job's;
//! 2. each stream step decides what the whole job shows must go ([`StreamStep::decide`]), in
//!    the list's order: the licence guard judges the held documents by the job's shares, URL
//!    and exact dedup elect one document per URL and per text among every rank's claims,
//!    near dedup runs the MinHash stages not yet run and keeps one document per cluster;
//! 3. per rank: shards that hold a document taken out are rewritten without it (and with the
//!    dedup columns of a cluster's kept document set), and it gets its row; held documents that were not taken out go to new shards, with their `kept`
//!    rows; refused pages leave the crawl's WARC;
//! 4. the rank manifests' inputs, outputs, counts and summaries are combined (counts by each
//!    record's final decision) into `manifest.json`, written last ([`crate::publish`]: after
//!    the version is appended to the provenance log), and `OUT/exchange/` goes.
//!
//! The ledger is append-only: a document a rank kept and the job's end dropped has two rows,
//! and the later (`recorded_at`) one is its decision. Everything here is a function of the
//! rank outputs and the exchange files, and a rewrite that finds nothing to drop changes
//! nothing, so an end that was killed is simply run again: files it had added are removed
//! first.

use super::{manifest_name, write_kept, ProgressFn, EXCHANGE_DIR, PIPELINE_VERSION};
use crate::config::Config;
use crate::steps::{self, JobEnd};
use anyhow::Context;
use assent_manifests::{
    rewrite_shard, CorpusManifest, LedgerWriter, LicenceAudit, OutputFile, ShardEdit, ShardWriter,
};
use assent_schemas::stream::{self as stream, Annotation, Dropped};
use assent_schemas::{Decision, Document, LedgerRow, Stage};
use std::collections::{BTreeMap, HashSet};
use std::path::Path;
use std::time::Instant;

/// `assent merge OUT`: finishes a job of W ranks once every `manifest-RANK.json` is there.
/// Returns the merged manifest, or the one an earlier merge wrote.
pub fn merge(out: &Path, progress: ProgressFn<'_>) -> anyhow::Result<CorpusManifest> {
    let merged = out.join("manifest.json");
    if merged.exists() {
        // An end killed after writing the manifest may have left the exchange behind.
        remove_exchange(out)?;
        return Ok(CorpusManifest::read(&merged)?);
    }
    let first = out.join(manifest_name(0, 2));
    anyhow::ensure!(
        first.exists(),
        "{} holds no rank manifest ({}): run the ranks first",
        out.display(),
        first.display()
    );
    let world = CorpusManifest::read(&first)?.world_size;
    let mut parts = Vec::with_capacity(world as usize);
    let mut missing = Vec::new();
    for rank in 0..world {
        let path = out.join(manifest_name(rank, world));
        match path.exists() {
            true => parts.push(CorpusManifest::read(&path)?),
            false => missing.push(rank),
        }
    }
    anyhow::ensure!(
        missing.is_empty(),
        "{} of {world} ranks have not finished (no manifest for ranks {:?}); run them (the same command skips finished ranks), then merge",
        missing.len(),
        missing
    );
    let job = &parts[0].job;
    for p in &parts {
        anyhow::ensure!(
            &p.job == job && p.world_size == world,
            "rank {} of {} belongs to another job than rank 0 (its settings or inputs differ)",
            p.rank,
            out.display()
        );
    }
    finalise(out, parts, progress)
}

/// Decides what needs the whole job, and writes `manifest.json` from the ranks' manifests
/// (`parts[r]` is rank r's).
pub fn finalise(
    out: &Path,
    parts: Vec<CorpusManifest>,
    progress: ProgressFn<'_>,
) -> anyhow::Result<CorpusManifest> {
    let started = Instant::now();
    let world = parts.len() as u32;
    let config: Config = serde_json::from_value(parts[0].config.clone())
        .context("the rank manifest's configuration does not parse")?;
    // Without a rank's partial state the job's decisions would be wrong (a merged job has
    // none left: a rank run again alone after a merge cannot be merged with the others).
    for p in &parts {
        if let Some(gone) = p.exchange.iter().find(|f| !out.join(f).exists()) {
            anyhow::bail!(
                "{} of rank {} is gone (was the job merged before, and this rank run again?): run every rank again with --force, then merge",
                out.join(gone).display(),
                p.rank
            );
        }
    }

    // 1. The job's licence shares.
    let mut audit = LicenceAudit::new(config.licence.min_domain_share);
    for p in &parts {
        audit.absorb(&p.licence_audit);
    }
    audit.finish();

    // 2. What the stream steps decide with the whole job.
    let (_, mut stream_steps) = steps::build(&config, None)?;
    let mut job = JobEnd::new(&out.join(super::EXCHANGE_DIR), world, audit);
    for step in stream_steps.iter_mut() {
        step.decide(&mut job)
            .with_context(|| format!("step {} at the job's end", step.name()))?;
    }
    let annotations = job.take_annotations();
    let (audit, dropped) = job.into_dropped();

    // 3. Each rank's outputs.
    let mut merged =
        CorpusManifest::new(&parts[0].command, parts[0].config.clone(), PIPELINE_VERSION);
    merged.config["pipeline"]["rank"] = serde_json::Value::Null;
    merged.world_size = world;
    merged.job = parts[0].job.clone();
    for ((part, dropped), annotations) in parts.iter().zip(dropped).zip(annotations) {
        let decided = Decided {
            dropped: &dropped,
            annotations: &annotations,
        };
        finish_rank(out, &config, part, &mut merged, decided, progress)?;
    }

    // 4. The manifest, last.
    merged.licence_audit = audit;
    merged.seconds =
        parts.iter().map(|p| p.seconds).fold(0.0, f64::max) + started.elapsed().as_secs_f64();
    crate::publish::write_manifest(out, &mut merged, &config.log)?;
    remove_exchange(out)?;
    Ok(merged)
}

/// Removes `OUT/exchange/`: held documents hold text, the refused ones' too, and nothing of
/// them stays once the job's end has decided.
pub(super) fn remove_exchange(out: &Path) -> anyhow::Result<()> {
    let exchange = out.join(EXCHANGE_DIR);
    if exchange.exists() {
        std::fs::remove_dir_all(&exchange)
            .with_context(|| format!("cannot remove {}", exchange.display()))?;
    }
    Ok(())
}

/// What the job's end decided of one rank's documents, by doc_id.
struct Decided<'a> {
    dropped: &'a BTreeMap<String, Dropped>,
    annotations: &'a BTreeMap<String, Annotation>,
}

/// Applies the job's decisions to one rank's outputs and adds them to `merged`.
fn finish_rank(
    out: &Path,
    config: &Config,
    part: &CorpusManifest,
    merged: &mut CorpusManifest,
    decided: Decided<'_>,
    progress: ProgressFn<'_>,
) -> anyhow::Result<()> {
    let Decided {
        dropped,
        annotations,
    } = decided;
    let rank = part.rank;
    remove_added_files(out, part)?;
    merged.counts.absorb(&part.counts);
    merged.consent.absorb(&part.consent);

    // Kept documents taken out: out of their shards, their `kept` row superseded. Kept
    // documents annotated: their dedup columns rewritten.
    let mut by_shard: BTreeMap<&str, ShardEdit> = BTreeMap::new();
    let mut rows: Vec<LedgerRow> = Vec::new();
    let mut archived: HashSet<String> = HashSet::new();
    for (doc_id, d) in dropped {
        if let Some(shard) = &d.shard {
            by_shard
                .entry(shard)
                .or_default()
                .drop
                .insert(doc_id.clone());
            merged.counts.remove(&kept_row_shape(&d.row));
            merged.consent.uncount_kept(&d.unchecked);
        }
        if d.row.decision == Decision::Refused {
            archived.extend(d.archived_record.clone());
        }
        rows.push(d.row.clone());
    }
    for (doc_id, a) in annotations {
        if let Some(shard) = &a.shard {
            by_shard
                .entry(shard)
                .or_default()
                .dedup
                .insert(doc_id.clone(), a.dedup.clone());
        }
    }
    for f in &part.shards {
        let Some(edit) = by_shard.get(f.path.as_str()) else {
            merged.shards.push(f.clone());
            continue;
        };
        if !out.join(&f.path).exists() {
            continue; // emptied and removed by an end that was killed after it
        }
        let (now, _) = rewrite_shard(out, &f.path, edit, PIPELINE_VERSION)?;
        if now.rows > 0 {
            merged.shards.push(now);
        }
    }

    // Held documents not taken out: into shards of their own, numbered after the rank's.
    let next = |files: &[OutputFile]| {
        files
            .iter()
            .filter_map(|f| assent_manifests::part_numbers(&f.path))
            .map(|(_, seq)| seq + 1)
            .max()
            .unwrap_or(0)
    };
    let mut shards = ShardWriter::new(out, rank, config.output.shard_text_bytes, PIPELINE_VERSION)?
        .first_seq(next(&part.shards));
    let mut ledger = LedgerWriter::new(out, rank, PIPELINE_VERSION)?.first_seq(next(&part.ledger));
    let limit = config.pipeline.batch_size.max(1);
    let mut batch: Vec<Document> = Vec::new();
    let mut write = |batch: &mut Vec<Document>,
                     rows: &mut Vec<LedgerRow>,
                     merged: &mut CorpusManifest|
     -> anyhow::Result<()> {
        let n = (batch.len() + rows.len()) as u64;
        write_kept(
            &mut shards,
            &mut ledger,
            batch,
            std::mem::take(rows),
            merged,
        )?;
        batch.clear();
        progress(n);
        Ok(())
    };
    for doc in stream::read_held(&stream::held_path(&out.join(super::EXCHANGE_DIR), rank))? {
        let mut doc = doc?;
        if dropped.contains_key(&doc.doc_id) {
            continue; // its row is among `rows` already
        }
        if let Some(a) = annotations.get(&doc.doc_id) {
            doc.dedup = a.dedup.clone();
        }
        batch.push(doc);
        if batch.len() + rows.len() >= limit {
            write(&mut batch, &mut rows, merged)?;
        }
    }
    write(&mut batch, &mut rows, merged)?;
    merged.shards.extend(shards.finish()?);
    merged.ledger.extend(part.ledger.iter().cloned());
    merged.ledger.extend(ledger.finish()?);
    tracing::debug!(
        rank,
        "the job's end has applied its decisions to rank {rank}"
    );

    // The crawler archived the refused pages' responses when they passed its own checks.
    let mut inputs = part.inputs.clone();
    if !archived.is_empty() {
        for input in inputs.iter_mut().filter(|i| i.kind == "crawl-warc") {
            let path = Path::new(&input.path);
            assent_ingest::warc::drop_warc_records(path, &archived)?;
            input.bytes = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
            input.sha256 = assent_manifests::sha256_file(path).unwrap_or_default();
        }
    }
    merged.inputs.extend(inputs);
    Ok(())
}

/// The stage, decision and reasons of the `kept` row a document had (what the counts hold
/// of it).
pub(crate) fn kept_row_shape(row: &LedgerRow) -> LedgerRow {
    let mut kept = row.clone();
    kept.stage = Stage::Output;
    kept.decision = Decision::Kept;
    kept.reasons.clear();
    kept
}

/// The sequence number of the next ledger file rank 0 writes into a finished corpus: one past
/// the highest the manifest lists (a later pass, `assent dedup`, `assent forget`).
pub(crate) fn next_ledger_seq(manifest: &CorpusManifest) -> u32 {
    manifest
        .ledger
        .iter()
        .filter_map(|f| assent_manifests::part_numbers(&f.path))
        .filter(|(r, _)| *r == 0)
        .map(|(_, s)| s + 1)
        .max()
        .unwrap_or(0)
}

/// Removes shards and ledger files of the rank that its manifest does not list: written by
/// an end that did not finish.
pub(crate) fn remove_added_files(out: &Path, part: &CorpusManifest) -> anyhow::Result<()> {
    let listed: HashSet<&str> = part
        .shards
        .iter()
        .chain(&part.ledger)
        .map(|f| f.path.as_str())
        .collect();
    for sub in ["shards", "ledger"] {
        let Ok(entries) = std::fs::read_dir(out.join(sub)) else {
            continue;
        };
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            let rel = format!("{sub}/{name}");
            if assent_manifests::part_numbers(&name).is_some_and(|(r, _)| r == part.rank)
                && !listed.contains(rel.as_str())
            {
                std::fs::remove_file(e.path())
                    .with_context(|| format!("cannot remove {}", e.path().display()))?;
            }
        }
    }
    Ok(())
}
