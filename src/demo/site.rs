//! The demo web: generated pages over a dozen hosts, written as a WARC 1.1 archive.
//!
//! Alongside ordinary articles it holds the cases that make a pipeline earn its keep: a mirror
//! host that copies articles word for word (exact dedup), a 404, an image, a page that is only
//! script (nothing to extract), a request record (not content) and a corrupt record (malformed,
//! ledgered, and reading goes on past it).

use super::text::{paragraph, title, Rng, TOPICS};
use assent_ingest::warc::WarcWriter;
use chrono::{DateTime, TimeZone, Utc};
use std::io::Write;
use std::path::Path;

/// The demo's hosts, under the reserved `.test` top-level domain.
pub const HOSTS: &[&str] = &[
    "garden.demo.test",
    "stars.demo.test",
    "bakery.demo.test",
    "river.demo.test",
    "cycling.demo.test",
    "history.demo.test",
    "allotment.demo.test",
    "skywatch.demo.test",
    "crumb.demo.test",
    "wetlands.demo.test",
    "workshop.demo.test",
    "archive.demo.test",
    "mirror.demo.test",
];

/// Articles per (non-mirror) host.
pub const ARTICLES_PER_HOST: usize = 24;
/// Articles the mirror host copies verbatim from the first host.
pub const MIRRORED: usize = 12;

/// One generated page.
pub struct DemoPage {
    pub url: String,
    pub status: u16,
    pub content_type: &'static str,
    pub body: Vec<u8>,
}

fn nav(host: &str) -> String {
    format!(
        "<nav><a href=\"http://{host}/\">Home</a> | <a href=\"http://{host}/about\">About</a> | <a href=\"http://{host}/contact\">Contact</a></nav>"
    )
}

fn article_html(host: &str, heading: &str, paragraphs: &[String]) -> String {
    let body: String = paragraphs.iter().map(|p| format!("<p>{p}</p>\n")).collect();
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{heading}</title>\
         <style>body {{ font-family: serif; }}</style><script>var tracking = 'demo';</script></head>\n\
         <body>{}\n<main><h1>{heading}</h1>\n{body}</main>\n<footer>Demo site {host}</footer></body></html>\n",
        nav(host)
    )
}

/// Every page of the demo web, in a fixed order.
pub fn pages() -> Vec<DemoPage> {
    let mut rng = Rng::new(0xA55E_27);
    let mut out = Vec::new();
    let mut first_host_articles = Vec::new();
    for (h, host) in HOSTS.iter().enumerate().take(HOSTS.len() - 1) {
        let topic = &TOPICS[h % TOPICS.len()];
        for a in 0..ARTICLES_PER_HOST {
            let heading = title(&mut rng, topic);
            let n = 4 + rng.below(5);
            let paras: Vec<String> = (0..n).map(|_| paragraph(&mut rng, topic)).collect();
            let html = article_html(host, &heading, &paras);
            if h == 0 {
                first_host_articles.push(html.clone());
            }
            out.push(DemoPage { url: format!("http://{host}/articles/{a}"), status: 200, content_type: "text/html; charset=utf-8", body: html.into_bytes() });
        }
    }
    let mirror = HOSTS[HOSTS.len() - 1];
    for (a, html) in first_host_articles.iter().take(MIRRORED).enumerate() {
        out.push(DemoPage { url: format!("http://{mirror}/copy/{a}"), status: 200, content_type: "text/html; charset=utf-8", body: html.clone().into_bytes() });
    }
    out.push(DemoPage { url: format!("http://{}/missing", HOSTS[1]), status: 404, content_type: "text/html", body: b"<html><body><h1>Not found</h1></body></html>".to_vec() });
    out.push(DemoPage { url: format!("http://{}/logo.png", HOSTS[2]), status: 200, content_type: "image/png", body: b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec() });
    out.push(DemoPage { url: format!("http://{}/app", HOSTS[3]), status: 200, content_type: "text/html", body: b"<html><body><script>render()</script></body></html>".to_vec() });
    out
}

fn date(n: usize) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).single().expect("valid date") + chrono::Duration::seconds(n as i64)
}

/// Writes the demo web as a WARC file (gzip per record) and returns the number of records.
pub fn write_demo_warc(path: &Path) -> std::io::Result<usize> {
    let file = std::io::BufWriter::new(std::fs::File::create(path)?);
    let mut w = WarcWriter::new(file);
    w.write_warcinfo(date(0), &[("software", concat!("assent/", env!("CARGO_PKG_VERSION"))), ("description", "assent demo web")])?;
    let pages = pages();
    let mut records = 1;
    for (n, page) in pages.iter().enumerate() {
        if n == 5 {
            // A request record, as crawlers write them before each response: not content.
            let request = format!("GET /articles/5 HTTP/1.1\r\nHost: {}\r\n\r\n", HOSTS[0]);
            w.write_record("request", Some(&page.url), date(n), "application/http; msgtype=request", &[], request.as_bytes())?;
            records += 1;
        }
        let headers = vec![("Content-Type".to_string(), page.content_type.to_string())];
        w.write_response(&page.url, date(n), page.status, &headers, &page.body)?;
        records += 1;
        if n == 40 {
            // A corrupt record: a gzip member whose content is not WARC at all.
            let offset = w.offset();
            let mut file = w.into_inner();
            let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
            gz.write_all(b"this is not a WARC record\r\n\r\n")?;
            let garbage = gz.finish()?;
            file.write_all(&garbage)?;
            w = WarcWriter::starting_at(file, offset + garbage.len() as u64);
            records += 1;
        }
    }
    let mut file = w.into_inner();
    file.flush()?;
    Ok(records)
}
