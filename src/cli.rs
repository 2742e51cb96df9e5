//! The command line: `assent curate`, `assent train`, `assent demo`, `assent reasons`.

use crate::config::Config;
use crate::inputs::{InputKind, InputSpec};
use crate::{demo, pipeline, summary};
use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Assent turns web pages into a documented, consent-respecting pre-training corpus and trains
/// transformer models on it. Every kept document carries its provenance; every left-out record
/// leaves a ledger row with a reason code, never its text.
#[derive(Parser, Debug)]
#[command(name = "assent", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Curate WARC, Parquet or JSONL files into Parquet shards, a ledger and a manifest.
    ///
    /// Writes OUT/shards/part-RANK-SEQ.parquet (one row per kept document), OUT/ledger/ (one
    /// row per record considered, with its decision and reason codes) and OUT/manifest.json
    /// (configuration, versions, inputs and outputs with their sha256, counts by reason).
    Curate(CurateArgs),
    /// Pre-train a small GPT-style transformer on curated shards (Burn, CPU by default).
    ///
    /// Reads DATA/manifest.json and the shards it lists; writes RUN/checkpoint/, RUN/metrics.jsonl,
    /// RUN/tokenizer.json and RUN/training-manifest.json, which names the corpus manifest's
    /// sha256 and every shard read.
    Train(TrainArgs),
    /// Run the whole path on a built-in demo: generate pages, write them as a WARC, curate
    /// them, train on the result for a minute or two on CPU, and print where everything is.
    Demo(DemoArgs),
    /// List every reason code with its decision and meaning.
    Reasons,
}

#[derive(Args, Debug)]
pub struct CurateArgs {
    /// WARC or WET files (plain, gzip per record, or whole-file gzip).
    #[arg(long, num_args = 1.., value_name = "FILE")]
    pub warc: Vec<PathBuf>,
    /// Parquet files with a `text` column (and `url`, `id` if present).
    #[arg(long, num_args = 1.., value_name = "FILE")]
    pub parquet: Vec<PathBuf>,
    /// JSON Lines files (optionally gzipped) with a `text` field (and `url`, `id` if present).
    #[arg(long, num_args = 1.., value_name = "FILE")]
    pub jsonl: Vec<PathBuf>,
    /// Output directory.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Pipeline configuration (TOML); see assent.example.toml for every option.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Close a shard once it holds this many bytes of text (overrides output.shard_text_bytes).
    #[arg(long, value_name = "BYTES")]
    pub shard_size: Option<u64>,
    /// Replace this rank's earlier shards, ledger and manifest in OUT instead of refusing.
    #[arg(long)]
    pub force: bool,
}

#[derive(Args, Debug)]
pub struct TrainArgs {
    /// A curated corpus directory (with manifest.json and shards/).
    #[arg(long, value_name = "DIR")]
    pub data: PathBuf,
    /// Run directory for checkpoints, metrics and the training manifest.
    #[arg(long, value_name = "RUN")]
    pub out: PathBuf,
    /// Optimiser steps (overrides train.steps).
    #[arg(long)]
    pub steps: Option<usize>,
    /// Configuration whose [train] section sets the model and optimiser.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// `cpu`, `cuda` or `cuda:N` (overrides train.device; CUDA needs `--features cuda`).
    #[arg(long)]
    pub device: Option<assent_train::DeviceChoice>,
}

#[derive(Args, Debug)]
pub struct DemoArgs {
    /// Where the demo writes its WARC, corpus and training run.
    #[arg(long, value_name = "DIR", default_value = "demo-out")]
    pub out: PathBuf,
    /// Training steps (default: the demo's own, about a minute or two on two cores).
    #[arg(long)]
    pub steps: Option<usize>,
}

pub fn main() -> ExitCode {
    init_logging();
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn init_logging() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("ASSENT_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).try_init();
}

pub fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Curate(args) => curate(args),
        Command::Train(args) => train(args),
        Command::Demo(args) => demo::run(&args.out, args.steps),
        Command::Reasons => {
            for code in assent_schemas::ReasonCode::ALL {
                println!("{:<26} {:<8} {}", code.as_str(), code.decision().as_str(), code.description());
            }
            Ok(())
        }
    }
}

fn load_config(path: Option<&Path>) -> anyhow::Result<Config> {
    path.map_or_else(|| Ok(Config::default()), Config::load)
}

fn curate(args: CurateArgs) -> anyhow::Result<()> {
    let mut config = load_config(args.config.as_deref())?;
    if let Some(bytes) = args.shard_size {
        config.output.shard_text_bytes = bytes;
    }
    let specs: Vec<InputSpec> = [(InputKind::Warc, &args.warc), (InputKind::Parquet, &args.parquet), (InputKind::Jsonl, &args.jsonl)]
        .into_iter()
        .flat_map(|(kind, paths)| paths.iter().map(move |p| InputSpec { path: p.clone(), kind }))
        .collect();
    anyhow::ensure!(!specs.is_empty(), "nothing to curate: give --warc, --parquet or --jsonl files");
    crate::inputs::check_exist(&specs)?;
    let (rank, world) = config.rank_and_world()?;
    prepare_out_dir(&args.out, rank, world, args.force)?;
    let manifest = curate_with_progress(&specs, &args.out, &config, "curate")?;
    print!("{}", summary::curation(&manifest, &args.out));
    Ok(())
}

/// Runs the pipeline with a progress spinner on a terminal (nothing otherwise).
pub fn curate_with_progress(
    specs: &[InputSpec],
    out: &Path,
    config: &Config,
    command: &str,
) -> anyhow::Result<assent_manifests::CorpusManifest> {
    let bar = progress_bar("records");
    let result = pipeline::curate(specs, out, config, command, &|n| bar.inc(n));
    bar.finish_and_clear();
    result
}

fn progress_bar(unit: &str) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new_spinner();
    let template = format!("{{spinner}} {{pos}} {unit} ({{per_sec}}) {{elapsed}} {{msg}}");
    bar.set_style(ProgressStyle::with_template(&template).unwrap_or_else(|_| ProgressStyle::default_spinner()));
    bar.enable_steady_tick(std::time::Duration::from_millis(200));
    bar
}

/// Refuses to mix a new run into an earlier one unless asked; with `force`, removes this
/// rank's earlier files so that no stale shard survives next to the new ones.
fn prepare_out_dir(out: &Path, rank: u32, world: u32, force: bool) -> anyhow::Result<()> {
    let prefix = format!("part-{rank:05}-");
    let mut stale = Vec::new();
    for sub in ["shards", "ledger"] {
        if let Ok(entries) = std::fs::read_dir(out.join(sub)) {
            for e in entries.flatten() {
                if e.file_name().to_string_lossy().starts_with(&prefix) {
                    stale.push(e.path());
                }
            }
        }
    }
    let manifest = out.join(crate::pipeline::manifest_name(rank, world));
    if manifest.exists() {
        stale.push(manifest);
    }
    if stale.is_empty() {
        return Ok(());
    }
    anyhow::ensure!(
        force,
        "{} already holds the output of an earlier run ({} files, e.g. {}); use --force to replace it or choose another --out",
        out.display(),
        stale.len(),
        stale[0].display()
    );
    for p in stale {
        std::fs::remove_file(&p).with_context(|| format!("cannot remove {}", p.display()))?;
    }
    Ok(())
}

fn train(args: TrainArgs) -> anyhow::Result<()> {
    let mut config = load_config(args.config.as_deref())?;
    if let Some(steps) = args.steps {
        config.train.steps = steps;
    }
    if let Some(device) = args.device {
        config.train.device = device;
    }
    let report = crate::demo::train_with_progress(&args.data, &args.out, &config.train)?;
    println!("{}", crate::demo::describe_training(&report));
    Ok(())
}
