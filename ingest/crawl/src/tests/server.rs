//! A tiny HTTP/1.1 test server on 127.0.0.1 that serves several virtual hosts (by the Host
//! header), records every request with its start and end time, and the most requests it had
//! in flight per host at once — what the politeness tests measure.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

#[derive(Clone, Debug)]
pub struct Hit {
    pub host: String,
    pub path: String,
    pub start: Instant,
    pub end: Instant,
}

pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub delay: Duration,
}

impl Resp {
    pub fn html(body: &str) -> Resp {
        Resp::new(200, "text/html; charset=utf-8", body)
    }
    pub fn new(status: u16, content_type: &str, body: &str) -> Resp {
        Resp {
            status,
            headers: vec![("Content-Type".into(), content_type.into())],
            body: body.as_bytes().to_vec(),
            delay: Duration::ZERO,
        }
    }
    pub fn bytes(content_type: &str, body: Vec<u8>) -> Resp {
        let mut r = Resp::new(200, content_type, "");
        r.body = body;
        r
    }
    pub fn not_found() -> Resp {
        Resp::new(404, "text/plain", "not found")
    }
    pub fn redirect(to: &str) -> Resp {
        Resp::new(302, "text/plain", "").header("Location", to)
    }
    pub fn header(mut self, name: &str, value: &str) -> Resp {
        self.headers.push((name.into(), value.into()));
        self
    }
    pub fn delay(mut self, d: Duration) -> Resp {
        self.delay = d;
        self
    }
}

type Handler = dyn Fn(&str, &str) -> Resp + Send + Sync;

pub struct Server {
    pub port: u16,
    hits: Arc<Mutex<Vec<Hit>>>,
    max_in_flight: Arc<Mutex<HashMap<String, usize>>>,
    _rt: tokio::runtime::Runtime,
}

impl Server {
    /// Serves `handler(host, path)`; `host` is without port.
    pub fn start(handler: impl Fn(&str, &str) -> Resp + Send + Sync + 'static) -> Server {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let listener = rt.block_on(TcpListener::bind("127.0.0.1:0")).unwrap();
        let port = listener.local_addr().unwrap().port();
        let hits = Arc::new(Mutex::new(Vec::new()));
        let max_in_flight = Arc::new(Mutex::new(HashMap::new()));
        let in_flight: Arc<Mutex<HashMap<String, usize>>> = Arc::default();
        let handler: Arc<Handler> = Arc::new(handler);
        let (h2, m2) = (hits.clone(), max_in_flight.clone());
        rt.spawn(async move {
            loop {
                let Ok((mut sock, _)) = listener.accept().await else {
                    return;
                };
                let (hits, maxf, inf, handler) =
                    (h2.clone(), m2.clone(), in_flight.clone(), handler.clone());
                tokio::spawn(async move {
                    let mut buf = Vec::new();
                    let mut chunk = [0u8; 4096];
                    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                        match sock.read(&mut chunk).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => buf.extend_from_slice(&chunk[..n]),
                        }
                    }
                    let head = String::from_utf8_lossy(&buf).to_string();
                    let path = head.split(' ').nth(1).unwrap_or("/").to_string();
                    let host = head
                        .lines()
                        .find_map(|l| {
                            let (n, v) = l.split_once(':')?;
                            n.eq_ignore_ascii_case("host").then(|| v.trim().to_string())
                        })
                        .unwrap_or_default();
                    let host = host.split(':').next().unwrap_or("").to_string();
                    let start = Instant::now();
                    {
                        let mut inf = inf.lock().unwrap();
                        let n = inf.entry(host.clone()).or_insert(0);
                        *n += 1;
                        let mut m = maxf.lock().unwrap();
                        let mx = m.entry(host.clone()).or_insert(0);
                        *mx = (*mx).max(*n);
                    }
                    let mut resp = handler(&host, &path);
                    if let Ok(text) = std::str::from_utf8(&resp.body) {
                        if text.contains("{PORT}") {
                            resp.body = text.replace("{PORT}", &port.to_string()).into_bytes();
                        }
                    }
                    tokio::time::sleep(resp.delay).await;
                    let mut out = format!("HTTP/1.1 {} X\r\n", resp.status);
                    for (n, v) in &resp.headers {
                        // Handlers cannot know the port in advance: `{PORT}` stands for it
                        // (in header values and text bodies).
                        let v = v.replace("{PORT}", &port.to_string());
                        out.push_str(&format!("{n}: {v}\r\n"));
                    }
                    out.push_str(&format!(
                        "Content-Length: {}\r\nConnection: close\r\n\r\n",
                        resp.body.len()
                    ));
                    let mut bytes = out.into_bytes();
                    bytes.extend_from_slice(&resp.body);
                    // The request counts as finished before its last byte is written: the
                    // client may send the next one as soon as it has read this response, and
                    // must not be seen as overlapping because this task had not run yet.
                    let end = Instant::now();
                    *inf.lock().unwrap().get_mut(&host).unwrap() -= 1;
                    hits.lock().unwrap().push(Hit {
                        host,
                        path,
                        start,
                        end,
                    });
                    let _ = sock.write_all(&bytes).await;
                    let _ = sock.flush().await;
                    let _ = sock.shutdown().await;
                });
            }
        });
        Server {
            port,
            hits,
            max_in_flight,
            _rt: rt,
        }
    }

    pub fn hits(&self) -> Vec<Hit> {
        self.hits.lock().unwrap().clone()
    }

    /// Paths requested on `host`, in order of completion.
    pub fn paths(&self, host: &str) -> Vec<String> {
        self.hits()
            .into_iter()
            .filter(|h| h.host == host)
            .map(|h| h.path)
            .collect()
    }

    pub fn max_in_flight(&self, host: &str) -> usize {
        self.max_in_flight
            .lock()
            .unwrap()
            .get(host)
            .copied()
            .unwrap_or(0)
    }

    pub fn url(&self, host: &str, path: &str) -> String {
        format!("http://{host}:{}{path}", self.port)
    }
}
