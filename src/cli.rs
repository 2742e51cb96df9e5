//! The command line: `assent curate`, `crawl`, `run`, `merge`, `train`, `extract`, `demo`,
//! `reasons`.

use crate::config::Config;
use crate::inputs::{InputKind, InputSpec};
use crate::pipeline::RecordSource;
use crate::{demo, extract_cmd, pipeline, summary};
use anyhow::Context;
use assent_ingest::consent::Policy;
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
    /// Writes OUT/shards/part-RANK-SEQ.parquet (one row per kept document), OUT/ledger/ (a
    /// row per decision about a record, with reason codes; a later row supersedes an earlier
    /// one) and OUT/manifest.json (configuration, versions, inputs and outputs with their
    /// sha256, counts by final decision and reason). A task of a larger job (--rank,
    /// --world-size, or Slurm's or Kubernetes' environment) writes OUT/manifest-RANK.json
    /// instead, for `assent merge`. Run again with the same command, finished work is skipped.
    Curate(CurateArgs),
    /// Filter text that is already extracted (Parquet with a `text` column, or JSON Lines):
    /// the per-document steps alone, by default language ID, FineWeb's quality rules (Gopher
    /// repetition, Gopher quality, C4, FineWeb) with FineWeb's thresholds, and PII redaction.
    ///
    /// Writes what `curate` writes: shards of the documents kept, with every rule's measure
    /// in their `quality` column, a ledger row for every document with the rule that dropped
    /// it, and the manifest.
    Filter(FilterArgs),
    /// Crawl the web politely, honouring every machine-readable opt-out, and curate what may be
    /// kept, in one streaming process.
    ///
    /// Writes what `curate` writes, plus OUT/warc/crawl-RANK.warc.gz (WARC 1.1) holding the
    /// robots.txt and other site files fetched and the responses of kept pages, so that the
    /// crawl can be curated again without fetching again. A refused page's body is never
    /// written anywhere.
    Crawl(CrawlArgs),
    /// Run the pipeline a TOML file describes: its [crawl] seeds are crawled and curated into
    /// [output] dir (see assent.example.toml).
    Run(RunArgs),
    /// Pre-train a small GPT-style transformer on curated shards (Burn, CPU by default).
    ///
    /// Reads DATA/manifest.json and the shards it lists; writes RUN/checkpoint/, RUN/metrics.jsonl,
    /// RUN/tokenizer.json and RUN/training-manifest.json, which names the corpus manifest's
    /// sha256 and every shard read.
    Train(TrainArgs),
    /// Run the whole path on a built-in demo: generate pages, write them as a WARC, curate
    /// them, train on the result for a minute or two on CPU, and print where everything is.
    Demo(DemoArgs),
    /// Extract the main text, title, language and licence of HTML files (`.html.gz` too), as
    /// the curation's extract stage sees them; one JSON line per file by default.
    Extract(ExtractArgs),
    /// Finish a job of W ranks: once every rank has written OUT/manifest-RANK.json, decide
    /// what needs the whole job (URL, exact and near-duplicate dedup across ranks, the licence
    /// guard's shares) and write OUT/manifest.json. Run again, it does nothing.
    Merge(MergeArgs),
    /// Write what a finished corpus holds to DIR/audit/audit.json, and as a page of charts to
    /// DIR/audit/index.html: documents and words by
    /// language, domain and licence, lengths, personal data found, frequent word pairs,
    /// identity terms and how often they share a sentence with violence, crime and negative
    /// words (beside the base rate), and which consent signals refused how much. Curation runs
    /// it at its end.
    Audit(AuditArgs),
    /// Remove near-duplicates (MinHash LSH) from a finished corpus, in four stages that can
    /// each run as the tasks of an array job: signatures (per shard), buckets (per band),
    /// clusters (per band, then merged), filter (per shard). Without --stage, all four in
    /// this process. Each cluster keeps one document (the earliest fetched, then the longest,
    /// then the smallest doc_id); the others leave with `dedup.near` rows naming it. On a job
    /// of curate ranks not yet merged, runs its buckets and clusters stages ahead of
    /// `assent merge`. Finished parts are skipped when run again.
    Dedup(DedupArgs),
    /// Build or bring up to date DIR/index/provenance.sqlite: every leaf of the corpus's
    /// provenance log (kept documents and refused records), which are the corpus now, their
    /// domains, doc ids, text hashes, sentence hashes and MinHash bands, and the training runs
    /// that read its shards. Reads only what the log added since the last build.
    Index(crate::provenance_cmd::IndexArgs),
    /// Ask an indexed corpus about a URL, a domain or a text; answers are JSON with the
    /// inclusion proof and the signed checkpoint.
    Query(crate::provenance_cmd::QueryArgs),
    /// Serve an indexed corpus's provenance over HTTP (GET /v1/url, /v1/domain/{domain},
    /// /v1/checkpoint, /v1/consistency, POST /v1/text; /openapi.json; a page for people at /).
    /// Reads the index only.
    Serve(crate::provenance_cmd::ServeArgs),
    /// Take out of a finished corpus every document the opt-out registry covers (verified
    /// opt-outs of `assent serve` land there): shards rewritten, a `registry.opt-out` ledger
    /// row each, a new signed log checkpoint, the audit and index brought up to date, and the
    /// training runs that read the removed documents listed.
    Forget(ForgetArgs),
    /// List every reason code with its decision and meaning.
    Reasons,
    /// Serve a generated web of plain sites on 127.0.0.1 until stdin closes (for the crawler
    /// benchmark, scripts/bench_crawl.sh). Prints the port, then the resolve entries.
    #[command(hide = true)]
    ServeWeb(ServeWebArgs),
}

#[derive(Args, Debug)]
pub struct ForgetArgs {
    /// A finished corpus.
    pub dir: PathBuf,
    /// The opt-out registry (the file `assent serve --registry` appends verified opt-outs
    /// to, and the crawler reads).
    #[arg(long, value_name = "FILE")]
    pub registry: PathBuf,
    /// Directories holding training runs, besides those registered with the corpus.
    #[arg(long, num_args = 1.., value_name = "DIR")]
    pub runs: Vec<PathBuf>,
}

#[derive(Args, Debug)]
pub struct CurateArgs {
    /// WARC or WET files (plain, gzip per record, or whole-file gzip).
    #[arg(long, num_args = 1.., value_name = "FILE")]
    pub warc: Vec<PathBuf>,
    #[command(flatten)]
    pub text: TextFiles,
    /// Assent corpora (directories with a manifest.json) read back as documents with every
    /// column, so that passes chain: their consent is judged again on top of what the earlier
    /// pass recorded, then the configured steps run.
    #[arg(long, num_args = 1.., value_name = "DIR")]
    pub shards: Vec<PathBuf>,
    /// Output directory.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Pipeline configuration (TOML); see assent.example.toml for every option.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Close a shard once it holds this many bytes of text (overrides output.shard_text_bytes).
    #[arg(long, value_name = "BYTES")]
    pub shard_size: Option<u64>,
    /// Where archived pages' site-level signals come from: `archive` (the robots.txt, ai.txt,
    /// tdmrep.json and RSL captures among the inputs; nothing fetched) or `live` (each host
    /// asked today, falling back to its archived files when it gives no answer).
    #[arg(long, value_enum, value_name = "MODE")]
    pub site_signals: Option<crate::config::SiteSignalsMode>,
    /// What to do with a document whose consent could not be checked: `keep` (say so) or
    /// `refuse` (consent.unchecked).
    #[arg(long, value_enum, value_name = "POLICY")]
    pub unchecked: Option<crate::config::UncheckedPolicy>,
    /// WARC files of site-file captures (e.g. Common Crawl's robots.txt archives), read by
    /// every task besides the site files among its own inputs.
    #[arg(long, num_args = 1.., value_name = "FILE")]
    pub site_files: Vec<PathBuf>,
    #[command(flatten)]
    pub consent: ConsentArgs,
    #[command(flatten)]
    pub ranks: RankArgs,
    /// Start over: replace this rank's finished output in OUT (a relaunch of the same
    /// command skips finished ranks and redoes unfinished ones without it).
    #[arg(long)]
    pub force: bool,
}

#[derive(Args, Debug)]
pub struct AuditArgs {
    /// A finished corpus (a directory with a manifest.json).
    pub dir: PathBuf,
}

/// Text that another tool extracted.
#[derive(Args, Debug)]
pub struct TextFiles {
    /// Parquet files with a `text` column (and `url`, `id` if present).
    #[arg(long, num_args = 1.., value_name = "FILE")]
    pub parquet: Vec<PathBuf>,
    /// JSON Lines files (optionally gzipped) with a `text` field (and `url`, `id` if present).
    #[arg(long, num_args = 1.., value_name = "FILE")]
    pub jsonl: Vec<PathBuf>,
}

#[derive(Args, Debug)]
pub struct FilterArgs {
    #[command(flatten)]
    pub text: TextFiles,
    /// Output directory.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Pipeline configuration (TOML): the per-document steps of its `[pipeline] steps` run
    /// (stream steps such as dedup are left out); without one, language ID, FineWeb's rules and
    /// PII redaction.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    #[command(flatten)]
    pub ranks: RankArgs,
    /// Start over: replace this rank's finished output in OUT.
    #[arg(long)]
    pub force: bool,
}

/// Which part of a larger job this task is (overrides [pipeline] rank and world_size, which
/// default to Slurm's or Kubernetes' environment).
#[derive(Args, Debug)]
pub struct RankArgs {
    /// This task's rank, 0 to world size - 1.
    #[arg(long, value_name = "R")]
    pub rank: Option<u32>,
    /// The number of tasks of the job.
    #[arg(long, value_name = "W")]
    pub world_size: Option<u32>,
}

impl RankArgs {
    fn apply(&self, config: &mut Config) {
        if self.rank.is_some() {
            config.pipeline.rank = self.rank;
        }
        if self.world_size.is_some() {
            config.pipeline.world_size = self.world_size;
        }
    }
}

#[derive(Args, Debug)]
pub struct DedupArgs {
    /// A finished corpus (with a manifest.json), or the output of a job's ranks before merge.
    pub dir: PathBuf,
    /// Run one stage only, as task --rank of --world-size (or Slurm's or Kubernetes'
    /// environment); the stages chain through DIR/dedup/.
    #[arg(long, value_enum)]
    pub stage: Option<crate::dedup_cmd::Stage>,
    /// MinHash settings ([near_dedup]); without one, those the corpus was curated with.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    #[command(flatten)]
    pub ranks: RankArgs,
    /// Start over: remove DIR/dedup/ first.
    #[arg(long)]
    pub force: bool,
}

#[derive(Args, Debug)]
pub struct MergeArgs {
    /// The job's output directory, where the ranks wrote.
    pub out: PathBuf,
}

/// The consent and fetching options `curate` and `crawl` share; they override `[crawl]`.
#[derive(Args, Debug)]
pub struct ConsentArgs {
    /// `opt-out` (keep pages with no signal) or `open-licence-only`.
    #[arg(long, value_parser = ["opt-out", "open-licence-only"])]
    pub policy: Option<String>,
    /// Opt-out registry: domains (covering subdomains) and URL prefixes, one a line.
    #[arg(long, value_name = "FILE")]
    pub registry: Option<PathBuf>,
    /// Map HOST:PORT to ADDR, as curl's --resolve, for a crawl or a live site check
    /// (`curate --site-signals live`); the hosts named may be private addresses.
    #[arg(long, value_name = "HOST:PORT:ADDR")]
    pub resolve: Vec<String>,
    /// Allow loopback, private and link-local addresses everywhere (off by default).
    #[arg(long)]
    pub allow_private: bool,
}

impl ConsentArgs {
    fn apply(self, c: &mut assent_ingest::crawl::CrawlConfig) {
        if let Some(p) = self.policy.as_deref() {
            c.policy = if p == "open-licence-only" {
                Policy::OpenLicenceOnly
            } else {
                Policy::OptOut
            };
        }
        if self.registry.is_some() {
            c.registry = self.registry;
        }
        c.resolve.extend(self.resolve);
        c.allow_private |= self.allow_private;
    }
}

#[derive(Args, Debug)]
pub struct CrawlArgs {
    /// File of seed URLs, one a line (`#` starts a comment).
    #[arg(long, value_name = "FILE")]
    pub seeds: PathBuf,
    /// Output directory.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Links followed away from a seed, same host only (overrides crawl.max_depth).
    #[arg(long)]
    pub max_depth: Option<u32>,
    /// Most pages requested (overrides crawl.max_pages).
    #[arg(long)]
    pub max_pages: Option<usize>,
    #[command(flatten)]
    pub consent: ConsentArgs,
    /// Our robots.txt product token (default AssentBot).
    #[arg(long, value_name = "TOKEN")]
    pub user_agent: Option<String>,
    /// Also trust the certificate authorities in this PEM file for HTTPS (repeatable).
    #[arg(long, value_name = "FILE")]
    pub ca_cert: Vec<PathBuf>,
    /// Pipeline configuration (TOML); command-line options override its [crawl] section.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    #[command(flatten)]
    pub ranks: RankArgs,
    /// Start over: replace this rank's finished output in OUT.
    #[arg(long)]
    pub force: bool,
}

#[derive(Args, Debug)]
pub struct RunArgs {
    /// The pipeline configuration.
    pub config: PathBuf,
    /// Output directory (overrides output.dir).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Start over: replace this rank's finished output.
    #[arg(long)]
    pub force: bool,
}

#[derive(Args, Debug)]
pub struct ServeWebArgs {
    /// Number of hosts (site0.bench.test, …).
    #[arg(long, default_value_t = 50)]
    pub hosts: usize,
    /// Articles per host.
    #[arg(long, default_value_t = 20)]
    pub articles: usize,
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
pub struct ExtractArgs {
    /// HTML files, gzipped or not; a directory stands for the HTML files under it.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// `jsonl`: one object a line with path, text, title, lang and licence; `text`: the text.
    #[arg(long, value_enum, default_value = "jsonl")]
    pub format: extract_cmd::Format,
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
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        // Colour codes only on a terminal: logs piped to a file stay plain text.
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr)
        .try_init();
}

pub fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Curate(args) => curate(args),
        Command::Filter(args) => filter(args),
        Command::Crawl(args) => crawl(args),
        Command::Run(args) => run_config(args),
        Command::Train(args) => train(args),
        Command::Demo(args) => demo::run(&args.out, args.steps),
        Command::ServeWeb(args) => serve_web(args),
        Command::Extract(args) => extract_cmd::run(&args.paths, args.format),
        Command::Merge(args) => {
            let bar = progress_bar("records");
            let manifest = pipeline::merge(&args.out, &|n| bar.inc(n))?;
            bar.finish_and_clear();
            print!("{}", summary::curation(&manifest, &args.out));
            audit_finished(&args.out)
        }
        Command::Dedup(args) => {
            let config = args.config.as_deref().map(Config::load).transpose()?;
            let (stages, rank, world) = match args.stage {
                Some(stage) => {
                    let mut c = config.clone().unwrap_or_default();
                    args.ranks.apply(&mut c);
                    let (rank, world) = c.rank_and_world()?;
                    (vec![stage], rank, world)
                }
                None => (crate::dedup_cmd::STAGES.to_vec(), 0, 1),
            };
            let report = crate::dedup_cmd::dedup(
                &args.dir,
                &stages,
                rank,
                world,
                config.as_ref(),
                args.force,
            )?;
            for line in report.lines {
                println!("{line}");
            }
            Ok(())
        }
        Command::Audit(args) => {
            let files = crate::audit_cmd::audit(&args.dir)?;
            println!("audit: {}", files.page.display());
            println!("       {}", files.json.display());
            Ok(())
        }
        Command::Index(args) => crate::provenance_cmd::index(args),
        Command::Query(args) => crate::provenance_cmd::query(args),
        Command::Serve(args) => crate::provenance_cmd::serve(args),
        Command::Forget(args) => {
            let report = crate::forget_cmd::forget(&args.dir, &args.registry, &args.runs)?;
            print!("{}", crate::forget_cmd::describe(&report));
            Ok(())
        }
        Command::Reasons => {
            use std::io::Write;
            let mut out = std::io::stdout().lock();
            for code in assent_schemas::ReasonCode::ALL {
                let line = writeln!(
                    out,
                    "{:<26} {:<8} {}",
                    code.as_str(),
                    code.decision().as_str(),
                    code.description()
                );
                // A reader that stops early (`assent reasons | head`) is not an error.
                if line.is_err() {
                    break;
                }
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
    if let Some(mode) = args.site_signals {
        config.consent.site_signals = mode;
    }
    if let Some(policy) = args.unchecked {
        config.consent.unchecked = policy;
    }
    config
        .consent
        .site_files
        .extend(args.site_files.iter().cloned());
    args.consent.apply(&mut config.crawl);
    args.ranks.apply(&mut config);
    for f in &config.consent.site_files {
        anyhow::ensure!(
            f.is_file(),
            "site-file archive {} does not exist or is not a file",
            f.display()
        );
    }
    let mut specs = file_specs([
        (InputKind::Warc, &args.warc),
        (InputKind::Parquet, &args.text.parquet),
        (InputKind::Jsonl, &args.text.jsonl),
    ]);
    for dir in &args.shards {
        specs.extend(crate::inputs::corpus_shards(dir)?);
    }
    curate_files(
        specs,
        "give --warc, --parquet, --jsonl files or --shards corpora",
        &args.out,
        &config,
        "curate",
        args.force,
    )
}

/// The input files of each kind, as the pipeline takes them.
fn file_specs<const N: usize>(files: [(InputKind, &Vec<PathBuf>); N]) -> Vec<InputSpec> {
    files
        .into_iter()
        .flat_map(|(kind, paths)| {
            paths.iter().map(move |p| InputSpec {
                path: p.clone(),
                kind,
                expected_sha256: None,
            })
        })
        .collect()
}

fn filter(args: FilterArgs) -> anyhow::Result<()> {
    let mut config = load_config(args.config.as_deref())?;
    // The configured per-document steps (by default: language, the rules, PII, signals).
    config
        .pipeline
        .steps
        .retain(|s| !crate::steps::is_stream_step(s));
    args.ranks.apply(&mut config);
    let specs = file_specs([
        (InputKind::Parquet, &args.text.parquet),
        (InputKind::Jsonl, &args.text.jsonl),
    ]);
    curate_files(
        specs,
        "give --parquet or --jsonl files",
        &args.out,
        &config,
        "filter",
        args.force,
    )
}

/// [`curate_into`] for input files: there must be some (`hint` says which), and each must exist.
fn curate_files(
    specs: Vec<InputSpec>,
    hint: &str,
    out: &Path,
    config: &Config,
    command: &str,
    force: bool,
) -> anyhow::Result<()> {
    anyhow::ensure!(!specs.is_empty(), "nothing to {command}: {hint}");
    crate::inputs::check_exist(&specs)?;
    curate_into(RecordSource::Files(specs), out, config, command, force)
}

/// Prepares OUT (skipping a rank that an earlier run of the same job finished), runs the
/// pipeline and prints the summary.
fn curate_into(
    source: RecordSource,
    out: &Path,
    config: &Config,
    command: &str,
    force: bool,
) -> anyhow::Result<()> {
    use crate::pipeline::resume;
    let (rank, world) = config.rank_and_world()?;
    let job = resume::job_key(&source, config)?;
    let manifest = match resume::prepare(out, rank, world, &job, force)? {
        resume::Start::Finished(earlier) => {
            eprintln!(
                "rank {rank} of {world} was finished by an earlier run of this job ({}); nothing to do (--force starts over)",
                out.join(pipeline::manifest_name(rank, world)).display()
            );
            *earlier
        }
        resume::Start::Run => curate_with_progress(source, out, config, command)?,
    };
    print!("{}", summary::curation(&manifest, out));
    // A finished corpus is audited; a rank's part waits for `assent merge`.
    if world == 1 {
        audit_finished(out)?;
    }
    Ok(())
}

/// Writes the audit of the finished corpus in `out` (unless an earlier run wrote it) and says
/// where.
fn audit_finished(out: &Path) -> anyhow::Result<()> {
    let files = crate::audit_cmd::AuditFiles::of(out);
    let manifest_time = std::fs::metadata(out.join("manifest.json")).and_then(|m| m.modified());
    let fresh = [&files.json, &files.page].iter().all(|p| {
        match (
            std::fs::metadata(p).and_then(|m| m.modified()),
            &manifest_time,
        ) {
            (Ok(t), Ok(m)) => t >= *m,
            _ => false,
        }
    });
    if !fresh {
        crate::audit_cmd::audit(out)?;
    }
    println!("  audit            {}", files.page.display());
    println!("                   {}", files.json.display());
    Ok(())
}

fn crawl(args: CrawlArgs) -> anyhow::Result<()> {
    let mut config = load_config(args.config.as_deref())?;
    let seeds = std::fs::read_to_string(&args.seeds)
        .with_context(|| format!("cannot read seeds file {}", args.seeds.display()))?;
    config.crawl.seeds = seeds
        .lines()
        .map(|l| l.split('#').next().unwrap_or("").trim())
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect();
    anyhow::ensure!(
        !config.crawl.seeds.is_empty(),
        "{} holds no seed URL",
        args.seeds.display()
    );
    let c = &mut config.crawl;
    if let Some(d) = args.max_depth {
        c.max_depth = d;
    }
    if let Some(n) = args.max_pages {
        c.max_pages = n;
    }
    if let Some(ua) = args.user_agent {
        c.user_agent = format!(
            "{ua}/{} (consent-respecting research crawler)",
            env!("CARGO_PKG_VERSION")
        );
        c.user_agent_token = ua;
    }
    args.consent.apply(c);
    c.ca_certs.extend(args.ca_cert);
    args.ranks.apply(&mut config);
    let crawl = Box::new(config.crawl.clone());
    curate_into(
        RecordSource::Crawl(crawl),
        &args.out,
        &config,
        "crawl",
        args.force,
    )
}

fn run_config(args: RunArgs) -> anyhow::Result<()> {
    let config = Config::load(&args.config)?;
    anyhow::ensure!(
        !config.crawl.seeds.is_empty(),
        "{}: [crawl] seeds is empty: nothing to run (use `assent curate` for files)",
        args.config.display()
    );
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| config.output.dir.clone());
    let crawl = Box::new(config.crawl.clone());
    curate_into(RecordSource::Crawl(crawl), &out, &config, "run", args.force)
}

/// Runs the pipeline with a progress spinner on a terminal (nothing otherwise).
pub fn curate_with_progress(
    source: RecordSource,
    out: &Path,
    config: &Config,
    command: &str,
) -> anyhow::Result<assent_manifests::CorpusManifest> {
    let bar = progress_bar("records");
    let result = pipeline::curate(source, out, config, command, &|n| bar.inc(n));
    bar.finish_and_clear();
    result
}

fn progress_bar(unit: &str) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new_spinner();
    let template = format!("{{spinner}} {{pos}} {unit} ({{per_sec}}) {{elapsed}} {{msg}}");
    bar.set_style(
        ProgressStyle::with_template(&template)
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    bar.enable_steady_tick(std::time::Duration::from_millis(200));
    bar
}

fn serve_web(args: ServeWebArgs) -> anyhow::Result<()> {
    use crate::demo::web::{bench_hosts, resolve_for, DemoWeb};
    let running = crate::demo::serve::start(DemoWeb::open_sites(args.hosts, args.articles))?;
    println!("{}", running.port);
    for entry in resolve_for(&bench_hosts(args.hosts), running.port) {
        println!("{entry}");
    }
    // Serve until whoever started us closes our stdin.
    std::io::copy(&mut std::io::stdin(), &mut std::io::sink())?;
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
