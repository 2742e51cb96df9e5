//! The job's end: the decisions that need every rank's partial state, then one
//! `manifest.json`.
//!
//! Run by a single process as it finishes, and by `assent merge OUT` after the W ranks of a
//! job. In order:
//!
//! 1. the ranks' licence audits are summed, so that each domain's licence shares are the
//!    job's;
//! 2. each rank's held documents are judged by those shares ([`licence_guard`]); the refused
//!    ones get their ledger row and withdraw their claim to their text;
//! 3. exact dedup elects one document per text among every rank's claims, one hash partition
//!    at a time ([`assent_dedup::partitioned`]): the earliest in the job's input order that
//!    was not held, else the earliest held one;
//! 4. per rank: shards that hold a losing document are rewritten without it, and the loser
//!    gets a `dedup.exact` row; held documents that won go to new shards, with their `kept`
//!    rows; refused pages leave the crawl's WARC;
//! 5. the rank manifests' inputs, outputs, counts and summaries are combined (counts by each
//!    record's final decision) into `manifest.json`, written last, and `OUT/exchange/` goes.
//!
//! The ledger is append-only: a document a rank kept and the job's end dropped has two rows,
//! and the later (`recorded_at`) one is its decision. Everything here is a function of the
//! rank outputs and the exchange files, and a rewrite that finds nothing to drop changes
//! nothing, so an end that was killed is simply run again: files it had added are removed
//! first.

use super::licence_guard::{self, read_held};
use super::{claims_dir, manifest_name, ProgressFn, EXCHANGE_DIR, PIPELINE_VERSION};
use crate::config::Config;
use anyhow::Context;
use assent_dedup::partitioned::{self, Loser};
use assent_manifests::{
    rewrite_shard_without, CorpusManifest, LedgerWriter, LicenceAudit, OutputFile, ShardWriter,
};
use assent_schemas::{Decision, Document, LedgerRow, ReasonCode, Stage};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;
use std::time::Instant;

/// `assent merge OUT`: finishes a job of W ranks once every `manifest-RANK.json` is there.
/// Returns the merged manifest, or the one an earlier merge wrote.
pub fn merge(out: &Path, progress: ProgressFn<'_>) -> anyhow::Result<CorpusManifest> {
    let merged = out.join("manifest.json");
    if merged.exists() {
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
    let exchange = out.join(EXCHANGE_DIR);

    // 1. The job's licence shares.
    let mut audit = LicenceAudit::new(config.licence.min_domain_share);
    for p in &parts {
        audit.absorb(&p.licence_audit);
    }
    audit.finish();

    // 2. Held documents judged by them.
    let mut withdrawn = HashSet::new();
    let mut refused_rows: Vec<Vec<LedgerRow>> = vec![Vec::new(); world as usize];
    let mut refused_records: Vec<HashSet<String>> = vec![HashSet::new(); world as usize];
    for rank in 0..world {
        for doc in read_held(&licence_guard::held_path(&exchange, rank))? {
            let doc = doc?;
            if let Some(row) = licence_guard::judge(&doc, &audit) {
                withdrawn.insert(doc.doc_id.clone());
                refused_records[rank as usize].extend(doc.source.record_id.clone());
                refused_rows[rank as usize].push(row);
                audit.refused_pages += 1;
            }
        }
    }

    // 3. Exact dedup across the job.
    let losers = if config.dedup.exact {
        partitioned::decide(
            &claims_dir(out),
            world,
            config.pipeline.exchange_partitions,
            &withdrawn,
        )
        .context("cannot read the exact-dedup claims")?
    } else {
        vec![HashMap::new(); world as usize]
    };

    // 4. Each rank's outputs.
    let mut merged =
        CorpusManifest::new(&parts[0].command, parts[0].config.clone(), PIPELINE_VERSION);
    merged.config["pipeline"]["rank"] = serde_json::Value::Null;
    merged.world_size = world;
    merged.job = parts[0].job.clone();
    for (part, (rows, (losers, refused))) in parts.iter().zip(
        refused_rows
            .into_iter()
            .zip(losers.into_iter().zip(refused_records)),
    ) {
        finish_rank(
            out,
            &config,
            part,
            &mut merged,
            RankDecisions {
                refused_rows: rows,
                withdrawn: &withdrawn,
                losers,
                refused_records: refused,
            },
            progress,
        )?;
    }
    merged.licence_audit = audit;
    merged.seconds =
        parts.iter().map(|p| p.seconds).fold(0.0, f64::max) + started.elapsed().as_secs_f64();
    let path = out.join("manifest.json");
    merged
        .write(&path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    // Held documents hold text, the refused ones' too: nothing of them stays.
    if exchange.exists() {
        std::fs::remove_dir_all(&exchange)
            .with_context(|| format!("cannot remove {}", exchange.display()))?;
    }
    Ok(merged)
}

/// What the job decided about one rank's documents.
struct RankDecisions<'a> {
    refused_rows: Vec<LedgerRow>,
    withdrawn: &'a HashSet<String>,
    losers: HashMap<String, Loser>,
    refused_records: HashSet<String>,
}

fn finish_rank(
    out: &Path,
    config: &Config,
    part: &CorpusManifest,
    merged: &mut CorpusManifest,
    decided: RankDecisions<'_>,
    progress: ProgressFn<'_>,
) -> anyhow::Result<()> {
    let rank = part.rank;
    remove_added_files(out, part)?;
    merged.counts.absorb(&part.counts);
    merged.consent.absorb(&part.consent);

    // Kept documents that lost their text to another rank's: out of their shards.
    let mut by_shard: BTreeMap<&str, HashSet<String>> = BTreeMap::new();
    let mut rows: Vec<LedgerRow> = decided.refused_rows;
    for loser in decided.losers.values() {
        let c = &loser.claim;
        if let Some(shard) = &c.shard {
            by_shard.entry(shard).or_default().insert(c.doc_id.clone());
            // Its `kept` row is superseded: counted by the new one alone.
            merged.counts.remove(&kept_row_shape(c));
            merged.consent.uncount_kept(&c.unchecked);
        }
        rows.push(LedgerRow::left(
            Some(c.url.clone()),
            Some(c.doc_id.clone()),
            c.source.clone(),
            Stage::Dedup,
            ReasonCode::DedupExact,
            serde_json::json!({ "duplicate_of": loser.duplicate_of, "text_hash": c.text_hash }),
        ));
    }
    for f in &part.shards {
        let Some(drop) = by_shard.get(f.path.as_str()) else {
            merged.shards.push(f.clone());
            continue;
        };
        if !out.join(&f.path).exists() {
            continue; // emptied and removed by an end that was killed after it
        }
        let (now, _) = rewrite_shard_without(out, &f.path, drop, PIPELINE_VERSION)?;
        if now.rows > 0 {
            merged.shards.push(now);
        }
    }

    // Held documents that were believed and won their text: into shards of their own.
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
        if !batch.is_empty() {
            let shard = shards.write(batch)?;
            merged.consent.count_kept(batch);
            rows.extend(batch.iter().map(|d| LedgerRow::kept(d, &shard)));
        }
        ledger.write(rows)?;
        rows.iter().for_each(|r| merged.counts.add(r));
        batch.clear();
        rows.clear();
        progress(n);
        Ok(())
    };
    let held = licence_guard::held_path(&out.join(EXCHANGE_DIR), rank);
    for doc in read_held(&held)? {
        let doc = doc?;
        if decided.withdrawn.contains(&doc.doc_id) || decided.losers.contains_key(&doc.doc_id) {
            continue; // its row is among `rows` already
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

    // The crawler archived the refused pages' responses when they passed its own checks.
    let mut inputs = part.inputs.clone();
    if !decided.refused_records.is_empty() {
        for input in inputs.iter_mut().filter(|i| i.kind == "crawl-warc") {
            let path = Path::new(&input.path);
            licence_guard::drop_warc_records(path, &decided.refused_records)?;
            input.bytes = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
            input.sha256 = assent_manifests::sha256_file(path).unwrap_or_default();
        }
    }
    merged.inputs.extend(inputs);
    Ok(())
}

/// The stage, decision and reasons of a `kept` row (what the counts hold of it).
fn kept_row_shape(c: &partitioned::Claim) -> LedgerRow {
    let mut row = LedgerRow::left(
        None,
        None,
        c.source.clone(),
        Stage::Output,
        ReasonCode::DedupExact,
        serde_json::json!({}),
    );
    row.decision = Decision::Kept;
    row.reasons.clear();
    row
}

/// Removes shards and ledger files of the rank that its manifest does not list: written by
/// an end that did not finish.
fn remove_added_files(out: &Path, part: &CorpusManifest) -> anyhow::Result<()> {
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
