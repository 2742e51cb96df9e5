//! FineWeb's own rules (Penedo et al. 2024), as datatrove 0.10.1's `FineWebQualityFilter`
//! runs them: the share of lines ending in terminal punctuation, the share of short lines, the
//! characters in repeated lines, and line breaks per word.

use crate::punctuation::is_terminal;
use crate::text::{chars, duplicates, ratio};
use crate::words::cached_words;
use crate::Verdict;
use assent_schemas::{DocStep, Document, LedgerRow, ReasonCode};
use serde::{Deserialize, Serialize};

/// `[quality.fineweb]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FinewebConfig {
    /// Fewest lines ending in terminal punctuation, of the non-blank lines.
    pub line_punct_thr: f64,
    /// Do not apply `line_punct_thr` to a document with no such line at all.
    pub line_punct_exclude_zero: bool,
    /// Most lines of at most `short_line_length` characters, of the non-blank lines.
    pub short_line_thr: f64,
    pub short_line_length: usize,
    /// Most characters in repeated lines, of all characters but line breaks.
    pub char_duplicates_ratio: f64,
    /// Most line breaks per word.
    pub new_line_ratio: f64,
}

impl Default for FinewebConfig {
    fn default() -> Self {
        FinewebConfig {
            line_punct_thr: 0.12,
            line_punct_exclude_zero: false,
            short_line_thr: 0.67,
            short_line_length: 30,
            char_duplicates_ratio: 0.01,
            new_line_ratio: 0.3,
        }
    }
}

/// The `fineweb-quality` step.
#[derive(Clone, Debug, Default)]
pub struct FinewebQuality {
    pub config: FinewebConfig,
}

impl FinewebQuality {
    fn judge(&self, text: &str) -> (Vec<(&'static str, f64)>, Option<Verdict>) {
        let c = &self.config;
        let lines: Vec<&str> = text.split('\n').filter(|l| !l.trim().is_empty()).collect();
        if lines.is_empty() {
            return (
                Vec::new(),
                Some(Verdict::flag("fineweb.empty", ReasonCode::QualityEmpty)),
            );
        }
        let punct = ratio(
            lines
                .iter()
                .filter(|l| l.chars().next_back().is_some_and(is_terminal))
                .count(),
            lines.len(),
        );
        let short = ratio(
            lines
                .iter()
                .filter(|l| chars(l) <= c.short_line_length)
                .count(),
            lines.len(),
        );
        let breaks = text.bytes().filter(|&b| b == b'\n').count();
        let dup = ratio(duplicates(&lines).1, chars(text) - breaks);
        let n_words = cached_words(text).len();
        let list = if n_words == 0 {
            f64::INFINITY
        } else {
            ratio(breaks, n_words)
        };
        let measures = vec![
            ("fineweb.line_punct", punct),
            ("fineweb.short_lines", short),
            ("fineweb.char_dup", dup),
            (
                "fineweb.list_ratio",
                if list.is_finite() {
                    list
                } else {
                    breaks as f64
                },
            ),
        ];
        let verdict = if punct < c.line_punct_thr && !(punct == 0.0 && c.line_punct_exclude_zero) {
            Some(Verdict::below(
                "fineweb.line_punct",
                punct,
                c.line_punct_thr,
                ReasonCode::FinewebLinePunct,
            ))
        } else if short > c.short_line_thr {
            Some(Verdict::above(
                "fineweb.short_lines",
                short,
                c.short_line_thr,
                ReasonCode::FinewebShortLines,
            ))
        } else if dup > c.char_duplicates_ratio {
            Some(Verdict::above(
                "fineweb.char_dup",
                dup,
                c.char_duplicates_ratio,
                ReasonCode::FinewebCharDup,
            ))
        } else if list > c.new_line_ratio {
            Some(Verdict::above(
                "fineweb.list_ratio",
                list,
                c.new_line_ratio,
                ReasonCode::FinewebListRatio,
            ))
        } else {
            None
        };
        (measures, verdict)
    }
}

impl DocStep for FinewebQuality {
    fn name(&self) -> &'static str {
        "fineweb-quality"
    }

    fn apply(&self, doc: Document) -> Result<Document, Box<LedgerRow>> {
        let (measures, verdict) = self.judge(&doc.text);
        crate::record(doc, measures, verdict)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_rule_in_order() {
        let step = FinewebQuality::default();
        let prose = "This is a long enough line of prose that ends well.\nAnd here is another one that is long enough too.";
        assert!(step.judge(prose).1.is_none());
        let no_punct =
            "a line without an end that goes on and on\nanother line without any end at all here";
        assert_eq!(
            step.judge(no_punct).1.unwrap().code,
            ReasonCode::FinewebLinePunct
        );
        let short =
            "Short one.\nShort two.\nShort three.\nThis line however is long enough to count.";
        assert_eq!(
            step.judge(short).1.unwrap().code,
            ReasonCode::FinewebShortLines
        );
        let dup = format!("{prose}\n{prose}");
        assert_eq!(step.judge(&dup).1.unwrap().code, ReasonCode::FinewebCharDup);
    }
}
