//! The training loop, and the run directory it leaves behind.
//!
//! A run directory is meant to be self-describing: the checkpoint with its model shape, the
//! tokenizer, per-step metrics, and `training-manifest.json`, which ties the model to the exact
//! corpus manifest (by hash) and to every shard it read (by hash), so a later question "was this
//! text in that model?" can be answered from files alone.

use crate::data::{LoaderConfig, ShardRead, TokenLoader};
use crate::device::DeviceChoice;
use crate::error::TrainError;
use crate::fsutil::write_json_atomic;
use crate::model::{batch_tensors, Gpt, GptConfig};
use crate::tokenizer::{ByteTokenizer, TokenizerInfo};
use burn::grad_clipping::GradientClippingConfig;
use burn::module::{AutodiffModule, Module};
use burn::optim::{AdamWConfig, GradientsParams, Optimizer};
use burn::record::{FullPrecisionSettings, NamedMpkFileRecorder};
use burn::tensor::backend::{AutodiffBackend, Backend};
use serde::{Deserialize, Serialize};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Checkpoint directory inside a run directory.
pub const CHECKPOINT_DIR: &str = "checkpoint";
/// Model weights inside [`CHECKPOINT_DIR`].
pub const MODEL_FILE: &str = "model.mpk";
/// Model shape inside [`CHECKPOINT_DIR`], needed to read the weights back.
pub const MODEL_CONFIG_FILE: &str = "config.json";
pub const TOKENIZER_FILE: &str = "tokenizer.json";
pub const METRICS_FILE: &str = "metrics.jsonl";
pub const TRAINING_MANIFEST_FILE: &str = "training-manifest.json";

/// Everything a training run can be told. Every field has a default (see [`Default`]): the
/// defaults train a 0.47M-parameter model (200 steps of 16 x 64 tokens) in about 50 s on two
/// busy CPU cores with this crate optimised; an unoptimised (`opt-level = 0`) build of this crate
/// is about nine times slower, because Burn's generic kernels are instantiated here.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TrainConfig {
    /// Optimiser steps.
    pub steps: usize,
    /// Sequences per step.
    pub batch_size: usize,
    /// Tokens per sequence.
    pub context: usize,
    pub d_model: usize,
    pub n_layers: usize,
    pub n_heads: usize,
    pub dropout: f64,
    /// Peak learning rate, reached after `warmup_steps` and decayed by a cosine to a tenth of it
    /// at the last step.
    pub learning_rate: f64,
    pub warmup_steps: usize,
    /// AdamW decoupled weight decay (Burn applies it to every parameter).
    pub weight_decay: f64,
    /// Clip each parameter's gradient to this L2 norm (Burn clips per parameter tensor, not by
    /// the global norm); `None` disables clipping.
    pub grad_clip_norm: Option<f64>,
    /// Seeds weight initialisation, dropout and the loader's shuffle.
    pub seed: u64,
    /// Windows held by the loader's shuffle buffer.
    pub shuffle_buffer: usize,
    /// Write a metrics line (and call `progress`) every this many steps; the first and last
    /// steps are always logged.
    pub log_every: usize,
    pub device: DeviceChoice,
    /// Stop early, after the step that passes this many seconds of training.
    pub max_seconds: Option<f64>,
}

impl Default for TrainConfig {
    fn default() -> Self {
        TrainConfig {
            steps: 200,
            batch_size: 16,
            context: 64,
            d_model: 128,
            n_layers: 2,
            n_heads: 4,
            dropout: 0.0,
            learning_rate: 3e-3,
            warmup_steps: 30,
            weight_decay: 0.1,
            grad_clip_norm: Some(1.0),
            seed: 42,
            shuffle_buffer: 256,
            log_every: 10,
            device: DeviceChoice::Cpu,
            max_seconds: None,
        }
    }
}

impl TrainConfig {
    /// The model shape this configuration trains (byte-level vocabulary).
    pub fn model_config(&self) -> GptConfig {
        GptConfig {
            vocab: ByteTokenizer::new().vocab_size(),
            context: self.context,
            d_model: self.d_model,
            n_layers: self.n_layers,
            n_heads: self.n_heads,
            dropout: self.dropout,
        }
    }

    pub fn validate(&self) -> Result<(), TrainError> {
        let bad = |m: String| Err(TrainError::Config(m));
        if self.steps == 0 || self.batch_size == 0 || self.log_every == 0 {
            return bad("steps, batch_size and log_every must be at least 1".into());
        }
        if !(self.learning_rate.is_finite() && self.learning_rate > 0.0) {
            return bad(format!(
                "learning_rate {} must be positive",
                self.learning_rate
            ));
        }
        if !(self.weight_decay.is_finite() && self.weight_decay >= 0.0) {
            return bad(format!(
                "weight_decay {} must be non-negative",
                self.weight_decay
            ));
        }
        if let Some(c) = self.grad_clip_norm {
            if !(c.is_finite() && c > 0.0) {
                return bad(format!("grad_clip_norm {c} must be positive"));
            }
        }
        self.model_config().validate().map_err(TrainError::Config)
    }

    /// Learning rate at `step` (1-based): linear warm-up, then cosine decay to 10% of the peak.
    pub fn learning_rate_at(&self, step: usize) -> f64 {
        let peak = self.learning_rate;
        if step <= self.warmup_steps {
            return peak * step as f64 / self.warmup_steps.max(1) as f64;
        }
        let span = self.steps.saturating_sub(self.warmup_steps).max(1) as f64;
        let progress = ((step - self.warmup_steps) as f64 / span).min(1.0);
        let min = 0.1 * peak;
        min + 0.5 * (peak - min) * (1.0 + (std::f64::consts::PI * progress).cos())
    }
}

/// One logged step: a line of `metrics.jsonl`, and what `progress` receives.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StepReport {
    pub step: usize,
    /// Loss of this step's batch (nats per token).
    pub loss: f64,
    pub lr: f64,
    /// Target tokens trained on so far.
    pub tokens_seen: u64,
    pub elapsed_s: f64,
    /// Pass over the corpus the loader is in (1-based).
    pub epoch: u64,
}

/// What a finished run reports; the same figures as its training manifest.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainReport {
    pub run_dir: PathBuf,
    /// Steps actually run (fewer than configured when `max_seconds` stopped the run).
    pub steps: usize,
    pub tokens_seen: u64,
    pub epochs: u64,
    pub first_loss: f64,
    /// Mean loss of the last (up to) 10 steps.
    pub final_loss: f64,
    /// Seconds in the training loop (setup and checkpoint writing excluded).
    pub seconds: f64,
    pub tokens_per_second: f64,
    pub backend: String,
    pub parameters: usize,
    pub shards_read: Vec<ShardRead>,
}

/// The corpus a run trained on, as named by its manifest.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CorpusRef {
    pub manifest_path: Option<String>,
    pub manifest_sha256: Option<String>,
}

/// `RUN/training-manifest.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainingManifest {
    pub assent_version: String,
    pub created_at: String,
    pub model: GptConfig,
    pub train: TrainConfig,
    pub tokenizer: TokenizerInfo,
    pub corpus: CorpusRef,
    pub shards_read: Vec<ShardRead>,
    pub steps: usize,
    pub tokens_seen: u64,
    pub epochs: u64,
    pub first_loss: f64,
    pub final_loss: f64,
    pub seconds: f64,
    pub tokens_per_second: f64,
    pub backend: String,
    pub parameters: usize,
}

/// Trains a model on the shards of `data_dir`, writing the run into `run_dir` (created if
/// needed; files of an earlier run there are replaced). `progress` is called for every logged
/// step.
pub fn train(
    data_dir: &Path,
    run_dir: &Path,
    cfg: &TrainConfig,
    progress: &mut dyn FnMut(StepReport),
) -> Result<TrainReport, TrainError> {
    cfg.validate()?;
    match cfg.device {
        DeviceChoice::Cpu => {
            use burn::backend::{ndarray::NdArrayDevice, Autodiff, NdArray};
            run::<Autodiff<NdArray<f32>>>(
                &NdArrayDevice::Cpu,
                "ndarray-cpu",
                data_dir,
                run_dir,
                cfg,
                progress,
            )
        }
        #[cfg(feature = "cuda")]
        DeviceChoice::Cuda(index) => {
            use burn::backend::{cuda::CudaDevice, Autodiff, Cuda};
            crate::device::check_cuda(index).map_err(TrainError::CudaUnavailable)?;
            run::<Autodiff<Cuda>>(
                &CudaDevice { index },
                "cuda",
                data_dir,
                run_dir,
                cfg,
                progress,
            )
        }
        #[cfg(not(feature = "cuda"))]
        DeviceChoice::Cuda(_) => Err(TrainError::CudaUnavailable(
            "assent was built without the `cuda` feature".into(),
        )),
    }
}

fn run<B: AutodiffBackend>(
    device: &B::Device,
    backend: &str,
    data_dir: &Path,
    run_dir: &Path,
    cfg: &TrainConfig,
    progress: &mut dyn FnMut(StepReport),
) -> Result<TrainReport, TrainError> {
    let model_cfg = cfg.model_config();
    let mut loader = TokenLoader::open(
        data_dir,
        LoaderConfig {
            shuffle_buffer: cfg.shuffle_buffer,
            ..LoaderConfig::new(cfg.context, cfg.seed)
        },
    )?;
    let ckpt_dir = run_dir.join(CHECKPOINT_DIR);
    std::fs::create_dir_all(&ckpt_dir).map_err(|e| TrainError::io(&ckpt_dir, e))?;
    let tokenizer = ByteTokenizer::new().info();
    write_json_atomic(&run_dir.join(TOKENIZER_FILE), &tokenizer)?;

    B::seed(device, cfg.seed);
    let mut model: Gpt<B> = model_cfg.init(device);
    let parameters = model.num_params();
    let mut optim = AdamWConfig::new()
        .with_weight_decay(cfg.weight_decay as f32)
        .with_grad_clipping(
            cfg.grad_clip_norm
                .map(|c| GradientClippingConfig::Norm(c as f32)),
        )
        .init::<B, Gpt<B>>();

    // Metrics are appended line by line, not written atomically: a line per logged step is
    // what lets someone watch a long run, and a torn last line is easy to ignore.
    let metrics_path = run_dir.join(METRICS_FILE);
    let mut metrics =
        BufWriter::new(File::create(&metrics_path).map_err(|e| TrainError::io(&metrics_path, e))?);

    let start = Instant::now();
    let mut losses = Vec::with_capacity(cfg.steps);
    let mut tokens_seen = 0u64;
    for step in 1..=cfg.steps {
        let windows = loader.next_batch(cfg.batch_size)?;
        let (inputs, targets) = batch_tensors::<B>(&windows, device);
        let loss = model.loss(inputs, targets);
        let loss_value = loss
            .clone()
            .into_data()
            .iter::<f64>()
            .next()
            .unwrap_or(f64::NAN);
        if !loss_value.is_finite() {
            return Err(TrainError::Diverged {
                run_dir: run_dir.to_path_buf(),
                step,
                loss: loss_value,
            });
        }
        losses.push(loss_value);
        let grads = GradientsParams::from_grads(loss.backward(), &model);
        let lr = cfg.learning_rate_at(step);
        model = optim.step(lr, model, grads);
        tokens_seen += (cfg.batch_size * cfg.context) as u64;

        let elapsed_s = start.elapsed().as_secs_f64();
        let out_of_time = cfg.max_seconds.is_some_and(|max| elapsed_s >= max);
        let last = step == cfg.steps || out_of_time;
        if step == 1 || step % cfg.log_every == 0 || last {
            let report = StepReport {
                step,
                loss: loss_value,
                lr,
                tokens_seen,
                elapsed_s,
                epoch: loader.epochs(),
            };
            let line = serde_json::to_string(&report).expect("step reports serialise");
            writeln!(metrics, "{line}")
                .and_then(|_| metrics.flush())
                .map_err(|e| TrainError::io(&metrics_path, e))?;
            progress(report);
        }
        if out_of_time {
            break;
        }
    }
    let seconds = start.elapsed().as_secs_f64();
    drop(metrics);

    save_checkpoint(&model.valid(), &model_cfg, run_dir)?;

    let steps = losses.len();
    let tail = &losses[steps.saturating_sub(10)..];
    let final_loss = tail.iter().sum::<f64>() / tail.len() as f64;
    let corpus = loader.corpus();
    let report = TrainReport {
        run_dir: run_dir.to_path_buf(),
        steps,
        tokens_seen,
        epochs: loader.epochs(),
        first_loss: losses[0],
        final_loss,
        seconds,
        tokens_per_second: tokens_seen as f64 / seconds.max(1e-9),
        backend: backend.to_string(),
        parameters,
        shards_read: loader.shards_read(),
    };
    let manifest = TrainingManifest {
        assent_version: env!("CARGO_PKG_VERSION").to_string(),
        created_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        model: model_cfg,
        train: cfg.clone(),
        tokenizer,
        corpus: CorpusRef {
            manifest_path: corpus
                .manifest_path
                .as_ref()
                .map(|p| p.display().to_string()),
            manifest_sha256: corpus.manifest_sha256.clone(),
        },
        shards_read: report.shards_read.clone(),
        steps,
        tokens_seen,
        epochs: report.epochs,
        first_loss: report.first_loss,
        final_loss,
        seconds,
        tokens_per_second: report.tokens_per_second,
        backend: report.backend.clone(),
        parameters,
    };
    write_json_atomic(&run_dir.join(TRAINING_MANIFEST_FILE), &manifest)?;
    Ok(report)
}

/// Writes `model` and its shape into `run_dir/checkpoint/`, each file atomically.
pub fn save_checkpoint<B: Backend>(
    model: &Gpt<B>,
    config: &GptConfig,
    run_dir: &Path,
) -> Result<(), TrainError> {
    let dir = run_dir.join(CHECKPOINT_DIR);
    std::fs::create_dir_all(&dir).map_err(|e| TrainError::io(&dir, e))?;
    let target = dir.join(MODEL_FILE);
    // The recorder sets the extension itself, so the temporary name must end in `.mpk` too.
    let tmp = dir.join(format!(".model-partial-{}.mpk", std::process::id()));
    // Burn initialises parameters lazily, and a clone of an uninitialised parameter draws its
    // own values: touching every parameter first makes the clone save what `model` computes.
    let _ = model.num_params();
    model
        .clone()
        .save_file(tmp.clone(), &recorder())
        .map_err(|e| TrainError::Checkpoint {
            path: target.clone(),
            message: e.to_string(),
        })?;
    std::fs::rename(&tmp, &target).map_err(|e| TrainError::io(&target, e))?;
    write_json_atomic(&dir.join(MODEL_CONFIG_FILE), config)
}

/// Reads the model a run saved, on any backend (train on one, evaluate on another).
pub fn load<B: Backend>(
    run_dir: &Path,
    device: &B::Device,
) -> Result<(Gpt<B>, GptConfig), TrainError> {
    let dir = run_dir.join(CHECKPOINT_DIR);
    let config_path = dir.join(MODEL_CONFIG_FILE);
    let bytes = std::fs::read(&config_path).map_err(|e| TrainError::io(&config_path, e))?;
    let config: GptConfig = serde_json::from_slice(&bytes).map_err(|e| TrainError::Checkpoint {
        path: config_path.clone(),
        message: e.to_string(),
    })?;
    config
        .validate()
        .map_err(|message| TrainError::Checkpoint {
            path: config_path,
            message,
        })?;
    let path = dir.join(MODEL_FILE);
    let model = config
        .init::<B>(device)
        .load_file(path.clone(), &recorder(), device)
        .map_err(|e| TrainError::Checkpoint {
            path,
            message: e.to_string(),
        })?;
    Ok((model, config))
}

/// Full precision, so that a loaded model computes exactly what the trained one did (Burn's
/// `CompactRecorder` stores half precision).
fn recorder() -> NamedMpkFileRecorder<FullPrecisionSettings> {
    NamedMpkFileRecorder::<FullPrecisionSettings>::new()
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::backend::NdArray;

    #[test]
    fn schedule_warms_up_then_decays_to_a_tenth() {
        let cfg = TrainConfig {
            steps: 100,
            warmup_steps: 10,
            learning_rate: 1.0,
            ..TrainConfig::default()
        };
        assert!((cfg.learning_rate_at(1) - 0.1).abs() < 1e-12);
        assert!((cfg.learning_rate_at(10) - 1.0).abs() < 1e-12);
        assert!(cfg.learning_rate_at(55) < 1.0 && cfg.learning_rate_at(55) > 0.1);
        assert!((cfg.learning_rate_at(100) - 0.1).abs() < 1e-12);
        let lrs: Vec<f64> = (10..=100).map(|s| cfg.learning_rate_at(s)).collect();
        assert!(
            lrs.windows(2).all(|w| w[1] <= w[0]),
            "decay must be monotone"
        );
    }

    #[test]
    fn config_serde_fills_defaults() {
        let cfg: TrainConfig =
            serde_json::from_str(r#"{"steps": 7, "device": {"cuda": 1}}"#).unwrap();
        assert_eq!(cfg.steps, 7);
        assert_eq!(cfg.device, DeviceChoice::Cuda(1));
        assert_eq!(cfg.d_model, TrainConfig::default().d_model);
        assert!(TrainConfig {
            n_heads: 3,
            ..TrainConfig::default()
        }
        .validate()
        .is_err());
    }

    #[test]
    fn checkpoint_round_trip_gives_the_same_loss() {
        type B = NdArray<f32>;
        let device = Default::default();
        let config = GptConfig {
            vocab: 257,
            context: 8,
            d_model: 16,
            n_layers: 1,
            n_heads: 2,
            dropout: 0.0,
        };
        let model = config.init::<B>(&device);
        let run = tempfile::tempdir().unwrap();
        save_checkpoint(&model, &config, run.path()).unwrap();
        assert!(run.path().join("checkpoint/model.mpk").is_file());
        let leftovers: Vec<_> = std::fs::read_dir(run.path().join("checkpoint"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.contains("partial"))
            .collect();
        assert!(
            leftovers.is_empty(),
            "temporary files left behind: {leftovers:?}"
        );

        let (loaded, loaded_cfg) = load::<B>(run.path(), &device).unwrap();
        assert_eq!(loaded_cfg, config);
        let windows: Vec<Vec<u32>> = (0..3)
            .map(|i| (0..9).map(|j| (i * 13 + j * 5) % 257).collect())
            .collect();
        let loss = |m: &Gpt<B>| {
            let (x, y) = batch_tensors::<B>(&windows, &device);
            m.loss(x, y).into_data().iter::<f32>().next().unwrap()
        };
        assert_eq!(loss(&model), loss(&loaded));
        // A freshly initialised model differs, so the equality above is not vacuous.
        let other = config.init::<B>(&device);
        assert_ne!(loss(&model), loss(&other));
    }

    #[test]
    fn cuda_without_feature_or_driver_is_an_error_not_a_panic() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = TrainConfig {
            device: DeviceChoice::Cuda(0),
            ..TrainConfig::default()
        };
        // The data dir is empty, but the device is checked first only with the feature; either
        // way the call must return an error.
        assert!(train(dir.path(), &dir.path().join("run"), &cfg, &mut |_| {}).is_err());
    }
}
