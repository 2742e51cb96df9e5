//! Site-level consent: the files an origin publishes about crawling and training, fetched once
//! per origin before any of its pages — robots.txt (RFC 9309), ai.txt, `/.well-known/tdmrep.json`
//! and the RSL documents robots.txt names — plus the opt-out registry. Whatever these refuse is
//! never requested. Every file fetched is stored in the crawl's WARC, so the decision can be
//! re-checked against the same bytes (signals carry their sha256).

use super::crawler::Ctx;
use super::fetch::{Fetched, Limits};
use crate::consent::ai_tokens::AI_TRAINING_TOKENS;
use crate::consent::aitxt::AiTxt;
use crate::consent::robots::{RobotsCache, RobotsFetch, RobotsPolicy, MAX_ROBOTS_BYTES};
use crate::consent::rsl::{self, RslDocument};
use crate::consent::tdmrep::{TdmRepFile, MAX_FILE};
use crate::consent::Signal;
use assent_schemas::ReasonCode;
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::OnceCell;
use url::Url;

/// The site rules of each origin, loaded once and reloaded (robots.txt and the other site
/// files fetched again) when the origin's robots policy is no longer fresh in `robots`.
pub(crate) struct SiteCache {
    cells: Mutex<HashMap<String, Arc<OnceCell<Arc<SiteRules>>>>>,
    /// The robots policy of each origin and when it was fetched; the loader stores each
    /// policy here ([`SiteRules::load`] does).
    pub robots: RobotsCache,
}

impl SiteCache {
    /// A cache whose robots policies are used for at most `max_age` (RFC 9309: 24 hours).
    pub fn new(max_age: Duration) -> Self {
        SiteCache {
            cells: Mutex::new(HashMap::new()),
            robots: RobotsCache::with_max_age(max_age),
        }
    }

    /// The rules of `origin`: the loaded ones while their robots policy is still the fresh one
    /// in `robots` at `now`, otherwise `load`ed anew (concurrent askers wait for one load).
    pub async fn get<F, Fut>(&self, origin: &str, now: DateTime<Utc>, load: F) -> Arc<SiteRules>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = SiteRules>,
    {
        let cell = {
            let mut cells = self.cells.lock().unwrap();
            let cell = cells
                .entry(origin.to_string())
                .or_insert_with(|| Arc::new(OnceCell::new()));
            if let Some(rules) = cell.get() {
                let fresh = self
                    .robots
                    .get(origin, now)
                    .is_some_and(|p| Arc::ptr_eq(&p, &rules.robots));
                if !fresh {
                    *cell = Arc::new(OnceCell::new());
                }
            }
            cell.clone()
        };
        cell.get_or_init(|| async move { Arc::new(load().await) })
            .await
            .clone()
    }
}

/// What an origin says about itself.
pub struct SiteRules {
    pub origin: String,
    pub robots: Arc<RobotsPolicy>,
    pub ai_txt: Option<AiTxt>,
    pub tdmrep: Option<Result<TdmRepFile, Signal>>,
    /// RSL documents named in robots.txt: parsed, or the refusal an unreadable one implies.
    pub rsl: Vec<Result<RslDocument, Signal>>,
    /// Set when robots.txt could not be fetched because the address guard refused the origin
    /// (it resolves to an internal address): its URLs are `fetch.blocked-address`, not
    /// `robots.unreachable`.
    pub blocked: Option<String>,
}

/// Signals known before a page is requested.
pub struct SiteSignals {
    /// robots.txt for our own token (may we fetch?).
    pub fetch: Vec<Signal>,
    /// Everything else (may we train?).
    pub training: Vec<Signal>,
    /// The standard licences (`<standard>`) of the RSL documents robots.txt names, for the
    /// content that governs this URL: licence findings of every page they cover.
    pub licences: Vec<crate::consent::licence::Finding>,
}

impl SiteSignals {
    /// The refusal these site-level signals amount to, if any: such a URL is never requested.
    pub fn refusal(&self) -> Option<assent_schemas::Consent> {
        let all: Vec<Signal> = self.fetch.iter().chain(&self.training).cloned().collect();
        crate::consent::decision::site_level_refusal(&all)
    }
}

impl SiteRules {
    /// Fetches and reads the site files of `origin_url`'s origin.
    pub(crate) async fn load(ctx: &Ctx, origin_url: &Url) -> SiteRules {
        let origin = origin_url.origin().ascii_serialization();
        let robots_url = origin_url
            .join("/robots.txt")
            .expect("an http(s) URL joins");
        let (fetched, blocked) = fetch_robots(ctx, &robots_url).await;
        let robots =
            ctx.sites
                .robots
                .insert(&origin, RobotsPolicy::from_fetch(fetched), Utc::now());
        ctx.apply_crawl_delay(origin_url, robots.crawl_delay(&ctx.config.user_agent_token));
        let mut rules = SiteRules {
            origin,
            robots,
            blocked,
            ai_txt: None,
            tdmrep: None,
            rsl: Vec::new(),
        };
        if let RobotsPolicy::DisallowAll { .. } = *rules.robots {
            // Nothing on the origin may be requested, site files included.
            return rules;
        }
        let token = ctx.config.user_agent_token.clone();
        let ai_url = origin_url.join("/ai.txt").expect("joins");
        if rules.robots.allows(&token, ai_url.as_str()) {
            if let Some(f) = site_file(ctx, &ai_url, 500 * 1024).await {
                rules.ai_txt =
                    AiTxt::from_response(ai_url.as_str(), f.status, &f.body, f.fetched_at);
            }
        }
        let tdm_url = origin_url.join("/.well-known/tdmrep.json").expect("joins");
        if rules.robots.allows(&token, tdm_url.as_str()) {
            if let Some(f) = site_file(ctx, &tdm_url, MAX_FILE).await {
                if f.status == 200 {
                    rules.tdmrep =
                        Some(TdmRepFile::parse(&f.body, tdm_url.as_str()).map_err(|e| e.signal()));
                }
            }
        }
        for named in rules.robots.rsl_licences() {
            rules.rsl.push(fetch_rsl(ctx, origin_url, &named).await);
        }
        rules
    }

    /// The signals for `url` known before fetching it.
    pub(crate) fn signals(&self, ctx: &Ctx, url: &Url) -> SiteSignals {
        let token = &ctx.config.user_agent_token;
        let fetch = vec![self.robots.fetch_signal(token, url.as_str())];
        let mut training = self
            .robots
            .robots_signals(token, url.as_str(), AI_TRAINING_TOKENS);
        if let Some(ai) = &self.ai_txt {
            training.extend(ai.signal_for(token, url.as_str()));
        }
        match &self.tdmrep {
            Some(Ok(file)) => {
                let path = match url.query() {
                    Some(q) => format!("{}?{q}", url.path()),
                    None => url.path().to_string(),
                };
                training.extend(file.signal(&path));
            }
            Some(Err(refusal)) => training.push(refusal.clone()),
            None => {}
        }
        let mut licences = Vec::new();
        for doc in &self.rsl {
            match doc {
                Ok(d) => {
                    training.push(d.signal(url));
                    licences.extend(crate::consent::licence::rsl_findings(d, Some(url)));
                }
                Err(s) => training.push(s.clone()),
            }
        }
        if let Some(reg) = &ctx.registry {
            training.extend(reg.check(url));
        }
        SiteSignals {
            fetch,
            training,
            licences,
        }
    }
}

/// robots.txt: ≤ 5 redirects (the file found applies to the original origin; more is
/// "unavailable", RFC 9309 section 2.3.1.2), the first 500 KiB read after decoding (the rest
/// ignored, section 2.5), 4xx except 429 = none, 5xx / 429 / network = unreachable.
async fn fetch_robots(ctx: &Ctx, url: &Url) -> (RobotsFetch, Option<String>) {
    let limits = Limits {
        body: MAX_ROBOTS_BYTES,
        decoded: MAX_ROBOTS_BYTES,
        truncate: true,
    };
    let (_, res) = ctx.fetcher.get_following(url, limits, 5).await;
    let fetched = match res {
        Ok(f) => {
            ctx.store_site_file(&f);
            match f.status {
                200..=299 => RobotsFetch::Found {
                    url: url.to_string(),
                    status: f.status,
                    body: f.body,
                    fetched_at: f.fetched_at,
                },
                429 => RobotsFetch::Unreachable {
                    why: format!("{}: HTTP 429", f.url),
                },
                400..=499 => RobotsFetch::ClientError(f.status),
                s => RobotsFetch::Unreachable {
                    why: format!("{}: HTTP {s}", f.url),
                },
            }
        }
        Err(e) if e.reason == ReasonCode::FetchBlockedAddress => {
            let why = e.detail;
            return (RobotsFetch::Unreachable { why: why.clone() }, Some(why));
        }
        Err(e) if e.reason == ReasonCode::FetchTooManyRedirects => RobotsFetch::TooManyRedirects {
            why: format!("{url}: {}", e.detail),
        },
        Err(e) => RobotsFetch::Unreachable {
            why: format!("{}: {}", e.reason, e.detail),
        },
    };
    (fetched, None)
}

/// A site file (ai.txt, tdmrep.json, RSL, sitemap): fetched with redirects, stored in the WARC
/// when it answered 200; `None` when it could not be fetched at all.
pub(crate) async fn site_file(ctx: &Ctx, url: &Url, cap: usize) -> Option<Fetched> {
    let limits = Limits {
        body: cap,
        decoded: cap.max(ctx.config.max_decompressed_bytes.min(64 * 1024 * 1024)),
        truncate: false,
    };
    let (_, res) = ctx
        .fetcher
        .get_following(url, limits, ctx.config.max_redirects)
        .await;
    let f = res.ok()?;
    if f.status == 200 {
        ctx.store_site_file(&f);
    }
    Some(f)
}

/// An RSL document named at `named` (relative to the origin); refusing when unreadable.
pub(crate) async fn fetch_rsl(ctx: &Ctx, base: &Url, named: &str) -> Result<RslDocument, Signal> {
    let Ok(url) = base.join(named) else {
        return Err(rsl::unavailable_signal(named, "not a URL"));
    };
    match site_file(ctx, &url, rsl::MAX_DOCUMENT).await {
        Some(f) if f.status == 200 => RslDocument::parse(&f.body, url.as_str())
            .map_err(|e| rsl::unavailable_signal(url.as_str(), &e.to_string())),
        Some(f) => Err(rsl::unavailable_signal(
            url.as_str(),
            &format!("HTTP {}", f.status),
        )),
        None => Err(rsl::unavailable_signal(url.as_str(), "fetch failed")),
    }
}
