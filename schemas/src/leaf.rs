//! The leaf of the provenance log: one kept document or one refused or dropped record, in a
//! canonical encoding (`schemas/README.md`, "Log leaves") that an outsider rebuilds from what
//! the query service returns, and hashes to check the inclusion proof.
//!
//! The encoding is text, one field per line in a fixed order, `name SP value LF`, an absent
//! value empty. Lines because a person can read a leaf and a short script can rebuild one;
//! fixed order and no escaping because a leaf must have exactly one encoding. So no value may
//! hold a line break: URLs, doc ids, licence expressions, reason codes and shard paths never
//! do, and a value that does is refused rather than encoded.

use crate::digest::sha256_hex;
use crate::reason::Decision;
use crate::record::{Document, LedgerRow};

/// The first line of every leaf: the encoding and its version.
pub const LEAF_VERSION: &str = "assent-leaf/1";

/// Which of the log's two trees a leaf belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Tree {
    /// Documents in the corpus.
    Kept,
    /// Records refused by consent or dropped by a rule, named by the hash of their URL.
    Refused,
}

impl Tree {
    pub fn as_str(self) -> &'static str {
        match self {
            Tree::Kept => "kept",
            Tree::Refused => "refused",
        }
    }
}

/// One leaf's fields, in their encoded order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Leaf {
    pub tree: Tree,
    pub doc_id: Option<String>,
    /// The canonical URL, for a kept document.
    pub url: Option<String>,
    /// Lower-case hex sha256 of the canonical URL, for every leaf whose record had one (a
    /// refused one names its URL only by it: refusals are published, what was refused is not).
    pub url_sha256: Option<String>,
    /// Lower-case hex sha256 of the document's text (UTF-8), where there was one.
    pub text_sha256: Option<String>,
    /// The SPDX expression the document was kept under.
    pub licence: Option<String>,
    pub decision: Decision,
    /// Reason codes in the ledger's order.
    pub reasons: Vec<String>,
    /// Lower-case hex sha256 of the evidence JSON's bytes, as the ledger or shard holds them.
    pub evidence_sha256: Option<String>,
    /// The shard (relative to the corpus) and row of a kept document.
    pub shard: Option<String>,
    pub row: Option<u64>,
}

/// Why a leaf cannot be encoded or read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LeafError {
    #[error("the {0} of a leaf holds a line break or a comma list item is empty")]
    Unencodable(&'static str),
    #[error("not an {LEAF_VERSION} leaf: {0}")]
    Malformed(String),
}

const FIELDS: [&str; 11] = [
    "tree",
    "doc_id",
    "url",
    "url_sha256",
    "text_sha256",
    "licence",
    "decision",
    "reasons",
    "evidence_sha256",
    "shard",
    "row",
];

impl Leaf {
    /// The leaf of a kept document at `row` of `shard`. Its evidence is the document's consent
    /// record as JSON (what the query service returns as `evidence`).
    pub fn kept(doc: &Document, shard: &str, row: u64) -> Leaf {
        let evidence = serde_json::to_vec(&doc.consent).expect("a consent record serialises");
        Leaf {
            tree: Tree::Kept,
            doc_id: Some(doc.doc_id.clone()),
            url: Some(doc.url.clone()),
            url_sha256: Some(sha256_hex(doc.url.as_bytes())),
            text_sha256: Some(sha256_hex(doc.text.as_bytes())),
            licence: doc.licence.as_ref().map(|l| l.spdx.clone()),
            decision: Decision::Kept,
            reasons: Vec::new(),
            evidence_sha256: Some(sha256_hex(&evidence)),
            shard: Some(shard.to_string()),
            row: Some(row),
        }
    }

    /// The leaf of a ledger row that did not keep its record (refused, dropped or failed).
    /// The ledger holds no text, so none is hashed.
    pub fn refused(row: &LedgerRow) -> Leaf {
        Leaf {
            tree: Tree::Refused,
            doc_id: row.doc_id.clone(),
            url: None,
            url_sha256: row.url.as_deref().map(|u| sha256_hex(u.as_bytes())),
            text_sha256: None,
            licence: None,
            decision: row.decision,
            reasons: row.reasons.iter().map(|r| r.as_str().to_string()).collect(),
            evidence_sha256: Some(sha256_hex(row.evidence.as_bytes())),
            shard: None,
            row: None,
        }
    }

    /// The leaf's bytes: the version line, then each field.
    pub fn encode(&self) -> Result<Vec<u8>, LeafError> {
        if self.reasons.iter().any(|r| r.is_empty() || r.contains(',')) {
            return Err(LeafError::Unencodable("reasons"));
        }
        let values = [
            Some(self.tree.as_str().to_string()),
            self.doc_id.clone(),
            self.url.clone(),
            self.url_sha256.clone(),
            self.text_sha256.clone(),
            self.licence.clone(),
            Some(self.decision.as_str().to_string()),
            Some(self.reasons.join(",")),
            self.evidence_sha256.clone(),
            self.shard.clone(),
            self.row.map(|r| r.to_string()),
        ];
        let mut out = format!("{LEAF_VERSION}\n");
        for (name, value) in FIELDS.iter().zip(values) {
            let value = value.unwrap_or_default();
            if value.contains(['\n', '\r']) {
                return Err(LeafError::Unencodable(name));
            }
            out.push_str(name);
            out.push(' ');
            out.push_str(&value);
            out.push('\n');
        }
        Ok(out.into_bytes())
    }

    /// Reads leaf bytes back; only the one encoding [`Leaf::encode`] gives is accepted.
    pub fn parse(bytes: &[u8]) -> Result<Leaf, LeafError> {
        let bad = |why: &str| LeafError::Malformed(why.to_string());
        let text = std::str::from_utf8(bytes).map_err(|_| bad("not UTF-8"))?;
        let body = text
            .strip_suffix('\n')
            .ok_or_else(|| bad("no final newline"))?;
        let mut lines = body.split('\n');
        if lines.next() != Some(LEAF_VERSION) {
            return Err(bad("the first line is not the version"));
        }
        let mut values = Vec::with_capacity(FIELDS.len());
        for name in FIELDS {
            let line = lines.next().ok_or_else(|| bad("a field is missing"))?;
            let value = line
                .strip_prefix(name)
                .and_then(|rest| rest.strip_prefix(' '))
                .ok_or_else(|| LeafError::Malformed(format!("expected the field {name}")))?;
            if value.contains('\r') {
                return Err(bad("a carriage return"));
            }
            values.push((!value.is_empty()).then(|| value.to_string()));
        }
        if lines.next().is_some() {
            return Err(bad("a line after the last field"));
        }
        let [tree, doc_id, url, url_sha256, text_sha256, licence, decision, reasons, evidence_sha256, shard, row] =
            <[Option<String>; 11]>::try_from(values).expect("eleven fields");
        let tree = match tree.as_deref() {
            Some("kept") => Tree::Kept,
            Some("refused") => Tree::Refused,
            _ => return Err(bad("the tree is neither kept nor refused")),
        };
        let leaf = Leaf {
            tree,
            doc_id,
            url,
            url_sha256,
            text_sha256,
            licence,
            decision: decision
                .ok_or_else(|| bad("no decision"))?
                .parse()
                .map_err(|e: String| LeafError::Malformed(e))?,
            reasons: reasons
                .map(|r| r.split(',').map(str::to_string).collect())
                .unwrap_or_default(),
            evidence_sha256,
            shard,
            row: row
                .map(|r| match r.parse::<u64>() {
                    Ok(n) if n.to_string() == r => Ok(n),
                    _ => Err(bad("the row is not a decimal number")),
                })
                .transpose()?,
        };
        // One encoding only: what reads must write back the same bytes.
        if leaf.encode()? != bytes {
            return Err(bad("not in canonical form"));
        }
        Ok(leaf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reason::{ReasonCode, Stage};
    use crate::record::Source;

    fn kept() -> Leaf {
        Leaf {
            tree: Tree::Kept,
            doc_id: Some("d-3f2a".into()),
            url: Some("http://garden.demo.test/articles/7".into()),
            url_sha256: Some(sha256_hex(b"http://garden.demo.test/articles/7")),
            text_sha256: Some(sha256_hex("Roses, in March.".as_bytes())),
            licence: Some("CC-BY-4.0".into()),
            decision: Decision::Kept,
            reasons: vec![],
            evidence_sha256: Some(sha256_hex(b"{}")),
            shard: Some("shards/part-00000-00000.parquet".into()),
            row: Some(17),
        }
    }

    #[test]
    fn a_leaf_reads_back_as_written_and_its_bytes_are_fixed() {
        let leaf = kept();
        let bytes = leaf.encode().unwrap();
        assert_eq!(Leaf::parse(&bytes).unwrap(), leaf);
        let text = String::from_utf8(bytes).unwrap();
        assert!(text.starts_with("assent-leaf/1\ntree kept\ndoc_id d-3f2a\nurl http://garden"));
        assert!(text.ends_with("reasons \nevidence_sha256 44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a\nshard shards/part-00000-00000.parquet\nrow 17\n"), "{text}");
        let refused = Leaf {
            tree: Tree::Refused,
            doc_id: None,
            url: None,
            text_sha256: None,
            licence: None,
            decision: Decision::Refused,
            reasons: vec!["consent.robots".into(), "consent.tdmrep".into()],
            shard: None,
            row: None,
            ..kept()
        };
        let bytes = refused.encode().unwrap();
        assert_eq!(Leaf::parse(&bytes).unwrap(), refused);
        assert!(String::from_utf8(bytes).unwrap().contains("\nurl \n"));
    }

    #[test]
    fn what_has_no_single_encoding_is_refused() {
        let mut leaf = kept();
        leaf.url = Some("http://x.test/\nrow 1".into());
        assert_eq!(leaf.encode(), Err(LeafError::Unencodable("url")));
        let mut leaf = kept();
        leaf.reasons = vec!["a,b".into()];
        assert!(leaf.encode().is_err());
        let good = String::from_utf8(kept().encode().unwrap()).unwrap();
        for bad in [
            good.replace("row 17", "row 017"),
            good.replace("tree kept", "tree  kept"),
            good.replace("assent-leaf/1", "assent-leaf/2"),
            good.replace("\nrow 17\n", "\nrow 17\nextra x\n"),
            good.replace("\nrow 17\n", "\n"),
            good.replace("decision kept", "decision maybe"),
            good.trim_end().to_string(),
        ] {
            assert!(Leaf::parse(bad.as_bytes()).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_ledger_row_gives_a_refused_leaf_that_names_its_url_by_hash_only() {
        let row = LedgerRow::left(
            Some("http://private.demo.test/diary".into()),
            Some("d-77".into()),
            Source {
                kind: crate::record::SourceKind::Crawl,
                file: None,
                record_id: None,
                offset: None,
            },
            Stage::Consent,
            ReasonCode::RobotsDisallow,
            serde_json::json!({"robots": "Disallow: /"}),
        );
        let leaf = Leaf::refused(&row);
        let text = String::from_utf8(leaf.encode().unwrap()).unwrap();
        assert!(!text.contains("private.demo.test"), "{text}");
        assert!(text.contains(&sha256_hex(b"http://private.demo.test/diary")));
        assert!(
            text.contains("\ndecision refused\nreasons robots.disallow\n"),
            "{text}"
        );
        assert!(text.contains(&sha256_hex(row.evidence.as_bytes())));
        assert_eq!(Leaf::parse(text.as_bytes()).unwrap(), leaf);
        let no_url = LedgerRow { url: None, ..row };
        assert!(String::from_utf8(Leaf::refused(&no_url).encode().unwrap())
            .unwrap()
            .contains("\nurl_sha256 \n"));
    }

    #[test]
    fn a_kept_document_gives_a_leaf_of_its_hashes_and_place() {
        let doc = crate::columns::tests::sample(0, true);
        let leaf = Leaf::kept(&doc, "shards/part-00001-00002.parquet", 4);
        assert_eq!(leaf.text_sha256, Some(sha256_hex(doc.text.as_bytes())));
        assert_eq!(leaf.url.as_deref(), Some(doc.url.as_str()));
        let consent = serde_json::to_string(&doc.consent).unwrap();
        assert_eq!(leaf.evidence_sha256, Some(sha256_hex(consent.as_bytes())));
        let text = String::from_utf8(leaf.encode().unwrap()).unwrap();
        assert!(
            text.contains("\nlicence CC-BY-4.0\ndecision kept\nreasons \n"),
            "{text}"
        );
        assert!(
            text.ends_with("\nshard shards/part-00001-00002.parquet\nrow 4\n"),
            "{text}"
        );
    }
}
