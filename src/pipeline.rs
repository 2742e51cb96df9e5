//! Wires the stages of a curation run together.
//!
//! ```text
//! reader thread ──batches──▶ process thread ──batches──▶ writer (this thread)
//!  inputs in order          rayon: admission, then       stream steps in input order,
//!                           the per-document steps       shards, ledger, counts, progress
//! ```
//!
//! The executor knows no concrete step: it runs admission (decode, consent and licence,
//! extract) and the steps [`crate::steps::build`] makes from `[pipeline] steps`.
//!
//! Channels are bounded (`channel_batches` batches of at most `batch_size` records or
//! `batch_bytes` of payload), so at most a few batches are in memory whatever the size of the
//! input. Work inside a batch spreads over every core; the reader and the writer overlap with
//! it. If the writer fails, it drops its receiver,
//! the upstream sends fail, and every thread ends.
//!
//! Before the first batch, the site files of archived pages are gathered ([`site_consent`]):
//! every WARC input of the job, not only this rank's (a page's robots.txt may sit in a file
//! another rank reads), and every `[consent] site_files` archive, is read once for its
//! robots.txt, ai.txt, tdmrep.json and RSL captures, hashing it for the manifest on the way;
//! in `live` mode the hosts are asked as each batch arrives. Pages of file input are judged
//! with them at admission, as crawled pages are by the crawler.
//!
//! A job is one process or W ranks (`--rank R --world-size W`, or Slurm's or Kubernetes'
//! environment). A rank reads its share of the inputs (every W-th file; for a crawl, the
//! seeds whose host hashes to it, so that every host is crawled by one rank and politeness
//! holds across the job) and writes files that carry its rank. Some stream steps need the
//! whole job: exact dedup (a rank only knows its own texts) and the licence guard (the shares
//! of a domain's licences). A rank's step decides what it can alone — the later of two equal
//! texts within the rank goes at once — and leaves its partial state in `OUT/exchange/`: a
//! claim per kept text, partitioned by hash, and the documents held. The job's end
//! ([`finalise`]) decides the rest with every rank's state and writes `manifest.json`: a
//! single process does it as it finishes; W ranks leave `manifest-RANK.json` each, and
//! `assent merge OUT` does it once they are all done.
//!
//! A rank's manifest is its completion marker: it names the job ([`resume::job_key`]), the
//! inputs and the outputs with their sha256. A rank relaunched with the same command skips
//! when its manifest is there, and otherwise starts from a clean state ([`resume`]).

pub(crate) mod finalise;
pub mod resume;
mod site_consent;

pub use finalise::{finalise, merge};

use crate::config::Config;
use crate::inputs::{self, InputSpec};
use crate::stages::{self, Outcome, Processed, StageSettings};
use crate::steps::{self, Flow, RankContext, StreamStep};
use anyhow::Context;
use assent_ingest::crawl::CrawlConfig;
use assent_ingest::InputItem;
use assent_manifests::{CorpusManifest, InputFile, LedgerWriter, LicenceAudit, ShardWriter};
use assent_schemas::stream::HeldDocs;
use assent_schemas::{Document, LedgerRow};
use crossbeam_channel::bounded;
use rayon::prelude::*;
use std::collections::HashMap;
use std::path::Path;
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
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    let mut manifest =
        CorpusManifest::new(command, serde_json::to_value(config)?, PIPELINE_VERSION);
    manifest.rank = rank;
    manifest.world_size = world;
    manifest.job = resume::job_key(&source, config)?;
    let sites = site_consent::SiteConsent::gather(&source, out, config, rank)?;
    manifest.consent = sites.summary.clone();
    let (source, names) = share_of_source(source, rank, world);
    // The position of each input in the job's whole list: the order exact dedup keeps.
    let input_index: HashMap<String, u32> = names
        .into_iter()
        .enumerate()
        .map(|(i, s)| (s, i as u32))
        .collect();
    let (doc_steps, mut stream_steps) = steps::build(
        config,
        Some(RankContext {
            exchange: &out.join(EXCHANGE_DIR),
            rank,
            world,
            input_index: &input_index,
        }),
    )?;

    let settings = StageSettings {
        pipeline_version: PIPELINE_VERSION.to_string(),
        consent: sites.consent.clone(),
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(config.pipeline.threads)
        .thread_name(|i| format!("assent-worker-{i}"))
        .build()?;
    let (raw_tx, raw_rx) = bounded::<Vec<InputItem>>(config.pipeline.channel_batches.max(1));
    let (done_tx, done_rx) = bounded::<Vec<Processed>>(config.pipeline.channel_batches.max(1));

    let mut writer = RankWriter {
        shards: ShardWriter::new(out, rank, config.output.shard_text_bytes, PIPELINE_VERSION)?,
        ledger: LedgerWriter::new(out, rank, PIPELINE_VERSION)?,
        held: HeldDocs::new(&out.join(EXCHANGE_DIR), rank),
        audit: LicenceAudit::new(config.licence.min_domain_share),
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
        let pool = &pool;
        let doc_steps = &doc_steps;
        scope.spawn(move || {
            for batch in raw_rx {
                // A live site check fetches for the whole batch's hosts at once.
                settings.consent.prepare(&batch);
                let processed: Vec<Processed> = pool.install(|| {
                    batch
                        .into_par_iter()
                        .map(|item| stages::process_item(item, settings, doc_steps))
                        .collect()
                });
                if done_tx.send(processed).is_err() {
                    return;
                }
            }
        });
        for batch in done_rx {
            let n = batch.len() as u64;
            writer.write_batch(batch, &mut stream_steps, &mut manifest)?;
            progress(n);
        }
        reader
            .join()
            .map_err(|_| anyhow::anyhow!("the input reader panicked"))?
    })?;
    let mut input_files = input_files;
    for step in stream_steps.iter_mut() {
        step.finish_rank()
            .with_context(|| format!("step {}", step.name()))?;
    }
    writer.held.finish()?;
    // Per rank: the job's end sums them and fills in the shares.
    manifest.licence_audit = writer.audit;
    // The site files a live check fetched are part of what the decisions rest on.
    drop(settings);
    input_files.extend(sites.finish()?);

    manifest.inputs = input_files;
    manifest.exchange = exchange_files(out, rank)?;
    manifest.shards = writer.shards.finish()?;
    manifest.ledger = writer.ledger.finish()?;
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

/// The files of `OUT/exchange/` that rank `rank` wrote, relative to OUT.
fn exchange_files(out: &Path, rank: u32) -> anyhow::Result<Vec<String>> {
    let mut files = Vec::new();
    let dir = out.join(EXCHANGE_DIR);
    let subs = [
        dir.clone(),
        assent_dedup::Key::Text.dir(&dir),
        assent_dedup::Key::Url.dir(&dir),
        assent_dedup::near_step::work_dir(&dir),
    ];
    for sub in subs {
        let Ok(entries) = std::fs::read_dir(&sub) else {
            continue;
        };
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            let mine = ["held-", "claims-", "sig-", "docs-"]
                .iter()
                .any(|p| name.starts_with(&format!("{p}{rank:05}")));
            if mine && e.path().is_file() {
                let rel = e.path().strip_prefix(out).map(|p| p.to_path_buf());
                files.push(rel.unwrap_or_else(|_| e.path()).display().to_string());
            }
        }
    }
    files.sort();
    Ok(files)
}

/// The writer thread's outputs.
struct RankWriter {
    shards: ShardWriter,
    ledger: LedgerWriter,
    held: HeldDocs,
    audit: LicenceAudit,
}

impl RankWriter {
    /// Runs a batch through the stream steps in input order, then writes it: documents to a
    /// shard (or, held, to the held file), every record's row to the ledger.
    fn write_batch(
        &mut self,
        batch: Vec<Processed>,
        steps: &mut [Box<dyn StreamStep>],
        manifest: &mut CorpusManifest,
    ) -> anyhow::Result<()> {
        let mut docs: Vec<Document> = Vec::new();
        let mut rows: Vec<LedgerRow> = Vec::new();
        for p in batch {
            if let Some(seen) = &p.seen {
                self.audit.add(&seen.domain, seen.spdx.as_deref());
            }
            let doc = match p.outcome {
                Outcome::Left(row) => {
                    rows.push(row);
                    continue;
                }
                Outcome::Candidate(doc) => *doc,
            };
            match through_steps(doc, steps) {
                Err(row) => rows.push(*row),
                Ok((doc, true)) => {
                    self.held.append(&doc)?;
                    for step in steps.iter_mut() {
                        step.passed(&doc, None)?;
                    }
                }
                Ok((doc, false)) => docs.push(doc),
            }
        }
        if let Some(shard) = write_kept(&mut self.shards, &mut self.ledger, &docs, rows, manifest)?
        {
            for d in &docs {
                for step in steps.iter_mut() {
                    step.passed(d, Some(&shard))?;
                }
            }
        }
        Ok(())
    }
}

/// Writes kept `docs` to a shard and `rows` with their `kept` rows to the ledger, counting
/// both in `manifest`; returns the shard, if there were documents. The one writer of a rank's
/// batches and of the job's end.
fn write_kept(
    shards: &mut ShardWriter,
    ledger: &mut LedgerWriter,
    docs: &[Document],
    mut rows: Vec<LedgerRow>,
    manifest: &mut CorpusManifest,
) -> anyhow::Result<Option<String>> {
    let shard = match docs.is_empty() {
        true => None,
        false => Some(shards.write(docs)?),
    };
    if let Some(shard) = &shard {
        manifest.consent.count_kept(docs);
        rows.extend(docs.iter().map(|d| LedgerRow::kept(d, shard)));
    }
    ledger.write(&rows)?;
    rows.iter().for_each(|r| manifest.counts.add(r));
    Ok(shard)
}

/// A document through the stream steps: kept (and whether a step holds it), or its row.
fn through_steps(
    doc: Document,
    steps: &mut [Box<dyn StreamStep>],
) -> Result<(Document, bool), Box<LedgerRow>> {
    let (mut doc, mut held) = (doc, false);
    for step in steps.iter_mut() {
        doc = match step.see(doc, held) {
            Flow::Pass(d) => d,
            Flow::Hold(d) => {
                held = true;
                d
            }
            Flow::Left(row) => return Err(Box::new(row)),
        };
    }
    Ok((doc, held))
}

/// This rank's part of the job's source, with the display names of the job's whole input
/// list (empty for a crawl). A crawl's seeds are split by the hash of their host.
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
        InputItem::Page(page) => page.payload.len(),
        InputItem::Skipped(row) | InputItem::RefusedPage { row, .. } => row.evidence.len(),
        // A signal is a few short strings besides its raw value.
        InputItem::Document(doc) => {
            doc.text.len()
                + doc
                    .consent
                    .evidence
                    .iter()
                    .map(|s| s.raw.len() + 128)
                    .sum::<usize>()
        }
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
        if let Some(expected) = &spec.expected_sha256 {
            anyhow::ensure!(
                expected.eq_ignore_ascii_case(&sha256),
                "{} has sha256 {sha256}, but its corpus manifest says {expected}: the corpus changed since it was written",
                spec.display_name()
            );
        }
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
