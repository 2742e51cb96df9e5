//! Site-level consent for the crawler: the files an origin publishes about crawling and
//! training, fetched once per origin before any of its pages — robots.txt (RFC 9309), ai.txt,
//! `/.well-known/tdmrep.json` and the RSL documents robots.txt names (at most
//! [`rsl::MAX_FETCHED`]) — read into [`SiteRules`], whose signals (with the opt-out registry's)
//! refuse URLs before they are requested. Every file fetched is stored in the crawl's WARC,
//! so the decision can be re-checked against the same bytes (signals carry their sha256).

use super::crawler::Ctx;
use super::fetch::{Budget, FetchFailure, Fetched, Limits};
use assent_consent::aitxt::AiTxt;
use assent_consent::robots::{RobotsCache, RobotsFetch, RobotsPolicy, MAX_ROBOTS_BYTES};
use assent_consent::rsl::{self, RslDocument};
use assent_consent::site::SiteRules;
use assent_consent::tdmrep::{TdmRepFile, MAX_FILE};
use assent_consent::{Signal, Verdict};
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
    /// policy here ([`load`] does).
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

/// Fetches and reads the site files of `origin_url`'s origin, all within one time budget
/// (`crawl.url_budget_secs`): a robots.txt not had within it is unreachable; another site file
/// not had is recorded in the evidence (a neutral `site-file` signal) and gives no signal.
pub(crate) async fn load(ctx: &Ctx, origin_url: &Url) -> SiteRules {
    let budget = Budget::new(ctx.config.url_budget_secs);
    let origin = origin_url.origin().ascii_serialization();
    let robots_url = origin_url
        .join("/robots.txt")
        .expect("an http(s) URL joins");
    let (fetched, no_answer) = fetch_robots(ctx, &robots_url, &budget).await;
    let robots = ctx
        .sites
        .robots
        .insert(&origin, RobotsPolicy::from_fetch(fetched), Utc::now());
    ctx.apply_crawl_delay(origin_url, robots.crawl_delay(&ctx.config.user_agent_token));
    let mut rules = SiteRules::with_robots(origin, robots);
    match no_answer {
        Some(NoAnswer::Blocked(why)) => rules.blocked = Some(why),
        Some(NoAnswer::Failed(why)) => rules.unanswered = Some(why),
        None => {}
    }
    if let RobotsPolicy::DisallowAll { .. } = *rules.robots {
        // Nothing on the origin may be requested, site files included.
        return rules;
    }
    let token = ctx.config.user_agent_token.clone();
    let ai_url = origin_url.join("/ai.txt").expect("joins");
    if rules.robots.allows(&token, ai_url.as_str()) {
        match site_file(ctx, &ai_url, 500 * 1024, &budget).await {
            Ok(f) => {
                rules.ai_txt =
                    AiTxt::from_response(ai_url.as_str(), f.status, &f.body, f.fetched_at)
            }
            Err(e) => rules.provenance.push(not_read(&ai_url, &e)),
        }
    }
    let tdm_url = origin_url.join("/.well-known/tdmrep.json").expect("joins");
    if rules.robots.allows(&token, tdm_url.as_str()) {
        match site_file(ctx, &tdm_url, MAX_FILE, &budget).await {
            Ok(f) if f.status == 200 => {
                rules.tdmrep =
                    Some(TdmRepFile::parse(&f.body, tdm_url.as_str()).map_err(|e| e.signal()));
            }
            Ok(_) => {}
            Err(e) => rules.provenance.push(not_read(&tdm_url, &e)),
        }
    }
    let (named, cap) = rsl::capped(rules.robots.rsl_licences(), robots_url.as_str());
    for named in named {
        rules.rsl.push(fetch_rsl(ctx, origin_url, &named).await);
    }
    rules.rsl.extend(cap.map(Err));
    rules
}

/// Why a robots.txt request got no HTTP answer.
enum NoAnswer {
    /// The address guard refused the origin.
    Blocked(String),
    /// A network failure, a timeout, the time budget.
    Failed(String),
}

/// robots.txt: ≤ 5 redirects (the file found applies to the original origin; more is
/// "unavailable", RFC 9309 section 2.3.1.2), the first 500 KiB read after decoding (the rest
/// ignored, section 2.5), 4xx except 429 = none, 5xx / 429 / network = unreachable.
async fn fetch_robots(ctx: &Ctx, url: &Url, budget: &Budget) -> (RobotsFetch, Option<NoAnswer>) {
    let limits = Limits {
        body: MAX_ROBOTS_BYTES,
        decoded: MAX_ROBOTS_BYTES,
        truncate: true,
    };
    let (_, res) = ctx.fetcher.get_following(url, limits, 5, budget).await;
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
            let blocked = Some(NoAnswer::Blocked(why.clone()));
            return (RobotsFetch::Unreachable { why }, blocked);
        }
        Err(e) if e.reason == ReasonCode::FetchTooManyRedirects => RobotsFetch::TooManyRedirects {
            why: format!("{url}: {}", e.detail),
        },
        Err(e) => {
            let why = format!("{}: {}", e.reason, e.detail);
            let failed = Some(NoAnswer::Failed(why.clone()));
            return (RobotsFetch::Unreachable { why }, failed);
        }
    };
    (fetched, None)
}

/// The neutral evidence of a site file that could not be had (its absence gives no signal).
fn not_read(url: &Url, e: &FetchFailure) -> Signal {
    Signal::new(
        "site-file",
        url.as_str(),
        &format!("not read: {}: {}", e.reason, e.detail),
        Verdict::Neutral,
    )
}

/// A site file (ai.txt, tdmrep.json, RSL, sitemap): fetched with redirects, stored in the WARC
/// when it answered 200; an error when it could not be fetched at all.
pub(crate) async fn site_file(
    ctx: &Ctx,
    url: &Url,
    cap: usize,
    budget: &Budget,
) -> Result<Fetched, FetchFailure> {
    let limits = Limits {
        body: cap,
        decoded: cap.max(ctx.config.max_decompressed_bytes.min(64 * 1024 * 1024)),
        truncate: false,
    };
    let (_, res) = ctx
        .fetcher
        .get_following(url, limits, ctx.config.max_redirects, budget)
        .await;
    let f = res?;
    if f.status == 200 {
        ctx.store_site_file(&f);
    }
    Ok(f)
}

/// An RSL document named at `named` (relative to `base`); refusing when unreadable. Each URL
/// is fetched once per crawl ([`RslCache`]): every page of a site may name the same document.
/// The fetch has a time budget of its own, so that what is cached does not depend on how much
/// of the naming page's budget was left.
pub(crate) async fn fetch_rsl(ctx: &Ctx, base: &Url, named: &str) -> Result<RslDocument, Signal> {
    let Ok(url) = base.join(named) else {
        return Err(rsl::unavailable_signal(named, "not a URL"));
    };
    let cell = ctx.rsl_cache.cell(url.as_str());
    cell.get_or_init(|| async {
        let budget = Budget::new(ctx.config.url_budget_secs);
        match site_file(ctx, &url, rsl::MAX_DOCUMENT, &budget).await {
            Ok(f) if f.status == 200 => RslDocument::parse(&f.body, url.as_str())
                .map_err(|e| rsl::unavailable_signal(url.as_str(), &e.to_string())),
            Ok(f) => Err(rsl::unavailable_signal(
                url.as_str(),
                &format!("HTTP {}", f.status),
            )),
            Err(e) => Err(rsl::unavailable_signal(
                url.as_str(),
                &format!("fetch failed: {}: {}", e.reason, e.detail),
            )),
        }
    })
    .await
    .clone()
}

/// RSL documents read in this crawl, by URL; at most [`RslCache::MAX`] kept (after that, each
/// document is fetched again when asked for).
#[derive(Default)]
pub(crate) struct RslCache {
    cells: Mutex<HashMap<String, Arc<RslCell>>>,
}

/// One document of the [`RslCache`], read once by whoever asks first.
type RslCell = OnceCell<Result<RslDocument, Signal>>;

impl RslCache {
    const MAX: usize = 4096;

    fn cell(&self, url: &str) -> Arc<RslCell> {
        let mut cells = self.cells.lock().unwrap();
        if cells.len() >= Self::MAX && !cells.contains_key(url) {
            cells.clear();
        }
        cells.entry(url.to_string()).or_default().clone()
    }
}
