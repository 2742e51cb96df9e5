//! The site files that archived pages are judged by, gathered before curation starts.
//!
//! For file input, every WARC input of the job (not only this rank's) and every `[consent] site_files` archive is
//! read once for its site-file captures ([`SiteFileIndex::scan`]), which also gives each
//! file's sha256 for the manifest, so that the curation's own pass need not hash it again.
//! In `archive` mode those captures are the site-level signals; in `live` mode the hosts are
//! asked as batches arrive ([`LiveSites`]), and the captures stand in for hosts that give no
//! answer. A crawl judges its own pages as it fetches them; its source here stays empty.

use super::RecordSource;
use crate::config::{Config, SiteSignalsMode, UncheckedPolicy};
use crate::inputs::InputKind;
use anyhow::Context;
use assent_ingest::archive::{ArchivedSites, FileDigest, SiteFileIndex};
use assent_ingest::consent::site::SiteSource;
use assent_ingest::crawl::live::LiveSites;
use assent_ingest::file_consent::FileConsent;
use assent_manifests::{ConsentSummary, InputFile};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// What the per-document stages judge file input by, and what the manifest says of it.
pub struct SiteConsent {
    pub consent: Arc<FileConsent>,
    /// Size and sha256 of the WARC inputs already read by the scan.
    pub digests: HashMap<PathBuf, FileDigest>,
    pub summary: ConsentSummary,
    /// The `[consent] site_files` archives, for the manifest's inputs.
    site_file_inputs: Vec<InputFile>,
    live: Option<Arc<LiveSites>>,
}

impl SiteConsent {
    pub fn gather(
        source: &RecordSource,
        out: &Path,
        config: &Config,
        rank: u32,
    ) -> anyhow::Result<SiteConsent> {
        let mut index =
            SiteFileIndex::new(&out.join("tmp").join(format!("site-files-{rank:05}.spill")));
        let mut digests = HashMap::new();
        let mut site_file_inputs = Vec::new();
        let live_mode = matches!(source, RecordSource::Files(_))
            && config.consent.site_signals == SiteSignalsMode::Live;
        let mode = match source {
            RecordSource::Crawl(_) => "crawl",
            RecordSource::Files(_) if live_mode => "live",
            RecordSource::Files(_) => "archive",
        };
        if let RecordSource::Files(specs) = source {
            for path in &config.consent.site_files {
                let name = path.display().to_string();
                let digest = index
                    .scan(path, &name)
                    .with_context(|| format!("cannot read the site-file archive {name}"))?;
                site_file_inputs.push(InputFile {
                    path: name,
                    kind: "site-files".into(),
                    bytes: digest.bytes,
                    sha256: digest.sha256,
                });
            }
            // Every WARC input of the job, not only this rank's share: a page's robots.txt may
            // have been archived in a file another rank reads, and a rank that missed it
            // would keep the page as unchecked where a single process refuses it.
            for spec in specs {
                if spec.kind != InputKind::Warc {
                    continue;
                }
                // A file that cannot be read is reported by the curation's own pass.
                if let Ok(digest) = index.scan(&spec.path, &spec.display_name()) {
                    digests.insert(spec.path.clone(), digest);
                }
            }
        }
        let (origins, captures) = index.counts();
        let archive = Arc::new(ArchivedSites::new(index));
        let mut live = None;
        let sites: Arc<dyn SiteSource> = if live_mode {
            let warc = out
                .join("warc")
                .join(format!("site-files-{rank:05}.warc.gz"));
            let checker = LiveSites::start(config.crawl.clone(), &warc, Some(archive))
                .context("cannot start the live site check")?;
            let checker = Arc::new(checker);
            live = Some(checker.clone());
            checker
        } else {
            archive
        };
        let consent = Arc::new(FileConsent {
            source: sites,
            registry: config.crawl.load_registry()?,
            token: config.crawl.user_agent_token.clone(),
            policy: config.crawl.policy,
            allowed_licences: config.crawl.accepted_licences(),
            refuse_unchecked: config.consent.unchecked == UncheckedPolicy::Refuse,
        });
        let summary = ConsentSummary {
            site_signals: mode.to_string(),
            unchecked_policy: match config.consent.unchecked {
                UncheckedPolicy::Keep => "keep",
                UncheckedPolicy::Refuse => "refuse",
            }
            .to_string(),
            archived_robots_origins: origins as u64,
            archived_site_files: captures as u64,
            ..ConsentSummary::default()
        };
        Ok(SiteConsent {
            consent,
            digests,
            summary,
            site_file_inputs,
            live,
        })
    }

    /// Ends the live check (its WARC flushed) and returns the inputs the decisions rested on
    /// besides the pages' own: the site-file archives, and the live check's WARC.
    pub fn finish(self) -> anyhow::Result<Vec<InputFile>> {
        let SiteConsent {
            consent,
            site_file_inputs,
            live,
            ..
        } = self;
        drop(consent);
        let mut inputs = site_file_inputs;
        if let Some(live) = live {
            let live = Arc::try_unwrap(live)
                .map_err(|_| anyhow::anyhow!("the live site check is still in use"))?;
            let warc = live.warc_path().to_path_buf();
            live.finish().context("the live site check's WARC")?;
            inputs.push(InputFile {
                path: warc.display().to_string(),
                kind: "live-site-files".into(),
                bytes: std::fs::metadata(&warc).map(|m| m.len()).unwrap_or(0),
                sha256: assent_manifests::sha256_file(&warc).unwrap_or_default(),
            });
        }
        Ok(inputs)
    }
}
