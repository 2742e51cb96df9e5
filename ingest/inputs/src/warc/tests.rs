//! Tests of reading, writing and page conversion: on the shared sample archives (facts checked
//! by hand against the files), on archives damaged on purpose, and on archives written here.

use super::write::sha1_base32;
use super::*;
use assent_schemas::page::{InputItem, Page, Payload};
use assent_schemas::{canonical_url, doc_id, host_of, LedgerRow, ReasonCode, SourceKind};
use chrono::TimeZone;
use std::collections::{BTreeSet, VecDeque};
use std::io::{self, BufReader, Cursor, Read, Write};
use std::path::{Path, PathBuf};

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data/warc");

fn sample(name: &str) -> PathBuf {
    Path::new(DATA).join(name)
}

fn records(path: &Path) -> Vec<Result<WarcRecord, WarcError>> {
    open(path).unwrap().collect()
}

fn items(path: &Path) -> Vec<InputItem> {
    read_pages(path, "sample.warc").unwrap().collect()
}

fn pages_of(items: &[InputItem]) -> Vec<&Page> {
    items
        .iter()
        .filter_map(|i| match i {
            InputItem::Page(p) => Some(p),
            InputItem::Skipped(_) | InputItem::RefusedPage { .. } | InputItem::Document(_) => None,
        })
        .collect()
}

fn skipped(items: &[InputItem], reason: ReasonCode) -> Vec<&LedgerRow> {
    items
        .iter()
        .filter_map(|i| match i {
            InputItem::Skipped(r) if r.reasons == [reason] => Some(r),
            _ => None,
        })
        .collect()
}

fn evidence(row: &LedgerRow) -> serde_json::Value {
    serde_json::from_str(&row.evidence).unwrap()
}

fn html(page: &Page) -> &[u8] {
    match &page.payload {
        Payload::Html(body) => body,
        other => panic!("expected HTML, got {other:?}"),
    }
}

fn utc(s: &str) -> chrono::DateTime<chrono::Utc> {
    parse_warc_date(s).unwrap()
}

// ---------------------------------------------------------------- the shared samples

/// (file, pages, not-content, malformed, other skips) as found by reading each file by hand.
const EXPECTED: &[(&str, usize, usize, usize, usize)] = &[
    ("warcio/example-bad-non-chunked.warc.gz", 1, 5, 0, 0),
    ("warcio/example-digest.warc", 0, 4, 0, 0),
    ("warcio/example-iana.org-chunked.warc", 1, 2, 0, 0),
    ("warcio/example-resource.warc.gz", 1, 2, 0, 0),
    ("warcio/example-space-in-target-uri.warc.gz", 0, 1, 0, 1),
    ("warcio/example-trunc.warc", 0, 3, 1, 0),
    ("warcio/example-wget-bad-target-uri.warc.gz", 1, 5, 0, 0),
    ("warcio/example-wrong-chunks.warc.gz", 1, 1, 0, 0),
    ("warcio/example.warc.gz", 1, 5, 0, 0),
    ("resiliparse/block-sized-records.warc.gz", 0, 3, 0, 0),
    ("resiliparse/clipped.warc.gz", 0, 0, 1, 0),
    ("resiliparse/clueweb-quirk.warc.gz", 29, 1, 0, 0),
    ("resiliparse/warcfile.warc.gz", 16, 34, 0, 0),
    ("whirlwind/whirlwind.warc.gz", 1, 3, 0, 0),
    ("whirlwind/whirlwind.warc.wat.gz", 0, 2, 0, 0),
    ("whirlwind/whirlwind.warc.wet.gz", 1, 1, 0, 0),
];

fn all_samples() -> Vec<PathBuf> {
    let mut files = Vec::new();
    for dir in std::fs::read_dir(DATA).unwrap() {
        for file in std::fs::read_dir(dir.unwrap().path()).unwrap() {
            let path = file.unwrap().path();
            if !path
                .file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("LICENSE")
            {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

#[test]
fn every_sample_reads_to_its_end_with_the_expected_counts() {
    let files = all_samples();
    assert!(files.len() >= EXPECTED.len(), "samples missing: {files:?}");
    for path in files {
        let all = items(&path);
        let rel = path
            .strip_prefix(DATA)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        for item in &all {
            let source = match item {
                InputItem::Page(p) => &p.source,
                InputItem::Skipped(r) => {
                    let ev = evidence(r);
                    assert_eq!(ev["file"], "sample.warc", "{rel}");
                    assert_eq!(ev["offset"].as_u64(), r.source.offset, "{rel}");
                    &r.source
                }
                InputItem::Document(_) | InputItem::RefusedPage { .. } => {
                    panic!("a WARC yields pages and rows only")
                }
            };
            assert_eq!(source.kind, SourceKind::Warc);
            assert_eq!(source.file.as_deref(), Some("sample.warc"));
            assert!(source.offset.is_some());
        }
        let Some(&(_, pages, not_content, malformed, other)) = EXPECTED.iter().find(|e| e.0 == rel)
        else {
            continue;
        };
        let counts = (
            pages_of(&all).len(),
            skipped(&all, ReasonCode::InputNotContent).len(),
            skipped(&all, ReasonCode::InputMalformed).len(),
        );
        assert_eq!(counts, (pages, not_content, malformed), "{rel}");
        assert_eq!(all.len(), pages + not_content + malformed + other, "{rel}");
    }
}

#[test]
fn whirlwind_has_one_html_page_at_its_member_offset() {
    let all = items(&sample("whirlwind/whirlwind.warc.gz"));
    let pages = pages_of(&all);
    assert_eq!(pages.len(), 1);
    let page = pages[0];
    assert_eq!(page.url, "https://an.wikipedia.org/wiki/Escopete");
    assert_eq!(page.source.offset, Some(1023));
    assert_eq!(
        page.source.record_id.as_deref(),
        Some("<urn:uuid:2aabeff2-67f5-4608-8466-e87c6296e2b6>")
    );
    assert_eq!(page.fetched_at, Some(utc("2024-05-18T01:58:10Z")));
    assert_eq!(page.http_status, Some(200));
    assert_eq!(
        page.content_type.as_deref(),
        Some("text/html; charset=UTF-8")
    );
    assert_eq!(
        crate::http::header(&page.headers, "x-crawler-content-encoding"),
        Some("gzip")
    );
    let body = html(page);
    assert!(body.starts_with(b"<!DOCTYPE html>"), "{:?}", &body[..40]);
    assert!(String::from_utf8_lossy(body).contains("Escopete"));
}

#[test]
fn whirlwind_digests_match_the_blocks_read() {
    // Checks the digest function and that the reader returns the block byte for byte.
    let recs = records(&sample("whirlwind/whirlwind.warc.gz"));
    let response = recs
        .iter()
        .flatten()
        .find(|r| r.warc_type() == Some("response"))
        .unwrap();
    assert_eq!(
        response.field("WARC-Block-Digest"),
        Some(sha1_base32(&response.block).as_str())
    );
    let head = crate::http::parse_head(&response.block).unwrap();
    assert_eq!(
        response.payload_digest(),
        Some(sha1_base32(&response.block[head.body_start..]).as_str())
    );
    for rec in recs.iter().flatten() {
        if let Some(d) = rec.field("WARC-Block-Digest") {
            assert_eq!(d, sha1_base32(&rec.block), "{:?}", rec.warc_type());
        }
    }
}

#[test]
fn wet_conversion_becomes_text() {
    let all = items(&sample("whirlwind/whirlwind.warc.wet.gz"));
    let pages = pages_of(&all);
    assert_eq!(pages.len(), 1);
    let Payload::Text(text) = &pages[0].payload else {
        panic!("expected text, got {:?}", pages[0].payload);
    };
    assert!(text.starts_with("Escopete - Biquipedia, a enciclopedia libre"));
    assert_eq!(text.len(), 4456);
    assert_eq!(pages[0].content_type.as_deref(), Some("text/plain"));
    assert_eq!(pages[0].http_status, None);
    assert_eq!(pages[0].source.offset, Some(466));
}

#[test]
fn wat_metadata_is_not_content() {
    let all = items(&sample("whirlwind/whirlwind.warc.wat.gz"));
    let rows = skipped(&all, ReasonCode::InputNotContent);
    let types: Vec<_> = rows
        .iter()
        .map(|r| evidence(r)["warc_type"].clone())
        .collect();
    assert_eq!(
        types,
        vec![serde_json::json!("warcinfo"), serde_json::json!("metadata")]
    );
    // The metadata record has a target and an id: the row names both.
    let meta = rows[1];
    let url = canonical_url("https://an.wikipedia.org/wiki/Escopete");
    assert_eq!(meta.url.as_deref(), Some(url.as_str()));
    let id = meta.source.record_id.as_deref().unwrap();
    assert_eq!(meta.doc_id, Some(doc_id(&url, id)));
    assert_eq!(rows[0].url, None);
    assert_eq!(rows[0].doc_id, None);
}

#[test]
fn chunked_iana_page_is_dechunked() {
    let all = items(&sample("warcio/example-iana.org-chunked.warc"));
    let body = html(pages_of(&all)[0]);
    assert!(body.starts_with(b"<!doctype html>"));
    assert!(
        body.ends_with(b"</html>\n"),
        "{:?}",
        String::from_utf8_lossy(&body[body.len() - 20..])
    );
    assert!(!body.windows(5).any(|w| w == b"\r\n0\r\n"));
    assert_eq!(body.len(), 0x1c37);
}

#[test]
fn wrong_chunks_record_spanning_gzip_members_is_read_whole() {
    // The response record is split over three gzip members; the request starts mid-member.
    let recs: Vec<_> = records(&sample("warcio/example-wrong-chunks.warc.gz"))
        .into_iter()
        .map(Result::unwrap)
        .collect();
    let offsets: Vec<u64> = recs.iter().map(|r| r.offset).collect();
    assert_eq!(offsets, vec![0, 2009]);
    assert_eq!(recs[0].block.len(), 1613);
    // The file's block digest is stale (it predates the re-cut); its payload digest holds.
    let head = crate::http::parse_head(&recs[0].block).unwrap();
    let payload = &recs[0].block[head.body_start..];
    assert_eq!(
        recs[0].payload_digest(),
        Some(sha1_base32(payload).as_str())
    );
    assert_ne!(
        recs[0].field("WARC-Block-Digest"),
        Some(sha1_base32(&recs[0].block).as_str())
    );
    let all = items(&sample("warcio/example-wrong-chunks.warc.gz"));
    let body = html(pages_of(&all)[0]);
    assert_eq!(body.len(), 1270);
    assert!(body.starts_with(b"<!doctype html>") && body.ends_with(b"</html>\n"));
}

#[test]
fn gzip_compressed_http_bodies_are_decoded() {
    for file in [
        "warcio/example.warc.gz",
        "warcio/example-bad-non-chunked.warc.gz",
    ] {
        let all = items(&sample(file));
        let page = pages_of(&all)[0];
        assert_eq!(
            crate::http::header(&page.headers, "content-encoding"),
            Some("gzip")
        );
        let body = html(page);
        assert!(
            String::from_utf8_lossy(body).contains("<title>Example Domain</title>"),
            "{file}"
        );
    }
}

#[test]
fn whole_file_gzip_uses_uncompressed_offsets() {
    // example-bad-non-chunked is one gzip member holding six records.
    let offsets: Vec<u64> = records(&sample("warcio/example-bad-non-chunked.warc.gz"))
        .into_iter()
        .map(|r| r.unwrap().offset)
        .collect();
    assert_eq!(offsets, vec![0, 488, 1197, 2566, 3370, 4316]);
}

#[test]
fn trunc_sample_reports_its_short_content_length_and_goes_on() {
    let all = items(&sample("warcio/example-trunc.warc"));
    let bad = skipped(&all, ReasonCode::InputMalformed);
    assert_eq!(bad.len(), 1);
    assert_eq!(bad[0].source.offset, Some(1197));
    assert_eq!(
        bad[0].source.record_id.as_deref(),
        Some("<urn:uuid:a9c51e3e-0221-11e7-bf66-0242ac120005>")
    );
    assert_eq!(bad[0].url.as_deref(), Some("http://example.com/"));
    assert!(bad[0].doc_id.is_some());
    assert!(evidence(bad[0])["error"]
        .as_str()
        .unwrap()
        .contains("Content-Length 973"));
    // The request after it is read.
    let last = skipped(&all, ReasonCode::InputNotContent).pop().unwrap();
    assert_eq!(last.source.offset, Some(2566));
}

#[test]
fn clipped_gzip_is_one_malformed_record() {
    let all = items(&sample("resiliparse/clipped.warc.gz"));
    assert_eq!(all.len(), 1);
    let row = skipped(&all, ReasonCode::InputMalformed)[0];
    assert_eq!(row.source.offset, Some(0));
    assert_eq!(
        row.source.record_id.as_deref(),
        Some("<urn:uuid:f3dfa8fa-f031-4a38-90cc-1dcee3d07bb5>")
    );
    assert!(row
        .url
        .as_deref()
        .unwrap()
        .starts_with("http://www.houstonpress.com/music/"));
    assert!(evidence(row)["error"].as_str().unwrap().contains("gzip"));
}

#[test]
fn clueweb09_records_are_read_despite_their_quirks() {
    // WARC/0.18, impossible dates, LF-only HTTP heads, and bodies stored decoded under a
    // `Content-Encoding: gzip` header.
    let recs = records(&sample("resiliparse/clueweb-quirk.warc.gz"));
    assert_eq!(recs.len(), 30);
    assert!(recs.iter().all(|r| r.as_ref().unwrap().version == "0.18"));
    let all = items(&sample("resiliparse/clueweb-quirk.warc.gz"));
    let pages = pages_of(&all);
    assert_eq!(pages.len(), 29);
    for page in pages {
        assert_eq!(page.fetched_at, None);
        assert_eq!(
            page.content_type.as_deref(),
            Some("text/html; charset=EUC-JP")
        );
        assert!(html(page).starts_with(b"<html>"), "{}", page.url);
        assert_eq!(host_of(&page.url), "www.uraharajuku.st");
    }
}

#[test]
fn warcfile_has_sixteen_pages_from_fifteen_hosts() {
    let all = items(&sample("resiliparse/warcfile.warc.gz"));
    let pages = pages_of(&all);
    assert_eq!(pages.len(), 16);
    assert!(pages
        .iter()
        .all(|p| matches!(p.payload, Payload::Html(_)) && p.http_status == Some(200)));
    let hosts: BTreeSet<String> = pages.iter().map(|p| host_of(&p.url)).collect();
    // 06.live-radsport.ch has two pages.
    assert_eq!(hosts.len(), 15);
    assert_eq!(pages[0].source.offset, Some(940));
    assert_eq!(pages[0].url, "http://003338.cn/l41/481397.html");
}

#[test]
fn space_in_target_uri_is_kept_and_canonicalised() {
    let recs = records(&sample("warcio/example-space-in-target-uri.warc.gz"));
    let resource = recs[1].as_ref().unwrap();
    assert_eq!(
        resource.target_uri(),
        Some("file:///example with spaces.png")
    );
    let all = items(&sample("warcio/example-space-in-target-uri.warc.gz"));
    let row = skipped(&all, ReasonCode::InputUnsupportedType)[0];
    assert_eq!(
        row.url.as_deref(),
        Some("file:///example%20with%20spaces.png")
    );
    assert_eq!(evidence(row)["content_type"], "image/png");
}

#[test]
fn wget_bracketed_uris_are_unbracketed_and_its_metadata_skipped() {
    let all = items(&sample("warcio/example-wget-bad-target-uri.warc.gz"));
    let pages = pages_of(&all);
    assert_eq!(pages.len(), 1);
    assert_eq!(pages[0].url, "http://example.com/");
    let not_content = skipped(&all, ReasonCode::InputNotContent);
    let schemes = not_content
        .iter()
        .filter(|r| evidence(r)["scheme"] == "metadata")
        .count();
    assert_eq!(
        schemes, 2,
        "wget's log and arguments are resources of the metadata: scheme"
    );
}

#[test]
fn resource_record_is_a_page_without_http_status() {
    let all = items(&sample("warcio/example-resource.warc.gz"));
    let page = pages_of(&all)[0];
    assert_eq!(page.http_status, None);
    assert!(page.headers.is_empty());
    assert_eq!(
        page.content_type.as_deref(),
        Some("text/html; charset=utf-8")
    );
    assert_eq!(page.source.offset, Some(802));
    assert_eq!(html(page).len(), 1303);
}

#[test]
fn block_sized_records_are_read_exactly() {
    let recs: Vec<_> = records(&sample("resiliparse/block-sized-records.warc.gz"))
        .into_iter()
        .map(Result::unwrap)
        .collect();
    assert_eq!(
        recs.iter().map(|r| r.offset).collect::<Vec<_>>(),
        vec![0, 204, 409]
    );
    for (rec, fill) in recs.iter().zip([b'a', b'b', b'c']) {
        assert_eq!(rec.block.len(), 16229);
        assert!(rec.block.iter().all(|&b| b == fill));
        assert_eq!(rec.date(), Some(utc("2021-10-01T18:51:25Z")));
    }
}

#[test]
fn reading_from_a_member_offset_yields_that_record() {
    // What a Common Crawl index lookup does: start decoding at the record's offset.
    let path = sample("resiliparse/warcfile.warc.gz");
    let bytes = std::fs::read(&path).unwrap();
    for rec in records(&path).into_iter().map(Result::unwrap) {
        let alone = WarcReader::new(&bytes[rec.offset as usize..])
            .next()
            .unwrap()
            .unwrap();
        assert_eq!(alone.fields, rec.fields);
        assert_eq!(alone.block, rec.block);
    }
}

#[test]
fn tiny_input_buffers_give_the_same_records() {
    // Gzip magic and member ends split across buffer fills must not matter.
    for file in [
        "warcio/example.warc.gz",
        "warcio/example-wrong-chunks.warc.gz",
        "warcio/example-iana.org-chunked.warc",
    ] {
        let bytes = std::fs::read(sample(file)).unwrap();
        let expected: Vec<_> = WarcReader::new(&bytes[..]).collect();
        for capacity in [1, 2, 3, 7, 100] {
            let got: Vec<_> =
                WarcReader::new(BufReader::with_capacity(capacity, &bytes[..])).collect();
            assert_eq!(got, expected, "{file} with a {capacity}-byte buffer");
        }
    }
}

// ---------------------------------------------------------------- damaged input, made here

fn plain_record(warc_type: &str, uri: &str, body: &str) -> Vec<u8> {
    format!(
        "WARC/1.1\r\nWARC-Type: {warc_type}\r\nWARC-Target-URI: {uri}\r\nWARC-Record-ID: <urn:uuid:{uri}>\r\n\
         Content-Type: text/html\r\nContent-Length: {}\r\n\r\n{body}\r\n\r\n",
        body.len()
    )
    .into_bytes()
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(data).unwrap();
    enc.finish().unwrap()
}

fn read_all(bytes: &[u8]) -> Vec<Result<WarcRecord, WarcError>> {
    WarcReader::new(bytes).collect()
}

fn uri_or_error(r: &Result<WarcRecord, WarcError>) -> String {
    match r {
        Ok(rec) => rec.target_uri().unwrap_or("?").to_string(),
        Err(e) => format!("error@{}", e.offset),
    }
}

#[test]
fn garbage_between_plain_records_is_reported_at_its_offset() {
    let first = plain_record("resource", "http://a.example/", "<html>a</html>");
    let garbage = b"this is not a WARC record\r\nnor is this WARC/1.0 line\r\n".to_vec();
    let second = plain_record("resource", "http://b.example/", "<html>b</html>");
    let file = [first.clone(), garbage.clone(), second].concat();
    let got = read_all(&file);
    let shape: Vec<String> = got.iter().map(uri_or_error).collect();
    assert_eq!(
        shape,
        vec![
            "http://a.example/".to_string(),
            format!("error@{}", first.len()),
            "http://b.example/".into()
        ]
    );
    let Err(e) = &got[1] else { unreachable!() };
    assert!(e.message.contains("expected a WARC version line"), "{e}");
    assert_eq!(
        got[2].as_ref().unwrap().offset,
        (first.len() + garbage.len()) as u64
    );

    // Through read_pages: page, malformed row with the right offset, page.
    let items: Vec<InputItem> = pages(WarcReader::new(&file[..]), "hand.warc").collect();
    let bad = skipped(&items, ReasonCode::InputMalformed);
    assert_eq!(bad.len(), 1);
    assert_eq!(evidence(bad[0])["offset"], first.len() as u64);
    assert_eq!(evidence(bad[0])["file"], "hand.warc");
    assert_eq!(pages_of(&items).len(), 2);
}

#[test]
fn garbage_between_gzip_members_is_reported_at_its_compressed_offset() {
    let a = gzip(&plain_record(
        "resource",
        "http://a.example/",
        "<html>a</html>",
    ));
    let text_garbage = gzip(b"not a record at all\n");
    let raw_garbage = b"\x00\x01\x02 raw bytes between members".to_vec();
    let b = gzip(&plain_record(
        "resource",
        "http://b.example/",
        "<html>b</html>",
    ));
    let file = [
        a.clone(),
        text_garbage.clone(),
        raw_garbage.clone(),
        b.clone(),
    ]
    .concat();
    let got = read_all(&file);
    let shape: Vec<String> = got.iter().map(uri_or_error).collect();
    let garbage_at = a.len() + text_garbage.len();
    assert_eq!(
        shape,
        vec![
            "http://a.example/".to_string(),
            format!("error@{}", a.len()),
            format!("error@{garbage_at}"),
            "http://b.example/".into()
        ]
    );
    assert_eq!(
        got[3].as_ref().unwrap().offset,
        (garbage_at + raw_garbage.len()) as u64
    );
}

#[test]
fn broken_gzip_member_costs_one_record() {
    let a = gzip(&plain_record(
        "resource",
        "http://a.example/",
        "<html>a</html>",
    ));
    let mut broken = gzip(&plain_record(
        "resource",
        "http://broken.example/",
        &"x".repeat(5000),
    ));
    let n = broken.len();
    broken[20..n - 10].iter_mut().for_each(|b| *b ^= 0x5a);
    let c = gzip(&plain_record(
        "resource",
        "http://c.example/",
        "<html>c</html>",
    ));
    let file = [a.clone(), broken, c].concat();
    let shape: Vec<String> = read_all(&file).iter().map(uri_or_error).collect();
    assert_eq!(
        shape,
        vec![
            "http://a.example/".to_string(),
            format!("error@{}", a.len()),
            "http://c.example/".into()
        ]
    );
}

#[test]
fn malformed_headers_are_reported_and_skipped() {
    let good = plain_record("resource", "http://good.example/", "<html>ok</html>");
    let cases: [(&[u8], &str); 6] = [
        (
            b"WARC/1.1\r\nWARC-Type: resource\r\n\r\nbody\r\n\r\n",
            "no Content-Length",
        ),
        (
            b"WARC/1.1\r\nContent-Length: lots\r\n\r\nbody\r\n\r\n",
            "invalid Content-Length",
        ),
        (
            b"WARC/9.9\r\nContent-Length: 4\r\n\r\nbody\r\n\r\n",
            "unsupported WARC version",
        ),
        (
            b"WARC/1.0\r\nthis line has no colon\r\nContent-Length: 4\r\n\r\nbody\r\n\r\n",
            "malformed header line",
        ),
        (
            b"WARC/1.0\r\nContent-Length: 2\r\n\r\nbody\r\n\r\n",
            "not followed by CRLF CRLF",
        ),
        (
            b"WARC/1.0\r\nContent-Length: -4\r\n\r\nbody\r\n\r\n",
            "invalid Content-Length",
        ),
    ];
    for (bad, message) in cases {
        let file = [good.clone(), bad.to_vec(), good.clone()].concat();
        let got = read_all(&file);
        let shape: Vec<String> = got.iter().map(uri_or_error).collect();
        assert_eq!(
            shape,
            vec![
                "http://good.example/".to_string(),
                format!("error@{}", good.len()),
                "http://good.example/".into()
            ],
            "{message}"
        );
        let Err(e) = &got[1] else { unreachable!() };
        assert!(e.message.contains(message), "{message}: {e}");
        assert_eq!(
            got[2].as_ref().unwrap().offset,
            (good.len() + bad.len()) as u64,
            "{message}"
        );
    }
}

#[test]
fn truncated_files_end_with_one_error() {
    let good = plain_record("resource", "http://good.example/", "<html>ok</html>");
    let cut_block =
        b"WARC/1.0\r\nWARC-Record-ID: <urn:x>\r\nContent-Length: 100\r\n\r\nonly a little".to_vec();
    let cut_header = b"WARC/1.0\r\nContent-Length: 100\r\nWARC-Ty".to_vec();
    for (tail, message) in [
        (cut_block, "file ends inside the record block"),
        (cut_header, "file ends inside a record header"),
    ] {
        let file = [good.clone(), tail].concat();
        let got = read_all(&file);
        assert_eq!(got.len(), 2, "{message}");
        let Err(e) = &got[1] else {
            panic!("{message}: {:?}", got[1])
        };
        assert_eq!(e.offset, good.len() as u64);
        assert!(e.message.contains(message), "{e}");
        // And the same file gzipped whole, then cut inside the gzip data.
        let gz = gzip(&file);
        let got = read_all(&gz[..gz.len() - 12]);
        assert!(got.last().unwrap().is_err(), "{message}");
    }
}

#[test]
fn lenient_record_framing_is_accepted() {
    // LF-only header lines, folded field, blank lines between records, a lone LF after a block,
    // and no line ends at all at the end of the file.
    let file = b"WARC/1.0\nWARC-Type: resource\nWARC-Target-URI: <http://x.example/>\nX-Folded: one\n  two\n\
                 Content-Type: text/plain\nContent-Length: 3\n\nabc\n\n\r\n\r\n\
                 WARC/1.1\r\nWARC-Type: conversion\r\nContent-Length: 2\r\n\r\nhi"
        .to_vec();
    let got: Vec<WarcRecord> = read_all(&file).into_iter().map(Result::unwrap).collect();
    assert_eq!(got.len(), 2);
    assert_eq!(got[0].target_uri(), Some("http://x.example/"));
    assert_eq!(got[0].field("x-folded"), Some("one two"));
    assert_eq!(got[0].block, b"abc");
    assert_eq!(got[1].block, b"hi");
}

#[test]
fn empty_and_blank_inputs_have_no_records() {
    assert!(read_all(b"").is_empty());
    assert!(read_all(b"\r\n\r\n\n").is_empty());
    assert!(read_all(&gzip(b"")).is_empty());
    assert!(read_all(&[gzip(b""), gzip(b"\r\n")].concat()).is_empty());
    // One stray byte is an error, then the end.
    let got = read_all(b"x");
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].as_ref().unwrap_err().offset, 0);
}

#[test]
fn oversized_block_is_skipped_without_being_held() {
    let big = plain_record("resource", "http://big.example/", &"z".repeat(1000));
    let small = plain_record("resource", "http://small.example/", "<html>s</html>");
    let file = [small.clone(), big.clone(), small.clone()].concat();
    let got: Vec<_> = WarcReader::new(&file[..]).with_max_block(500).collect();
    let shape: Vec<String> = got.iter().map(uri_or_error).collect();
    assert_eq!(shape[1], format!("error@{}", small.len()));
    let Err(e) = &got[1] else { unreachable!() };
    assert!(e.message.contains("larger than the 500 byte limit"), "{e}");
    assert_eq!(e.target_uri.as_deref(), Some("http://big.example/"));
    assert_eq!(
        got[2].as_ref().unwrap().offset,
        (small.len() + big.len()) as u64
    );
}

/// A record whose Content-Length says `claimed` instead of its block's length.
fn lying_record(uri: &str, body: &str, claimed: u64) -> Vec<u8> {
    let honest = plain_record("resource", uri, body);
    let text = String::from_utf8(honest).unwrap();
    text.replace(
        &format!("Content-Length: {}\r\n", body.len()),
        &format!("Content-Length: {claimed}\r\n"),
    )
    .into_bytes()
}

/// The three forms a WARC file takes: plain, gzip per record, one gzip member.
fn three_forms(records: &[Vec<u8>]) -> [(&'static str, Vec<u8>); 3] {
    [
        ("plain", records.concat()),
        (
            "per-record gzip",
            records.iter().flat_map(|r| gzip(r)).collect(),
        ),
        ("whole-file gzip", gzip(&records.concat())),
    ]
}

#[test]
fn a_record_whose_length_lies_costs_that_record_alone() {
    let good = |n: usize| {
        plain_record(
            "resource",
            &format!("http://good.example/{n}"),
            &format!("<p>page {n}</p>"),
        )
    };
    for claimed in [
        60,           // longer than the record: runs into the next record's header
        400,          // longer still: swallows the next record whole
        50_000_000,   // absurd, but under the block limit: the file ends inside it
        u64::MAX / 2, // absurd, over the block limit: skipped to the end of the file
    ] {
        let liar = lying_record("http://liar.example/", "<p>x</p>", claimed);
        let records = [good(0), liar.clone(), good(1), good(2), good(3)];
        for (form, bytes) in three_forms(&records) {
            let got: Vec<_> = WarcReader::new(&bytes[..]).collect();
            let shape: Vec<String> = got.iter().map(uri_or_error).collect();
            assert_eq!(got.len(), 5, "{form}, Content-Length {claimed}: {shape:?}");
            assert!(got[1].is_err(), "{form}, {claimed}: {shape:?}");
            let e = got[1].as_ref().unwrap_err();
            assert_eq!(
                e.target_uri.as_deref(),
                Some("http://liar.example/"),
                "{form}"
            );
            for (i, n) in [(0, 0), (2, 1), (3, 2), (4, 3)] {
                let rec = got[i]
                    .as_ref()
                    .unwrap_or_else(|e| panic!("{form}, {claimed}: {e}"));
                assert_eq!(
                    rec.target_uri(),
                    Some(format!("http://good.example/{n}").as_str())
                );
                assert_eq!(rec.block, format!("<p>page {n}</p>").as_bytes(), "{form}");
            }
            if form == "plain" {
                // Offsets of the records after the liar are their own.
                let third = got[2].as_ref().unwrap();
                assert_eq!(third.offset, (records[0].len() + records[1].len()) as u64);
            }
        }
    }
}

#[test]
fn a_line_that_looks_like_a_record_inside_a_good_block_is_content() {
    let body =
        "<pre>\nWARC/1.0\r\nWARC-Type: resource\r\nContent-Length: 2\r\n\r\nhi\r\n\r\n</pre>";
    let records = [
        plain_record("resource", "http://quote.example/", body),
        plain_record("resource", "http://after.example/", "<p>a</p>"),
    ];
    for (form, bytes) in three_forms(&records) {
        let got: Vec<_> = WarcReader::new(&bytes[..]).map(Result::unwrap).collect();
        assert_eq!(got.len(), 2, "{form}");
        assert_eq!(got[0].block, body.as_bytes(), "{form}");
    }
}

#[test]
fn record_over_the_default_limit_is_streamed_past() {
    // A plain stream with a block one byte over MAX_RECORD_BLOCK, generated as it is read.
    let head = format!(
        "WARC/1.0\r\nWARC-Type: resource\r\nContent-Length: {}\r\n\r\n",
        MAX_RECORD_BLOCK + 1
    );
    let after = plain_record("resource", "http://after.example/", "<html>after</html>");
    let input = Cursor::new(head.into_bytes())
        .chain(io::repeat(b'q').take(MAX_RECORD_BLOCK + 1))
        .chain(Cursor::new(b"\r\n\r\n".to_vec()))
        .chain(Cursor::new(after));
    let mut reader = WarcReader::new(BufReader::new(input));
    let first = reader.next().unwrap().unwrap_err();
    assert_eq!(first.offset, 0);
    assert!(first.message.contains("larger than"), "{first}");
    let second = reader.next().unwrap().unwrap();
    assert_eq!(second.target_uri(), Some("http://after.example/"));
    assert!(reader.next().is_none());
}

/// A small deterministic generator (xorshift) for damage tests.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

#[test]
fn randomly_damaged_files_never_panic_or_loop() {
    let mut rng = Rng(0x9e3779b97f4a7c15);
    for file in [
        "warcio/example.warc.gz",
        "warcio/example-iana.org-chunked.warc",
        "warcio/example-bad-non-chunked.warc.gz",
    ] {
        let original = std::fs::read(sample(file)).unwrap();
        for round in 0..150 {
            let mut bytes = original.clone();
            match round % 3 {
                0 => {
                    for _ in 0..1 + rng.below(8) {
                        let i = rng.below(bytes.len());
                        bytes[i] = rng.next() as u8;
                    }
                }
                1 => bytes.truncate(rng.below(bytes.len())),
                _ => {
                    let at = rng.below(bytes.len());
                    let junk: Vec<u8> = (0..rng.below(64)).map(|_| rng.next() as u8).collect();
                    bytes.splice(at..at, junk);
                }
            }
            // Each item consumes input, so there can be no more items than bytes.
            let count = pages(WarcReader::new(&bytes[..]), "fuzz")
                .take(bytes.len() + 2)
                .count();
            assert!(
                count <= bytes.len() + 1,
                "{file} round {round}: {count} items"
            );
        }
    }
}

// ---------------------------------------------------------------- writing

fn date(secs: i64, micros: u32) -> chrono::DateTime<chrono::Utc> {
    chrono::Utc.timestamp_opt(secs, micros * 1000).unwrap()
}

fn hdr(name: &str, value: &str) -> (String, String) {
    (name.to_string(), value.to_string())
}

#[test]
fn every_gzip_level_writes_members_gzip_reads_alone() {
    // A body over the writer's 64 KiB growth step, one that compresses to almost nothing, and
    // an empty one; each member must decode alone, with gzip's own CRC and length checks.
    let mut rng = 0x9e37_79b9_7f4a_7c15u64;
    let noise: Vec<u8> = (0..200_000)
        .map(|_| {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            rng as u8
        })
        .collect();
    let bodies = [noise, vec![b'a'; 100_000], Vec::new()];
    let mut sizes = Vec::new();
    for level in [0, 1, 6, 9, 42] {
        let mut w = WarcWriter::new(Vec::new()).with_gzip_level(level);
        let mut spans = Vec::new();
        for (i, body) in bodies.iter().enumerate() {
            let url = format!("https://a.example/{i}");
            let r = w
                .write_response(&url, date(1_700_000_000, 0), 200, &[], body)
                .unwrap();
            spans.push((r.offset as usize, r.length as usize));
        }
        let file = w.into_inner();
        for ((offset, length), body) in spans.iter().zip(&bodies) {
            let mut record = Vec::new();
            flate2::read::GzDecoder::new(&file[*offset..offset + length])
                .read_to_end(&mut record)
                .unwrap_or_else(|e| panic!("level {level}: {e}"));
            assert!(record.starts_with(b"WARC/1.1\r\n"));
            assert!(record.ends_with(&[&body[..], b"\r\n\r\n"].concat()));
        }
        sizes.push(file.len());
    }
    // Level 0 stores; the others compress the repetitive body away.
    assert!(sizes[0] > 300_000 && sizes[1] < 220_000, "{sizes:?}");
    // Above 9 is 9.
    assert_eq!(sizes[3], sizes[4]);
}

#[test]
fn written_records_read_back_with_the_same_offsets_ids_and_bodies() {
    let mut w = WarcWriter::new(Vec::new());
    let info = w
        .write_warcinfo(
            date(1_700_000_000, 0),
            &[("software", "assent test"), ("isPartOf", "unit")],
        )
        .unwrap();
    let mut written = vec![info];
    let mut bodies = Vec::new();
    for i in 0..20 {
        let body = format!(
            "<!doctype html><html><body>page {i} {}</body></html>",
            "x".repeat(i * 37)
        )
        .into_bytes();
        let headers = vec![
            hdr("Content-Type", "text/html; charset=utf-8"),
            hdr("Server", "test"),
        ];
        let url = format!("https://site{}.example/p/{i}", i % 4);
        written.push(
            w.write_response(
                &url,
                date(1_700_000_000 + i as i64, 250_000),
                200,
                &headers,
                &body,
            )
            .unwrap(),
        );
        bodies.push((url, body));
    }
    written.push(
        w.write_record(
            "resource",
            Some("https://r.example/"),
            date(1, 0),
            "text/plain",
            &[],
            b"plain words",
        )
        .unwrap(),
    );
    written.push(
        w.write_record(
            "conversion",
            Some("https://c.example/"),
            date(2, 0),
            "text/plain",
            &[("WARC-Refers-To", "<urn:uuid:x>")],
            "héllo".as_bytes(),
        )
        .unwrap(),
    );
    let bytes = w.into_inner();

    let recs: Vec<WarcRecord> = read_all(&bytes).into_iter().map(Result::unwrap).collect();
    assert_eq!(recs.len(), written.len());
    for (rec, out) in recs.iter().zip(&written) {
        assert_eq!(rec.offset, out.offset);
        assert_eq!(rec.record_id(), Some(out.record_id.as_str()));
        assert_eq!(rec.version, "1.1");
        assert_eq!(
            rec.field("WARC-Block-Digest"),
            Some(sha1_base32(&rec.block).as_str())
        );
        // Each record is its own gzip member of the stated length.
        let member = &bytes[out.offset as usize..(out.offset + out.length) as usize];
        let alone: Vec<_> = read_all(member).into_iter().map(Result::unwrap).collect();
        assert_eq!(alone.len(), 1);
        assert_eq!(alone[0].block, rec.block);
    }
    assert_eq!(
        written.last().map(|w| w.offset + w.length),
        Some(bytes.len() as u64)
    );
    assert_eq!(recs[0].warc_type(), Some("warcinfo"));
    assert!(String::from_utf8_lossy(&recs[0].block).contains("software: assent test\r\n"));
    assert_eq!(recs[1].date(), Some(date(1_700_000_000, 250_000)));
    assert_eq!(recs[1].field("WARC-Date"), Some("2023-11-14T22:13:20.250Z"));
    assert_eq!(recs[22].field("WARC-Refers-To"), Some("<urn:uuid:x>"));

    let items: Vec<InputItem> = pages(WarcReader::new(&bytes[..]), "written.warc.gz").collect();
    let pages = pages_of(&items);
    assert_eq!(pages.len(), 22);
    for (page, (url, body)) in pages.iter().zip(&bodies) {
        assert_eq!(&page.url, url);
        assert_eq!(html(page), &body[..]);
        assert_eq!(
            page.content_type.as_deref(),
            Some("text/html; charset=utf-8")
        );
        assert_eq!(
            crate::http::header(&page.headers, "content-length"),
            Some(body.len().to_string().as_str())
        );
    }
    assert_eq!(
        pages[20].payload,
        Payload::PlainText(b"plain words".to_vec())
    );
    assert_eq!(pages[21].payload, Payload::Text("héllo".into()));
    for r in &recs[1..21] {
        let head = crate::http::parse_head(&r.block).unwrap();
        assert_eq!(
            r.payload_digest(),
            Some(sha1_base32(&r.block[head.body_start..]).as_str())
        );
    }
}

#[test]
fn writing_is_deterministic_and_ids_unique() {
    let write = || {
        let mut w = WarcWriter::new(Vec::new());
        let mut ids = Vec::new();
        for _ in 0..3 {
            // The same capture three times: still three ids.
            ids.push(
                w.write_response("http://same.example/", date(5, 0), 200, &[], b"same")
                    .unwrap()
                    .record_id,
            );
        }
        (w.into_inner(), ids)
    };
    let (a, ids) = write();
    let (b, _) = write();
    assert_eq!(a, b);
    assert_eq!(ids.iter().collect::<BTreeSet<_>>().len(), 3);
    for id in &ids {
        let uuid = id
            .strip_prefix("<urn:uuid:")
            .and_then(|s| s.strip_suffix('>'))
            .unwrap();
        let groups: Vec<usize> = uuid.split('-').map(str::len).collect();
        assert_eq!(groups, vec![8, 4, 4, 4, 12], "{id}");
        assert!(uuid
            .chars()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase() || c == '-'));
        assert_eq!(&uuid[14..15], "5", "version nibble in {id}");
    }
}

#[test]
fn sha1_digests_are_base32_like_common_crawl() {
    // The empty payload's digest, as found in the warcio samples.
    assert_eq!(sha1_base32(b""), "sha1:3I42H3S6NNFQ2MSVX7XZKYAYSCX5QBYJ");
}

#[test]
fn response_headers_that_no_longer_apply_are_renamed() {
    let mut w = WarcWriter::new(Vec::new());
    let headers = vec![
        hdr("Content-Encoding", "gzip"),
        hdr("Transfer-Encoding", "chunked"),
        hdr("Content-Length", "9999"),
        hdr("Content-Type", "text/html"),
    ];
    w.write_response(
        "http://h.example/",
        date(0, 0),
        200,
        &headers,
        b"<html>decoded</html>",
    )
    .unwrap();
    let bytes = w.into_inner();
    let items: Vec<InputItem> = pages(WarcReader::new(&bytes[..]), "h").collect();
    let page = pages_of(&items)[0];
    assert_eq!(html(page), b"<html>decoded</html>");
    let h = &page.headers;
    assert_eq!(
        crate::http::header(h, "x-crawler-content-encoding"),
        Some("gzip")
    );
    assert_eq!(
        crate::http::header(h, "x-crawler-transfer-encoding"),
        Some("chunked")
    );
    assert_eq!(
        crate::http::header(h, "x-crawler-content-length"),
        Some("9999")
    );
    assert_eq!(crate::http::header(h, "content-length"), Some("20"));
    assert_eq!(crate::http::header(h, "content-encoding"), None);
}

#[test]
fn non_200_and_unsupported_types_become_ledger_rows() {
    let mut w = WarcWriter::new(Vec::new());
    w.write_response(
        "http://a.example/missing",
        date(0, 0),
        404,
        &[hdr("Content-Type", "text/html")],
        b"<html>404</html>",
    )
    .unwrap();
    w.write_response(
        "http://a.example/img.png",
        date(0, 0),
        200,
        &[hdr("Content-Type", "image/png")],
        b"\x89PNG",
    )
    .unwrap();
    w.write_response(
        "http://a.example/sniffed",
        date(0, 0),
        200,
        &[],
        b"\xef\xbb\xbf  <!DOCTYPE HTML><p>x",
    )
    .unwrap();
    w.write_response(
        "http://a.example/blob",
        date(0, 0),
        200,
        &[],
        b"\x00\x01binary",
    )
    .unwrap();
    w.write_response(
        "http://a.example/plain-html",
        date(0, 0),
        200,
        &[hdr("Content-Type", "text/html")],
        b"x",
    )
    .unwrap();
    w.write_record(
        "response",
        Some("http://a.example/bad"),
        date(0, 0),
        "application/http; msgtype=response",
        &[],
        b"garbage, not http",
    )
    .unwrap();
    w.write_record(
        "response",
        Some("http://a.example/z"),
        date(0, 0),
        "application/http;msgtype=response",
        &[],
        b"HTTP/1.1 200 OK\r\nContent-Encoding: zstd\r\nContent-Type: text/html\r\n\r\nxx",
    )
    .unwrap();
    w.write_record(
        "response",
        Some("http://a.example/req"),
        date(0, 0),
        "application/http; msgtype=request",
        &[],
        b"GET / HTTP/1.1\r\n\r\n",
    )
    .unwrap();
    let bytes = w.into_inner();
    let items: Vec<InputItem> = pages(WarcReader::new(&bytes[..]), "t").collect();
    let reasons: Vec<String> = items
        .iter()
        .map(|i| match i {
            InputItem::Page(p) => format!("page {}", p.url),
            InputItem::Skipped(r) => r.reasons[0].as_str().to_string(),
            InputItem::Document(d) => format!("document {}", d.url),
            InputItem::RefusedPage { row, .. } => format!("refused {:?}", row.url),
        })
        .collect();
    assert_eq!(
        reasons,
        vec![
            "input.http-status",
            "input.unsupported-type",
            "page http://a.example/sniffed",
            "input.unsupported-type",
            "page http://a.example/plain-html",
            "input.malformed",
            "input.undecodable",
            "input.not-content",
        ]
    );
    let InputItem::Skipped(row) = &items[0] else {
        unreachable!()
    };
    assert_eq!(evidence(row)["status"], 404);
    assert_eq!(row.url.as_deref(), Some("http://a.example/missing"));
    assert_eq!(
        row.doc_id,
        Some(doc_id(
            "http://a.example/missing",
            row.source.record_id.as_deref().unwrap()
        ))
    );
    let InputItem::Page(sniffed) = &items[2] else {
        unreachable!()
    };
    assert_eq!(sniffed.content_type, None);
    assert!(matches!(sniffed.payload, Payload::Html(_)));
}

#[test]
fn invalid_fields_are_refused() {
    let mut w = WarcWriter::new(Vec::new());
    let err = w
        .write_record(
            "resource",
            Some("http://x/\r\nWARC-Type: evil"),
            date(0, 0),
            "text/plain",
            &[],
            b"",
        )
        .unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
    let err = w
        .write_record(
            "resource",
            None,
            date(0, 0),
            "text/plain",
            &[("Bad Name", "v")],
            b"",
        )
        .unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
    assert!(
        w.into_inner().is_empty(),
        "nothing written for refused records"
    );
}

// ---------------------------------------------------------------- a long stream

/// Produces a gzip-per-record WARC as it is read, remembering only the offsets not yet checked.
struct Generated {
    next: usize,
    total: usize,
    chunk: Cursor<Vec<u8>>,
    writer_offset: u64,
    pending: std::rc::Rc<std::cell::RefCell<VecDeque<u64>>>,
}

impl Read for Generated {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        loop {
            let n = self.chunk.read(out)?;
            if n > 0 || self.next == self.total {
                return Ok(n);
            }
            let mut w = WarcWriter::starting_at(Vec::new(), self.writer_offset);
            let body = format!(
                "<html><body>record {} {}</body></html>",
                self.next,
                "w ".repeat(self.next % 300)
            );
            let url = format!("http://gen.example/{}", self.next);
            let rec =
                w.write_response(&url, date(self.next as i64, 0), 200, &[], body.as_bytes())?;
            self.pending.borrow_mut().push_back(rec.offset);
            self.writer_offset += rec.length;
            self.chunk = Cursor::new(w.into_inner());
            self.next += 1;
        }
    }
}

#[test]
fn a_long_stream_is_read_with_flat_memory() {
    let pending = std::rc::Rc::new(std::cell::RefCell::new(VecDeque::new()));
    let total = 5000;
    let input = Generated {
        next: 0,
        total,
        chunk: Cursor::new(Vec::new()),
        writer_offset: 0,
        pending: pending.clone(),
    };
    let mut reader = WarcReader::new(BufReader::new(input));
    let mut count = 0;
    let mut max_members = 0;
    let mut buffer = 0;
    while let Some(rec) = reader.next() {
        let rec = rec.unwrap();
        assert_eq!(
            rec.target_uri(),
            Some(format!("http://gen.example/{count}").as_str())
        );
        assert_eq!(
            Some(rec.offset),
            pending.borrow_mut().pop_front(),
            "record {count}"
        );
        let (buf, members) = reader.footprint();
        buffer = buffer.max(buf);
        max_members = max_members.max(members);
        count += 1;
        // The generator is never far ahead of the reader.
        assert!(
            pending.borrow().len() < 200,
            "{} records buffered",
            pending.borrow().len()
        );
    }
    assert_eq!(count, total);
    assert_eq!(buffer, super::stream::BUFFER_SIZE);
    assert!(max_members < 200, "{max_members} member starts held");
}

#[test]
fn the_reader_is_send() {
    fn is_send<T: Send>(_: &T) {}
    let it = read_pages(&sample("warcio/example.warc.gz"), "x").unwrap();
    is_send(&it);
}
