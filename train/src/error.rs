//! The one error type of training. Each variant names the file it concerns, because the first
//! question after a failed run is always "which shard / which run directory?".

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    #[error(
        "no shards found in {data_dir}: expected manifest.json listing shards, or shards/*.parquet"
    )]
    NoShards { data_dir: PathBuf },
    #[error("corpus in {data_dir} holds no text: every shard is empty")]
    EmptyCorpus { data_dir: PathBuf },
    #[error("cannot parse corpus manifest {path}: {message}")]
    BadManifest { path: PathBuf, message: String },
    #[error("cannot read shard {path}: {message}")]
    UnreadableShard { path: PathBuf, message: String },
    #[error("shard {path} has no usable `text` column: {message}")]
    NoTextColumn { path: PathBuf, message: String },
    #[error("shard {path} has sha256 {actual}, but the corpus manifest says {expected}")]
    ShardHashMismatch {
        path: PathBuf,
        expected: String,
        actual: String,
    },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Checkpoint { path: PathBuf, message: String },
    #[error("training diverged at step {step} (loss {loss}); run directory {run_dir}")]
    Diverged {
        run_dir: PathBuf,
        step: usize,
        loss: f64,
    },
    #[error("invalid training configuration: {0}")]
    Config(String),
    #[error("CUDA device unavailable: {0}")]
    CudaUnavailable(String),
}

impl TrainError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        TrainError::Io {
            path: path.into(),
            source,
        }
    }
}
