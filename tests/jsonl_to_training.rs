//! Text from another tool enters at the filter stage (JSONL and Parquet), is curated, and a
//! model is trained on it; the training manifest names the corpus it read.

mod common;
use common::*;
use std::io::Write;

#[test]
fn jsonl_text_is_curated_then_trained_on() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(shared_data().join("text/tinyshakespeare.txt")).unwrap();
    let jsonl = dir.path().join("plays.jsonl");
    let mut f = std::fs::File::create(&jsonl).unwrap();
    let chunks: Vec<&str> = text
        .split("\n\n")
        .filter(|c| c.len() > 200)
        .take(120)
        .collect();
    for (i, chunk) in chunks.iter().enumerate() {
        let line = serde_json::json!({"id": i, "url": format!("https://plays.example/{i}"), "text": chunk});
        writeln!(f, "{line}").unwrap();
    }
    writeln!(f, "{{not json").unwrap();
    writeln!(f, "{}", serde_json::json!({"id": "dup", "text": chunks[0]})).unwrap();
    drop(f);

    let config = config_without_rules(dir.path(), "");
    let corpus = dir.path().join("corpus");
    assent(
        &[
            "curate",
            "--jsonl",
            jsonl.to_str().unwrap(),
            "--out",
            corpus.to_str().unwrap(),
            "--config",
            config.to_str().unwrap(),
        ],
        true,
    );
    let manifest = read_json(&corpus.join("manifest.json"));
    let counts = &manifest["counts"];
    assert_eq!(counts["records"].as_u64().unwrap(), chunks.len() as u64 + 2);
    assert_eq!(counts["by_reason"]["input.malformed"], 1);
    assert_eq!(counts["by_reason"]["dedup.exact"], 1);
    let seen = read_back(&corpus);
    assert_eq!(
        seen["duckdb"]["shard_rows"].as_u64().unwrap(),
        chunks.len() as u64
    );

    let run = dir.path().join("run");
    let out = assent(
        &[
            "train",
            "--data",
            corpus.to_str().unwrap(),
            "--out",
            run.to_str().unwrap(),
            "--steps",
            "12",
        ],
        true,
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("trained 12 steps"));
    let tm = read_json(&run.join("training-manifest.json"));
    let sha = assent_manifests::sha256_file(&corpus.join("manifest.json")).unwrap();
    assert_eq!(tm["corpus"]["manifest_sha256"], sha.as_str());
    let shards_read = tm["shards_read"].as_array().unwrap();
    assert_eq!(
        shards_read.len(),
        manifest["shards"].as_array().unwrap().len()
    );
    assert_eq!(shards_read[0]["sha256"], manifest["shards"][0]["sha256"]);
    assert!(run.join("checkpoint").exists());
}
