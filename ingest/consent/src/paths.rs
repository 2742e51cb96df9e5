//! The one normalisation of paths and URLs that every consent rule is compared with.
//!
//! RFC 9309 section 2.2.2: before a rule is matched, octets outside US-ASCII (and those the URI
//! grammar reserves) are percent-encoded, and a percent-encoded US-ASCII octet is decoded
//! unless it is reserved or outside the unreserved range. Applied to both sides, this makes
//! `Disallow: /a%7Eb/` refuse `/a~b/x` and `/a%7Eb/x`, `Disallow: /c~d/` refuse `/c%7Ed/x`,
//! `%2f` equal `%2F`, and a raw `ツ` equal `%E3%83%84`, while `%2F` stays apart from `/` (a
//! reserved character keeps its encoding, or a rule could be dodged or widened by escaping).
//!
//! The same function serves robots.txt and ai.txt rules, `Content-Usage` and `Content-Signal`
//! paths, TDMRep locations, RSL `<content url>` patterns and opt-out registry prefixes, so a
//! path means the same thing to every signal. In patterns, `*` and `$` are reserved characters
//! and pass through unchanged, so their wildcard meaning is kept; an escaped `%2A` stays escaped
//! and so never becomes a wildcard.

const HEX: &[u8; 16] = b"0123456789ABCDEF";

/// RFC 3986 section 2.3 unreserved characters: decoded wherever they appear escaped.
fn unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

fn hex_value(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

fn push_escaped(out: &mut String, b: u8) {
    out.push('%');
    out.push(HEX[(b >> 4) as usize] as char);
    out.push(HEX[(b & 15) as usize] as char);
}

/// The normal form of a path (or path and query, or a rule's pattern): escapes of unreserved
/// characters decoded, other escapes in upper-case hex, non-ASCII octets, controls, spaces and
/// a `%` that starts no escape percent-encoded; every other ASCII character as it is.
pub fn normalise(raw: &[u8]) -> String {
    let mut out = String::with_capacity(raw.len() + 8);
    let mut i = 0;
    while i < raw.len() {
        let b = raw[i];
        if b == b'%' {
            if let (Some(h), Some(l)) = (
                raw.get(i + 1).copied().and_then(hex_value),
                raw.get(i + 2).copied().and_then(hex_value),
            ) {
                let octet = h << 4 | l;
                if unreserved(octet) {
                    out.push(octet as char);
                } else {
                    push_escaped(&mut out, octet);
                }
                i += 3;
                continue;
            }
            // A lone `%` is a literal percent sign: written as its escape on both sides.
            push_escaped(&mut out, b'%');
        } else if (0x21..0x7F).contains(&b) {
            out.push(b as char);
        } else {
            push_escaped(&mut out, b);
        }
        i += 1;
    }
    out
}

/// The path and query of `url` (absolute, or already a path) in normal form: fragment
/// dropped, `/` when empty.
pub fn request_path(url: &str) -> String {
    let rest = match url.find("://") {
        Some(i) => {
            let after = &url[i + 3..];
            let end = after.find(['/', '?', '#']).unwrap_or(after.len());
            &after[end..]
        }
        None => url,
    };
    let rest = rest.split('#').next().unwrap_or("");
    if rest.starts_with('/') {
        normalise(rest.as_bytes())
    } else {
        normalise(format!("/{rest}").as_bytes())
    }
}

/// A host as compared everywhere a host is compared: lower case, without the trailing dot of
/// a fully qualified name (`Example.org.` and `example.org` are one host).
pub fn host_key(host: &str) -> String {
    host.trim_end_matches('.').to_ascii_lowercase()
}

/// `url` in the form URL prefixes are compared in: scheme, [`host_key`], the port unless
/// default, then the [`normalise`]d path and query; no user info, no fragment.
pub fn comparable_url(url: &url::Url) -> String {
    let mut out = format!(
        "{}://{}",
        url.scheme(),
        host_key(url.host_str().unwrap_or(""))
    );
    if let Some(port) = url.port() {
        out.push_str(&format!(":{port}"));
    }
    out.push_str(&normalise(
        url[url::Position::BeforePath..url::Position::AfterQuery].as_bytes(),
    ));
    out
}

/// RFC 9309 pattern match of two [`normalise`]d strings: `pattern` must match a prefix of
/// `path`; `*` matches any run of characters; a trailing `$` requires the match to reach the
/// end. Runs in O(len(pattern) × len(path)) at worst (no backtracking explosion). Used for
/// single patterns (TDMRep locations, RSL content, `Content-Usage` paths); the rules of a
/// robots.txt group go to `texting_robots` together, which also settles longest-match ties.
pub fn pattern_matches(pattern: &str, path: &str) -> bool {
    let (pat, anchored) = match pattern.strip_suffix('$') {
        Some(p) => (p.as_bytes(), true),
        None => (pattern.as_bytes(), false),
    };
    let s = path.as_bytes();
    // Classic greedy wildcard matching with a single backtrack point.
    let (mut pi, mut si) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    loop {
        if pi == pat.len() {
            if !anchored || si == s.len() {
                return true;
            }
        } else if pat[pi] == b'*' {
            star = Some((pi, si));
            pi += 1;
            continue;
        } else if si < s.len() && pat[pi] == s[si] {
            pi += 1;
            si += 1;
            continue;
        }
        match star {
            Some((sp, ss)) if ss < s.len() => {
                star = Some((sp, ss + 1));
                pi = sp + 1;
                si = ss + 1;
            }
            _ => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unreserved_escapes_decode_and_reserved_ones_stay() {
        assert_eq!(normalise(b"/a%7Eb/"), "/a~b/");
        assert_eq!(normalise(b"/a%7eb/"), "/a~b/");
        assert_eq!(normalise(b"/foo/bar/%62%61%7A"), "/foo/bar/baz");
        assert_eq!(normalise(b"/a%2fb"), "/a%2Fb");
        assert_eq!(normalise(b"/a%2Fb"), "/a%2Fb");
        assert_eq!(normalise(b"/q?x=%3d"), "/q?x=%3D");
        // A wildcard is never made out of an escape, and stays one where written.
        assert_eq!(normalise(b"/a%2A*$"), "/a%2A*$");
    }

    #[test]
    fn non_ascii_is_utf8_percent_encoded() {
        assert_eq!(normalise("/foo/bar/ツ".as_bytes()), "/foo/bar/%E3%83%84");
        assert_eq!(
            normalise("/actualités/".as_bytes()),
            normalise(b"/actualit%C3%A9s/")
        );
        assert_eq!(normalise(b"/a b\t"), "/a%20b%09");
    }

    #[test]
    fn stray_percent_signs_are_literal() {
        assert_eq!(normalise(b"/100%"), "/100%25");
        assert_eq!(normalise(b"/100%25"), "/100%25");
        assert_eq!(normalise(b"/%zz%4"), "/%25zz%254");
    }

    #[test]
    fn normalising_twice_changes_nothing() {
        for s in ["/a%7Eb/%2f?q=ツ&x=%41", "/100%", "/%E3%83%84", "*.html$"] {
            let once = normalise(s.as_bytes());
            assert_eq!(normalise(once.as_bytes()), once, "{s}");
        }
    }

    #[test]
    fn patterns() {
        assert!(pattern_matches("/", "/anything"));
        assert!(pattern_matches("*", ""));
        assert!(pattern_matches("/a*b$", "/axxb"));
        assert!(!pattern_matches("/a*b$", "/axxbc"));
        assert!(pattern_matches("/a*b", "/axxbc"));
        assert!(!pattern_matches("/a", "/"));
        assert!(pattern_matches("/robots.txt", "/robots.txt"));
        // Pathological pattern stays fast.
        let pat = "/".to_string() + &"*a".repeat(200) + "$";
        assert!(!pattern_matches(&pat, &"a".repeat(150)));
    }

    #[test]
    fn comparable_urls() {
        let u = |s: &str| comparable_url(&url::Url::parse(s).unwrap());
        assert_eq!(
            u("HTTPS://user:pw@Site.Example.:443/a%7Eb/?q=ツ#f"),
            "https://site.example/a~b/?q=%E3%83%84"
        );
        assert_eq!(u("http://h.example:8080"), "http://h.example:8080/");
        assert_eq!(host_key("Ok.Test."), "ok.test");
    }

    #[test]
    fn request_paths() {
        assert_eq!(request_path("http://h.com"), "/");
        assert_eq!(request_path("http://h.com?q=1"), "/?q=1");
        assert_eq!(request_path("https://h.com:8080/a/b?c#frag"), "/a/b?c");
        assert_eq!(request_path(""), "/");
        assert_eq!(request_path("/x/ツ"), "/x/%E3%83%84");
        assert_eq!(request_path("https://h.com/c%7Ed/"), "/c~d/");
    }
}
