//! The input files of a curation run, and the one iterator that reads any of them.

use anyhow::Context;
use assent_ingest::InputItem;
use assent_schemas::{LedgerRow, ReasonCode, Source, SourceKind, Stage};
use std::path::{Path, PathBuf};

/// The formats `assent curate` reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InputKind {
    Warc,
    Parquet,
    Jsonl,
    /// A shard of an Assent corpus (`curate --shards DIR`): documents with every column.
    Shard,
}

impl InputKind {
    pub fn as_str(self) -> &'static str {
        match self {
            InputKind::Warc => "warc",
            InputKind::Parquet => "parquet",
            InputKind::Jsonl => "jsonl",
            InputKind::Shard => "shard",
        }
    }

    fn source_kind(self) -> SourceKind {
        match self {
            InputKind::Warc => SourceKind::Warc,
            InputKind::Parquet | InputKind::Shard => SourceKind::Parquet,
            InputKind::Jsonl => SourceKind::Jsonl,
        }
    }
}

/// One input file and how to read it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InputSpec {
    pub path: PathBuf,
    pub kind: InputKind,
    /// The sha256 a corpus manifest gives the file (shards): it must still have it.
    pub expected_sha256: Option<String>,
}

impl InputSpec {
    /// The name recorded in provenance: the path as the user gave it.
    pub fn display_name(&self) -> String {
        self.path.display().to_string()
    }
}

/// The inputs this rank reads: every `world`-th file, starting at `rank`.
pub fn share_of(inputs: &[InputSpec], rank: u32, world: u32) -> Vec<InputSpec> {
    inputs
        .iter()
        .enumerate()
        .filter(|(i, _)| (*i as u32) % world == rank)
        .map(|(_, s)| s.clone())
        .collect()
}

/// Every item of one input file. A file that cannot be opened at all yields one
/// `input.malformed` row naming it, so that it shows up in the ledger and the counts.
pub fn read(spec: &InputSpec) -> Box<dyn Iterator<Item = InputItem> + Send> {
    let name = spec.display_name();
    let opened: Result<Box<dyn Iterator<Item = InputItem> + Send>, String> = match spec.kind {
        InputKind::Warc => assent_ingest::warc::read_pages(&spec.path, &name)
            .map(|it| Box::new(it) as Box<dyn Iterator<Item = InputItem> + Send>)
            .map_err(|e| e.to_string()),
        InputKind::Jsonl => assent_ingest::tabular::read_jsonl(&spec.path, &name)
            .map(|it| Box::new(it) as Box<dyn Iterator<Item = InputItem> + Send>)
            .map_err(|e| e.to_string()),
        InputKind::Parquet => assent_ingest::tabular::read_parquet(&spec.path, &name)
            .map(|it| Box::new(it) as Box<dyn Iterator<Item = InputItem> + Send>)
            .map_err(|e| e.to_string()),
        InputKind::Shard => assent_manifests::read_documents(&spec.path, SHARD_BATCH_ROWS)
            .map(|docs| {
                let spec = spec.clone();
                let name = name.clone();
                Box::new(docs.map(move |doc| match doc {
                    Ok(doc) => InputItem::Document(Box::new(doc)),
                    Err(e) => unreadable(&spec, &name, &e.to_string()),
                })) as Box<dyn Iterator<Item = InputItem> + Send>
            })
            .map_err(|e| e.to_string()),
    };
    match opened {
        Ok(items) => items,
        Err(error) => Box::new(std::iter::once(unreadable(spec, &name, &error))),
    }
}

fn unreadable(spec: &InputSpec, name: &str, error: &str) -> InputItem {
    let source = Source {
        kind: spec.kind.source_kind(),
        file: Some(name.to_string()),
        record_id: None,
        offset: None,
    };
    InputItem::Skipped(LedgerRow::left(
        None,
        None,
        source,
        Stage::Input,
        ReasonCode::InputMalformed,
        serde_json::json!({ "file": name, "error": format!("cannot open: {error}") }),
    ))
}

/// Rows of a shard read at a time.
const SHARD_BATCH_ROWS: usize = 256;

/// The shards of the Assent corpus in `dir`, as its `manifest.json` lists them (with their
/// sha256). A job whose ranks were not merged is refused: its shards are not final.
pub fn corpus_shards(dir: &Path) -> anyhow::Result<Vec<InputSpec>> {
    let manifest = dir.join("manifest.json");
    if !manifest.exists() && dir.join("manifest-00000.json").exists() {
        anyhow::bail!(
            "{} holds the ranks of a job but no manifest.json: run `assent merge {}` first",
            dir.display(),
            dir.display()
        );
    }
    let corpus = assent_manifests::CorpusManifest::read(&manifest)
        .with_context(|| format!("{} is not an Assent corpus", dir.display()))?;
    Ok(corpus
        .shards
        .into_iter()
        .map(|f| InputSpec {
            path: dir.join(&f.path),
            kind: InputKind::Shard,
            expected_sha256: Some(f.sha256),
        })
        .collect())
}

/// Checks that every input exists before a run starts, so a typo fails fast with its name.
pub fn check_exist(inputs: &[InputSpec]) -> anyhow::Result<()> {
    for spec in inputs {
        anyhow::ensure!(
            Path::new(&spec.path).is_file(),
            "input {} ({}) does not exist or is not a file",
            spec.path.display(),
            spec.kind.as_str()
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(n: usize) -> InputSpec {
        InputSpec {
            path: PathBuf::from(format!("f{n}")),
            kind: InputKind::Warc,
            expected_sha256: None,
        }
    }

    #[test]
    fn ranks_share_inputs_without_overlap() {
        let all: Vec<_> = (0..7).map(spec).collect();
        let mut seen = Vec::new();
        for rank in 0..3 {
            seen.extend(share_of(&all, rank, 3));
        }
        seen.sort_by(|a, b| a.path.cmp(&b.path));
        assert_eq!(seen, all);
        assert_eq!(share_of(&all, 1, 3), vec![spec(1), spec(4)]);
    }

    #[test]
    fn unreadable_file_becomes_one_malformed_row() {
        let s = InputSpec {
            path: PathBuf::from("/nonexistent/x.jsonl"),
            kind: InputKind::Jsonl,
            expected_sha256: None,
        };
        let items: Vec<_> = read(&s).collect();
        assert_eq!(items.len(), 1);
        let InputItem::Skipped(row) = &items[0] else {
            panic!("expected a ledger row")
        };
        assert_eq!(row.reasons, vec![ReasonCode::InputMalformed]);
        assert!(row.evidence.contains("/nonexistent/x.jsonl"));
        assert!(check_exist(&[s]).is_err());
    }
}
