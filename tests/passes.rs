//! A corpus is an input: `assent curate --shards DIR` reads an Assent corpus back as
//! documents with every column, so that passes chain. A second pass with an opt-out registry
//! refuses what the registry now names, keeps everything else with every column the first
//! pass recorded, and the two ledgers together give each record's final decision.

mod common;
use common::job::*;
use common::*;
use std::collections::BTreeMap;
use std::process::Command;

#[test]
fn a_second_pass_over_a_corpus_keeps_every_column_and_supersedes_what_it_drops() {
    let dir = tempfile::tempdir().unwrap();
    let inputs = make_inputs(dir.path());
    let config = dir.path().join("job.toml");
    std::fs::write(&config, without_rules("")).unwrap();
    let first = dir.path().join("first");
    run(&curate_args(&inputs, &first, &config), &[]);

    let registry = dir.path().join("registry.txt");
    std::fs::write(&registry, "copy.example\n").unwrap();
    let second = dir.path().join("second");
    let args: Vec<String> = [
        "curate",
        "--shards",
        first.to_str().unwrap(),
        "--out",
        second.to_str().unwrap(),
        "--registry",
        registry.to_str().unwrap(),
        "--config",
        config.to_str().unwrap(),
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    run(&args, &[]);

    let before: BTreeMap<String, assent_schemas::Document> = shard_documents(&first)
        .into_iter()
        .map(|d| (d.doc_id.clone(), d))
        .collect();
    let after: BTreeMap<String, assent_schemas::Document> = shard_documents(&second)
        .into_iter()
        .map(|d| (d.doc_id.clone(), d))
        .collect();
    let copies = before.values().filter(|d| d.host == "copy.example").count();
    assert!(copies >= 2, "the first pass kept copy.example's pages");
    assert_eq!(after.len(), before.len() - copies);
    for (id, d) in &after {
        let was = &before[id];
        assert_ne!(d.host, "copy.example");
        // Every column the first pass recorded is there, its evidence first.
        assert_eq!(
            (
                &d.url,
                &d.source,
                &d.text,
                &d.text_hash,
                &d.licence,
                &d.lang,
                &d.quality
            ),
            (
                &was.url,
                &was.source,
                &was.text,
                &was.text_hash,
                &was.licence,
                &was.lang,
                &was.quality
            )
        );
        assert_eq!(d.fetched_at, was.fetched_at);
        let earlier: Vec<serde_json::Value> =
            serde_json::from_value(serde_json::to_value(&was.consent.evidence).unwrap()).unwrap();
        let now: Vec<serde_json::Value> =
            serde_json::from_value(serde_json::to_value(&d.consent.evidence).unwrap()).unwrap();
        assert_eq!(now[..earlier.len()], earlier[..], "{id}");
        // What the first pass checked stays checked.
        assert_eq!(d.consent.unchecked, was.consent.unchecked, "{}", d.url);
    }
    // The refused ones leave with their ids and the registry's reason.
    let refused: Vec<_> = ledger_rows(&second)
        .into_iter()
        .filter(|r| r.decision == assent_schemas::Decision::Refused)
        .collect();
    assert_eq!(refused.len(), copies);
    for r in &refused {
        assert!(before.contains_key(r.doc_id.as_deref().unwrap()));
        assert_eq!(r.reasons, vec![assent_schemas::ReasonCode::RegistryOptOut]);
        assert!(!r
            .evidence
            .contains(&before[r.doc_id.as_deref().unwrap()].text[..40]));
    }
    // Both ledgers together: each record's latest row is its final decision (the README's query).
    let query = format!(
        "select host, decision, count(*) from (
           select regexp_extract(url, '//([^/]+)/', 1) as host, arg_max(decision, recorded_at) as decision
           from read_parquet(['{}/ledger/*.parquet', '{}/ledger/*.parquet'])
           group by url, source.file, source.offset)
         where decision <> 'dropped' group by all order by all",
        first.display(),
        second.display()
    );
    let rows: Vec<(String, String, u64)> = serde_json::from_value(duckdb_rows(&query)).unwrap();
    let copy_kept = rows
        .iter()
        .any(|(h, d, _)| h == "copy.example" && d == "kept");
    assert!(!copy_kept, "{rows:?}");
    assert!(rows
        .iter()
        .any(|(h, d, n)| h == "copy.example" && d == "refused" && *n as usize == copies));

    // A shard changed since its manifest was written is refused, as is a job not merged.
    let shard = files_under(&first.join("shards"))[0].clone();
    let mut bytes = std::fs::read(&shard).unwrap();
    let n = bytes.len();
    bytes[n / 2] ^= 1;
    std::fs::write(&shard, bytes).unwrap();
    let mut again = args.clone();
    again[4] = dir.path().join("third").display().to_string();
    let out = Command::new(env!("CARGO_BIN_EXE_assent"))
        .args(&again)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("the corpus changed"));
    std::fs::rename(
        first.join("manifest.json"),
        first.join("manifest-00000.json"),
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_assent"))
        .args(&again)
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("assent merge"));
}
