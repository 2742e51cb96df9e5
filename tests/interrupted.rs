//! A run killed mid-way leaves only complete shards behind, and relaunched, finishes the job.

mod common;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use std::process::Command;
use std::time::Duration;

#[test]
fn a_killed_run_leaves_no_half_written_shard() {
    let dir = tempfile::tempdir().unwrap();
    let config = common::config_without_rules(dir.path(), "");
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
            "--config",
            config.to_str().unwrap(),
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
    let config = common::config_without_rules(dir.path(), "");
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
            "--config",
            config.to_str().unwrap(),
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
    assert_no_temporary_files(&out);
    assert!(!out.join("exchange").exists());
}

/// `assent merge` killed at any moment and run again gives the corpus an uninterrupted job
/// gives, and leaves nothing temporary (nor any held text) behind. Each kill is timed by the
/// merge's own report that it has applied the job's decisions to rank 0; a merge that finished
/// before the kill landed is tried again on a fresh copy of the ranks' outputs.
#[test]
fn a_merge_killed_and_run_again_finishes_the_job() {
    use common::job::*;
    use std::io::BufRead;
    let dir = tempfile::tempdir().unwrap();
    let inputs = make_inputs(dir.path());
    let config = dir.path().join("job.toml");
    std::fs::write(
        &config,
        common::without_rules("[pipeline]\nexchange_partitions = 2\n\n[crawl]\npolicy = \"open-licence-only\"\n\n[licence]\nmin_domain_share = 0.5\n"),
    )
    .unwrap();
    let one = dir.path().join("one");
    run(&curate_args(&inputs, &one, &config), &[]);
    // A single process killed between its manifest and the exchange's removal: the same
    // command finds the job finished and removes the held texts.
    std::fs::create_dir_all(one.join("exchange")).unwrap();
    std::fs::write(one.join("exchange/held-00000.jsonl"), "{}\n").unwrap();
    let again = run(&curate_args(&inputs, &one, &config), &[]);
    assert!(String::from_utf8_lossy(&again.stderr).contains("nothing to do"));
    assert!(!one.join("exchange").exists());
    let ranks = dir.path().join("ranks");
    for r in 0..4 {
        run(
            &curate_args(&inputs, &ranks, &config),
            &[
                ("JOB_COMPLETION_INDEX", r.to_string()),
                ("WORLD_SIZE", "4".into()),
            ],
        );
    }
    let mut killed = None;
    for attempt in 0..20 {
        let out = dir.path().join(format!("merge-{attempt}"));
        copy_dir(&ranks, &out);
        let mut child = Command::new(env!("CARGO_BIN_EXE_assent"))
            .args(["merge", out.to_str().unwrap()])
            .env("ASSENT_LOG", "warn,assent::pipeline::finalise=debug")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = std::io::BufReader::new(child.stderr.take().unwrap());
        for line in stderr.lines() {
            if line.unwrap().contains("decisions to rank 0") {
                child.kill().unwrap(); // SIGKILL
                break;
            }
        }
        if !child.wait().unwrap().success() {
            killed = Some(out);
            break;
        }
    }
    let out = killed.expect("every merge finished before it could be killed");
    let merge = ["merge".to_string(), out.display().to_string()];
    run(&merge, &[]);
    assert_same_corpus(&one, &out);
    assert!(!out.join("exchange").exists(), "no held text stays");
    // Killed between writing the manifest and removing the exchange: run again, the merge
    // finds the job finished and the held texts go.
    std::fs::create_dir_all(out.join("exchange")).unwrap();
    std::fs::write(out.join("exchange/held-00001.jsonl"), "{}\n").unwrap();
    run(&merge, &[]);
    assert!(!out.join("exchange").exists(), "no held text stays");
    assert_no_temporary_files(&out);
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten() {
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), &target).unwrap();
        }
    }
}

/// Nothing temporary (a hidden or `.tmp` file) is left under `out`.
fn assert_no_temporary_files(out: &std::path::Path) {
    let leftovers: Vec<_> = common::files_under(out)
        .into_iter()
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            name.starts_with('.') || name.ends_with(".tmp")
        })
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}
