//! Training preferences carried inside robots.txt groups: IETF aipref `Content-Usage`
//! (draft-ietf-aipref-attach, vocabulary draft-ietf-aipref-vocab) and Cloudflare's
//! `Content-Signal` (contentsignals.org).
//!
//! Both take an optional path then a list of preferences: `Content-Usage: /news/ train-ai=n`,
//! `Content-Signal: search=yes, ai-train=no`. A line without a path applies to `/`. For a URL the
//! line with the longest matching path applies; on a tie the more restrictive one wins, so a
//! site that says both `y` and `n` for the same path gets `n`.

use super::matcher::{request_path, PathPattern};
use crate::Verdict;
use assent_schemas::ReasonCode;

/// What one line says about training, ordered so that the maximum is the most restrictive.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Pref {
    /// The line is well formed but says nothing about training.
    Unstated,
    Yes,
    No,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    ContentUsage,
    ContentSignal,
}

impl Kind {
    pub fn signal_name(self) -> &'static str {
        match self {
            Kind::ContentUsage => "aipref.robots",
            Kind::ContentSignal => "content-signal",
        }
    }

    fn refusal(self) -> ReasonCode {
        match self {
            Kind::ContentUsage => ReasonCode::AiprefTrainAiN,
            Kind::ContentSignal => ReasonCode::ContentSignalAiTrainNo,
        }
    }
}

/// One `Content-Usage` or `Content-Signal` line.
#[derive(Debug)]
pub(crate) struct PrefLine {
    pub kind: Kind,
    pub path: PathPattern,
    /// `None` when the preference list could not be parsed: the line is then "unknown".
    pub pref: Option<Pref>,
    /// The line as written, for evidence.
    pub raw: String,
}

impl PrefLine {
    pub fn parse(kind: Kind, value: &[u8], raw: String) -> PrefLine {
        let value = String::from_utf8_lossy(value);
        let value = value.trim();
        // A path starts with `/` (or a `*` wildcard); anything else is the preference list.
        let (path, prefs) = match value.split_once(char::is_whitespace) {
            Some((p, rest)) if p.starts_with('/') || p.starts_with('*') => (p, rest.trim()),
            _ if value.starts_with('/') => (value, ""),
            _ => ("/", value),
        };
        let pref = match kind {
            Kind::ContentUsage => usage_pref(prefs),
            Kind::ContentSignal => signal_pref(prefs),
        };
        PrefLine {
            kind,
            path: PathPattern::new(path.as_bytes()),
            pref,
            raw,
        }
    }

    pub fn verdict(&self) -> Verdict {
        match self.pref {
            Some(Pref::No) => Verdict::Refuse(self.kind.refusal()),
            Some(Pref::Yes) => Verdict::Allow,
            Some(Pref::Unstated) | None => Verdict::Neutral,
        }
    }
}

/// `Content-Usage` preferences: the same RFC 9651 dictionary as the `Content-Usage` header, so
/// it is read by the header's parser ([`crate::aipref::parse_usage`]) and resolved the
/// same way: the most specific stated category of our use (generative AI training) decides;
/// unknown keys are ignored; a value that is not a dictionary makes the line unknown (`None`).
pub(crate) fn usage_pref(value: &str) -> Option<Pref> {
    let usage = crate::aipref::parse_usage(value)?;
    Some(match usage.training() {
        Some(true) => Pref::Yes,
        Some(false) => Pref::No,
        None => Pref::Unstated,
    })
}

/// `Content-Signal` preferences: comma-separated `key=yes|no`; `ai-train` is the one about
/// training. Read leniently (keys case-folded, spaces allowed) since the published examples
/// are not all valid structured fields; an entry without `=` makes the line unknown.
pub(crate) fn signal_pref(value: &str) -> Option<Pref> {
    let mut pref = Pref::Unstated;
    for entry in value.split(',').map(str::trim).filter(|e| !e.is_empty()) {
        let (k, v) = entry.split_once('=')?;
        if k.trim().eq_ignore_ascii_case("ai-train") {
            pref = match v.trim().to_ascii_lowercase().as_str() {
                "yes" | "y" => Pref::Yes,
                "no" | "n" => Pref::No,
                _ => Pref::Unstated,
            };
        }
    }
    Some(pref)
}

/// The line that applies to `url` among `lines` (all of one kind): longest matching path, the
/// most restrictive on a tie. A malformed line never overrides a well-formed one; it is
/// returned (as "unknown") only when no well-formed line matches.
pub(crate) fn applicable<'a>(
    lines: impl IntoIterator<Item = &'a PrefLine>,
    url: &str,
) -> Option<&'a PrefLine> {
    let path = request_path(url);
    let mut best: Option<&PrefLine> = None;
    let mut unknown: Option<&PrefLine> = None;
    for line in lines.into_iter().filter(|l| l.path.matches(&path)) {
        let Some(pref) = line.pref else {
            unknown = unknown.or(Some(line));
            continue;
        };
        let key = (line.path.pattern.len(), pref);
        if best.is_none_or(|b| key > (b.path.pattern.len(), b.pref.expect("well formed"))) {
            best = Some(line);
        }
    }
    best.or(unknown)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usage(v: &str) -> PrefLine {
        PrefLine::parse(Kind::ContentUsage, v.as_bytes(), v.to_string())
    }

    #[test]
    fn usage_values() {
        assert_eq!(usage_pref("train-ai=n"), Some(Pref::No));
        assert_eq!(usage_pref("train-ai=y, search=n"), Some(Pref::Yes));
        assert_eq!(usage_pref("search=y"), Some(Pref::Unstated));
        assert_eq!(
            usage_pref("foo=bar, train-ai=n"),
            Some(Pref::No),
            "unknown key ignored"
        );
        assert_eq!(usage_pref("train-genai=n, train-ai=y"), Some(Pref::No));
        assert_eq!(usage_pref("train-ai=n,,"), None, "malformed");
        assert_eq!(usage_pref("Train-AI=n"), None, "keys are lower case");
    }

    #[test]
    fn signal_values() {
        assert_eq!(signal_pref("search=yes, ai-train=no"), Some(Pref::No));
        assert_eq!(signal_pref("ai-train=yes"), Some(Pref::Yes));
        assert_eq!(signal_pref("search=yes"), Some(Pref::Unstated));
        assert_eq!(signal_pref("ai-train"), None);
    }

    #[test]
    fn paths_parse() {
        assert_eq!(usage("/news/ train-ai=n").path.pattern, "/news/");
        assert_eq!(usage("train-ai=n").path.pattern, "/");
        assert_eq!(usage("/news/ train-ai=n, search=y").pref, Some(Pref::No));
    }
}
