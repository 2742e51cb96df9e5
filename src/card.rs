//! The corpus described for the people who will use it: `DIR/croissant.json` (Croissant 1.0
//! with its Responsible AI vocabulary) for loaders and dataset search, and `DIR/README.md`,
//! a Hugging Face dataset card whose YAML front matter the Hub and `datasets` read and whose
//! sections follow Gebru et al.'s datasheet questions (motivation, composition, collection,
//! preprocessing, uses, distribution, maintenance).
//!
//! Both are written from the manifest and the audit, after them ([`crate::audit_cmd::audit`]
//! calls [`write`]), so they describe the version the manifest names: its shards with their
//! sha256, its counts, the log's checkpoints and verifier key.

use crate::config::DatasetConfig;
use anyhow::Context;
use assent_manifests::{write_atomically, CorpusManifest};
use serde_json::{json, Value};
use std::fmt::Write;
use std::path::{Path, PathBuf};

/// Where the descriptions went.
pub struct CardFiles {
    pub croissant: PathBuf,
    pub card: PathBuf,
}

/// The figures both are written from.
struct About<'a> {
    manifest: &'a CorpusManifest,
    audit: &'a Value,
    config: DatasetConfig,
    name: String,
    url: String,
    documents: u64,
    /// (language, documents), as the audit counts them (`none` for documents of none).
    language_documents: Vec<(String, u64)>,
    /// (SPDX id or `none`, documents).
    licences: Vec<(String, u64)>,
    version: String,
}

/// Writes `dir/croissant.json` and `dir/README.md` for the corpus whose manifest and audit
/// (`audit.json`'s value) are given.
pub fn write(dir: &Path, manifest: &CorpusManifest, audit: &Value) -> anyhow::Result<CardFiles> {
    let config: crate::config::Config =
        serde_json::from_value(manifest.config.clone()).unwrap_or_default();
    let name = config.dataset.name.clone().unwrap_or_else(|| {
        dir.canonicalize()
            .ok()
            .and_then(|d| d.file_name().map(|n| n.to_string_lossy().into_owned()))
            .unwrap_or_else(|| "corpus".into())
    });
    let url = config
        .dataset
        .url
        .clone()
        .unwrap_or_else(|| match &manifest.log {
            Some(l) => format!("https://{}", l.origin),
            None => format!("https://localhost/assent/{name}"),
        });
    let a = &audit["audit"];
    let keyed = |k: &str| -> Vec<(String, u64)> {
        a[k].as_array()
            .into_iter()
            .flatten()
            .filter_map(|e| Some((e["key"].as_str()?.to_string(), e["documents"].as_u64()?)))
            .collect()
    };
    let versions = manifest
        .log
        .as_ref()
        .map(|_| assent_manifests::signed_log::history(&dir.join("log")).map_or(1, |h| h.len()))
        .unwrap_or(1);
    let about = About {
        manifest,
        audit,
        config: config.dataset,
        name,
        url,
        documents: manifest.shards.iter().map(|s| s.rows).sum(),
        language_documents: keyed("by_language"),
        licences: keyed("by_licence"),
        // Each published version of the log is a new major version: documents may have left.
        version: format!("{versions}.0.0"),
    };
    let files = CardFiles {
        croissant: dir.join("croissant.json"),
        card: dir.join("README.md"),
    };
    let croissant = serde_json::to_vec_pretty(&croissant(&about))?;
    write_atomically(&files.croissant, &croissant)
        .with_context(|| format!("cannot write {}", files.croissant.display()))?;
    write_atomically(&files.card, card(&about).as_bytes())
        .with_context(|| format!("cannot write {}", files.card.display()))?;
    Ok(files)
}

impl About<'_> {
    /// The languages identified.
    fn languages(&self) -> Vec<String> {
        let known = self.language_documents.iter().filter(|(l, _)| l != "none");
        known.map(|(l, _)| l.clone()).collect()
    }
}

fn spdx_url(id: &str) -> String {
    format!("https://spdx.org/licenses/{id}.html")
}

fn description(a: &About) -> String {
    let c = &a.manifest.counts;
    format!(
        "{} web documents curated by Assent {} with every machine-readable opt-out honoured (robots.txt, IETF aipref, TDMRep, RSL, ai.txt, noai, the steward's registry): {} records considered, {} kept, {} refused by their owners' signals, {} dropped by quality, language and duplicate rules. Every decision is a leaf of a signed Merkle log ({}).",
        a.documents,
        a.manifest.assent_version,
        c.records,
        c.decision(assent_schemas::Decision::Kept),
        c.decision(assent_schemas::Decision::Refused),
        c.decision(assent_schemas::Decision::Dropped),
        a.manifest.log.as_ref().map_or("not published".into(), |l| l.origin.clone()),
    )
}

fn rai(a: &About) -> Value {
    let c = &a.manifest.counts;
    let audit = &a.audit["audit"];
    let pii = &audit["pii"];
    let reasons = |decision: &str| -> String {
        let mut v: Vec<String> = c
            .by_reason
            .iter()
            .filter(|(r, _)| {
                assent_schemas::ReasonCode::ALL
                    .iter()
                    .any(|code| code.as_str() == r.as_str() && code.decision().as_str() == decision)
            })
            .map(|(r, n)| format!("{r} {n}"))
            .collect();
        if v.is_empty() {
            v.push("none".into());
        }
        v.join(", ")
    };
    let identity: Vec<String> = audit["identity_terms"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|t| t["mentions"].as_u64().unwrap_or(0) > 0)
        .take(12)
        .map(|t| {
            format!(
                "{} ({}: {:.0} per million words; shares a sentence with violence {:.3}, crime {:.3}, negative words {:.3})",
                t["term"].as_str().unwrap_or(""),
                t["lexicon"].as_str().unwrap_or(""),
                t["per_million_words"].as_f64().unwrap_or(0.0),
                t["cooccurrence"]["violence"].as_f64().unwrap_or(0.0),
                t["cooccurrence"]["crime"].as_f64().unwrap_or(0.0),
                t["cooccurrence"]["negative"].as_f64().unwrap_or(0.0),
            )
        })
        .collect();
    let base = &audit["base_rates"];
    json!({
        "rai:dataCollection": format!(
            "Crawled politely or read from web archives (WARC); consent checked on every path a page enters by: {} ({} robots.txt origins archived). Pages whose owners refused are never kept and their text never written.",
            a.manifest.consent.site_signals, a.manifest.consent.archived_robots_origins
        ),
        "rai:dataCollectionType": ["Web Scraping"],
        "rai:dataPreprocessingProtocol": [
            "Main-content extraction from HTML; licence detection (SPDX) from the page, its headers and its site.",
            format!("Language identification; FineWeb's quality rules (Gopher repetition and quality, C4, FineWeb); exact and MinHash near-duplicate removal. Dropped: {}.", reasons("dropped")),
            format!("Refused by their owners' signals: {}.", reasons("refused")),
        ],
        "rai:personalSensitiveInformation": format!(
            "Documents found holding personal data: {} of {} (email {}, phone {}, IP {}, IBAN {}, card {} matches), redacted where the configuration says so. Documents may name people and discuss religion, ethnicity, gender and nationality.",
            audit["documents_with_pii"], audit["documents"], pii["email"], pii["phone"], pii["ip"], pii["iban"], pii["card"]
        ),
        "rai:dataBiases": format!(
            "From the corpus audit (audit/index.html): identity terms and how often they share a sentence with violence, crime and negative words, beside the base rates (violence {:.3}, crime {:.3}, negative {:.3}): {}. Domains are unevenly represented (see the audit's domain shares), and sites that opted out are absent, which skews what remains.",
            base["violence"].as_f64().unwrap_or(0.0), base["crime"].as_f64().unwrap_or(0.0), base["negative"].as_f64().unwrap_or(0.0),
            if identity.is_empty() { "no identity term was found".to_string() } else { identity.join("; ") }
        ),
        "rai:dataLimitations": format!(
            "Only pages reachable from the seeds or present in the archives, in the languages allowed ({}). {} kept documents could not have every consent signal checked (recorded per document). Heuristic filters remove good text and keep some bad.",
            if a.languages().is_empty() { "any".into() } else { a.languages().join(", ") },
            a.manifest.consent.unchecked_kept
        ),
        "rai:dataUseCases": "Pre-training and evaluating language models by researchers who need to know what their models saw; studying the effect of consent on web corpora. Not for identifying or profiling the people the pages mention.",
        "rai:dataSocialImpact": "Leaves out what site owners refused, and lets them verify it: each decision is in a signed, append-only Merkle log with proofs served per URL.",
        "rai:dataReleaseMaintenancePlan": format!(
            "Opt-outs verified by the query service are applied by `assent forget`, which removes the documents, publishes a new version (the log's checkpoints, tied to the last by consistency proofs) and names the training runs that read them. This is version {}.",
            a.version
        ),
    })
}

fn croissant(a: &About) -> Value {
    let m = a.manifest;
    let mut licence: Vec<Value> = a
        .licences
        .iter()
        .filter(|(k, _)| k != "none")
        .map(|(k, _)| Value::String(spdx_url(k)))
        .collect();
    if let Some((_, n)) = a.licences.iter().find(|(k, _)| k == "none") {
        licence.push(json!({
            "@type": "sc:CreativeWork",
            "name": format!("{n} documents state no licence: kept because no opt-out signal refused them; the licence column says so per document"),
        }));
    }
    if licence.is_empty() {
        licence.push(
            json!({"@type": "sc:CreativeWork", "name": "per document: see the licence column"}),
        );
    }
    let mut distribution = vec![json!({
        "@type": "cr:FileSet",
        "@id": "shards",
        "name": "shards",
        "description": "The documents, one Parquet row each (schema in schemas/README.md).",
        "encodingFormat": "application/x-parquet",
        "includes": "shards/*.parquet",
    })];
    for s in &m.shards {
        distribution.push(json!({
            "@type": "cr:FileObject",
            "@id": s.path,
            "name": s.path.rsplit('/').next().unwrap_or(&s.path),
            "contentUrl": s.path,
            "contentSize": format!("{} B", s.bytes),
            "encodingFormat": "application/x-parquet",
            "sha256": s.sha256,
        }));
    }
    let field = |name: &str, description: &str| {
        json!({
            "@type": "cr:Field",
            "@id": format!("documents/{name}"),
            "name": name,
            "description": description,
            "dataType": "sc:Text",
            "source": {"fileSet": {"@id": "shards"}, "extract": {"column": name}},
        })
    };
    let mut d = json!({
        "@context": {
            "@language": "en",
            "@vocab": "https://schema.org/",
            "citeAs": "cr:citeAs",
            "column": "cr:column",
            "conformsTo": "dct:conformsTo",
            "cr": "http://mlcommons.org/croissant/",
            "rai": "http://mlcommons.org/croissant/RAI/",
            "data": {"@id": "cr:data", "@type": "@json"},
            "dataType": {"@id": "cr:dataType", "@type": "@vocab"},
            "dct": "http://purl.org/dc/terms/",
            "examples": {"@id": "cr:examples", "@type": "@json"},
            "extract": "cr:extract",
            "field": "cr:field",
            "fileProperty": "cr:fileProperty",
            "fileObject": "cr:fileObject",
            "fileSet": "cr:fileSet",
            "format": "cr:format",
            "includes": "cr:includes",
            "isLiveDataset": "cr:isLiveDataset",
            "jsonPath": "cr:jsonPath",
            "key": "cr:key",
            "md5": "cr:md5",
            "parentField": "cr:parentField",
            "path": "cr:path",
            "recordSet": "cr:recordSet",
            "references": "cr:references",
            "regex": "cr:regex",
            "repeated": "cr:repeated",
            "replace": "cr:replace",
            "sc": "https://schema.org/",
            "separator": "cr:separator",
            "source": "cr:source",
            "subField": "cr:subField",
            "transform": "cr:transform",
        },
        "@type": "sc:Dataset",
        "conformsTo": "http://mlcommons.org/croissant/1.0",
        "name": a.name,
        "description": a.config.description.clone().unwrap_or_else(|| description(a)),
        "license": licence,
        "url": a.url,
        "creator": {"@type": "sc:Organization", "name": a.config.creator.clone().unwrap_or_else(|| "the corpus steward (set [dataset] creator)".into())},
        "datePublished": m.created_at.to_rfc3339(),
        "version": a.version,
        "inLanguage": a.languages(),
        "keywords": ["web corpus", "pre-training", "consent", "provenance", "opt-out"],
        "isLiveDataset": false,
        "citeAs": format!("@misc{{{}, title = {{{}}}, howpublished = {{{}}}, note = {{Assent {}, log {}}}}}", a.name.replace(|c: char| !c.is_ascii_alphanumeric(), "_"), a.name, a.url, m.assent_version, m.log.as_ref().map_or("unpublished".into(), |l| l.vkey.clone())),
        "distribution": distribution,
        "recordSet": [{
            "@type": "cr:RecordSet",
            "@id": "documents",
            "name": "documents",
            "description": "One kept document a record.",
            "key": {"@id": "documents/doc_id"},
            "field": [
                field("doc_id", "xxh3-128 of the canonical URL and the text, 32 hex digits"),
                field("url", "the canonical URL"),
                field("host", "the URL's host"),
                field("text", "the main text"),
                field("text_hash", "xxh3-128 of the text"),
                field("lang", "ISO 639 language code"),
            ],
        }],
    });
    for (k, v) in rai(a).as_object().expect("an object") {
        d[k] = v.clone();
    }
    if let Some(log) = &m.log {
        d["sdPublisher"] = json!({"@type": "sc:Organization", "name": log.origin});
        d["identifier"] = json!([
            format!("log vkey {}", log.vkey),
            format!("kept tree size {} root {}", log.kept.size, log.kept.root),
            format!(
                "refused tree size {} root {}",
                log.refused.size, log.refused.root
            ),
        ]);
    }
    d
}

/// The Hub's size category for `n` rows.
fn size_category(n: u64) -> &'static str {
    match n {
        0..1_000 => "n<1K",
        1_000..10_000 => "1K<n<10K",
        10_000..100_000 => "10K<n<100K",
        100_000..1_000_000 => "100K<n<1M",
        1_000_000..10_000_000 => "1M<n<10M",
        10_000_000..100_000_000 => "10M<n<100M",
        100_000_000..1_000_000_000 => "100M<n<1B",
        _ => "n>1B",
    }
}

/// A YAML scalar: quoted, with `"` and `\` escaped (a JSON string is a YAML one).
fn yaml(s: &str) -> String {
    serde_json::to_string(s).expect("a string serialises")
}

fn card(a: &About) -> String {
    let m = a.manifest;
    let c = &m.counts;
    let audit = &a.audit["audit"];
    let mut s = String::new();
    // The Hub's licence ids are lower-case SPDX ids; a corpus of several is `other`.
    let spdx: Vec<&(String, u64)> = a.licences.iter().filter(|(k, _)| k != "none").collect();
    let single = spdx.len() == 1 && a.licences.len() == 1;
    let _ = writeln!(s, "---");
    if single {
        let _ = writeln!(s, "license: {}", yaml(&spdx[0].0.to_ascii_lowercase()));
    } else {
        let _ = writeln!(s, "license: other");
        let _ = writeln!(s, "license_name: per-document");
    }
    if a.languages().is_empty() {
        let _ = writeln!(s, "language: []");
    } else {
        let _ = writeln!(s, "language:");
        for l in &a.languages() {
            let _ = writeln!(s, "- {}", yaml(l));
        }
    }
    let _ = writeln!(
        s,
        "size_categories:\n- {}",
        yaml(size_category(a.documents))
    );
    let _ = writeln!(s, "task_categories:\n- text-generation");
    let _ = writeln!(s, "pretty_name: {}", yaml(&a.name));
    let _ = writeln!(s, "configs:\n- config_name: default\n  data_files:\n  - split: train\n    path: \"shards/*.parquet\"");
    let _ = writeln!(s, "---\n");
    let _ = writeln!(s, "# {}\n", a.name);
    let _ = writeln!(
        s,
        "{}\n",
        a.config
            .description
            .clone()
            .unwrap_or_else(|| description(a))
    );
    let _ = writeln!(
        s,
        "Version {} of {} (`croissant.json` describes the same files in Croissant 1.0).\n",
        a.version, a.url
    );

    let _ = writeln!(s, "## Motivation\n");
    let _ = writeln!(s, "A pre-training corpus whose every document was kept with its owner's machine-readable consent, and whose every decision (kept, refused, dropped) can be looked up and verified by anyone: the site owners, the authors, and auditors. Made by {}.\n", a.config.creator.clone().unwrap_or_else(|| "the corpus steward".into()));

    let _ = writeln!(s, "## Composition\n");
    let _ = writeln!(s, "- {} documents in {} Parquet shards ({:.1} MiB), one row each: `doc_id`, `url`, `host`, `text`, `lang`, `licence`, the consent evidence, quality measures and dedup cluster (schemas/README.md).", a.documents, m.shards.len(), m.shards.iter().map(|f| f.bytes).sum::<u64>() as f64 / (1 << 20) as f64);
    let _ = writeln!(
        s,
        "- {} words, {} sentences.",
        audit["words"], audit["sentences"]
    );
    let _ = writeln!(
        s,
        "- Languages: {}.",
        a.language_documents
            .iter()
            .filter(|(l, _)| l != "none")
            .map(|(l, n)| format!("{l} ({n})"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let _ = writeln!(
        s,
        "- Licences: {}.",
        a.licences
            .iter()
            .map(|(k, n)| format!("{k} ({n})"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let domains: Vec<String> = audit["by_domain"]
        .as_array()
        .into_iter()
        .flatten()
        .take(10)
        .filter_map(|d| Some(format!("{} ({})", d[0].as_str()?, d[1])))
        .collect();
    let _ = writeln!(s, "- Largest domains: {}.\n", domains.join(", "));

    let _ = writeln!(s, "## Collection\n");
    let _ = writeln!(s, "Site signals: {}. Inputs: {} files. Every robots.txt group (RFC 9309), IETF aipref usage preference, TDMRep reservation, RSL licence, ai.txt, noai meta tag and header, and the steward's opt-out registry was honoured; a page refused by any of them was never kept, and its text is written nowhere. Refused records: {}.\n", m.consent.site_signals, m.inputs.len(), c.decision(assent_schemas::Decision::Refused));
    for (r, n) in &c.by_reason {
        let _ = writeln!(s, "- `{r}`: {n}");
    }
    let _ = writeln!(s);

    let _ = writeln!(s, "## Preprocessing\n");
    let steps: Vec<String> = m.config["pipeline"]["steps"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_str().map(|s| format!("`{s}`")))
        .collect();
    let _ = writeln!(s, "Decoding, consent and licence checks and main-text extraction, then the steps {} (their settings are in `manifest.json` with the whole configuration). Dropped records: {}. The ledger (`ledger/`) holds one row per decision with its reason code and evidence.\n", if steps.is_empty() { "none".to_string() } else { steps.join(", ") }, c.decision(assent_schemas::Decision::Dropped));

    let _ = writeln!(s, "## Uses\n");
    let _ = writeln!(s, "Pre-training and evaluation of language models where what the model saw must be documented. Models trained with `assent train` record the corpus checkpoint and the shards they read, so that opt-outs can name them. Not for profiling the people the pages mention. The audit (`audit/index.html`) shows identity-term co-occurrences and personal data found ({} documents); read it before training.\n", audit["documents_with_pii"]);

    let _ = writeln!(s, "## Distribution\n");
    let _ = writeln!(s, "The shards with their sha256 (in `manifest.json` and `croissant.json`), under the licences above, each document's own in its `licence` column.");
    if let Some(log) = &m.log {
        let _ = writeln!(s, "The provenance log `{}`: kept tree size {} (root `{}`), refused tree size {} (root `{}`), checkpoints signed by the key\n\n    {}\n", log.origin, log.kept.size, log.kept.root, log.refused.size, log.refused.root, log.vkey);
        let _ = writeln!(s, "Anyone can ask `assent serve` (`GET /v1/url?u=...`) whether a page was kept or refused and why, with an RFC 6962 inclusion proof against these checkpoints.\n");
    }

    let _ = writeln!(s, "## Maintenance\n");
    let _ = writeln!(s, "Site owners opt out with `POST /v1/opt-out` and prove control by serving a token at `/.well-known/assent-opt-out.txt`; `assent forget` then removes their documents, publishes a new version of the log tied to this one by consistency proofs, updates this card and `croissant.json`, and lists the training runs that read the removed documents.");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn size_categories_follow_the_hubs_buckets() {
        assert_eq!(size_category(0), "n<1K");
        assert_eq!(size_category(999), "n<1K");
        assert_eq!(size_category(1_000), "1K<n<10K");
        assert_eq!(size_category(2_500_000), "1M<n<10M");
        assert_eq!(yaml("a \"b\""), "\"a \\\"b\\\"\"");
    }
}
