//! Wires the stages of a curation run together.
//!
//! ```text
//! reader thread ──batches──▶ process thread ──batches──▶ writer (this thread)
//!  inputs in order          rayon: extract, lang,        shards, ledger, claims,
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
//! A job is one process or W ranks (`--rank R --world-size W`, or Slurm's or Kubernetes'
//! environment). A rank reads its share of the inputs (every W-th file; for a crawl, the
//! seeds whose origin hashes to it, so that every host is crawled by one rank and politeness
//! holds across the job) and writes files that carry its rank. Two decisions need the whole
//! job: exact dedup (a rank only knows its own texts) and the licence guard (the shares of a
//! domain's licences). A rank decides what it can alone — the later of two equal texts
//! within the rank goes at once — and leaves its partial state in `OUT/exchange/`: a claim
//! per kept text, partitioned by hash, and the documents the guard holds. The job's end
//! ([`finalise`]) decides the rest with every rank's state and writes `manifest.json`: a
//! single process does it as it finishes; W ranks leave `manifest-RANK.json` each, and
//! `assent merge OUT` does it once they are all done.
//!
//! A rank's manifest is its completion marker: it names the job ([`resume::job_key`]), the
//! inputs and the outputs with their sha256. A rank relaunched with the same command skips
//! when its manifest is there, and otherwise starts from a clean state ([`resume`]).

mod finalise;
mod licence_guard;
pub mod resume;
mod site_consent;

pub use finalise::{finalise, merge};

use crate::config::Config;
use crate::inputs::{self, InputSpec};
use crate::stages::{self, Processed, StageSettings};
use anyhow::Context;
use assent_dedup::partitioned::{Claim, ClaimWriter};
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
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// The Assent version written into every row and manifest.
pub const PIPELINE_VERSION: &str = env!("CARGO_PKG_VERSION");

/// Where ranks leave the partial state that the job's end needs (removed by it).
pub const EXCHANGE_DIR: &str = "exchange";

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

/// The exact-dedup claims of a rank's directory in OUT.
fn claims_dir(out: &Path) -> PathBuf {
    out.join(EXCHANGE_DIR).join("exact")
}

/// Curates this rank's records into `out`: shards, ledger and, for a single process, the
/// finished `manifest.json`; for a rank of a larger job, `manifest-RANK.json` and its
/// partial state for `assent merge`. Returns the manifest written.
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
    manifest.job = resume::job_key(&source, config)?;
    let sites = site_consent::SiteConsent::gather(&source, out, config, rank)?;
    manifest.consent = sites.summary.clone();
    let source = share_of_source(source, rank, world);
    // The position of each input in the job's whole list: the order exact dedup keeps.
    let input_index: HashMap<String, u32> = match &source.0 {
        RecordSource::Files(_) => source
            .1
            .iter()
            .enumerate()
            .map(|(i, s)| (s.clone(), i as u32))
            .collect(),
        RecordSource::Crawl(_) => HashMap::new(),
    };
    let source = source.0;
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
    let exchange = out.join(EXCHANGE_DIR);
    let mut claims = match config.dedup.exact {
        true => Some(
            ClaimWriter::new(&claims_dir(out), rank, config.pipeline.exchange_partitions)
                .with_context(|| format!("cannot write claims under {}", exchange.display()))?,
        ),
        false => None,
    };
    let mut held = if guarded {
        Some(HeldDocs::create(&exchange, rank)?)
    } else {
        None
    };
    let hold =
        move |d: &Document| guarded && d.consent.decision == Decision::Kept && d.licence.is_some();
    let claim_of = |d: &Document, shard: Option<&str>| Claim {
        text_hash: d.text_hash.clone(),
        held: shard.is_none(),
        input: d
            .source
            .file
            .as_ref()
            .and_then(|f| input_index.get(f).copied())
            .unwrap_or(0),
        offset: d.source.offset.unwrap_or(0),
        doc_id: d.doc_id.clone(),
        rank,
        url: d.url.clone(),
        source: d.source.clone(),
        shard: shard.map(str::to_string),
        unchecked: d.consent.unchecked.clone(),
    };

    let input_files = std::thread::scope(|scope| -> anyhow::Result<Vec<InputFile>> {
        let limits = BatchLimits {
            items: config.pipeline.batch_size.max(1),
            bytes: config.pipeline.batch_bytes.max(1),
        };
        let digests = &sites.digests;
        let reader = scope.spawn(move || match source {
            RecordSource::Files(specs) => read_inputs(&specs, digests, limits, &raw_tx),
            RecordSource::Crawl(crawl) => read_crawl(
                *crawl,
                &out.join("warc").join(assent_ingest::crawl::warc_name(rank)),
                limits,
                &raw_tx,
            ),
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
                if let Some(c) = claims.as_mut() {
                    for d in &batch.held {
                        c.add(&claim_of(d, None))?;
                    }
                }
            }
            let (docs, mut rows) = (batch.docs, batch.rows);
            let n = (docs.len() + rows.len()) as u64;
            manifest.consent.count_kept(&docs);
            if !docs.is_empty() {
                let shard = shards.write(&docs)?;
                rows.extend(docs.iter().map(|d| LedgerRow::kept(d, &shard)));
                if let Some(c) = claims.as_mut() {
                    for d in &docs {
                        c.add(&claim_of(d, Some(&shard)))?;
                    }
                }
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
    if let Some(c) = claims.take() {
        c.finish()
            .with_context(|| format!("cannot write claims under {}", exchange.display()))?;
    }
    if let Some(h) = held.take() {
        h.finish()?;
    }
    // Per rank: the job's end sums them and fills in the shares.
    manifest.licence_audit = audit;
    // The site files a live check fetched are part of what the decisions rest on.
    drop(settings);
    input_files.extend(sites.finish()?);

    manifest.inputs = input_files;
    manifest.shards = shards.finish()?;
    manifest.ledger = ledger.finish()?;
    manifest.seconds = started.elapsed().as_secs_f64();
    if world == 1 {
        return finalise(out, vec![manifest], progress);
    }
    let path = out.join(manifest_name(rank, world));
    manifest
        .write(&path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(manifest)
}

/// This rank's part of the job's source, with the display names of the job's whole input
/// list (empty for a crawl). A crawl's seeds are split by the hash of their origin.
fn share_of_source(source: RecordSource, rank: u32, world: u32) -> (RecordSource, Vec<String>) {
    match source {
        RecordSource::Files(specs) => {
            let names = specs.iter().map(InputSpec::display_name).collect();
            (
                RecordSource::Files(inputs::share_of(&specs, rank, world)),
                names,
            )
        }
        RecordSource::Crawl(mut crawl) => {
            crawl
                .seeds
                .retain(|seed| assent_ingest::crawl::rank_of_seed(seed, world) == rank);
            (RecordSource::Crawl(crawl), Vec::new())
        }
    }
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
    warc: &Path,
    limits: BatchLimits,
    tx: &crossbeam_channel::Sender<Vec<InputItem>>,
) -> anyhow::Result<Vec<InputFile>> {
    let mut crawl = assent_ingest::crawl::crawl(config, warc)?;
    let mut batcher = Batcher::new(limits, tx);
    for item in crawl.by_ref() {
        if !batcher.push(item) {
            break;
        }
    }
    batcher.flush();
    crawl.finish()?;
    let bytes = std::fs::metadata(warc).map(|m| m.len()).unwrap_or(0);
    let sha256 = assent_manifests::sha256_file(warc).unwrap_or_default();
    Ok(vec![InputFile {
        path: warc.display().to_string(),
        kind: "crawl-warc".into(),
        bytes,
        sha256,
    }])
}
