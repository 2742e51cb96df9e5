//! The `articleBody` of a page's JSON-LD (schema.org `Article` and its kinds), when it has one:
//! a publisher's own statement of what the article's text is. The extractor uses it only to
//! find the container of the article in the page; the text it returns always comes from the
//! page itself.

use super::dom::{Document, Tag};
use serde_json::Value;

/// The longest `articleBody` in the page's `application/ld+json` scripts, as plain text.
pub(crate) fn article_body(doc: &Document) -> Option<String> {
    let mut best: Option<String> = None;
    for script in doc.elements().filter(|e| e.tag() == Tag::Script) {
        let is_ld = script
            .attr("type")
            .is_some_and(|t| t.trim().eq_ignore_ascii_case("application/ld+json"));
        if !is_ld {
            continue;
        }
        let json = script.text_content();
        if !json.contains("articleBody") {
            continue;
        }
        let value = serde_json::from_str::<Value>(&json).or_else(|_| {
            // Raw line breaks and tabs inside strings are common and not JSON.
            let cleaned: String = json
                .chars()
                .map(|c| if c.is_control() { ' ' } else { c })
                .collect();
            serde_json::from_str::<Value>(&cleaned)
        });
        let Ok(value) = value else { continue };
        // Iterative search: a stack instead of recursion.
        let mut stack = vec![&value];
        while let Some(v) = stack.pop() {
            match v {
                Value::Object(map) => {
                    for (key, v) in map {
                        match (key.as_str(), v) {
                            ("articleBody", Value::String(body)) => {
                                if best.as_ref().is_none_or(|b| body.len() > b.len()) {
                                    best = Some(body.clone());
                                }
                            }
                            _ => stack.push(v),
                        }
                    }
                }
                Value::Array(items) => stack.extend(items),
                _ => {}
            }
        }
    }
    best.map(|body| {
        if body.contains('<') {
            // Some publishers put the article's markup there.
            let inner = Document::parse(&body);
            super::render::blocks(&inner)
                .into_iter()
                .map(|b| b.text)
                .collect::<Vec<_>>()
                .join("\n")
        } else {
            body
        }
    })
}
