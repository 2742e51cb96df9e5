//! Opt-outs that an owner proves: `POST /v1/opt-out` for a domain or URL prefix returns a
//! token; the owner serves it at `/.well-known/assent-opt-out.txt` on the origin, then asks
//! for `POST /v1/opt-out/{id}/verify`; the service fetches that file through the crawler's
//! address guard (so a request cannot steer it into the operator's network) and, when the
//! token is a line of it, appends the scope to the opt-out registry the crawler reads.
//! `assent forget` then takes the scope's documents out of the corpus.
//!
//! What the service writes is its own state (`STATE/requests.jsonl`, one event a line, read
//! back at start) and the registry, never the index. Pending requests are bounded
//! ([`MAX_PENDING`], each expiring after [`PENDING_DAYS`] days), so a burst of requests holds
//! bounded memory.

use assent_consent::registry::{EntryKind, OptOutRegistry};
use chrono::{DateTime, Duration as Days, Utc};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// The file an owner serves the token in, on the origin of the scope.
pub const WELL_KNOWN: &str = "/.well-known/assent-opt-out.txt";
/// Requests waiting for their proof, at most.
pub const MAX_PENDING: usize = 10_000;
/// Days a request waits for its proof.
pub const PENDING_DAYS: i64 = 7;
/// Bytes of the token file read, at most.
const MAX_TOKEN_FILE: usize = 16 * 1024;

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct OptOutRequest {
    pub id: String,
    /// The registry entry asked for: a domain, or a URL prefix.
    pub scope: String,
    pub token: String,
    /// Where the token is looked for, in order.
    pub token_urls: Vec<String>,
    pub requested_at: DateTime<Utc>,
    #[serde(default)]
    pub verified_at: Option<DateTime<Utc>>,
}

/// Why an opt-out was not taken; `code` is stable.
#[derive(Debug, thiserror::Error)]
pub enum OptOutError {
    #[error("{1}")]
    BadInput(&'static str, String),
    #[error("no opt-out request {0}")]
    NotFound(String),
    #[error("too many requests wait for their proof; try again later")]
    Full,
    #[error("the token was not found: {0}")]
    NotVerified(String),
    #[error("{0}")]
    Io(String),
}

impl OptOutError {
    pub fn code(&self) -> &'static str {
        match self {
            OptOutError::BadInput(c, _) => c,
            OptOutError::NotFound(_) => "not_found",
            OptOutError::Full => "too_many_pending",
            OptOutError::NotVerified(_) => "not_verified",
            OptOutError::Io(_) => "unavailable",
        }
    }
}

/// The opt-out desk of a service.
pub struct OptOuts {
    state: PathBuf,
    registry: PathBuf,
    requests: Mutex<HashMap<String, OptOutRequest>>,
    fetcher: assent_crawl::fetch::Fetcher,
    /// Serialises appends to the state file and the registry.
    write: Mutex<()>,
}

impl OptOuts {
    /// Opens the desk: its state in `state` (made if needed), verified scopes appended to
    /// `registry`; tokens fetched as `crawl` says (user agent, `--resolve` map, address
    /// guard, timeout).
    pub fn open(
        state: &Path,
        registry: &Path,
        crawl: &assent_crawl::CrawlConfig,
    ) -> Result<OptOuts, String> {
        std::fs::create_dir_all(state).map_err(|e| format!("{}: {e}", state.display()))?;
        let map = assent_crawl::guard::ResolveMap::parse(&crawl.resolve)?;
        let guard = assent_crawl::guard::Guard::new(map, crawl.allow_private);
        let politeness = std::sync::Arc::new(assent_crawl::politeness::Politeness::new(
            4,
            std::time::Duration::ZERO,
        ));
        let fetcher = assent_crawl::fetch::Fetcher::new(crawl, guard, politeness)?;
        let mut requests = HashMap::new();
        let log = state.join("requests.jsonl");
        if let Ok(text) = std::fs::read_to_string(&log) {
            for line in text.lines() {
                if let Ok(r) = serde_json::from_str::<OptOutRequest>(line) {
                    requests.insert(r.id.clone(), r);
                }
            }
        }
        Ok(OptOuts {
            state: state.to_path_buf(),
            registry: registry.to_path_buf(),
            requests: Mutex::new(requests),
            fetcher,
            write: Mutex::new(()),
        })
    }

    pub fn registry(&self) -> &Path {
        &self.registry
    }

    /// A new request for `scope`; `origin` (scheme, host and port, e.g.
    /// `http://site.example:8080`) names where the token will be served when it is not the
    /// default `https://HOST` then `http://HOST`.
    pub fn request(
        &self,
        scope: &str,
        origin: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<OptOutRequest, OptOutError> {
        let scope = scope.trim();
        if scope.is_empty() || scope.len() > 2048 || scope.contains(['#', '\n', '\r']) {
            return Err(OptOutError::BadInput(
                "bad_scope",
                "give one domain or URL prefix".into(),
            ));
        }
        let parsed = OptOutRegistry::parse(scope, "request").map_err(|_| {
            OptOutError::BadInput(
                "bad_scope",
                "not a domain (example.org) or URL prefix (https://example.org/blog/)".into(),
            )
        })?;
        let entry = &parsed.entries()[0];
        let host = match &entry.kind {
            EntryKind::Domain(d) => d.clone(),
            EntryKind::Prefix(p) | EntryKind::AnySchemePrefix(p) => {
                let with_scheme = if p.contains("://") {
                    p.clone()
                } else {
                    format!("https://{p}")
                };
                url::Url::parse(&with_scheme)
                    .ok()
                    .and_then(|u| u.host_str().map(str::to_string))
                    .ok_or_else(|| OptOutError::BadInput("bad_scope", "no host".into()))?
            }
        };
        let token_urls = match origin {
            Some(o) => {
                let u = url::Url::parse(o).map_err(|_| {
                    OptOutError::BadInput("bad_origin", "origin is scheme://host[:port]".into())
                })?;
                let same_host = u.host_str().is_some_and(|h| h.eq_ignore_ascii_case(&host));
                if !matches!(u.scheme(), "http" | "https")
                    || !same_host
                    || !matches!(u.path(), "" | "/")
                    || u.query().is_some()
                {
                    return Err(OptOutError::BadInput(
                        "bad_origin",
                        format!("the origin must be http(s)://{host}[:port], the scope's host"),
                    ));
                }
                vec![format!("{}{WELL_KNOWN}", u.origin().ascii_serialization())]
            }
            None => vec![
                format!("https://{host}{WELL_KNOWN}"),
                format!("http://{host}{WELL_KNOWN}"),
            ],
        };
        let mut id = [0u8; 8];
        let mut token = [0u8; 16];
        getrandom::fill(&mut id).map_err(|e| OptOutError::Io(e.to_string()))?;
        getrandom::fill(&mut token).map_err(|e| OptOutError::Io(e.to_string()))?;
        let request = OptOutRequest {
            id: assent_schemas::digest::to_hex(&id),
            scope: entry.raw.clone(),
            token: format!("assent-opt-out-{}", assent_schemas::digest::to_hex(&token)),
            token_urls,
            requested_at: now,
            verified_at: None,
        };
        {
            let mut held = self.requests.lock().unwrap_or_else(|p| p.into_inner());
            let expired = now - Days::days(PENDING_DAYS);
            held.retain(|_, r| r.verified_at.is_some() || r.requested_at > expired);
            let pending = held.values().filter(|r| r.verified_at.is_none()).count();
            if pending >= MAX_PENDING {
                return Err(OptOutError::Full);
            }
            held.insert(request.id.clone(), request.clone());
        }
        self.record(&request)?;
        Ok(request)
    }

    pub fn get(&self, id: &str) -> Option<OptOutRequest> {
        let held = self.requests.lock().unwrap_or_else(|p| p.into_inner());
        held.get(id).cloned()
    }

    /// Fetches the request's token file; when the token is a line of it, the scope goes into
    /// the registry. A request verified before is answered as it was.
    pub async fn verify(&self, id: &str) -> Result<OptOutRequest, OptOutError> {
        let request = self
            .get(id)
            .ok_or_else(|| OptOutError::NotFound(id.to_string()))?;
        if request.verified_at.is_some() {
            return Ok(request);
        }
        let mut seen = Vec::new();
        for u in &request.token_urls {
            let Ok(url) = url::Url::parse(u) else {
                continue;
            };
            let limits = assent_crawl::fetch::Limits {
                body: MAX_TOKEN_FILE,
                decoded: MAX_TOKEN_FILE,
                truncate: true,
            };
            let budget = assent_crawl::fetch::Budget::new(10.0);
            let (_, got) = self.fetcher.get_following(&url, limits, 3, &budget).await;
            match got {
                Ok(f) if f.status == 200 => {
                    let body = String::from_utf8_lossy(&f.body);
                    if body.lines().any(|l| l.trim() == request.token) {
                        return self.accept(request);
                    }
                    seen.push(format!("{u}: the token is not a line of the file"));
                }
                Ok(f) => seen.push(format!("{u}: HTTP {}", f.status)),
                Err(e) => seen.push(format!("{u}: {} ({})", e.reason.as_str(), e.detail)),
            }
        }
        Err(OptOutError::NotVerified(seen.join("; ")))
    }

    fn accept(&self, mut request: OptOutRequest) -> Result<OptOutRequest, OptOutError> {
        let now = Utc::now();
        request.verified_at = Some(now);
        {
            let _w = self.write.lock().unwrap_or_else(|p| p.into_inner());
            let held = std::fs::read(&self.registry).unwrap_or_default();
            let mut line = String::new();
            if !held.is_empty() && !held.ends_with(b"\n") {
                line.push('\n');
            }
            line.push_str(&format!(
                "{}  # verified opt-out {} at {}\n",
                request.scope,
                request.id,
                now.to_rfc3339()
            ));
            append(&self.registry, line.as_bytes()).map_err(|e| OptOutError::Io(e.to_string()))?;
        }
        self.record(&request)?;
        let mut held = self.requests.lock().unwrap_or_else(|p| p.into_inner());
        held.insert(request.id.clone(), request.clone());
        Ok(request)
    }

    fn record(&self, r: &OptOutRequest) -> Result<(), OptOutError> {
        let _w = self.write.lock().unwrap_or_else(|p| p.into_inner());
        let mut line = serde_json::to_vec(r).expect("a request serialises");
        line.push(b'\n');
        append(&self.state.join("requests.jsonl"), &line)
            .map_err(|e| OptOutError::Io(e.to_string()))
    }
}

fn append(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if let Some(d) = path.parent() {
        std::fs::create_dir_all(d)?;
    }
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn desk(dir: &Path) -> OptOuts {
        OptOuts::open(
            &dir.join("state"),
            &dir.join("registry.txt"),
            &assent_crawl::CrawlConfig::default(),
        )
        .unwrap()
    }

    #[test]
    fn a_request_names_where_its_token_goes_and_bad_scopes_and_origins_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let d = desk(dir.path());
        let r = d.request("Example.org", None, Utc::now()).unwrap();
        assert_eq!(
            r.token_urls,
            vec![
                "https://example.org/.well-known/assent-opt-out.txt",
                "http://example.org/.well-known/assent-opt-out.txt"
            ]
        );
        assert!(r.token.starts_with("assent-opt-out-") && r.token.len() == 15 + 32);
        let p = d
            .request(
                "https://example.org/blog/",
                Some("http://example.org:8080"),
                Utc::now(),
            )
            .unwrap();
        assert_eq!(
            p.token_urls,
            vec!["http://example.org:8080/.well-known/assent-opt-out.txt"]
        );
        for (scope, origin, code) in [
            ("not a domain", None, "bad_scope"),
            ("example.org # x", None, "bad_scope"),
            ("example.org", Some("http://other.example"), "bad_origin"),
            ("example.org", Some("http://example.org/path"), "bad_origin"),
            ("example.org", Some("ftp://example.org"), "bad_origin"),
        ] {
            let e = d.request(scope, origin, Utc::now()).unwrap_err();
            assert_eq!(e.code(), code, "{scope} {origin:?}");
        }
        // Requests survive a restart.
        drop(d);
        let again = desk(dir.path());
        assert_eq!(again.get(&r.id), Some(r));
    }
}
