//! What a robots.txt fetch outcome means (RFC 9309 section 2.3.1).
//!
//! The crawler does the fetching: it requests `/robots.txt` on the page's origin, follows up to
//! five redirects (the file found at the end applies to the *original* origin, whatever host it
//! was served from), and reports one [`RobotsFetch`]. RFC 9309 names two failures apart:
//! - "unavailable" (section 2.3.1.3: a 4xx other than 429, and, by section 2.3.1.2, more than
//!   five consecutive redirects or a redirect loop): the crawler may access any resource;
//! - "unreachable" (section 2.3.1.4: a 5xx, a 429, a timeout or a network failure): the crawler
//!   must assume complete disallow.

use super::RobotsTxt;
use crate::{Signal, Verdict};
use assent_schemas::ReasonCode;
use chrono::{DateTime, Utc};

/// The outcome of fetching a robots.txt, as the crawler reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RobotsFetch {
    /// A response with a body: normally 2xx. `url` is the robots.txt URL first requested.
    Found {
        url: String,
        status: u16,
        body: Vec<u8>,
        fetched_at: DateTime<Utc>,
    },
    /// 4xx other than 429: there is no robots.txt, everything may be fetched.
    ClientError(u16),
    /// More than five redirects, or a loop: "unavailable" (RFC 9309 section 2.3.1.2), so
    /// everything may be fetched.
    TooManyRedirects { why: String },
    /// 5xx, 429, network failure: the robots.txt is unreachable, and nothing on the origin may
    /// be fetched (we do not use RFC 9309's option to treat a long-unreachable file as absent:
    /// asking again later is cheap, guessing wrong is not).
    Unreachable { why: String },
}

/// What a fetch outcome lets us do on an origin.
// Policies are built once per origin and shared behind an `Arc` (see `RobotsCache`), so the
// size of the `Rules` variant costs nothing worth boxing for.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum RobotsPolicy {
    /// A robots.txt was found and parsed.
    Rules(RobotsTxt),
    /// No robots.txt to be had (a 4xx other than 429, too many redirects): fetch anything.
    /// `why` is what the evidence says.
    AllowAll { why: String },
    /// Unreachable robots.txt: fetch nothing.
    DisallowAll { why: String },
}

impl RobotsPolicy {
    /// Interprets a fetch outcome. A `Found` whose status is not 2xx is read by its status, so a
    /// crawler that reports every response as `Found` still gets RFC 9309's meaning.
    pub fn from_fetch(fetch: RobotsFetch) -> RobotsPolicy {
        match fetch {
            RobotsFetch::Found {
                url,
                status,
                body,
                fetched_at,
            } => match status {
                200..=299 => RobotsPolicy::Rules(RobotsTxt::parse(&url, &body, fetched_at)),
                429 => RobotsPolicy::DisallowAll {
                    why: format!("{url}: HTTP 429"),
                },
                400..=499 => RobotsPolicy::AllowAll {
                    why: format!("HTTP {status}: no robots.txt"),
                },
                _ => RobotsPolicy::DisallowAll {
                    why: format!("{url}: HTTP {status}"),
                },
            },
            RobotsFetch::ClientError(429) => RobotsPolicy::DisallowAll {
                why: "HTTP 429".to_string(),
            },
            RobotsFetch::ClientError(status) => RobotsPolicy::AllowAll {
                why: format!("HTTP {status}: no robots.txt"),
            },
            RobotsFetch::TooManyRedirects { why } => RobotsPolicy::AllowAll {
                why: format!("unavailable: {why}"),
            },
            RobotsFetch::Unreachable { why } => RobotsPolicy::DisallowAll { why },
        }
    }

    /// The fetch decision for `url`: `robots` Allow, Refuse(RobotsDisallow), or
    /// Refuse(RobotsUnreachable) when the robots.txt could not be had.
    pub fn fetch_signal(&self, our_token: &str, url: &str) -> Signal {
        let found_in = robots_url(url);
        match self {
            RobotsPolicy::Rules(txt) => txt.fetch_signal(our_token, url),
            RobotsPolicy::AllowAll { why } => Signal::new(
                "robots",
                &found_in,
                &format!("robots.txt {why}"),
                Verdict::Allow,
            ),
            RobotsPolicy::DisallowAll { why } => Signal::new(
                "robots",
                &found_in,
                &format!("robots.txt unreachable: {why}"),
                Verdict::Refuse(ReasonCode::RobotsUnreachable),
            ),
        }
    }

    /// Whether `our_token` may fetch `url`.
    pub fn allows(&self, our_token: &str, url: &str) -> bool {
        match self {
            RobotsPolicy::Rules(txt) => txt.allows(our_token, url),
            RobotsPolicy::AllowAll { .. } => true,
            RobotsPolicy::DisallowAll { .. } => false,
        }
    }

    /// Training signals from the robots.txt (none without one; an unreachable file's refusal
    /// is the fetch signal's, since such a page is never fetched).
    pub fn robots_signals(&self, our_token: &str, url: &str, ai_tokens: &[&str]) -> Vec<Signal> {
        match self {
            RobotsPolicy::Rules(txt) => txt.robots_signals(our_token, url, ai_tokens),
            _ => Vec::new(),
        }
    }

    pub fn crawl_delay(&self, our_token: &str) -> Option<f64> {
        match self {
            RobotsPolicy::Rules(txt) => txt.crawl_delay(our_token),
            _ => None,
        }
    }

    pub fn sitemaps(&self) -> Vec<String> {
        match self {
            RobotsPolicy::Rules(txt) => txt.sitemaps(),
            _ => Vec::new(),
        }
    }

    pub fn rsl_licences(&self) -> Vec<String> {
        match self {
            RobotsPolicy::Rules(txt) => txt.rsl_licences(),
            _ => Vec::new(),
        }
    }
}

/// `scheme://authority/robots.txt` for a page URL (the page URL itself if it cannot be parsed).
fn robots_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(u) => u
            .join("/robots.txt")
            .map(String::from)
            .unwrap_or_else(|_| url.to_string()),
        Err(_) => url.to_string(),
    }
}
