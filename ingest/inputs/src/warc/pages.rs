//! From WARC records to [`InputItem`]s: which records hold a page, and why the others do not.
//!
//! A page is a `response` with HTTP status 200 and an HTML or plain-text payload, a `resource`
//! of those types, or a WET `conversion` record (text already extracted). Every other record
//! leaves a ledger row with its reason and the file and offset to find it again, so a corpus
//! can account for every record of its inputs.

use super::read::{open, WarcReader};
use super::{strip_uri_brackets, WarcError, WarcRecord};
use crate::archive::SiteFile;
use crate::http::{self, media_type, HttpHead};
use assent_schemas::media::MediaKind;
use assent_schemas::page::{InputItem, Page, Payload};
use assent_schemas::{canonical_url, doc_id, LedgerRow, ReasonCode, Source, SourceKind, Stage};
use chrono::{DateTime, Utc};
use serde_json::{json, Map, Value};
use std::io::{self, BufRead};
use std::path::Path;

/// Reads a WARC file as pages and ledger rows, one record at a time. `display_name` is the
/// file as the user named it; it goes into every item's source and evidence.
pub fn read_pages(
    path: &Path,
    display_name: &str,
) -> io::Result<impl Iterator<Item = InputItem> + Send> {
    Ok(pages(open(path)?, display_name))
}

/// [`read_pages`] over any reader.
pub fn pages<R: BufRead>(
    reader: WarcReader<R>,
    display_name: &str,
) -> impl Iterator<Item = InputItem> {
    let file = display_name.to_string();
    reader.map(move |item| match item {
        Ok(record) => record_item(record, &file),
        Err(error) => error_item(&error, &file),
    })
}

/// The item for one record.
pub fn record_item(record: WarcRecord, file: &str) -> InputItem {
    let ctx = Context::of_record(&record, file);
    let warc_type = record.warc_type().map(str::to_ascii_lowercase);
    match warc_type.as_deref() {
        Some("response") => response_item(record, &ctx),
        Some("resource") => resource_item(record, &ctx),
        Some("conversion") => conversion_item(record, &ctx),
        other => ctx.skip(ReasonCode::InputNotContent, json!({ "warc_type": other })),
    }
}

/// The ledger row for a record that could not be read.
pub fn error_item(error: &WarcError, file: &str) -> InputItem {
    let ctx = Context {
        file,
        offset: error.offset,
        record_id: error.record_id.clone(),
        target: error
            .target_uri
            .as_deref()
            .map(strip_uri_brackets)
            .filter(|t| !t.is_empty())
            .map(str::to_string),
        fetched_at: None,
    };
    ctx.skip(
        ReasonCode::InputMalformed,
        json!({ "error": error.message }),
    )
}

/// What every item of one record shares: where it came from.
struct Context<'a> {
    file: &'a str,
    offset: u64,
    record_id: Option<String>,
    target: Option<String>,
    fetched_at: Option<DateTime<Utc>>,
}

impl<'a> Context<'a> {
    fn of_record(record: &WarcRecord, file: &'a str) -> Self {
        Context {
            file,
            offset: record.offset,
            record_id: record.record_id().map(str::to_string),
            target: record.target_uri().map(str::to_string),
            fetched_at: record.date(),
        }
    }

    fn source(&self) -> Source {
        Source {
            kind: SourceKind::Warc,
            file: Some(self.file.to_string()),
            record_id: self.record_id.clone(),
            offset: Some(self.offset),
        }
    }

    /// A ledger row; `extra` (a JSON object) is added to the file and offset evidence.
    fn skip(&self, reason: ReasonCode, extra: Value) -> InputItem {
        let mut evidence = Map::new();
        evidence.insert("file".into(), json!(self.file));
        evidence.insert("offset".into(), json!(self.offset));
        if let Value::Object(more) = extra {
            evidence.extend(more);
        }
        let url = self.target.as_deref().map(canonical_url);
        let id = url
            .as_deref()
            .zip(self.record_id.as_deref())
            .map(|(u, r)| doc_id(u, r));
        let row = LedgerRow::left(
            url,
            id,
            self.source(),
            Stage::Input,
            reason,
            Value::Object(evidence),
        );
        InputItem::Skipped(row)
    }

    fn page(
        &self,
        payload: Payload,
        http_status: Option<u16>,
        content_type: Option<String>,
        headers: Vec<(String, String)>,
    ) -> InputItem {
        InputItem::Page(Page {
            url: self.target.clone().unwrap_or_default(),
            source: self.source(),
            fetched_at: self.fetched_at,
            http_status,
            content_type,
            headers,
            payload,
            consent: None,
            licence: None,
            carried_consent: None,
        })
    }
}

/// Whether a body with no declared type is HTML: after a BOM and whitespace it opens with
/// `<!doctype html` or `<html`.
fn sniffs_as_html(body: &[u8]) -> bool {
    let body = body.strip_prefix(b"\xef\xbb\xbf").unwrap_or(body);
    let start = body
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(body.len());
    let head = &body[start..body.len().min(start + 14)];
    let starts = |p: &[u8]| head.len() >= p.len() && head[..p.len()].eq_ignore_ascii_case(p);
    starts(b"<!doctype html") || starts(b"<html")
}

fn payload_of(kind: MediaKind, body: Vec<u8>) -> Option<Payload> {
    match kind {
        MediaKind::Html => Some(Payload::Html(body)),
        MediaKind::Plain => Some(Payload::PlainText(body)),
        MediaKind::Other => None,
    }
}

/// A parameter of a `Content-Type` value, lower-cased and unquoted.
fn media_parameter(content_type: &str, name: &str) -> Option<String> {
    assent_schemas::media::parameter(content_type, name).map(str::to_ascii_lowercase)
}

fn response_item(record: WarcRecord, ctx: &Context) -> InputItem {
    // robots.txt, ai.txt and tdmrep.json are read by consent (crate::archive), not curated.
    if let Some(file) = ctx.target.as_deref().and_then(SiteFile::of_url) {
        return ctx.skip(
            ReasonCode::InputNotContent,
            json!({ "warc_type": "response", "site_file": file.path() }),
        );
    }
    let content_type = record.content_type().unwrap_or("");
    if media_type(content_type) == "application/http" {
        return match media_parameter(content_type, "msgtype") {
            Some(m) if m != "response" => ctx.skip(
                ReasonCode::InputNotContent,
                json!({ "warc_type": "response", "msgtype": m }),
            ),
            _ => http_item(record, ctx),
        };
    }
    // No or another Content-Type: HTTP if it looks like it, else a typed resource.
    if record.block.starts_with(b"HTTP/") {
        http_item(record, ctx)
    } else {
        resource_item(record, ctx)
    }
}

fn http_item(record: WarcRecord, ctx: &Context) -> InputItem {
    let head = match http::parse_head(&record.block) {
        Ok(head) => head,
        Err(e) => {
            return ctx.skip(
                ReasonCode::InputMalformed,
                json!({ "error": e.to_string() }),
            )
        }
    };
    if head.status != 200 {
        return ctx.skip(
            ReasonCode::InputHttpStatus,
            json!({ "status": head.status }),
        );
    }
    let declared = http::header(&head.headers, "content-type")
        .filter(|v| !v.trim().is_empty())
        .or_else(|| record.identified_payload_type())
        .map(str::to_string);
    let declared_kind = declared.as_deref().map(assent_schemas::media::kind);
    if declared_kind == Some(MediaKind::Other) {
        return ctx.skip(
            ReasonCode::InputUnsupportedType,
            json!({ "content_type": declared }),
        );
    }
    let body = match decode(&record, &head) {
        Ok(body) => body,
        Err(e) => {
            let reason = if e.is_unsupported_encoding() {
                ReasonCode::InputUndecodable
            } else {
                ReasonCode::InputMalformed
            };
            return ctx.skip(reason, json!({ "error": e.to_string() }));
        }
    };
    let kind = declared_kind.unwrap_or(if sniffs_as_html(&body) {
        MediaKind::Html
    } else {
        MediaKind::Other
    });
    match payload_of(kind, body) {
        Some(payload) => ctx.page(payload, Some(head.status), declared, head.headers),
        None => ctx.skip(
            ReasonCode::InputUnsupportedType,
            json!({ "content_type": null }),
        ),
    }
}

fn decode(record: &WarcRecord, head: &HttpHead) -> Result<Vec<u8>, http::HttpError> {
    http::decode_body(&head.headers, &record.block[head.body_start..])
}

/// URI schemes of records that describe the archiving, not the web (wget's `metadata://`
/// log and manifest, `dns:` lookups).
const ARCHIVER_SCHEMES: [&str; 2] = ["metadata:", "dns:"];

fn resource_item(record: WarcRecord, ctx: &Context) -> InputItem {
    let target = ctx.target.as_deref().unwrap_or("").to_ascii_lowercase();
    if let Some(scheme) = ARCHIVER_SCHEMES.iter().find(|s| target.starts_with(**s)) {
        let evidence =
            json!({ "warc_type": record.warc_type(), "scheme": scheme.trim_end_matches(':') });
        return ctx.skip(ReasonCode::InputNotContent, evidence);
    }
    let declared = record.content_type().map(str::to_string);
    let kind = match declared.as_deref() {
        Some(ct) => assent_schemas::media::kind(ct),
        None if sniffs_as_html(&record.block) => MediaKind::Html,
        None => MediaKind::Other,
    };
    match payload_of(kind, record.block) {
        Some(payload) => ctx.page(payload, None, declared, Vec::new()),
        None => ctx.skip(
            ReasonCode::InputUnsupportedType,
            json!({ "content_type": declared }),
        ),
    }
}

fn conversion_item(record: WarcRecord, ctx: &Context) -> InputItem {
    let text = String::from_utf8_lossy(&record.block).into_owned();
    let content_type = record.content_type().map(str::to_string);
    ctx.page(Payload::Text(text), None, content_type, Vec::new())
}
