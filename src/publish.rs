//! Publishing a version of a finished corpus: its `manifest.json`, and the record of it in the
//! provenance log.
//!
//! Whatever makes a new version (the end of a curation, `assent merge`, `assent dedup`,
//! `assent forget`) writes its manifest here and nowhere else: the documents and refusals
//! are appended to the log's trees first, their checkpoints signed, and the signed
//! checkpoints written into the manifest, so a manifest never names a version the log does
//! not hold. The audit, which quotes the manifest's sha256, comes after.
//!
//! The signing key lives outside the corpus ([`key_path`]), so publishing OUT never
//! publishes the key; its verifier key goes into the manifest.

use crate::config::LogConfig;
use anyhow::Context;
use assent_manifests::checkpoint::NoteSigner;
use assent_manifests::signed_log;
use assent_manifests::CorpusManifest;
use std::path::{Path, PathBuf};

/// Appends the version `manifest` describes to `out`'s log, records the signed checkpoints in
/// it and writes it to `out/manifest.json`.
pub fn write_manifest(
    out: &Path,
    manifest: &mut CorpusManifest,
    config: &LogConfig,
) -> anyhow::Result<()> {
    let origin = signed_log::origin(out, config.origin.as_deref())?;
    let key = key_path(config, &origin)?;
    let signer = NoteSigner::load_or_create(&key, &origin)
        .with_context(|| format!("cannot read or make the log's key {}", key.display()))?;
    anyhow::ensure!(
        signer.name() == origin,
        "the key {} is named {:?}, not {origin:?} (the log's name): give the log's own key ([log] key or ASSENT_LOG_KEY)",
        key.display(),
        signer.name()
    );
    let (record, heads) = signed_log::publish(out, manifest, &signer)
        .with_context(|| format!("cannot append to the log in {}", out.join("log").display()))?;
    if heads.unencodable > 0 {
        tracing::warn!(
            "{} records hold a line break in a field of their leaf and are not in the log",
            heads.unencodable
        );
    }
    manifest.log = Some(record);
    let path = out.join("manifest.json");
    manifest
        .write(&path)
        .with_context(|| format!("cannot write {}", path.display()))
}

/// Where the log's signing key is: `[log] key`, else $ASSENT_LOG_KEY, else
/// `$XDG_CONFIG_HOME/assent/keys/ORIGIN.skey` (with `/` in ORIGIN as `_`), else the same
/// under `~/.config`.
pub fn key_path(config: &LogConfig, origin: &str) -> anyhow::Result<PathBuf> {
    if let Some(k) = &config.key {
        return Ok(k.clone());
    }
    if let Some(k) = std::env::var_os("ASSENT_LOG_KEY").filter(|k| !k.is_empty()) {
        return Ok(PathBuf::from(k));
    }
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))
        .context("no place for the log's signing key: set [log] key, ASSENT_LOG_KEY or HOME")?;
    let file = signed_log::safe_name(origin);
    Ok(base
        .join("assent")
        .join("keys")
        .join(format!("{file}.skey")))
}
