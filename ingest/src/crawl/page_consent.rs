//! Page-level consent, evaluated once a page has been fetched: `Content-Usage` (aipref),
//! `tdm-reservation` header and meta, `noai` in X-Robots-Tag and meta robots, RSL licences
//! (inline, or named by `Link: rel=license` headers), and licences detected in the HTML.
//! Combined with the site-level signals by [`decide`]. A page refused here is discarded by the
//! caller at once: nothing of its body is kept.

use super::crawler::Ctx;
use super::fetch::Fetched;
use super::site::{fetch_rsl, SiteSignals};
use crate::consent::decision::{decide, ConsentInput};
use crate::consent::{aipref, licence, noai, rsl, tdmrep};
use assent_schemas::{Consent, Licence};

/// The consent decision for a fetched page, and the licence to record with it.
pub(crate) async fn page_consent(
    ctx: &Ctx,
    site: SiteSignals,
    f: &Fetched,
    html: Option<&str>,
) -> (Consent, Option<Licence>) {
    let token = &ctx.config.user_agent_token;
    let url = f.url.as_str();
    let mut training = site.training;
    for (name, value) in &f.headers {
        if name == "content-usage" {
            training.push(aipref::header_signal(value, "content-usage"));
        }
    }
    training.extend(tdmrep::header_signal(&f.headers, url));
    training.extend(noai::header_signals(&f.headers, token));
    for named in rsl::link_header_licences(&f.headers) {
        match fetch_rsl(ctx, &f.url, &named).await {
            Ok(doc) => training.push(doc.signal(&f.url)),
            Err(refusal) => training.push(refusal),
        }
    }
    let mut licences = Vec::new();
    if let Some(html) = html {
        training.extend(noai::meta_signals(html, token, url));
        training.extend(tdmrep::meta_signal(html, url));
        training.extend(rsl::inline_signals(html, &f.url));
        licences = licence::detect(html);
    }
    let consent = decide(ConsentInput {
        fetch: &site.fetch,
        training: &training,
        licences: &licences,
        policy: ctx.config.policy,
        allowed_licences: &ctx.allowed_licences,
    });
    let chosen = licences
        .iter()
        .find(|l| licence::is_allowed(l, &ctx.allowed_licences))
        .or(licences.first())
        .cloned();
    (consent, chosen)
}
