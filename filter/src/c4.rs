//! The C4 rules (Raffel et al. 2020) as FineWeb runs them through datatrove 0.10.1's
//! `C4QualityFilter(filter_no_terminal_punct=False)`: lines are filtered (a word over
//! `max_word_length` characters, fewer than `min_words_per_line` words, "javascript", a
//! cookie or terms-of-use notice), Wikipedia-style citation marks are taken out, and a
//! document goes when a kept line says "lorem ipsum" or holds a curly bracket, or when its kept
//! lines hold fewer than `min_sentences` sentences. Kept documents keep only the kept lines:
//! this step changes the text (and its hash), as it does in FineWeb.

use crate::text::{chars, splitlines};
use crate::words::sentence_count;
use crate::Verdict;
use assent_schemas::{DocStep, Document, LedgerRow, ReasonCode};
use serde::{Deserialize, Serialize};

/// `[quality.c4]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct C4Config {
    /// Drop lines that do not end in terminal punctuation (off in FineWeb).
    pub filter_no_terminal_punct: bool,
    /// Fewest sentences in the kept lines; 0 switches the rule off.
    pub min_sentences: usize,
    /// Lines with fewer words go; 0 keeps them.
    pub min_words_per_line: usize,
    /// Lines with a longer word (in characters) go; 0 keeps them.
    pub max_word_length: usize,
    pub filter_lorem_ipsum: bool,
    pub filter_javascript: bool,
    pub filter_curly_bracket: bool,
    pub filter_policy: bool,
    pub remove_citations: bool,
}

impl Default for C4Config {
    fn default() -> Self {
        C4Config {
            filter_no_terminal_punct: false,
            min_sentences: 5,
            min_words_per_line: 3,
            max_word_length: 1000,
            filter_lorem_ipsum: true,
            filter_javascript: true,
            filter_curly_bracket: true,
            filter_policy: true,
            remove_citations: true,
        }
    }
}

const POLICY: [&str; 6] = [
    "terms of use",
    "privacy policy",
    "cookie policy",
    "uses cookies",
    "use of cookies",
    "use cookies",
];

/// The `c4-quality` step.
#[derive(Clone, Debug, Default)]
pub struct C4Quality {
    pub config: C4Config,
}

/// `line` without citation marks: `[12]`, `[]`, `[edit]`, `[citation needed]`.
fn without_citations(line: &str) -> std::borrow::Cow<'_, str> {
    if !line.contains('[') {
        return line.into();
    }
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(p) = rest.find('[') {
        out.push_str(&rest[..p]);
        let tail = &rest[p..];
        let digits = tail[1..].bytes().take_while(u8::is_ascii_digit).count();
        let skip = if tail[1 + digits..].starts_with(']') {
            Some(digits + 2)
        } else if tail.starts_with("[edit]") {
            Some(6)
        } else if tail.starts_with("[citation needed]") {
            Some(17)
        } else {
            None
        };
        match skip {
            Some(n) => rest = &tail[n..],
            None => {
                out.push('[');
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    out.into()
}

fn ends_terminal(line: &str) -> bool {
    [".", "?", "!", "\"", "'"].iter().any(|p| line.ends_with(p)) && !line.ends_with("...")
}

impl C4Quality {
    /// The kept lines and their sentences, or the verdict that drops the document.
    fn judge(&self, text: &str) -> Result<(Vec<String>, usize, usize), Verdict> {
        let c = &self.config;
        let (mut kept, mut sentences, mut removed) = (Vec::new(), 0, 0);
        for line in splitlines(text) {
            let line = line.trim();
            let words: Vec<&str> = line.split_whitespace().collect();
            if c.max_word_length > 0 && words.iter().any(|w| chars(w) > c.max_word_length) {
                removed += 1;
                continue;
            }
            let line = if c.remove_citations {
                without_citations(line)
            } else {
                line.into()
            };
            if c.filter_no_terminal_punct && !ends_terminal(&line) {
                removed += 1;
                continue;
            }
            if words.len() < c.min_words_per_line {
                removed += 1;
                continue;
            }
            let lower = line.to_lowercase();
            if c.filter_lorem_ipsum && lower.contains("lorem ipsum") {
                return Err(Verdict::flag("c4.lorem_ipsum", ReasonCode::C4LoremIpsum));
            }
            if c.filter_javascript && lower.contains("javascript") {
                removed += 1;
                continue;
            }
            if c.filter_curly_bracket && line.contains('{') {
                return Err(Verdict::flag(
                    "c4.curly_bracket",
                    ReasonCode::C4CurlyBracket,
                ));
            }
            if c.filter_policy && POLICY.iter().any(|p| lower.contains(p)) {
                removed += 1;
                continue;
            }
            if c.min_sentences > 0 {
                sentences += sentence_count(&line);
            }
            kept.push(line.into_owned());
        }
        if sentences < c.min_sentences {
            return Err(Verdict::below(
                "c4.sentences",
                sentences as f64,
                c.min_sentences as f64,
                ReasonCode::C4FewSentences,
            ));
        }
        Ok((kept, sentences, removed))
    }
}

impl DocStep for C4Quality {
    fn name(&self) -> &'static str {
        "c4-quality"
    }

    fn apply(&self, mut doc: Document) -> Result<Document, Box<LedgerRow>> {
        match self.judge(&doc.text) {
            Err(verdict) => crate::record(doc, [], Some(verdict)),
            Ok((kept, sentences, removed)) => {
                let text = kept.join("\n").trim().to_string();
                if text != doc.text {
                    doc.text_hash = assent_schemas::text_hash(&text);
                    doc.text = text;
                }
                let measures = [
                    ("c4.sentences", sentences as f64),
                    ("c4.lines_removed", removed as f64),
                ];
                crate::record(doc, measures, None)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn citations_and_lines() {
        assert_eq!(without_citations("a[1] b[edit] c[] d[x]"), "a b c d[x]");
        let step = C4Quality::default();
        let text = "Short.\nThis line has enough words. It has two sentences.\nEnable JavaScript to see this page now.\nWe use cookies on this site today.\nOne more line here. And another one. And a third. Fine.";
        let (kept, sentences, removed) = step.judge(text).unwrap();
        assert_eq!(kept.len(), 2);
        assert_eq!((sentences, removed), (6, 3));
        let err = step.judge("Lorem ipsum dolor sit amet.").unwrap_err();
        assert_eq!(err.code, ReasonCode::C4LoremIpsum);
        let err = step
            .judge("function f() { return 1; } is code")
            .unwrap_err();
        assert_eq!(err.code, ReasonCode::C4CurlyBracket);
        let err = step
            .judge("Only one sentence in this document.")
            .unwrap_err();
        assert_eq!(err.code, ReasonCode::C4FewSentences);
    }
}
