//! `assent filter` on text another tool extracted: a Parquet file written by pyarrow (snappy,
//! its default compression), FineWeb's rules with FineWeb's thresholds, every measure in the
//! kept documents' `quality` column and every drop in the ledger with its rule.

mod common;
use common::*;
use std::collections::BTreeMap;
use std::process::Command;

/// Prose that passes every rule: long, varied, punctuated lines with stop words.
fn prose(seed: u64) -> String {
    const ADJ: [&str; 12] = [
        "quiet", "distant", "early", "silver", "patient", "narrow", "bright", "heavy", "gentle",
        "broken", "northern", "hidden",
    ];
    const NOUN: [&str; 12] = [
        "river",
        "harbour",
        "fisherman",
        "lantern",
        "village",
        "orchard",
        "bridge",
        "meadow",
        "captain",
        "garden",
        "library",
        "station",
    ];
    const VERB: [&str; 12] = [
        "watches",
        "remembers",
        "follows",
        "crosses",
        "shelters",
        "answers",
        "carries",
        "greets",
        "measures",
        "paints",
        "guards",
        "visits",
    ];
    const PREP: [&str; 6] = ["near", "beyond", "under", "beside", "across", "behind"];
    let mut x = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    let mut pick = |n: usize| {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (x >> 33) as usize % n
    };
    (0..8)
        .map(|_| {
            (0..2)
                .map(|_| {
                    format!(
                        "The {} {} {} the {} {} {} and the {} {}.",
                        ADJ[pick(12)],
                        NOUN[pick(12)],
                        VERB[pick(12)],
                        NOUN[pick(12)],
                        PREP[pick(6)],
                        NOUN[pick(12)],
                        ADJ[pick(12)],
                        NOUN[pick(12)]
                    )
                })
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn filter_applies_fineweb_s_rules_to_another_tool_s_parquet() {
    let dir = tempfile::tempdir().unwrap();
    let repeated =
        std::iter::repeat_n("Buy now and save big on every item in the store today.", 12)
            .collect::<Vec<_>>()
            .join("\n");
    let docs: Vec<(&str, String)> = vec![
        ("good-1", prose(1)),
        ("good-2", prose(2)),
        ("repeated", repeated),
        // Two lines of prose: 44 words, too few (under 50) for Gopher.
        (
            "short",
            prose(5).lines().take(2).collect::<Vec<_>>().join("\n"),
        ),
        // Nine words: its first 2-gram alone is a fifth of its characters, and the repetition
        // rules run first (in datatrove too).
        ("tiny", "Too short to be a document at all.".to_string()),
        (
            "lorem",
            format!(
                "{}\nLorem ipsum dolor sit amet, consectetur adipiscing elit.",
                prose(3)
            ),
        ),
        (
            "code",
            format!(
                "{}\nThe function body is {{ return x; }} in the example here.",
                prose(4)
            ),
        ),
        (
            "personal",
            format!("{}\nWrite to jane.doe@example.org or call +44 20 7946 0958 about the meadow today.", prose(6)),
        ),
    ];
    let input = dir.path().join("extracted.parquet");
    let script = "import json, sys, pyarrow as pa, pyarrow.parquet as pq\n\
                  rows = json.loads(sys.argv[2])\n\
                  pq.write_table(pa.table({'id': [r[0] for r in rows], 'url': ['https://t.example/' + r[0] for r in rows], 'text': [r[1] for r in rows]}), sys.argv[1])";
    let res = Command::new(python())
        .args([
            "-c",
            script,
            input.to_str().unwrap(),
            &serde_json::to_string(&docs).unwrap(),
        ])
        .output()
        .unwrap();
    assert!(
        res.status.success(),
        "{}",
        String::from_utf8_lossy(&res.stderr)
    );

    let out = dir.path().join("out");
    assent(
        &[
            "filter",
            "--parquet",
            input.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ],
        true,
    );
    let kept: BTreeMap<String, assent_schemas::Document> = shard_documents(&out)
        .into_iter()
        .map(|d| (d.url.rsplit('/').next().unwrap().to_string(), d))
        .collect();
    assert_eq!(
        kept.keys().collect::<Vec<_>>(),
        ["good-1", "good-2", "personal"]
    );
    // Personal data is replaced by typed placeholders, counted, and the text hash follows.
    let personal = &kept["personal"];
    assert!(
        personal
            .text
            .contains("Write to <EMAIL> or call <PHONE> about"),
        "{}",
        personal.text
    );
    assert!(!personal.text.contains("jane.doe") && !personal.text.contains("7946"));
    assert_eq!(
        (personal.quality["pii.email"], personal.quality["pii.phone"]),
        (1.0, 1.0)
    );
    assert_eq!(
        personal.text_hash,
        assent_schemas::text_hash(&personal.text)
    );
    assert_eq!(kept["good-1"].quality["pii.email"], 0.0);
    // Every rule's measure is there to filter again by.
    let q = &kept["good-1"].quality;
    for name in [
        "gopher_rep.dup_line_frac",
        "gopher_rep.top_2_gram",
        "gopher_rep.dup_10_gram",
        "gopher.words",
        "gopher.stop_words",
        "c4.sentences",
        "fineweb.line_punct",
        "fineweb.list_ratio",
        "words",
    ] {
        assert!(q.contains_key(name), "{name} missing from {q:?}");
    }
    assert_eq!(q["c4.sentences"], 16.0);
    assert_eq!(q["fineweb.line_punct"], 1.0);

    let rows = ledger_rows(&out);
    let reason = |id: &str| -> String {
        rows.iter()
            .find(|r| {
                r.url
                    .as_deref()
                    .is_some_and(|u| u.ends_with(&format!("/{id}")))
            })
            .map(|r| r.reasons.first().map_or("kept", |c| c.as_str()).to_string())
            .unwrap()
    };
    assert_eq!(reason("repeated"), "gopher.dup-line-frac");
    assert_eq!(reason("short"), "gopher.short-doc");
    assert_eq!(reason("tiny"), "gopher.top-2-gram");
    assert_eq!(reason("lorem"), "c4.lorem-ipsum");
    assert_eq!(reason("code"), "c4.curly-bracket");
    let short = rows
        .iter()
        .find(|r| {
            r.reasons
                .first()
                .is_some_and(|c| c.as_str() == "gopher.short-doc")
        })
        .unwrap();
    let ev: serde_json::Value = serde_json::from_str(&short.evidence).unwrap();
    assert_eq!(
        (ev["measure"].as_str(), ev["threshold"].as_f64()),
        (Some("gopher.words"), Some(50.0))
    );
    assert!(!short.evidence.contains("The "), "never the text");
    // The README's query re-filters by a measure without running anything again.
    let rows = duckdb_rows(&format!(
        "select count(*) from '{}/shards/*.parquet' where list_filter(quality, lambda q: q.name = 'gopher_rep.dup_line_frac')[1].value < 0.1",
        out.display()
    ));
    assert_eq!(rows, serde_json::json!([[3]]));
    // The audit ran at the end: what the corpus holds, and what personal data it had.
    let audit = read_json(&out.join("audit/audit.json"));
    assert_eq!(audit["audit"]["documents"], 3);
    assert_eq!(audit["audit"]["pii"]["email"], 1);
    assert_eq!(audit["audit"]["documents_with_pii"], 1);
    assert_eq!(audit["counts"]["by_decision"]["dropped"], 5);
    assert!(audit["audit"]["identity_terms"].as_array().unwrap().len() > 50);
    assert!(audit["audit"]["lexicons"]["violence"]
        .as_str()
        .unwrap()
        .contains("Abid"));
    let manifest = read_json(&out.join("manifest.json"));
    assert_eq!(manifest["counts"]["by_decision"]["kept"], 3);
    assert_eq!(manifest["counts"]["by_decision"]["dropped"], 5);
}
