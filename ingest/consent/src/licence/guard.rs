//! The `licence-guard` stream step, against licence laundering: under policy
//! `open-licence-only` with `[licence] min_domain_share` above 0, a page is kept only if its
//! licence is carried by at least that share of its domain's pages. Shares are known only once the job has seen every page, on
//! every rank, so:
//!
//! 1. while a rank runs, every page examined is counted in its [`LicenceAudit`] (the writer
//!    thread does it, in order), and this step holds each document that would be kept and
//!    whose admission depends on the share (a page kept under `open-licence-only`, hence with
//!    an allowed licence, crawled or archived): the pipeline appends it to
//!    `OUT/exchange/held-RANK.jsonl` ([`assent_schemas::stream::HeldDocs`]) instead of a
//!    shard, so memory holds only the counts (one entry per domain and licence), never the
//!    held documents. The held documents claim their
//!    text for exact dedup too, ranking after every document that was not held;
//! 2. once every rank is done, the job's end (`pipeline::finalise`) sums the ranks' audits and
//!    reads each held file back one line at a time: a document whose licence is not believed
//!    gets a `licence.domain-share-low` ledger row with the share, the minimum and its consent
//!    signals as evidence, never its text, and its claim is withdrawn (a refused document
//!    cannot shadow a duplicate); one whose licence is believed and that won its text goes to
//!    a shard;
//! 3. the held files are removed, and the responses of refused pages are removed from the
//!    crawl's WARC, which the crawler wrote when the page passed its own checks (an archive
//!    given as input is the user's and is left as it is): afterwards no refused page's text is
//!    anywhere under OUT. The set of their WARC record ids is the only memory that grows with
//!    the number of refusals (about 50 bytes a page).
//!
//! Every held document leaves exactly one ledger row (kept, dedup or refused). A rank killed
//! before its end leaves its held file unfinished; a relaunch removes it with the rest of the
//! rank's unfinished state and runs the rank again.

use crate::licence::licence_domain;
use assent_schemas::licence_audit::LicenceAudit;
use assent_schemas::stream::{Dropped, Flow, JobEnd, StreamStep};
use assent_schemas::{Decision, Document, LedgerRow, ReasonCode, Stage};
use serde_json::json;

/// The step: holds the documents whose licence needs believing, and judges them at the job's end.
pub struct LicenceGuard {
    active: bool,
}

impl LicenceGuard {
    /// `min_share` is `[licence] min_domain_share`; `open_licence_only`, whether the policy is
    /// `open-licence-only`: only documents kept under it depend on their licence (crawled or
    /// archived, both are judged by the same policy).
    pub fn new(min_share: f64, open_licence_only: bool) -> Result<Self, String> {
        if !(0.0..=1.0).contains(&min_share) {
            return Err(format!(
                "[licence] min_domain_share must be between 0 and 1, not {min_share}"
            ));
        }
        Ok(LicenceGuard {
            active: min_share > 0.0 && open_licence_only,
        })
    }
}

impl StreamStep for LicenceGuard {
    fn name(&self) -> &'static str {
        "licence-guard"
    }

    fn see(&mut self, doc: Document, _held: bool) -> Flow {
        if self.active && doc.consent.decision == Decision::Kept && doc.licence.is_some() {
            Flow::Hold(doc)
        } else {
            Flow::Pass(doc)
        }
    }

    fn decide(&mut self, job: &mut JobEnd) -> anyhow::Result<()> {
        if !self.active {
            return Ok(());
        }
        for rank in 0..job.world {
            for doc in job.held(rank)? {
                let doc = doc?;
                if let Some(row) = judge(&doc, &job.audit) {
                    let row = row.with_words(Some(assent_schemas::candidate_words(&doc.text)));
                    job.audit.refused_pages += 1;
                    job.drop_doc(
                        rank,
                        &doc.doc_id,
                        Dropped {
                            row,
                            shard: None,
                            unchecked: doc.consent.unchecked.clone(),
                            archived_record: doc.source.record_id.clone(),
                        },
                    );
                }
            }
        }
        Ok(())
    }
}

/// The verdict on one held document: None when its licence is believed, else its refusal.
pub fn judge(doc: &Document, audit: &LicenceAudit) -> Option<LedgerRow> {
    let spdx = doc.licence.as_ref().map(|l| l.spdx.as_str())?;
    let domain = licence_domain(&doc.url);
    if audit.believed(&domain, spdx) {
        return None;
    }
    let d = audit.domains.get(&domain);
    let signals = assent_schemas::evidence::without_snippets(&doc.consent.evidence);
    let evidence = json!({
        "domain": domain,
        "spdx": spdx,
        "share": audit.share(&domain, spdx),
        "min_domain_share": audit.min_domain_share,
        "domain_pages": d.map_or(0, |d| d.pages),
        "licence_pages": d.and_then(|d| d.licences.get(spdx)).map_or(0, |l| l.pages),
        "signals": signals,
    });
    Some(LedgerRow::left(
        Some(doc.url.clone()),
        Some(doc.doc_id.clone()),
        doc.source.clone(),
        Stage::Consent,
        ReasonCode::LicenceDomainShareLow,
        evidence,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use assent_schemas::evidence::Detail;
    use assent_schemas::{Consent, Dedup, Licence, Signal, Source, SourceKind, Verdict};

    fn doc(url: &str, spdx: &str) -> Document {
        Document {
            doc_id: format!("id-{url}"),
            url: url.into(),
            host: assent_schemas::host_of(url),
            source: Source {
                kind: SourceKind::Crawl,
                file: None,
                record_id: Some(format!("<urn:{url}>")),
                offset: None,
            },
            fetched_at: None,
            http_status: Some(200),
            content_type: Some("text/html".into()),
            text: format!("Text of {url}"),
            text_hash: assent_schemas::text_hash(url),
            lang: Some("en".into()),
            lang_score: Some(0.875),
            script: None,
            licence: Some(Licence {
                spdx: spdx.into(),
                found_in: "text".into(),
                url: None,
                snippet: Some("Text of the page, licensed".into()),
            }),
            consent: Consent {
                evidence: vec![Signal::new(
                    "licence",
                    "text",
                    "Text of the page, licensed",
                    Verdict::Neutral,
                )
                .with_detail(Detail {
                    spdx: Some(spdx.into()),
                    snippet: Some("Text of the page, licensed".into()),
                    ..Detail::default()
                })],
                ..Consent::default()
            },
            quality: Default::default(),
            dedup: Dedup::default(),
            pipeline_version: "t".into(),
        }
    }

    #[test]
    fn judging_by_share() {
        let mut audit = LicenceAudit::new(0.5);
        audit.add("a.example", Some("CC-BY-4.0"));
        audit.add("a.example", None);
        audit.add("b.example", Some("CC-BY-4.0"));
        for _ in 0..3 {
            audit.add("b.example", None);
        }
        assert!(judge(&doc("https://a.example/1", "CC-BY-4.0"), &audit).is_none());
        let row = judge(&doc("https://www.b.example/1", "CC-BY-4.0"), &audit).unwrap();
        assert_eq!(row.reasons, vec![ReasonCode::LicenceDomainShareLow]);
        assert_eq!(row.stage, Stage::Consent);
        let ev: serde_json::Value = serde_json::from_str(&row.evidence).unwrap();
        assert_eq!(ev["domain"], "b.example");
        assert_eq!(ev["share"], 0.25);
        assert_eq!(ev["domain_pages"], 4);
        assert_eq!(ev["licence_pages"], 1);
        assert_eq!(ev["signals"][0]["spdx"], "CC-BY-4.0");
        assert!(
            !row.evidence.contains("Text of"),
            "never the text, nor a snippet of it"
        );
    }

    #[test]
    fn only_open_licence_only_with_a_share_holds() {
        assert!(LicenceGuard::new(1.5, true).is_err());
        let d = doc("https://a.example/1", "CC-BY-4.0");
        let mut on = LicenceGuard::new(0.3, true).unwrap();
        assert!(matches!(on.see(d.clone(), false), Flow::Hold(_)));
        let mut unlicensed = d.clone();
        unlicensed.licence = None;
        assert!(matches!(on.see(unlicensed, false), Flow::Pass(_)));
        for mut off in [
            LicenceGuard::new(0.0, true).unwrap(),
            LicenceGuard::new(0.3, false).unwrap(),
        ] {
            assert!(matches!(off.see(d.clone(), false), Flow::Pass(_)));
        }
    }
}
