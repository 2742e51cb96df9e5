//! The pipeline configuration: one TOML file describes a run.
//!
//! Every section is a serde struct with defaults that work, so an empty file (or none) is a
//! valid configuration. `assent.example.toml` at the repository root shows every option with
//! its default; a test keeps the two in step.

use serde::{Deserialize, Serialize};
use std::path::Path;

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub pipeline: PipelineConfig,
    pub output: OutputConfig,
    pub lang: LangConfig,
    /// The quality rules' thresholds, FineWeb's by default (`[quality.gopher_repetition]`,
    /// `[quality.gopher_quality]`, `[quality.c4]`, `[quality.fineweb]`).
    pub quality: assent_filter::RulesConfig,
    pub crawl: assent_ingest::crawl::CrawlConfig,
    pub consent: ConsentConfig,
    pub licence: LicenceConfig,
    /// The `near-dedup` step and `assent dedup`: MinHash settings (`[near_dedup.minhash]`,
    /// FineWeb's by default) and the signature stage's memory.
    pub near_dedup: assent_dedup::near::NearConfig,
    pub train: assent_train::TrainConfig,
    pub log: LogConfig,
    pub dataset: DatasetConfig,
}

/// How the corpus presents itself in `croissant.json` and the dataset card (`README.md`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DatasetConfig {
    /// Unset: the output directory's name.
    pub name: Option<String>,
    /// Who made it (a person or an organisation).
    pub creator: Option<String>,
    /// Its web page. Unset: https://ORIGIN of the provenance log.
    pub url: Option<String>,
    /// Unset: a description written from the run's counts.
    pub description: Option<String>,
}

/// The provenance log (`OUT/log/`) and the key that signs its checkpoints.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogConfig {
    /// The log's public name, e.g. `corpus.example.org/web-2026`: the origin line of its
    /// checkpoints and the name of its signing key. Fixed when the log is first published.
    /// Unset: the name it was first published under, else `localhost/assent/DIRNAME`.
    pub origin: Option<String>,
    /// The Ed25519 signing key (a C2SP skey file, made on first use, mode 0600); keep it out
    /// of the corpus. Unset: $ASSENT_LOG_KEY, else
    /// `$XDG_CONFIG_HOME/assent/keys/ORIGIN.skey` (`~/.config` without XDG_CONFIG_HOME).
    pub key: Option<std::path::PathBuf>,
}

/// How work is cut up and spread over cores and machines.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PipelineConfig {
    /// Records per batch handed from one stage to the next.
    pub batch_size: usize,
    /// A batch is also handed on once its payloads reach this many bytes, so that a few huge
    /// pages cannot make a batch (and memory) large.
    pub batch_bytes: usize,
    /// Batches that may wait between two stages; with `batch_size` this bounds memory.
    pub channel_batches: usize,
    /// Worker threads for the per-document stages; 0 uses every core.
    pub threads: usize,
    /// This task's rank among `world_size` tasks; each takes every world_size-th input file.
    /// Unset: read from SLURM_ARRAY_TASK_ID, JOB_COMPLETION_INDEX or RANK, else 0.
    pub rank: Option<u32>,
    /// Number of tasks. Unset: SLURM_ARRAY_TASK_COUNT or WORLD_SIZE, else 1.
    pub world_size: Option<u32>,
    /// Files the ranks' partial state (exact-dedup claims) is partitioned into by hash; the
    /// job's end reads one partition at a time, so memory there is about 1/partitions of the
    /// job's kept documents.
    pub exchange_partitions: u32,
    /// Bytes of memory URL and exact dedup may hold: exact dedup's set of texts seen in a
    /// rank stops growing there, and a partition of claims larger than it is sorted on disk.
    pub dedup_memory_bytes: u64,
    /// The steps after admission (decode, consent and licence, extract), in order:
    /// per-document steps first, then stream steps (see `steps`).
    pub steps: Vec<String>,
}

impl Default for PipelineConfig {
    fn default() -> Self {
        PipelineConfig {
            batch_size: 256,
            batch_bytes: 8 << 20,
            channel_batches: 4,
            threads: 0,
            rank: None,
            world_size: None,
            exchange_partitions: 16,
            dedup_memory_bytes: 1 << 30,
            steps: crate::steps::DEFAULT_STEPS.map(str::to_string).to_vec(),
        }
    }
}

/// Where and how results are written.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OutputConfig {
    /// Output directory of `assent run` (the other commands take `--out`).
    pub dir: std::path::PathBuf,
    /// A shard is closed once it holds this many bytes of text (default 256 MiB).
    pub shard_text_bytes: u64,
}

impl Default for OutputConfig {
    fn default() -> Self {
        OutputConfig {
            dir: "assent-out".into(),
            shard_text_bytes: assent_manifests::shards::DEFAULT_SHARD_TEXT_BYTES,
        }
    }
}

/// Language identification and selection.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LangConfig {
    /// ISO 639-1 codes to keep (`["en", "de"]`); empty keeps every language.
    pub allowed: Vec<String>,
    /// Documents whose language confidence is below this are dropped; 0 keeps all.
    pub min_score: f32,
}

/// Consent for input that was not crawled by this run: WARC/WET archives and text from other
/// tools. Pages are judged by the same rules as a crawl's (the policy, token, allowed licences
/// and opt-out registry of `[crawl]` apply to them too): page-level signals from the headers
/// and markup stored with each response, site-level signals from the site files set here.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ConsentConfig {
    /// Where site-level signals (robots.txt, ai.txt, tdmrep.json, RSL) of archived pages come
    /// from: `archive` (the default) reads the captures of those files among the inputs and
    /// fetches nothing; `live` asks each host today through the crawler's fetching
    /// (politeness, caps, address guard, `[crawl] resolve`), falling back to the archived
    /// files of a host that gives no answer.
    pub site_signals: SiteSignalsMode,
    /// What happens to a document whose consent could not be checked (no site files of its
    /// host; text input without headers or markup): `keep` (the default; the document and the
    /// manifest say so) or `refuse` (`consent.unchecked`).
    pub unchecked: UncheckedPolicy,
    /// WARC files holding site-file captures only (such as the robots.txt archives Common
    /// Crawl publishes beside each crawl), read by every task of a job, besides the site
    /// files among the job's own WARC inputs.
    pub site_files: Vec<std::path::PathBuf>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum SiteSignalsMode {
    #[default]
    Archive,
    Live,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum UncheckedPolicy {
    #[default]
    Keep,
    Refuse,
}

/// How far a page's licence is believed: the laundering guard.
///
/// A licence that only a few of a site's pages claim is more likely copied from elsewhere
/// (laundered through a page that is not the site's own) than the site's licence. Every run
/// writes each domain's licence shares into `manifest.json` (`licence_audit`); with
/// `min_domain_share` above 0, a licence carried by a smaller share of its domain's pages
/// (domain = host without `www.`) is not believed, and under the policy
/// `open-licence-only` such pages are refused with `licence.domain-share-low`. Shares are
/// only known once the run has seen every page, so those pages wait on disk (`OUT/tmp/`)
/// until the end of the run and are written or refused then.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LicenceConfig {
    /// Share of a domain's pages (0 to 1) that must carry a licence before it is believed for
    /// them; 0 believes every licence.
    pub min_domain_share: f64,
}

impl Config {
    pub fn load(path: &Path) -> anyhow::Result<Config> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| anyhow::anyhow!("cannot read config {}: {e}", path.display()))?;
        toml::from_str(&text).map_err(|e| anyhow::anyhow!("config {}: {e}", path.display()))
    }

    /// Rank and world size: the configuration, else the scheduler's environment.
    pub fn rank_and_world(&self) -> anyhow::Result<(u32, u32)> {
        let env_u32 = |names: &[&str]| {
            names
                .iter()
                .find_map(|n| std::env::var(n).ok())
                .and_then(|v| v.trim().parse::<u32>().ok())
        };
        // A Slurm array need not start at 0 (`--array=1-4`): the rank is the task's place in it.
        let slurm = env_u32(&["SLURM_ARRAY_TASK_ID"])
            .map(|id| id.saturating_sub(env_u32(&["SLURM_ARRAY_TASK_MIN"]).unwrap_or(0)));
        let rank = self
            .pipeline
            .rank
            .or(slurm)
            .or_else(|| env_u32(&["JOB_COMPLETION_INDEX", "RANK"]))
            .unwrap_or(0);
        let world = self
            .pipeline
            .world_size
            .or_else(|| env_u32(&["SLURM_ARRAY_TASK_COUNT", "WORLD_SIZE"]))
            .unwrap_or(1);
        anyhow::ensure!(
            world >= 1 && rank < world,
            "rank {rank} is not below world size {world}"
        );
        Ok((rank, world))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_config_is_the_default() {
        assert_eq!(toml::from_str::<Config>("").unwrap(), Config::default());
    }

    #[test]
    fn example_config_parses_and_states_the_defaults() {
        let example = include_str!("../assent.example.toml");
        let parsed: Config = toml::from_str(example).expect("assent.example.toml parses");
        assert_eq!(
            parsed,
            Config::default(),
            "the example config must show the defaults"
        );
    }

    #[test]
    fn unknown_keys_are_rejected_with_their_name() {
        let err = toml::from_str::<Config>("[lang]\nallowd = [\"en\"]\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("allowd"), "{err}");
    }

    #[test]
    fn licence_section_parses() {
        let c: Config = toml::from_str("[licence]\nmin_domain_share = 0.25\n").unwrap();
        assert_eq!(c.licence.min_domain_share, 0.25);
        assert!(toml::from_str::<Config>("[licence]\nmin_share = 1\n").is_err());
    }

    #[test]
    fn consent_section_parses() {
        let c: Config = toml::from_str(
            "[consent]\nsite_signals = \"live\"\nunchecked = \"refuse\"\nsite_files = [\"r.warc.gz\"]\n",
        )
        .unwrap();
        assert_eq!(c.consent.site_signals, SiteSignalsMode::Live);
        assert_eq!(c.consent.unchecked, UncheckedPolicy::Refuse);
        assert_eq!(c.consent.site_files.len(), 1);
        assert!(toml::from_str::<Config>("[consent]\nsite_signals = \"web\"\n").is_err());
    }

    #[test]
    fn rank_beyond_world_is_an_error() {
        let mut c = Config::default();
        c.pipeline.rank = Some(3);
        c.pipeline.world_size = Some(2);
        assert!(c.rank_and_world().is_err());
        c.pipeline.rank = Some(1);
        assert_eq!(c.rank_and_world().unwrap(), (1, 2));
    }
}
