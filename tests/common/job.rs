//! A job's inputs and the comparison of two runs of it (tests/ranks.rs, tests/slurm.rs).

use super::*;
use assent_ingest::warc::WarcWriter;
use assent_schemas::{Decision, LedgerRow};
use chrono::{TimeZone, Utc};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

pub const FILES: usize = 6;
const BY: &str = r#"<link rel="license" href="https://creativecommons.org/licenses/by/4.0/">"#;

/// Text `n`: 120 words of the play texts. From 1000 on, a near-duplicate of text `n % 1000`:
/// a credit line before it (1000s) or after it (2000s), a Jaccard similarity near 0.9.
pub fn passage(n: usize) -> String {
    let text = std::fs::read_to_string(shared_data().join("text/tinyshakespeare.txt")).unwrap();
    let words: Vec<&str> = text.split_whitespace().collect();
    let base = n % 1000;
    let body = words[base * 120..base * 120 + 120].join(" ");
    match n / 1000 {
        0 => body,
        1 => format!("As printed in the folio edition. {body}"),
        _ => format!("{body} Here ends the passage quoted."),
    }
}

pub fn page(head: &str, text: &str) -> Vec<u8> {
    format!("<html><head><title>t</title>{head}</head><body><article><p>{text}</p></article></body></html>")
        .into_bytes()
}

/// Six WARC files. Text numbers repeat across files (exact duplicates); `open.example`
/// carries CC BY on 7 of its 9 pages, `mixed.example` on 3 of 8, all 3 in file 4; robots.txt
/// of `shy.example`, in the last file, refuses its /private/ pages, which are in file 0.
pub fn make_inputs(dir: &Path) -> Vec<PathBuf> {
    let html = vec![(
        "Content-Type".to_string(),
        "text/html; charset=utf-8".to_string(),
    )];
    let txt = vec![("Content-Type".to_string(), "text/plain".to_string())];
    let at = Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap();
    // (file, url, head, text number)
    let mut pages: Vec<(usize, String, &str, usize)> = Vec::new();
    for i in 0..8 {
        pages.push((
            i % FILES,
            format!("http://open.example/{i}"),
            if i < 6 { BY } else { "" },
            10 + i,
        ));
        let licensed = i < 3;
        pages.push((
            if licensed { 4 } else { i % FILES },
            format!("http://mixed.example/{i}"),
            if licensed { BY } else { "" },
            20 + i,
        ));
    }
    for i in 0..4 {
        pages.push((0, format!("http://shy.example/private/{i}"), "", 30 + i));
        pages.push((i + 1, format!("http://shy.example/public/{i}"), "", 40 + i));
    }
    // Exact duplicates across files: text 50 three times, text 51 twice, text 11 (an open page's) again.
    pages.push((1, "http://copy.example/a".into(), "", 50));
    pages.push((3, "http://copy.example/b".into(), "", 50));
    pages.push((5, "http://copy.example/c".into(), "", 50));
    pages.push((2, "http://copy.example/d".into(), "", 51));
    pages.push((0, "http://copy.example/e".into(), "", 51));
    pages.push((5, "http://copy.example/f".into(), BY, 11));
    // Near-duplicates across files: of shy.example/public/1's text, and three of text 52.
    pages.push((2, "http://copy.example/g".into(), "", 1041));
    pages.push((0, "http://copy.example/h".into(), "", 52));
    pages.push((4, "http://copy.example/i".into(), "", 1052));
    pages.push((3, "http://copy.example/j".into(), "", 2052));
    // A licensed page whose text an earlier page of mixed.example (refused by the guard) has.
    pages.push((5, "http://open.example/8".into(), BY, 20));
    let mut writers: Vec<WarcWriter<Vec<u8>>> =
        (0..FILES).map(|_| WarcWriter::new(Vec::new())).collect();
    for (file, url, head, n) in &pages {
        writers[*file]
            .write_response(url, at, 200, &html, &page(head, &passage(*n)))
            .unwrap();
    }
    // One URL captured twice, in two files a rank apart: the earlier capture (in the later
    // file) wins.
    writers[3]
        .write_response(
            "http://copy.example/k",
            at,
            200,
            &html,
            &page("", &passage(60)),
        )
        .unwrap();
    writers[4]
        .write_response(
            "http://copy.example/k",
            at - chrono::Duration::days(1),
            200,
            &html,
            &page("", &passage(61)),
        )
        .unwrap();
    writers[FILES - 1]
        .write_response(
            "http://shy.example/robots.txt",
            at,
            200,
            &txt,
            b"User-agent: *\nDisallow: /private/\n",
        )
        .unwrap();
    writers
        .into_iter()
        .enumerate()
        .map(|(i, w)| {
            let path = dir.join(format!("in-{i}.warc.gz"));
            std::fs::write(&path, w.into_inner()).unwrap();
            path
        })
        .collect()
}

pub fn curate_args(inputs: &[PathBuf], out: &Path, config: &Path) -> Vec<String> {
    let mut args = vec!["curate".to_string(), "--warc".into()];
    args.extend(inputs.iter().map(|p| p.display().to_string()));
    args.extend(["--out".into(), out.display().to_string()]);
    args.extend(["--config".into(), config.display().to_string()]);
    args
}

pub fn run(args: &[String], env: &[(&str, String)]) -> std::process::Output {
    let out = Command::new(env!("CARGO_BIN_EXE_assent"))
        .args(args)
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .env("ASSENT_LOG", "warn")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "assent {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Each record's final decision and reasons: its latest ledger row.
pub fn final_decisions(out: &Path) -> BTreeMap<String, (Decision, Vec<String>)> {
    let mut rows: Vec<LedgerRow> = ledger_rows(out);
    rows.sort_by_key(|r| r.recorded_at);
    let mut last = BTreeMap::new();
    for r in rows {
        let key = format!("{:?}|{:?}|{:?}", r.url, r.source.file, r.source.offset);
        last.insert(
            key,
            (
                r.decision,
                r.reasons.iter().map(|c| c.as_str().to_string()).collect(),
            ),
        );
    }
    last
}

pub fn kept_ids(out: &Path) -> BTreeSet<String> {
    shard_documents(out).into_iter().map(|d| d.doc_id).collect()
}

/// The kept documents' dedup columns, by doc_id.
pub fn kept_dedup(out: &Path) -> BTreeMap<String, assent_schemas::Dedup> {
    shard_documents(out)
        .into_iter()
        .map(|d| (d.doc_id, d.dedup))
        .collect()
}

/// Each record's final decision, keyed by URL and source.
pub type Decisions = BTreeMap<String, (Decision, Vec<String>)>;

/// Asserts that two finished outputs of one job hold the same corpus: kept documents, final
/// decisions, counts, licence shares and consent summary; and that `many`'s manifest lists
/// exactly its shard files, with their hashes. Returns `many`'s merged manifest.
pub fn assert_same_corpus(one: &Path, many: &Path) -> serde_json::Value {
    let m1 = read_json(&one.join("manifest.json"));
    let merged = read_json(&many.join("manifest.json"));
    assert_eq!(m1["counts"], merged["counts"]);
    assert_eq!(m1["licence_audit"], merged["licence_audit"]);
    assert_eq!(m1["consent"], merged["consent"]);
    assert_eq!(kept_ids(one), kept_ids(many));
    assert_eq!(kept_dedup(one), kept_dedup(many));
    assert_eq!(final_decisions(one), final_decisions(many));
    let listed: BTreeSet<String> = merged["shards"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let path = f["path"].as_str().unwrap();
            assert_eq!(
                assent_manifests::sha256_file(&many.join(path)).unwrap(),
                f["sha256"].as_str().unwrap()
            );
            path.to_string()
        })
        .collect();
    let present: BTreeSet<String> = files_under(&many.join("shards"))
        .iter()
        .map(|p| format!("shards/{}", p.file_name().unwrap().to_string_lossy()))
        .collect();
    assert_eq!(listed, present);
    merged
}

/// A corpus in `dir/corpus` curated without near-dedup, in some 20 shards, holding clusters
/// of near-duplicates that cross shards: texts 60 to 89, near copies of 60 to 74 (a line
/// before) and of 60 to 67 (a line after), and an exact copy of 80. Returns the corpus.
pub fn near_corpus(dir: &Path) -> PathBuf {
    let mut lines = String::new();
    let mut texts: Vec<usize> = (60..90).collect();
    texts.extend((60..75).map(|n| 1000 + n));
    texts.extend((60..68).map(|n| 2000 + n));
    texts.push(80);
    for (i, n) in texts.iter().enumerate() {
        let line = serde_json::json!({
            "text": passage(*n),
            "url": format!("http://near{}.example/{i}", i % 5),
            "id": format!("row-{i}"),
        });
        lines.push_str(&line.to_string());
        lines.push('\n');
    }
    let jsonl = dir.join("near.jsonl");
    std::fs::write(&jsonl, lines).unwrap();
    let config = dir.join("no-near.toml");
    // Batches of four: a shard is closed between batches.
    std::fs::write(
        &config,
        "[pipeline]\nbatch_size = 4\nsteps = [\"quality-signals\"]\n",
    )
    .unwrap();
    let out = dir.join("corpus");
    let args: Vec<String> = [
        "curate",
        "--jsonl",
        jsonl.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--config",
        config.to_str().unwrap(),
        "--shard-size",
        "2000",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    run(&args, &[]);
    out
}

/// A copy of the directory tree at `from` at `to`.
pub fn copy_tree(from: &Path, to: &Path) {
    for f in files_under(from) {
        let target = to.join(f.strip_prefix(from).unwrap());
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        std::fs::copy(&f, &target).unwrap();
    }
}

/// The near-dedup clusters of a corpus, as sets of doc_ids.
pub fn clusters_of(corpus: &Path) -> BTreeSet<Vec<String>> {
    assent_dedup::near::read_clusters(&corpus.join("dedup"))
        .unwrap()
        .into_iter()
        .map(|c| c.members.into_iter().map(|m| m.doc.doc_id).collect())
        .collect()
}
