//! The captures of site files found in WARC inputs, by origin and file (robots.txt, ai.txt,
//! tdmrep.json) and, for RSL documents, by URL.

use super::spill::{Extent, Spill};
use crate::http;
use crate::warc::{WarcReader, WarcRecord};
use assent_consent::paths;
use assent_consent::robots::MAX_ROBOTS_BYTES;
use assent_consent::site::origin_key;
use assent_consent::{rsl, tdmrep};
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::Path;
use std::sync::{Arc, Mutex};
use url::Url;

/// The site files an origin publishes at fixed paths.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SiteFile {
    Robots,
    AiTxt,
    TdmRep,
}

impl SiteFile {
    pub const ALL: [SiteFile; 3] = [Self::Robots, Self::AiTxt, Self::TdmRep];

    /// The path the file lives at on every origin.
    pub fn path(self) -> &'static str {
        match self {
            Self::Robots => "/robots.txt",
            Self::AiTxt => "/ai.txt",
            Self::TdmRep => "/.well-known/tdmrep.json",
        }
    }

    fn of_path(path: &str) -> Option<SiteFile> {
        Self::ALL.into_iter().find(|f| f.path() == path)
    }

    /// The site file `url` is the address of, if it is one.
    pub fn of_url(url: &str) -> Option<SiteFile> {
        Url::parse(url).ok().and_then(|u| Self::of_path(u.path()))
    }

    /// Most bytes of the file kept: what the parsers read, and one byte more so that a file
    /// over a parser's limit is still seen to be over it.
    fn cap(self) -> usize {
        match self {
            Self::Robots => MAX_ROBOTS_BYTES,
            Self::AiTxt => 500 * 1024,
            Self::TdmRep => tdmrep::MAX_FILE + 1,
        }
    }
}

/// One captured response.
#[derive(Clone, Debug)]
pub(crate) struct Capture {
    /// WARC-Target-URI.
    pub url: String,
    pub status: u16,
    /// The `Location` of a redirect.
    pub location: Option<String>,
    /// WARC-Date.
    pub fetched_at: Option<DateTime<Utc>>,
    /// The input it is in, as named on the command line.
    pub file: String,
    pub record_id: Option<String>,
    pub offset: u64,
    body: Extent,
}

impl Capture {
    /// Where the evidence says the file came from.
    pub fn provenance(&self) -> String {
        format!(
            "captured {}, HTTP {}, in {} record {} at offset {}",
            self.fetched_at
                .map(|t| t.to_rfc3339())
                .unwrap_or_else(|| "at an unknown time".into()),
            self.status,
            self.file,
            self.record_id.as_deref().unwrap_or("(no id)"),
            self.offset
        )
    }
}

/// A WARC input's size and sha256, computed while it was scanned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileDigest {
    pub bytes: u64,
    pub sha256: String,
}

/// Every site-file capture of the inputs scanned so far.
pub struct SiteFileIndex {
    spill: Spill,
    files: HashMap<(String, SiteFile), Capture>,
    rsl: HashMap<String, Capture>,
}

/// The bytes read from a file, hashed as they go by, shared with the scan that drains what
/// the WARC reader left unread.
struct Hashing {
    file: File,
    hasher: Sha256,
    bytes: u64,
}

#[derive(Clone)]
struct HashingReader(Arc<Mutex<Hashing>>);

impl Read for HashingReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let mut h = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let n = h.file.read(buf)?;
        h.hasher.update(&buf[..n]);
        h.bytes += n as u64;
        Ok(n)
    }
}

/// Whether a body is an RSL document: its root element is `<rsl` (after a BOM, an XML
/// declaration and comments), looked for in the first KiB.
fn looks_like_rsl(body: &[u8]) -> bool {
    let head = &body[..body.len().min(1024)];
    memchr::memmem::find(&head.to_ascii_lowercase(), b"<rsl").is_some()
}

impl SiteFileIndex {
    /// An empty index whose bodies go to a spill file at `spill`, created on the first
    /// capture and removed when the index is dropped.
    pub fn new(spill: &Path) -> SiteFileIndex {
        SiteFileIndex {
            spill: Spill::at(spill),
            files: HashMap::new(),
            rsl: HashMap::new(),
        }
    }

    /// Reads the WARC file at `path` (named `display_name` in evidence) for its site-file
    /// captures, and returns its size and sha256. Records that cannot be read are left to the
    /// curation's own pass, which reports them; only opening or reading the file can fail.
    pub fn scan(&mut self, path: &Path, display_name: &str) -> io::Result<FileDigest> {
        let shared = Arc::new(Mutex::new(Hashing {
            file: File::open(path)?,
            hasher: Sha256::new(),
            bytes: 0,
        }));
        let reader = BufReader::with_capacity(256 * 1024, HashingReader(shared.clone()));
        for record in WarcReader::new(Box::new(reader) as Box<dyn io::BufRead + Send>).flatten() {
            self.offer(&record, display_name)?;
        }
        let mut h = shared.lock().unwrap_or_else(|e| e.into_inner());
        // What the reader did not read (after an unrecoverable error) is hashed too.
        let mut rest = Vec::new();
        h.file.read_to_end(&mut rest)?;
        h.hasher.update(&rest);
        h.bytes += rest.len() as u64;
        Ok(FileDigest {
            bytes: h.bytes,
            sha256: assent_schemas::digest::to_hex(&h.hasher.clone().finalize()),
        })
    }

    /// Keeps `record` if it is a site-file capture; returns whether it was one.
    pub fn offer(&mut self, record: &WarcRecord, file: &str) -> io::Result<bool> {
        if !record
            .warc_type()
            .is_some_and(|t| t.eq_ignore_ascii_case("response"))
        {
            return Ok(false);
        }
        let Some(url) = record.target_uri().and_then(|u| Url::parse(u).ok()) else {
            return Ok(false);
        };
        let Ok(head) = http::parse_head(&record.block) else {
            return Ok(false);
        };
        let kind = SiteFile::of_path(url.path());
        let media = http::header(&head.headers, "content-type")
            .map(http::media_type)
            .unwrap_or_default();
        let xml = matches!(
            media.as_str(),
            "application/rsl+xml" | "application/xml" | "text/xml"
        );
        if kind.is_none() && !xml {
            return Ok(false);
        }
        let Ok(mut body) = http::decode_body(&head.headers, &record.block[head.body_start..])
        else {
            return Ok(false);
        };
        let is_rsl = kind.is_none() && (media == "application/rsl+xml" || looks_like_rsl(&body));
        if kind.is_none() && !is_rsl {
            return Ok(false);
        }
        body.truncate(kind.map_or(rsl::MAX_DOCUMENT + 1, SiteFile::cap));
        let capture = Capture {
            url: url.to_string(),
            status: head.status,
            location: http::header(&head.headers, "location").map(str::to_string),
            fetched_at: record.date(),
            file: file.to_string(),
            record_id: record.record_id().map(str::to_string),
            offset: record.offset,
            body: self.spill.append(&body)?,
        };
        // The latest capture wins; on a tie, the later record.
        let newer = |old: &Capture| capture.fetched_at >= old.fetched_at;
        match kind {
            Some(kind) => {
                let Some(origin) = origin_key(&url) else {
                    return Ok(false);
                };
                let key = (origin, kind);
                if self.files.get(&key).is_none_or(newer) {
                    self.files.insert(key, capture);
                }
            }
            None => {
                let key = paths::comparable_url(&url);
                if self.rsl.get(&key).is_none_or(newer) {
                    self.rsl.insert(key, capture);
                }
            }
        }
        Ok(true)
    }

    /// The capture of `file` for the origin `origin` (an [`origin_key`]).
    pub(crate) fn capture(&self, origin: &str, file: SiteFile) -> Option<&Capture> {
        self.files.get(&(origin.to_string(), file))
    }

    /// The capture of the RSL document at `url`.
    pub(crate) fn rsl_capture(&self, url: &Url) -> Option<&Capture> {
        self.rsl.get(&paths::comparable_url(url))
    }

    /// The body of a capture.
    pub(crate) fn body(&self, capture: &Capture) -> io::Result<Vec<u8>> {
        self.spill.read(capture.body)
    }

    /// How many origins have a robots.txt capture, and how many captures are kept in all.
    pub fn counts(&self) -> (usize, usize) {
        let robots = self
            .files
            .keys()
            .filter(|(_, f)| *f == SiteFile::Robots)
            .count();
        (robots, self.files.len() + self.rsl.len())
    }
}
