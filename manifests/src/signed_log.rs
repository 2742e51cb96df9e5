//! What `manifest.json` says of the provenance log: each tree's size and root as a signed
//! checkpoint, the key that verifies them, and for a later version of the corpus the
//! consistency proofs that tie its trees to the version before.
//!
//! Each tree is its own log in C2SP's sense, with the origin `ORIGIN/kept` or
//! `ORIGIN/refused`; both checkpoints are signed by one key named `ORIGIN`. The log's origin
//! is chosen once, when its first version is published, and kept in `log/origin`: a log
//! cannot change its name, so a later version with another configured origin is refused.
//!
//! Every version published is a line of `log/checkpoints.jsonl`, so the service can give the
//! checkpoint of any earlier version and a reader of an old manifest can still be answered.
//! Publishing a version whose trees equal the last one's signs nothing new.

use crate::checkpoint::{Checkpoint, NoteSigner};
use crate::log::{append_corpus, LogHeads, TreeHead};
use crate::manifest::{write_atomically, CorpusManifest};
use crate::parquet_out::OutputError;
use crate::tree_log::TreeLog;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::{Path, PathBuf};

/// The two trees of the log.
pub const TREES: [&str; 2] = ["kept", "refused"];

/// The log as one version of the corpus left it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogRecord {
    /// The log's name; the trees' checkpoints have `ORIGIN/kept` and `ORIGIN/refused`.
    pub origin: String,
    /// The verifier key of the checkpoints' signatures (C2SP vkey).
    pub vkey: String,
    pub kept: TreeRecord,
    pub refused: TreeRecord,
}

/// One tree in one version.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TreeRecord {
    pub size: u64,
    /// Base64 of the root hash, as in the checkpoint.
    pub root: String,
    /// The signed note of the checkpoint (c2sp.org/tlog-checkpoint in c2sp.org/signed-note).
    pub checkpoint: String,
    /// The version before, where there was one and this tree grew since.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous: Option<Previous>,
}

/// A tree's earlier size and the proof that this version extends it (RFC 9162 §2.1.4).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Previous {
    pub size: u64,
    pub root: String,
    /// Base64 hashes.
    pub consistency: Vec<String>,
}

impl LogRecord {
    pub fn tree(&self, name: &str) -> Option<&TreeRecord> {
        match name {
            "kept" => Some(&self.kept),
            "refused" => Some(&self.refused),
            _ => None,
        }
    }
}

/// Why the log could not be published.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    #[error(transparent)]
    Output(#[from] OutputError),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the log in {dir} is named {held:?}; it cannot be published as {asked:?} (a log keeps its name: set [log] origin back, or use another --out)")]
    OtherOrigin {
        dir: PathBuf,
        held: String,
        asked: String,
    },
    #[error("the signing key is named {key:?} but the log is {origin:?}: use the log's own key")]
    OtherKey { key: String, origin: String },
    #[error("{0}")]
    Note(#[from] crate::checkpoint::NoteError),
}

fn io_at(path: &Path) -> impl Fn(std::io::Error) -> PublishError + '_ {
    move |source| PublishError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// The origin of the log in `out/log/`: the one it was first published under; for a new log,
/// `configured`, or `localhost/assent/NAME` with NAME the corpus directory's name.
pub fn origin(out: &Path, configured: Option<&str>) -> Result<String, PublishError> {
    let file = out.join("log").join("origin");
    match std::fs::read_to_string(&file) {
        Ok(held) => {
            let held = held.trim().to_string();
            match configured {
                Some(asked) if asked != held => Err(PublishError::OtherOrigin {
                    dir: out.join("log"),
                    held,
                    asked: asked.to_string(),
                }),
                _ => Ok(held),
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(match configured {
            Some(o) => o.to_string(),
            None => {
                let name = out
                    .canonicalize()
                    .ok()
                    .and_then(|d| d.file_name().map(|n| n.to_string_lossy().into_owned()))
                    .unwrap_or_else(|| "corpus".into());
                format!("localhost/assent/{}", safe_name(&name))
            }
        }),
        Err(e) => Err(io_at(&file)(e)),
    }
}

/// `name` with every character but ASCII letters, digits, `-`, `_` and `.` as `_`: fit for
/// an origin's path and for a file name.
pub fn safe_name(name: &str) -> String {
    name.chars()
        .map(|c| match c.is_ascii_alphanumeric() || "-_.".contains(c) {
            true => c,
            false => '_',
        })
        .collect()
}

/// Appends the corpus `manifest` describes to the log in `out/log/` and signs the trees'
/// checkpoints with `signer` (whose name must be the log's origin); returns what the
/// manifest records.
pub fn publish(
    out: &Path,
    manifest: &CorpusManifest,
    signer: &NoteSigner,
) -> Result<(LogRecord, LogHeads), PublishError> {
    let dir = out.join("log");
    let origin = signer.name().to_string();
    let origin_file = dir.join("origin");
    if let Ok(held) = std::fs::read_to_string(&origin_file) {
        if held.trim() != origin {
            return Err(PublishError::OtherKey {
                key: origin,
                origin: held.trim().to_string(),
            });
        }
    }
    let heads = append_corpus(out, manifest)?;
    if !origin_file.exists() {
        write_atomically(&origin_file, format!("{origin}\n").as_bytes())
            .map_err(io_at(&origin_file))?;
    }
    let history = history(&dir)?;
    if let Some(last) = history.last() {
        if same_heads(last, &heads) && last.origin == origin && last.vkey == signer.vkey() {
            return Ok((last.clone(), heads));
        }
    }
    let last = history.last();
    let record = LogRecord {
        origin: origin.clone(),
        vkey: signer.vkey(),
        kept: tree_record(
            &dir,
            "kept",
            &origin,
            heads.kept,
            last.map(|l| &l.kept),
            signer,
        )?,
        refused: tree_record(
            &dir,
            "refused",
            &origin,
            heads.refused,
            last.map(|l| &l.refused),
            signer,
        )?,
    };
    let path = history_path(&dir);
    let mut line = serde_json::to_vec(&record).expect("a log record serialises");
    line.push(b'\n');
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .map_err(io_at(&path))?;
    file.write_all(&line)
        .and_then(|()| file.sync_all())
        .map_err(io_at(&path))?;
    Ok((record, heads))
}

fn same_heads(last: &LogRecord, heads: &LogHeads) -> bool {
    let same = |t: &TreeRecord, h: &TreeHead| t.size == h.size && t.root == B64.encode(h.root);
    same(&last.kept, &heads.kept) && same(&last.refused, &heads.refused)
}

fn tree_record(
    dir: &Path,
    tree: &str,
    origin: &str,
    head: TreeHead,
    last: Option<&TreeRecord>,
    signer: &NoteSigner,
) -> Result<TreeRecord, PublishError> {
    let checkpoint = Checkpoint {
        origin: format!("{origin}/{tree}"),
        size: head.size,
        root: head.root,
        extensions: Vec::new(),
    };
    let previous = match last {
        Some(l) if l.size > 0 && l.size < head.size => {
            let log = TreeLog::open(dir, tree).map_err(io_at(dir))?;
            let proof = log.consistency(l.size, head.size).map_err(io_at(dir))?;
            Some(Previous {
                size: l.size,
                root: l.root.clone(),
                consistency: proof.iter().map(|h| B64.encode(h)).collect(),
            })
        }
        // Unchanged since the version before: that version's link still holds.
        Some(l) if l.size == head.size => l.previous.clone(),
        _ => None,
    };
    Ok(TreeRecord {
        size: head.size,
        root: B64.encode(head.root),
        checkpoint: signer.sign(&checkpoint.text())?,
        previous,
    })
}

fn history_path(dir: &Path) -> PathBuf {
    dir.join("checkpoints.jsonl")
}

/// Every version the log in `dir` published, oldest first. A last line cut short (a publish
/// killed while writing it) is not a version.
pub fn history(dir: &Path) -> Result<Vec<LogRecord>, PublishError> {
    let path = history_path(dir);
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io_at(&path)(e)),
    };
    Ok(text
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checkpoint::NoteVerifier;
    use crate::merkle::verify_consistency;
    use crate::shards::ShardWriter;

    fn corpus(out: &Path, n: usize, seq: u32) -> CorpusManifest {
        let docs: Vec<_> = (0..n).map(|i| crate::shards::tests::doc(i, 30)).collect();
        let mut shards = ShardWriter::new(out, 0, 1, "test").unwrap().first_seq(seq);
        shards.write(&docs).unwrap();
        let mut m = CorpusManifest::new("test", serde_json::json!({}), "test");
        m.shards = shards.finish().unwrap();
        m
    }

    fn decode(b: &str) -> Vec<u8> {
        B64.decode(b).unwrap()
    }

    #[test]
    fn versions_are_signed_once_and_each_is_tied_to_the_one_before() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path();
        let signer = NoteSigner::new("corpus.example/c1", [7; 32]).unwrap();
        let (first, _) = publish(out, &corpus(out, 4, 0), &signer).unwrap();
        assert_eq!((first.kept.size, first.refused.size), (4, 0));
        assert!(first.kept.previous.is_none());
        let verifier = NoteVerifier::from_vkey(&first.vkey).unwrap();
        let text = verifier.open(&first.kept.checkpoint).unwrap();
        let cp = Checkpoint::parse(text).unwrap();
        assert_eq!(cp.origin, "corpus.example/c1/kept");
        assert_eq!((cp.size, B64.encode(cp.root)), (4, first.kept.root.clone()));
        // The same corpus again: the same record, no new line.
        let (again, _) = publish(out, &corpus(out, 4, 0), &signer).unwrap();
        assert_eq!(again, first);
        assert_eq!(history(&out.join("log")).unwrap().len(), 1);
        // A grown corpus: a new version whose proof ties it to the first.
        let (second, _) = publish(out, &corpus(out, 6, 1), &signer).unwrap();
        let prev = second.kept.previous.as_ref().unwrap();
        assert_eq!((prev.size, &prev.root), (4, &first.kept.root));
        let proof: Vec<Vec<u8>> = prev.consistency.iter().map(|h| decode(h)).collect();
        verify_consistency(
            4,
            second.kept.size,
            &proof,
            &decode(&first.kept.root),
            &decode(&second.kept.root),
        )
        .unwrap();
        assert_eq!(history(&out.join("log")).unwrap(), vec![first, second]);
        // The log keeps its name.
        assert_eq!(
            origin(out, None).unwrap(),
            "corpus.example/c1",
            "the origin the log was first published under"
        );
        assert!(matches!(
            origin(out, Some("other.example/x")),
            Err(PublishError::OtherOrigin { .. })
        ));
        let other = NoteSigner::new("other.example/x", [8; 32]).unwrap();
        assert!(matches!(
            publish(out, &corpus(out, 6, 1), &other),
            Err(PublishError::OtherKey { .. })
        ));
    }

    #[test]
    fn a_new_log_is_named_after_its_directory_unless_configured() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("my corpus");
        std::fs::create_dir_all(&out).unwrap();
        assert_eq!(origin(&out, None).unwrap(), "localhost/assent/my_corpus");
        assert_eq!(origin(&out, Some("a.example/b")).unwrap(), "a.example/b");
    }
}
