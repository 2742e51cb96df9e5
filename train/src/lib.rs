//! Assent training: a byte-level tokenizer, a streaming Parquet → token loader, a small GPT
//! written with Burn, and a trainer that records exactly which corpus and shards a model saw.
//!
//! Entry points: [`train`] runs a training job into a run directory; [`load`] reads its
//! checkpoint back. The run directory layout is described in [`trainer`].

pub mod data;
pub mod device;
pub mod error;
mod fsutil;
pub mod model;
pub mod tokenizer;
pub mod trainer;

pub use data::{CorpusInfo, LoaderConfig, ShardEntry, ShardRead, TokenLoader};
pub use device::DeviceChoice;
pub use error::TrainError;
pub use fsutil::{sha256_bytes, sha256_file};
pub use model::{batch_tensors, Gpt, GptConfig};
pub use tokenizer::{ByteTokenizer, TokenizerInfo, EOS_ID, VOCAB_SIZE};
pub use trainer::{
    load, save_checkpoint, train, CorpusRef, StepReport, TrainConfig, TrainReport, TrainingManifest,
};
