//! `assent demo`: the README's first command, end to end (with few training steps).

mod common;
use common::*;

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
        counts["by_decision"]["kept"].as_u64().unwrap() >= 100,
        "{counts}"
    );
    assert!(
        counts["by_decision"]["refused"].as_u64().unwrap() >= 30,
        "{counts}"
    );
    assert!(out.join("corpus/warc/crawl-00000.warc.gz").is_file());

    let tm = read_json(&out.join("run/training-manifest.json"));
    let sha = assent_manifests::sha256_file(&out.join("corpus/manifest.json")).unwrap();
    assert_eq!(tm["corpus"]["manifest_sha256"], sha.as_str());
    assert_eq!(tm["steps"], 4);

    let seen = read_back(&out.join("corpus"));
    assert_eq!(seen["duckdb"]["shard_rows"], counts["by_decision"]["kept"]);
}
