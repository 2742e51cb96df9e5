//! Licence detection: every licence a page declares, mapped to an SPDX id, with where it was
//! found and a short snippet as evidence; then the one licence the page is taken to carry.
//!
//! Sources, by [`Tier`] (see [`rank`] for the precedence rule and the restrictiveness order):
//! - metadata: `Link: <…>; rel="license"` headers (`header`); `<link rel="license">`
//!   (`link-rel`); `<meta name="dcterms.license" | "dc.license" | "license">` (`meta`, a URL or
//!   a licence name) and the rights statements `dc.rights` / `dcterms.rights` (`meta`, only
//!   when they name a licence we recognise); schema.org `license` in JSON-LD (`json-ld`, see
//!   [`jsonld`]); microdata `itemprop="license"` (`microdata`: `href`, `content`, or the
//!   element's text) and RDFa `property`/`rel` `cc:license`, `dct:license`,
//!   `dcterms:license`, `schema:license` (`rdfa`) in the head; `<standard>`s of an inline RSL
//!   document (`<script type="application/rsl+xml">`) or of one a `Link` header names (`rsl`);
//! - body: `<a rel="license">` and `<area rel="license">` (`a-rel`), microdata and RDFa in the
//!   body;
//! - text: licensing statements in the visible text (`text`, see [`text`]);
//! - media: JSON-LD licences of images, video and audio (evidence only).
//!
//! `rel` (and `itemprop`, `property`) are space-separated token lists, compared ASCII
//! case-insensitively. URLs map through [`url_spdx`] (Creative Commons, see [`cc`], and other
//! licence URLs, see [`names`]); names through [`name_spdx`] (SPDX ids in any case, the
//! `spdx` crate's imprecise names, Creative Commons names). A value given in a field that
//! only ever holds a licence (`rel=license`, `dcterms.license`, JSON-LD `license`, microdata
//! `license`, RSL `<standard>`) that we cannot map is still a finding: [`UNKNOWN`]
//! (`LicenseRef-Unknown`), the most restrictive licence there is, with the value as its URL
//! or snippet. A page that points at its own terms has not given us an open licence.
//!
//! Markup is read with a bounded tag scanner of its own (not the extractor's DOM): the first
//! [`LIMIT`] bytes of the page, plus, for a longer page, the visible text of its last
//! [`TAIL`] bytes, where footers with licence notices live.
//!
//! [`is_allowed`] patterns: an exact SPDX id, or `PREFIX*` where `*` stands for a version
//! (what follows the prefix must start with a digit). So `CC-BY-*` matches `CC-BY-4.0` and
//! `CC-BY-3.0-DE` but NOT `CC-BY-NC-4.0` or `CC-BY-SA-4.0`; ids compare case-insensitively
//! (SPDX ids are case-insensitive).

mod cc;
pub mod guard;
mod jsonld;
mod links;
mod names;
pub mod rank;
pub mod text;

pub use cc::cc_spdx;
pub use links::{licence_links, LicenceLink};
pub use names::{name_spdx, spdx_id, url_spdx};
pub use rank::{choose, restrictiveness, Restrictiveness, Tier};
pub use text::{Statement, SNIPPET_MAX};

use super::rsl::RslDocument;
use super::{Detail, Signal, Verdict};
use assent_schemas::Licence;
use url::Url;

use crate::markup::{element_text, LicenceTag, PageMarkup};
/// Most bytes of a page searched for licence markup (and text); of a longer page, the
/// visible text of the last [`TAIL`] bytes is searched too.
pub use crate::markup::{LICENCE_PREFIX as LIMIT, LICENCE_TAIL as TAIL};
/// Most findings kept for one page.
pub const MAX_FINDINGS: usize = 64;
/// The id of a licence a page declares in a licence field but that we cannot identify.
pub const UNKNOWN: &str = "LicenseRef-Unknown";

/// Licences allowed under policy `open-licence-only` unless configured otherwise.
pub const DEFAULT_ALLOWED: &[&str] = &["CC0-1.0", "CC-BY-*", "CC-BY-SA-*", "LicenseRef-PDM-1.0"];

/// One licence found on a page, and how much the page vouches for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    pub licence: Licence,
    pub tier: Tier,
}

/// Every licence found on a page, and the one chosen as the page's licence ([`choose`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Detection {
    findings: Vec<Finding>,
    chosen: Option<usize>,
}

impl Detection {
    /// Every finding: header links first, then in document order, then text statements.
    pub fn findings(&self) -> &[Finding] {
        &self.findings
    }

    /// The page's licence: the most restrictive finding of the highest tier present.
    pub fn page_licence(&self) -> Option<&Licence> {
        self.chosen.map(|i| &self.findings[i].licence)
    }

    /// Adds a finding (an exact repeat is dropped; at most [`MAX_FINDINGS`]) and chooses again.
    pub fn add(&mut self, f: Finding) {
        let repeat = self.findings.iter().any(|o| {
            o.tier == f.tier
                && o.licence.spdx == f.licence.spdx
                && o.licence.found_in == f.licence.found_in
                && o.licence.url == f.licence.url
        });
        if !repeat && self.findings.len() < MAX_FINDINGS {
            self.findings.push(f);
            self.chosen = choose(&self.findings);
        }
    }

    pub fn extend(&mut self, fs: impl IntoIterator<Item = Finding>) {
        for f in fs {
            self.add(f);
        }
    }

    /// The licences found: the page's licence first, then the others by tier, each tier in
    /// the order found.
    pub fn licences(&self) -> Vec<Licence> {
        let mut order: Vec<usize> = (0..self.findings.len()).collect();
        order.sort_by_key(|&i| (Some(i) != self.chosen, self.findings[i].tier));
        order
            .into_iter()
            .map(|i| self.findings[i].licence.clone())
            .collect()
    }

    /// One evidence signal per finding: the [`signal`] with `spdx`, `tier`,
    /// `restrictiveness`, `chosen`, and `url` / `snippet` where there are.
    pub fn evidence(&self) -> Vec<Signal> {
        self.findings
            .iter()
            .enumerate()
            .map(|(i, f)| {
                signal(&f.licence).with_detail(Detail {
                    spdx: Some(f.licence.spdx.clone()),
                    tier: Some(f.tier.as_str().to_string()),
                    restrictiveness: Some(restrictiveness(&f.licence.spdx).as_str().to_string()),
                    chosen: Some(Some(i) == self.chosen),
                    url: f.licence.url.clone(),
                    snippet: f.licence.snippet.clone(),
                    ..Detail::default()
                })
            })
            .collect()
    }

    /// The `licence.page` evidence signal: which licence the page at `page_url` was taken to
    /// carry (`spdx`, absent for none), its domain ([`licence_domain`]) and how many findings
    /// there were. Every page whose licences were examined gets one in its evidence, kept or
    /// refused ([`PAGE_SIGNAL`]).
    pub fn page_evidence(&self, page_url: &str) -> Signal {
        let chosen = self.page_licence();
        Signal::new(
            PAGE_SIGNAL,
            page_url,
            chosen.map_or("", |l| l.spdx.as_str()),
            Verdict::Neutral,
        )
        .with_detail(Detail {
            spdx: chosen.map(|l| l.spdx.clone()),
            domain: Some(licence_domain(page_url)),
            findings: Some(self.findings.len() as u32),
            ..Detail::default()
        })
    }
}

/// The `signal` name of [`Detection::page_evidence`].
pub const PAGE_SIGNAL: &str = "licence.page";

/// The key under which the laundering guard counts a page: the URL's host, lower-cased,
/// without a leading `www.` and without the port. A host, not the registrable domain: the
/// unit that shares one template and one licence notice is the site, and hosting platforms
/// give each author a subdomain of one registrable domain (`alice.example-blogs.com`), whom
/// a registrable domain would lump together. Empty when the URL has no host.
pub fn licence_domain(url: &str) -> String {
    licence_domain_of_host(&assent_schemas::host_of(url))
}

/// [`licence_domain`] of a host already lower-cased (as [`assent_schemas::PageUrl`] has it).
pub fn licence_domain_of_host(host: &str) -> String {
    let host = host.trim_end_matches('.');
    host.strip_prefix("www.").unwrap_or(host).to_string()
}

/// A licence from a URL found in `found_in` (`link-rel`, `meta`, …), if recognised.
pub fn from_url(url: &str, found_in: &str) -> Option<Licence> {
    url_spdx(url).map(|spdx| Licence {
        spdx,
        found_in: found_in.to_string(),
        url: Some(url.trim().to_string()),
        snippet: None,
    })
}

/// The evidence signal of a detected licence: Neutral, raw = its URL (else its snippet, else
/// its SPDX id).
pub fn signal(l: &Licence) -> Signal {
    let raw = l.url.as_deref().or(l.snippet.as_deref()).unwrap_or(&l.spdx);
    Signal::new("licence", &l.found_in, raw, Verdict::Neutral)
}

fn snip(s: &str) -> String {
    crate::tags::truncate(s.trim(), SNIPPET_MAX)
        .trim_end()
        .to_string()
}

/// Whether a value is written as a URL (absolute, scheme-relative, or a path).
fn looks_like_url(v: &str) -> bool {
    let v = v.trim();
    v.starts_with("http://")
        || v.starts_with("https://")
        || v.starts_with("//")
        || v.starts_with('/')
        || v.starts_with("./")
        || v.starts_with("../")
        || (!v.contains(char::is_whitespace)
            && (v.starts_with("www.")
                || v.to_ascii_lowercase().starts_with("creativecommons.org/")))
}

/// A finding for a value given in a licence field (a URL when `is_url`, else a URL or a name
/// as it looks). `explicit`: the field holds nothing but licences, so an unrecognised value is
/// [`UNKNOWN`]; otherwise it is no finding.
fn finding(
    value: &str,
    is_url: bool,
    found_in: &str,
    tier: Tier,
    explicit: bool,
    snippet: String,
) -> Option<Finding> {
    let value = value.trim();
    if value.is_empty() {
        return None;
    }
    let (spdx, url) = if is_url || looks_like_url(value) {
        let absolute = if value.starts_with("www.") || value.starts_with("creativecommons.org") {
            format!("https://{value}")
        } else {
            value.to_string()
        };
        (
            url_spdx(&absolute),
            Some(crate::tags::truncate(value, 2048).to_string()),
        )
    } else {
        (name_spdx(value), None)
    };
    let spdx = match spdx {
        Some(s) => s,
        None if explicit => UNKNOWN.to_string(),
        None => return None,
    };
    Some(Finding {
        licence: Licence {
            spdx,
            found_in: found_in.to_string(),
            url,
            snippet: Some(snip(&snippet)),
        },
        tier,
    })
}

/// `<name attr="value" …>` of a tag's licence-related attributes, for a snippet.
fn tag_snippet(t: &LicenceTag, text: Option<&str>) -> String {
    let mut s = format!("<{}", t.name);
    for (n, v) in &t.attrs {
        if matches!(
            n.as_str(),
            "rel" | "itemprop" | "property" | "name" | "href" | "content" | "resource" | "type"
        ) {
            s.push_str(&format!(" {n}=\"{}\"", crate::tags::truncate(v, 160)));
        }
    }
    s.push('>');
    if let Some(t) = text.filter(|t| !t.is_empty()) {
        s.push_str(t);
    }
    snip(&s)
}

/// Licences named by `Link: <…>; rel="license"` headers (names lower-cased by the caller).
/// Relative targets are resolved against `page_url` where given.
fn header_findings(headers: &[(String, String)], page_url: Option<&Url>) -> Vec<Finding> {
    let mut out = Vec::new();
    for link in licence_links(headers) {
        let is_rsl = link
            .media_type
            .as_deref()
            .is_some_and(|t| t.trim().eq_ignore_ascii_case("application/rsl+xml"));
        if is_rsl {
            continue; // an RSL document: its <standard>s count once it is read
        }
        let target = match page_url.and_then(|u| u.join(&link.target).ok()) {
            Some(abs) if !link.target.contains("://") => abs.to_string(),
            _ => link.target.clone(),
        };
        let snippet = format!("Link: <{}>; rel=\"license\"", link.target);
        out.extend(finding(
            &target,
            true,
            "header",
            Tier::Metadata,
            true,
            snippet,
        ));
    }
    out
}

/// Creative Commons (and other recognised) licences named by `Link: <…>; rel="license"`
/// headers; unrecognised targets are left out here.
pub fn from_headers(headers: &[(String, String)]) -> Vec<Licence> {
    let mut out: Vec<Licence> = Vec::new();
    for f in header_findings(headers, None) {
        if f.licence.spdx != UNKNOWN && !out.iter().any(|o| o.spdx == f.licence.spdx) {
            out.push(f.licence);
        }
    }
    out
}

/// The `<standard>` licences of an RSL document (of the `<content>` governing `page_url`, or
/// of every content when no URL is given), as metadata findings (`rsl`).
pub fn rsl_findings(doc: &RslDocument, page_url: Option<&Url>) -> Vec<Finding> {
    let contents: Vec<&super::rsl::RslContent> = match page_url {
        Some(u) => doc.content_for(u).into_iter().collect(),
        None => doc.contents.iter().collect(),
    };
    let mut out = Vec::new();
    for c in contents {
        for l in &c.licences {
            for s in &l.standards {
                let snippet = format!("<standard>{s}</standard> in {}", doc.source);
                out.extend(finding(s, false, "rsl", Tier::Metadata, true, snippet));
            }
        }
    }
    out
}

const LICENCE_META: &[&str] = &[
    "dcterms.license",
    "dc.license",
    "license",
    "dcterms:license",
    "dc:license",
];
const RIGHTS_META: &[&str] = &["dc.rights", "dcterms.rights", "dc:rights", "dcterms:rights"];
const MICRODATA: &[&str] = &[
    "license",
    "http://schema.org/license",
    "https://schema.org/license",
];
const RDFA: &[&str] = &[
    "cc:license",
    "dct:license",
    "dcterms:license",
    "schema:license",
    "http://creativecommons.org/ns#license",
    "http://purl.org/dc/terms/license",
];

/// The findings of one scanned tag.
fn tag_findings(t: &LicenceTag, html_text: &str, page_url: Option<&Url>, out: &mut Detection) {
    let positional = if t.in_head {
        Tier::Metadata
    } else {
        Tier::Body
    };
    // A URL attribute, resolved against the page where it is relative.
    let resolve = |v: &str| -> String {
        let v = v.trim();
        page_url
            .and_then(|u| u.join(v).ok())
            .map_or(v.to_string(), |a| a.to_string())
    };
    // A value that may be a URL or a name: resolved only when it looks like a URL.
    let maybe_resolve = |v: &str| -> String {
        if looks_like_url(v) {
            resolve(v)
        } else {
            v.to_string()
        }
    };
    if t.name == "script" {
        let Some(script) = &t.script else { return };
        let ty = t.attr("type").unwrap_or("").trim().to_ascii_lowercase();
        if ty == "application/ld+json" {
            for l in jsonld::licences(script) {
                let tier = if l.media { Tier::Media } else { Tier::Metadata };
                let value = if l.is_url {
                    resolve(&l.value)
                } else {
                    l.value.clone()
                };
                let snippet = format!("\"license\": \"{}\"", l.value);
                out.extend(finding(&value, l.is_url, "json-ld", tier, true, snippet));
            }
        } else if ty == "application/rsl+xml" {
            let source = format!("inline:{}", page_url.map_or("", |u| u.as_str()));
            if let Ok(doc) = RslDocument::parse(script.as_bytes(), &source) {
                out.extend(rsl_findings(&doc, page_url));
            }
        }
        return;
    }
    if t.name == "meta" {
        if let (Some(name), Some(content)) = (t.attr("name"), t.attr("content")) {
            let name = name.trim().to_ascii_lowercase();
            let snippet = tag_snippet(t, None);
            if LICENCE_META.contains(&name.as_str()) {
                out.extend(finding(
                    &maybe_resolve(content),
                    false,
                    "meta",
                    Tier::Metadata,
                    true,
                    snippet,
                ));
                return;
            }
            if RIGHTS_META.contains(&name.as_str()) {
                out.extend(finding(
                    &maybe_resolve(content),
                    false,
                    "meta",
                    Tier::Metadata,
                    false,
                    snippet,
                ));
                return;
            }
        }
    }
    let text_of = || element_text(html_text, t.end, &t.name, 160);
    if matches!(t.name.as_str(), "link" | "a" | "area") && t.has_token("rel", &["license"]) {
        let Some(href) = t.attr("href") else { return };
        let (found_in, tier) = if t.name == "link" {
            ("link-rel", Tier::Metadata)
        } else {
            ("a-rel", Tier::Body)
        };
        let text = (t.name == "a").then(text_of);
        let snippet = tag_snippet(t, text.as_deref());
        out.extend(finding(&resolve(href), true, found_in, tier, true, snippet));
        return;
    }
    for (attr, tokens, found_in) in [
        ("itemprop", MICRODATA, "microdata"),
        ("property", RDFA, "rdfa"),
        ("rel", RDFA, "rdfa"),
    ] {
        if !t.has_token(attr, tokens) {
            continue;
        }
        let url = ["href", "resource", "src"]
            .iter()
            .find_map(|a| t.attr(a))
            .map(resolve);
        let value = match (&url, t.attr("content")) {
            (Some(u), _) => Some(u.clone()),
            (None, Some(c)) => Some(maybe_resolve(c)),
            (None, None) => None,
        };
        let text = if value.is_none() && t.name != "meta" && t.name != "link" {
            Some(text_of())
        } else {
            None
        };
        let snippet = tag_snippet(t, text.as_deref());
        if let Some(v) = value.or(text) {
            out.extend(finding(
                &v,
                url.is_some(),
                found_in,
                positional,
                true,
                snippet,
            ));
        }
        return;
    }
}

fn text_findings(text: &str) -> Vec<Finding> {
    text::statements(text)
        .into_iter()
        .map(|s| Finding {
            licence: Licence {
                spdx: s.spdx,
                found_in: "text".into(),
                url: s.url,
                snippet: Some(s.snippet),
            },
            tier: Tier::Text,
        })
        .collect()
}

/// Every licence an HTML page declares: `Link` headers (names lower-cased), markup in the
/// first [`LIMIT`] bytes, statements in its visible text (and in that of the last [`TAIL`]
/// bytes of a longer page). `page_url` resolves relative licence links and picks the RSL
/// `<content>` for the page.
pub fn detect_html(html: &str, headers: &[(String, String)], page_url: Option<&Url>) -> Detection {
    detect_markup(&PageMarkup::read(html), html, headers, page_url)
}

/// [`detect_html`] from the page's one markup pass, already made ([`PageMarkup::read`] of
/// `html`).
pub fn detect_markup(
    markup: &PageMarkup,
    html: &str,
    headers: &[(String, String)],
    page_url: Option<&Url>,
) -> Detection {
    let mut d = Detection::default();
    d.extend(header_findings(headers, page_url));
    for t in &markup.licence_tags {
        tag_findings(t, html, page_url, &mut d);
    }
    d.extend(text_findings(&markup.text));
    d.extend(text_findings(&markup.tail_text));
    d
}

/// The licences of a plain-text page or of text extracted elsewhere: `Link` headers and
/// statements in the text (bounded, see [`text::statements`]).
pub fn detect_text(text: &str, headers: &[(String, String)], page_url: Option<&Url>) -> Detection {
    let mut d = Detection::default();
    d.extend(header_findings(headers, page_url));
    d.extend(text_findings(text));
    d
}

/// Licensing statements in plain text (`found_in` = `text`), in text order: for callers that
/// hold a page's extracted text.
pub fn detect_in_text(text: &str) -> Vec<Licence> {
    text_findings(text).into_iter().map(|f| f.licence).collect()
}

/// The licences an HTML page declares, the page's licence first (see [`Detection::licences`]).
pub fn detect(html: &str) -> Vec<Licence> {
    detect_html(html, &[], None).licences()
}

/// Whether `licence` matches one of the `allowed` patterns (see the module docs).
pub fn is_allowed(licence: &Licence, allowed: &[String]) -> bool {
    allowed.iter().any(|p| pattern_matches(p, &licence.spdx))
}

fn pattern_matches(pattern: &str, spdx: &str) -> bool {
    let pattern = pattern.trim();
    match pattern.strip_suffix('*') {
        Some(prefix) => {
            spdx.len() > prefix.len()
                && spdx.is_char_boundary(prefix.len())
                && spdx[..prefix.len()].eq_ignore_ascii_case(prefix)
                && spdx.as_bytes()[prefix.len()].is_ascii_digit()
        }
        None => pattern.eq_ignore_ascii_case(spdx),
    }
}

/// [`DEFAULT_ALLOWED`] as owned strings, for configuration defaults.
pub fn default_allowed() -> Vec<String> {
    DEFAULT_ALLOWED.iter().map(|s| s.to_string()).collect()
}

#[cfg(test)]
mod tests;
