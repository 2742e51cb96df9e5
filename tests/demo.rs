//! `assent demo`: the README's first command, end to end (with few training steps).

mod common;
use common::*;

/// The value of the first `name="..."` in `html`.
fn attribute(html: &str, name: &str) -> String {
    let start = html
        .find(&format!("{name}=\""))
        .unwrap_or_else(|| panic!("no {name} in the page"))
        + name.len()
        + 2;
    html[start..].split('"').next().unwrap().to_string()
}

#[test]
fn demo_crawls_its_web_curates_and_trains() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("demo");
    let run = assent(
        &["demo", "--out", out.to_str().unwrap(), "--steps", "4"],
        true,
    );
    let stdout = String::from_utf8_lossy(&run.stdout);
    for expected in [
        "demo web:",
        "records in",
        "trained 4 steps",
        "training manifest",
    ] {
        assert!(
            stdout.contains(expected),
            "demo output lacks {expected:?}:\n{stdout}"
        );
    }
    let manifest = read_json(&out.join("corpus/manifest.json"));
    let counts = &manifest["counts"];
    assert!(
        counts["by_decision"]["kept"].as_u64().unwrap() >= 80,
        "{counts}"
    );
    // FineWeb's rules run by default: they drop the front pages (lists of titles, whose
    // commonest word pair is too common) and no article.
    let by_rules: Vec<String> = ledger_rows(&out.join("corpus"))
        .into_iter()
        .filter(|r| r.stage == assent_schemas::Stage::Filter)
        .map(|r| r.url.unwrap_or_default())
        .collect();
    assert!(by_rules.len() >= 6, "{by_rules:?}");
    assert!(
        by_rules.iter().all(|u| u.splitn(4, '/').nth(3) == Some("")),
        "{by_rules:?}"
    );
    assert!(
        counts["by_decision"]["refused"].as_u64().unwrap() >= 30,
        "{counts}"
    );
    assert!(out.join("corpus/warc/crawl-00000.warc.gz").is_file());
    // The corpus is audited, and the consent landscape names the signals that refused.
    let audit = read_json(&out.join("corpus/audit/audit.json"));
    assert_eq!(audit["audit"]["documents"], counts["by_decision"]["kept"]);
    let signals = audit["audit"]["refusals_by_signal"].as_array().unwrap();
    assert!(signals.len() >= 3, "{signals:?}");
    assert!(stdout.contains("corpus audit"), "{stdout}");
    // Words and people: the demo's prose names groups, and some articles give an address.
    assert!(audit["audit"]["consent_share"]["share"].as_f64().unwrap() > 0.0);
    assert!(audit["audit"]["pii"]["email"].as_u64().unwrap() >= 8);
    // The audit's page renders in a real browser, every chart with its bars.
    let page = out.join("corpus/audit/index.html");
    let dom = chromium::render(&page, "demo-audit");
    let drawn = attribute(&dom, "data-charts-drawn");
    let rendered = attribute(&dom, "data-charts");
    assert!(drawn.parse::<usize>().unwrap() >= 10, "{drawn}");
    assert_eq!(rendered, format!("{drawn}/{drawn}"), "charts that rendered");
    assert!(!dom.contains("data-rendered=\"no\""));

    let tm = read_json(&out.join("run/training-manifest.json"));
    let sha = assent_manifests::sha256_file(&out.join("corpus/manifest.json")).unwrap();
    assert_eq!(tm["corpus"]["manifest_sha256"], sha.as_str());
    assert_eq!(tm["steps"], 4);

    // The mirror's lightly edited copies of garden articles leave as near-duplicates, and
    // the article each cluster kept says so in its dedup columns.
    assert_eq!(counts["by_reason"]["dedup.near"], 5, "{counts}");
    let clustered = shard_documents(&out.join("corpus"))
        .into_iter()
        .filter(|d| d.dedup.cluster.as_deref() == Some(d.doc_id.as_str()))
        .filter(|d| d.dedup.cluster_size == Some(2))
        .count();
    assert_eq!(clustered, 5);

    let seen = read_back(&out.join("corpus"));
    assert_eq!(seen["duckdb"]["shard_rows"], counts["by_decision"]["kept"]);

    // The archive that asked no consent, curated by its own captures and by asking the hosts
    // today: both refuse what the sites refuse. Live keeps exactly what the crawl kept (the
    // same rules, the same answers); the archive's older robots.txt of river lets its
    // reports through, which today's refuses.
    // Of a garden article and its near copy on the mirror, near-dedup keeps the one fetched
    // first, which differs between the crawl and the archive: they count as one here.
    let urls = |dir: &str| -> std::collections::BTreeSet<String> {
        shard_documents(&out.join(dir))
            .into_iter()
            .map(|d| {
                let copy = d.dedup.cluster.is_some() && d.url.contains("mirror.demo.test");
                match (copy, d.url.split_once("/copy/")) {
                    (true, Some((_, n))) => format!("near copy of garden article {n}"),
                    _ if d.dedup.cluster.is_some() && d.url.contains("garden.demo.test") => {
                        let n = d.url.rsplit('/').next().unwrap();
                        format!("near copy of garden article {n}")
                    }
                    _ => d.url,
                }
            })
            .collect()
    };
    let (crawled, archived, live) = (
        urls("corpus"),
        urls("from-archive"),
        urls("from-archive-live"),
    );
    assert_eq!(live, crawled);
    let only_archived: Vec<&String> = archived.difference(&live).collect();
    assert!(!only_archived.is_empty());
    assert!(
        only_archived
            .iter()
            .all(|u| u.contains("river.demo.test") && u.contains("/reports/")),
        "{only_archived:?}"
    );
    for dir in ["from-archive", "from-archive-live"] {
        let m = read_json(&out.join(dir).join("manifest.json"));
        for code in [
            "robots.disallow",
            "tdmrep.reserved",
            "noai.meta",
            "noai.header",
            "rsl.not-permitted",
            "registry.opt-out",
        ] {
            assert!(
                m["counts"]["by_reason"][code].as_u64().unwrap_or(0) >= 1,
                "{dir}: no {code}"
            );
        }
        assert_eq!(
            m["consent"]["unchecked_kept"], 0,
            "{dir}: every host's files are archived"
        );
    }
    assert!(
        stdout.contains("an archive of the demo web that asked no consent"),
        "{stdout}"
    );
}
