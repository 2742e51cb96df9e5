//! Admission: what every record passes before any configured step, and what no
//! configuration can remove or reorder — decode, consent and licence, extract. A page leaves
//! it as a [`Document`] with its provenance, consent and text, or as a ledger row.
//!
//! `process_item` runs on every core at once (licence detection and extraction dominate the
//! cost), followed by the configured per-document steps ([`crate::steps`]).
//!
//! Consent and licences: a crawled page arrives with its consent decision, licence and
//! evidence (the crawler judged it as it was fetched); a page of file input (WARC, WET,
//! Parquet, JSONL) is judged here by [`FileConsent`] — the same page-level rules over its
//! stored headers and markup, site-level signals from the run's site-file source — and a
//! refused one leaves as a `consent` ledger row with its evidence and none of its text. Each
//! page examined also yields a [`LicenceSeen`] for the per-domain licence audit, as do the
//! pages the crawler fetched and refused (`InputItem::RefusedPage` carries their licence).

use assent_ingest::consent::decision::refusal_row;
use assent_ingest::consent::licence;
use assent_ingest::file_consent::FileConsent;
use assent_ingest::{extract, InputItem, Page};
use assent_schemas::{
    doc_id, text_hash, Consent, Decision, Dedup, DocStep, Document, LedgerRow, Licence, PageUrl,
    Signal, Stage, Verdict,
};

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

/// Settings of admission.
pub struct StageSettings {
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

/// Admission, then the per-document `steps`, of one record.
pub fn process_item(
    item: InputItem,
    settings: &StageSettings,
    steps: &[Box<dyn DocStep>],
) -> Processed {
    let mut p = admit(item, settings);
    if let Outcome::Candidate(doc) = p.outcome {
        p.outcome = run_steps(*doc, steps);
    }
    p
}

/// The per-document steps in order; the first that drops the document ends it. A step that
/// panics on a record costs that record alone: it leaves with a `pipeline.step-failed` row.
pub fn run_steps(doc: Document, steps: &[Box<dyn DocStep>]) -> Outcome {
    if steps.is_empty() {
        return Outcome::Candidate(Box::new(doc));
    }
    let (url, doc_id, source) = (doc.url.clone(), doc.doc_id.clone(), doc.source.clone());
    let words = Some(assent_schemas::candidate_words(&doc.text));
    let mut doc = doc;
    for step in steps {
        let applied = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| step.apply(doc)));
        doc = match applied {
            Ok(Ok(doc)) => doc,
            Ok(Err(row)) => return Outcome::Left(row.with_words(words)),
            Err(panic) => {
                let message = panic
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_default();
                return Outcome::Left(
                    LedgerRow::left_in_input(
                        &url,
                        &doc_id,
                        &source,
                        Stage::Filter,
                        assent_schemas::ReasonCode::StepFailed,
                        serde_json::json!({ "step": step.name(), "panic": message }),
                    )
                    .with_words(words),
                );
            }
        };
    }
    Outcome::Candidate(Box::new(doc))
}

/// Decode, consent and licence, extract: a document, or the row that says why not.
pub fn admit(item: InputItem, settings: &StageSettings) -> Processed {
    match item {
        InputItem::Skipped(row) => Processed {
            seen: None,
            outcome: Outcome::Left(row),
        },
        // The crawler read this page's licences before consent refused it: it counts.
        InputItem::RefusedPage {
            row,
            licence_url,
            spdx,
        } => Processed {
            seen: Some(LicenceSeen {
                domain: licence::licence_domain(&licence_url),
                spdx,
            }),
            outcome: Outcome::Left(row),
        },
        InputItem::Page(page) => process_page(page, settings),
        InputItem::Document(doc) => process_document(*doc, settings),
    }
}

/// The page's licence, consent and audit entry: as the crawler found them, or judged here.
fn licence_and_consent(
    page: &Page,
    url: &PageUrl,
    settings: &StageSettings,
) -> (Option<Licence>, Consent, LicenceSeen) {
    let (licence, consent) = match &page.consent {
        Some(consent) => (page.licence.clone(), consent.clone()),
        None => {
            let (consent, licence) = settings.consent.judge(page, url.parsed.as_ref());
            (licence, consent)
        }
    };
    let seen = LicenceSeen {
        domain: licence::licence_domain_of_host(&url.host),
        spdx: licence.as_ref().map(|l| l.spdx.clone()),
    };
    (licence, consent, seen)
}

fn process_page(mut page: Page, settings: &StageSettings) -> Processed {
    // The body is decoded once, here, and the URL parsed once, for consent, extraction, the
    // ids and the audit. (A crawled page comes decoded: the crawler read it first.)
    extract::decode_payload(&mut page);
    let url = PageUrl::parse(&page.url);
    let (licence, consent, seen) = licence_and_consent(&page, &url, settings);
    let outcome = if consent.decision == Decision::Kept {
        page_outcome(page, &url, licence, consent, settings)
    } else {
        Outcome::Left(refusal(&page, &url, &consent))
    };
    Processed {
        outcome,
        seen: Some(seen),
    }
}

/// A document of an Assent corpus: its consent judged again as a text record that carries
/// the earlier pass's decision and licence (site signals and the registry as this run has
/// them); kept, it keeps every column, its earlier evidence first, and skips extraction.
fn process_document(doc: Document, settings: &StageSettings) -> Processed {
    let mut doc = doc;
    let mut page = Page {
        url: doc.url.clone(),
        source: doc.source.clone(),
        fetched_at: doc.fetched_at,
        http_status: doc.http_status,
        content_type: doc.content_type.clone(),
        headers: Vec::new(),
        payload: assent_ingest::Payload::Text(std::mem::take(&mut doc.text)),
        consent: None,
        licence: doc.licence.clone(),
        carried_consent: Some(Box::new(std::mem::take(&mut doc.consent))),
    };
    let url = PageUrl::parse(&page.url);
    let (licence, consent, seen) = licence_and_consent(&page, &url, settings);
    if consent.decision != Decision::Kept {
        let mut row = refusal(&page, &url, &consent);
        row.doc_id = Some(doc.doc_id.clone());
        return Processed {
            outcome: Outcome::Left(row),
            seen: Some(seen),
        };
    }
    if let assent_ingest::Payload::Text(text) = std::mem::replace(
        &mut page.payload,
        assent_ingest::Payload::Text(String::new()),
    ) {
        doc.text = text;
    }
    let earlier = page
        .carried_consent
        .take()
        .map(|c| c.evidence)
        .unwrap_or_default();
    doc.consent = Consent {
        evidence: carried_then_new(earlier, consent.evidence),
        ..consent
    };
    doc.licence = licence.or(doc.licence);
    doc.pipeline_version = settings.pipeline_version.clone();
    Processed {
        outcome: Outcome::Candidate(Box::new(doc)),
        seen: Some(seen),
    }
}

/// The earlier pass's evidence, then this run's (less the signal that only says the earlier
/// evidence was checked).
fn carried_then_new(earlier: Vec<Signal>, now: Vec<Signal>) -> Vec<Signal> {
    let mut items = earlier;
    items.extend(
        now.into_iter()
            .filter(|s| !(s.signal == "consent.carried" && s.verdict == Verdict::Neutral)),
    );
    items
}

/// The ledger row of a page of file input that consent refused: the signals (licence
/// snippets taken out: a snippet is a few of the page's own words) and where the record is.
/// Nothing else of the page is kept; its payload is dropped with it. Its text is extracted
/// to be counted ([`extract::candidate_words`]) for the audit's consent share, and dropped.
fn refusal(page: &Page, url: &PageUrl, consent: &Consent) -> LedgerRow {
    let url = url.canonical.clone();
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
    .with_words(extract::candidate_words(&page.payload))
}

fn page_outcome(
    page: Page,
    page_url: &PageUrl,
    licence: Option<Licence>,
    consent: Consent,
    settings: &StageSettings,
) -> Outcome {
    let url = page_url.canonical.clone();
    let id = doc_id(&url, &record_key(&page));
    let extracted = match extract::page_text(&page) {
        Ok(e) => e,
        Err(rejection) => {
            return Outcome::Left(LedgerRow::left_in_input(
                &url,
                &id,
                &page.source,
                Stage::Extract,
                rejection.reason,
                rejection.evidence,
            ))
        }
    };
    Outcome::Candidate(Box::new(Document {
        doc_id: id,
        host: page_url.host.clone(),
        url,
        source: page.source,
        fetched_at: page.fetched_at,
        http_status: page.http_status,
        content_type: page.content_type,
        text_hash: text_hash(&extracted.text),
        text: extracted.text,
        lang: None,
        lang_score: None,
        script: None,
        licence,
        consent,
        quality: Default::default(),
        dedup: Dedup::default(),
        pipeline_version: settings.pipeline_version.clone(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use assent_ingest::Payload;
    use assent_schemas::{ReasonCode, Source, SourceKind};

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
            pipeline_version: "t".into(),
            consent: std::sync::Arc::new(FileConsent {
                source: std::sync::Arc::new(archive),
                registry: None,
                token: "AssentBot".into(),
                policy: assent_ingest::consent::Policy::OptOut,
                allowed_licences: licence::default_allowed(),
                refuse_unchecked: false,
            }),
        }
    }

    /// The default per-document steps.
    fn steps() -> Vec<Box<dyn DocStep>> {
        vec![
            Box::new(assent_filter::LanguageFilter::default()),
            Box::new(assent_filter::QualitySignals),
        ]
    }

    struct Panics;
    impl DocStep for Panics {
        fn name(&self) -> &'static str {
            "panics"
        }
        fn apply(&self, doc: Document) -> Result<Document, Box<LedgerRow>> {
            if doc.text.contains("boom") {
                panic!("a bug met {}", doc.url);
            }
            Ok(doc)
        }
    }

    #[test]
    fn a_step_that_panics_costs_its_record_alone() {
        let html = "<html><body><p>The quick brown fox jumps over the lazy dog, boom, near the river bank today.</p></body></html>";
        let steps: Vec<Box<dyn DocStep>> = vec![Box::new(Panics)];
        let p = process_item(page("https://a.example/x", html, 1), &settings(), &steps);
        let Outcome::Left(row) = p.outcome else {
            panic!("expected a row")
        };
        assert_eq!(row.reasons, vec![ReasonCode::StepFailed]);
        assert_eq!(row.decision, assent_schemas::Decision::Failed);
        assert!(
            row.evidence.contains("a bug met https://a.example/x"),
            "{}",
            row.evidence
        );
        assert!(row.doc_id.is_some());
        let calm = html.replace("boom", "calm");
        let p = process_item(page("https://a.example/y", &calm, 2), &settings(), &steps);
        assert!(matches!(p.outcome, Outcome::Candidate(_)));
    }

    #[test]
    fn a_page_becomes_a_document_with_provenance() {
        let html = "<html><head><title>T</title></head><body><p>The quick brown fox jumps over the lazy dog near the river bank today.</p></body></html>";
        let Outcome::Candidate(doc) = process_item(
            page("HTTP://Example.org/a#x", html, 7),
            &settings(),
            &steps(),
        )
        .outcome
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
        let ev: Vec<serde_json::Value> =
            serde_json::from_value(serde_json::to_value(&doc.consent.evidence).unwrap()).unwrap();
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
        let p = process_item(
            page("https://www.Example.org/a", html, 1),
            &settings(),
            &steps(),
        );
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
        let ev: Vec<serde_json::Value> =
            serde_json::from_value(serde_json::to_value(&doc.consent.evidence).unwrap()).unwrap();
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
        let p = process_item(item, &settings(), &steps());
        assert_eq!(p.seen.unwrap().spdx.as_deref(), Some("MIT"));
        // A page dropped later (no text) is still counted.
        let p = process_item(
            page("http://b.example/", "<body><script>x()</script></body>", 3),
            &settings(),
            &steps(),
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
        let p = process_item(item, &settings(), &steps());
        assert_eq!(p.seen.unwrap().spdx.as_deref(), Some("CC-BY-4.0"));
        let Outcome::Candidate(doc) = p.outcome else {
            panic!("expected a document")
        };
        assert_eq!(doc.licence.unwrap().spdx, "CC-BY-4.0");
        assert!(doc.text.contains("quick brown fox"));
    }

    #[test]
    fn pages_the_crawler_refused_after_reading_their_licences_are_counted() {
        let row = LedgerRow::left(
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
            serde_json::json!({"signals": [], "redirects": []}),
        );
        let refused = InputItem::RefusedPage {
            row: row.clone(),
            licence_url: "https://www.S.example:8443/b".into(),
            spdx: Some("CC-BY-NC-4.0".into()),
        };
        let p = process_item(refused, &settings(), &steps());
        assert_eq!(
            p.seen,
            Some(LicenceSeen {
                domain: "s.example".into(),
                spdx: Some("CC-BY-NC-4.0".into())
            })
        );
        assert!(matches!(p.outcome, Outcome::Left(r) if r == row));
        // Refusals before any fetch (site level, or other stages) read no licence: not counted.
        assert_eq!(
            process_item(InputItem::Skipped(row), &settings(), &steps()).seen,
            None
        );
    }

    #[test]
    fn an_empty_page_leaves_with_its_reason_and_no_text() {
        let p = process_item(
            page("http://b.example/", "<body><script>x()</script></body>", 2),
            &settings(),
            &steps(),
        );
        let Outcome::Left(row) = p.outcome else {
            panic!("expected a row")
        };
        assert_eq!(row.reasons, vec![ReasonCode::ExtractEmpty]);
        assert_eq!(row.decision, Decision::Dropped);
        let ev: serde_json::Value = serde_json::from_str(&row.evidence).unwrap();
        assert_eq!(ev["offset"], 2);
    }

    #[test]
    fn a_step_that_drops_ends_the_chain() {
        let html = "<body><p>The quick brown fox jumps over the lazy dog near the river bank today.</p></body>";
        let only_german: Vec<Box<dyn DocStep>> = vec![
            Box::new(assent_filter::LanguageFilter {
                allowed: vec!["de".into()],
                min_score: 0.0,
            }),
            Box::new(assent_filter::QualitySignals),
        ];
        let p = process_item(
            page("http://e.example/", html, 4),
            &settings(),
            &only_german,
        );
        let Outcome::Left(row) = p.outcome else {
            panic!("expected a row")
        };
        assert_eq!(row.reasons, vec![ReasonCode::LangNotAllowed]);
        let ev: serde_json::Value = serde_json::from_str(&row.evidence).unwrap();
        assert_eq!(ev["lang"], "en");
        assert_eq!(ev["file"], "t.warc");
        // Without steps the document is kept with no language and no signals.
        let Outcome::Candidate(doc) =
            process_item(page("http://e.example/", html, 4), &settings(), &[]).outcome
        else {
            panic!("expected a document")
        };
        assert_eq!((doc.lang.as_deref(), doc.quality.len()), (None, 0));
    }
}
