//! Page-level consent, evaluated once a page has been fetched: `Content-Usage` (aipref),
//! `tdm-reservation` header and meta, `noai` in X-Robots-Tag and meta robots, RSL licences
//! (inline, or named by `Link: rel=license` headers), and licences detected in the page
//! (headers, markup, text; `<standard>`s of the RSL documents read). Combined with the
//! site-level signals by [`decide`]. A page refused here is discarded by the caller at once:
//! nothing of its body is kept.
//!
//! The page's licence is the one [`licence::Detection`] chooses (highest-precedence source,
//! most restrictive licence); only that licence is judged against the allowed list under
//! `open-licence-only`, so a page whose metadata says CC BY-NC is refused even when a body
//! link says CC BY. The consent evidence lists every licence found (tier, snippet, whether
//! chosen) and one `licence.page` object naming the page's licence and domain, which the
//! pipeline counts for the per-domain licence audit, for kept and refused pages alike.

use super::crawler::Ctx;
use super::fetch::Fetched;
use super::site::{fetch_rsl, SiteSignals};
use crate::charset::markup_text;
use crate::consent::decision::{decide, ConsentInput};
use crate::consent::licence::{self, Detection};
use crate::consent::{aipref, noai, rsl, tdmrep};
use assent_schemas::{Consent, Licence};
use serde_json::Value;

/// The consent decision for a fetched page, and the licence to record with it.
/// `metas` are the head meta tags of `html` ([`crate::consent::tags::head_metas`]), read once
/// by the caller, which needs them too.
pub(crate) async fn page_consent(
    ctx: &Ctx,
    site: SiteSignals,
    f: &Fetched,
    html: Option<&str>,
    metas: &[(String, String)],
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
    let mut rsl_docs = Vec::new();
    for named in rsl::link_header_licences(&f.headers) {
        match fetch_rsl(ctx, &f.url, &named).await {
            Ok(doc) => {
                training.push(doc.signal(&f.url));
                rsl_docs.push(doc);
            }
            Err(refusal) => training.push(refusal),
        }
    }
    let mut detection = match html {
        Some(html) => {
            training.extend(noai::meta_signals(metas, token, url));
            training.extend(tdmrep::meta_signal(metas, url));
            training.extend(rsl::inline_signals(html, &f.url));
            licence::detect_html(html, &f.headers, Some(&f.url))
        }
        // A text/plain page: its headers, and statements in its text.
        None => {
            let text = markup_text(&f.body, f.header("content-type"), false);
            licence::detect_text(&text, &f.headers, Some(&f.url))
        }
    };
    for doc in &rsl_docs {
        detection.extend(licence::rsl_findings(doc, Some(&f.url)));
    }
    // A licence the site's own RSL document (named in robots.txt) gives its content.
    detection.extend(site.licences);
    let chosen = detection.page_licence().cloned();
    let mut consent = decide(ConsentInput {
        fetch: &site.fetch,
        training: &training,
        licences: chosen.as_slice(),
        policy: ctx.config.policy,
        allowed_licences: &ctx.allowed_licences,
    });
    consent.evidence = with_licence_evidence(&consent.evidence, &detection, url);
    (consent, chosen)
}

/// The consent evidence with its licence objects replaced by every finding of `detection`,
/// then the `licence.page` object.
fn with_licence_evidence(evidence: &str, detection: &Detection, url: &str) -> String {
    let mut items = match serde_json::from_str(evidence) {
        Ok(Value::Array(items)) => items,
        _ => Vec::new(),
    };
    items.retain(|v| v.get("signal").and_then(Value::as_str) != Some("licence"));
    items.extend(detection.evidence());
    items.push(detection.page_evidence(url));
    Value::Array(items).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::consent::{Signal, Verdict};

    #[test]
    fn licence_evidence_lists_every_finding_and_the_page() {
        let html = r#"<html><head><link rel="license" href="https://creativecommons.org/licenses/by-nc/4.0/"></head>
            <body><a rel="license" href="https://creativecommons.org/licenses/by/4.0/">CC BY</a></body></html>"#;
        let d = licence::detect_html(html, &[], None);
        let robots = Signal::new(
            "robots",
            "https://s.example/robots.txt",
            "Allow: /",
            Verdict::Allow,
        );
        let chosen = d.page_licence().cloned();
        let consent = decide(ConsentInput {
            fetch: &[robots],
            training: &[],
            licences: chosen.as_slice(),
            policy: crate::consent::Policy::OpenLicenceOnly,
            allowed_licences: &licence::default_allowed(),
        });
        // The body's CC BY does not rescue a page whose metadata says CC BY-NC.
        assert_eq!(
            consent.reasons,
            vec![assent_schemas::ReasonCode::LicenceNotAllowed]
        );
        let ev = with_licence_evidence(&consent.evidence, &d, "https://s.example/a");
        let v: Vec<Value> = serde_json::from_str(&ev).unwrap();
        let signals: Vec<&str> = v.iter().map(|s| s["signal"].as_str().unwrap()).collect();
        assert_eq!(signals, ["robots", "licence", "licence", "licence.page"]);
        assert_eq!(v[1]["spdx"], "CC-BY-NC-4.0");
        assert_eq!(v[1]["chosen"], true);
        assert_eq!(v[2]["chosen"], false);
        assert_eq!(v[3]["spdx"], "CC-BY-NC-4.0");
        assert_eq!(v[3]["domain"], "s.example");
    }
}
