//! Decoding a page body to text.
//!
//! Web pages arrive as bytes in whatever encoding their author's tools produced, and the label
//! that says which one is often missing or wrong. We follow the order a browser uses, so that the
//! text we keep is the text a reader saw:
//!
//! 1. a byte-order mark (UTF-8, UTF-16LE, UTF-16BE) wins over any label;
//! 2. the `charset=` parameter of the `Content-Type` header;
//! 3. for HTML, a `<meta charset>` or `<meta http-equiv="Content-Type">` in the first 1024 bytes,
//!    found with the WHATWG HTML prescan (a UTF-16 label there means UTF-8, as the spec says);
//! 4. detection: UTF-16 without a byte-order mark by its NUL bytes, anything else by
//!    `chardetng` over the first 64 KiB;
//! 5. all-ASCII or empty bodies are UTF-8 by default.
//!
//! Labels are resolved with [`Encoding::for_label`]. A label that resolves to nothing, or to
//! the WHATWG "replacement" encoding (ISO-2022-KR, HZ and other labels browsers refuse to
//! decode), is ignored and the next step decides: a corpus gains nothing from a page decoded
//! to a single U+FFFD.
//!
//! Bodies that are not text at all (images served as `text/html`, truncated archives) are
//! refused with [`DecodeError::Binary`], judged on the decoded start of the body: too many
//! C0 control characters, or an overwhelming share of replacement characters. The caller
//! records them as `input.undecodable` rather than passing garbage on to the filters.

use chardetng::{EncodingDetector, Iso2022JpDetection, Utf8Detection};
use encoding_rs::{Encoding, REPLACEMENT, UTF_16BE, UTF_16LE, UTF_8, WINDOWS_1252, X_USER_DEFINED};
use std::fmt;

/// How many bytes the HTML prescan looks at (WHATWG: 1024).
const PRESCAN_LIMIT: usize = 1024;
/// How many bytes `chardetng` and the UTF-16 heuristic see.
const DETECT_LIMIT: usize = 64 * 1024;
/// How many bytes are decoded to judge whether a body is text before decoding all of it.
const JUDGE_LIMIT: usize = 64 * 1024;
/// Share of C0 control characters (other than tab, line feed, form feed and carriage return)
/// above which decoded text is taken for binary data. Real text has almost none; random bytes
/// have about 11 %.
const MAX_CONTROL_SHARE: f64 = 0.05;
/// Share of U+FFFD above which decoded text is taken for binary data. A Latin-1 page wrongly
/// labelled UTF-8 stays well under it; random bytes decoded as UTF-8 are far above.
const MAX_REPLACEMENT_SHARE: f64 = 0.25;

/// Where the encoding of a body was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CharsetSource {
    /// A byte-order mark at the start of the body.
    Bom,
    /// The `charset` parameter of the `Content-Type` header.
    Header,
    /// A `<meta>` element in the first 1024 bytes of an HTML body.
    Meta,
    /// Guessed from the bytes (UTF-16 heuristic or `chardetng`).
    Detected,
    /// Nothing to go on: an empty or all-ASCII body, decoded as UTF-8.
    Default,
}

impl CharsetSource {
    /// The name used in evidence and logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Bom => "bom",
            Self::Header => "header",
            Self::Meta => "meta",
            Self::Detected => "detected",
            Self::Default => "default",
        }
    }
}

impl CharsetSource {
    /// The source named `name` ([`CharsetSource::as_str`]).
    pub fn from_name(name: &str) -> Option<Self> {
        [
            Self::Bom,
            Self::Header,
            Self::Meta,
            Self::Detected,
            Self::Default,
        ]
        .into_iter()
        .find(|s| s.as_str() == name)
    }
}

impl fmt::Display for CharsetSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A body decoded to text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decoded {
    /// The text, without the byte-order mark; malformed sequences became U+FFFD.
    pub text: String,
    /// The `encoding_rs` name of the encoding used (`UTF-8`, `windows-1252`, `Shift_JIS`, …).
    pub encoding: &'static str,
    pub found_in: CharsetSource,
    /// Whether any malformed byte sequence was replaced with U+FFFD.
    pub had_errors: bool,
}

/// Why a body could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// The body does not look like text in the encoding chosen for it.
    #[error("body looks binary when decoded as {encoding} (from {found_in}): {why}")]
    Binary {
        encoding: &'static str,
        found_in: CharsetSource,
        why: String,
    },
}

impl DecodeError {
    /// The encoding that was tried.
    pub fn encoding(&self) -> &'static str {
        match self {
            Self::Binary { encoding, .. } => encoding,
        }
    }
}

/// Decodes `body` to text, choosing the encoding as the module documentation describes.
/// `content_type` is the raw header value (`text/html; charset=iso-8859-1`); `is_html` enables
/// the `<meta>` prescan.
pub fn decode(
    body: &[u8],
    content_type: Option<&str>,
    is_html: bool,
) -> Result<Decoded, DecodeError> {
    let choice = choose(body, content_type, is_html);
    match check_text(body, choice) {
        Ok(()) => Ok(decode_with(body, choice)),
        Err(why) => {
            // A UTF-16 body whose label claims an ASCII-compatible encoding decodes to text
            // full of NULs; trust the bytes over the label rather than lose the page.
            if let Some(utf16) = (choice.bom_len == 0 && !is_utf16(choice.encoding))
                .then(|| detect_utf16(body))
                .flatten()
            {
                let rescue = Choice::new(utf16, CharsetSource::Detected);
                if check_text(body, rescue).is_ok() {
                    return Ok(decode_with(body, rescue));
                }
            }
            Err(DecodeError::Binary {
                encoding: choice.encoding.name(),
                found_in: choice.found_in,
                why,
            })
        }
    }
}

/// [`decode`], taking the body: a UTF-8 body (nearly every page) becomes its text without a
/// copy. On failure the body is handed back with the error.
pub fn decode_vec(
    mut body: Vec<u8>,
    content_type: Option<&str>,
    is_html: bool,
) -> Result<Decoded, (Vec<u8>, DecodeError)> {
    let choice = choose(&body, content_type, is_html);
    if choice.encoding == UTF_8 && check_text(&body, choice).is_ok() {
        body.drain(..choice.bom_len);
        return match String::from_utf8(body) {
            Ok(text) => Ok(Decoded {
                text,
                encoding: UTF_8.name(),
                found_in: choice.found_in,
                had_errors: false,
            }),
            // Malformed sequences: decoded with replacement characters, a copy.
            Err(e) => Ok(decode_with(
                e.as_bytes(),
                Choice::new(UTF_8, choice.found_in),
            )),
        };
    }
    decode(&body, content_type, is_html).map_err(|e| (body, e))
}

/// The encoding chosen for a body, where it was found, and the length of its byte-order mark.
#[derive(Clone, Copy, Debug)]
struct Choice {
    encoding: &'static Encoding,
    found_in: CharsetSource,
    bom_len: usize,
}

impl Choice {
    fn new(encoding: &'static Encoding, found_in: CharsetSource) -> Self {
        Choice {
            encoding,
            found_in,
            bom_len: 0,
        }
    }
}

fn choose(body: &[u8], content_type: Option<&str>, is_html: bool) -> Choice {
    if let Some((encoding, bom_len)) = Encoding::for_bom(body) {
        return Choice {
            encoding,
            found_in: CharsetSource::Bom,
            bom_len,
        };
    }
    if let Some(encoding) = content_type.and_then(header_charset) {
        return Choice::new(encoding, CharsetSource::Header);
    }
    if is_html {
        if let Some(encoding) = prescan(&body[..body.len().min(PRESCAN_LIMIT)]) {
            return Choice::new(encoding, CharsetSource::Meta);
        }
    }
    detect(body)
}

fn decode_with(body: &[u8], choice: Choice) -> Decoded {
    let (text, had_errors) = choice
        .encoding
        .decode_without_bom_handling(&body[choice.bom_len..]);
    Decoded {
        text: text.into_owned(),
        encoding: choice.encoding.name(),
        found_in: choice.found_in,
        had_errors,
    }
}

fn is_utf16(encoding: &'static Encoding) -> bool {
    encoding == UTF_16LE || encoding == UTF_16BE
}

/// Resolves a label, ignoring the "replacement" encoding (see the module documentation).
fn resolve_label(label: &[u8]) -> Option<&'static Encoding> {
    Encoding::for_label(label).filter(|e| *e != REPLACEMENT)
}

// ------------------------------------------------------------------ Content-Type header

/// The encoding named by the `charset` parameter of a `Content-Type` value.
fn header_charset(content_type: &str) -> Option<&'static Encoding> {
    resolve_label(assent_schemas::media::parameter(content_type, "charset")?.as_bytes())
}

// ------------------------------------------------------------------ <meta> prescan

/// The WHATWG "prescan a byte stream to determine its encoding" algorithm, over `head` (the
/// first 1024 bytes at most).
fn prescan(head: &[u8]) -> Option<&'static Encoding> {
    let mut pos = 0;
    while pos < head.len() {
        let rest = &head[pos..];
        if rest.starts_with(b"<!--") {
            // The closing "-->" may share its dashes with the opening "<!--".
            pos = match find(&head[pos + 2..], b"-->") {
                Some(i) => pos + 2 + i + 3,
                None => return None,
            };
        } else if starts_with_ignore_case(rest, b"<meta")
            && rest.get(5).is_some_and(|&b| is_space(b) || b == b'/')
        {
            pos += 5;
            if let Some(encoding) = meta_element(head, &mut pos) {
                return Some(encoding);
            }
        } else if rest.len() >= 2
            && rest[0] == b'<'
            && (rest[1].is_ascii_alphabetic()
                || (rest[1] == b'/' && rest.get(2).is_some_and(u8::is_ascii_alphabetic)))
        {
            // Any other tag: skip its name, then its attributes.
            pos += 1;
            while pos < head.len() && !is_space(head[pos]) && head[pos] != b'>' {
                pos += 1;
            }
            while attribute(head, &mut pos).is_some() {}
            pos += 1;
        } else if rest.starts_with(b"<!") || rest.starts_with(b"</") || rest.starts_with(b"<?") {
            pos = match memchr::memchr(b'>', rest) {
                Some(i) => pos + i + 1,
                None => return None,
            };
        } else {
            pos += 1;
        }
    }
    None
}

/// The attributes of one `<meta>` element, from just after its name; the encoding it declares,
/// if it declares one in a way the spec accepts.
fn meta_element(head: &[u8], pos: &mut usize) -> Option<&'static Encoding> {
    let mut seen: Vec<Vec<u8>> = Vec::new();
    let mut got_pragma = false;
    let mut need_pragma: Option<bool> = None;
    let mut charset: Option<&'static Encoding> = None;
    while let Some((name, value)) = attribute(head, pos) {
        if seen.contains(&name) {
            continue;
        }
        match name.as_slice() {
            b"http-equiv" => got_pragma |= value.eq_ignore_ascii_case(b"content-type"),
            b"content" if charset.is_none() => {
                if let Some(found) = charset_from_content(&value).and_then(resolve_label) {
                    charset = Some(found);
                    need_pragma = Some(true);
                }
            }
            b"charset" => {
                charset = resolve_label(&value);
                need_pragma = Some(false);
            }
            _ => {}
        }
        seen.push(name);
    }
    match (need_pragma, got_pragma) {
        (None, _) | (Some(true), false) => None,
        _ => charset.map(|e| {
            if is_utf16(e) {
                UTF_8
            } else if e == X_USER_DEFINED {
                WINDOWS_1252
            } else {
                e
            }
        }),
    }
}

/// The WHATWG "get an attribute" algorithm: the next attribute's lower-cased name and value,
/// or `None` at the end of the tag (leaving `pos` on the `>`) or of the input.
fn attribute(head: &[u8], pos: &mut usize) -> Option<(Vec<u8>, Vec<u8>)> {
    let at = |p: usize| head.get(p).copied();
    while at(*pos).is_some_and(|b| is_space(b) || b == b'/') {
        *pos += 1;
    }
    if at(*pos).is_none_or(|b| b == b'>') {
        return None;
    }
    let mut name = Vec::new();
    // The name: up to '=', whitespace, '/' or '>' (a leading '=' belongs to the name).
    loop {
        let b = at(*pos)?;
        if b == b'=' && !name.is_empty() {
            *pos += 1;
            return attribute_value(head, pos, name);
        }
        if is_space(b) {
            break;
        }
        if b == b'/' || b == b'>' {
            return Some((name, Vec::new()));
        }
        name.push(b.to_ascii_lowercase());
        *pos += 1;
    }
    while at(*pos).is_some_and(is_space) {
        *pos += 1;
    }
    if at(*pos) != Some(b'=') {
        return Some((name, Vec::new()));
    }
    *pos += 1;
    attribute_value(head, pos, name)
}

/// The value part of "get an attribute", from just after the `=`.
fn attribute_value(head: &[u8], pos: &mut usize, name: Vec<u8>) -> Option<(Vec<u8>, Vec<u8>)> {
    while head.get(*pos).copied().is_some_and(is_space) {
        *pos += 1;
    }
    let mut value = Vec::new();
    let first = *head.get(*pos)?;
    if first == b'"' || first == b'\'' {
        *pos += 1;
        loop {
            let b = *head.get(*pos)?;
            *pos += 1;
            if b == first {
                return Some((name, value));
            }
            value.push(b.to_ascii_lowercase());
        }
    }
    if first == b'>' {
        return Some((name, value));
    }
    while let Some(&b) = head.get(*pos) {
        if is_space(b) || b == b'>' {
            return Some((name, value));
        }
        value.push(b.to_ascii_lowercase());
        *pos += 1;
    }
    None
}

/// The WHATWG "extracting a character encoding from a meta element": the label after
/// `charset=` in a `content` attribute value.
fn charset_from_content(content: &[u8]) -> Option<&[u8]> {
    let mut pos = 0;
    loop {
        pos += find_ignore_case(&content[pos..], b"charset")? + 7;
        let mut p = pos;
        while content.get(p).copied().is_some_and(is_space) {
            p += 1;
        }
        if content.get(p) != Some(&b'=') {
            continue;
        }
        p += 1;
        while content.get(p).copied().is_some_and(is_space) {
            p += 1;
        }
        let rest = &content[p..];
        return match rest.first() {
            Some(&q) if q == b'"' || q == b'\'' => {
                let end = memchr::memchr(q, &rest[1..])?;
                Some(&rest[1..1 + end])
            }
            Some(_) => {
                let end = rest
                    .iter()
                    .position(|&b| is_space(b) || b == b';')
                    .unwrap_or(rest.len());
                Some(&rest[..end])
            }
            None => None,
        };
    }
}

fn is_space(b: u8) -> bool {
    matches!(b, b'\t' | b'\n' | b'\x0c' | b'\r' | b' ')
}

fn starts_with_ignore_case(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.len() >= needle.len() && haystack[..needle.len()].eq_ignore_ascii_case(needle)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    memchr::memmem::find(haystack, needle)
}

fn find_ignore_case(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|w| w.eq_ignore_ascii_case(needle))
}

// ------------------------------------------------------------------ detection

fn detect(body: &[u8]) -> Choice {
    let sample = &body[..body.len().min(DETECT_LIMIT)];
    if let Some(utf16) = detect_utf16(sample) {
        return Choice::new(utf16, CharsetSource::Detected);
    }
    if sample.is_ascii() {
        return Choice::new(UTF_8, CharsetSource::Default);
    }
    // chardetng answers UTF-8 for valid UTF-8 (with `Utf8Detection::Allow`), but only after
    // feeding every byte to all of its candidates: on the extraction benchmark's pages that was
    // a quarter of the extraction time. The check is the same and a hundred times faster; a
    // sample cut inside its last character is still valid.
    let valid_utf8 = match std::str::from_utf8(sample) {
        Ok(_) => true,
        Err(e) => e.error_len().is_none() && sample.len() < body.len(),
    };
    if valid_utf8 {
        return Choice::new(UTF_8, CharsetSource::Detected);
    }
    let mut detector = EncodingDetector::new(Iso2022JpDetection::Allow);
    detector.feed(sample, sample.len() == body.len());
    let guess = detector.guess(None, Utf8Detection::Allow);
    Choice::new(guess, CharsetSource::Detected)
}

/// UTF-16 without a byte-order mark: text that is mostly ASCII (markup, Latin script) has a NUL
/// in one byte of most code units, on the odd side for little-endian and on the even side for
/// big-endian, and almost never on the other side.
fn detect_utf16(body: &[u8]) -> Option<&'static Encoding> {
    let sample = &body[..body.len().min(DETECT_LIMIT) & !1];
    let units = sample.len() / 2;
    if units < 2 {
        return None;
    }
    let (mut even, mut odd) = (0usize, 0usize);
    for pair in sample.chunks_exact(2) {
        even += usize::from(pair[0] == 0);
        odd += usize::from(pair[1] == 0);
    }
    let many = |n: usize| n * 10 >= units * 4; // at least 40 % of code units
    let few = |n: usize| n * 100 <= units * 2; // at most 2 %
    if many(odd) && few(even) {
        Some(UTF_16LE)
    } else if many(even) && few(odd) {
        Some(UTF_16BE)
    } else {
        None
    }
}

// ------------------------------------------------------------------ binary judgement

/// Decodes the start of the body and judges whether it is text; the reason if it is not.
fn check_text(body: &[u8], choice: Choice) -> Result<(), String> {
    let start = &body[choice.bom_len..];
    let sample = &start[..start.len().min(JUDGE_LIMIT)];
    let (text, _) = choice.encoding.decode_without_bom_handling(sample);
    // Counted over the bytes, which the compiler vectorises: a character is a byte that is not
    // a UTF-8 continuation byte, and every control character counted is ASCII.
    let (mut chars, mut controls) = (0usize, 0usize);
    for &b in text.as_bytes() {
        chars += usize::from(b & 0xC0 != 0x80);
        controls +=
            usize::from((b < 0x20 && !matches!(b, b'\t' | b'\n' | 0x0c | b'\r')) || b == 0x7f);
    }
    let mut replaced = text.matches(char::REPLACEMENT_CHARACTER).count();
    // A sample cut inside a multi-byte character ends with one U+FFFD that means nothing.
    if sample.len() < start.len() && text.ends_with(char::REPLACEMENT_CHARACTER) {
        replaced -= 1;
    }
    let share = |n: usize| n as f64 / chars.max(1) as f64;
    if share(controls) > MAX_CONTROL_SHARE {
        Err(format!(
            "{controls} of the first {chars} characters are control characters"
        ))
    } else if share(replaced) > MAX_REPLACEMENT_SHARE {
        Err(format!(
            "{replaced} of the first {chars} characters are malformed sequences"
        ))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encode(encoding: &'static Encoding, text: &str) -> Vec<u8> {
        let (bytes, _, unmappable) = encoding.encode(text);
        assert!(
            !unmappable,
            "test text not representable in {}",
            encoding.name()
        );
        bytes.into_owned()
    }

    fn utf16(text: &str, big_endian: bool) -> Vec<u8> {
        text.encode_utf16()
            .flat_map(|u| {
                if big_endian {
                    u.to_be_bytes()
                } else {
                    u.to_le_bytes()
                }
            })
            .collect()
    }

    /// Deterministic pseudo-random bytes (a linear congruential generator).
    fn junk(len: usize) -> Vec<u8> {
        let mut state: u64 = 0x2545_f491_4f6c_dd1d;
        (0..len)
            .map(|_| {
                state = state
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                (state >> 56) as u8
            })
            .collect()
    }

    fn page(head: &str, body: &str) -> String {
        format!("<!DOCTYPE html><html><head>{head}<title>t</title></head><body><p>{body}</p></body></html>")
    }

    const FRENCH: &str = "Café crème, señor: où est la forêt? Ça coûte 5 € — «très» cher.";
    const LATIN1: &str = "Café crème, señor: où est la forêt? Ça coûte 5 francs, «très» cher.";
    const JAPANESE: &str =
        "日本語のテキストです。東京は日本の首都であり、世界最大級の都市の一つです。\
        多くの人々が毎日電車で通勤しています。桜の季節には公園が花見客で賑わいます。";
    const CHINESE: &str =
        "这是一个中文网页。北京是中华人民共和国的首都，也是全国的政治和文化中心。\
        每年有很多游客来这里参观故宫、长城和天坛。";

    #[test]
    fn latin1_declared_in_header() {
        let html = page("", LATIN1);
        let body = encode(encoding_rs::WINDOWS_1252, &html);
        let d = decode(&body, Some("text/html; charset=ISO-8859-1"), true).unwrap();
        assert_eq!(d.text, html);
        assert_eq!(d.encoding, "windows-1252"); // WHATWG: ISO-8859-1 is windows-1252
        assert_eq!(d.found_in, CharsetSource::Header);
        assert!(!d.had_errors);
    }

    #[test]
    fn quoted_header_charset_and_other_parameters() {
        let body = encode(encoding_rs::WINDOWS_1252, &page("", LATIN1));
        let d = decode(&body, Some("text/html;foo=bar; Charset=\"latin1\""), true).unwrap();
        assert_eq!(d.found_in, CharsetSource::Header);
        assert!(d.text.contains("forêt"));
    }

    #[test]
    fn latin1_declared_in_meta() {
        for head in [
            r#"<meta charset="iso-8859-1">"#,
            "<meta charset=latin1>",
            r#"<META HTTP-EQUIV="Content-Type" CONTENT="text/html; charset=iso-8859-1">"#,
            r#"<meta content='text/html;charset = "ISO-8859-1"' http-equiv=content-type />"#,
        ] {
            let html = page(head, LATIN1);
            let body = encode(encoding_rs::WINDOWS_1252, &html);
            let d = decode(&body, Some("text/html"), true).unwrap();
            assert_eq!(d.text, html, "{head}");
            assert_eq!(d.found_in, CharsetSource::Meta, "{head}");
        }
    }

    #[test]
    fn meta_rules_of_the_prescan() {
        // content= without http-equiv does not count.
        let html = page(r#"<meta content="text/html; charset=shift_jis">"#, "plain");
        assert_eq!(
            decode(html.as_bytes(), None, true).unwrap().found_in,
            CharsetSource::Default
        );
        // A meta inside a comment does not count.
        let html = page(r#"<!-- <meta charset="koi8-r"> -->"#, "plain");
        assert_eq!(
            decode(html.as_bytes(), None, true).unwrap().found_in,
            CharsetSource::Default
        );
        // A meta inside another tag's attribute does not count.
        let html = page(r#"<link title='<meta charset="koi8-r">'>"#, "plain");
        assert_eq!(
            decode(html.as_bytes(), None, true).unwrap().found_in,
            CharsetSource::Default
        );
        // A UTF-16 label in meta means UTF-8.
        let html = page(r#"<meta charset="utf-16">"#, "naïve");
        let d = decode(html.as_bytes(), None, true).unwrap();
        assert_eq!((d.encoding, d.found_in), ("UTF-8", CharsetSource::Meta));
        assert_eq!(d.text, html);
        // Past the first 1024 bytes the prescan does not look.
        let html = format!(
            "<html><head><!--{}--><meta charset=koi8-r>",
            "x".repeat(1100)
        );
        assert_eq!(
            decode(html.as_bytes(), None, true).unwrap().found_in,
            CharsetSource::Default
        );
        // Not for plain text.
        let text = r#"<meta charset="koi8-r">"#;
        assert_eq!(
            decode(text.as_bytes(), None, false).unwrap().found_in,
            CharsetSource::Default
        );
    }

    #[test]
    fn header_beats_meta_and_unknown_labels_fall_through() {
        let html = page(r#"<meta charset="shift_jis">"#, LATIN1);
        let body = encode(encoding_rs::WINDOWS_1252, &html);
        let d = decode(&body, Some("text/html; charset=windows-1252"), true).unwrap();
        assert_eq!(d.found_in, CharsetSource::Header);
        let d = decode(&body, Some("text/html; charset=no-such-thing"), true).unwrap();
        assert_eq!((d.encoding, d.found_in), ("Shift_JIS", CharsetSource::Meta));
        let d = decode(&body, Some("text/html; charset=iso-2022-kr"), false).unwrap();
        assert_eq!(
            d.found_in,
            CharsetSource::Detected,
            "replacement label ignored"
        );
    }

    #[test]
    fn windows_1252_curly_quotes_and_euro() {
        let text = "\u{201c}Quoted\u{201d} \u{2018}text\u{2019} costs 20 \u{20ac} \u{2014} naïve café déjà vu. \
                    Les élèves étudient à l\u{2019}école, où ils apprennent le français.";
        let body = encode(encoding_rs::WINDOWS_1252, text);
        assert!(
            body.contains(&0x80) && body.contains(&0x93),
            "euro and quotes are C1 bytes"
        );
        let declared = decode(&body, Some("text/plain; charset=windows-1252"), false).unwrap();
        assert_eq!(declared.text, text);
        let detected = decode(&body, None, false).unwrap();
        assert_eq!(detected.encoding, "windows-1252");
        assert_eq!(detected.found_in, CharsetSource::Detected);
        assert_eq!(detected.text, text);
    }

    #[test]
    fn shift_jis_declared_and_detected() {
        let html = page(r#"<meta charset="Shift_JIS">"#, JAPANESE);
        let body = encode(encoding_rs::SHIFT_JIS, &html);
        let d = decode(&body, None, true).unwrap();
        assert_eq!((d.encoding, d.found_in), ("Shift_JIS", CharsetSource::Meta));
        assert_eq!(d.text, html);

        let body = encode(encoding_rs::SHIFT_JIS, JAPANESE);
        let d = decode(&body, None, false).unwrap();
        assert_eq!(
            (d.encoding, d.found_in),
            ("Shift_JIS", CharsetSource::Detected)
        );
        assert_eq!(d.text, JAPANESE);
    }

    #[test]
    fn gb18030_declared_and_detected() {
        let html = page("", CHINESE);
        let body = encode(encoding_rs::GB18030, &html);
        let d = decode(&body, Some("text/html; charset=gb18030"), true).unwrap();
        assert_eq!((d.encoding, d.found_in), ("gb18030", CharsetSource::Header));
        assert_eq!(d.text, html);

        // chardetng names the GBK subset; encoding_rs decodes GBK as GB18030, so text is equal.
        let d = decode(&body, None, true).unwrap();
        assert_eq!(d.found_in, CharsetSource::Detected);
        assert!(["GBK", "gb18030"].contains(&d.encoding), "{}", d.encoding);
        assert_eq!(d.text, html);
    }

    #[test]
    fn utf16_with_bom() {
        let html = page("", FRENCH);
        for (big_endian, bom, name) in [
            (false, [0xFF, 0xFE], "UTF-16LE"),
            (true, [0xFE, 0xFF], "UTF-16BE"),
        ] {
            let mut body = bom.to_vec();
            body.extend(utf16(&html, big_endian));
            // The byte-order mark beats a header that says otherwise.
            let d = decode(&body, Some("text/html; charset=utf-8"), true).unwrap();
            assert_eq!((d.encoding, d.found_in), (name, CharsetSource::Bom));
            assert_eq!(d.text, html);
        }
    }

    #[test]
    fn utf16_without_bom() {
        let html = page("", FRENCH);
        for (big_endian, name) in [(false, "UTF-16LE"), (true, "UTF-16BE")] {
            let body = utf16(&html, big_endian);
            let d = decode(&body, None, true).unwrap();
            assert_eq!((d.encoding, d.found_in), (name, CharsetSource::Detected));
            assert_eq!(d.text, html);
            // Labelled as something else, the bytes still win over garbage.
            let d = decode(&body, Some("text/html; charset=iso-8859-1"), true).unwrap();
            assert_eq!((d.encoding, d.text.as_str()), (name, html.as_str()));
        }
    }

    #[test]
    fn decode_vec_takes_utf8_without_a_copy_and_decodes_the_rest() {
        let html = page("", FRENCH);
        let body = html.clone().into_bytes();
        let at = body.as_ptr();
        let d = decode_vec(body, None, true).unwrap();
        assert_eq!((d.text.as_str(), d.text.as_ptr()), (html.as_str(), at));
        // A byte-order mark is taken off; malformed bytes become U+FFFD.
        let mut bom = vec![0xEF, 0xBB, 0xBF];
        bom.extend(html.as_bytes());
        let d = decode_vec(bom, None, true).unwrap();
        assert_eq!(
            (d.text.as_str(), d.found_in),
            (html.as_str(), CharsetSource::Bom)
        );
        let mut bad = html.clone().into_bytes();
        bad.push(0xFF);
        let d = decode_vec(bad, Some("text/html; charset=utf-8"), true).unwrap();
        assert!(d.had_errors && d.text.ends_with('\u{FFFD}'));
        // Anything else as `decode` does it.
        for body in [utf16(&html, false), utf16(&html, true)] {
            assert_eq!(decode_vec(body, None, true).unwrap().text, html);
        }
        let latin1 = encode(WINDOWS_1252, &html);
        let d = decode_vec(latin1, Some("text/html; charset=iso-8859-1"), true).unwrap();
        assert_eq!(d.text, html);
        // Not text at all: refused, and the body handed back as it was.
        let binary = junk(4096);
        let (back, err) = decode_vec(binary.clone(), None, true).unwrap_err();
        assert_eq!(back, binary);
        assert!(matches!(err, DecodeError::Binary { .. }));
    }

    #[test]
    fn utf8_without_declaration() {
        let html = page("", &format!("{FRENCH} {JAPANESE}"));
        let d = decode(html.as_bytes(), None, true).unwrap();
        assert_eq!((d.encoding, d.found_in), ("UTF-8", CharsetSource::Detected));
        assert_eq!(d.text, html);
        let bom = [b"\xEF\xBB\xBF".as_slice(), html.as_bytes()].concat();
        let d = decode(&bom, None, true).unwrap();
        assert_eq!((d.encoding, d.found_in), ("UTF-8", CharsetSource::Bom));
        assert_eq!(d.text, html, "the byte-order mark is not part of the text");
    }

    #[test]
    fn long_utf8_cut_inside_a_character_by_the_sample_is_utf8() {
        // Byte 65,535 starts an "é": the 64 KiB sample ends inside it.
        let text = format!("a{}", "é".repeat(40_000));
        assert!(!text.is_char_boundary(DETECT_LIMIT));
        let d = decode(text.as_bytes(), None, false).unwrap();
        assert_eq!((d.encoding, d.found_in), ("UTF-8", CharsetSource::Detected));
        assert_eq!(d.text, text);
    }

    #[test]
    fn ascii_and_empty_default_to_utf8() {
        for body in [&b""[..], b"<p>plain ascii</p>"] {
            let d = decode(body, None, true).unwrap();
            assert_eq!((d.encoding, d.found_in), ("UTF-8", CharsetSource::Default));
            assert_eq!(d.text.as_bytes(), body);
        }
    }

    #[test]
    fn utf8_with_a_few_errors_is_text() {
        let mut body = page("", FRENCH).into_bytes();
        body.extend_from_slice(b"\xFF stray byte");
        let d = decode(&body, Some("text/html; charset=utf-8"), true).unwrap();
        assert!(d.had_errors);
        assert!(d.text.ends_with("\u{FFFD} stray byte"));
    }

    #[test]
    fn binary_junk_is_refused() {
        let body = junk(20_000);
        for (ct, html) in [
            (None, true),
            (Some("text/html; charset=utf-8"), true),
            (Some("text/plain; charset=iso-8859-1"), false),
            (Some("text/plain; charset=shift_jis"), false),
        ] {
            let err = decode(&body, ct, html).unwrap_err();
            assert!(matches!(err, DecodeError::Binary { .. }), "{ct:?}: {err}");
        }
        // A PNG-like header followed by NUL-heavy data.
        let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
        png.extend(std::iter::repeat_n(0u8, 4000));
        png.extend(junk(4000));
        let err = decode(&png, Some("text/html"), true).unwrap_err();
        assert!(err.to_string().contains("control characters"), "{err}");
    }
}
