//! The `near-dedup` step: one document per cluster of near-duplicates in the whole job.
//!
//! Each rank is the signature stage of [`crate::near`] for the documents that pass every
//! step before it (written to `EXCHANGE/near/`). At the job's end the buckets and clusters
//! that have not run yet (`assent dedup OUT --stage buckets|clusters` may have run them as
//! tasks of their own) run here, and each cluster keeps one document by the keep rule
//! ([`crate::near::NearDoc::keep_order`]) among its members that no earlier step took out:
//! the others leave with a `dedup.near` row naming it, and the kept one gets the cluster's id
//! (its own doc_id) and size in its dedup columns.

use crate::near::{self, NearConfig, NearDoc, SignatureWriter};
use anyhow::Context;
use assent_schemas::stream::{Annotation, Dropped, Flow, JobEnd, RankContext, StreamStep};
use assent_schemas::{Dedup, Document, LedgerRow, ReasonCode, Stage};
use std::path::{Path, PathBuf};

/// Where the stages' files are: `EXCHANGE/near`.
pub fn work_dir(exchange: &Path) -> PathBuf {
    exchange.join("near")
}

pub struct NearDedupStep {
    writer: Option<SignatureWriter>,
}

impl NearDedupStep {
    /// The step of a rank (`rank` given: it writes signatures under the exchange directory)
    /// or of the job's end.
    pub fn new(config: &NearConfig, rank: Option<&RankContext<'_>>) -> anyhow::Result<Self> {
        let writer = match rank {
            Some(ctx) => {
                let dir = work_dir(ctx.exchange);
                Some(
                    SignatureWriter::new(&dir, ctx.rank, ctx.world, config).with_context(|| {
                        format!("cannot write near-dedup signatures under {}", dir.display())
                    })?,
                )
            }
            None => None,
        };
        Ok(NearDedupStep { writer })
    }
}

/// The document as the stages carry it.
pub fn near_doc(d: &Document, shard: Option<&str>) -> NearDoc {
    let c = &d.consent;
    carried(
        &d.doc_id,
        d.fetched_at,
        &d.text,
        &d.url,
        &d.source,
        shard,
        &c.unchecked,
    )
}

/// [`near_doc`] of a document read back from a shard's provenance columns.
pub fn near_doc_of(p: &assent_schemas::Provenance, shard: &str) -> NearDoc {
    let (id, at, text) = (&p.doc_id, p.fetched_at, &p.text);
    carried(id, at, text, &p.url, &p.source, Some(shard), &p.unchecked)
}

fn carried(
    doc_id: &str,
    fetched_at: Option<chrono::DateTime<chrono::Utc>>,
    text: &str,
    url: &str,
    source: &assent_schemas::Source,
    shard: Option<&str>,
    unchecked: &[assent_schemas::Unchecked],
) -> NearDoc {
    NearDoc {
        doc_id: doc_id.to_string(),
        fetched_at: fetched_at.map(|t| t.timestamp_millis()),
        len: text.len() as u64,
        url: url.to_string(),
        source: source.clone(),
        shard: shard.map(str::to_string),
        unchecked: unchecked.to_vec(),
        words: assent_schemas::candidate_words(text),
    }
}

/// The row of a near-duplicate taken out for `kept`.
pub fn near_row(doc: &NearDoc, kept: &str, size: u64) -> LedgerRow {
    LedgerRow::left(
        Some(doc.url.clone()),
        Some(doc.doc_id.clone()),
        doc.source.clone(),
        Stage::Dedup,
        ReasonCode::DedupNear,
        serde_json::json!({ "duplicate_of": kept, "cluster": kept, "cluster_size": size }),
    )
    .with_words(Some(doc.words))
}

impl StreamStep for NearDedupStep {
    fn name(&self) -> &'static str {
        "near-dedup"
    }

    fn see(&mut self, doc: Document, _held: bool) -> Flow {
        Flow::Pass(doc)
    }

    fn passed(&mut self, d: &Document, shard: Option<&str>) -> anyhow::Result<()> {
        if let Some(w) = self.writer.as_mut() {
            w.add(&near_doc(d, shard), &d.text)
                .context("cannot write a near-dedup signature")?;
        }
        Ok(())
    }

    fn finish_rank(&mut self) -> anyhow::Result<()> {
        if let Some(w) = self.writer.take() {
            w.finish()
                .context("cannot write the near-dedup signatures")?;
        }
        Ok(())
    }

    fn decide(&mut self, job: &mut JobEnd) -> anyhow::Result<()> {
        let dir = work_dir(&job.exchange);
        near::run_remaining(&dir)
            .with_context(|| format!("near-dedup stages in {}", dir.display()))?;
        let withdrawn = job.dropped_ids();
        near::for_each_cluster(&dir, |cluster| {
            let Some(decided) = cluster.decide(&withdrawn) else {
                return Ok(());
            };
            let kept = &decided.kept.doc;
            for m in &decided.removed {
                job.drop_doc(
                    m.rank,
                    &m.doc.doc_id,
                    Dropped {
                        row: near_row(&m.doc, &kept.doc_id, decided.size),
                        shard: m.doc.shard.clone(),
                        unchecked: m.doc.unchecked.clone(),
                        archived_record: None,
                    },
                );
            }
            job.annotate(
                decided.kept.rank,
                &kept.doc_id,
                Annotation {
                    shard: kept.shard.clone(),
                    dedup: Dedup {
                        cluster: Some(kept.doc_id.clone()),
                        cluster_size: Some(decided.size),
                        duplicate_of: None,
                    },
                },
            );
            Ok(())
        })
        .with_context(|| format!("cannot read the clusters in {}", dir.display()))
    }
}
