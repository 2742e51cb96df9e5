//! Wires the stages of a curation run together.
//!
//! ```text
//! reader thread ──batches──▶ process thread ──batches──▶ writer (this thread)
//!  inputs in order          rayon: extract, lang,        shards, ledger,
//!                           hash; then dedup in order     counts, progress
//! ```
//!
//! Channels are bounded (`channel_batches` batches of at most `batch_size` records or
//! `batch_bytes` of payload), so at most a few batches are in memory whatever the size of the
//! input. Work inside a batch spreads over every core; the reader and the writer overlap with
//! it. If the writer fails, it drops its receiver,
//! the upstream sends fail, and every thread ends.
//!
//! Before the first batch, the site files of archived pages are gathered ([`site_consent`]):
//! every WARC input of this rank (and every `[consent] site_files` archive) is read once for
//! its robots.txt, ai.txt, tdmrep.json and RSL captures, hashing it for the manifest on the
//! way; in `live` mode the hosts are asked as each batch arrives. Pages of file input are
//! judged with them in the per-document stages, as crawled pages are by the crawler.
//!
//! The writer also counts every page's licence by domain (`manifest.json`'s `licence_audit`).
//! Under policy `open-licence-only` with `[licence] min_domain_share` above 0, documents
//! whose admission depends on their domain's licence share wait on disk until the input is
//! exhausted, then are written or refused ([`licence_guard`]).

mod licence_guard;
mod site_consent;

use crate::config::Config;
use crate::inputs::{self, InputSpec};
use crate::stages::{self, Processed, StageSettings};
use anyhow::Context;
use assent_dedup::ExactDedup;
use assent_filter::LanguageFilter;
use assent_ingest::consent::Policy;
use assent_ingest::crawl::CrawlConfig;
use assent_ingest::{InputItem, Payload};
use assent_manifests::{CorpusManifest, InputFile, LedgerWriter, LicenceAudit, ShardWriter};
use assent_schemas::{Decision, Document, LedgerRow};
use crossbeam_channel::bounded;
use licence_guard::HeldDocs;
use rayon::prelude::*;
use std::path::Path;
use std::time::Instant;

/// The Assent version written into every row and manifest.
pub const PIPELINE_VERSION: &str = env!("CARGO_PKG_VERSION");

/// Called after each batch is written, with the number of records it held.
pub type ProgressFn<'a> = &'a (dyn Fn(u64) + Sync);

/// Where a run's records come from.
pub enum RecordSource {
    /// WARC, Parquet and JSONL files; a task of a larger job reads its share of them.
    Files(Vec<InputSpec>),
    /// A live crawl, streamed into curation; fetched site files and kept responses go to
    /// `OUT/warc/`.
    Crawl(Box<CrawlConfig>),
}

/// Curates records into `out`: shards, ledger and the manifest. Returns the manifest.
pub fn curate(
    source: RecordSource,
    out: &Path,
    config: &Config,
    command: &str,
    progress: ProgressFn<'_>,
) -> anyhow::Result<CorpusManifest> {
    let started = Instant::now();
    let (rank, world) = config.rank_and_world()?;
    let min_share = config.licence.min_domain_share;
    anyhow::ensure!(
        (0.0..=1.0).contains(&min_share),
        "[licence] min_domain_share must be between 0 and 1, not {min_share}"
    );
    // Only documents kept under open-licence-only depend on their licence: crawled or
    // archived, both are judged by the same policy.
    let guarded = min_share > 0.0 && config.crawl.policy == Policy::OpenLicenceOnly;
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    let mut manifest =
        CorpusManifest::new(command, serde_json::to_value(config)?, PIPELINE_VERSION);
    manifest.rank = rank;
    manifest.world_size = world;

    let sites = site_consent::SiteConsent::gather(&source, out, config, rank, world)?;
    manifest.consent = sites.summary.clone();
    let settings = StageSettings {
        language: LanguageFilter {
            allowed: config.lang.allowed.clone(),
            min_score: config.lang.min_score,
        },
        pipeline_version: PIPELINE_VERSION.to_string(),
        consent: sites.consent.clone(),
    };
    let dedup = config.dedup.exact.then(ExactDedup::new);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(config.pipeline.threads)
        .thread_name(|i| format!("assent-worker-{i}"))
        .build()?;
    let (raw_tx, raw_rx) = bounded::<Vec<InputItem>>(config.pipeline.channel_batches.max(1));
    let (done_tx, done_rx) = bounded::<stages::Batch>(config.pipeline.channel_batches.max(1));

    let mut shards = ShardWriter::new(out, rank, config.output.shard_text_bytes, PIPELINE_VERSION)?;
    let mut ledger = LedgerWriter::new(out, rank, PIPELINE_VERSION)?;
    let mut audit = LicenceAudit::new(min_share);
    let mut held = if guarded {
        Some(HeldDocs::create(out, rank)?)
    } else {
        None
    };
    let hold =
        move |d: &Document| guarded && d.consent.decision == Decision::Kept && d.licence.is_some();

    let input_files = std::thread::scope(|scope| -> anyhow::Result<Vec<InputFile>> {
        let limits = BatchLimits {
            items: config.pipeline.batch_size.max(1),
            bytes: config.pipeline.batch_bytes.max(1),
        };
        let digests = &sites.digests;
        let reader = scope.spawn(move || match source {
            RecordSource::Files(specs) => read_inputs(
                &inputs::share_of(&specs, rank, world),
                digests,
                limits,
                &raw_tx,
            ),
            RecordSource::Crawl(crawl) => read_crawl(*crawl, &out.join("warc"), limits, &raw_tx),
        });
        let settings = &settings;
        let dedup = dedup.as_ref();
        let pool = &pool;
        let hold = &hold;
        scope.spawn(move || {
            for batch in raw_rx {
                // A live site check fetches for the whole batch's hosts at once.
                settings.consent.prepare(&batch);
                let processed: Vec<Processed> = pool.install(|| {
                    batch
                        .into_par_iter()
                        .map(|item| stages::process_item(item, settings))
                        .collect()
                });
                if done_tx
                    .send(stages::finish_batch(processed, dedup, hold))
                    .is_err()
                {
                    return;
                }
            }
        });
        for batch in done_rx {
            for seen in &batch.seen {
                audit.add(&seen.domain, seen.spdx.as_deref());
            }
            if let Some(h) = held.as_mut() {
                h.append(&batch.held)?;
            }
            let (docs, mut rows) = (batch.docs, batch.rows);
            let n = (docs.len() + rows.len()) as u64;
            manifest.consent.count_kept(&docs);
            if !docs.is_empty() {
                let shard = shards.write(&docs)?;
                rows.extend(docs.iter().map(|d| LedgerRow::kept(d, &shard)));
            }
            ledger.write(&rows)?;
            rows.iter().for_each(|r| manifest.counts.add(r));
            progress(n);
        }
        reader
            .join()
            .map_err(|_| anyhow::anyhow!("the input reader panicked"))?
    })?;
    let mut input_files = input_files;

    if let Some(mut h) = held.take() {
        let refused = release_held(
            &mut h,
            &mut audit,
            dedup.as_ref(),
            BatchLimits {
                items: config.pipeline.batch_size.max(1),
                bytes: config.pipeline.batch_bytes.max(1),
            },
            &mut shards,
            &mut ledger,
            &mut manifest,
            progress,
        )?;
        drop(h);
        // The crawler archived these responses when they passed its own checks: take them out.
        if !refused.is_empty() {
            for input in input_files.iter_mut().filter(|i| i.kind == "crawl-warc") {
                let path = Path::new(&input.path);
                licence_guard::drop_warc_records(path, &refused)?;
                input.bytes = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
                input.sha256 = assent_manifests::sha256_file(path).unwrap_or_default();
            }
        }
    }
    audit.finish();
    manifest.licence_audit = audit;
    // The site files a live check fetched are part of what the decisions rest on.
    drop(settings);
    input_files.extend(sites.finish()?);

    manifest.inputs = input_files;
    manifest.shards = shards.finish()?;
    manifest.ledger = ledger.finish()?;
    manifest.seconds = started.elapsed().as_secs_f64();
    let path = out.join(manifest_name(rank, world));
    manifest
        .write(&path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(manifest)
}

/// Writes or refuses every held document once the licence shares are final (see
/// [`licence_guard`]); returns the WARC record ids of the refused ones.
#[allow(clippy::too_many_arguments)]
fn release_held(
    held: &mut HeldDocs,
    audit: &mut LicenceAudit,
    dedup: Option<&ExactDedup>,
    limits: BatchLimits,
    shards: &mut ShardWriter,
    ledger: &mut LedgerWriter,
    manifest: &mut CorpusManifest,
    progress: ProgressFn<'_>,
) -> anyhow::Result<std::collections::HashSet<String>> {
    let mut refused = std::collections::HashSet::new();
    let mut docs: Vec<Document> = Vec::new();
    let mut rows: Vec<LedgerRow> = Vec::new();
    let mut bytes = 0;
    let mut flush = |docs: &mut Vec<Document>,
                     rows: &mut Vec<LedgerRow>,
                     manifest: &mut CorpusManifest|
     -> anyhow::Result<()> {
        let n = (docs.len() + rows.len()) as u64;
        if !docs.is_empty() {
            let shard = shards.write(docs)?;
            rows.extend(docs.iter().map(|d| LedgerRow::kept(d, &shard)));
        }
        ledger.write(rows)?;
        rows.iter().for_each(|r| manifest.counts.add(r));
        docs.clear();
        rows.clear();
        progress(n);
        Ok(())
    };
    for doc in held.drain()? {
        let doc = doc?;
        if let Some(row) = licence_guard::judge(&doc, audit) {
            refused.extend(doc.source.record_id.clone());
            audit.refused_pages += 1;
            rows.push(row);
        } else {
            let (kept, mut left) =
                stages::dedup_batch(vec![stages::Outcome::Candidate(Box::new(doc))], dedup);
            manifest.consent.count_kept(&kept);
            rows.append(&mut left);
            bytes += kept.iter().map(|d| d.text.len()).sum::<usize>();
            docs.extend(kept);
        }
        if docs.len() + rows.len() >= limits.items || bytes >= limits.bytes {
            flush(&mut docs, &mut rows, manifest)?;
            bytes = 0;
        }
    }
    if !docs.is_empty() || !rows.is_empty() {
        flush(&mut docs, &mut rows, manifest)?;
    }
    Ok(refused)
}

/// `manifest.json` for a single task; `manifest-RANK.json` for each task of a larger job.
pub fn manifest_name(rank: u32, world: u32) -> String {
    if world == 1 {
        "manifest.json".to_string()
    } else {
        format!("manifest-{rank:05}.json")
    }
}

/// When the reader hands a batch on: whichever limit is reached first.
#[derive(Clone, Copy)]
struct BatchLimits {
    items: usize,
    bytes: usize,
}

/// Bytes an item holds in memory, near enough for batching.
fn payload_bytes(item: &InputItem) -> usize {
    match item {
        InputItem::Page(page) => match &page.payload {
            Payload::Html(b) | Payload::PlainText(b) => b.len(),
            Payload::Text(t) => t.len(),
        },
        InputItem::Skipped(row) => row.evidence.len(),
    }
}

/// Hands items on in batches; false once the receiver has gone (the writer stopped).
struct Batcher<'a> {
    limits: BatchLimits,
    batch: Vec<InputItem>,
    bytes: usize,
    tx: &'a crossbeam_channel::Sender<Vec<InputItem>>,
}

impl<'a> Batcher<'a> {
    fn new(limits: BatchLimits, tx: &'a crossbeam_channel::Sender<Vec<InputItem>>) -> Self {
        Batcher {
            limits,
            batch: Vec::with_capacity(limits.items),
            bytes: 0,
            tx,
        }
    }

    fn push(&mut self, item: InputItem) -> bool {
        self.bytes += payload_bytes(&item);
        self.batch.push(item);
        if self.batch.len() >= self.limits.items || self.bytes >= self.limits.bytes {
            return self.flush();
        }
        true
    }

    fn flush(&mut self) -> bool {
        self.bytes = 0;
        if self.batch.is_empty() {
            return true;
        }
        let full = std::mem::replace(&mut self.batch, Vec::with_capacity(self.limits.items));
        self.tx.send(full).is_ok()
    }
}

/// Reads every input in order into batches; returns the inputs with their sizes and sha256
/// (from `digests` for the WARC files the site-file scan already read).
fn read_inputs(
    mine: &[InputSpec],
    digests: &std::collections::HashMap<std::path::PathBuf, assent_ingest::archive::FileDigest>,
    limits: BatchLimits,
    tx: &crossbeam_channel::Sender<Vec<InputItem>>,
) -> anyhow::Result<Vec<InputFile>> {
    let mut files = Vec::with_capacity(mine.len());
    let mut batcher = Batcher::new(limits, tx);
    for spec in mine {
        let (bytes, sha256) = match (digests.get(&spec.path), std::fs::metadata(&spec.path)) {
            (Some(d), _) => (d.bytes, d.sha256.clone()),
            (None, Ok(meta)) => (
                meta.len(),
                assent_manifests::sha256_file(&spec.path).unwrap_or_default(),
            ),
            (None, Err(_)) => (0, String::new()),
        };
        files.push(InputFile {
            path: spec.display_name(),
            kind: spec.kind.as_str().to_string(),
            bytes,
            sha256,
        });
        for item in inputs::read(spec) {
            if !batcher.push(item) {
                return Ok(files); // the writer stopped; it reports why
            }
        }
    }
    batcher.flush();
    Ok(files)
}

/// Streams a crawl into batches; the crawl's WARC is listed as the run's input afterwards.
fn read_crawl(
    config: CrawlConfig,
    warc_dir: &Path,
    limits: BatchLimits,
    tx: &crossbeam_channel::Sender<Vec<InputItem>>,
) -> anyhow::Result<Vec<InputFile>> {
    let mut crawl = assent_ingest::crawl::crawl(config, warc_dir)?;
    let mut batcher = Batcher::new(limits, tx);
    for item in crawl.by_ref() {
        if !batcher.push(item) {
            break;
        }
    }
    batcher.flush();
    crawl.finish()?;
    let warc = warc_dir.join(assent_ingest::crawl::WARC_NAME);
    let bytes = std::fs::metadata(&warc).map(|m| m.len()).unwrap_or(0);
    let sha256 = assent_manifests::sha256_file(&warc).unwrap_or_default();
    Ok(vec![InputFile {
        path: warc.display().to_string(),
        kind: "crawl-warc".into(),
        bytes,
        sha256,
    }])
}
