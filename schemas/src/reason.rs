//! Reason codes, decisions and stage names: the closed vocabulary of the ledger.
//!
//! A reason code's dotted name is part of the data format: it is written into ledgers and
//! manifests and queried by people outside the project. Never rename one; add a new code and
//! retire the old one instead. `schemas/README.md` documents each code.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// What happened to a URL or record at one stage.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Decision {
    /// Written to a shard.
    Kept,
    /// Left out by a quality, language or dedup rule.
    Dropped,
    /// Left out because its owner said no (or did not say yes where a yes is required).
    Refused,
    /// Could not be read or processed.
    Failed,
}

impl Decision {
    pub const ALL: [Decision; 4] = [Self::Kept, Self::Dropped, Self::Refused, Self::Failed];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Kept => "kept",
            Self::Dropped => "dropped",
            Self::Refused => "refused",
            Self::Failed => "failed",
        }
    }
}

impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Decision {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|d| d.as_str() == s)
            .ok_or_else(|| format!("unknown decision {s:?}"))
    }
}

/// The pipeline stage that made a ledger decision.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Stage {
    /// Reading WARC, Parquet or JSONL input.
    Input,
    /// Fetching over HTTP.
    Fetch,
    /// Consent and licence checks.
    Consent,
    /// HTML to text.
    Extract,
    /// Language and quality filters.
    Filter,
    /// Duplicate removal.
    Dedup,
    /// Writing shards.
    Output,
}

impl Stage {
    pub const ALL: [Stage; 7] = [
        Self::Input,
        Self::Fetch,
        Self::Consent,
        Self::Extract,
        Self::Filter,
        Self::Dedup,
        Self::Output,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Input => "input",
            Self::Fetch => "fetch",
            Self::Consent => "consent",
            Self::Extract => "extract",
            Self::Filter => "filter",
            Self::Dedup => "dedup",
            Self::Output => "output",
        }
    }
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Stage {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|d| d.as_str() == s)
            .ok_or_else(|| format!("unknown stage {s:?}"))
    }
}

macro_rules! reason_codes {
    ($( $(#[doc = $doc:literal])* $variant:ident = $name:literal, $decision:ident; )*) => {
        /// Why a URL or record left the pipeline (or, for a few codes, a note on one that stayed).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum ReasonCode {
            $( $(#[doc = $doc])* $variant, )*
        }

        impl ReasonCode {
            /// Every code, in documentation order.
            pub const ALL: &'static [ReasonCode] = &[ $( Self::$variant, )* ];

            /// The stable dotted name written into ledgers and manifests.
            pub fn as_str(self) -> &'static str {
                match self { $( Self::$variant => $name, )* }
            }

            /// The decision a row carrying this code takes.
            pub fn decision(self) -> Decision {
                match self { $( Self::$variant => Decision::$decision, )* }
            }

            /// The one-line description used in `schemas/README.md` and `assent reasons`.
            pub fn description(self) -> &'static str {
                match self { $( Self::$variant => concat!($($doc),*).trim_ascii(), )* }
            }
        }
    };
}

reason_codes! {
    /// A record or line that could not be parsed; evidence names the file and byte offset.
    InputMalformed = "input.malformed", Failed;
    /// A WARC record that holds no page: warcinfo, request, metadata, revisit, continuation, or a site file (robots.txt, ai.txt, tdmrep.json), which consent reads instead.
    InputNotContent = "input.not-content", Dropped;
    /// A record whose HTTP status is not 200.
    InputHttpStatus = "input.http-status", Dropped;
    /// A payload whose media type is not HTML or plain text.
    InputUnsupportedType = "input.unsupported-type", Dropped;
    /// A payload that could not be decoded to text (unknown or broken charset, binary data).
    InputUndecodable = "input.undecodable", Failed;
    /// A record without a text column value (Parquet or JSONL input).
    InputNoText = "input.no-text", Dropped;
    /// The extractor found no text in the page.
    ExtractEmpty = "extract.empty", Dropped;
    /// The page's language is not in the configured list.
    LangNotAllowed = "lang.not-allowed", Dropped;
    /// The language identifier's confidence is under the configured minimum.
    LangLowConfidence = "lang.low-confidence", Dropped;
    /// A per-document step failed on this record (a bug in Assent: the evidence names the step and its message); the run went on.
    StepFailed = "pipeline.step-failed", Failed;
    /// The text is empty or blank after the quality steps.
    QualityEmpty = "quality.empty", Dropped;
    /// Gopher repetition: too many of the paragraphs are repeats of an earlier one (`[quality.gopher_repetition] dup_para_frac`).
    GopherDupParaFrac = "gopher.dup-para-frac", Dropped;
    /// Gopher repetition: too many of the characters are in repeated paragraphs (`dup_para_char_frac`).
    GopherDupParaCharFrac = "gopher.dup-para-char-frac", Dropped;
    /// Gopher repetition: too many of the lines are repeats of an earlier one (`dup_line_frac`).
    GopherDupLineFrac = "gopher.dup-line-frac", Dropped;
    /// Gopher repetition: too many of the characters are in repeated lines (`dup_line_char_frac`).
    GopherDupLineCharFrac = "gopher.dup-line-char-frac", Dropped;
    /// Gopher repetition: the most frequent word 2-gram covers too much of the text (`top_2_gram`).
    GopherTop2Gram = "gopher.top-2-gram", Dropped;
    /// Gopher repetition: the most frequent word 3-gram covers too much of the text (`top_3_gram`).
    GopherTop3Gram = "gopher.top-3-gram", Dropped;
    /// Gopher repetition: the most frequent word 4-gram covers too much of the text (`top_4_gram`).
    GopherTop4Gram = "gopher.top-4-gram", Dropped;
    /// Gopher repetition: repeated word 5-grams cover too much of the text (`dup_5_gram`).
    GopherDup5Gram = "gopher.dup-5-gram", Dropped;
    /// Gopher repetition: repeated word 6-grams cover too much of the text (`dup_6_gram`).
    GopherDup6Gram = "gopher.dup-6-gram", Dropped;
    /// Gopher repetition: repeated word 7-grams cover too much of the text (`dup_7_gram`).
    GopherDup7Gram = "gopher.dup-7-gram", Dropped;
    /// Gopher repetition: repeated word 8-grams cover too much of the text (`dup_8_gram`).
    GopherDup8Gram = "gopher.dup-8-gram", Dropped;
    /// Gopher repetition: repeated word 9-grams cover too much of the text (`dup_9_gram`).
    GopherDup9Gram = "gopher.dup-9-gram", Dropped;
    /// Gopher repetition: repeated word 10-grams cover too much of the text (`dup_10_gram`).
    GopherDup10Gram = "gopher.dup-10-gram", Dropped;
    /// Gopher quality: fewer words than `[quality.gopher_quality] min_doc_words`.
    GopherShortDoc = "gopher.short-doc", Dropped;
    /// Gopher quality: more words than `max_doc_words`.
    GopherLongDoc = "gopher.long-doc", Dropped;
    /// Gopher quality: mean word length under `min_avg_word_length`.
    GopherShortWords = "gopher.short-words", Dropped;
    /// Gopher quality: mean word length over `max_avg_word_length`.
    GopherLongWords = "gopher.long-words", Dropped;
    /// Gopher quality: too many `#` per word (`max_symbol_word_ratio`).
    GopherHashes = "gopher.hashes", Dropped;
    /// Gopher quality: too many ellipses per word (`max_symbol_word_ratio`).
    GopherEllipses = "gopher.ellipses", Dropped;
    /// Gopher quality: too many lines start with a bullet (`max_bullet_lines_ratio`).
    GopherBulletLines = "gopher.bullet-lines", Dropped;
    /// Gopher quality: too many lines end with an ellipsis (`max_ellipsis_lines_ratio`).
    GopherEllipsisLines = "gopher.ellipsis-lines", Dropped;
    /// Gopher quality: too few words hold a letter (`min_alpha_words_ratio`).
    GopherAlphaWords = "gopher.alpha-words", Dropped;
    /// Gopher quality: fewer distinct stop words than `min_stop_words`.
    GopherStopWords = "gopher.stop-words", Dropped;
    /// C4: a kept line says "lorem ipsum".
    C4LoremIpsum = "c4.lorem-ipsum", Dropped;
    /// C4: a kept line holds a curly bracket.
    C4CurlyBracket = "c4.curly-bracket", Dropped;
    /// C4: fewer sentences than `[quality.c4] min_sentences` in the lines it keeps.
    C4FewSentences = "c4.few-sentences", Dropped;
    /// FineWeb: too few lines end in terminal punctuation (`[quality.fineweb] line_punct_thr`).
    FinewebLinePunct = "fineweb.line-punct", Dropped;
    /// FineWeb: too many short lines (`short_line_thr`).
    FinewebShortLines = "fineweb.short-lines", Dropped;
    /// FineWeb: too many characters in repeated lines (`char_duplicates_ratio`).
    FinewebCharDup = "fineweb.char-dup", Dropped;
    /// FineWeb: too many line breaks per word (`new_line_ratio`).
    FinewebListRatio = "fineweb.list-ratio", Dropped;
    /// The same normalised text was already kept; evidence names the kept document.
    DedupExact = "dedup.exact", Dropped;
    /// An earlier fetch of the same (canonical) URL was kept; evidence names it.
    DedupUrl = "dedup.url", Dropped;
    /// A near-duplicate (MinHash LSH) of the document its cluster kept; evidence names it.
    DedupNear = "dedup.near", Dropped;
    /// robots.txt disallows our own crawler token for this URL: never fetched.
    RobotsDisallow = "robots.disallow", Refused;
    /// robots.txt answered 5xx or 429, or could not be reached: the whole origin is off limits.
    RobotsUnreachable = "robots.unreachable", Refused;
    /// robots.txt disallows an AI-training crawler token for this URL and names no group of ours.
    RobotsAiTokenDisallow = "robots.ai-token-disallow", Refused;
    /// An IETF AI preference (robots.txt Content-Usage or the Content-Usage header) says train-ai=n.
    AiprefTrainAiN = "aipref.train-ai-n", Refused;
    /// A robots.txt Content-Signal line says ai-train=no.
    ContentSignalAiTrainNo = "content-signal.ai-train-no", Refused;
    /// TDMRep reserves text and data mining rights (tdmrep.json, header or meta).
    TdmrepReserved = "tdmrep.reserved", Refused;
    /// `noai` in a robots meta tag.
    NoaiMeta = "noai.meta", Refused;
    /// `noai` in an X-Robots-Tag header.
    NoaiHeader = "noai.header", Refused;
    /// The site's ai.txt disallows this path or file type.
    AiTxtDisallow = "ai-txt.disallow", Refused;
    /// The page's RSL licence does not permit ai-train.
    RslNotPermitted = "rsl.not-permitted", Refused;
    /// An RSL licence is named but could not be fetched or read: no permission.
    RslUnavailable = "rsl.unavailable", Refused;
    /// The domain or URL is in the opt-out registry.
    RegistryOptOut = "registry.opt-out", Refused;
    /// Policy open-licence-only and the page has no allowed licence.
    LicenceNotAllowed = "licence.not-allowed", Refused;
    /// Policy open-licence-only and the page's licence is not believed: fewer of its domain's pages carry it than `[licence] min_domain_share`; evidence gives the share.
    LicenceDomainShareLow = "licence.domain-share-low", Refused;
    /// The URL could not be parsed or has a scheme other than http or https.
    FetchBadUrl = "fetch.bad-url", Failed;
    /// The address resolved is loopback, private, link-local, multicast or cloud metadata.
    FetchBlockedAddress = "fetch.blocked-address", Refused;
    /// The body is larger than the body cap.
    FetchTooLarge = "fetch.too-large", Dropped;
    /// The body decompresses to more than the decompression cap.
    FetchDecompressedTooLarge = "fetch.decompressed-too-large", Dropped;
    /// The server did not answer within the timeout.
    FetchTimeout = "fetch.timeout", Failed;
    /// DNS, connection, TLS or protocol failure.
    FetchNetwork = "fetch.network", Failed;
    /// The final response's status is not 200 (after redirects and retries).
    FetchHttpStatus = "fetch.http-status", Dropped;
    /// More than five redirects, or a redirect loop.
    FetchTooManyRedirects = "fetch.too-many-redirects", Failed;
    /// The crawl stopped (page or depth limit) before this URL was fetched.
    FetchNotReached = "fetch.not-reached", Dropped;
    /// The host's time budget for one URL (`crawl.url_budget_secs`: politeness waits, retries, Retry-After, redirects) was spent before a response; evidence gives the budget and what used it.
    FetchTimeBudget = "fetch.time-budget", Failed;
    /// The URL redirected; the page it led to has its own row (kept under its final URL), which this row's evidence names with the redirect chain.
    FetchRedirected = "fetch.redirected", Dropped;
    /// Policy `[consent] unchecked = "refuse"` and consent could not be checked: no site files for the host (archive mode, or a live check with no answer and none archived), or text input without headers and markup.
    ConsentUnchecked = "consent.unchecked", Refused;
}

impl fmt::Display for ReasonCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ReasonCode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Self::ALL
            .iter()
            .copied()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| format!("unknown reason code {s:?}"))
    }
}

impl Serialize for ReasonCode {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for ReasonCode {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn names_are_unique_dotted_and_round_trip() {
        let mut seen = HashSet::new();
        for &code in ReasonCode::ALL {
            let name = code.as_str();
            assert!(seen.insert(name), "duplicate reason name {name}");
            let (family, rest) = name.split_once('.').expect("dotted name");
            assert!(!family.is_empty() && !rest.is_empty(), "{name}");
            assert!(
                name.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-'),
                "{name} has characters outside [a-z0-9.-]"
            );
            assert_eq!(name.parse::<ReasonCode>().unwrap(), code);
            assert!(!code.description().is_empty(), "{name} has no description");
            assert_ne!(
                code.decision(),
                Decision::Kept,
                "{name}: a reason never keeps"
            );
        }
        assert!("no.such-code".parse::<ReasonCode>().is_err());
    }

    #[test]
    fn serde_uses_dotted_names() {
        let json = serde_json::to_string(&[ReasonCode::DedupExact]).unwrap();
        assert_eq!(json, r#"["dedup.exact"]"#);
        let back: Vec<ReasonCode> = serde_json::from_str(&json).unwrap();
        assert_eq!(back, vec![ReasonCode::DedupExact]);
        assert!(serde_json::from_str::<ReasonCode>(r#""robots.nonsense""#).is_err());
    }

    #[test]
    fn schema_readme_documents_every_code() {
        let readme = include_str!("../README.md");
        for &code in ReasonCode::ALL {
            assert!(
                readme.contains(&format!("`{}`", code.as_str())),
                "README misses {code}"
            );
        }
    }
}
