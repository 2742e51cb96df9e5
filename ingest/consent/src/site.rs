//! What a site says about itself, however its files were obtained: fetched by the crawler,
//! fetched today for an archived page (`live`), or read from site-file captures in the inputs
//! (`archive`). The files are robots.txt (RFC 9309), ai.txt, `/.well-known/tdmrep.json` and the
//! RSL documents robots.txt names; with the opt-out registry they give the signals known before
//! a page is read ([`SiteSignals`]). Whatever these refuse, a crawl never requests.
//!
//! No networking here: the crawler (`crawl::site`) and the archive index (`archive`) build
//! [`SiteRules`] and every path a page can enter by asks the same [`SiteRules::signals`].

use super::ai_tokens::AI_TRAINING_TOKENS;
use super::aitxt::AiTxt;
use super::licence::{self, Finding};
use super::registry::OptOutRegistry;
use super::robots::RobotsPolicy;
use super::rsl::RslDocument;
use super::tdmrep::TdmRepFile;
use super::{paths, Signal};
use assent_schemas::Consent;
use std::sync::Arc;
use url::Url;

/// What an origin says about itself.
pub struct SiteRules {
    pub origin: String,
    pub robots: Arc<RobotsPolicy>,
    pub ai_txt: Option<AiTxt>,
    pub tdmrep: Option<Result<TdmRepFile, Signal>>,
    /// RSL documents named in robots.txt: parsed, or the refusal an unreadable one implies.
    pub rsl: Vec<Result<RslDocument, Signal>>,
    /// Set when robots.txt could not be fetched because the address guard refused the origin
    /// (it resolves to an internal address): its URLs are `fetch.blocked-address`, not
    /// `robots.unreachable`.
    pub blocked: Option<String>,
    /// Set when robots.txt got no HTTP answer at all (a network failure, a timeout, the time
    /// budget): the crawler treats the origin as unreachable; a live check of archived pages
    /// falls back to the archived files instead.
    pub unanswered: Option<String>,
    /// Neutral signals saying where the files came from (the WARC records of archived
    /// captures, a live check that fell back to them), added to every page's evidence.
    pub provenance: Vec<Signal>,
}

/// The site rules of a page's origin, or why there are none to be had.
#[derive(Clone)]
pub enum SiteLookup {
    Rules(Arc<SiteRules>),
    /// Site-level consent could not be checked (no robots.txt capture in the inputs, no
    /// answer from the host and none archived, no URL at all): what the evidence says.
    Unchecked(String),
}

/// Where the site files of archived pages come from: the captures among the inputs
/// (`archive`) or the hosts as they answer today (`live`). Two implementations, one per
/// `[consent] site_signals` mode; both hand back [`SiteRules`] that every page is judged by.
pub trait SiteSource: Send + Sync {
    /// Called with the URLs of a batch before any of them is looked up, so that a source
    /// that fetches can fetch for all their origins at once. Nothing to do by default.
    fn prepare(&self, _urls: &[Url]) {}
    /// The site rules of `url`'s origin.
    fn lookup(&self, url: &Url) -> SiteLookup;
    /// An RSL document a page names (an absolute URL), read, or the refusal an unreadable or
    /// missing one implies.
    fn rsl_document(&self, url: &str) -> Result<RslDocument, Signal>;
}

/// The key of an origin wherever site files are looked up: scheme, host (lower case, without
/// a trailing dot) and port, written even when it is the default.
pub fn origin_key(url: &Url) -> Option<String> {
    Some(format!(
        "{}://{}:{}",
        url.scheme(),
        paths::host_key(url.host_str()?),
        url.port_or_known_default()?
    ))
}

/// Signals known before a page is requested.
#[derive(Clone, Debug, Default)]
pub struct SiteSignals {
    /// robots.txt for our own token (may we fetch?).
    pub fetch: Vec<Signal>,
    /// Everything else (may we train?).
    pub training: Vec<Signal>,
    /// The standard licences (`<standard>`) of the RSL documents robots.txt names, for the
    /// content that governs this URL: licence findings of every page they cover.
    pub licences: Vec<Finding>,
}

impl SiteSignals {
    /// The refusal these site-level signals amount to, if any: such a URL is never requested.
    pub fn refusal(&self) -> Option<Consent> {
        let all: Vec<Signal> = self.fetch.iter().chain(&self.training).cloned().collect();
        super::decision::site_level_refusal(&all)
    }
}

impl SiteRules {
    /// Rules of an origin that publishes nothing but the robots policy given.
    pub fn with_robots(origin: String, robots: Arc<RobotsPolicy>) -> SiteRules {
        SiteRules {
            origin,
            robots,
            ai_txt: None,
            tdmrep: None,
            rsl: Vec::new(),
            blocked: None,
            unanswered: None,
            provenance: Vec::new(),
        }
    }

    /// The signals for `url` known before fetching it, for the crawler token `token`, with
    /// the opt-out registry's entry for it if any.
    pub fn signals(
        &self,
        token: &str,
        registry: Option<&OptOutRegistry>,
        url: &Url,
    ) -> SiteSignals {
        let fetch = vec![self.robots.fetch_signal(token, url.as_str())];
        let mut training = self.provenance.clone();
        training.extend(
            self.robots
                .robots_signals(token, url.as_str(), AI_TRAINING_TOKENS),
        );
        if let Some(ai) = &self.ai_txt {
            training.extend(ai.signal_for(token, url.as_str()));
        }
        match &self.tdmrep {
            Some(Ok(file)) => training.extend(file.signal(&paths::request_path(url.as_str()))),
            Some(Err(refusal)) => training.push(refusal.clone()),
            None => {}
        }
        let mut licences = Vec::new();
        for doc in &self.rsl {
            match doc {
                Ok(d) => {
                    training.push(d.signal(url));
                    licences.extend(licence::rsl_findings(d, Some(url)));
                }
                Err(s) => training.push(s.clone()),
            }
        }
        if let Some(reg) = registry {
            training.extend(reg.check(url));
        }
        SiteSignals {
            fetch,
            training,
            licences,
        }
    }
}
