//! The `url-dedup` and `exact-dedup` steps: one document per normalised URL, and one per
//! normalised text, in the whole job.
//!
//! Each document that passes (a held one too) leaves a claim to its key (the xxh3-128 of its
//! canonical URL, or its text hash) in the rank's partitioned claim files; at the job's end
//! the claims of every rank elect one winner per key ([`crate::partitioned`]) and the others
//! are taken out. The winner:
//!
//! - of a URL, the earliest fetch (the first in the job's input order among equal times);
//! - of a text, the first in the job's input order, documents not held before held ones,
//!   which is the order a single process admits them in. Within a rank a later copy of a
//!   text leaves at once, with a `dedup.exact` row naming the first ([`ExactDedup`], as long
//!   as it has room under the memory budget; past it, the job's end decides).
//!
//! A partition of claims larger than the memory budget is sorted outside memory.
//!
//! One order question is left open: exact dedup's early drop happens before URL dedup
//! decides, so a text whose first copy then loses its URL to an earlier fetch of that URL
//! has lost its other copies already (their rows name the copy taken out).

use crate::partitioned::{self, Claim, ClaimWriter, Winner};
use crate::ExactDedup;
use anyhow::Context;
use assent_schemas::stream::{Dropped, Flow, JobEnd, RankContext, StreamStep};
use assent_schemas::{Document, LedgerRow, ReasonCode, Stage};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Which key a step deduplicates on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Key {
    Url,
    Text,
}

impl Key {
    /// Where the ranks' claims are: `EXCHANGE/url` or `EXCHANGE/exact`.
    pub fn dir(self, exchange: &Path) -> PathBuf {
        exchange.join(match self {
            Key::Url => "url",
            Key::Text => "exact",
        })
    }

    fn of(self, d: &Document) -> String {
        match self {
            Key::Url => format!("{:032x}", xxhash_rust::xxh3::xxh3_128(d.url.as_bytes())),
            Key::Text => d.text_hash.clone(),
        }
    }

    fn winner(self) -> Winner {
        match self {
            Key::Url => Winner::EarliestFetch,
            Key::Text => Winner::InputOrder,
        }
    }
}

/// Bytes of memory an [`ExactDedup`] entry costs, about: its key, the doc_id, the map.
const SEEN_ENTRY_BYTES: u64 = 100;

pub struct DedupStep {
    key: Key,
    partitions: u32,
    budget: u64,
    rank: Option<RankPart>,
}

/// The step's state in a rank.
struct RankPart {
    rank: u32,
    /// Texts seen in this rank (exact dedup only), while under the budget.
    seen: Option<ExactDedup>,
    claims: Option<ClaimWriter>,
    input_index: HashMap<String, u32>,
}

impl DedupStep {
    /// The step of a rank (`rank` given: it claims keys under the exchange directory) or of
    /// the job's end; `partitions` is `[pipeline] exchange_partitions`, `budget` the bytes of
    /// memory `[pipeline] dedup_memory_bytes` allows.
    pub fn new(
        key: Key,
        partitions: u32,
        budget: u64,
        rank: Option<&RankContext<'_>>,
    ) -> anyhow::Result<Self> {
        let partitions = partitions.max(1);
        let rank = match rank {
            Some(ctx) => {
                let dir = key.dir(ctx.exchange);
                let claims = ClaimWriter::new(&dir, ctx.rank, partitions)
                    .with_context(|| format!("cannot write claims under {}", dir.display()))?;
                Some(RankPart {
                    rank: ctx.rank,
                    seen: (key == Key::Text).then(ExactDedup::new),
                    claims: Some(claims),
                    input_index: ctx.input_index.clone(),
                })
            }
            None => None,
        };
        Ok(DedupStep {
            key,
            partitions,
            budget: budget.max(1),
            rank,
        })
    }

    fn reason(&self) -> ReasonCode {
        match self.key {
            Key::Url => ReasonCode::DedupUrl,
            Key::Text => ReasonCode::DedupExact,
        }
    }
}

/// The row of a document (URL, doc_id, source, key) that `first` won the key from.
fn duplicate_row(
    reason: ReasonCode,
    url: &str,
    doc_id: &str,
    source: &assent_schemas::Source,
    key: &str,
    first: &str,
) -> LedgerRow {
    let evidence = match reason {
        ReasonCode::DedupExact => serde_json::json!({ "duplicate_of": first, "text_hash": key }),
        _ => serde_json::json!({ "duplicate_of": first, "url": url }),
    };
    LedgerRow::left(
        Some(url.to_string()),
        Some(doc_id.to_string()),
        source.clone(),
        Stage::Dedup,
        reason,
        evidence,
    )
}

impl StreamStep for DedupStep {
    fn name(&self) -> &'static str {
        match self.key {
            Key::Url => "url-dedup",
            Key::Text => "exact-dedup",
        }
    }

    fn see(&mut self, doc: Document, held: bool) -> Flow {
        let reason = self.reason();
        let budget = self.budget;
        let Some(part) = self.rank.as_mut() else {
            return Flow::Pass(doc);
        };
        // A held document claims its text only at the job's end (after every document that
        // was not held): a document refused there cannot shadow a duplicate of it.
        let Some(seen) = part.seen.as_ref().filter(|_| !held) else {
            return Flow::Pass(doc);
        };
        let room = (seen.len() as u64 + 1) * SEEN_ENTRY_BYTES <= budget;
        match seen.claim_within(&doc.text_hash, &doc.doc_id, room) {
            None => Flow::Pass(doc),
            Some(first) => Flow::Left(duplicate_row(
                reason,
                &doc.url,
                &doc.doc_id,
                &doc.source,
                &doc.text_hash,
                &first.doc_id,
            )),
        }
    }

    fn passed(&mut self, d: &Document, shard: Option<&str>) -> anyhow::Result<()> {
        let key = self.key;
        let Some(part) = self.rank.as_mut() else {
            return Ok(());
        };
        let claim = Claim {
            text_hash: key.of(d),
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
            fetched_at: d.fetched_at.map(|t| t.timestamp_millis()),
        };
        if let Some(c) = part.claims.as_mut() {
            c.add(&claim).context("cannot write a dedup claim")?;
        }
        Ok(())
    }

    fn finish_rank(&mut self) -> anyhow::Result<()> {
        if let Some(c) = self.rank.as_mut().and_then(|p| p.claims.take()) {
            c.finish().context("cannot write the dedup claims")?;
        }
        Ok(())
    }

    fn decide(&mut self, job: &mut JobEnd) -> anyhow::Result<()> {
        let withdrawn = job.dropped_ids();
        let dir = self.key.dir(&job.exchange);
        let losers = partitioned::decide(
            &dir,
            job.world,
            self.partitions,
            &withdrawn,
            self.key.winner(),
            self.budget,
        )
        .with_context(|| format!("cannot read the claims in {}", dir.display()))?;
        let reason = self.reason();
        for (rank, losers) in losers.into_iter().enumerate() {
            for (doc_id, loser) in losers {
                let c = &loser.claim;
                job.drop_doc(
                    rank as u32,
                    &doc_id,
                    Dropped {
                        row: duplicate_row(
                            reason,
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
        let mut step = DedupStep::new(Key::Text, 16, u64::MAX, Some(&ctx)).unwrap();
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
        DedupStep::new(Key::Text, 16, u64::MAX, None)
            .unwrap()
            .decide(&mut job)
            .unwrap();
        let (_, dropped) = job.into_dropped();
        assert_eq!(dropped[0].keys().collect::<Vec<_>>(), vec!["id0"]);
        assert_eq!(dropped[0]["id0"].shard, None);
    }
}
