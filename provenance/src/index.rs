//! `DIR/index/provenance.sqlite`: what the query service answers from. Built from the corpus's
//! provenance log (`DIR/log/`, the source of truth: every row here is a leaf there), its
//! manifest, shards and ledger, and the training runs that read its shards.
//!
//! Incremental: the log only grows, so a build reads only leaves past the sizes the index
//! holds (and only the shards holding them), then replaces the list of which leaves are the
//! corpus now (`current`) and the runs. One transaction does it all: a reader (the service,
//! on its own read-only connection in WAL mode) sees the index before the build or after it,
//! never between.
//!
//! Per kept document the index holds the leaf's fields, its consent evidence (once per
//! distinct evidence, compressed: [`crate::evidence`]), the hashes of its sentences
//! ([`crate::sentences`]) and its MinHash band hashes (the corpus's own settings), never its
//! text. A refused record is held by the hash
//! of its URL and its host (for a site owner's domain query), its URL not at all.

use crate::sentences::sentence_hashes;
use crate::IndexError;
use assent_dedup::minhash::{MinHashConfig, MinHasher};
use assent_manifests::log::current_leaves;
use assent_manifests::signed_log::LogRecord;
use assent_manifests::tree_log::TreeLog;
use assent_manifests::{read_documents, read_ledger, CorpusManifest};
use assent_schemas::digest::sha256_hex;
use assent_schemas::leaf::Leaf;
use assent_schemas::Decision;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use rusqlite::{params, Connection, OptionalExtension, Transaction};
use std::path::{Path, PathBuf};

/// Where the index of corpus `dir` is.
pub fn index_path(dir: &Path) -> PathBuf {
    dir.join("index").join("provenance.sqlite")
}

/// The page cache of a build, in KiB: most of its memory.
const BUILD_CACHE_KIB: u64 = 256 * 1024;

/// Tree numbers in the index.
pub const KEPT: i64 = 0;
pub const REFUSED: i64 = 1;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS leaves(
    tree INTEGER NOT NULL,
    idx INTEGER NOT NULL,
    -- The first 8 bytes of url_sha256, as an integer: what a URL lookup searches by. An index
    -- of integers is a fifth of one of hex strings and compares without memcmp; a lookup
    -- also checks url_sha256, so keys that collide are told apart.
    url_key INTEGER,
    url_sha256 TEXT,
    -- The host's labels reversed, each followed by a dot (www.example.org: org.example.www.):
    -- a domain and its subdomains are one range.
    rhost TEXT,
    url TEXT,
    doc_id TEXT,
    text_sha256 TEXT,
    decision TEXT NOT NULL,
    reasons TEXT NOT NULL,
    licence TEXT,
    evidence INTEGER, -- evidence.id
    shard INTEGER,    -- shards.id
    row INTEGER,
    PRIMARY KEY(tree, idx)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS leaves_url ON leaves(url_key);
CREATE INDEX IF NOT EXISTS leaves_rhost ON leaves(rhost);
CREATE INDEX IF NOT EXISTS leaves_doc ON leaves(doc_id);
CREATE INDEX IF NOT EXISTS leaves_text ON leaves(text_sha256);
-- json: TEXT, or a BLOB compressed with the dictionary (crate::evidence).
CREATE TABLE IF NOT EXISTS evidence(id INTEGER PRIMARY KEY, sha256 BLOB NOT NULL UNIQUE,
    json NOT NULL);
-- A shard at one content; sha256 is '' for a leaf whose shard the index did not read.
CREATE TABLE IF NOT EXISTS shards(id INTEGER PRIMARY KEY, path TEXT NOT NULL,
    sha256 TEXT NOT NULL, UNIQUE(path, sha256));
CREATE TABLE IF NOT EXISTS current(tree INTEGER NOT NULL, idx INTEGER NOT NULL,
    PRIMARY KEY(tree, idx)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS sentences(hash INTEGER NOT NULL, idx INTEGER NOT NULL,
    PRIMARY KEY(hash, idx)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS bands(hash INTEGER NOT NULL, idx INTEGER NOT NULL,
    PRIMARY KEY(hash, idx)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS runs(id INTEGER PRIMARY KEY, path TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL, manifest_sha256 TEXT NOT NULL, created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS run_shards(shard TEXT NOT NULL, shard_sha256 TEXT NOT NULL,
    run INTEGER NOT NULL, PRIMARY KEY(shard, shard_sha256, run)) WITHOUT ROWID;
";

/// What a build did.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct BuildStats {
    pub kept_leaves_added: u64,
    pub refused_leaves_added: u64,
    pub kept_now: u64,
    pub refused_now: u64,
    pub shards_read: u64,
    pub runs: u64,
    pub kept_size: u64,
    pub refused_size: u64,
}

/// `host` as [`leaves.rhost`](SCHEMA) holds it.
pub fn reversed_host(host: &str) -> String {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    let mut out = String::with_capacity(host.len() + 1);
    for label in host.rsplit('.') {
        out.push_str(label);
        out.push('.');
    }
    out
}

/// Runs' `training-manifest.json` files: `run_dirs` are searched (to depth 3), and the runs
/// registered in `DIR/log/runs.txt` (one run directory a line, which `assent train` adds).
fn training_manifests(dir: &Path, run_dirs: &[PathBuf]) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let registered =
        std::fs::read_to_string(dir.join("log").join(crate::RUNS_FILE)).unwrap_or_default();
    let mut roots: Vec<PathBuf> = registered
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(PathBuf::from)
        .collect();
    roots.extend(run_dirs.iter().cloned());
    fn walk(d: &Path, depth: u32, found: &mut Vec<PathBuf>) {
        let m = d.join("training-manifest.json");
        if m.is_file() {
            found.push(m);
            return;
        }
        if depth == 0 {
            return;
        }
        if let Ok(entries) = std::fs::read_dir(d) {
            let mut subs: Vec<PathBuf> = entries
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.is_dir())
                .collect();
            subs.sort();
            for s in subs {
                walk(&s, depth - 1, found);
            }
        }
    }
    for r in roots {
        walk(&r, 3, &mut found);
    }
    // One run reached by two paths (a link, `..`) is one run.
    let mut found: Vec<PathBuf> = found
        .into_iter()
        .map(|m| m.canonicalize().unwrap_or(m))
        .collect();
    found.sort();
    found.dedup();
    found
}

/// Registers the training run in `run_dir` with the corpus in `dir` (a line of
/// `DIR/log/runs.txt`), so that the index names it among the models of the documents it
/// read. Registering twice adds nothing.
pub fn register_run(dir: &Path, run_dir: &Path) -> std::io::Result<()> {
    let log = dir.join("log");
    if !log.is_dir() {
        return Ok(()); // a corpus made before the log: there is nothing to answer from
    }
    let run = run_dir.canonicalize()?.display().to_string();
    let path = log.join(crate::RUNS_FILE);
    let held = std::fs::read_to_string(&path).unwrap_or_default();
    if held.lines().any(|l| l.trim() == run) {
        return Ok(());
    }
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)?;
    f.write_all(format!("{run}\n").as_bytes())?;
    f.sync_all()
}

/// Builds or brings up to date the index of the corpus in `dir`.
pub fn build(dir: &Path, run_dirs: &[PathBuf]) -> Result<BuildStats, IndexError> {
    let manifest_path = dir.join("manifest.json");
    let manifest = CorpusManifest::read(&manifest_path)?;
    let log = manifest
        .log
        .clone()
        .ok_or_else(|| IndexError::NoLog(dir.to_path_buf()))?;
    let path = index_path(dir);
    std::fs::create_dir_all(path.parent().expect("in a directory"))
        .map_err(IndexError::io(&path))?;
    let mut conn = open_current_layout(&path)?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    // A build inserts into several large B-trees at random places (band and sentence hashes,
    // URL hashes): with SQLite's default 2 MiB of cache nearly every insert rereads pages.
    conn.pragma_update(None, "cache_size", -(BUILD_CACHE_KIB as i64))?;
    conn.execute_batch(SCHEMA)?;
    let tx = conn.transaction()?;
    let mut evidence = crate::evidence::Writer::open(&tx)?;
    let mut shards = ShardIds::default();
    let meta_u64 = |tx: &Transaction, key: &str| -> Result<u64, IndexError> {
        let v: Option<String> = tx
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()?;
        Ok(v.and_then(|v| v.parse().ok()).unwrap_or(0))
    };
    let had_kept = meta_u64(&tx, "kept_size")?;
    let had_refused = meta_u64(&tx, "refused_size")?;
    let log_dir = dir.join("log");
    let kept_tree = open_tree(&log_dir, "kept", &log)?;
    let refused_tree = open_tree(&log_dir, "refused", &log)?;
    let mut stats = BuildStats {
        kept_size: log.kept.size,
        refused_size: log.refused.size,
        ..BuildStats::default()
    };
    ensure(
        had_kept <= log.kept.size && had_refused <= log.refused.size,
        || {
            IndexError::Mismatch(format!(
            "the index holds more leaves ({had_kept} kept, {had_refused} refused) than the log ({} and {}): it belongs to another log; remove {}",
            log.kept.size,
            log.refused.size,
            path.display()
        ))
        },
    )?;
    let minhash: MinHashConfig =
        serde_json::from_value(manifest.config["near_dedup"]["minhash"].clone())
            .unwrap_or_default();
    let hasher = MinHasher::new(minhash.clone());

    // Kept documents: the current version's, in shard order.
    let kept_now = current_leaves(&log_dir, "kept").map_err(IndexError::io(&log_dir))?;
    let rows: u64 = manifest.shards.iter().map(|s| s.rows).sum();
    ensure(kept_now.len() as u64 == rows, || {
        IndexError::Mismatch(format!(
            "the log's current version holds {} documents, the manifest's shards {rows}: the command that made this version did not finish; run it again",
            kept_now.len()
        ))
    })?;
    let mut inserted_kept = std::collections::HashSet::new();
    let mut at = 0usize;
    for shard in &manifest.shards {
        let span = &kept_now[at..at + shard.rows as usize];
        at += shard.rows as usize;
        if span.iter().all(|&i| i < had_kept) {
            continue;
        }
        stats.shards_read += 1;
        let docs = read_documents(&dir.join(&shard.path), 1024)?;
        for (row, (doc, &idx)) in docs.zip(span).enumerate() {
            let doc = doc?;
            if idx < had_kept {
                continue;
            }
            let leaf = read_leaf(&kept_tree, "kept", idx, &log_dir)?;
            ensure(
                leaf.doc_id.as_deref() == Some(doc.doc_id.as_str())
                    && leaf.shard.as_deref() == Some(shard.path.as_str())
                    && leaf.row == Some(row as u64),
                || {
                    IndexError::Mismatch(format!(
                        "kept leaf {idx} is not row {row} of {}",
                        shard.path
                    ))
                },
            )?;
            let evidence = evidence.id(
                &tx,
                &serde_json::to_string(&doc.consent).expect("consent serialises"),
            )?;
            let shard = shards.id(&tx, &shard.path, &shard.sha256)?;
            insert_leaf(
                &tx,
                KEPT,
                idx,
                &leaf,
                Some(&doc.host),
                Some(shard),
                Some(evidence),
            )?;
            let mut sentence =
                tx.prepare_cached("INSERT OR IGNORE INTO sentences(hash, idx) VALUES (?1, ?2)")?;
            for h in sentence_hashes(&doc.text) {
                sentence.execute(params![h as i64, idx as i64])?;
            }
            let mut band =
                tx.prepare_cached("INSERT OR IGNORE INTO bands(hash, idx) VALUES (?1, ?2)")?;
            for h in hasher.band_hashes(&hasher.signature_of(&doc.text)) {
                band.execute(params![h as i64, idx as i64])?;
            }
            inserted_kept.insert(idx);
            stats.kept_leaves_added += 1;
        }
    }
    // Leaves a version between two builds added and a later one removed: their fields only.
    for idx in had_kept..log.kept.size {
        if !inserted_kept.contains(&idx) {
            let leaf = read_leaf(&kept_tree, "kept", idx, &log_dir)?;
            let host = leaf.url.as_deref().map(assent_schemas::ids::host_of);
            let shard = match &leaf.shard {
                Some(p) => Some(shards.id(&tx, p, "")?),
                None => None,
            };
            let evidence = held_evidence(&tx, &leaf)?;
            insert_leaf(&tx, KEPT, idx, &leaf, host.as_deref(), shard, evidence)?;
            stats.kept_leaves_added += 1;
        }
    }

    // Refusals: the ledger's rows that did not keep their record, in ledger order.
    let refused_now = current_leaves(&log_dir, "refused").map_err(IndexError::io(&log_dir))?;
    let mut inserted_refused = std::collections::HashSet::new();
    let mut at = 0usize;
    for file in &manifest.ledger {
        for row in read_ledger(&dir.join(&file.path), 4096)? {
            let row = row?;
            if row.decision == Decision::Kept {
                continue;
            }
            let Some(&idx) = refused_now.get(at) else {
                return Err(IndexError::Mismatch(format!(
                    "the ledger holds more refusals than the log's current version ({})",
                    refused_now.len()
                )));
            };
            at += 1;
            if idx < had_refused || !inserted_refused.insert(idx) {
                continue;
            }
            let leaf = read_leaf(&refused_tree, "refused", idx, &log_dir)?;
            let url_hash = row.url.as_deref().map(|u| sha256_hex(u.as_bytes()));
            ensure(
                leaf.url_sha256 == url_hash && leaf.doc_id == row.doc_id,
                || {
                    IndexError::Mismatch(format!(
                        "refused leaf {idx} is not the ledger's row of {:?}",
                        row.url
                    ))
                },
            )?;
            let host = row.url.as_deref().map(assent_schemas::ids::host_of);
            let evidence = evidence.id(&tx, &row.evidence)?;
            insert_leaf(
                &tx,
                REFUSED,
                idx,
                &leaf,
                host.as_deref(),
                None,
                Some(evidence),
            )?;
            stats.refused_leaves_added += 1;
        }
    }
    ensure(at == refused_now.len(), || {
        IndexError::Mismatch(format!(
            "the ledger holds {at} refusals, the log's current version {}: the command that made this version did not finish; run it again",
            refused_now.len()
        ))
    })?;
    for idx in had_refused..log.refused.size {
        if !inserted_refused.contains(&idx) {
            let leaf = read_leaf(&refused_tree, "refused", idx, &log_dir)?;
            let evidence = held_evidence(&tx, &leaf)?;
            insert_leaf(&tx, REFUSED, idx, &leaf, None, None, evidence)?;
            stats.refused_leaves_added += 1;
        }
    }

    // Which leaves are the corpus now.
    tx.execute("DELETE FROM current", [])?;
    {
        let mut cur =
            tx.prepare_cached("INSERT OR IGNORE INTO current(tree, idx) VALUES (?1, ?2)")?;
        for &i in &kept_now {
            cur.execute(params![KEPT, i as i64])?;
        }
        for &i in &refused_now {
            cur.execute(params![REFUSED, i as i64])?;
        }
    }
    stats.kept_now = kept_now.len() as u64;
    stats.refused_now = refused_now.len() as u64;

    // The training runs, found afresh each time.
    tx.execute("DELETE FROM run_shards", [])?;
    tx.execute("DELETE FROM runs", [])?;
    for m in training_manifests(dir, run_dirs) {
        let read = std::fs::read(&m)
            .map_err(|e| e.to_string())
            .and_then(|bytes| {
                serde_json::from_slice::<serde_json::Value>(&bytes)
                    .map(|v| (bytes, v))
                    .map_err(|e| e.to_string())
            });
        let (bytes, v) = match read {
            Ok(read) => read,
            Err(e) => {
                tracing::warn!("{}: not a training manifest, left out: {e}", m.display());
                continue;
            }
        };
        let run_dir = m.parent().unwrap_or(Path::new(".")).to_path_buf();
        let name = v["run_name"]
            .as_str()
            .map(str::to_string)
            .unwrap_or_else(|| {
                run_dir
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default()
            });
        tx.execute(
            "INSERT OR IGNORE INTO runs(path, name, manifest_sha256, created_at) VALUES (?1, ?2, ?3, ?4)",
            params![
                run_dir.display().to_string(),
                name,
                sha256_hex(&bytes),
                v["created_at"].as_str().unwrap_or_default()
            ],
        )?;
        let id = tx.last_insert_rowid();
        for s in v["shards_read"].as_array().into_iter().flatten() {
            if let (Some(p), Some(h)) = (s["path"].as_str(), s["sha256"].as_str()) {
                tx.execute(
                    "INSERT OR IGNORE INTO run_shards(shard, shard_sha256, run) VALUES (?1, ?2, ?3)",
                    params![p, h, id],
                )?;
            }
        }
        stats.runs += 1;
    }

    let set = |k: &str, v: String| -> rusqlite::Result<usize> {
        tx.execute(
            "INSERT OR REPLACE INTO meta(key, value) VALUES (?1, ?2)",
            params![k, v],
        )
    };
    // A new build number for every build, so that readers see a new version even where the
    // log did not grow (another run registered, say).
    let build = meta_u64(&tx, "build")? + 1;
    set("build", build.to_string())?;
    set("kept_size", log.kept.size.to_string())?;
    set("refused_size", log.refused.size.to_string())?;
    set(
        "log",
        serde_json::to_string(&log).expect("a log record serialises"),
    )?;
    set(
        "manifest_sha256",
        assent_manifests::sha256_file(&manifest_path).map_err(IndexError::io(&manifest_path))?,
    )?;
    set(
        "minhash",
        serde_json::to_string(&minhash).expect("settings serialise"),
    )?;
    set("schema", crate::INDEX_SCHEMA.to_string())?;
    tx.commit()?;
    Ok(stats)
}

/// Leaf `idx` of `tree` (named `name`, in `dir`), parsed.
fn read_leaf(tree: &TreeLog, name: &str, idx: u64, dir: &Path) -> Result<Leaf, IndexError> {
    let bytes = tree.leaf(idx).map_err(IndexError::io(dir))?;
    Leaf::parse(&bytes).map_err(|e| IndexError::Mismatch(format!("{name} leaf {idx}: {e}")))
}

/// The layout an index says it has (`meta.schema`); an error where it has no `meta`.
pub(crate) fn layout_of(conn: &Connection) -> rusqlite::Result<Option<String>> {
    conn.query_row("SELECT value FROM meta WHERE key = 'schema'", [], |r| {
        r.get(0)
    })
    .optional()
}

/// The index at `path`, opened; one of an older layout (a derived file) is removed first,
/// so that the build makes it afresh.
fn open_current_layout(path: &Path) -> Result<Connection, IndexError> {
    let conn = Connection::open(path)?;
    let has_meta: bool = conn.query_row(
        "SELECT count(*) > 0 FROM sqlite_schema WHERE name = 'meta'",
        [],
        |r| r.get(0),
    )?;
    if !has_meta {
        return Ok(conn);
    }
    let layout = layout_of(&conn)?;
    if layout.as_deref() == Some(crate::INDEX_SCHEMA) {
        return Ok(conn);
    }
    drop(conn);
    tracing::info!(
        "{}: an index of layout {} (this is {}): building it afresh",
        path.display(),
        layout.as_deref().unwrap_or("unknown"),
        crate::INDEX_SCHEMA
    );
    for suffix in ["", "-wal", "-shm"] {
        let p = PathBuf::from(format!("{}{suffix}", path.display()));
        match std::fs::remove_file(&p) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(IndexError::Io { path: p, source: e })
            }
            _ => {}
        }
    }
    Ok(Connection::open(path)?)
}

/// The rows of `shards`, as a build adds them.
#[derive(Default)]
struct ShardIds(std::collections::HashMap<(String, String), i64>);

impl ShardIds {
    fn id(&mut self, tx: &Transaction, path: &str, sha256: &str) -> rusqlite::Result<i64> {
        let key = (path.to_string(), sha256.to_string());
        if let Some(&id) = self.0.get(&key) {
            return Ok(id);
        }
        tx.execute(
            "INSERT OR IGNORE INTO shards(path, sha256) VALUES (?1, ?2)",
            params![path, sha256],
        )?;
        let id = tx.query_row(
            "SELECT id FROM shards WHERE path = ?1 AND sha256 = ?2",
            params![path, sha256],
            |r| r.get(0),
        )?;
        self.0.insert(key, id);
        Ok(id)
    }
}

/// The row of a leaf's evidence where the index holds it from another leaf: for a leaf whose
/// shard or ledger row the build does not read.
fn held_evidence(tx: &Transaction, leaf: &Leaf) -> rusqlite::Result<Option<i64>> {
    match &leaf.evidence_sha256 {
        Some(h) => crate::evidence::id_by_hex(tx, h),
        None => Ok(None),
    }
}

/// [`leaves.url_key`](SCHEMA) of a URL's sha256 (hex).
pub fn url_key(url_sha256: &str) -> Option<i64> {
    let head = url_sha256.get(..16)?;
    u64::from_str_radix(head, 16).ok().map(|k| k as i64)
}

fn ensure(ok: bool, err: impl FnOnce() -> IndexError) -> Result<(), IndexError> {
    match ok {
        true => Ok(()),
        false => Err(err()),
    }
}

/// The tree `name` of the log in `dir`, checked against the manifest's checkpoint.
pub fn open_tree(dir: &Path, name: &str, log: &LogRecord) -> Result<TreeLog, IndexError> {
    let tree = TreeLog::open_read(dir, name).map_err(IndexError::io(dir))?;
    let want = log.tree(name).expect("a tree of the log");
    let root = tree.root(want.size).map_err(IndexError::io(dir))?;
    if B64.encode(root) != want.root {
        return Err(IndexError::Mismatch(format!(
            "the {name} tree in {} does not have the manifest's root at size {}",
            dir.display(),
            want.size
        )));
    }
    Ok(tree)
}

fn insert_leaf(
    tx: &Transaction,
    tree: i64,
    idx: u64,
    leaf: &Leaf,
    host: Option<&str>,
    shard: Option<i64>,
    evidence: Option<i64>,
) -> rusqlite::Result<()> {
    tx.prepare_cached(
        "INSERT OR REPLACE INTO leaves(tree, idx, url_key, url_sha256, rhost, url, doc_id,
            text_sha256, decision, reasons, licence, evidence, shard, row)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
    )?
    .execute(params![
        tree,
        idx as i64,
        leaf.url_sha256.as_deref().and_then(url_key),
        leaf.url_sha256,
        host.filter(|h| !h.is_empty()).map(reversed_host),
        leaf.url,
        leaf.doc_id,
        leaf.text_sha256,
        leaf.decision.as_str(),
        leaf.reasons.join(","),
        leaf.licence,
        evidence,
        shard,
        leaf.row.map(|r| r as i64),
    ])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_domain_and_its_subdomains_are_one_range_of_reversed_hosts() {
        assert_eq!(reversed_host("www.Example.org."), "org.example.www.");
        let d = reversed_host("example.org");
        assert!(reversed_host("a.b.example.org").starts_with(&d));
        assert!(!reversed_host("badexample.org").starts_with(&d));
    }

    #[test]
    fn an_index_of_another_layout_is_refused_by_readers_and_built_afresh() {
        let dir = tempfile::tempdir().unwrap();
        let path = index_path(dir.path());
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let old = Connection::open(&path).unwrap();
        old.execute_batch(
            "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
             INSERT INTO meta VALUES ('schema', 'assent-index/1'), ('build', '7');
             CREATE TABLE leaves(url_sha256 TEXT);",
        )
        .unwrap();
        drop(old);
        let refused = crate::lookup::Index::open(dir.path()).err().unwrap();
        assert!(refused.to_string().contains("assent index"), "{refused}");

        let fresh = open_current_layout(&path).unwrap();
        let tables: i64 = fresh
            .query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get(0))
            .unwrap();
        assert_eq!(tables, 0, "the old layout's tables are gone");
        fresh.execute_batch(SCHEMA).unwrap();
        fresh
            .execute(
                "INSERT INTO meta VALUES ('schema', ?1)",
                [crate::INDEX_SCHEMA],
            )
            .unwrap();
        drop(fresh);
        let kept = open_current_layout(&path).unwrap();
        let layout: String = kept
            .query_row("SELECT value FROM meta WHERE key = 'schema'", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(
            layout,
            crate::INDEX_SCHEMA,
            "an index of this layout is kept"
        );
    }
}
