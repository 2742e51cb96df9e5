//! `Link` response headers (RFC 8288): the `rel="license"` links among them, with their
//! `type` parameter (shared with `rsl`, which follows the `application/rsl+xml` ones).

use crate::tags::truncate;

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
