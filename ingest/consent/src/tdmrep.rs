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
//!   is reduced to its path. Locations and paths are compared in the normal form of
//!   [`super::paths`], so `/actualités/` matches `/actualit%C3%A9s/x`.
//! - A rule whose `tdm-reservation` is not 0 or 1, or that has no string `location`, is unset
//!   on its own: it is skipped, so the rules after it still apply (a reserving rule later in
//!   the file is not lost), and when it would have matched the page the evidence says so.
//! - A file that is not JSON or not an array is unreadable as a whole:
//!   [`TdmRepError::signal`] records a `Neutral` signal carrying the error, so the evidence
//!   shows the file was seen but could not be read; other signals still apply.
//! - Combination with other signals (e.g. a reserving tdmrep.json and a `tdm-reservation: 0`
//!   header) is [`super::decision::decide`]'s job: any explicit no wins.

use super::paths;
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
    /// The location as written (a path pattern or a full URL).
    pub location: String,
    /// The location's path pattern in normal form; empty when the rule has no location.
    pattern: String,
    /// `tdm-reservation`: `None` when missing or invalid (the rule is then unset).
    pub reserved: Option<bool>,
    pub policy: Option<String>,
    /// Why the rule is unset, for evidence.
    pub problem: Option<String>,
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
            rules.push(TdmRule::parse(n, item));
        }
        Ok(TdmRepFile {
            found_in: found_in.to_string(),
            rules,
        })
    }

    /// The signal for `path` (the URL's path and query): the first valid rule matching it; a
    /// skipped invalid rule that matched before it is named in the evidence (a `Neutral`
    /// signal alone when no valid rule matches).
    pub fn signal(&self, path: &str) -> Option<Signal> {
        let path = paths::normalise(path.as_bytes());
        let mut skipped_note = None;
        let mut rule = None;
        for r in &self.rules {
            if r.pattern.is_empty() || !paths::pattern_matches(&r.pattern, &path) {
                continue;
            }
            if r.reserved.is_some() {
                rule = Some(r);
                break;
            }
            skipped_note = skipped_note.or(r.problem.clone());
        }
        let Some(rule) = rule else {
            let why = skipped_note?;
            return Some(Signal::new(
                "tdmrep.well-known",
                &self.found_in,
                &format!("invalid rule skipped: {why}"),
                Verdict::Neutral,
            ));
        };
        let reserved = rule.reserved.expect("valid rules only");
        let mut raw = serde_json::json!({
            "location": rule.location,
            "tdm-reservation": reserved as u8,
            "tdm-policy": rule.policy,
        });
        if let Some(why) = skipped_note {
            raw["skipped"] = why.into();
        }
        Some(Signal::new(
            "tdmrep.well-known",
            &self.found_in,
            &raw.to_string(),
            verdict(reserved),
        ))
    }
}

impl TdmRule {
    /// Rule `n` of the file; never fails: what is wrong with it is kept in `problem`.
    fn parse(n: usize, item: &Value) -> TdmRule {
        let mut rule = TdmRule {
            location: String::new(),
            pattern: String::new(),
            reserved: None,
            policy: None,
            problem: None,
        };
        let Value::Object(o) = item else {
            rule.problem = Some(format!("rule {n} is not an object"));
            return rule;
        };
        match o.get("location").and_then(Value::as_str) {
            Some(loc) => {
                rule.location = truncate(loc, 2048).to_string();
                rule.pattern = paths::normalise(location_path(&rule.location).as_bytes());
            }
            None => rule.problem = Some(format!("rule {n} has no string location")),
        }
        rule.policy = o
            .get("tdm-policy")
            .and_then(Value::as_str)
            .map(|p| truncate(p, 2048).to_string());
        if rule.problem.is_none() {
            rule.reserved = reservation(o.get("tdm-reservation"));
            if rule.reserved.is_none() {
                let raw = o
                    .get("tdm-reservation")
                    .map(|v| truncate(&v.to_string(), 64).to_string());
                rule.problem = Some(format!(
                    "rule {n} ({}): tdm-reservation {} is not 0 or 1",
                    rule.location,
                    raw.unwrap_or_else(|| "missing".into())
                ));
            }
        }
        rule
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
/// tags ([`crate::markup::PageMarkup::metas`]).
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
    use crate::tags::head_metas;

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
    fn an_invalid_rule_is_skipped_and_later_rules_still_apply() {
        let json = br#"[
            {"location": "/news/*", "tdm-reservation": "maybe"},
            7,
            {"tdm-reservation": 0},
            {"location": "/", "tdm-reservation": 1}
        ]"#;
        let f = TdmRepFile::parse(json, URL).unwrap();
        assert_eq!(f.rules.len(), 4);
        let s = f.signal("/news/a").unwrap();
        assert_eq!(s.verdict, REFUSE, "the later reserving rule applies");
        assert!(s.raw.contains("is not 0 or 1"), "{}", s.raw);
        let s = f.signal("/other").unwrap();
        assert_eq!(s.verdict, REFUSE);
        assert!(!s.raw.contains("skipped"), "{}", s.raw);
        // Only invalid rules match: a neutral note, no verdict.
        let only = TdmRepFile::parse(br#"[{"location": "/", "tdm-reservation": 2}]"#, URL).unwrap();
        let s = only.signal("/x").unwrap();
        assert_eq!(s.verdict, Verdict::Neutral);
        assert!(s.raw.starts_with("invalid rule skipped"), "{}", s.raw);
    }

    #[test]
    fn locations_match_in_normal_form() {
        let json = r#"[{"location": "/actualités/", "tdm-reservation": 1},
                       {"location": "/a%7Eb/", "tdm-reservation": 1}]"#;
        let f = TdmRepFile::parse(json.as_bytes(), URL).unwrap();
        for path in [
            "/actualit%C3%A9s/x",
            "/actualit%c3%a9s/x",
            "/actualités/x",
            "/a~b/c",
            "/a%7eb/c",
        ] {
            assert_eq!(f.signal(path).map(|s| s.verdict), Some(REFUSE), "{path}");
        }
        assert!(f.signal("/actualites/x").is_none());
    }

    #[test]
    fn malformed_files_are_errors_with_neutral_evidence() {
        for bad in [
            &b"not json"[..],
            b"{}",
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
