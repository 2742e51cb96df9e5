//! The crawler over HTTPS: a local TLS server, with a certificate made for the test, that
//! offers HTTP/2 and HTTP/1.1 by ALPN. With its certificate trusted through `ca_certs` the
//! crawl fetches over HTTP/2; without, the TLS handshake fails, robots.txt is unreachable, and
//! the seed gets that row instead of a page.

use super::*;
use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response, Version};
use hyper_util::rt::{TokioExecutor, TokioIo};
use std::sync::Mutex;

const PAGE: &str = "<html><body><p>Fetched over TLS.</p></body></html>";

struct TlsServer {
    port: u16,
    cert_pem: String,
    /// (path, HTTP version) of every request served.
    requests: Arc<Mutex<Vec<(String, Version)>>>,
    _rt: tokio::runtime::Runtime,
}

fn start_tls(host: &str) -> TlsServer {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let certified = rcgen::generate_simple_self_signed(vec![host.to_string()]).unwrap();
    let cert_pem = certified.cert.pem();
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(certified.signing_key.serialize_der().into());
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut tls = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![certified.cert.der().clone()], key)
        .unwrap();
    tls.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(tls));
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let port = listener.local_addr().unwrap().port();
    let requests: Arc<Mutex<Vec<(String, Version)>>> = Arc::default();
    let log = requests.clone();
    rt.spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let (acceptor, log) = (acceptor.clone(), log.clone());
            tokio::spawn(async move {
                let Ok(stream) = acceptor.accept(tcp).await else {
                    return;
                };
                let service = hyper::service::service_fn(move |req: Request<Incoming>| {
                    let log = log.clone();
                    async move {
                        let path = req.uri().path().to_string();
                        log.lock().unwrap().push((path.clone(), req.version()));
                        let (status, body) = match path.as_str() {
                            "/" => (200, PAGE),
                            _ => (404, "not found"),
                        };
                        Response::builder()
                            .status(status)
                            .header("content-type", "text/html; charset=utf-8")
                            .body(Full::new(Bytes::from(body)))
                    }
                });
                let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    TlsServer {
        port,
        cert_pem,
        requests,
        _rt: rt,
    }
}

#[test]
fn https_is_fetched_over_http2_once_the_certificate_is_trusted() {
    let s = start_tls("a.test");
    let dir = tempfile::tempdir().unwrap();
    let seed = format!("https://a.test:{}/", s.port);
    let mut c = CrawlConfig {
        seeds: vec![seed.clone()],
        resolve: vec![format!("a.test:{}:127.0.0.1", s.port)],
        delay_secs: 0.0,
        timeout_secs: 5.0,
        max_depth: 0,
        ..CrawlConfig::default()
    };

    // Not trusted: the handshake fails before any request, so robots.txt is unreachable and
    // nothing of the site is fetched.
    let items = run(c.clone(), &dir.path().join("untrusted"));
    let (pages, skipped) = rows(&items);
    assert!(pages.is_empty(), "{pages:?}");
    assert_eq!(
        reason_of(&skipped, &seed),
        Some(ReasonCode::RobotsUnreachable)
    );
    assert!(s.requests.lock().unwrap().is_empty());

    // Trusted: robots.txt (404, so no rules) and the page, both over HTTP/2.
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, &s.cert_pem).unwrap();
    c.ca_certs = vec![ca];
    let items = run(c, &dir.path().join("trusted"));
    let (pages, _) = rows(&items);
    assert_eq!(pages, [seed]);
    assert_eq!(html_of(&pages_of(&items)[0]), PAGE);
    let served = s.requests.lock().unwrap().clone();
    assert!(served.iter().any(|(p, _)| p == "/robots.txt"), "{served:?}");
    assert!(served.iter().any(|(p, _)| p == "/"), "{served:?}");
    assert!(
        served.iter().all(|(_, v)| *v == Version::HTTP_2),
        "{served:?}"
    );
}

#[test]
fn a_ca_file_without_certificates_is_an_error_before_any_fetch() {
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("empty.pem");
    std::fs::write(&ca, "not a certificate\n").unwrap();
    let c = CrawlConfig {
        seeds: vec!["https://a.test/".into()],
        ca_certs: vec![ca],
        ..CrawlConfig::default()
    };
    let err = crawl(c, &dir.path().join(super::WARC_NAME))
        .err()
        .expect("refused");
    assert!(err.to_string().contains("empty.pem"), "{err}");
}
