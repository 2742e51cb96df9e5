//! The per-document stages of curation, as plain functions over one page or one batch.
//!
//! `process_page` runs on every core at once (extraction, language ID and hashing dominate the
//! cost); `dedup_batch` then runs in input order, so that which copy of a duplicated text
//! survives does not depend on thread timing.

use assent_dedup::ExactDedup;
use assent_filter::LanguageFilter;
use assent_ingest::{extract, InputItem, Page};
use assent_schemas::{
    canonical_url, doc_id, host_of, text_hash, Dedup, Document, LedgerRow, ReasonCode, Stage,
};
use std::collections::BTreeMap;

/// What one record became: a document on its way to a shard, or a final ledger row.
pub enum Outcome {
    Candidate(Box<Document>),
    Left(LedgerRow),
}

/// Settings of the per-document stages.
pub struct StageSettings {
    pub language: LanguageFilter,
    pub pipeline_version: String,
}

/// The id of the record a page came from, for its doc_id: the input's record id, else the
/// file and offset, which are unique within a run.
fn record_key(page: &Page) -> String {
    match (
        &page.source.record_id,
        &page.source.file,
        page.source.offset,
    ) {
        (Some(id), _, _) => id.clone(),
        (None, file, offset) => {
            format!("{}#{}", file.as_deref().unwrap_or(""), offset.unwrap_or(0))
        }
    }
}

/// Extraction, language ID and the quality measures of one record.
pub fn process_item(item: InputItem, settings: &StageSettings) -> Outcome {
    match item {
        InputItem::Skipped(row) => Outcome::Left(row),
        InputItem::Page(page) => process_page(page, settings),
    }
}

fn process_page(page: Page, settings: &StageSettings) -> Outcome {
    let url = canonical_url(&page.url);
    let id = doc_id(&url, &record_key(&page));
    let left = |stage, reason: ReasonCode, evidence: serde_json::Value| {
        let mut evidence = evidence;
        if let serde_json::Value::Object(map) = &mut evidence {
            map.insert("file".into(), page.source.file.clone().into());
            map.insert("offset".into(), page.source.offset.into());
        }
        Outcome::Left(LedgerRow::left(
            (!url.is_empty()).then(|| url.clone()),
            Some(id.clone()),
            page.source.clone(),
            stage,
            reason,
            evidence,
        ))
    };
    let extracted = match extract::page_text(&page) {
        Ok(e) => e,
        Err(rejection) => return left(Stage::Extract, rejection.reason, rejection.evidence),
    };
    let guess = settings.language.identify(&extracted.text);
    if let Err(reason) = settings.language.judge(guess.as_ref()) {
        let evidence = serde_json::json!({
            "lang": guess.as_ref().map(|g| g.code.clone()),
            "lang_score": guess.as_ref().map(|g| g.score),
        });
        return left(Stage::Filter, reason, evidence);
    }
    let quality = quality_signals(&extracted.text);
    Outcome::Candidate(Box::new(Document {
        doc_id: id,
        host: host_of(&url),
        url,
        source: page.source,
        fetched_at: page.fetched_at,
        http_status: page.http_status,
        content_type: page.content_type,
        text_hash: text_hash(&extracted.text),
        text: extracted.text,
        lang: guess.as_ref().map(|g| g.code.clone()),
        lang_score: guess.map(|g| g.score),
        licence: page.licence,
        consent: page.consent.unwrap_or_default(),
        quality,
        dedup: Dedup::default(),
        pipeline_version: settings.pipeline_version.clone(),
    }))
}

/// Signals every later quality rule needs; cheap enough to record for every document.
fn quality_signals(text: &str) -> BTreeMap<String, f64> {
    let words = text.split_whitespace().count() as f64;
    let chars = text.chars().count() as f64;
    let lines = text.lines().filter(|l| !l.trim().is_empty()).count() as f64;
    BTreeMap::from([
        ("chars".to_string(), chars),
        ("words".to_string(), words),
        ("lines".to_string(), lines),
    ])
}

/// Exact dedup over one batch, in input order: a candidate whose text was already claimed
/// becomes a `dedup.exact` row naming the document that claimed it.
pub fn dedup_batch(
    outcomes: Vec<Outcome>,
    dedup: Option<&ExactDedup>,
) -> (Vec<Document>, Vec<LedgerRow>) {
    let mut docs = Vec::new();
    let mut rows = Vec::new();
    for outcome in outcomes {
        match outcome {
            Outcome::Left(row) => rows.push(row),
            Outcome::Candidate(doc) => match dedup
                .and_then(|d| d.claim(&doc.text_hash, &doc.doc_id))
            {
                None => docs.push(*doc),
                Some(first) => rows.push(LedgerRow::left(
                    Some(doc.url.clone()),
                    Some(doc.doc_id.clone()),
                    doc.source.clone(),
                    Stage::Dedup,
                    ReasonCode::DedupExact,
                    serde_json::json!({ "duplicate_of": first.doc_id, "text_hash": doc.text_hash }),
                )),
            },
        }
    }
    (docs, rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use assent_ingest::Payload;
    use assent_schemas::{Decision, Source, SourceKind};

    fn page(url: &str, html: &str, offset: u64) -> InputItem {
        InputItem::Page(Page {
            url: url.into(),
            source: Source {
                kind: SourceKind::Warc,
                file: Some("t.warc".into()),
                record_id: Some(format!("<urn:{offset}>")),
                offset: Some(offset),
            },
            fetched_at: None,
            http_status: Some(200),
            content_type: Some("text/html".into()),
            headers: vec![],
            payload: Payload::Html(html.as_bytes().to_vec()),
            consent: None,
            licence: None,
        })
    }

    fn settings() -> StageSettings {
        StageSettings {
            language: LanguageFilter::default(),
            pipeline_version: "t".into(),
        }
    }

    #[test]
    fn a_page_becomes_a_document_with_provenance() {
        let html = "<html><head><title>T</title></head><body><p>The quick brown fox jumps over the lazy dog near the river bank today.</p></body></html>";
        let Outcome::Candidate(doc) =
            process_item(page("HTTP://Example.org/a#x", html, 7), &settings())
        else {
            panic!("expected a document")
        };
        assert_eq!(doc.url, "http://example.org/a");
        assert_eq!(doc.host, "example.org");
        assert_eq!(doc.doc_id, doc_id("http://example.org/a", "<urn:7>"));
        assert!(doc.text.contains("quick brown fox"));
        assert_eq!(doc.lang.as_deref(), Some("en"));
        assert_eq!(
            doc.quality["words"],
            doc.text.split_whitespace().count() as f64
        );
    }

    #[test]
    fn empty_page_and_duplicates_leave_with_reasons() {
        let s = settings();
        let body =
            "<body><p>Same words in the same order, twice over, for the dedup stage.</p></body>";
        let outcomes = vec![
            process_item(page("http://a.example/", body, 1), &s),
            process_item(
                page("http://b.example/", "<body><script>x()</script></body>", 2),
                &s,
            ),
            process_item(page("http://c.example/", body, 3), &s),
        ];
        let dedup = ExactDedup::new();
        let (docs, rows) = dedup_batch(outcomes, Some(&dedup));
        assert_eq!(docs.len(), 1);
        assert_eq!(docs[0].url, "http://a.example/");
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].reasons, vec![ReasonCode::ExtractEmpty]);
        assert_eq!(rows[1].reasons, vec![ReasonCode::DedupExact]);
        assert_eq!(rows[1].decision, Decision::Dropped);
        assert!(rows[1].evidence.contains(&docs[0].doc_id));
        assert!(
            !rows[1].evidence.contains("Same words"),
            "the ledger never holds text"
        );
    }
}
