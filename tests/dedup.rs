//! `assent dedup` on a finished corpus: the four stages in one process, and each stage as
//! four separate processes (as the tasks of an array job run them), find exactly the same
//! clusters and leave the same corpus; a relaunch changes nothing.

mod common;
use common::job::*;
use common::*;
use std::path::Path;
use std::process::{Command, Stdio};

fn dedup(dir: &Path, extra: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_assent"))
        .arg("dedup")
        .arg(dir)
        .args(extra)
        .env("ASSENT_LOG", "warn")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "dedup {extra:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn four_tasks_per_stage_find_the_clusters_one_process_finds() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = near_corpus(dir.path());
    let before = read_json(&corpus.join("manifest.json"));
    let shards = before["shards"].as_array().unwrap().len();
    assert!(shards >= 12, "{shards} shards");
    let one = dir.path().join("one");
    let four = dir.path().join("four");
    copy_tree(&corpus, &one);
    copy_tree(&corpus, &four);

    let said = dedup(&one, &[]);
    assert!(said.contains("manifest.json written"), "{said}");

    for stage in ["signatures", "buckets", "clusters", "filter"] {
        // Slurm's environment gives the rank, as in an array job.
        let tasks: Vec<_> = (0..4)
            .map(|r| {
                Command::new(env!("CARGO_BIN_EXE_assent"))
                    .arg("dedup")
                    .arg(&four)
                    .args(["--stage", stage])
                    .env("SLURM_ARRAY_TASK_ID", r.to_string())
                    .env("SLURM_ARRAY_TASK_COUNT", "4")
                    .env("ASSENT_LOG", "warn")
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        for t in tasks {
            let o = t.wait_with_output().unwrap();
            assert!(
                o.status.success(),
                "{stage}: {}",
                String::from_utf8_lossy(&o.stderr)
            );
        }
    }

    // 30 texts; 15 with a near copy before, 8 of those with one after too, 80 copied exactly.
    let clusters = clusters_of(&one);
    assert_eq!(clusters, clusters_of(&four));
    let sizes: Vec<usize> = clusters.iter().map(Vec::len).collect();
    assert_eq!(sizes.len(), 16, "{clusters:?}");
    assert_eq!(sizes.iter().filter(|n| **n == 3).count(), 8, "{sizes:?}");
    assert_eq!(sizes.iter().sum::<usize>(), 8 * 3 + 7 * 2 + 2);

    let merged = assert_same_corpus(&one, &four);
    let removed = sizes.iter().map(|n| n - 1).sum::<usize>() as u64;
    assert_eq!(merged["counts"]["by_reason"]["dedup.near"], removed);
    assert_eq!(
        merged["counts"]["by_decision"]["kept"].as_u64().unwrap(),
        before["counts"]["by_decision"]["kept"].as_u64().unwrap() - removed
    );
    // Each cluster kept its longest member (no fetch times: JSON Lines input), which names
    // itself as the cluster, with its size; each other member left with a row naming it.
    let kept = kept_dedup(&four);
    let rows = ledger_rows(&four);
    for members in &clusters {
        let kept_ones: Vec<&String> = members.iter().filter(|m| kept.contains_key(*m)).collect();
        assert_eq!(kept_ones.len(), 1, "{members:?}");
        let k = kept_ones[0];
        assert_eq!(kept[k].cluster.as_deref(), Some(k.as_str()));
        assert_eq!(kept[k].cluster_size, Some(members.len() as u64));
        for m in members.iter().filter(|m| *m != k) {
            let row = rows
                .iter()
                .find(|r| {
                    r.doc_id.as_deref() == Some(m.as_str())
                        && r.reasons.iter().any(|c| c.as_str() == "dedup.near")
                })
                .unwrap_or_else(|| panic!("no dedup.near row for {m}"));
            assert!(row.evidence.contains(k.as_str()), "{}", row.evidence);
            assert!(row.words.unwrap() >= 120);
        }
    }
    for c in assent_dedup::near::read_clusters(&four.join("dedup")).unwrap() {
        let longest = c
            .members
            .iter()
            .max_by_key(|m| (m.doc.len, std::cmp::Reverse(m.doc.doc_id.clone())))
            .unwrap();
        assert!(kept.contains_key(&longest.doc.doc_id), "{c:?}");
    }
    // The manifest lists exactly the shards there are (assert_same_corpus checked hashes),
    // and DuckDB reads the dedup columns back.
    let query = format!(
        "select count(*), sum(dedup.cluster_size) from '{}/shards/*.parquet' where dedup.cluster is not null",
        four.display()
    );
    let counted: Vec<(u64, u64)> = serde_json::from_value(duckdb_rows(&query)).unwrap();
    assert_eq!(counted, vec![(16, sizes.iter().sum::<usize>() as u64)]);

    // Run again, whole or by stage: nothing changes.
    let m = read_json(&four.join("manifest.json"));
    assert!(dedup(&four, &[]).contains("already applied"));
    dedup(
        &four,
        &["--stage", "filter", "--rank", "1", "--world-size", "4"],
    );
    assert_eq!(read_json(&four.join("manifest.json")), m);
    // The signatures, runs and edges are gone; the markers and the clusters stay.
    let left: Vec<String> = files_under(&four.join("dedup"))
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert!(left.iter().all(|n| !n.ends_with(".bin")), "{left:?}");
    assert!(left.contains(&"clusters.jsonl".to_string()));
}

#[test]
fn stages_out_of_order_say_which_to_run_first() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = near_corpus(dir.path());
    let o = Command::new(env!("CARGO_BIN_EXE_assent"))
        .args(["dedup", corpus.to_str().unwrap(), "--stage", "buckets"])
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("run the signatures stage first"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let o = Command::new(env!("CARGO_BIN_EXE_assent"))
        .args(["dedup", dir.path().to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("neither a finished corpus"));
}
