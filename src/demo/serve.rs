//! Serves the [`DemoWeb`] on 127.0.0.1 from a background thread, and records every request so
//! that tests can check what the crawler did and did not ask for.

use super::web::DemoWeb;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::Response;
use std::sync::{Arc, Mutex};

/// A running demo web server. Dropping it stops the server.
pub struct RunningWeb {
    pub port: u16,
    requests: Arc<Mutex<Vec<(String, String)>>>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl RunningWeb {
    /// Every request so far, as (host without port, path).
    pub fn requests(&self) -> Vec<(String, String)> {
        self.requests.lock().map(|r| r.clone()).unwrap_or_default()
    }
}

impl Drop for RunningWeb {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

struct Shared {
    web: DemoWeb,
    requests: Arc<Mutex<Vec<(String, String)>>>,
}

async fn handle(State(shared): State<Arc<Shared>>, req: Request) -> Response {
    let authority = req
        .headers()
        .get("host")
        .and_then(|h| h.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let host = authority.split(':').next().unwrap_or("").to_string();
    let path = req.uri().path().to_string();
    if let Ok(mut log) = shared.requests.lock() {
        log.push((host, path.clone()));
    }
    let demo = shared.web.respond(&authority, &path);
    let mut response = Response::new(Body::from(demo.body));
    *response.status_mut() =
        StatusCode::from_u16(demo.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    for (name, value) in demo.headers {
        if let (Ok(n), Ok(v)) = (HeaderName::try_from(name), HeaderValue::try_from(value)) {
            response.headers_mut().append(n, v);
        }
    }
    response
}

/// Binds 127.0.0.1 on a free port and serves `web` until the handle is dropped.
pub fn start(web: DemoWeb) -> std::io::Result<RunningWeb> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    listener.set_nonblocking(true)?;
    let port = listener.local_addr()?.port();
    let requests = Arc::new(Mutex::new(Vec::new()));
    let shared = Arc::new(Shared {
        web,
        requests: requests.clone(),
    });
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let thread = std::thread::Builder::new()
        .name("assent-demo-web".into())
        .spawn(move || {
            runtime.block_on(async move {
                let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
                    return;
                };
                let app = axum::Router::new().fallback(handle).with_state(shared);
                let _ = axum::serve(listener, app)
                    .with_graceful_shutdown(async {
                        let _ = rx.await;
                    })
                    .await;
            });
        })?;
    Ok(RunningWeb {
        port,
        requests,
        shutdown: Some(tx),
        thread: Some(thread),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};

    fn get(port: u16, host: &str, path: &str) -> String {
        let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
        write!(
            s,
            "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).unwrap();
        out
    }

    #[test]
    fn serves_each_host_by_its_host_header_over_real_sockets() {
        let running = start(DemoWeb::new()).unwrap();
        let robots = get(running.port, "bakery.demo.test", "/robots.txt");
        assert!(robots.starts_with("HTTP/1.1 200"), "{robots}");
        assert!(robots.contains("User-agent: GPTBot"));
        let unreachable = get(running.port, "archive.demo.test", "/robots.txt");
        assert!(unreachable.starts_with("HTTP/1.1 503"), "{unreachable}");
        let noai = get(running.port, "allotment.demo.test", "/articles/2");
        assert!(
            noai.to_ascii_lowercase().contains("x-robots-tag: noai"),
            "{noai}"
        );
        assert_eq!(
            running.requests(),
            vec![
                ("bakery.demo.test".to_string(), "/robots.txt".to_string()),
                ("archive.demo.test".to_string(), "/robots.txt".to_string()),
                ("allotment.demo.test".to_string(), "/articles/2".to_string()),
            ]
        );
    }
}
