//! `OUT/manifest.json`: the record of a curation run that training runs and auditors cite.
//!
//! It names every input by its sha256, every output file by its sha256 and row count, and
//! counts every decision by stage, by decision and by reason code. Its own sha256 is what a
//! training manifest quotes to say which corpus a model saw.

use crate::consent_summary::ConsentSummary;
use crate::parquet_out::OutputFile;
use assent_schemas::licence_audit::LicenceAudit;
use assent_schemas::{LedgerRow, SCHEMA_VERSION};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

/// An input file of the run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputFile {
    /// As given on the command line.
    pub path: String,
    /// `warc`, `parquet` or `jsonl`.
    pub kind: String,
    pub bytes: u64,
    pub sha256: String,
}

/// Decision counts, built from the ledger rows as they are written.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    /// Records considered, each counted once, by its final decision (its latest ledger row).
    pub records: u64,
    /// By decision: `kept`, `dropped`, `refused`, `failed`.
    pub by_decision: BTreeMap<String, u64>,
    /// By stage, then decision.
    pub by_stage: BTreeMap<String, BTreeMap<String, u64>>,
    /// By reason code.
    pub by_reason: BTreeMap<String, u64>,
}

impl Counts {
    pub fn add(&mut self, row: &LedgerRow) {
        self.tally(row.stage, row.decision, &row.reasons, true);
    }

    /// Takes back a row that a later one superseded (its record is counted once, by its
    /// final decision).
    pub fn remove(&mut self, row: &LedgerRow) {
        self.tally(row.stage, row.decision, &row.reasons, false);
    }

    /// Adds the counts of another part of the same job.
    pub fn absorb(&mut self, other: &Counts) {
        self.records += other.records;
        for (d, n) in &other.by_decision {
            *self.by_decision.entry(d.clone()).or_default() += n;
        }
        for (stage, by) in &other.by_stage {
            let mine = self.by_stage.entry(stage.clone()).or_default();
            for (d, n) in by {
                *mine.entry(d.clone()).or_default() += n;
            }
        }
        for (r, n) in &other.by_reason {
            *self.by_reason.entry(r.clone()).or_default() += n;
        }
    }

    fn tally(
        &mut self,
        stage: assent_schemas::Stage,
        decision: assent_schemas::Decision,
        reasons: &[assent_schemas::ReasonCode],
        add: bool,
    ) {
        let step = |n: &mut u64| {
            *n = if add { *n + 1 } else { n.saturating_sub(1) };
        };
        step(&mut self.records);
        let decision = decision.as_str().to_string();
        step(self.by_decision.entry(decision.clone()).or_default());
        step(
            self.by_stage
                .entry(stage.as_str().to_string())
                .or_default()
                .entry(decision)
                .or_default(),
        );
        for reason in reasons {
            step(
                self.by_reason
                    .entry(reason.as_str().to_string())
                    .or_default(),
            );
        }
        if !add {
            self.by_decision.retain(|_, n| *n > 0);
            self.by_reason.retain(|_, n| *n > 0);
            for by in self.by_stage.values_mut() {
                by.retain(|_, n| *n > 0);
            }
            self.by_stage.retain(|_, by| !by.is_empty());
        }
    }

    pub fn decision(&self, decision: assent_schemas::Decision) -> u64 {
        self.by_decision
            .get(decision.as_str())
            .copied()
            .unwrap_or(0)
    }
}

/// The whole manifest.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CorpusManifest {
    pub assent_version: String,
    pub schema_version: String,
    pub created_at: DateTime<Utc>,
    /// The command that made the corpus (`curate`, `crawl`, `demo`).
    pub command: String,
    /// The run's effective configuration.
    pub config: serde_json::Value,
    pub rank: u32,
    pub world_size: u32,
    /// What identifies the job (a sha256 of its settings and its whole input list): a rank
    /// relaunched with the same command finds its finished manifest by it and skips.
    #[serde(default)]
    pub job: String,
    pub inputs: Vec<InputFile>,
    pub counts: Counts,
    pub shards: Vec<OutputFile>,
    pub ledger: Vec<OutputFile>,
    /// A rank's partial state for the job's end (claims, held documents), relative to OUT;
    /// empty once the job is merged, which removes them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exchange: Vec<String>,
    /// Licence shares by domain, and the laundering guard's setting (absent from manifests
    /// written before it existed).
    #[serde(default)]
    pub licence_audit: LicenceAudit,
    /// How consent was checked (absent from manifests written before it existed).
    #[serde(default)]
    pub consent: ConsentSummary,
    /// The provenance log's signed checkpoints for this version (absent from a rank's part,
    /// and from manifests written before the log existed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log: Option<crate::signed_log::LogRecord>,
    pub seconds: f64,
}

impl CorpusManifest {
    pub fn new(command: &str, config: serde_json::Value, assent_version: &str) -> Self {
        CorpusManifest {
            assent_version: assent_version.to_string(),
            schema_version: SCHEMA_VERSION.to_string(),
            created_at: Utc::now(),
            command: command.to_string(),
            config,
            rank: 0,
            world_size: 1,
            job: String::new(),
            inputs: Vec::new(),
            counts: Counts::default(),
            shards: Vec::new(),
            ledger: Vec::new(),
            exchange: Vec::new(),
            licence_audit: LicenceAudit::new(0.0),
            consent: ConsentSummary::default(),
            log: None,
            seconds: 0.0,
        }
    }

    /// Writes the manifest as pretty JSON, atomically (temporary file, fsync, rename).
    pub fn write(&self, path: &Path) -> std::io::Result<()> {
        let json = serde_json::to_vec_pretty(self).map_err(std::io::Error::other)?;
        write_atomically(path, &json)
    }

    pub fn read(path: &Path) -> Result<Self, ManifestError> {
        let bytes = std::fs::read(path).map_err(|source| ManifestError::Io {
            path: path.into(),
            source,
        })?;
        serde_json::from_slice(&bytes).map_err(|source| ManifestError::Json {
            path: path.into(),
            source,
        })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: not a corpus manifest: {source}")]
    Json {
        path: PathBuf,
        source: serde_json::Error,
    },
}

/// Writes `bytes` to `path` so that readers see the old file or the new one, never a part.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.tmp"));
    let mut f = std::fs::File::create(&tmp)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    drop(f);
    std::fs::rename(&tmp, path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use assent_schemas::{Decision, ReasonCode, Source, SourceKind, Stage};

    fn row(reason: Option<ReasonCode>, stage: Stage) -> LedgerRow {
        let src = Source {
            kind: SourceKind::Warc,
            file: Some("f".into()),
            record_id: None,
            offset: Some(0),
        };
        let mut r = LedgerRow::left(
            None,
            None,
            src,
            stage,
            reason.unwrap_or(ReasonCode::DedupExact),
            serde_json::json!({}),
        );
        if reason.is_none() {
            r.decision = Decision::Kept;
            r.reasons.clear();
        }
        r
    }

    #[test]
    fn counts_of_parts_add_up_and_superseded_rows_come_out() {
        let dup = row(Some(ReasonCode::DedupExact), Stage::Dedup);
        let lang = row(Some(ReasonCode::LangNotAllowed), Stage::Filter);
        let (mut a, mut b, mut whole) = (Counts::default(), Counts::default(), Counts::default());
        a.add(&dup);
        b.add(&lang);
        b.add(&dup);
        for r in [&dup, &lang, &dup] {
            whole.add(r);
        }
        a.absorb(&b);
        assert_eq!(a, whole);
        a.remove(&lang);
        a.remove(&dup);
        let mut left = Counts::default();
        left.add(&dup);
        assert_eq!(a, left, "no zero entries stay behind");
    }

    #[test]
    fn counts_add_up_by_stage_decision_and_reason() {
        let mut c = Counts::default();
        c.add(&row(None, Stage::Output));
        c.add(&row(None, Stage::Output));
        c.add(&row(Some(ReasonCode::DedupExact), Stage::Dedup));
        c.add(&row(Some(ReasonCode::InputMalformed), Stage::Input));
        assert_eq!(c.records, 4);
        assert_eq!(c.decision(Decision::Kept), 2);
        assert_eq!(c.decision(Decision::Failed), 1);
        assert_eq!(c.by_reason["dedup.exact"], 1);
        assert_eq!(c.by_stage["dedup"]["dropped"], 1);
        assert_eq!(c.by_decision.values().sum::<u64>(), c.records);
    }

    #[test]
    fn manifest_round_trips_and_writes_atomically() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("manifest.json");
        let mut m = CorpusManifest::new("curate", serde_json::json!({"a": 1}), "0.1.0");
        m.counts.add(&row(None, Stage::Output));
        m.write(&path).unwrap();
        assert_eq!(CorpusManifest::read(&path).unwrap(), m);
        assert!(!dir.path().join(".manifest.json.tmp").exists());
        std::fs::write(&path, b"{").unwrap();
        let err = CorpusManifest::read(&path).unwrap_err().to_string();
        assert!(err.contains("manifest.json"), "{err}");
    }

    #[test]
    fn manifests_without_a_licence_audit_still_read() {
        let m = CorpusManifest::new("curate", serde_json::json!({}), "0.1.0");
        let mut v = serde_json::to_value(&m).unwrap();
        v.as_object_mut().unwrap().remove("licence_audit");
        let back: CorpusManifest = serde_json::from_value(v).unwrap();
        assert_eq!(back.licence_audit, LicenceAudit::default());
    }
}
