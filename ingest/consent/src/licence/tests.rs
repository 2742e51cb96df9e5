use super::*;

fn ids(d: &Detection) -> Vec<(String, String, Tier)> {
    d.findings()
        .iter()
        .map(|f| (f.licence.spdx.clone(), f.licence.found_in.clone(), f.tier))
        .collect()
}

fn one(spdx: &str, found_in: &str, tier: Tier) -> (String, String, Tier) {
    (spdx.to_string(), found_in.to_string(), tier)
}

fn page(head: &str, body: &str) -> String {
    format!("<!DOCTYPE html><html><head><title>t</title>{head}</head><body>{body}</body></html>")
}

#[test]
fn every_markup_source() {
    let html = page(
        r#"<link rel="License" href="https://creativecommons.org/licenses/by-sa/4.0/">
        <meta name="DC.rights" content="https://creativecommons.org/publicdomain/zero/1.0/">
        <meta name="dcterms.license" content="CC BY 4.0">
        <meta name="description" content="https://creativecommons.org/licenses/by-nc/4.0/">
        <meta itemprop="license" content="https://creativecommons.org/licenses/by/3.0/">
        <meta property="cc:license" content="https://creativecommons.org/licenses/by/2.0/">
        <script type="application/ld+json">{"@type":"Article","license":"https://creativecommons.org/licenses/by/2.5/"}</script>"#,
        r#"<a rel="nofollow license" href="https://creativecommons.org/licenses/by-nd/4.0/">CC BY-ND</a>
        <a href="https://creativecommons.org/licenses/by-nc-nd/4.0/">not rel=license</a>
        <span itemprop="license">CC BY-NC 4.0</span>
        <a rel="cc:license" href="https://creativecommons.org/licenses/by-nc-sa/4.0/">x</a>
        <area rel="license" href="https://creativecommons.org/licenses/by/1.0/">"#,
    );
    let d = detect_html(&html, &[], None);
    assert_eq!(
        ids(&d),
        [
            one("CC-BY-SA-4.0", "link-rel", Tier::Metadata),
            one("CC0-1.0", "meta", Tier::Metadata),
            one("CC-BY-4.0", "meta", Tier::Metadata),
            one("CC-BY-3.0", "microdata", Tier::Metadata),
            one("CC-BY-2.0", "rdfa", Tier::Metadata),
            one("CC-BY-2.5", "json-ld", Tier::Metadata),
            one("CC-BY-ND-4.0", "a-rel", Tier::Body),
            one("CC-BY-NC-4.0", "microdata", Tier::Body),
            one("CC-BY-NC-SA-4.0", "rdfa", Tier::Body),
            one("CC-BY-1.0", "a-rel", Tier::Body),
        ]
    );
    // Metadata decides; within it CC BY-SA is the most restrictive.
    let l = d.page_licence().unwrap();
    assert_eq!(l.spdx, "CC-BY-SA-4.0");
    let snippet = l.snippet.as_deref().unwrap();
    assert!(snippet.starts_with("<link rel=\"License\""), "{snippet}");
    assert!(d.findings()[6]
        .licence
        .snippet
        .as_deref()
        .unwrap()
        .ends_with(">CC BY-ND"));
    assert_eq!(
        d.findings()[7].licence.snippet.as_deref(),
        Some("<span itemprop=\"license\">CC BY-NC 4.0")
    );
    assert_eq!(detect(&html)[0].spdx, "CC-BY-SA-4.0");
    let s = signal(l);
    assert_eq!(s.signal, "licence");
    assert_eq!(s.verdict, Verdict::Neutral);
    assert_eq!(s.raw, "https://creativecommons.org/licenses/by-sa/4.0/");
}

#[test]
fn json_ld_forms_and_media() {
    let html = page(
        r#"<script type="application/ld+json">
        {"@context":"https://schema.org","@graph":[
          {"@type":"WebPage","license":{"@type":"CreativeWork","url":"https://creativecommons.org/licenses/by/4.0/"}},
          {"@type":"Article","hasPart":[{"@type":"CreativeWork","license":["https://creativecommons.org/licenses/by-sa/4.0/"]}],
           "image":{"@type":"ImageObject","license":"https://creativecommons.org/licenses/by-nc-nd/4.0/"}}]}
        </script>"#,
        r#"<script type="application/ld+json">{"license": "https://example.com/our-terms"}</script>"#,
    );
    let d = detect_html(&html, &[], None);
    assert_eq!(
        ids(&d),
        [
            one("CC-BY-4.0", "json-ld", Tier::Metadata),
            one("CC-BY-SA-4.0", "json-ld", Tier::Metadata),
            one("CC-BY-NC-ND-4.0", "json-ld", Tier::Media),
            one(UNKNOWN, "json-ld", Tier::Metadata),
        ]
    );
    // JSON-LD in the body is metadata too; the unknown terms page is the most restrictive.
    assert_eq!(d.page_licence().unwrap().spdx, UNKNOWN);
    assert_eq!(
        d.page_licence().unwrap().url.as_deref(),
        Some("https://example.com/our-terms")
    );
    // A licence for an image alone licenses nothing else.
    let img = page(
        r#"<script type="application/ld+json">{"@type":"ImageObject","license":"https://creativecommons.org/publicdomain/zero/1.0/"}</script>"#,
        "",
    );
    let d = detect_html(&img, &[], None);
    assert_eq!(d.findings().len(), 1);
    assert_eq!(d.page_licence(), None);
}

#[test]
fn meta_names_and_rights_statements() {
    let d = detect_html(
        &page(
            r#"<meta name="license" content="MIT"><meta name="dc.rights" content="© 2024 Example. All rights reserved.">
            <meta name="dcterms.rights" content="Creative Commons Attribution-ShareAlike 4.0 International">
            <meta name="dc.license" content="Our own licence, see the about page">"#,
            "",
        ),
        &[],
        None,
    );
    assert_eq!(
        ids(&d),
        [
            one("MIT", "meta", Tier::Metadata),
            one("CC-BY-SA-4.0", "meta", Tier::Metadata),
            one(UNKNOWN, "meta", Tier::Metadata),
        ]
    );
    assert_eq!(
        d.findings()[2].licence.snippet.as_deref(),
        Some("<meta name=\"dc.license\" content=\"Our own licence, see the about page\">")
    );
}

#[test]
fn relative_links_resolve_against_the_page() {
    let url = Url::parse("https://s.example/a/b").unwrap();
    let html = page(r#"<link rel="license" href="/terms">"#, "");
    let d = detect_html(&html, &[], Some(&url));
    let l = d.page_licence().unwrap();
    assert_eq!(
        (l.spdx.as_str(), l.url.as_deref()),
        (UNKNOWN, Some("https://s.example/terms"))
    );
    // Without a page URL, as given.
    let d = detect_html(&html, &[], None);
    assert_eq!(d.page_licence().unwrap().url.as_deref(), Some("/terms"));
    // Any relative or scheme-relative href, and a path in JSON-LD.
    let html = page(
        r#"<link rel="license" href="//creativecommons.org/licenses/by/4.0/">
        <script type="application/ld+json">{"license": "../legal"}</script>"#,
        r#"<a rel="license" href="licence.html">x</a>"#,
    );
    let d = detect_html(&html, &[], Some(&url));
    let got: Vec<(&str, Option<&str>)> = d
        .findings()
        .iter()
        .map(|f| (f.licence.spdx.as_str(), f.licence.url.as_deref()))
        .collect();
    assert_eq!(
        got,
        [
            (
                "CC-BY-4.0",
                Some("https://creativecommons.org/licenses/by/4.0/")
            ),
            (UNKNOWN, Some("https://s.example/legal")),
            (UNKNOWN, Some("https://s.example/a/licence.html")),
        ]
    );
}

#[test]
fn link_headers() {
    let h = vec![(
        "link".to_string(),
        r#"</s.css>; rel=stylesheet, <https://creativecommons.org/licenses/by/4.0/>; rel="license", <a,b>; title="x;, \"y"; rel="nofollow LICENSE"; type=text/html, </l.xml>; rel=license; type="application/rsl+xml""#.to_string(),
    )];
    let links = licence_links(&h);
    assert_eq!(links.len(), 3);
    assert_eq!(links[1].target, "a,b");
    assert_eq!(links[1].media_type.as_deref(), Some("text/html"));
    let found = from_headers(&h);
    assert_eq!(found.len(), 1);
    assert_eq!(
        (found[0].spdx.as_str(), found[0].found_in.as_str()),
        ("CC-BY-4.0", "header")
    );
    // Headers are metadata: they outrank a body link; an unreadable target is unknown; the
    // RSL document is not a licence until read.
    let d = detect_html(
        &page(
            "",
            r#"<a rel="license" href="https://creativecommons.org/licenses/by-nd/4.0/">x</a>"#,
        ),
        &h,
        None,
    );
    assert_eq!(
        ids(&d),
        [
            one("CC-BY-4.0", "header", Tier::Metadata),
            one(UNKNOWN, "header", Tier::Metadata),
            one("CC-BY-ND-4.0", "a-rel", Tier::Body),
        ]
    );
    assert_eq!(d.page_licence().unwrap().spdx, UNKNOWN);
}

#[test]
fn inline_rsl_standard() {
    let html = page(
        r#"<script type="application/rsl+xml"><rsl xmlns="https://rslstandard.org/rsl">
        <content url="/docs/"><license><permits type="usage">all</permits><payment type="attribution">
        <standard>https://creativecommons.org/licenses/by/4.0/</standard></payment></license></content>
        <content url="/shop/"><license><payment type="attribution"><standard>https://creativecommons.org/licenses/by-nc/4.0/</standard></payment></license></content>
        </rsl></script>"#,
        "",
    );
    let url = Url::parse("https://s.example/docs/a").unwrap();
    let d = detect_html(&html, &[], Some(&url));
    assert_eq!(ids(&d), [one("CC-BY-4.0", "rsl", Tier::Metadata)]);
    assert!(d.findings()[0]
        .licence
        .snippet
        .as_deref()
        .unwrap()
        .starts_with("<standard>https://creativecommons.org/licenses/by/4.0/</standard>"));
    // Without a URL every content counts.
    assert_eq!(detect_html(&html, &[], None).findings().len(), 2);
}

#[test]
fn text_statements_in_pages() {
    let html = page(
        r#"<script>var notice = "Released under the MIT License.";</script>"#,
        r#"<main><p>Some prose about gardens.</p></main>
        <footer>This work is licensed under a <a href="https://creativecommons.org/licenses/by-nc/4.0/">Creative
        Commons Attribution-NonCommercial 4.0 International License</a>.</footer>"#,
    );
    let d = detect_html(&html, &[], None);
    assert_eq!(ids(&d), [one("CC-BY-NC-4.0", "text", Tier::Text)]);
    let l = d.page_licence().unwrap();
    assert!(
        l.snippet
            .as_deref()
            .unwrap()
            .contains("licensed under a Creative Commons Attribution-NonCommercial 4.0"),
        "{l:?}"
    );
    assert_eq!(
        detect_in_text("The text is released under CC0 1.0 Universal.")[0].spdx,
        "CC0-1.0"
    );
    let d = detect_text(
        "Licensed under the Apache License, Version 2.0",
        &[(
            "link".into(),
            "<https://creativecommons.org/licenses/by/4.0/>; rel=license".into(),
        )],
        None,
    );
    assert_eq!(
        ids(&d),
        [
            one("CC-BY-4.0", "header", Tier::Metadata),
            one("Apache-2.0", "text", Tier::Text)
        ]
    );
    assert_eq!(d.page_licence().unwrap().spdx, "CC-BY-4.0");
}

#[test]
fn the_end_of_a_long_page_is_read_for_text() {
    let body = "<p>filler words here</p>".repeat(60_000);
    let html = page(
        "",
        &format!("{body}<footer>All content is available under CC BY-SA 4.0.</footer>"),
    );
    assert!(html.len() > LIMIT + TAIL);
    let d = detect_html(&html, &[], None);
    assert_eq!(ids(&d), [one("CC-BY-SA-4.0", "text", Tier::Text)]);
}

#[test]
fn conflicts_keep_every_finding_and_choose_the_most_restrictive() {
    let html = page(
        r#"<link rel="license" href="https://creativecommons.org/licenses/by/4.0/">
        <meta name="dcterms.license" content="https://creativecommons.org/licenses/by-nc-sa/4.0/">"#,
        r#"<a rel="license" href="https://creativecommons.org/licenses/by-nc-nd/4.0/">x</a>
        <p>This work is licensed under CC0 1.0.</p>"#,
    );
    let d = detect_html(&html, &[], None);
    assert_eq!(d.findings().len(), 4);
    assert_eq!(d.page_licence().unwrap().spdx, "CC-BY-NC-SA-4.0");
    // Read as the column stores it: the JSON form.
    let ev = serde_json::to_value(d.evidence()).unwrap();
    let ev = ev.as_array().unwrap();
    assert_eq!(ev.len(), 4);
    let chosen: Vec<bool> = ev.iter().map(|e| e["chosen"].as_bool().unwrap()).collect();
    assert_eq!(chosen, [false, true, false, false]);
    assert_eq!(ev[2]["tier"], "body");
    assert_eq!(ev[2]["restrictiveness"], "non-commercial-no-derivatives");
    assert_eq!(ev[3]["tier"], "text");
    assert_eq!(ev[3]["spdx"], "CC0-1.0");
    assert!(ev[3]["snippet"]
        .as_str()
        .unwrap()
        .contains("licensed under CC0 1.0"));
    let lics = d.licences();
    assert_eq!(
        lics.iter().map(|l| l.spdx.as_str()).collect::<Vec<_>>(),
        ["CC-BY-NC-SA-4.0", "CC-BY-4.0", "CC-BY-NC-ND-4.0", "CC0-1.0"]
    );
    // The page evidence names the chosen licence and the domain.
    let p = serde_json::to_value(d.page_evidence("https://www.Example.org:8080/x")).unwrap();
    assert_eq!(p["signal"], PAGE_SIGNAL);
    assert_eq!(p["spdx"], "CC-BY-NC-SA-4.0");
    assert_eq!(p["domain"], "example.org");
    let none = Detection::default().page_evidence("http://a.example/");
    assert_eq!(
        (none.detail.domain.as_deref(), none.detail.spdx),
        (Some("a.example"), None)
    );
}

#[test]
fn domains() {
    assert_eq!(
        licence_domain("https://WWW.Garden.Demo.Test:8080/a"),
        "garden.demo.test"
    );
    assert_eq!(
        licence_domain("http://blog.example.org/"),
        "blog.example.org"
    );
    assert_eq!(licence_domain("not a url"), "");
}

#[test]
fn allowed_patterns() {
    let allowed = default_allowed();
    let l = |id: &str| Licence {
        spdx: id.into(),
        found_in: "link-rel".into(),
        url: None,
        snippet: None,
    };
    for ok in [
        "CC0-1.0",
        "CC-BY-4.0",
        "CC-BY-3.0-DE",
        "CC-BY-SA-2.0",
        "LicenseRef-PDM-1.0",
        "cc-by-4.0",
    ] {
        assert!(is_allowed(&l(ok), &allowed), "{ok}");
    }
    for no in [
        "CC-BY-NC-4.0",
        "CC-BY-ND-4.0",
        "CC-BY-NC-SA-4.0",
        "CC-BY-",
        "GPL-3.0",
        "LicenseRef-CC-BY-SA",
        "LicenseRef-Unknown",
        "",
    ] {
        assert!(!is_allowed(&l(no), &allowed), "{no}");
    }
    assert!(!is_allowed(&l("CC-BY-4.0"), &[]));
    assert!(is_allowed(&l("MIT"), &["MIT".to_string()]));
}

#[test]
fn hostile_markup() {
    let cases = [
        "<a rel=license href=".repeat(100_000),
        "<link rel='license' href='https://creativecommons.org/licenses/by/4.0/".to_string(),
        format!(
            "<a rel=license href=\"https://creativecommons.org/licenses/by/4.0/{}\">",
            "x/".repeat(500_000)
        ),
        format!(
            "<script type=\"application/ld+json\">{}</script>",
            "{\"license\":[".repeat(50_000)
        ),
        "<span itemprop=license>".repeat(50_000),
        "licensed under CC BY 4.0 ".repeat(100_000),
    ];
    for c in &cases {
        let d = detect_html(c, &[], None);
        assert!(d.findings().len() <= MAX_FINDINGS);
        assert!(d
            .findings()
            .iter()
            .all(|f| f.licence.snippet.as_deref().unwrap_or("").len() <= SNIPPET_MAX));
    }
}

#[test]
fn microdata_forms() {
    let html = page(
        r#"<meta itemprop="license" content="CC0-1.0">"#,
        r#"<div itemscope itemtype="https://schema.org/Article">
        <link itemprop="license" href="https://creativecommons.org/licenses/by-sa/3.0/">
        <a itemprop="https://schema.org/license" href="https://creativecommons.org/licenses/by/4.0/">CC BY</a>
        <span itemprop="author license">Creative Commons Attribution-NoDerivatives 4.0 International</span>
        <span itemprop="license">see our terms</span></div>"#,
    );
    let d = detect_html(&html, &[], None);
    assert_eq!(
        ids(&d),
        [
            one("CC0-1.0", "microdata", Tier::Metadata),
            one("CC-BY-SA-3.0", "microdata", Tier::Body),
            one("CC-BY-4.0", "microdata", Tier::Body),
            one("CC-BY-ND-4.0", "microdata", Tier::Body),
            one(UNKNOWN, "microdata", Tier::Body),
        ]
    );
    // Head metadata decides over everything in the body.
    assert_eq!(d.page_licence().unwrap().spdx, "CC0-1.0");
    // Without it, the body's most restrictive: the unreadable terms.
    let body_only = html.replace(r#"<meta itemprop="license" content="CC0-1.0">"#, "");
    assert_eq!(
        detect_html(&body_only, &[], None)
            .page_licence()
            .unwrap()
            .spdx,
        UNKNOWN
    );
}

#[test]
fn refused_evidence_keeps_findings_but_not_the_pages_words() {
    let statement = "Our river notes are licensed under CC BY-NC 4.0 for everyone.";
    let html = format!(
        r#"<head><link rel="license" href="https://creativecommons.org/licenses/by/4.0/"></head><body><p>{statement}</p></body>"#
    );
    let detection = detect_html(&html, &[], None);
    let evidence = detection.evidence();
    let json = assent_schemas::evidence::evidence_to_json(&evidence);
    assert!(json.contains("licensed under CC BY-NC"));
    let cleaned = assent_schemas::evidence::evidence_to_json(
        &assent_schemas::evidence::without_snippets(&evidence),
    );
    assert!(!cleaned.contains("licensed under"), "{cleaned}");
    // The findings themselves stay: the link's URL and the statement's licence id.
    assert!(cleaned.contains("https://creativecommons.org/licenses/by/4.0/"));
    assert!(cleaned.contains("\"raw\":\"CC-BY-NC-4.0\""), "{cleaned}");
}
