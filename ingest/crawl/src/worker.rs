//! One origin's worker: its queue (the frontier of that origin: seeds, sitemap URLs and
//! same-origin links, deduplicated crawl-wide by canonical URL, with their depth), and the
//! path of one URL through site consent, fetch, redirects and page consent.
//!
//! A worker handles its URLs one after another; politeness underneath keeps even redirect
//! hops from other workers from overlapping on a host. When `max_pages` is reached, the URL in
//! hand and everything left in the queue get a `fetch.not-reached` row.

use super::crawler::{source, Ctx, BEYOND_MAX_DEPTH, BEYOND_MAX_PAGES, OTHER_ORIGIN};
use super::fetch::{redirect_target, Budget, FetchFailure, Fetched, Limits};
use super::links::{links, same_origin};
use super::page_consent::page_consent;
use super::site::site_file;
use super::sitemap;
use assent_consent::decision::refusal_row;
use assent_consent::page::PageMarkup;
use assent_consent::site::SiteRules;
use assent_consent::{noai, Detail, Signal, Verdict};
use assent_schemas::media::MediaKind;
use assent_schemas::page::{InputItem, Page};
use assent_schemas::{ReasonCode, Stage};
use serde_json::json;
use std::collections::VecDeque;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use url::Url;

/// Crawls one origin's queue to the end (or until `max_pages`).
pub(crate) async fn crawl_origin(ctx: &Ctx, mut queue: VecDeque<(Url, u32)>) {
    let Some((first, _)) = queue.front().cloned() else {
        return;
    };
    let site = ctx.site(&first).await;
    if ctx.config.follow_sitemaps {
        for url in sitemap_urls(ctx, &site, &first).await {
            if ctx.mark_seen(&url) {
                queue.push_back((url, ctx.config.max_depth.min(1)));
            }
        }
    }
    while let Some((url, depth)) = queue.pop_front() {
        if ctx.tx.is_closed() {
            return;
        }
        // Asked per URL: a long crawl re-reads the site files once robots.txt is stale.
        let site = ctx.site(&url).await;
        match crawl_url(ctx, &site, &url).await {
            Next::Links(page, found) => {
                for l in found {
                    let l = match l {
                        Ok(l) => l,
                        Err(bad) => {
                            if ctx.mark_seen_key(&bad.url) {
                                let ev = json!({ "found_on": page.as_str(), "depth": depth + 1 });
                                ctx.bad_url(&bad, ev).await;
                            }
                            continue;
                        }
                    };
                    if !same_origin(&l, &url) {
                        ctx.not_followed(&l, OTHER_ORIGIN, &page, depth + 1).await;
                    } else if depth >= ctx.config.max_depth {
                        // The queue goes by depth: every URL within max_depth is in it by now.
                        ctx.not_followed(&l, BEYOND_MAX_DEPTH, &page, depth + 1)
                            .await;
                    } else if ctx.mark_seen(&l) {
                        queue.push_back((l, depth + 1));
                    }
                }
            }
            Next::Stop => {
                let rest = std::iter::once((url, depth)).chain(queue.drain(..));
                for (u, d) in rest {
                    let ev = json!({ "max_pages": ctx.config.max_pages, "depth": d });
                    ctx.skip(u.as_str(), Stage::Fetch, ReasonCode::FetchNotReached, ev)
                        .await;
                }
                return;
            }
        }
    }
}

enum Next {
    /// The links found on the page (the URL it was fetched from, after redirects): URLs to
    /// follow, and http(s) links the crawl cannot take.
    Links(Url, Vec<Result<Url, super::links::BadUrl>>),
    Stop,
}

/// Page URLs from the sitemaps robots.txt names (same origin only; ≤ 50 sitemap documents).
async fn sitemap_urls(ctx: &Ctx, site: &SiteRules, origin_url: &Url) -> Vec<Url> {
    let mut todo: VecDeque<String> = site.robots.sitemaps().into();
    let mut out = Vec::new();
    let mut docs = 0;
    let cap = ctx.config.max_body_bytes;
    while let Some(s) = todo.pop_front() {
        docs += 1;
        if docs > 50 || out.len() >= ctx.config.max_pages {
            break;
        }
        let Ok(url) = origin_url.join(&s) else {
            continue;
        };
        if !same_origin(&url, origin_url)
            || !site
                .robots
                .allows(&ctx.config.user_agent_token, url.as_str())
        {
            continue;
        }
        let budget = Budget::new(ctx.config.url_budget_secs);
        let Ok(f) = site_file(ctx, &url, cap, &budget).await else {
            continue;
        };
        if f.status != 200 {
            continue;
        }
        let map = sitemap::parse(&f.body, ctx.config.max_decompressed_bytes);
        todo.extend(map.sitemaps);
        // Every page a sitemap lists is a discovered URL and gets its row: followed, or
        // not followed with the reason (another origin, or past max_pages).
        for p in map.pages {
            let u = match super::links::crawl_target(&p, Some(&url)) {
                Ok(u) => u,
                Err(bad) => {
                    ctx.bad_url(&bad, json!({ "sitemap": url.as_str() })).await;
                    continue;
                }
            };
            if !same_origin(&u, origin_url) {
                ctx.not_followed(&u, OTHER_ORIGIN, &url, 1).await;
            } else if out.len() >= ctx.config.max_pages {
                ctx.not_followed(&u, BEYOND_MAX_PAGES, &url, 1).await;
            } else {
                out.push(u);
            }
        }
    }
    out
}

/// The row for a URL whose origin (or a redirect hop's) resolved to a blocked address.
async fn blocked_address(ctx: &Ctx, url: &Url, evidence: serde_json::Value) -> Next {
    ctx.skip(
        url.as_str(),
        Stage::Fetch,
        ReasonCode::FetchBlockedAddress,
        evidence,
    )
    .await;
    Next::Links(url.clone(), Vec::new())
}

/// Consent check, fetch (following redirects) and verdict for one queued URL.
async fn crawl_url(ctx: &Ctx, site: &Arc<SiteRules>, url: &Url) -> Next {
    if let Some(why) = &site.blocked {
        return blocked_address(ctx, url, json!({ "detail": why })).await;
    }
    let signals = ctx.site_signals(site, url);
    if let Some(refused) = signals.refusal() {
        refuse(ctx, url, &refused, &[], None).await;
        return Next::Links(url.clone(), Vec::new());
    }
    if ctx.pages.fetch_add(1, Ordering::SeqCst) >= ctx.config.max_pages {
        return Next::Stop;
    }
    let limits = Limits {
        body: ctx.config.max_body_bytes,
        decoded: ctx.config.max_decompressed_bytes,
        truncate: false,
    };
    // From here to the response, redirect hops included, within the host's time budget.
    let budget = Budget::new(ctx.config.url_budget_secs);
    let mut chain: Vec<String> = Vec::new();
    let mut current = url.clone();
    let mut signals = signals;
    let fail =
        |e: FetchFailure, chain: &[String]| json!({ "detail": e.detail, "redirects": chain });
    let fetched = loop {
        let f = match ctx.fetcher.get(&current, limits, &budget).await {
            Ok(f) => f,
            Err(e) => {
                let reason = e.reason;
                ctx.skip(url.as_str(), Stage::Fetch, reason, fail(e, &chain))
                    .await;
                return Next::Links(url.clone(), Vec::new());
            }
        };
        let next = match redirect_target(&f) {
            None => break f,
            Some(Err(e)) => {
                let reason = e.reason;
                ctx.skip(url.as_str(), Stage::Fetch, reason, fail(e, &chain))
                    .await;
                return Next::Links(url.clone(), Vec::new());
            }
            Some(Ok(next)) => next,
        };
        drop(f);
        if chain.len() >= ctx.config.max_redirects
            || next == *url
            || chain.iter().any(|c| c == next.as_str())
        {
            chain.push(next.to_string());
            let e = FetchFailure::new(
                ReasonCode::FetchTooManyRedirects,
                "redirect loop or too many redirects",
            );
            ctx.skip(url.as_str(), Stage::Fetch, e.reason, fail(e, &chain))
                .await;
            return Next::Links(url.clone(), Vec::new());
        }
        chain.push(next.to_string());
        // The guard first (an IP literal is refused without any request, robots.txt included),
        // then the hop's own origin's rules: a URL carries the decision of where it led.
        let blocked = match ctx.fetcher.guard().check_url(&next) {
            Err(b) => Some(b.to_string()),
            Ok(()) => None,
        };
        let hop_site = match blocked {
            Some(_) => None,
            None => Some(ctx.site(&next).await),
        };
        if let Some(why) = blocked.or_else(|| hop_site.as_ref().and_then(|s| s.blocked.clone())) {
            return blocked_address(ctx, url, json!({ "detail": why, "redirects": chain })).await;
        }
        let hop_site = hop_site.expect("checked above");
        signals = ctx.site_signals(&hop_site, &next);
        if let Some(refused) = signals.refusal() {
            refuse(ctx, url, &refused, &chain, None).await;
            return Next::Links(url.clone(), Vec::new());
        }
        current = next;
    };
    if fetched.status != 200 {
        let ev = json!({ "status": fetched.status, "redirects": chain });
        ctx.skip(url.as_str(), Stage::Fetch, ReasonCode::FetchHttpStatus, ev)
            .await;
        return Next::Links(url.clone(), Vec::new());
    }
    let content_type = fetched.header("content-type").map(str::to_string);
    // No Content-Type: taken as HTML (the page is then sniffed by the extractor).
    let kind = content_type
        .as_deref()
        .map_or(MediaKind::Html, assent_schemas::media::kind);
    let is_html = kind == MediaKind::Html;
    if kind == MediaKind::Other {
        let ev = json!({ "content_type": content_type, "redirects": chain });
        ctx.skip(
            url.as_str(),
            Stage::Fetch,
            ReasonCode::InputUnsupportedType,
            ev,
        )
        .await;
        return Next::Links(url.clone(), Vec::new());
    }
    // The body is decoded from its charset once, here: the consent checks, the links and
    // extraction all read this text. (The raw body stays for the crawl's WARC.)
    let payload =
        assent_extract::decoded_payload(fetched.body.clone(), content_type.as_deref(), is_html);
    let text = assent_extract::scan_text(&payload);
    let markup = is_html.then(|| PageMarkup::read(&text));
    let (consent, licence) = page_consent(ctx, signals, &fetched, &text, markup.as_ref()).await;
    let token = &ctx.config.user_agent_token;
    let found = match &markup {
        Some(m) if !noai::forbids_following(&m.metas, &fetched.headers, token) => {
            links(&fetched.url, m)
        }
        _ => Vec::new(),
    };
    drop(markup);
    if consent.decision != assent_schemas::Decision::Kept {
        // The body goes now: a refused page is never written anywhere. Its links are still
        // followed: a refusal by the page's own headers or markup concerns training on its
        // text, not crawling the site (robots.txt decides that), and a site's unlicensed front
        // page must not hide its licensed articles under open-licence-only.
        // Its words are counted first, for the audit's share of candidate words refused.
        drop(text);
        let words = assent_extract::candidate_words(&payload);
        drop(payload);
        let page_url = fetched.url.clone();
        drop(fetched);
        let spdx = licence.map(|l| l.spdx);
        let examined = Examined {
            at: &page_url,
            spdx,
            words,
        };
        refuse(ctx, url, &consent, &chain, Some(examined)).await;
        return Next::Links(page_url, found);
    }
    let page_url = fetched.url.clone();
    let mut consent = consent;
    if !chain.is_empty() {
        consent.evidence.push(redirect_chain(url, &chain));
    }
    drop(text);
    ctx.mark_seen(&fetched.url);
    let record_id = ctx.store(&fetched);
    let Fetched {
        url: final_url,
        headers,
        fetched_at,
        ..
    } = fetched;
    if !chain.is_empty() {
        // The URL taken in (a seed, a link) has its own row saying where it led; the page is
        // recorded under its final URL, with the doc_id the curation gives it.
        let final_canonical = assent_schemas::canonical_url(final_url.as_str());
        let ev = json!({
            "to": final_url.as_str(),
            "doc_id": record_id.as_deref().map(|r| assent_schemas::doc_id(&final_canonical, r)),
            "redirects": chain,
        });
        ctx.skip(url.as_str(), Stage::Fetch, ReasonCode::FetchRedirected, ev)
            .await;
    }
    ctx.emit(InputItem::Page(Page {
        url: final_url.to_string(),
        source: source(record_id),
        fetched_at: Some(fetched_at),
        http_status: Some(200),
        content_type,
        headers,
        payload,
        consent: Some(consent),
        licence,
        carried_consent: None,
    }))
    .await;
    Next::Links(page_url, found)
}

/// The neutral signal naming the redirects by which `url` led to the kept page: `raw` is
/// `url -> hop -> ... -> final`, and `chain` lists the hops in full (`raw` is capped).
fn redirect_chain(url: &Url, chain: &[String]) -> Signal {
    let raw = std::iter::once(url.as_str())
        .chain(chain.iter().map(String::as_str))
        .collect::<Vec<_>>()
        .join(" -> ");
    Signal::new("redirect-chain", url.as_str(), &raw, Verdict::Neutral).with_detail(Detail {
        chain: Some(chain.to_vec()),
        ..Detail::default()
    })
}

/// A fetched page that consent refused: the URL its licences were read at, the page licence
/// found there, and the words of its text.
struct Examined<'a> {
    at: &'a Url,
    spdx: Option<String>,
    words: Option<u64>,
}

/// Emits the row of a refused URL; `examined` is None when the refusal came before any fetch.
async fn refuse(
    ctx: &Ctx,
    url: &Url,
    consent: &assent_schemas::Consent,
    chain: &[String],
    examined: Option<Examined<'_>>,
) {
    let row = refusal_row(
        Some(url.to_string()),
        None,
        source(None),
        consent,
        json!({ "redirects": chain }),
    );
    let item = match examined {
        Some(e) => InputItem::RefusedPage {
            row: row.with_words(e.words),
            licence_url: e.at.to_string(),
            spdx: e.spdx,
        },
        None => InputItem::Skipped(row),
    };
    ctx.emit(item).await;
}
