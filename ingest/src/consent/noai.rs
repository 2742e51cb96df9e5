//! `noai` / `noimageai`: the DeviantArt-originated directives, found in `<meta name="robots">`,
//! in `<meta name="OUR-TOKEN">`, and in the `X-Robots-Tag` response header.
//!
//! Readings chosen:
//! - `noai` refuses training of any kind → `Refuse(noai.meta | noai.header)`.
//! - `noimageai` alone only concerns images; Assent trains on text, so it is recorded as a
//!   `Neutral` signal (evidence that we saw it) and does not refuse.
//! - `noindex`, `nofollow`, `none`, … speak about search indexing, not training: no signal.
//! - `X-Robots-Tag` follows Google's syntax: a `botname:` prefix binds the directives after it
//!   (within the same header value) to that bot only, so `otherbot: noai` does not bind us while
//!   `noai` or `OURTOKEN: noai` does. Directives that carry a value themselves
//!   (`unavailable_after: …`, `max-snippet: …`) are not bot names.
//!
//! This module also holds the one small HTML tag scanner shared by `tdmrep` (meta tags),
//! `licence` (`rel=license`, DC meta) and `rsl` (inline `<script type="application/rsl+xml">`):
//! a linear, allocation-bounded pass that never builds a DOM, so hostile HTML (unclosed quotes,
//! millions of tags, huge attributes) costs at most one pass over a bounded prefix.

use super::{Signal, Verdict};
use assent_schemas::ReasonCode;

/// How much of a page the head scanners read: meta tags belong in the head, which is small.
pub const HEAD_LIMIT: usize = 256 * 1024;
/// Most tags of the wanted kinds a scan returns.
const MAX_TAGS: usize = 4096;
/// Most attributes kept per tag.
const MAX_ATTRS: usize = 32;
/// Longest attribute value kept (longer values are cut at a char boundary).
const MAX_ATTR_VALUE: usize = 8 * 1024;

/// A tag found by [`scan_tags`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HtmlTag {
    /// Lower-cased tag name.
    pub name: String,
    /// Attributes in document order: lower-cased names, entity-decoded values.
    pub attrs: Vec<(String, String)>,
    /// For `script`, `style`, `title` and `textarea`: the raw text up to the closing tag.
    pub text: Option<String>,
}

impl HtmlTag {
    /// The first attribute of that (lower-case) name.
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Cut `s` to at most `max` bytes at a char boundary.
pub(crate) fn truncate(s: &str, max: usize) -> &str {
    let mut end = s.len().min(max);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// Scan the first `limit` bytes of `html` for start tags named in `wanted` (lower case).
/// With `head_only`, stop at `</head>` or `<body`. Comments, doctypes and processing
/// instructions are skipped; `script`/`style` contents are skipped (and returned as `text`
/// when wanted), so a `<meta>` inside a script string is not a tag.
pub fn scan_tags(html: &str, limit: usize, head_only: bool, wanted: &[&str]) -> Vec<HtmlTag> {
    let s = truncate(html, limit);
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() && out.len() < MAX_TAGS {
        let Some(off) = memchr::memchr(b'<', &b[i..]) else {
            break;
        };
        let p = i + off;
        let rest = &b[p..];
        if rest.starts_with(b"<!--") {
            match find(&b[p + 4..], b"-->") {
                Some(e) => i = p + 4 + e + 3,
                None => break,
            }
            continue;
        }
        if rest.starts_with(b"<!") || rest.starts_with(b"<?") {
            match memchr::memchr(b'>', rest) {
                Some(e) => i = p + e + 1,
                None => break,
            }
            continue;
        }
        let closing = rest.get(1) == Some(&b'/');
        let name_start = p + 1 + closing as usize;
        let mut j = name_start;
        while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'-' || b[j] == b':') {
            j += 1;
        }
        if j == name_start || !b[name_start].is_ascii_alphabetic() {
            i = p + 1;
            continue;
        }
        let name = s[name_start..j].to_ascii_lowercase();
        if closing {
            if head_only && name == "head" {
                break;
            }
            match memchr::memchr(b'>', &b[j..]) {
                Some(e) => i = j + e + 1,
                None => break,
            }
            continue;
        }
        if head_only && name == "body" {
            break;
        }
        let Some((attrs, end)) = parse_attrs(s, j) else {
            break;
        };
        i = end;
        let keep = wanted.contains(&name.as_str());
        let mut text = None;
        // Raw text (script, style) and escapable raw text (title, textarea) hold no tags.
        if matches!(name.as_str(), "script" | "style" | "title" | "textarea") {
            let close = format!("</{name}");
            let stop = find_ci(&b[i..], close.as_bytes()).map(|e| i + e);
            if keep {
                text = Some(s[i..stop.unwrap_or(b.len())].to_string());
            }
            match stop {
                Some(e) => i = e,
                None => i = b.len(),
            }
        }
        if keep {
            out.push(HtmlTag { name, attrs, text });
        }
    }
    out
}

/// Parse attributes from `start` (just after the tag name) to the closing `>`; returns them
/// and the index after `>`, or None when the input ends first.
fn parse_attrs(s: &str, start: usize) -> Option<(Vec<(String, String)>, usize)> {
    let b = s.as_bytes();
    let mut attrs = Vec::new();
    let mut i = start;
    loop {
        while i < b.len() && (b[i].is_ascii_whitespace() || b[i] == b'/') {
            i += 1;
        }
        if i >= b.len() {
            return None;
        }
        if b[i] == b'>' {
            return Some((attrs, i + 1));
        }
        let n0 = i;
        while i < b.len() && !b[i].is_ascii_whitespace() && !matches!(b[i], b'=' | b'>' | b'/') {
            i += 1;
        }
        let name = s[n0..i].to_ascii_lowercase();
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        let mut value = String::new();
        if i < b.len() && b[i] == b'=' {
            i += 1;
            while i < b.len() && b[i].is_ascii_whitespace() {
                i += 1;
            }
            if i >= b.len() {
                return None;
            }
            let (v0, v1);
            if b[i] == b'"' || b[i] == b'\'' {
                let q = b[i];
                let e = memchr::memchr(q, &b[i + 1..])?;
                v0 = i + 1;
                v1 = i + 1 + e;
                i = v1 + 1;
            } else {
                v0 = i;
                while i < b.len() && !b[i].is_ascii_whitespace() && b[i] != b'>' {
                    i += 1;
                }
                v1 = i;
            }
            value = decode_entities(truncate(&s[v0..v1], MAX_ATTR_VALUE));
        }
        if attrs.len() < MAX_ATTRS && !name.is_empty() {
            attrs.push((name, value));
        }
    }
}

/// Decode the few character references that matter in attribute values.
pub(crate) fn decode_entities(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(p) = rest.find('&') {
        out.push_str(&rest[..p]);
        rest = &rest[p..];
        // A reference is short; look for its `;` in the first bytes only. Searching bytes, not a
        // `str` slice, because 12 bytes may end inside a multi-byte character.
        let end = rest.as_bytes()[..rest.len().min(12)]
            .iter()
            .position(|&b| b == b';');
        let decoded = end.and_then(|e| {
            let ent = &rest[1..e];
            let c = match ent {
                "amp" => Some('&'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "nbsp" => Some('\u{a0}'),
                _ if ent.starts_with("#x") || ent.starts_with("#X") => {
                    u32::from_str_radix(&ent[2..], 16)
                        .ok()
                        .and_then(char::from_u32)
                }
                _ if ent.starts_with('#') => ent[1..].parse().ok().and_then(char::from_u32),
                _ => None,
            };
            c.map(|c| (c, e + 1))
        });
        match decoded {
            Some((c, len)) => {
                out.push(c);
                rest = &rest[len..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod entity_tests {
    use super::decode_entities;

    #[test]
    fn references_decode_and_multibyte_text_near_an_ampersand_is_kept() {
        assert_eq!(decode_entities("a &amp; b &#x41;&#66;"), "a & b AB");
        // The 12-byte window after `&` ends inside the two-byte U+00A0.
        let s = "&quot; — \u{a0}x";
        assert_eq!(decode_entities(&s), s.replacen("&quot;", "\"", 1));
        assert_eq!(decode_entities("&unknown; é"), "&unknown; é");
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    memchr::memmem::find(hay, needle)
}

/// Case-insensitive search for an ASCII needle that starts with `<`.
fn find_ci(hay: &[u8], needle: &[u8]) -> Option<usize> {
    let mut i = 0;
    while let Some(off) = memchr::memchr(needle[0], &hay[i..]) {
        let p = i + off;
        if hay.len() - p >= needle.len() && hay[p..p + needle.len()].eq_ignore_ascii_case(needle) {
            return Some(p);
        }
        i = p + 1;
    }
    None
}

/// Head `<meta>` tags as (lower-cased trimmed name, content) pairs.
pub fn head_metas(html: &str) -> Vec<(String, String)> {
    scan_tags(html, HEAD_LIMIT, true, &["meta"])
        .into_iter()
        .filter_map(|t| {
            let name = t.attr("name")?.trim().to_ascii_lowercase();
            let content = t.attr("content").unwrap_or("").to_string();
            Some((name, content))
        })
        .collect()
}

/// What a list of directives says about training, for the signals below.
fn judge<'a>(directives: impl Iterator<Item = &'a str>) -> Option<bool> {
    let mut image_only = false;
    for d in directives {
        if d.eq_ignore_ascii_case("noai") {
            return Some(true);
        }
        if d.eq_ignore_ascii_case("noimageai") {
            image_only = true;
        }
    }
    image_only.then_some(false)
}

fn split_directives(s: &str) -> impl Iterator<Item = &str> {
    s.split(|c: char| c == ',' || c.is_ascii_whitespace())
        .map(str::trim)
        .filter(|d| !d.is_empty())
}

/// `noai` / `noimageai` in `<meta name="robots">` or `<meta name="OUR-TOKEN">` of the head.
/// One signal per meta tag that carries either directive: `noai` → Refuse(noai.meta),
/// `noimageai` alone → Neutral. Other meta tags give no signal.
pub fn meta_signals(html: &str, our_token: &str, found_in: &str) -> Vec<Signal> {
    let mut out = Vec::new();
    for (name, content) in head_metas(html) {
        if name != "robots" && !name.eq_ignore_ascii_case(our_token.trim()) {
            continue;
        }
        let raw = format!("<meta name=\"{name}\" content=\"{content}\">");
        match judge(split_directives(&content)) {
            Some(true) => out.push(Signal::new(
                "noai.meta",
                found_in,
                &raw,
                Verdict::Refuse(ReasonCode::NoaiMeta),
            )),
            Some(false) => out.push(Signal::new("noai.meta", found_in, &raw, Verdict::Neutral)),
            None => {}
        }
    }
    out
}

/// Directives that carry a value after a colon and so are not `botname:` prefixes.
const VALUED: &[&str] = &[
    "unavailable_after",
    "max-snippet",
    "max-image-preview",
    "max-video-preview",
];

/// The directives of one X-Robots-Tag value that bind `our_token`.
fn binding_directives<'a>(value: &'a str, our_token: &str) -> Vec<&'a str> {
    let mut bot: Option<&str> = None;
    let mut out = Vec::new();
    for part in value.split(',') {
        let part = part.trim();
        let mut directive = part;
        if let Some((before, after)) = part.split_once(':') {
            let before = before.trim();
            let is_token = !before.is_empty()
                && before
                    .bytes()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'));
            if VALUED.iter().any(|v| before.eq_ignore_ascii_case(v)) {
                directive = before;
            } else if is_token {
                bot = Some(before);
                directive = after.trim();
            } else {
                // e.g. the time in a split `unavailable_after` date: not a directive.
                continue;
            }
        }
        let binds = match bot {
            None => true,
            Some(b) => b.eq_ignore_ascii_case(our_token.trim()),
        };
        if binds {
            out.extend(split_directives(directive));
        }
    }
    out
}

/// `noai` / `noimageai` in `X-Robots-Tag` headers (names lower-cased by the caller; every
/// header line is read, each line starting with no bot prefix). One signal per header line
/// that binds us: `noai` → Refuse(noai.header), `noimageai` alone → Neutral.
pub fn header_signals(headers: &[(String, String)], our_token: &str) -> Vec<Signal> {
    let mut out = Vec::new();
    for (name, value) in headers {
        if !name.eq_ignore_ascii_case("x-robots-tag") {
            continue;
        }
        let value = truncate(value, 16 * 1024);
        match judge(binding_directives(value, our_token).into_iter()) {
            Some(true) => out.push(Signal::new(
                "noai.header",
                "x-robots-tag",
                value,
                Verdict::Refuse(ReasonCode::NoaiHeader),
            )),
            Some(false) => out.push(Signal::new(
                "noai.header",
                "x-robots-tag",
                value,
                Verdict::Neutral,
            )),
            None => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "AssentBot";

    fn h(v: &str) -> Vec<(String, String)> {
        vec![("x-robots-tag".to_string(), v.to_string())]
    }

    fn verdicts(s: &[Signal]) -> Vec<Verdict> {
        s.iter().map(|s| s.verdict.clone()).collect()
    }

    #[test]
    fn meta_robots_noai_refuses() {
        let html = r#"<html><head><META NAME="Robots" CONTENT="noai, noimageai"></head></html>"#;
        let s = meta_signals(html, TOKEN, "https://a.example/");
        assert_eq!(verdicts(&s), vec![Verdict::Refuse(ReasonCode::NoaiMeta)]);
        assert_eq!(s[0].signal, "noai.meta");
        assert!(s[0].raw.contains("noai"));
    }

    #[test]
    fn meta_noimageai_alone_is_neutral_and_noindex_is_silent() {
        let html = r#"<head><meta name="robots" content="noimageai"><meta name="robots" content="noindex,nofollow"></head>"#;
        let s = meta_signals(html, TOKEN, "u");
        assert_eq!(verdicts(&s), vec![Verdict::Neutral]);
    }

    #[test]
    fn meta_bot_name_binds_only_our_token() {
        let ours = r#"<head><meta name="assentbot" content='noai'></head>"#;
        assert_eq!(meta_signals(ours, TOKEN, "u").len(), 1);
        let other = r#"<head><meta name="otherbot" content="noai"></head>"#;
        assert!(meta_signals(other, TOKEN, "u").is_empty());
    }

    #[test]
    fn meta_outside_head_comments_and_scripts_ignored() {
        let html = r#"<head><!-- <meta name="robots" content="noai"> -->
            <script>var s = '<meta name="robots" content="noai">';</script></head>
            <body><meta name="robots" content="noai"></body>"#;
        assert!(meta_signals(html, TOKEN, "u").is_empty());
        // A "<body" inside the title does not end the head.
        let title =
            r#"<head><title>About <body> tags</title><meta name="robots" content="noai"></head>"#;
        assert_eq!(meta_signals(title, TOKEN, "u").len(), 1);
        // No head element at all: a meta before <body> still counts.
        let bare = r#"<meta name=robots content=noai><p>text"#;
        assert_eq!(meta_signals(bare, TOKEN, "u").len(), 1);
    }

    #[test]
    fn header_forms() {
        let refuse = vec![Verdict::Refuse(ReasonCode::NoaiHeader)];
        assert_eq!(verdicts(&header_signals(&h("noai"), TOKEN)), refuse);
        assert_eq!(
            verdicts(&header_signals(&h("noindex, NOAI"), TOKEN)),
            refuse
        );
        assert_eq!(
            verdicts(&header_signals(&h("assentbot: noai"), TOKEN)),
            refuse
        );
        assert!(header_signals(&h("otherbot: noai"), TOKEN).is_empty());
        assert!(header_signals(&h("otherbot: noindex, noai"), TOKEN).is_empty());
        assert_eq!(
            verdicts(&header_signals(
                &h("otherbot: noindex, assentbot: noai"),
                TOKEN
            )),
            refuse
        );
        assert_eq!(
            verdicts(&header_signals(&h("noimageai"), TOKEN)),
            vec![Verdict::Neutral]
        );
        assert!(header_signals(&h("noindex, nofollow"), TOKEN).is_empty());
        // A date with colons and commas does not swallow the following directive.
        assert_eq!(
            verdicts(&header_signals(
                &h("unavailable_after: Friday, 25-Jun-2010 15:00:00 PST, noai"),
                TOKEN
            )),
            refuse
        );
    }

    #[test]
    fn multiple_header_lines_each_start_unbound() {
        let hs = vec![
            ("x-robots-tag".to_string(), "otherbot: noindex".to_string()),
            ("x-robots-tag".to_string(), "noai".to_string()),
            ("content-type".to_string(), "noai".to_string()),
        ];
        assert_eq!(header_signals(&hs, TOKEN).len(), 1);
    }

    #[test]
    fn hostile_html_never_panics() {
        let cases = [
            "<".to_string(),
            "<meta name=\"robots".to_string(),
            "<meta name=robots content=".to_string(),
            "<!--".to_string(),
            "<script>".to_string(),
            "<meta name='robots' content='noai' ".repeat(10_000),
            "<<<<<>>>>>&#xFFFFFFFF;&#99999999999;&".repeat(1000),
            format!(
                "<meta name=\"robots\" content=\"{}é\">",
                "a".repeat(300_000)
            ),
            "é<métà ñame=robots>".repeat(50_000),
        ];
        for c in &cases {
            let _ = meta_signals(c, TOKEN, "u");
            let _ = scan_tags(c, 1 << 20, false, &["meta", "script", "a"]);
        }
        let huge = "otherbot: noai, ".repeat(100_000);
        let _ = header_signals(&h(&huge), TOKEN);
        let _ = header_signals(&h(":::,,,:"), TOKEN);
    }

    #[test]
    fn entity_decoding() {
        assert_eq!(
            decode_entities("a&amp;b&#39;c&#x41;&bogus;&"),
            "a&b'cA&bogus;&"
        );
    }
}
