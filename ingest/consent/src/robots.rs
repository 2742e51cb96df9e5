//! robots.txt (RFC 9309) and the training preferences it carries.
//!
//! Pure logic, no networking: the crawler fetches `/robots.txt` and hands us what it got (see
//! [`RobotsFetch`]); we say whether a URL may be fetched by our own token, and which training
//! signals the file gives for it (AI-crawler tokens, IETF aipref `Content-Usage`,
//! `Content-Signal`, RSL `License` locations).
//!
//! Rule matching is `texting_robots`'; we read and group the lines ourselves ([`lines`]) because
//! the consent records are extensions it drops, and normalise patterns and URLs
//! ([`matcher`]) so that all 124 standard cases of Google's robots.txt conformance suite pass.
//! Every signal carries the sha256 of the bytes as fetched and the fetch time, so that a decision
//! can be re-checked later against the same file.

mod cache;
mod fetch;
mod lines;
mod matcher;
mod prefs;
#[cfg(test)]
mod tests;

pub use cache::{origin_of, RobotsCache, MAX_AGE};
pub use fetch::{RobotsFetch, RobotsPolicy};
pub(crate) use matcher::request_path;

use super::{Signal, Verdict};
use assent_schemas::ReasonCode;
use chrono::{DateTime, Utc};
use lines::Key;
use matcher::{PathPattern, Rule};
use prefs::{Kind, PrefLine};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use texting_robots::Robot;

/// The most of a robots.txt that is parsed (RFC 9309 section 2.5 asks crawlers to parse at least
/// 500 KiB). Beyond it the file is cut at the last line break before the limit, so that a cut
/// rule is dropped rather than read shortened.
pub const MAX_ROBOTS_BYTES: usize = 500 * 1024;

/// One group of a robots.txt, its lines parsed.
#[derive(Debug)]
struct Group {
    agents: Vec<String>,
    rules: Vec<Rule>,
    crawl_delay: Option<f64>,
    prefs: Vec<PrefLine>,
}

/// A parsed robots.txt, with where and when it was fetched and the hash of its bytes.
pub struct RobotsTxt {
    source_url: String,
    fetched_at: DateTime<Utc>,
    sha256: String,
    groups: Vec<Group>,
    /// `Content-Usage` / `Content-Signal` lines outside any group: they apply to every agent.
    global_prefs: Vec<PrefLine>,
    /// A `Crawl-delay` before the first group, used when the group that applies has none.
    global_delay: Option<f64>,
    sitemaps: Vec<String>,
    licences: Vec<String>,
    /// `texting_robots` matchers, built on first use for each set of merged groups.
    robots: Mutex<HashMap<Vec<usize>, Arc<Robot>>>,
    /// For the AI-token list last asked about: each token's index in it and the groups naming
    /// it, tokens no group names left out. Every page of a site asks about the same list, and
    /// matching ~60 tokens against every group's agents per page was a hot spot of the crawl.
    ai_groups: Mutex<Option<AiGroups>>,
}

/// See [`RobotsTxt::ai_groups`].
type AiGroups = (Vec<String>, Arc<Vec<(usize, Vec<usize>)>>);

impl std::fmt::Debug for RobotsTxt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RobotsTxt")
            .field("source_url", &self.source_url)
            .field("fetched_at", &self.fetched_at)
            .field("sha256", &self.sha256)
            .field("groups", &self.groups)
            .field("sitemaps", &self.sitemaps)
            .field("licences", &self.licences)
            .finish_non_exhaustive()
    }
}

/// Lowercase hex sha256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    assent_schemas::digest::sha256_hex(bytes)
}

/// The preference line a `Content-Usage` or `Content-Signal` record holds; `None` for any
/// other key.
fn pref_line(rec: &lines::Record<'_>) -> Option<PrefLine> {
    let kind = match rec.key {
        Key::ContentUsage => Kind::ContentUsage,
        Key::ContentSignal => Kind::ContentSignal,
        _ => return None,
    };
    Some(PrefLine::parse(kind, rec.value, rec.raw_str()))
}

fn parse_delay(value: &[u8]) -> Option<f64> {
    let d: f64 = std::str::from_utf8(value).ok()?.trim().parse().ok()?;
    (d.is_finite() && d >= 0.0).then_some(d)
}

fn truncate(body: &[u8]) -> &[u8] {
    if body.len() <= MAX_ROBOTS_BYTES {
        return body;
    }
    let head = &body[..MAX_ROBOTS_BYTES];
    match head.iter().rposition(|&b| b == b'\n' || b == b'\r') {
        Some(i) => &head[..i],
        None => head,
    }
}

impl RobotsTxt {
    /// Parses `body`, the bytes fetched from `source_url` (the robots.txt URL) at `fetched_at`.
    /// Never fails: whatever cannot be read is ignored, as RFC 9309 asks.
    pub fn parse(source_url: &str, body: &[u8], fetched_at: DateTime<Utc>) -> RobotsTxt {
        Self::parse_with(source_url, body, fetched_at, false)
    }

    /// As [`Self::parse`]; with `bare_rules_for_all`, rules written before any user-agent line
    /// form a `*` group instead of being ignored (how ai.txt files are meant).
    pub(crate) fn parse_with(
        source_url: &str,
        body: &[u8],
        fetched_at: DateTime<Utc>,
        bare_rules_for_all: bool,
    ) -> RobotsTxt {
        let sha256 = sha256_hex(body);
        let mut grouped = lines::group(truncate(body));
        if bare_rules_for_all {
            let (bare, global): (Vec<_>, Vec<_>) = grouped
                .global
                .into_iter()
                .partition(|r| matches!(r.key, Key::Allow | Key::Disallow));
            grouped.global = global;
            if !bare.is_empty() {
                grouped.groups.push(lines::Group {
                    agents: vec!["*".to_string()],
                    records: bare,
                });
            }
        }
        let mut txt = RobotsTxt {
            source_url: source_url.to_string(),
            fetched_at,
            sha256,
            groups: Vec::new(),
            global_prefs: Vec::new(),
            global_delay: None,
            sitemaps: Vec::new(),
            licences: Vec::new(),
            robots: Mutex::new(HashMap::new()),
            ai_groups: Mutex::new(None),
        };
        for rec in &grouped.global {
            match rec.key {
                Key::Sitemap if !rec.value.is_empty() => txt.sitemaps.push(rec.value_str()),
                Key::License if !rec.value.is_empty() => txt.licences.push(rec.value_str()),
                Key::CrawlDelay => txt.global_delay = txt.global_delay.or(parse_delay(rec.value)),
                Key::ContentUsage | Key::ContentSignal => txt.global_prefs.extend(pref_line(rec)),
                // Rules outside any group apply to no one (RFC 9309 section 2.1).
                _ => {}
            }
        }
        for g in grouped.groups {
            let mut group = Group {
                agents: g.agents,
                rules: Vec::new(),
                crawl_delay: None,
                prefs: Vec::new(),
            };
            for rec in &g.records {
                match rec.key {
                    Key::Allow | Key::Disallow if !rec.value.is_empty() => group.rules.push(Rule {
                        allow: rec.key == Key::Allow,
                        pattern: matcher::normalise_pattern(rec.value),
                        line: rec.raw_str(),
                    }),
                    Key::CrawlDelay => {
                        group.crawl_delay = group.crawl_delay.or(parse_delay(rec.value))
                    }
                    Key::ContentUsage | Key::ContentSignal => group.prefs.extend(pref_line(rec)),
                    _ => {}
                }
            }
            txt.groups.push(group);
        }
        txt
    }

    /// The robots.txt URL it was fetched from.
    pub fn source_url(&self) -> &str {
        &self.source_url
    }

    pub fn fetched_at(&self) -> DateTime<Utc> {
        self.fetched_at
    }

    /// sha256 (lowercase hex) of the bytes as fetched, before any truncation.
    pub fn sha256(&self) -> &str {
        &self.sha256
    }

    /// Indices of the groups that name `agent` (RFC 9309: groups naming the same agent merge).
    /// `crawler`: `agent` comes from the AI-token list (see [`lines::names_crawler`]).
    fn groups_naming(&self, agent: &str, crawler: bool) -> Vec<usize> {
        let names = if crawler {
            lines::names_crawler
        } else {
            lines::names_token
        };
        (0..self.groups.len())
            .filter(|&i| self.groups[i].agents.iter().any(|a| names(a, agent)))
            .collect()
    }

    /// The groups that apply to our token: those naming it, else those for `*`.
    fn select(&self, our_token: &str) -> Vec<usize> {
        let mine = self.groups_naming(our_token, false);
        if !mine.is_empty() {
            return mine;
        }
        (0..self.groups.len())
            .filter(|&i| {
                self.groups[i]
                    .agents
                    .iter()
                    .any(|a| lines::line_token(a) == "*")
            })
            .collect()
    }

    fn robot(&self, groups: Vec<usize>) -> Arc<Robot> {
        let mut cache = self.robots.lock().unwrap_or_else(|e| e.into_inner());
        cache
            .entry(groups)
            .or_insert_with_key(|groups| {
                Arc::new(matcher::robot(
                    groups.iter().flat_map(|&i| &self.groups[i].rules),
                ))
            })
            .clone()
    }

    /// Whether some group names `token` explicitly (product token, case-insensitive).
    pub fn names_agent(&self, token: &str) -> bool {
        !self.groups_naming(token, false).is_empty()
    }

    /// Whether `our_token` may fetch `url` (absolute, or a path).
    pub fn allows(&self, our_token: &str, url: &str) -> bool {
        self.robot(self.select(our_token))
            .allowed(&request_path(url))
    }

    /// The crawl delay, in seconds, of the group that applies to `our_token`, else one given
    /// before any group.
    pub fn crawl_delay(&self, our_token: &str) -> Option<f64> {
        self.select(our_token)
            .into_iter()
            .find_map(|i| self.groups[i].crawl_delay)
            .or(self.global_delay)
    }

    /// Sitemap URLs, wherever they appear in the file.
    pub fn sitemaps(&self) -> Vec<String> {
        self.sitemaps.clone()
    }

    /// RSL licence URLs (`License:` lines), wherever they appear in the file.
    pub fn rsl_licences(&self) -> Vec<String> {
        self.licences.clone()
    }

    fn evidence(&self, signal: Signal) -> Signal {
        signal.fetched(Some(self.fetched_at), Some(self.sha256.clone()))
    }

    /// The fetch decision for our own token: signal `robots`, Allow or Refuse(RobotsDisallow).
    pub fn fetch_signal(&self, our_token: &str, url: &str) -> Signal {
        let groups = self.select(our_token);
        let allowed = self.robot(groups.clone()).allowed(&request_path(url));
        let (raw, verdict) = if allowed {
            (format!("{our_token}: allowed"), Verdict::Allow)
        } else {
            let line = self.refusing_rule(&groups, url).unwrap_or_default();
            (
                format!("{our_token}: {line}"),
                Verdict::Refuse(ReasonCode::RobotsDisallow),
            )
        };
        self.evidence(Signal::new("robots", &self.source_url, &raw, verdict))
    }

    /// The longest disallow rule of `groups` matching `url`, for evidence.
    fn refusing_rule(&self, groups: &[usize], url: &str) -> Option<String> {
        let path = request_path(url);
        groups
            .iter()
            .flat_map(|&i| &self.groups[i].rules)
            .filter(|r| !r.allow && PathPattern::new(r.pattern.as_bytes()).matches(&path))
            .max_by_key(|r| r.pattern.len())
            .map(|r| r.line.clone())
    }

    /// Refusal by an AI-training crawler's group: if a group naming one of `tokens` (never
    /// `*`) disallows `url`, the site does not want AI training on it. A site that names our own
    /// token in a group has told us directly; that group decides (see [`Self::fetch_signal`])
    /// and this returns `None`.
    pub fn ai_token_refusal(&self, our_token: &str, url: &str, tokens: &[&str]) -> Option<Signal> {
        if self.names_agent(our_token) {
            return None;
        }
        let path = request_path(url);
        for (index, groups) in self.ai_groups(tokens).iter() {
            let token = tokens[*index];
            if self.robot(groups.clone()).allowed(&path) {
                continue;
            }
            let line = self.refusing_rule(groups, url).unwrap_or_default();
            let raw = format!("{token}: {line}");
            let verdict = Verdict::Refuse(ReasonCode::RobotsAiTokenDisallow);
            return Some(self.evidence(Signal::new(
                "robots.ai-token",
                &self.source_url,
                raw.trim_end(),
                verdict,
            )));
        }
        None
    }

    /// The groups naming each token of `tokens` (`*` aside), as (index, groups), memoised for
    /// the last list asked about.
    fn ai_groups(&self, tokens: &[&str]) -> Arc<Vec<(usize, Vec<usize>)>> {
        let mut memo = self.ai_groups.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((list, groups)) = memo.as_ref() {
            if list.len() == tokens.len() && list.iter().zip(tokens).all(|(a, b)| a == b) {
                return groups.clone();
            }
        }
        let groups: Vec<(usize, Vec<usize>)> = tokens
            .iter()
            .enumerate()
            .filter(|(_, t)| t.trim() != "*")
            .map(|(i, t)| (i, self.groups_naming(t, true)))
            .filter(|(_, g)| !g.is_empty())
            .collect();
        let groups = Arc::new(groups);
        *memo = Some((
            tokens.iter().map(|t| t.to_string()).collect(),
            groups.clone(),
        ));
        groups
    }

    /// The `Content-Usage` / `Content-Signal` line that applies to `url` for our token: from the
    /// groups that apply to it (merged) and the lines outside any group.
    fn pref_signal(&self, our_token: &str, url: &str, kind: Kind) -> Option<Signal> {
        let groups = self.select(our_token);
        let lines = groups
            .iter()
            .flat_map(|&i| &self.groups[i].prefs)
            .chain(&self.global_prefs)
            .filter(|l| l.kind == kind);
        let line = prefs::applicable(lines, url)?;
        Some(self.evidence(Signal::new(
            kind.signal_name(),
            &self.source_url,
            &line.raw,
            line.verdict(),
        )))
    }

    /// Every training-relevant signal this file gives for `url`: an AI-crawler token refusal,
    /// the applicable `Content-Usage` line (signal `aipref.robots`) and `Content-Signal` line
    /// (signal `content-signal`). Each carries the fetch time and sha256 of this file.
    pub fn robots_signals(&self, our_token: &str, url: &str, ai_tokens: &[&str]) -> Vec<Signal> {
        let mut out = Vec::new();
        out.extend(self.ai_token_refusal(our_token, url, ai_tokens));
        out.extend(self.pref_signal(our_token, url, Kind::ContentUsage));
        out.extend(self.pref_signal(our_token, url, Kind::ContentSignal));
        out
    }
}
