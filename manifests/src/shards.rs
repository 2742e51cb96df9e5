//! The two writers of a curation run: documents into shards, decisions into the ledger.

use crate::parquet_out::{OutputError, OutputFile, RollingParquetWriter};
use assent_schemas::{
    document_schema, documents_to_batch, ledger_schema, ledger_to_batch, Document, LedgerRow,
};
use std::path::Path;

/// Default shard size: 256 MiB of extracted text.
pub const DEFAULT_SHARD_TEXT_BYTES: u64 = 256 << 20;
/// Ledger files roll at this many bytes of URL and evidence.
pub const LEDGER_ROLL_BYTES: u64 = 64 << 20;

fn columns_error(path: &Path, e: assent_schemas::ColumnsError) -> OutputError {
    OutputError::Schema {
        path: path.to_path_buf(),
        message: e.to_string(),
    }
}

/// Writes kept documents into `OUT/shards/part-RANK-SEQ.parquet`.
pub struct ShardWriter {
    out: RollingParquetWriter,
    root: std::path::PathBuf,
}

impl ShardWriter {
    /// `roll_at_text_bytes`: a shard is closed once it holds this many bytes of text.
    pub fn new(
        out_dir: &Path,
        rank: u32,
        roll_at_text_bytes: u64,
        pipeline_version: &str,
    ) -> Result<Self, OutputError> {
        let meta = vec![(
            "assent.pipeline_version".to_string(),
            pipeline_version.to_string(),
        )];
        Ok(ShardWriter {
            out: RollingParquetWriter::new(
                out_dir,
                "shards",
                rank,
                document_schema(),
                roll_at_text_bytes,
                meta,
            )?,
            root: out_dir.to_path_buf(),
        })
    }

    /// Numbers the shards from `seq` on.
    pub fn first_seq(mut self, seq: u32) -> Self {
        self.out = self.out.first_seq(seq);
        self
    }

    /// Writes one batch of documents into the current shard and returns that shard's path
    /// relative to OUT (the ledger's `kept` rows name it).
    pub fn write(&mut self, docs: &[Document]) -> Result<String, OutputError> {
        let batch = documents_to_batch(docs).map_err(|e| columns_error(&self.root, e))?;
        let text_bytes = docs.iter().map(|d| d.text.len() as u64).sum();
        self.out.write(&batch, text_bytes)
    }

    pub fn finish(self) -> Result<Vec<OutputFile>, OutputError> {
        self.out.finish()
    }
}

/// Writes ledger rows into `OUT/ledger/part-RANK-SEQ.parquet`.
pub struct LedgerWriter {
    out: RollingParquetWriter,
    root: std::path::PathBuf,
}

impl LedgerWriter {
    pub fn new(out_dir: &Path, rank: u32, pipeline_version: &str) -> Result<Self, OutputError> {
        let meta = vec![(
            "assent.pipeline_version".to_string(),
            pipeline_version.to_string(),
        )];
        Ok(LedgerWriter {
            out: RollingParquetWriter::new(
                out_dir,
                "ledger",
                rank,
                ledger_schema(),
                LEDGER_ROLL_BYTES,
                meta,
            )?,
            root: out_dir.to_path_buf(),
        })
    }

    /// Numbers the ledger files from `seq` on.
    pub fn first_seq(mut self, seq: u32) -> Self {
        self.out = self.out.first_seq(seq);
        self
    }

    pub fn write(&mut self, rows: &[LedgerRow]) -> Result<(), OutputError> {
        let batch = ledger_to_batch(rows).map_err(|e| columns_error(&self.root, e))?;
        let weight = rows
            .iter()
            .map(|r| (r.evidence.len() + r.url.as_ref().map_or(0, String::len)) as u64)
            .sum();
        self.out.write(&batch, weight)?;
        Ok(())
    }

    pub fn finish(self) -> Result<Vec<OutputFile>, OutputError> {
        self.out.finish()
    }
}

/// Reads the documents of a shard back, every column, `batch_rows` at a time.
pub fn read_documents(
    path: &Path,
    batch_rows: usize,
) -> Result<impl Iterator<Item = Result<Document, OutputError>> + Send, OutputError> {
    read_records(path, batch_rows, assent_schemas::documents_from_batch)
}

/// Reads the text and provenance of a shard's documents back, `batch_rows` at a time, from
/// those columns alone ([`assent_schemas::PROVENANCE_COLUMNS`]).
pub fn read_provenance(
    path: &Path,
    batch_rows: usize,
) -> Result<impl Iterator<Item = Result<assent_schemas::Provenance, OutputError>> + Send, OutputError>
{
    read_projected(
        path,
        batch_rows,
        Some(&assent_schemas::PROVENANCE_COLUMNS),
        assent_schemas::provenance_from_batch,
    )
}

/// Reads the rows of a ledger file back, `batch_rows` at a time.
pub fn read_ledger(
    path: &Path,
    batch_rows: usize,
) -> Result<impl Iterator<Item = Result<LedgerRow, OutputError>> + Send, OutputError> {
    read_records(path, batch_rows, assent_schemas::ledger_from_batch)
}

/// The records of a Parquet file, converted from each batch by `convert`.
fn read_records<T: Send + 'static>(
    path: &Path,
    batch_rows: usize,
    convert: fn(&arrow::record_batch::RecordBatch) -> Result<Vec<T>, assent_schemas::ColumnsError>,
) -> Result<impl Iterator<Item = Result<T, OutputError>> + Send, OutputError> {
    read_projected(path, batch_rows, None, convert)
}

/// [`read_records`] of the top-level columns named in `columns` only (all when None).
fn read_projected<T: Send + 'static>(
    path: &Path,
    batch_rows: usize,
    columns: Option<&[&str]>,
    convert: fn(&arrow::record_batch::RecordBatch) -> Result<Vec<T>, assent_schemas::ColumnsError>,
) -> Result<impl Iterator<Item = Result<T, OutputError>> + Send, OutputError> {
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
    use parquet::arrow::ProjectionMask;
    let file = std::fs::File::open(path).map_err(|source| OutputError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let pq = |source| OutputError::Parquet {
        path: path.to_path_buf(),
        source,
    };
    let reader = ParquetRecordBatchReaderBuilder::try_new(file)
        .and_then(|b| {
            let b = b.with_batch_size(batch_rows.max(1));
            match columns {
                None => b.build(),
                Some(names) => {
                    let roots: Vec<usize> = b
                        .schema()
                        .fields()
                        .iter()
                        .enumerate()
                        .filter(|(_, f)| names.contains(&f.name().as_str()))
                        .map(|(i, _)| i)
                        .collect();
                    let mask = ProjectionMask::roots(b.parquet_schema(), roots);
                    b.with_projection(mask).build()
                }
            }
        })
        .map_err(pq)?;
    let path = path.to_path_buf();
    Ok(reader.flat_map(move |batch| {
        let records: Vec<Result<T, OutputError>> = match batch {
            Ok(b) => match convert(&b) {
                Ok(records) => records.into_iter().map(Ok).collect(),
                Err(e) => vec![Err(columns_error(&path, e))],
            },
            Err(e) => vec![Err(OutputError::Parquet {
                path: path.clone(),
                source: e.into(),
            })],
        };
        records
    }))
}

/// What a rewrite of a shard changes: documents taken out, and the dedup columns of
/// documents that stay.
#[derive(Clone, Debug, Default)]
pub struct ShardEdit {
    pub drop: std::collections::HashSet<String>,
    pub dedup: std::collections::HashMap<String, assent_schemas::Dedup>,
}

/// Rewrites the shard at `OUT/shard` (a path as the manifest lists it, `shards/part-RANK-SEQ.parquet`)
/// as `edit` says, atomically, under the same name. A shard the edit does not change is left
/// as it is, so a pass that is run again changes nothing twice. Returns the shard as it now
/// is, and how many documents it lost.
pub fn rewrite_shard(
    out_dir: &Path,
    shard: &str,
    edit: &ShardEdit,
    pipeline_version: &str,
) -> Result<(OutputFile, u64), OutputError> {
    use arrow::array::{Array, BooleanArray, StringArray};
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
    let path = out_dir.join(shard);
    let io = |source| OutputError::Io {
        path: path.clone(),
        source,
    };
    let pq = |source| OutputError::Parquet {
        path: path.clone(),
        source,
    };
    let (rank, seq) = part_numbers(shard).ok_or_else(|| OutputError::Schema {
        path: path.clone(),
        message: "not named part-RANK-SEQ.parquet".into(),
    })?;
    let read = || -> Result<_, OutputError> {
        let file = std::fs::File::open(&path).map_err(io)?;
        ParquetRecordBatchReaderBuilder::try_new(file)
            .and_then(|b| b.build())
            .map_err(pq)
    };
    let mut batches = Vec::new();
    let (mut rows, mut lost, mut changed) = (0u64, 0u64, false);
    for batch in read()? {
        let batch = batch.map_err(|e| pq(e.into()))?;
        let ids = batch
            .column_by_name("doc_id")
            .and_then(|c| c.as_any().downcast_ref::<StringArray>())
            .ok_or_else(|| OutputError::Schema {
                path: path.clone(),
                message: "no doc_id column".into(),
            })?;
        let keep: BooleanArray = (0..ids.len())
            .map(|i| Some(ids.is_null(i) || !edit.drop.contains(ids.value(i))))
            .collect();
        let annotated =
            (0..ids.len()).any(|i| !ids.is_null(i) && edit.dedup.contains_key(ids.value(i)));
        let mut kept =
            arrow::compute::filter_record_batch(&batch, &keep).map_err(|e| pq(e.into()))?;
        if annotated {
            // Through the records: the dedup struct is rebuilt for the documents named.
            let mut docs =
                assent_schemas::documents_from_batch(&kept).map_err(|e| columns_error(&path, e))?;
            for d in &mut docs {
                if let Some(dedup) = edit.dedup.get(&d.doc_id) {
                    changed |= d.dedup != *dedup;
                    d.dedup = dedup.clone();
                }
            }
            kept =
                assent_schemas::documents_to_batch(&docs).map_err(|e| columns_error(&path, e))?;
        }
        lost += (batch.num_rows() - kept.num_rows()) as u64;
        rows += kept.num_rows() as u64;
        batches.push(kept);
    }
    if lost == 0 && !changed {
        let bytes = std::fs::metadata(&path).map_err(io)?.len();
        let sha256 = assent_schemas::digest::sha256_file(&path).map_err(io)?;
        let file = OutputFile {
            path: shard.to_string(),
            rows,
            bytes,
            sha256,
        };
        return Ok((file, 0));
    }
    let meta = vec![(
        "assent.pipeline_version".to_string(),
        pipeline_version.to_string(),
    )];
    let mut w =
        RollingParquetWriter::rewriting(out_dir, "shards", (rank, seq), document_schema(), meta)?;
    for b in &batches {
        w.write(b, 0)?;
    }
    if rows == 0 {
        // Every document went: the shard goes too.
        std::fs::remove_file(&path).map_err(io)?;
        return Ok((
            OutputFile {
                path: shard.to_string(),
                rows: 0,
                bytes: 0,
                sha256: String::new(),
            },
            lost,
        ));
    }
    let mut files = w.finish()?;
    Ok((files.remove(0), lost))
}

/// RANK and SEQ of `.../part-RANK-SEQ.parquet`.
pub fn part_numbers(path: &str) -> Option<(u32, u32)> {
    let name = path.rsplit('/').next()?;
    let stem = name.strip_prefix("part-")?.strip_suffix(".parquet")?;
    let (rank, seq) = stem.split_once('-')?;
    Some((rank.parse().ok()?, seq.parse().ok()?))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use assent_schemas::{documents_from_batch, text_hash, Consent, Dedup, Source, SourceKind};
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
    use parquet::file::reader::FileReader;

    /// A document `i` with `text_len` bytes of filler text (other modules' tests use it too).
    pub(crate) fn doc(i: usize, text_len: usize) -> Document {
        let text = format!("{i} {}", "x".repeat(text_len));
        Document {
            doc_id: format!("{i:032x}"),
            url: format!("http://h.example/{i}"),
            host: "h.example".into(),
            source: Source {
                kind: SourceKind::Crawl,
                file: None,
                record_id: None,
                offset: None,
            },
            fetched_at: None,
            http_status: Some(200),
            content_type: None,
            text_hash: text_hash(&text),
            text,
            lang: None,
            lang_score: None,
            script: None,
            licence: None,
            consent: Consent::default(),
            quality: Default::default(),
            dedup: Dedup::default(),
            pipeline_version: "test".into(),
        }
    }

    fn read_all(path: &Path) -> Vec<Document> {
        let file = std::fs::File::open(path).unwrap();
        let reader = ParquetRecordBatchReaderBuilder::try_new(file)
            .unwrap()
            .build()
            .unwrap();
        reader
            .flat_map(|b| documents_from_batch(&b.unwrap()).unwrap())
            .collect()
    }

    #[test]
    fn shards_roll_at_the_text_size_and_read_back_whole() {
        let dir = tempfile::tempdir().unwrap();
        let mut w = ShardWriter::new(dir.path(), 3, 10_000, "test").unwrap();
        let mut names = Vec::new();
        let mut all = Vec::new();
        for b in 0..10 {
            let docs: Vec<_> = (0..4).map(|i| doc(b * 4 + i, 1000)).collect();
            names.push(w.write(&docs).unwrap());
            all.extend(docs);
        }
        let files = w.finish().unwrap();
        // 4 kB of text a batch, rolling at 10 kB: a shard takes three batches.
        assert_eq!(files.len(), 4);
        assert_eq!(names[0], "shards/part-00003-00000.parquet");
        assert_eq!(names[3], "shards/part-00003-00001.parquet");
        assert_eq!(files.iter().map(|f| f.rows).sum::<u64>(), 40);
        let mut back = Vec::new();
        for f in &files {
            let path = dir.path().join(&f.path);
            assert_eq!(crate::sha256_file(&path).unwrap(), f.sha256);
            assert_eq!(std::fs::metadata(&path).unwrap().len(), f.bytes);
            let meta = parquet::file::reader::SerializedFileReader::new(
                std::fs::File::open(&path).unwrap(),
            )
            .unwrap();
            let kv = meta
                .metadata()
                .file_metadata()
                .key_value_metadata()
                .unwrap()
                .clone();
            assert!(kv.iter().any(|k| k.key == "assent.schema_version"
                && k.value.as_deref() == Some(assent_schemas::SCHEMA_VERSION)));
            back.extend(read_all(&path));
        }
        assert_eq!(back, all);
        // No temporary file remains.
        let leftovers: Vec<_> = std::fs::read_dir(dir.path().join("shards"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
    }

    #[test]
    fn a_shard_is_rewritten_without_dropped_documents_once() {
        let dir = tempfile::tempdir().unwrap();
        let mut w = ShardWriter::new(dir.path(), 2, u64::MAX, "test")
            .unwrap()
            .first_seq(4);
        let docs: Vec<_> = (0..5).map(|i| doc(i, 10)).collect();
        assert_eq!(w.write(&docs).unwrap(), "shards/part-00002-00004.parquet");
        let before = w.finish().unwrap().remove(0);
        let drop = ShardEdit {
            drop: [
                docs[1].doc_id.clone(),
                docs[3].doc_id.clone(),
                "elsewhere".into(),
            ]
            .into_iter()
            .collect(),
            ..Default::default()
        };
        let (after, lost) = rewrite_shard(dir.path(), &before.path, &drop, "test").unwrap();
        assert_eq!((after.rows, lost), (3, 2));
        assert_ne!(after.sha256, before.sha256);
        let back = read_all(&dir.path().join(&after.path));
        assert_eq!(
            back,
            vec![docs[0].clone(), docs[2].clone(), docs[4].clone()]
        );
        // Again: nothing more to drop, the file is left as it is.
        let (again, lost) = rewrite_shard(dir.path(), &after.path, &drop, "test").unwrap();
        assert_eq!((again, lost), (after.clone(), 0));
        // A document's dedup columns set: rewritten with them, the others as they were.
        let cluster = assent_schemas::Dedup {
            cluster: Some(docs[2].doc_id.clone()),
            cluster_size: Some(3),
            duplicate_of: None,
        };
        let annotate = ShardEdit {
            dedup: [(docs[2].doc_id.clone(), cluster.clone())]
                .into_iter()
                .collect(),
            ..Default::default()
        };
        let (annotated, lost) = rewrite_shard(dir.path(), &after.path, &annotate, "test").unwrap();
        assert_eq!((annotated.rows, lost), (3, 0));
        assert_ne!(annotated.sha256, after.sha256);
        let back = read_all(&dir.path().join(&annotated.path));
        assert_eq!(back[1].dedup, cluster);
        assert_eq!(
            (back[0].clone(), back[2].clone()),
            (docs[0].clone(), docs[4].clone())
        );
        // The same again changes nothing.
        let (again, _) = rewrite_shard(dir.path(), &after.path, &annotate, "test").unwrap();
        assert_eq!(again, annotated);
        // Every document dropped: the shard goes.
        let all = ShardEdit {
            drop: docs.iter().map(|d| d.doc_id.clone()).collect(),
            ..Default::default()
        };
        let (gone, lost) = rewrite_shard(dir.path(), &after.path, &all, "test").unwrap();
        assert_eq!((gone.rows, lost), (0, 3));
        assert!(!dir.path().join(&after.path).exists());
        assert_eq!(
            part_numbers("shards/part-00002-00004.parquet"),
            Some((2, 4))
        );
        assert_eq!(part_numbers("shards/other.parquet"), None);
    }

    #[test]
    fn an_unfinished_shard_is_never_visible_and_is_cleared_next_time() {
        let dir = tempfile::tempdir().unwrap();
        let mut w = ShardWriter::new(dir.path(), 0, u64::MAX, "test").unwrap();
        w.write(&[doc(1, 10)]).unwrap();
        // Simulate a crash: the writer is leaked, never finished.
        std::mem::forget(w);
        let names: Vec<_> = std::fs::read_dir(dir.path().join("shards"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, vec![".part-00000-00000.parquet.tmp".to_string()]);
        let w = ShardWriter::new(dir.path(), 0, u64::MAX, "test").unwrap();
        assert!(w.finish().unwrap().is_empty());
        assert_eq!(
            std::fs::read_dir(dir.path().join("shards"))
                .unwrap()
                .count(),
            0
        );
    }

    #[test]
    fn ledger_writer_writes_rows() {
        let dir = tempfile::tempdir().unwrap();
        let mut w = LedgerWriter::new(dir.path(), 0, "test").unwrap();
        let d = doc(5, 3);
        w.write(&[LedgerRow::kept(&d, "shards/part-00000-00000.parquet")])
            .unwrap();
        let files = w.finish().unwrap();
        assert_eq!(files.len(), 1);
        assert_eq!(files[0].rows, 1);
        assert_eq!(files[0].path, "ledger/part-00000-00000.parquet");
    }
}
