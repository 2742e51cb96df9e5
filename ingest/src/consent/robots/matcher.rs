//! Rule matching, delegated to `texting_robots`, with the normalisation RFC 9309 section 2.2.2
//! asks for on both sides.
//!
//! We never let `texting_robots` see the original file: it would group the lines its own way.
//! Instead the merged rules of the group that applies are written out as a one-group file
//! (`User-agent: *` followed by the normalised rules) and `texting_robots` does what it is good
//! at: `*` and `$` patterns, longest match wins, allow wins a tie.
//!
//! Normalisation (this is what takes `texting_robots` from 121 to 124 of the 124 standard
//! conformance cases, with the BOM and grouping fixes in [`super::lines`]):
//! - patterns: octets outside ASCII (and controls) are percent-encoded, existing `%xx` escapes
//!   get upper-case hex; `%62` is *not* decoded to `b` (the suite expects `/%62%61%7A` not to
//!   match `/baz`);
//! - URLs: the path and query are taken as given, as Google's reference parser does. A URL that
//!   went through `url::Url` is already percent-encoded and matches encoded patterns; a raw
//!   non-ASCII character in the string handed to us matches no literal pattern octet (the
//!   suite expects `/foo/bar/ツ` not to match `Allow: /foo/bar/ツ`), which we obtain by replacing
//!   it with `*`, a character that only a wildcard can match.

use texting_robots::Robot;

const HEX: &[u8; 16] = b"0123456789ABCDEF";

/// Percent-encodes what RFC 9309 says must be encoded in a pattern; leaves `*` and `$`.
pub(crate) fn normalise_pattern(raw: &[u8]) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        let b = raw[i];
        if b == b'%'
            && i + 2 < raw.len()
            && raw[i + 1].is_ascii_hexdigit()
            && raw[i + 2].is_ascii_hexdigit()
        {
            out.push('%');
            out.push(raw[i + 1].to_ascii_uppercase() as char);
            out.push(raw[i + 2].to_ascii_uppercase() as char);
            i += 3;
            continue;
        }
        if !(0x21..0x7F).contains(&b) {
            out.push('%');
            out.push(HEX[(b >> 4) as usize] as char);
            out.push(HEX[(b & 15) as usize] as char);
        } else {
            out.push(b as char);
        }
        i += 1;
    }
    out
}

/// The path and query of `url` (absolute, or already a path), fragment dropped, `/` when empty,
/// with raw non-ASCII characters replaced as explained in the module documentation.
pub(crate) fn request_path(url: &str) -> String {
    let rest = match url.find("://") {
        Some(i) => {
            let after = &url[i + 3..];
            let end = after.find(['/', '?', '#']).unwrap_or(after.len());
            &after[end..]
        }
        None => url,
    };
    let rest = rest.split('#').next().unwrap_or("");
    let mut out = String::with_capacity(rest.len() + 1);
    if !rest.starts_with('/') {
        out.push('/');
    }
    for c in rest.chars() {
        out.push(if c.is_ascii() { c } else { '*' });
    }
    out
}

/// One rule as the group that holds it wrote it.
#[derive(Clone, Debug)]
pub(crate) struct Rule {
    pub allow: bool,
    /// Normalised pattern, never empty (an empty `Disallow:` allows everything and is dropped;
    /// `texting_robots` would turn it into `Allow: /`, which wrongly wins a tie with
    /// `Disallow: /`).
    pub pattern: String,
    /// The line as written, for evidence.
    pub line: String,
}

/// Builds the `texting_robots` matcher for a set of rules. A pattern it cannot compile (a
/// pathological wildcard over its size limit) is dropped; the other rules still apply.
pub(crate) fn robot<'a>(rules: impl IntoIterator<Item = &'a Rule>) -> Robot {
    let text = |rules: &[&Rule]| {
        let mut txt = String::from("User-agent: *\n");
        for r in rules {
            txt.push_str(if r.allow { "Allow: " } else { "Disallow: " });
            txt.push_str(&r.pattern);
            txt.push('\n');
        }
        txt
    };
    let rules: Vec<&Rule> = rules.into_iter().collect();
    if let Ok(robot) = Robot::new("*", text(&rules).as_bytes()) {
        return robot;
    }
    let usable: Vec<&Rule> = rules
        .into_iter()
        .filter(|r| Robot::new("*", text(&[r]).as_bytes()).is_ok())
        .collect();
    Robot::new("*", text(&usable).as_bytes())
        .expect("rules that compile one by one compile together")
}

/// A single path pattern (used for `Content-Usage` / `Content-Signal` paths and to find which
/// rule refused a URL, for evidence), matched with the same machinery as the rules.
#[derive(Debug)]
pub(crate) struct PathPattern {
    pub pattern: String,
    robot: Robot,
}

impl PathPattern {
    pub fn new(raw: &[u8]) -> PathPattern {
        let pattern = normalise_pattern(raw);
        let robot = robot([&Rule {
            allow: false,
            pattern: pattern.clone(),
            line: String::new(),
        }]);
        PathPattern { pattern, robot }
    }

    /// Whether the pattern matches `path` (a [`request_path`]). `texting_robots` always allows
    /// `/robots.txt`; that file's own path is of no interest to a pattern here.
    pub fn matches(&self, path: &str) -> bool {
        !self.robot.allowed(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_encode_non_ascii_and_keep_escapes() {
        assert_eq!(normalise_pattern("/a/ツ".as_bytes()), "/a/%E3%83%84");
        assert_eq!(normalise_pattern(b"/a/%e3%83%84*$"), "/a/%E3%83%84*$");
        assert_eq!(normalise_pattern(b"/%62%61%7A"), "/%62%61%7A");
        assert_eq!(normalise_pattern(b"/100%"), "/100%");
    }

    #[test]
    fn request_paths() {
        assert_eq!(request_path("http://h.com"), "/");
        assert_eq!(request_path("http://h.com?q=1"), "/?q=1");
        assert_eq!(request_path("https://h.com:8080/a/b?c#frag"), "/a/b?c");
        assert_eq!(request_path(""), "/");
        assert_eq!(request_path("/x/ツ"), "/x/*");
    }

    #[test]
    fn path_pattern_matches_like_rules() {
        let p = PathPattern::new(b"/news/*.html$");
        assert!(p.matches("/news/a/b.html"));
        assert!(!p.matches("/news/a/b.html?x"));
        assert!(PathPattern::new(b"*.jpg").matches("/img/cat.jpg"));
    }
}
