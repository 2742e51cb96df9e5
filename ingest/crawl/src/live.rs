//! `[consent] site_signals = "live"`: the sites of archived pages asked today, since an
//! opt-out published after the crawl is still the owner's wish.
//!
//! Each origin's robots.txt, ai.txt, tdmrep.json and the RSL documents robots.txt names are
//! fetched through the crawler's own machinery — its fetcher, robots cache, politeness, body
//! and decompression caps, time budget and address guard (`--resolve` as in `crawl`) — once
//! per origin, for the origins of a whole batch at a time, and stored in a WARC of their own so
//! that every decision can be re-checked against the same bytes.
//!
//! A host that gives no answer at all (a network failure, a timeout, the time budget, an
//! address the guard refuses) falls back to its archived files where the inputs hold them:
//! the evidence then carries a neutral `live-check` signal saying why, before the archived
//! files' own evidence. With none archived, its site-level consent is unchecked. A host that
//! answers is judged by its answer, whatever it is (a 5xx robots.txt is unreachable, and
//! refuses the whole origin, exactly as when crawling).

use super::crawler::{CrawlError, Ctx};
use super::site::fetch_rsl;
use super::CrawlConfig;
use assent_consent::robots::MAX_AGE;
use assent_consent::rsl::RslDocument;
use assent_consent::site::{origin_key, SiteLookup, SiteSource};
use assent_consent::{Signal, Verdict};
use assent_inputs::archive::ArchivedSites;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use tokio::sync::{mpsc, Semaphore};
use url::Url;

/// Live site checks of archived pages.
pub struct LiveSites {
    runtime: tokio::runtime::Runtime,
    ctx: Arc<Ctx>,
    archive: Option<Arc<ArchivedSites>>,
    checked: Mutex<HashMap<String, SiteLookup>>,
    /// Origins that gave no answer, whose archived files stand in for them.
    silent: Mutex<std::collections::HashSet<String>>,
    warc_path: PathBuf,
}

impl LiveSites {
    /// Starts the live checker with the crawl settings `config` (its seeds are ignored),
    /// storing the site files it fetches in `warc_path`; `archive` is what it falls back to.
    pub fn start(
        config: CrawlConfig,
        warc_path: &Path,
        archive: Option<Arc<ArchivedSites>>,
    ) -> Result<LiveSites, CrawlError> {
        // Several origins are asked at once from the threads of the pipeline: a runtime with
        // a worker of its own drives them, whichever thread waits.
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("assent-live-check")
            .enable_all()
            .build()
            .map_err(|e| CrawlError::Client(e.to_string()))?;
        let (tx, _) = mpsc::channel(1);
        let ctx = {
            let _entered = runtime.enter();
            Arc::new(Ctx::new(config, warc_path.to_path_buf(), MAX_AGE, tx)?)
        };
        Ok(LiveSites {
            runtime,
            ctx,
            archive,
            checked: Mutex::new(HashMap::new()),
            silent: Mutex::new(std::collections::HashSet::new()),
            warc_path: warc_path.to_path_buf(),
        })
    }

    /// The WARC of the site files fetched.
    pub fn warc_path(&self) -> &Path {
        &self.warc_path
    }

    /// Flushes the WARC of the site files fetched: Err if it could not be written whole.
    pub fn finish(self) -> Result<(), CrawlError> {
        self.ctx.close_warc()
    }

    /// What the live answer of `url`'s origin means, falling back to the archive.
    fn judge(&self, url: &Url, rules: Arc<assent_consent::site::SiteRules>) -> SiteLookup {
        let Some(why) = rules.blocked.clone().or_else(|| rules.unanswered.clone()) else {
            return SiteLookup::Rules(rules);
        };
        let origin = url.origin().ascii_serialization();
        if let Some(key) = origin_key(url) {
            self.silent
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(key);
        }
        match &self.archive {
            Some(archive) if archive.has_robots(url) => {
                let note = Signal::new(
                    "live-check",
                    &origin,
                    &format!("no answer today ({why}); the archived site files are used"),
                    Verdict::Neutral,
                );
                archive.rules_with(url, note)
            }
            _ => SiteLookup::Unchecked(format!(
                "live check of {origin}: no answer ({why}), and no robots.txt of it among the inputs"
            )),
        }
    }

    /// Checks every origin of `urls` not checked yet, concurrently (at most
    /// `crawl.max_hosts_in_flight` at once; one request at a time per host, as crawling).
    fn check(&self, urls: &[Url]) {
        let mut todo: Vec<(String, Url)> = Vec::new();
        {
            let checked = self.checked.lock().unwrap_or_else(|e| e.into_inner());
            for u in urls {
                if let Some(key) = origin_key(u) {
                    if !checked.contains_key(&key) && !todo.iter().any(|(k, _)| *k == key) {
                        todo.push((key, u.clone()));
                    }
                }
            }
        }
        if todo.is_empty() {
            return;
        }
        let hosts = Arc::new(Semaphore::new(self.ctx.config.max_hosts_in_flight.max(1)));
        let found: Vec<(String, Url, Arc<assent_consent::site::SiteRules>)> =
            self.runtime.block_on(async {
                let mut tasks = tokio::task::JoinSet::new();
                for (key, url) in todo {
                    let (ctx, hosts) = (self.ctx.clone(), hosts.clone());
                    tasks.spawn(async move {
                        let _slot = hosts.acquire_owned().await;
                        let rules = ctx.site(&url).await;
                        (key, url, rules)
                    });
                }
                let mut out = Vec::new();
                while let Some(done) = tasks.join_next().await {
                    if let Ok(done) = done {
                        out.push(done);
                    }
                }
                out
            });
        for (key, url, rules) in found {
            let lookup = self.judge(&url, rules);
            self.checked
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(key, lookup);
        }
    }
}

impl SiteSource for LiveSites {
    fn prepare(&self, urls: &[Url]) {
        self.check(urls);
    }

    fn lookup(&self, url: &Url) -> SiteLookup {
        let Some(key) = origin_key(url) else {
            return SiteLookup::Unchecked(format!("{url}: no host"));
        };
        let known = self
            .checked
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&key)
            .cloned();
        if let Some(found) = known {
            return found;
        }
        self.check(std::slice::from_ref(url));
        self.checked
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&key)
            .cloned()
            .unwrap_or_else(|| SiteLookup::Unchecked(format!("live check of {url} did not finish")))
    }

    /// Fetched today (once per run). The archived capture stands in only for a host that
    /// gave no answer: a host that answers that the document is gone has withdrawn it, and a
    /// licence that cannot be read grants nothing.
    fn rsl_document(&self, url: &str) -> Result<RslDocument, Signal> {
        let Ok(parsed) = Url::parse(url) else {
            return Err(assent_consent::rsl::unavailable_signal(url, "not a URL"));
        };
        self.check(std::slice::from_ref(&parsed));
        let silent = origin_key(&parsed).is_some_and(|k| {
            self.silent
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .contains(&k)
        });
        match (&self.archive, silent) {
            (Some(archive), true) => archive.rsl_document(url),
            _ => self
                .runtime
                .block_on(fetch_rsl(&self.ctx, &parsed, parsed.as_str())),
        }
    }
}
