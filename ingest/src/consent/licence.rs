//! Licence detection (first cut; a later issue adds JSON-LD and text): `rel="license"` links
//! (`<link>`, `<a>`, `<area>`, and `Link` headers), `<meta name="dcterms.license" | "dc.rights" | "dcterms.rights">`
//! whose content is a URL, and Creative Commons URLs mapped to SPDX ids.
//!
//! Mapping choices:
//! - `creativecommons.org/licenses/<by|by-sa|by-nc|by-nd|by-nc-sa|by-nc-nd>/<v>/` for versions
//!   1.0, 2.0, 2.5, 3.0, 4.0 → `CC-BY[-…]-<v>` (the spelling `nc-nd`→`NC-ND`, and CC's
//!   1.0-era `by-nd-nc` → `CC-BY-NC-ND-1.0`).
//! - Ported licences (`/by/3.0/de/`) → the SPDX id for that port where SPDX lists one
//!   (`CC-BY-3.0-DE`); otherwise the generic id of the same licence and version, as the ports
//!   grant the same freedoms. Version 2.1 exists only as ports: → the listed SPDX port or none.
//! - `publicdomain/zero/1.0` → `CC0-1.0`; `publicdomain/mark/1.0` → `LicenseRef-PDM-1.0`
//!   (SPDX has no id for the Public Domain Mark, which is a statement, not a licence).
//! - `Link: <…>; rel="license"` response headers (RFC 8288) are read the same way
//!   ([`from_headers`]); [`licence_links`] is shared with `rsl` for RSL documents.
//! - Anything else (other licence URLs, relative links, free text) is not recognised yet.
//!
//! [`is_allowed`] patterns: an exact SPDX id, or `PREFIX*` where `*` stands for a version
//! (what follows the prefix must start with a digit). So `CC-BY-*` matches `CC-BY-4.0` and
//! `CC-BY-3.0-DE` but NOT `CC-BY-NC-4.0` or `CC-BY-SA-4.0`; ids compare case-insensitively
//! (SPDX ids are case-insensitive).

use super::noai::{scan_tags, truncate};
use super::{Signal, Verdict};
use assent_schemas::Licence;

/// Most bytes of a page searched for licence markup.
pub const LIMIT: usize = 1024 * 1024;

/// Licences allowed under policy `open-licence-only` unless configured otherwise.
pub const DEFAULT_ALLOWED: &[&str] = &["CC0-1.0", "CC-BY-*", "CC-BY-SA-*", "LicenseRef-PDM-1.0"];

/// Ported CC licences with their own SPDX id (licence code, version, jurisdiction).
const SPDX_PORTS: &[(&str, &str, &str)] = &[
    ("by", "2.5", "au"),
    ("by", "3.0", "at"),
    ("by", "3.0", "au"),
    ("by", "3.0", "de"),
    ("by", "3.0", "igo"),
    ("by", "3.0", "nl"),
    ("by", "3.0", "us"),
    ("by-nc", "3.0", "de"),
    ("by-nc-nd", "3.0", "de"),
    ("by-nc-nd", "3.0", "igo"),
    ("by-nc-sa", "2.0", "de"),
    ("by-nc-sa", "2.0", "fr"),
    ("by-nc-sa", "2.0", "uk"),
    ("by-nc-sa", "3.0", "de"),
    ("by-nc-sa", "3.0", "igo"),
    ("by-nd", "3.0", "de"),
    ("by-sa", "2.0", "uk"),
    ("by-sa", "2.1", "jp"),
    ("by-sa", "3.0", "at"),
    ("by-sa", "3.0", "de"),
    ("by-sa", "3.0", "igo"),
];

const GENERIC_VERSIONS: &[&str] = &["1.0", "2.0", "2.5", "3.0", "4.0"];

/// The SPDX id of a Creative Commons licence or public-domain tool URL.
pub fn cc_spdx(url: &str) -> Option<String> {
    let u = url::Url::parse(url.trim()).ok()?;
    if !matches!(u.scheme(), "http" | "https") {
        return None;
    }
    let host = u.host_str()?.to_ascii_lowercase();
    if host != "creativecommons.org" && host != "www.creativecommons.org" {
        return None;
    }
    let parts: Vec<String> = u
        .path_segments()?
        .filter(|s| !s.is_empty())
        .map(|s| s.to_ascii_lowercase())
        .collect();
    let part = |i: usize| parts.get(i).map(String::as_str);
    match (part(0)?, part(1)?, part(2)) {
        ("publicdomain", "zero", Some("1.0")) => return Some("CC0-1.0".into()),
        ("publicdomain", "mark", Some("1.0")) => return Some("LicenseRef-PDM-1.0".into()),
        ("licenses", _, Some(_)) => {}
        _ => return None,
    }
    let code = match part(1)? {
        c @ ("by" | "by-sa" | "by-nc" | "by-nd" | "by-nc-sa" | "by-nc-nd") => c,
        "by-nd-nc" => "by-nc-nd",
        _ => return None,
    };
    let version = part(2)?;
    // A jurisdiction segment is two or three letters; `legalcode`, `deed.de` etc. are not.
    let jurisdiction = part(3)
        .filter(|j| (2..=3).contains(&j.len()) && j.bytes().all(|c| c.is_ascii_alphabetic()));
    let base = format!("CC-{}-{version}", code.to_ascii_uppercase());
    if let Some(j) = jurisdiction {
        if SPDX_PORTS.contains(&(code, version, j)) {
            return Some(format!("{base}-{}", j.to_ascii_uppercase()));
        }
    }
    GENERIC_VERSIONS.contains(&version).then_some(base)
}

/// A licence from a URL found in `found_in` (`link-rel`, `meta`, …), if recognised.
pub fn from_url(url: &str, found_in: &str) -> Option<Licence> {
    cc_spdx(url).map(|spdx| Licence {
        spdx,
        found_in: found_in.to_string(),
        url: Some(url.trim().to_string()),
    })
}

/// The evidence signal of a detected licence: Neutral, raw = its URL (or SPDX id).
pub fn signal(l: &Licence) -> Signal {
    let raw = l.url.as_deref().unwrap_or(&l.spdx);
    Signal::new("licence", &l.found_in, raw, Verdict::Neutral)
}

/// Licences declared by the page's markup, deduplicated by SPDX id, in document order.
pub fn detect(html: &str) -> Vec<Licence> {
    let mut out: Vec<Licence> = Vec::new();
    for tag in scan_tags(html, LIMIT, false, &["link", "a", "area", "meta"]) {
        let found = if tag.name == "meta" {
            let name = tag.attr("name").unwrap_or("").trim().to_ascii_lowercase();
            if matches!(
                name.as_str(),
                "dcterms.license" | "dc.rights" | "dcterms.rights" | "dc.license"
            ) {
                tag.attr("content").and_then(|c| from_url(c, "meta"))
            } else {
                None
            }
        } else {
            let is_licence = tag.attr("rel").is_some_and(|r| {
                r.split_ascii_whitespace()
                    .any(|t| t.eq_ignore_ascii_case("license"))
            });
            if is_licence {
                tag.attr("href").and_then(|h| from_url(h, "link-rel"))
            } else {
                None
            }
        };
        if let Some(l) = found {
            if !out.iter().any(|o| o.spdx == l.spdx) {
                out.push(l);
            }
        }
    }
    out
}

/// One `Link: <target>; rel="license"` (RFC 8288), with its `type` parameter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LicenceLink {
    pub target: String,
    pub media_type: Option<String>,
}

/// Every `rel="license"` link of the `Link` headers (names lower-cased by the caller),
/// deduplicated, at most 16; targets as given (the caller resolves relative ones).
pub fn licence_links(headers: &[(String, String)]) -> Vec<LicenceLink> {
    let mut out: Vec<LicenceLink> = Vec::new();
    for (name, value) in headers {
        if !name.eq_ignore_ascii_case("link") {
            continue;
        }
        for (target, params) in parse_links(truncate(value, 64 * 1024)) {
            let param = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
            let is_licence = param("rel").is_some_and(|r| {
                r.split_ascii_whitespace()
                    .any(|t| t.eq_ignore_ascii_case("license"))
            });
            if is_licence && out.len() < 16 && !out.iter().any(|l| l.target == target) {
                out.push(LicenceLink {
                    target,
                    media_type: param("type"),
                });
            }
        }
    }
    out
}

/// Creative Commons licences named by `Link: <…>; rel="license"` headers.
pub fn from_headers(headers: &[(String, String)]) -> Vec<Licence> {
    let mut out: Vec<Licence> = Vec::new();
    for link in licence_links(headers) {
        if let Some(l) = from_url(&link.target, "header") {
            if !out.iter().any(|o| o.spdx == l.spdx) {
                out.push(l);
            }
        }
    }
    out
}

/// Parse one Link field value into (target, [(param name lower-cased, value unquoted)]).
fn parse_links(v: &str) -> Vec<(String, Vec<(String, String)>)> {
    let mut out = Vec::new();
    let mut rest = v;
    while let Some(lt) = rest.find('<') {
        let Some(gt) = rest[lt..].find('>') else {
            break;
        };
        let target = rest[lt + 1..lt + gt].trim().to_string();
        rest = &rest[lt + gt + 1..];
        let mut params = Vec::new();
        loop {
            rest = rest.trim_start();
            let Some(r) = rest.strip_prefix(';') else {
                break;
            };
            rest = r.trim_start();
            let end = rest.find(['=', ';', ',']).unwrap_or(rest.len());
            let key = rest[..end].trim().to_ascii_lowercase();
            rest = &rest[end..];
            let mut value = String::new();
            if let Some(r) = rest.strip_prefix('=') {
                rest = r.trim_start();
                if let Some(r) = rest.strip_prefix('"') {
                    // quoted-string with backslash escapes
                    let mut chars = r.char_indices();
                    let mut close = r.len();
                    while let Some((i, c)) = chars.next() {
                        match c {
                            '\\' => {
                                if let Some((_, n)) = chars.next() {
                                    value.push(n);
                                }
                            }
                            '"' => {
                                close = i + 1;
                                break;
                            }
                            c => value.push(c),
                        }
                    }
                    rest = &r[close.min(r.len())..];
                } else {
                    let end = rest.find([';', ',']).unwrap_or(rest.len());
                    value = rest[..end].trim().to_string();
                    rest = &rest[end..];
                }
            }
            if params.len() < 16 {
                params.push((key, value));
            }
        }
        out.push((target, params));
        if out.len() >= 64 {
            break;
        }
    }
    out
}

/// Whether `licence` matches one of the `allowed` patterns (see the module docs).
pub fn is_allowed(licence: &Licence, allowed: &[String]) -> bool {
    allowed.iter().any(|p| pattern_matches(p, &licence.spdx))
}

fn pattern_matches(pattern: &str, spdx: &str) -> bool {
    let pattern = pattern.trim();
    match pattern.strip_suffix('*') {
        Some(prefix) => {
            spdx.len() > prefix.len()
                && spdx.is_char_boundary(prefix.len())
                && spdx[..prefix.len()].eq_ignore_ascii_case(prefix)
                && spdx.as_bytes()[prefix.len()].is_ascii_digit()
        }
        None => pattern.eq_ignore_ascii_case(spdx),
    }
}

/// [`DEFAULT_ALLOWED`] as owned strings, for configuration defaults.
pub fn default_allowed() -> Vec<String> {
    DEFAULT_ALLOWED.iter().map(|s| s.to_string()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cc_urls_to_spdx() {
        let cases = [
            (
                "https://creativecommons.org/licenses/by/4.0/",
                Some("CC-BY-4.0"),
            ),
            (
                "http://creativecommons.org/licenses/by-sa/3.0/",
                Some("CC-BY-SA-3.0"),
            ),
            (
                "https://creativecommons.org/licenses/by-nc/2.5/",
                Some("CC-BY-NC-2.5"),
            ),
            (
                "https://creativecommons.org/licenses/by-nc-nd/4.0/legalcode",
                Some("CC-BY-NC-ND-4.0"),
            ),
            (
                "https://creativecommons.org/licenses/by-nd-nc/1.0/",
                Some("CC-BY-NC-ND-1.0"),
            ),
            (
                "https://www.creativecommons.org/licenses/BY/4.0/deed.de",
                Some("CC-BY-4.0"),
            ),
            (
                "https://creativecommons.org/licenses/by/4.0",
                Some("CC-BY-4.0"),
            ),
            (
                "https://creativecommons.org/licenses/by/3.0/de/",
                Some("CC-BY-3.0-DE"),
            ),
            (
                "https://creativecommons.org/licenses/by-sa/3.0/fr/",
                Some("CC-BY-SA-3.0"),
            ),
            (
                "https://creativecommons.org/licenses/by-sa/2.1/jp/",
                Some("CC-BY-SA-2.1-JP"),
            ),
            ("https://creativecommons.org/licenses/by/2.1/es/", None),
            (
                "https://creativecommons.org/publicdomain/zero/1.0/",
                Some("CC0-1.0"),
            ),
            (
                "https://creativecommons.org/publicdomain/mark/1.0/",
                Some("LicenseRef-PDM-1.0"),
            ),
            ("https://creativecommons.org/licenses/by/5.0/", None),
            ("https://creativecommons.org/licenses/", None),
            (
                "https://creativecommons.org.evil.test/licenses/by/4.0/",
                None,
            ),
            ("https://www.gnu.org/licenses/gpl-3.0.html", None),
            ("/licenses/by/4.0/", None),
            ("not a url", None),
        ];
        for (url, want) in cases {
            assert_eq!(cc_spdx(url).as_deref(), want, "{url}");
        }
    }

    #[test]
    fn detect_from_markup() {
        let html = r#"<html><head>
            <link rel="License" href="https://creativecommons.org/licenses/by-sa/4.0/">
            <meta name="DC.rights" content="https://creativecommons.org/publicdomain/zero/1.0/">
            <meta name="description" content="https://creativecommons.org/licenses/by-nc/4.0/">
            </head><body>
            <a rel="nofollow license" href="https://creativecommons.org/licenses/by-sa/4.0/">CC</a>
            <a href="https://creativecommons.org/licenses/by-nd/4.0/">not rel=license</a>
            <a rel="license" href="https://example.com/terms">custom</a>
            </body></html>"#;
        let found = detect(html);
        let ids: Vec<&str> = found.iter().map(|l| l.spdx.as_str()).collect();
        assert_eq!(ids, vec!["CC-BY-SA-4.0", "CC0-1.0"]);
        assert_eq!(found[0].found_in, "link-rel");
        assert_eq!(found[1].found_in, "meta");
        let s = signal(&found[0]);
        assert_eq!(s.signal, "licence");
        assert_eq!(s.verdict, Verdict::Neutral);
        assert_eq!(s.raw, "https://creativecommons.org/licenses/by-sa/4.0/");
    }

    #[test]
    fn link_headers() {
        let h = vec![(
            "link".to_string(),
            r#"</s.css>; rel=stylesheet, <https://creativecommons.org/licenses/by/4.0/>; rel="license", <a,b>; title="x;, \"y"; rel="nofollow LICENSE"; type=text/html"#.to_string(),
        )];
        let links = licence_links(&h);
        assert_eq!(links.len(), 2);
        assert_eq!(links[1].target, "a,b");
        assert_eq!(links[1].media_type.as_deref(), Some("text/html"));
        let found = from_headers(&h);
        assert_eq!(found.len(), 1);
        assert_eq!(
            (found[0].spdx.as_str(), found[0].found_in.as_str()),
            ("CC-BY-4.0", "header")
        );
    }

    #[test]
    fn allowed_patterns() {
        let allowed = default_allowed();
        let l = |id: &str| Licence {
            spdx: id.into(),
            found_in: "link-rel".into(),
            url: None,
        };
        for ok in [
            "CC0-1.0",
            "CC-BY-4.0",
            "CC-BY-3.0-DE",
            "CC-BY-SA-2.0",
            "LicenseRef-PDM-1.0",
            "cc-by-4.0",
        ] {
            assert!(is_allowed(&l(ok), &allowed), "{ok}");
        }
        for no in [
            "CC-BY-NC-4.0",
            "CC-BY-ND-4.0",
            "CC-BY-NC-SA-4.0",
            "CC-BY-",
            "GPL-3.0",
            "",
        ] {
            assert!(!is_allowed(&l(no), &allowed), "{no}");
        }
        assert!(!is_allowed(&l("CC-BY-4.0"), &[]));
        assert!(is_allowed(&l("MIT"), &["MIT".to_string()]));
    }

    #[test]
    fn hostile_markup() {
        let cases = [
            "<a rel=license href=".repeat(100_000),
            "<link rel='license' href='https://creativecommons.org/licenses/by/4.0/".to_string(),
            format!(
                "<a rel=license href=\"https://creativecommons.org/licenses/by/4.0/{}\">",
                "x/".repeat(500_000)
            ),
        ];
        for c in &cases {
            let _ = detect(c);
        }
    }
}
