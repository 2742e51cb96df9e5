//! `assent crawl` and `assent run` against the demo web served on 127.0.0.1: every consent
//! signal honoured, site-level refusals never requested, and no refused page's text anywhere
//! under the output directory.

mod common;
use assent::demo::serve;
use assent::demo::web::{DemoWeb, HOSTS, REGISTRY};
use common::*;
use std::path::Path;

const SIGNAL_REASONS: &[&str] = &[
    "robots.disallow",
    "robots.unreachable",
    "robots.ai-token-disallow",
    "aipref.train-ai-n",
    "content-signal.ai-train-no",
    "tdmrep.reserved",
    "noai.meta",
    "noai.header",
    "ai-txt.disallow",
    "rsl.not-permitted",
    "rsl.unavailable",
    "registry.opt-out",
];

fn write_crawl_setup(
    dir: &Path,
    port: u16,
) -> (std::path::PathBuf, std::path::PathBuf, std::path::PathBuf) {
    let seeds = dir.join("seeds.txt");
    std::fs::write(
        &seeds,
        format!("# the demo web\n{}\n", DemoWeb::seeds(port).join("\n")),
    )
    .unwrap();
    let registry = dir.join("registry.txt");
    std::fs::write(&registry, REGISTRY).unwrap();
    let config = dir.join("fast.toml");
    std::fs::write(&config, "[crawl]\ndelay_secs = 0.0\nmax_depth = 3\n").unwrap();
    (seeds, registry, config)
}

#[test]
fn crawl_honours_every_signal_and_keeps_no_refused_text() {
    let web = DemoWeb::new();
    let running = serve::start(DemoWeb::new()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (seeds, registry, config) = write_crawl_setup(dir.path(), running.port);
    let out = dir.path().join("out");
    let mut args: Vec<String> = vec![
        "crawl".into(),
        "--seeds".into(),
        seeds.display().to_string(),
        "--out".into(),
        out.display().to_string(),
        "--registry".into(),
        registry.display().to_string(),
        "--config".into(),
        config.display().to_string(),
    ];
    for r in DemoWeb::resolve_entries(running.port) {
        args.push("--resolve".into());
        args.push(r);
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    assent(&args, true);
    let requests = running.requests();
    let running_port = running.port;
    drop(running);

    let manifest = read_json(&out.join("manifest.json"));
    let reasons = &manifest["counts"]["by_reason"];
    for code in SIGNAL_REASONS {
        assert!(
            reasons[code].as_u64().unwrap_or(0) >= 1,
            "no {code} in {reasons}"
        );
    }

    // The rows of the cases that RFC 9309, TDMRep and RSL 1.0 decide (issue 9's items 1, 3
    // and 5): the history archive is reserved although tdmrep.json opens with an invalid rule.
    let rows = ledger_rows(&out);
    let reason_at = |host: &str, path: &str| {
        let url = format!("http://{host}:{}{path}", running_port);
        rows.iter()
            .find(|r| r.url.as_deref() == Some(url.as_str()))
            .map(|r| r.reasons.clone())
            .unwrap_or_else(|| panic!("no row for {url}"))
    };
    use assent_schemas::ReasonCode;
    assert_eq!(
        reason_at("stars.demo.test", "/~astronomer/1"),
        [ReasonCode::RobotsDisallow]
    );
    assert_eq!(
        reason_at("history.demo.test", "/archive/0"),
        [ReasonCode::TdmrepReserved]
    );
    assert_eq!(
        reason_at("workshop.demo.test", "/articles/4"),
        [ReasonCode::RslNotPermitted]
    );
    assert_eq!(
        reason_at("allotment.demo.test", "/articles/5"),
        [ReasonCode::NoaiMeta]
    );
    assert_eq!(
        reason_at("cycling.demo.test", "/"),
        [ReasonCode::ContentSignalAiTrainNo]
    );

    // Site-level refusals are never requested.
    for (host, path) in &requests {
        let site_file = path == "/robots.txt"
            || path == "/ai.txt"
            || path.starts_with("/.well-known/")
            || path.ends_with(".xml");
        if site_file {
            continue;
        }
        assert!(
            !matches!(
                host.as_str(),
                "bakery.demo.test"
                    | "cycling.demo.test"
                    | "crumb.demo.test"
                    | "wetlands.demo.test"
                    | "archive.demo.test"
            ),
            "requested {host}{path}"
        );
        assert!(
            !(host == "stars.demo.test" && path.starts_with("/private/")),
            "requested {host}{path}"
        );
        // RFC 9309 section 2.2.2: `Disallow: /%7Eastronomer/` covers `/~astronomer/`.
        assert!(
            !(host == "stars.demo.test" && path.starts_with("/~astronomer/")),
            "requested {host}{path}"
        );
        assert!(
            !(host == "history.demo.test" && path.starts_with("/archive/")),
            "requested {host}{path}"
        );
        assert!(
            !(host == "skywatch.demo.test" && path.starts_with("/members/")),
            "requested {host}{path}"
        );
        assert!(
            !(host == "river.demo.test" && path.starts_with("/reports/")),
            "requested {host}{path}"
        );
    }
    assert!(requests
        .iter()
        .any(|(h, p)| h == "archive.demo.test" && p == "/robots.txt"));

    // Pages refused by their own headers or markup were fetched once, then discarded whole.
    let refused_pages = [
        ("allotment.demo.test", "/articles/1"), // meta noai
        ("allotment.demo.test", "/articles/2"), // X-Robots-Tag: noai
        ("history.demo.test", "/articles/2"),   // meta tdm-reservation
        ("history.demo.test", "/articles/3"),   // tdm-reservation header
        ("workshop.demo.test", "/articles/1"),  // Content-Usage: train-ai=n
        ("workshop.demo.test", "/articles/3"),  // Link to a missing RSL licence
        ("workshop.demo.test", "/articles/4"),  // <link> to an RSL licence needing a server
        ("allotment.demo.test", "/articles/5"), // meta noai after 300 KiB of inline style
    ];
    let contents = searchable_contents(&out);
    assert!(contents
        .iter()
        .any(|(n, _)| n.ends_with("crawl-00000.warc.gz")));
    for (host, path) in refused_pages {
        assert!(
            requests.iter().any(|(h, p)| h == host && p == path),
            "{host}{path} was never fetched"
        );
        let secret = first_paragraph(&web, host, path);
        for (name, text) in &contents {
            assert!(
                !text.contains(&secret),
                "text of refused {host}{path} found in {name}"
            );
        }
    }
    // Kept ones: the licensed garden, noimageai alone, a noai for another bot, our own group.
    let kept = &contents
        .iter()
        .filter(|(n, _)| n.contains("/shards/"))
        .map(|(_, t)| t.clone())
        .collect::<String>();
    for (host, path) in [
        ("garden.demo.test", "/articles/1"),
        ("allotment.demo.test", "/articles/3"),
        ("allotment.demo.test", "/articles/4"),
        ("workshop.demo.test", "/articles/2"),
    ] {
        assert!(
            kept.contains(&first_paragraph(&web, host, path)),
            "{host}{path} should be kept"
        );
    }
    assert!(
        kept.contains("CC-BY-4.0"),
        "the garden's licence is recorded"
    );
    assert_eq!(HOSTS.len(), 13);
}

#[test]
fn run_streams_a_configured_crawl_into_curation() {
    let running = serve::start(DemoWeb::new()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("from-config");
    let resolve: Vec<String> = DemoWeb::resolve_entries(running.port)
        .iter()
        .map(|r| format!("{r:?}"))
        .collect();
    let toml = format!(
        "[output]\ndir = {out:?}\n\n[crawl]\nseeds = [\"http://garden.demo.test:{port}/\"]\nresolve = [{}]\ndelay_secs = 0.0\nmax_depth = 1\n",
        resolve.join(", "),
        port = running.port,
        out = out.display().to_string(),
    );
    let cfg = dir.path().join("run.toml");
    std::fs::write(&cfg, toml).unwrap();
    assent(&["run", cfg.to_str().unwrap()], true);
    let manifest = read_json(&out.join("manifest.json"));
    assert_eq!(manifest["command"], "run");
    // The twenty articles the front page links to; the front page, a list of their titles,
    // FineWeb's rules drop (its commonest word pair is too common).
    assert_eq!(manifest["counts"]["by_decision"]["kept"], 20);
    assert_eq!(manifest["counts"]["by_reason"]["gopher.top-2-gram"], 1);
    assert_eq!(manifest["inputs"][0]["kind"], "crawl-warc");
}
