//! `assent curate` on every real WARC file of ../shared/data/warc, read back by pyarrow and
//! DuckDB, with counts checked against the manifest.

mod common;
use common::*;
use std::path::PathBuf;

fn warc_files() -> Vec<PathBuf> {
    files_under(&shared_data().join("warc"))
        .into_iter()
        .filter(|p| p.file_name().unwrap().to_string_lossy().contains(".warc"))
        .collect()
}

#[test]
fn curates_every_shared_warc_and_outside_readers_agree_with_the_manifest() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let files = warc_files();
    assert!(
        files.len() >= 15,
        "expected the shared WARC files, found {files:?}"
    );
    // What is tested is reading every archive: FineWeb's rules would keep few of these pages.
    let config = config_without_rules(dir.path(), "");
    let mut args = vec![
        "curate".to_string(),
        "--out".into(),
        out.display().to_string(),
        "--config".into(),
        config.display().to_string(),
        "--warc".into(),
    ];
    args.extend(files.iter().map(|p| p.display().to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let run = assent(&args, true);
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(
        stdout.contains("records in") && stdout.contains("shards"),
        "summary missing:\n{stdout}"
    );

    let manifest = read_json(&out.join("manifest.json"));
    let counts = &manifest["counts"];
    let records = counts["records"].as_u64().unwrap();
    let kept = counts["by_decision"]["kept"].as_u64().unwrap_or(0);
    assert!(
        kept >= 17,
        "the resiliparse sample alone has 16 pages and whirlwind one: kept {kept}"
    );
    assert!(
        counts["by_reason"]["input.malformed"].as_u64().unwrap_or(0) >= 1,
        "truncated files give malformed rows"
    );
    assert!(
        counts["by_reason"]["input.not-content"]
            .as_u64()
            .unwrap_or(0)
            >= 1,
        "request/warcinfo records"
    );

    // Every input is named with its sha256.
    let inputs = manifest["inputs"].as_array().unwrap();
    assert_eq!(inputs.len(), files.len());
    for input in inputs {
        let sha = input["sha256"].as_str().unwrap();
        assert_eq!(sha.len(), 64, "{input}");
    }

    // Shard row counts in the manifest add up to the kept count; ledger rows to the records.
    let shard_rows: u64 = manifest["shards"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["rows"].as_u64().unwrap())
        .sum();
    let ledger_rows: u64 = manifest["ledger"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["rows"].as_u64().unwrap())
        .sum();
    assert_eq!(shard_rows, kept);
    // A record has one row, but a URL captured again or a near-duplicate two: its `kept` row
    // as it passed, and the job's end's `dedup.url` or `dedup.near` row that supersedes it.
    let later = |code: &str| counts["by_reason"][code].as_u64().unwrap_or(0);
    assert!(
        later("dedup.near") > 0,
        "the shared WARCs hold near-duplicate pages"
    );
    let superseded = later("dedup.near") + later("dedup.url");
    assert_eq!(ledger_rows, records + superseded);

    let seen = read_back(&out);
    // pyarrow: every file's row count and schema version as the manifest says.
    for kind in ["shards", "ledger"] {
        for entry in manifest[kind].as_array().unwrap() {
            let file = &seen["pyarrow"]["files"][entry["path"].as_str().unwrap()];
            assert_eq!(file["rows"], entry["rows"], "{entry}");
            assert_eq!(
                file["schema_version"],
                assent_schemas::SCHEMA_VERSION,
                "{entry}"
            );
            assert_eq!(file["compression"], "ZSTD", "{entry}");
        }
    }
    let first_shard = manifest["shards"][0]["path"].as_str().unwrap();
    let cols = &seen["pyarrow"]["files"][first_shard]["columns"];
    assert_eq!(cols["doc_id"], "string");
    assert_eq!(cols["text"], "string");
    assert_eq!(cols["fetched_at"], "timestamp[us, tz=UTC]");
    assert_eq!(cols["http_status"], "uint16");
    assert_eq!(cols["lang_score"], "float");
    assert!(
        cols["source"]
            .as_str()
            .unwrap()
            .starts_with("struct<kind: string"),
        "{cols}"
    );
    assert!(
        cols["quality"].as_str().unwrap().starts_with("list<"),
        "{cols}"
    );

    // DuckDB: the same counts, unique ids, no empty text.
    let duck = &seen["duckdb"];
    assert_eq!(duck["shard_rows"].as_u64().unwrap(), kept);
    assert_eq!(duck["distinct_doc_ids"].as_u64().unwrap(), kept);
    assert_eq!(duck["empty_texts"], 0);
    assert_eq!(duck["quality_words_nonpositive"], 0);
    assert_eq!(duck["ledger_rows"].as_u64().unwrap(), records + superseded);
    assert_eq!(duck["ledger_records"].as_u64().unwrap(), records);
    assert_eq!(duck["shard_columns"]["text"], "VARCHAR");
    assert_eq!(duck["shard_columns"]["http_status"], "USMALLINT");
    for (decision, n) in counts["by_decision"].as_object().unwrap() {
        assert_eq!(
            &duck["ledger_by_decision"][decision], n,
            "decision {decision}"
        );
    }
    for (reason, n) in counts["by_reason"].as_object().unwrap() {
        assert_eq!(&duck["ledger_by_reason"][reason], n, "reason {reason}");
    }

    // Polars and Hugging Face datasets read the shards as they are.
    assert_eq!(seen["polars"]["rows"].as_u64().unwrap(), kept);
    assert_eq!(seen["polars"]["columns"].as_array().unwrap().len(), 17);
    assert!(
        seen["polars"]["quality"]
            .as_str()
            .unwrap()
            .starts_with("List(Struct"),
        "{}",
        seen["polars"]
    );
    assert_eq!(seen["datasets"]["rows"].as_u64().unwrap(), kept);
    assert!(seen["datasets"]["columns"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c == "text"));
    assert!(seen["datasets"]["first_url"]
        .as_str()
        .unwrap()
        .starts_with("http"));
}

#[test]
fn a_second_run_skips_a_finished_job_and_another_job_needs_force() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let warc = shared_data().join("warc/whirlwind/whirlwind.warc.gz");
    let config = config_without_rules(dir.path(), "");
    let args = [
        "curate",
        "--warc",
        warc.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--config",
        config.to_str().unwrap(),
    ];
    assent(&args, true);
    let first = std::fs::read(out.join("manifest.json")).unwrap();
    // The same command again: the job is finished, nothing is redone.
    let again = assent(&args, true);
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("nothing to do"),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    assert_eq!(std::fs::read(out.join("manifest.json")).unwrap(), first);
    // Another job (other settings) into the same directory needs --force.
    let mut other = args.to_vec();
    other.extend(["--shard-size", "1000"]);
    let refused = assent(&other, false);
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(
        err.contains("--force") && err.contains("earlier run"),
        "{err}"
    );
    other.push("--force");
    assent(&other, true);
    let manifest = read_json(&out.join("manifest.json"));
    assert_eq!(manifest["counts"]["by_decision"]["kept"], 1);
    assert_eq!(manifest["shards"].as_array().unwrap().len(), 1);
}

#[test]
fn missing_input_fails_fast_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let run = assent(
        &[
            "curate",
            "--warc",
            "/no/such/file.warc.gz",
            "--out",
            dir.path().to_str().unwrap(),
        ],
        false,
    );
    assert!(String::from_utf8_lossy(&run.stderr).contains("/no/such/file.warc.gz"));
}

#[test]
fn help_explains_each_command() {
    let out = assent(&["--help"], true);
    let help = String::from_utf8_lossy(&out.stdout);
    for cmd in [
        "curate", "crawl", "run", "merge", "train", "demo", "reasons",
    ] {
        assert!(help.contains(cmd), "--help lacks {cmd}:\n{help}");
    }
    let reasons = assent(&["reasons"], true);
    let text = String::from_utf8_lossy(&reasons.stdout);
    assert!(text.contains("dedup.exact") && text.contains("input.malformed"));
}
