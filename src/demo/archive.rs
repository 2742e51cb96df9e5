//! A web archive of the demo web made the way most archives are made: by a crawler that asks
//! nobody's consent. Every page is in it, refused ones included, with the headers it is
//! served with, and the site files as they were when it was made — river's robots.txt from
//! before the site opted its reports out, so that curating the archive by its own captures
//! (`archive`) and by asking the hosts today (`live`) give different answers.
//!
//! The responses are the server's own ([`DemoWeb::respond`]), written straight into the WARC
//! rather than fetched, so the archive is the same every time.

use super::web::{DemoWeb, HOSTS, SITE_FILE_PATHS};
use anyhow::Context;
use assent_ingest::warc::WarcWriter;
use chrono::{TimeZone, Utc};
use std::path::Path;

/// Site files that the archive holds in an older version than the server now serves.
const OLDER_CAPTURES: &[(&str, &str, &str)] = &[(
    "river.demo.test",
    "/robots.txt",
    "User-agent: *\nAllow: /\n",
)];

/// Writes the archive of `web` as served on `port` to `path`; returns how many responses it
/// holds.
pub fn write(web: &DemoWeb, port: u16, path: &Path) -> anyhow::Result<usize> {
    let file =
        std::fs::File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
    let mut warc = WarcWriter::new(std::io::BufWriter::new(file));
    let captured = Utc
        .with_ymd_and_hms(2025, 3, 1, 9, 0, 0)
        .single()
        .expect("a valid date");
    let mut n = 0;
    let mut write =
        |host: &str, path: &str, status: u16, headers: &[(String, String)], body: &[u8]| {
            let url = format!("http://{host}:{port}{path}");
            n += 1;
            warc.write_response(&url, captured, status, headers, body)
        };
    for host in HOSTS {
        let authority = format!("{host}:{port}");
        for path in SITE_FILE_PATHS {
            let r = web.respond(&authority, path);
            if r.status == 404 && *path != "/robots.txt" {
                continue;
            }
            let older = OLDER_CAPTURES
                .iter()
                .find(|(h, p, _)| h == host && p == path);
            let body = older.map_or(r.body.as_slice(), |(_, _, b)| b.as_bytes());
            write(host, path, r.status, &r.headers, body)?;
        }
    }
    for (host, path) in web.page_paths() {
        let r = web.respond(&format!("{host}:{port}"), path);
        write(host, path, r.status, &r.headers, &r.body)?;
    }
    let file = warc.into_inner().into_inner().map_err(|e| e.into_error())?;
    file.sync_all()?;
    Ok(n)
}
