//! What a corpus holds, for the people who must answer for it: documents and words by language,
//! domain and licence, the length distribution, the personal data found, the most frequent word
//! pairs, how often identity terms are mentioned and how often they share a sentence with
//! words of violence, crime and other negative lexicons (beside the corpus's base rate), and
//! the consent landscape: which signals refused how many pages and sites, and together with
//! which others.
//!
//! [`Audit`] takes documents and ledger rows one at a time and holds counts only, bounded
//! whatever the corpus's size: languages and licences are few; domains and word pairs are kept
//! by the Space-Saving algorithm (Metwally et al. 2005) in [`TopK`], whose counts are exact for
//! every key that never left it and over-estimate the others by at most the reported `error`.
//!
//! The figures go to `audit.json`; [`crate::audit_page`] draws them as a page.

use crate::ngrams::KeyHasher;
use crate::words::words;
use assent_schemas::{Decision, Document, LedgerRow};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::hash::BuildHasherDefault;

/// A term list with its source.
#[derive(Clone, Debug)]
pub struct Lexicon {
    pub name: String,
    pub source: String,
    /// Lower-cased single words.
    pub terms: Vec<String>,
}

impl Lexicon {
    /// Reads a lexicon file: `# source: ...` first, then one term a line (`#` starts a comment).
    pub fn parse(name: &str, text: &str) -> Lexicon {
        let source = text
            .lines()
            .find_map(|l| l.trim().strip_prefix("# source:"))
            .unwrap_or("")
            .trim()
            .to_string();
        let terms = text
            .lines()
            .map(|l| l.split('#').next().unwrap_or("").trim().to_lowercase())
            .filter(|t| !t.is_empty())
            .collect();
        Lexicon {
            name: name.to_string(),
            source,
            terms,
        }
    }
}

/// The lexicons that ship with Assent (`filter/lexicons/`).
pub fn builtin_lexicons() -> (Vec<Lexicon>, Vec<Lexicon>) {
    let identity = [
        (
            "religion",
            include_str!("../lexicons/identity-religion.txt"),
        ),
        ("gender", include_str!("../lexicons/identity-gender.txt")),
        (
            "nationality",
            include_str!("../lexicons/identity-nationality.txt"),
        ),
        (
            "ethnicity",
            include_str!("../lexicons/identity-ethnicity.txt"),
        ),
    ];
    let negative = [
        (
            "violence",
            include_str!("../lexicons/negative-violence.txt"),
        ),
        ("crime", include_str!("../lexicons/negative-crime.txt")),
        ("negative", include_str!("../lexicons/negative-general.txt")),
    ];
    let load = |l: &[(&str, &str)]| l.iter().map(|(n, t)| Lexicon::parse(n, t)).collect();
    (load(&identity), load(&negative))
}

/// The `k` most frequent keys of a stream, in bounded memory (Space-Saving). A key is known
/// by its 64-bit xxh3 (a collision among 20,000 keys has odds of about 1 in 10^10), so that
/// counting an old key allocates nothing and compares integers. The keys are also ordered by
/// count, so that finding the least counted one, on every new key once full, costs a
/// logarithm, not a pass over them all.
#[derive(Clone, Debug)]
pub struct TopK {
    capacity: usize,
    /// By key hash: count, error, the key.
    counts: HashMap<u64, (u64, u64, String), BuildHasherDefault<KeyHasher>>,
    /// (count, key hash).
    by_count: BTreeSet<(u64, u64)>,
}

impl TopK {
    pub fn new(capacity: usize) -> Self {
        TopK {
            capacity: capacity.max(1),
            counts: HashMap::default(),
            by_count: BTreeSet::new(),
        }
    }

    pub fn add(&mut self, key: &str, n: u64) {
        let h = xxhash_rust::xxh3::xxh3_64(key.as_bytes());
        if let Some(c) = self.counts.get_mut(&h) {
            self.by_count.remove(&(c.0, h));
            c.0 += n;
            self.by_count.insert((c.0, h));
            return;
        }
        let (count, error) = if self.counts.len() < self.capacity {
            (n, 0)
        } else {
            // The least counted key gives its place; its count becomes the newcomer's error.
            let (min, min_key) = self.by_count.pop_first().expect("full, so not empty");
            self.counts.remove(&min_key);
            (min + n, min)
        };
        self.counts.insert(h, (count, error, key.to_string()));
        self.by_count.insert((count, h));
    }

    /// The `k` largest, most first: (key, count, error).
    pub fn top(&self, k: usize) -> Vec<(String, u64, u64)> {
        let mut v: Vec<_> = self
            .counts
            .values()
            .map(|(n, e, key)| (key.clone(), *n, *e))
            .collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        v.truncate(k);
        v
    }
}

#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct Share {
    pub key: String,
    pub documents: u64,
    pub words: u64,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct TermStats {
    pub term: String,
    pub lexicon: String,
    pub mentions: u64,
    pub per_million_words: f64,
    /// Sentences mentioning the term.
    pub sentences: u64,
    /// For each negative lexicon: the share of those sentences that also hold one of its words.
    pub cooccurrence: BTreeMap<String, f64>,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct SignalStats {
    pub signal: String,
    /// Records refused with this signal among their refusing signals.
    pub pages: u64,
    /// Distinct hosts of those records.
    pub sites: u64,
}

/// Records that left the corpus for one reason: how many, and the words of those whose text
/// was read (see [`LedgerRow::words`]).
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct Removal {
    pub decision: String,
    pub reason: String,
    pub records: u64,
    pub words: u64,
    /// Records without a word count (refused before any fetch, failed before any text).
    pub unmeasured: u64,
}

/// The share of the candidate words that refusals removed ("Consent in Crisis", Longpre et
/// al. 2024, reports it for C4): words as [`assent_schemas::candidate_words`] counts them, of
/// every text that reached extraction or would have had consent allowed it.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct ConsentShare {
    pub kept_words: u64,
    /// Dropped by a filter or deduplication.
    pub dropped_words: u64,
    /// Of the refused pages whose text was read (fetched, or in an archive).
    pub refused_words: u64,
    pub refused_measured: u64,
    /// Refused before any fetch (robots.txt and the other site-level signals): their size is
    /// unknown, so the share is a lower bound whenever this is not zero.
    pub refused_unmeasured: u64,
    /// `refused_words / (kept_words + dropped_words + refused_words)`.
    pub share: f64,
}

/// What `audit.json` holds.
#[derive(Clone, Debug, Default, Serialize)]
pub struct AuditReport {
    pub documents: u64,
    pub words: u64,
    pub sentences: u64,
    pub by_language: Vec<Share>,
    /// The 50 domains with most documents (approximate beyond the 10,000 kept: see `error`).
    pub by_domain: Vec<(String, u64, u64)>,
    pub by_licence: Vec<Share>,
    /// Documents by length in words: (at most this many words, documents), doubling buckets.
    pub length_words: Vec<(u64, u64)>,
    /// Personal data replaced, by kind, and the documents that held any.
    pub pii: BTreeMap<String, u64>,
    pub documents_with_pii: u64,
    /// The most frequent pairs of words (lower-cased, letters only), with Space-Saving's error.
    pub top_bigrams: Vec<(String, u64, u64)>,
    /// The lexicons used, with their sources.
    pub lexicons: BTreeMap<String, String>,
    pub identity_terms: Vec<TermStats>,
    /// For each negative lexicon, the share of all sentences that hold one of its words.
    pub base_rates: BTreeMap<String, f64>,
    /// Consent: per refusing signal, and the sets of signals that refused together.
    pub refusals_by_signal: Vec<SignalStats>,
    pub refusal_overlaps: Vec<(Vec<String>, u64)>,
    pub refused_records: u64,
    /// Records that left, by decision and first reason, with their words.
    pub removals: Vec<Removal>,
    pub consent_share: ConsentShare,
}

/// The accumulator (see the module docs).
pub struct Audit {
    identity: Vec<Lexicon>,
    negative: Vec<Lexicon>,
    term_index: HashMap<String, usize>,
    negative_index: HashMap<String, Vec<usize>>,
    report: AuditReport,
    languages: BTreeMap<String, Share>,
    licences: BTreeMap<String, Share>,
    domains: TopK,
    bigrams: TopK,
    lengths: BTreeMap<u64, u64>,
    /// Per identity term: mentions, sentences, sentences with each negative lexicon.
    terms: Vec<(u64, u64, Vec<u64>)>,
    negative_sentences: Vec<u64>,
    signals: BTreeMap<String, (u64, HashSet<u64>)>,
    overlaps: BTreeMap<Vec<String>, u64>,
    removals: BTreeMap<(String, String), Removal>,
}

impl Audit {
    pub fn new(identity: Vec<Lexicon>, negative: Vec<Lexicon>) -> Self {
        let mut term_index = HashMap::new();
        for l in &identity {
            for t in &l.terms {
                let at = term_index.len();
                term_index.entry(t.clone()).or_insert(at);
            }
        }
        let mut negative_index: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, l) in negative.iter().enumerate() {
            for t in &l.terms {
                let e = negative_index.entry(t.clone()).or_default();
                if !e.contains(&i) {
                    e.push(i);
                }
            }
        }
        let n_neg = negative.len();
        let terms = vec![(0, 0, vec![0; n_neg]); term_index.len()];
        Audit {
            report: AuditReport {
                lexicons: identity
                    .iter()
                    .chain(&negative)
                    .map(|l| (l.name.clone(), l.source.clone()))
                    .collect(),
                ..AuditReport::default()
            },
            identity,
            negative,
            term_index,
            negative_index,
            languages: BTreeMap::new(),
            licences: BTreeMap::new(),
            domains: TopK::new(10_000),
            bigrams: TopK::new(20_000),
            lengths: BTreeMap::new(),
            terms,
            negative_sentences: vec![0; n_neg],
            signals: BTreeMap::new(),
            overlaps: BTreeMap::new(),
            removals: BTreeMap::new(),
        }
    }

    pub fn add_document(&mut self, doc: &Document) {
        // The text lower-cased once, then cut into tokens; the words are those with a letter.
        let text = doc.text.to_lowercase();
        let tokens: Vec<&str> = words(&text);
        let lower: Vec<&str> = tokens
            .iter()
            .copied()
            .filter(|t| t.chars().any(char::is_alphabetic))
            .collect();
        let n = lower.len() as u64;
        let r = &mut self.report;
        r.documents += 1;
        r.words += n;
        r.consent_share.kept_words += assent_schemas::candidate_words(&doc.text);
        let share = |map: &mut BTreeMap<String, Share>, key: String| {
            let s = map.entry(key.clone()).or_insert(Share {
                key,
                ..Share::default()
            });
            s.documents += 1;
            s.words += n;
        };
        share(
            &mut self.languages,
            doc.lang.clone().unwrap_or_else(|| "unknown".into()),
        );
        share(
            &mut self.licences,
            doc.licence
                .as_ref()
                .map_or_else(|| "none".to_string(), |l| l.spdx.clone()),
        );
        self.domains.add(&doc.host, 1);
        let bucket = n.max(1).next_power_of_two();
        *self.lengths.entry(bucket).or_default() += 1;
        let mut any_pii = false;
        for (name, v) in &doc.quality {
            if let Some(kind) = name.strip_prefix("pii.") {
                *r.pii.entry(kind.to_string()).or_default() += *v as u64;
                any_pii |= *v > 0.0;
            }
        }
        r.documents_with_pii += u64::from(any_pii);
        let mut pair_key = String::new();
        for pair in lower.windows(2) {
            if pair.iter().all(|w| w.chars().all(char::is_alphabetic)) {
                pair_key.clear();
                pair_key.push_str(pair[0]);
                pair_key.push(' ');
                pair_key.push_str(pair[1]);
                self.bigrams.add(&pair_key, 1);
            }
        }
        self.sentences(&tokens);
    }

    /// Identity terms and negative words, sentence by sentence (a sentence ends at a `.`, `!`
    /// or `?` token); `tokens` are lower-cased.
    fn sentences(&mut self, tokens: &[&str]) {
        let mut terms: Vec<usize> = Vec::new();
        let mut negatives = vec![false; self.negative.len()];
        let flush = |this: &mut Self, terms: &mut Vec<usize>, negatives: &mut Vec<bool>| {
            this.report.sentences += 1;
            for (i, &n) in negatives.iter().enumerate() {
                this.negative_sentences[i] += u64::from(n);
            }
            terms.sort_unstable();
            terms.dedup();
            for &t in terms.iter() {
                let s = &mut this.terms[t];
                s.1 += 1;
                for (i, &n) in negatives.iter().enumerate() {
                    s.2[i] += u64::from(n);
                }
            }
            terms.clear();
            negatives.iter_mut().for_each(|n| *n = false);
        };
        let mut open = false;
        for t in tokens {
            if matches!(*t, "." | "!" | "?") {
                if open {
                    flush(self, &mut terms, &mut negatives);
                    open = false;
                }
                continue;
            }
            open = true;
            if let Some(&i) = self.term_index.get(*t) {
                self.terms[i].0 += 1;
                terms.push(i);
            }
            if let Some(lex) = self.negative_index.get(*t) {
                for &i in lex {
                    negatives[i] = true;
                }
            }
        }
        if open {
            flush(self, &mut terms, &mut negatives);
        }
    }

    /// A ledger row of a record that left: by its reason, with its words; refusals also count
    /// in the consent landscape. (`kept` rows say nothing the shards do not.)
    pub fn add_row(&mut self, row: &LedgerRow) {
        if row.decision == Decision::Kept {
            return;
        }
        let reason = row
            .reasons
            .first()
            .map_or("none", |r| r.as_str())
            .to_string();
        let decision = row.decision.as_str().to_string();
        let removal = self
            .removals
            .entry((decision.clone(), reason.clone()))
            .or_insert(Removal {
                decision,
                reason,
                ..Removal::default()
            });
        removal.records += 1;
        match row.words {
            Some(w) => removal.words += w,
            None => removal.unmeasured += 1,
        }
        let share = &mut self.report.consent_share;
        match (row.decision, row.words) {
            (Decision::Refused, Some(w)) => {
                share.refused_words += w;
                share.refused_measured += 1;
            }
            (Decision::Refused, None) => share.refused_unmeasured += 1,
            (_, w) => share.dropped_words += w.unwrap_or(0),
        }
        if row.decision != Decision::Refused {
            return;
        }
        self.report.refused_records += 1;
        let mut signals: Vec<String> = serde_json::from_str::<serde_json::Value>(&row.evidence)
            .ok()
            .and_then(|v| v.get("signals").and_then(|s| s.as_array().cloned()))
            .unwrap_or_default()
            .iter()
            .filter(|s| s.get("verdict").and_then(|v| v.as_str()) == Some("refuse"))
            .filter_map(|s| s.get("signal").and_then(|v| v.as_str()).map(str::to_string))
            .collect();
        if signals.is_empty() {
            signals = row.reasons.iter().map(|r| r.as_str().to_string()).collect();
        }
        signals.sort();
        signals.dedup();
        let host = row
            .url
            .as_deref()
            .map(assent_schemas::host_of)
            .unwrap_or_default();
        let host_key = xxhash_rust::xxh3::xxh3_64(host.as_bytes());
        for s in &signals {
            let e = self.signals.entry(s.clone()).or_default();
            e.0 += 1;
            e.1.insert(host_key);
        }
        *self.overlaps.entry(signals).or_default() += 1;
    }

    pub fn finish(mut self) -> AuditReport {
        let mut r = std::mem::take(&mut self.report);
        let by = |m: BTreeMap<String, Share>| {
            let mut v: Vec<Share> = m.into_values().collect();
            v.sort_by(|a, b| b.documents.cmp(&a.documents).then(a.key.cmp(&b.key)));
            v
        };
        r.by_language = by(std::mem::take(&mut self.languages));
        r.by_licence = by(std::mem::take(&mut self.licences));
        r.by_domain = self.domains.top(50);
        r.top_bigrams = self.bigrams.top(25);
        r.length_words = self.lengths.iter().map(|(&k, &v)| (k, v)).collect();
        let sentences = r.sentences.max(1) as f64;
        r.base_rates = self
            .negative
            .iter()
            .zip(&self.negative_sentences)
            .map(|(l, &n)| (l.name.clone(), n as f64 / sentences))
            .collect();
        let mut names: Vec<(String, String)> = Vec::new();
        for l in &self.identity {
            for t in &l.terms {
                if !names.iter().any(|(n, _)| n == t) {
                    names.push((t.clone(), l.name.clone()));
                }
            }
        }
        let words = r.words.max(1) as f64;
        r.identity_terms = names
            .into_iter()
            .map(|(term, lexicon)| {
                let (mentions, sentences, with) = &self.terms[self.term_index[&term]];
                TermStats {
                    per_million_words: *mentions as f64 * 1e6 / words,
                    cooccurrence: self
                        .negative
                        .iter()
                        .zip(with)
                        .map(|(l, &n)| (l.name.clone(), n as f64 / (*sentences).max(1) as f64))
                        .collect(),
                    term,
                    lexicon,
                    mentions: *mentions,
                    sentences: *sentences,
                }
            })
            .collect();
        r.refusals_by_signal = self
            .signals
            .into_iter()
            .map(|(signal, (pages, hosts))| SignalStats {
                signal,
                pages,
                sites: hosts.len() as u64,
            })
            .collect();
        r.refusals_by_signal
            .sort_by_key(|s| std::cmp::Reverse(s.pages));
        let mut overlaps: Vec<_> = self.overlaps.into_iter().collect();
        overlaps.sort_by_key(|o| std::cmp::Reverse(o.1));
        r.refusal_overlaps = overlaps;
        r.removals = self.removals.into_values().collect();
        r.removals.sort_by_key(|x| std::cmp::Reverse(x.records));
        let c = &mut r.consent_share;
        c.share = c.refused_words as f64
            / (c.kept_words + c.dropped_words + c.refused_words).max(1) as f64;
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use assent_schemas::{Consent, Dedup, Source, SourceKind};

    fn doc(host: &str, lang: &str, text: &str) -> Document {
        Document {
            doc_id: format!("{host}{}", text.len()),
            url: format!("https://{host}/"),
            host: host.into(),
            source: Source {
                kind: SourceKind::Jsonl,
                file: None,
                record_id: None,
                offset: None,
            },
            fetched_at: None,
            http_status: None,
            content_type: None,
            text: text.into(),
            text_hash: String::new(),
            lang: Some(lang.into()),
            lang_score: None,
            script: None,
            licence: None,
            consent: Consent::default(),
            quality: [("pii.email".to_string(), 2.0)].into_iter().collect(),
            dedup: Dedup::default(),
            pipeline_version: "t".into(),
        }
    }

    fn lexicon(name: &str, terms: &[&str]) -> Lexicon {
        Lexicon {
            name: name.into(),
            source: "test".into(),
            terms: terms.iter().map(|t| t.to_string()).collect(),
        }
    }

    #[test]
    fn counts_terms_and_their_company_sentence_by_sentence() {
        let mut a = Audit::new(
            vec![lexicon("group", &["alphans", "betans"])],
            vec![lexicon("violence", &["attack", "riot"])],
        );
        a.add_document(&doc(
            "a.example",
            "en",
            "The alphans met the betans. The alphans planned an attack. Nothing happened today.",
        ));
        a.add_document(&doc(
            "b.example",
            "de",
            "Die betans lesen. Ein riot war nicht.",
        ));
        let r = a.finish();
        assert_eq!((r.documents, r.sentences), (2, 5));
        let alphans = r
            .identity_terms
            .iter()
            .find(|t| t.term == "alphans")
            .unwrap();
        assert_eq!((alphans.mentions, alphans.sentences), (2, 2));
        assert_eq!(alphans.cooccurrence["violence"], 0.5);
        let betans = r
            .identity_terms
            .iter()
            .find(|t| t.term == "betans")
            .unwrap();
        assert_eq!(betans.cooccurrence["violence"], 0.0);
        // Two of five sentences hold a violence word.
        assert_eq!(r.base_rates["violence"], 0.4);
        // One document each: the tie goes to the key that sorts first.
        assert_eq!(r.by_language[0].key, "de");
        assert_eq!(r.pii["email"], 4);
        assert_eq!(r.documents_with_pii, 2);
    }

    #[test]
    fn the_consent_landscape_counts_pages_sites_and_overlaps() {
        use assent_schemas::{ReasonCode, Stage};
        let refused = |url: &str, signals: &[&str]| {
            let signals: Vec<_> = signals
                .iter()
                .map(|s| serde_json::json!({"signal": s, "verdict": "refuse", "reason": "x"}))
                .chain([serde_json::json!({"signal": "licence", "verdict": "neutral"})])
                .collect();
            LedgerRow::left(
                Some(url.into()),
                None,
                Source {
                    kind: SourceKind::Crawl,
                    file: None,
                    record_id: None,
                    offset: None,
                },
                Stage::Consent,
                ReasonCode::RobotsAiTokenDisallow,
                serde_json::json!({ "signals": signals }),
            )
        };
        let mut a = Audit::new(Vec::new(), Vec::new());
        a.add_row(&refused(
            "https://a.example/1",
            &["robots.ai-token", "tdmrep.well-known"],
        ));
        a.add_row(&refused("https://a.example/2", &["robots.ai-token"]));
        a.add_row(&refused(
            "https://b.example/1",
            &["robots.ai-token", "tdmrep.well-known"],
        ));
        let r = a.finish();
        assert_eq!(r.refused_records, 3);
        let ai = &r.refusals_by_signal[0];
        assert_eq!(
            (ai.signal.as_str(), ai.pages, ai.sites),
            ("robots.ai-token", 3, 2)
        );
        let both = vec![
            "robots.ai-token".to_string(),
            "tdmrep.well-known".to_string(),
        ];
        assert_eq!(r.refusal_overlaps[0], (both, 2));
    }

    #[test]
    fn the_consent_share_counts_the_words_of_what_refusals_removed() {
        use assent_schemas::{ReasonCode, Stage};
        let row = |reason: ReasonCode, words: Option<u64>| {
            LedgerRow::left(
                Some("https://a.example/x".into()),
                None,
                doc("a.example", "en", "").source,
                Stage::Consent,
                reason,
                serde_json::json!({}),
            )
            .with_words(words)
        };
        let mut a = Audit::new(Vec::new(), Vec::new());
        // Kept: six words.
        a.add_document(&doc("a.example", "en", "one two three four five six"));
        a.add_row(&row(ReasonCode::NoaiMeta, Some(10)));
        a.add_row(&row(ReasonCode::RobotsDisallow, None));
        a.add_row(&row(ReasonCode::GopherStopWords, Some(4)));
        let r = a.finish();
        let c = &r.consent_share;
        assert_eq!((c.kept_words, c.dropped_words, c.refused_words), (6, 4, 10));
        assert_eq!((c.refused_measured, c.refused_unmeasured), (1, 1));
        assert_eq!(c.share, 0.5);
        let robots = r
            .removals
            .iter()
            .find(|x| x.reason == "robots.disallow")
            .unwrap();
        assert_eq!((robots.records, robots.words, robots.unmeasured), (1, 0, 1));
        assert_eq!(r.removals.len(), 3);
    }

    #[test]
    fn top_k_is_exact_for_the_frequent_and_bounded() {
        let mut t = TopK::new(3);
        for (k, n) in [("a", 10), ("b", 5), ("c", 1), ("d", 1), ("e", 1), ("a", 1)] {
            t.add(k, n);
        }
        let top = t.top(2);
        assert_eq!((top[0].0.as_str(), top[0].1, top[0].2), ("a", 11, 0));
        assert_eq!((top[1].0.as_str(), top[1].1), ("b", 5));
        assert!(t.counts.len() <= 3);
        assert_eq!(t.by_count.len(), t.counts.len());
    }
}
