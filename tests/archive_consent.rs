//! `assent curate` on archived pages and text from other tools: consent is checked on every
//! path a page enters by, not only when crawling. Page-level signals stored with an archived
//! response refuse it exactly as a crawl would; site-level signals come from the site-file
//! captures among the inputs (`archive`) or from the hosts today (`live`); and what could not
//! be checked is said in each document, counted in the manifest, and kept or refused by
//! `[consent] unchecked`.

mod common;
use assent_ingest::warc::WarcWriter;
use assent_schemas::{Decision, LedgerRow, ReasonCode, Unchecked};
use chrono::{TimeZone, Utc};
use common::*;
use std::path::{Path, PathBuf};

/// One response to archive: URL, headers, body.
type Response<'a> = (&'a str, Vec<(&'a str, &'a str)>, String);

fn write_warc(path: &Path, responses: &[Response<'_>]) {
    let mut w = WarcWriter::new(std::fs::File::create(path).unwrap());
    let at = Utc.with_ymd_and_hms(2024, 5, 21, 8, 0, 0).unwrap();
    for (url, headers, body) in responses {
        let status = headers
            .iter()
            .find(|(n, _)| *n == ":status")
            .map(|(_, v)| v.parse().unwrap())
            .unwrap_or(200);
        let headers: Vec<(String, String)> = headers
            .iter()
            .filter(|(n, _)| *n != ":status")
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect();
        w.write_response(url, at, status, &headers, body.as_bytes())
            .unwrap();
    }
    drop(w.into_inner());
}

/// A page whose one paragraph is `secret`, with `head` in its head.
fn page(head: &str, secret: &str) -> String {
    format!("<!DOCTYPE html><html><head><title>t</title>{head}</head><body><main><p>{secret}</p></main></body></html>")
}

fn html() -> Vec<(&'static str, &'static str)> {
    vec![("Content-Type", "text/html; charset=utf-8")]
}

fn row_for<'a>(rows: &'a [LedgerRow], url: &str) -> &'a LedgerRow {
    rows.iter()
        .find(|r| r.url.as_deref() == Some(url))
        .unwrap_or_else(|| panic!("no ledger row for {url}"))
}

/// `assent curate ARGS`, without FineWeb's rules unless ARGS give a configuration (these
/// pages are a sentence each).
fn curate(args: &[&str]) -> std::process::Output {
    let dir = tempfile::tempdir().unwrap();
    let config = config_without_rules(dir.path(), "");
    let mut all = vec!["curate"];
    all.extend_from_slice(args);
    if !args.contains(&"--config") {
        all.extend(["--config", config.to_str().unwrap()]);
    }
    assent(&all, true)
}

const SECRETS: [&str; 4] = [
    "Marigold whispers under the cedar bridge at dawn, said the first refused page.",
    "Copper kettles sing of the northern lighthouse, said the second refused page.",
    "Seven lanterns drift across the salt marsh tonight, said the third refused page.",
    "Velvet moths gather near the old observatory, said the fourth refused page.",
];

/// The issue's own case: five archived responses, four refusing by their headers or markup.
/// Before, all five were kept with no reasons.
#[test]
fn page_level_signals_in_archived_responses_refuse_as_when_crawling() {
    let dir = tempfile::tempdir().unwrap();
    let warc = dir.path().join("pages.warc.gz");
    let mut noai_header = html();
    noai_header.push(("X-Robots-Tag", "noai"));
    let mut usage = html();
    usage.push(("Content-Usage", "train-ai=n"));
    write_warc(
        &warc,
        &[
            (
                "http://a.example/meta-noai",
                html(),
                page(r#"<meta name="robots" content="noai">"#, SECRETS[0]),
            ),
            (
                "http://a.example/header-noai",
                noai_header,
                page("", SECRETS[1]),
            ),
            (
                "http://a.example/tdm",
                html(),
                page(r#"<meta name="tdm-reservation" content="1">"#, SECRETS[2]),
            ),
            ("http://a.example/usage", usage, page("", SECRETS[3])),
            (
                "http://a.example/clean",
                html(),
                page(
                    "",
                    "An ordinary page that no signal refuses, about gardens.",
                ),
            ),
        ],
    );
    let out = dir.path().join("out");
    let run = curate(&[
        "--warc",
        warc.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    // Nor in what the run printed or logged.
    for secret in SECRETS {
        assert!(!String::from_utf8_lossy(&run.stdout).contains(secret));
        assert!(!String::from_utf8_lossy(&run.stderr).contains(secret));
    }
    let rows = ledger_rows(&out);
    for (path, reason) in [
        ("/meta-noai", ReasonCode::NoaiMeta),
        ("/header-noai", ReasonCode::NoaiHeader),
        ("/tdm", ReasonCode::TdmrepReserved),
        ("/usage", ReasonCode::AiprefTrainAiN),
    ] {
        let row = row_for(&rows, &format!("http://a.example{path}"));
        assert_eq!(row.decision, Decision::Refused, "{path}");
        assert_eq!(row.reasons, vec![reason], "{path}");
        // The evidence names the WARC record the response came from.
        let ev: serde_json::Value = serde_json::from_str(&row.evidence).unwrap();
        assert_eq!(ev["file"], warc.to_str().unwrap());
        assert!(
            ev["record_id"].as_str().unwrap().starts_with("<urn:uuid:"),
            "{ev}"
        );
        assert!(ev["offset"].as_u64().is_some(), "{ev}");
        assert_eq!(row.source.record_id.as_deref(), ev["record_id"].as_str());
    }
    let docs = shard_documents(&out);
    assert_eq!(docs.len(), 1);
    assert_eq!(docs[0].url, "http://a.example/clean");
    assert_eq!(docs[0].consent.unchecked, vec![Unchecked::Site]);
    // Refused text is written nowhere under OUT: shards, ledger, manifest, anything else.
    for (name, text) in searchable_contents(&out) {
        for secret in SECRETS {
            assert!(!text.contains(secret), "refused text in {name}");
        }
    }
    let manifest = read_json(&out.join("manifest.json"));
    assert_eq!(manifest["consent"]["site_signals"], "archive");
    assert_eq!(manifest["consent"]["unchecked_kept"], 1);
    assert_eq!(manifest["consent"]["unchecked_kept_by_part"]["site"], 1);
    assert_eq!(manifest["counts"]["by_decision"]["refused"], 4);
}

/// Site files captured in an archive of their own (as Common Crawl publishes robots.txt)
/// refuse the pages of their sites; a host with no capture is unchecked, kept by default,
/// refused under `--unchecked refuse`; and text from other tools is held to the same site
/// files, with its missing page-level signals said.
#[test]
fn archived_site_files_refuse_and_what_is_missing_is_counted() {
    let dir = tempfile::tempdir().unwrap();
    let plain = || vec![("Content-Type", "text/plain")];
    let robots_warc = dir.path().join("robots.warc.gz");
    let licence = r#"<rsl xmlns="https://rslstandard.org/rsl"><content url="/"><license><prohibits type="usage">ai-train</prohibits></license></content></rsl>"#;
    write_warc(
        &robots_warc,
        &[
            (
                "http://b.example/robots.txt",
                plain(),
                "User-agent: *\nDisallow: /private/\n".into(),
            ),
            (
                "http://c.example/robots.txt",
                plain(),
                "User-agent: GPTBot\nDisallow: /\n\nUser-agent: *\nAllow: /\n".into(),
            ),
            (
                "http://d.example/robots.txt",
                plain(),
                "User-agent: *\nAllow: /\n".into(),
            ),
            (
                "http://d.example/ai.txt",
                plain(),
                "User-Agent: *\nDisallow: /members/\n".into(),
            ),
            (
                "http://e.example/robots.txt",
                plain(),
                "License: http://e.example/licence.xml\nUser-agent: *\nAllow: /\n".into(),
            ),
            (
                "http://e.example/licence.xml",
                vec![("Content-Type", "application/rsl+xml")],
                licence.into(),
            ),
            (
                "http://f.example/robots.txt",
                vec![(":status", "503")],
                "busy".into(),
            ),
            (
                "http://g.example/robots.txt",
                plain(),
                "User-agent: *\nDisallow: /a%7Eb/\n".into(),
            ),
        ],
    );
    let pages_warc = dir.path().join("pages.warc.gz");
    // Texts that differ in words, not in digits alone (near-dedup reads every digit as 0).
    let places = [
        "", "rivers", "hills", "harbours", "forests", "deserts", "islands", "valleys", "marshes",
    ];
    let body = |n: usize| {
        page(
            "",
            &format!(
                "Page {} tells of {} and the long road home.",
                places[n].len(),
                places[n]
            ),
        )
    };
    write_warc(
        &pages_warc,
        &[
            ("http://b.example/private/1", html(), body(1)),
            ("http://b.example/open/2", html(), body(2)),
            ("http://c.example/3", html(), body(3)),
            ("http://d.example/members/4", html(), body(4)),
            ("http://e.example/5", html(), body(5)),
            ("http://f.example/6", html(), body(6)),
            ("http://g.example/a~b/7", html(), body(7)),
            ("http://nowhere.example/8", html(), body(8)),
        ],
    );
    let jsonl = dir.path().join("text.jsonl");
    std::fs::write(
        &jsonl,
        concat!(
            r#"{"text": "Text from another tool about the private garden path.", "url": "http://b.example/private/9"}"#,
            "\n",
            r#"{"text": "Text from another tool about an open meadow and its flowers.", "url": "http://b.example/open/10"}"#,
            "\n",
        ),
    )
    .unwrap();
    let out = dir.path().join("out");
    let run = |out: &Path, extra: &[&str]| {
        let mut args = vec![
            "--warc",
            pages_warc.to_str().unwrap(),
            "--jsonl",
            jsonl.to_str().unwrap(),
            "--site-files",
            robots_warc.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        curate(&args)
    };
    run(&out, &[]);
    let rows = ledger_rows(&out);
    for (url, reason) in [
        ("http://b.example/private/1", ReasonCode::RobotsDisallow),
        ("http://c.example/3", ReasonCode::RobotsAiTokenDisallow),
        ("http://d.example/members/4", ReasonCode::AiTxtDisallow),
        ("http://e.example/5", ReasonCode::RslNotPermitted),
        ("http://f.example/6", ReasonCode::RobotsUnreachable),
        ("http://g.example/a~b/7", ReasonCode::RobotsDisallow),
        ("http://b.example/private/9", ReasonCode::RobotsDisallow),
    ] {
        let row = row_for(&rows, url);
        assert_eq!(row.reasons, vec![reason], "{url}: {}", row.evidence);
    }
    // The refusal names the robots.txt capture it rests on.
    let ev = &row_for(&rows, "http://b.example/private/1").evidence;
    assert!(ev.contains("robots.warc.gz record <urn:uuid:"), "{ev}");
    let docs = shard_documents(&out);
    let kept: Vec<(&str, &[Unchecked])> = docs
        .iter()
        .map(|d| (d.url.as_str(), d.consent.unchecked.as_slice()))
        .collect();
    assert_eq!(
        kept,
        [
            ("http://b.example/open/2", &[][..]),
            ("http://nowhere.example/8", &[Unchecked::Site][..]),
            ("http://b.example/open/10", &[Unchecked::Page][..]),
        ]
    );
    let manifest = read_json(&out.join("manifest.json"));
    assert_eq!(manifest["consent"]["archived_robots_origins"], 6);
    assert_eq!(manifest["consent"]["unchecked_kept"], 2);
    assert!(manifest["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .any(|i| i["kind"] == "site-files"));
    // The kept row says what was not checked.
    let kept_row = rows
        .iter()
        .find(|r| {
            r.decision == Decision::Kept && r.url.as_deref() == Some("http://nowhere.example/8")
        })
        .unwrap();
    assert!(
        kept_row.evidence.contains("consent_unchecked"),
        "{}",
        kept_row.evidence
    );

    let strict = dir.path().join("strict");
    run(&strict, &["--unchecked", "refuse"]);
    let rows = ledger_rows(&strict);
    for url in ["http://nowhere.example/8", "http://b.example/open/10"] {
        assert_eq!(
            row_for(&rows, url).reasons,
            vec![ReasonCode::ConsentUnchecked],
            "{url}"
        );
    }
    assert_eq!(shard_documents(&strict).len(), 1);
    let stdout = String::from_utf8(run(&dir.path().join("again"), &[]).stdout).unwrap();
    assert!(stdout.contains("kept, consent unchecked"), "{stdout}");
}

/// Site files of a crawl's own WARC are read back when it is curated again, and are not
/// curated as documents themselves.
#[test]
fn site_files_among_the_inputs_are_read_not_kept() {
    let dir = tempfile::tempdir().unwrap();
    let warc = dir.path().join("mixed.warc.gz");
    write_warc(
        &warc,
        &[
            (
                "http://h.example/robots.txt",
                vec![("Content-Type", "text/plain")],
                "User-agent: *\nDisallow: /no/\n".into(),
            ),
            (
                "http://h.example/no/1",
                html(),
                page("", "Refused by the robots.txt in the same archive."),
            ),
            (
                "http://h.example/yes/2",
                html(),
                page("", "Allowed by the robots.txt in the same archive."),
            ),
        ],
    );
    let out = dir.path().join("out");
    curate(&[
        "--warc",
        warc.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    let rows = ledger_rows(&out);
    assert_eq!(
        row_for(&rows, "http://h.example/no/1").reasons,
        vec![ReasonCode::RobotsDisallow]
    );
    assert_eq!(
        row_for(&rows, "http://h.example/robots.txt").reasons,
        vec![ReasonCode::InputNotContent]
    );
    let docs = shard_documents(&out);
    assert_eq!(docs.len(), 1);
    assert!(docs[0].consent.unchecked.is_empty());
    // The manifest's sha256 of the input is the file's, though the scan computed it.
    let manifest = read_json(&out.join("manifest.json"));
    let expected = assent_manifests::sha256_file(&warc).unwrap();
    assert_eq!(manifest["inputs"][0]["sha256"], expected);
}

/// `--site-signals live`: the hosts are asked today through the crawler, so a robots.txt
/// that refuses now refuses the archived page the archive's old capture allowed; a host that
/// gives no answer falls back to its archived files, or is unchecked without them.
#[test]
fn live_site_signals_ask_the_hosts_and_fall_back_to_the_archive() {
    use assent::demo::serve;
    use assent::demo::web::DemoWeb;
    let running = serve::start(DemoWeb::new()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    // A port where nothing listens: the "gone" hosts give no answer.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let port = running.port;
    let url = |host: &str, path: &str, p: u16| format!("http://{host}:{p}{path}");
    let plain = || vec![("Content-Type", "text/plain")];
    let warc = dir.path().join("old.warc.gz");
    let stars_private = url("stars.demo.test", "/private/0", port);
    let stars_robots = url("stars.demo.test", "/robots.txt", port);
    let gone_robots = url("gone.demo.test", "/robots.txt", closed);
    let gone_x = url("gone.demo.test", "/x/1", closed);
    let gone_y = url("gone.demo.test", "/y/2", closed);
    let lost = url("lost.demo.test", "/z", closed);
    write_warc(
        &warc,
        &[
            // The archive saw an older robots.txt that allowed everything.
            (
                stars_robots.as_str(),
                plain(),
                "User-agent: *\nAllow: /\n".into(),
            ),
            (
                gone_robots.as_str(),
                plain(),
                "User-agent: *\nDisallow: /x/\n".into(),
            ),
            (
                stars_private.as_str(),
                html(),
                page("", "A private page of stars, archived long ago."),
            ),
            (
                gone_x.as_str(),
                html(),
                page("", "A page of a host that has gone away, under x."),
            ),
            (
                gone_y.as_str(),
                html(),
                page("", "A page of a host that has gone away, under y."),
            ),
            (
                lost.as_str(),
                html(),
                page("", "A page of a host gone without an archived robots.txt."),
            ),
        ],
    );
    let resolve = [
        format!("stars.demo.test:{port}:127.0.0.1"),
        format!("gone.demo.test:{closed}:127.0.0.1"),
        format!("lost.demo.test:{closed}:127.0.0.1"),
    ];
    let archived = dir.path().join("archived");
    curate(&[
        "--warc",
        warc.to_str().unwrap(),
        "--out",
        archived.to_str().unwrap(),
    ]);
    assert_eq!(
        row_for(&ledger_rows(&archived), &stars_private).decision,
        Decision::Kept
    );
    assert!(
        running.requests().is_empty(),
        "archive mode fetches nothing"
    );

    let live = dir.path().join("live");
    let mut args = vec![
        "--warc",
        warc.to_str().unwrap(),
        "--out",
        live.to_str().unwrap(),
        "--site-signals",
        "live",
    ];
    for r in &resolve {
        args.extend(["--resolve", r.as_str()]);
    }
    curate(&args);
    let rows = ledger_rows(&live);
    assert_eq!(
        row_for(&rows, &stars_private).reasons,
        vec![ReasonCode::RobotsDisallow]
    );
    assert!(running
        .requests()
        .iter()
        .any(|(h, p)| h == "stars.demo.test" && p == "/robots.txt"));
    assert!(
        !running
            .requests()
            .iter()
            .any(|(_, p)| p.starts_with("/private/")),
        "a live check fetches site files, never pages"
    );
    assert_eq!(
        row_for(&rows, &gone_x).reasons,
        vec![ReasonCode::RobotsDisallow]
    );
    let y = shard_documents(&live)
        .into_iter()
        .find(|d| d.url == gone_y)
        .expect("kept by the archived robots.txt");
    let evidence = assent_schemas::evidence::evidence_to_json(&y.consent.evidence);
    assert!(evidence.contains("live-check"), "{evidence}");
    assert!(y.consent.unchecked.is_empty());
    let lost_doc = shard_documents(&live)
        .into_iter()
        .find(|d| d.url == lost)
        .unwrap();
    assert_eq!(lost_doc.consent.unchecked, vec![Unchecked::Site]);
    let manifest = read_json(&live.join("manifest.json"));
    assert_eq!(manifest["consent"]["site_signals"], "live");
    let site_files: Vec<PathBuf> = manifest["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["kind"] == "live-site-files")
        .map(|i| PathBuf::from(i["path"].as_str().unwrap()))
        .collect();
    assert_eq!(site_files.len(), 1);
    assert!(site_files[0].is_file());
}

/// Text from other tools carries no headers or markup, but it may carry the consent evidence
/// of an earlier pass (a `consent` column, as Assent's own shards have): its refusals refuse,
/// and what it checked is not counted as unchecked again.
#[test]
fn consent_carried_by_text_input_is_honoured() {
    let dir = tempfile::tempdir().unwrap();
    let warc = dir.path().join("checked.warc.gz");
    write_warc(
        &warc,
        &[
            (
                "http://k.example/robots.txt",
                vec![("Content-Type", "text/plain")],
                "User-agent: *\nAllow: /\n".into(),
            ),
            (
                "http://k.example/page",
                html(),
                page("", "A page whose consent the first pass checked in full."),
            ),
        ],
    );
    let first = dir.path().join("first");
    curate(&[
        "--warc",
        warc.to_str().unwrap(),
        "--out",
        first.to_str().unwrap(),
    ]);
    let shard = files_under(&first.join("shards"))
        .into_iter()
        .find(|p| p.extension().is_some_and(|e| e == "parquet"))
        .unwrap();
    let jsonl = dir.path().join("carried.jsonl");
    std::fs::write(
        &jsonl,
        concat!(
            r#"{"url": "http://m.example/a", "text": "An earlier pass refused this record for its noai tag.", "consent": {"decision": "refused", "reasons": ["noai.meta"], "evidence": "[]"}}"#,
            "\n",
            r#"{"url": "http://m.example/b", "text": "An earlier pass kept this record but could not check its site.", "consent": {"decision": "kept", "reasons": [], "evidence": "[]", "unchecked": ["site"]}}"#,
            "\n",
        ),
    )
    .unwrap();
    let second = dir.path().join("second");
    curate(&[
        "--parquet",
        shard.to_str().unwrap(),
        "--jsonl",
        jsonl.to_str().unwrap(),
        "--out",
        second.to_str().unwrap(),
    ]);
    let rows = ledger_rows(&second);
    assert_eq!(
        row_for(&rows, "http://m.example/a").reasons,
        vec![ReasonCode::NoaiMeta]
    );
    let docs = shard_documents(&second);
    let unchecked = |url: &str| {
        docs.iter()
            .find(|d| d.url == url)
            .unwrap_or_else(|| panic!("{url} not kept"))
            .consent
            .unchecked
            .clone()
    };
    assert_eq!(unchecked("http://k.example/page"), Vec::<Unchecked>::new());
    assert_eq!(unchecked("http://m.example/b"), vec![Unchecked::Site]);
}

/// The policy and the laundering guard of `[crawl]` and `[licence]` hold for archived pages
/// as for crawled ones: under open-licence-only, a page without an allowed licence is refused,
/// and a licence only a few pages of a domain claim is not believed.
#[test]
fn open_licence_only_and_its_guard_hold_for_archives() {
    let dir = tempfile::tempdir().unwrap();
    let warc = dir.path().join("licences.warc.gz");
    let cc_by = r#"<link rel="license" href="https://creativecommons.org/licenses/by/4.0/">"#;
    let mut responses: Vec<Response<'_>> = vec![(
        "http://l.example/robots.txt",
        vec![("Content-Type", "text/plain")],
        "User-agent: *\nAllow: /\n".into(),
    )];
    let urls: Vec<String> = (0..8).map(|i| format!("http://l.example/p{i}")).collect();
    for (i, url) in urls.iter().enumerate() {
        let head = if i == 0 { cc_by } else { "" };
        responses.push((
            url.as_str(),
            html(),
            page(head, &format!("Page {i} of a site about hills and rivers.")),
        ));
    }
    write_warc(&warc, &responses);
    let cfg = dir.path().join("guard.toml");
    std::fs::write(
        &cfg,
        without_rules(
            "[crawl]\npolicy = \"open-licence-only\"\n\n[licence]\nmin_domain_share = 0.5\n",
        ),
    )
    .unwrap();
    let out = dir.path().join("out");
    curate(&[
        "--warc",
        warc.to_str().unwrap(),
        "--config",
        cfg.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    let rows = ledger_rows(&out);
    assert_eq!(
        row_for(&rows, &urls[0]).reasons,
        vec![ReasonCode::LicenceDomainShareLow]
    );
    for url in &urls[1..] {
        assert_eq!(
            row_for(&rows, url).reasons,
            vec![ReasonCode::LicenceNotAllowed],
            "{url}"
        );
    }
    assert!(shard_documents(&out).is_empty());
}
