//! Line-level reading of a robots.txt file and RFC 9309 grouping.
//!
//! `texting_robots` only keeps the directives it knows (user-agent, allow, disallow, crawl-delay,
//! sitemap) and groups them its own way; the consent signals we need (`Content-Usage`,
//! `Content-Signal`, `License`) are extension records it drops. So we read the lines ourselves,
//! group them once per RFC 9309 section 2.1, and hand `texting_robots` only the merged rules of
//! the group that applies (see [`super::matcher`]). Reading the lines here also lets us fix the
//! cases where `texting_robots`' own grouping differs from the RFC and the conformance suite:
//! rules outside any group are ignored rather than applied to everyone.

/// The directives we recognise. Keys are matched case-insensitively; the misspellings that
/// Google's reference parser accepts for user-agent, disallow and sitemap are accepted too,
/// since a site that misspells `Disallow` still means it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Key {
    UserAgent,
    Allow,
    Disallow,
    Sitemap,
    CrawlDelay,
    ContentUsage,
    ContentSignal,
    License,
    Other,
}

impl Key {
    fn from_name(name: &[u8]) -> Key {
        let name = name.to_ascii_lowercase();
        match name.as_slice() {
            b"user-agent" | b"useragent" | b"user agent" => Key::UserAgent,
            b"allow" => Key::Allow,
            b"disallow" | b"dissallow" | b"dissalow" | b"disalow" | b"diasllow" | b"disallaw" => {
                Key::Disallow
            }
            b"sitemap" | b"site-map" => Key::Sitemap,
            b"crawl-delay" | b"crawldelay" | b"crawl delay" => Key::CrawlDelay,
            b"content-usage" => Key::ContentUsage,
            b"content-signal" => Key::ContentSignal,
            b"license" | b"licence" => Key::License,
            _ => Key::Other,
        }
    }
}

/// One `key: value` record, with its value still as bytes (a path may not be UTF-8).
#[derive(Clone, Debug)]
pub(crate) struct Record<'a> {
    pub key: Key,
    pub value: &'a [u8],
    /// The whole line without its comment, for evidence.
    pub raw: &'a [u8],
}

impl Record<'_> {
    pub fn value_str(&self) -> String {
        String::from_utf8_lossy(self.value).into_owned()
    }
    pub fn raw_str(&self) -> String {
        String::from_utf8_lossy(self.raw).into_owned()
    }
}

/// A group: the user-agent values that start it and the records that follow them.
#[derive(Clone, Debug, Default)]
pub(crate) struct Group<'a> {
    /// The user-agent values as written (trimmed).
    pub agents: Vec<String>,
    pub records: Vec<Record<'a>>,
}

/// The file as groups, plus the records that belong to no group.
#[derive(Clone, Debug, Default)]
pub(crate) struct Grouped<'a> {
    pub groups: Vec<Group<'a>>,
    /// Records before the first user-agent line (other than sitemap and licence, which are
    /// global wherever they appear and kept here too).
    pub global: Vec<Record<'a>>,
}

/// Skips a leading UTF-8 byte-order mark, byte by byte as Google's reference parser does: a
/// truncated mark (`EF` or `EF BB`) is skipped too, and what follows a broken one is left to be
/// read as an (unparseable) first line.
pub(crate) fn strip_bom(mut body: &[u8]) -> &[u8] {
    for b in [0xEF, 0xBB, 0xBF] {
        match body.split_first() {
            Some((&first, rest)) if first == b => body = rest,
            _ => break,
        }
    }
    body
}

fn trim(mut s: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = s {
        s = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = s {
        s = rest;
    }
    s
}

/// Splits one line into a record. RFC 9309: `key ":" value`, comments start at `#`. Like
/// Google's parser we also accept a missing colon when exactly two words are separated by
/// whitespace (`Disallow /private`): that only ever adds rules a site wrote.
fn record(line: &[u8]) -> Option<Record<'_>> {
    let line = match line.iter().position(|&b| b == b'#') {
        Some(i) => &line[..i],
        None => line,
    };
    let line = trim(line);
    if line.is_empty() {
        return None;
    }
    let (name, value) = match line.iter().position(|&b| b == b':') {
        Some(i) => (trim(&line[..i]), trim(&line[i + 1..])),
        None => {
            let i = line.iter().position(|&b| b == b' ' || b == b'\t')?;
            let value = trim(&line[i..]);
            if value.iter().any(|&b| b == b' ' || b == b'\t') {
                return None;
            }
            (&line[..i], value)
        }
    };
    Some(Record {
        key: Key::from_name(name),
        value,
        raw: line,
    })
}

/// Splits on `\n`, `\r\n` and lone `\r`, the three line endings RFC 9309 allows.
fn lines(body: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut rest = body;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let end = rest
            .iter()
            .position(|&b| b == b'\n' || b == b'\r')
            .unwrap_or(rest.len());
        let line = &rest[..end];
        let mut next = end;
        if next < rest.len() {
            next += if rest[next] == b'\r' && rest.get(next + 1) == Some(&b'\n') {
                2
            } else {
                1
            };
        }
        rest = &rest[next..];
        Some(line)
    })
}

/// Groups the records (RFC 9309 section 2.1). A run of user-agent lines starts a group, and
/// only a rule (`allow`, `disallow`) ends the run: every record up to the next user-agent line
/// after a rule belongs to the group. Records that are not rules (`crawl-delay`,
/// `content-usage`, `content-signal`, unknown ones) belong to the group they appear in without
/// ending its run of user-agent lines (RFC 9309 section 2.2.4: other records must not interfere
/// with the parsing of the rules), so in `User-agent: *` / `Content-Signal: ai-train=no` /
/// `User-agent: AssentBot` / `Disallow: /x` the signal binds AssentBot too. Sitemap and licence
/// records are global wherever they appear.
pub(crate) fn group(body: &[u8]) -> Grouped<'_> {
    let mut out = Grouped::default();
    let mut in_agent_run = false;
    for line in lines(strip_bom(body)) {
        let Some(rec) = record(line) else { continue };
        match rec.key {
            Key::UserAgent => {
                if !in_agent_run {
                    out.groups.push(Group::default());
                    in_agent_run = true;
                }
                let agent = rec.value_str();
                out.groups.last_mut().expect("pushed").agents.push(agent);
            }
            Key::Other => {}
            Key::Sitemap | Key::License => out.global.push(rec),
            key => {
                if matches!(key, Key::Allow | Key::Disallow) {
                    in_agent_run = false;
                }
                match out.groups.last_mut() {
                    Some(g) => g.records.push(rec),
                    None => out.global.push(rec),
                }
            }
        }
    }
    out
}

/// Whether `c` may appear in an RFC 9309 product token. The RFC names `a-zA-Z_-`; digits are
/// accepted too because real crawler names carry them (`Ai2Bot-Dolma`).
fn token_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '-'
}

/// Our own product token, as compared with user-agent lines: a `/version` suffix is dropped and
/// case folded. A name that is not a valid product token (e.g. holds a space) names no group,
/// so only the `*` group applies to it (as in Google's reference parser).
pub(crate) fn product_token(name: &str) -> Option<String> {
    let name = name.trim();
    let name = name.split('/').next().unwrap_or("");
    (!name.is_empty() && name.chars().all(token_char)).then(|| name.to_ascii_lowercase())
}

/// The product token a user-agent line names: its value up to the first whitespace or `/`,
/// case folded (`FooBot/1.2 (+https://…)` names `foobot`). `*` is returned as `*`.
pub(crate) fn line_token(value: &str) -> String {
    let end = value
        .find(|c: char| c.is_whitespace() || c == '/')
        .unwrap_or(value.len());
    value[..end].to_ascii_lowercase()
}

/// Whether a user-agent line value names our own token: by product token only, so a name that
/// is not a valid product token (`Foo Bar`) names no group.
pub(crate) fn names_token(value: &str, name: &str) -> bool {
    product_token(name).is_some_and(|token| line_token(value) == token)
}

/// Whether a user-agent line value names a crawler of the AI-token list. As [`names_token`];
/// names with spaces (some crawlers are listed as `Kangaroo Bot`) also match a line that spells
/// the whole name, case-insensitively.
pub(crate) fn names_crawler(value: &str, name: &str) -> bool {
    let words = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    names_token(value, name)
        || (!name.trim().is_empty() && words(value).eq_ignore_ascii_case(&words(name)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bom_is_skipped_only_at_start_and_byte_by_byte() {
        assert_eq!(strip_bom(b"\xEF\xBB\xBFUser"), b"User");
        assert_eq!(strip_bom(b"\xEF\xBBUser"), b"User");
        assert_eq!(strip_bom(b"\xEF\x11\xBFUser"), b"\x11\xBFUser");
        assert_eq!(strip_bom(b"User\xEF\xBB\xBF"), b"User\xEF\xBB\xBF");
    }

    #[test]
    fn groups_merge_runs_and_skip_blank_lines() {
        let g = group(b"Sitemap: /s.xml\nUser-agent: a\n\nUser-agent: b\nDisallow: /x # c\nUser-agent: c\nAllow: /\r\nCrawl-delay: 2\r");
        assert_eq!(g.groups.len(), 2);
        assert_eq!(g.groups[0].agents, ["a", "b"]);
        assert_eq!(g.groups[0].records[0].value, b"/x");
        assert_eq!(g.groups[1].records.len(), 2);
        assert_eq!(g.global.len(), 1);
    }

    #[test]
    fn records_that_are_not_rules_do_not_end_a_group() {
        let g = group(b"User-agent: *\nContent-Signal: ai-train=no\nUser-agent: AssentBot\nDisallow: /x\n\nUser-agent: b\nCrawl-delay: 3\nFoo: bar\nUser-agent: c\nAllow: /\nUser-agent: d\n");
        assert_eq!(g.groups.len(), 3);
        assert_eq!(g.groups[0].agents, ["*", "AssentBot"]);
        assert_eq!(g.groups[0].records.len(), 2);
        assert_eq!(g.groups[1].agents, ["b", "c"]);
        assert_eq!(g.groups[2].agents, ["d"]);
    }

    #[test]
    fn product_tokens() {
        assert_eq!(product_token("AssentBot/1.0").as_deref(), Some("assentbot"));
        assert_eq!(product_token("Foo Bar"), None);
        assert!(names_token("FooBot/2.1 (+https://x)", "foobot"));
        assert!(names_token("Foo Bar", "foo"));
        assert!(!names_token("Foo Bar", "Foo Bar"));
        assert!(names_crawler("Kangaroo Bot", "kangaroo  bot"));
        assert!(!names_token("FooBotX", "FooBot"));
    }
}
