//! Hostile pages through the whole curation: nesting 100,000 levels deep, a 20 MB attribute, a
//! 50 MB single line, binary junk labelled text/html. Each must end as a document or a ledger
//! row with a reason, in bounded time and memory, and the run must go on to the next record.

mod common;

use assent_ingest::warc::WarcWriter;
use chrono::TimeZone;
use common::read_json;
use std::collections::BTreeMap;
use std::process::Command;
use std::time::{Duration, Instant};

/// Far above what the run needs (a few seconds in a dev build); only a hang or a quadratic
/// blow-up crosses it.
const DEADLINE: Duration = Duration::from_secs(300);
/// Peak memory allowed to the curate process for these ~90 MB of pages: a bound, not a
/// benchmark (scripts/bench_memory.sh measures memory).
const MAX_RSS_BYTES: i64 = 1024 * 1024 * 1024;

fn pages() -> Vec<(&'static str, &'static str, Vec<u8>)> {
    let deep = format!(
        "<html><body>{}<p>Deep text survives the nesting.</p>{}</body></html>",
        "<div>".repeat(100_000),
        "</div>".repeat(100_000)
    );
    let attribute = format!(
        "<html><body><p title=\"{}\">Text after a huge attribute.</p></body></html>",
        "x".repeat(20 * 1024 * 1024)
    );
    let mut line = String::with_capacity(50 * 1024 * 1024 + 64);
    line.push_str("<html><body><p>");
    let mut i = 0u64;
    while line.len() < 50 * 1024 * 1024 {
        line.push_str(&format!("word{} ", i % 9973));
        i += 1;
    }
    line.push_str("</p></body></html>");
    let mut junk = Vec::with_capacity(4 * 1024 * 1024);
    let mut x = 0x2545_f491_4f6c_dd1du64;
    while junk.len() < 4 * 1024 * 1024 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        junk.extend_from_slice(&x.to_le_bytes());
    }
    vec![
        ("http://hostile.test/deep", "text/html", deep.into_bytes()),
        (
            "http://hostile.test/attribute",
            "text/html",
            attribute.into_bytes(),
        ),
        ("http://hostile.test/line", "text/html", line.into_bytes()),
        ("http://hostile.test/junk", "text/html", junk),
        (
            "http://hostile.test/after",
            "text/html; charset=utf-8",
            b"<html><body><p>An ordinary page after the hostile ones.</p></body></html>".to_vec(),
        ),
    ]
}

#[test]
fn hostile_pages_end_as_documents_or_ledger_rows() {
    let dir = tempfile::tempdir().unwrap();
    let warc = dir.path().join("hostile.warc.gz");
    let mut w = WarcWriter::new(std::fs::File::create(&warc).unwrap()).with_gzip_level(1);
    let date = chrono::Utc.timestamp_opt(1_700_000_000, 0).unwrap();
    let pages = pages();
    for (url, ctype, body) in &pages {
        let headers = vec![("Content-Type".to_string(), ctype.to_string())];
        w.write_response(url, date, 200, &headers, body).unwrap();
    }
    drop(w);

    // Hostile pages test parsing, not FineWeb's rules (which would drop the short ones).
    let config = common::config_without_rules(dir.path(), "");
    let out = dir.path().join("out");
    let started = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_assent"))
        .args(["curate", "--warc", warc.to_str().unwrap()])
        .args(["--config", config.to_str().unwrap()])
        .args(["--out", out.to_str().unwrap()])
        .env("ASSENT_LOG", "warn")
        .spawn()
        .unwrap();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > DEADLINE {
            child.kill().unwrap();
            panic!("curate did not finish within {DEADLINE:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "curate failed: {status}");
    let peak = peak_rss_of_children();
    eprintln!(
        "curate took {:?}, peak RSS {} MiB",
        started.elapsed(),
        peak >> 20
    );
    assert!(peak < MAX_RSS_BYTES, "peak RSS {peak} bytes");

    // Every page has exactly one outcome: a kept document or a ledger row with a reason.
    let docs = shard_urls(&out);
    let ledger = ledger_reasons(&out);
    for (url, _, _) in &pages {
        let kept = docs.contains_key(*url);
        let row = ledger.get(*url);
        assert!(kept || row.is_some(), "{url} vanished");
        if let Some(reason) = row {
            assert!(!reason.is_empty(), "{url} left without a reason");
        }
    }
    let text = |url: &str| docs.get(url).cloned().unwrap_or_default();
    assert!(text("http://hostile.test/deep").contains("Deep text survives the nesting."));
    assert!(text("http://hostile.test/attribute").contains("Text after a huge attribute."));
    assert!(text("http://hostile.test/after").contains("An ordinary page"));
    assert_eq!(
        ledger.get("http://hostile.test/junk").map(String::as_str),
        Some("input.undecodable")
    );
    // The long line is either kept whole-ish or refused with a reason; it must not be cut
    // silently to nothing.
    let line = text("http://hostile.test/line");
    assert!(
        line.len() > 40 * 1024 * 1024 || ledger.contains_key("http://hostile.test/line"),
        "the 50 MB line kept only {} bytes",
        line.len()
    );
    let manifest = read_json(&out.join("manifest.json"));
    // The five responses (the WARC has no warcinfo record).
    assert_eq!(manifest["counts"]["records"], 5, "{manifest:#}");
}

/// Peak resident set size of the waited-for children of this test process, in bytes.
fn peak_rss_of_children() -> i64 {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: getrusage writes a rusage into the pointer it is given.
    let rc = unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, usage.as_mut_ptr()) };
    assert_eq!(rc, 0);
    // SAFETY: initialised by the successful call above; ru_maxrss is in KiB on Linux.
    unsafe { usage.assume_init() }.ru_maxrss * 1024
}

/// url → text of every kept document.
fn shard_urls(out: &std::path::Path) -> BTreeMap<String, String> {
    common::shard_documents(out)
        .into_iter()
        .map(|d| (d.url, d.text))
        .collect()
}

/// url → first reason code of every ledger row that has one.
fn ledger_reasons(out: &std::path::Path) -> BTreeMap<String, String> {
    let mut rows = BTreeMap::new();
    for row in common::ledger_rows(out) {
        if let (Some(url), Some(reason)) = (row.url, row.reasons.first()) {
            rows.insert(url, reason.as_str().to_string());
        }
    }
    rows
}
