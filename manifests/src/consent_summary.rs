//! `manifest.json`'s `consent`: how the consent of the run's documents was checked, and how
//! many kept documents could not be checked wholly (DESIGN.md: "where a signal could not be
//! checked, the document says so in its evidence and the manifest counts it").

use assent_schemas::{Document, Unchecked};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentSummary {
    /// Where the site-level signals of the documents came from: `crawl` (fetched by this
    /// run's crawl), `archive` (captures among the inputs), `live` (the hosts, asked during
    /// the run).
    pub site_signals: String,
    /// `[consent] unchecked`: `keep` or `refuse` (refused ones are counted under the reason
    /// `consent.unchecked`).
    pub unchecked_policy: String,
    /// Origins with a robots.txt capture among the inputs.
    pub archived_robots_origins: u64,
    /// Site-file captures (robots.txt, ai.txt, tdmrep.json, RSL) found among the inputs.
    pub archived_site_files: u64,
    /// Kept documents whose consent could not be checked wholly.
    pub unchecked_kept: u64,
    /// Of those, how many lacked each part (`site`, `page`).
    pub unchecked_kept_by_part: BTreeMap<String, u64>,
}

impl ConsentSummary {
    /// Counts the kept documents among `docs` whose consent is not wholly checked.
    pub fn count_kept(&mut self, docs: &[Document]) {
        for d in docs.iter().filter(|d| !d.consent.unchecked.is_empty()) {
            self.unchecked_kept += 1;
            for part in &d.consent.unchecked {
                *self
                    .unchecked_kept_by_part
                    .entry(part.as_str().to_string())
                    .or_default() += 1;
            }
        }
    }

    /// Takes back kept documents that a later decision dropped, by what they lacked.
    pub fn uncount_kept(&mut self, unchecked: &[Unchecked]) {
        if unchecked.is_empty() {
            return;
        }
        self.unchecked_kept = self.unchecked_kept.saturating_sub(1);
        for part in unchecked {
            if let Some(n) = self.unchecked_kept_by_part.get_mut(part.as_str()) {
                *n = n.saturating_sub(1);
            }
        }
        self.unchecked_kept_by_part.retain(|_, n| *n > 0);
    }

    /// Adds the summary of another rank of the same job (the settings are the same).
    pub fn absorb(&mut self, other: &ConsentSummary) {
        if self.site_signals.is_empty() {
            self.site_signals = other.site_signals.clone();
            self.unchecked_policy = other.unchecked_policy.clone();
        }
        // Every rank reads the site files of the whole job's inputs: the same figures.
        self.archived_robots_origins = self
            .archived_robots_origins
            .max(other.archived_robots_origins);
        self.archived_site_files = self.archived_site_files.max(other.archived_site_files);
        self.unchecked_kept += other.unchecked_kept;
        for (part, n) in &other.unchecked_kept_by_part {
            *self.unchecked_kept_by_part.entry(part.clone()).or_default() += n;
        }
    }

    /// Kept documents that lacked `part`.
    pub fn unchecked(&self, part: Unchecked) -> u64 {
        self.unchecked_kept_by_part
            .get(part.as_str())
            .copied()
            .unwrap_or(0)
    }
}
