//! The crawl itself: per-origin workers over a shared fetcher, yielding pages and ledger rows.
//!
//! Each origin gets one worker task that loads the site's consent files (again whenever its
//! robots.txt is older than 24 hours), then works through its own queue (seeds, sitemap URLs,
//! same-origin links) in order; at most `max_hosts_in_flight` workers run at once. Politeness
//! is enforced underneath, in the fetcher, per host, so a redirect from one origin into another
//! still waits its turn there. Every URL taken into a queue leaves exactly one item: a [`Page`]
//! when kept, a ledger row otherwise; so does every other URL a kept page links to (another
//! origin, or beyond `max_depth`): one `fetch.not-reached` row per distinct canonical URL,
//! through the same crawl-wide seen-set.

use super::config::{secs, CrawlConfig};
use super::fetch::{Fetched, Fetcher};
use super::guard::{Guard, ResolveMap};
use super::politeness::{host_key, Politeness};
use super::site::{RslCache, SiteCache};
use assent_consent::registry::OptOutRegistry;
use assent_consent::robots::MAX_AGE;
use assent_consent::site::{SiteRules, SiteSignals};
use assent_inputs::warc::WarcWriter;
use assent_schemas::page::InputItem;
use assent_schemas::{LedgerRow, ReasonCode, Source, SourceKind, Stage};
use chrono::Utc;
use serde_json::{json, Value};
use std::collections::{HashMap, HashSet, VecDeque};
use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;
use tokio::sync::{mpsc, Semaphore};
use url::Url;

/// `why` of a link to another origin, which the crawl does not follow.
pub(crate) const OTHER_ORIGIN: &str = "other origin";
/// `why` of a same-origin link one level deeper than `max_depth`.
pub(crate) const BEYOND_MAX_DEPTH: &str = "beyond max_depth";
/// `why` of a sitemap entry left out because the crawl already has `max_pages` URLs.
pub(crate) const BEYOND_MAX_PAGES: &str = "beyond max_pages";

/// The WARC file a single-process crawl writes in its output directory.
pub const WARC_NAME: &str = "crawl-00000.warc.gz";

/// The WARC file rank `rank` of a crawl writes: `crawl-RANK.warc.gz`.
pub fn warc_name(rank: u32) -> String {
    format!("crawl-{rank:05}.warc.gz")
}

/// Why a crawl could not start or finish.
#[derive(Debug, thiserror::Error)]
pub enum CrawlError {
    #[error("crawl configuration: {0}")]
    Config(String),
    #[error("opt-out registry {path}: {message}")]
    Registry { path: PathBuf, message: String },
    #[error("WARC output {path}: {source}")]
    Warc {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("HTTP client: {0}")]
    Client(String),
    #[error("crawl thread panicked")]
    Panicked,
}

/// Shared state of one crawl.
pub(crate) struct Ctx {
    pub config: CrawlConfig,
    pub fetcher: Fetcher,
    pub registry: Option<OptOutRegistry>,
    pub allowed_licences: Vec<String>,
    /// Site rules per origin; robots.txt is re-fetched once its cached copy is older than
    /// [`MAX_AGE`](assent_consent::robots::MAX_AGE).
    pub(crate) sites: SiteCache,
    /// RSL documents fetched, by URL.
    pub(crate) rsl_cache: RslCache,
    /// Taken (and flushed) when the crawl ends.
    warc: Mutex<Option<WarcWriter<BufWriter<File>>>>,
    warc_path: PathBuf,
    warc_error: Mutex<Option<std::io::Error>>,
    seen: Mutex<HashSet<String>>,
    /// The origins the crawl has a worker for (set before any worker starts).
    origins: Mutex<HashSet<String>>,
    /// Links into another worker's origin, by canonical URL: that worker may still queue
    /// them, so their `fetch.not-reached` rows wait for the end of the crawl.
    deferred: Mutex<HashMap<String, (String, Value)>>,
    pub pages: AtomicUsize,
    /// Items wait here and go to the consumer [`BATCH`] at a time (or when the crawl flushes
    /// them): a send that wakes the consumer's thread costs a system call, and one per item
    /// was a tenth of the crawler's CPU time (scripts/bench_crawl.sh).
    outbox: Mutex<Vec<InputItem>>,
    pub tx: mpsc::Sender<Vec<InputItem>>,
}

/// Items sent to the consumer together.
const BATCH: usize = 64;
/// Batches the channel holds: with the outbox, at most 320 items wait for the consumer.
const BATCHES_IN_FLIGHT: usize = 4;
/// Longest time an item waits in the outbox while the crawl goes on.
const FLUSH_EVERY: Duration = Duration::from_millis(100);

impl Ctx {
    /// The shared state of a crawl (or of a live check of archived pages' sites): the
    /// address guard, the fetcher, the opt-out registry, and a WARC at `warc_path` for what is
    /// fetched; robots.txt is fetched again once `robots_max_age` old. Items go to `tx`.
    pub(crate) fn new(
        config: CrawlConfig,
        warc_path: PathBuf,
        robots_max_age: Duration,
        tx: mpsc::Sender<Vec<InputItem>>,
    ) -> Result<Ctx, CrawlError> {
        let map = ResolveMap::parse(&config.resolve).map_err(CrawlError::Config)?;
        let guard = Guard::new(map, config.allow_private);
        let registry = config.load_registry()?;
        let warc_err = |source| CrawlError::Warc {
            path: warc_path.clone(),
            source,
        };
        if let Some(dir) = warc_path.parent() {
            std::fs::create_dir_all(dir).map_err(warc_err)?;
        }
        let file = File::create(&warc_path).map_err(warc_err)?;
        let mut warc =
            WarcWriter::new(BufWriter::new(file)).with_gzip_level(config.warc_gzip_level);
        warc.write_warcinfo(
            Utc::now(),
            &[
                (
                    "software",
                    concat!("assent-ingest/", env!("CARGO_PKG_VERSION")),
                ),
                ("format", "WARC File Format 1.1"),
                ("robots", "obey"),
                ("http-header-user-agent", config.user_agent.as_str()),
            ],
        )
        .map_err(warc_err)?;
        let politeness = Arc::new(Politeness::new(
            config.per_host_concurrency,
            secs(config.delay_secs),
        ));
        let fetcher = Fetcher::new(&config, guard, politeness).map_err(CrawlError::Client)?;
        let allowed_licences = config.accepted_licences();
        Ok(Ctx {
            config,
            fetcher,
            registry,
            allowed_licences,
            sites: SiteCache::new(robots_max_age),
            rsl_cache: RslCache::default(),
            warc: Mutex::new(Some(warc)),
            warc_path,
            warc_error: Mutex::new(None),
            seen: Mutex::new(HashSet::new()),
            origins: Mutex::new(HashSet::new()),
            deferred: Mutex::new(HashMap::new()),
            pages: AtomicUsize::new(0),
            outbox: Mutex::new(Vec::new()),
            tx,
        })
    }

    /// Flushes and syncs the WARC (once; later calls do nothing): Err if any record of it
    /// could not be written.
    pub(crate) fn close_warc(&self) -> Result<(), CrawlError> {
        let writer = self.warc.lock().unwrap().take();
        if let Some(w) = writer {
            let done = w
                .into_inner()
                .into_inner()
                .map_err(|e| e.into_error())
                .and_then(|f| f.sync_data());
            if let Err(e) = done {
                self.warc_error.lock().unwrap().get_or_insert(e);
            }
        }
        match self.warc_error.lock().unwrap().take() {
            Some(source) => Err(CrawlError::Warc {
                path: self.warc_path.clone(),
                source,
            }),
            None => Ok(()),
        }
    }

    /// The site rules of `url`'s origin, loaded once (concurrent askers wait for the first).
    pub async fn site(&self, url: &Url) -> Arc<SiteRules> {
        let origin = url.origin().ascii_serialization();
        self.sites
            .get(&origin, Utc::now(), || super::site::load(self, url))
            .await
    }

    /// The signals `site` gives for `url` before it is requested, the registry's included.
    pub fn site_signals(&self, site: &SiteRules, url: &Url) -> SiteSignals {
        site.signals(&self.config.user_agent_token, self.registry.as_ref(), url)
    }

    /// Applies robots.txt's Crawl-delay (capped) to the host, as soon as it is known.
    pub fn apply_crawl_delay(&self, url: &Url, crawl_delay: Option<f64>) {
        let cap = secs(self.config.max_crawl_delay_secs);
        let delay: Option<Duration> = crawl_delay.map(|d| secs(d).min(cap));
        self.fetcher
            .politeness()
            .set_crawl_delay(&host_key(url), delay);
    }

    /// Stores a site file response (robots.txt, ai.txt, ...) in the WARC.
    pub fn store_site_file(&self, f: &Fetched) {
        let _ = self.store(f);
    }

    pub fn store(&self, f: &Fetched) -> Option<String> {
        let mut guard = self.warc.lock().unwrap();
        let w = guard.as_mut()?;
        match w.write_response(f.url.as_str(), f.fetched_at, f.status, &f.headers, &f.body) {
            Ok(rec) => Some(rec.record_id),
            Err(e) => {
                self.warc_error.lock().unwrap().get_or_insert(e);
                None
            }
        }
    }

    /// Marks a URL as taken into a queue; false when it already was.
    pub fn mark_seen(&self, url: &Url) -> bool {
        self.seen.lock().unwrap().insert(seen_key(url))
    }

    /// Marks a URL that is not one the crawl can take (too long) as recorded; false when it
    /// already was.
    pub fn mark_seen_key(&self, raw: &str) -> bool {
        self.seen.lock().unwrap().insert(format!("bad-url {raw}"))
    }

    /// A link found on `found_on` (at `depth`) that the crawl will not follow from there: one
    /// `fetch.not-reached` row per distinct URL, unless it was (or will be) taken into a queue.
    /// Links into an origin another worker crawls are settled when the crawl ends.
    pub async fn not_followed(&self, link: &Url, why: &str, found_on: &Url, depth: u32) {
        let ev = json!({ "why": why, "found_on": found_on.as_str(), "depth": depth });
        let origin = link.origin().ascii_serialization();
        if why == OTHER_ORIGIN && self.origins.lock().unwrap().contains(&origin) {
            let key = seen_key(link);
            if !self.seen.lock().unwrap().contains(&key) {
                self.deferred
                    .lock()
                    .unwrap()
                    .entry(key)
                    .or_insert_with(|| (link.to_string(), ev));
            }
            return;
        }
        if self.mark_seen(link) {
            self.skip(link.as_str(), Stage::Fetch, ReasonCode::FetchNotReached, ev)
                .await;
        }
    }

    pub async fn emit(&self, item: InputItem) {
        let full = {
            let mut outbox = self.outbox.lock().unwrap();
            outbox.push(item);
            (outbox.len() >= BATCH).then(|| std::mem::take(&mut *outbox))
        };
        if let Some(batch) = full {
            let _ = self.tx.send(batch).await;
        }
    }

    /// Sends whatever waits in the outbox.
    async fn flush(&self) {
        let batch = std::mem::take(&mut *self.outbox.lock().unwrap());
        if !batch.is_empty() {
            let _ = self.tx.send(batch).await;
        }
    }

    /// The `fetch.bad-url` row of a URL the crawl cannot take; `extra` (an object) adds to
    /// its evidence.
    pub async fn bad_url(&self, bad: &super::links::BadUrl, extra: Value) {
        let mut ev = json!({ "detail": bad.why });
        if let (Value::Object(ev), Value::Object(extra)) = (&mut ev, extra) {
            ev.extend(extra);
        }
        self.skip(&bad.url, Stage::Fetch, ReasonCode::FetchBadUrl, ev)
            .await;
    }

    pub async fn skip(&self, url: &str, stage: Stage, reason: ReasonCode, evidence: Value) {
        let row = LedgerRow::left(
            Some(url.to_string()),
            None,
            source(None),
            stage,
            reason,
            evidence,
        );
        self.emit(InputItem::Skipped(row)).await;
    }
}

/// CPU seconds (user and system) the calling thread has used, from /proc; none elsewhere.
fn thread_cpu_secs() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").ok()?;
    // Fields after the command name, which is in parentheses and may hold spaces.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the whole line, 12 and 13 here, in clock ticks
    // (USER_HZ, 100 on Linux).
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0)
}

/// The key of a URL in the crawl-wide seen-set: its serialization without the fragment, as
/// [`assent_schemas::canonical_url`] gives it, without parsing the URL again.
fn seen_key(url: &Url) -> String {
    url[..url::Position::AfterQuery].to_string()
}

pub(crate) fn source(record_id: Option<String>) -> Source {
    Source {
        kind: SourceKind::Crawl,
        file: None,
        record_id,
        offset: None,
    }
}

/// A running crawl: iterate it for its items; [`Crawl::finish`] reports how it ended.
pub struct Crawl {
    rx: mpsc::Receiver<Vec<InputItem>>,
    /// The rest of the batch last received.
    ready: std::vec::IntoIter<InputItem>,
    thread: Option<JoinHandle<Result<(), CrawlError>>>,
}

impl Iterator for Crawl {
    type Item = InputItem;
    fn next(&mut self) -> Option<InputItem> {
        loop {
            if let Some(item) = self.ready.next() {
                return Some(item);
            }
            self.ready = self.rx.blocking_recv()?.into_iter();
        }
    }
}

impl Crawl {
    /// Drains what is left and waits for the crawl thread: Err if the WARC could not be
    /// written completely.
    pub fn finish(mut self) -> Result<(), CrawlError> {
        while self.rx.blocking_recv().is_some() {}
        match self.thread.take().map(JoinHandle::join) {
            Some(Ok(r)) => r,
            Some(Err(_)) => Err(CrawlError::Panicked),
            None => Ok(()),
        }
    }
}

/// Starts a crawl of `config.seeds` on a background thread (its own tokio runtime), writing
/// robots.txt and the other site files fetched, and the responses of kept pages, to
/// `warc_path` (see [`warc_name`]). Items arrive as the crawl goes; the channel is bounded,
/// so a slow consumer slows the crawl rather than filling memory.
pub fn crawl(config: CrawlConfig, warc_path: &Path) -> Result<Crawl, CrawlError> {
    start(config, warc_path, MAX_AGE)
}

/// [`crawl`], with each origin's robots.txt (and its other site files) fetched again once the
/// copy in use is `robots_max_age` old.
pub(crate) fn start(
    config: CrawlConfig,
    warc_path: &Path,
    robots_max_age: Duration,
) -> Result<Crawl, CrawlError> {
    let warc_path = warc_path.to_path_buf();
    // One thread drives every fetch: the crawl waits on the network, not the CPU, and a
    // multi-threaded runtime spent more CPU waking its workers for each response than the
    // crawler spent on the response itself (scripts/bench_crawl.sh).
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| CrawlError::Client(e.to_string()))?;
    let (tx, rx) = mpsc::channel(BATCHES_IN_FLIGHT);
    let ctx = Arc::new(Ctx::new(config, warc_path, robots_max_age, tx)?);
    let thread = std::thread::Builder::new()
        .name("assent-crawl".into())
        .spawn(move || runtime.block_on(run(ctx)))
        .map_err(|e| CrawlError::Client(e.to_string()))?;
    Ok(Crawl {
        rx,
        ready: Vec::new().into_iter(),
        thread: Some(thread),
    })
}

async fn run(ctx: Arc<Ctx>) -> Result<(), CrawlError> {
    let mut origins: Vec<(String, VecDeque<(Url, u32)>)> = Vec::new();
    for seed in ctx.config.seeds.clone() {
        let url = match super::links::crawl_target(&seed, None) {
            Ok(u) => u,
            Err(bad) => {
                ctx.bad_url(&bad, json!({ "seed": true })).await;
                continue;
            }
        };
        if !ctx.mark_seen(&url) {
            continue;
        }
        let origin = url.origin().ascii_serialization();
        match origins.iter_mut().find(|(o, _)| *o == origin) {
            Some((_, q)) => q.push_back((url, 0)),
            None => origins.push((origin, VecDeque::from([(url, 0)]))),
        }
    }
    ctx.origins
        .lock()
        .unwrap()
        .extend(origins.iter().map(|(o, _)| o.clone()));
    let hosts = Arc::new(Semaphore::new(ctx.config.max_hosts_in_flight.max(1)));
    let mut tasks = tokio::task::JoinSet::new();
    for (_, queue) in origins {
        let ctx = ctx.clone();
        let hosts = hosts.clone();
        tasks.spawn(async move {
            let _slot = hosts.acquire_owned().await;
            super::worker::crawl_origin(&ctx, queue).await;
        });
    }
    tracing::info!(
        origins = tasks.len(),
        max_hosts_in_flight = ctx.config.max_hosts_in_flight,
        "crawl started"
    );
    let mut tick = tokio::time::interval(FLUSH_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            joined = tasks.join_next() => if joined.is_none() { break },
            _ = tick.tick() => ctx.flush().await,
        }
    }
    // Links into crawled origins that no worker took get their rows now (sorted, for a
    // stable output).
    let mut deferred: Vec<(String, (String, Value))> =
        ctx.deferred.lock().unwrap().drain().collect();
    deferred.sort_by(|a, b| a.0.cmp(&b.0));
    for (key, (url, ev)) in deferred {
        if ctx.seen.lock().unwrap().insert(key) {
            ctx.skip(&url, Stage::Fetch, ReasonCode::FetchNotReached, ev)
                .await;
        }
    }
    ctx.flush().await;
    let closed = ctx.close_warc();
    // Every fetch, check and WARC write ran on this thread, so its CPU time is the crawler's
    // own cost, apart from the curation stages it feeds (scripts/bench_crawl.sh reads this).
    tracing::info!(
        pages_requested = ctx.pages.load(Ordering::Relaxed),
        crawler_cpu_secs = thread_cpu_secs().unwrap_or(f64::NAN),
        "crawl finished"
    );
    closed
}
