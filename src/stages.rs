//! The per-document stages of curation, as plain functions over one page or one batch.
//!
//! `process_page` runs on every core at once (licence detection, extraction, language ID and
//! hashing dominate the cost); `dedup_batch` then runs in input order, so that which copy of a
//! duplicated text survives does not depend on thread timing.
//!
//! Consent and licences: a crawled page arrives with its consent decision, licence and
//! evidence (the crawler judged it as it was fetched); a page of file input (WARC, WET,
//! Parquet, JSONL) is judged here by [`FileConsent`] — the same page-level rules over its
//! stored headers and markup, site-level signals from the run's site-file source — and a
//! refused one leaves as a `consent` ledger row with its evidence and none of its text. Each
//! page examined also yields a [`LicenceSeen`] for the per-domain licence audit, as do the
//! crawler's page-level refusals (from the `licence.page` object of their evidence).

use crate::file_consent::FileConsent;
use assent_dedup::ExactDedup;
use assent_filter::LanguageFilter;
use assent_ingest::consent::decision::refusal_row;
use assent_ingest::consent::licence;
use assent_ingest::{extract, InputItem, Page};
use assent_schemas::{
    canonical_url, doc_id, host_of, text_hash, Consent, Decision, Dedup, Document, LedgerRow,
    Licence, ReasonCode, SourceKind, Stage,
};
use std::collections::BTreeMap;

/// What one record became: a document on its way to a shard, or a final ledger row.
pub enum Outcome {
    Candidate(Box<Document>),
    Left(LedgerRow),
}

/// A page whose licences were examined: its domain ([`licence::licence_domain`]) and page
/// licence, for the licence audit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LicenceSeen {
    pub domain: String,
    pub spdx: Option<String>,
}

/// A record after the per-document stages.
pub struct Processed {
    pub outcome: Outcome,
    pub seen: Option<LicenceSeen>,
}

/// A batch after dedup: documents for the shards, final ledger rows, documents held for the
/// licence guard (not yet deduplicated), and the pages seen for the audit.
#[derive(Default)]
pub struct Batch {
    pub docs: Vec<Document>,
    pub rows: Vec<LedgerRow>,
    pub held: Vec<Document>,
    pub seen: Vec<LicenceSeen>,
}

/// Settings of the per-document stages.
pub struct StageSettings {
    pub language: LanguageFilter,
    pub pipeline_version: String,
    /// How pages that arrive without a consent decision (file input) are judged.
    pub consent: std::sync::Arc<FileConsent>,
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

/// Licence detection, extraction, language ID and the quality measures of one record.
pub fn process_item(item: InputItem, settings: &StageSettings) -> Processed {
    match item {
        InputItem::Skipped(row) => Processed {
            seen: seen_in_refusal(&row),
            outcome: Outcome::Left(row),
        },
        InputItem::Page(page) => process_page(page, settings),
    }
}

/// The page licence a crawler's page-level refusal recorded (its `licence.page` evidence).
fn seen_in_refusal(row: &LedgerRow) -> Option<LicenceSeen> {
    if row.stage != Stage::Consent || row.source.kind != SourceKind::Crawl {
        return None;
    }
    if !row.evidence.contains(licence::PAGE_SIGNAL) {
        return None;
    }
    let ev: serde_json::Value = serde_json::from_str(&row.evidence).ok()?;
    let (domain, spdx) = licence::page_evidence_in(ev.get("signals")?)?;
    Some(LicenceSeen { domain, spdx })
}

/// The page's licence, consent and audit entry: as the crawler found them, or judged here.
fn licence_and_consent(
    page: &Page,
    settings: &StageSettings,
) -> (Option<Licence>, Consent, LicenceSeen) {
    let (licence, consent) = match &page.consent {
        Some(consent) => (page.licence.clone(), consent.clone()),
        None => {
            let (consent, licence) = settings.consent.judge(page);
            (licence, consent)
        }
    };
    let seen = LicenceSeen {
        domain: licence::licence_domain(&page.url),
        spdx: licence.as_ref().map(|l| l.spdx.clone()),
    };
    (licence, consent, seen)
}

fn process_page(page: Page, settings: &StageSettings) -> Processed {
    let (licence, consent, seen) = licence_and_consent(&page, settings);
    let outcome = if consent.decision == Decision::Kept {
        page_outcome(page, licence, consent, settings)
    } else {
        Outcome::Left(refusal(&page, &consent))
    };
    Processed {
        outcome,
        seen: Some(seen),
    }
}

/// The ledger row of a page of file input that consent refused: the signals (licence
/// snippets taken out: a snippet is a few of the page's own words) and where the record is.
/// Nothing else of the page is kept; its payload is dropped with it.
fn refusal(page: &Page, consent: &Consent) -> LedgerRow {
    let url = canonical_url(&page.url);
    let extra = serde_json::json!({
        "file": page.source.file,
        "offset": page.source.offset,
        "record_id": page.source.record_id,
        "unchecked": consent.unchecked,
    });
    refusal_row(
        (!url.is_empty()).then(|| url.clone()),
        Some(doc_id(&url, &record_key(page))),
        page.source.clone(),
        consent,
        extra,
    )
}

fn page_outcome(
    page: Page,
    licence: Option<Licence>,
    consent: Consent,
    settings: &StageSettings,
) -> Outcome {
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
        licence,
        consent,
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

/// [`dedup_batch`] over processed records, with documents for which `hold` is true set aside
/// (undeduplicated: they claim their text only when released) and the pages seen collected.
pub fn finish_batch(
    processed: Vec<Processed>,
    dedup: Option<&ExactDedup>,
    hold: &(dyn Fn(&Document) -> bool + Sync),
) -> Batch {
    let mut batch = Batch::default();
    let mut outcomes = Vec::with_capacity(processed.len());
    for p in processed {
        batch.seen.extend(p.seen);
        match p.outcome {
            Outcome::Candidate(doc) if hold(&doc) => batch.held.push(*doc),
            other => outcomes.push(other),
        }
    }
    let (docs, rows) = dedup_batch(outcomes, dedup);
    batch.docs = docs;
    batch.rows = rows;
    batch
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
    use assent_schemas::Source;

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
            carried_consent: None,
        })
    }

    /// File input judged against an archive with no site files: every page's site-level
    /// consent is unchecked, and kept (the default policy).
    fn settings() -> StageSettings {
        let index = assent_ingest::archive::SiteFileIndex::new(std::path::Path::new(
            "/nonexistent/never-written.spill",
        ));
        let archive = assent_ingest::archive::ArchivedSites::new(index);
        StageSettings {
            language: LanguageFilter::default(),
            pipeline_version: "t".into(),
            consent: std::sync::Arc::new(FileConsent {
                source: std::sync::Arc::new(archive),
                registry: None,
                token: "AssentBot".into(),
                policy: assent_ingest::consent::Policy::OptOut,
                allowed_licences: licence::default_allowed(),
                unchecked: crate::config::UncheckedPolicy::Keep,
            }),
        }
    }

    #[test]
    fn a_page_becomes_a_document_with_provenance() {
        let html = "<html><head><title>T</title></head><body><p>The quick brown fox jumps over the lazy dog near the river bank today.</p></body></html>";
        let Outcome::Candidate(doc) =
            process_item(page("HTTP://Example.org/a#x", html, 7), &settings()).outcome
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
        assert_eq!(doc.licence, None);
        // No site files to judge by: kept, and saying so.
        assert_eq!(doc.consent.unchecked, vec![assent_schemas::Unchecked::Site]);
        let ev: Vec<serde_json::Value> = serde_json::from_str(&doc.consent.evidence).unwrap();
        assert_eq!(ev[0]["signal"], "consent.unchecked");
        assert!(ev[0]["raw"]
            .as_str()
            .unwrap()
            .contains("no robots.txt of http://example.org:80"));
    }

    #[test]
    fn licences_of_file_input_are_detected_and_counted() {
        let html = r#"<html><head><link rel="license" href="https://creativecommons.org/licenses/by-sa/4.0/"></head>
            <body><p>The quick brown fox jumps over the lazy dog near the river bank today.</p>
            <footer>This page is licensed under CC BY-NC 4.0.</footer></body></html>"#;
        let p = process_item(page("https://www.Example.org/a", html, 1), &settings());
        assert_eq!(
            p.seen,
            Some(LicenceSeen {
                domain: "example.org".into(),
                spdx: Some("CC-BY-SA-4.0".into())
            })
        );
        let Outcome::Candidate(doc) = p.outcome else {
            panic!("expected a document")
        };
        let l = doc.licence.as_ref().unwrap();
        assert_eq!(
            (l.spdx.as_str(), l.found_in.as_str()),
            ("CC-BY-SA-4.0", "link-rel")
        );
        let ev: Vec<serde_json::Value> = serde_json::from_str(&doc.consent.evidence).unwrap();
        let found: Vec<&serde_json::Value> =
            ev.iter().filter(|v| v["signal"] == "licence").collect();
        assert_eq!(found.len(), 2, "{ev:?}");
        assert_eq!(found[1]["spdx"], "CC-BY-NC-4.0");
        assert_eq!(found[1]["tier"], "text");
        assert_eq!(doc.consent.decision, Decision::Kept);
        // Text records: statements in the text.
        let mut item = page("https://t.example/x", "", 2);
        if let InputItem::Page(p) = &mut item {
            p.payload = Payload::Text(
                "A long enough text about foxes and dogs, released under the MIT License.".into(),
            );
        }
        let p = process_item(item, &settings());
        assert_eq!(p.seen.unwrap().spdx.as_deref(), Some("MIT"));
        // A page dropped later (no text) is still counted.
        let p = process_item(
            page("http://b.example/", "<body><script>x()</script></body>", 3),
            &settings(),
        );
        assert!(matches!(p.outcome, Outcome::Left(_)));
        assert_eq!(p.seen.unwrap().domain, "b.example");
    }

    #[test]
    fn licences_of_utf16_pages_are_found() {
        let html = r#"<html><head><link rel="license" href="https://creativecommons.org/licenses/by/4.0/"></head>
            <body><p>The quick brown fox jumps over the lazy dog near the river bank today.</p></body></html>"#;
        let mut item = page("https://u.example/a", "", 1);
        if let InputItem::Page(p) = &mut item {
            let mut body = vec![0xFF, 0xFE];
            body.extend(html.encode_utf16().flat_map(u16::to_le_bytes));
            p.payload = Payload::Html(body);
        }
        let p = process_item(item, &settings());
        assert_eq!(p.seen.unwrap().spdx.as_deref(), Some("CC-BY-4.0"));
        let Outcome::Candidate(doc) = p.outcome else {
            panic!("expected a document")
        };
        assert_eq!(doc.licence.unwrap().spdx, "CC-BY-4.0");
        assert!(doc.text.contains("quick brown fox"));
    }

    #[test]
    fn crawler_refusals_are_counted_from_their_page_evidence() {
        let mut row = LedgerRow::left(
            Some("https://s.example/a".into()),
            None,
            Source {
                kind: SourceKind::Crawl,
                file: None,
                record_id: None,
                offset: None,
            },
            Stage::Consent,
            ReasonCode::LicenceNotAllowed,
            serde_json::json!({"signals": [
                {"signal": "robots", "found_in": "x", "raw": "", "verdict": "allow"},
                {"signal": "licence.page", "found_in": "https://s.example/a", "raw": "",
                 "verdict": "neutral", "spdx": null, "domain": "s.example", "findings": 0}
            ], "redirects": []}),
        );
        let p = process_item(InputItem::Skipped(row.clone()), &settings());
        assert_eq!(
            p.seen,
            Some(LicenceSeen {
                domain: "s.example".into(),
                spdx: None
            })
        );
        // Site-level refusals (never fetched) carry no page evidence; other stages neither.
        row.evidence = serde_json::json!({"signals": [], "redirects": []}).to_string();
        assert_eq!(
            process_item(InputItem::Skipped(row.clone()), &settings()).seen,
            None
        );
        row.stage = Stage::Fetch;
        assert_eq!(
            process_item(InputItem::Skipped(row), &settings()).seen,
            None
        );
    }

    #[test]
    fn held_documents_skip_dedup_and_seen_pages_are_collected() {
        let s = settings();
        let body =
            "<body><p>Same words in the same order, twice over, for the dedup stage.</p></body>";
        let processed = vec![
            process_item(page("http://a.example/", body, 1), &s),
            process_item(page("http://held.example/", body, 2), &s),
            process_item(page("http://c.example/", body, 3), &s),
        ];
        let dedup = ExactDedup::new();
        let b = finish_batch(processed, Some(&dedup), &|d: &Document| {
            d.host == "held.example"
        });
        assert_eq!(b.docs.len(), 1);
        assert_eq!(b.held.len(), 1);
        assert_eq!(b.held[0].host, "held.example");
        assert_eq!(b.rows.len(), 1);
        assert_eq!(b.rows[0].reasons, vec![ReasonCode::DedupExact]);
        assert_eq!(b.seen.len(), 3);
    }

    #[test]
    fn empty_page_and_duplicates_leave_with_reasons() {
        let s = settings();
        let body =
            "<body><p>Same words in the same order, twice over, for the dedup stage.</p></body>";
        let outcomes = vec![
            process_item(page("http://a.example/", body, 1), &s).outcome,
            process_item(
                page("http://b.example/", "<body><script>x()</script></body>", 2),
                &s,
            )
            .outcome,
            process_item(page("http://c.example/", body, 3), &s).outcome,
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
