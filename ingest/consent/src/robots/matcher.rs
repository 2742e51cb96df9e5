//! Rule matching, delegated to `texting_robots`, over paths normalised as RFC 9309 section
//! 2.2.2 asks, on both sides ([`crate::paths`]).
//!
//! We never let `texting_robots` see the original file: it would group the lines its own way.
//! Instead the merged rules of the group that applies are written out as a one-group file
//! (`User-agent: *` followed by the normalised rules) and `texting_robots` does what it is good
//! at: `*` and `$` patterns, longest match wins, allow wins a tie.
//!
//! Normalisation decodes escaped unreserved characters and percent-encodes non-ASCII octets in
//! patterns and URLs alike. Three cases of Google's conformance suite expect otherwise (that
//! `/%62%61%7A` does not match `/baz`, and that a raw `ツ` in the URL does not match its
//! encoding); RFC 9309 decides, and `tests.rs` keeps a test for each of them.

use texting_robots::Robot;

pub(crate) use crate::paths::request_path;

/// A rule's pattern in the normal form URLs are compared in.
pub(crate) fn normalise_pattern(raw: &[u8]) -> String {
    crate::paths::normalise(raw)
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

/// A single path pattern (`Content-Usage` / `Content-Signal` paths, and finding which rule
/// refused a URL, for evidence), in normal form.
#[derive(Debug)]
pub(crate) struct PathPattern {
    pub pattern: String,
}

impl PathPattern {
    pub fn new(raw: &[u8]) -> PathPattern {
        PathPattern {
            pattern: normalise_pattern(raw),
        }
    }

    /// Whether the pattern matches `path` (a [`request_path`]).
    pub fn matches(&self, path: &str) -> bool {
        crate::paths::pattern_matches(&self.pattern, path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_are_normalised() {
        assert_eq!(normalise_pattern("/a/ツ".as_bytes()), "/a/%E3%83%84");
        assert_eq!(normalise_pattern(b"/a/%e3%83%84*$"), "/a/%E3%83%84*$");
        assert_eq!(normalise_pattern(b"/%62%61%7A"), "/baz");
        assert_eq!(normalise_pattern(b"/100%"), "/100%25");
    }

    #[test]
    fn path_pattern_matches_like_rules() {
        let p = PathPattern::new(b"/news/*.html$");
        assert!(p.matches("/news/a/b.html"));
        assert!(!p.matches("/news/a/b.html?x"));
        assert!(PathPattern::new(b"*.jpg").matches("/img/cat.jpg"));
        assert!(PathPattern::new(b"/a%7Eb/").matches(&request_path("http://h/a~b/c")));
    }
}
