//! The demo's last step: the corpus indexed for outsiders, and two questions a site owner
//! would ask (a kept page, a refused one), each answer's proof checked against the signed
//! checkpoint as an outsider would check it.

use anyhow::Context;
use assent_manifests::checkpoint::{Checkpoint, NoteVerifier};
use assent_manifests::merkle::{leaf_hash, verify_inclusion};
use assent_provenance::lookup::{Index, UrlAnswer};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use std::path::Path;

/// Indexes `corpus`, asks about `kept_url` and `refused_url`, and prints the answers.
pub fn show(corpus: &Path, kept_url: &str, refused_url: &str) -> anyhow::Result<()> {
    let stats = assent_provenance::index::build(corpus, &[])?;
    println!();
    println!(
        "provenance index: {} kept and {} refused records, {} training runs (assent serve {} answers over HTTP)",
        stats.kept_now,
        stats.refused_now,
        stats.runs,
        corpus.display()
    );
    let mut ix = Index::open(corpus)?;
    let vkey = ix.checkpoint()?.vkey;
    for url in [kept_url, refused_url] {
        let a = ix.url(url)?;
        let checked = check(&a, &vkey).with_context(|| format!("the proof for {url}"))?;
        println!(
            "  {:<8} {}  {}{}; {}",
            a.status,
            a.url,
            if a.reasons.is_empty() {
                a.licence
                    .clone()
                    .unwrap_or_else(|| "no licence stated".into())
            } else {
                a.reasons.join(", ")
            },
            if a.models.is_empty() {
                String::new()
            } else {
                format!(
                    "; read by {}",
                    a.models
                        .iter()
                        .map(|m| m.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            },
            checked
        );
    }
    Ok(())
}

/// Checks the answer's signature and inclusion proof; says what was checked.
fn check(a: &UrlAnswer, vkey: &str) -> anyhow::Result<String> {
    let (Some(proof), Some(note)) = (&a.proof, &a.checkpoint) else {
        return Ok("no proof (unknown)".into());
    };
    let text = NoteVerifier::from_vkey(vkey)?.open(note)?;
    let checkpoint = Checkpoint::parse(text)?;
    let leaf = B64.decode(&proof.leaf)?;
    let path = proof
        .inclusion_path
        .iter()
        .map(|h| B64.decode(h))
        .collect::<Result<Vec<_>, _>>()?;
    verify_inclusion(
        &leaf_hash(&leaf),
        proof.leaf_index,
        checkpoint.size,
        &path,
        &checkpoint.root,
    )?;
    Ok(format!(
        "leaf {} of {} in the {} tree, proof and signature verified",
        proof.leaf_index, checkpoint.size, proof.tree
    ))
}
