//! A run killed mid-way leaves only complete shards behind, and relaunched, finishes the job.

mod common;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use std::process::Command;
use std::time::Duration;

#[test]
fn a_killed_run_leaves_no_half_written_shard() {
    let dir = tempfile::tempdir().unwrap();
    let jsonl = dir.path().join("many.jsonl");
    common::write_jsonl(&jsonl, 60_000, |i| {
        format!(
            "Document {i} says something distinct about number {i} and {} more.",
            i * 7
        )
    });
    let out = dir.path().join("out");
    let mut child = Command::new(env!("CARGO_BIN_EXE_assent"))
        .args([
            "curate",
            "--jsonl",
            jsonl.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--shard-size",
            "40000",
        ])
        .env("ASSENT_LOG", "warn")
        .spawn()
        .unwrap();
    // Wait until some shards exist, then kill without warning.
    let shards = out.join("shards");
    for _ in 0..200 {
        let n = std::fs::read_dir(&shards).map(|d| d.count()).unwrap_or(0);
        if n >= 3 {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    child.kill().unwrap();
    child.wait().unwrap();

    let mut complete = 0;
    for entry in std::fs::read_dir(&shards).unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') {
            assert!(name.ends_with(".tmp"), "unexpected hidden file {name}");
            continue;
        }
        assert!(
            name.starts_with("part-00000-") && name.ends_with(".parquet"),
            "{name}"
        );
        // A visible shard must be whole: its footer parses and every row reads.
        let file = std::fs::File::open(entry.path()).unwrap();
        let reader = ParquetRecordBatchReaderBuilder::try_new(file)
            .unwrap_or_else(|e| panic!("{name} is not a complete Parquet file: {e}"))
            .build()
            .unwrap();
        let rows: usize = reader.map(|b| b.unwrap().num_rows()).sum();
        assert!(rows > 0, "{name} is empty");
        complete += 1;
    }
    assert!(
        complete >= 1,
        "the run was killed before any shard was finished"
    );
    assert!(
        !out.join("manifest.json").exists(),
        "the run finished before it was killed: make the input larger"
    );
}

/// Killed at any moment and relaunched with the same command, a run finishes with the corpus
/// an uninterrupted run makes. The kills are timed by the run's own output: once its Nth
/// shard is visible.
#[test]
fn a_run_killed_and_relaunched_makes_the_corpus_an_uninterrupted_one_makes() {
    let dir = tempfile::tempdir().unwrap();
    let jsonl = dir.path().join("dups.jsonl");
    common::write_jsonl(&jsonl, 40_000, |i| {
        // Every fifth text is one an earlier record had: exact dedup has work throughout.
        let n = if i % 5 == 4 { i / 3 } else { i };
        format!(
            "Record {n} says a distinct thing about the number {n} and {}.",
            n * 7
        )
    });
    let args = |out: &std::path::Path| -> Vec<String> {
        [
            "curate",
            "--jsonl",
            jsonl.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--shard-size",
            "40000",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    };
    let whole = dir.path().join("whole");
    common::job::run(&args(&whole), &[]);

    let out = dir.path().join("killed");
    let mut kills = 0;
    for shards_seen in [1, 6] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_assent"))
            .args(args(&out))
            .env("ASSENT_LOG", "warn")
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap();
        loop {
            let n = std::fs::read_dir(out.join("shards"))
                .map(|d| {
                    d.flatten()
                        .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
                        .count()
                })
                .unwrap_or(0);
            if n >= shards_seen || child.try_wait().unwrap().is_some() {
                break;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        child.kill().unwrap(); // SIGKILL
        if !child.wait().unwrap().success() {
            kills += 1;
        }
    }
    assert!(
        kills >= 1,
        "no run was killed before it finished: make the input larger"
    );
    assert!(!out.join("manifest.json").exists());
    let relaunch = common::job::run(&args(&out), &[]);
    assert!(!String::from_utf8_lossy(&relaunch.stderr).contains("nothing to do"));
    common::job::assert_same_corpus(&whole, &out);
    // Nothing temporary is left behind.
    let leftovers: Vec<_> = common::files_under(&out)
        .into_iter()
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            name.starts_with('.') || name.ends_with(".tmp")
        })
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    assert!(!out.join("exchange").exists());
}
