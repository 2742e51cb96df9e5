//! File helpers shared by the trainer: atomic writes and file hashing.
//!
//! Run directories are read by other tools while training runs (and after crashes), so a file
//! there is either absent or complete: written beside its final name, then renamed over it.

use crate::error::TrainError;
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The temporary sibling of `path`: same directory (so the rename stays on one filesystem), and a
/// name no reader looks for.
pub(crate) fn temp_sibling(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}.partial-{}", std::process::id()))
}

/// Writes `bytes` to `path` atomically.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), TrainError> {
    let tmp = temp_sibling(path);
    let result = (|| {
        let mut f = File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map_err(|e| TrainError::io(path, e))
}

/// Writes `value` as pretty JSON to `path` atomically.
pub(crate) fn write_json_atomic<T: serde::Serialize>(
    path: &Path,
    value: &T,
) -> Result<(), TrainError> {
    let mut bytes = serde_json::to_vec_pretty(value).expect("training records serialise to JSON");
    bytes.push(b'\n');
    write_atomic(path, &bytes)
}

/// Hex sha256 of a file, read in chunks so that a multi-gigabyte shard costs no memory.
pub fn sha256_file(path: &Path) -> Result<String, TrainError> {
    assent_schemas::digest::sha256_file(path).map_err(|e| TrainError::io(path, e))
}

/// Hex sha256 of bytes in memory.
pub fn sha256_bytes(bytes: &[u8]) -> String {
    assent_schemas::digest::sha256_hex(bytes)
}
