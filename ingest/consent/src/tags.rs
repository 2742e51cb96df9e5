//! The pieces of the one bounded markup pass ([`crate::markup`]): tag names, attributes,
//! character references, case-insensitive search. Never a DOM: hostile HTML (unclosed quotes,
//! huge attributes) costs at most one linear pass.

use std::borrow::Cow;

/// Most attributes kept per tag.
pub(crate) const MAX_ATTRS: usize = 32;
/// Longest attribute value kept (longer values are cut at a char boundary).
const MAX_ATTR_VALUE: usize = 8 * 1024;

/// Cut `s` to at most `max` bytes at a char boundary.
pub fn truncate(s: &str, max: usize) -> &str {
    let mut end = s.len().min(max);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
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

/// Head `<meta>` tags as (lower-cased trimmed name, content) pairs: those of one
/// [`crate::markup::PageMarkup::read`] pass.
pub fn head_metas(html: &str) -> Vec<(String, String)> {
    crate::markup::PageMarkup::read(html).metas
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
