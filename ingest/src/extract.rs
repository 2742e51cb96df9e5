//! HTML to text: a first, deliberately simple extractor.
//!
//! It keeps the text of the elements that carry prose (the title, headings, paragraphs, list
//! items, block quotes and preformatted blocks) and drops what a reader does not read as part of
//! the page (scripts, styles, navigation, headers, footers, forms, embedded frames and images).
//! Blocks are separated by a blank line; whitespace inside a block collapses to single spaces,
//! except in `<pre>`, which keeps its lines. A page without any such element falls back to all
//! the visible text of its body, split where blocks begin and end. A main-content extractor will
//! replace this one; the output format (blocks joined by "\n\n") is what the filters expect.
//!
//! Parsing is html5ever's (through `scraper`), which copes with any input a browser copes with.
//! Our walk over the tree is iterative, so that deeply nested markup cannot exhaust the stack.
//!
//! [`page_text`] is the entry point of the extract stage: it decodes the payload (see
//! [`crate::charset`]) and extracts, or says why the page yields no text.

use crate::charset::{self, CharsetSource};
use crate::page::{Page, Payload};
use assent_schemas::ReasonCode;
use scraper::node::Element;
use scraper::{Html, Node};
use serde_json::json;

/// The text of a page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Extracted {
    /// The `<title>`, whitespace collapsed; none when absent or empty.
    pub title: Option<String>,
    /// The blocks of text, separated by "\n\n".
    pub text: String,
    /// The encoding the payload was decoded with (`encoding_rs` name); none for a payload that
    /// was already text.
    pub encoding: Option<&'static str>,
    /// Where that encoding was found.
    pub charset_found_in: Option<CharsetSource>,
}

/// Why a page yields no text, in ledger form.
#[derive(Clone, Debug, PartialEq)]
pub struct Rejection {
    pub reason: ReasonCode,
    pub evidence: serde_json::Value,
}

/// Elements whose content is never part of the text.
const DROPPED: &[&str] = &[
    "script", "style", "noscript", "template", "nav", "svg", "math", "iframe", "object", "embed",
    "canvas", "audio", "video", "form", "button", "select", "textarea", "header", "footer",
    "aside",
];

/// Elements whose text is kept (with `title`, handled on its own).
const KEPT_BLOCKS: &[&str] = &[
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "p",
    "li",
    "blockquote",
    "pre",
];

/// Elements that start a new block of text where they begin and where they end.
const BOUNDARIES: &[&str] = &[
    "address",
    "article",
    "aside",
    "blockquote",
    "body",
    "caption",
    "center",
    "dd",
    "details",
    "dialog",
    "div",
    "dl",
    "dt",
    "fieldset",
    "figcaption",
    "figure",
    "footer",
    "form",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hgroup",
    "hr",
    "li",
    "main",
    "nav",
    "ol",
    "p",
    "pre",
    "section",
    "summary",
    "table",
    "tbody",
    "tfoot",
    "thead",
    "tr",
    "ul",
];

const HEADINGS: &[&str] = &["h1", "h2", "h3", "h4", "h5", "h6"];

/// Extracts the title and text of an HTML document.
pub fn extract_html(html: &str) -> Extracted {
    let doc = Html::parse_document(html);
    let mut walk = Walker::run(&doc, Mode::KeptBlocks);
    if walk.blocks.is_empty() {
        walk.blocks = Walker::run(&doc, Mode::WholeBody).blocks;
    }
    let title = walk.title.filter(|t| !t.is_empty());
    let mut blocks = walk.blocks;
    if let Some(title) = &title {
        let lowered = title.to_lowercase();
        if !blocks
            .iter()
            .any(|b| b.heading && b.text.to_lowercase() == lowered)
        {
            blocks.insert(
                0,
                Block {
                    text: title.clone(),
                    heading: true,
                },
            );
        }
    }
    let text = blocks
        .iter()
        .map(|b| b.text.as_str())
        .collect::<Vec<_>>()
        .join("\n\n");
    Extracted {
        title,
        text,
        encoding: None,
        charset_found_in: None,
    }
}

/// The text of a page as the extract stage sees it: decoded, extracted and trimmed; or the
/// reason it has none (`input.undecodable`, `extract.empty`) with evidence.
pub fn page_text(page: &Page) -> Result<Extracted, Rejection> {
    let extracted = match &page.payload {
        Payload::Html(bytes) => {
            let decoded = decode(bytes, page, true)?;
            Extracted {
                encoding: Some(decoded.encoding),
                charset_found_in: Some(decoded.found_in),
                ..extract_html(&decoded.text)
            }
        }
        Payload::PlainText(bytes) => {
            let decoded = decode(bytes, page, false)?;
            Extracted {
                title: None,
                text: normalise_line_endings(&decoded.text).trim().to_string(),
                encoding: Some(decoded.encoding),
                charset_found_in: Some(decoded.found_in),
            }
        }
        Payload::Text(text) => Extracted {
            title: None,
            text: text.trim().to_string(),
            encoding: None,
            charset_found_in: None,
        },
    };
    if extracted.text.is_empty() {
        return Err(Rejection {
            reason: ReasonCode::ExtractEmpty,
            evidence: json!({
                "payload": payload_kind(&page.payload),
                "bytes": payload_len(&page.payload),
                "encoding": extracted.encoding,
                "charset_found_in": extracted.charset_found_in.map(CharsetSource::as_str),
            }),
        });
    }
    Ok(extracted)
}

fn decode(bytes: &[u8], page: &Page, is_html: bool) -> Result<charset::Decoded, Rejection> {
    charset::decode(bytes, page.content_type.as_deref(), is_html).map_err(|e| {
        let charset::DecodeError::Binary { found_in, .. } = &e;
        Rejection {
            reason: ReasonCode::InputUndecodable,
            evidence: json!({
                "error": e.to_string(),
                "encoding": e.encoding(),
                "charset_found_in": found_in.as_str(),
                "content_type": page.content_type,
                "bytes": bytes.len(),
            }),
        }
    })
}

fn payload_kind(payload: &Payload) -> &'static str {
    match payload {
        Payload::Html(_) => "html",
        Payload::PlainText(_) => "plain-text",
        Payload::Text(_) => "text",
    }
}

fn payload_len(payload: &Payload) -> usize {
    match payload {
        Payload::Html(b) | Payload::PlainText(b) => b.len(),
        Payload::Text(t) => t.len(),
    }
}

fn normalise_line_endings(text: &str) -> String {
    text.replace("\r\n", "\n").replace('\r', "\n")
}

// ------------------------------------------------------------------ the tree walk

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Only text inside the kept block elements.
    KeptBlocks,
    /// All text of the body that is not dropped.
    WholeBody,
}

struct Block {
    text: String,
    heading: bool,
}

/// State of one pass over the document, in document order. Counters rather than a stack of
/// ancestors: an element opens and closes with the same name, so depths stay balanced.
struct Walker {
    mode: Mode,
    blocks: Vec<Block>,
    /// Text of the block being read.
    buf: String,
    title: Option<String>,
    title_buf: Option<String>,
    /// Depth of dropped elements around the current node.
    dropped: usize,
    body: usize,
    kept: usize,
    pre: usize,
    heading: usize,
}

impl Walker {
    fn run(doc: &Html, mode: Mode) -> Walker {
        let mut w = Walker {
            mode,
            blocks: Vec::new(),
            buf: String::new(),
            title: None,
            title_buf: None,
            dropped: 0,
            body: 0,
            kept: 0,
            pre: 0,
            heading: 0,
        };
        // Depth-first, in document order, with a loop instead of recursion: down to the first
        // child, else across to the next sibling, else back up, closing each node left.
        let root = doc.tree.root();
        let mut node = root;
        'walk: loop {
            w.enter(node.value());
            if let Some(child) = node.first_child() {
                node = child;
                continue;
            }
            loop {
                w.leave(node.value());
                if node == root {
                    break 'walk;
                }
                if let Some(next) = node.next_sibling() {
                    node = next;
                    break;
                }
                match node.parent() {
                    Some(parent) => node = parent,
                    None => break 'walk,
                }
            }
        }
        w.flush();
        w
    }

    fn enter(&mut self, node: &Node) {
        match node {
            Node::Element(el) => self.open(el),
            Node::Text(text) => self.text(text),
            _ => {}
        }
    }

    fn leave(&mut self, node: &Node) {
        if let Node::Element(el) = node {
            self.close(el);
        }
    }

    fn open(&mut self, el: &Element) {
        let name = el.name();
        // The first <title> outside dropped elements (an <svg> has titles of its own).
        if name == "title" && self.dropped == 0 && self.title.is_none() && self.title_buf.is_none()
        {
            self.title_buf = Some(String::new());
            return;
        }
        if self.dropped > 0 || is_dropped(el) {
            self.dropped += usize::from(is_dropped(el));
            return;
        }
        self.separate(name, true);
        self.count(name, 1);
    }

    fn close(&mut self, el: &Element) {
        let name = el.name();
        if name == "title" {
            if let Some(buf) = self.title_buf.take() {
                self.title = Some(collapse(&buf));
                return;
            }
        }
        if self.dropped > 0 {
            self.dropped -= usize::from(is_dropped(el));
            return;
        }
        self.separate(name, false);
        self.count(name, -1);
    }

    fn text(&mut self, text: &str) {
        if let Some(title) = &mut self.title_buf {
            title.push_str(text);
        } else if self.dropped == 0
            && self.body > 0
            && (self.mode == Mode::WholeBody || self.kept > 0)
        {
            self.buf.push_str(text);
        }
    }

    /// What an element does to the text around it where it opens or closes: a block boundary
    /// ends the block; a line break or table cell separates words, once.
    fn separate(&mut self, name: &str, opening: bool) {
        if BOUNDARIES.contains(&name) {
            self.flush();
        } else if opening && matches!(name, "br" | "td" | "th" | "img" | "input") {
            self.buf.push(if name == "br" && self.pre > 0 {
                '\n'
            } else {
                ' '
            });
        }
    }

    fn count(&mut self, name: &str, delta: isize) {
        let add = |n: &mut usize| *n = n.saturating_add_signed(delta);
        if name == "body" {
            add(&mut self.body);
        }
        if KEPT_BLOCKS.contains(&name) {
            add(&mut self.kept);
        }
        if name == "pre" {
            add(&mut self.pre);
        }
        if HEADINGS.contains(&name) {
            add(&mut self.heading);
        }
    }

    /// Ends the current block.
    fn flush(&mut self) {
        if self.buf.is_empty() {
            return;
        }
        let text = if self.pre > 0 {
            tidy_pre(&self.buf)
        } else {
            collapse(&self.buf)
        };
        self.buf.clear();
        if !text.is_empty() {
            self.blocks.push(Block {
                text,
                heading: self.heading > 0,
            });
        }
    }
}

fn is_dropped(el: &Element) -> bool {
    DROPPED.contains(&el.name()) || el.attr("hidden").is_some()
}

/// Runs of whitespace become one space; leading and trailing whitespace goes.
fn collapse(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Preformatted text keeps its lines and indentation; trailing spaces and blank lines at either
/// end go.
fn tidy_pre(text: &str) -> String {
    let text = normalise_line_endings(text);
    let lines: Vec<&str> = text.lines().map(str::trim_end).collect();
    let first = lines.iter().position(|l| !l.is_empty());
    let last = lines.iter().rposition(|l| !l.is_empty());
    match (first, last) {
        (Some(first), Some(last)) => lines[first..=last].join("\n"),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
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
        assert_eq!(
            e.text,
            "My Page\n\nHeading\n\nFirst paragraph with bold and link.\n\none\n\ntwo\n\nquoted"
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
        let html =
            "<p>Code:</p><pre>\nfn main() {\n    println!(\"hi\");  \n}\n\n</pre><p>after</p>";
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
            "line break & café !"
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
        assert_eq!(e.text, "T\n\nfirst part\n\nloose\n\nnested\n\na b");
    }

    #[test]
    fn empty_and_broken_input() {
        assert_eq!(extract_html(""), extract_html("<html></html>"));
        assert_eq!(text_of(""), "");
        assert_eq!(text_of("<p>unclosed <b>bold <i>both"), "unclosed bold both");
        assert_eq!(text_of("</p></div><p><<>>"), "<<>>");
    }

    #[test]
    fn deep_nesting_does_not_overflow_the_stack() {
        // html5ever takes time quadratic in the depth of nested *block* elements (each start
        // tag scans the open elements for a <p> to close: about a minute for 100,000 <div>s in
        // a test build), so the test nests <span>s, which give a tree just as deep in
        // milliseconds. The walk does not care which element it descends through.
        let depth = 100_000;
        let html = format!(
            "<p>{}deep text{}</p><p>after</p>",
            "<span>".repeat(depth),
            "</span>".repeat(depth)
        );
        let doc = Html::parse_document(&html);
        let deepest = doc
            .tree
            .nodes()
            .find(|n| n.value().as_text().is_some_and(|t| &**t == "deep text"))
            .unwrap();
        assert!(
            deepest.ancestors().count() > depth,
            "the tree is as deep as the markup"
        );
        // A small stack, so that a recursive walk would certainly overflow it.
        let text = std::thread::Builder::new()
            .stack_size(256 * 1024)
            .spawn(move || text_of(&html))
            .unwrap()
            .join()
            .unwrap();
        assert_eq!(text, "deep text\n\nafter");
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
        "/../../shared/data/extraction-benchmark"
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
        let scripts = scraper::Selector::parse("script").unwrap();
        let doc = Html::parse_document(&html);
        let mut checked = 0;
        for script in doc.select(&scripts) {
            for line in script.text().flat_map(str::lines).map(str::trim) {
                if line.len() > 20 {
                    checked += 1;
                    assert!(!e.text.contains(line), "script text leaked: {line}");
                }
            }
        }
        assert!(checked > 0, "the page has inline scripts to leak");
    }
}
