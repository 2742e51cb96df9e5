//! The contract of a stream step: a step that sees documents in input order, may keep state,
//! and may need every rank's partial state before deciding (exact dedup, the licence guard,
//! near-duplicate removal). Any crate can provide one; the pipeline runs them without
//! knowing which they are.
//!
//! A rank's step decides what it can alone ([`StreamStep::see`]), can hold a document for the
//! job's end, and leaves its partial state under the job's exchange directory
//! (`OUT/exchange/`, [`RankContext::exchange`]), partitioned so that no rank ever holds the
//! whole of it. Once every rank is done, the job's end calls [`StreamStep::decide`] on each
//! step, in the list's order, with a [`JobEnd`]: the documents the ranks held, the job's
//! licence audit, and what earlier steps have taken out.
//!
//! Held documents wait on disk ([`HeldDocs`]: `held-RANK.jsonl` in the exchange directory,
//! one JSON document a line), so memory holds only the steps' counts, never the documents.

use crate::licence_audit::LicenceAudit;
use crate::{Document, LedgerRow, Unchecked};
use anyhow::Context;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

/// What a stream step does with a document.
pub enum Flow {
    /// On to the next step (and to a shard).
    Pass(Document),
    /// On to the next steps, then held until the job's end, which decides it.
    Hold(Document),
    /// Out, with the row that says why.
    Left(LedgerRow),
}

/// A step that sees documents in input order (see the module docs).
pub trait StreamStep: Send {
    /// The name `[pipeline] steps` knows the step by.
    fn name(&self) -> &'static str;
    /// A document, in input order; `held` says an earlier step holds it.
    fn see(&mut self, doc: Document, held: bool) -> Flow;
    /// A document that passed every step, as written to `shard` (None: held).
    fn passed(&mut self, _doc: &Document, _shard: Option<&str>) -> anyhow::Result<()> {
        Ok(())
    }
    /// The rank is done: write its partial state.
    fn finish_rank(&mut self) -> anyhow::Result<()> {
        Ok(())
    }
    /// The job's end, every rank done: take out what the whole job shows must go.
    fn decide(&mut self, _job: &mut JobEnd) -> anyhow::Result<()> {
        Ok(())
    }
}

/// Where a stream step of a rank is.
pub struct RankContext<'a> {
    /// The job's exchange directory (`OUT/exchange`), shared by every rank.
    pub exchange: &'a Path,
    pub rank: u32,
    pub world: u32,
    /// The position of each input (by its display name) in the job's whole list.
    pub input_index: &'a HashMap<String, u32>,
}

/// A document the job's end takes out.
#[derive(Clone, Debug)]
pub struct Dropped {
    /// Why: the record's final ledger row.
    pub row: LedgerRow,
    /// The shard a rank wrote it to (it had a `kept` row, which this one supersedes); None
    /// for a held document.
    pub shard: Option<String>,
    /// What of its consent was not checked (for the manifest's counts).
    pub unchecked: Vec<Unchecked>,
    /// Its WARC record id, when the crawler archived it and it must leave the crawl's WARC.
    pub archived_record: Option<String>,
}

/// New dedup columns for a document the job's end keeps (a near-duplicate cluster's).
#[derive(Clone, Debug, PartialEq)]
pub struct Annotation {
    /// The shard a rank wrote it to; None for a held document.
    pub shard: Option<String>,
    pub dedup: crate::Dedup,
}

/// What the stream steps decide with at the job's end.
pub struct JobEnd {
    /// The job's exchange directory (`OUT/exchange`).
    pub exchange: PathBuf,
    pub world: u32,
    /// The job's licence audit: every rank's counts summed, shares filled in.
    pub audit: LicenceAudit,
    dropped: Vec<BTreeMap<String, Dropped>>,
    annotations: Vec<BTreeMap<String, Annotation>>,
}

impl JobEnd {
    pub fn new(exchange: &Path, world: u32, audit: LicenceAudit) -> Self {
        JobEnd {
            exchange: exchange.to_path_buf(),
            world,
            audit,
            dropped: vec![BTreeMap::new(); world as usize],
            annotations: vec![BTreeMap::new(); world as usize],
        }
    }

    /// The documents rank `rank` held, in its input order.
    pub fn held(
        &self,
        rank: u32,
    ) -> anyhow::Result<Box<dyn Iterator<Item = anyhow::Result<Document>>>> {
        read_held(&held_path(&self.exchange, rank))
    }

    /// Takes a document of rank `rank` out; the first decision about a document stands.
    pub fn drop_doc(&mut self, rank: u32, doc_id: &str, dropped: Dropped) {
        self.dropped[rank as usize]
            .entry(doc_id.to_string())
            .or_insert(dropped);
    }

    /// Sets the dedup columns of a document of rank `rank` that stays.
    pub fn annotate(&mut self, rank: u32, doc_id: &str, annotation: Annotation) {
        self.annotations[rank as usize].insert(doc_id.to_string(), annotation);
    }

    /// The annotations, rank by rank, without those of documents taken out after all.
    pub fn take_annotations(&mut self) -> Vec<BTreeMap<String, Annotation>> {
        let mut all = std::mem::take(&mut self.annotations);
        for (rank, a) in all.iter_mut().enumerate() {
            a.retain(|id, _| !self.dropped[rank].contains_key(id));
        }
        all
    }

    /// Every document taken out so far, of any rank.
    pub fn dropped_ids(&self) -> HashSet<String> {
        self.dropped
            .iter()
            .flat_map(|d| d.keys().cloned())
            .collect()
    }

    /// What was decided, rank by rank.
    pub fn into_dropped(self) -> (LicenceAudit, Vec<BTreeMap<String, Dropped>>) {
        (self.audit, self.dropped)
    }
}

/// `EXCHANGE/held-RANK.jsonl`: the documents a rank's steps held.
pub fn held_path(exchange: &Path, rank: u32) -> PathBuf {
    exchange.join(format!("held-{rank:05}.jsonl"))
}

/// The documents a rank holds, on disk: the file is created with the first one. A rank that
/// fails before [`HeldDocs::finish`] leaves no file.
pub struct HeldDocs {
    path: PathBuf,
    out: Option<BufWriter<File>>,
    kept: bool,
    pub count: u64,
}

impl HeldDocs {
    /// For rank `rank` under `exchange`; nothing is written before the first document.
    pub fn new(exchange: &Path, rank: u32) -> Self {
        HeldDocs {
            path: held_path(exchange, rank),
            out: None,
            kept: false,
            count: 0,
        }
    }

    pub fn append(&mut self, doc: &Document) -> anyhow::Result<()> {
        anyhow::ensure!(!self.kept, "{}: already finished", self.path.display());
        if self.out.is_none() {
            if let Some(dir) = self.path.parent() {
                std::fs::create_dir_all(dir)
                    .with_context(|| format!("cannot create {}", dir.display()))?;
            }
            let file = File::create(&self.path)
                .with_context(|| format!("cannot create {}", self.path.display()))?;
            self.out = Some(BufWriter::new(file));
        }
        let out = self.out.as_mut().expect("created above");
        serde_json::to_writer(&mut *out, doc)?;
        out.write_all(b"\n")
            .with_context(|| format!("cannot write {}", self.path.display()))?;
        self.count += 1;
        Ok(())
    }

    /// Flushes and syncs the file and keeps it for the job's end.
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
        if self.out.take().is_some() && !self.kept {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Consent, Dedup, Source, SourceKind};

    fn doc(url: &str) -> Document {
        Document {
            doc_id: format!("id-{url}"),
            url: url.into(),
            host: crate::host_of(url),
            source: Source {
                kind: SourceKind::Crawl,
                file: None,
                record_id: Some(format!("<urn:{url}>")),
                offset: None,
            },
            fetched_at: None,
            http_status: Some(200),
            content_type: Some("text/html".into()),
            text: format!("Text of {url}, \u{e9}\n\"quoted\""),
            text_hash: crate::text_hash(url),
            lang: Some("en".into()),
            lang_score: Some(0.875),
            script: None,
            licence: None,
            consent: Consent::default(),
            quality: [("words".to_string(), 4.0)].into_iter().collect(),
            dedup: Dedup::default(),
            pipeline_version: "t".into(),
        }
    }

    #[test]
    fn held_documents_round_trip_and_a_failed_rank_leaves_none() {
        let dir = tempfile::tempdir().unwrap();
        let exchange = dir.path().join("exchange");
        let docs = vec![doc("https://a.example/1"), doc("https://b.example/")];
        let mut held = HeldDocs::new(&exchange, 3);
        let path = held.path.clone();
        assert!(path.ends_with("held-00003.jsonl"));
        assert!(!path.exists(), "nothing written before the first document");
        for d in &docs {
            held.append(d).unwrap();
        }
        assert_eq!(held.count, 2);
        held.finish().unwrap();
        let back: Vec<Document> = read_held(&path).unwrap().map(Result::unwrap).collect();
        assert_eq!(back, docs);
        let job = JobEnd::new(&exchange, 4, LicenceAudit::default());
        assert_eq!(job.held(3).unwrap().count(), 2);
        assert_eq!(job.held(0).unwrap().count(), 0);
        // A rank that fails before finishing leaves no held file.
        let mut failed = HeldDocs::new(&exchange, 4);
        failed.append(&docs[0]).unwrap();
        let gone = failed.path.clone();
        assert!(gone.exists());
        drop(failed);
        assert!(!gone.exists());
        assert_eq!(read_held(&gone).unwrap().count(), 0);
    }
}
