//! `assent demo`: the whole path on a small web of the project's own, in a few minutes on CPU.
//!
//! 1. [`site`] generates a few hundred pages over a dozen hosts (text written by the project's
//!    own generator, nothing copied), plus the awkward cases a real archive holds: exact
//!    mirrors, a 404, an image, a page of script only, a request record and a corrupt record.
//! 2. They are written as a WARC 1.1 file, then curated like any archive.
//! 3. A small GPT is trained on the shards, and the paths of everything are printed.

pub mod site;
mod text;

use crate::config::Config;
use crate::inputs::{InputKind, InputSpec};
use anyhow::Context;
use assent_train::{StepReport, TrainConfig, TrainReport};
use std::path::Path;

/// Demo training: small enough for a minute or two on two cores.
fn demo_train_config(steps: Option<usize>) -> TrainConfig {
    let mut cfg = TrainConfig::default();
    if let Some(steps) = steps {
        cfg.steps = steps;
    }
    cfg.max_seconds = Some(150.0);
    cfg
}

pub fn run(out: &Path, steps: Option<usize>) -> anyhow::Result<()> {
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    let warc = out.join("demo-web.warc.gz");
    let pages = site::write_demo_warc(&warc).with_context(|| format!("cannot write {}", warc.display()))?;
    println!("demo web: {pages} records over {} hosts written to {}", site::HOSTS.len(), warc.display());

    let corpus = out.join("corpus");
    if corpus.exists() {
        std::fs::remove_dir_all(&corpus).with_context(|| format!("cannot clear {}", corpus.display()))?;
    }
    let specs = [InputSpec { path: warc.clone(), kind: InputKind::Warc }];
    let mut config = Config::default();
    config.train = demo_train_config(steps);
    let manifest = crate::cli::curate_with_progress(&specs, &corpus, &config, "demo")?;
    print!("{}", crate::summary::curation(&manifest, &corpus));

    let run_dir = out.join("run");
    if run_dir.exists() {
        std::fs::remove_dir_all(&run_dir).with_context(|| format!("cannot clear {}", run_dir.display()))?;
    }
    let report = train_with_progress(&corpus, &run_dir, &config.train)?;
    println!("{}", describe_training(&report));
    println!();
    println!("Everything the demo made:");
    println!("  archive           {}", warc.display());
    println!("  shards            {}", corpus.join("shards").display());
    println!("  ledger            {}", corpus.join("ledger").display());
    println!("  corpus manifest   {}", corpus.join("manifest.json").display());
    println!("  checkpoint        {}", run_dir.join("checkpoint").display());
    println!("  training manifest {}", run_dir.join("training-manifest.json").display());
    Ok(())
}

/// Trains with a progress bar on a terminal and a log line every so often otherwise.
pub fn train_with_progress(data: &Path, run: &Path, cfg: &TrainConfig) -> anyhow::Result<TrainReport> {
    let bar = if std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        let bar = indicatif::ProgressBar::new(cfg.steps as u64);
        if let Ok(style) = indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} steps {elapsed} {msg}") {
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
    report
}

pub fn describe_training(r: &TrainReport) -> String {
    format!(
        "trained {} steps in {:.1} s: {} tokens ({:.0} tokens/s), loss {:.3} -> {:.3}",
        r.steps, r.seconds, r.tokens_seen, r.tokens_per_second, r.first_loss, r.final_loss
    )
}
