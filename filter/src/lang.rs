//! Language identification with `whatlang`, on a bounded sample of each document.
//!
//! whatlang reads about 1.7 MB/s on one core, so a 1 MB page would cost more than everything
//! else the pipeline does to it. Its trigram model settles well before 2,000 characters, so we
//! detect on a sample: the first [`SAMPLE_CHARS`] characters taken from the middle of the
//! document, where navigation remnants and headers are rarest.

use assent_schemas::{DocStep, Document, LedgerRow, ReasonCode, Stage};

/// Characters of a document given to the identifier.
pub const SAMPLE_CHARS: usize = 2_000;

/// The language found in a text and the identifier's confidence.
#[derive(Clone, Debug, PartialEq)]
pub struct LanguageGuess {
    /// ISO 639-1 code where one exists, else ISO 639-3.
    pub code: String,
    /// Confidence from 0 to 1.
    pub score: f32,
    /// The writing system (whatlang's name: `Latin`, `Cyrillic`, `Arabic`, `Mandarin`, …).
    pub script: String,
}

/// Identifies languages and, when configured, keeps only some of them.
#[derive(Clone, Debug, Default)]
pub struct LanguageFilter {
    /// ISO codes to keep; empty keeps every language.
    pub allowed: Vec<String>,
    /// Documents under this confidence are dropped; 0 keeps all.
    pub min_score: f32,
}

impl LanguageFilter {
    /// The language of `text`, or `None` when there is too little text to tell.
    pub fn identify(&self, text: &str) -> Option<LanguageGuess> {
        let info = whatlang::detect(sample(text))?;
        Some(LanguageGuess {
            code: iso_code(info.lang()).to_string(),
            score: info.confidence() as f32,
            script: info.script().name().to_string(),
        })
    }

    /// Whether a document with this guess stays; `Err` carries the reason it leaves.
    pub fn judge(&self, guess: Option<&LanguageGuess>) -> Result<(), ReasonCode> {
        if self.min_score > 0.0 && guess.map_or(0.0, |g| g.score) < self.min_score {
            return Err(ReasonCode::LangLowConfidence);
        }
        if !self.allowed.is_empty() {
            let code = guess.map(|g| g.code.as_str()).unwrap_or("");
            if !self.allowed.iter().any(|a| a.eq_ignore_ascii_case(code)) {
                return Err(ReasonCode::LangNotAllowed);
            }
        }
        Ok(())
    }
}

/// Up to [`SAMPLE_CHARS`] characters from the middle of `text`, cut on character boundaries.
fn sample(text: &str) -> &str {
    let n_chars = text.chars().count();
    if n_chars <= SAMPLE_CHARS {
        return text;
    }
    let skip = (n_chars - SAMPLE_CHARS) / 2;
    let mut indices = text.char_indices().map(|(i, _)| i).skip(skip);
    let start = indices.next().unwrap_or(0);
    let end = indices.nth(SAMPLE_CHARS - 1).unwrap_or(text.len());
    &text[start..end]
}

/// The codes (as [`LanguageGuess::code`] gives them) of every language whatlang knows.
pub fn supported() -> Vec<&'static str> {
    whatlang::Lang::all().iter().map(|&l| iso_code(l)).collect()
}

/// ISO 639-1 where the language has a two-letter code; whatlang speaks ISO 639-3.
fn iso_code(lang: whatlang::Lang) -> &'static str {
    use whatlang::Lang::*;
    match lang {
        Eng => "en",
        Rus => "ru",
        Cmn => "zh",
        Spa => "es",
        Por => "pt",
        Ita => "it",
        Ben => "bn",
        Fra => "fr",
        Deu => "de",
        Ukr => "uk",
        Kat => "ka",
        Ara => "ar",
        Hin => "hi",
        Jpn => "ja",
        Heb => "he",
        Yid => "yi",
        Pol => "pl",
        Amh => "am",
        Jav => "jv",
        Kor => "ko",
        Nob => "nb",
        Dan => "da",
        Swe => "sv",
        Fin => "fi",
        Tur => "tr",
        Nld => "nl",
        Hun => "hu",
        Ces => "cs",
        Ell => "el",
        Bul => "bg",
        Bel => "be",
        Mar => "mr",
        Kan => "kn",
        Ron => "ro",
        Slv => "sl",
        Hrv => "hr",
        Srp => "sr",
        Mkd => "mk",
        Lit => "lt",
        Lav => "lv",
        Est => "et",
        Tam => "ta",
        Vie => "vi",
        Urd => "ur",
        Tha => "th",
        Guj => "gu",
        Uzb => "uz",
        Pan => "pa",
        Aze => "az",
        Ind => "id",
        Tel => "te",
        Pes => "fa",
        Mal => "ml",
        Ori => "or",
        Mya => "my",
        Nep => "ne",
        Sin => "si",
        Khm => "km",
        Tuk => "tk",
        Aka => "ak",
        Zul => "zu",
        Sna => "sn",
        Afr => "af",
        Lat => "la",
        Slk => "sk",
        Cat => "ca",
        Tgl => "tl",
        Hye => "hy",
        Epo => "eo",
        Cym => "cy",
        #[allow(unreachable_patterns)]
        other => other.code(),
    }
}

/// The `language` step: records each document's language and score, and drops those the
/// configuration does not keep (`[lang] allowed`, `[lang] min_score`).
impl DocStep for LanguageFilter {
    fn name(&self) -> &'static str {
        "language"
    }

    fn apply(&self, mut doc: Document) -> Result<Document, Box<LedgerRow>> {
        let guess = self.identify(&doc.text);
        if let Err(reason) = self.judge(guess.as_ref()) {
            let evidence = serde_json::json!({
                "lang": guess.as_ref().map(|g| g.code.clone()),
                "lang_score": guess.as_ref().map(|g| g.score),
            });
            return Err(Box::new(doc.left(Stage::Filter, reason, evidence)));
        }
        doc.lang = guess.as_ref().map(|g| g.code.clone());
        doc.script = guess.as_ref().map(|g| g.script.clone());
        doc.lang_score = guess.map(|g| g.score);
        Ok(doc)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn lid_dir() -> PathBuf {
        PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../shared/data/lid"
        ))
    }

    #[test]
    fn identifies_common_languages_from_the_lid_corpus() {
        let filter = LanguageFilter::default();
        for code in ["en", "de", "fr", "es", "ru", "ja", "zh", "ar", "hi", "pt"] {
            let text = std::fs::read_to_string(lid_dir().join(format!("{code}.txt"))).unwrap();
            // Twenty sentences at once: a paragraph, as a page would give.
            let para: String = text.lines().take(20).collect::<Vec<_>>().join(" ");
            let guess = filter.identify(&para).expect("a guess");
            assert_eq!(guess.code, code, "paragraph of {code}.txt");
            let script = match code {
                "ru" => "Cyrillic",
                "ja" => "Katakana",
                "zh" => "Mandarin",
                "ar" => "Arabic",
                "hi" => "Devanagari",
                _ => "Latin",
            };
            if code != "ja" {
                assert_eq!(guess.script, script, "script of {code}.txt");
            }
            assert!(guess.score > 0.5, "{code}: score {}", guess.score);
        }
    }

    #[test]
    fn sentence_accuracy_on_supported_languages_is_high() {
        // Single sentences are hard; whatlang gets ~95% on the languages it supports.
        let filter = LanguageFilter::default();
        let (mut right, mut total) = (0, 0);
        for code in ["en", "de", "fr", "es", "it", "pl", "tr", "vi"] {
            let text = std::fs::read_to_string(lid_dir().join(format!("{code}.txt"))).unwrap();
            for line in text.lines().take(200) {
                total += 1;
                if filter.identify(line).is_some_and(|g| g.code == code) {
                    right += 1;
                }
            }
        }
        let share = right as f64 / total as f64;
        assert!(share > 0.9, "{right}/{total}");
    }

    #[test]
    fn sample_is_bounded_and_on_char_boundaries() {
        let text = "é".repeat(10_000);
        let s = sample(&text);
        assert_eq!(s.chars().count(), SAMPLE_CHARS);
        let short = "ünïcode";
        assert_eq!(sample(short), short);
    }

    #[test]
    fn judge_applies_allowed_list_and_minimum_score() {
        let en = LanguageGuess {
            code: "en".into(),
            score: 0.9,
            script: "Latin".into(),
        };
        let shaky = LanguageGuess {
            code: "de".into(),
            score: 0.1,
            script: "Latin".into(),
        };
        let open = LanguageFilter::default();
        assert_eq!(open.judge(Some(&shaky)), Ok(()));
        assert_eq!(open.judge(None), Ok(()));
        let english = LanguageFilter {
            allowed: vec!["EN".into()],
            min_score: 0.5,
        };
        assert_eq!(english.judge(Some(&en)), Ok(()));
        assert_eq!(
            english.judge(Some(&shaky)),
            Err(ReasonCode::LangLowConfidence)
        );
        let german = LanguageFilter {
            allowed: vec!["de".into()],
            min_score: 0.0,
        };
        assert_eq!(german.judge(Some(&en)), Err(ReasonCode::LangNotAllowed));
        assert_eq!(german.judge(None), Err(ReasonCode::LangNotAllowed));
    }
}
