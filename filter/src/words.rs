//! Words and sentences as FineWeb's filters count them.
//!
//! datatrove's Gopher and FineWeb rules count words with spaCy's blank English tokenizer
//! (`spacy.blank("en")`), and C4's minimum-sentences rule counts sentences with spaCy's
//! `sentencizer` over those tokens. A rule's decision near its threshold depends on how words
//! are cut, so for parity this module follows the same procedure, written for speed (no regex,
//! tokens are slices of the text):
//!
//! 1. split on whitespace;
//! 2. per piece, until nothing changes: a tokenizer exception (English contractions and
//!    abbreviations) ends the piece; else one prefix (opening punctuation, quotes, currency),
//!    then one suffix (closing punctuation, quotes, `'s`, a unit or `%` after a number, a
//!    period after a lower-case letter, a digit or punctuation, or after two capitals) is split
//!    off; a URL is kept whole;
//! 3. what remains is split at infixes: ellipses, `-`/`+`/`*`/`^` between digits, a period
//!    between a lower-case letter and a capital, a comma between letters, a hyphen or dash
//!    after a letter or digit and before a letter, `:<>=/` likewise.
//!
//! Its rules are spaCy 3's English defaults (`spacy/lang/punctuation.py`,
//! `spacy/lang/en/tokenizer_exceptions.py`), in a first version that leaves out the rarer
//! exceptions (emoticons, and contractions without their apostrophe). `scripts/bench_filter.sh`
//! measures how often the two agree.

/// Opening characters split off the front of a piece (spaCy's prefixes, less `+` before a digit).
fn is_prefix_char(c: char) -> bool {
    matches!(
        c,
        '§' | '%' | '=' | '—' | '–' | '+' | '$' | '£' | '€' | '¥' | '฿' | '₠'..='₿' | '﷼'
    ) || is_punct(c)
        || is_quote(c)
}

/// spaCy's `LIST_PUNCT`.
fn is_punct(c: char) -> bool {
    matches!(
        c,
        '…' | ','
            | ':'
            | ';'
            | '!'
            | '?'
            | '¿'
            | '؟'
            | '¡'
            | '('
            | ')'
            | '['
            | ']'
            | '{'
            | '}'
            | '<'
            | '>'
            | '_'
            | '#'
            | '*'
            | '&'
            | '。'
            | '？'
            | '！'
            | '，'
            | '、'
            | '；'
            | '：'
            | '～'
            | '·'
            | '।'
            | '،'
            | '۔'
            | '؛'
            | '٪'
    )
}

/// spaCy's `LIST_QUOTES`.
fn is_quote(c: char) -> bool {
    matches!(
        c,
        '\'' | '"'
            | '”'
            | '“'
            | '`'
            | '‘'
            | '´'
            | '’'
            | '‚'
            | ','
            | '„'
            | '»'
            | '«'
            | '「'
            | '」'
            | '『'
            | '』'
            | '（'
            | '）'
            | '〔'
            | '〕'
            | '【'
            | '】'
            | '《'
            | '》'
            | '〈'
            | '〉'
            | '⟦'
            | '⟧'
    )
}

fn is_currency(c: char) -> bool {
    matches!(c, '$' | '£' | '€' | '¥' | '฿' | '₠'..='₿' | '﷼')
}

fn is_hyphen(c: char) -> bool {
    matches!(c, '-' | '–' | '—' | '~')
}

/// Units split off a number (`10km`, `5%`): the common part of spaCy's `UNITS`.
const UNITS: &[&str] = &[
    "km²", "km³", "km", "m²", "m³", "dm", "cm²", "cm", "mm", "ha", "µm", "nm", "yd", "in", "ft",
    "kg", "g", "mg", "µg", "t", "lb", "oz", "m/s", "km/h", "kmh", "mph", "hPa", "Pa", "mbar", "mb",
    "MB", "kb", "KB", "gb", "GB", "tb", "TB", "T", "G", "M", "K", "%", "m",
];

/// English tokenizer exceptions that keep a piece whole: abbreviations ending in a period.
const ABBREVIATIONS: &[&str] = &[
    "Mr.", "Mrs.", "Ms.", "Dr.", "St.", "Jr.", "Sr.", "Prof.", "Inc.", "Ltd.", "Co.", "Corp.",
    "vs.", "etc.", "e.g.", "i.e.", "a.m.", "p.m.", "Jan.", "Feb.", "Mar.", "Apr.", "Jun.", "Jul.",
    "Aug.", "Sep.", "Sept.", "Oct.", "Nov.", "Dec.", "Mt.", "No.", "Gov.", "Gen.", "Rep.", "Sen.",
    "Rev.", "U.S.", "U.K.", "U.S.A.", "Ph.D.", "a.", "b.", "c.", "d.", "e.", "f.", "g.", "h.",
    "i.", "j.", "k.", "l.", "m.", "n.", "o.", "p.", "q.", "r.", "s.", "t.", "u.", "v.", "w.", "x.",
    "y.", "z.", "Ala.", "Ariz.", "Ark.", "Calif.", "Colo.", "Conn.", "Del.", "Fla.", "Ga.", "Ill.",
    "Ind.", "Kan.", "Ky.", "La.", "Md.", "Mass.", "Mich.", "Minn.", "Miss.", "Mo.", "Mont.",
    "Neb.", "Nev.", "N.C.", "N.D.", "N.H.", "N.J.", "N.M.", "N.Y.", "Okla.", "Ore.", "Pa.", "S.C.",
    "Tenn.", "Va.", "Wash.", "Wis.", "D.C.",
];

/// The contractions that English tokenizer exceptions split off (`don't` → `do`, `n't`;
/// `can't` → `ca`, `n't`), with a straight or a curly apostrophe.
const CONTRACTIONS: [&str; 12] = [
    "n't", "'m", "'re", "'ve", "'d", "'ll", "n’t", "’m", "’re", "’ve", "’d", "’ll",
];

/// The byte length of the contraction ending `piece`, after a run of letters.
fn contraction_suffix(piece: &str) -> Option<usize> {
    let b = piece.as_bytes();
    // Only a piece with an apostrophe (U+2019 is E2 80 99) can end in one.
    if !b.contains(&b'\'') && !b.windows(3).any(|w| w == [0xE2, 0x80, 0x99]) {
        return None;
    }
    CONTRACTIONS.iter().find_map(|tail| {
        let at = piece.len().checked_sub(tail.len()).filter(|&at| at > 0)?;
        let (head, end) = (piece.get(..at)?, &piece[at..]);
        (end.eq_ignore_ascii_case(tail) && head.chars().all(char::is_alphabetic))
            .then_some(tail.len())
    })
}

/// A piece spaCy's `URL_MATCH` keeps whole: one that starts with a scheme (two or more of
/// letters, digits, `_+-.`, then `://`) or with `www.`. (`link=”http://…` starts with neither:
/// spaCy cuts it at its infixes, and so do we.)
fn looks_like_url(s: &str) -> bool {
    let lower = s.get(..4).map(str::to_ascii_lowercase).unwrap_or_default();
    let scheme = s.find("://").is_some_and(|at| {
        at >= 2
            && s.len() > at + 3
            && s[..at]
                .chars()
                .all(|c| c.is_alphanumeric() || matches!(c, '_' | '+' | '-' | '.'))
    });
    scheme || lower == "www."
}

/// The words of `text`, as spaCy's blank English tokenizer cuts them (see the module docs),
/// whitespace dropped.
pub fn words(text: &str) -> Vec<&str> {
    let mut out = Vec::with_capacity(text.len() / 5);
    // Pieces between whitespace, found over the bytes: the hottest loop of the quality rules,
    // where splitting at `char::is_whitespace` decoded every character.
    let b = text.as_bytes();
    let (mut start, mut i) = (0, 0);
    while i < b.len() {
        let n = assent_schemas::whitespace_len(text, i);
        if n == 0 {
            i += 1;
            continue;
        }
        if start < i {
            split_piece(&text[start..i], &mut out);
        }
        i += n;
        start = i;
    }
    if start < b.len() {
        split_piece(&text[start..], &mut out);
    }
    out
}

/// A text [`cached_words`] cut: its xxh3-128 and length, and where its words are (byte
/// ranges).
type Cut = (u128, usize, Vec<(usize, usize)>);

thread_local! {
    /// The last text [`cached_words`] cut on this thread.
    static LAST: std::cell::RefCell<Option<Cut>> = const { std::cell::RefCell::new(None) };
}

/// [`words`], remembered for the last text this thread cut. The quality rules run one after
/// another on one document on one thread, and three of them cut the same text (C4's rule
/// changes it only when it drops a line): the second and third cut is a hash of the text.
/// A text is known by its xxh3-128 and length.
pub fn cached_words(text: &str) -> Vec<&str> {
    let key = xxhash_rust::xxh3::xxh3_128(text.as_bytes());
    LAST.with(|last| {
        let mut last = last.borrow_mut();
        if let Some((k, len, ranges)) = last.as_ref() {
            if *k == key && *len == text.len() {
                return ranges.iter().map(|&(a, b)| &text[a..b]).collect();
            }
        }
        let cut = words(text);
        let base = text.as_ptr() as usize;
        let ranges = cut
            .iter()
            .map(|w| {
                let a = w.as_ptr() as usize - base;
                (a, a + w.len())
            })
            .collect();
        *last = Some((key, text.len(), ranges));
        cut
    })
}

fn split_piece<'a>(mut piece: &'a str, out: &mut Vec<&'a str>) {
    // Most words: letters and digits only, nothing to split.
    if piece.bytes().all(|b| b.is_ascii_alphanumeric()) {
        out.push(piece);
        return;
    }
    let mut suffixes: Vec<&'a str> = Vec::new();
    loop {
        if piece.is_empty() {
            break;
        }
        if piece.ends_with('.') && ABBREVIATIONS.contains(&piece) {
            out.push(piece);
            piece = "";
            break;
        }
        if let Some(n) = contraction_suffix(piece) {
            let (head, tail) = piece.split_at(piece.len() - n);
            out.push(head);
            out.push(tail);
            piece = "";
            break;
        }
        if let Some(n) = prefix_len(piece) {
            out.push(&piece[..n]);
            piece = &piece[n..];
            continue;
        }
        if let Some(n) = suffix_len(piece) {
            suffixes.push(&piece[piece.len() - n..]);
            piece = &piece[..piece.len() - n];
            continue;
        }
        break;
    }
    if !piece.is_empty() {
        if looks_like_url(piece) {
            out.push(piece);
        } else {
            split_infixes(piece, out);
        }
    }
    out.extend(suffixes.into_iter().rev());
}

/// The byte length of the prefix at the start of `s`, if any.
fn prefix_len(s: &str) -> Option<usize> {
    if s.len() < 2 {
        return None;
    }
    for cur in ["US$", "C$", "A$"] {
        if s.starts_with(cur) && s.len() > cur.len() {
            return Some(cur.len());
        }
    }
    if s.starts_with("..") {
        return Some(s.bytes().take_while(|&b| b == b'.').count());
    }
    let mut chars = s.chars();
    let c = chars.next()?;
    if c == '+' && chars.next().is_some_and(|d| d.is_ascii_digit()) {
        return None;
    }
    is_prefix_char(c).then(|| c.len_utf8())
}

/// The byte length of the suffix at the end of `s`, if any.
fn suffix_len(s: &str) -> Option<usize> {
    let mut rev = s.chars().rev();
    let last = rev.next()?;
    if s.len() == last.len_utf8() {
        return None;
    }
    let before = rev.next();
    if s.ends_with("..") {
        let n = s.bytes().rev().take_while(|&b| b == b'.').count();
        return (n < s.len()).then_some(n);
    }
    for tail in ["'s", "'S", "’s", "’S"] {
        if s.len() > tail.len() && s.ends_with(tail) {
            return Some(tail.len());
        }
    }
    if is_punct(last) || is_quote(last) || last == '—' || last == '–' {
        return Some(last.len_utf8());
    }
    let body = &s[..s.len() - last.len_utf8()];
    if last == '+' && before.is_some_and(|b| b.is_ascii_digit()) {
        return Some(1);
    }
    if is_currency(last) && before.is_some_and(|b| b.is_ascii_digit()) {
        return Some(last.len_utf8());
    }
    let has_digit = s.bytes().any(|b| b.is_ascii_digit());
    for unit in UNITS.iter().filter(|_| has_digit) {
        if s.len() > unit.len() && s.ends_with(unit) {
            let head = &s[..s.len() - unit.len()];
            if head.chars().next_back().is_some_and(|b| b.is_ascii_digit()) {
                return Some(unit.len());
            }
        }
    }
    if last == '.' {
        let b = before?;
        let after_lower = b.is_lowercase()
            || b.is_ascii_digit()
            || matches!(b, '%' | '²' | '-' | '+')
            || is_punct(b)
            || is_quote(b);
        let mut r = body.chars().rev();
        let two_upper =
            r.next().is_some_and(char::is_uppercase) && r.next().is_some_and(char::is_uppercase);
        if after_lower || two_upper {
            return Some(1);
        }
    }
    None
}

/// Splits `piece` at its infixes (see the module docs).
fn split_infixes<'a>(piece: &'a str, out: &mut Vec<&'a str>) {
    if piece.bytes().all(|b| b.is_ascii_alphanumeric()) {
        out.push(piece);
        return;
    }
    let chars: Vec<(usize, char)> = piece.char_indices().collect();
    let mut start = 0;
    let mut i = 0;
    while i < chars.len() {
        let (at, c) = chars[i];
        let prev = i.checked_sub(1).map(|p| chars[p].1);
        let next = chars.get(i + 1).map(|n| n.1);
        // An ellipsis: a run of two or more periods, or `…`.
        let infix_len = if c == '.' && next == Some('.') {
            let n = chars[i..].iter().take_while(|(_, c)| *c == '.').count();
            Some(n)
        } else if c == '…' {
            Some(1)
        } else if i == 0 || next.is_none() {
            None
        } else {
            let (p, n) = (prev.unwrap_or(' '), next.unwrap_or(' '));
            let split = match c {
                '+' | '-' | '*' | '^' if p.is_ascii_digit() && (n.is_ascii_digit() || n == '-') => {
                    true
                }
                '.' => (p.is_lowercase() || is_quote(p)) && (n.is_uppercase() || is_quote(n)),
                ',' => p.is_alphabetic() && n.is_alphabetic(),
                ':' | '<' | '>' | '=' | '/' => {
                    (p.is_alphabetic() || p.is_ascii_digit()) && n.is_alphabetic()
                }
                _ => false,
            } || (is_hyphen(c)
                && (p.is_alphabetic() || p.is_ascii_digit())
                && n.is_alphabetic());
            split.then_some(1)
        };
        match infix_len {
            Some(n) => {
                if at > start {
                    out.push(&piece[start..at]);
                }
                let end = chars.get(i + n).map_or(piece.len(), |c| c.0);
                out.push(&piece[at..end]);
                start = end;
                i += n;
            }
            None => i += 1,
        }
    }
    if start < piece.len() {
        out.push(&piece[start..]);
    }
}

/// spaCy's `sentencizer` punctuation that ends a sentence (the common part of its list).
fn ends_sentence(token: &str) -> bool {
    matches!(
        token,
        "!" | "."
            | "?"
            | "։"
            | "؟"
            | "۔"
            | "܀"
            | "܁"
            | "܂"
            | "।"
            | "॥"
            | "။"
            | "።"
            | "፧"
            | "፨"
            | "᙮"
            | "᠃"
            | "᠉"
            | "‼"
            | "‽"
            | "⁇"
            | "⁈"
            | "⁉"
            | "。"
            | "！"
            | "？"
            | "｡"
    ) || (token.len() > 1 && token.bytes().all(|b| b == b'.'))
}

/// Whether spaCy takes `token` for punctuation (`is_punct`: every character Unicode
/// punctuation).
fn is_punct_token(token: &str) -> bool {
    !token.is_empty()
        && token.chars().all(|c| {
            c.is_ascii_punctuation()
                && !matches!(c, '$' | '+' | '<' | '=' | '>' | '^' | '`' | '|' | '~')
                || is_punct(c)
                || is_quote(c)
                || matches!(
                    c,
                    '—' | '–' | '…' | '‐' | '‑' | '‒' | '―' | '¡' | '¿' | '§' | '¶'
                )
        })
}

/// How many sentences spaCy's `sentencizer` finds in `text`: a new one starts at the first
/// token that is not punctuation after a token that ends a sentence.
pub fn sentence_count(text: &str) -> usize {
    let tokens = words(text);
    if tokens.is_empty() {
        return 0;
    }
    let mut count = 1;
    let mut seen_end = false;
    for t in &tokens {
        let ends = ends_sentence(t);
        if seen_end && !ends && !is_punct_token(t) {
            count += 1;
            seen_end = false;
        } else if ends {
            seen_end = true;
        }
    }
    count
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whitespace_is_every_unicode_white_space_and_nothing_else() {
        // Splitting at char::is_whitespace, as before the byte loop, on text that holds every
        // whitespace character and look-alikes that share their lead bytes (é, —, 、, ᚠ).
        let spaces: Vec<char> = (0..=0x3000u32)
            .filter_map(char::from_u32)
            .filter(|c| c.is_whitespace())
            .collect();
        let mut text = String::new();
        for (i, sp) in spaces.iter().enumerate() {
            text.push_str(["word", "é—x", "a、b", "ᚠᚢ", "Ω"][i % 5]);
            text.push(*sp);
        }
        text.push_str("end");
        let reference: Vec<&str> = text
            .split(char::is_whitespace)
            .filter(|p| !p.is_empty())
            .flat_map(words)
            .collect();
        assert_eq!(words(&text), reference);
        assert_eq!(
            words("a\u{a0}b\u{3000}c\u{2009}d\te\u{85}f  g"),
            ["a", "b", "c", "d", "e", "f", "g"]
        );
        assert_eq!(words(" \n "), Vec::<&str>::new());
    }

    #[test]
    fn cached_words_are_the_words_of_the_text_given() {
        let a = "One text, cut once.";
        let b = String::from("Another: cut too!");
        assert_eq!(cached_words(a), words(a));
        assert_eq!(cached_words(a), words(a));
        assert_eq!(cached_words(&b), words(&b));
        // The same text at another address: the words are slices of the text given.
        let copy = b.clone();
        let cut = cached_words(&copy);
        assert_eq!(cut, words(&b));
        assert!(cut
            .iter()
            .all(|w| copy.as_bytes().as_ptr_range().contains(&w.as_ptr())));
    }

    #[test]
    fn a_url_is_whole_only_from_its_scheme() {
        assert_eq!(
            words("see https://a.example/x-y now"),
            ["see", "https://a.example/x-y", "now"]
        );
        // As spaCy 3 cuts it (a page of the parity set): no scheme starts the piece.
        assert_eq!(
            words("link=”http://www.bikes.co.uk/submit-kit-review/"),
            [
                "link=”http://www.bikes.co.uk",
                "/",
                "submit",
                "-",
                "kit",
                "-",
                "review/"
            ]
        );
    }

    #[test]
    fn cuts_like_spacy_english() {
        let cases: &[(&str, &[&str])] = &[
            ("Hello, world!", &["Hello", ",", "world", "!"]),
            ("\"Quoted.\"", &["\"", "Quoted", ".", "\""]),
            (
                "don't can't I'm we're",
                &["do", "n't", "ca", "n't", "I", "'m", "we", "'re"],
            ),
            ("John's car", &["John", "'s", "car"]),
            (
                "well-known 2020-2021",
                &["well", "-", "known", "2020", "-", "2021"],
            ),
            (
                "It costs $5, or 10km.",
                &["It", "costs", "$", "5", ",", "or", "10", "km", "."],
            ),
            ("Mr. Smith e.g. U.S.", &["Mr.", "Smith", "e.g.", "U.S."]),
            (
                "See https://example.com/a-b.",
                &["See", "https://example.com/a-b", "."],
            ),
            ("wait...what", &["wait", "...", "what"]),
            ("3.14 and 1,000", &["3.14", "and", "1,000"]),
            ("end.Next", &["end", ".", "Next"]),
            ("(a) [b]", &["(", "a", ")", "[", "b", "]"]),
            ("50% #tag", &["50", "%", "#", "tag"]),
            (
                "We’d China’s “Police).”",
                &["We", "’d", "China", "’s", "“", "Police", ")", ".", "”"],
            ),
        ];
        for (text, want) in cases {
            assert_eq!(words(text), *want, "{text}");
        }
    }

    #[test]
    fn sentences_follow_the_sentencizer() {
        assert_eq!(sentence_count("One. Two! Three? Four"), 4);
        assert_eq!(sentence_count("He said \"stop.\" Then left."), 2);
        assert_eq!(sentence_count("Mr. Smith went home."), 1);
        assert_eq!(sentence_count(""), 0);
        assert_eq!(sentence_count("no end at all"), 1);
    }
}
