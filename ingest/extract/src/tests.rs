use super::*;
use assent_schemas::{Source, SourceKind};
use std::io::Read;

fn text_of(html: &str) -> String {
    extract_html(html).text
}

#[test]
fn keeps_prose_blocks_separated_by_blank_lines() {
    let html = "<html><head><title> My   Page </title><style>p{}</style></head><body>\
            <h1>Heading</h1><p>First\n   paragraph with <b>bold</b> and <a href=#>link</a>.</p>\
            <ul><li>one</li><li>two</li></ul><blockquote>quoted</blockquote>\
            <div>loose div text</div></body></html>";
    let e = extract_html(html);
    assert_eq!(e.title.as_deref(), Some("My Page"));
    // No block is long enough to be an article's: all the body's text, loose div included.
    assert_eq!(
        e.text,
        "My Page\n\nHeading\n\nFirst paragraph with bold and link.\n\none\n\ntwo\n\nquoted\n\n\
         loose div text"
    );
}

#[test]
fn title_is_not_repeated_when_a_heading_says_it() {
    let html = "<title>Same Title</title><body><h2>same  title</h2><p>Body.</p>";
    let e = extract_html(html);
    assert_eq!(e.title.as_deref(), Some("Same Title"));
    assert_eq!(e.text, "same title\n\nBody.");
    // A paragraph with the title's words is not a heading: the title still comes first.
    assert_eq!(text_of("<title>T</title><p>T</p>"), "T\n\nT");
}

#[test]
fn drops_boilerplate_and_code() {
    let html = "<body><header><p>site header</p></header><nav><li>menu</li></nav>\
            <p>kept<script>var x = 1;</script><noscript>enable js</noscript></p>\
            <form><p>form text</p></form><aside><p>aside</p></aside>\
            <svg><title>icon</title><text>svg text</text></svg><iframe>frame</iframe>\
            <template><p>template</p></template><p hidden>hidden</p>\
            <footer><p>footer</p></footer><p>end</p></body>";
    assert_eq!(text_of(html), "kept\n\nend");
}

/// A paragraph long enough to read as prose.
fn prose(topic: &str) -> String {
    format!(
        "The {topic} was discussed at length by the committee, which heard from residents, \
         engineers and the council before it reached a decision on the matter."
    )
}

#[test]
fn main_content_leaves_the_page_furniture_out() {
    let html = format!(
        "<html><head><title>Bridge repairs | Town News</title>\
         <meta property='og:title' content='Bridge repairs'></head><body>\
         <header><a href=/>Town News</a><nav><ul><li><a href=/a>Politics</a></li>\
         <li><a href=/b>Sport</a></li></ul></nav></header>\
         <div class=cookie-banner><p>We use cookies to improve your experience on this site. \
         By continuing you agree to our use of cookies.</p><button>Accept</button></div>\
         <div class=layout><main><article><h1>Bridge repairs</h1><p class=byline>By A. Writer</p>\
         <div class=article-body><p>{}</p><h2>Costs</h2><p>{}</p><ul><li>steel</li><li>labour</li></ul>\
         <table><tr><th>Item</th><th>Cost</th></tr><tr><td>Steel</td><td>10</td></tr></table>\
         <p>{}</p></div><div class=share-buttons><a href=#>Facebook</a> <a href=#>Twitter</a></div>\
         </article>\
         <section class=related-articles><h3>Related</h3><ul><li><a href=/x>{}</a></li>\
         <li><a href=/y>{}</a></li></ul></section>\
         <section id=comments><h3>3 comments</h3><div class=comment><p>{}</p></div></section></main>\
         <aside class=sidebar><div class=newsletter><p>{}</p></div></aside></div>\
         <footer><p>Copyright Town News. All rights reserved. Terms of use and privacy policy apply \
         to all content on this site.</p></footer></body></html>",
        prose("bridge"),
        prose("budget"),
        prose("schedule"),
        prose("other story"),
        prose("another story"),
        prose("comment"),
        prose("newsletter"),
    );
    let e = extract_html(&html);
    assert_eq!(e.title.as_deref(), Some("Bridge repairs | Town News"));
    assert_eq!(
        e.text,
        format!(
            "Bridge repairs\n\n{}\n\nCosts\n\n{}\n\nsteel\n\nlabour\n\nItem\tCost\nSteel\t10\n\n{}",
            prose("bridge"),
            prose("budget"),
            prose("schedule")
        )
    );
}

#[test]
fn json_ld_article_body_says_which_container_is_the_article() {
    // Two containers of equal prose: the JSON-LD's articleBody (with straight quotes where
    // the page has curly ones) points at the second; the text still comes from the page.
    let a = prose("first topic");
    let b = "The “second” topic was settled quickly, with no objection from anyone present at \
             the meeting that evening, and the work will start next spring.";
    let html = format!(
        "<title>T</title><script type=application/ld+json>\
         {{\"@type\":\"NewsArticle\",\"articleBody\":\"{} {}\"}}</script>\
         <div><p>{a}</p><p>{a}</p></div><div><p>{b}</p><p>{b}</p></div>",
        b.replace(['“', '”'], "\\\""),
        b.replace(['“', '”'], "\\\""),
    );
    assert_eq!(text_of(&html), format!("T\n\n{b}\n\n{b}"));
}

#[test]
fn tables_are_rows_of_cells_unless_they_lay_out_the_page() {
    let data = "<table><caption>Scores</caption><tr><th>Team<th>Points<tr><td>Red<td>3\
                <tr><td>Blue<td></table>";
    assert_eq!(text_of(data), "Scores\nTeam\tPoints\nRed\t3\nBlue");
    let layout =
        "<table><tr><td><p>left column</p></td><td><div>right column</div></td></tr></table>";
    assert_eq!(text_of(layout), "left column\n\nright column");
}

#[test]
fn invisible_and_empty_blocks_give_no_text() {
    let html = "<p>a</p><p>\u{200b}</p><div style='display: none'>gone</div>\
                <div aria-hidden=true>hidden</div><p>b</p>";
    assert_eq!(text_of(html), "a\n\nb");
}

#[test]
fn nested_blocks_do_not_repeat_text() {
    let html = "<ul><li>item <p>inner para</p> tail</li><li><p>only para</p></li></ul>\
            <blockquote><p>quote para</p></blockquote>";
    assert_eq!(
        text_of(html),
        "item\n\ninner para\n\ntail\n\nonly para\n\nquote para"
    );
}

#[test]
fn pre_keeps_its_lines() {
    let html = "<p>Code:</p><pre>\nfn main() {\n    println!(\"hi\");  \n}\n\n</pre><p>after</p>";
    assert_eq!(
        text_of(html),
        "Code:\n\nfn main() {\n    println!(\"hi\");\n}\n\nafter"
    );
    assert_eq!(text_of("<pre>a<br>b</pre>"), "a\nb");
}

#[test]
fn inline_separators_and_entities() {
    assert_eq!(
        text_of("<p>line<br>break &amp; caf&eacute;&nbsp;!</p>"),
        "line\nbreak & café !"
    );
    assert_eq!(
        text_of("<p>a</p><p>  </p><p>b</p>"),
        "a\n\nb",
        "empty blocks skipped"
    );
}

#[test]
fn falls_back_to_body_text_split_on_blocks() {
    let html = "<title>T</title><body><div>first <span>part</span></div>loose\
            <div><div>nested</div></div><table><tr><td>a</td><td>b</td></tr></table>\
            <script>no()</script></body>";
    let e = extract_html(html);
    assert_eq!(e.text, "T\n\nfirst part\n\nloose\n\nnested\n\na\tb");
}

#[test]
fn empty_and_broken_input() {
    assert_eq!(extract_html(""), extract_html("<html></html>"));
    assert_eq!(text_of(""), "");
    assert_eq!(text_of("<p>unclosed <b>bold <i>both"), "unclosed bold both");
    assert_eq!(text_of("</p></div><p><<>>"), "<<>>");
}

fn page(payload: Payload, content_type: Option<&str>) -> Page {
    Page {
        url: "https://example.com/".to_string(),
        source: Source {
            kind: SourceKind::Warc,
            file: Some("test.warc".to_string()),
            record_id: None,
            offset: Some(0),
        },
        fetched_at: None,
        http_status: Some(200),
        content_type: content_type.map(str::to_string),
        headers: Vec::new(),
        payload,
        consent: None,
        licence: None,
        carried_consent: None,
    }
}

#[test]
fn page_text_decodes_html() {
    let (body, _, _) = encoding_rs::WINDOWS_1252
        .encode("<title>Caf\u{e9}</title><p>cr\u{e8}me br\u{fb}l\u{e9}e</p>");
    let p = page(
        Payload::Html(body.into_owned()),
        Some("text/html; charset=latin1"),
    );
    let e = page_text(&p).unwrap();
    assert_eq!(e.title.as_deref(), Some("Café"));
    assert_eq!(e.text, "Café\n\ncrème brûlée");
    assert_eq!(e.encoding, Some("windows-1252"));
    assert_eq!(e.charset_found_in, Some(CharsetSource::Header));
}

#[test]
fn page_text_plain_and_text_payloads() {
    let p = page(
        Payload::PlainText(b"\r\n line one\r\nline two\rthree \n".to_vec()),
        None,
    );
    let e = page_text(&p).unwrap();
    assert_eq!(e.text, "line one\nline two\nthree");
    assert_eq!((e.title, e.encoding), (None, Some("UTF-8")));
    let e = page_text(&page(Payload::Text("  as is \n".to_string()), None)).unwrap();
    assert_eq!((e.text.as_str(), e.encoding), ("as is", None));
}

#[test]
fn page_text_rejections() {
    let empty = page(
        Payload::Html(b"<html><script>x()</script></html>".to_vec()),
        None,
    );
    let r = page_text(&empty).unwrap_err();
    assert_eq!(r.reason, ReasonCode::ExtractEmpty);
    assert_eq!(r.evidence["payload"], "html");
    let r = page_text(&page(Payload::Text(" \n ".to_string()), None)).unwrap_err();
    assert_eq!(r.reason, ReasonCode::ExtractEmpty);

    let mut junk = vec![0u8; 3000];
    junk.extend((0..3000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8));
    let binary = page(Payload::Html(junk), Some("text/html; charset=utf-8"));
    let r = page_text(&binary).unwrap_err();
    assert_eq!(r.reason, ReasonCode::InputUndecodable);
    assert_eq!(r.evidence["encoding"], "UTF-8");
    assert_eq!(r.evidence["charset_found_in"], "header");
    assert!(r.evidence["error"].as_str().unwrap().contains("binary"));
}

const BENCHMARK: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/data/extraction-benchmark"
);

#[test]
fn real_page_from_the_extraction_benchmark() {
    // An article from The Space Review; ground-truth.json gives its body.
    let id = "c00962aabe7bdd1fca78f5360ea7fa93cd7674863b05157e00827506a7aa58c4";
    let gz = std::fs::read(format!("{BENCHMARK}/html/{id}.html.gz")).unwrap();
    let mut bytes = Vec::new();
    flate2::read::GzDecoder::new(gz.as_slice())
        .read_to_end(&mut bytes)
        .unwrap();
    let truth = std::fs::read(format!("{BENCHMARK}/ground-truth.json")).unwrap();
    let truth: serde_json::Value = serde_json::from_slice(&truth).unwrap();
    let body = truth[id]["articleBody"].as_str().unwrap();
    let first_sentence = body.split_inclusive(". ").next().unwrap().trim();
    assert!(first_sentence.starts_with("Earlier this month, NASA announced"));

    let e = page_text(&page(Payload::Html(bytes.clone()), Some("text/html"))).unwrap();
    assert_eq!(
        e.title.as_deref(),
        Some("The Space Review: Seeking a bigger role for a big rocket")
    );
    assert!(
        e.text.contains(first_sentence),
        "missing {first_sentence:?}"
    );
    assert!(e.text.len() > body.len() / 2, "{} chars", e.text.len());
    // Nothing that only appears inside a <script> makes it into the text.
    let html = String::from_utf8_lossy(&bytes);
    let doc = Document::parse(&html);
    let mut checked = 0;
    for script in doc.elements().filter(|e| e.tag() == Tag::Script) {
        for line in script.text_content().lines().map(str::trim) {
            if line.len() > 20 {
                checked += 1;
                assert!(!e.text.contains(line), "script text leaked: {line}");
            }
        }
    }
    assert!(checked > 0, "the page has inline scripts to leak");
}
