//! End-to-end crawler tests against local servers; hosts like `a.test` are mapped to
//! 127.0.0.1 through the resolve map, so nothing leaves the machine.

mod limits;
mod server;
mod tls;

use super::*;
use assent_schemas::page::{InputItem, Payload};
use assent_schemas::{ReasonCode, Stage};
use server::{Resp, Server};
use std::io::Read;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

fn config(server: &Server, hosts: &[&str], seeds: &[String]) -> CrawlConfig {
    CrawlConfig {
        seeds: seeds.to_vec(),
        resolve: hosts
            .iter()
            .map(|h| format!("{h}:{}:127.0.0.1", server.port))
            .collect(),
        delay_secs: 0.0,
        timeout_secs: 5.0,
        ..CrawlConfig::default()
    }
}

fn run(config: CrawlConfig, dir: &Path) -> Vec<InputItem> {
    let mut c = crawl(config, &dir.join(WARC_NAME)).unwrap();
    let items: Vec<InputItem> = c.by_ref().collect();
    c.finish().unwrap();
    items
}

/// The pages among the items, in order.
/// The decoded HTML of a crawled page (the crawler decodes every body once).
fn html_of<'a>(p: &&'a assent_schemas::page::Page) -> &'a str {
    match &p.payload {
        Payload::Decoded(d) if d.html => &d.text,
        other => panic!("not decoded HTML: {other:?}"),
    }
}

fn pages_of(items: &[InputItem]) -> Vec<&assent_schemas::page::Page> {
    items
        .iter()
        .filter_map(|i| match i {
            InputItem::Page(p) => Some(p),
            _ => None,
        })
        .collect()
}

/// (url, reason) of every skipped row; url of every page.
fn rows(items: &[InputItem]) -> (Vec<String>, Vec<(String, ReasonCode, Stage)>) {
    let mut pages = Vec::new();
    let mut skipped = Vec::new();
    for i in items {
        match i {
            InputItem::Page(p) => pages.push(p.url.clone()),
            InputItem::Skipped(r) | InputItem::RefusedPage { row: r, .. } => {
                skipped.push((r.url.clone().unwrap_or_default(), r.reasons[0], r.stage))
            }
            InputItem::Document(d) => panic!("a crawl yields no corpus documents: {}", d.url),
        }
    }
    (pages, skipped)
}

fn reason_of(skipped: &[(String, ReasonCode, Stage)], url: &str) -> Option<ReasonCode> {
    skipped
        .iter()
        .find(|(u, _, _)| u == url)
        .map(|(_, r, _)| *r)
}

/// Every file under `dir`, gzip members undone, as one byte string.
fn everything_written(dir: &Path) -> Vec<u8> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let bytes = std::fs::read(e.unwrap().path()).unwrap();
        out.extend_from_slice(&bytes);
        let mut plain = Vec::new();
        let _ = flate2::read::MultiGzDecoder::new(&bytes[..]).read_to_end(&mut plain);
        out.extend_from_slice(&plain);
    }
    out
}

/// Paths requested on `host` other than the site files read before any page.
fn page_paths(s: &Server, host: &str) -> Vec<String> {
    s.paths(host)
        .into_iter()
        .filter(|p| {
            !matches!(
                p.as_str(),
                "/robots.txt" | "/ai.txt" | "/.well-known/tdmrep.json"
            )
        })
        .collect()
}

fn contains(hay: &[u8], needle: &str) -> bool {
    hay.windows(needle.len()).any(|w| w == needle.as_bytes())
}

#[test]
fn follows_same_host_links_to_max_depth_and_writes_warc() {
    let s = Server::start(|host, path| match (host, path) {
        (_, "/robots.txt") => Resp::not_found(),
        ("a.test", "/") => Resp::html(r#"<a href="/p1#x">1</a><a href="http://b.test/">ext</a>"#),
        ("a.test", "/p1") => Resp::html(r#"<a href="p2">2</a><a href="/">home</a>"#),
        ("a.test", "/p2") => Resp::html(r#"<a href="/p3">3</a>"#),
        ("a.test", "/p3") => Resp::html("deep"),
        _ => Resp::not_found(),
    });
    let dir = tempfile::tempdir().unwrap();
    let items = run(config(&s, &["a.test"], &[s.url("a.test", "/")]), dir.path());
    let (pages, skipped) = rows(&items);
    assert_eq!(
        pages,
        [
            s.url("a.test", "/"),
            s.url("a.test", "/p1"),
            s.url("a.test", "/p2")
        ]
    );
    // /p3 (linked from /p2, at depth 2) and the link to b.test are not followed, and each
    // gets one row; "/" linked again from /p1 was queued already and gets none.
    assert_eq!(
        skipped,
        [
            (
                "http://b.test/".to_string(),
                ReasonCode::FetchNotReached,
                Stage::Fetch
            ),
            (
                s.url("a.test", "/p3"),
                ReasonCode::FetchNotReached,
                Stage::Fetch
            ),
        ]
    );
    let ev = |url: &str| -> serde_json::Value {
        let row = items
            .iter()
            .find_map(|i| match i {
                InputItem::Skipped(r) if r.url.as_deref() == Some(url) => Some(r),
                _ => None,
            })
            .unwrap();
        serde_json::from_str(&row.evidence).unwrap()
    };
    assert_eq!(
        ev("http://b.test/"),
        serde_json::json!({ "why": "other origin", "found_on": s.url("a.test", "/"), "depth": 1 })
    );
    assert_eq!(
        ev(&s.url("a.test", "/p3")),
        serde_json::json!({ "why": "beyond max_depth", "found_on": s.url("a.test", "/p2"), "depth": 3 })
    );
    assert!(!s.paths("a.test").contains(&"/p3".to_string()));
    assert!(s.paths("b.test").is_empty());
    let InputItem::Page(p) = &items[0] else {
        panic!()
    };
    assert!(p
        .source
        .record_id
        .as_deref()
        .unwrap()
        .starts_with("<urn:uuid:"));
    assert!(matches!(&p.payload, Payload::Decoded(d) if d.html));
    assert_eq!(
        p.consent.as_ref().unwrap().decision,
        assent_schemas::Decision::Kept
    );
    // The WARC holds a warcinfo, robots.txt and the three kept pages.
    let warc = assent_inputs::warc::open(&dir.path().join(WARC_NAME)).unwrap();
    let records: Vec<_> = warc.filter_map(Result::ok).collect();
    assert_eq!(records[0].warc_type(), Some("warcinfo"));
    let targets: Vec<_> = records.iter().filter_map(|r| r.target_uri()).collect();
    assert_eq!(targets.len(), 4, "{targets:?}");
    assert!(targets[0].ends_with("/robots.txt"));
}

#[test]
fn max_pages_leaves_not_reached_rows() {
    let s = Server::start(|_, path| match path {
        "/robots.txt" => Resp::not_found(),
        "/" => Resp::html(r#"<a href="/1">1</a><a href="/2">2</a><a href="/3">3</a>"#),
        _ => Resp::html("leaf"),
    });
    let dir = tempfile::tempdir().unwrap();
    let mut c = config(&s, &["a.test"], &[s.url("a.test", "/")]);
    c.max_pages = 2;
    let items = run(c, dir.path());
    let (pages, skipped) = rows(&items);
    assert_eq!(pages.len(), 2);
    assert_eq!(skipped.len(), 2);
    assert!(skipped
        .iter()
        .all(|(_, r, _)| *r == ReasonCode::FetchNotReached));
    assert_eq!(page_paths(&s, "a.test").len(), 2);
}

#[test]
fn redirect_carries_the_decision_of_its_target() {
    let s = Server::start(|host, path| match (host, path) {
        ("a.test", "/robots.txt") => Resp::not_found(),
        ("b.test", "/robots.txt") => {
            Resp::new(200, "text/plain", "User-agent: *\nDisallow: /private\n")
        }
        ("a.test", "/go-private") => Resp::redirect("http://b.test:{PORT}/private"),
        ("a.test", "/go-public") => Resp::redirect("http://b.test:{PORT}/public"),
        ("b.test", "/public") => Resp::html("public page"),
        _ => Resp::html("should not be fetched"),
    });
    let dir = tempfile::tempdir().unwrap();
    let seeds = [
        s.url("a.test", "/go-private"),
        s.url("a.test", "/go-public"),
    ];
    let items = run(config(&s, &["a.test", "b.test"], &seeds), dir.path());
    let (pages, skipped) = rows(&items);
    assert_eq!(pages, [s.url("b.test", "/public")]);
    assert_eq!(
        reason_of(&skipped, &seeds[0]),
        Some(ReasonCode::RobotsDisallow)
    );
    // The seed that led to a kept page has its own row, naming where it led.
    assert_eq!(
        reason_of(&skipped, &seeds[1]),
        Some(ReasonCode::FetchRedirected)
    );
    assert_eq!(skipped.len(), 2);
    assert_eq!(
        s.paths("b.test")
            .iter()
            .filter(|p| *p == "/private")
            .count(),
        0
    );
    let InputItem::Skipped(row) = items
        .iter()
        .find(|i| matches!(i, InputItem::Skipped(_)))
        .unwrap()
    else {
        panic!()
    };
    assert!(row.evidence.contains("/private"), "{}", row.evidence);
}

#[test]
fn redirects_to_internal_addresses_are_refused_without_connecting() {
    let s = Server::start(|_, path| match path {
        "/robots.txt" => Resp::not_found(),
        "/meta" => Resp::redirect("http://169.254.169.254/latest/meta-data/"),
        "/ten" => Resp::redirect("http://10.0.0.1/"),
        "/v6" => Resp::redirect("http://[fd00:ec2::254]/"),
        // A name (not in the resolve map) that resolves to loopback: refused by the resolver.
        "/lh" => Resp::redirect("http://localhost:{PORT}/"),
        _ => Resp::html("x"),
    });
    let dir = tempfile::tempdir().unwrap();
    let seeds = [
        s.url("a.test", "/meta"),
        s.url("a.test", "/ten"),
        s.url("a.test", "/v6"),
        s.url("a.test", "/lh"),
        // Not in the resolve map: resolved by the system, to loopback, and refused.
        format!("http://localhost:{}/", s.port),
    ];
    let items = run(config(&s, &["a.test"], &seeds), dir.path());
    let (pages, skipped) = rows(&items);
    assert!(pages.is_empty());
    for seed in &seeds {
        assert_eq!(
            reason_of(&skipped, seed),
            Some(ReasonCode::FetchBlockedAddress),
            "{seed}: {skipped:?}"
        );
    }
    assert!(s.paths("localhost").is_empty());
}

#[test]
fn redirect_loops_and_body_cap() {
    let s = Server::start(|_, path| match path {
        "/robots.txt" => Resp::not_found(),
        "/l1" => Resp::redirect("/l2"),
        "/l2" => Resp::redirect("/l1"),
        "/big" => Resp::html(&"x".repeat(5000)),
        _ => Resp::not_found(),
    });
    let dir = tempfile::tempdir().unwrap();
    let seeds = [
        s.url("a.test", "/l1"),
        s.url("a.test", "/big"),
        s.url("a.test", "/nope"),
    ];
    let mut c = config(&s, &["a.test"], &seeds);
    c.max_body_bytes = 1000;
    let (pages, skipped) = rows(&run(c, dir.path()));
    assert!(pages.is_empty());
    assert_eq!(
        reason_of(&skipped, &seeds[0]),
        Some(ReasonCode::FetchTooManyRedirects)
    );
    assert_eq!(
        reason_of(&skipped, &seeds[1]),
        Some(ReasonCode::FetchTooLarge)
    );
    assert_eq!(
        reason_of(&skipped, &seeds[2]),
        Some(ReasonCode::FetchHttpStatus)
    );
}

#[test]
fn retries_429_after_retry_after() {
    let calls = Arc::new(AtomicUsize::new(0));
    let c2 = calls.clone();
    let s = Server::start(move |_, path| match path {
        "/robots.txt" => Resp::not_found(),
        "/busy" if c2.fetch_add(1, Ordering::SeqCst) == 0 => {
            Resp::new(429, "text/plain", "slow down").header("Retry-After", "1")
        }
        _ => Resp::html("finally"),
    });
    let dir = tempfile::tempdir().unwrap();
    let items = run(
        config(&s, &["a.test"], &[s.url("a.test", "/busy")]),
        dir.path(),
    );
    let (pages, _) = rows(&items);
    assert_eq!(pages, [s.url("a.test", "/busy")]);
    let hits: Vec<_> = s.hits().into_iter().filter(|h| h.path == "/busy").collect();
    assert_eq!(hits.len(), 2);
    assert!(hits[1].start - hits[0].end >= Duration::from_millis(900));
}

/// Each origin's worker takes its URLs one by one, so concurrent demand on a host comes from
/// other origins' redirects into it: b.test and d.test both redirect into a.test while a.test's
/// own worker crawls it. The server must never see two a.test requests at once.
fn politeness_run(per_host: usize) -> (Server, Vec<InputItem>) {
    let s = Server::start(|host, path| match (host, path) {
        ("c.test", "/robots.txt") => {
            Resp::new(200, "text/plain", "User-agent: *\nCrawl-delay: 1\n")
        }
        (_, "/robots.txt") => Resp::not_found(),
        ("b.test" | "d.test", p) => Resp::redirect(&format!("http://a.test:{{PORT}}/{host}{p}")),
        ("a.test", "/") => Resp::html(
            r#"<a href="/1">1</a><a href="/2">2</a><a href="/3">3</a><a href="/4">4</a>"#,
        )
        .delay(Duration::from_millis(30)),
        _ => Resp::html("leaf").delay(Duration::from_millis(30)),
    });
    let dir = tempfile::tempdir().unwrap();
    let mut seeds = vec![
        s.url("a.test", "/"),
        s.url("c.test", "/1"),
        s.url("c.test", "/2"),
    ];
    for h in ["b.test", "d.test"] {
        seeds.extend((0..4).map(|i| s.url(h, &format!("/r{i}"))));
    }
    let mut c = config(&s, &["a.test", "b.test", "c.test", "d.test"], &seeds);
    c.per_host_concurrency = per_host;
    let items = run(c, dir.path());
    (s, items)
}

#[test]
fn one_request_per_host_at_a_time_and_crawl_delay() {
    let (s, items) = politeness_run(1);
    let (pages, skipped) = rows(&items);
    assert_eq!(pages.len(), 15, "{pages:?} {skipped:?}");
    for host in ["a.test", "b.test", "c.test", "d.test"] {
        assert_eq!(s.max_in_flight(host), 1, "{host}");
    }
    let c: Vec<_> = s
        .hits()
        .into_iter()
        .filter(|h| h.host == "c.test")
        .collect();
    assert_eq!(c.len(), 5, "robots.txt, ai.txt, tdmrep.json and two pages");
    for pair in c.windows(2) {
        let gap = pair[1].start - pair[0].end;
        assert!(
            gap >= Duration::from_millis(950),
            "crawl-delay not honoured: {gap:?}"
        );
    }
}

#[test]
#[ignore = "checks that the server's measurement sees overlap when politeness allows it; timing-dependent"]
fn politeness_measurement_detects_overlap() {
    let (s, _) = politeness_run(4);
    assert!(s.max_in_flight("a.test") > 1);
}

#[test]
fn robots_outcomes() {
    let s = Server::start(|host, path| match (host, path) {
        ("down.test", "/robots.txt") => Resp::new(503, "text/plain", "down"),
        ("no.test", "/robots.txt") => Resp::new(
            200,
            "text/plain",
            "User-agent: AssentBot\nDisallow: /secret\n",
        ),
        (_, "/robots.txt") => Resp::not_found(),
        _ => Resp::html("page"),
    });
    let dir = tempfile::tempdir().unwrap();
    let seeds = [
        s.url("down.test", "/a"),
        s.url("down.test", "/b"),
        s.url("no.test", "/secret"),
        s.url("no.test", "/open"),
        s.url("ok.test", "/"),
    ];
    let mut c = config(&s, &["down.test", "no.test", "ok.test"], &seeds);
    c.max_retries = 0;
    let (mut pages, skipped) = rows(&run(c, dir.path()));
    pages.sort();
    assert_eq!(pages, [seeds[3].clone(), seeds[4].clone()]);
    assert_eq!(
        reason_of(&skipped, &seeds[0]),
        Some(ReasonCode::RobotsUnreachable)
    );
    assert_eq!(
        reason_of(&skipped, &seeds[1]),
        Some(ReasonCode::RobotsUnreachable)
    );
    assert_eq!(
        reason_of(&skipped, &seeds[2]),
        Some(ReasonCode::RobotsDisallow)
    );
    assert!(skipped.iter().all(|(_, _, st)| *st == Stage::Consent));
    assert_eq!(s.paths("down.test"), ["/robots.txt"]);
    assert_eq!(page_paths(&s, "no.test"), ["/open"]);
}

#[test]
fn noai_page_is_fetched_once_refused_and_written_nowhere() {
    const SECRET: &str = "UNIQUE-SECRET-WORDS-7f3a9";
    let s = Server::start(|_, path| match path {
        "/robots.txt" => Resp::not_found(),
        "/" => Resp::html(&format!("<p>{SECRET}</p>")).header("X-Robots-Tag", "noai"),
        "/meta" => Resp::html(&format!(
            r#"<html><head><meta name="robots" content="noai"></head><body>{SECRET}</body></html>"#
        )),
        // The same page in UTF-16, labelled by the header or by a byte-order mark: its tags
        // are no ASCII bytes in a row, so only a decoded page shows them.
        "/utf16" => Resp::bytes(
            "text/html; charset=utf-16le",
            utf16le_meta_noai(SECRET, false),
        ),
        "/utf16-bom" => Resp::bytes("text/html", utf16le_meta_noai(SECRET, true)),
        _ => Resp::not_found(),
    });
    let dir = tempfile::tempdir().unwrap();
    let seeds = ["/", "/meta", "/utf16", "/utf16-bom"].map(|p| s.url("a.test", p));
    let items = run(config(&s, &["a.test"], &seeds), dir.path());
    let (pages, skipped) = rows(&items);
    assert!(pages.is_empty(), "{pages:?}");
    assert_eq!(reason_of(&skipped, &seeds[0]), Some(ReasonCode::NoaiHeader));
    for seed in &seeds[1..] {
        assert_eq!(
            reason_of(&skipped, seed),
            Some(ReasonCode::NoaiMeta),
            "{seed}"
        );
    }
    assert_eq!(
        page_paths(&s, "a.test"),
        ["/", "/meta", "/utf16", "/utf16-bom"]
    );
    let written = everything_written(dir.path());
    assert!(!contains(&written, SECRET));
    let secret16: Vec<u8> = SECRET.encode_utf16().flat_map(u16::to_le_bytes).collect();
    assert!(!written.windows(secret16.len()).any(|w| w == secret16));
    for i in &items {
        assert!(!format!("{i:?}").contains(SECRET));
    }
}

/// A page with `<meta name="robots" content="noai">` and `secret` in its body, in UTF-16LE.
fn utf16le_meta_noai(secret: &str, bom: bool) -> Vec<u8> {
    let html = format!(
        r#"<html><head><meta name="robots" content="noai"></head><body><p>{secret} {}</p></body></html>"#,
        "and more words ".repeat(10)
    );
    let mut out = if bom { vec![0xFF, 0xFE] } else { Vec::new() };
    out.extend(html.encode_utf16().flat_map(u16::to_le_bytes));
    out
}

fn gzip(data: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(data).unwrap();
    enc.finish().unwrap()
}

fn brotli(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let params = brotli::enc::BrotliEncoderParams::default();
    brotli::BrotliCompress(&mut &data[..], &mut out, &params).unwrap();
    out
}

#[test]
fn decodes_brotli_and_stacked_codings() {
    let page = "<p>brotli page</p>".repeat(50);
    let (p2, p3) = (page.clone(), page.clone());
    let s = Server::start(move |_, path| match path {
        "/robots.txt" => Resp::not_found(),
        "/br" => Resp::bytes("text/html", brotli(p2.as_bytes())).header("Content-Encoding", "br"),
        // Codings listed in the order applied: gzip first, then brotli over it.
        "/both" => Resp::bytes("text/html", brotli(&gzip(p3.as_bytes())))
            .header("Content-Encoding", "gzip, br"),
        "/bomb" => {
            Resp::bytes("text/html", brotli(&vec![b' '; 200_000])).header("Content-Encoding", "br")
        }
        _ => Resp::not_found(),
    });
    let dir = tempfile::tempdir().unwrap();
    let seeds = [
        s.url("a.test", "/br"),
        s.url("a.test", "/both"),
        s.url("a.test", "/bomb"),
    ];
    let mut c = config(&s, &["a.test"], &seeds);
    c.max_decompressed_bytes = 100_000;
    let items = run(c, dir.path());
    let (_, skipped) = rows(&items);
    let bodies: Vec<&str> = pages_of(&items).iter().map(html_of).collect();
    assert_eq!(bodies, [page.as_str(), page.as_str()]);
    assert_eq!(
        reason_of(&skipped, &seeds[2]),
        Some(ReasonCode::FetchDecompressedTooLarge)
    );
}

#[test]
fn decodes_gzip_and_refuses_bombs() {
    let page = "<p>compressed page</p>".repeat(50);
    let (p2, bomb) = (page.clone(), gzip(&vec![b' '; 200_000]));
    let s = Server::start(move |_, path| match path {
        "/robots.txt" => Resp::not_found(),
        "/gz" => Resp::bytes("text/html", gzip(p2.as_bytes())).header("Content-Encoding", "gzip"),
        "/bomb" => Resp::bytes("text/html", bomb.clone()).header("Content-Encoding", "gzip"),
        _ => Resp::not_found(),
    });
    let dir = tempfile::tempdir().unwrap();
    let seeds = [s.url("a.test", "/gz"), s.url("a.test", "/bomb")];
    let mut c = config(&s, &["a.test"], &seeds);
    c.max_decompressed_bytes = 100_000;
    let items = run(c, dir.path());
    let (_, skipped) = rows(&items);
    let p = pages_of(&items)[0];
    assert_eq!(html_of(&p), page);
    assert_eq!(
        reason_of(&skipped, &seeds[1]),
        Some(ReasonCode::FetchDecompressedTooLarge)
    );
}

#[test]
fn site_files_refuse_pages_before_they_are_requested() {
    let s = Server::start(|host, path| match (host, path) {
        (_, "/robots.txt") => Resp::new(
            200,
            "text/plain",
            "User-agent: *\nAllow: /\nSitemap: http://a.test:{PORT}/sitemap.xml\n",
        ),
        ("a.test", "/sitemap.xml") => Resp::new(
            200,
            "application/xml",
            "<urlset><url><loc>http://a.test:{PORT}/from-sitemap</loc></url>\
             <url><loc>http://elsewhere.test/listed</loc></url>\
             <url><loc>mailto:someone@a.test</loc></url></urlset>",
        ),
        ("t.test", "/.well-known/tdmrep.json") => Resp::new(
            200,
            "application/json",
            r#"[{"location":"/*","tdm-reservation":1}]"#,
        ),
        ("u.test", "/") => Resp::html("usage").header("Content-Usage", "train-ai=n"),
        (_, "/ai.txt") | (_, "/.well-known/tdmrep.json") => Resp::not_found(),
        _ => Resp::html("page"),
    });
    let dir = tempfile::tempdir().unwrap();
    let seeds = [
        s.url("a.test", "/"),
        s.url("t.test", "/"),
        s.url("u.test", "/"),
    ];
    let mut c = config(&s, &["a.test", "t.test", "u.test"], &seeds);
    c.follow_sitemaps = true;
    let items = run(c, dir.path());
    let (mut pages, skipped) = rows(&items);
    pages.sort();
    // The sitemap's URL is crawled.
    assert!(
        pages.iter().any(|p| p.ends_with("/from-sitemap")),
        "{pages:?}"
    );
    // Entries it lists but the crawl does not follow still get their rows.
    assert_eq!(
        reason_of(&skipped, "http://elsewhere.test/listed"),
        Some(ReasonCode::FetchNotReached)
    );
    assert_eq!(
        reason_of(&skipped, "mailto:someone@a.test"),
        Some(ReasonCode::FetchBadUrl)
    );
    assert_eq!(
        reason_of(&skipped, &seeds[1]),
        Some(ReasonCode::TdmrepReserved)
    );
    assert!(page_paths(&s, "t.test").is_empty());
    assert_eq!(
        reason_of(&skipped, &seeds[2]),
        Some(ReasonCode::AiprefTrainAiN)
    );
}

#[test]
fn timeouts_and_open_licence_only() {
    let s = Server::start(|_, path| match path {
        "/robots.txt" => Resp::not_found(),
        "/slow" => Resp::html("late").delay(Duration::from_millis(1500)),
        "/cc" => Resp::html(
            r#"<html><head><link rel="license" href="https://creativecommons.org/licenses/by/4.0/"></head><body>cc</body></html>"#,
        ),
        _ => Resp::html("no licence"),
    });
    let dir = tempfile::tempdir().unwrap();
    let seeds = [
        s.url("a.test", "/slow"),
        s.url("a.test", "/cc"),
        s.url("a.test", "/none"),
    ];
    let mut c = config(&s, &["a.test"], &seeds);
    c.timeout_secs = 0.5;
    c.policy = assent_consent::Policy::OpenLicenceOnly;
    let items = run(c, dir.path());
    let (pages, skipped) = rows(&items);
    assert_eq!(
        reason_of(&skipped, &seeds[0]),
        Some(ReasonCode::FetchTimeout)
    );
    assert_eq!(pages, [seeds[1].clone()]);
    let p = pages_of(&items)[0];
    assert_eq!(p.licence.as_ref().unwrap().spdx, "CC-BY-4.0");
    assert_eq!(
        reason_of(&skipped, &seeds[2]),
        Some(ReasonCode::LicenceNotAllowed)
    );
}

#[test]
fn refused_pages_still_lead_to_their_links_unless_they_say_nofollow() {
    const CC: &str = r#"<link rel="license" href="https://creativecommons.org/licenses/by/4.0/">"#;
    let s = Server::start(|_, path| match path {
        "/robots.txt" => Resp::not_found(),
        // An unlicensed front page (refused under open-licence-only) linking to articles.
        "/" => Resp::html(
            r#"<p>front</p><a href="/cc">a</a><a href="/quiet">b</a><a href="/hdr">c</a>"#,
        ),
        "/cc" => Resp::html(&format!("<head>{CC}</head><p>licensed</p>")),
        // Licensed, but asks that its links not be followed: /hidden is never requested.
        "/quiet" => Resp::html(&format!(
            r#"<head>{CC}<meta name="robots" content="index, nofollow"></head><a href="/hidden">h</a>"#
        )),
        // The same through a header that names our token.
        "/hdr" => Resp::html(&format!(r#"<head>{CC}</head><a href="/hidden2">h</a>"#))
            .header("X-Robots-Tag", "AssentBot: nofollow"),
        _ => Resp::html(&format!("<head>{CC}</head><p>should not be fetched</p>")),
    });
    let dir = tempfile::tempdir().unwrap();
    let seeds = [s.url("a.test", "/")];
    let mut c = config(&s, &["a.test"], &seeds);
    c.policy = assent_consent::Policy::OpenLicenceOnly;
    let items = run(c, dir.path());
    let (mut pages, skipped) = rows(&items);
    pages.sort();
    assert_eq!(
        reason_of(&skipped, &seeds[0]),
        Some(ReasonCode::LicenceNotAllowed)
    );
    assert_eq!(
        pages,
        [
            s.url("a.test", "/cc"),
            s.url("a.test", "/hdr"),
            s.url("a.test", "/quiet")
        ]
    );
    let mut fetched = page_paths(&s, "a.test");
    fetched.sort();
    assert_eq!(fetched, ["/", "/cc", "/hdr", "/quiet"]);
}

#[test]
fn rsl_licences_and_robots_redirects() {
    let s = Server::start(|host, path| match (host, path) {
        ("r.test", "/robots.txt") => Resp::new(
            200,
            "text/plain",
            "License: http://r.test:{PORT}/licence.xml\nUser-agent: *\nAllow: /\n",
        ),
        ("r.test", "/licence.xml") => Resp::new(
            200,
            "application/rsl+xml",
            r#"<rsl xmlns="https://rslstandard.org/rsl"><content url="/"><license><prohibits type="usage">ai-train</prohibits></license></content></rsl>"#,
        ),
        ("m.test", "/robots.txt") => Resp::redirect("http://x.test:{PORT}/shared-robots.txt"),
        ("x.test", "/shared-robots.txt") => {
            Resp::new(200, "text/plain", "User-agent: *\nDisallow: /no\n")
        }
        (_, "/robots.txt") | (_, "/ai.txt") | (_, "/.well-known/tdmrep.json") => Resp::not_found(),
        _ => Resp::html("page"),
    });
    let dir = tempfile::tempdir().unwrap();
    let seeds = [
        s.url("r.test", "/"),
        s.url("m.test", "/no"),
        s.url("m.test", "/yes"),
    ];
    let items = run(
        config(&s, &["r.test", "m.test", "x.test"], &seeds),
        dir.path(),
    );
    let (pages, skipped) = rows(&items);
    assert_eq!(
        reason_of(&skipped, &seeds[0]),
        Some(ReasonCode::RslNotPermitted)
    );
    assert!(page_paths(&s, "r.test").iter().all(|p| p == "/licence.xml"));
    // The robots.txt found after a redirect applies to the original host.
    assert_eq!(
        reason_of(&skipped, &seeds[1]),
        Some(ReasonCode::RobotsDisallow)
    );
    assert_eq!(pages, [seeds[2].clone()]);
}

#[test]
fn a_site_rsl_standard_licence_admits_its_pages_under_open_licence_only() {
    let s = Server::start(|_, path| match path {
        "/robots.txt" => Resp::new(
            200,
            "text/plain",
            "License: /licence.xml\nUser-agent: *\nAllow: /\n",
        ),
        "/licence.xml" => Resp::new(
            200,
            "application/rsl+xml",
            r#"<rsl xmlns="https://rslstandard.org/rsl"><content url="/open/"><license>
               <permits type="usage">ai-train</permits>
               <standard>https://creativecommons.org/licenses/by/4.0/</standard>
               </license></content></rsl>"#,
        ),
        "/ai.txt" | "/.well-known/tdmrep.json" => Resp::not_found(),
        _ => Resp::html("<p>no licence of its own</p>"),
    });
    let dir = tempfile::tempdir().unwrap();
    // The RSL content covers /open/ only.
    let seeds = [s.url("a.test", "/open/page"), s.url("a.test", "/other")];
    let mut c = config(&s, &["a.test"], &seeds);
    c.policy = assent_consent::Policy::OpenLicenceOnly;
    let items = run(c, dir.path());
    let (pages, skipped) = rows(&items);
    assert_eq!(pages, [seeds[0].clone()]);
    let licence = pages_of(&items)[0].licence.clone();
    let licence = licence.expect("the page carries the site's licence");
    assert_eq!(
        (licence.spdx.as_str(), licence.found_in.as_str()),
        ("CC-BY-4.0", "rsl")
    );
    assert_eq!(
        reason_of(&skipped, &seeds[1]),
        Some(ReasonCode::LicenceNotAllowed)
    );
}

/// Every URL a page links to leaves exactly one item: a page, or one `fetch.not-reached` row
/// even when several pages (of several origins) link to it, and none for a URL that another
/// origin's worker queues, whichever worker gets there first.
#[test]
fn every_discovered_url_gets_exactly_one_item() {
    let s = Server::start(|host, path| match (host, path) {
        (_, "/robots.txt") => Resp::not_found(),
        ("a.test", "/") => Resp::html(
            r#"<a href="/p">p</a><a href="http://b.test:{PORT}/x">bx</a>
               <a href="http://b.test:{PORT}/y">by</a><a href="http://c.test/z#frag">cz</a>"#,
        ),
        ("a.test", "/p") => Resp::html(
            r#"<a href="http://c.test/z">cz again</a><a href="/deep">d</a>
               <a href="/deep#again">d again</a><a href="/">home</a>"#,
        ),
        // Slow, so that a.test finds b.test/x before b.test's worker queues it.
        ("b.test", "/") => Resp::html(r#"<a href="/x">x</a><a href="http://c.test/z">cz</a>"#)
            .delay(Duration::from_millis(300)),
        ("b.test", "/x") => Resp::html(r#"<a href="/deep">d</a>"#),
        _ => Resp::html("leaf"),
    });
    let dir = tempfile::tempdir().unwrap();
    let seeds = [s.url("a.test", "/"), s.url("b.test", "/")];
    let mut c = config(&s, &["a.test", "b.test"], &seeds);
    c.max_depth = 1;
    let items = run(c, dir.path());
    let (pages, skipped) = rows(&items);
    let mut all: Vec<String> = pages.clone();
    all.extend(skipped.iter().map(|(u, _, _)| u.clone()));
    let mut distinct = all.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(all.len(), distinct.len(), "a URL with two items: {all:?}");
    let mut want_pages = vec![
        s.url("a.test", "/"),
        s.url("a.test", "/p"),
        s.url("b.test", "/"),
        s.url("b.test", "/x"),
    ];
    want_pages.sort();
    let mut got_pages = pages.clone();
    got_pages.sort();
    assert_eq!(got_pages, want_pages);
    let mut got_rows: Vec<_> = skipped.iter().map(|(u, _, _)| u.clone()).collect();
    got_rows.sort();
    let mut want_rows = vec![
        "http://c.test/z".to_string(),
        s.url("a.test", "/deep"),
        s.url("b.test", "/deep"),
        s.url("b.test", "/y"),
    ];
    want_rows.sort();
    assert_eq!(got_rows, want_rows);
    assert!(skipped
        .iter()
        .all(|(_, r, st)| *r == ReasonCode::FetchNotReached && *st == Stage::Fetch));
    let why = |url: &str| -> String {
        items
            .iter()
            .find_map(|i| match i {
                InputItem::Skipped(r) if r.url.as_deref() == Some(url) => {
                    let v: serde_json::Value = serde_json::from_str(&r.evidence).unwrap();
                    Some(v["why"].as_str().unwrap().to_string())
                }
                _ => None,
            })
            .unwrap()
    };
    assert_eq!(why(&s.url("b.test", "/y")), "other origin");
    assert_eq!(why("http://c.test/z"), "other origin");
    assert_eq!(why(&s.url("a.test", "/deep")), "beyond max_depth");
    assert!(page_paths(&s, "b.test").iter().all(|p| p != "/y"));
    assert!(s.paths("c.test").is_empty());
}

#[test]
fn kept_page_after_redirects_names_its_chain_in_consent_evidence() {
    let s = Server::start(|host, path| match (host, path) {
        (_, "/robots.txt") => Resp::not_found(),
        ("a.test", "/start") => Resp::redirect("/middle"),
        ("a.test", "/middle") => Resp::redirect("http://a.test:{PORT}/final"),
        ("a.test", "/final") => Resp::html("arrived"),
        _ => Resp::not_found(),
    });
    let dir = tempfile::tempdir().unwrap();
    let mut c = config(&s, &["a.test"], &[s.url("a.test", "/start")]);
    c.max_depth = 0;
    let items = run(c, dir.path());
    let [InputItem::Skipped(seed_row), InputItem::Page(p)] = &items[..] else {
        panic!("{:?}", rows(&items))
    };
    assert_eq!(p.url, s.url("a.test", "/final"));
    // The seed's own row says where it led, and names the kept document.
    assert_eq!(
        seed_row.url.as_deref(),
        Some(s.url("a.test", "/start").as_str())
    );
    assert_eq!(seed_row.reasons, vec![ReasonCode::FetchRedirected]);
    let ev: serde_json::Value = serde_json::from_str(&seed_row.evidence).unwrap();
    assert_eq!(ev["to"], s.url("a.test", "/final"));
    assert_eq!(ev["redirects"].as_array().unwrap().len(), 2);
    let canonical = assent_schemas::canonical_url(&p.url);
    let record = p.source.record_id.as_deref().unwrap();
    assert_eq!(ev["doc_id"], assent_schemas::doc_id(&canonical, record));
    let consent = p.consent.as_ref().unwrap();
    assert_eq!(consent.decision, assent_schemas::Decision::Kept);
    let evidence: serde_json::Value =
        serde_json::from_value(serde_json::to_value(&consent.evidence).unwrap()).unwrap();
    let signals = evidence.as_array().expect("evidence stays a JSON array");
    let chain = signals
        .iter()
        .find(|v| v["signal"] == "redirect-chain")
        .unwrap_or_else(|| panic!("no redirect-chain signal: {evidence}"));
    assert_eq!(chain["found_in"], s.url("a.test", "/start"));
    assert_eq!(chain["verdict"], "neutral");
    assert_eq!(
        chain["raw"],
        format!(
            "{} -> {} -> {}",
            s.url("a.test", "/start"),
            s.url("a.test", "/middle"),
            s.url("a.test", "/final")
        )
    );
    assert_eq!(
        chain["chain"],
        serde_json::json!([s.url("a.test", "/middle"), s.url("a.test", "/final")])
    );
}

#[test]
fn a_crawl_without_redirects_adds_no_chain_signal() {
    let s = Server::start(|_, path| match path {
        "/robots.txt" => Resp::not_found(),
        _ => Resp::html("plain"),
    });
    let dir = tempfile::tempdir().unwrap();
    let items = run(config(&s, &["a.test"], &[s.url("a.test", "/")]), dir.path());
    let [InputItem::Page(p)] = &items[..] else {
        panic!()
    };
    assert!(!p
        .consent
        .as_ref()
        .unwrap()
        .evidence
        .iter()
        .any(|s| s.signal == "redirect-chain"));
}

/// Site rules are reused while their robots policy is fresh and loaded again (robots.txt
/// fetched again) once it is older than the cache's maximum age.
#[test]
fn site_rules_are_reloaded_when_robots_txt_is_stale() {
    use super::site::SiteCache;
    use assent_consent::robots::{RobotsFetch, RobotsPolicy, MAX_AGE};
    use assent_consent::site::SiteRules;
    use chrono::{TimeDelta, Utc};

    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let loads = AtomicUsize::new(0);
    let cache = SiteCache::new(Duration::from_secs(60));
    let get = |now| {
        rt.block_on(cache.get("http://a.test", now, || async {
            loads.fetch_add(1, Ordering::SeqCst);
            let robots = cache.robots.insert(
                "http://a.test",
                RobotsPolicy::from_fetch(RobotsFetch::ClientError(404)),
                now,
            );
            SiteRules::with_robots("http://a.test".into(), robots)
        }))
    };
    let t0 = Utc::now();
    let first = get(t0);
    let again = get(t0 + TimeDelta::seconds(59));
    assert!(Arc::ptr_eq(&first, &again));
    assert_eq!(loads.load(Ordering::SeqCst), 1);
    let later = get(t0 + TimeDelta::seconds(61));
    assert_eq!(loads.load(Ordering::SeqCst), 2);
    assert!(!Arc::ptr_eq(&first, &later));
    // Fresh again from the reload on.
    let after = get(t0 + TimeDelta::seconds(90));
    assert!(Arc::ptr_eq(&later, &after));
    assert_eq!(loads.load(Ordering::SeqCst), 2);
    // The crawl itself uses the RFC's 24 hours.
    assert_eq!(MAX_AGE, Duration::from_secs(24 * 60 * 60));
}

/// A crawl that outlives its robots.txt asks for it again before its next page.
#[test]
fn stale_robots_txt_is_fetched_again_during_a_crawl() {
    let s = Server::start(|_, path| match path {
        "/robots.txt" => Resp::new(200, "text/plain", "User-agent: *\nAllow: /\n"),
        "/" => Resp::html(r#"<a href="/1">1</a><a href="/2">2</a>"#),
        _ => Resp::html("leaf"),
    });
    let robots_hits = |s: &Server| {
        s.paths("a.test")
            .iter()
            .filter(|p| *p == "/robots.txt")
            .count()
    };
    let seeds = [s.url("a.test", "/")];
    let dir = tempfile::tempdir().unwrap();
    let items = run(config(&s, &["a.test"], &seeds), dir.path());
    assert_eq!(rows(&items).0.len(), 3);
    assert_eq!(robots_hits(&s), 1);
    // With a maximum age of zero every page finds the policy stale.
    let dir = tempfile::tempdir().unwrap();
    let mut c = crawler::start(
        config(&s, &["a.test"], &seeds),
        &dir.path().join(WARC_NAME),
        Duration::ZERO,
    )
    .unwrap();
    let items: Vec<InputItem> = c.by_ref().collect();
    c.finish().unwrap();
    assert_eq!(rows(&items).0.len(), 3);
    // Once as the worker starts (for its sitemaps), then once before each of the 3 pages.
    assert_eq!(robots_hits(&s) - 1, 1 + 3);
}
