//! Curation as a real Slurm array job: the one-node cluster of `../shared/slurm` (Debian's
//! slurm and munge; the README's test command installs them) runs four ranks with
//! `sbatch --array=0-3 --wait`, a dependent job (`--dependency=afterok`) merges them, and the
//! corpus equals the one a single process makes of the same real WARC files. And the four
//! stages of `assent dedup` as four arrays, each waiting on the one before.

mod common;
use common::job::*;
use common::*;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Starts the cluster unless it is up already. The tests of this file run at once, and two
/// starts at once would both start munged (the second fails on its socket's lock).
fn cluster() {
    static STARTING: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _one_at_a_time = STARTING.lock().unwrap_or_else(|e| e.into_inner());
    let up = || {
        Command::new("sinfo")
            .args(["-h", "-o", "%t"])
            .output()
            .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains("idle"))
    };
    if up() {
        return;
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/slurm/start-local-slurm.sh");
    let started = Command::new("bash")
        .arg(&script)
        .arg(std::env::temp_dir().join("assent-slurm"))
        .output()
        .expect("run start-local-slurm.sh");
    assert!(
        started.status.success() && up(),
        "the one-node Slurm cluster did not start (the test runs as root, as scripts/test.sh does in CI):\n{}",
        String::from_utf8_lossy(&started.stderr)
    );
}

/// Submits `script` with `extra` options and waits for it; returns the job id.
fn sbatch(extra: &[&str], script: &Path) -> String {
    submit(extra, script, true)
}

/// Submits `script` with `extra` options, waiting for it to end if `wait`; returns the job id.
fn submit(extra: &[&str], script: &Path, wait: bool) -> String {
    let out = Command::new("sbatch")
        .arg("--parsable")
        .args(wait.then_some("--wait"))
        .args(extra)
        .arg(script)
        .output()
        .expect("run sbatch");
    assert!(
        out.status.success(),
        "sbatch {extra:?} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .split(';')
        .next()
        .unwrap()
        .to_string()
}

fn shell_words(args: &[String]) -> String {
    args.iter()
        .map(|a| format!("'{}'", a.replace('\'', r"'\''")))
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn a_slurm_array_job_makes_the_corpus_one_process_makes() {
    cluster();
    let dir = tempfile::tempdir().unwrap();
    let mut inputs: Vec<PathBuf> = make_inputs(dir.path());
    for sub in ["resiliparse", "warcio", "whirlwind"] {
        let mut real: Vec<PathBuf> = files_under(&shared_data().join("warc").join(sub))
            .into_iter()
            .filter(|p| p.to_string_lossy().contains(".warc"))
            .filter(|p| !p.to_string_lossy().contains(".wat"))
            .collect();
        real.sort();
        inputs.extend(real);
    }
    let config = dir.path().join("job.toml");
    std::fs::write(
        &config,
        "[pipeline]\nexchange_partitions = 4\nthreads = 1\n",
    )
    .unwrap();

    let one = dir.path().join("one");
    run(&curate_args(&inputs, &one, &config), &[]);

    let many = dir.path().join("slurm");
    let bin = env!("CARGO_BIN_EXE_assent").to_string();
    let curate = dir.path().join("curate.sh");
    let mut args = vec![bin.clone()];
    args.extend(curate_args(&inputs, &many, &config));
    std::fs::write(
        &curate,
        format!("#!/bin/sh\n# rank and world size from SLURM_ARRAY_TASK_ID and _COUNT\nexport ASSENT_LOG=warn\nexec {}\n", shell_words(&args)),
    )
    .unwrap();
    let merge = dir.path().join("merge.sh");
    std::fs::write(
        &merge,
        format!(
            "#!/bin/sh\nexec {}\n",
            shell_words(&[bin, "merge".into(), many.display().to_string()])
        ),
    )
    .unwrap();
    let log = dir.path().join("slurm-%A_%a.log");
    let array = sbatch(
        &[
            "--array=0-3",
            "--cpus-per-task=1",
            "--output",
            log.to_str().unwrap(),
        ],
        &curate,
    );
    for r in 0..4 {
        assert!(
            many.join(format!("manifest-0000{r}.json")).is_file(),
            "rank {r} of job {array} left no manifest"
        );
    }
    let log = dir.path().join("slurm-merge-%j.log");
    sbatch(
        &[
            &format!("--dependency=afterok:{array}"),
            "--output",
            log.to_str().unwrap(),
        ],
        &merge,
    );
    let merged = assert_same_corpus(&one, &many);
    assert_eq!(merged["world_size"], 4);
    assert!(merged["inputs"].as_array().unwrap().len() >= inputs.len());
}

#[test]
fn the_dedup_stages_as_dependent_arrays_find_what_one_process_finds() {
    cluster();
    let dir = tempfile::tempdir().unwrap();
    let corpus = near_corpus(dir.path());
    let one = dir.path().join("one");
    let many = dir.path().join("slurm");
    copy_tree(&corpus, &one);
    copy_tree(&corpus, &many);
    run(&["dedup".into(), one.display().to_string()], &[]);

    let bin = env!("CARGO_BIN_EXE_assent").to_string();
    let mut previous: Option<String> = None;
    let stages = ["signatures", "buckets", "clusters", "filter"];
    for (i, stage) in stages.iter().enumerate() {
        let script = dir.path().join(format!("{stage}.sh"));
        let command = shell_words(&[
            bin.clone(),
            "dedup".into(),
            many.display().to_string(),
            "--stage".into(),
            stage.to_string(),
        ]);
        std::fs::write(
            &script,
            format!("#!/bin/sh\n# rank and world size from SLURM_ARRAY_TASK_ID and _COUNT\nexport ASSENT_LOG=warn\nexec {command}\n"),
        )
        .unwrap();
        let log = dir.path().join(format!("slurm-{stage}-%A_%a.log"));
        let mut options = vec![
            "--array=0-3".to_string(),
            "--cpus-per-task=1".into(),
            "--output".into(),
            log.display().to_string(),
        ];
        if let Some(p) = &previous {
            // A stage that fails cancels the ones after it instead of leaving them pending.
            options.push(format!("--dependency=afterok:{p}"));
            options.push("--kill-on-invalid-dep=yes".into());
        }
        let options: Vec<&str> = options.iter().map(String::as_str).collect();
        // Only the last is waited for: the others are queued behind their dependencies.
        previous = Some(submit(&options, &script, i == stages.len() - 1));
    }
    assert!(
        many.join("dedup/applied.done").exists(),
        "the filter array did not finish (logs in {})",
        dir.path().display()
    );
    assert_eq!(clusters_of(&one), clusters_of(&many));
    assert!(!clusters_of(&many).is_empty());
    assert_same_corpus(&one, &many);
}
