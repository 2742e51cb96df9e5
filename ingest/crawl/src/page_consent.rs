//! The crawler's page-level consent: the RSL documents a fetched page names are fetched (each
//! once per crawl, at most [`assent_consent::rsl::MAX_FETCHED`] a page), then the page is judged by
//! [`consent::page::page_consent`], as archived pages are. A page refused here is discarded by
//! the caller at once: nothing of its body is kept.

use super::crawler::Ctx;
use super::fetch::Fetched;
use super::site::fetch_rsl;
use assent_consent::page::{self, ConsentRules, PageMarkup, PageResponse};
use assent_consent::site::SiteSignals;
use assent_extract::charset::markup_text;
use assent_schemas::{Consent, Licence};

/// The consent decision for a fetched page, and the licence to record with it.
/// `markup` is what consent reads of `html`'s tags ([`PageMarkup::read`]), read once by the
/// caller, which needs the head metas too.
pub(crate) async fn page_consent(
    ctx: &Ctx,
    site: SiteSignals,
    f: &Fetched,
    html: Option<&str>,
    markup: Option<&PageMarkup>,
) -> (Consent, Option<Licence>) {
    let text = match html {
        Some(_) => None,
        None => Some(markup_text(&f.body, f.header("content-type"), false)),
    };
    let response = PageResponse {
        url: &f.url,
        headers: &f.headers,
        html,
        text: text.as_deref(),
        markup,
    };
    let (named, cap) = page::rsl_named(&response);
    let mut docs = Vec::with_capacity(named.len() + 1);
    for n in &named {
        docs.push(fetch_rsl(ctx, &f.url, n).await);
    }
    docs.extend(cap.map(Err));
    let rules = ConsentRules {
        token: &ctx.config.user_agent_token,
        policy: ctx.config.policy,
        allowed_licences: &ctx.allowed_licences,
    };
    page::page_consent(rules, site, response, docs)
}
