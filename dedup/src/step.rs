//! The `exact-dedup` step: one document per normalised text in the whole job.
//!
//! Within a rank, the first document of a text wins as the documents stream in
//! ([`assent_dedup::ExactDedup`]); a later one leaves at once with a `dedup.exact` row naming
//! the first. Each document that passes (a held one too) leaves a claim in the rank's
//! partitioned claim files; at the job's end the claims of every rank elect one winner per
//! text ([`assent_dedup::partitioned`]) — the earliest in the job's input order, documents
//! not held before held ones, which is the order a single process admits them in — and the
//! others are taken out.

use crate::partitioned::{self, Claim, ClaimWriter};
use crate::ExactDedup;
use anyhow::Context;
use assent_schemas::stream::{Dropped, Flow, JobEnd, RankContext, StreamStep};
use assent_schemas::{Document, LedgerRow, ReasonCode, Stage};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Where the ranks' claims are: `EXCHANGE/exact`.
pub fn claims_dir(exchange: &Path) -> PathBuf {
    exchange.join("exact")
}

pub struct ExactDedupStep {
    partitions: u32,
    rank: Option<RankPart>,
}

/// The step's state in a rank.
struct RankPart {
    rank: u32,
    seen: ExactDedup,
    claims: Option<ClaimWriter>,
    input_index: HashMap<String, u32>,
}

impl ExactDedupStep {
    /// The step of a rank (`rank` given: it claims texts under the exchange directory) or of
    /// the job's end; `partitions` is `[pipeline] exchange_partitions`.
    pub fn new(partitions: u32, rank: Option<&RankContext<'_>>) -> anyhow::Result<Self> {
        let partitions = partitions.max(1);
        let rank = match rank {
            Some(ctx) => {
                let dir = claims_dir(ctx.exchange);
                let claims = ClaimWriter::new(&dir, ctx.rank, partitions)
                    .with_context(|| format!("cannot write claims under {}", dir.display()))?;
                Some(RankPart {
                    rank: ctx.rank,
                    seen: ExactDedup::new(),
                    claims: Some(claims),
                    input_index: ctx.input_index.clone(),
                })
            }
            None => None,
        };
        Ok(ExactDedupStep { partitions, rank })
    }
}

/// The row of a document (URL, doc_id, source, text hash) whose text `first` claimed
/// before it.
fn duplicate_row(
    url: &str,
    doc_id: &str,
    source: &assent_schemas::Source,
    text_hash: &str,
    first: &str,
) -> LedgerRow {
    LedgerRow::left(
        Some(url.to_string()),
        Some(doc_id.to_string()),
        source.clone(),
        Stage::Dedup,
        ReasonCode::DedupExact,
        serde_json::json!({ "duplicate_of": first, "text_hash": text_hash }),
    )
}

impl StreamStep for ExactDedupStep {
    fn name(&self) -> &'static str {
        "exact-dedup"
    }

    fn see(&mut self, doc: Document, held: bool) -> Flow {
        let Some(part) = self.rank.as_mut() else {
            return Flow::Pass(doc);
        };
        // A held document claims its text only at the job's end (after every document that
        // was not held): a document refused there cannot shadow a duplicate of it.
        if held {
            return Flow::Pass(doc);
        }
        match part.seen.claim(&doc.text_hash, &doc.doc_id) {
            None => Flow::Pass(doc),
            Some(first) => Flow::Left(duplicate_row(
                &doc.url,
                &doc.doc_id,
                &doc.source,
                &doc.text_hash,
                &first.doc_id,
            )),
        }
    }

    fn passed(&mut self, d: &Document, shard: Option<&str>) -> anyhow::Result<()> {
        let Some(part) = self.rank.as_mut() else {
            return Ok(());
        };
        let claim = Claim {
            text_hash: d.text_hash.clone(),
            held: shard.is_none(),
            input: d
                .source
                .file
                .as_ref()
                .and_then(|f| part.input_index.get(f).copied())
                .unwrap_or(0),
            offset: d.source.offset.unwrap_or(0),
            doc_id: d.doc_id.clone(),
            rank: part.rank,
            url: d.url.clone(),
            source: d.source.clone(),
            shard: shard.map(str::to_string),
            unchecked: d.consent.unchecked.clone(),
            words: assent_schemas::candidate_words(&d.text),
        };
        if let Some(c) = part.claims.as_mut() {
            c.add(&claim).context("cannot write an exact-dedup claim")?;
        }
        Ok(())
    }

    fn finish_rank(&mut self) -> anyhow::Result<()> {
        if let Some(c) = self.rank.as_mut().and_then(|p| p.claims.take()) {
            c.finish().context("cannot write the exact-dedup claims")?;
        }
        Ok(())
    }

    fn decide(&mut self, job: &mut JobEnd) -> anyhow::Result<()> {
        let withdrawn = job.dropped_ids();
        let losers = partitioned::decide(
            &claims_dir(&job.exchange),
            job.world,
            self.partitions,
            &withdrawn,
        )
        .context("cannot read the exact-dedup claims")?;
        for (rank, losers) in losers.into_iter().enumerate() {
            for (doc_id, loser) in losers {
                let c = &loser.claim;
                job.drop_doc(
                    rank as u32,
                    &doc_id,
                    Dropped {
                        row: duplicate_row(
                            &c.url,
                            &c.doc_id,
                            &c.source,
                            &c.text_hash,
                            &loser.duplicate_of,
                        )
                        .with_words(Some(c.words)),
                        shard: c.shard.clone(),
                        unchecked: c.unchecked.clone(),
                        archived_record: None,
                    },
                );
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use assent_schemas::{Consent, Dedup, Source, SourceKind};

    fn doc(url: &str, text: &str, offset: u64) -> Document {
        Document {
            doc_id: format!("id{offset}"),
            url: url.into(),
            host: assent_schemas::host_of(url),
            source: Source {
                kind: SourceKind::Warc,
                file: Some("in.warc".into()),
                record_id: None,
                offset: Some(offset),
            },
            fetched_at: None,
            http_status: Some(200),
            content_type: None,
            text_hash: assent_schemas::text_hash(text),
            text: text.into(),
            lang: None,
            lang_score: None,
            script: None,
            licence: None,
            consent: Consent::default(),
            quality: Default::default(),
            dedup: Dedup::default(),
            pipeline_version: "t".into(),
        }
    }

    #[test]
    fn the_second_copy_in_a_rank_leaves_at_once_and_held_ones_wait() {
        let dir = tempfile::tempdir().unwrap();
        let index = HashMap::from([("in.warc".to_string(), 0)]);
        let ctx = RankContext {
            exchange: dir.path(),
            rank: 0,
            world: 1,
            input_index: &index,
        };
        let mut step = ExactDedupStep::new(16, Some(&ctx)).unwrap();
        let same = "Same words in the same order, twice over.";
        let Flow::Pass(first) = step.see(doc("http://a.example/", same, 1), false) else {
            panic!("the first copy passes")
        };
        step.passed(&first, Some("shards/part-00000-00000.parquet"))
            .unwrap();
        let Flow::Left(row) = step.see(doc("http://b.example/", same, 2), false) else {
            panic!("the second copy leaves")
        };
        assert_eq!(row.reasons, vec![ReasonCode::DedupExact]);
        assert!(row.evidence.contains("id1") && !row.evidence.contains("Same words"));
        // A held copy passes now; the job's end decides it (and drops it: it came later).
        let Flow::Pass(held) = step.see(doc("http://c.example/", same, 0), true) else {
            panic!("a held copy passes")
        };
        step.passed(&held, None).unwrap();
        step.finish_rank().unwrap();
        let mut job = JobEnd::new(dir.path(), 1, Default::default());
        ExactDedupStep::new(16, None)
            .unwrap()
            .decide(&mut job)
            .unwrap();
        let (_, dropped) = job.into_dropped();
        assert_eq!(dropped[0].keys().collect::<Vec<_>>(), vec!["id0"]);
        assert_eq!(dropped[0]["id0"].shard, None);
    }
}
