//! Streaming token loader: Parquet shards → byte tokens → fixed-length training windows.
//!
//! A corpus can be far larger than memory, so the loader holds at most one open shard, one
//! record batch of its `text` column, the tokens not yet cut into windows, and a small shuffle
//! buffer of windows. Only the `text` column is decoded (a projection mask), so the provenance
//! columns, which can outweigh the text, cost no I/O.
//!
//! Order is deterministic for a seed: shards in manifest order, documents in file order, and a
//! seeded shuffle buffer that mixes neighbouring windows (enough to break up long documents; a
//! global shuffle belongs to shard writing, not to training).
//!
//! What was consumed is recorded per shard (path, sha256 of the file, rows and tokens read), so
//! the training manifest can say exactly which data a model saw.

use crate::error::TrainError;
use crate::fsutil::{sha256_bytes, sha256_file};
use crate::tokenizer::ByteTokenizer;
use arrow::array::Array;
use parquet::arrow::arrow_reader::{ParquetRecordBatchReader, ParquetRecordBatchReaderBuilder};
use parquet::arrow::ProjectionMask;
use serde::{Deserialize, Serialize};
use std::fs::File;
use std::path::{Path, PathBuf};

/// Name of the corpus manifest inside a data directory.
pub const MANIFEST_FILE: &str = "manifest.json";

/// One shard the corpus lists.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShardEntry {
    /// The path as the manifest gives it (relative to the data directory); this is the name
    /// recorded in the training manifest, so that it matches the corpus manifest's.
    pub path: String,
    /// Where the file is on this machine.
    pub full_path: PathBuf,
    /// The sha256 the corpus manifest records for the shard, when it records one; checked
    /// against the file before a row of it is used.
    pub expected_sha256: Option<String>,
}

/// The corpus a data directory holds: its shards and the manifest that vouches for them.
#[derive(Clone, Debug)]
pub struct CorpusInfo {
    pub data_dir: PathBuf,
    /// `DATA/manifest.json`, if present.
    pub manifest_path: Option<PathBuf>,
    /// sha256 of the manifest's bytes: names the exact corpus version trained on.
    pub manifest_sha256: Option<String>,
    pub shards: Vec<ShardEntry>,
}

impl CorpusInfo {
    /// Finds the shards of `data_dir`: those its corpus manifest (`manifest.json`, read as an
    /// [`assent_manifests::CorpusManifest`]) lists, with their sha256, or, in a directory with
    /// no manifest at all, `shards/*.parquet` in name order. The ranks of a job that was not
    /// merged yet (`manifest-RANK.json` and no `manifest.json`) are refused: their shards
    /// are not final.
    pub fn discover(data_dir: &Path) -> Result<Self, TrainError> {
        let manifest = data_dir.join(MANIFEST_FILE);
        let (manifest_path, manifest_sha256, shards) = match std::fs::read(&manifest) {
            Ok(bytes) => {
                let shards = parse_manifest(&manifest, data_dir, &bytes)?;
                (Some(manifest), Some(sha256_bytes(&bytes)), shards)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let rank0 = data_dir.join("manifest-00000.json");
                if rank0.exists() {
                    return Err(TrainError::BadManifest {
                        path: rank0,
                        message: format!(
                            "{} holds the ranks of a job but no manifest.json: run `assent merge {}` first",
                            data_dir.display(),
                            data_dir.display()
                        ),
                    });
                }
                (None, None, list_shard_dir(data_dir)?)
            }
            Err(e) => return Err(TrainError::io(manifest, e)),
        };
        if shards.is_empty() {
            return Err(TrainError::NoShards {
                data_dir: data_dir.to_path_buf(),
            });
        }
        Ok(CorpusInfo {
            data_dir: data_dir.to_path_buf(),
            manifest_path,
            manifest_sha256,
            shards,
        })
    }
}

fn parse_manifest(
    manifest: &Path,
    data_dir: &Path,
    bytes: &[u8],
) -> Result<Vec<ShardEntry>, TrainError> {
    let corpus: assent_manifests::CorpusManifest =
        serde_json::from_slice(bytes).map_err(|e| TrainError::BadManifest {
            path: manifest.to_path_buf(),
            message: e.to_string(),
        })?;
    Ok(corpus
        .shards
        .into_iter()
        .map(|f| ShardEntry {
            full_path: data_dir.join(&f.path),
            expected_sha256: Some(f.sha256.to_ascii_lowercase()),
            path: f.path,
        })
        .collect())
}

fn list_shard_dir(data_dir: &Path) -> Result<Vec<ShardEntry>, TrainError> {
    let dir = data_dir.join("shards");
    let entries = match std::fs::read_dir(&dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(TrainError::io(dir, e)),
    };
    let mut names = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| TrainError::io(&dir, e))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.ends_with(".parquet") && entry.path().is_file() {
            names.push(name);
        }
    }
    names.sort();
    Ok(names
        .into_iter()
        .map(|name| ShardEntry {
            full_path: dir.join(&name),
            path: format!("shards/{name}"),
            expected_sha256: None,
        })
        .collect())
}

/// What training consumed of one shard. Counts add up over epochs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShardRead {
    pub path: String,
    pub sha256: String,
    pub rows_read: u64,
    /// Tokens produced from the shard's documents, EOS included.
    pub tokens_read: u64,
}

/// How the loader cuts and mixes windows.
#[derive(Clone, Debug)]
pub struct LoaderConfig {
    /// Tokens the model sees per sequence; windows hold `context + 1` tokens (inputs and
    /// next-token targets).
    pub context: usize,
    /// Windows held for shuffling; 1 disables shuffling.
    pub shuffle_buffer: usize,
    pub seed: u64,
    /// Documents decoded per Parquet record batch.
    pub batch_rows: usize,
}

impl LoaderConfig {
    pub fn new(context: usize, seed: u64) -> Self {
        LoaderConfig {
            context,
            shuffle_buffer: 256,
            seed,
            batch_rows: 256,
        }
    }
}

/// SplitMix64: a tiny, well-mixed PRNG, so determinism does not depend on a `rand` version.
#[derive(Clone, Debug)]
pub(crate) struct SplitMix64(u64);

impl SplitMix64 {
    pub(crate) fn new(seed: u64) -> Self {
        SplitMix64(seed)
    }
    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in `0..n` (n > 0); the modulo bias is irrelevant at buffer sizes.
    pub(crate) fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
}

/// Streams training windows from a corpus, epoch after epoch.
pub struct TokenLoader {
    corpus: CorpusInfo,
    cfg: LoaderConfig,
    tokenizer: ByteTokenizer,
    /// Next shard to open, when `reader` is `None`.
    next_shard: usize,
    reader: Option<(usize, ParquetRecordBatchReader)>,
    /// Tokens read but not yet cut; `cursor` is where the next window starts.
    pending: Vec<u32>,
    cursor: usize,
    buffer: Vec<Vec<u32>>,
    rng: SplitMix64,
    epochs: u64,
    rows_this_epoch: u64,
    /// Per shard, `Some` once opened.
    reads: Vec<Option<ShardRead>>,
}

impl TokenLoader {
    /// A loader over the corpus in `data_dir`.
    pub fn open(data_dir: &Path, cfg: LoaderConfig) -> Result<Self, TrainError> {
        Self::new(CorpusInfo::discover(data_dir)?, cfg)
    }

    pub fn new(corpus: CorpusInfo, cfg: LoaderConfig) -> Result<Self, TrainError> {
        if cfg.context == 0 {
            return Err(TrainError::Config("context must be at least 1".into()));
        }
        let reads = vec![None; corpus.shards.len()];
        Ok(TokenLoader {
            rng: SplitMix64::new(cfg.seed),
            cfg: LoaderConfig {
                shuffle_buffer: cfg.shuffle_buffer.max(1),
                batch_rows: cfg.batch_rows.max(1),
                ..cfg
            },
            corpus,
            tokenizer: ByteTokenizer::new(),
            next_shard: 0,
            reader: None,
            pending: Vec::new(),
            cursor: 0,
            buffer: Vec::new(),
            epochs: 0,
            rows_this_epoch: 0,
            reads,
        })
    }

    pub fn corpus(&self) -> &CorpusInfo {
        &self.corpus
    }

    /// Passes over the corpus begun so far: 1 until the data runs out the first time.
    pub fn epochs(&self) -> u64 {
        self.epochs
    }

    /// What has been read of each shard opened so far, in manifest order.
    pub fn shards_read(&self) -> Vec<ShardRead> {
        self.reads.iter().flatten().cloned().collect()
    }

    /// The next window of `context + 1` tokens.
    pub fn next_window(&mut self) -> Result<Vec<u32>, TrainError> {
        while self.buffer.len() < self.cfg.shuffle_buffer {
            if let Some(window) = self.cut_window() {
                self.buffer.push(window);
            } else {
                self.read_more()?;
            }
        }
        let i = self.rng.below(self.buffer.len());
        Ok(self.buffer.swap_remove(i))
    }

    /// `n` windows.
    pub fn next_batch(&mut self, n: usize) -> Result<Vec<Vec<u32>>, TrainError> {
        (0..n).map(|_| self.next_window()).collect()
    }

    /// Cuts one window from the pending tokens. Windows overlap by one token (stride `context`)
    /// so that every token is a prediction target exactly once per epoch.
    fn cut_window(&mut self) -> Option<Vec<u32>> {
        let len = self.cfg.context + 1;
        if self.pending.len() - self.cursor < len {
            // Keep memory flat: drop what has been cut once it dominates the vector.
            if self.cursor > 0 {
                self.pending.drain(..self.cursor);
                self.cursor = 0;
            }
            return None;
        }
        let window = self.pending[self.cursor..self.cursor + len].to_vec();
        self.cursor += self.cfg.context;
        Some(window)
    }

    /// Reads one more record batch into `pending`, opening the next shard, or starting the next
    /// epoch, as needed.
    fn read_more(&mut self) -> Result<(), TrainError> {
        if self.reader.is_none() {
            if self.next_shard == self.corpus.shards.len() || self.epochs == 0 {
                if self.epochs > 0 && self.rows_this_epoch == 0 {
                    return Err(TrainError::EmptyCorpus {
                        data_dir: self.corpus.data_dir.clone(),
                    });
                }
                self.epochs += 1;
                self.next_shard = 0;
                self.rows_this_epoch = 0;
            }
            let i = self.next_shard;
            self.next_shard += 1;
            self.reader = Some((i, self.open_shard(i)?));
            return Ok(());
        }
        let (i, reader) = self.reader.as_mut().expect("checked above");
        let i = *i;
        let path = &self.corpus.shards[i].full_path;
        match reader.next() {
            None => {
                self.reader = None;
                Ok(())
            }
            Some(Err(e)) => Err(TrainError::UnreadableShard {
                path: path.clone(),
                message: e.to_string(),
            }),
            Some(Ok(batch)) => {
                let column = batch.column(0);
                let before = self.pending.len();
                let rows = batch.num_rows() as u64;
                let eos = self.tokenizer.eos_id();
                let mut push = |text: Option<&str>| {
                    if let Some(text) = text {
                        self.tokenizer.encode_into(text, &mut self.pending);
                        self.pending.push(eos);
                    }
                };
                match assent_schemas::strings_of(column) {
                    Ok(texts) => texts.iter().for_each(&mut push),
                    Err(_) => {
                        return Err(TrainError::NoTextColumn {
                            path: path.clone(),
                            message: format!(
                                "`text` is {}, not a string column",
                                column.data_type()
                            ),
                        })
                    }
                }
                let tokens = (self.pending.len() - before) as u64;
                let read = self.reads[i].as_mut().expect("opened shards have a record");
                read.rows_read += rows;
                read.tokens_read += tokens;
                self.rows_this_epoch += rows;
                Ok(())
            }
        }
    }

    fn open_shard(&mut self, i: usize) -> Result<ParquetRecordBatchReader, TrainError> {
        let entry = &self.corpus.shards[i];
        let path = &entry.full_path;
        if self.reads[i].is_none() {
            let sha256 = sha256_file(path)?;
            if let Some(expected) = &entry.expected_sha256 {
                if *expected != sha256 {
                    return Err(TrainError::ShardHashMismatch {
                        path: path.clone(),
                        expected: expected.clone(),
                        actual: sha256,
                    });
                }
            }
            self.reads[i] = Some(ShardRead {
                path: entry.path.clone(),
                sha256,
                rows_read: 0,
                tokens_read: 0,
            });
        }
        let unreadable = |message: String| TrainError::UnreadableShard {
            path: path.clone(),
            message,
        };
        let file = File::open(path).map_err(|e| TrainError::io(path, e))?;
        let builder = ParquetRecordBatchReaderBuilder::try_new(file)
            .map_err(|e| unreadable(e.to_string()))?;
        let schema = builder.parquet_schema();
        let text_index = schema
            .root_schema()
            .get_fields()
            .iter()
            .position(|f| f.name() == "text")
            .ok_or_else(|| TrainError::NoTextColumn {
                path: path.clone(),
                message: "no column named `text`".to_string(),
            })?;
        let mask = ProjectionMask::roots(schema, [text_index]);
        builder
            .with_projection(mask)
            .with_batch_size(self.cfg.batch_rows)
            .build()
            .map_err(|e| unreadable(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use assent_schemas::{Consent, Dedup, Document, Source, SourceKind};
    use parquet::arrow::ArrowWriter;

    fn doc(i: usize, text: &str) -> Document {
        let url = format!("https://example.org/doc/{i}");
        Document {
            doc_id: assent_schemas::doc_id(&url, &i.to_string()),
            host: "example.org".into(),
            url,
            source: Source {
                kind: SourceKind::Jsonl,
                file: Some("input.jsonl".into()),
                record_id: Some(i.to_string()),
                offset: Some(i as u64),
            },
            fetched_at: None,
            http_status: Some(200),
            content_type: Some("text/plain".into()),
            text: text.to_string(),
            text_hash: assent_schemas::text_hash(text),
            lang: Some("en".into()),
            lang_score: Some(0.9),
            script: None,
            licence: None,
            consent: Consent::default(),
            quality: Default::default(),
            dedup: Dedup::default(),
            pipeline_version: "test".into(),
        }
    }

    fn write_shard(path: &Path, texts: &[&str]) {
        let docs: Vec<Document> = texts.iter().enumerate().map(|(i, t)| doc(i, t)).collect();
        let batch = assent_schemas::documents_to_batch(&docs).unwrap();
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let mut w =
            ArrowWriter::try_new(File::create(path).unwrap(), batch.schema(), None).unwrap();
        w.write(&batch).unwrap();
        w.close().unwrap();
    }

    fn corpus(dir: &Path) {
        write_shard(
            &dir.join("shards/part-0-0.parquet"),
            &[
                "First document, long enough to cut a few windows from it.",
                "Second one.",
            ],
        );
        write_shard(
            &dir.join("shards/part-0-1.parquet"),
            &["Third: naïve café 🦀."],
        );
    }

    fn windows(dir: &Path, seed: u64, n: usize) -> (Vec<Vec<u32>>, TokenLoader) {
        let mut cfg = LoaderConfig::new(8, seed);
        cfg.shuffle_buffer = 4;
        let mut loader = TokenLoader::open(dir, cfg).unwrap();
        let w = loader.next_batch(n).unwrap();
        (w, loader)
    }

    #[test]
    fn windows_have_context_plus_one_tokens_and_are_deterministic() {
        let dir = tempfile::tempdir().unwrap();
        corpus(dir.path());
        let (a, _) = windows(dir.path(), 7, 20);
        let (b, _) = windows(dir.path(), 7, 20);
        let (c, _) = windows(dir.path(), 8, 20);
        assert!(a.iter().all(|w| w.len() == 9));
        assert!(a.iter().flatten().all(|&t| t <= EOS_ID_FOR_TESTS));
        assert_eq!(a, b, "same seed, same windows");
        assert_ne!(a, c, "another seed shuffles differently");
    }

    const EOS_ID_FOR_TESTS: u32 = crate::tokenizer::EOS_ID;

    #[test]
    fn unshuffled_windows_follow_the_text_and_overlap_by_one() {
        let dir = tempfile::tempdir().unwrap();
        corpus(dir.path());
        let mut cfg = LoaderConfig::new(8, 0);
        cfg.shuffle_buffer = 1;
        let mut loader = TokenLoader::open(dir.path(), cfg).unwrap();
        let w = loader.next_batch(2).unwrap();
        assert_eq!(w[0], ByteTokenizer::new().encode("First doc"));
        assert_eq!(w[1][0], *w[0].last().unwrap());
    }

    #[test]
    fn a_tiny_corpus_starts_another_epoch_and_records_what_it_read() {
        let dir = tempfile::tempdir().unwrap();
        corpus(dir.path());
        let (_, loader) = windows(dir.path(), 1, 3);
        assert_eq!(loader.epochs(), 1);
        // The corpus holds about 100 tokens; 40 windows of stride 8 need three passes.
        let (_, loader) = windows(dir.path(), 1, 40);
        assert!(loader.epochs() >= 3, "epochs {}", loader.epochs());
        let reads = loader.shards_read();
        assert_eq!(reads.len(), 2);
        assert_eq!(reads[0].path, "shards/part-0-0.parquet");
        assert_eq!(
            reads[0].sha256,
            sha256_file(&dir.path().join("shards/part-0-0.parquet")).unwrap()
        );
        let tokens0 = "First document, long enough to cut a few windows from it.".len()
            + "Second one.".len()
            + 2;
        let passes = reads[0].rows_read / 2;
        assert!(passes >= 3);
        assert_eq!(reads[0].tokens_read, passes * tokens0 as u64);
        assert_eq!(
            reads[1].tokens_read % ("Third: naïve café 🦀.".len() as u64 + 1),
            0
        );
    }

    /// A corpus manifest as `assent curate` writes it, listing `shards` (path, sha256).
    fn corpus_manifest(shards: &[(&str, &str)]) -> Vec<u8> {
        let mut m = assent_manifests::CorpusManifest::new("test", serde_json::json!({}), "t");
        m.shards = shards
            .iter()
            .map(|(path, sha)| assent_manifests::OutputFile {
                path: path.to_string(),
                rows: 0,
                bytes: 0,
                sha256: sha.to_string(),
            })
            .collect();
        serde_json::to_vec(&m).unwrap()
    }

    #[test]
    fn a_job_that_was_not_merged_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        corpus(dir.path());
        std::fs::write(dir.path().join("manifest-00000.json"), corpus_manifest(&[])).unwrap();
        let err = CorpusInfo::discover(dir.path()).unwrap_err();
        assert!(err.to_string().contains("assent merge"), "{err}");
        // A manifest that is not a corpus manifest is an error, not a guess.
        std::fs::write(
            dir.path().join(MANIFEST_FILE),
            br#"{"shards": ["x.parquet"]}"#,
        )
        .unwrap();
        assert!(matches!(
            CorpusInfo::discover(dir.path()).unwrap_err(),
            TrainError::BadManifest { .. }
        ));
    }

    #[test]
    fn manifest_lists_shards_and_checks_their_hashes() {
        let dir = tempfile::tempdir().unwrap();
        corpus(dir.path());
        let sha = sha256_file(&dir.path().join("shards/part-0-1.parquet")).unwrap();
        let manifest = corpus_manifest(&[("shards/part-0-1.parquet", &sha)]);
        std::fs::write(dir.path().join(MANIFEST_FILE), &manifest).unwrap();
        let info = CorpusInfo::discover(dir.path()).unwrap();
        assert_eq!(
            info.shards.len(),
            1,
            "the manifest, not the directory, decides"
        );
        assert_eq!(
            info.manifest_sha256.as_deref(),
            Some(sha256_bytes(&manifest).as_str())
        );
        let (_, loader) = windows(dir.path(), 1, 5);
        assert_eq!(loader.shards_read().len(), 1);

        let wrong = corpus_manifest(&[("shards/part-0-1.parquet", "00")]);
        std::fs::write(dir.path().join(MANIFEST_FILE), wrong).unwrap();
        let mut loader = TokenLoader::open(dir.path(), LoaderConfig::new(8, 0)).unwrap();
        let err = loader.next_window().unwrap_err();
        assert!(matches!(err, TrainError::ShardHashMismatch { .. }), "{err}");
        assert!(err.to_string().contains("part-0-1.parquet"));
    }

    #[test]
    fn errors_name_the_data_dir_or_shard() {
        let dir = tempfile::tempdir().unwrap();
        let err = TokenLoader::open(dir.path(), LoaderConfig::new(8, 0))
            .err()
            .unwrap();
        assert!(matches!(err, TrainError::NoShards { .. }));
        assert!(err.to_string().contains(&dir.path().display().to_string()));

        // A shard that is not Parquet.
        std::fs::create_dir_all(dir.path().join("shards")).unwrap();
        std::fs::write(dir.path().join("shards/bad.parquet"), b"not parquet").unwrap();
        let mut loader = TokenLoader::open(dir.path(), LoaderConfig::new(8, 0)).unwrap();
        let err = loader.next_window().unwrap_err();
        assert!(matches!(err, TrainError::UnreadableShard { .. }), "{err}");
        assert!(err.to_string().contains("bad.parquet"));

        // A Parquet file without a text column.
        std::fs::remove_file(dir.path().join("shards/bad.parquet")).unwrap();
        let batch = arrow::array::RecordBatch::try_from_iter([(
            "body",
            std::sync::Arc::new(arrow::array::StringArray::from(vec!["x"]))
                as arrow::array::ArrayRef,
        )])
        .unwrap();
        let path = dir.path().join("shards/notext.parquet");
        let mut w =
            ArrowWriter::try_new(File::create(&path).unwrap(), batch.schema(), None).unwrap();
        w.write(&batch).unwrap();
        w.close().unwrap();
        let mut loader = TokenLoader::open(dir.path(), LoaderConfig::new(8, 0)).unwrap();
        let err = loader.next_window().unwrap_err();
        assert!(matches!(err, TrainError::NoTextColumn { .. }), "{err}");
        assert!(err.to_string().contains("notext.parquet"));

        // A manifest that is not JSON.
        std::fs::write(dir.path().join(MANIFEST_FILE), b"{").unwrap();
        let err = CorpusInfo::discover(dir.path()).unwrap_err();
        assert!(matches!(err, TrainError::BadManifest { .. }), "{err}");
    }

    #[test]
    fn a_corpus_of_empty_shards_is_an_error_not_a_hang() {
        let dir = tempfile::tempdir().unwrap();
        write_shard(&dir.path().join("shards/empty.parquet"), &[]);
        let mut loader = TokenLoader::open(dir.path(), LoaderConfig::new(8, 0)).unwrap();
        let err = loader.next_window().unwrap_err();
        assert!(matches!(err, TrainError::EmptyCorpus { .. }), "{err}");
    }
}
