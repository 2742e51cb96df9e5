//! Byte-level tokenizer: every UTF-8 byte is a token, plus one end-of-document token.
//!
//! Bytes need no training and cannot meet an unknown symbol, so any shard is trainable the moment
//! it exists; a learned BPE vocabulary can replace this later behind the same description in
//! `tokenizer.json`, which is what a checkpoint is paired with.

use serde::{Deserialize, Serialize};

/// Number of byte tokens (ids `0..=255`).
pub const BYTE_TOKENS: u32 = 256;
/// Id of the end-of-document token, appended after each document so that the model learns where
/// one text stops and the next, unrelated one begins.
pub const EOS_ID: u32 = BYTE_TOKENS;
/// Vocabulary size: the 256 bytes and EOS.
pub const VOCAB_SIZE: usize = BYTE_TOKENS as usize + 1;

/// What `tokenizer.json` says about the tokenizer a run used.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenizerInfo {
    /// `"bytes"`: ids 0..=255 are raw UTF-8 bytes.
    pub kind: String,
    pub vocab_size: usize,
    pub eos_id: u32,
}

/// The byte-level tokenizer. Stateless; a struct so that callers hold a tokenizer value, as they
/// will once the vocabulary is learned.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ByteTokenizer;

impl ByteTokenizer {
    pub fn new() -> Self {
        ByteTokenizer
    }

    pub fn vocab_size(&self) -> usize {
        VOCAB_SIZE
    }

    pub fn eos_id(&self) -> u32 {
        EOS_ID
    }

    /// The UTF-8 bytes of `text`, one id each. Does not append EOS: the loader does, per document.
    pub fn encode(&self, text: &str) -> Vec<u32> {
        text.bytes().map(u32::from).collect()
    }

    /// Appends the ids of `text` to `out`, avoiding a temporary vector on the loader's hot path.
    pub fn encode_into(&self, text: &str, out: &mut Vec<u32>) {
        out.extend(text.bytes().map(u32::from));
    }

    /// Text of `ids`. EOS becomes a newline; byte sequences that are not valid UTF-8 (a model can
    /// emit them) become U+FFFD rather than an error, since generated text is only for reading.
    pub fn decode(&self, ids: &[u32]) -> String {
        let mut out = String::new();
        for chunk in ids.split(|&id| id >= BYTE_TOKENS) {
            let bytes: Vec<u8> = chunk.iter().map(|&id| id as u8).collect();
            out.push_str(&String::from_utf8_lossy(&bytes));
            out.push('\n');
        }
        out.pop();
        out
    }

    pub fn info(&self) -> TokenizerInfo {
        TokenizerInfo {
            kind: "bytes".to_string(),
            vocab_size: VOCAB_SIZE,
            eos_id: EOS_ID,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_ascii_and_multibyte() {
        let t = ByteTokenizer::new();
        for text in [
            "",
            "To be, or not to be",
            "naïve café — ünïcödé",
            "日本語テキスト",
            "emoji 🦀🔥 done",
        ] {
            let ids = t.encode(text);
            assert_eq!(ids.len(), text.len(), "one id per UTF-8 byte for {text:?}");
            assert!(ids.iter().all(|&id| id < BYTE_TOKENS));
            assert_eq!(t.decode(&ids), text);
        }
        // A 4-byte character really is four tokens.
        assert_eq!(t.encode("🦀"), vec![0xF0, 0x9F, 0xA6, 0x80]);
    }

    #[test]
    fn eos_separates_documents_and_broken_bytes_do_not_panic() {
        let t = ByteTokenizer::new();
        let mut ids = t.encode("first");
        ids.push(EOS_ID);
        t.encode_into("second", &mut ids);
        assert_eq!(t.decode(&ids), "first\nsecond");
        // A truncated multibyte sequence decodes lossily.
        assert_eq!(t.decode(&[0xE6, 0x97]), "\u{FFFD}");
        let info = t.info();
        assert_eq!(
            (info.kind.as_str(), info.vocab_size, info.eos_id),
            ("bytes", 257, 256)
        );
    }
}
