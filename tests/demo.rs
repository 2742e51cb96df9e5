//! `assent demo`: the README's first command, end to end (with few training steps).

mod common;
use common::*;

#[test]
fn demo_curates_its_web_and_trains_on_it() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("demo");
    let run = assent(&["demo", "--out", out.to_str().unwrap(), "--steps", "4"], true);
    let stdout = String::from_utf8_lossy(&run.stdout);
    for expected in ["demo web:", "records in", "trained 4 steps", "training manifest"] {
        assert!(stdout.contains(expected), "demo output lacks {expected:?}:\n{stdout}");
    }

    let manifest = read_json(&out.join("corpus/manifest.json"));
    let counts = &manifest["counts"];
    // Every record of the demo WARC has exactly one ledger row: nothing vanishes.
    let written: u64 = stdout
        .split("demo web: ")
        .nth(1)
        .and_then(|s| s.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .expect("record count in the demo output");
    assert_eq!(counts["records"].as_u64().unwrap(), written);
    // The awkward cases the demo web plants are each caught with their own reason.
    let reasons = &counts["by_reason"];
    assert_eq!(reasons["dedup.exact"], 12, "the mirror host copies 12 articles");
    for code in ["input.malformed", "input.http-status", "input.unsupported-type", "extract.empty", "input.not-content"] {
        assert!(reasons[code].as_u64().unwrap_or(0) >= 1, "no {code} in {reasons}");
    }
    assert!(counts["by_decision"]["kept"].as_u64().unwrap() >= 250);

    let tm = read_json(&out.join("run/training-manifest.json"));
    let sha = assent_manifests::sha256_file(&out.join("corpus/manifest.json")).unwrap();
    assert_eq!(tm["corpus"]["manifest_sha256"], sha.as_str());
    assert_eq!(tm["steps"], 4);

    // The demo's shards are as readable from outside as any other corpus.
    let seen = read_back(&out.join("corpus"));
    assert_eq!(seen["duckdb"]["shard_rows"], counts["by_decision"]["kept"]);
}
