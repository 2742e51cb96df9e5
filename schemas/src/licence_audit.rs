//! The `licence_audit` section of `manifest.json`: for each domain, how many of its pages the
//! run saw and how many carried each licence, with the share and whether the licence was
//! believed. A licence that only a few pages of a site claim is more likely copied from
//! elsewhere (laundered) than the site's own: `[licence] min_domain_share` sets the share a
//! licence needs before it is believed (the pipeline refuses, under `open-licence-only`,
//! pages whose licence is not believed).
//!
//! Counted: every page whose licences were examined (a crawled page that was fetched, kept or
//! refused at page level; every page or text record of file input), once, by its page licence
//! (the one chosen among its findings) or as `without_licence`.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// How the pipeline groups pages into domains (see `assent_ingest::consent::licence::licence_domain`).
pub const DOMAIN_KEY: &str = "host, lower-cased, without a leading www. and the port";

/// One licence's pages on one domain.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LicenceShare {
    pub pages: u64,
    /// `pages` over the domain's pages, 0 to 1 (rounded to 6 decimals in the manifest).
    pub share: f64,
    /// Whether `share` reaches the run's `min_domain_share`.
    pub believed: bool,
}

/// One domain's pages.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct DomainLicences {
    /// Pages seen (with or without a licence).
    pub pages: u64,
    /// Pages with no licence at all.
    pub without_licence: u64,
    /// By SPDX id of the page licence.
    pub licences: BTreeMap<String, LicenceShare>,
}

/// Licence shares by domain.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LicenceAudit {
    /// How pages are grouped into domains ([`DOMAIN_KEY`]).
    pub domain_key: String,
    /// The share a licence needs on its domain to be believed (`[licence] min_domain_share`).
    pub min_domain_share: f64,
    /// Pages refused because their licence was not believed (`licence.domain-share-low`).
    pub refused_pages: u64,
    pub domains: BTreeMap<String, DomainLicences>,
}

impl LicenceAudit {
    pub fn new(min_domain_share: f64) -> Self {
        LicenceAudit {
            domain_key: DOMAIN_KEY.to_string(),
            min_domain_share,
            ..Default::default()
        }
    }

    /// Counts one page of `domain` (skipped when empty) whose page licence is `spdx`.
    pub fn add(&mut self, domain: &str, spdx: Option<&str>) {
        if domain.is_empty() {
            return;
        }
        let d = self.domains.entry(domain.to_string()).or_default();
        d.pages += 1;
        match spdx {
            Some(id) => d.licences.entry(id.to_string()).or_default().pages += 1,
            None => d.without_licence += 1,
        }
    }

    /// Adds the pages another rank of the same job counted; call [`LicenceAudit::finish`]
    /// once every rank is in.
    pub fn absorb(&mut self, other: &LicenceAudit) {
        self.refused_pages += other.refused_pages;
        for (domain, theirs) in &other.domains {
            let d = self.domains.entry(domain.clone()).or_default();
            d.pages += theirs.pages;
            d.without_licence += theirs.without_licence;
            for (id, l) in &theirs.licences {
                d.licences.entry(id.clone()).or_default().pages += l.pages;
            }
        }
    }

    /// The share of `domain`'s pages seen so far whose licence is `spdx`.
    pub fn share(&self, domain: &str, spdx: &str) -> f64 {
        let Some(d) = self.domains.get(domain) else {
            return 0.0;
        };
        let n = d.licences.get(spdx).map_or(0, |l| l.pages);
        if d.pages == 0 {
            0.0
        } else {
            n as f64 / d.pages as f64
        }
    }

    /// Whether `spdx` is believed for `domain`'s pages: its share reaches the minimum.
    pub fn believed(&self, domain: &str, spdx: &str) -> bool {
        self.min_domain_share <= 0.0 || self.share(domain, spdx) >= self.min_domain_share
    }

    /// Fills in every share and belief (call once every page has been counted).
    pub fn finish(&mut self) {
        let min = self.min_domain_share;
        for d in self.domains.values_mut() {
            for l in d.licences.values_mut() {
                let share = l.pages as f64 / d.pages.max(1) as f64;
                l.believed = min <= 0.0 || share >= min;
                l.share = (share * 1e6).round() / 1e6;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_and_beliefs() {
        let mut a = LicenceAudit::new(0.5);
        for _ in 0..3 {
            a.add("garden.example", Some("CC-BY-4.0"));
        }
        a.add("garden.example", None);
        a.add("mixed.example", Some("CC-BY-4.0"));
        a.add("mixed.example", Some("CC-BY-SA-4.0"));
        a.add("mixed.example", None);
        a.add("", Some("MIT"));
        assert_eq!(a.share("garden.example", "CC-BY-4.0"), 0.75);
        assert!(a.believed("garden.example", "CC-BY-4.0"));
        assert!(!a.believed("mixed.example", "CC-BY-4.0"));
        assert!(!a.believed("nowhere.example", "CC-BY-4.0"));
        a.finish();
        let g = &a.domains["garden.example"];
        assert_eq!((g.pages, g.without_licence), (4, 1));
        assert_eq!(g.licences["CC-BY-4.0"].share, 0.75);
        assert!(g.licences["CC-BY-4.0"].believed);
        let m = &a.domains["mixed.example"];
        assert_eq!(m.licences["CC-BY-SA-4.0"].share, 0.333333);
        assert!(!m.licences["CC-BY-SA-4.0"].believed);
        assert_eq!(a.domains.len(), 2);
        // No minimum: every licence is believed.
        let mut b = LicenceAudit::new(0.0);
        b.add("x.example", Some("MIT"));
        b.add("x.example", None);
        b.add("x.example", None);
        assert!(b.believed("x.example", "MIT"));
        let json = serde_json::to_value(&a).unwrap();
        assert_eq!(
            json["domains"]["garden.example"]["licences"]["CC-BY-4.0"]["pages"],
            3
        );
    }
}
