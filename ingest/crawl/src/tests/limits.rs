//! The crawler against hostile or unusual servers and addresses: robots.txt past its limits,
//! one host on two ports of the resolve map, fully qualified host names, amplification
//! through RSL documents, decompression bombs, URLs past the length cap, and a host that
//! would hold a URL for minutes.

use super::*;

fn deflate(data: &[u8], zlib: bool) -> Vec<u8> {
    use flate2::write::{DeflateEncoder, ZlibEncoder};
    use flate2::Compression;
    use std::io::Write;
    if zlib {
        let mut e = ZlibEncoder::new(Vec::new(), Compression::best());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    } else {
        let mut e = DeflateEncoder::new(Vec::new(), Compression::best());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }
}

/// RFC 9309 section 2.5: the limit cuts parsing; a gzip robots.txt that decodes past 500 KiB
/// is read up to the limit, not taken as unreachable.
#[test]
fn a_gzip_robots_txt_past_500_kib_is_parsed_up_to_the_limit() {
    let mut robots = b"User-agent: *\nDisallow: /private\n".to_vec();
    while robots.len() < 600 * 1024 {
        robots.extend_from_slice(b"# a long comment line to pad the file out\n");
    }
    robots.extend_from_slice(b"Disallow: /late\n");
    let gz = gzip(&robots);
    let s = Server::start(move |_, path| match path {
        "/robots.txt" => Resp::bytes("text/plain", gz.clone()).header("Content-Encoding", "gzip"),
        _ => Resp::html("<p>a page of the site</p>"),
    });
    let dir = tempfile::tempdir().unwrap();
    let seeds = [
        s.url("a.test", "/private"),
        s.url("a.test", "/late"),
        s.url("a.test", "/public"),
    ];
    let items = run(config(&s, &["a.test"], &seeds), dir.path());
    let (pages, skipped) = rows(&items);
    assert_eq!(
        reason_of(&skipped, &seeds[0]),
        Some(ReasonCode::RobotsDisallow)
    );
    assert_eq!(pages, [seeds[1].clone(), seeds[2].clone()], "{skipped:?}");
}

/// RFC 9309 section 2.3.1.2: more than five redirects make robots.txt unavailable, and a
/// crawler may then access any resource (not unreachable, which would refuse everything).
#[test]
fn more_than_five_robots_redirects_is_unavailable() {
    let s = Server::start(|_, path| match path {
        "/robots.txt" => Resp::redirect("/r1"),
        p if p.starts_with("/r") => {
            let n: u32 = p[2..].parse().unwrap();
            Resp::redirect(&format!("/r{}", n + 1))
        }
        _ => Resp::html("<p>the page</p>"),
    });
    let dir = tempfile::tempdir().unwrap();
    let seed = s.url("a.test", "/page");
    let items = run(config(&s, &["a.test"], &[seed]), dir.path());
    let pages = pages_of(&items);
    assert_eq!(pages.len(), 1, "{:?}", rows(&items));
    let evidence =
        assent_schemas::evidence::evidence_to_json(&pages[0].consent.as_ref().unwrap().evidence);
    assert!(evidence.contains("unavailable"), "{evidence}");
    assert_eq!(
        s.paths("a.test")
            .iter()
            .filter(|p| p.starts_with("/r") && *p != "/robots.txt")
            .count(),
        5
    );
}

/// A host mapped on two ports, and a URL with no port: it must go to the entry of its own
/// (default) port, here an address where nothing listens, never to the other entry's port,
/// where the server is.
#[test]
fn a_url_without_a_port_never_reaches_another_ports_entry() {
    let s = Server::start(|_, _| Resp::html("<p>reached</p>"));
    let dir = tempfile::tempdir().unwrap();
    let mut c = config(&s, &["two.test"], &["http://two.test/".to_string()]);
    // Port 80 of 127.0.0.1 is not the test server.
    c.resolve.push("two.test:80:127.0.0.1".into());
    c.timeout_secs = 2.0;
    let items = run(c, dir.path());
    assert!(
        s.hits().is_empty(),
        "reached the other entry's port: {:?}",
        s.hits()
    );
    assert!(pages_of(&items).is_empty());
}

/// `ok.test.` is `ok.test`: it is reached through the resolve map (never the system
/// resolver), and its URLs are recorded without the dot.
#[test]
fn a_fully_qualified_host_is_the_same_host() {
    let s = Server::start(|host, path| match (host, path) {
        (_, "/robots.txt") => Resp::new(200, "text/plain", "User-agent: *\nDisallow: /private\n"),
        _ => Resp::html("<p>dotted</p>"),
    });
    let dir = tempfile::tempdir().unwrap();
    let seeds = [
        format!("http://ok.test.:{}/page", s.port),
        format!("http://OK.test.:{}/private", s.port),
    ];
    let items = run(config(&s, &["ok.test"], &seeds), dir.path());
    let (pages, skipped) = rows(&items);
    assert_eq!(pages, [s.url("ok.test", "/page")]);
    assert_eq!(
        reason_of(&skipped, &s.url("ok.test", "/private")),
        Some(ReasonCode::RobotsDisallow)
    );
    assert_eq!(
        s.paths("ok.test")
            .iter()
            .filter(|p| *p == "/robots.txt")
            .count(),
        1
    );
}

/// A robots.txt naming 300 RSL documents, and a page naming ten: a few are fetched, the rest
/// are not, and the evidence says so (a licence named but not read grants nothing).
#[test]
fn rsl_documents_are_capped_per_origin_and_per_page() {
    let robots: String = (0..300)
        .map(|i| format!("License: http://other{i}.test:{{PORT}}/l.xml\n"))
        .chain(["User-agent: *\nAllow: /\n".to_string()])
        .collect();
    let links: Vec<String> = (0..10)
        .map(|i| format!("<http://a.test:{{PORT}}/page-licence-{i}.xml>; rel=\"license\"; type=\"application/rsl+xml\""))
        .collect();
    let links = links.join(", ");
    let permit = "<rsl xmlns=\"https://rslstandard.org/rsl\"><content url=\"/\"><license><permits type=\"usage\">all</permits></license></content></rsl>";
    let s = Server::start(move |host, path| match (host, path) {
        ("a.test", "/robots.txt") => Resp::new(200, "text/plain", &robots),
        ("b.test", "/robots.txt") => Resp::not_found(),
        (_, p) if p.ends_with(".xml") => Resp::new(200, "application/rsl+xml", permit),
        ("b.test", "/page") => Resp::html("<p>names licences</p>").header("Link", &links),
        _ => Resp::html("<p>x</p>"),
    });
    let dir = tempfile::tempdir().unwrap();
    let hosts: Vec<String> = (0..300).map(|i| format!("other{i}.test")).collect();
    let mut all: Vec<&str> = hosts.iter().map(String::as_str).collect();
    all.extend(["a.test", "b.test"]);
    let seeds = [s.url("a.test", "/"), s.url("b.test", "/page")];
    let items = run(config(&s, &all, &seeds), dir.path());
    let fetched_xml = s.hits().iter().filter(|h| h.path.ends_with(".xml")).count();
    assert!(
        fetched_xml <= 2 * assent_consent::rsl::MAX_FETCHED,
        "{fetched_xml} RSL fetches"
    );
    let (_, skipped) = rows(&items);
    for seed in &seeds {
        assert_eq!(
            reason_of(&skipped, seed),
            Some(ReasonCode::RslUnavailable),
            "{seed}"
        );
    }
    let evidence: Vec<&str> = items
        .iter()
        .filter_map(|i| match i {
            InputItem::Skipped(r) => Some(r.evidence.as_str()),
            _ => None,
        })
        .collect();
    assert!(
        evidence.iter().any(|e| e.contains("296 not fetched")),
        "{evidence:?}"
    );
    assert!(
        evidence.iter().any(|e| e.contains("6 not fetched")),
        "{evidence:?}"
    );
}

/// A deflate bomb, in zlib and in raw form, is expanded once, to the cap, and recorded as
/// too large; a URL past the length cap is a bad URL before any request, and its row keeps a
/// bounded part of it.
#[test]
fn bombs_and_overlong_urls_get_their_own_reasons() {
    let big = vec![b' '; 4 << 20];
    let (zlib, raw) = (deflate(&big, true), deflate(&big, false));
    let long_path = format!("/{}", "x".repeat(70 * 1024));
    let page = format!("<p>links far</p><a href=\"{long_path}\">long</a>");
    let s = Server::start(move |_, path| match path {
        "/robots.txt" => Resp::not_found(),
        "/zlib" => Resp::bytes("text/html", zlib.clone()).header("Content-Encoding", "deflate"),
        "/raw" => Resp::bytes("text/html", raw.clone()).header("Content-Encoding", "deflate"),
        "/links" => Resp::html(&page),
        _ => Resp::html("<p>should not be asked for</p>"),
    });
    let dir = tempfile::tempdir().unwrap();
    let long_seed = s.url("a.test", &"/y".repeat(40 * 1024));
    let seeds = [
        s.url("a.test", "/zlib"),
        s.url("a.test", "/raw"),
        long_seed.clone(),
        s.url("a.test", "/links"),
    ];
    let mut c = config(&s, &["a.test"], &seeds);
    c.max_decompressed_bytes = 1 << 20;
    let items = run(c, dir.path());
    let (_, skipped) = rows(&items);
    for seed in &seeds[..2] {
        assert_eq!(
            reason_of(&skipped, seed),
            Some(ReasonCode::FetchDecompressedTooLarge)
        );
    }
    let bad: Vec<&assent_schemas::LedgerRow> = items
        .iter()
        .filter_map(|i| match i {
            InputItem::Skipped(r) if r.reasons == [ReasonCode::FetchBadUrl] => Some(r),
            _ => None,
        })
        .collect();
    assert_eq!(bad.len(), 2, "the long seed and the long link");
    for row in bad {
        assert!(row.url.as_ref().unwrap().len() <= 2048 + 3);
        assert!(row.evidence.len() < 4096, "{} bytes", row.evidence.len());
        assert!(
            row.evidence.contains("longer than 8192"),
            "{}",
            row.evidence
        );
    }
    assert!(s.paths("a.test").iter().all(|p| p.len() < 100));
}

/// A host that asks to be retried after two minutes, and one that answers more slowly than
/// the time left: the URL is given up within the host's budget, and its row says so.
#[test]
fn a_host_cannot_hold_a_url_past_its_time_budget() {
    let s = Server::start(|_, path| match path {
        "/robots.txt" => Resp::not_found(),
        "/busy" => Resp::new(503, "text/plain", "busy").header("Retry-After", "120"),
        "/slow" => Resp::html("<p>slow</p>").delay(Duration::from_secs(3)),
        _ => Resp::html("<p>fine</p>"),
    });
    let dir = tempfile::tempdir().unwrap();
    let seeds = [
        s.url("a.test", "/busy"),
        s.url("a.test", "/slow"),
        s.url("a.test", "/ok"),
    ];
    let mut c = config(&s, &["a.test"], &seeds);
    c.url_budget_secs = 1.0;
    let items = run(c, dir.path());
    let (pages, skipped) = rows(&items);
    assert_eq!(pages, [seeds[2].clone()]);
    for seed in &seeds[..2] {
        assert_eq!(
            reason_of(&skipped, seed),
            Some(ReasonCode::FetchTimeBudget),
            "{seed}"
        );
    }
    let busy = items
        .iter()
        .find_map(|i| match i {
            InputItem::Skipped(r) if r.url.as_deref() == Some(seeds[0].as_str()) => Some(r),
            _ => None,
        })
        .unwrap();
    assert!(
        busy.evidence.contains("time budget of 1 s"),
        "{}",
        busy.evidence
    );
    assert!(
        busy.evidence.contains("retry after 120 s"),
        "{}",
        busy.evidence
    );
    // Asked once: no retry was waited for.
    assert_eq!(
        s.paths("a.test").iter().filter(|p| *p == "/busy").count(),
        1
    );
}
