//! The `licence-guard` step, against licence laundering: under policy `open-licence-only` with `[licence]
//! min_domain_share` above 0, a page is kept only if its licence is carried by at least that
//! share of its domain's pages. Shares are known only once the job has seen every page, on
//! every rank, so:
//!
//! 1. while a rank runs, every page examined is counted in its [`LicenceAudit`] (the writer
//!    thread does it, in order), and this step holds each document that would be kept and
//!    whose admission depends on the share (a page kept under `open-licence-only`, hence with
//!    an allowed licence, crawled or archived): the pipeline appends it to
//!    `OUT/exchange/held-RANK.jsonl` instead of a shard, so memory holds only the counts (one
//!    entry per domain and licence), never the held documents. The held documents claim their
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
//! before its end leaves its held file unfinished; running the rank again truncates it.

use super::{Dropped, Flow, JobEnd, StreamStep};
use crate::config::Config;
use anyhow::Context;
use assent_ingest::consent::Policy;
use assent_manifests::LicenceAudit;
use assent_schemas::{Document, LedgerRow, ReasonCode, Stage};
use serde_json::json;
use std::collections::HashSet;
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// The step: holds the documents whose licence needs believing, and judges them at the job's end.
pub struct LicenceGuard {
    active: bool,
}

impl LicenceGuard {
    pub fn new(config: &Config) -> anyhow::Result<Self> {
        let min_share = config.licence.min_domain_share;
        anyhow::ensure!(
            (0.0..=1.0).contains(&min_share),
            "[licence] min_domain_share must be between 0 and 1, not {min_share}"
        );
        // Only documents kept under open-licence-only depend on their licence: crawled or
        // archived, both are judged by the same policy.
        Ok(LicenceGuard {
            active: min_share > 0.0 && config.crawl.policy == Policy::OpenLicenceOnly,
        })
    }
}

impl StreamStep for LicenceGuard {
    fn name(&self) -> &'static str {
        "licence-guard"
    }

    fn see(&mut self, doc: Document, _held: bool) -> Flow {
        if self.active
            && doc.consent.decision == assent_schemas::Decision::Kept
            && doc.licence.is_some()
        {
            Flow::Hold(doc)
        } else {
            Flow::Pass(doc)
        }
    }

    fn decide(&mut self, job: &mut JobEnd<'_>) -> anyhow::Result<()> {
        if !self.active {
            return Ok(());
        }
        for rank in 0..job.world {
            for doc in job.held(rank)? {
                let doc = doc?;
                if let Some(row) = judge(&doc, &job.audit) {
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

/// Documents waiting for their domain's licence share, on disk.
pub struct HeldDocs {
    path: PathBuf,
    out: Option<BufWriter<File>>,
    kept: bool,
    pub count: u64,
}

/// `DIR/held-RANK.jsonl`.
pub fn held_path(dir: &Path, rank: u32) -> PathBuf {
    dir.join(format!("held-{rank:05}.jsonl"))
}

impl HeldDocs {
    /// Creates (or truncates) `DIR/held-RANK.jsonl`.
    pub fn create(dir: &Path, rank: u32) -> anyhow::Result<Self> {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        let path = held_path(dir, rank);
        let file =
            File::create(&path).with_context(|| format!("cannot create {}", path.display()))?;
        Ok(HeldDocs {
            path,
            out: Some(BufWriter::new(file)),
            kept: false,
            count: 0,
        })
    }

    pub fn append(&mut self, docs: &[Document]) -> anyhow::Result<()> {
        let Some(out) = self.out.as_mut() else {
            anyhow::bail!("{}: already finished", self.path.display());
        };
        for d in docs {
            serde_json::to_writer(&mut *out, d)?;
            out.write_all(b"\n")
                .with_context(|| format!("cannot write {}", self.path.display()))?;
            self.count += 1;
        }
        Ok(())
    }

    /// Flushes and syncs the file and keeps it for the job's end. (A rank that fails before
    /// this removes its file.)
    pub fn finish(mut self) -> anyhow::Result<()> {
        if let Some(out) = self.out.take() {
            out.into_inner()
                .map_err(|e| e.into_error())
                .and_then(|f| f.sync_all())
                .with_context(|| format!("cannot write {}", self.path.display()))?;
        }
        self.kept = true;
        Ok(())
    }
}

impl Drop for HeldDocs {
    fn drop(&mut self) {
        self.out = None;
        if !self.kept {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// Reads the held documents of a finished rank back, one at a time; none if it held none.
pub fn read_held(
    path: &Path,
) -> anyhow::Result<Box<dyn Iterator<Item = anyhow::Result<Document>>>> {
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Ok(Box::new(std::iter::empty()))
        }
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    };
    let path = path.to_path_buf();
    Ok(Box::new(BufReader::new(file).lines().map(move |line| {
        let line = line.with_context(|| format!("cannot read {}", path.display()))?;
        serde_json::from_str(&line)
            .with_context(|| format!("{}: a held document does not parse", path.display()))
    })))
}

/// The verdict on one held document: None when its licence is believed, else its refusal.
pub fn judge(doc: &Document, audit: &LicenceAudit) -> Option<LedgerRow> {
    let spdx = doc.licence.as_ref().map(|l| l.spdx.as_str())?;
    let domain = assent_ingest::consent::licence::licence_domain(&doc.url);
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

/// Rewrites the (gzip-per-record) WARC at `path` without the records whose `WARC-Record-ID`
/// is in `drop`, copying every other gzip member byte for byte (record ids and offsets of the
/// records before the first dropped one are unchanged). Returns how many were dropped.
pub fn drop_warc_records(path: &Path, drop: &HashSet<String>) -> anyhow::Result<usize> {
    if drop.is_empty() {
        return Ok(0);
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.tmp"));
    let result = (|| -> anyhow::Result<usize> {
        let len = std::fs::metadata(path)?.len();
        let mut raw = File::open(path)?;
        let mut out = BufWriter::new(File::create(&tmp)?);
        let mut dropped = 0;
        // (start offset, keep) of the record whose end is not known yet.
        let mut pending: Option<(u64, bool)> = None;
        let mut copy = |from: u64, to: u64, raw: &mut File| -> std::io::Result<()> {
            raw.seek(SeekFrom::Start(from))?;
            std::io::copy(&mut Read::by_ref(raw).take(to - from), &mut out)?;
            Ok(())
        };
        for item in assent_ingest::warc::open(path)? {
            let (offset, id) = match &item {
                Ok(r) => (r.offset, r.record_id().map(str::to_string)),
                Err(e) => (e.offset, e.record_id.clone()),
            };
            if let Some((start, keep)) = pending.take() {
                if keep && offset > start {
                    copy(start, offset, &mut raw)?;
                }
            }
            let keep = !id.is_some_and(|id| drop.contains(&id));
            dropped += usize::from(!keep);
            pending = Some((offset, keep));
        }
        if let Some((start, true)) = pending {
            copy(start, len, &mut raw)?;
        }
        out.into_inner().map_err(|e| e.into_error())?.sync_all()?;
        Ok(dropped)
    })();
    match result {
        Ok(n) => {
            std::fs::rename(&tmp, path)
                .with_context(|| format!("cannot replace {}", path.display()))?;
            Ok(n)
        }
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            Err(e.context(format!(
                "cannot remove refused pages from {}",
                path.display()
            )))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use assent_ingest::warc::WarcWriter;
    use assent_schemas::{Consent, Dedup, Licence, Source, SourceKind};
    use chrono::Utc;

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
            fetched_at: Some(Utc::now()),
            http_status: Some(200),
            content_type: Some("text/html".into()),
            text: format!("Text of {url}, \u{e9}\n\"quoted\""),
            text_hash: assent_schemas::text_hash(url),
            lang: Some("en".into()),
            lang_score: Some(0.875),
            licence: Some(Licence {
                spdx: spdx.into(),
                found_in: "link-rel".into(),
                url: None,
                snippet: Some("<link rel=\"license\">".into()),
            }),
            consent: Consent {
                evidence: vec![assent_schemas::Signal::new(
                    "licence",
                    "link-rel",
                    "CC-BY-4.0",
                    assent_schemas::Verdict::Neutral,
                )
                .with_detail(assent_schemas::evidence::Detail {
                    spdx: Some("CC-BY-4.0".into()),
                    ..Default::default()
                })],
                ..Consent::default()
            },
            quality: [("words".to_string(), 4.0)].into_iter().collect(),
            dedup: Dedup::default(),
            pipeline_version: "t".into(),
        }
    }

    #[test]
    fn held_documents_round_trip_and_a_failed_rank_leaves_none() {
        let dir = tempfile::tempdir().unwrap();
        let docs = vec![
            doc("https://a.example/1", "CC-BY-4.0"),
            doc("https://b.example/", "CC0-1.0"),
        ];
        let mut held = HeldDocs::create(dir.path(), 3).unwrap();
        let path = held.path.clone();
        assert!(path.ends_with("held-00003.jsonl"));
        held.append(&docs).unwrap();
        assert_eq!(held.count, 2);
        held.finish().unwrap();
        let back: Vec<Document> = read_held(&path).unwrap().map(Result::unwrap).collect();
        assert_eq!(back, docs);
        // A rank that fails before finishing leaves no held file.
        let mut failed = HeldDocs::create(dir.path(), 4).unwrap();
        failed.append(&docs).unwrap();
        let gone = failed.path.clone();
        drop(failed);
        assert!(!gone.exists());
        assert_eq!(read_held(&gone).unwrap().count(), 0);
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
        assert!(!row.evidence.contains("Text of"), "never the text");
    }

    #[test]
    fn warc_records_are_dropped_byte_for_byte() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("crawl.warc.gz");
        let mut w = WarcWriter::new(Vec::new());
        w.write_warcinfo(Utc::now(), &[("software", "t")]).unwrap();
        let mut ids = Vec::new();
        for i in 0..4 {
            let body = format!("<p>page {i} secret-{i}</p>");
            let rec = w
                .write_response(
                    &format!("http://s.example/{i}"),
                    Utc::now(),
                    200,
                    &[],
                    body.as_bytes(),
                )
                .unwrap();
            ids.push(rec.record_id);
        }
        let bytes = w.into_inner();
        std::fs::write(&path, &bytes).unwrap();
        let drop: HashSet<String> = [ids[1].clone(), ids[3].clone()].into_iter().collect();
        assert_eq!(drop_warc_records(&path, &drop).unwrap(), 2);
        let records: Vec<_> = assent_ingest::warc::open(&path)
            .unwrap()
            .map(Result::unwrap)
            .collect();
        let kept: Vec<Option<&str>> = records.iter().map(|r| r.record_id()).collect();
        assert_eq!(kept.len(), 3);
        assert_eq!(kept[1], Some(ids[0].as_str()));
        assert_eq!(kept[2], Some(ids[2].as_str()));
        let all = records
            .iter()
            .map(|r| String::from_utf8_lossy(&r.block).into_owned())
            .collect::<String>();
        assert!(all.contains("secret-0") && all.contains("secret-2"));
        assert!(!all.contains("secret-1") && !all.contains("secret-3"));
        // The kept members are the original bytes.
        let after = std::fs::read(&path).unwrap();
        assert_eq!(
            after[..records[2].offset as usize],
            bytes[..records[2].offset as usize]
        );
        assert!(!dir.path().join(".crawl.warc.gz.tmp").exists());
        assert_eq!(drop_warc_records(&path, &HashSet::new()).unwrap(), 0);
    }
}
