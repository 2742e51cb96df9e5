//! Wires the stages of a curation run together.
//!
//! ```text
//! reader thread ──batches──▶ process thread ──batches──▶ writer (this thread)
//!  inputs in order          rayon: extract, lang,        shards, ledger,
//!                           hash; then dedup in order     counts, progress
//! ```
//!
//! Channels are bounded (`channel_batches` batches of `batch_size` records), so at most a few
//! batches are in memory whatever the size of the input. Work inside a batch spreads over every
//! core; the reader and the writer overlap with it. If the writer fails, it drops its receiver,
//! the upstream sends fail, and every thread ends.

use crate::config::Config;
use crate::inputs::{self, InputSpec};
use crate::stages::{self, Outcome, StageSettings};
use anyhow::Context;
use assent_dedup::ExactDedup;
use assent_filter::LanguageFilter;
use assent_ingest::InputItem;
use assent_manifests::{CorpusManifest, InputFile, LedgerWriter, ShardWriter};
use assent_schemas::{Document, LedgerRow};
use crossbeam_channel::bounded;
use rayon::prelude::*;
use std::path::Path;
use std::time::Instant;

/// The Assent version written into every row and manifest.
pub const PIPELINE_VERSION: &str = env!("CARGO_PKG_VERSION");

/// Called after each batch is written, with the number of records it held.
pub type ProgressFn<'a> = &'a (dyn Fn(u64) + Sync);

/// Curates `inputs` into `out`: shards, ledger and `manifest.json`. Returns the manifest.
pub fn curate(
    inputs: &[InputSpec],
    out: &Path,
    config: &Config,
    command: &str,
    progress: ProgressFn<'_>,
) -> anyhow::Result<CorpusManifest> {
    let started = Instant::now();
    let (rank, world) = config.rank_and_world()?;
    let mine = inputs::share_of(inputs, rank, world);
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    let mut manifest = CorpusManifest::new(command, serde_json::to_value(config)?, PIPELINE_VERSION);
    manifest.rank = rank;
    manifest.world_size = world;

    let settings = StageSettings {
        language: LanguageFilter { allowed: config.lang.allowed.clone(), min_score: config.lang.min_score },
        pipeline_version: PIPELINE_VERSION.to_string(),
    };
    let dedup = config.dedup.exact.then(ExactDedup::new);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(config.pipeline.threads)
        .thread_name(|i| format!("assent-worker-{i}"))
        .build()?;
    let batch_size = config.pipeline.batch_size.max(1);
    let (raw_tx, raw_rx) = bounded::<Vec<InputItem>>(config.pipeline.channel_batches.max(1));
    let (done_tx, done_rx) = bounded::<(Vec<Document>, Vec<LedgerRow>)>(config.pipeline.channel_batches.max(1));

    let mut shards = ShardWriter::new(out, rank, config.output.shard_text_bytes, PIPELINE_VERSION)?;
    let mut ledger = LedgerWriter::new(out, rank, PIPELINE_VERSION)?;

    let input_files = std::thread::scope(|scope| -> anyhow::Result<Vec<InputFile>> {
        let reader = scope.spawn(move || read_inputs(&mine, batch_size, &raw_tx));
        let settings = &settings;
        let dedup = dedup.as_ref();
        let pool = &pool;
        scope.spawn(move || {
            for batch in raw_rx {
                let outcomes: Vec<Outcome> =
                    pool.install(|| batch.into_par_iter().map(|item| stages::process_item(item, settings)).collect());
                if done_tx.send(stages::dedup_batch(outcomes, dedup)).is_err() {
                    return;
                }
            }
        });
        for (docs, mut rows) in done_rx {
            let n = (docs.len() + rows.len()) as u64;
            if !docs.is_empty() {
                let shard = shards.write(&docs)?;
                rows.extend(docs.iter().map(|d| LedgerRow::kept(d, &shard)));
            }
            ledger.write(&rows)?;
            rows.iter().for_each(|r| manifest.counts.add(r));
            progress(n);
        }
        reader.join().map_err(|_| anyhow::anyhow!("the input reader panicked"))?
    })?;

    manifest.inputs = input_files;
    manifest.shards = shards.finish()?;
    manifest.ledger = ledger.finish()?;
    manifest.seconds = started.elapsed().as_secs_f64();
    let path = out.join(manifest_name(rank, world));
    manifest.write(&path).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(manifest)
}

/// `manifest.json` for a single task; `manifest-RANK.json` for each task of a larger job.
pub fn manifest_name(rank: u32, world: u32) -> String {
    if world == 1 {
        "manifest.json".to_string()
    } else {
        format!("manifest-{rank:05}.json")
    }
}

/// Reads every input in order into batches; returns the inputs with their sizes and sha256.
fn read_inputs(
    mine: &[InputSpec],
    batch_size: usize,
    tx: &crossbeam_channel::Sender<Vec<InputItem>>,
) -> anyhow::Result<Vec<InputFile>> {
    let mut files = Vec::with_capacity(mine.len());
    let mut batch = Vec::with_capacity(batch_size);
    for spec in mine {
        let (bytes, sha256) = match std::fs::metadata(&spec.path) {
            Ok(meta) => (meta.len(), assent_manifests::sha256_file(&spec.path).unwrap_or_default()),
            Err(_) => (0, String::new()),
        };
        files.push(InputFile { path: spec.display_name(), kind: spec.kind.as_str().to_string(), bytes, sha256 });
        for item in inputs::read(spec) {
            batch.push(item);
            if batch.len() == batch_size {
                let full = std::mem::replace(&mut batch, Vec::with_capacity(batch_size));
                if tx.send(full).is_err() {
                    return Ok(files); // the writer stopped; it reports why
                }
            }
        }
    }
    if !batch.is_empty() {
        let _ = tx.send(batch);
    }
    Ok(files)
}
