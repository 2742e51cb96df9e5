//! Answers from the index, each with what an outsider needs to check it: the leaf's bytes,
//! its audit path in the tree of the signed checkpoint's size, and the checkpoint's note.
//!
//! A lookup reads one version of the index, whatever a build commits meanwhile: the sizes,
//! rows and checkpoint it uses come from one read transaction, and the proof is made at that
//! version's tree size, from log files that only grow. A URL lookup, the one asked most, is
//! one statement (its own transaction) that also reads the build number; when that is not the
//! build the connection holds the rest of the version of, it is asked again inside a
//! transaction that reads both. Nothing returned holds a document's
//! text, and a refused record is named by its URL's hash only.
//!
//! Status of a URL, from the corpus as it is now: `kept` when a document of the current
//! version has it; else the decision of its latest current refusal (`refused`, or `dropped`
//! for a rule's drop or a failure, `decision` telling which); else `unknown`, with any leaf
//! of an earlier version listed in `history`.

use crate::evidence;
use crate::index::{index_path, layout_of, open_tree, reversed_host, url_key, KEPT, REFUSED};
use crate::sentences::sentence_hashes;
use crate::IndexError;
use assent_dedup::minhash::{MinHashConfig, MinHasher};
use assent_manifests::signed_log::LogRecord;
use assent_manifests::tree_log::TreeLog;
use assent_schemas::digest::sha256_hex;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use rusqlite::{params, Connection, OpenFlags, OptionalExtension};
use serde::Serialize;
use std::cell::RefCell;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Why a question was not answered; `code` is stable, for clients.
#[derive(Debug, thiserror::Error)]
pub enum LookupError {
    #[error("{0}")]
    BadInput(&'static str, String),
    #[error(transparent)]
    Index(#[from] IndexError),
}

impl LookupError {
    pub fn code(&self) -> &'static str {
        match self {
            LookupError::BadInput(code, _) => code,
            LookupError::Index(_) => "index_unavailable",
        }
    }
}

impl From<rusqlite::Error> for LookupError {
    fn from(e: rusqlite::Error) -> Self {
        LookupError::Index(IndexError::Sql(e))
    }
}

/// A proof that a leaf is in a tree of the checkpoint's size.
#[derive(Clone, Debug, Serialize)]
pub struct Proof {
    pub tree: &'static str,
    /// Base64 of the leaf's bytes (`assent-leaf/1`).
    pub leaf: String,
    pub leaf_index: u64,
    pub tree_size: u64,
    /// Base64 hashes, RFC 6962 order (leaf level first).
    pub inclusion_path: Vec<String>,
}

/// A training run that read the shard a document was in.
#[derive(Clone, Debug, Serialize)]
pub struct Model {
    pub name: String,
    pub run: String,
    pub training_manifest_sha256: String,
    pub created_at: String,
}

/// An earlier leaf of a URL, not in the corpus as it is now.
#[derive(Clone, Debug, Serialize)]
pub struct Earlier {
    pub tree: &'static str,
    pub leaf_index: u64,
    pub decision: String,
    pub shard: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct UrlAnswer {
    pub url: String,
    pub status: &'static str,
    pub decision: Option<String>,
    pub reasons: Vec<String>,
    pub licence: Option<String>,
    /// The consent evidence the decision rests on, as the shard or ledger holds it (its
    /// sha256 is in the leaf).
    pub evidence: Option<Box<serde_json::value::RawValue>>,
    /// The evidence's exact bytes, whose sha256 is the leaf's `evidence_sha256`.
    pub evidence_json: Option<String>,
    pub doc_id: Option<String>,
    pub shard: Option<String>,
    pub row: Option<u64>,
    pub models: Vec<Model>,
    pub proof: Option<Proof>,
    /// The signed note of the proof's tree.
    pub checkpoint: Option<String>,
    pub history: Vec<Earlier>,
}

#[derive(Clone, Debug, Serialize)]
pub struct DomainItem {
    pub status: &'static str,
    /// A kept document's URL; a refused record has only `url_sha256`.
    pub url: Option<String>,
    pub url_sha256: Option<String>,
    pub doc_id: Option<String>,
    pub reasons: Vec<String>,
    pub licence: Option<String>,
    pub tree: &'static str,
    pub leaf_index: u64,
}

#[derive(Clone, Debug, Serialize)]
pub struct DomainAnswer {
    pub domain: String,
    pub kept: u64,
    pub refused: u64,
    pub dropped: u64,
    pub items: Vec<DomainItem>,
    /// Pass as `after` for the next page; absent on the last.
    pub next: Option<String>,
    pub models: Vec<Model>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Match {
    pub doc_id: Option<String>,
    pub url: Option<String>,
    pub licence: Option<String>,
    pub shard: Option<String>,
    pub row: Option<u64>,
    pub leaf_index: u64,
}

#[derive(Clone, Debug, Serialize)]
pub struct NearMatch {
    #[serde(flatten)]
    pub doc: Match,
    /// MinHash bands the text shares with the document, of `bands`.
    pub bands_matched: u64,
    pub bands: u64,
    /// The Jaccard similarity at which that many shared bands is the expectation:
    /// (matched / bands)^(1 / rows).
    pub similarity_estimate: f64,
}

#[derive(Clone, Debug, Serialize)]
pub struct SentenceMatch {
    #[serde(flatten)]
    pub doc: Match,
    pub shared_sentences: u64,
}

#[derive(Clone, Debug, Serialize)]
pub struct TextAnswer {
    pub sentences: u64,
    /// Sentences of the text found in at least one kept document.
    pub sentences_found: u64,
    pub exact: Vec<Match>,
    pub near: Vec<NearMatch>,
    pub shared_sentences: Vec<SentenceMatch>,
}

#[derive(Clone, Debug, Serialize)]
pub struct TreeHeadAnswer {
    pub size: u64,
    pub root: String,
    pub checkpoint: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct CheckpointAnswer {
    pub origin: String,
    pub vkey: String,
    pub kept: TreeHeadAnswer,
    pub refused: TreeHeadAnswer,
}

#[derive(Clone, Debug, Serialize)]
pub struct ConsistencyAnswer {
    pub tree: &'static str,
    pub from: u64,
    pub to: u64,
    /// Base64 hashes (RFC 9162 §2.1.4).
    pub proof: Vec<String>,
    pub checkpoint: String,
}

/// Most items on a page of a domain's answer.
pub const MAX_PAGE: u64 = 1000;
/// Most matches of each kind a text answer lists.
const MAX_MATCHES: u64 = 20;

/// An open index, read only.
pub struct Index {
    dir: PathBuf,
    conn: Connection,
    /// What was read of the index's version last seen, for the requests after it.
    version: Option<Version>,
    trees: Option<[TreeLog; 2]>,
}

/// One build of the index, as a reader holds it.
struct Version {
    build: String,
    log: LogRecord,
    hasher: MinHasher,
    evidence: RefCell<evidence::Reader>,
    /// The training runs that read each shard, by its path then its sha256: few, asked
    /// about by every lookup.
    runs: HashMap<String, HashMap<String, Vec<Model>>>,
}

impl Version {
    /// The runs that read any of `shards` (path, sha256), each once, in run order.
    fn models<'a>(&self, shards: impl Iterator<Item = (&'a str, &'a str)>) -> Vec<Model> {
        let mut out: Vec<Model> = Vec::new();
        for (p, h) in shards {
            for m in self
                .runs
                .get(p)
                .and_then(|by| by.get(h))
                .into_iter()
                .flatten()
            {
                if !out.iter().any(|o| o.run == m.run) {
                    out.push(m.clone());
                }
            }
        }
        out.sort_by(|a, b| (&a.created_at, &a.run).cmp(&(&b.created_at, &b.run)));
        out
    }
}

impl Index {
    /// Opens the index of the corpus in `dir` for reading.
    pub fn open(dir: &Path) -> Result<Index, IndexError> {
        let path = index_path(dir);
        if !path.exists() {
            return Err(IndexError::NoIndex(dir.to_path_buf()));
        }
        let conn = Connection::open_with_flags(
            &path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        // Pages read through a memory map, not a read call each: lookups are random reads of
        // an index larger than SQLite's page cache, and the call and copy were most of their
        // time (2 GiB, the bundled build's most).
        conn.pragma_update(None, "mmap_size", 2_147_418_112i64)?;
        let layout = layout_of(&conn).map_err(|_| IndexError::NoIndex(dir.to_path_buf()))?;
        if layout.as_deref() != Some(crate::INDEX_SCHEMA) {
            return Err(IndexError::Mismatch(format!(
                "{}: an index of layout {}, and this assent reads {}: run `assent index {}` to build it afresh",
                path.display(),
                layout.as_deref().unwrap_or("unknown"),
                crate::INDEX_SCHEMA,
                dir.display()
            )));
        }
        Ok(Index {
            dir: dir.to_path_buf(),
            conn,
            version: None,
            trees: None,
        })
    }

    /// Runs `f` in one read transaction with the version it sees.
    fn read<T>(
        &mut self,
        f: impl FnOnce(&Connection, &Version, &[TreeLog; 2]) -> Result<T, LookupError>,
    ) -> Result<T, LookupError> {
        // One read transaction, begun and ended by cached statements (a lookup is a few
        // microseconds of SQL; parsing BEGIN each time was a tenth of it).
        if !self.conn.is_autocommit() {
            // A lookup that panicked inside its transaction left it open.
            self.conn.execute_batch("ROLLBACK")?;
        }
        self.conn.prepare_cached("BEGIN")?.execute([])?;
        let out = self.read_in_transaction(f);
        let end = self
            .conn
            .prepare_cached("COMMIT")
            .and_then(|mut s| s.execute([]));
        let out = out?;
        end?;
        Ok(out)
    }

    fn read_in_transaction<T>(
        &mut self,
        f: impl FnOnce(&Connection, &Version, &[TreeLog; 2]) -> Result<T, LookupError>,
    ) -> Result<T, LookupError> {
        let tx = &self.conn;
        let get = |k: &str| -> rusqlite::Result<Option<String>> {
            tx.prepare_cached("SELECT value FROM meta WHERE key = ?1")?
                .query_row([k], |r| r.get(0))
                .optional()
        };
        let build = get("build")?.unwrap_or_default();
        if self.version.as_ref().map(|v| &v.build) != Some(&build) {
            let log: LogRecord = get("log")?
                .and_then(|j| serde_json::from_str(&j).ok())
                .ok_or_else(|| IndexError::NoIndex(self.dir.clone()))?;
            let minhash: MinHashConfig = get("minhash")?
                .and_then(|j| serde_json::from_str(&j).ok())
                .unwrap_or_default();
            let log_dir = self.dir.join("log");
            self.trees = Some([
                open_tree(&log_dir, "kept", &log)?,
                open_tree(&log_dir, "refused", &log)?,
            ]);
            let mut runs: HashMap<String, HashMap<String, Vec<Model>>> = HashMap::new();
            let mut stmt = tx.prepare(
                "SELECT s.shard, s.shard_sha256, r.name, r.path, r.manifest_sha256, r.created_at
                 FROM run_shards s JOIN runs r ON r.id = s.run ORDER BY r.created_at, r.path",
            )?;
            let mut rows = stmt.query([])?;
            while let Some(r) = rows.next()? {
                let (shard, sha256): (String, String) = (r.get(0)?, r.get(1)?);
                let by = runs.entry(shard).or_default();
                by.entry(sha256).or_default().push(Model {
                    name: r.get(2)?,
                    run: r.get(3)?,
                    training_manifest_sha256: r.get(4)?,
                    created_at: r.get(5)?,
                });
            }
            self.version = Some(Version {
                build,
                log,
                hasher: MinHasher::new(minhash),
                evidence: RefCell::new(evidence::Reader::open(tx)?),
                runs,
            });
        }
        let v = self.version.as_ref().expect("read above");
        f(tx, v, self.trees.as_ref().expect("opened with the version"))
    }

    /// What the corpus did with the page at `url`.
    pub fn url(&mut self, url: &str) -> Result<UrlAnswer, LookupError> {
        if url.trim().is_empty() || url.len() > 8192 {
            return Err(LookupError::BadInput(
                "bad_url",
                "give a URL of at most 8 KiB".into(),
            ));
        }
        let canonical = assent_schemas::ids::canonical_url(url);
        let parsed = url::Url::parse(&canonical)
            .map_err(|e| LookupError::BadInput("bad_url", format!("not an absolute URL: {e}")))?;
        if parsed.host_str().is_none() {
            return Err(LookupError::BadInput(
                "bad_url",
                "the URL has no host".into(),
            ));
        }
        let hash = sha256_hex(canonical.as_bytes());
        let key = url_key(&hash).expect("a sha256");
        if let Some(v) = &self.version {
            let (build, rows) = url_rows(&self.conn, key, &hash)?;
            if build.as_ref() == Some(&v.build) {
                let trees = self.trees.as_ref().expect("opened with the version");
                return url_answer(canonical, rows, v, trees);
            }
        }
        self.read(|tx, v, trees| {
            let (build, rows) = url_rows(tx, key, &hash)?;
            debug_assert_eq!(build.as_ref(), Some(&v.build), "one transaction");
            url_answer(canonical, rows, v, trees)
        })
    }

    /// The current records of `domain` and its subdomains, a page at a time, ordered by host
    /// then tree then leaf.
    pub fn domain(
        &mut self,
        domain: &str,
        after: Option<&str>,
        limit: u64,
    ) -> Result<DomainAnswer, LookupError> {
        let domain = domain.trim().trim_end_matches('.').to_ascii_lowercase();
        let valid = !domain.is_empty()
            && domain.len() <= 253
            && domain.split('.').all(|l| {
                !l.is_empty()
                    && l.len() <= 63
                    && l.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            });
        if !valid {
            return Err(LookupError::BadInput(
                "bad_domain",
                "give a host name such as example.org (punycode for other scripts)".into(),
            ));
        }
        let low = reversed_host(&domain);
        let high = format!("{}/", &low[..low.len() - 1]);
        let (c_host, c_tree, c_idx) = match after {
            None => (String::new(), -1i64, -1i64),
            Some(a) => parse_cursor(a).ok_or_else(|| {
                LookupError::BadInput(
                    "bad_cursor",
                    "`after` is not a cursor this service gave".into(),
                )
            })?,
        };
        let limit = limit.clamp(1, MAX_PAGE);
        self.read(|tx, v, _| {
            let mut counts = (0u64, 0u64, 0u64);
            let mut stmt = tx.prepare_cached(
                "SELECT l.tree, l.decision, count(*) FROM leaves l
                 JOIN current c ON c.tree = l.tree AND c.idx = l.idx
                 WHERE l.rhost >= ?1 AND l.rhost < ?2 GROUP BY l.tree, l.decision",
            )?;
            let mut rows = stmt.query(params![low, high])?;
            while let Some(r) = rows.next()? {
                let n = r.get::<_, i64>(2)? as u64;
                match status_of(r.get(0)?, &r.get::<_, String>(1)?) {
                    "kept" => counts.0 += n,
                    "refused" => counts.1 += n,
                    _ => counts.2 += n,
                }
            }
            let mut stmt = tx.prepare_cached(
                "SELECT l.rhost, l.tree, l.idx, l.decision, l.url, l.url_sha256, l.doc_id,
                        l.reasons, l.licence
                 FROM leaves l JOIN current c ON c.tree = l.tree AND c.idx = l.idx
                 WHERE l.rhost >= ?1 AND l.rhost < ?2 AND (l.rhost, l.tree, l.idx) > (?3, ?4, ?5)
                 ORDER BY l.rhost, l.tree, l.idx LIMIT ?6",
            )?;
            let mut items = Vec::new();
            let mut last = None;
            let mut more = false;
            let mut rows =
                stmt.query(params![low, high, c_host, c_tree, c_idx, limit as i64 + 1])?;
            while let Some(r) = rows.next()? {
                if items.len() as u64 == limit {
                    more = true;
                    break;
                }
                let tree: i64 = r.get(1)?;
                let idx = r.get::<_, i64>(2)? as u64;
                let decision: String = r.get(3)?;
                last = Some(format!("{}:{}:{}", tree, idx, r.get::<_, String>(0)?));
                items.push(DomainItem {
                    status: status_of(tree, &decision),
                    url: if tree == KEPT { r.get(4)? } else { None },
                    url_sha256: r.get(5)?,
                    doc_id: r.get(6)?,
                    reasons: split_reasons(&r.get::<_, String>(7)?),
                    licence: r.get(8)?,
                    tree: tree_name(tree),
                    leaf_index: idx,
                });
            }
            let shards = shards_of(tx, "l.rhost >= ?1 AND l.rhost < ?2", params![low, high])?;
            let models = v.models(shards.iter().map(|(p, h)| (p.as_str(), h.as_str())));
            Ok(DomainAnswer {
                domain: domain.clone(),
                kept: counts.0,
                refused: counts.1,
                dropped: counts.2,
                next: if more { last } else { None },
                items,
                models,
            })
        })
    }

    /// Where the corpus holds `text`: documents with exactly that text, near-duplicates of it
    /// (MinHash bands shared), and documents sharing its sentences.
    pub fn text(&mut self, text: &str) -> Result<TextAnswer, LookupError> {
        if text.trim().is_empty() {
            return Err(LookupError::BadInput(
                "bad_text",
                "the text is empty".into(),
            ));
        }
        let sentences = sentence_hashes(text);
        let exact_hash = sha256_hex(text.as_bytes());
        self.read(|tx, v, _| {
            let hasher = &v.hasher;
            let doc_cols = "l.doc_id, l.url, l.licence, s.path, l.row, l.idx";
            let docs = "leaves l LEFT JOIN shards s ON s.id = l.shard";
            let to_match = |r: &rusqlite::Row| -> rusqlite::Result<Match> {
                Ok(Match {
                    doc_id: r.get(0)?,
                    url: r.get(1)?,
                    licence: r.get(2)?,
                    shard: r.get(3)?,
                    row: r.get::<_, Option<i64>>(4)?.map(|r| r as u64),
                    leaf_index: r.get::<_, i64>(5)? as u64,
                })
            };
            let exact = tx
                .prepare_cached(&format!(
                    "SELECT {doc_cols} FROM {docs} JOIN current c ON c.tree = l.tree AND c.idx = l.idx
                     WHERE l.tree = 0 AND l.text_sha256 = ?1 ORDER BY l.idx LIMIT {MAX_MATCHES}"
                ))?
                .query_map([&exact_hash], to_match)?
                .collect::<Result<Vec<_>, _>>()?;
            // Candidates by shared bands, and by shared sentences: counted per leaf, most
            // first; and how many of the hashes any current document has.
            let count_by = |table: &str, hashes: &[u64]| -> rusqlite::Result<(Vec<(u64, u64)>, u64)> {
                let mut by: HashMap<u64, u64> = Default::default();
                let mut found = 0;
                let mut stmt = tx.prepare_cached(&format!(
                    "SELECT t.idx FROM {table} t JOIN current c ON c.tree = 0 AND c.idx = t.idx WHERE t.hash = ?1"
                ))?;
                for &h in hashes {
                    let mut rows = stmt.query([h as i64])?;
                    let mut any = false;
                    while let Some(r) = rows.next()? {
                        *by.entry(r.get::<_, i64>(0)? as u64).or_default() += 1;
                        any = true;
                    }
                    found += any as u64;
                }
                let mut v: Vec<(u64, u64)> = by.into_iter().collect();
                v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
                Ok((v, found))
            };
            let doc = |idx: u64| -> rusqlite::Result<Match> {
                tx.prepare_cached(&format!("SELECT {doc_cols} FROM {docs} WHERE l.tree = 0 AND l.idx = ?1"))?
                    .query_row([idx as i64], to_match)
            };
            let config = hasher.config();
            let bands = hasher.band_hashes(&hasher.signature_of(text));
            let near = count_by("bands", &bands)?
                .0
                .into_iter()
                .take(MAX_MATCHES as usize)
                .map(|(idx, n)| {
                    Ok(NearMatch {
                        doc: doc(idx)?,
                        bands_matched: n,
                        bands: config.bands as u64,
                        similarity_estimate: (n as f64 / config.bands.max(1) as f64).powf(1.0 / config.rows.max(1) as f64),
                    })
                })
                .collect::<rusqlite::Result<Vec<_>>>()?;
            let (shared, found) = count_by("sentences", &sentences)?;
            let shared = shared
                .into_iter()
                .take(MAX_MATCHES as usize)
                .map(|(idx, n)| Ok(SentenceMatch { doc: doc(idx)?, shared_sentences: n }))
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(TextAnswer {
                sentences: sentences.len() as u64,
                sentences_found: found,
                exact,
                near,
                shared_sentences: shared,
            })
        })
    }

    /// The training runs that read a shard holding one of the documents `doc_ids`, at any
    /// version.
    pub fn models_of_documents(&mut self, doc_ids: &[&str]) -> Result<Vec<Model>, LookupError> {
        self.read(|tx, v, _| {
            let mut shards = Vec::new();
            for id in doc_ids {
                shards.extend(shards_of(tx, "l.doc_id = ?1", [id])?);
            }
            Ok(v.models(shards.iter().map(|(p, h)| (p.as_str(), h.as_str()))))
        })
    }

    /// The signed checkpoints of both trees as the index holds them.
    pub fn checkpoint(&mut self) -> Result<CheckpointAnswer, LookupError> {
        self.read(|_, v, _| {
            let log = &v.log;
            let head = |t: &assent_manifests::signed_log::TreeRecord| TreeHeadAnswer {
                size: t.size,
                root: t.root.clone(),
                checkpoint: t.checkpoint.clone(),
            };
            Ok(CheckpointAnswer {
                origin: log.origin.clone(),
                vkey: log.vkey.clone(),
                kept: head(&log.kept),
                refused: head(&log.refused),
            })
        })
    }

    /// The proof that tree `tree` at size `from` is a prefix of it now.
    pub fn consistency(&mut self, tree: &str, from: u64) -> Result<ConsistencyAnswer, LookupError> {
        let t = match tree {
            "kept" => KEPT,
            "refused" => REFUSED,
            _ => {
                return Err(LookupError::BadInput(
                    "bad_tree",
                    "tree is `kept` or `refused`".into(),
                ))
            }
        };
        self.read(|_, v, trees| {
            let log = &v.log;
            let head = log.tree(tree).expect("a tree");
            if from == 0 || from > head.size {
                return Err(LookupError::BadInput(
                    "bad_size",
                    format!("from must be between 1 and the tree's size, {}", head.size),
                ));
            }
            let proof = trees[t as usize]
                .consistency(from, head.size)
                .map_err(|e| IndexError::Io {
                    path: PathBuf::from("log"),
                    source: e,
                })?;
            Ok(ConsistencyAnswer {
                tree: tree_name(t),
                from,
                to: head.size,
                proof: proof.iter().map(|h| B64.encode(h)).collect(),
                checkpoint: head.checkpoint.clone(),
            })
        })
    }
}

struct LeafRow {
    tree: i64,
    idx: u64,
    decision: String,
    reasons: String,
    licence: Option<String>,
    /// As the index holds it: JSON, or compressed ([`evidence`]).
    evidence: rusqlite::types::Value,
    shard: Option<String>,
    row: Option<u64>,
    doc_id: Option<String>,
    current: bool,
    shard_sha256: Option<String>,
}

/// The build number a URL's statement read, and the leaves of the URL whose sha256 is `hash`
/// (`key` its first 8 bytes).
fn url_rows(
    conn: &Connection,
    key: i64,
    hash: &str,
) -> Result<(Option<String>, Vec<LeafRow>), LookupError> {
    let mut stmt = conn.prepare_cached(
        "SELECT m.value, l.tree, l.idx, l.decision, l.reasons, l.licence, e.json,
                s.path, l.row, l.doc_id, c.idx IS NOT NULL, s.sha256
         FROM meta m
         LEFT JOIN leaves l ON l.url_key = ?1 AND l.url_sha256 = ?2
         LEFT JOIN current c ON c.tree = l.tree AND c.idx = l.idx
         LEFT JOIN evidence e ON e.id = l.evidence
         LEFT JOIN shards s ON s.id = l.shard
         WHERE m.key = 'build' ORDER BY l.tree, l.idx",
    )?;
    let mut rows = stmt.query(params![key, hash])?;
    let mut build = None;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        build = Some(r.get::<_, String>(0)?);
        let Some(tree) = r.get::<_, Option<i64>>(1)? else {
            continue; // the URL has no leaf: the one row is the build's
        };
        out.push(LeafRow {
            tree,
            idx: r.get::<_, i64>(2)? as u64,
            decision: r.get(3)?,
            reasons: r.get(4)?,
            licence: r.get(5)?,
            evidence: r.get(6)?,
            shard: r.get(7)?,
            row: r.get::<_, Option<i64>>(8)?.map(|r| r as u64),
            doc_id: r.get(9)?,
            current: r.get(10)?,
            shard_sha256: r.get::<_, Option<String>>(11)?.filter(|h| !h.is_empty()),
        });
    }
    Ok((build, out))
}

/// The answer for a URL from its leaves, of version `v`.
fn url_answer(
    url: String,
    rows: Vec<LeafRow>,
    v: &Version,
    trees: &[TreeLog; 2],
) -> Result<UrlAnswer, LookupError> {
    let chosen = rows
        .iter()
        .filter(|r| r.current && r.tree == KEPT)
        .max_by_key(|r| r.idx)
        .or_else(|| rows.iter().filter(|r| r.current).max_by_key(|r| r.idx));
    let history = rows
        .iter()
        .filter(|r| !r.current)
        .map(|r| Earlier {
            tree: tree_name(r.tree),
            leaf_index: r.idx,
            decision: r.decision.clone(),
            shard: r.shard.clone(),
        })
        .collect();
    let models = v.models(
        rows.iter()
            .filter(|r| r.tree == KEPT)
            .filter_map(|r| Some((r.shard.as_deref()?, r.shard_sha256.as_deref()?))),
    );
    let Some(c) = chosen else {
        return Ok(UrlAnswer {
            url,
            status: "unknown",
            decision: None,
            reasons: vec![],
            licence: None,
            evidence: None,
            evidence_json: None,
            doc_id: None,
            shard: None,
            row: None,
            models,
            proof: None,
            checkpoint: None,
            history,
        });
    };
    let evidence_json = v.evidence.borrow_mut().json((&c.evidence).into())?;
    // As it is held (JSON already): written into the answer without parsing.
    let evidence = evidence_json
        .clone()
        .and_then(|j| serde_json::value::RawValue::from_string(j).ok());
    let (proof, checkpoint) = prove(trees, &v.log, c.tree, c.idx)?;
    Ok(UrlAnswer {
        url,
        status: status_of(c.tree, &c.decision),
        decision: Some(c.decision.clone()),
        reasons: split_reasons(&c.reasons),
        licence: c.licence.clone(),
        evidence,
        evidence_json,
        doc_id: c.doc_id.clone(),
        shard: c.shard.clone(),
        row: c.row,
        models,
        proof: Some(proof),
        checkpoint: Some(checkpoint),
        history,
    })
}

fn tree_name(tree: i64) -> &'static str {
    if tree == KEPT {
        "kept"
    } else {
        "refused"
    }
}

fn status_of(tree: i64, decision: &str) -> &'static str {
    match (tree, decision) {
        (KEPT, _) => "kept",
        (_, "refused") => "refused",
        _ => "dropped",
    }
}

fn split_reasons(r: &str) -> Vec<String> {
    r.split(',')
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

fn parse_cursor(a: &str) -> Option<(String, i64, i64)> {
    let mut parts = a.splitn(3, ':');
    let tree = parts.next()?.parse().ok()?;
    let idx = parts.next()?.parse().ok()?;
    Some((parts.next()?.to_string(), tree, idx))
}

/// The shards (path, sha256) holding a kept leaf that `filter` (over `leaves l`) selects, at
/// any version: what [`Version::models`] names the runs of.
fn shards_of(
    tx: &Connection,
    filter: &str,
    args: impl rusqlite::Params,
) -> rusqlite::Result<Vec<(String, String)>> {
    tx.prepare_cached(&format!(
        "SELECT DISTINCT s.path, s.sha256 FROM leaves l JOIN shards s ON s.id = l.shard
         WHERE l.tree = 0 AND s.sha256 != '' AND {filter}"
    ))?
    .query_map(args, |r| Ok((r.get(0)?, r.get(1)?)))?
    .collect()
}

/// Leaf `idx` of tree `tree` with its audit path at the checkpoint's size, and the note.
fn prove(
    trees: &[TreeLog; 2],
    log: &LogRecord,
    tree: i64,
    idx: u64,
) -> Result<(Proof, String), LookupError> {
    let name = tree_name(tree);
    let head = log.tree(name).expect("a tree");
    let t = &trees[tree as usize];
    let io = |e| IndexError::Io {
        path: PathBuf::from("log").join(name),
        source: e,
    };
    let leaf = t.leaf(idx).map_err(io)?;
    let path = t.inclusion(idx, head.size).map_err(io)?;
    Ok((
        Proof {
            tree: name,
            leaf: B64.encode(leaf),
            leaf_index: idx,
            tree_size: head.size,
            inclusion_path: path.iter().map(|h| B64.encode(h)).collect(),
        },
        head.checkpoint.clone(),
    ))
}
