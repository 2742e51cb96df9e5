//! One bounded, linear pass over a page's HTML that yields what licence detection needs:
//! the tags that may carry a licence (with whether they sit in the `<head>`, and where they
//! end) and the visible text. No DOM is built; hostile markup (unclosed quotes, millions of
//! tags, huge attributes) costs at most one pass over a bounded prefix.
//!
//! The head ends at `</head>`, at `<body`, or at the first start tag that cannot be in a head
//! (as browsers end it implicitly). Visible text leaves out `script`, `style`, `template`,
//! `textarea` and `title` contents and comments; every tag boundary counts as a space.

use crate::tags::{decode_entities, find_ci, parse_attrs, tag_name_at, truncate};

/// Most tags returned.
const MAX_TAGS: usize = 4096;
/// Longest script body kept (JSON-LD, inline RSL).
const MAX_SCRIPT: usize = 512 * 1024;

/// A tag that may carry a licence.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(super) struct Tag {
    /// Lower-cased name.
    pub name: String,
    /// Lower-cased names, entity-decoded values, document order.
    pub attrs: Vec<(String, String)>,
    pub in_head: bool,
    /// Byte offset just after the tag's `>`.
    pub end: usize,
    /// For `script`: its raw text, up to the closing tag.
    pub script: Option<String>,
}

impl Tag {
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Whether a space-separated token attribute (`rel`, `itemprop`, `property`) holds one of
    /// `tokens` (ASCII case-insensitive).
    pub fn has_token(&self, attr: &str, tokens: &[&str]) -> bool {
        self.attr(attr).is_some_and(|v| {
            v.split_ascii_whitespace()
                .any(|t| tokens.iter().any(|w| t.eq_ignore_ascii_case(w)))
        })
    }
}

/// What one pass found.
#[derive(Debug, Default)]
pub(super) struct Scanned {
    pub tags: Vec<Tag>,
    pub text: String,
}

const HEAD_ELEMENTS: &[&str] = &[
    "html", "head", "title", "meta", "link", "script", "style", "base", "noscript", "template",
];
const RAW_TEXT: &[&str] = &["script", "style", "template", "textarea", "title"];
const WANTED: &[&str] = &["link", "a", "area", "meta", "script"];

/// Scans `html` (the caller bounds it) for licence tags and visible text.
pub(super) fn scan(html: &str) -> Scanned {
    scan_from(html, true)
}

/// Only the visible text of `html`, which may start anywhere in a page (a tail): up to the
/// first `>` is skipped, and a raw-text element's end seen before its start skips ahead.
pub(super) fn text_only(html: &str) -> String {
    let b = html.as_bytes();
    let mut start = memchr::memchr(b'>', b).map_or(b.len(), |p| p + 1);
    for name in ["script", "style"] {
        let close = find_ci(&b[start..], format!("</{name}").as_bytes());
        let open = find_ci(&b[start..], format!("<{name}").as_bytes());
        if let Some(c) = close {
            if open.is_none_or(|o| c < o) {
                let after =
                    memchr::memchr(b'>', &b[start + c..]).map_or(b.len(), |e| start + c + e + 1);
                start = start.max(after);
            }
        }
    }
    scan_from(&html[start..], false).text
}

fn scan_from(s: &str, tags_wanted: bool) -> Scanned {
    let b = s.as_bytes();
    let mut out = Scanned::default();
    let mut in_head = true;
    let mut i = 0;
    let mut text_from = 0;
    let push_text = |out: &mut Scanned, t: &str| {
        if t.bytes().any(|c| !c.is_ascii_whitespace()) {
            out.text.push_str(&decode_entities(t));
        }
        out.text.push(' ');
    };
    while i < b.len() {
        let Some(off) = memchr::memchr(b'<', &b[i..]) else {
            break;
        };
        let p = i + off;
        let rest = &b[p..];
        if rest.starts_with(b"<!--") {
            push_text(&mut out, &s[text_from..p]);
            match memchr::memmem::find(&b[p + 4..], b"-->") {
                Some(e) => i = p + 4 + e + 3,
                None => i = b.len(),
            }
            text_from = i;
            continue;
        }
        if rest.starts_with(b"<!") || rest.starts_with(b"<?") {
            push_text(&mut out, &s[text_from..p]);
            i = memchr::memchr(b'>', rest).map_or(b.len(), |e| p + e + 1);
            text_from = i;
            continue;
        }
        let Some((closing, name_start, j)) = tag_name_at(b, p) else {
            i = p + 1;
            continue;
        };
        push_text(&mut out, &s[text_from..p]);
        let raw_name = &s[name_start..j];
        if closing {
            if raw_name.eq_ignore_ascii_case("head") {
                in_head = false;
            }
            i = memchr::memchr(b'>', &b[j..]).map_or(b.len(), |e| j + e + 1);
            text_from = i;
            continue;
        }
        let name = raw_name.to_ascii_lowercase();
        if name == "body" || !HEAD_ELEMENTS.contains(&name.as_str()) {
            in_head = false;
        }
        let Some((attrs, end)) = parse_attrs(s, j) else {
            break;
        };
        i = end;
        text_from = end;
        // The raw text of a script, copied below only when it is one we want.
        let mut script = "";
        if RAW_TEXT.contains(&name.as_str()) {
            let close = format!("</{name}");
            let stop = find_ci(&b[i..], close.as_bytes()).map_or(b.len(), |e| i + e);
            if name == "script" {
                script = truncate(&s[i..stop], MAX_SCRIPT);
            }
            i = stop;
            text_from = stop;
        }
        let keep = tags_wanted
            && out.tags.len() < MAX_TAGS
            && (WANTED.contains(&name.as_str())
                || attrs
                    .iter()
                    .any(|(n, _)| matches!(n.as_str(), "itemprop" | "property" | "rel")));
        if keep {
            let wanted_script = name == "script"
                && attrs.iter().any(|(n, v)| {
                    n == "type"
                        && matches!(
                            v.trim().to_ascii_lowercase().as_str(),
                            "application/ld+json" | "application/rsl+xml"
                        )
                });
            if name != "script" || wanted_script {
                out.tags.push(Tag {
                    name,
                    attrs,
                    in_head,
                    end,
                    script: wanted_script.then(|| script.to_string()),
                });
            }
        }
    }
    if text_from < b.len() {
        push_text(&mut out, &s[text_from..]);
    }
    out
}

/// The text of the element whose start tag ends at `end`: up to its closing tag (or 400
/// bytes), tags stripped, entities decoded, whitespace collapsed, at most `max` bytes.
pub(super) fn element_text(html: &str, end: usize, name: &str, max: usize) -> String {
    let end = end.min(html.len());
    let window = truncate(&html[end..], 400);
    let stop = find_ci(window.as_bytes(), format!("</{name}").as_bytes()).unwrap_or(window.len());
    let inner = scan_from(&window[..stop], false).text;
    truncate(&super::text::collapse(&inner), max)
        .trim()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn head_body_and_text() {
        let html = r#"<!DOCTYPE html><html><head><title>T &amp; x</title>
            <meta name="license" content="MIT"><link rel="license" href="/l">
            <script type="application/ld+json">{"license": "x"}</script>
            <script>var s = "<a rel=license href=x>";</script>
            <style>p { content: "licensed under CC BY 4.0" }</style></head>
            <body><!-- <a rel="license" href="c"> --><p>Hello&nbsp;<b>world</b></p>
            <span itemprop="license">CC BY 4.0</span><a rel="license" href="/b">b</a></body></html>"#;
        let s = scan(html);
        let names: Vec<(&str, bool)> = s
            .tags
            .iter()
            .map(|t| (t.name.as_str(), t.in_head))
            .collect();
        assert_eq!(
            names,
            [
                ("meta", true),
                ("link", true),
                ("script", true),
                ("span", false),
                ("a", false)
            ]
        );
        assert_eq!(s.tags[2].script.as_deref(), Some(r#"{"license": "x"}"#));
        let text = super::super::text::collapse(&s.text);
        assert_eq!(text, "Hello world CC BY 4.0 b");
        assert_eq!(element_text(html, s.tags[3].end, "span", 200), "CC BY 4.0");
        // A head with no </head>: the first body element ends it.
        let s = scan(r#"<meta name="a" content="b"><div><meta name="c" content="d">"#);
        assert!(s.tags[0].in_head && !s.tags[1].in_head);
    }

    #[test]
    fn tails_skip_a_cut_script() {
        let t = text_only(r#"x = "licensed under CC BY 4.0";</script><p>Visible</p>"#);
        assert_eq!(super::super::text::collapse(&t), "Visible");
    }

    #[test]
    fn hostile_markup_is_bounded() {
        for h in [
            "<a rel=license href=".repeat(50_000),
            "<".repeat(100_000),
            "<a ".to_string() + &"x=1 ".repeat(100_000) + ">",
            "<script>".repeat(10_000),
            "<!--".to_string() + &"x".repeat(100_000),
        ] {
            let s = scan(&h);
            assert!(s.tags.len() <= MAX_TAGS);
            assert!(s
                .tags
                .iter()
                .all(|t| t.attrs.len() <= crate::tags::MAX_ATTRS));
        }
    }
}
