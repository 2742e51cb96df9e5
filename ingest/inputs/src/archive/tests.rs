//! Site rules from archived captures: which capture counts, what each status means, and what
//! the evidence names.

use super::*;
use crate::warc::WarcWriter;
use assent_consent::robots::RobotsPolicy;
use assent_consent::site::{SiteLookup, SiteSource};
use assent_consent::Verdict;
use assent_schemas::ReasonCode;
use chrono::{TimeZone, Utc};
use url::Url;

fn at(day: u32) -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 5, day, 12, 0, 0).unwrap()
}

fn ct(v: &str) -> Vec<(String, String)> {
    vec![("Content-Type".to_string(), v.to_string())]
}

/// One response to archive: URL, day of May 2024, status, headers, body.
type Archived<'a> = (&'a str, u32, u16, Vec<(String, String)>, &'a str);

/// Writes `records` as a WARC and scans it into `index`.
fn scan(
    dir: &std::path::Path,
    name: &str,
    index: &mut SiteFileIndex,
    records: &[Archived<'_>],
) -> FileDigest {
    let path = dir.join(name);
    let mut w = WarcWriter::new(std::fs::File::create(&path).unwrap());
    for (url, day, status, headers, body) in records {
        w.write_response(url, at(*day), *status, headers, body.as_bytes())
            .unwrap();
    }
    drop(w.into_inner());
    index.scan(&path, name).unwrap()
}

fn rules(sites: &ArchivedSites, url: &str) -> std::sync::Arc<assent_consent::site::SiteRules> {
    match sites.lookup(&Url::parse(url).unwrap()) {
        SiteLookup::Rules(r) => r,
        SiteLookup::Unchecked(why) => panic!("{url}: unchecked: {why}"),
    }
}

fn training_verdicts(sites: &ArchivedSites, url: &str) -> Vec<Verdict> {
    let u = Url::parse(url).unwrap();
    rules(sites, url)
        .signals("AssentBot", None, &u)
        .training
        .into_iter()
        .map(|s| s.verdict)
        .filter(|v| *v != Verdict::Neutral)
        .collect()
}

#[test]
fn the_latest_capture_of_each_file_is_used_and_named_in_the_evidence() {
    let dir = tempfile::tempdir().unwrap();
    let mut index = SiteFileIndex::new(&dir.path().join("spill"));
    let plain = ct("text/plain");
    let digest = scan(
        dir.path(),
        "robots.warc",
        &mut index,
        &[
            (
                "http://a.example/robots.txt",
                9,
                200,
                plain.clone(),
                "User-agent: *\nDisallow: /old\n",
            ),
            (
                "http://a.example/robots.txt",
                20,
                200,
                plain.clone(),
                "User-agent: *\nDisallow: /new\n",
            ),
            (
                "http://a.example/robots.txt",
                3,
                200,
                plain.clone(),
                "User-agent: *\nDisallow: /older\n",
            ),
            (
                "http://a.example/page",
                20,
                200,
                ct("text/html"),
                "<p>not a site file</p>",
            ),
        ],
    );
    let bytes = std::fs::read(dir.path().join("robots.warc")).unwrap();
    assert_eq!(digest.bytes, bytes.len() as u64);
    assert_eq!(digest.sha256, assent_consent::robots::sha256_hex(&bytes));
    let sites = ArchivedSites::new(index);
    let r = rules(&sites, "http://a.example/x");
    assert!(!r.robots.allows("AssentBot", "http://a.example/new/1"));
    assert!(r.robots.allows("AssentBot", "http://a.example/old/1"));
    let s = r.signals(
        "AssentBot",
        None,
        &Url::parse("http://a.example/new/1").unwrap(),
    );
    assert_eq!(
        s.fetch[0].verdict,
        Verdict::Refuse(ReasonCode::RobotsDisallow)
    );
    let provenance: Vec<&str> = s
        .training
        .iter()
        .filter(|g| g.signal == "archive.site-file")
        .map(|g| g.raw.as_str())
        .collect();
    assert!(
        provenance[0].contains("robots.warc record <urn:uuid:"),
        "{provenance:?}"
    );
    assert!(provenance[0].contains("2024-05-20"), "{provenance:?}");
    assert!(
        provenance.iter().any(|p| p.contains("/ai.txt: no capture")),
        "{provenance:?}"
    );
    assert_eq!(sites.index().counts(), (1, 1));
}

#[test]
fn robots_statuses_mean_what_rfc_9309_says() {
    let dir = tempfile::tempdir().unwrap();
    let mut index = SiteFileIndex::new(&dir.path().join("spill"));
    let plain = ct("text/plain");
    let to = |l: &str| vec![("Location".to_string(), l.to_string())];
    scan(
        dir.path(),
        "r.warc",
        &mut index,
        &[
            (
                "http://gone.example/robots.txt",
                1,
                404,
                plain.clone(),
                "no",
            ),
            (
                "http://down.example/robots.txt",
                1,
                503,
                plain.clone(),
                "busy",
            ),
            (
                "http://moved.example/robots.txt",
                1,
                301,
                to("https://www.moved.example/robots.txt"),
                "",
            ),
            (
                "https://www.moved.example/robots.txt",
                1,
                200,
                plain.clone(),
                "User-agent: *\nDisallow: /\n",
            ),
            (
                "http://lost.example/robots.txt",
                1,
                302,
                to("http://elsewhere.example/robots.txt"),
                "",
            ),
            (
                "http://loop.example/robots.txt",
                1,
                302,
                to("http://loop.example/robots.txt"),
                "",
            ),
        ],
    );
    let sites = ArchivedSites::new(index);
    assert!(matches!(
        *rules(&sites, "http://gone.example/").robots,
        RobotsPolicy::AllowAll { .. }
    ));
    assert!(matches!(
        *rules(&sites, "http://down.example/").robots,
        RobotsPolicy::DisallowAll { .. }
    ));
    // The file a redirect leads to applies to the origin first asked about.
    assert!(!rules(&sites, "http://moved.example/")
        .robots
        .allows("AssentBot", "http://moved.example/a"));
    assert!(matches!(
        *rules(&sites, "http://loop.example/").robots,
        RobotsPolicy::AllowAll { .. }
    ));
    for unchecked in ["http://lost.example/", "http://never.example/"] {
        let SiteLookup::Unchecked(why) = sites.lookup(&Url::parse(unchecked).unwrap()) else {
            panic!("{unchecked} should be unchecked");
        };
        assert!(
            why.contains("no input holds") || why.contains("among the inputs"),
            "{why}"
        );
    }
}

#[test]
fn ai_txt_tdmrep_and_rsl_captures_give_their_signals() {
    let dir = tempfile::tempdir().unwrap();
    let mut index = SiteFileIndex::new(&dir.path().join("spill"));
    let robots = "License: /licence.xml\nLicense: /missing.xml\nUser-agent: *\nAllow: /\n";
    let licence = r#"<rsl xmlns="https://rslstandard.org/rsl"><content url="/"><license><prohibits type="usage">ai-train</prohibits></license></content></rsl>"#;
    let tdm = r#"[{"location": "/members/", "tdm-reservation": "maybe"}, {"location": "/members/", "tdm-reservation": 1}]"#;
    scan(
        dir.path(),
        "s.warc",
        &mut index,
        &[
            (
                "http://s.example/robots.txt",
                1,
                200,
                ct("text/plain"),
                robots,
            ),
            (
                "http://s.example/ai.txt",
                1,
                200,
                ct("text/plain"),
                "User-Agent: *\nDisallow: /members/\n",
            ),
            (
                "http://s.example/.well-known/tdmrep.json",
                1,
                200,
                ct("application/json"),
                tdm,
            ),
            (
                "http://s.example/licence.xml",
                1,
                200,
                ct("text/xml"),
                licence,
            ),
        ],
    );
    let sites = ArchivedSites::new(index);
    let v = training_verdicts(&sites, "http://s.example/members/x/a");
    for code in [
        ReasonCode::AiTxtDisallow,
        ReasonCode::TdmrepReserved,
        ReasonCode::RslNotPermitted,
        ReasonCode::RslUnavailable,
    ] {
        assert!(v.contains(&Verdict::Refuse(code)), "{code}: {v:?}");
    }
    assert!(sites.rsl_document("http://s.example/licence.xml").is_ok());
    let missing = sites
        .rsl_document("http://s.example/missing.xml")
        .unwrap_err();
    assert!(missing.raw.contains("no capture"), "{}", missing.raw);
}
