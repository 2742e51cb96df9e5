//! `assent audit DIR`: what a finished corpus holds, written to `DIR/audit/audit.json` (the
//! figures of [`assent_filter::audit`], with the manifest's counts by final decision and
//! reason beside them). Run at the end of every curation too. Streams the shards and the
//! ledger: memory holds counts only.

use anyhow::Context;
use assent_filter::audit::{builtin_lexicons, Audit};
use assent_manifests::{read_documents, read_ledger, write_atomically, CorpusManifest};
use std::path::{Path, PathBuf};

/// Audits the corpus in `dir` (its `manifest.json` names the files) and returns where the
/// figures went.
pub fn audit(dir: &Path) -> anyhow::Result<PathBuf> {
    let manifest_path = dir.join("manifest.json");
    let manifest = CorpusManifest::read(&manifest_path).with_context(|| {
        format!(
            "{} is not a finished corpus (no readable manifest.json)",
            dir.display()
        )
    })?;
    let (identity, negative) = builtin_lexicons();
    let mut audit = Audit::new(identity, negative);
    for f in &manifest.shards {
        for doc in read_documents(&dir.join(&f.path), 1024)? {
            audit.add_document(&doc?);
        }
    }
    for f in &manifest.ledger {
        for row in read_ledger(&dir.join(&f.path), 4096)? {
            audit.add_row(&row?);
        }
    }
    let report = serde_json::json!({
        "manifest_sha256": assent_manifests::sha256_file(&manifest_path)?,
        "counts": manifest.counts,
        "audit": audit.finish(),
    });
    let out = dir.join("audit");
    std::fs::create_dir_all(&out).with_context(|| format!("cannot create {}", out.display()))?;
    let path = out.join("audit.json");
    write_atomically(&path, serde_json::to_string_pretty(&report)?.as_bytes())
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(path)
}
