//! The Gopher rules (Rae et al. 2021, "Scaling Language Models", table A1), as FineWeb runs
//! them through datatrove 0.10.1's `GopherRepetitionFilter` and `GopherQualityFilter`: the
//! same measures, in the same order, with FineWeb's thresholds as defaults. A threshold of 0
//! switches its rule off (as `None` or 0 does in datatrove). Every measure is recorded in the
//! document's `quality` column (`gopher_rep.*`, `gopher.*`), kept or not.

use crate::ngrams::{KeyMap, KeySet, Ngrams};
use crate::punctuation::is_symbol;
use crate::text::{chars, duplicates, ratio, split_newline_runs, splitlines};
use crate::words::cached_words;
use crate::Verdict;
use assent_schemas::{DocStep, Document, LedgerRow, ReasonCode, Stage};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;

/// `[quality.gopher_repetition]`: each a fraction above which a document is dropped.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RepetitionConfig {
    /// Paragraphs (split at blank lines) that repeat an earlier one.
    pub dup_para_frac: f64,
    /// Characters in repeated paragraphs, of all characters.
    pub dup_para_char_frac: f64,
    /// Lines that repeat an earlier one.
    pub dup_line_frac: f64,
    /// Characters in repeated lines, of all characters.
    pub dup_line_char_frac: f64,
    /// Characters of the most frequent word n-gram (times its count), of all characters.
    pub top_2_gram: f64,
    pub top_3_gram: f64,
    pub top_4_gram: f64,
    /// Characters in repeated word n-grams, of all characters.
    pub dup_5_gram: f64,
    pub dup_6_gram: f64,
    pub dup_7_gram: f64,
    pub dup_8_gram: f64,
    pub dup_9_gram: f64,
    pub dup_10_gram: f64,
}

impl Default for RepetitionConfig {
    fn default() -> Self {
        RepetitionConfig {
            dup_para_frac: 0.3,
            dup_para_char_frac: 0.2,
            dup_line_frac: 0.3,
            dup_line_char_frac: 0.2,
            top_2_gram: 0.2,
            top_3_gram: 0.18,
            top_4_gram: 0.16,
            dup_5_gram: 0.15,
            dup_6_gram: 0.14,
            dup_7_gram: 0.13,
            dup_8_gram: 0.12,
            dup_9_gram: 0.11,
            dup_10_gram: 0.10,
        }
    }
}

/// `[quality.gopher_quality]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct QualityConfig {
    /// Fewest words (tokens with a character that is not punctuation).
    pub min_doc_words: usize,
    pub max_doc_words: usize,
    /// Mean characters per such word.
    pub min_avg_word_length: f64,
    pub max_avg_word_length: f64,
    /// Most `#`, and most ellipses, per token.
    pub max_symbol_word_ratio: f64,
    /// Most lines starting with `•` or `-`, of all lines.
    pub max_bullet_lines_ratio: f64,
    /// Most lines ending with an ellipsis, of all lines.
    pub max_ellipsis_lines_ratio: f64,
    /// Fewest tokens holding a letter, of all tokens (datatrove's `max_non_alpha_words_ratio`).
    pub min_alpha_words_ratio: f64,
    /// Fewest distinct stop words.
    pub min_stop_words: usize,
    pub stop_words: Vec<String>,
}

impl Default for QualityConfig {
    fn default() -> Self {
        QualityConfig {
            min_doc_words: 50,
            max_doc_words: 100_000,
            min_avg_word_length: 3.0,
            max_avg_word_length: 10.0,
            max_symbol_word_ratio: 0.1,
            max_bullet_lines_ratio: 0.9,
            max_ellipsis_lines_ratio: 0.3,
            min_alpha_words_ratio: 0.8,
            min_stop_words: 2,
            stop_words: ["the", "be", "to", "of", "and", "that", "have", "with"]
                .map(String::from)
                .to_vec(),
        }
    }
}

/// The `gopher-repetition` step.
#[derive(Clone, Debug, Default)]
pub struct GopherRepetition {
    pub config: RepetitionConfig,
}

/// The `gopher-quality` step.
#[derive(Clone, Debug, Default)]
pub struct GopherQuality {
    pub config: QualityConfig,
}

/// Characters of the most frequent n-gram of `keys` (the n-grams' keys, joined by spaces),
/// times its count; the first such n-gram in text order wins a tie (as
/// `Counter.most_common(1)` does).
fn top_ngram_chars(keys: &[u128], lens: &[usize], n: usize) -> Option<usize> {
    let mut counts: KeyMap<(usize, usize)> = KeyMap::default();
    counts.reserve(keys.len());
    for (i, k) in keys.iter().enumerate() {
        counts.entry(*k).or_insert((0, i)).0 += 1;
    }
    let (_, &(count, first)) = counts
        .iter()
        .max_by(|a, b| a.1 .0.cmp(&b.1 .0).then(b.1 .1.cmp(&a.1 .1)))?;
    let len: usize = lens[first..first + n].iter().sum::<usize>() + (n - 1);
    Some(len * count)
}

/// datatrove's `find_all_duplicate`: characters of the n-grams (keys of words joined without a
/// space) that repeat an earlier one, skipping past each repeat.
fn duplicate_ngram_chars(keys: &[u128], lens: &[usize], n: usize) -> usize {
    let mut seen = KeySet::default();
    seen.reserve(keys.len());
    let (mut repeated, mut i) = (0, 0);
    while i < keys.len() {
        if seen.insert(keys[i]) {
            i += 1;
        } else {
            repeated += lens[i..i + n].iter().sum::<usize>();
            i += n;
        }
    }
    repeated
}

impl GopherRepetition {
    /// The measures, in datatrove's order, each with its threshold and code.
    fn measures(&self, text: &str) -> Vec<(&'static str, f64, f64, ReasonCode)> {
        let c = &self.config;
        let total = chars(text);
        let paragraphs = split_newline_runs(text.trim(), 2);
        let (para_dups, para_chars) = duplicates(&paragraphs);
        let lines = split_newline_runs(text, 1);
        let (line_dups, line_chars) = duplicates(&lines);
        let words = cached_words(text);
        let lens: Vec<usize> = words.iter().map(|w| chars(w)).collect();
        let grams = Ngrams::new(&words);
        let mut out = vec![
            (
                "gopher_rep.dup_para_frac",
                ratio(para_dups, paragraphs.len()),
                c.dup_para_frac,
                ReasonCode::GopherDupParaFrac,
            ),
            (
                "gopher_rep.dup_para_char_frac",
                ratio(para_chars, total),
                c.dup_para_char_frac,
                ReasonCode::GopherDupParaCharFrac,
            ),
            (
                "gopher_rep.dup_line_frac",
                ratio(line_dups, lines.len()),
                c.dup_line_frac,
                ReasonCode::GopherDupLineFrac,
            ),
            (
                "gopher_rep.dup_line_char_frac",
                ratio(line_chars, total),
                c.dup_line_char_frac,
                ReasonCode::GopherDupLineCharFrac,
            ),
        ];
        let top = [
            (
                "gopher_rep.top_2_gram",
                c.top_2_gram,
                ReasonCode::GopherTop2Gram,
            ),
            (
                "gopher_rep.top_3_gram",
                c.top_3_gram,
                ReasonCode::GopherTop3Gram,
            ),
            (
                "gopher_rep.top_4_gram",
                c.top_4_gram,
                ReasonCode::GopherTop4Gram,
            ),
        ];
        // No n-gram at all: the rule does not apply (datatrove skips it).
        grams.each_spaced(4, |n, keys| {
            if n >= 2 {
                let (name, threshold, code) = top[n - 2];
                if let Some(top) = top_ngram_chars(keys, &lens, n) {
                    out.push((name, ratio(top, total), threshold, code));
                }
            }
        });
        let dup = [
            (
                "gopher_rep.dup_5_gram",
                c.dup_5_gram,
                ReasonCode::GopherDup5Gram,
            ),
            (
                "gopher_rep.dup_6_gram",
                c.dup_6_gram,
                ReasonCode::GopherDup6Gram,
            ),
            (
                "gopher_rep.dup_7_gram",
                c.dup_7_gram,
                ReasonCode::GopherDup7Gram,
            ),
            (
                "gopher_rep.dup_8_gram",
                c.dup_8_gram,
                ReasonCode::GopherDup8Gram,
            ),
            (
                "gopher_rep.dup_9_gram",
                c.dup_9_gram,
                ReasonCode::GopherDup9Gram,
            ),
            (
                "gopher_rep.dup_10_gram",
                c.dup_10_gram,
                ReasonCode::GopherDup10Gram,
            ),
        ];
        let mut dups = [0usize; 6];
        grams.each_joined(10, |n, keys| {
            if n >= 5 {
                dups[n - 5] = duplicate_ngram_chars(keys, &lens, n);
            }
        });
        for ((name, threshold, code), d) in dup.into_iter().zip(dups) {
            out.push((name, ratio(d, total), threshold, code));
        }
        out
    }
}

impl DocStep for GopherRepetition {
    fn name(&self) -> &'static str {
        "gopher-repetition"
    }

    fn apply(&self, doc: Document) -> Result<Document, Box<LedgerRow>> {
        if doc.text.trim().is_empty() {
            return Err(Box::new(crate::empty(&doc)));
        }
        let measures = self.measures(&doc.text);
        let first = measures
            .iter()
            .find(|(_, v, t, _)| *t > 0.0 && v > t)
            .map(|(name, v, t, code)| Verdict::above(name, *v, *t, *code));
        crate::record(doc, measures.iter().map(|(n, v, _, _)| (*n, *v)), first)
    }
}

impl GopherQuality {
    fn judge(&self, text: &str) -> (Vec<(&'static str, f64)>, Option<Verdict>) {
        let c = &self.config;
        let words = cached_words(text);
        let n_words = words.len();
        let content: Vec<&str> = words
            .iter()
            .copied()
            .filter(|w| w.chars().any(|ch| !is_symbol(ch)))
            .collect();
        let n_content = content.len();
        let avg = if n_content == 0 {
            f64::NAN
        } else {
            content.iter().map(|w| chars(w)).sum::<usize>() as f64 / n_content as f64
        };
        let hashes = ratio(text.matches('#').count(), n_words);
        let ellipses = ratio(
            text.matches("...").count() + text.matches('…').count(),
            n_words,
        );
        let lines = splitlines(text);
        let bullets = ratio(
            lines
                .iter()
                .filter(|l| {
                    let l = l.trim_start();
                    l.starts_with('•') || l.starts_with('-')
                })
                .count(),
            lines.len(),
        );
        let end_ellipsis = ratio(
            lines
                .iter()
                .filter(|l| {
                    let l = l.trim_end();
                    l.ends_with("...") || l.ends_with('…')
                })
                .count(),
            lines.len(),
        );
        let alpha = ratio(
            words
                .iter()
                .filter(|w| w.chars().any(char::is_alphabetic))
                .count(),
            n_words,
        );
        // Distinct stop words present: only the stop words are hashed, not every word.
        let stop_words: HashSet<&str> = c.stop_words.iter().map(String::as_str).collect();
        let stop = words
            .iter()
            .filter(|w| stop_words.contains(*w))
            .collect::<HashSet<_>>()
            .len();
        let measures = vec![
            ("gopher.words", n_content as f64),
            (
                "gopher.avg_word_length",
                if avg.is_nan() { 0.0 } else { avg },
            ),
            ("gopher.hash_ratio", hashes),
            ("gopher.ellipsis_ratio", ellipses),
            ("gopher.bullet_lines", bullets),
            ("gopher.ellipsis_lines", end_ellipsis),
            ("gopher.alpha_words", alpha),
            ("gopher.stop_words", stop as f64),
        ];
        // In datatrove's order; NaN compares false, as in numpy.
        let n = n_content as f64;
        let verdict = if c.min_doc_words > 0 && n_content < c.min_doc_words {
            Some(Verdict::below(
                "gopher.words",
                n,
                c.min_doc_words as f64,
                ReasonCode::GopherShortDoc,
            ))
        } else if c.max_doc_words > 0 && n_content > c.max_doc_words {
            Some(Verdict::above(
                "gopher.words",
                n,
                c.max_doc_words as f64,
                ReasonCode::GopherLongDoc,
            ))
        } else if c.min_avg_word_length > 0.0 && avg < c.min_avg_word_length {
            Some(Verdict::below(
                "gopher.avg_word_length",
                avg,
                c.min_avg_word_length,
                ReasonCode::GopherShortWords,
            ))
        } else if c.max_avg_word_length > 0.0 && avg > c.max_avg_word_length {
            Some(Verdict::above(
                "gopher.avg_word_length",
                avg,
                c.max_avg_word_length,
                ReasonCode::GopherLongWords,
            ))
        } else if c.max_symbol_word_ratio > 0.0 && hashes > c.max_symbol_word_ratio {
            Some(Verdict::above(
                "gopher.hash_ratio",
                hashes,
                c.max_symbol_word_ratio,
                ReasonCode::GopherHashes,
            ))
        } else if c.max_symbol_word_ratio > 0.0 && ellipses > c.max_symbol_word_ratio {
            Some(Verdict::above(
                "gopher.ellipsis_ratio",
                ellipses,
                c.max_symbol_word_ratio,
                ReasonCode::GopherEllipses,
            ))
        } else if c.max_bullet_lines_ratio > 0.0 && bullets > c.max_bullet_lines_ratio {
            Some(Verdict::above(
                "gopher.bullet_lines",
                bullets,
                c.max_bullet_lines_ratio,
                ReasonCode::GopherBulletLines,
            ))
        } else if c.max_ellipsis_lines_ratio > 0.0 && end_ellipsis > c.max_ellipsis_lines_ratio {
            Some(Verdict::above(
                "gopher.ellipsis_lines",
                end_ellipsis,
                c.max_ellipsis_lines_ratio,
                ReasonCode::GopherEllipsisLines,
            ))
        } else if c.min_alpha_words_ratio > 0.0 && alpha < c.min_alpha_words_ratio {
            Some(Verdict::below(
                "gopher.alpha_words",
                alpha,
                c.min_alpha_words_ratio,
                ReasonCode::GopherAlphaWords,
            ))
        } else if c.min_stop_words > 0 && stop < c.min_stop_words {
            Some(Verdict::below(
                "gopher.stop_words",
                stop as f64,
                c.min_stop_words as f64,
                ReasonCode::GopherStopWords,
            ))
        } else {
            None
        };
        (measures, verdict)
    }
}

impl DocStep for GopherQuality {
    fn name(&self) -> &'static str {
        "gopher-quality"
    }

    fn apply(&self, doc: Document) -> Result<Document, Box<LedgerRow>> {
        let (measures, verdict) = self.judge(&doc.text);
        crate::record(doc, measures, verdict)
    }
}

/// The stage every quality rule's row names.
pub(crate) const STAGE: Stage = Stage::Filter;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repetition_measures_match_datatrove_s_definitions() {
        let keys = |w: &[&str], n: usize, joined: bool| {
            let mut out = Vec::new();
            let g = Ngrams::new(w);
            let mut take = |m: usize, k: &[u128]| {
                if m == n {
                    out = k.to_vec();
                }
            };
            if joined {
                g.each_joined(n, &mut take)
            } else {
                g.each_spaced(n, &mut take)
            }
            (out, w.iter().map(|s| chars(s)).collect::<Vec<_>>())
        };
        let (k, l) = keys(&["a", "b", "a", "b", "a", "b"], 2, false);
        // "a b" three times: 3 characters x 3.
        assert_eq!(top_ngram_chars(&k, &l, 2), Some(9));
        // Ties go to the first n-gram: "x y" (3 chars) and "zzz q" (5) both twice.
        let (k, l) = keys(&["x", "y", "zzz", "q", "x", "y", "zzz", "q"], 2, false);
        assert_eq!(top_ngram_chars(&k, &l, 2), Some(6));
        // 5-grams of 12 words "a b c d e" twice and "f g": the second copy repeats, skipped
        // over whole.
        let d = ["a", "b", "c", "d", "e", "a", "b", "c", "d", "e", "f", "g"];
        let (k, l) = keys(&d, 5, true);
        assert_eq!(duplicate_ngram_chars(&k, &l, 5), 5);
        let (k, l) = keys(&d[..4], 5, true);
        assert_eq!(duplicate_ngram_chars(&k, &l, 5), 0);
        // Joined without spaces, as datatrove joins them: "ab"+"c" repeats "a"+"bc".
        let (k, l) = keys(&["ab", "c", "x", "a", "bc"], 2, true);
        assert_eq!(duplicate_ngram_chars(&k, &l, 2), 3);
    }
}
