//! The opt-out registry: a text file kept by the data steward, one entry per line, listing
//! domains and URL prefixes whose owners asked to be left out.
//!
//! Format (chosen for hand editing and diffing):
//! - `#` starts a comment, at the start of a line or after an entry; blank lines are ignored.
//! - `example.com` — a domain: matches the host and every subdomain (`a.b.example.com`), never
//!   a different name that merely ends the same way (`badexample.com`). A leading `*.` or `.`
//!   is accepted and means the same.
//! - `https://site.example/private/` — a URL prefix: matches URLs that start with it once
//!   both are in [`paths::comparable_url`] form (scheme and host lower-cased, a host's trailing
//!   dot, the default port, user info and fragment dropped, percent-encoding normalised as RFC
//!   9309 section 2.2.2 says, so `/a%7Eb/` and `/a~b/` are one prefix).
//! - `site.example/private/` — a prefix without a scheme matches over http and https.
//!
//! A line that is none of these is an error naming the file and line: a registry that silently
//! dropped an entry would fail someone who asked to be left out.
//! [`OptOutRegistry::version`] is the sha256 of the file's bytes, for manifests.

use super::{paths, Signal, Verdict};
use assent_schemas::ReasonCode;
use std::path::Path;
use url::Url;

/// Why a registry could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    #[error("{file}: cannot read the opt-out registry: {source}")]
    Io {
        file: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{file}:{line}: not a domain or URL prefix: {entry:?}")]
    BadEntry {
        file: String,
        line: usize,
        entry: String,
    },
}

/// What an entry matches.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EntryKind {
    /// A lower-cased domain, without a trailing dot.
    Domain(String),
    /// A canonical URL prefix, with its scheme.
    Prefix(String),
    /// A prefix `host/path…` without a scheme: matches http and https.
    AnySchemePrefix(String),
}

/// One registry entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub kind: EntryKind,
    /// The entry as written.
    pub raw: String,
    /// 1-based line number.
    pub line: usize,
}

/// A loaded opt-out registry.
#[derive(Clone, Debug, Default)]
pub struct OptOutRegistry {
    source: String,
    entries: Vec<Entry>,
    sha256: String,
}

fn valid_domain(d: &str) -> bool {
    d.contains('.')
        && d.len() <= 253
        && d.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.bytes()
                    .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
        })
}

/// Canonical form of an http(s) URL for prefix comparison.
fn canonical(u: &Url) -> String {
    paths::comparable_url(u)
}

fn parse_entry(raw: &str) -> Option<EntryKind> {
    let lower = raw.to_ascii_lowercase();
    if lower.starts_with("http://") || lower.starts_with("https://") {
        let u = Url::parse(raw).ok()?;
        u.host_str()?;
        return Some(EntryKind::Prefix(canonical(&u)));
    }
    if raw.contains("://") {
        return None;
    }
    if raw.contains('/') {
        // Canonicalise through https, then strip the scheme again.
        let u = Url::parse(&format!("https://{raw}")).ok()?;
        let c = canonical(&u);
        return Some(EntryKind::AnySchemePrefix(
            c["https://".len()..].to_string(),
        ));
    }
    let d = lower
        .trim_start_matches("*.")
        .trim_start_matches('.')
        .trim_end_matches('.');
    // Internationalised names are compared in their ASCII (punycode) form.
    let d = url::Host::parse(d).ok()?.to_string();
    valid_domain(&d).then_some(EntryKind::Domain(d))
}

impl OptOutRegistry {
    /// Read and parse a registry file.
    pub fn load(path: &Path) -> Result<Self, RegistryError> {
        let file = path.display().to_string();
        let bytes = std::fs::read(path).map_err(|source| RegistryError::Io {
            file: file.clone(),
            source,
        })?;
        let text = String::from_utf8_lossy(&bytes);
        let mut r = Self::parse(&text, &file)?;
        r.sha256 = hex_sha256(&bytes);
        Ok(r)
    }

    /// Parse registry text; `source_name` names it in errors and evidence.
    pub fn parse(text: &str, source_name: &str) -> Result<Self, RegistryError> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut entries = Vec::new();
        for (n, line) in text.lines().enumerate() {
            let entry = line.split('#').next().unwrap_or("").trim();
            if entry.is_empty() {
                continue;
            }
            let kind = parse_entry(entry).ok_or_else(|| RegistryError::BadEntry {
                file: source_name.to_string(),
                line: n + 1,
                entry: entry.chars().take(200).collect(),
            })?;
            entries.push(Entry {
                kind,
                raw: entry.to_string(),
                line: n + 1,
            });
        }
        Ok(OptOutRegistry {
            source: source_name.to_string(),
            entries,
            sha256: hex_sha256(text.as_bytes()),
        })
    }

    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// sha256 (hex) of the registry bytes: the exclusion list version named in manifests.
    pub fn version(&self) -> &str {
        &self.sha256
    }

    /// The first entry covering `url`, as a refusing signal with
    /// `found_in = "registry:<file>:<line>"` and `raw` = the entry.
    pub fn check(&self, url: &Url) -> Option<Signal> {
        let host = paths::host_key(url.host_str()?);
        let canon = canonical(url);
        let schemeless = canon.split_once("://").map(|(_, r)| r).unwrap_or("");
        let http = matches!(url.scheme(), "http" | "https");
        let hit = self.entries.iter().find(|e| match &e.kind {
            EntryKind::Domain(d) => {
                host == *d
                    || (host.len() > d.len()
                        && host.ends_with(d.as_str())
                        && host.as_bytes()[host.len() - d.len() - 1] == b'.')
            }
            EntryKind::Prefix(p) => canon.starts_with(p.as_str()),
            EntryKind::AnySchemePrefix(p) => http && schemeless.starts_with(p.as_str()),
        })?;
        Some(Signal::new(
            "registry",
            &format!("registry:{}:{}", self.source, hit.line),
            &hit.raw,
            Verdict::Refuse(ReasonCode::RegistryOptOut),
        ))
    }
}

use assent_schemas::digest::sha256_hex as hex_sha256;

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "# Opt-out registry\n\
        example.com   # whole domain\n\
        \n\
        HTTPS://Site.Example:443/private/\n\
        *.wild.example\n\
        plain.example/docs/\n";

    fn reg() -> OptOutRegistry {
        OptOutRegistry::parse(TEXT, "optout.txt").unwrap()
    }

    fn check(u: &str) -> Option<Signal> {
        reg().check(&Url::parse(u).unwrap())
    }

    #[test]
    fn domains_cover_subdomains_only() {
        let s = check("https://a.b.example.com/x").unwrap();
        assert_eq!(s.verdict, Verdict::Refuse(ReasonCode::RegistryOptOut));
        assert_eq!(s.found_in, "registry:optout.txt:2");
        assert_eq!(s.raw, "example.com");
        assert!(check("http://EXAMPLE.com./").is_some());
        assert!(check("https://badexample.com/").is_none());
        assert!(check("https://example.com.evil.test/").is_none());
        assert!(check("https://x.wild.example/").is_some());
        assert!(check("https://wild.example/").is_some());
    }

    #[test]
    fn url_prefixes_after_canonicalisation() {
        assert!(check("https://site.example/private/a").is_some());
        assert!(check("HTTPS://SITE.EXAMPLE/private/").is_some());
        assert!(check("https://site.example:443/private/a#frag").is_some());
        assert!(check("https://user:pw@site.example/private/a").is_some());
        assert!(check("https://site.example/Private/a").is_none());
        assert!(check("http://site.example/private/a").is_none());
        assert!(check("https://site.example/").is_none());
        assert!(check("http://plain.example/docs/a").is_some());
        assert!(check("https://plain.example/docs/a").is_some());
        assert!(check("https://plain.example/other").is_none());
        // Percent-encoding and a fully qualified host do not dodge an entry.
        let r = OptOutRegistry::parse("https://s.example/a%7Eb/\nt.example/c~d/\n", "f").unwrap();
        for u in [
            "https://s.example/a~b/x",
            "https://s.example/a%7eb/x",
            "https://s.example./a~b/x",
            "http://t.example/c%7Ed/x",
            "http://T.example./c~d/",
        ] {
            assert!(r.check(&Url::parse(u).unwrap()).is_some(), "{u}");
        }
    }

    #[test]
    fn entries_and_version() {
        let r = reg();
        assert_eq!(r.entries().len(), 4);
        assert_eq!(r.version().len(), 64);
        assert_ne!(
            r.version(),
            OptOutRegistry::parse("x.example", "f").unwrap().version()
        );
    }

    #[test]
    fn bad_lines_name_file_and_line() {
        for bad in [
            "not a domain",
            "ftp://x.example/",
            "exa mple.com",
            "a..b",
            "://",
            "-",
        ] {
            let text = format!("ok.example\n{bad}\n");
            let err = OptOutRegistry::parse(&text, "reg.txt").unwrap_err();
            let msg = err.to_string();
            assert!(msg.contains("reg.txt:2"), "{bad}: {msg}");
        }
    }

    #[test]
    fn load_from_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("optout.txt");
        std::fs::write(&path, TEXT).unwrap();
        let r = OptOutRegistry::load(&path).unwrap();
        assert_eq!(r.entries().len(), 4);
        let s = r
            .check(&Url::parse("https://example.com/").unwrap())
            .unwrap();
        assert!(s.found_in.ends_with("optout.txt:2"));
        let missing = OptOutRegistry::load(&dir.path().join("nope.txt")).unwrap_err();
        assert!(missing.to_string().contains("nope.txt"));
    }

    #[test]
    fn hostile_input() {
        let huge = "a".repeat(1_000_000);
        assert!(OptOutRegistry::parse(&huge, "f").is_err());
        let many = "x.example\n".repeat(100_000);
        assert_eq!(
            OptOutRegistry::parse(&many, "f").unwrap().entries().len(),
            100_000
        );
        let r = OptOutRegistry::parse("\u{feff}# bom\nü.example\n", "f").unwrap();
        assert!(r
            .check(&Url::parse("https://www.ü.example/").unwrap())
            .is_some());
    }
}
