//! The one small HTML tag scanner the consent checks and the crawler's link discovery share:
//! `noai` and `tdmrep` (head meta tags), `licence` (`rel=license`, meta, JSON-LD), `rsl`
//! (inline `<script type="application/rsl+xml">`) and `crawl::links` (`<a href>`). It is a
//! linear, allocation-bounded pass that never builds a DOM, so hostile HTML (unclosed quotes,
//! millions of tags, huge attributes) costs at most one pass over a bounded prefix, and the
//! crawler can read these few attributes without the cost of a tree.

use std::borrow::Cow;

/// Most tags of the wanted kinds a scan returns.
const MAX_TAGS: usize = 4096;
/// Most attributes kept per tag.
pub(crate) const MAX_ATTRS: usize = 32;
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
pub fn truncate(s: &str, max: usize) -> &str {
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
    scan_tags_where(html, limit, head_only, wanted, &|_| true)
}

/// [`scan_tags`], keeping only the wanted tags for which `keep` (called before a tag's text is
/// copied) is true: a page's many scripts need not be copied to find its one RSL script.
pub fn scan_tags_where(
    html: &str,
    limit: usize,
    head_only: bool,
    wanted: &[&str],
    keep: &dyn Fn(&HtmlTag) -> bool,
) -> Vec<HtmlTag> {
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
        let Some((closing, name_start, j)) = tag_name_at(b, p) else {
            i = p + 1;
            continue;
        };
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
        let mut tag = HtmlTag {
            name,
            attrs,
            text: None,
        };
        let keep = wanted.contains(&tag.name.as_str()) && keep(&tag);
        let name = tag.name.as_str();
        // Raw text (script, style) and escapable raw text (title, textarea) hold no tags.
        if matches!(name, "script" | "style" | "title" | "textarea") {
            let close = format!("</{name}");
            let stop = find_ci(&b[i..], close.as_bytes()).map(|e| i + e);
            if keep {
                tag.text = Some(s[i..stop.unwrap_or(b.len())].to_string());
            }
            match stop {
                Some(e) => i = e,
                None => i = b.len(),
            }
        }
        if keep {
            out.push(tag);
        }
    }
    out
}

/// Parse attributes from `start` (just after the tag name) to the closing `>`; returns them
/// and the index after `>`, or None when the input ends first.
pub(crate) fn parse_attrs(s: &str, start: usize) -> Option<(Vec<(String, String)>, usize)> {
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
            value = decode_entities(truncate(&s[v0..v1], MAX_ATTR_VALUE)).into_owned();
        }
        if attrs.len() < MAX_ATTRS && !name.is_empty() {
            attrs.push((name, value));
        }
    }
}

/// Decode the few character references that matter in attribute values (and in text); the
/// text itself, borrowed, when it has none.
pub(crate) fn decode_entities(s: &str) -> Cow<'_, str> {
    if !s.contains('&') {
        return Cow::Borrowed(s);
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
    Cow::Owned(out)
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    memchr::memmem::find(hay, needle)
}

/// The tag whose `<` is at `p`: whether it is an end tag, and where its name starts and ends.
/// None when no tag name follows (`a < b`, `<3`), so that the `<` is text.
pub(crate) fn tag_name_at(b: &[u8], p: usize) -> Option<(bool, usize, usize)> {
    let closing = b.get(p + 1) == Some(&b'/');
    let start = p + 1 + closing as usize;
    let mut end = start;
    while end < b.len() && (b[end].is_ascii_alphanumeric() || b[end] == b'-' || b[end] == b':') {
        end += 1;
    }
    (end > start && b[start].is_ascii_alphabetic()).then_some((closing, start, end))
}

/// Case-insensitive search for an ASCII needle that starts with `<`.
pub(crate) fn find_ci(hay: &[u8], needle: &[u8]) -> Option<usize> {
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

/// Head `<meta>` tags as (lower-cased trimmed name, content) pairs. The whole head is read,
/// however long (a large inline `<style>` or `<script>` before a `noai` meta must not hide it):
/// the page itself is bounded by the body cap, and the scan is one linear pass that stops at
/// `</head>` or `<body`.
pub fn head_metas(html: &str) -> Vec<(String, String)> {
    scan_tags(html, html.len(), true, &["meta"])
        .into_iter()
        .filter_map(|t| {
            let name = t.attr("name")?.trim().to_ascii_lowercase();
            let content = t.attr("content").unwrap_or("").to_string();
            Some((name, content))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::decode_entities;

    #[test]
    fn metas_after_a_huge_inline_script_are_read() {
        let html = format!(
            "<html><head><style>{}</style><script>{}</script><meta name=robots content=noai></head><body><meta name=x content=y>",
            "a{color:red}".repeat(50_000),
            "var x = '<meta name=robots content=all>';".repeat(20_000)
        );
        assert!(html.len() > 1 << 20);
        assert_eq!(
            super::head_metas(&html),
            vec![("robots".to_string(), "noai".to_string())]
        );
    }

    #[test]
    fn references_decode_and_multibyte_text_near_an_ampersand_is_kept() {
        assert_eq!(decode_entities("a &amp; b &#x41;&#66;"), "a & b AB");
        // The 12-byte window after `&` ends inside the two-byte U+00A0.
        let s = "&quot; — \u{a0}x";
        assert_eq!(decode_entities(s), s.replacen("&quot;", "\"", 1));
        assert_eq!(decode_entities("&unknown; é"), "&unknown; é");
    }
}
