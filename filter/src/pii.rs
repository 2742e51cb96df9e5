//! The `pii` step: personal data in a document's text replaced by typed placeholders, counted
//! in its `quality` column (`pii.email`, `pii.phone`, `pii.ip`, `pii.card`, `pii.iban`).
//!
//! Each kind is found by its shape and, where it has one, confirmed by its checksum, so that
//! numbers that only look alike stay:
//!
//! - e-mail addresses (`local@domain.tld`) → `<EMAIL>`;
//! - payment card numbers: 13 to 19 digits, grouped or not, with an issuer's prefix and a valid
//!   Luhn check digit, not the digits of a decimal number → `<CARD>`;
//! - IBANs: country, check digits and account, grouped or not, valid under ISO 13616's mod-97
//!   check and of their country's length → `<IBAN>`;
//! - IPv4 addresses (four parts 0 to 255, not after `v` or "version", not part of a longer
//!   dotted number) and IPv6 addresses (parsed by `std::net::Ipv6Addr`) → `<IP>`;
//! - phone numbers: 7 to 15 digits (E.164's bound) written as a phone number is written: after
//!   `+`, or with an area code in parentheses, or in three or more groups split by spaces, dots
//!   or hyphens; not a date (nor a date and an hour), not an ISBN, not small numbers side by
//!   side (`14 11 6 15`), not a number grouped in thousands (`8 070 071`) unless the words
//!   before it say phone, call, tel, fax or mobile → `<PHONE>`.
//!
//! A first version: names and postal addresses are not looked for.

use assent_schemas::{DocStep, Document, LedgerRow};
use regex::Regex;
use std::net::Ipv6Addr;
use std::sync::LazyLock;

/// The kinds of personal data, with their placeholders.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Pii {
    Email,
    Phone,
    Ip,
    Card,
    Iban,
}

impl Pii {
    pub const ALL: [Pii; 5] = [Pii::Email, Pii::Phone, Pii::Ip, Pii::Card, Pii::Iban];

    pub fn placeholder(self) -> &'static str {
        match self {
            Pii::Email => "<EMAIL>",
            Pii::Phone => "<PHONE>",
            Pii::Ip => "<IP>",
            Pii::Card => "<CARD>",
            Pii::Iban => "<IBAN>",
        }
    }

    /// The name of its count in the `quality` column.
    pub fn signal(self) -> &'static str {
        match self {
            Pii::Email => "pii.email",
            Pii::Phone => "pii.phone",
            Pii::Ip => "pii.ip",
            Pii::Card => "pii.card",
            Pii::Iban => "pii.iban",
        }
    }
}

static EMAIL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"[A-Za-z0-9][A-Za-z0-9._%+\-]*@[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,24}\b").unwrap()
});
/// Digit runs, grouped by single spaces or hyphens: card candidates.
static DIGITS: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\b\d(?:[ \-]?\d){12,18}\b").unwrap());
static IBAN: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}\b").unwrap());
static IPV4: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\b(?:\d{1,3}\.){3}\d{1,3}\b").unwrap());
static IPV6: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)(?:[0-9a-f]{0,4}:){2,7}[0-9a-f]{0,4}").unwrap());
static PHONE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:\+\d{1,3}[ .\-]?)?(?:\(\d{1,4}\)[ .\-]?)?\d{1,4}(?:[ .\-]\d{1,4}){1,5}|\+\d{7,15}|\(\d{2,4}\) ?\d{3,4}[ .\-]?\d{3,4}").unwrap()
});

/// The Luhn check of a digit string.
pub fn luhn(digits: &[u8]) -> bool {
    let mut sum = 0;
    for (i, d) in digits.iter().rev().enumerate() {
        let mut d = u32::from(d - b'0');
        if i % 2 == 1 {
            d *= 2;
            if d > 9 {
                d -= 9;
            }
        }
        sum += d;
    }
    sum % 10 == 0
}

/// Whether `d` starts as an issuer's card numbers start, at a length it issues.
fn card_prefix(d: &[u8]) -> bool {
    let n = |k: usize| -> u32 {
        std::str::from_utf8(&d[..k.min(d.len())])
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(0)
    };
    let len = d.len();
    (d[0] == b'4' && matches!(len, 13 | 16 | 19))
        || ((51..=55).contains(&n(2)) || (2221..=2720).contains(&n(4))) && len == 16
        || matches!(n(2), 34 | 37) && len == 15
        || (n(4) == 6011 || n(2) == 65 || (644..=649).contains(&n(3))) && (16..=19).contains(&len)
        || (3528..=3589).contains(&n(4)) && (16..=19).contains(&len)
}

/// IBAN lengths by country (ISO 13616 registry, the common part).
fn iban_length(country: &str) -> Option<usize> {
    Some(match country {
        "AD" => 24,
        "AE" => 23,
        "AT" => 20,
        "BA" => 20,
        "BE" => 16,
        "BG" => 22,
        "BH" => 22,
        "CH" => 21,
        "CY" => 28,
        "CZ" => 24,
        "DE" => 22,
        "DK" => 18,
        "EE" => 20,
        "ES" => 24,
        "FI" => 18,
        "FO" => 18,
        "FR" => 27,
        "GB" => 22,
        "GI" => 23,
        "GL" => 18,
        "GR" => 27,
        "HR" => 21,
        "HU" => 28,
        "IE" => 22,
        "IL" => 23,
        "IS" => 26,
        "IT" => 27,
        "KW" => 30,
        "KZ" => 20,
        "LB" => 28,
        "LI" => 21,
        "LT" => 20,
        "LU" => 20,
        "LV" => 21,
        "MC" => 27,
        "ME" => 22,
        "MK" => 19,
        "MT" => 31,
        "MU" => 30,
        "NL" => 18,
        "NO" => 15,
        "PL" => 28,
        "PT" => 25,
        "QA" => 29,
        "RO" => 24,
        "RS" => 22,
        "SA" => 24,
        "SE" => 24,
        "SI" => 19,
        "SK" => 24,
        "SM" => 27,
        "TN" => 24,
        "TR" => 26,
        "UA" => 29,
        _ => return None,
    })
}

/// The ISO 13616 mod-97 check of an IBAN without spaces, and its country's length.
pub fn iban_valid(iban: &str) -> bool {
    let b = iban.as_bytes();
    if b.len() < 4 || iban_length(&iban[..2]) != Some(b.len()) {
        return false;
    }
    let mut rem: u32 = 0;
    for &c in b[4..].iter().chain(&b[..4]) {
        let v = match c {
            b'0'..=b'9' => u32::from(c - b'0'),
            b'A'..=b'Z' => u32::from(c - b'A') + 10,
            _ => return false,
        };
        rem = if v >= 10 {
            (rem * 100 + v) % 97
        } else {
            (rem * 10 + v) % 97
        };
    }
    rem == 1
}

/// Whether `digits` (13 digits, 978 or 979 first) carry a valid ISBN-13 check digit.
fn isbn13(digits: &[u8]) -> bool {
    digits.len() == 13
        && (digits.starts_with(b"978") || digits.starts_with(b"979"))
        && digits
            .iter()
            .enumerate()
            .map(|(i, d)| u32::from(d - b'0') * if i % 2 == 0 { 1 } else { 3 })
            .sum::<u32>()
            % 10
            == 0
}

/// Whether `s` is a date: three numbers, one a four-digit year, with a month and a day.
fn looks_like_date(s: &str) -> bool {
    let parts: Vec<&str> = s
        .split(['-', '.', '/', ' '])
        .filter(|p| !p.is_empty())
        .collect();
    if parts.len() != 3 || parts.iter().any(|p| !p.bytes().all(|b| b.is_ascii_digit())) {
        return false;
    }
    let n: Vec<u32> = parts.iter().map(|p| p.parse().unwrap_or(0)).collect();
    let (y_first, y_last) = (parts[0].len() == 4, parts[2].len() == 4);
    (y_first && (1..=12).contains(&n[1]) && (1..=31).contains(&n[2]))
        || (y_last && (1..=12).contains(&n[1]) && (1..=31).contains(&n[0]))
        || (y_last && (1..=12).contains(&n[0]) && (1..=31).contains(&n[1]))
}

/// Whether the match `s` at `start..end` of `text` is a phone number (see the module docs).
fn is_phone(text: &str, start: usize, end: usize) -> bool {
    let s = &text[start..end];
    let digits: Vec<u8> = s.bytes().filter(u8::is_ascii_digit).collect();
    let groups = s.split([' ', '.', '-']).filter(|g| !g.is_empty()).count();
    let shaped = s.starts_with('+') || s.contains('(') || groups >= 3;
    let before = text[..start].chars().next_back();
    let after = text[end..].chars().next();
    let bounded = before.is_none_or(|c| !c.is_alphanumeric() && c != '.' && c != '-')
        && after.is_none_or(|c| !c.is_alphanumeric() && c != '-');
    let lead = text[..start].trim_end().to_ascii_lowercase();
    let isbn = isbn13(&digits) || lead.ends_with("isbn") || lead.ends_with("isbn:");
    // `2020-08-01 17`: a date and an hour.
    let dated = {
        let groups: Vec<&str> = s
            .split([' ', '.', '-', '/'])
            .filter(|g| !g.is_empty())
            .collect();
        groups.len() >= 3 && looks_like_date(&groups[..3].join("-"))
    };
    // `14 11 6 15`: small numbers side by side. Groups of one or two digits make a phone
    // number only as trunk-prefixed pairs (`01 23 45 67 89`) or after `+`.
    let small = s.split(' ').all(|g| g.len() <= 2) && !s.contains(['-', '.', '(']);
    let paired = s.starts_with('0') && s.split(' ').all(|g| g.len() == 2);
    // `8 070 071`: a number grouped in thousands, unless the text says it is a phone.
    let parts: Vec<&str> = s.split(' ').collect();
    let thousands = !s.starts_with('+')
        && !s.contains(['(', '-', '.'])
        && parts.len() >= 2
        && parts[0].len() <= 3
        && parts[1..].iter().all(|g| g.len() == 3);
    let said = {
        let from = text[..start]
            .char_indices()
            .rev()
            .nth(16)
            .map_or(0, |(i, _)| i);
        let words = text[from..start].to_lowercase();
        ["tel", "phone", "call", "fax", "mobile", "☎"]
            .iter()
            .any(|w| words.contains(w))
    };
    (7..=15).contains(&digits.len())
        && shaped
        && bounded
        && !isbn
        && !dated
        && !looks_like_date(s)
        && (!small || paired || s.starts_with('+'))
        && (!thousands || said)
}

/// Whether `text[start..end]` continues a number: the digits after a decimal point or
/// separator (`1.2511263318488451`), or before one.
fn in_number(text: &str, start: usize, end: usize) -> bool {
    let b = text.as_bytes();
    let joined = |sep: u8, digit: u8| matches!(sep, b'.' | b',') && digit.is_ascii_digit();
    (start >= 2 && joined(b[start - 1], b[start - 2]))
        || (end + 1 < b.len() && joined(b[end], b[end + 1]))
}

/// The spans of personal data in `text`, sorted, not overlapping.
pub fn find(text: &str) -> Vec<(usize, usize, Pii)> {
    let mut spans: Vec<(usize, usize, Pii)> = Vec::new();
    let free = |spans: &[(usize, usize, Pii)], s: usize, e: usize| {
        spans.iter().all(|&(a, b, _)| e <= a || s >= b)
    };
    for m in IBAN.find_iter(text) {
        let compact: String = m.as_str().chars().filter(|c| *c != ' ').collect();
        if iban_valid(&compact) {
            spans.push((m.start(), m.end(), Pii::Iban));
        }
    }
    for m in DIGITS.find_iter(text) {
        let digits: Vec<u8> = m.as_str().bytes().filter(u8::is_ascii_digit).collect();
        if card_prefix(&digits)
            && luhn(&digits)
            && !in_number(text, m.start(), m.end())
            && free(&spans, m.start(), m.end())
        {
            spans.push((m.start(), m.end(), Pii::Card));
        }
    }
    for m in EMAIL.find_iter(text) {
        if free(&spans, m.start(), m.end()) {
            spans.push((m.start(), m.end(), Pii::Email));
        }
    }
    for m in IPV6.find_iter(text) {
        let s = m.as_str().trim_end_matches(':');
        let colons = s.matches(':').count();
        let alone = text[..m.start()]
            .chars()
            .next_back()
            .is_none_or(|c| !c.is_ascii_alphanumeric() && c != ':');
        let end = m.start() + s.len();
        if alone
            && colons >= 2
            && (s.contains("::") || colons == 7)
            && s.parse::<Ipv6Addr>().is_ok()
            && free(&spans, m.start(), end)
        {
            spans.push((m.start(), end, Pii::Ip));
        }
    }
    for m in IPV4.find_iter(text) {
        let valid = m
            .as_str()
            .split('.')
            .all(|p| p.parse::<u32>().is_ok_and(|n| n <= 255));
        let head = &text[..m.start()];
        let versioned = head.ends_with('v')
            || head.ends_with('V')
            || head.trim_end().to_ascii_lowercase().ends_with("version");
        let longer = text[m.end()..].starts_with('.')
            && text[m.end() + 1..].starts_with(|c: char| c.is_ascii_digit())
            || head.ends_with('.')
                && head[..head.len() - 1].ends_with(|c: char| c.is_ascii_digit());
        if valid && !versioned && !longer && free(&spans, m.start(), m.end()) {
            spans.push((m.start(), m.end(), Pii::Ip));
        }
    }
    for m in PHONE.find_iter(text) {
        if is_phone(text, m.start(), m.end()) && free(&spans, m.start(), m.end()) {
            spans.push((m.start(), m.end(), Pii::Phone));
        }
    }
    spans.sort();
    spans
}

/// `text` with every span of [`find`] replaced by its placeholder, and the counts by kind.
pub fn redact(text: &str) -> (String, [usize; 5]) {
    let spans = find(text);
    let mut counts = [0; 5];
    if spans.is_empty() {
        return (text.to_string(), counts);
    }
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for (s, e, kind) in spans {
        out.push_str(&text[at..s]);
        out.push_str(kind.placeholder());
        counts[kind as usize] += 1;
        at = e;
    }
    out.push_str(&text[at..]);
    (out, counts)
}

/// The `pii` step.
#[derive(Clone, Debug, Default)]
pub struct PiiRedaction;

impl DocStep for PiiRedaction {
    fn name(&self) -> &'static str {
        "pii"
    }

    fn apply(&self, mut doc: Document) -> Result<Document, Box<LedgerRow>> {
        let (text, counts) = redact(&doc.text);
        if counts.iter().any(|&n| n > 0) {
            doc.text_hash = assent_schemas::text_hash(&text);
            doc.text = text;
        }
        for kind in Pii::ALL {
            doc.quality
                .insert(kind.signal().to_string(), counts[kind as usize] as f64);
        }
        Ok(doc)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A deterministic stream of numbers for the generated set.
    struct Lcg(u64);
    impl Lcg {
        fn next(&mut self, n: u64) -> u64 {
            self.0 = self
                .0
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (self.0 >> 33) % n
        }
        fn digits(&mut self, k: usize) -> String {
            (0..k)
                .map(|_| char::from(b'0' + self.next(10) as u8))
                .collect()
        }
    }

    fn luhn_complete(body: &str) -> String {
        (0..10)
            .map(|d| format!("{body}{d}"))
            .find(|c| luhn(c.as_bytes()))
            .unwrap()
    }

    fn iban(country: &str, account: &str) -> String {
        let moved = format!("{account}{country}00");
        let mut rem = 0u32;
        for c in moved.bytes() {
            let v = if c.is_ascii_digit() {
                u32::from(c - b'0')
            } else {
                u32::from(c - b'A') + 10
            };
            rem = if v >= 10 {
                (rem * 100 + v) % 97
            } else {
                (rem * 10 + v) % 97
            };
        }
        format!("{country}{:02}{account}", 98 - rem)
    }

    fn grouped(s: &str, sep: &str) -> String {
        s.as_bytes()
            .chunks(4)
            .map(|c| std::str::from_utf8(c).unwrap())
            .collect::<Vec<_>>()
            .join(sep)
    }

    /// (sentence, the value in it, its kind) for personal data; look-alikes carry no kind.
    fn labelled() -> Vec<(String, String, Option<Pii>)> {
        let mut r = Lcg(7);
        let mut out = Vec::new();
        for i in 0..40 {
            let visa = luhn_complete(&format!("4{}", r.digits(14)));
            let mc = luhn_complete(&format!("5{}{}", 1 + r.next(5), r.digits(13)));
            let amex = luhn_complete(&format!("37{}", r.digits(12)));
            let amex = format!("{} {} {}", &amex[..4], &amex[4..10], &amex[10..]);
            let de = iban("DE", &r.digits(18));
            let gb = iban("GB", &format!("NWBK{}", r.digits(14)));
            let ipv6 = format!(
                "fe80:0:0:0:{:x}:{:x}:{:x}:{:x}",
                r.next(65536),
                r.next(65536),
                r.next(65536),
                r.next(65536)
            );
            let values = [
                (format!("jane.doe{i}@example{}.org", r.next(9)), Pii::Email),
                (format!("info+news@mail{i}.example.co.uk"), Pii::Email),
                (format!("+44 20 7946 {}", r.digits(4)), Pii::Phone),
                (format!("(555) 123-{}", r.digits(4)), Pii::Phone),
                (format!("+1-202-555-{}", r.digits(4)), Pii::Phone),
                (format!("030 1234 {}", r.digits(4)), Pii::Phone),
                (
                    format!("+33 1 23 45 {} {}", r.digits(2), r.digits(2)),
                    Pii::Phone,
                ),
                (format!("01 23 45 67 {}", r.digits(2)), Pii::Phone),
                (
                    format!(
                        "{}.{}.{}.{}",
                        1 + r.next(222),
                        r.next(256),
                        r.next(256),
                        1 + r.next(254)
                    ),
                    Pii::Ip,
                ),
                (
                    format!("2001:db8::{:x}:{:x}", r.next(65536), r.next(65536)),
                    Pii::Ip,
                ),
                (ipv6, Pii::Ip),
                (grouped(&visa, " "), Pii::Card),
                (grouped(&mc, "-"), Pii::Card),
                (visa.clone(), Pii::Card),
                (amex, Pii::Card),
                (grouped(&de, " "), Pii::Iban),
                (gb.clone(), Pii::Iban),
            ];
            for (value, kind) in values {
                out.push((
                    format!("Please write to {value} before noon."),
                    value,
                    Some(kind),
                ));
            }
            let bad_card = {
                let c = luhn_complete(&format!("4{}", r.digits(14)));
                let last = (c.as_bytes()[15] - b'0' + 1) % 10;
                format!("{}{}", &c[..15], last)
            };
            let bad_iban = {
                let mut b = de.clone().into_bytes();
                b[2] = if b[2] == b'9' { b'1' } else { b[2] + 1 };
                String::from_utf8(b).unwrap()
            };
            let look_alikes = [
                format!(
                    "Version {}.{}.{}.{} fixes the bug.",
                    r.next(5),
                    r.next(20),
                    r.next(10),
                    r.next(99)
                ),
                format!(
                    "Upgrade to v{}.{}.{}.{} today.",
                    r.next(5),
                    r.next(20),
                    r.next(10),
                    r.next(99)
                ),
                format!(
                    "The build 10.{}.{}.{}.{} is out.",
                    r.next(9),
                    r.next(9),
                    r.next(9),
                    r.next(9)
                ),
                format!(
                    "We met on 2024-0{}-1{} at 10:30:45.",
                    1 + r.next(9),
                    r.next(10)
                ),
                format!(
                    "Due 1{}.0{}.2024, or 0{}/1{}/2023.",
                    r.next(10),
                    1 + r.next(9),
                    1 + r.next(9),
                    r.next(10)
                ),
                "The ISBN is 978-3-16-148410-0 in print.".to_string(),
                format!("ISBN 978 0 306 40615 7 and order 12345{}.", r.digits(4)),
                format!("Order #{} shipped, invoice {}.", r.digits(9), r.digits(7)),
                format!("Tracking {bad_card} in transit."),
                format!("Ref {bad_iban} is not an account."),
                format!("It costs 1,234.{} and pi is 3.14159.", r.digits(2)),
                format!("Room 12-{} on floor 3.", r.digits(2)),
                format!(
                    "Population 8 {} {} in the census.",
                    r.digits(3),
                    r.digits(3)
                ),
                "The ratio was 16:9 and 4:3 at 12:45.".to_string(),
                format!("Posted 2020-08-01 1{} by the editor.", r.next(10)),
                format!("Scores 14 11 {} 15 in the table.", r.next(10)),
                format!("The bound is 1.{visa} and {}.5", grouped(&mc, "")),
            ];
            for s in look_alikes {
                out.push((s, String::new(), None));
            }
        }
        out
    }

    #[test]
    fn precision_and_recall_on_a_generated_labelled_set() {
        let (mut tp, mut fp, mut fn_) = ([0usize; 5], [0usize; 5], [0usize; 5]);
        let mut misses = Vec::new();
        for (sentence, value, kind) in labelled() {
            let spans = find(&sentence);
            let hit = |k: Pii| {
                spans
                    .iter()
                    .any(|&(s, e, p)| p == k && sentence[s..e] == value)
            };
            if let Some(k) = kind {
                if hit(k) {
                    tp[k as usize] += 1;
                } else {
                    fn_[k as usize] += 1;
                    misses.push(format!("missed {k:?} in {sentence:?}: {spans:?}"));
                }
            }
            for &(s, e, p) in &spans {
                if kind != Some(p) || sentence[s..e] != value {
                    fp[p as usize] += 1;
                    misses.push(format!("false {p:?} {:?} in {sentence:?}", &sentence[s..e]));
                }
            }
        }
        for k in Pii::ALL {
            let i = k as usize;
            let precision = tp[i] as f64 / (tp[i] + fp[i]).max(1) as f64;
            let recall = tp[i] as f64 / (tp[i] + fn_[i]).max(1) as f64;
            eprintln!(
                "{k:?}: precision {precision:.3} recall {recall:.3} ({} found)",
                tp[i]
            );
            assert!(
                precision >= 0.98 && recall >= 0.98,
                "{k:?}: {precision} {recall}\n{}",
                misses.join("\n")
            );
        }
    }

    #[test]
    fn placeholders_and_checks() {
        let (text, counts) =
            redact("Mail a@b.example, call +44 20 7946 0958, card 4111 1111 1111 1111.");
        assert_eq!(text, "Mail <EMAIL>, call <PHONE>, card <CARD>.");
        assert_eq!(counts, [1, 1, 0, 1, 0]);
        assert!(iban_valid("GB82WEST12345698765432"));
        assert!(!iban_valid("GB82WEST12345698765433"));
        assert!(luhn(b"4111111111111111") && !luhn(b"4111111111111112"));
    }
}
