//! Tests of the robots.txt API: the RFC 9309 conformance suite and the consent extensions.

use super::*;
use crate::ai_tokens::AI_TRAINING_TOKENS;
use chrono::TimeZone;
use std::path::PathBuf;

fn at() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap()
}

fn txt(body: &str) -> RobotsTxt {
    RobotsTxt::parse("https://example.com/robots.txt", body.as_bytes(), at())
}

const US: &str = "AssentBot";

/// Cases of Google's conformance suite whose expectation RFC 9309 section 2.2.2 contradicts:
/// the suite compares a raw `ツ` in the URL without encoding it, and keeps `%62%61%7A` apart
/// from `baz`; the RFC percent-encodes non-ASCII octets and decodes escaped unreserved
/// characters before matching. (robots.txt line, URL, what the RFC says: allowed?)
const RFC_OVERRIDES: &[(&str, &str, bool)] = &[
    ("Allow: /foo/bar/ツ", "http://foo.bar/foo/bar/ツ", true),
    (
        "Allow: /foo/bar/%E3%83%84",
        "http://foo.bar/foo/bar/ツ",
        true,
    ),
    (
        "Allow: /foo/bar/%62%61%7A",
        "http://foo.bar/foo/bar/baz",
        true,
    ),
];

fn rfc_override(robotstxt: &str, url: &str) -> Option<bool> {
    RFC_OVERRIDES
        .iter()
        .find(|(line, u, _)| robotstxt.contains(line) && url == *u)
        .map(|(_, _, allowed)| *allowed)
}

#[test]
fn conformance_suite() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/robotstxt-spec-test/cases.json");
    let json = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let cases: Vec<serde_json::Value> = serde_json::from_str(&json).unwrap();
    let (mut std_total, mut std_pass, mut g_total, mut g_pass, mut overridden) = (0, 0, 0, 0, 0);
    let mut failures = Vec::new();
    for c in &cases {
        let body = data_encoding::BASE64
            .decode(c["robotstxt_b64"].as_str().unwrap().as_bytes())
            .unwrap();
        let url = c["url"].as_str().unwrap();
        let agent = c["user_agent"].as_str().unwrap();
        let google = c["google_specific"].as_bool().unwrap();
        let suite = c["expected"].as_str().unwrap() == "ALLOWED";
        let rfc = rfc_override(c["robotstxt"].as_str().unwrap(), url);
        if let Some(rfc) = rfc {
            assert_ne!(rfc, suite, "{url}: not an override any more");
            overridden += 1;
        }
        let expected = rfc.unwrap_or(suite);
        let got = RobotsTxt::parse("http://example.com/robots.txt", &body, at()).allows(agent, url);
        let ok = got == expected;
        if google && !ok {
            println!("google miss: {} {url} {agent}", c["file"]);
        }
        if google {
            g_total += 1;
            g_pass += ok as usize;
        } else {
            std_total += 1;
            std_pass += ok as usize;
            if !ok {
                failures.push(format!("{}: {:?} {url} {agent}", c["file"], c["robotstxt"]));
            }
        }
    }
    println!("robots.txt conformance: standard {std_pass}/{std_total} ({overridden} by RFC 9309 over the suite), google-specific {g_pass}/{g_total}");
    assert_eq!(std_total, 124);
    assert_eq!(g_total, 22);
    assert_eq!(overridden, RFC_OVERRIDES.len());
    assert!(
        failures.is_empty(),
        "standard cases failing:\n{}",
        failures.join("\n")
    );
}

/// Each case where RFC 9309 and the suite disagree, on its own.
#[test]
fn rfc_9309_decides_where_the_suite_disagrees() {
    for (line, url, allowed) in RFC_OVERRIDES {
        let t = txt(&format!("User-agent: FooBot\nDisallow: /\n{line}\n"));
        assert_eq!(t.allows("FooBot", url), *allowed, "{line} / {url}");
    }
}

/// RFC 9309 section 2.2.2 on both sides: escaped unreserved characters are decoded, hex
/// digits are case-insensitive, reserved characters stay encoded, non-ASCII is UTF-8
/// percent-encoded.
#[test]
fn percent_encoding_is_normalised_in_rules_and_urls() {
    let t = txt(
        "User-agent: *\nDisallow: /a%7Eb/\nDisallow: /c~d/\nDisallow: /e%2fF\nDisallow: /résumé\n",
    );
    for url in [
        "https://example.com/a~b/x",
        "https://example.com/a%7Eb/x",
        "https://example.com/a%7eb/x",
        "https://example.com/c%7Ed/x",
        "https://example.com/c~d/x",
        "https://example.com/e%2FF",
        "https://example.com/r%C3%A9sum%C3%A9",
        "https://example.com/résumé",
    ] {
        assert!(!t.allows(US, url), "{url} should be refused");
        assert_eq!(
            t.fetch_signal(US, url).verdict,
            Verdict::Refuse(ReasonCode::RobotsDisallow)
        );
    }
    // A reserved character and its escape are different paths.
    assert!(t.allows(US, "https://example.com/e/F"));
    let u = url::Url::parse("https://example.com/a%7Eb/page").unwrap();
    assert!(!t.allows(US, u.as_str()));
}

#[test]
fn bom_is_stripped() {
    let t = RobotsTxt::parse(
        "u",
        b"\xEF\xBB\xBFUser-agent: AssentBot\nDisallow: /x\n",
        at(),
    );
    assert!(!t.allows(US, "https://example.com/x"));
    assert!(t.names_agent(US));
}

#[test]
fn non_ascii_paths_are_percent_encoded() {
    let t = txt("User-agent: *\nDisallow: /\nAllow: /wiki/Zürich\n");
    assert!(t.allows(US, "https://example.com/wiki/Z%C3%BCrich"));
    // Through url::Url (what a crawler holds) the raw form is encoded and matches too.
    let u = url::Url::parse("https://example.com/wiki/Zürich").unwrap();
    assert!(t.allows(US, u.as_str()));
    assert!(!t.allows(US, "https://example.com/wiki/Zurich"));
}

#[test]
fn agent_matching_and_merging() {
    let t = txt("User-agent: *\nDisallow: /\n\nUser-agent: assentbot/2.0\nAllow: /a\nDisallow: /\n\nUser-agent: AssentBot\nAllow: /b\n");
    assert!(t.names_agent("AssentBot/1.0"));
    assert!(!t.names_agent("Assent"));
    assert!(t.allows(US, "https://example.com/a/1"));
    assert!(t.allows(US, "https://example.com/b/1"), "merged group");
    assert!(!t.allows(US, "https://example.com/c"));
    assert!(!t.allows("OtherBot", "https://example.com/a/1"));
}

#[test]
fn ai_token_refusal_without_and_with_our_group() {
    let body =
        "User-agent: GPTBot\nUser-agent: CCBot\nDisallow: /private/\n\nUser-agent: *\nAllow: /\n";
    let t = txt(body);
    let s = t
        .ai_token_refusal(US, "https://example.com/private/x", AI_TRAINING_TOKENS)
        .expect("refused");
    assert_eq!(
        s.verdict,
        Verdict::Refuse(ReasonCode::RobotsAiTokenDisallow)
    );
    assert_eq!(s.signal, "robots.ai-token");
    assert!(
        s.raw.contains("GPTBot") && s.raw.contains("Disallow: /private/"),
        "{}",
        s.raw
    );
    assert_eq!(
        s.source_sha256.as_deref(),
        Some(sha256_hex(body.as_bytes()).as_str())
    );
    assert_eq!(s.fetched_at, Some(at()));
    assert!(t
        .ai_token_refusal(US, "https://example.com/public", AI_TRAINING_TOKENS)
        .is_none());
    // `*` is never an AI token.
    let star = txt("User-agent: *\nDisallow: /\n");
    assert!(star
        .ai_token_refusal(US, "https://example.com/x", &["*", "GPTBot"])
        .is_none());
    // Our own group decides.
    let ours = txt(&format!("{body}\nUser-agent: AssentBot\nAllow: /\n"));
    assert!(ours
        .ai_token_refusal(US, "https://example.com/private/x", AI_TRAINING_TOKENS)
        .is_none());
    assert!(ours
        .robots_signals(US, "https://example.com/private/x", AI_TRAINING_TOKENS)
        .is_empty());
    assert_eq!(
        t.robots_signals(US, "https://example.com/private/x", AI_TRAINING_TOKENS)
            .len(),
        1
    );
}

fn usage(t: &RobotsTxt, url: &str) -> Option<Verdict> {
    t.robots_signals(US, url, &[])
        .into_iter()
        .find(|s| s.signal == "aipref.robots")
        .map(|s| s.verdict)
}

#[test]
fn content_usage_path_scoping() {
    let t = txt("User-agent: *\nContent-Usage: train-ai=y\nContent-Usage: /news/ train-ai=n, search=y\nContent-Usage: /news/open/ train-ai=y\nAllow: /\n");
    let refuse = Some(Verdict::Refuse(ReasonCode::AiprefTrainAiN));
    assert_eq!(
        usage(&t, "https://example.com/blog/1"),
        Some(Verdict::Allow)
    );
    assert_eq!(usage(&t, "https://example.com/news/1"), refuse);
    assert_eq!(
        usage(&t, "https://example.com/news/open/1"),
        Some(Verdict::Allow),
        "longest wins"
    );
    // Tie: the more restrictive.
    let tie = txt("User-agent: *\nContent-Usage: /a/ train-ai=y\nContent-Usage: /a/ train-ai=n\n");
    assert_eq!(usage(&tie, "https://example.com/a/x"), refuse);
    assert_eq!(usage(&tie, "https://example.com/b"), None);
    // Unknown key ignored; malformed dictionary is unknown (Neutral) and overrides nothing.
    let unk = txt("User-agent: *\nContent-Usage: foo=bar, train-ai=n\n");
    assert_eq!(usage(&unk, "https://example.com/"), refuse);
    let bad = txt("User-agent: *\nContent-Usage: train-ai=n;;;\n");
    assert_eq!(usage(&bad, "https://example.com/"), Some(Verdict::Neutral));
    let bad2 = txt("User-agent: *\nContent-Usage: train-ai=n\nContent-Usage: /x/ ((\n");
    assert_eq!(usage(&bad2, "https://example.com/x/1"), refuse);
    // Our group, when it exists, replaces `*`'s lines.
    let ours = txt("User-agent: *\nContent-Usage: train-ai=n\nAllow: /\nUser-agent: AssentBot\nContent-Usage: train-ai=y\n");
    assert_eq!(usage(&ours, "https://example.com/"), Some(Verdict::Allow));
}

/// RFC 9309 section 2.2.4: a record that is not a rule does not end the run of user-agent
/// lines, so a preference written between two user-agent lines binds both agents.
#[test]
fn preferences_between_user_agent_lines_bind_every_agent_of_the_group() {
    let t =
        txt("User-agent: *\nContent-Signal: ai-train=no\nUser-agent: AssentBot\nDisallow: /x\n");
    let signals = t.robots_signals(US, "https://example.com/page", &[]);
    assert_eq!(
        signals
            .iter()
            .find(|s| s.signal == "content-signal")
            .map(|s| s.verdict),
        Some(Verdict::Refuse(ReasonCode::ContentSignalAiTrainNo))
    );
    assert!(!t.allows(US, "https://example.com/x"));
    let t = txt("User-agent: *\nContent-Usage: train-ai=n\nCrawl-delay: 1\nUser-agent: AssentBot\nAllow: /\n");
    assert_eq!(
        usage(&t, "https://example.com/"),
        Some(Verdict::Refuse(ReasonCode::AiprefTrainAiN))
    );
    assert_eq!(t.crawl_delay(US), Some(1.0));
}

#[test]
fn content_signal_merges_groups_of_the_same_agent() {
    let t = txt("User-agent: *\nContent-Signal: search=yes\nAllow: /\n\nUser-agent: Other\nDisallow: /\n\nUser-agent: *\nContent-Signal: /docs/ ai-train=no\n");
    let sig = |url: &str| {
        t.robots_signals(US, url, &[])
            .into_iter()
            .find(|s| s.signal == "content-signal")
            .map(|s| s.verdict)
    };
    assert_eq!(
        sig("https://example.com/docs/a"),
        Some(Verdict::Refuse(ReasonCode::ContentSignalAiTrainNo))
    );
    assert_eq!(sig("https://example.com/other"), Some(Verdict::Neutral));
    let yes = txt("User-agent: *\nContent-Signal: ai-train=yes, search=yes\n");
    assert_eq!(
        yes.robots_signals(US, "https://example.com/", &[])[0].verdict,
        Verdict::Allow
    );
}

#[test]
fn licences_sitemaps_and_crawl_delay() {
    let t = txt("License: https://example.com/license.xml\nSitemap: https://example.com/s1.xml\nUser-agent: *\nCrawl-delay: 2.5\nAllow: /\nLicense: https://example.com/l2.xml\nUser-agent: AssentBot\nCrawl-delay: 7\nDisallow:\nSitemap: https://example.com/s2.xml\n");
    assert_eq!(
        t.rsl_licences(),
        [
            "https://example.com/license.xml",
            "https://example.com/l2.xml"
        ]
    );
    assert_eq!(
        t.sitemaps(),
        ["https://example.com/s1.xml", "https://example.com/s2.xml"]
    );
    assert_eq!(t.crawl_delay(US), Some(7.0));
    assert_eq!(t.crawl_delay("Other"), Some(2.5));
    assert!(
        t.allows(US, "https://example.com/anything"),
        "empty Disallow allows all"
    );
    assert_eq!(
        txt("Crawl-delay: 3\nUser-agent: *\nDisallow: /x").crawl_delay(US),
        Some(3.0)
    );
    assert_eq!(
        txt("User-agent: *\nCrawl-delay: -1\n").crawl_delay(US),
        None
    );
}

#[test]
fn body_is_capped_at_500_kib() {
    let mut body = b"User-agent: *\nDisallow: /early\n".to_vec();
    while body.len() < MAX_ROBOTS_BYTES - 10 {
        body.extend_from_slice(b"# padding padding padding\n");
    }
    body.extend_from_slice(b"Disallow: /late-rule-crossing-the-limit\nDisallow: /late\n");
    let t = RobotsTxt::parse("u", &body, at());
    assert!(!t.allows(US, "/early"));
    assert!(t.allows(US, "/late"), "rules past 500 KiB are not read");
    assert!(
        t.allows(US, "/late-rule"),
        "a rule cut by the limit is dropped, not shortened"
    );
    assert_eq!(
        t.sha256(),
        sha256_hex(&body),
        "hash of the bytes as fetched"
    );
}

#[test]
fn fetch_outcomes() {
    let url = "https://example.com/page";
    let ok = RobotsPolicy::from_fetch(RobotsFetch::Found {
        url: "https://example.com/robots.txt".into(),
        status: 200,
        body: b"User-agent: *\nDisallow: /page\nSitemap: https://example.com/s.xml".to_vec(),
        fetched_at: at(),
    });
    let s = ok.fetch_signal(US, url);
    assert_eq!(s.verdict, Verdict::Refuse(ReasonCode::RobotsDisallow));
    assert!(s.raw.contains("Disallow: /page"), "{}", s.raw);
    assert!(s.source_sha256.is_some());
    assert_eq!(ok.sitemaps().len(), 1);

    let none = RobotsPolicy::from_fetch(RobotsFetch::ClientError(404));
    assert!(matches!(none, RobotsPolicy::AllowAll { .. }));
    assert_eq!(none.fetch_signal(US, url).verdict, Verdict::Allow);
    assert!(none.allows(US, url));
    assert!(none.robots_signals(US, url, AI_TRAINING_TOKENS).is_empty());
    // RFC 9309 section 2.3.1.2: past five redirects the file is unavailable, not unreachable.
    let redirected = RobotsPolicy::from_fetch(RobotsFetch::TooManyRedirects {
        why: "more than 5 redirects".into(),
    });
    let s = redirected.fetch_signal(US, url);
    assert_eq!(s.verdict, Verdict::Allow);
    assert!(
        s.raw.contains("unavailable: more than 5 redirects"),
        "{}",
        s.raw
    );

    let unreachable = [
        RobotsFetch::ClientError(429),
        RobotsFetch::Unreachable {
            why: "HTTP 503".into(),
        },
        RobotsFetch::Unreachable {
            why: "connection refused".into(),
        },
        RobotsFetch::Found {
            url: "u".into(),
            status: 503,
            body: vec![],
            fetched_at: at(),
        },
        RobotsFetch::Found {
            url: "u".into(),
            status: 429,
            body: vec![],
            fetched_at: at(),
        },
    ];
    for f in unreachable {
        let p = RobotsPolicy::from_fetch(f.clone());
        assert!(matches!(p, RobotsPolicy::DisallowAll { .. }), "{f:?}");
        let s = p.fetch_signal(US, url);
        assert_eq!(
            s.verdict,
            Verdict::Refuse(ReasonCode::RobotsUnreachable),
            "{f:?}"
        );
        assert_eq!(s.found_in, "https://example.com/robots.txt");
        assert!(!p.allows(US, url));
    }
    let gone = RobotsFetch::Found {
        url: "u".into(),
        status: 410,
        body: vec![],
        fetched_at: at(),
    };
    assert!(RobotsPolicy::from_fetch(gone).allows(US, url));
}

#[test]
fn cache_expires_after_24h() {
    let cache = RobotsCache::new();
    let origin = origin_of("https://Example.com/a/b").unwrap();
    assert_eq!(origin, "https://example.com:443");
    assert_eq!(
        origin_of("http://example.com:8080/").unwrap(),
        "http://example.com:8080"
    );
    cache.insert(
        &origin,
        RobotsPolicy::AllowAll {
            why: "HTTP 404: no robots.txt".into(),
        },
        at(),
    );
    assert!(cache
        .get(&origin, at() + chrono::Duration::hours(23))
        .is_some());
    assert!(cache.get("https://other.com:443", at()).is_none());
    assert!(cache
        .get(&origin, at() + chrono::Duration::hours(24))
        .is_none());
    assert!(cache.is_empty(), "expired entry removed");
    // Shared across threads.
    let cache = Arc::new(RobotsCache::new());
    std::thread::scope(|s| {
        for i in 0..4 {
            let c = cache.clone();
            s.spawn(move || {
                c.insert(
                    &format!("https://h{i}.com:443"),
                    RobotsPolicy::AllowAll {
                        why: "HTTP 404: no robots.txt".into(),
                    },
                    at(),
                )
            });
        }
    });
    assert_eq!(cache.len(), 4);
}
