//! [`SiteRules`] of origins, built from the captures of a [`SiteFileIndex`].

use super::index::{Capture, SiteFile, SiteFileIndex};
use assent_consent::aitxt::AiTxt;
use assent_consent::robots::{RobotsFetch, RobotsPolicy};
use assent_consent::rsl::{self, RslDocument};
use assent_consent::site::{origin_key, SiteLookup, SiteRules, SiteSource};
use assent_consent::tdmrep::TdmRepFile;
use assent_consent::{Signal, Verdict};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use url::Url;

/// Most origins whose rules are kept built at once; past it the cache starts over.
const CACHE: usize = 8192;

/// Redirects followed from one robots.txt capture to another (RFC 9309 section 2.3.1.2).
const MAX_ROBOTS_REDIRECTS: usize = 5;

/// Site rules from archived captures (see the module docs of [`crate::archive`]).
pub struct ArchivedSites {
    index: SiteFileIndex,
    cache: Mutex<HashMap<String, SiteLookup>>,
}

/// The neutral evidence of an archived site file: used, and from where.
fn capture_signal(file: SiteFile, capture: &Capture, sha256: &str) -> Signal {
    let raw = format!("{} {}", file.path(), capture.provenance());
    Signal::new("archive.site-file", &capture.url, &raw, Verdict::Neutral)
        .fetched(capture.fetched_at, Some(sha256.to_string()))
}

/// The neutral evidence of a site file that no input holds.
fn missing_signal(file: SiteFile, origin: &str) -> Signal {
    Signal::new(
        "archive.site-file",
        &format!("{origin}{}", file.path()),
        &format!("{}: no capture among the inputs", file.path()),
        Verdict::Neutral,
    )
}

impl ArchivedSites {
    pub fn new(index: SiteFileIndex) -> ArchivedSites {
        ArchivedSites {
            index,
            cache: Mutex::new(HashMap::new()),
        }
    }

    pub fn index(&self) -> &SiteFileIndex {
        &self.index
    }

    /// The body of a capture; an unreadable spill file reads as empty (and so, for robots.txt,
    /// as a file without rules: the evidence still names the capture).
    fn body(&self, capture: &Capture) -> Vec<u8> {
        self.index.body(capture).unwrap_or_default()
    }

    /// The robots policy of a capture, following redirects through the captures; the
    /// captures used, in order. `Err`: a redirect leads to a file that no input holds.
    fn robots(&self, first: &Capture) -> Result<(RobotsPolicy, Vec<Capture>), String> {
        let mut used = vec![first.clone()];
        let mut current = first.clone();
        loop {
            match current.status {
                300..=399 => {
                    if used.len() > MAX_ROBOTS_REDIRECTS {
                        let why = format!(
                            "more than {MAX_ROBOTS_REDIRECTS} redirects from {}",
                            first.url
                        );
                        return Ok((
                            RobotsPolicy::from_fetch(RobotsFetch::TooManyRedirects { why }),
                            used,
                        ));
                    }
                    let target = current
                        .location
                        .as_deref()
                        .and_then(|l| Url::parse(&current.url).ok()?.join(l).ok());
                    let next = target.as_ref().and_then(|t| {
                        let origin = origin_key(t)?;
                        (t.path() == SiteFile::Robots.path())
                            .then(|| self.index.capture(&origin, SiteFile::Robots))
                            .flatten()
                    });
                    let Some(next) = next else {
                        return Err(format!(
                            "{} redirects to {}, which no input holds",
                            current.url,
                            target.map_or_else(|| "nowhere".to_string(), |t| t.to_string())
                        ));
                    };
                    if used.iter().any(|u| u.url == next.url) {
                        let why = format!("a redirect loop from {}", first.url);
                        return Ok((
                            RobotsPolicy::from_fetch(RobotsFetch::TooManyRedirects { why }),
                            used,
                        ));
                    }
                    used.push(next.clone());
                    current = next.clone();
                }
                status => {
                    let fetch = RobotsFetch::Found {
                        // The rules apply to the origin first asked about (section 2.3.1.2).
                        url: first.url.clone(),
                        status,
                        body: self.body(&current),
                        fetched_at: current.fetched_at.unwrap_or_default(),
                    };
                    return Ok((RobotsPolicy::from_fetch(fetch), used));
                }
            }
        }
    }

    /// The rules of `url`'s origin from its captures, with `note` added to their evidence
    /// (built afresh, not cached): what a live check that got no answer falls back to.
    pub fn rules_with(&self, url: &Url, note: Signal) -> SiteLookup {
        match self.build(url) {
            SiteLookup::Rules(rules) => match Arc::try_unwrap(rules) {
                Ok(mut rules) => {
                    rules.provenance.insert(0, note);
                    SiteLookup::Rules(Arc::new(rules))
                }
                Err(shared) => SiteLookup::Rules(shared),
            },
            unchecked => unchecked,
        }
    }

    /// The capture of `file` for `origin` and its body, named in `rules`' evidence (as used,
    /// or as missing from the inputs).
    fn read(
        &self,
        origin: &str,
        file: SiteFile,
        rules: &mut SiteRules,
    ) -> Option<(&Capture, Vec<u8>)> {
        let Some(c) = self.index.capture(origin, file) else {
            rules.provenance.push(missing_signal(file, origin));
            return None;
        };
        let body = self.body(c);
        let sha = assent_consent::robots::sha256_hex(&body);
        rules.provenance.push(capture_signal(file, c, &sha));
        Some((c, body))
    }

    fn build(&self, url: &Url) -> SiteLookup {
        let Some(origin) = origin_key(url) else {
            return SiteLookup::Unchecked(format!("{url}: no host"));
        };
        let Some(robots_capture) = self.index.capture(&origin, SiteFile::Robots) else {
            return SiteLookup::Unchecked(format!("no robots.txt of {origin} among the inputs"));
        };
        let (policy, used) = match self.robots(robots_capture) {
            Ok(found) => found,
            Err(why) => return SiteLookup::Unchecked(why),
        };
        let sha = match &policy {
            RobotsPolicy::Rules(txt) => txt.sha256().to_string(),
            _ => assent_consent::robots::sha256_hex(&self.body(robots_capture)),
        };
        let mut rules =
            SiteRules::with_robots(url.origin().ascii_serialization(), Arc::new(policy));
        rules.provenance.extend(
            used.iter()
                .map(|c| capture_signal(SiteFile::Robots, c, &sha)),
        );
        if let RobotsPolicy::DisallowAll { .. } = *rules.robots {
            return SiteLookup::Rules(Arc::new(rules));
        }
        if let Some((c, body)) = self.read(&origin, SiteFile::AiTxt, &mut rules) {
            let at = c.fetched_at.unwrap_or_default();
            rules.ai_txt = AiTxt::from_response(&c.url, c.status, &body, at);
        }
        if let Some((c, body)) = self.read(&origin, SiteFile::TdmRep, &mut rules) {
            if c.status == 200 {
                rules.tdmrep = Some(TdmRepFile::parse(&body, &c.url).map_err(|e| e.signal()));
            }
        }
        let robots_url = url
            .join(SiteFile::Robots.path())
            .map(String::from)
            .unwrap_or_default();
        let (named, cap) = rsl::capped(rules.robots.rsl_licences(), &robots_url);
        for n in named {
            let doc = match url.join(&n) {
                Ok(u) => self.rsl_document(u.as_str()),
                Err(_) => Err(rsl::unavailable_signal(&n, "not a URL")),
            };
            rules.rsl.push(doc);
        }
        rules.rsl.extend(cap.map(Err));
        SiteLookup::Rules(Arc::new(rules))
    }

    /// Whether any input holds a robots.txt capture of `url`'s origin.
    pub fn has_robots(&self, url: &Url) -> bool {
        origin_key(url).is_some_and(|o| self.index.capture(&o, SiteFile::Robots).is_some())
    }
}

impl SiteSource for ArchivedSites {
    fn lookup(&self, url: &Url) -> SiteLookup {
        let Some(origin) = origin_key(url) else {
            return SiteLookup::Unchecked(format!("{url}: no host"));
        };
        if let Some(found) = self
            .cache
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&origin)
        {
            return found.clone();
        }
        let built = self.build(url);
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        if cache.len() >= CACHE {
            cache.clear();
        }
        cache.insert(origin, built.clone());
        built
    }

    fn rsl_document(&self, url: &str) -> Result<RslDocument, Signal> {
        let parsed = Url::parse(url).map_err(|_| rsl::unavailable_signal(url, "not a URL"))?;
        let Some(c) = self.index.rsl_capture(&parsed) else {
            return Err(rsl::unavailable_signal(
                url,
                "no capture of it among the inputs",
            ));
        };
        if c.status != 200 {
            return Err(rsl::unavailable_signal(
                url,
                &format!("its capture answered HTTP {}: {}", c.status, c.provenance()),
            ));
        }
        RslDocument::parse(&self.body(c), url)
            .map_err(|e| rsl::unavailable_signal(url, &format!("{e} ({})", c.provenance())))
    }
}
