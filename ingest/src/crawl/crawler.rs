//! The crawl itself: per-origin workers over a shared fetcher, yielding pages and ledger rows.
//!
//! Each origin gets one worker task that loads the site's consent files, then works through its
//! own queue (seeds, sitemap URLs, same-origin links) in order; at most `max_hosts_in_flight`
//! workers run at once. Politeness is enforced underneath, in the fetcher, per host, so a
//! redirect from one origin into another still waits its turn there. Every URL taken into a
//! queue leaves exactly one item: a [`Page`] when kept, a ledger row otherwise.

use super::config::{secs, CrawlConfig};
use super::fetch::{Fetched, Fetcher};
use super::guard::{Guard, ResolveMap};
use super::politeness::{host_key, Politeness};
use super::site::SiteRules;
use crate::consent::licence;
use crate::consent::registry::OptOutRegistry;
use crate::warc::WarcWriter;
use crate::InputItem;
use assent_schemas::{canonical_url, LedgerRow, ReasonCode, Source, SourceKind, Stage};
use chrono::Utc;
use serde_json::{json, Value};
use std::collections::{HashMap, HashSet, VecDeque};
use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicUsize;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;
use tokio::sync::{mpsc, OnceCell, Semaphore};
use url::Url;

/// The WARC file a crawl writes in its output directory.
pub const WARC_NAME: &str = "crawl-00000.warc.gz";

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
    sites: Mutex<HashMap<String, Arc<OnceCell<Arc<SiteRules>>>>>,
    /// Taken (and flushed) when the crawl ends.
    warc: Mutex<Option<WarcWriter<BufWriter<File>>>>,
    warc_path: PathBuf,
    warc_error: Mutex<Option<std::io::Error>>,
    seen: Mutex<HashSet<String>>,
    pub pages: AtomicUsize,
    pub tx: mpsc::Sender<InputItem>,
}

impl Ctx {
    /// The site rules of `url`'s origin, loaded once (concurrent askers wait for the first).
    pub async fn site(&self, url: &Url) -> Arc<SiteRules> {
        let origin = url.origin().ascii_serialization();
        let cell = self
            .sites
            .lock()
            .unwrap()
            .entry(origin)
            .or_insert_with(|| Arc::new(OnceCell::new()))
            .clone();
        cell.get_or_init(|| async { Arc::new(SiteRules::load(self, url).await) })
            .await
            .clone()
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
        self.seen
            .lock()
            .unwrap()
            .insert(canonical_url(url.as_str()))
    }

    pub async fn emit(&self, item: InputItem) {
        let _ = self.tx.send(item).await;
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
    rx: mpsc::Receiver<InputItem>,
    thread: Option<JoinHandle<Result<(), CrawlError>>>,
}

impl Iterator for Crawl {
    type Item = InputItem;
    fn next(&mut self) -> Option<InputItem> {
        self.rx.blocking_recv()
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
/// `warc_dir/crawl-00000.warc.gz`. Items arrive as the crawl goes; the channel is bounded,
/// so a slow consumer slows the crawl rather than filling memory.
pub fn crawl(config: CrawlConfig, warc_dir: &Path) -> Result<Crawl, CrawlError> {
    let map = ResolveMap::parse(&config.resolve).map_err(CrawlError::Config)?;
    let guard = Guard::new(map, config.allow_private);
    let registry = match &config.registry {
        Some(path) => Some(
            OptOutRegistry::load(path).map_err(|e| CrawlError::Registry {
                path: path.clone(),
                message: e.to_string(),
            })?,
        ),
        None => None,
    };
    let warc_path = warc_dir.join(WARC_NAME);
    let warc_err = |source| CrawlError::Warc {
        path: warc_path.clone(),
        source,
    };
    std::fs::create_dir_all(warc_dir).map_err(warc_err)?;
    let file = File::create(&warc_path).map_err(warc_err)?;
    let mut warc = WarcWriter::new(BufWriter::new(file));
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
    let fetcher =
        Fetcher::new(&config, guard, politeness).map_err(|e| CrawlError::Client(e.to_string()))?;
    let allowed_licences = if config.allowed_licences.is_empty() {
        licence::default_allowed()
    } else {
        config.allowed_licences.clone()
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| CrawlError::Client(e.to_string()))?;
    let (tx, rx) = mpsc::channel(256);
    let ctx = Arc::new(Ctx {
        config,
        fetcher,
        registry,
        allowed_licences,
        sites: Mutex::new(HashMap::new()),
        warc: Mutex::new(Some(warc)),
        warc_path,
        warc_error: Mutex::new(None),
        seen: Mutex::new(HashSet::new()),
        pages: AtomicUsize::new(0),
        tx,
    });
    let thread = std::thread::Builder::new()
        .name("assent-crawl".into())
        .spawn(move || runtime.block_on(run(ctx)))
        .map_err(|e| CrawlError::Client(e.to_string()))?;
    Ok(Crawl {
        rx,
        thread: Some(thread),
    })
}

async fn run(ctx: Arc<Ctx>) -> Result<(), CrawlError> {
    let mut origins: Vec<(String, VecDeque<(Url, u32)>)> = Vec::new();
    for seed in ctx.config.seeds.clone() {
        let url = match Url::parse(seed.trim()) {
            Ok(u) if matches!(u.scheme(), "http" | "https") && u.host_str().is_some() => u,
            _ => {
                let ev = json!({ "detail": "not an absolute http(s) URL" });
                ctx.skip(&seed, Stage::Fetch, ReasonCode::FetchBadUrl, ev)
                    .await;
                continue;
            }
        };
        let mut url = url;
        url.set_fragment(None);
        if !ctx.mark_seen(&url) {
            continue;
        }
        let origin = url.origin().ascii_serialization();
        match origins.iter_mut().find(|(o, _)| *o == origin) {
            Some((_, q)) => q.push_back((url, 0)),
            None => origins.push((origin, VecDeque::from([(url, 0)]))),
        }
    }
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
    while tasks.join_next().await.is_some() {}
    let writer = ctx.warc.lock().unwrap().take();
    if let Some(w) = writer {
        let done = w
            .into_inner()
            .into_inner()
            .map_err(|e| e.into_error())
            .and_then(|f| f.sync_data());
        if let Err(e) = done {
            ctx.warc_error.lock().unwrap().get_or_insert(e);
        }
    }
    match ctx.warc_error.lock().unwrap().take() {
        Some(source) => Err(CrawlError::Warc {
            path: ctx.warc_path.clone(),
            source,
        }),
        None => Ok(()),
    }
}
