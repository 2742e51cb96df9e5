use super::*;
use crate::neardup_gen::{edited, Edit};
use assent_schemas::SourceKind;
use std::collections::{BTreeSet, HashSet};

/// 40 passages of 200 words drawn from a vocabulary of 3,000 made-up words, each with three
/// copies lightly edited (1% of the words: Jaccard about 0.9), and 40 passages alone.
fn corpus() -> Vec<(NearDoc, String)> {
    let vocabulary: Vec<String> = (0..3000)
        .map(|i| format!("w{}x{}", i * 7919 % 3001, i))
        .collect();
    let vocab: Vec<&str> = vocabulary.iter().map(String::as_str).collect();
    let mut state = 12345u64;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut docs = Vec::new();
    for p in 0..80 {
        let passage: Vec<&str> = (0..200)
            .map(|_| vocab[next() as usize % vocab.len()])
            .collect();
        let passage = passage.join(" ");
        let copies = if p < 40 { 3 } else { 0 };
        let edits = [Edit::Insert, Edit::Delete, Edit::Swap];
        let mut texts = vec![passage.clone()];
        for (c, edit) in edits.iter().enumerate().take(copies) {
            texts.push(edited(
                &passage,
                *edit,
                0.01,
                &vocab,
                p as u64 * 10 + c as u64,
            ));
        }
        for (c, text) in texts.into_iter().enumerate() {
            let n = docs.len();
            docs.push((
                NearDoc {
                    doc_id: format!("p{p:03}c{c}"),
                    // The last copy was fetched first.
                    fetched_at: Some(if c == 3 { 999_990 } else { 1_000_000 }),
                    len: text.len() as u64,
                    url: format!("http://x.example/{n}"),
                    source: Source {
                        kind: SourceKind::Warc,
                        file: Some("in.warc".into()),
                        record_id: None,
                        offset: Some(n as u64),
                    },
                    shard: Some("shards/part-00000-00000.parquet".into()),
                    unchecked: Vec::new(),
                    words: 200,
                },
                text,
            ));
        }
    }
    docs
}

/// Signatures in `world` parts (document i to part i % world), then buckets and clusters as
/// `world` separate calls each; the clusters as sets of doc_ids.
fn staged(dir: &std::path::Path, world: u32, config: &NearConfig) -> BTreeSet<Vec<String>> {
    let docs = corpus();
    let mut writers: Vec<SignatureWriter> = (0..world)
        .map(|r| SignatureWriter::new(dir, r, world, config).unwrap())
        .collect();
    for (i, (doc, text)) in docs.iter().enumerate() {
        writers[i % world as usize].add(doc, text).unwrap();
    }
    for w in writers {
        w.finish().unwrap();
    }
    for r in 0..world {
        run_buckets(dir, r, world).unwrap();
    }
    let mut merged = Vec::new();
    for r in 0..world {
        merged.push(run_clusters(dir, r, world).unwrap());
    }
    // Only the part that found every band's components there merged them: the last.
    assert_eq!(merged.iter().filter(|m| **m).count(), 1, "{merged:?}");
    assert!(merged[world as usize - 1]);
    let scratch: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with("merge-"))
        .collect();
    assert!(scratch.is_empty(), "the merge left {scratch:?}");
    clusters_of(dir)
}

fn clusters_of(dir: &std::path::Path) -> BTreeSet<Vec<String>> {
    read_clusters(dir)
        .unwrap()
        .into_iter()
        .map(|c| c.members.into_iter().map(|m| m.doc.doc_id).collect())
        .collect()
}

#[test]
fn one_part_and_four_give_the_same_clusters_and_find_the_copies() {
    let config = NearConfig::default();
    let one = tempfile::tempdir().unwrap();
    let four = tempfile::tempdir().unwrap();
    let a = staged(one.path(), 1, &config);
    let b = staged(four.path(), 4, &config);
    assert_eq!(a, b);
    // Nor does the clusters' order in the file.
    let order = |d: &tempfile::TempDir| -> Vec<Vec<String>> {
        read_clusters(d.path())
            .unwrap()
            .into_iter()
            .map(|c| c.members.into_iter().map(|m| m.doc.doc_id).collect())
            .collect()
    };
    assert_eq!(order(&one), order(&four));
    // Every edited group is one cluster of four, and no passage alone is in any.
    let expected: BTreeSet<Vec<String>> = (0..40)
        .map(|p| (0..4).map(|c| format!("p{p:03}c{c}")).collect())
        .collect();
    assert_eq!(a, expected);
}

#[test]
fn spilled_runs_give_the_same_clusters() {
    let small = NearConfig {
        spill_bytes: 24 * 14 * 7, // a run every 7 documents
        ..NearConfig::default()
    };
    let dir = tempfile::tempdir().unwrap();
    let spilled = staged(dir.path(), 2, &small);
    let runs = Layout::new(dir.path()).runs_of(0).unwrap();
    assert!(runs.len() > 20, "{} runs", runs.len());
    let whole = tempfile::tempdir().unwrap();
    assert_eq!(spilled, staged(whole.path(), 2, &NearConfig::default()));
}

#[test]
fn the_keep_rule_takes_the_earliest_fetch_then_the_longest_then_the_doc_id() {
    let dir = tempfile::tempdir().unwrap();
    staged(dir.path(), 1, &NearConfig::default());
    let clusters = read_clusters(dir.path()).unwrap();
    let first = clusters
        .iter()
        .find(|c| c.members[0].doc.doc_id == "p000c0")
        .expect("the first passage's cluster");
    let none = HashSet::new();
    let d = first.decide(&none).unwrap();
    // Copy 3 was fetched first.
    assert_eq!(d.kept.doc.doc_id, "p000c3");
    assert_eq!(d.size, 4);
    assert_eq!(d.removed.len(), 3);
    // Without it, the others were fetched at the same time: the longest wins.
    let gone: HashSet<String> = ["p000c3".to_string()].into();
    let d = first.decide(&gone).unwrap();
    let longest = first
        .members
        .iter()
        .filter(|m| m.doc.doc_id != "p000c3")
        .max_by_key(|m| (m.doc.len, std::cmp::Reverse(m.doc.doc_id.clone())))
        .unwrap();
    assert_eq!(d.kept.doc.doc_id, longest.doc.doc_id);
    assert_eq!(d.size, 3);
    // Equal fetch and length: the smaller doc_id.
    let mut tie = first.clone();
    for m in &mut tie.members {
        m.doc.fetched_at = None;
        m.doc.len = 5;
    }
    assert_eq!(tie.decide(&none).unwrap().kept.doc.doc_id, "p000c0");
    // One member left: nothing to decide.
    let all_but_one: HashSet<String> = first.members[1..]
        .iter()
        .map(|m| m.doc.doc_id.clone())
        .collect();
    assert!(first.decide(&all_but_one).is_none());
}

#[test]
fn finished_parts_are_skipped_and_a_part_run_again_starts_clean() {
    let config = NearConfig::default();
    let dir = tempfile::tempdir().unwrap();
    let before = staged(dir.path(), 2, &config);
    let layout = Layout::new(dir.path());
    // A relaunch of buckets finds every band done and does nothing.
    let again = run_buckets(dir.path(), 0, 1).unwrap();
    assert!(again.bands.is_empty(), "{again:?}");
    // A signature part run again, with nothing added, removes what it wrote before.
    SignatureWriter::new(dir.path(), 1, 2, &config)
        .unwrap()
        .finish()
        .unwrap();
    assert!(layout
        .runs_of(0)
        .unwrap()
        .iter()
        .all(|p| !p.to_string_lossy().contains("-00001-")));
    // And what the later stages made of the old signatures is gone with them.
    assert!(!layout.buckets_done(0).exists() && !layout.clusters().exists());
    assert!(!before.is_empty());
}

#[test]
fn stages_run_out_of_order_say_what_is_missing() {
    let config = NearConfig::default();
    let dir = tempfile::tempdir().unwrap();
    let err = run_buckets(dir.path(), 0, 1).unwrap_err();
    assert!(err.to_string().contains("signatures stage"), "{err}");
    SignatureWriter::new(dir.path(), 0, 2, &config)
        .unwrap()
        .finish()
        .unwrap();
    let err = run_buckets(dir.path(), 0, 1).unwrap_err();
    assert!(err.to_string().contains("parts [1] of 2"), "{err}");
    SignatureWriter::new(dir.path(), 1, 2, &config)
        .unwrap()
        .finish()
        .unwrap();
    let err = run_clusters(dir.path(), 0, 1).unwrap_err();
    assert!(err.to_string().contains("buckets of band 0"), "{err}");
}
