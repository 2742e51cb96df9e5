//! Writing WARC 1.1, one gzip member per record, as Common Crawl does: any record can then be
//! read alone from its offset, and a damaged member costs one record, not the rest of the file.
//!
//! Output is deterministic: gzip headers carry no time, and record ids are derived from the
//! record's content and its place in the file rather than drawn at random, so running the same
//! crawl or demo twice writes the same bytes and the same ids (which document ids build on).

use chrono::{DateTime, SecondsFormat, Utc};
use sha1::{Digest, Sha1};
use std::io::{self, Write};

/// Where a record went.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WrittenRecord {
    /// `<urn:uuid:…>`, as written in `WARC-Record-ID`.
    pub record_id: String,
    /// Offset of the record's gzip member, counted from where the writer started.
    pub offset: u64,
    /// Compressed length of the member.
    pub length: u64,
}

/// Writes WARC 1.1 records, each its own gzip member.
pub struct WarcWriter<W: Write> {
    out: W,
    offset: u64,
    gzip: GzipMembers,
}

/// The gzip level of [`WarcWriter::new`]: zlib's default, what Common Crawl's files use.
/// libdeflate at this level writes files about 1% smaller than zlib's, with 15–20% less CPU.
pub const DEFAULT_GZIP_LEVEL: u32 = 6;

impl<W: Write> WarcWriter<W> {
    pub fn new(out: W) -> Self {
        Self::starting_at(out, 0)
    }

    /// A writer whose output already holds `offset` bytes (appending to an existing file), so
    /// that offsets count from the start of the file.
    pub fn starting_at(out: W, offset: u64) -> Self {
        WarcWriter {
            out,
            offset,
            gzip: GzipMembers::new(DEFAULT_GZIP_LEVEL),
        }
    }

    /// Compresses members at gzip `level` (0–9; above 9 counts as 9). Level 1 costs about
    /// half the CPU of level 6 for files about 10% larger on the extraction benchmark's
    /// pages (3% on the crawler benchmark's small ones).
    pub fn with_gzip_level(mut self, level: u32) -> Self {
        self.gzip = GzipMembers::new(level.min(9));
        self
    }

    /// Offset at which the next record will start.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    pub fn get_ref(&self) -> &W {
        &self.out
    }

    pub fn into_inner(self) -> W {
        self.out
    }

    /// Writes one record. `WARC-Record-ID`, `WARC-Date`, `Content-Type`, `Content-Length` and
    /// (unless given in `extra_fields`) `WARC-Block-Digest` are filled in. Field names must be
    /// tokens and values single lines, else the record is refused with `InvalidInput`.
    pub fn write_record(
        &mut self,
        warc_type: &str,
        target_uri: Option<&str>,
        date: DateTime<Utc>,
        content_type: &str,
        extra_fields: &[(&str, &str)],
        block: &[u8],
    ) -> io::Result<WrittenRecord> {
        let date = date.to_rfc3339_opts(SecondsFormat::AutoSi, true);
        let block_digest = sha1_base32(block);
        let record_id = self.record_id(
            warc_type,
            target_uri,
            &date,
            content_type,
            extra_fields,
            &block_digest,
        );
        let mut fields: Vec<(&str, &str)> = vec![
            ("WARC-Type", warc_type),
            ("WARC-Record-ID", record_id.as_str()),
            ("WARC-Date", date.as_str()),
        ];
        if let Some(uri) = target_uri {
            fields.push(("WARC-Target-URI", uri));
        }
        fields.extend_from_slice(extra_fields);
        if !extra_fields
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case("WARC-Block-Digest"))
        {
            fields.push(("WARC-Block-Digest", block_digest.as_str()));
        }
        fields.push(("Content-Type", content_type));
        let length = block.len().to_string();
        fields.push(("Content-Length", length.as_str()));
        let head = header_block(&fields)?;

        let member = self
            .gzip
            .member(&[b"WARC/1.1\r\n", &head, block, b"\r\n\r\n"])?;
        self.out.write_all(member)?;
        let written = WrittenRecord {
            record_id,
            offset: self.offset,
            length: member.len() as u64,
        };
        self.offset += member.len() as u64;
        Ok(written)
    }

    /// Writes a `warcinfo` record whose block lists `fields` (`software`, `isPartOf`, …).
    /// The date is a parameter, not the clock, so that output stays reproducible.
    pub fn write_warcinfo(
        &mut self,
        date: DateTime<Utc>,
        fields: &[(&str, &str)],
    ) -> io::Result<WrittenRecord> {
        let block = header_block(fields)?;
        self.write_record(
            "warcinfo",
            None,
            date,
            "application/warc-fields",
            &[],
            &block,
        )
    }

    /// Writes a `response` record for an HTTP exchange whose body was already decoded (as HTTP
    /// clients hand it over). Headers that no longer describe the stored body
    /// (`Transfer-Encoding`, `Content-Encoding`, a wrong `Content-Length`) are kept under an
    /// `X-Crawler-` prefix, as Common Crawl does, so a reader does not try to decode it again.
    /// Adds `WARC-Payload-Digest` and `WARC-Block-Digest` (`sha1:` + base32).
    pub fn write_response(
        &mut self,
        url: &str,
        date: DateTime<Utc>,
        status: u16,
        headers: &[(String, String)],
        body: &[u8],
    ) -> io::Result<WrittenRecord> {
        let mut block = http_head(status, headers, body.len())?;
        block.extend_from_slice(body);
        let payload_digest = sha1_base32(body);
        let extra = [("WARC-Payload-Digest", payload_digest.as_str())];
        self.write_record(
            "response",
            Some(url),
            date,
            "application/http; msgtype=response",
            &extra,
            &block,
        )
    }

    /// A UUID (version 5 layout) from a SHA-1 of everything the record says and where it goes.
    /// The block enters through its digest, so that a large body is not hashed a third time.
    fn record_id(
        &self,
        warc_type: &str,
        target_uri: Option<&str>,
        date: &str,
        content_type: &str,
        extra_fields: &[(&str, &str)],
        block_digest: &str,
    ) -> String {
        let mut h = Sha1::new();
        h.update(self.offset.to_le_bytes());
        for part in [warc_type, target_uri.unwrap_or(""), date, content_type] {
            h.update(part.as_bytes());
            h.update([0]);
        }
        for (name, value) in extra_fields {
            h.update(name.as_bytes());
            h.update([0]);
            h.update(value.as_bytes());
            h.update([0]);
        }
        h.update(block_digest.as_bytes());
        let d = h.finalize();
        let mut b = [0u8; 16];
        b.copy_from_slice(&d[..16]);
        b[6] = (b[6] & 0x0f) | 0x50;
        b[8] = (b[8] & 0x3f) | 0x80;
        let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
        format!(
            "<urn:uuid:{}-{}-{}-{}-{}>",
            &hex[0..8],
            &hex[8..12],
            &hex[12..16],
            &hex[16..20],
            &hex[20..32]
        )
    }
}

/// Gzip members (RFC 1952) made by libdeflate, which compresses a whole buffer at once with
/// 15-20% less CPU than zlib-rs at the same level, into slightly smaller members; a WARC record
/// is always whole in memory, so zlib's streaming buys nothing here. The compressor and both
/// buffers are reused: a fresh state per record cost more than compressing a small page
/// (scripts/bench_crawl.sh).
struct GzipMembers {
    compressor: libdeflater::Compressor,
    input: Vec<u8>,
    out: Vec<u8>,
}

impl GzipMembers {
    fn new(level: u32) -> Self {
        let level = libdeflater::CompressionLvl::new(level.min(9) as i32)
            .expect("levels 0 to 9 are libdeflate levels");
        GzipMembers {
            compressor: libdeflater::Compressor::new(level),
            input: Vec::new(),
            out: Vec::new(),
        }
    }

    /// One member holding `parts` in order; borrowed until the next call. Its header has no
    /// name and no time, so output is reproducible.
    fn member(&mut self, parts: &[&[u8]]) -> io::Result<&[u8]> {
        self.input.clear();
        for part in parts {
            self.input.extend_from_slice(part);
        }
        let bound = self.compressor.gzip_compress_bound(self.input.len());
        if self.out.len() < bound {
            self.out.resize(bound, 0);
        }
        let n = self
            .compressor
            .gzip_compress(&self.input, &mut self.out)
            .map_err(|e| io::Error::other(format!("gzip: {e:?}")))?;
        Ok(&self.out[..n])
    }
}

/// `sha1:` and the base32 SHA-1 of `data`, the digest form Common Crawl and Heritrix write.
pub(crate) fn sha1_base32(data: &[u8]) -> String {
    format!("sha1:{}", data_encoding::BASE32.encode(&Sha1::digest(data)))
}

/// `Name: value` lines and the blank line after them.
fn header_block(fields: &[(&str, &str)]) -> io::Result<Vec<u8>> {
    let mut out = Vec::new();
    for (name, value) in fields {
        check_field(name, value)?;
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"\r\n");
    Ok(out)
}

fn check_field(name: &str, value: &str) -> io::Result<()> {
    let name_ok = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_graphic() && !b"()<>@,;:\\\"/[]?={}".contains(&b));
    if !name_ok {
        return Err(invalid(format!("invalid header field name {name:?}")));
    }
    if value.contains(['\r', '\n']) {
        return Err(invalid(format!(
            "header field {name} has a line break in its value"
        )));
    }
    Ok(())
}

fn invalid(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, message)
}

/// The HTTP/1.1 head stored before a decoded body.
fn http_head(status: u16, headers: &[(String, String)], body_len: usize) -> io::Result<Vec<u8>> {
    let mut fields: Vec<(String, String)> = Vec::with_capacity(headers.len() + 1);
    let mut length_ok = false;
    for (name, value) in headers {
        let lower = name.to_ascii_lowercase();
        let stale = match lower.as_str() {
            "transfer-encoding" | "content-encoding" => true,
            "content-length" if value.trim() == body_len.to_string() && !length_ok => {
                length_ok = true;
                false
            }
            "content-length" => true,
            _ => false,
        };
        let name = if stale {
            format!("X-Crawler-{name}")
        } else {
            name.clone()
        };
        fields.push((name, value.clone()));
    }
    if !length_ok {
        fields.push(("Content-Length".to_string(), body_len.to_string()));
    }
    let mut out = format!("HTTP/1.1 {status} {}\r\n", reason_phrase(status)).into_bytes();
    let borrowed: Vec<(&str, &str)> = fields
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    out.extend_from_slice(&header_block(&borrowed)?);
    Ok(out)
}

fn reason_phrase(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        204 => "No Content",
        206 => "Partial Content",
        301 => "Moved Permanently",
        302 => "Found",
        303 => "See Other",
        304 => "Not Modified",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        410 => "Gone",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "",
    }
}
