//! Consent evidence in the index, held once per distinct value and compressed with a zstd
//! dictionary trained on the corpus's own evidence.
//!
//! Why: every document has its evidence (the signals checked, where each was found, what it
//! said), and most evidence differs from the next only in a URL and a few words. Held as
//! JSON it was half the index (940 MB of 1.9 GB at a million documents), and every URL
//! lookup reads one such row; a dictionary of the shared structure makes a row about a
//! thirteenth of its JSON (664 bytes to 49 in that corpus) and reading it back costs well
//! under a microsecond.
//!
//! A value is stored as TEXT (its JSON) until the index has a dictionary, and as a BLOB (a
//! zstd frame made with the dictionary) after: the column's type says which. The dictionary
//! is trained once, in the first build that meets [`TRAIN_SAMPLES`] new values, from those
//! values, and kept in `meta` (`evidence_dictionary`); it never changes after, so every
//! BLOB in the index reads with it.

use rusqlite::types::ValueRef;
use rusqlite::{params, Connection, OptionalExtension};
use sha2::{Digest, Sha256};

/// Values a dictionary is trained on.
const TRAIN_SAMPLES: usize = 2000;
/// The dictionary's size, at most.
const DICTIONARY_BYTES: usize = 16 * 1024;
/// zstd's level: the default, the one it is tuned for small values at.
const LEVEL: i32 = 3;
/// Largest evidence value read back.
const MAX_JSON: usize = 64 << 20;
const META_KEY: &str = "evidence_dictionary";

fn dictionary(conn: &Connection) -> rusqlite::Result<Option<Vec<u8>>> {
    conn.query_row("SELECT value FROM meta WHERE key = ?1", [META_KEY], |r| {
        r.get(0)
    })
    .optional()
}

/// Adds evidence within a build's transaction.
pub struct Writer {
    compressor: Option<zstd::bulk::Compressor<'static>>,
    samples: Vec<String>,
}

impl Writer {
    pub fn open(conn: &Connection) -> rusqlite::Result<Writer> {
        let compressor = match dictionary(conn)? {
            Some(d) => Some(zstd::bulk::Compressor::with_dictionary(LEVEL, &d).map_err(codec)?),
            None => None,
        };
        Ok(Writer {
            compressor,
            samples: Vec::new(),
        })
    }

    /// The row of evidence `json`, added if the index lacks it.
    pub fn id(&mut self, conn: &Connection, json: &str) -> rusqlite::Result<i64> {
        let hash = Sha256::digest(json.as_bytes());
        if let Some(id) = id_by_hash(conn, &hash)? {
            return Ok(id);
        }
        let mut insert =
            conn.prepare_cached("INSERT INTO evidence(sha256, json) VALUES (?1, ?2)")?;
        match &mut self.compressor {
            Some(c) => {
                let frame = c.compress(json.as_bytes()).map_err(codec)?;
                insert.execute(params![&hash[..], frame])?;
            }
            None => {
                insert.execute(params![&hash[..], json])?;
                self.samples.push(json.to_string());
            }
        }
        let id = conn.last_insert_rowid();
        if self.compressor.is_none() && self.samples.len() == TRAIN_SAMPLES {
            self.train(conn)?;
        }
        Ok(id)
    }

    fn train(&mut self, conn: &Connection) -> rusqlite::Result<()> {
        let samples = std::mem::take(&mut self.samples);
        // Too uniform or too few bytes to learn from: the values stay JSON.
        let Ok(d) = zstd::dict::from_samples(&samples, DICTIONARY_BYTES) else {
            return Ok(());
        };
        conn.execute(
            "INSERT INTO meta(key, value) VALUES (?1, ?2)",
            params![META_KEY, d],
        )?;
        self.compressor = Some(zstd::bulk::Compressor::with_dictionary(LEVEL, &d).map_err(codec)?);
        Ok(())
    }
}

/// The row of the evidence whose sha256 is `hex`, if the index holds it.
pub fn id_by_hex(conn: &Connection, hex: &str) -> rusqlite::Result<Option<i64>> {
    let bytes: Option<Vec<u8>> = (0..32)
        .map(|i| u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok())
        .collect();
    match bytes {
        Some(b) if hex.len() == 64 => id_by_hash(conn, &b),
        _ => Ok(None),
    }
}

fn id_by_hash(conn: &Connection, hash: &[u8]) -> rusqlite::Result<Option<i64>> {
    conn.prepare_cached("SELECT id FROM evidence WHERE sha256 = ?1")?
        .query_row([hash], |r| r.get(0))
        .optional()
}

/// Reads evidence back, for one connection.
pub struct Reader {
    decompressor: Option<zstd::bulk::Decompressor<'static>>,
}

impl Reader {
    pub fn open(conn: &Connection) -> rusqlite::Result<Reader> {
        let decompressor = match dictionary(conn)? {
            Some(d) => Some(zstd::bulk::Decompressor::with_dictionary(&d).map_err(codec)?),
            None => None,
        };
        Ok(Reader { decompressor })
    }

    /// The JSON of an `evidence.json` value.
    pub fn json(&mut self, value: ValueRef<'_>) -> rusqlite::Result<Option<String>> {
        match value {
            ValueRef::Null => Ok(None),
            ValueRef::Text(t) => Ok(Some(String::from_utf8_lossy(t).into_owned())),
            ValueRef::Blob(frame) => {
                let d = self.decompressor.as_mut().ok_or_else(|| {
                    codec(std::io::Error::other(
                        "compressed evidence in an index without a dictionary",
                    ))
                })?;
                let bytes = d.decompress(frame, MAX_JSON).map_err(codec)?;
                String::from_utf8(bytes).map(Some).map_err(codec)
            }
            _ => Err(codec(std::io::Error::other("evidence of an unknown type"))),
        }
    }
}

fn codec(e: impl std::error::Error + Send + Sync + 'static) -> rusqlite::Error {
    rusqlite::Error::ToSqlConversionFailure(Box::new(e))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index() -> Connection {
        let c = Connection::open_in_memory().unwrap();
        c.execute_batch(
            "CREATE TABLE meta(key TEXT PRIMARY KEY, value NOT NULL) WITHOUT ROWID;
             CREATE TABLE evidence(id INTEGER PRIMARY KEY, sha256 BLOB NOT NULL UNIQUE, json NOT NULL);",
        )
        .unwrap();
        c
    }

    fn value(i: usize) -> String {
        format!(
            r#"{{"decision":"kept","evidence":[{{"signal":"robots","found_in":"http://site{}.example/page/{i}","raw":"allow {}","verdict":"allow"}}]}}"#,
            i % 37,
            i * 7919 % 1000
        )
    }

    #[test]
    fn evidence_reads_back_exactly_before_and_after_the_dictionary_and_once_per_value() {
        let c = index();
        let mut w = Writer::open(&c).unwrap();
        let ids: Vec<i64> = (0..TRAIN_SAMPLES + 500)
            .map(|i| w.id(&c, &value(i)).unwrap())
            .collect();
        assert_eq!(w.id(&c, &value(3)).unwrap(), ids[3], "a value is held once");
        assert!(
            dictionary(&c).unwrap().is_some(),
            "trained at {TRAIN_SAMPLES} values"
        );
        let (texts, blobs): (i64, i64) = c
            .query_row(
                "SELECT sum(typeof(json) = 'text'), sum(typeof(json) = 'blob') FROM evidence",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert_eq!((texts, blobs), (TRAIN_SAMPLES as i64, 500));
        let stored: i64 = c
            .query_row(
                "SELECT sum(length(json)) FROM evidence WHERE typeof(json) = 'blob'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        let raw: usize = (TRAIN_SAMPLES..TRAIN_SAMPLES + 500)
            .map(|i| value(i).len())
            .sum();
        assert!(
            (stored as usize) * 3 < raw,
            "{stored} bytes stored of {raw}"
        );

        // A later build's writer and a reader use the stored dictionary.
        let mut w = Writer::open(&c).unwrap();
        let late = w.id(&c, &value(99_999)).unwrap();
        let mut r = Reader::open(&c).unwrap();
        for (i, id) in ids.iter().enumerate().step_by(97).chain([(99_999, &late)]) {
            let json: Option<String> = c
                .query_row("SELECT json FROM evidence WHERE id = ?1", [id], |row| {
                    r.json(row.get_ref(0)?)
                })
                .unwrap();
            assert_eq!(json.as_deref(), Some(value(i).as_str()));
        }
        let hex = assent_schemas::digest::sha256_hex(value(5).as_bytes());
        assert_eq!(id_by_hex(&c, &hex).unwrap(), Some(ids[5]));
        assert_eq!(id_by_hex(&c, "00").unwrap(), None);
    }
}
