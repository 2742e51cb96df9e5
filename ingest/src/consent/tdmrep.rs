//! W3C TDMRep (Text and Data Mining Reservation Protocol): the site-wide
//! `/.well-known/tdmrep.json`, the `tdm-reservation` / `tdm-policy` response headers, and the
//! same pair as HTML `<meta>` tags.
//!
//! Readings chosen:
//! - `tdm-reservation: 1` reserves TDM rights → `Refuse(tdmrep.reserved)`; `0` → `Allow`.
//!   Assent holds no licence obtained through a `tdm-policy`, so a policy URL never lifts a
//!   reservation; it is recorded in the evidence only.
//! - tdmrep.json is an array of rules; the FIRST rule whose `location` matches the path wins.
//!   `location` uses the robots.txt (RFC 9309) pattern syntax: a path prefix with `*` matching
//!   any run of characters and a trailing `$` anchoring the end. A location given as a full URL
//!   is reduced to its path.
//! - A malformed tdmrep.json (not JSON, not an array, a rule without a string `location` or
//!   with a reservation other than 0/1) is an error as a whole: [`TdmRepError::signal`] records a
//!   `Neutral` signal carrying the error, so the evidence shows the file was seen but could
//!   not be read. We do not guess from half a file; other signals still apply.
//! - Combination with other signals (e.g. a reserving tdmrep.json and a `tdm-reservation: 0`
//!   header) is [`super::decision::decide`]'s job: any explicit no wins.

use super::tags::truncate;
use super::{Signal, Verdict};
use assent_schemas::ReasonCode;
use serde_json::Value;

/// Largest tdmrep.json read.
pub const MAX_FILE: usize = 1024 * 1024;
/// Most rules kept.
const MAX_RULES: usize = 10_000;

/// Why a tdmrep.json could not be read.
#[derive(Debug, thiserror::Error)]
pub enum TdmRepError {
    #[error("{found_in}: tdmrep.json is larger than {MAX_FILE} bytes")]
    TooLarge { found_in: String },
    #[error("{found_in}: {why}")]
    Malformed { found_in: String, why: String },
}

impl TdmRepError {
    /// The Neutral evidence signal recording that the file was present but unreadable.
    pub fn signal(&self) -> Signal {
        let found_in = match self {
            Self::TooLarge { found_in } | Self::Malformed { found_in, .. } => found_in,
        };
        Signal::new(
            "tdmrep.well-known",
            found_in,
            &format!("unreadable: {self}"),
            Verdict::Neutral,
        )
    }
}

/// One rule of tdmrep.json.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TdmRule {
    pub location: String,
    pub reserved: bool,
    pub policy: Option<String>,
}

/// A parsed `/.well-known/tdmrep.json`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TdmRepFile {
    /// The URL the file was fetched from.
    pub found_in: String,
    pub rules: Vec<TdmRule>,
}

fn reservation(v: Option<&Value>) -> Option<bool> {
    match v? {
        Value::Number(n) => match n.as_u64()? {
            0 => Some(false),
            1 => Some(true),
            _ => None,
        },
        Value::String(s) => parse_flag(s),
        _ => None,
    }
}

fn parse_flag(s: &str) -> Option<bool> {
    match s.trim() {
        "0" => Some(false),
        "1" => Some(true),
        _ => None,
    }
}

impl TdmRepFile {
    pub fn parse(bytes: &[u8], found_in: &str) -> Result<Self, TdmRepError> {
        let bad = |why: String| TdmRepError::Malformed {
            found_in: found_in.to_string(),
            why,
        };
        if bytes.len() > MAX_FILE {
            return Err(TdmRepError::TooLarge {
                found_in: found_in.to_string(),
            });
        }
        let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        // serde_json limits nesting depth (128) itself, so deep arrays cannot overflow.
        let v: Value = serde_json::from_slice(bytes).map_err(|e| bad(format!("not JSON: {e}")))?;
        let Value::Array(items) = v else {
            return Err(bad("top level is not an array".into()));
        };
        let mut rules = Vec::new();
        for (n, item) in items.iter().take(MAX_RULES).enumerate() {
            let Value::Object(o) = item else {
                return Err(bad(format!("rule {n} is not an object")));
            };
            let location = o
                .get("location")
                .and_then(Value::as_str)
                .ok_or_else(|| bad(format!("rule {n} has no string location")))?;
            let reserved = reservation(o.get("tdm-reservation"))
                .ok_or_else(|| bad(format!("rule {n}: tdm-reservation is not 0 or 1")))?;
            let policy = o
                .get("tdm-policy")
                .and_then(Value::as_str)
                .map(|p| truncate(p, 2048).to_string());
            rules.push(TdmRule {
                location: truncate(location, 2048).to_string(),
                reserved,
                policy,
            });
        }
        Ok(TdmRepFile {
            found_in: found_in.to_string(),
            rules,
        })
    }

    /// The signal of the first rule matching `path` (the URL's path and query), if any.
    pub fn signal(&self, path: &str) -> Option<Signal> {
        let rule = self
            .rules
            .iter()
            .find(|r| path_pattern_matches(location_path(&r.location), path))?;
        let raw = serde_json::json!({
            "location": rule.location,
            "tdm-reservation": rule.reserved as u8,
            "tdm-policy": rule.policy,
        })
        .to_string();
        Some(Signal::new(
            "tdmrep.well-known",
            &self.found_in,
            &raw,
            verdict(rule.reserved),
        ))
    }
}

fn verdict(reserved: bool) -> Verdict {
    if reserved {
        Verdict::Refuse(ReasonCode::TdmrepReserved)
    } else {
        Verdict::Allow
    }
}

/// A location given as a full URL is matched by its path.
fn location_path(loc: &str) -> &str {
    for scheme in ["https://", "http://"] {
        if loc.len() >= scheme.len() && loc[..scheme.len()].eq_ignore_ascii_case(scheme) {
            let rest = &loc[scheme.len()..];
            return rest.find('/').map(|p| &rest[p..]).unwrap_or("/");
        }
    }
    loc
}

/// RFC 9309 pattern match: `pattern` must match a prefix of `path`; `*` matches any run of
/// characters; a trailing `$` requires the match to reach the end. Runs in O(len(pattern) ×
/// len(path)) at worst (no backtracking explosion).
pub fn path_pattern_matches(pattern: &str, path: &str) -> bool {
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

/// `tdm-reservation` (and `tdm-policy`) response headers; names lower-cased by the caller.
/// A value other than 0/1 gives a Neutral signal that records it.
pub fn header_signal(headers: &[(String, String)], found_in: &str) -> Option<Signal> {
    let get = |n: &str| {
        headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(n))
            .map(|(_, v)| v.as_str())
    };
    let value = get("tdm-reservation")?;
    let raw = match get("tdm-policy") {
        Some(p) => format!("tdm-reservation: {value}; tdm-policy: {p}"),
        None => format!("tdm-reservation: {value}"),
    };
    let v = parse_flag(value).map(verdict).unwrap_or(Verdict::Neutral);
    Some(Signal::new("tdmrep.header", found_in, &raw, v))
}

/// `<meta name="tdm-reservation" content="1">` (and `tdm-policy`) among the page's head meta
/// tags ([`super::tags::head_metas`]).
pub fn meta_signal(metas: &[(String, String)], found_in: &str) -> Option<Signal> {
    let value = metas
        .iter()
        .find(|(n, _)| n == "tdm-reservation")?
        .1
        .clone();
    let raw = match metas.iter().find(|(n, _)| n == "tdm-policy") {
        Some((_, p)) => format!("tdm-reservation: {value}; tdm-policy: {p}"),
        None => format!("tdm-reservation: {value}"),
    };
    let v = parse_flag(&value).map(verdict).unwrap_or(Verdict::Neutral);
    Some(Signal::new("tdmrep.meta", found_in, &raw, v))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::consent::tags::head_metas;

    const URL: &str = "https://s.example/.well-known/tdmrep.json";
    const REFUSE: Verdict = Verdict::Refuse(ReasonCode::TdmrepReserved);

    #[test]
    fn first_matching_rule_wins() {
        let json = br#"[
            {"location": "/public/*", "tdm-reservation": 0},
            {"location": "/", "tdm-reservation": 1, "tdm-policy": "https://s.example/policy.json"}
        ]"#;
        let f = TdmRepFile::parse(json, URL).unwrap();
        assert_eq!(f.signal("/public/a.html").unwrap().verdict, Verdict::Allow);
        let s = f.signal("/news/x").unwrap();
        assert_eq!(s.verdict, REFUSE);
        assert_eq!(s.found_in, URL);
        assert!(s.raw.contains("policy.json"));
    }

    #[test]
    fn patterns_and_no_match() {
        let json = br#"[{"location": "/img/*.png$", "tdm-reservation": "1"},
                        {"location": "https://s.example/docs/", "tdm-reservation": 1}]"#;
        let f = TdmRepFile::parse(json, URL).unwrap();
        assert_eq!(f.signal("/img/a/b.png").unwrap().verdict, REFUSE);
        assert!(f.signal("/img/a.png.html").is_none());
        assert_eq!(f.signal("/docs/a").unwrap().verdict, REFUSE);
        assert!(f.signal("/other").is_none());
    }

    #[test]
    fn matcher() {
        assert!(path_pattern_matches("/", "/anything"));
        assert!(path_pattern_matches("*", ""));
        assert!(path_pattern_matches("/a*b$", "/axxb"));
        assert!(!path_pattern_matches("/a*b$", "/axxbc"));
        assert!(path_pattern_matches("/a*b", "/axxbc"));
        assert!(!path_pattern_matches("/a", "/"));
        // Pathological pattern stays fast.
        let pat = "/".to_string() + &"*a".repeat(200) + "$";
        assert!(!path_pattern_matches(&pat, &"a".repeat(150)));
    }

    #[test]
    fn malformed_files_are_errors_with_neutral_evidence() {
        for bad in [
            &b"not json"[..],
            b"{}",
            b"[1]",
            b"[{\"tdm-reservation\": 1}]",
            b"[{\"location\": \"/\", \"tdm-reservation\": 2}]",
            b"[{\"location\": \"/\"}]",
            &[b'['; 100_000][..],
            b"\xff\xfe\x00",
        ] {
            let e = TdmRepFile::parse(bad, URL).unwrap_err();
            let s = e.signal();
            assert_eq!(s.verdict, Verdict::Neutral);
            assert!(s.raw.starts_with("unreadable"), "{}", s.raw);
        }
        let huge = vec![b' '; MAX_FILE + 1];
        assert!(matches!(
            TdmRepFile::parse(&huge, URL),
            Err(TdmRepError::TooLarge { .. })
        ));
        // A BOM is tolerated, an empty array is a valid file with no rules.
        assert!(TdmRepFile::parse(b"\xEF\xBB\xBF[]", URL)
            .unwrap()
            .rules
            .is_empty());
    }

    #[test]
    fn headers() {
        let h = |v: &str| {
            vec![
                ("tdm-reservation".to_string(), v.to_string()),
                ("tdm-policy".to_string(), "https://p.example/".to_string()),
            ]
        };
        assert_eq!(header_signal(&h("1"), "u").unwrap().verdict, REFUSE);
        assert_eq!(
            header_signal(&h(" 0 "), "u").unwrap().verdict,
            Verdict::Allow
        );
        assert_eq!(
            header_signal(&h("yes"), "u").unwrap().verdict,
            Verdict::Neutral
        );
        assert!(header_signal(&h("1"), "u")
            .unwrap()
            .raw
            .contains("p.example"));
        assert!(header_signal(&[], "u").is_none());
    }

    #[test]
    fn meta() {
        let html = r#"<head><meta name="tdm-reservation" content="1"><meta name="tdm-policy" content="https://p/"></head>"#;
        let s = meta_signal(&head_metas(html), "https://s.example/a").unwrap();
        assert_eq!(s.verdict, REFUSE);
        assert_eq!(s.signal, "tdmrep.meta");
        let zero = r#"<meta name="TDM-Reservation" content="0">"#;
        assert_eq!(
            meta_signal(&head_metas(zero), "u").unwrap().verdict,
            Verdict::Allow
        );
        assert!(meta_signal(
            &head_metas("<body><meta name=tdm-reservation content=1>"),
            "u"
        )
        .is_none());
    }
}
