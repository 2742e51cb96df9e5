//! Relaunching a job with the same command: finished ranks are skipped, unfinished ones start
//! again from a clean state.
//!
//! A rank is finished when its manifest (`manifest-RANK.json`, or `manifest.json` for a single
//! process) is there: it is written last, atomically, and names the job ([`job_key`]), the
//! inputs and every output with its sha256. Anything else a rank leaves in OUT without its
//! manifest (shards, ledger files, claims, held documents, a crawl's WARC) is from a run that
//! did not finish, and is removed before the rank runs again. `--force` is for starting over:
//! it removes a finished rank's output too.

use super::{manifest_name, RecordSource, EXCHANGE_DIR};
use crate::config::Config;
use anyhow::Context;
use assent_manifests::CorpusManifest;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// The job's identity: the sha256 of its configuration (less the rank, which differs between
/// the tasks of one job) and of its whole input list (names and sizes), or its crawl seeds.
pub fn job_key(source: &RecordSource, config: &Config) -> anyhow::Result<String> {
    let mut config = config.clone();
    config.pipeline.rank = None;
    let inputs: Vec<serde_json::Value> = match source {
        RecordSource::Files(specs) => specs
            .iter()
            .map(|s| {
                let size = std::fs::metadata(&s.path).map(|m| m.len()).unwrap_or(0);
                serde_json::json!([s.kind.as_str(), s.display_name(), size])
            })
            .collect(),
        RecordSource::Crawl(c) => c.seeds.iter().map(|s| serde_json::json!(s)).collect(),
    };
    let mut h = Sha256::new();
    h.update(serde_json::to_vec(&serde_json::json!({
        "config": config,
        "inputs": inputs,
        "assent": super::PIPELINE_VERSION,
    }))?);
    Ok(assent_schemas::digest::to_hex(&h.finalize()))
}

/// What a rank should do.
#[derive(Debug)]
pub enum Start {
    /// Run: OUT holds nothing of this rank (any unfinished files were removed).
    Run,
    /// Already finished by an earlier run of the same job: its manifest.
    Finished(Box<CorpusManifest>),
}

/// Decides whether rank `rank` of `world` runs, and clears what an unfinished run of it left.
pub fn prepare(out: &Path, rank: u32, world: u32, job: &str, force: bool) -> anyhow::Result<Start> {
    let marker = out.join(manifest_name(rank, world));
    if marker.exists() && !force {
        let earlier = CorpusManifest::read(&marker)?;
        let outputs_there = earlier
            .shards
            .iter()
            .chain(&earlier.ledger)
            .all(|f| out.join(&f.path).exists());
        anyhow::ensure!(
            earlier.job == job,
            "{} already holds the output of an earlier run with other inputs or settings ({}); use --force to replace it or choose another --out",
            out.display(),
            marker.display()
        );
        anyhow::ensure!(
            outputs_there,
            "{} names files that are no longer in {}; use --force to run again",
            marker.display(),
            out.display()
        );
        if world == 1 {
            // A single process killed between its manifest and the exchange's removal.
            super::finalise::remove_exchange(out)?;
        }
        return Ok(Start::Finished(Box::new(earlier)));
    }
    // A finished corpus (a single process's, or a merged job's) is never cleared without
    // --force, whatever rank and world size this run has.
    let merged = out.join("manifest.json");
    if world > 1 && merged.exists() && !force {
        anyhow::bail!(
            "{} already holds a finished corpus ({}) that rank {rank} of {world} is not part of; use --force to replace it or choose another --out",
            out.display(),
            merged.display()
        );
    }
    let foreign = other_ranks_files(out, world)?;
    anyhow::ensure!(
        force || foreign.is_empty(),
        "{} already holds the output of an earlier run with more ranks ({} files, e.g. {}); use --force to replace it or choose another --out",
        out.display(),
        foreign.len(),
        foreign.first().map(|p| p.display().to_string()).unwrap_or_default()
    );
    let mut stale = rank_files(out, rank)?;
    if force {
        stale.extend(foreign);
    }
    if world > 1 || force {
        // The job's merged result no longer matches its ranks.
        stale.push(out.join("manifest.json"));
    }
    stale.push(marker);
    for p in stale {
        match std::fs::remove_file(&p) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(e).with_context(|| format!("cannot remove {}", p.display()))
            }
            _ => {}
        }
    }
    Ok(Start::Run)
}

/// Every file of OUT that belongs to rank `rank` (its manifest aside).
fn rank_files(out: &Path, rank: u32) -> anyhow::Result<Vec<PathBuf>> {
    let r = format!("{rank:05}");
    let mut found = Vec::new();
    let dirs: [(PathBuf, Vec<String>); 5] = [
        (
            out.join("shards"),
            vec![format!("part-{r}-"), format!(".part-{r}-")],
        ),
        (
            out.join("ledger"),
            vec![format!("part-{r}-"), format!(".part-{r}-")],
        ),
        (out.join(EXCHANGE_DIR), vec![format!("held-{r}.")]),
        (
            out.join(EXCHANGE_DIR).join("exact"),
            vec![format!("claims-{r}-")],
        ),
        (
            out.join("warc"),
            vec![format!("crawl-{r}."), format!("site-files-{r}.")],
        ),
    ];
    for (dir, prefixes) in dirs {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if prefixes.iter().any(|p| name.starts_with(p)) {
                found.push(e.path());
            }
        }
    }
    Ok(found)
}

/// Shards and ledger files of ranks at or above `world`: another job's.
fn other_ranks_files(out: &Path, world: u32) -> anyhow::Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    for sub in ["shards", "ledger"] {
        let Ok(entries) = std::fs::read_dir(out.join(sub)) else {
            continue;
        };
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if let Some((rank, _)) = assent_manifests::part_numbers(&name) {
                if rank >= world {
                    found.push(e.path());
                }
            }
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn touch(path: &Path) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, b"x").unwrap();
    }

    fn finished(out: &Path, name: &str, job: &str, shards: &[&str]) {
        let mut m = CorpusManifest::new("test", serde_json::json!({}), "t");
        m.job = job.into();
        m.shards = shards
            .iter()
            .map(|p| {
                touch(&out.join(p));
                assent_manifests::OutputFile {
                    path: p.to_string(),
                    rows: 1,
                    bytes: 1,
                    sha256: String::new(),
                }
            })
            .collect();
        m.write(&out.join(name)).unwrap();
    }

    #[test]
    fn finished_ranks_skip_unfinished_ones_start_clean_and_finished_corpora_need_force() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path();
        // Rank 1 of 2 finished; rank 0 left files and no manifest.
        finished(
            out,
            "manifest-00001.json",
            "job",
            &["shards/part-00001-00000.parquet"],
        );
        touch(&out.join("shards/part-00000-00000.parquet"));
        touch(&out.join("exchange/exact/claims-00000-0003.jsonl"));
        assert!(matches!(
            prepare(out, 1, 2, "job", false).unwrap(),
            Start::Finished(_)
        ));
        assert!(prepare(out, 1, 2, "other job", false).is_err());
        assert!(matches!(
            prepare(out, 0, 2, "job", false).unwrap(),
            Start::Run
        ));
        assert!(!out.join("shards/part-00000-00000.parquet").exists());
        assert!(!out.join("exchange/exact/claims-00000-0003.jsonl").exists());
        assert!(out.join("shards/part-00001-00000.parquet").exists());
        // A single process's finished corpus is not cleared by a rank of a larger job.
        let single = dir.path().join("single");
        finished(
            &single,
            "manifest.json",
            "job",
            &["shards/part-00000-00000.parquet"],
        );
        let err = prepare(&single, 0, 4, "job", false)
            .unwrap_err()
            .to_string();
        assert!(err.contains("--force"), "{err}");
        assert!(single.join("shards/part-00000-00000.parquet").exists());
        // With --force it starts over.
        assert!(matches!(
            prepare(&single, 0, 4, "job", true).unwrap(),
            Start::Run
        ));
        assert!(!single.join("manifest.json").exists());
    }
}
