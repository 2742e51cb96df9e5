//! The crawler's page-level consent: the RSL documents a fetched page names are fetched (each
//! once per crawl, at most [`assent_consent::rsl::MAX_FETCHED`] a page), then the page is judged by
//! [`consent::page::page_consent`], as archived pages are. A page refused here is discarded by
//! the caller at once: nothing of its body is kept.

use super::crawler::Ctx;
use super::fetch::Fetched;
use super::site::fetch_rsl;
use assent_consent::page::{self, ConsentRules, PageMarkup, PageResponse};
use assent_consent::site::SiteSignals;
use assent_schemas::{Consent, Licence};

/// The consent decision for a fetched page, and the licence to record with it. `text` is the
/// body as decoded once by the caller; `markup`, for an HTML page, what consent reads of its
/// tags ([`PageMarkup::read`]), read once by the caller, which needs the head metas too.
pub(crate) async fn page_consent(
    ctx: &Ctx,
    site: SiteSignals,
    f: &Fetched,
    text: &str,
    markup: Option<&PageMarkup>,
) -> (Consent, Option<Licence>) {
    let is_html = markup.is_some();
    let response = PageResponse {
        url: &f.url,
        headers: &f.headers,
        html: is_html.then_some(text),
        text: (!is_html).then_some(text),
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
