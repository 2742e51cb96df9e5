//! Licensing statements in plain text: "This work is licensed under a Creative Commons
//! Attribution-ShareAlike 4.0 International License", "released under the MIT License",
//! "Licensed under the Apache License, Version 2.0", "available under the GNU Free
//! Documentation License", "is marked with CC0 1.0", "This work is in the public domain".
//!
//! Conservative on purpose: a licence name counts only right after a licensing phrase (a
//! verb such as licensed, released, available, distributed, published, provided, shared or
//! offered, then "under" within the same clause; "licensed as"; "License:"; "marked with"),
//! and only a name that identifies one licence: "MIT License", not "MIT"; "Apache License,
//! Version 2.0" or "Apache 2.0", not "Apache" or "Apache License"; an SPDX id only when it
//! carries a digit or hyphen (`GPL-3.0-or-later`, not `MIT`). Public-domain statements need
//! their subject ("this work is in the public domain", "we dedicate these pages to the public
//! domain"); CC0's own waiver sentence ("waived all copyright and related or neighboring
//! rights") and the Public Domain Mark's ("free of known restrictions under copyright law")
//! count as CC0 and the mark. After one name, up to three more joined by "and", "or" or a
//! comma are read too (dual licensing: each is a finding).

use super::cc::{cc_name_at, cc_spdx};
use super::names::spdx_id;
use regex::Regex;
use std::sync::LazyLock;

/// Longest evidence snippet, in bytes.
pub const SNIPPET_MAX: usize = 200;
/// Text searched: this much from the start, and as much again from the end of longer texts
/// (licence notices live in footers).
pub const TEXT_HEAD: usize = 512 * 1024;
pub const TEXT_TAIL: usize = 256 * 1024;
/// Most statements taken from one text.
const MAX_STATEMENTS: usize = 16;

/// A regex whose `\b`s are ASCII word boundaries: Unicode ones keep the regex crate off its
/// fast engines, and the phrases and names looked for are ASCII.
pub(super) fn ascii_regex(pattern: &str) -> Result<Regex, regex::Error> {
    Regex::new(&pattern.replace(r"\b", r"(?-u:\b)"))
}

static PHRASE: LazyLock<Regex> = LazyLock::new(|| {
    ascii_regex(concat!(
        r"(?i)\b(?:(?:dual[\s-])?licen[cs]ed|released|available|(?:re)?distributed?|published|provided|modify|copy",
        r"|shared|offered|dedicated|covered|governed|reproduced|re-?used|re-?usable|usable",
        r"|made\s+available)\b[^.;!?<>]{0,40}?\bunder\s+(?:the\s+terms\s+(?:and\s+conditions\s+)?of\s+)?",
        r"(?:(?:the|a|an)\s+)?",
        r"|\blicen[cs]ed\s+(?:as|with)\s+(?:(?:the|a|an)\s+)?",
        r"|\bmarked\s+with\s+(?:(?:the|a)\s+)?",
        r"|\b(?:licen[cs]e|licensing|copyright\s+licen[cs]e)\s*:\s*(?:(?:the|a|an)\s+)?",
    ))
    .unwrap()
});

static PUBLIC_DOMAIN: LazyLock<Regex> = LazyLock::new(|| {
    let nouns = r"(?:work|page|article|content|text|site|website|material|document|post|book|image|photo|photograph|data|dataset|publication|recording|file|entry|blog|essay)s?";
    ascii_regex(&format!(
        r"(?i)\b(?:this|these|all|our|my)\s+(?:[a-z-]+\s+){{0,3}}?{nouns}\s+(?:is|are|has\s+been|have\s+been|was|were)\s+(?:hereby\s+)?(?:(?:released|dedicated|placed|put)\s+)?(?:in|into|to)\s+the\s+public\s+domain\b|\b(?:i|we)\s+(?:hereby\s+)?(?:release|dedicate|place|put)\s+(?:this|these|all|my|our)\s+(?:[a-z-]+\s+){{0,3}}?(?:in|into|to)\s+the\s+public\s+domain\b"
    ))
    .unwrap()
});

static CC0_WAIVER: LazyLock<Regex> = LazyLock::new(|| {
    ascii_regex(r"(?i)\bwaived\s+all\s+copyright\s+and\s+related\s+or\s+neighbou?ring\s+rights\b")
        .unwrap()
});

static PDM_DEED: LazyLock<Regex> = LazyLock::new(|| {
    ascii_regex(r"(?i)\bfree\s+of\s+known\s+restrictions\s+under\s+copyright\s+law\b").unwrap()
});

/// Reads the captures of a name pattern into an SPDX id.
type ReadName = fn(&regex::Captures<'_>) -> Option<String>;

/// Names other than Creative Commons', each anchored at the start, with how to read them.
static NAMES: LazyLock<Vec<(Regex, ReadName)>> = LazyLock::new(|| {
    let r = |s: &str| ascii_regex(s).unwrap();
    vec![
        (
            r(
                r"(?i)^(?:the\s+)?gnu\s+(free\s+documentation|(?:lesser\s+|library\s+|affero\s+)?general\s+public)\s+licen[cs]e(?:\s*\(\s*(?:gnu\s+)?(?:g?fdl|gpl|lgpl|agpl)\s*\))?(?:,?\s*(?:version\s+|v\.?\s*)?(\d(?:\.\d)?))?(\s*\+|\s*,?\s*or\s+(?:\(at\s+your\s+option\)\s+)?(?:any\s+)?later(?:\s+version)?)?",
            ),
            |c| gnu(&c[1], c.get(2).map(|m| m.as_str()), c.get(3).is_some()),
        ),
        (
            r(
                r"(?i)^(?:the\s+)?(?:gnu\s+)?(g?fdl|gpl|lgpl|agpl)(?:[\s-]*v?(\d(?:\.\d)?))?(\+|\s*,?\s*or\s+(?:any\s+)?later(?:\s+version)?)?\b",
            ),
            |c| gnu(&c[1], c.get(2).map(|m| m.as_str()), c.get(3).is_some()),
        ),
        (r(r"(?i)^(?:the\s+)?mit\s+licen[cs]e\b"), |_| {
            Some("MIT".into())
        }),
        (
            r(
                r"(?i)^(?:the\s+)?apache\s+(?:software\s+)?licen[cs]e,?\s*(?:version\s+|v\.?\s*)?(\d\.\d)\b",
            ),
            |c| spdx_id(&format!("Apache-{}", &c[1])),
        ),
        (
            r(r"(?i)^(?:the\s+)?apache\s+(?:v\.?\s*)?(\d\.\d)\b(?:\s+licen[cs]e\b)?"),
            |c| spdx_id(&format!("Apache-{}", &c[1])),
        ),
        (
            r(
                r"(?i)^(?:the\s+)?mozilla\s+public\s+licen[cs]e,?\s*(?:version\s+|v\.?\s*)?(\d\.\d)\b",
            ),
            |c| spdx_id(&format!("MPL-{}", &c[1])),
        ),
        (
            r(
                r"(?i)^(?:the\s+)?(?:bsd[\s-]+(2|3|two|three)[\s-]+clause|(2|3|two|three)[\s-]+clause\s+bsd)\s+licen[cs]e\b",
            ),
            |c| {
                let n = c.get(1).or(c.get(2))?.as_str().to_ascii_lowercase();
                let n = if n == "2" || n == "two" { 2 } else { 3 };
                Some(format!("BSD-{n}-Clause"))
            },
        ),
        (
            r(r"(?i)^(?:the\s+)?(?:odc\s+)?open\s+database\s+licen[cs]e\b"),
            |_| Some("ODbL-1.0".into()),
        ),
        (
            r(
                r"(?i)^(?:the\s+)?open\s+government\s+licen[cs]e(?:\s+for\s+public\s+sector\s+information)?,?\s*(?:version\s+|v\.?\s*)?(\d)(?:\.0)?\b",
            ),
            |c| spdx_id(&format!("OGL-UK-{}.0", &c[1])),
        ),
        (r(r"(?i)^(?:the\s+)?unlicen[cs]e\b"), |_| {
            Some("Unlicense".into())
        }),
    ]
});

/// A bare SPDX id (read only with a digit or hyphen in it), then a delimiter.
static ID: LazyLock<Regex> = LazyLock::new(|| {
    ascii_regex(r"^([A-Za-z0-9][A-Za-z0-9.+-]{1,48}[A-Za-z0-9+])(?:$|[\s.,;:)(\]])").unwrap()
});

static CC_URL: LazyLock<Regex> = LazyLock::new(|| {
    ascii_regex(r#"(?i)^(?:(?:https?:)?//)?(?:www\.)?creativecommons\.org/[^\s"'<>()\[\]]+"#)
        .unwrap()
});

static JOINER: LazyLock<Regex> = LazyLock::new(|| {
    ascii_regex(r"(?i)^\s*(?:,\s*|\s+)(?:and/or|and|or)\s+(?:(?:the|a|an)\s+)?|^\s*,\s*(?:(?:the|a|an)\s+)?")
        .unwrap()
});

fn gnu(which: &str, version: Option<&str>, or_later: bool) -> Option<String> {
    let w = which.to_ascii_lowercase();
    let w: String = w.split_whitespace().collect::<Vec<_>>().join(" ");
    let base = match w.as_str() {
        "free documentation" | "fdl" | "gfdl" => "GFDL",
        "general public" | "gpl" => "GPL",
        "lesser general public" | "library general public" | "lgpl" => "LGPL",
        "affero general public" | "agpl" => "AGPL",
        _ => return None,
    };
    let Some(v) = version else {
        return Some(format!("LicenseRef-{base}"));
    };
    let v = if v.contains('.') {
        v.to_string()
    } else {
        format!("{v}.0")
    };
    let suffix = if or_later { "or-later" } else { "only" };
    spdx::license_id(&format!("{base}-{v}-{suffix}")).map(|l| l.name.to_string())
}

/// A licence named at the very start of `s`: its id and the bytes its name took.
pub(super) fn name_at(s: &str) -> Option<(String, usize)> {
    if let Some(m) = CC_URL.find(s) {
        let raw = m.as_str().trim_end_matches(['.', ',', ';', ':']);
        let url = if raw.contains("//") {
            raw.to_string()
        } else {
            format!("https://{raw}")
        };
        return cc_spdx(&url).map(|id| (id, raw.len()));
    }
    if let Some(found) = cc_name_at(s) {
        return Some(found);
    }
    for (re, read) in NAMES.iter() {
        if let Some(c) = re.captures(s) {
            if let Some(id) = read(&c) {
                return Some((id, c.get(0).map_or(0, |m| m.end())));
            }
        }
    }
    let id = ID.captures(s)?.get(1)?;
    if !id
        .as_str()
        .contains(['-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9'])
    {
        return None;
    }
    spdx_id(id.as_str()).map(|spdx| (spdx, id.end()))
}

/// A licence named by the whole of `s` (trailing punctuation and "License" words allowed).
pub(super) fn named_licence(s: &str) -> Option<String> {
    let s = s.trim();
    let (id, end) = name_at(s)?;
    let rest = s[end..].trim_matches(|c: char| c.is_whitespace() || ".,;:()".contains(c));
    (rest.is_empty()
        || rest.eq_ignore_ascii_case("license")
        || rest.eq_ignore_ascii_case("licence"))
    .then_some(id)
}

/// One licensing statement found in a text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Statement {
    pub spdx: String,
    /// The statement with a little context, whitespace collapsed, at most [`SNIPPET_MAX`] bytes.
    pub snippet: String,
    /// A licence URL the statement gave, where it gave one.
    pub url: Option<String>,
}

/// Whitespace runs (any Unicode whitespace, NBSP included) collapsed to one space.
pub(crate) fn collapse(s: &str) -> String {
    let mut out = String::with_capacity(s.len().min(TEXT_HEAD + TEXT_TAIL));
    let mut space = false;
    for c in s.chars() {
        if c.is_whitespace() {
            space = true;
        } else {
            if space && !out.is_empty() {
                out.push(' ');
            }
            space = false;
            out.push(c);
        }
    }
    out
}

fn floor(s: &str, mut i: usize) -> usize {
    i = i.min(s.len());
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// `s[start..end]` widened with context to at most [`SNIPPET_MAX`] bytes (or cut to it).
pub(super) fn snippet(s: &str, start: usize, end: usize) -> String {
    let (start, end) = (floor(s, start), floor(s, end.max(start)));
    if end - start >= SNIPPET_MAX {
        return s[start..floor(s, start + SNIPPET_MAX)].trim().to_string();
    }
    let spare = (SNIPPET_MAX - (end - start)) / 2;
    let mut a = floor(s, start.saturating_sub(spare));
    let mut b = floor(s, end + spare);
    // Prefer whole words at the edges.
    if a > 0 {
        if let Some(sp) = s[a..start].find(' ') {
            a += sp + 1;
        }
    }
    if b < s.len() {
        if let Some(sp) = s[end..b].rfind(' ') {
            b = end + sp;
        }
    }
    s[a..b].trim().to_string()
}

/// The licensing statements of `text` (bounded: [`TEXT_HEAD`] bytes from the start and
/// [`TEXT_TAIL`] from the end), in text order.
pub fn statements(text: &str) -> Vec<Statement> {
    let mut out = Vec::new();
    if text.len() <= TEXT_HEAD + TEXT_TAIL {
        scan_if_anchored(text, &mut out);
    } else {
        scan_if_anchored(&text[..floor(text, TEXT_HEAD)], &mut out);
        let tail = floor(text, text.len() - TEXT_TAIL);
        let tail = text[tail..]
            .find(char::is_whitespace)
            .map_or(tail, |w| tail + w);
        scan_if_anchored(&text[tail..], &mut out);
    }
    out
}

/// Words at least one of which every pattern of [`scan`] needs, by pattern: the statement
/// phrases need "under", "licen…" or "marked"; the public-domain sentence "domain"; CC0's
/// waiver "waived"; the mark's deed "restrictions".
const ANCHORS: &[&str] = &[
    "under",
    "licen",
    "marked",
    "domain",
    "waived",
    "restrictions",
];

static ANCHOR_SEARCH: LazyLock<aho_corasick::AhoCorasick> = LazyLock::new(|| {
    aho_corasick::AhoCorasick::builder()
        .ascii_case_insensitive(true)
        .build(ANCHORS)
        .unwrap()
});

/// Which patterns can match in `s`, as a set of [`ANCHORS`] indices.
struct Anchored(u8);

impl Anchored {
    fn of(s: &str) -> Anchored {
        let mut seen = 0u8;
        // The anchor words cannot overlap one another, so plain (non-overlapping) matches see
        // every one of them.
        for m in ANCHOR_SEARCH.find_iter(s) {
            seen |= 1 << m.pattern().as_usize();
            if seen == (1 << ANCHORS.len()) - 1 {
                break;
            }
        }
        Anchored(seen)
    }
    fn has(&self, word: &str) -> bool {
        ANCHORS
            .iter()
            .position(|a| *a == word)
            .is_some_and(|i| self.0 & (1 << i) != 0)
    }
}

/// [`scan`], skipped for text without any anchor word: most pages state no licence, and one
/// pass of a literal search costs far less than the patterns' case-insensitive alternations
/// and the whitespace collapsing before them (the crawler runs this on every page).
fn scan_if_anchored(text: &str, out: &mut Vec<Statement>) {
    let anchored = Anchored::of(text);
    if anchored.0 != 0 {
        scan(&collapse(text), &anchored, out);
    }
}

fn scan(s: &str, anchored: &Anchored, out: &mut Vec<Statement>) {
    let mut found: Vec<(usize, Statement)> = Vec::new();
    let phrases = anchored.has("under") || anchored.has("licen") || anchored.has("marked");
    for m in phrases.then(|| PHRASE.find_iter(s)).into_iter().flatten() {
        if found.len() >= MAX_STATEMENTS {
            break;
        }
        let mut at = m.end();
        for _ in 0..4 {
            let window = &s[at..floor(s, at + 400)];
            let Some((spdx, len)) = name_at(window) else {
                break;
            };
            let url = CC_URL
                .find(window)
                .map(|u| u.as_str()[..len.min(u.len())].to_string());
            found.push((
                m.start(),
                Statement {
                    spdx,
                    snippet: snippet(s, m.start(), at + len),
                    url,
                },
            ));
            at += len;
            match JOINER.find(&s[at..floor(s, at + 40)]) {
                Some(j) => at += j.end(),
                None => break,
            }
        }
    }
    let fixed: [(&Regex, &str, &str); 3] = [
        (&PUBLIC_DOMAIN, "LicenseRef-Public-Domain", "domain"),
        (&CC0_WAIVER, "CC0-1.0", "waived"),
        (&PDM_DEED, "LicenseRef-PDM-1.0", "restrictions"),
    ];
    for (re, id, anchor) in fixed {
        if !anchored.has(anchor) {
            continue;
        }
        for m in re.find_iter(s).take(MAX_STATEMENTS) {
            found.push((
                m.start(),
                Statement {
                    spdx: id.to_string(),
                    snippet: snippet(s, m.start(), m.end()),
                    url: None,
                },
            ));
        }
    }
    found.sort_by_key(|(at, _)| *at);
    for (_, st) in found {
        if out.len() >= MAX_STATEMENTS {
            break;
        }
        if !out.contains(&st) {
            out.push(st);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(text: &str) -> Vec<String> {
        statements(text).into_iter().map(|s| s.spdx).collect()
    }

    #[test]
    fn anchor_words_gate_the_patterns_whatever_their_case() {
        let ids = |t: &str| -> Vec<String> { statements(t).into_iter().map(|s| s.spdx).collect() };
        assert_eq!(ids("THIS WORK IS LICENSED UNDER CC BY 4.0."), ["CC-BY-4.0"]);
        assert_eq!(
            ids("This Work Is In The Public Domain."),
            ["LicenseRef-Public-Domain"]
        );
        assert!(ids("A page about the weather, with no statement at all.").is_empty());
        let a = Anchored::of("Marked WITH nothing; DOMAIN names");
        assert!(a.has("marked") && a.has("domain") && !a.has("under") && !a.has("waived"));
    }

    #[test]
    fn statements_found() {
        let cases: &[(&str, &[&str])] = &[
            ("This work is licensed under CC BY-SA 4.0.", &["CC-BY-SA-4.0"]),
            (
                "This work is licensed under a Creative Commons Attribution-ShareAlike 4.0 International License.",
                &["CC-BY-SA-4.0"],
            ),
            (
                "Text is available under the Creative Commons Attribution-ShareAlike 4.0 License; additional terms may apply.",
                &["CC-BY-SA-4.0"],
            ),
            ("Photo and text are marked with CC0 1.0 Universal.", &["CC0-1.0"]),
            ("License: CC0 1.0 Universal", &["CC0-1.0"]),
            ("This work is in the public domain.", &["LicenseRef-Public-Domain"]),
            (
                "We hereby dedicate all our recipes to the public domain.",
                &["LicenseRef-Public-Domain"],
            ),
            (
                "To the extent possible under law, Jo has waived all copyright and related or neighboring rights to this work.",
                &["CC0-1.0"],
            ),
            ("The code is released under the MIT License.", &["MIT"]),
            (
                "Licensed under the Apache License, Version 2.0 (the \"License\");",
                &["Apache-2.0"],
            ),
            ("Code samples are licensed under the Apache 2.0 License.", &["Apache-2.0"]),
            (
                "Permission is granted to copy, distribute and/or modify this document under the terms of the GNU Free Documentation License, Version 1.3 or any later version",
                &["GFDL-1.3-or-later"],
            ),
            (
                "All text is available under the terms of the GNU Free Documentation License.",
                &["LicenseRef-GFDL"],
            ),
            (
                "This program is distributed under the GNU General Public License v3.0.",
                &["GPL-3.0-only"],
            ),
            (
                "Content is available under CC BY-SA 3.0 and the GFDL unless otherwise noted.",
                &["CC-BY-SA-3.0", "LicenseRef-GFDL"],
            ),
            (
                "Licensed under https://creativecommons.org/licenses/by-nc/4.0/ by the author.",
                &["CC-BY-NC-4.0"],
            ),
            ("Released under BSD-3-Clause.", &["BSD-3-Clause"]),
            (
                "Except where otherwise noted, content on this site is licensed under a Creative Commons Attribution 4.0 International license, and code samples are licensed under the Apache 2.0 License.",
                &["CC-BY-4.0", "Apache-2.0"],
            ),
            (
                "This\u{a0}work is licensed\n  under   CC\u{a0}BY 4.0",
                &["CC-BY-4.0"],
            ),
            ("Published under a Creative Commons licence.", &["LicenseRef-CC-Unspecified"]),
        ];
        for (text, want) in cases {
            assert_eq!(ids(text), *want, "{text}");
        }
    }

    #[test]
    fn no_statement_without_a_licensing_phrase_or_a_definite_name() {
        for text in [
            "MIT researchers released a study under embargo.",
            "The Apache helicopter flew over the MIT campus.",
            "He explained the MIT License and the Apache License at the meetup.",
            "Creative Commons Attribution-ShareAlike 4.0 is popular with wikis.",
            "This article is about the CC BY-SA 4.0 licence.",
            "Released under the Apache License.",
            "Licensed under MIT.",
            "Most of the works discussed here are in the public domain somewhere.",
            "The public domain is where works go when copyright ends.",
            "Published under the title \"Gardens\" by a small press.",
            "Distributed under embargo. CC BY 4.0 is mentioned later.",
            "Licensed under a new agreement with the union.",
            "",
        ] {
            assert!(ids(text).is_empty(), "{text}: {:?}", ids(text));
        }
    }

    #[test]
    fn snippets_are_bounded_and_centred() {
        let long = format!(
            "{} This work is licensed under CC BY 4.0. {}",
            "word ".repeat(200),
            "more ".repeat(200)
        );
        let st = statements(&long);
        assert_eq!(st.len(), 1);
        assert!(
            st[0].snippet.len() <= SNIPPET_MAX,
            "{}",
            st[0].snippet.len()
        );
        assert!(
            st[0].snippet.contains("licensed under CC BY 4.0"),
            "{}",
            st[0].snippet
        );
        let s = snippet("é".repeat(300).as_str(), 3, 501);
        assert!(s.len() <= SNIPPET_MAX);
    }

    #[test]
    fn long_texts_are_searched_at_both_ends_only() {
        let mut t = "Licensed under CC BY 4.0. ".to_string();
        t.push_str(&"filler ".repeat(200_000));
        t.push_str("Released under the MIT License.");
        assert_eq!(ids(&t), ["CC-BY-4.0", "MIT"]);
        // Hostile input: no panic, bounded time.
        let _ = statements(&"licensed under ".repeat(100_000));
        let _ = statements(&"under the ".repeat(100_000));
    }
}
