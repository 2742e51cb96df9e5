//! One job run as a single process and as four ranks (four processes, then `assent merge`)
//! gives the same corpus: the same kept documents, the same final decision and reasons for
//! every record, the same counts and licence shares.
//!
//! The inputs are made so that a rank alone would decide differently: texts repeated in files
//! that different ranks read (exact dedup must be job-wide), a robots.txt archived in another
//! rank's file than the pages it refuses (site files are the job's), and a domain whose
//! licence claims are concentrated in one file (the licence guard's shares are the job's).

mod common;
use common::job::*;
use common::*;
use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

fn same_job(
    config_text: &str,
) -> (
    BTreeMap<String, assent_schemas::Dedup>,
    Decisions,
    serde_json::Value,
) {
    let dir = tempfile::tempdir().unwrap();
    let inputs = make_inputs(dir.path());
    let config = dir.path().join("job.toml");
    std::fs::write(&config, without_rules(config_text)).unwrap();

    let one = dir.path().join("one");
    run(&curate_args(&inputs, &one, &config), &[]);

    let four = dir.path().join("four");
    let args = curate_args(&inputs, &four, &config);
    // Four ranks at once, as an array job runs them: rank from Slurm's environment.
    let children: Vec<_> = (0..4)
        .map(|r| {
            Command::new(env!("CARGO_BIN_EXE_assent"))
                .args(&args)
                .env("SLURM_ARRAY_TASK_ID", (r + 1).to_string())
                .env("SLURM_ARRAY_TASK_MIN", "1")
                .env("SLURM_ARRAY_TASK_COUNT", "4")
                .env("ASSENT_LOG", "warn")
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for c in children {
        let c = c.wait_with_output().unwrap();
        assert!(c.status.success(), "{}", String::from_utf8_lossy(&c.stderr));
    }
    assert!(
        !four.join("manifest.json").exists(),
        "ranks leave the job unmerged"
    );
    for r in 0..4 {
        assert!(four.join(format!("manifest-0000{r}.json")).is_file());
    }
    // A rank killed after writing some of its files, before its manifest: relaunched with the
    // same command, it starts again from a clean state while the finished ranks skip.
    std::fs::remove_file(four.join("manifest-00002.json")).unwrap();
    for r in 0..4 {
        let o = run(
            &args,
            &[
                ("JOB_COMPLETION_INDEX", r.to_string()),
                ("WORLD_SIZE", "4".into()),
            ],
        );
        let said = String::from_utf8_lossy(&o.stderr);
        assert_eq!(said.contains("nothing to do"), r != 2, "rank {r}: {said}");
    }
    // The near-dedup stages after the signatures (which the ranks wrote) run as tasks of
    // their own, two per stage; the merge finds them done.
    for stage in ["buckets", "clusters"] {
        for r in 0..2 {
            let args: Vec<String> = ["dedup", four.to_str().unwrap(), "--stage", stage]
                .iter()
                .map(|s| s.to_string())
                .collect();
            let o = run(
                &args,
                &[("RANK", r.to_string()), ("WORLD_SIZE", "2".into())],
            );
            assert!(String::from_utf8_lossy(&o.stdout).contains(stage));
        }
    }
    assert!(four.join("exchange/near/clusters.jsonl").exists());
    let merge = ["merge".to_string(), four.display().to_string()];
    run(&merge, &[]);
    let merged = read_json(&four.join("manifest.json"));
    // Merged again: nothing changes.
    run(&merge, &[]);
    assert_eq!(read_json(&four.join("manifest.json")), merged);
    assert!(
        !four.join("exchange").exists(),
        "the exchange files go once merged"
    );

    let merged = assert_same_corpus(&one, &four);
    assert_eq!(merged["world_size"], 4);
    // The README's DuckDB query finds each record's final decision: counted, they are the
    // manifest's counts.
    let query = format!(
        "select decision, count(*) from (
           select url, source.file, source.offset, arg_max(decision, recorded_at) as decision,
                  arg_max(reasons, recorded_at) as reasons
           from '{}/ledger/*.parquet' group by all) group by decision",
        four.display()
    );
    let rows: Vec<(String, u64)> = serde_json::from_value(duckdb_rows(&query)).unwrap();
    let by_decision: serde_json::Value = rows
        .into_iter()
        .map(|(d, n)| (d, serde_json::json!(n)))
        .collect::<serde_json::Map<_, _>>()
        .into();
    assert_eq!(by_decision, merged["counts"]["by_decision"]);
    // Training reads the merged corpus through its manifest.
    let info = assent_train::data::CorpusInfo::discover(&four).unwrap();
    assert_eq!(
        info.shards.len(),
        merged["shards"].as_array().unwrap().len()
    );
    let result = (kept_dedup(&four), final_decisions(&four), merged);
    // One rank run again alone after the merge cannot be merged with the others: their
    // partial state is gone, and merge says so instead of deciding without it.
    let mut forced = args.clone();
    forced.push("--force".into());
    run(
        &forced,
        &[
            ("JOB_COMPLETION_INDEX", "0".into()),
            ("WORLD_SIZE", "4".into()),
        ],
    );
    let refused = Command::new(env!("CARGO_BIN_EXE_assent"))
        .args(&merge)
        .output()
        .unwrap();
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("run every rank again with --force"));
    result
}

#[test]
fn four_ranks_make_the_corpus_one_process_makes() {
    let (kept, decisions, merged) = same_job("[pipeline]\nexchange_partitions = 3\n");
    let reasons = |code: &str| {
        decisions
            .values()
            .filter(|(_, r)| r.iter().any(|c| c == code))
            .count()
    };
    // Text 50 three times, 51, 11 and 20 twice: five duplicates, across files.
    assert_eq!(reasons("dedup.exact"), 5, "{decisions:#?}");
    // shy.example/public/1 and copy.example/g, copy.example/h, i and j: one kept of each
    // cluster (the longest: their fetch times are the same).
    assert_eq!(reasons("dedup.near"), 3, "{decisions:#?}");
    // copy.example/k twice: the capture of file 3 leaves for the earlier one of file 4.
    assert_eq!(reasons("dedup.url"), 1, "{decisions:#?}");
    let url_dup = decisions
        .iter()
        .find(|(_, (_, r))| r == &["dedup.url"])
        .map(|(k, _)| k.clone())
        .unwrap();
    assert!(
        url_dup.contains("copy.example/k") && url_dup.contains("in-3"),
        "{url_dup}"
    );
    for gone in ["http://shy.example/public/1", "http://copy.example/h"] {
        assert!(
            decisions
                .keys()
                .any(|k| k.contains(gone) && decisions[k].1 == ["dedup.near"]),
            "{gone}: {decisions:#?}"
        );
    }
    // robots.txt of another file refuses the private pages.
    assert_eq!(reasons("robots.disallow"), 4, "{decisions:#?}");
    assert_eq!(
        merged["counts"]["by_decision"]["kept"].as_u64().unwrap() as usize,
        kept.len()
    );
    // The kept one of each cluster names itself and the cluster's size.
    let clusters: Vec<u64> = kept
        .iter()
        .filter_map(|(id, d)| {
            d.cluster.as_ref().map(|c| {
                assert_eq!(c, id);
                d.cluster_size.unwrap()
            })
        })
        .collect();
    assert_eq!(
        clusters.iter().copied().collect::<BTreeSet<_>>(),
        [2, 3].into()
    );
    // Some kept documents were dropped at the job's end (a later row supersedes their first).
    let rows: u64 = merged["ledger"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rows"].as_u64().unwrap())
        .sum();
    assert!(rows > decisions.len() as u64, "{rows} rows");
    // Records counted once each, by their final decision.
    assert_eq!(
        merged["counts"]["records"].as_u64().unwrap() as usize,
        decisions.len()
    );
}

#[test]
fn four_ranks_share_the_licence_guard_s_figures() {
    let (kept, decisions, merged) = same_job(
        "[pipeline]\nexchange_partitions = 2\n\n[crawl]\npolicy = \"open-licence-only\"\n\n[licence]\nmin_domain_share = 0.5\n",
    );
    let reasons = |code: &str| {
        decisions
            .values()
            .filter(|(_, r)| r.iter().any(|c| c == code))
            .count()
    };
    // mixed.example's three licensed pages (3 of 8 in the job, 3 of 3 in their file) are not
    // believed, nor copy.example/f (1 of 6); open.example's seven are. open.example/8 has the
    // text of the refused mixed.example/0, which withdrew its claim: no duplicate is left.
    assert_eq!(reasons("licence.domain-share-low"), 4, "{decisions:#?}");
    assert_eq!(merged["licence_audit"]["refused_pages"], 4);
    assert_eq!(reasons("dedup.exact"), 0, "{decisions:#?}");
    assert_eq!(kept.len(), 7);
}
