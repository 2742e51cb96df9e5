//! IETF AI preferences (draft-ietf-aipref-vocab, draft-ietf-aipref-attach): the
//! `Content-Usage` HTTP response header, whose value is an RFC 9651 Dictionary such as
//! `train-ai=n` or `train-ai=y, search=y`, with the tokens `y` (allowed) and `n` (disallowed).
//! robots.txt `Content-Usage` lines carry the same value and can reuse [`parse_usage`].
//!
//! Readings chosen:
//! - The field is parsed with `sfv`; a value that is not a valid Dictionary is ignored as a
//!   whole (RFC 9651 §4.2: parsing failure discards the field) → a `Neutral` signal recording
//!   the raw value. Keys we do not know and values other than the tokens `y`/`n` are ignored.
//! - The vocabulary is a hierarchy: a preference for a category applies to the categories it
//!   contains unless they carry their own preference, so the most specific stated preference
//!   wins. Assent trains generative language models, so its use is "generative AI training"
//!   (`train-genai`, in the drafts that have it), inside "AI training" (`train-ai`), inside
//!   "automated processing" (`bots`, earlier `all`). We resolve: `train-genai` if stated, else
//!   `train-ai`, else `bots`, else `all`. `search` and `ai-use` (use at inference time) are
//!   siblings of `train-ai`, not parents, and say nothing about training.
//! - A `n` anywhere on that chain that wins the resolution → `Refuse(aipref.train-ai-n)`;
//!   `y` → `Allow`; nothing on the chain → `Neutral` ("unknown").

use super::{Signal, Verdict};
use assent_schemas::ReasonCode;
use sfv::{BareItem, Dictionary, ListEntry, Parser};

/// Longest header value parsed; longer values are treated as malformed.
pub const MAX_VALUE: usize = 16 * 1024;

/// The preferences of one Content-Usage value: `Some(true)` = `y`, `Some(false)` = `n`,
/// `None` = not stated (or not a `y`/`n` token).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Usage {
    /// `train-ai`: AI training.
    pub train_ai: Option<bool>,
    /// `train-genai`: generative AI training (within `train-ai`).
    pub train_genai: Option<bool>,
    /// `search`.
    pub search: Option<bool>,
    /// `ai-use`: use of the asset as input to an AI model at inference.
    pub ai_use: Option<bool>,
    /// `bots` (later drafts) / `all` (earlier drafts): all automated processing.
    pub bots: Option<bool>,
    /// `all`, kept apart from `bots` in case both appear.
    pub all: Option<bool>,
}

impl Usage {
    /// The preference that governs Assent's use (generative AI training), following the
    /// hierarchy from the most specific category to the broadest.
    pub fn training(&self) -> Option<bool> {
        self.train_genai
            .or(self.train_ai)
            .or(self.bots)
            .or(self.all)
    }

    /// The key whose preference [`Usage::training`] used, for evidence.
    pub fn training_key(&self) -> Option<&'static str> {
        [
            (self.train_genai, "train-genai"),
            (self.train_ai, "train-ai"),
            (self.bots, "bots"),
            (self.all, "all"),
        ]
        .into_iter()
        .find(|(v, _)| v.is_some())
        .map(|(_, k)| k)
    }
}

/// Parse a Content-Usage value; `None` when it is not a valid RFC 9651 Dictionary.
pub fn parse_usage(value: &str) -> Option<Usage> {
    if value.len() > MAX_VALUE {
        return None;
    }
    let dict: Dictionary = Parser::new(value.trim()).parse().ok()?;
    let mut u = Usage::default();
    for (key, entry) in dict.iter() {
        let ListEntry::Item(item) = entry else {
            continue;
        };
        let flag = match &item.bare_item {
            BareItem::Token(t) => match t.as_str() {
                "y" => Some(true),
                "n" => Some(false),
                _ => None,
            },
            _ => None,
        };
        let slot = match key.as_str() {
            "train-ai" => &mut u.train_ai,
            "train-genai" => &mut u.train_genai,
            "search" => &mut u.search,
            "ai-use" => &mut u.ai_use,
            "bots" => &mut u.bots,
            "all" => &mut u.all,
            _ => continue,
        };
        *slot = flag;
    }
    Some(u)
}

/// The verdict a parsed usage gives for training.
pub fn verdict(u: &Usage) -> Verdict {
    match u.training() {
        Some(false) => Verdict::Refuse(ReasonCode::AiprefTrainAiN),
        Some(true) => Verdict::Allow,
        None => Verdict::Neutral,
    }
}

/// The signal of one `Content-Usage` response header value.
pub fn header_signal(value: &str, found_in: &str) -> Signal {
    let v = parse_usage(value)
        .map(|u| verdict(&u))
        .unwrap_or(Verdict::Neutral);
    Signal::new("aipref.header", found_in, value, v)
}

#[cfg(test)]
mod tests {
    use super::*;

    const N: Verdict = Verdict::Refuse(ReasonCode::AiprefTrainAiN);

    fn v(s: &str) -> Verdict {
        header_signal(s, "content-usage").verdict
    }

    #[test]
    fn basic_values() {
        assert_eq!(v("train-ai=n"), N);
        assert_eq!(v("train-ai=y"), Verdict::Allow);
        assert_eq!(v("train-ai=y, search=y"), Verdict::Allow);
        assert_eq!(v("search=n, train-ai=n"), N);
        assert_eq!(v("  train-ai=n  "), N);
        let s = header_signal("train-ai=n", "content-usage");
        assert_eq!(s.signal, "aipref.header");
        assert_eq!(s.raw, "train-ai=n");
    }

    #[test]
    fn hierarchy() {
        // The most specific stated category wins.
        assert_eq!(v("train-genai=n"), N);
        assert_eq!(v("train-ai=y, train-genai=n"), N);
        assert_eq!(v("train-ai=n, train-genai=y"), Verdict::Allow);
        assert_eq!(v("bots=n"), N);
        assert_eq!(v("bots=n, train-ai=y"), Verdict::Allow);
        assert_eq!(v("all=n"), N);
        // Siblings of train-ai say nothing about training.
        assert_eq!(v("search=n"), Verdict::Neutral);
        assert_eq!(v("ai-use=n"), Verdict::Neutral);
    }

    #[test]
    fn unknown_and_malformed_are_neutral_with_raw() {
        for bad in [
            "",
            "train-ai",       // boolean true, not a y/n token
            "train-ai=?0",    // boolean, not a token
            "train-ai=no",    // unknown token
            "train-ai=\"n\"", // string
            "Train-AI=n",     // keys are lower case in RFC 9651: the field is invalid
            "train-ai=n;;",
            "train-ai=(n y)",
            "foo=n",
            "=====",
            "train-ai=n, \u{0}",
        ] {
            let s = header_signal(bad, "content-usage");
            assert_eq!(s.verdict, Verdict::Neutral, "{bad:?}");
            assert_eq!(s.raw, bad);
        }
    }

    #[test]
    fn duplicate_keys_last_wins() {
        // RFC 9651 §4.2.2: a later member overwrites an earlier one.
        assert_eq!(v("train-ai=n, train-ai=y"), Verdict::Allow);
    }

    #[test]
    fn parse_usage_fields() {
        let u = parse_usage("train-ai=n, search=y;foo=1").unwrap();
        assert_eq!(u.train_ai, Some(false));
        assert_eq!(u.search, Some(true));
        assert_eq!(u.training_key(), Some("train-ai"));
        assert!(parse_usage("(((").is_none());
    }

    #[test]
    fn huge_values_never_panic() {
        let huge = "train-ai=n, ".repeat(100_000);
        assert_eq!(v(&huge), Verdict::Neutral);
        let s = header_signal(&huge, "content-usage");
        assert!(s.raw.len() <= super::super::MAX_RAW);
        let nested = "a=".to_string() + &"(".repeat(5000);
        assert_eq!(v(&nested), Verdict::Neutral);
        let ok_long = format!("x{}=y, train-ai=n", "a".repeat(5000));
        let _ = v(&ok_long);
    }
}
