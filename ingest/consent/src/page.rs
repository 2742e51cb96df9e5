//! Page-level consent, judged the same way whichever path the page entered by (a crawl, an
//! archived response, a live check of an archived page): `Content-Usage` (aipref),
//! `tdm-reservation` header and meta, `noai` in X-Robots-Tag and meta robots, RSL licences
//! (inline, or named by `Link: rel=license` headers and `<link rel=license>` tags), and
//! licences detected in the page (headers, markup, text; `<standard>`s of the RSL documents
//! read), combined with the site-level signals by [`decide`].
//!
//! The RSL documents a page names are fetched (or looked up in an archive) by the caller,
//! which asks [`rsl_named`] for them first, so that this module stays free of networking.
//!
//! The page's licence is the one [`licence::Detection`] chooses (highest-precedence source,
//! most restrictive licence); only that licence is judged against the allowed list under
//! `open-licence-only`, so a page whose metadata says CC BY-NC is refused even when a body
//! link says CC BY. The consent evidence lists every licence found (tier, snippet, whether
//! chosen) and one `licence.page` object naming the page's licence and domain, which the
//! pipeline counts for the per-domain licence audit, for kept and refused pages alike.

use super::decision::{decide, ConsentInput};
use super::licence;
use super::rsl::{self, RslDocument};
use super::site::SiteSignals;
use super::{aipref, noai, tdmrep, Policy, Signal};
use assent_schemas::{Consent, Licence};
use url::Url;

/// What the consent rules of a run are, apart from the signals.
#[derive(Clone, Copy, Debug)]
pub struct ConsentRules<'a> {
    /// Our robots.txt product token.
    pub token: &'a str,
    pub policy: Policy,
    pub allowed_licences: &'a [String],
}

/// One fetched or archived response, as far as consent reads it. An HTML page has both `html`
/// and `markup`; a page without either is judged by its headers (and `text`) alone.
#[derive(Clone, Copy, Debug)]
pub struct PageResponse<'a> {
    /// The URL the body was served from (after redirects).
    pub url: &'a Url,
    /// Response headers, names lower-cased.
    pub headers: &'a [(String, String)],
    /// The markup, decoded to text, for an HTML page.
    pub html: Option<&'a str>,
    /// The decoded text of a `text/plain` page (licence statements are read from it).
    pub text: Option<&'a str>,
    /// What the consent checks read from `html`'s tags, read once ([`PageMarkup::read`]).
    pub markup: Option<&'a PageMarkup>,
}

/// What consent reads of a page's tags, read in one pass ([`PageMarkup::read`]).
pub use crate::markup::PageMarkup;

/// The RSL documents a page names that are to be read, in order: `Link` headers first, then
/// `<link rel="license" type="application/rsl+xml">` tags; relative references resolved
/// against the page URL, duplicates dropped, at most [`rsl::MAX_FETCHED`], with the refusal
/// that records the cap when the page names more. A reference that is no URL is returned as
/// its text, for the caller to record as unavailable.
pub fn rsl_named(page: &PageResponse<'_>) -> (Vec<String>, Option<Signal>) {
    let mut named: Vec<String> = rsl::link_header_licences(page.headers);
    if let Some(markup) = page.markup {
        named.extend(markup.rsl.links.iter().cloned());
    }
    let mut out: Vec<String> = Vec::new();
    for n in named {
        let resolved = page.url.join(&n).map(|u| u.to_string()).unwrap_or(n);
        if !out.contains(&resolved) {
            out.push(resolved);
        }
    }
    rsl::capped(out, page.url.as_str())
}

/// The consent decision for a page, and the licence to record with it. `rsl_docs` are the
/// documents of [`rsl_named`], read (or the refusal an unreadable one implies).
pub fn page_consent(
    rules: ConsentRules<'_>,
    site: SiteSignals,
    page: PageResponse<'_>,
    rsl_docs: Vec<Result<RslDocument, Signal>>,
) -> (Consent, Option<Licence>) {
    let url = page.url.as_str();
    let mut training = site.training;
    for (name, value) in page.headers {
        if name == "content-usage" {
            training.push(aipref::header_signal(value, "content-usage"));
        }
    }
    training.extend(tdmrep::header_signal(page.headers, url));
    training.extend(noai::header_signals(page.headers, rules.token));
    let mut docs = Vec::new();
    for doc in rsl_docs {
        match doc {
            Ok(doc) => {
                training.push(doc.signal(page.url));
                docs.push(doc);
            }
            Err(refusal) => training.push(refusal),
        }
    }
    if let Some(markup) = page.markup {
        training.extend(noai::meta_signals(&markup.metas, rules.token, url));
        training.extend(tdmrep::meta_signal(&markup.metas, url));
        training.extend(markup.rsl.inline_signals(page.url));
    }
    let mut detection = match (page.html, page.text) {
        (Some(html), _) => match page.markup {
            Some(markup) => licence::detect_markup(markup, html, page.headers, Some(page.url)),
            None => licence::detect_html(html, page.headers, Some(page.url)),
        },
        (None, Some(text)) => licence::detect_text(text, page.headers, Some(page.url)),
        (None, None) => licence::detect_text("", page.headers, Some(page.url)),
    };
    for doc in &docs {
        detection.extend(licence::rsl_findings(doc, Some(page.url)));
    }
    // A licence the site's own RSL document (named in robots.txt) gives its content.
    detection.extend(site.licences);
    let chosen = detection.page_licence().cloned();
    let mut consent = decide(ConsentInput {
        fetch: &site.fetch,
        training: &training,
        licences: chosen.as_slice(),
        policy: rules.policy,
        allowed_licences: rules.allowed_licences,
    });
    // The licence signals `decide` added give way to every finding, then the page's.
    consent.evidence.retain(|s| s.signal != "licence");
    consent.evidence.extend(detection.evidence());
    consent.evidence.push(detection.page_evidence(url));
    (consent, chosen)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Verdict;
    use assent_schemas::{Decision, ReasonCode};

    fn rules(allowed: &[String]) -> ConsentRules<'_> {
        ConsentRules {
            token: "AssentBot",
            policy: Policy::OpenLicenceOnly,
            allowed_licences: allowed,
        }
    }

    #[test]
    fn licence_evidence_lists_every_finding_and_the_page() {
        let html = r#"<html><head><link rel="license" href="https://creativecommons.org/licenses/by-nc/4.0/"></head>
            <body><a rel="license" href="https://creativecommons.org/licenses/by/4.0/">CC BY</a></body></html>"#;
        let url = Url::parse("https://s.example/a").unwrap();
        let robots = Signal::new(
            "robots",
            "https://s.example/robots.txt",
            "Allow: /",
            Verdict::Allow,
        );
        let site = SiteSignals {
            fetch: vec![robots],
            ..SiteSignals::default()
        };
        let allowed = licence::default_allowed();
        let page = PageResponse {
            url: &url,
            headers: &[],
            html: Some(html),
            text: None,
            markup: Some(&PageMarkup::read(html)),
        };
        let (consent, chosen) = page_consent(rules(&allowed), site, page, Vec::new());
        // The body's CC BY does not rescue a page whose metadata says CC BY-NC.
        assert_eq!(consent.reasons, vec![ReasonCode::LicenceNotAllowed]);
        assert_eq!(chosen.unwrap().spdx, "CC-BY-NC-4.0");
        let v = serde_json::to_value(&consent.evidence).unwrap();
        let signals: Vec<&str> = consent.evidence.iter().map(|s| s.signal.as_str()).collect();
        assert_eq!(signals, ["robots", "licence", "licence", "licence.page"]);
        assert_eq!(v[1]["spdx"], "CC-BY-NC-4.0");
        assert_eq!(v[1]["chosen"], true);
        assert_eq!(v[2]["chosen"], false);
        assert_eq!(v[3]["spdx"], "CC-BY-NC-4.0");
        assert_eq!(v[3]["domain"], "s.example");
    }

    #[test]
    fn named_rsl_documents_come_from_headers_and_links() {
        let html = r#"<head><link rel="license" type="application/rsl+xml" href="/l.rsl">
            <link rel="license" type="application/rsl+xml" href="https://s.example/h.xml"></head>"#;
        let url = Url::parse("https://s.example/dir/page").unwrap();
        let headers = vec![(
            "link".to_string(),
            r#"<h.xml>; rel="license"; type="application/rsl+xml""#.to_string(),
        )];
        let page = PageResponse {
            url: &url,
            headers: &headers,
            html: Some(html),
            text: None,
            markup: Some(&PageMarkup::read(html)),
        };
        assert_eq!(
            rsl_named(&page).0,
            vec![
                "https://s.example/dir/h.xml",
                "https://s.example/l.rsl",
                "https://s.example/h.xml"
            ]
        );
    }

    #[test]
    fn an_unreadable_named_rsl_document_refuses() {
        let url = Url::parse("https://s.example/a").unwrap();
        let allowed = licence::default_allowed();
        let page = PageResponse {
            url: &url,
            headers: &[],
            html: Some("<p>hi</p>"),
            text: None,
            markup: None,
        };
        let gone = Err(rsl::unavailable_signal(
            "https://s.example/l.xml",
            "HTTP 404",
        ));
        let r = ConsentRules {
            policy: Policy::OptOut,
            ..rules(&allowed)
        };
        let (consent, _) = page_consent(r, SiteSignals::default(), page, vec![gone]);
        assert_eq!(consent.decision, Decision::Refused);
        assert_eq!(consent.reasons, vec![ReasonCode::RslUnavailable]);
    }
}
