//! RSL 1.0 (Really Simple Licensing, <https://rslstandard.org/rsl>): an XML licence document
//! `<rsl xmlns="https://rslstandard.org/rsl"><content url="…"><license><permits type="usage">…`,
//! named by a `Link: <…>; rel="license"; type="application/rsl+xml"` header (RFC 8288), by an
//! HTML `<link rel="license" type="application/rsl+xml" href="…">`, by robots.txt `License:`
//! lines (the robots module), or inlined in HTML as `<script type="application/rsl+xml">`.
//!
//! Readings chosen (the spec lists licences, so silence is not permission):
//! - Usage values: `all` covers every use, `ai-all` covers every AI use, `ai-train` is AI
//!   training. `train-ai` (used by early RSL templates) is read as `ai-train`.
//! - The `<content>` whose `url` pattern matches the page is chosen; `url` is a full URL or an
//!   RFC 9309 path pattern (`*`, trailing `$`); where several match, the longest pattern wins
//!   (as in robots.txt); patterns and paths are compared in the normal form of
//!   [`super::paths`]. No matching `<content>` → `Neutral`: the document says nothing about
//!   this page.
//! - A `<content server="…">` names an RSL License Server, and RSL 1.0 (the `server` attribute
//!   of `<content>`) says a licence must then be obtained from it even when the licence is
//!   free. Assent obtains none, so such content is `Refuse(rsl.not-permitted)` whatever its
//!   licences say, with the server named in the evidence.
//! - Within the chosen content, a `<prohibits type="usage">` naming ai-train (or `ai-all`/`all`)
//!   in any licence → `Refuse(rsl.not-permitted)`.
//! - A licence permits us when its `<permits type="usage">` lists ai-train, `ai-all` or `all`,
//!   or it has no usage permits at all (RSL: what is not restricted is permitted), AND its
//!   `<payment>` is absent, `free` or `attribution` (Assent keeps each document's URL, which
//!   is its attribution). A licence that needs payment, a subscription or a licence-server
//!   token grants Assent nothing, since Assent obtains none. Any permitting licence → `Allow`.
//! - Usage permits that exist without ai-train, or only paid licences → `Refuse(rsl.not-permitted)`.
//! - A content with no `<license>` → `Neutral`.
//! - An RSL document that is named but cannot be fetched or parsed → [`unavailable_signal`],
//!   `Refuse(rsl.unavailable)`: a licence we could not read grants no permission.
//! - `<permits>`/`<prohibits>` without a `type` are read as `usage`.
//! - `<standard>` (a standard licence a `<license>` refers to, e.g. a Creative Commons URL,
//!   anywhere inside the `<license>`, usually in its `<payment>`) is kept in
//!   [`RslLicence::standards`]; the licence module maps it to an SPDX id.

use super::licence::licence_links;
use super::paths;
use super::tags::truncate;
use super::{Signal, Verdict};
use assent_schemas::ReasonCode;
use quick_xml::events::Event;
use quick_xml::Reader;
use url::Url;

/// Largest RSL document parsed.
pub const MAX_DOCUMENT: usize = 1024 * 1024;
/// Deepest element nesting accepted.
const MAX_DEPTH: usize = 32;
const MAX_CONTENTS: usize = 1000;
const MAX_LICENCES: usize = 64;
/// Most inline documents read from one page.
pub const MAX_PER_PAGE: usize = 8;
/// Most RSL documents fetched (or looked up) for one page, and for one origin's robots.txt:
/// a page or a robots.txt may name any number, and each is a request to any origin. Those
/// past the cap are not read, and [`cap_signal`] says so.
pub const MAX_FETCHED: usize = 4;

/// Why an RSL document could not be read.
#[derive(Debug, thiserror::Error)]
pub enum RslError {
    #[error("{source_name}: RSL document larger than {MAX_DOCUMENT} bytes")]
    TooLarge { source_name: String },
    #[error("{source_name}: RSL nesting deeper than {MAX_DEPTH}")]
    TooDeep { source_name: String },
    #[error("{source_name}: malformed RSL: {why}")]
    Malformed { source_name: String, why: String },
}

/// One `<license>`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RslLicence {
    /// Usage values of `<permits type="usage">`; None when the licence has none.
    pub permits_usage: Option<Vec<String>>,
    /// Usage values of `<prohibits type="usage">`.
    pub prohibits_usage: Vec<String>,
    /// `<payment type="…">`, lower-cased; None when absent.
    pub payment: Option<String>,
    /// The texts of its `<standard>` elements (URLs of standard licences), at most 8.
    pub standards: Vec<String>,
}

/// One `<content>`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RslContent {
    pub url: String,
    /// The RSL License Server a licence must be obtained from, if named.
    pub server: Option<String>,
    pub licences: Vec<RslLicence>,
}

/// A parsed RSL document.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RslDocument {
    /// Where it came from: its URL, or `inline:<page URL>`.
    pub source: String,
    pub contents: Vec<RslContent>,
}

fn covers_training(v: &str) -> bool {
    matches!(v, "ai-train" | "train-ai" | "ai-all" | "all")
}

fn usage_values(text: &str) -> Vec<String> {
    text.split(|c: char| c == ',' || c.is_whitespace())
        .filter(|s| !s.is_empty())
        .take(64)
        .map(|s| truncate(s, 64).to_ascii_lowercase())
        .collect()
}

impl RslLicence {
    fn verdict(&self) -> Verdict {
        if self.prohibits_usage.iter().any(|v| covers_training(v)) {
            return Verdict::Refuse(ReasonCode::RslNotPermitted);
        }
        let usage_ok = match &self.permits_usage {
            None => true,
            Some(p) => p.iter().any(|v| covers_training(v)),
        };
        let payment_ok = matches!(self.payment.as_deref(), None | Some("free" | "attribution"));
        if usage_ok && payment_ok {
            Verdict::Allow
        } else {
            Verdict::Refuse(ReasonCode::RslNotPermitted)
        }
    }
}

/// Which `<permits>`/`<prohibits>` we are inside, with its text so far.
enum Open {
    Permits(String),
    Prohibits(String),
    Standard(String),
}

impl RslDocument {
    pub fn parse(bytes: &[u8], source: &str) -> Result<Self, RslError> {
        let malformed = |why: String| RslError::Malformed {
            source_name: source.to_string(),
            why,
        };
        if bytes.len() > MAX_DOCUMENT {
            return Err(RslError::TooLarge {
                source_name: source.to_string(),
            });
        }
        let text = String::from_utf8_lossy(bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes));
        let mut reader = Reader::from_str(&text);
        let mut doc = RslDocument {
            source: source.to_string(),
            contents: Vec::new(),
        };
        let mut depth = 0usize;
        let mut saw_root = false;
        let mut content: Option<RslContent> = None;
        let mut licence: Option<RslLicence> = None;
        let mut open: Option<Open> = None;
        loop {
            let ev = reader
                .read_event()
                .map_err(|e| malformed(format!("at byte {}: {e}", reader.error_position())))?;
            match ev {
                Event::Start(ref e) | Event::Empty(ref e) => {
                    let empty = matches!(ev, Event::Empty(_));
                    if !empty {
                        depth += 1;
                        if depth > MAX_DEPTH {
                            return Err(RslError::TooDeep {
                                source_name: source.to_string(),
                            });
                        }
                    }
                    let name = e.local_name().as_ref().to_ascii_lowercase();
                    let attr = |want: &str| -> Option<String> {
                        e.attributes().flatten().find_map(|a| {
                            (a.key.local_name().as_ref().eq_ignore_ascii_case(want))
                                .then(|| {
                                    a.normalized_value(quick_xml::XmlVersion::default())
                                        .ok()
                                        .map(|v| v.trim().to_string())
                                })
                                .flatten()
                        })
                    };
                    match name.as_str() {
                        "rsl" => saw_root = true,
                        "content" if doc.contents.len() < MAX_CONTENTS => {
                            let url = attr("url").unwrap_or_default();
                            let server = attr("server")
                                .filter(|s| !s.is_empty())
                                .map(|s| truncate(&s, 2048).to_string());
                            let c = RslContent {
                                url: truncate(&url, 2048).to_string(),
                                server,
                                licences: Vec::new(),
                            };
                            if empty {
                                doc.contents.push(c);
                            } else {
                                content = Some(c);
                            }
                        }
                        "license" | "licence" if content.is_some() => {
                            if empty {
                                if let Some(c) = content.as_mut() {
                                    if c.licences.len() < MAX_LICENCES {
                                        c.licences.push(RslLicence::default());
                                    }
                                }
                            } else {
                                licence = Some(RslLicence::default());
                            }
                        }
                        "permits" | "prohibits" if licence.is_some() => {
                            let ty = attr("type").unwrap_or_else(|| "usage".into());
                            if !ty.eq_ignore_ascii_case("usage") {
                            } else if !empty {
                                open = Some(if name == "permits" {
                                    Open::Permits(String::new())
                                } else {
                                    Open::Prohibits(String::new())
                                });
                            } else if let (Some(l), "permits") = (licence.as_mut(), name.as_str()) {
                                // An empty usage permit lists nothing: nothing is permitted.
                                l.permits_usage.get_or_insert_with(Vec::new);
                            }
                        }
                        "standard" if licence.is_some() && open.is_none() && !empty => {
                            open = Some(Open::Standard(String::new()));
                        }
                        "payment" => {
                            if let Some(l) = licence.as_mut() {
                                let ty = attr("type").unwrap_or_else(|| "unknown".into());
                                l.payment = Some(truncate(&ty, 64).to_ascii_lowercase());
                            }
                        }
                        _ => {}
                    }
                }
                Event::Text(t) => push_text(&mut open, &t),
                Event::CData(t) => push_text(&mut open, &t),
                Event::GeneralRef(r) => {
                    let c = match &*r {
                        "amp" => Some('&'),
                        "lt" => Some('<'),
                        "gt" => Some('>'),
                        "quot" => Some('"'),
                        "apos" => Some('\''),
                        _ => r.resolve_char_ref().ok().flatten(),
                    };
                    if let Some(c) = c {
                        push_text(&mut open, c.encode_utf8(&mut [0; 4]));
                    }
                }
                Event::End(e) => {
                    depth = depth.saturating_sub(1);
                    match e.local_name().as_ref().to_ascii_lowercase().as_str() {
                        "permits" | "prohibits" => {
                            if let (Some(o), Some(l)) = (open.take(), licence.as_mut()) {
                                match o {
                                    Open::Permits(t) => l
                                        .permits_usage
                                        .get_or_insert_with(Vec::new)
                                        .extend(usage_values(&t)),
                                    Open::Prohibits(t) => {
                                        l.prohibits_usage.extend(usage_values(&t))
                                    }
                                    Open::Standard(_) => {}
                                }
                            }
                        }
                        "standard" if matches!(open, Some(Open::Standard(_))) => {
                            if let (Some(Open::Standard(t)), Some(l)) =
                                (open.take(), licence.as_mut())
                            {
                                let t = t.trim();
                                if !t.is_empty() && l.standards.len() < 8 {
                                    l.standards.push(truncate(t, 2048).to_string());
                                }
                            }
                        }
                        "license" | "licence" => {
                            if let (Some(l), Some(c)) = (licence.take(), content.as_mut()) {
                                if c.licences.len() < MAX_LICENCES {
                                    c.licences.push(l);
                                }
                            }
                        }
                        "content" => {
                            if let Some(c) = content.take() {
                                doc.contents.push(c);
                            }
                        }
                        _ => {}
                    }
                }
                Event::Eof => break,
                _ => {}
            }
        }
        if depth != 0 {
            return Err(malformed("unclosed element at end of document".into()));
        }
        if !saw_root {
            return Err(malformed("no <rsl> element".into()));
        }
        Ok(doc)
    }

    /// The `<content>` governing `url`: the longest matching pattern.
    pub fn content_for(&self, url: &Url) -> Option<&RslContent> {
        let path = paths::request_path(url.as_str());
        self.contents
            .iter()
            .filter(|c| content_matches(&c.url, url, &path))
            .max_by_key(|c| c.url.len())
    }

    /// What this document says about AI training of `url` (see the module docs).
    pub fn ai_train(&self, url: &Url) -> Verdict {
        let Some(content) = self.content_for(url) else {
            return Verdict::Neutral;
        };
        if content.server.is_some() {
            return Verdict::Refuse(ReasonCode::RslNotPermitted);
        }
        let verdicts: Vec<Verdict> = content.licences.iter().map(RslLicence::verdict).collect();
        let prohibited = content
            .licences
            .iter()
            .any(|l| l.prohibits_usage.iter().any(|v| covers_training(v)));
        if prohibited {
            Verdict::Refuse(ReasonCode::RslNotPermitted)
        } else if verdicts.is_empty() {
            Verdict::Neutral
        } else if verdicts.contains(&Verdict::Allow) {
            Verdict::Allow
        } else {
            Verdict::Refuse(ReasonCode::RslNotPermitted)
        }
    }

    /// The evidence signal for `url`; raw names the matched content pattern and its terms.
    pub fn signal(&self, url: &Url) -> Signal {
        let raw = match self.content_for(url) {
            Some(c) => {
                let terms: Vec<String> = c
                    .licences
                    .iter()
                    .map(|l| {
                        format!(
                            "permits={} prohibits={} payment={}",
                            l.permits_usage
                                .as_ref()
                                .map(|p| p.join(","))
                                .unwrap_or_else(|| "-".into()),
                            l.prohibits_usage.join(","),
                            l.payment.as_deref().unwrap_or("-")
                        )
                    })
                    .collect();
                match &c.server {
                    Some(server) => format!(
                        "content url={} server={server}: a licence must be obtained from this \
                         licence server, which Assent does not do; {}",
                        c.url,
                        terms.join(" | ")
                    ),
                    None => format!("content url={} {}", c.url, terms.join(" | ")),
                }
            }
            None => "no <content> matches".to_string(),
        };
        Signal::new("rsl", &self.source, &raw, self.ai_train(url))
    }
}

fn push_text(open: &mut Option<Open>, t: &str) {
    if let Some(Open::Permits(s) | Open::Prohibits(s) | Open::Standard(s)) = open {
        if s.len() < 4096 {
            s.push_str(truncate(t, 4096));
        }
    }
}

fn content_matches(pattern: &str, url: &Url, path: &str) -> bool {
    if pattern.is_empty() {
        return false;
    }
    if pattern.starts_with('/') || pattern.starts_with('*') {
        return paths::pattern_matches(&paths::normalise(pattern.as_bytes()), path);
    }
    // A full URL: scheme and authority must match (case-insensitively), then the path.
    let Some((scheme, rest)) = pattern.split_once("://") else {
        return false;
    };
    let (authority, pat_path) = match rest.find('/') {
        Some(p) => (&rest[..p], &rest[p..]),
        None => (rest, "/"),
    };
    let mut want = url.host_str().unwrap_or("").to_string();
    if let Some(port) = url.port() {
        want = format!("{want}:{port}");
    }
    scheme.eq_ignore_ascii_case(url.scheme())
        && authority.eq_ignore_ascii_case(&want)
        && paths::pattern_matches(&paths::normalise(pat_path.as_bytes()), path)
}

/// The refusal recorded for an RSL document that is named but cannot be fetched or read.
pub fn unavailable_signal(url: &str, why: &str) -> Signal {
    Signal::new("rsl", url, why, Verdict::Refuse(ReasonCode::RslUnavailable))
}

/// RSL documents named by `Link` headers (RFC 8288) with `rel="license"` and
/// `type="application/rsl+xml"`; URLs as given (the caller resolves relative ones).
pub fn link_header_licences(headers: &[(String, String)]) -> Vec<String> {
    licence_links(headers)
        .into_iter()
        .filter(|l| {
            l.media_type
                .as_deref()
                .is_some_and(|t| t.trim().eq_ignore_ascii_case("application/rsl+xml"))
        })
        .map(|l| l.target)
        .collect()
}

/// The first [`MAX_FETCHED`] of `named` to read, and, when there were more, the refusal that
/// records the cap: a licence named but not read grants no permission, as an unavailable one.
pub fn capped(named: Vec<String>, where_named: &str) -> (Vec<String>, Option<Signal>) {
    if named.len() <= MAX_FETCHED {
        return (named, None);
    }
    let skipped = named.len() - MAX_FETCHED;
    let signal = unavailable_signal(
        where_named,
        &format!(
            "{} RSL documents named; the first {MAX_FETCHED} read, {skipped} not fetched (cap of \
             {MAX_FETCHED} per page or robots.txt), first not read: {}",
            named.len(),
            truncate(&named[MAX_FETCHED], 200)
        ),
    );
    let mut named = named;
    named.truncate(MAX_FETCHED);
    (named, Some(signal))
}

/// What a page's markup says of RSL, read in one pass over the whole page: the documents it
/// names with `<link rel="license" type="application/rsl+xml" href="…">` (rel read as a token
/// list; hrefs as given, for the caller to resolve and cap), and its inline
/// `<script type="application/rsl+xml">` documents (at most [`MAX_PER_PAGE`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PageRsl {
    pub links: Vec<String>,
    pub(crate) scripts: Vec<String>,
}

impl PageRsl {
    /// What `html` says of RSL (one [`crate::markup::PageMarkup::read`] pass).
    pub fn read(html: &str) -> PageRsl {
        crate::markup::PageMarkup::read(html).rsl
    }

    /// The inline documents, parsed. An unreadable block is an `Err`, which the caller
    /// records with [`unavailable_signal`]: a licence the page names but we cannot read grants
    /// nothing.
    pub fn inline_documents(&self, page_url: &str) -> Vec<Result<RslDocument, RslError>> {
        self.scripts
            .iter()
            .map(|text| RslDocument::parse(text.as_bytes(), &format!("inline:{page_url}")))
            .collect()
    }

    /// The RSL signals of the inline documents for `url`, unreadable ones as refusals.
    pub fn inline_signals(&self, url: &Url) -> Vec<Signal> {
        self.inline_documents(url.as_str())
            .into_iter()
            .map(|d| match d {
                Ok(doc) => doc.signal(url),
                Err(e) => unavailable_signal(&format!("inline:{url}"), &e.to_string()),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOT: Verdict = Verdict::Refuse(ReasonCode::RslNotPermitted);

    fn doc(body: &str) -> RslDocument {
        let xml = format!(
            r#"<?xml version="1.0"?><rsl xmlns="https://rslstandard.org/rsl">{body}</rsl>"#
        );
        RslDocument::parse(xml.as_bytes(), "https://s.example/license.xml").unwrap()
    }

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    /// The verdict for https://s.example/a of one `<content url="/">` holding `inner`.
    fn at_root(inner: &str) -> Verdict {
        doc(&format!(r#"<content url="/">{inner}</content>"#)).ai_train(&url("https://s.example/a"))
    }

    fn permits(p: &str) -> String {
        format!(r#"<license><permits type="usage">{p}</permits></license>"#)
    }

    #[test]
    fn permits_and_prohibits() {
        for p in ["ai-train", "search, ai-train", "all", "ai-all", "train-ai"] {
            assert_eq!(at_root(&permits(p)), Verdict::Allow, "{p}");
        }
        assert_eq!(at_root(&permits("search ai-input")), NOT);
        let prohibit = r#"<license><prohibits type="usage">ai-train</prohibits></license>"#;
        assert_eq!(at_root(prohibit), NOT);
        let both = r#"<license><permits type="usage">all</permits><prohibits type="usage">ai-train</prohibits></license>"#;
        assert_eq!(at_root(both), NOT);
        // Permits of another type only: usage is unrestricted; an empty usage permit permits nothing.
        let user = r#"<license><permits type="user">non-commercial</permits></license>"#;
        assert_eq!(at_root(user), Verdict::Allow);
        assert_eq!(
            at_root(r#"<license><permits type="usage"/></license>"#),
            NOT
        );
    }

    #[test]
    fn payment_terms() {
        let pay = |t: &str| {
            at_root(&format!(
                r#"<license><permits type="usage">ai-train</permits><payment type="{t}"><amount currency="USD">10</amount></payment></license>"#
            ))
        };
        assert_eq!(pay("free"), Verdict::Allow);
        assert_eq!(pay("attribution"), Verdict::Allow);
        assert_eq!(pay("purchase"), NOT);
        assert_eq!(pay("subscription"), NOT);
        // Alternatives: a free licence among paid ones permits.
        let alt =
            r#"<license><payment type="purchase"/></license>"#.to_string() + &permits("ai-train");
        assert_eq!(at_root(&alt), Verdict::Allow);
    }

    #[test]
    fn content_selection() {
        let d = doc(r#"
            <content url="/"><license><permits type="usage">ai-train</permits></license></content>
            <content url="/premium/*"><license><prohibits type="usage">ai-all</prohibits></license></content>
            <content url="https://other.example/"><license><prohibits type="usage">all</prohibits></license></content>
            <content url="https://S.example/docs/"><license/></content>"#);
        assert_eq!(d.ai_train(&url("https://s.example/free")), Verdict::Allow);
        assert_eq!(d.ai_train(&url("https://s.example/premium/x")), NOT);
        assert_eq!(d.ai_train(&url("https://s.example/docs/x")), Verdict::Allow);
        let none = doc(r#"<content url="/only/"><license/></content>"#);
        assert_eq!(none.ai_train(&url("https://s.example/x")), Verdict::Neutral);
        let nolicence = doc(r#"<content url="/"/>"#);
        assert_eq!(
            nolicence.ai_train(&url("https://s.example/x")),
            Verdict::Neutral
        );
        let s = d.signal(&url("https://s.example/premium/x"));
        assert_eq!(s.signal, "rsl");
        assert!(s.raw.contains("/premium/*"), "{}", s.raw);
    }

    #[test]
    fn hostile_xml_is_an_error_not_a_panic() {
        let deep = "<rsl>".to_string() + &"<a>".repeat(10_000);
        assert!(matches!(
            RslDocument::parse(deep.as_bytes(), "x"),
            Err(RslError::TooDeep { .. })
        ));
        for bad in [
            &b""[..],
            b"<notrsl/>",
            b"<rsl><content url='/'><license><permits>ai-train</prohibits></license></content></rsl>",
            b"<rsl",
            b"\xff\xfe<rsl/>",
            b"<!DOCTYPE r [<!ENTITY a \"aaaa\"><!ENTITY b \"&a;&a;&a;\">]><rsl><content url='/'><license><permits>&b;</permits></license></content></rsl>",
        ] {
            let r = RslDocument::parse(bad, "x");
            if let Ok(d) = r {
                // An unknown entity is dropped, never expanded.
                let _ = d.ai_train(&url("https://s.example/"));
            }
        }
        let big = vec![b' '; MAX_DOCUMENT + 1];
        assert!(matches!(
            RslDocument::parse(&big, "x"),
            Err(RslError::TooLarge { .. })
        ));
        let s = unavailable_signal("https://s.example/l.xml", "HTTP 404");
        assert_eq!(s.verdict, Verdict::Refuse(ReasonCode::RslUnavailable));
    }

    #[test]
    fn link_headers() {
        let h = |v: &str| vec![("link".to_string(), v.to_string())];
        assert_eq!(
            link_header_licences(&h(
                r#"<https://s.example/license.xml>; rel="license"; type="application/rsl+xml""#
            )),
            vec!["https://s.example/license.xml"]
        );
        assert_eq!(
            link_header_licences(&h(
                r#"</style.css>; rel=stylesheet, </l.xml>; rel="license nofollow"; type=application/rsl+xml, </cc>; rel="license""#
            )),
            vec!["/l.xml"]
        );
        assert_eq!(
            link_header_licences(&h(
                r#"<a,b.xml>; title="x;, \"y"; rel=license; type="application/rsl+xml""#
            )),
            vec!["a,b.xml"]
        );
        assert!(link_header_licences(&h("<unterminated; rel=license")).is_empty());
        assert!(link_header_licences(&h(&"<x>; rel=\"".repeat(50_000))).is_empty());
        let _ = link_header_licences(&h(";;;==\"\\"));
    }

    #[test]
    fn a_licence_server_must_be_asked_so_nothing_is_permitted() {
        let d = doc(r#"
            <content url="/" server="https://licensing.s.example/">
              <license><permits type="usage">all</permits><payment type="free"/></license>
            </content>
            <content url="/open/"><license><permits type="usage">all</permits></license></content>"#);
        let s = d.signal(&url("https://s.example/a"));
        assert_eq!(s.verdict, NOT);
        assert!(
            s.raw.contains("server=https://licensing.s.example/"),
            "{}",
            s.raw
        );
        assert_eq!(d.ai_train(&url("https://s.example/open/x")), Verdict::Allow);
    }

    #[test]
    fn content_patterns_match_in_normal_form() {
        let d = doc(
            r#"<content url="/actualités/"><license><prohibits type="usage">ai-train</prohibits></license></content>
            <content url="https://s.example/a%7Eb/"><license><prohibits type="usage">all</prohibits></license></content>"#,
        );
        assert_eq!(d.ai_train(&url("https://s.example/actualit%C3%A9s/x")), NOT);
        assert_eq!(d.ai_train(&url("https://s.example/a~b/x")), NOT);
        assert_eq!(
            d.ai_train(&url("https://s.example/actualites/x")),
            Verdict::Neutral
        );
    }

    #[test]
    fn html_links_name_rsl_documents() {
        let html = r#"<html><head>
            <link rel="license" href="https://creativecommons.org/licenses/by/4.0/">
            <link rel="License alternate" type="Application/RSL+XML" href=" /licence.rsl ">
            <link rel="stylesheet" type="application/rsl+xml" href="/not-a-licence.xml">
            </head><body><link rel=license type=application/rsl+xml href=/late.xml></body></html>"#;
        assert_eq!(PageRsl::read(html).links, vec!["/licence.rsl", "/late.xml"]);
        let named: Vec<String> = (0..300)
            .map(|i| format!("https://o{i}.example/l.xml"))
            .collect();
        let (read, cap) = capped(named, "https://s.example/robots.txt");
        assert_eq!(read.len(), MAX_FETCHED);
        let cap = cap.unwrap();
        assert_eq!(cap.verdict, Verdict::Refuse(ReasonCode::RslUnavailable));
        assert!(cap.raw.contains("296 not fetched"), "{}", cap.raw);
        assert!(capped(vec!["/a".into()], "x").1.is_none());
    }

    #[test]
    fn standards_are_kept() {
        let d = doc(
            r#"<content url="/"><license><permits type="usage">all</permits>
            <payment type="attribution"><standard> https://creativecommons.org/licenses/by/4.0/ </standard></payment>
            </license></content>"#,
        );
        let c = d.content_for(&url("https://s.example/a")).unwrap();
        assert_eq!(
            c.licences[0].standards,
            vec!["https://creativecommons.org/licenses/by/4.0/"]
        );
        assert_eq!(c.licences[0].payment.as_deref(), Some("attribution"));
    }

    #[test]
    fn inline_rsl() {
        let html = r#"<html><head><script type="application/rsl+xml">
            <rsl xmlns="https://rslstandard.org/rsl"><content url="/"><license>
            <prohibits type="usage">ai-train</prohibits></license></content></rsl>
            </script><script>var x = "<rsl>";</script></head><body></body></html>"#;
        let u = url("https://s.example/page");
        let s = PageRsl::read(html).inline_signals(&u);
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].verdict, NOT);
        let broken = r#"<script type="application/rsl+xml"><rsl><content></script>"#;
        let s = PageRsl::read(broken).inline_signals(&u);
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].verdict, Verdict::Refuse(ReasonCode::RslUnavailable));
    }
}
