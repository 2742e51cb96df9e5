//! `assent audit DIR`: what a finished corpus holds, written to `DIR/audit/audit.json` (the
//! figures of [`assent_filter::audit`], with the manifest's counts by final decision and
//! reason beside them) and drawn as `DIR/audit/index.html` ([`assent_filter::audit_page`]).
//! Run at the end of every curation too, and followed by the corpus's descriptions
//! ([`crate::card`]: `croissant.json`, `README.md`). Streams the shards and the ledger: memory
//! holds counts only.

use anyhow::Context;
use assent_filter::audit::{builtin_lexicons, Audit};
use assent_filter::audit_page::{render, PageAbout};
use assent_manifests::{read_documents, read_ledger, write_atomically, CorpusManifest};
use std::path::{Path, PathBuf};

/// Where an audit went.
pub struct AuditFiles {
    pub json: PathBuf,
    pub page: PathBuf,
}

impl AuditFiles {
    pub fn of(dir: &Path) -> Self {
        let out = dir.join("audit");
        AuditFiles {
            json: out.join("audit.json"),
            page: out.join("index.html"),
        }
    }
}

/// Audits the corpus in `dir` (its `manifest.json` names the files) and returns where the
/// figures and the page went.
pub fn audit(dir: &Path) -> anyhow::Result<AuditFiles> {
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
    let audited = audit.finish();
    let about = PageAbout {
        corpus: dir
            .canonicalize()
            .ok()
            .and_then(|d| d.file_name().map(|n| n.to_string_lossy().into_owned()))
            .unwrap_or_else(|| dir.display().to_string()),
        manifest_sha256: assent_manifests::sha256_file(&manifest_path)?,
    };
    let page = render(&audited, &about);
    let report = serde_json::json!({
        "manifest_sha256": about.manifest_sha256,
        "counts": manifest.counts,
        "audit": audited,
    });
    let files = AuditFiles::of(dir);
    let out = dir.join("audit");
    std::fs::create_dir_all(&out).with_context(|| format!("cannot create {}", out.display()))?;
    write_atomically(
        &files.json,
        serde_json::to_string_pretty(&report)?.as_bytes(),
    )
    .with_context(|| format!("cannot write {}", files.json.display()))?;
    write_atomically(&files.page, page.as_bytes())
        .with_context(|| format!("cannot write {}", files.page.display()))?;
    crate::card::write(dir, &manifest, &report)?;
    Ok(files)
}
