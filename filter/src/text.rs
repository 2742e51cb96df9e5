//! Text measures shared by the quality rules, each as Python computes it in datatrove (the
//! rules were written there, and their thresholds mean what they mean for Python's `len` of a
//! `str`, which counts characters, and its `splitlines`).

use std::collections::HashSet;

/// Characters (Unicode scalar values) in `s`: Python's `len`.
pub fn chars(s: &str) -> usize {
    s.bytes().filter(|b| (b & 0xC0) != 0x80).count()
}

/// Python's `str.splitlines()`: lines without their ends, split at `\n`, `\r`, `\r\n`, `\v`,
/// `\f`, `\x1c`, `\x1d`, `\x1e`, `\x85`, `\u2028` and `\u2029`; no empty last line.
pub fn splitlines(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut it = s.char_indices().peekable();
    while let Some((i, c)) = it.next() {
        let end = match c {
            '\r' => {
                if it.peek().is_some_and(|&(_, n)| n == '\n') {
                    it.next();
                    i + 2
                } else {
                    i + 1
                }
            }
            '\n' | '\u{b}' | '\u{c}' | '\u{1c}' | '\u{1d}' | '\u{1e}' | '\u{85}' | '\u{2028}'
            | '\u{2029}' => i + c.len_utf8(),
            _ => continue,
        };
        out.push(&s[start..i]);
        start = end;
    }
    if start < s.len() {
        out.push(&s[start..]);
    }
    out
}

/// Python's `re.split(sep + "{min,}", s)` for a run of at least `min` newlines: the pieces
/// between runs, empty ones included.
pub fn split_newline_runs(s: &str, min: usize) -> Vec<&str> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let (mut start, mut i) = (0, 0);
    while i < b.len() {
        if b[i] == b'\n' {
            let run = b[i..].iter().take_while(|&&c| c == b'\n').count();
            if run >= min {
                out.push(&s[start..i]);
                start = i + run;
            }
            i += run;
        } else {
            i += 1;
        }
    }
    out.push(&s[start..]);
    out
}

/// datatrove's `find_duplicates`: how many elements repeat an earlier one, and their
/// characters.
pub fn duplicates(items: &[&str]) -> (usize, usize) {
    let mut seen = HashSet::with_capacity(items.len());
    let (mut n, mut chars_dup) = (0, 0);
    for item in items {
        if !seen.insert(*item) {
            n += 1;
            chars_dup += chars(item);
        }
    }
    (n, chars_dup)
}

/// `a / b` as Python divides, with 0 for `b == 0` where Python would raise (a rule whose
/// guard is switched off).
pub fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_semantics() {
        assert_eq!(chars("né€😀"), 4);
        assert_eq!(
            splitlines("a\nb\r\nc\rd\u{2028}e\n"),
            ["a", "b", "c", "d", "e"]
        );
        assert_eq!(splitlines("\n\nx"), ["", "", "x"]);
        assert!(splitlines("").is_empty());
        assert_eq!(
            split_newline_runs("a\n\nb\n\n\nc\nd", 2),
            ["a", "b", "c\nd"]
        );
        assert_eq!(split_newline_runs("\na\nb", 1), ["", "a", "b"]);
        assert_eq!(duplicates(&["x", "yé", "x", "yé", "yé"]), (3, 5));
        assert_eq!(ratio(1, 0), 0.0);
    }
}
