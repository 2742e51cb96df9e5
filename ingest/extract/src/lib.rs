//! HTML to text: the main content of a page, in reading order.
//!
//! [`extract_html`] parses the page into a small tree of our own ([`dom`]), renders it as blocks
//! of text (`render.rs`: headings, paragraphs, list items, tables with cells separated by tabs and
//! rows by lines, `<pre>` with its lines), chooses the blocks that are the page's main
//! content (`main_content.rs`) and joins them with "\n\n", the format the filters expect.
//! Navigation, headers and footers, cookie banners, comment sections, related-link and share
//! blocks, newsletter and promo boxes are left out. A page in which no main content stands out
//! (a short page, a list of links) gives all its visible body text outside navigation and the
//! like, and failing that all of it.
//!
//! The text begins with the page's headline: its `og:title` (or `twitter:title`), which seldom
//! carries the site's name, else its `<title>`; unless one of the headings kept already says
//! it (the same words, or a heading that the headline contains, as in "Headline | Site"), so
//! that a reader sees the headline once. [`Extracted::title`] is always the `<title>`.
//!
//! [`page_text`] is the entry point of the extract stage: it decodes the payload (see
//! [`crate::charset`]) and extracts, or says why the page yields no text.
//!
//! Hostile input ends in bounded time and memory: the tree is at most [`dom::MAX_DEPTH`] deep,
//! every walk over it is a loop, every scan of the open elements is bounded, and the work is
//! linear in the input (100,000 nested `<div>`s, a 20 MB attribute, a 50 MB line of text and
//! binary junk each take well under a second in a release build; see `hostile_tests.rs`).
//!
//! # The parser, and speed
//!
//! Measured on the 181 pages of the extraction benchmark (31.5 MB decoded), release build, one
//! core (`taskset -c 0`), from decoded strings; ranges over runs on a shared 2-core machine:
//!
//! | parser | what | pages/s | MB/s |
//! | --- | --- | --- | --- |
//! | scraper 0.29 / html5ever | full WHATWG parse | 336–393 | 58–68 |
//! | html5gum 0.9 (`jetscii`) | tokens only, callback emitter | 1,356–1,564 | 236–272 |
//! | lol_html 3.0 | streaming, `*` element and text handlers, no tree | 1,642–2,738 | 285–476 |
//! | tl 0.7.8 | its own tree | 3,382–4,746 | 588–825 |
//! | **ours**: html5gum + [`dom`] | parse to our tree | 2,991 | 520 |
//! | **ours** | parse + extract ([`extract_html`]) | 1,837–1,869 | 319–325 |
//!
//! (The html5gum row counts its parse-error checks, which ours switches off: they read every
//! byte again and cost more than the rest of the tokenizer; ours was 1,084–1,242 and 920–992
//! pages/s with them.)
//!
//! html5gum is a WHATWG tokenizer that passes html5lib's tokenizer tests (character
//! references, attributes, comments and raw-text states as browsers read them), with
//! `#![forbid(unsafe_code)]`, and maintained; it has no tree builder, so [`dom`] adds the rules that change the text (see
//! `tree_builder.rs`). tl is faster but lenient and little maintained: it does not follow
//! the standard's tokenizer or tree construction (no implied end tags; raw text and
//! character references are left to the caller). lol_html is well kept but a streaming
//! rewriter: it builds no tree, fires no end for an element closed implicitly, and a tree on
//! top of it would redo what html5gum's events give directly. `scripts/bench_extract.sh` runs
//! ours against resiliparse and trafilatura on one core: 920–992 pages/s (with the error
//! checks) against 743–757 and 65 there (300–450 and 27–36 in `shared/README.md`'s runs).

pub mod charset;
pub mod dom;
mod json_ld;
mod main_content;
mod render;
mod tags;
mod tree_builder;

#[cfg(test)]
mod dom_tests;
#[cfg(test)]
mod hostile_tests;
#[cfg(test)]
mod tests;

use crate::charset::CharsetSource;
use assent_schemas::page::{DecodedBody, Page, Payload};
use assent_schemas::ReasonCode;
use dom::{Document, Tag};
use render::BlockKind;
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

/// Extracts the title and main text of an HTML document.
pub fn extract_html(html: &str) -> Extracted {
    let doc = Document::parse(html);
    extract_document(&doc)
}

/// [`extract_html`] for a document already parsed.
pub fn extract_document(doc: &Document) -> Extracted {
    let blocks = render::blocks(doc);
    let selection = main_content::select(doc, &blocks);
    let title = page_title(doc);
    let headline = headline(doc).or_else(|| title.clone());
    let mut texts: Vec<&str> = Vec::with_capacity(selection.kept.len() + 1);
    if let Some(headline) = &headline {
        let lowered = headline.to_lowercase();
        let said = selection.kept.iter().any(|&i| {
            let b = &blocks[i];
            matches!(b.kind, BlockKind::Heading(_)) && {
                let heading = b.text.to_lowercase();
                heading == lowered || (heading.len() >= 8 && lowered.contains(&heading))
            }
        });
        if !said {
            texts.push(headline);
        }
    }
    texts.extend(selection.kept.iter().map(|&i| blocks[i].text.as_str()));
    Extracted {
        text: texts.join("\n\n"),
        title,
        encoding: None,
        charset_found_in: None,
    }
}

/// The blocks of a page with what the extractor made of them, one a line: kept or not, the
/// element that holds it, its kind, length and link length, and the start of its text. For
/// working on the extractor, not a stable format.
#[doc(hidden)]
pub fn explain_html(html: &str) -> String {
    use std::fmt::Write;
    let doc = Document::parse(html);
    let blocks = render::blocks(&doc);
    let selection = main_content::select(&doc, &blocks);
    let mut out = String::new();
    let container = selection.container.map(|c| doc.get(c));
    let _ = writeln!(
        out,
        "nodes {} blocks {} container {:?}",
        doc.len(),
        blocks.len(),
        container
    );
    if let Some(c) = container {
        for a in c.ancestors() {
            let _ = writeln!(out, "  in {a:?}");
        }
    }
    // The path to the longest block, with the scores along it.
    if let Some(longest) = blocks.iter().max_by_key(|b| b.chars - b.link_chars) {
        let owner = doc.get(longest.owner);
        for a in std::iter::once(owner).chain(owner.ancestors()) {
            let _ = writeln!(
                out,
                "  longest in {:.0} {a:?}",
                selection.scores[a.id().index()]
            );
        }
    }
    for (i, b) in blocks.iter().enumerate() {
        let kept = if selection.kept.contains(&i) {
            '+'
        } else {
            '-'
        };
        let text: String = b.text.chars().take(90).collect();
        let _ = writeln!(
            out,
            "{kept} {:?} {:?} {}/{} {:?}",
            doc.get(b.owner),
            b.kind,
            b.link_chars,
            b.chars,
            text.replace('\n', " / ")
        );
    }
    out
}

/// The publisher's headline: `og:title` (or `twitter:title`), which unlike `<title>` seldom
/// carries the site's name.
fn headline(doc: &Document) -> Option<String> {
    doc.elements()
        .filter(|e| e.tag() == Tag::Meta)
        .find(|e| {
            e.attr("property")
                .or_else(|| e.attr("name"))
                .is_some_and(|p| {
                    p.eq_ignore_ascii_case("og:title") || p.eq_ignore_ascii_case("twitter:title")
                })
        })
        .and_then(|e| e.attr("content"))
        .map(render::collapse)
        .filter(|t| !t.is_empty())
}

/// The first `<title>` outside `<svg>` and `<math>` (which have titles of their own),
/// whitespace collapsed; none if empty.
fn page_title(doc: &Document) -> Option<String> {
    doc.elements()
        .filter(|e| e.tag() == Tag::Title)
        .find(|e| {
            !e.ancestors()
                .any(|a| matches!(a.tag(), Tag::Svg | Tag::Math))
        })
        .map(|e| render::collapse(&e.text_content()))
        .filter(|t| !t.is_empty())
}

/// Admission's first step: decodes the page's HTML or `text/plain` body from its charset, in
/// place ([`Payload::Decoded`]), so that the consent checks and extraction read one text. A
/// body that is not text stays as it is, for [`page_text`] to refuse.
pub fn decode_payload(page: &mut Page) {
    let (body, html) = match std::mem::replace(&mut page.payload, Payload::Text(String::new())) {
        Payload::Html(b) => (b, true),
        Payload::PlainText(b) => (b, false),
        other => {
            page.payload = other;
            return;
        }
    };
    page.payload = decoded_payload(body, page.content_type.as_deref(), html);
}

/// `body` decoded ([`Payload::Decoded`]), or as it was when it is not text.
pub fn decoded_payload(body: Vec<u8>, content_type: Option<&str>, html: bool) -> Payload {
    match charset::decode_vec(body, content_type, html) {
        Ok(d) => Payload::Decoded(DecodedBody {
            text: d.text,
            html,
            encoding: d.encoding,
            charset_found_in: d.found_in.as_str(),
        }),
        Err((body, _)) if html => Payload::Html(body),
        Err((body, _)) => Payload::PlainText(body),
    }
}

/// The text in which the consent and licence checks look for markup and statements: the
/// decoded body or the text; for a body that is not text, its bytes read lossily (its markup,
/// if any, still counts).
pub fn scan_text(payload: &Payload) -> std::borrow::Cow<'_, str> {
    match payload {
        Payload::Decoded(d) => d.text.as_str().into(),
        Payload::Text(t) => t.as_str().into(),
        Payload::Html(b) | Payload::PlainText(b) => String::from_utf8_lossy(b),
    }
}

/// The words ([`assent_schemas::candidate_words`]) of the text the extract stage would take
/// from `page`, or None where it would take none. For a page that consent refused: the
/// audit's share of candidate words removed by refusals counts them; the text is not kept.
/// Only decoded bodies and text are counted (admission and the crawler decode a body before
/// judging its consent; a body that is not text has no words).
pub fn candidate_words(payload: &Payload) -> Option<u64> {
    let text = match payload {
        Payload::Decoded(d) if d.html => extract_html(&d.text).text,
        Payload::Decoded(d) => return Some(assent_schemas::candidate_words(&d.text)),
        Payload::Text(t) => return Some(assent_schemas::candidate_words(t)),
        Payload::Html(_) | Payload::PlainText(_) => return None,
    };
    Some(assent_schemas::candidate_words(&text))
}

/// The text of a page as the extract stage sees it: decoded, extracted and trimmed; or the
/// reason it has none (`input.undecodable`, `extract.empty`) with evidence.
pub fn page_text(page: &Page) -> Result<Extracted, Rejection> {
    let extracted = match &page.payload {
        Payload::Decoded(d) => {
            let found_in = CharsetSource::from_name(d.charset_found_in);
            if d.html {
                Extracted {
                    encoding: Some(d.encoding),
                    charset_found_in: found_in,
                    ..extract_html(&d.text)
                }
            } else {
                Extracted {
                    title: None,
                    text: normalise_line_endings(&d.text).trim().to_string(),
                    encoding: Some(d.encoding),
                    charset_found_in: found_in,
                }
            }
        }
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
                "bytes": page.payload.len(),
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
        Payload::Decoded(d) if d.html => "html",
        Payload::Decoded(_) => "plain-text",
        Payload::Text(_) => "text",
    }
}

fn normalise_line_endings(text: &str) -> String {
    text.replace("\r\n", "\n").replace('\r', "\n")
}
