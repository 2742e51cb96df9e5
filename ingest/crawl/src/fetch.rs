//! One HTTP request at a time, read defensively.
//!
//! reqwest follows no redirects here (`Policy::none()`): the crawler follows `Location` itself
//! so that each hop passes the address guard, politeness and the consent checks of its own
//! origin. reqwest's automatic decompression is switched off as well: the body cap must count
//! the bytes that came over the wire (a decoded body hides them), so the raw body is read chunk
//! by chunk up to `max_body_bytes`, then decoded here with a separate cap on what it expands to
//! (a 10 MiB gzip bomb can expand to gigabytes).

use super::config::{secs, CrawlConfig};
use super::guard::{blocked_in, Guard};
use super::politeness::{host_key, Politeness};
use assent_inputs::http::{decode_content_codings, DecodeError, DecodeLimits};
use assent_schemas::ReasonCode;
use chrono::{DateTime, Utc};
use reqwest::header::{HeaderMap, ACCEPT_ENCODING, RETRY_AFTER};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use url::Url;

/// A response whose body was read (and decoded) in full.
#[derive(Clone, Debug)]
pub struct Fetched {
    pub url: Url,
    pub status: u16,
    /// Names lower-cased, in the order received.
    pub headers: Vec<(String, String)>,
    /// The body after content decoding.
    pub body: Vec<u8>,
    pub fetched_at: DateTime<Utc>,
    /// True when the body was cut at the cap (only for limits with `truncate`).
    pub truncated: bool,
}

impl Fetched {
    pub fn header(&self, name: &str) -> Option<&str> {
        assent_inputs::http::header(&self.headers, name)
    }
}

/// Why a request gave no usable response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FetchFailure {
    pub reason: ReasonCode,
    pub detail: String,
}

impl FetchFailure {
    pub fn new(reason: ReasonCode, detail: impl Into<String>) -> Self {
        FetchFailure {
            reason,
            detail: detail.into(),
        }
    }
}

/// The time a host may hold one URL (or one origin's site files): from when the crawl takes it
/// up to its last response, politeness waits, retries and Retry-After included
/// (`crawl.url_budget_secs`). Without it a host could hold a URL for minutes: a Retry-After of
/// 120 s twice, and a Crawl-delay before every site file.
#[derive(Clone, Debug)]
pub struct Budget {
    pub at: tokio::time::Instant,
    started: tokio::time::Instant,
    secs: f64,
}

impl Budget {
    /// A budget of `secs` seconds from now.
    pub fn new(secs: f64) -> Budget {
        let started = tokio::time::Instant::now();
        Budget {
            at: started + super::config::secs(secs),
            started,
            secs,
        }
    }

    pub fn remaining(&self) -> Duration {
        self.at
            .saturating_duration_since(tokio::time::Instant::now())
    }

    /// The failure recorded when the budget runs out `when` (what the host was doing).
    pub fn spent(&self, url: &Url, when: &str) -> FetchFailure {
        FetchFailure::new(
            ReasonCode::FetchTimeBudget,
            format!(
                "{url}: the host's time budget of {} s for this URL was spent after {:.1} s, {when}",
                self.secs,
                self.started.elapsed().as_secs_f64()
            ),
        )
    }
}

/// Body limits of one request.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Most bytes read as received.
    pub body: usize,
    /// Most bytes after decoding.
    pub decoded: usize,
    /// Keep the first `body` bytes of a longer body instead of failing (robots.txt: RFC 9309
    /// asks crawlers to parse at least 500 KiB and ignore the rest).
    pub truncate: bool,
}

/// The HTTP client of a crawl.
pub struct Fetcher {
    /// Timeout of one request.
    timeout: Duration,
    /// For every host the resolve map does not name.
    client: reqwest::Client,
    /// One client per resolve-map entry (host, port), whose resolver hands back that entry's
    /// addresses only (see [`Guard::resolver_for`]).
    mapped: HashMap<(String, u16), reqwest::Client>,
    guard: Guard,
    politeness: Arc<Politeness>,
    max_retries: u32,
    max_retry_after: Duration,
}

impl Fetcher {
    pub fn new(
        config: &CrawlConfig,
        guard: Guard,
        politeness: Arc<Politeness>,
    ) -> Result<Self, String> {
        let timeout = secs(config.timeout_secs).max(Duration::from_millis(100));
        let mut roots = Vec::new();
        for path in &config.ca_certs {
            let pem = std::fs::read(path)
                .map_err(|e| format!("reading CA certificates {}: {e}", path.display()))?;
            let certs = reqwest::Certificate::from_pem_bundle(&pem)
                .map_err(|e| format!("CA certificates {}: {e}", path.display()))?;
            if certs.is_empty() {
                return Err(format!("{} holds no PEM certificate", path.display()));
            }
            roots.extend(certs);
        }
        let build = |resolver: Arc<super::guard::GuardedResolver>| {
            let mut builder = reqwest::Client::builder();
            for cert in &roots {
                builder = builder.add_root_certificate(cert.clone());
            }
            builder
                .user_agent(config.user_agent.clone())
                .redirect(reqwest::redirect::Policy::none())
                // A proxy would resolve names itself, out of the guard's sight.
                .no_proxy()
                .timeout(timeout)
                .connect_timeout(timeout.min(Duration::from_secs(10)))
                .dns_resolver(resolver)
                .no_gzip()
                .no_brotli()
                .no_deflate()
                .referer(false)
                .build()
                .map_err(|e| e.to_string())
        };
        let client = build(guard.resolver())?;
        let mut mapped = HashMap::new();
        for (host, port) in guard.map().entries() {
            let c = build(guard.resolver_for(host, port))?;
            mapped.insert((host.to_string(), port), c);
        }
        Ok(Fetcher {
            timeout,
            client,
            mapped,
            guard,
            politeness,
            max_retries: config.max_retries,
            max_retry_after: secs(config.max_retry_after_secs),
        })
    }

    /// The client for `url`: its resolve-map entry's, else the one for every other host.
    fn client_for(&self, url: &Url) -> &reqwest::Client {
        self.guard
            .mapped(url)
            .and_then(|key| self.mapped.get(&key))
            .unwrap_or(&self.client)
    }

    pub fn guard(&self) -> &Guard {
        &self.guard
    }

    pub fn politeness(&self) -> &Politeness {
        &self.politeness
    }

    /// GETs one URL (no redirects followed), taking the host's politeness turn, retrying a
    /// 429 or 503 that carries a usable Retry-After up to `max_retries` times, all within
    /// `budget` (waits, retries and the request itself; `fetch.time-budget` once spent). Any
    /// status is returned as a [`Fetched`]; the caller decides what a non-200 means.
    pub async fn get(
        &self,
        url: &Url,
        limits: Limits,
        budget: &Budget,
    ) -> Result<Fetched, FetchFailure> {
        if !matches!(url.scheme(), "http" | "https") {
            return Err(FetchFailure::new(ReasonCode::FetchBadUrl, url.as_str()));
        }
        self.guard
            .check_url(url)
            .map_err(|b| FetchFailure::new(ReasonCode::FetchBlockedAddress, b.to_string()))?;
        let key = host_key(url);
        let mut attempt = 0;
        loop {
            let Ok(turn) = tokio::time::timeout_at(budget.at, self.politeness.turn(&key)).await
            else {
                return Err(budget.spent(url, "waiting for the host's turn"));
            };
            let remaining = budget.remaining();
            if remaining.is_zero() {
                return Err(budget.spent(url, "before the request"));
            }
            let per_request = self.timeout.min(remaining);
            let fetched_at = Utc::now();
            let resp = self
                .client_for(url)
                .get(url.clone())
                .header(ACCEPT_ENCODING, "gzip, deflate, br")
                .timeout(per_request)
                .send()
                .await
                .map_err(|e| {
                    // A timeout shortened to what was left of the budget is the budget's.
                    if e.is_timeout() && per_request < self.timeout {
                        budget.spent(url, "during the request")
                    } else {
                        classify(&e, url)
                    }
                })?;
            let status = resp.status().as_u16();
            if (status == 429 || status == 503) && attempt < self.max_retries {
                if let Some(wait) = retry_after(resp.headers()) {
                    if wait <= self.max_retry_after && wait > budget.remaining() {
                        let why = format!("HTTP {status} asks to retry after {} s", wait.as_secs());
                        return Err(budget.spent(url, &why));
                    }
                    if wait <= self.max_retry_after {
                        drop(resp);
                        drop(turn);
                        self.politeness.back_off(&key, wait);
                        attempt += 1;
                        continue;
                    }
                }
            }
            let headers: Vec<(String, String)> = resp
                .headers()
                .iter()
                .map(|(n, v)| {
                    (
                        n.as_str().to_ascii_lowercase(),
                        String::from_utf8_lossy(v.as_bytes()).trim().to_string(),
                    )
                })
                .collect();
            let (raw, truncated) = read_raw(resp, url, limits).await.map_err(|e| {
                if e.reason == ReasonCode::FetchTimeout && per_request < self.timeout {
                    budget.spent(url, "reading the body")
                } else {
                    e
                }
            })?;
            drop(turn);
            let (body, cut) = decode(&headers, raw, limits, truncated)?;
            let truncated = truncated || cut;
            return Ok(Fetched {
                url: url.clone(),
                status,
                headers,
                body,
                fetched_at,
                truncated,
            });
        }
    }

    /// GETs a site file (robots.txt, ai.txt, ...), following up to `max_redirects` redirects
    /// (each hop guarded and polite). Returns the URLs visited after the first, and the result.
    pub async fn get_following(
        &self,
        url: &Url,
        limits: Limits,
        max_redirects: usize,
        budget: &Budget,
    ) -> (Vec<String>, Result<Fetched, FetchFailure>) {
        let mut chain = Vec::new();
        let mut current = url.clone();
        loop {
            let fetched = match self.get(&current, limits, budget).await {
                Ok(f) => f,
                Err(e) => return (chain, Err(e)),
            };
            match redirect_target(&fetched) {
                None => return (chain, Ok(fetched)),
                Some(Err(e)) => return (chain, Err(e)),
                Some(Ok(next)) => {
                    if chain.len() >= max_redirects
                        || next == *url
                        || chain.iter().any(|c| c == next.as_str())
                    {
                        return (
                            chain,
                            Err(FetchFailure::new(
                                ReasonCode::FetchTooManyRedirects,
                                format!("redirects from {url} do not end"),
                            )),
                        );
                    }
                    chain.push(next.to_string());
                    current = next;
                }
            }
        }
    }
}

/// Where a 3xx response points, if it is a redirect with a Location.
pub fn redirect_target(f: &Fetched) -> Option<Result<Url, FetchFailure>> {
    if !matches!(f.status, 301 | 302 | 303 | 307 | 308) {
        return None;
    }
    let location = f.header("location")?;
    Some(
        super::links::crawl_target(location, Some(&f.url)).map_err(|bad| {
            FetchFailure::new(
                ReasonCode::FetchBadUrl,
                format!(
                    "{} redirects to an unusable Location {:?}: {}",
                    f.url, bad.url, bad.why
                ),
            )
        }),
    )
}

/// Retry-After as delta-seconds or an HTTP date.
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let v = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(s) = v.parse::<u64>() {
        return Some(Duration::from_secs(s));
    }
    let when = DateTime::parse_from_rfc2822(v).ok()?.with_timezone(&Utc);
    Some((when - Utc::now()).to_std().unwrap_or(Duration::ZERO))
}

fn classify(e: &reqwest::Error, url: &Url) -> FetchFailure {
    if let Some(b) = blocked_in(e) {
        return FetchFailure::new(ReasonCode::FetchBlockedAddress, b.to_string());
    }
    let mut detail = format!("{url}: {e}");
    let mut src = std::error::Error::source(e);
    while let Some(s) = src {
        detail.push_str(&format!(": {s}"));
        src = s.source();
    }
    let reason = if e.is_timeout() {
        ReasonCode::FetchTimeout
    } else {
        ReasonCode::FetchNetwork
    };
    FetchFailure::new(reason, detail)
}

async fn read_raw(
    mut resp: reqwest::Response,
    url: &Url,
    limits: Limits,
) -> Result<(Vec<u8>, bool), FetchFailure> {
    let too_large = || {
        FetchFailure::new(
            ReasonCode::FetchTooLarge,
            format!("{url}: body larger than {} bytes", limits.body),
        )
    };
    if let Some(len) = resp.content_length() {
        if len > limits.body as u64 && !limits.truncate {
            return Err(too_large());
        }
    }
    let mut raw = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(|e| classify(&e, url))? {
        if raw.len() + chunk.len() > limits.body {
            if limits.truncate {
                let room = limits.body - raw.len();
                raw.extend_from_slice(&chunk[..room]);
                return Ok((raw, true));
            }
            return Err(too_large());
        }
        raw.extend_from_slice(&chunk);
    }
    Ok((raw, false))
}

/// Undoes the content codings ([`assent_inputs::http::decode_content_codings`]), never producing more
/// than `limits.decoded` bytes: a body that decodes to more is an error, or, with
/// `limits.truncate` (robots.txt), cut there (the second value is then true). A body already
/// cut (`truncated`) is decoded as far as it goes.
fn decode(
    headers: &[(String, String)],
    raw: Vec<u8>,
    limits: Limits,
    truncated: bool,
) -> Result<(Vec<u8>, bool), FetchFailure> {
    let limits = DecodeLimits {
        max_bytes: limits.decoded,
        truncate: limits.truncate,
        lenient: truncated,
    };
    decode_content_codings(headers, raw, limits).map_err(|e| match e {
        DecodeError::TooLarge { limit } => FetchFailure::new(
            ReasonCode::FetchDecompressedTooLarge,
            format!("body decodes to more than {limit} bytes"),
        ),
        DecodeError::Broken { message, .. } => FetchFailure::new(
            ReasonCode::FetchNetwork,
            format!("cannot decode body: {message}"),
        ),
        DecodeError::Unsupported(coding) => FetchFailure::new(
            ReasonCode::FetchNetwork,
            format!("unsupported content-encoding {coding:?}"),
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::write::GzEncoder;
    use flate2::Compression;
    use std::io::Write;

    fn h(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    fn limits(decoded: usize, truncate: bool) -> Limits {
        Limits {
            body: usize::MAX,
            decoded,
            truncate,
        }
    }

    #[test]
    fn decodes_gzip_and_caps_bombs() {
        let mut enc = GzEncoder::new(Vec::new(), Compression::default());
        enc.write_all(&vec![b'a'; 100_000]).unwrap();
        let gz = enc.finish().unwrap();
        let hs = h(&[("content-encoding", "gzip")]);
        let (body, cut) = decode(&hs, gz.clone(), limits(200_000, false), false).unwrap();
        assert_eq!((body.len(), cut), (100_000, false));
        let err = decode(&hs, gz.clone(), limits(1000, false), false).unwrap_err();
        assert_eq!(err.reason, ReasonCode::FetchDecompressedTooLarge);
        // Truncating limits (robots.txt) keep the first bytes instead.
        let (body, cut) = decode(&hs, gz, limits(1000, true), false).unwrap();
        assert_eq!((body.len(), cut), (1000, true));
        let err = decode(
            &h(&[("content-encoding", "zz")]),
            vec![1],
            limits(10, false),
            false,
        )
        .unwrap_err();
        assert_eq!(err.reason, ReasonCode::FetchNetwork);
    }

    /// A deflate bomb is expanded once and reported as too large, in both deflate forms.
    #[test]
    fn deflate_bombs_are_too_large_in_zlib_and_raw_form() {
        use flate2::write::{DeflateEncoder, ZlibEncoder};
        let big = vec![0u8; 20 << 20];
        let mut z = ZlibEncoder::new(Vec::new(), Compression::best());
        z.write_all(&big).unwrap();
        let zlib = z.finish().unwrap();
        let mut d = DeflateEncoder::new(Vec::new(), Compression::best());
        d.write_all(&big).unwrap();
        let raw = d.finish().unwrap();
        assert!(assent_inputs::http::zlib_header(&zlib) && !assent_inputs::http::zlib_header(&raw));
        let hs = h(&[("content-encoding", "deflate")]);
        for body in [zlib, raw] {
            let err = decode(&hs, body, limits(1 << 20, false), false).unwrap_err();
            assert_eq!(err.reason, ReasonCode::FetchDecompressedTooLarge);
        }
        let mut d = DeflateEncoder::new(Vec::new(), Compression::default());
        d.write_all(b"raw deflate text").unwrap();
        let (body, _) = decode(&hs, d.finish().unwrap(), limits(100, false), false).unwrap();
        assert_eq!(body, b"raw deflate text");
    }

    #[test]
    fn retry_after_forms() {
        let mut m = HeaderMap::new();
        m.insert(RETRY_AFTER, "3".parse().unwrap());
        assert_eq!(retry_after(&m), Some(Duration::from_secs(3)));
        m.insert(
            RETRY_AFTER,
            "Sun, 06 Nov 1994 08:49:37 GMT".parse().unwrap(),
        );
        assert_eq!(retry_after(&m), Some(Duration::ZERO));
        m.insert(RETRY_AFTER, "soon".parse().unwrap());
        assert_eq!(retry_after(&m), None);
    }
}
