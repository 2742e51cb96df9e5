//! Sentences as the index and a text query see them, so that an author's words are found
//! however the page around them was cut: a sentence ends at `.`, `!` or `?` before a space or
//! the end, at `。`, `！`, `？`, or at a line break; it is hashed (xxh3-64) in MinHash's
//! normalised form (lower case, digits as `0`, words joined by one space), and only sentences
//! of at least [`MIN_WORDS`] words count: shorter ones ("Read more.", "Thank you!") are
//! shared by unrelated pages.

use assent_dedup::minhash::normalised;
use xxhash_rust::xxh3::xxh3_64;

/// Words a sentence needs to be indexed.
pub const MIN_WORDS: usize = 8;

/// The hashes of `text`'s sentences of at least [`MIN_WORDS`] words, sorted, each once.
pub fn sentence_hashes(text: &str) -> Vec<u64> {
    let mut out: Vec<u64> = split(text)
        .filter_map(|s| {
            let (norm, starts) = normalised(s);
            (starts.len() >= MIN_WORDS).then(|| xxh3_64(norm.as_bytes()))
        })
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// The sentences of `text`, as slices of it.
fn split(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = text;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let mut chars = rest.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            let end = match c {
                '\n' | '。' | '！' | '？' => Some(i + c.len_utf8()),
                '.' | '!' | '?' => match chars.peek() {
                    None => Some(i + 1),
                    Some((_, n)) if n.is_whitespace() => Some(i + 1),
                    _ => None,
                },
                _ => None,
            };
            if let Some(end) = end {
                let (sentence, after) = rest.split_at(end);
                rest = after;
                return Some(sentence);
            }
        }
        Some(std::mem::take(&mut rest))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentences_match_across_case_spacing_and_the_text_around_them() {
        let s = "The river rose three metres over the old stone bridge in 1998.";
        let page = format!("Menu Home\nSome intro that differs entirely here. {s} Share this!");
        let other = format!(
            "I said so once, long ago.\n{}\n",
            s.to_uppercase().replace(' ', "   ")
        );
        let a = sentence_hashes(&page);
        let b = sentence_hashes(&other);
        assert_eq!(b.len(), 1);
        assert!(
            a.contains(&b[0]),
            "the shared sentence is found in the page"
        );
        // Short sentences and a decimal point do not make sentences of their own.
        assert!(sentence_hashes("Read more. Thank you! Yes?").is_empty());
        assert_eq!(
            sentence_hashes("Pi is about 3.14159 and that number has fascinated people for ages")
                .len(),
            1
        );
        assert_ne!(
            sentence_hashes(s),
            sentence_hashes(&s.replace("three", "four"))
        );
    }
}
