//! The laundering guard end to end: `assent crawl --policy open-licence-only` over two hosts
//! of the demo web, with `[licence] min_domain_share = 0.5`. garden.demo.test puts CC BY 4.0 on
//! its twenty articles (not on its front page); river.demo.test claims CC BY 4.0 on two of its
//! sixteen fetched pages. The garden's licence is believed, river's is not: its two pages are
//! refused `licence.domain-share-low`, their text nowhere under OUT, and the manifest's
//! `licence_audit` holds the figures. Without the guard the same crawl keeps them. (river's
//! five /reports/ pages are refused by its robots.txt before any request: not seen.)

mod common;
use assent::demo::serve;
use assent::demo::web::{DemoWeb, RIVER_LICENCE_STATEMENT};
use assent_schemas::{LedgerRow, ReasonCode};
use common::*;
use std::path::{Path, PathBuf};

const HOSTS: [&str; 2] = ["garden.demo.test", "river.demo.test"];

fn crawl(dir: &Path, port: u16, min_share: f64) -> PathBuf {
    let seeds = dir.join("seeds.txt");
    // Every page is a seed: under open-licence-only the crawler follows no link from a page
    // it refuses, and both front pages are unlicensed.
    let mut seed_lines = Vec::new();
    for h in HOSTS {
        seed_lines.push(format!("http://{h}:{port}/"));
        for n in 0..20 {
            // river keeps every fourth article under /reports/, which robots.txt refuses.
            let section = if h == "river.demo.test" && n % 4 == 0 {
                "reports"
            } else {
                "articles"
            };
            seed_lines.push(format!("http://{h}:{port}/{section}/{n}"));
        }
    }
    std::fs::write(&seeds, seed_lines.join("\n")).unwrap();
    let config = dir.join("guard.toml");
    std::fs::write(
        &config,
        format!(
            "[crawl]\ndelay_secs = 0.0\nmax_depth = 3\n\n[licence]\nmin_domain_share = {min_share:?}\n"
        ),
    )
    .unwrap();
    let out = dir.join("out");
    let mut args: Vec<String> = [
        "crawl",
        "--seeds",
        seeds.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--config",
        config.to_str().unwrap(),
        "--policy",
        "open-licence-only",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for h in HOSTS {
        args.push("--resolve".into());
        args.push(format!("{h}:{port}:127.0.0.1"));
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    assent(&args, true);
    out
}

#[test]
fn a_licence_few_pages_of_a_domain_claim_is_not_believed() {
    let web = DemoWeb::new();
    let running = serve::start(DemoWeb::new()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = crawl(dir.path(), running.port, 0.5);

    let manifest = read_json(&out.join("manifest.json"));
    let audit = &manifest["licence_audit"];
    assert_eq!(audit["min_domain_share"], 0.5);
    assert_eq!(audit["refused_pages"], 2);
    let garden = &audit["domains"]["garden.demo.test"];
    assert_eq!(garden["pages"], 21, "{audit:#}");
    assert_eq!(garden["without_licence"], 1);
    assert_eq!(garden["licences"]["CC-BY-4.0"]["pages"], 20);
    assert_eq!(garden["licences"]["CC-BY-4.0"]["share"], 0.952381);
    assert_eq!(garden["licences"]["CC-BY-4.0"]["believed"], true);
    let river = &audit["domains"]["river.demo.test"];
    assert_eq!(river["pages"], 16, "{audit:#}");
    assert_eq!(river["without_licence"], 14);
    assert_eq!(river["licences"]["CC-BY-4.0"]["pages"], 2);
    assert_eq!(river["licences"]["CC-BY-4.0"]["share"], 0.125);
    assert_eq!(river["licences"]["CC-BY-4.0"]["believed"], false);

    let counts = &manifest["counts"];
    assert_eq!(
        counts["by_reason"]["licence.domain-share-low"], 2,
        "{counts}"
    );
    // The two front pages and river's thirteen unlicensed articles.
    assert_eq!(counts["by_reason"]["licence.not-allowed"], 15, "{counts}");
    assert_eq!(counts["by_decision"]["kept"], 20, "{counts}");

    // One ledger row per URL considered; the refusals name the share.
    let rows = ledger_rows(&out);
    assert_eq!(rows.len() as u64, counts["records"].as_u64().unwrap());
    let mut refused: Vec<&LedgerRow> = rows
        .iter()
        .filter(|r| r.reasons == [ReasonCode::LicenceDomainShareLow])
        .collect();
    refused.sort_by(|a, b| a.url.cmp(&b.url));
    let urls: Vec<String> = refused
        .iter()
        .map(|r| {
            r.url
                .clone()
                .unwrap()
                .split('/')
                .skip(3)
                .collect::<Vec<_>>()
                .join("/")
        })
        .collect();
    assert_eq!(urls, ["articles/1", "articles/2"]);
    for r in &refused {
        let ev: serde_json::Value = serde_json::from_str(&r.evidence).unwrap();
        assert_eq!(ev["domain"], "river.demo.test");
        assert_eq!(ev["spdx"], "CC-BY-4.0");
        assert_eq!(ev["share"], 0.125);
        assert_eq!(ev["domain_pages"], 16);
        assert_eq!(r.decision, assent_schemas::Decision::Refused);
    }
    let ev: serde_json::Value = serde_json::from_str(&refused[1].evidence).unwrap();
    let text_finding = ev["signals"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["signal"] == "licence")
        .unwrap();
    assert_eq!(text_finding["found_in"], "text");
    assert_eq!(text_finding["tier"], "text");

    // Kept: the garden's articles, with their licence and its evidence.
    let docs = shard_documents(&out);
    assert_eq!(docs.len(), 20);
    for d in &docs {
        assert_eq!(d.host, "garden.demo.test");
        let l = d.licence.as_ref().unwrap();
        assert_eq!(
            (l.spdx.as_str(), l.found_in.as_str()),
            ("CC-BY-4.0", "link-rel")
        );
        assert!(l.snippet.as_deref().unwrap().contains("rel=\"license\""));
    }

    // Nothing of the refused pages is left anywhere: not in the WARC, not in a spill file.
    assert!(!out.join("tmp").exists());
    let contents = searchable_contents(&out);
    assert!(contents
        .iter()
        .any(|(n, _)| n.ends_with("crawl-00000.warc.gz")));
    for path in ["/articles/1", "/articles/2"] {
        let secret = first_paragraph(&web, "river.demo.test", path);
        for (name, text) in &contents {
            assert!(
                !text.contains(&secret),
                "text of river{path} found in {name}"
            );
        }
    }
    for (name, text) in &contents {
        if let Some(at) = text.find(RIVER_LICENCE_STATEMENT) {
            let from = text[..at]
                .char_indices()
                .rev()
                .nth(300)
                .map_or(0, |(i, _)| i);
            panic!("the refused statement is in {name}: …{}", &text[from..at]);
        }
    }
    // The WARC's digest in the manifest is that of the rewritten file.
    let warc = out.join("warc/crawl-00000.warc.gz");
    assert_eq!(
        manifest["inputs"][0]["sha256"],
        assent_manifests::sha256_file(&warc).unwrap().as_str()
    );
}

#[test]
fn without_the_guard_the_claims_are_believed() {
    let running = serve::start(DemoWeb::new()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = crawl(dir.path(), running.port, 0.0);
    let manifest = read_json(&out.join("manifest.json"));
    let counts = &manifest["counts"];
    assert_eq!(counts["by_decision"]["kept"], 22, "{counts}");
    assert!(counts["by_reason"]
        .get("licence.domain-share-low")
        .is_none());
    let river = &manifest["licence_audit"]["domains"]["river.demo.test"];
    assert_eq!(river["licences"]["CC-BY-4.0"]["share"], 0.125);
    assert_eq!(river["licences"]["CC-BY-4.0"]["believed"], true);
    let docs = shard_documents(&out);
    let river_docs: Vec<_> = docs
        .iter()
        .filter(|d| d.host == "river.demo.test")
        .collect();
    assert_eq!(river_docs.len(), 2);
    let found: Vec<&str> = river_docs
        .iter()
        .map(|d| d.licence.as_ref().unwrap().found_in.as_str())
        .collect();
    assert!(
        found.contains(&"link-rel") && found.contains(&"text"),
        "{found:?}"
    );
}
