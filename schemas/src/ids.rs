//! Stable identifiers: canonical URLs, document ids and text hashes.
//!
//! Ids are xxh3-128 digests written as 32 lower-case hex digits. They identify, they do not
//! authenticate: manifests use sha256 where an outside party must be able to verify a file.

use xxhash_rust::xxh3::xxh3_128;

/// The form of a URL used for ids and dedup: scheme and host lower-cased, default port and
/// fragment removed, path and query kept byte for byte (they are case-sensitive on most
/// servers). A string that does not parse as an absolute URL is kept as it is, trimmed.
pub fn canonical_url(raw: &str) -> String {
    PageUrl::parse(raw).canonical
}

/// The host of a URL, lower-cased, or the empty string when it has none.
pub fn host_of(raw: &str) -> String {
    PageUrl::parse(raw).host
}

/// A record's URL, parsed once for everything admission needs of it: the parsed URL (consent
/// asks its site), the canonical form ([`canonical_url`], for ids and provenance) and the
/// host ([`host_of`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PageUrl {
    /// None when the URL does not parse (the record has no usable URL).
    pub parsed: Option<url::Url>,
    pub canonical: String,
    pub host: String,
}

impl PageUrl {
    pub fn parse(raw: &str) -> Self {
        let trimmed = raw.trim();
        match url::Url::parse(trimmed) {
            Ok(parsed) => {
                let mut canonical = parsed.clone();
                canonical.set_fragment(None);
                PageUrl {
                    host: parsed
                        .host_str()
                        .map(str::to_ascii_lowercase)
                        .unwrap_or_default(),
                    canonical: canonical.to_string(),
                    parsed: Some(parsed),
                }
            }
            Err(_) => PageUrl {
                parsed: None,
                canonical: trimmed.to_string(),
                host: String::new(),
            },
        }
    }
}

/// The id of a document: xxh3-128 of its canonical URL and the id of the record it came from
/// (WARC-Record-ID, input row, or crawl fetch id), so that two captures of one URL stay apart.
pub fn doc_id(canonical_url: &str, source_record_id: &str) -> String {
    let mut key = Vec::with_capacity(canonical_url.len() + source_record_id.len() + 1);
    key.extend_from_slice(canonical_url.as_bytes());
    key.push(0);
    key.extend_from_slice(source_record_id.as_bytes());
    hex128(xxh3_128(&key))
}

/// Text as compared by exact dedup: every run of Unicode whitespace becomes one space, and
/// leading and trailing whitespace goes. Case and punctuation stay: they carry meaning.
pub fn normalise_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for word in text.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// xxh3-128 of the normalised text, in hex.
pub fn text_hash(text: &str) -> String {
    hex128(xxh3_128(normalise_text(text).as_bytes()))
}

fn hex128(v: u128) -> String {
    format!("{v:032x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_url_is_parsed_once_for_all_its_forms() {
        let u = PageUrl::parse("  HTTP://Example.ORG/a?b#frag ");
        assert_eq!(u.canonical, "http://example.org/a?b");
        assert_eq!(u.canonical, canonical_url("  HTTP://Example.ORG/a?b#frag "));
        assert_eq!(u.host, "example.org");
        assert_eq!(u.parsed.unwrap().fragment(), Some("frag"));
        let none = PageUrl::parse(" not a url ");
        assert_eq!(
            (none.parsed, none.canonical.as_str(), none.host.as_str()),
            (None, "not a url", "")
        );
    }

    #[test]
    fn canonical_url_lowercases_host_and_drops_fragment_and_default_port() {
        assert_eq!(
            canonical_url(" HTTP://Example.COM:80/A/b?x=1#top "),
            "http://example.com/A/b?x=1"
        );
        assert_eq!(canonical_url("https://example.com"), "https://example.com/");
        assert_eq!(canonical_url("not a url"), "not a url");
    }

    #[test]
    fn doc_id_depends_on_url_and_record() {
        let a = doc_id("http://a.example/", "<urn:uuid:1>");
        assert_eq!(a.len(), 32);
        assert!(a.chars().all(|c| c.is_ascii_hexdigit()));
        assert_eq!(a, doc_id("http://a.example/", "<urn:uuid:1>"));
        assert_ne!(a, doc_id("http://a.example/", "<urn:uuid:2>"));
        assert_ne!(a, doc_id("http://b.example/", "<urn:uuid:1>"));
        // The separator keeps ("ab", "c") apart from ("a", "bc").
        assert_ne!(doc_id("ab", "c"), doc_id("a", "bc"));
    }

    #[test]
    fn text_hash_ignores_whitespace_layout_only() {
        assert_eq!(text_hash("a  b\n\tc "), text_hash("a b c"));
        assert_ne!(text_hash("a b c"), text_hash("A b c"));
        assert_eq!(normalise_text("\u{a0}x\u{2003}y "), "x y");
    }

    #[test]
    fn host_of_reads_host() {
        assert_eq!(host_of("https://News.Example.org/x"), "news.example.org");
        assert_eq!(host_of("garbage"), "");
    }
}
