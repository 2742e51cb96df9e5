//! Crawl configuration: every knob with a default that is safe to run against the open web.

use assent_consent::registry::OptOutRegistry;
use assent_consent::Policy;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::time::Duration;

/// How a crawl runs. Every field has a default (`#[serde(default)]`), so a TOML table with only
/// `seeds` is a complete configuration.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CrawlConfig {
    /// Start URLs (http or https). Depth 0.
    pub seeds: Vec<String>,
    /// How many links away from a seed the crawl goes (same host only). Default 2.
    pub max_depth: u32,
    /// Most pages requested in the whole crawl (site files such as robots.txt not counted).
    /// URLs still queued when it is reached get a `fetch.not-reached` row. Default 1000.
    pub max_pages: usize,
    /// The product token robots.txt groups are matched against. Default `AssentBot`.
    pub user_agent_token: String,
    /// The full User-Agent header. Default `AssentBot/0.1 (consent-respecting research crawler)`.
    pub user_agent: String,
    /// `opt-out` (default) or `open-licence-only`.
    pub policy: Policy,
    /// The opt-out registry file, if any.
    pub registry: Option<PathBuf>,
    /// curl-style `HOST:PORT:ADDR` entries: connect to ADDR when a URL names HOST and PORT.
    /// Hosts named here may resolve to private or loopback addresses (the operator asked for it).
    /// Unlike curl, a mapped host is never looked up in DNS: a URL naming it on a port the map
    /// does not list is refused (`fetch.blocked-address`).
    pub resolve: Vec<String>,
    /// Lift the address guard (loopback, private, link-local, metadata...). Default false.
    pub allow_private: bool,
    /// Requests in flight to one host at a time. Default 1.
    pub per_host_concurrency: usize,
    /// Seconds between requests to one host when robots.txt names no longer Crawl-delay.
    /// Default 1.0.
    pub delay_secs: f64,
    /// The longest robots.txt Crawl-delay honoured, in seconds (longer ones are capped).
    /// Default 30.
    pub max_crawl_delay_secs: f64,
    /// Timeout of one request, connection to last body byte, in seconds. Default 30.
    pub timeout_secs: f64,
    /// Redirects followed from one URL. Default 5.
    pub max_redirects: usize,
    /// Most bytes read from one response body as received (compressed). Default 10 MiB.
    pub max_body_bytes: usize,
    /// Most bytes a body may decompress to. Default 50 MiB.
    pub max_decompressed_bytes: usize,
    /// Also crawl URLs from sitemaps named in robots.txt. Default false.
    pub follow_sitemaps: bool,
    /// Hosts crawled at the same time. Default 16.
    pub max_hosts_in_flight: usize,
    /// Licences (SPDX ids) accepted under policy `open-licence-only`. Empty = the consent
    /// module's default list.
    pub allowed_licences: Vec<String>,
    /// Retries after a 429 or 503 with Retry-After. Default 2.
    pub max_retries: u32,
    /// The longest Retry-After waited for, in seconds; a longer one fails at once. Default 120.
    pub max_retry_after_secs: f64,
    /// The time a host may hold one URL, in seconds: from when the crawl takes it to its last
    /// response, politeness waits, retries, Retry-After and redirects included (and, for an
    /// origin's site files, all of them together). Spent: `fetch.time-budget`. Default 60.
    pub url_budget_secs: f64,
    /// Gzip level (0-9) of the WARC the crawl writes: 6 as zlib and Common Crawl; 1 spends
    /// about half the CPU for a file about 10% larger. Compressing the WARC is the largest
    /// part of the crawler's own CPU time.
    pub warc_gzip_level: u32,
    /// PEM files of certificate authorities trusted for HTTPS besides the system's own (an
    /// intranet's CA, or a test's self-signed one).
    pub ca_certs: Vec<PathBuf>,
}

impl Default for CrawlConfig {
    fn default() -> Self {
        CrawlConfig {
            seeds: Vec::new(),
            max_depth: 2,
            max_pages: 1000,
            user_agent_token: "AssentBot".into(),
            user_agent: "AssentBot/0.1 (consent-respecting research crawler)".into(),
            policy: Policy::OptOut,
            registry: None,
            resolve: Vec::new(),
            allow_private: false,
            per_host_concurrency: 1,
            delay_secs: 1.0,
            max_crawl_delay_secs: 30.0,
            timeout_secs: 30.0,
            max_redirects: 5,
            max_body_bytes: 10 * 1024 * 1024,
            max_decompressed_bytes: 50 * 1024 * 1024,
            follow_sitemaps: false,
            max_hosts_in_flight: 16,
            allowed_licences: Vec::new(),
            max_retries: 2,
            max_retry_after_secs: 120.0,
            url_budget_secs: 60.0,
            warc_gzip_level: assent_inputs::warc::DEFAULT_GZIP_LEVEL,
            ca_certs: Vec::new(),
        }
    }
}

impl CrawlConfig {
    /// The licences accepted under `open-licence-only`: the configured ones, else the
    /// consent module's default list.
    pub fn accepted_licences(&self) -> Vec<String> {
        if self.allowed_licences.is_empty() {
            assent_consent::licence::default_allowed()
        } else {
            self.allowed_licences.clone()
        }
    }

    /// The opt-out registry, read from its file, if one is configured.
    pub fn load_registry(&self) -> Result<Option<OptOutRegistry>, super::CrawlError> {
        self.registry
            .as_ref()
            .map(|path| {
                OptOutRegistry::load(path).map_err(|e| super::CrawlError::Registry {
                    path: path.clone(),
                    message: e.to_string(),
                })
            })
            .transpose()
    }
}

/// Seconds as a Duration; negative or NaN values count as zero.
pub(crate) fn secs(s: f64) -> Duration {
    if s.is_finite() && s > 0.0 {
        Duration::from_secs_f64(s.min(86_400.0))
    } else {
        Duration::ZERO
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_table_gives_defaults() {
        let c: CrawlConfig = serde_json::from_str(r#"{"seeds":["https://example.org/"]}"#).unwrap();
        assert_eq!(c.max_depth, 2);
        assert_eq!(c.user_agent_token, "AssentBot");
        assert_eq!(c.max_redirects, 5);
        assert!(!c.allow_private);
        assert_eq!(secs(-1.0), Duration::ZERO);
    }
}
