//! `assent index`, `assent query` and `assent serve`: the corpus's provenance for people
//! outside it ([`assent_provenance`]).

use anyhow::Context;
use assent_provenance::index;
use assent_provenance::lookup::{Index, LookupError};
use assent_provenance::service::{self, ServeConfig, Service};
use clap::Args;
use std::path::PathBuf;

#[derive(Args, Debug)]
pub struct IndexArgs {
    /// A finished corpus (with manifest.json and log/).
    pub dir: PathBuf,
    /// Directories holding training runs (searched for training-manifest.json), besides the
    /// runs registered in DIR/log/runs.txt by `assent train`.
    #[arg(long, num_args = 1.., value_name = "DIR")]
    pub runs: Vec<PathBuf>,
}

#[derive(Args, Debug)]
#[command(group(clap::ArgGroup::new("question").required(true).args(["url", "domain", "text_file", "checkpoint"])))]
pub struct QueryArgs {
    /// An indexed corpus.
    pub dir: PathBuf,
    /// What the corpus did with this page: kept, refused, dropped or unknown, why, under which
    /// licence, where, in which models, with the inclusion proof and the checkpoint.
    #[arg(long, value_name = "URL")]
    pub url: Option<String>,
    /// The records of a domain and its subdomains.
    #[arg(long, value_name = "DOMAIN")]
    pub domain: Option<String>,
    /// Exact copies, near-duplicates and shared sentences of the text in FILE.
    #[arg(long, value_name = "FILE")]
    pub text_file: Option<PathBuf>,
    /// Both trees' signed checkpoints.
    #[arg(long)]
    pub checkpoint: bool,
    /// With --domain: the `next` of the page before.
    #[arg(long, value_name = "CURSOR")]
    pub after: Option<String>,
    /// With --domain: records per page.
    #[arg(long, default_value_t = 100)]
    pub limit: u64,
}

#[derive(Args, Debug)]
pub struct ServeArgs {
    /// An indexed corpus.
    pub dir: PathBuf,
    #[arg(long, default_value = "127.0.0.1:8080", value_name = "ADDR")]
    pub listen: std::net::SocketAddr,
    /// Requests per second per client address (0: no limit).
    #[arg(long, default_value_t = 50.0)]
    pub rate: f64,
    /// Requests a client may make at once above the rate.
    #[arg(long, default_value_t = 100.0)]
    pub burst: f64,
    /// Largest request body, in bytes.
    #[arg(long, default_value_t = 64 * 1024)]
    pub max_body: usize,
    /// Seconds a request may take.
    #[arg(long, default_value_t = 10.0)]
    pub timeout: f64,
    /// Take opt-out requests, keeping their state in this directory (outside the corpus, or
    /// in it: never in its index).
    #[arg(long, value_name = "DIR")]
    pub opt_out_state: Option<PathBuf>,
    /// The opt-out registry verified scopes are appended to (the file `--registry` gives
    /// the crawler and `assent forget`). Default: STATE/registry.txt.
    #[arg(long, value_name = "FILE")]
    pub registry: Option<PathBuf>,
    /// HOST:PORT:ADDR, as for `assent crawl`: where a token is fetched from for that host.
    #[arg(long, value_name = "HOST:PORT:ADDR")]
    pub resolve: Vec<String>,
}

pub fn index(args: IndexArgs) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    let stats = index::build(&args.dir, &args.runs)?;
    let path = index::index_path(&args.dir);
    let bytes = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    println!("index {}", path.display());
    println!(
        "  kept          {:>10} documents now, {} leaves added (tree size {})",
        stats.kept_now, stats.kept_leaves_added, stats.kept_size
    );
    println!(
        "  refused       {:>10} records now, {} leaves added (tree size {})",
        stats.refused_now, stats.refused_leaves_added, stats.refused_size
    );
    println!("  shards read   {:>10}", stats.shards_read);
    println!("  training runs {:>10}", stats.runs);
    println!(
        "  {:.2} s, {:.1} MiB",
        started.elapsed().as_secs_f64(),
        bytes as f64 / (1 << 20) as f64
    );
    Ok(())
}

pub fn query(args: QueryArgs) -> anyhow::Result<()> {
    let mut ix = Index::open(&args.dir)?;
    if let Some(u) = &args.url {
        shown(ix.url(u))
    } else if let Some(d) = &args.domain {
        shown(ix.domain(d, args.after.as_deref(), args.limit))
    } else if let Some(f) = &args.text_file {
        let text =
            std::fs::read_to_string(f).with_context(|| format!("cannot read {}", f.display()))?;
        shown(ix.text(&text))
    } else {
        shown(ix.checkpoint())
    }
}

fn shown<T: serde::Serialize>(answer: Result<T, LookupError>) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(&answer?)?);
    Ok(())
}

pub fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let config = ServeConfig {
        max_body: args.max_body,
        rate: args.rate,
        burst: args.burst,
        timeout: std::time::Duration::from_secs_f64(args.timeout.max(0.001)),
        ..ServeConfig::default()
    };
    let opt_outs = match &args.opt_out_state {
        None => None,
        Some(state) => {
            let registry = args
                .registry
                .clone()
                .unwrap_or_else(|| state.join("registry.txt"));
            let crawl = assent_ingest::crawl::CrawlConfig {
                resolve: args.resolve.clone(),
                timeout_secs: 10.0,
                ..Default::default()
            };
            let desk = assent_provenance::opt_out::OptOuts::open(state, &registry, &crawl)
                .map_err(|e| anyhow::anyhow!("opt-outs: {e}"))?;
            Some(desk)
        }
    };
    let service = Service::open(&args.dir, config, opt_outs)?;
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(args.listen)
            .await
            .with_context(|| format!("cannot listen on {}", args.listen))?;
        let addr = listener.local_addr()?;
        // The address (with the port the system chose for :0) on a line of its own, first,
        // for scripts and tests.
        println!("listening on http://{addr}");
        use std::io::Write;
        std::io::stdout().flush()?;
        let shutdown = async {
            let _ = tokio::signal::ctrl_c().await;
        };
        service::serve(listener, service, shutdown).await?;
        anyhow::Ok(())
    })
}
