//! The HTTP response stored in a WARC `response` record: status, headers and the body as the
//! server meant it, after transfer and content decoding.
//!
//! Archives store what came over the wire, and what came over the wire is often untidy, so the
//! parser is lenient where being strict would only lose pages, and strict where leniency would
//! hand garbage to the extractor:
//!
//! - the head is parsed with `httparse` in its most tolerant settings (LF-only line endings,
//!   obsolete line folding, stray spaces, invalid header lines skipped); `HTTP/2` and `HTTP/3`
//!   status lines, which some archivers write, are read as HTTP/1.1;
//! - a chunked body is de-chunked; if the chunking is broken from the start (the header lies),
//!   the raw bytes are kept; if it stops early (a truncated capture), what was decoded is kept;
//! - `gzip`, `x-gzip`, `deflate` and `br` bodies are decompressed, never past
//!   [`MAX_DECODED_BODY`] (a small compressed body can expand enormously); a body labelled
//!   gzip that does not start with the gzip magic is taken as already decoded, as some
//!   archivers (ClueWeb09 among them) store the decoded body under the original header; any
//!   other encoding is an error. The crawler decodes its own fetches with the same function
//!   ([`decode_content_codings`]), under its own limits.

use flate2::read::{DeflateDecoder, MultiGzDecoder, ZlibDecoder};
use std::io::Read;

/// The most bytes a body may expand to when its content encoding is undone.
pub const MAX_DECODED_BODY: usize = 32 * 1024 * 1024;

/// The most header lines read from one response head.
const MAX_HEADERS: usize = 512;

/// A parsed HTTP response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HttpResponse {
    pub status: u16,
    /// Header names lower-cased, values trimmed, in the order the server sent them.
    pub headers: Vec<(String, String)>,
    /// The body after transfer and content decoding.
    pub body: Vec<u8>,
}

/// Why an HTTP response could not be read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum HttpError {
    #[error("malformed HTTP response head: {0}")]
    Head(String),
    #[error("unsupported HTTP content encoding {0:?}")]
    UnsupportedEncoding(String),
    #[error("cannot decode {encoding} HTTP body: {message}")]
    Decode { encoding: String, message: String },
    #[error("HTTP body decodes to more than {limit} bytes")]
    TooLarge { limit: usize },
}

impl HttpError {
    /// True when the body is intact but encoded in a way this parser does not undo.
    pub fn is_unsupported_encoding(&self) -> bool {
        matches!(self, HttpError::UnsupportedEncoding(_))
    }
}

/// The head of a response: status, headers, and where the body starts in the block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HttpHead {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body_start: usize,
}

/// Parses a whole response (head and body) and decodes the body.
pub fn parse_response(block: &[u8]) -> Result<HttpResponse, HttpError> {
    let head = parse_head(block)?;
    let body = decode_body(&head.headers, &block[head.body_start..])?;
    Ok(HttpResponse {
        status: head.status,
        headers: head.headers,
        body,
    })
}

/// The first header named `name` (case-insensitive).
pub use assent_schemas::media::essence as media_type;

pub fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// Parses the status line and headers of a response.
pub fn parse_head(block: &[u8]) -> Result<HttpHead, HttpError> {
    let (bytes, replaced) = match rewrite_newer_version(block) {
        Some((rewritten, replaced)) => (std::borrow::Cow::Owned(rewritten), replaced),
        None => (std::borrow::Cow::Borrowed(block), HTTP11.len()),
    };
    let (status, headers, head_len) = match parse_with_httparse(&bytes)? {
        Some(parsed) => parsed,
        None => {
            // A head without its closing blank line (a revisit, a capture cut after the
            // headers): close it ourselves; the body is empty.
            let mut closed = bytes.to_vec();
            closed.extend_from_slice(b"\r\n\r\n");
            match parse_with_httparse(&closed)? {
                Some((status, headers, _)) => (status, headers, bytes.len()),
                None => return Err(HttpError::Head("incomplete head".into())),
            }
        }
    };
    // Body offsets refer to the original block, whose version prefix may differ in length.
    let body_start = (head_len + replaced)
        .saturating_sub(HTTP11.len())
        .min(block.len());
    Ok(HttpHead {
        status,
        headers,
        body_start,
    })
}

type Parsed = (u16, Vec<(String, String)>, usize);

fn parse_with_httparse(bytes: &[u8]) -> Result<Option<Parsed>, HttpError> {
    let mut storage = vec![httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut response = httparse::Response::new(&mut storage);
    let mut config = httparse::ParserConfig::default();
    config
        .allow_obsolete_multiline_headers_in_responses(true)
        .allow_spaces_after_header_name_in_responses(true)
        .allow_multiple_spaces_in_response_status_delimiters(true)
        .ignore_invalid_headers_in_responses(true);
    let status = config
        .parse_response(&mut response, bytes)
        .map_err(|e| HttpError::Head(e.to_string()))?;
    let httparse::Status::Complete(head_len) = status else {
        return Ok(None);
    };
    let code = response
        .code
        .ok_or_else(|| HttpError::Head("no status code".into()))?;
    let headers = response
        .headers
        .iter()
        .map(|h| (h.name.to_ascii_lowercase(), header_value(h.value)))
        .collect();
    Ok(Some((code, headers, head_len)))
}

/// A header value as text: obsolete line folds become single spaces, ends are trimmed.
/// Bytes that are not UTF-8 (Latin-1 values are common) are replaced, not refused.
fn header_value(raw: &[u8]) -> String {
    let text = String::from_utf8_lossy(raw);
    if !text.contains(['\r', '\n']) {
        return text.trim().to_string();
    }
    text.split(['\r', '\n'])
        .map(str::trim)
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

const HTTP11: &[u8] = b"HTTP/1.1 ";

/// `httparse` knows only HTTP/1.x; archivers that record HTTP/2 or HTTP/3 exchanges write
/// `HTTP/2 200` or `HTTP/2.0 200`. Such a status line is rewritten as `HTTP/1.1`; returns the
/// rewritten head and the length of the prefix it replaced.
fn rewrite_newer_version(block: &[u8]) -> Option<(Vec<u8>, usize)> {
    const NEWER: [&[u8]; 4] = [b"HTTP/2.0 ", b"HTTP/3.0 ", b"HTTP/2 ", b"HTTP/3 "];
    let prefix = NEWER.iter().find(|p| block.starts_with(p))?;
    let mut out = Vec::with_capacity(block.len() + 2);
    out.extend_from_slice(HTTP11);
    out.extend_from_slice(&block[prefix.len()..]);
    Some((out, prefix.len()))
}

/// Undoes the transfer coding and the content codings named in `headers` of an archived
/// response, never past [`MAX_DECODED_BODY`].
pub fn decode_body(headers: &[(String, String)], raw: &[u8]) -> Result<Vec<u8>, HttpError> {
    let is_chunked = header(headers, "transfer-encoding")
        .is_some_and(|te| te.to_ascii_lowercase().contains("chunked"));
    let body = if is_chunked {
        dechunk(raw).unwrap_or_else(|| raw.to_vec())
    } else {
        raw.to_vec()
    };
    let limits = DecodeLimits {
        max_bytes: MAX_DECODED_BODY,
        truncate: false,
        lenient: false,
    };
    match decode_content_codings(headers, body, limits) {
        Ok((body, _)) => Ok(body),
        Err(DecodeError::TooLarge { limit }) => Err(HttpError::TooLarge { limit }),
        Err(DecodeError::Unsupported(coding)) => Err(HttpError::UnsupportedEncoding(coding)),
        Err(DecodeError::Broken { coding, message }) => Err(HttpError::Decode {
            encoding: coding,
            message,
        }),
    }
}

/// How far decoding may expand a body.
#[derive(Clone, Copy, Debug)]
pub struct DecodeLimits {
    /// The most bytes a body may decode to.
    pub max_bytes: usize,
    /// Keep the first `max_bytes` of a longer body instead of failing (robots.txt).
    pub truncate: bool,
    /// The input was cut short: a decoding error at its end is expected.
    pub lenient: bool,
}

/// Why a body could not be decoded.
#[derive(Debug, PartialEq, Eq)]
pub enum DecodeError {
    TooLarge { limit: usize },
    Broken { coding: String, message: String },
    Unsupported(String),
}

/// The content codings in the order the server applied them (`gzip, br` = gzip, then br).
pub fn content_codings(headers: &[(String, String)]) -> Vec<String> {
    headers
        .iter()
        .filter(|(n, _)| n == "content-encoding")
        .flat_map(|(_, v)| v.split(','))
        .map(|c| c.trim().to_ascii_lowercase())
        .filter(|c| !c.is_empty() && c != "identity" && c != "none")
        .collect()
}

/// Undoes the content codings of `headers` (applied in header order, undone in reverse):
/// gzip, deflate (zlib or raw) and brotli, within `limits`. The second value says whether the
/// body was cut at `max_bytes` (only with `limits.truncate`). Used for archived responses and
/// for the crawler's own fetches alike.
pub fn decode_content_codings(
    headers: &[(String, String)],
    body: Vec<u8>,
    limits: DecodeLimits,
) -> Result<(Vec<u8>, bool), DecodeError> {
    let mut body = body;
    let mut cut = false;
    for coding in content_codings(headers).iter().rev() {
        let input = body.as_slice();
        let (decoded, was_cut) = match coding.as_str() {
            // Stored already decoded under the original header (some archivers do this).
            "gzip" | "x-gzip" if !input.starts_with(&[0x1f, 0x8b]) => continue,
            "gzip" | "x-gzip" => read_capped(MultiGzDecoder::new(input), coding, limits),
            // RFC 9110 section 8.4.1.2: "deflate" is the zlib format, but some servers send raw
            // deflate; a body that does not open with a zlib header is read as raw deflate. One
            // decoder is chosen up front, so a bomb is expanded (to the cap) only once.
            "deflate" if zlib_header(input) => read_capped(ZlibDecoder::new(input), coding, limits),
            "deflate" => read_capped(DeflateDecoder::new(input), coding, limits),
            "br" => read_capped(
                brotli_decompressor::Decompressor::new(input, 8192),
                coding,
                limits,
            ),
            other => return Err(DecodeError::Unsupported(other.to_string())),
        }?;
        body = decoded;
        cut |= was_cut;
    }
    Ok((body, cut))
}

/// Decodes a chunked body. `None` when the body is not chunked at all (the first size line is
/// not a hexadecimal number, or a later one is garbage); a body that stops early gives what was
/// decoded up to there.
fn dechunk(raw: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(raw.len());
    let mut rest = raw;
    loop {
        let Some(line_end) = memchr::memchr(b'\n', rest) else {
            // Truncated inside a size line: keep what we have, unless we have nothing.
            return (!out.is_empty()).then_some(out);
        };
        let size = chunk_size(&rest[..line_end])?;
        rest = &rest[line_end + 1..];
        if size == 0 {
            return Some(out);
        }
        let take = size.min(rest.len());
        out.extend_from_slice(&rest[..take]);
        if take < size {
            return Some(out);
        }
        rest = &rest[take..];
        rest = rest
            .strip_prefix(b"\r\n")
            .or_else(|| rest.strip_prefix(b"\n"))
            .unwrap_or(rest);
    }
}

/// Parses a chunk-size line (`1a2f`, `1A2F;ext=1`, with optional spaces and CR).
fn chunk_size(line: &[u8]) -> Option<usize> {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let digits = line.split(|&b| b == b';').next()?.trim_ascii();
    if digits.is_empty() || digits.len() > 15 || !digits.iter().all(u8::is_ascii_hexdigit) {
        return None;
    }
    usize::from_str_radix(std::str::from_utf8(digits).ok()?, 16).ok()
}

/// Whether `b` opens with a zlib header (RFC 1950 section 2.2): compression method 8, a window
/// of at most 32 KiB, and a check value that makes the first two bytes a multiple of 31.
pub fn zlib_header(b: &[u8]) -> bool {
    match b {
        [cmf, flg, ..] => {
            cmf & 0x0f == 8 && cmf >> 4 <= 7 && (u16::from(*cmf) << 8 | u16::from(*flg)) % 31 == 0
        }
        _ => false,
    }
}

/// Reads a decoder's output, never more than `limits.max_bytes` (+1 to tell).
fn read_capped(
    decoder: impl Read,
    coding: &str,
    limits: DecodeLimits,
) -> Result<(Vec<u8>, bool), DecodeError> {
    let mut out = Vec::new();
    let res = decoder
        .take(limits.max_bytes as u64 + 1)
        .read_to_end(&mut out);
    if out.len() > limits.max_bytes {
        if limits.truncate {
            out.truncate(limits.max_bytes);
            return Ok((out, true));
        }
        return Err(DecodeError::TooLarge {
            limit: limits.max_bytes,
        });
    }
    match res {
        Ok(_) => Ok((out, false)),
        Err(_) if limits.lenient => Ok((out, false)),
        Err(e) => Err(DecodeError::Broken {
            coding: coding.to_string(),
            message: e.to_string(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::write::{GzEncoder, ZlibEncoder};
    use flate2::Compression;
    use std::io::Write;

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut enc = GzEncoder::new(Vec::new(), Compression::default());
        enc.write_all(data).unwrap();
        enc.finish().unwrap()
    }

    fn response(head: &str, body: &[u8]) -> Vec<u8> {
        let mut block = head.as_bytes().to_vec();
        block.extend_from_slice(body);
        block
    }

    #[test]
    fn parses_status_headers_and_plain_body() {
        let block = response(
            "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nX-Thing:  a b \r\n\r\n",
            b"<p>hi</p>",
        );
        let r = parse_response(&block).unwrap();
        assert_eq!(r.status, 200);
        assert_eq!(
            r.headers,
            vec![
                (
                    "content-type".to_string(),
                    "text/html; charset=utf-8".to_string()
                ),
                ("x-thing".to_string(), "a b".to_string()),
            ]
        );
        assert_eq!(r.body, b"<p>hi</p>");
        assert_eq!(
            header(&r.headers, "Content-Type"),
            Some("text/html; charset=utf-8")
        );
        assert_eq!(header(&r.headers, "missing"), None);
    }

    #[test]
    fn tolerates_lf_only_obs_fold_and_missing_reason() {
        let block = response("HTTP/1.0 404\nX-Long: one\n  two\nServer: x\n\n", b"gone");
        let r = parse_response(&block).unwrap();
        assert_eq!(r.status, 404);
        assert_eq!(header(&r.headers, "x-long"), Some("one two"));
        assert_eq!(header(&r.headers, "server"), Some("x"));
        assert_eq!(r.body, b"gone");
    }

    #[test]
    fn reads_http2_status_lines_and_keeps_body_offset() {
        let block = response("HTTP/2 301 \r\nlocation: /x\r\n\r\n", b"body");
        let r = parse_response(&block).unwrap();
        assert_eq!(r.status, 301);
        assert_eq!(r.body, b"body");
        let block = response("HTTP/2.0 200 OK\r\n\r\n", b"abc");
        assert_eq!(parse_response(&block).unwrap().body, b"abc");
    }

    #[test]
    fn head_without_blank_line_has_empty_body() {
        let r = parse_response(b"HTTP/1.1 200 OK\r\nContent-Length: 606\r\n").unwrap();
        assert_eq!(r.status, 200);
        assert_eq!(header(&r.headers, "content-length"), Some("606"));
        assert!(r.body.is_empty());
    }

    #[test]
    fn rejects_what_is_not_a_response() {
        assert!(matches!(
            parse_response(b"GET / HTTP/1.1\r\n\r\n"),
            Err(HttpError::Head(_))
        ));
        assert!(matches!(
            parse_response(b"\x00\x01garbage"),
            Err(HttpError::Head(_))
        ));
        assert!(parse_response(b"").is_err());
    }

    #[test]
    fn dechunks_and_tolerates_broken_chunking() {
        let head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
        let ok = response(
            head,
            b"5\r\nhello\r\n7;ext=1\r\n, world\r\n0\r\nTrailer: x\r\n\r\n",
        );
        assert_eq!(parse_response(&ok).unwrap().body, b"hello, world");
        // Not chunked at all although the header says so: raw bytes.
        let raw = response(head, b"<html>not chunked</html>");
        assert_eq!(
            parse_response(&raw).unwrap().body,
            b"<html>not chunked</html>"
        );
        // Truncated capture: what was decoded survives, without chunk markup.
        let cut = response(head, b"5\r\nhello\r\n10\r\nworld");
        assert_eq!(parse_response(&cut).unwrap().body, b"helloworld");
        // Upper-case hex, LF-only framing.
        let lf = response(head, b"A\nabcdefghij\n0\n\n");
        assert_eq!(parse_response(&lf).unwrap().body, b"abcdefghij");
    }

    #[test]
    fn decodes_gzip_deflate_and_chunked_gzip() {
        let page = b"<html><body>compressed page</body></html>".repeat(20);
        let gz = gzip(&page);
        let block = response("HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n\r\n", &gz);
        assert_eq!(parse_response(&block).unwrap().body, page);

        let mut z = ZlibEncoder::new(Vec::new(), Compression::default());
        z.write_all(&page).unwrap();
        let block = response(
            "HTTP/1.1 200 OK\r\ncontent-encoding: deflate\r\n\r\n",
            &z.finish().unwrap(),
        );
        assert_eq!(parse_response(&block).unwrap().body, page);

        let mut raw = flate2::write::DeflateEncoder::new(Vec::new(), Compression::default());
        raw.write_all(&page).unwrap();
        let block = response(
            "HTTP/1.1 200 OK\r\nContent-Encoding: deflate\r\n\r\n",
            &raw.finish().unwrap(),
        );
        assert_eq!(parse_response(&block).unwrap().body, page);

        let mut chunked = format!("{:x}\r\n", gz.len()).into_bytes();
        chunked.extend_from_slice(&gz);
        chunked.extend_from_slice(b"\r\n0\r\n\r\n");
        let head =
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Encoding: x-gzip\r\n\r\n";
        assert_eq!(
            parse_response(&response(head, &chunked)).unwrap().body,
            page
        );
    }

    #[test]
    fn gzip_label_on_decoded_body_passes_through() {
        let block = response(
            "HTTP/1.1 200 OK\nContent-Encoding: gzip\n\n",
            b"<html>plain</html>",
        );
        assert_eq!(parse_response(&block).unwrap().body, b"<html>plain</html>");
    }

    #[test]
    fn broken_gzip_unknown_encoding_and_bombs_are_errors() {
        let mut gz = gzip(b"some text that will be cut short");
        gz.truncate(gz.len() - 6);
        let block = response("HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n\r\n", &gz);
        let err = parse_response(&block).unwrap_err();
        assert!(matches!(err, HttpError::Decode { .. }), "{err:?}");
        assert!(err.to_string().contains("gzip"));

        let block = response(
            "HTTP/1.1 200 OK\r\nContent-Encoding: compress\r\n\r\n",
            b"\x1f\x9d\x90",
        );
        let err = parse_response(&block).unwrap_err();
        assert_eq!(err, HttpError::UnsupportedEncoding("compress".into()));
        assert!(err.is_unsupported_encoding());

        // Brotli, as the crawler accepts it, is decoded in archives too.
        let mut br = Vec::new();
        brotli::CompressorWriter::new(&mut br, 4096, 5, 22)
            .write_all(b"<p>brotli body</p>")
            .unwrap();
        let block = response("HTTP/1.1 200 OK\r\nContent-Encoding: br\r\n\r\n", &br);
        assert_eq!(parse_response(&block).unwrap().body, b"<p>brotli body</p>");

        let bomb = gzip(&vec![0u8; MAX_DECODED_BODY + 1]);
        let block = response("HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n\r\n", &bomb);
        assert_eq!(
            parse_response(&block).unwrap_err(),
            HttpError::TooLarge {
                limit: MAX_DECODED_BODY
            }
        );
    }

    #[test]
    fn identity_codings_are_ignored() {
        let block = response(
            "HTTP/1.1 200 OK\r\nContent-Encoding: identity\r\n\r\n",
            b"x",
        );
        assert_eq!(parse_response(&block).unwrap().body, b"x");
    }
}
