//! `assent serve DIR`: the corpus's provenance as a public HTTP service, for site owners,
//! authors and auditors.
//!
//! It reads the index only ([`crate::lookup`], read-only SQLite connections, one read
//! transaction per request), so a curation, `assent index` or `assent forget` running beside
//! it cannot be corrupted by it, and it answers from the old version or the new, never a mix.
//!
//! Bounds for a public endpoint: request bodies of at most [`ServeConfig::max_body`] bytes,
//! URLs of at most [`MAX_URL`] bytes, a token bucket per client address
//! ([`ServeConfig::rate`], [`ServeConfig::burst`]), and a time limit per request. Every
//! error is JSON, `{"error": CODE, "message": ...}`, CODE stable for clients: `bad_url`,
//! `bad_domain`, `bad_cursor`, `bad_text`, `bad_tree`, `bad_size`, `bad_json`, `not_found`,
//! `too_large`, `url_too_long`, `rate_limited`, `timeout`, `index_unavailable`, and for
//! opt-outs `bad_scope`, `bad_origin`, `not_verified`, `too_many_pending`, `unavailable`.

use crate::lookup::{Index, LookupError};
use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, DefaultBodyLimit, Path as UrlPath, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::Serialize;
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Longest request target accepted (path and query), in bytes.
pub const MAX_URL: usize = 8192;

/// How the service runs.
#[derive(Clone, Debug)]
pub struct ServeConfig {
    /// Largest request body, in bytes.
    pub max_body: usize,
    /// Requests per second each client address may make on average; 0 for no limit.
    pub rate: f64,
    /// Requests a client may make at once above the rate.
    pub burst: f64,
    /// Longest a request may take.
    pub timeout: Duration,
    /// Read-only index connections (requests are answered on at most this many at once).
    pub connections: usize,
}

impl Default for ServeConfig {
    fn default() -> Self {
        ServeConfig {
            max_body: 64 * 1024,
            rate: 50.0,
            burst: 100.0,
            timeout: Duration::from_secs(10),
            connections: std::thread::available_parallelism().map_or(2, |n| n.get()),
        }
    }
}

/// The service's shared state.
pub struct Service {
    pool: Vec<Mutex<Index>>,
    opt_outs: Option<crate::opt_out::OptOuts>,
    next: AtomicUsize,
    limiter: Limiter,
    config: ServeConfig,
}

impl Service {
    /// Opens `connections` read-only connections to the index of the corpus in `dir`.
    /// Takes opt-out requests when `opt_outs` is given.
    pub fn open(
        dir: &Path,
        config: ServeConfig,
        opt_outs: Option<crate::opt_out::OptOuts>,
    ) -> Result<Arc<Service>, crate::IndexError> {
        let pool = (0..config.connections.max(1))
            .map(|_| Index::open(dir).map(Mutex::new))
            .collect::<Result<_, _>>()?;
        Ok(Arc::new(Service {
            pool,
            opt_outs,
            next: AtomicUsize::new(0),
            limiter: Limiter::new(config.rate, config.burst),
            config,
        }))
    }

    /// Runs `f` on a free connection: the first free one, so that a few connections answer
    /// most requests and keep their caches warm; else waits for one, in turn.
    fn with_index<T>(&self, f: impl FnOnce(&mut Index) -> T) -> T {
        let n = self.pool.len();
        for ix in &self.pool {
            if let Ok(mut ix) = ix.try_lock() {
                return f(&mut ix);
            }
        }
        let start = self.next.fetch_add(1, Ordering::Relaxed);
        let mut ix = self.pool[start % n]
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        f(&mut ix)
    }
}

/// The routes, with their limits.
pub fn router(service: Arc<Service>) -> Router {
    let max_body = service.config.max_body;
    Router::new()
        .route("/", get(page))
        .route("/openapi.json", get(openapi))
        .route("/v1/url", get(url))
        .route("/v1/domain/{domain}", get(domain))
        .route("/v1/text", post(text))
        .route("/v1/checkpoint", get(checkpoint))
        .route("/v1/consistency", get(consistency))
        .route("/v1/opt-out", post(opt_out_request))
        .route("/v1/opt-out/{id}", get(opt_out_status))
        .route("/v1/opt-out/{id}/verify", post(opt_out_verify))
        .fallback(|| async { error(StatusCode::NOT_FOUND, "not_found", "no such endpoint") })
        .layer(DefaultBodyLimit::max(max_body))
        .layer(middleware::from_fn_with_state(service.clone(), guard))
        .with_state(service)
}

/// Serves on `listener` until `shutdown` resolves.
pub async fn serve(
    listener: tokio::net::TcpListener,
    service: Arc<Service>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(
        listener,
        router(service).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    error: &'a str,
    message: &'a str,
}

fn error(status: StatusCode, code: &str, message: &str) -> Response {
    json_response(
        status,
        &ErrorBody {
            error: code,
            message,
        },
    )
}

fn json_response<T: Serialize>(status: StatusCode, body: &T) -> Response {
    let bytes = serde_json::to_vec(body).expect("answers serialise");
    let mut r = Response::new(Body::from(bytes));
    *r.status_mut() = status;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}

fn answer<T: Serialize>(result: Result<T, LookupError>) -> Response {
    match result {
        Ok(body) => json_response(StatusCode::OK, &body),
        Err(e @ LookupError::BadInput(..)) => {
            error(StatusCode::BAD_REQUEST, e.code(), &e.to_string())
        }
        Err(e) => {
            tracing::warn!("lookup failed: {e}");
            error(
                StatusCode::SERVICE_UNAVAILABLE,
                e.code(),
                "the index cannot answer now",
            )
        }
    }
}

/// URL size, rate and time limits, before any handler.
async fn guard(
    State(service): State<Arc<Service>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: Request,
    next: Next,
) -> Response {
    let target = request
        .uri()
        .path_and_query()
        .map_or(0, |p| p.as_str().len());
    if target > MAX_URL {
        return error(
            StatusCode::URI_TOO_LONG,
            "url_too_long",
            "the request's URL is over 8 KiB",
        );
    }
    if let Some(wait) = service.limiter.take(peer.ip(), Instant::now()) {
        let mut r = error(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            "too many requests from this address",
        );
        let secs = wait.as_secs_f64().ceil().max(1.0) as u64;
        if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
            r.headers_mut().insert(header::RETRY_AFTER, v);
        }
        return r;
    }
    let response = match tokio::time::timeout(service.config.timeout, next.run(request)).await {
        Ok(r) => r,
        Err(_) => {
            return error(
                StatusCode::SERVICE_UNAVAILABLE,
                "timeout",
                "the request took too long",
            )
        }
    };
    // A body over the limit is refused by axum with a plain-text 413: made JSON like the rest.
    if response.status() == StatusCode::PAYLOAD_TOO_LARGE {
        return error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            "the request body is over the limit",
        );
    }
    response
}

/// The query's parameters, decoded.
fn params(request_query: Option<&str>) -> HashMap<String, String> {
    url::form_urlencoded::parse(request_query.unwrap_or("").as_bytes())
        .into_owned()
        .collect()
}

async fn url(State(s): State<Arc<Service>>, request: Request) -> Response {
    let q = params(request.uri().query());
    let Some(u) = q.get("u") else {
        return error(StatusCode::BAD_REQUEST, "bad_url", "give the URL as ?u=");
    };
    answer(s.with_index(|ix| ix.url(u)))
}

async fn domain(
    State(s): State<Arc<Service>>,
    UrlPath(domain): UrlPath<String>,
    request: Request,
) -> Response {
    let q = params(request.uri().query());
    let limit = match q.get("limit").map(|l| l.parse::<u64>()) {
        None => 100,
        Some(Ok(n)) => n,
        Some(Err(_)) => return error(StatusCode::BAD_REQUEST, "bad_size", "limit is a number"),
    };
    answer(s.with_index(|ix| ix.domain(&domain, q.get("after").map(String::as_str), limit)))
}

async fn text(
    State(s): State<Arc<Service>>,
    headers: axum::http::HeaderMap,
    body: Bytes,
) -> Response {
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    let text = if is_json {
        #[derive(serde::Deserialize)]
        struct TextBody {
            text: String,
        }
        match serde_json::from_slice::<TextBody>(&body) {
            Ok(b) => b.text,
            Err(e) => {
                return error(
                    StatusCode::BAD_REQUEST,
                    "bad_json",
                    &format!("expected {{\"text\": \"...\"}}: {e}"),
                )
            }
        }
    } else {
        match String::from_utf8(body.to_vec()) {
            Ok(t) => t,
            Err(_) => return error(StatusCode::BAD_REQUEST, "bad_text", "the text is not UTF-8"),
        }
    };
    answer(s.with_index(|ix| ix.text(&text)))
}

async fn checkpoint(State(s): State<Arc<Service>>) -> Response {
    answer(s.with_index(|ix| ix.checkpoint()))
}

async fn consistency(State(s): State<Arc<Service>>, request: Request) -> Response {
    let q = params(request.uri().query());
    let Some(Ok(from)) = q.get("from").map(|f| f.parse::<u64>()) else {
        return error(
            StatusCode::BAD_REQUEST,
            "bad_size",
            "give the earlier tree size as ?from=N",
        );
    };
    let tree = q.get("tree").map_or("kept", String::as_str).to_string();
    answer(s.with_index(|ix| ix.consistency(&tree, from)))
}

fn opt_out_answer(
    result: Result<crate::opt_out::OptOutRequest, crate::opt_out::OptOutError>,
    ok: StatusCode,
) -> Response {
    use crate::opt_out::OptOutError as E;
    match result {
        Ok(r) => {
            let status = if r.verified_at.is_some() {
                "verified"
            } else {
                "pending"
            };
            let mut body = serde_json::to_value(&r).expect("a request serialises");
            body["status"] = status.into();
            body["verify"] = format!("/v1/opt-out/{}/verify", r.id).into();
            json_response(ok, &body)
        }
        Err(e) => {
            let status = match &e {
                E::BadInput(..) => StatusCode::BAD_REQUEST,
                E::NotFound(_) => StatusCode::NOT_FOUND,
                E::NotVerified(_) => StatusCode::FORBIDDEN,
                E::Full | E::Io(_) => StatusCode::SERVICE_UNAVAILABLE,
            };
            error(status, e.code(), &e.to_string())
        }
    }
}

fn no_opt_outs() -> Response {
    error(
        StatusCode::NOT_FOUND,
        "not_found",
        "this service takes no opt-out requests (started without --opt-out-state)",
    )
}

async fn opt_out_request(State(s): State<Arc<Service>>, body: Bytes) -> Response {
    let Some(desk) = &s.opt_outs else {
        return no_opt_outs();
    };
    #[derive(serde::Deserialize)]
    struct Asked {
        scope: String,
        origin: Option<String>,
    }
    let asked: Asked = match serde_json::from_slice(&body) {
        Ok(a) => a,
        Err(e) => {
            return error(
                StatusCode::BAD_REQUEST,
                "bad_json",
                &format!("expected {{\"scope\": \"example.org\", \"origin\": optional}}: {e}"),
            )
        }
    };
    let made = desk.request(&asked.scope, asked.origin.as_deref(), chrono::Utc::now());
    opt_out_answer(made, StatusCode::ACCEPTED)
}

async fn opt_out_status(State(s): State<Arc<Service>>, UrlPath(id): UrlPath<String>) -> Response {
    let Some(desk) = &s.opt_outs else {
        return no_opt_outs();
    };
    let found = desk
        .get(&id)
        .ok_or(crate::opt_out::OptOutError::NotFound(id));
    opt_out_answer(found, StatusCode::OK)
}

async fn opt_out_verify(State(s): State<Arc<Service>>, UrlPath(id): UrlPath<String>) -> Response {
    let Some(desk) = &s.opt_outs else {
        return no_opt_outs();
    };
    opt_out_answer(desk.verify(&id).await, StatusCode::OK)
}

async fn openapi() -> Response {
    let mut r = Response::new(Body::from(crate::openapi::document().to_string()));
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}

async fn page() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        include_str!("page.html"),
    )
}

/// A token bucket per client address. The table forgets addresses idle long enough to have
/// refilled, once it holds many, so it cannot grow without bound.
struct Limiter {
    rate: f64,
    burst: f64,
    buckets: Mutex<HashMap<IpAddr, (f64, Instant)>>,
}

/// Addresses held before idle ones are forgotten.
const MAX_CLIENTS: usize = 65_536;

impl Limiter {
    fn new(rate: f64, burst: f64) -> Limiter {
        Limiter {
            rate,
            burst: burst.max(1.0),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes a token for `ip`; None when it had one, else how long until it has.
    fn take(&self, ip: IpAddr, now: Instant) -> Option<Duration> {
        if self.rate <= 0.0 {
            return None;
        }
        let mut b = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        if b.len() >= MAX_CLIENTS && !b.contains_key(&ip) {
            let full = Duration::from_secs_f64(self.burst / self.rate);
            b.retain(|_, (_, t)| now.duration_since(*t) < full);
        }
        let (tokens, at) = b.entry(ip).or_insert((self.burst, now));
        *tokens = (*tokens + now.duration_since(*at).as_secs_f64() * self.rate).min(self.burst);
        *at = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            None
        } else {
            Some(Duration::from_secs_f64((1.0 - *tokens) / self.rate))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_gets_its_burst_then_the_rate_and_others_are_not_held_back() {
        let l = Limiter::new(10.0, 3.0);
        let t0 = Instant::now();
        let a: IpAddr = "127.0.0.1".parse().unwrap();
        let b: IpAddr = "127.0.0.2".parse().unwrap();
        for _ in 0..3 {
            assert!(l.take(a, t0).is_none());
        }
        let wait = l.take(a, t0).expect("the burst is spent");
        assert!(wait <= Duration::from_millis(100));
        assert!(
            l.take(b, t0).is_none(),
            "another address has its own bucket"
        );
        assert!(
            l.take(a, t0 + Duration::from_millis(100)).is_none(),
            "a tenth of a second buys one"
        );
        assert!(l.take(a, t0 + Duration::from_millis(100)).is_some());
        assert!(
            Limiter::new(0.0, 1.0).take(a, t0).is_none(),
            "rate 0 is no limit"
        );
    }
}
