//! One pass over a page's markup for everything consent, licence detection and the crawler's
//! link discovery read of it ([`PageMarkup::read`]): the head `<meta>` tags (`noai`,
//! `tdm-reservation`, `robots`), what the page says of RSL, the tags that may carry a licence
//! with the visible text around them, and the `<a>`/`<area>` links with the `<base>`.
//!
//! No DOM is built: the pass is linear and every kind of finding is bounded on its own, so
//! hostile markup (unclosed quotes, millions of tags, huge attributes) costs one pass over the
//! page, which the body cap bounds. Each kind keeps the bounds its readers had when each had a
//! scan of its own:
//!
//! - head metas: every `<meta>` before `</head>` or `<body`, however long the head (a large
//!   inline `<style>` or `<script>` before a `noai` meta must not hide it);
//! - RSL: `<link>` and `<script>` tags of type `application/rsl+xml` anywhere in the page;
//! - licences: tags and visible text in the first [`LICENCE_PREFIX`] bytes, and the visible
//!   text of the last [`LICENCE_TAIL`] bytes of a longer page. For the licence tier "in the
//!   head" the head ends as a browser ends it: at `</head>`, at `<body`, or at the first start
//!   tag that cannot be in a head;
//! - links: the first [`MAX_LINKS`] `href`s in the first [`LINKS_PREFIX`] bytes.
//!
//! Comments, doctypes and processing instructions are skipped. `script`, `style`, `title` and
//! `textarea` hold raw text, never tags (a `<meta>` inside a script string is not a tag). The
//! content of a `<template>` is not visible text and carries no licence, but its tags are
//! read for the consent signals and links, as they were before this scan was shared: reading
//! more of a page's refusals can only refuse more.

use crate::rsl::{PageRsl, MAX_PER_PAGE};
use crate::tags::{decode_entities, find_ci, parse_attrs, tag_name_at, truncate};

/// Licence tags and visible text are read in the first this many bytes.
pub const LICENCE_PREFIX: usize = 1024 * 1024;
/// ... and the visible text of the last this many bytes of a longer page.
pub const LICENCE_TAIL: usize = 256 * 1024;
/// Links are read in the first this many bytes.
pub const LINKS_PREFIX: usize = 16 * 1024 * 1024;
/// Most links (and most licence tags, and most head metas) kept.
pub const MAX_LINKS: usize = 4096;
const MAX_TAGS: usize = 4096;
/// Longest JSON-LD script body kept for licence detection.
const MAX_SCRIPT: usize = 512 * 1024;

/// A tag that may carry a licence.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LicenceTag {
    /// Lower-cased name.
    pub name: String,
    /// Lower-cased names, entity-decoded values, document order.
    pub attrs: Vec<(String, String)>,
    pub in_head: bool,
    /// Byte offset just after the tag's `>`.
    pub end: usize,
    /// For `script` (JSON-LD, inline RSL): its raw text, up to the closing tag.
    pub script: Option<String>,
}

impl LicenceTag {
    pub fn attr(&self, name: &str) -> Option<&str> {
        attr(&self.attrs, name)
    }

    /// Whether a space-separated token attribute (`rel`, `itemprop`, `property`) holds one of
    /// `tokens` (ASCII case-insensitive).
    pub fn has_token(&self, attr: &str, tokens: &[&str]) -> bool {
        has_token(&self.attrs, attr, tokens)
    }
}

/// What the one pass found.
#[derive(Clone, Debug, Default)]
pub struct PageMarkup {
    /// Head `<meta>` tags as (lower-cased trimmed name, content) pairs.
    pub metas: Vec<(String, String)>,
    /// What the page says of RSL.
    pub rsl: PageRsl,
    /// Tags that may carry a licence ([`LICENCE_PREFIX`]).
    pub licence_tags: Vec<LicenceTag>,
    /// Visible text of the first [`LICENCE_PREFIX`] bytes; every tag boundary is a space.
    pub text: String,
    /// Visible text of the last [`LICENCE_TAIL`] bytes, for a page longer than the prefix.
    pub tail_text: String,
    /// The first `<base href>`.
    pub base: Option<String>,
    /// The `href`s of `<a>` and `<area>`, in order.
    pub hrefs: Vec<String>,
}

const HEAD_ELEMENTS: &[&str] = &[
    "html", "head", "title", "meta", "link", "script", "style", "base", "noscript", "template",
];
const RAW_TEXT: &[&str] = &["script", "style", "textarea", "title"];
const LICENCE_WANTED: &[&str] = &["link", "a", "area", "meta", "script"];

fn attr<'a>(attrs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    attrs
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

fn has_token(attrs: &[(String, String)], name: &str, tokens: &[&str]) -> bool {
    attr(attrs, name).is_some_and(|v| {
        v.split_ascii_whitespace()
            .any(|t| tokens.iter().any(|w| t.eq_ignore_ascii_case(w)))
    })
}

fn floor_boundary(s: &str, mut i: usize) -> usize {
    i = i.min(s.len());
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn ceil_boundary(s: &str, mut i: usize) -> usize {
    i = i.min(s.len());
    while !s.is_char_boundary(i) {
        i += 1;
    }
    i
}

fn push_text(out: &mut String, t: &str) {
    if t.bytes().any(|c| !c.is_ascii_whitespace()) {
        out.push_str(&decode_entities(t));
    }
    out.push(' ');
}

impl PageMarkup {
    /// Reads `html` in one pass (see the module docs).
    pub fn read(html: &str) -> PageMarkup {
        Scan::new(html).run()
    }
}

/// The state of the pass.
struct Scan<'a> {
    s: &'a str,
    out: PageMarkup,
    /// Strictly in the head (for the licence tier).
    in_head: bool,
    /// Before `</head>` and `<body` (for the head metas).
    before_body: bool,
    /// Open `<template>` elements.
    templates: usize,
    /// Where the tail's visible text starts (the page's length when there is no tail).
    tail_from: usize,
}

impl<'a> Scan<'a> {
    fn new(s: &'a str) -> Self {
        let tail_from = if s.len() > LICENCE_PREFIX {
            ceil_boundary(s, s.len().saturating_sub(LICENCE_TAIL).max(LICENCE_PREFIX))
        } else {
            s.len()
        };
        Scan {
            s,
            out: PageMarkup::default(),
            in_head: true,
            before_body: true,
            templates: 0,
            tail_from,
        }
    }

    /// The text between two tags, `s[from..to]`, into the prefix and tail texts.
    fn text(&mut self, from: usize, to: usize) {
        if self.templates > 0 {
            return;
        }
        if from < LICENCE_PREFIX {
            let end = floor_boundary(self.s, to.min(LICENCE_PREFIX));
            push_text(&mut self.out.text, &self.s[from..end.max(from)]);
        }
        if to > self.tail_from {
            let start = from.max(self.tail_from);
            push_text(&mut self.out.tail_text, &self.s[start..to]);
        }
    }

    fn run(mut self) -> PageMarkup {
        let s = self.s;
        let b = s.as_bytes();
        let mut i = 0;
        let mut text_from = 0;
        while i < b.len() {
            let Some(off) = memchr::memchr(b'<', &b[i..]) else {
                break;
            };
            let p = i + off;
            let rest = &b[p..];
            if rest.starts_with(b"<!--") {
                self.text(text_from, p);
                i = memchr::memmem::find(&b[p + 4..], b"-->").map_or(b.len(), |e| p + 4 + e + 3);
                text_from = i;
                continue;
            }
            if rest.starts_with(b"<!") || rest.starts_with(b"<?") {
                self.text(text_from, p);
                i = memchr::memchr(b'>', rest).map_or(b.len(), |e| p + e + 1);
                text_from = i;
                continue;
            }
            let Some((closing, name_start, j)) = tag_name_at(b, p) else {
                i = p + 1;
                continue;
            };
            self.text(text_from, p);
            let name = s[name_start..j].to_ascii_lowercase();
            if closing {
                match name.as_str() {
                    "head" => {
                        self.in_head = false;
                        self.before_body = false;
                    }
                    "template" => self.templates = self.templates.saturating_sub(1),
                    _ => {}
                }
                i = memchr::memchr(b'>', &b[j..]).map_or(b.len(), |e| j + e + 1);
                text_from = i;
                continue;
            }
            if name == "body" {
                self.before_body = false;
            }
            if name == "body" || !HEAD_ELEMENTS.contains(&name.as_str()) {
                self.in_head = false;
            }
            let Some((attrs, end)) = parse_attrs(s, j) else {
                break;
            };
            i = end;
            text_from = end;
            // Raw text holds no tags: skip to its end tag.
            let mut raw = "";
            if RAW_TEXT.contains(&name.as_str()) {
                let close = format!("</{name}");
                let stop = find_ci(&b[i..], close.as_bytes()).map_or(b.len(), |e| i + e);
                raw = &s[i..stop];
                i = stop;
                text_from = stop;
            }
            self.tag(name, attrs, p, end, raw);
        }
        if text_from < b.len() {
            self.text(text_from, b.len());
        }
        self.out
    }

    /// A start tag at `p` whose `>` is just before `end`; `raw`, a raw-text element's text.
    fn tag(&mut self, name: String, attrs: Vec<(String, String)>, p: usize, end: usize, raw: &str) {
        let out = &mut self.out;
        let type_is =
            |ty: &str| attr(&attrs, "type").is_some_and(|v| v.trim().eq_ignore_ascii_case(ty));
        let rsl_type = type_is("application/rsl+xml");
        match name.as_str() {
            "meta" if self.before_body && out.metas.len() < MAX_TAGS => {
                if let Some(n) = attr(&attrs, "name") {
                    let content = attr(&attrs, "content").unwrap_or("").to_string();
                    out.metas.push((n.trim().to_ascii_lowercase(), content));
                }
            }
            "link" if rsl_type && has_token(&attrs, "rel", &["license"]) => {
                match attr(&attrs, "href").map(str::trim) {
                    Some(href) if !href.is_empty() => out.rsl.links.push(href.to_string()),
                    _ => {}
                }
            }
            "script" if rsl_type && out.rsl.scripts.len() < MAX_PER_PAGE => {
                out.rsl.scripts.push(raw.to_string());
            }
            "a" | "area" if p < LINKS_PREFIX && out.hrefs.len() < MAX_LINKS => {
                if let Some(href) = attr(&attrs, "href") {
                    out.hrefs.push(href.to_string());
                }
            }
            "base" if out.base.is_none() && p < LINKS_PREFIX => {
                out.base = attr(&attrs, "href").map(str::to_string);
            }
            "template" => self.templates += 1,
            _ => {}
        }
        let licence = self.templates == 0
            && end <= LICENCE_PREFIX
            && out.licence_tags.len() < MAX_TAGS
            && (LICENCE_WANTED.contains(&name.as_str())
                || attrs
                    .iter()
                    .any(|(n, _)| matches!(n.as_str(), "itemprop" | "property" | "rel")));
        if !licence {
            return;
        }
        let script = if name == "script" {
            if !(rsl_type || type_is("application/ld+json")) {
                return;
            }
            Some(truncate(raw, MAX_SCRIPT).to_string())
        } else {
            None
        };
        out.licence_tags.push(LicenceTag {
            name,
            attrs,
            in_head: self.in_head,
            end,
            script,
        });
    }
}

/// The text of the element whose start tag ends at `end`: up to its closing tag (or 400
/// bytes), tags stripped, entities decoded, whitespace collapsed, at most `max` bytes.
pub fn element_text(html: &str, end: usize, name: &str, max: usize) -> String {
    let end = floor_boundary(html, end);
    let window = truncate(&html[end..], 400);
    let stop = find_ci(window.as_bytes(), format!("</{name}").as_bytes()).unwrap_or(window.len());
    let inner = PageMarkup::read(&window[..stop]).text;
    truncate(&crate::licence::text::collapse(&inner), max)
        .trim()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_pass_finds_every_kind() {
        let html = r#"<!DOCTYPE html><html><head><title>T &amp; x</title>
            <meta name="license" content="MIT"><link rel="license" href="/l">
            <meta name=" Robots " content="noai">
            <link rel="license" type="application/rsl+xml" href="/licence.rsl">
            <script type="application/ld+json">{"license": "x"}</script>
            <script>var s = "<a rel=license href=x> <meta name=robots content=all>";</script>
            <style>p { content: "licensed under CC BY 4.0" }</style><base href="https://b.example/"></head>
            <body><!-- <a rel="license" href="c"> --><p>Hello&nbsp;<b>world</b></p>
            <meta name="late" content="body">
            <span itemprop="license">CC BY 4.0</span><a rel="license" href="/b">b</a>
            <template><meta name="robots" content="noai"><p>hidden</p></template><area href="/m"></body></html>"#;
        let m = PageMarkup::read(html);
        let names: Vec<(&str, bool)> = m
            .licence_tags
            .iter()
            .map(|t| (t.name.as_str(), t.in_head))
            .collect();
        assert_eq!(
            names,
            [
                ("meta", true),
                ("link", true),
                ("meta", true),
                ("link", true),
                ("script", true),
                ("meta", false),
                ("span", false),
                ("a", false),
                ("area", false)
            ]
        );
        assert_eq!(
            m.licence_tags[4].script.as_deref(),
            Some(r#"{"license": "x"}"#)
        );
        assert_eq!(
            crate::licence::text::collapse(&m.text),
            "Hello world CC BY 4.0 b"
        );
        assert_eq!(
            element_text(html, m.licence_tags[6].end, "span", 200),
            "CC BY 4.0"
        );
        assert_eq!(
            m.metas,
            [
                ("license".to_string(), "MIT".to_string()),
                ("robots".to_string(), "noai".to_string())
            ]
        );
        assert_eq!(m.rsl.links, ["/licence.rsl"]);
        assert_eq!(m.base.as_deref(), Some("https://b.example/"));
        assert_eq!(m.hrefs, ["/b", "/m"]);
        assert!(m.tail_text.is_empty());
        // A head with no </head>: the first body element ends it for licences, but a head
        // meta after it is still read for consent until <body.
        let m = PageMarkup::read(r#"<meta name="a" content="b"><div><meta name="c" content="d">"#);
        assert!(m.licence_tags[0].in_head && !m.licence_tags[1].in_head);
        assert_eq!(m.metas.len(), 2);
    }

    #[test]
    fn metas_after_a_huge_head_and_the_tail_of_a_long_page_are_read() {
        let html = format!(
            "<html><head><style>{}</style><script>{}</script><meta name=robots content=noai></head><body><p>{}</p><script>{}</script><p>licensed under CC BY 4.0</p></body>",
            "a{color:red}".repeat(50_000),
            "var x = '<meta name=robots content=all>';".repeat(20_000),
            "words ".repeat(300_000),
            "var licence = 'licensed under CC BY-NC 4.0';".repeat(10)
        );
        assert!(html.len() > LICENCE_PREFIX + LICENCE_TAIL);
        let m = PageMarkup::read(&html);
        assert_eq!(m.metas, [("robots".to_string(), "noai".to_string())]);
        assert!(m.tail_text.contains("licensed under CC BY 4.0"));
        assert!(
            !m.tail_text.contains("CC BY-NC"),
            "script text is not visible"
        );
        assert!(m.text.len() < LICENCE_PREFIX + 64);
    }

    #[test]
    fn hostile_markup_is_bounded() {
        for h in [
            "<a rel=license href=".repeat(50_000),
            "<a href=x>".repeat(50_000),
            "<".repeat(100_000),
            "<a ".to_string() + &"x=1 ".repeat(100_000) + ">",
            "<script>".repeat(10_000),
            "<template>".repeat(10_000),
            "<!--".to_string() + &"x".repeat(100_000),
        ] {
            let m = PageMarkup::read(&h);
            assert!(m.licence_tags.len() <= MAX_TAGS && m.hrefs.len() <= MAX_LINKS);
            assert!(m
                .licence_tags
                .iter()
                .all(|t| t.attrs.len() <= crate::tags::MAX_ATTRS));
        }
    }
}
