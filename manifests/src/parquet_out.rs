//! Parquet files that appear whole or not at all, rolled at a size.
//!
//! A file is written under a hidden temporary name (`.part-….parquet.tmp`), closed, fsynced and
//! only then renamed to `part-RANK-SEQ.parquet`, and the directory is fsynced after the rename.
//! A run killed at any moment therefore leaves complete files and, at worst, a temporary file
//! that no reader globbing `part-*.parquet` picks up; [`RollingParquetWriter::new`] removes
//! temporaries that an earlier run left behind.

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use assent_schemas::{SCHEMA_VERSION, SCHEMA_VERSION_KEY};
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::metadata::KeyValue;
use parquet::file::properties::WriterProperties;
use serde::{Deserialize, Serialize};
use std::fs::File;
use std::path::{Path, PathBuf};

/// Rows per Parquet row group: small enough that a reader streaming a shard holds little,
/// large enough that zstd and the column statistics work well.
const ROW_GROUP_ROWS: usize = 2048;

#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {source}")]
    Parquet {
        path: PathBuf,
        source: parquet::errors::ParquetError,
    },
    #[error("{path}: batch schema does not match the file's: {message}")]
    Schema { path: PathBuf, message: String },
}

/// A finished output file, as the manifest lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutputFile {
    /// Path relative to the output directory, with `/` separators.
    pub path: String,
    pub rows: u64,
    pub bytes: u64,
    pub sha256: String,
}

struct OpenFile {
    writer: ArrowWriter<File>,
    tmp_path: PathBuf,
    name: String,
    rows: u64,
    weight: u64,
}

/// Writes record batches of one schema into `ROOT/SUBDIR/part-RANK-SEQ.parquet`, starting a new
/// file once the weight written (text bytes, for shards) reaches `roll_at`.
pub struct RollingParquetWriter {
    root: PathBuf,
    subdir: String,
    rank: u32,
    seq: u32,
    roll_at: u64,
    schema: SchemaRef,
    extra_metadata: Vec<(String, String)>,
    open: Option<OpenFile>,
    finished: Vec<OutputFile>,
}

impl RollingParquetWriter {
    /// Creates `ROOT/SUBDIR` and clears temporaries of this rank left by an interrupted run.
    pub fn new(
        root: &Path,
        subdir: &str,
        rank: u32,
        schema: SchemaRef,
        roll_at: u64,
        extra_metadata: Vec<(String, String)>,
    ) -> Result<Self, OutputError> {
        let dir = root.join(subdir);
        std::fs::create_dir_all(&dir).map_err(|source| OutputError::Io {
            path: dir.clone(),
            source,
        })?;
        Self::clear_stale(&dir, &format!(".part-{rank:05}-"))?;
        Ok(Self::in_dir(
            root,
            subdir,
            rank,
            schema,
            roll_at,
            extra_metadata,
        ))
    }

    /// A writer of the one file `SUBDIR/part-RANK-SEQ.parquet`, replacing it, that leaves the
    /// rank's other unfinished files alone: other processes may be rewriting them.
    pub fn rewriting(
        root: &Path,
        subdir: &str,
        (rank, seq): (u32, u32),
        schema: SchemaRef,
        extra_metadata: Vec<(String, String)>,
    ) -> Result<Self, OutputError> {
        let dir = root.join(subdir);
        Self::clear_stale(&dir, &format!(".part-{rank:05}-{seq:05}."))?;
        Ok(Self::in_dir(root, subdir, rank, schema, u64::MAX, extra_metadata).first_seq(seq))
    }

    /// Removes the unfinished files (`.tmp`) of `dir` whose names start with `prefix`.
    fn clear_stale(dir: &Path, prefix: &str) -> Result<(), OutputError> {
        for entry in std::fs::read_dir(dir).map_err(|source| OutputError::Io {
            path: dir.to_path_buf(),
            source,
        })? {
            let Ok(entry) = entry else { continue };
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with(prefix) && name.ends_with(".tmp") {
                let _ = std::fs::remove_file(entry.path());
            }
        }
        Ok(())
    }

    fn in_dir(
        root: &Path,
        subdir: &str,
        rank: u32,
        schema: SchemaRef,
        roll_at: u64,
        extra_metadata: Vec<(String, String)>,
    ) -> Self {
        RollingParquetWriter {
            root: root.to_path_buf(),
            subdir: subdir.to_string(),
            rank,
            seq: 0,
            roll_at: roll_at.max(1),
            schema,
            extra_metadata,
            open: None,
            finished: Vec::new(),
        }
    }

    /// Numbers the files from `seq` on (a later pass adding files to a rank's earlier ones,
    /// or rewriting one of them in place).
    pub fn first_seq(mut self, seq: u32) -> Self {
        self.seq = seq;
        self
    }

    /// Writes a batch (never split across files) and returns the path, relative to ROOT, of the
    /// file it went into. `weight` counts towards the roll size.
    pub fn write(&mut self, batch: &RecordBatch, weight: u64) -> Result<String, OutputError> {
        if batch.num_rows() == 0 {
            return Ok(self.current_name());
        }
        if self.open.is_none() {
            self.open = Some(self.open_next()?);
        }
        let open = self.open.as_mut().expect("opened above");
        if batch.schema().fields() != self.schema.fields() {
            return Err(OutputError::Schema {
                path: open.tmp_path.clone(),
                message: format!("{:?}", batch.schema().fields()),
            });
        }
        open.writer
            .write(batch)
            .map_err(|source| OutputError::Parquet {
                path: open.tmp_path.clone(),
                source,
            })?;
        open.rows += batch.num_rows() as u64;
        open.weight += weight;
        let name = open.name.clone();
        if open.weight >= self.roll_at {
            self.close_current()?;
        }
        Ok(name)
    }

    /// Closes the open file and returns every file written, in order.
    pub fn finish(mut self) -> Result<Vec<OutputFile>, OutputError> {
        self.close_current()?;
        Ok(std::mem::take(&mut self.finished))
    }

    fn current_name(&self) -> String {
        match &self.open {
            Some(open) => open.name.clone(),
            None => format!(
                "{}/part-{:05}-{:05}.parquet",
                self.subdir, self.rank, self.seq
            ),
        }
    }

    fn open_next(&mut self) -> Result<OpenFile, OutputError> {
        let file_name = format!("part-{:05}-{:05}.parquet", self.rank, self.seq);
        self.seq += 1;
        let tmp_path = self
            .root
            .join(&self.subdir)
            .join(format!(".{file_name}.tmp"));
        let file = File::create(&tmp_path).map_err(|source| OutputError::Io {
            path: tmp_path.clone(),
            source,
        })?;
        let mut kv = vec![KeyValue::new(
            SCHEMA_VERSION_KEY.to_string(),
            SCHEMA_VERSION.to_string(),
        )];
        kv.extend(
            self.extra_metadata
                .iter()
                .map(|(k, v)| KeyValue::new(k.clone(), v.clone())),
        );
        let props = WriterProperties::builder()
            .set_compression(Compression::ZSTD(
                ZstdLevel::try_new(3).expect("valid level"),
            ))
            .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
            .set_key_value_metadata(Some(kv))
            .build();
        let writer =
            ArrowWriter::try_new(file, self.schema.clone(), Some(props)).map_err(|source| {
                OutputError::Parquet {
                    path: tmp_path.clone(),
                    source,
                }
            })?;
        Ok(OpenFile {
            writer,
            tmp_path,
            name: format!("{}/{file_name}", self.subdir),
            rows: 0,
            weight: 0,
        })
    }

    fn close_current(&mut self) -> Result<(), OutputError> {
        let Some(open) = self.open.take() else {
            return Ok(());
        };
        let tmp = open.tmp_path.clone();
        let file = open
            .writer
            .into_inner()
            .map_err(|source| OutputError::Parquet {
                path: tmp.clone(),
                source,
            })?;
        let io = |source| OutputError::Io {
            path: tmp.clone(),
            source,
        };
        file.sync_all().map_err(io)?;
        drop(file);
        let final_path = self.root.join(&open.name);
        std::fs::rename(&tmp, &final_path).map_err(io)?;
        sync_dir(&self.root.join(&self.subdir));
        let bytes = std::fs::metadata(&final_path).map_err(io)?.len();
        let sha256 = assent_schemas::digest::sha256_file(&final_path).map_err(io)?;
        self.finished.push(OutputFile {
            path: open.name,
            rows: open.rows,
            bytes,
            sha256,
        });
        Ok(())
    }
}

/// Makes a rename durable. Best effort: not every platform lets a directory be fsynced.
fn sync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}
