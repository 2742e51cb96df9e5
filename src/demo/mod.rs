//! `assent demo`: the whole path on a small web of the project's own, in a few minutes on CPU.
//!
//! 1. [`web`] generates a few hundred pages over a dozen hosts (text written by the project's
//!    own generator, nothing copied) that between them use every consent signal the crawler
//!    honours, plus licensed pages, mirrors and boilerplate; [`serve`] serves them on 127.0.0.1.
//! 2. The crawler crawls them through `--resolve` mappings and the pipeline curates what may
//!    be kept, with a ledger row for everything else.
//! 3. An archive of the same web, made by an archiver that asks nobody's consent ([`archive`]),
//!    is curated twice: judged by the site files captured in it (`archive`), and by asking the
//!    hosts today (`live`); both refuse what the sites refuse.
//! 4. A small GPT is trained on the crawl's shards.
//! 5. The corpus is indexed for outsiders and asked about a kept and a refused page, each
//!    answer's proof checked ([`provenance`]); the paths of everything are printed.

pub mod archive;
mod provenance;
pub mod serve;
mod text;
pub mod web;

use crate::config::{Config, SiteSignalsMode};
use crate::inputs::{InputKind, InputSpec};
use crate::pipeline::RecordSource;
use anyhow::Context;
use assent_train::{StepReport, TrainConfig, TrainReport};
use std::path::Path;

/// Steps the demo trains by default: about a minute on two cores in a release build.
const DEMO_STEPS: usize = 500;

/// Demo training: small enough for a minute or two on two cores.
fn demo_train_config(steps: Option<usize>) -> TrainConfig {
    TrainConfig {
        steps: steps.unwrap_or(DEMO_STEPS),
        max_seconds: Some(150.0),
        ..TrainConfig::default()
    }
}

/// The demo's crawl of its own web on `port`: every host mapped to 127.0.0.1, no delay beyond
/// what the sites' robots.txt ask for (the server is ours), the demo's opt-out registry.
pub fn demo_crawl_config(port: u16, registry: &Path) -> assent_ingest::crawl::CrawlConfig {
    assent_ingest::crawl::CrawlConfig {
        seeds: web::DemoWeb::seeds(port),
        resolve: web::DemoWeb::resolve_entries(port),
        registry: Some(registry.to_path_buf()),
        max_depth: 3,
        delay_secs: 0.0,
        timeout_secs: 10.0,
        ..Default::default()
    }
}

pub fn run(out: &Path, steps: Option<usize>) -> anyhow::Result<()> {
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    let site = web::DemoWeb::new();
    let pages = site.page_count();
    let running = serve::start(site).context("cannot start the demo web on 127.0.0.1")?;
    println!(
        "demo web: {pages} pages over {} hosts on 127.0.0.1:{} (hosts reached with --resolve)",
        web::HOSTS.len(),
        running.port
    );
    let registry = out.join("optout-registry.txt");
    std::fs::write(&registry, web::REGISTRY)
        .with_context(|| format!("cannot write {}", registry.display()))?;

    let corpus = out.join("corpus");
    if corpus.exists() {
        std::fs::remove_dir_all(&corpus)
            .with_context(|| format!("cannot clear {}", corpus.display()))?;
    }
    let config = Config {
        crawl: demo_crawl_config(running.port, &registry),
        train: demo_train_config(steps),
        ..Config::default()
    };
    let source = RecordSource::Crawl(Box::new(config.crawl.clone()));
    let manifest = crate::cli::curate_with_progress(source, &corpus, &config, "demo")?;
    print!("{}", crate::summary::curation(&manifest, &corpus));
    let audit = crate::audit_cmd::audit(&corpus)?;

    // The same web as an archive that took everything, judged as archived pages are.
    let archive_dir = out.join("archive");
    std::fs::create_dir_all(&archive_dir)
        .with_context(|| format!("cannot create {}", archive_dir.display()))?;
    let warc = archive_dir.join("demo-web.warc.gz");
    let responses = archive::write(&web::DemoWeb::new(), running.port, &warc)?;
    println!();
    println!(
        "an archive of the demo web that asked no consent: {responses} responses in {}",
        warc.display()
    );
    let mut archived = Vec::new();
    for (mode, name) in [
        (SiteSignalsMode::Archive, "from-archive"),
        (SiteSignalsMode::Live, "from-archive-live"),
    ] {
        let dir = out.join(name);
        if dir.exists() {
            std::fs::remove_dir_all(&dir)
                .with_context(|| format!("cannot clear {}", dir.display()))?;
        }
        let mut cfg = config.clone();
        cfg.consent.site_signals = mode;
        let source = RecordSource::Files(vec![InputSpec {
            path: warc.clone(),
            kind: InputKind::Warc,
            expected_sha256: None,
        }]);
        let m = crate::cli::curate_with_progress(source, &dir, &cfg, "demo")?;
        print!("{}", crate::summary::curation(&m, &dir));
        archived.push(dir);
    }
    drop(running);

    let run_dir = out.join("run");
    if run_dir.exists() {
        std::fs::remove_dir_all(&run_dir)
            .with_context(|| format!("cannot clear {}", run_dir.display()))?;
    }
    let report = train_with_progress(&corpus, &run_dir, &config.train)?;
    println!("{}", describe_training(&report));
    let kept = assent_manifests::read_documents(&corpus.join(&manifest.shards[0].path), 1)?
        .next()
        .context("the demo corpus holds a document")??;
    let refused = manifest
        .ledger
        .iter()
        .find_map(|f| {
            let rows = assent_manifests::read_ledger(&corpus.join(&f.path), 1024).ok()?;
            rows.flatten()
                .find(|r| r.decision == assent_schemas::Decision::Refused && r.url.is_some())
        })
        .and_then(|r| r.url)
        .context("the demo web refuses pages")?;
    provenance::show(&corpus, &kept.url, &refused)?;
    println!();
    println!("Everything the demo made:");
    println!("  crawl archive     {}", corpus.join("warc").display());
    println!("  unconsented archive and its curations, by its captures and live:");
    println!("                    {}", warc.display());
    for dir in &archived {
        println!("                    {}", dir.display());
    }
    println!("  shards            {}", corpus.join("shards").display());
    println!("  ledger            {}", corpus.join("ledger").display());
    println!(
        "  corpus manifest   {}",
        corpus.join("manifest.json").display()
    );
    println!("  corpus audit      {}", audit.page.display());
    println!("                    {}", audit.json.display());
    println!("  dataset card      {}", corpus.join("README.md").display());
    println!(
        "  croissant         {}",
        corpus.join("croissant.json").display()
    );
    println!("  provenance log    {}", corpus.join("log").display());
    println!("  provenance index  {}", corpus.join("index").display());
    println!(
        "  checkpoint        {}",
        run_dir.join("checkpoint").display()
    );
    println!(
        "  training manifest {}",
        run_dir.join("training-manifest.json").display()
    );
    Ok(())
}

/// Trains with a progress bar on a terminal and nothing extra otherwise.
pub fn train_with_progress(
    data: &Path,
    run: &Path,
    cfg: &TrainConfig,
) -> anyhow::Result<TrainReport> {
    let bar = if std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        let bar = indicatif::ProgressBar::new(cfg.steps as u64);
        if let Ok(style) =
            indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} steps {elapsed} {msg}")
        {
            bar.set_style(style);
        }
        bar
    } else {
        indicatif::ProgressBar::hidden()
    };
    let mut on_step = |s: StepReport| {
        bar.set_position(s.step as u64);
        bar.set_message(format!("loss {:.3}", s.loss));
    };
    let report = assent_train::train(data, run, cfg, &mut on_step)
        .with_context(|| format!("training on {} into {}", data.display(), run.display()));
    bar.finish_and_clear();
    let report = report?;
    // The corpus learns which runs read it, for the lineage its provenance answers give.
    if let Err(e) = assent_provenance::index::register_run(data, run) {
        tracing::warn!("cannot register the run with {}: {e}", data.display());
    }
    Ok(report)
}

pub fn describe_training(r: &TrainReport) -> String {
    format!(
        "trained {} steps in {:.1} s: {} tokens ({:.0} tokens/s), loss {:.3} -> {:.3}",
        r.steps, r.seconds, r.tokens_seen, r.tokens_per_second, r.first_loss, r.final_loss
    )
}
