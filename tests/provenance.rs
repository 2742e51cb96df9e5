//! The provenance path for people outside the corpus, over loopback: crawl the demo web,
//! train on it, index, serve; ask about a kept and a refused page and check both answers'
//! proofs and the checkpoint's signature with a verifier written apart from our code
//! (`tests/python/verify_log.py`: Python's `cryptography` and `hashlib`); opt a site out by
//! serving the service's token from the test's own server; forget; ask again, and check the
//! consistency proof from the first checkpoint to the new one.

mod common;
use assent::demo::serve as demo_serve;
use assent::demo::web::{DemoWeb, REGISTRY};
use base64::Engine;
use common::*;
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// One HTTP/1.1 exchange; the status and the body as JSON (or as a string when it is not).
fn http(addr: SocketAddr, method: &str, target: &str, body: Option<&str>) -> (u16, Value) {
    let mut s = TcpStream::connect(addr).unwrap();
    let body = body.unwrap_or("");
    write!(
        s,
        "{method} {target} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    let text = String::from_utf8_lossy(&raw).to_string();
    let (head, rest) = text.split_once("\r\n\r\n").expect("a whole response");
    let status: u16 = head.split(' ').nth(1).unwrap().parse().unwrap();
    let value = serde_json::from_str(rest).unwrap_or(Value::String(rest.to_string()));
    (status, value)
}

fn get(addr: SocketAddr, target: &str) -> Value {
    let (status, v) = http(addr, "GET", target, None);
    assert_eq!(status, 200, "{target}: {v}");
    v
}

fn enc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// The service, stopped when dropped.
struct Served {
    child: Child,
    addr: SocketAddr,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(args: &[String], env: &[(&str, String)]) -> Served {
    let mut child = Command::new(env!("CARGO_BIN_EXE_assent"))
        .arg("serve")
        .args(args)
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .env("ASSENT_LOG", "warn")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line
        .trim()
        .strip_prefix("listening on http://")
        .unwrap_or_else(|| panic!("the service said {line:?}"))
        .parse()
        .unwrap();
    Served { child, addr }
}

/// A site of the test's own on 127.0.0.1 that answers every request with `body`.
fn token_site(body: Arc<Mutex<String>>) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { continue };
            let mut buf = [0u8; 4096];
            let _ = s.read(&mut buf);
            let body = body.lock().unwrap().clone();
            let (status, body) = if body.is_empty() {
                ("404 Not Found", "no token here".to_string())
            } else {
                ("200 OK", body)
            };
            let _ = write!(
                s,
                "HTTP/1.1 {status}\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    port
}

/// Runs the outside verifier on one tree's answers.
fn verify_outside(dir: &Path, given: &Value) -> String {
    let file = dir.join("given.json");
    std::fs::write(&file, serde_json::to_vec(given).unwrap()).unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python/verify_log.py");
    let out = Command::new(python())
        .arg(script)
        .arg(&file)
        .output()
        .unwrap();
    let said =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "the outside verifier refused: {said}\n{given}"
    );
    said
}

/// An answer's proof as the verifier reads it, with the leaf fields the answer claims.
fn proof_of(answer: &Value, expect: Value) -> Value {
    let mut p = answer["proof"].clone();
    p["expect"] = expect;
    p
}

fn sha256_hex(s: &str) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(s.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[test]
fn a_site_owner_asks_verifies_opts_out_and_sees_the_corpus_forget_with_proofs() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let key = d.join("keys").join("log.skey");
    let env = [("ASSENT_LOG_KEY", key.display().to_string())];
    let running = demo_serve::start(DemoWeb::new()).unwrap();
    let seeds = d.join("seeds.txt");
    std::fs::write(&seeds, DemoWeb::seeds(running.port).join("\n")).unwrap();
    let crawl_registry = d.join("demo-registry.txt");
    std::fs::write(&crawl_registry, REGISTRY).unwrap();
    let config = d.join("fast.toml");
    std::fs::write(
        &config,
        "[crawl]\ndelay_secs = 0.0\nmax_depth = 3\n[train]\nsteps = 2\nlog_every = 1\n",
    )
    .unwrap();
    let out = d.join("corpus");
    let mut args: Vec<String> = ["crawl", "--seeds"]
        .iter()
        .map(|s| s.to_string())
        .chain([
            seeds.display().to_string(),
            "--out".into(),
            out.display().to_string(),
        ])
        .chain(["--registry".into(), crawl_registry.display().to_string()])
        .chain(["--config".into(), config.display().to_string()])
        .collect();
    for r in DemoWeb::resolve_entries(running.port) {
        args.extend(["--resolve".into(), r]);
    }
    job::run(&args, &env);
    drop(running);
    assert!(
        key.exists(),
        "the key is made on first use, where ASSENT_LOG_KEY says"
    );
    assert!(!files_under(&out)
        .iter()
        .any(|f| f.extension().is_some_and(|e| e == "skey")));
    let manifest = read_json(&out.join("manifest.json"));
    let log = &manifest["log"];
    let vkey = log["vkey"].as_str().unwrap().to_string();
    check_descriptions(&out, &manifest);

    // A training run on it, registered with the corpus for lineage.
    let run_dir = d.join("run");
    let s = |p: &Path| p.display().to_string();
    job::run(
        &[
            "train".into(),
            "--data".into(),
            s(&out),
            "--out".into(),
            s(&run_dir),
            "--config".into(),
            s(&config),
        ],
        &env,
    );
    let indexed = job::run(&["index".into(), s(&out)], &env);
    let said = String::from_utf8_lossy(&indexed.stdout).to_string();
    let runs_line = said.lines().find(|l| l.contains("training runs")).unwrap();
    assert_eq!(runs_line.split_whitespace().last(), Some("1"), "{said}");

    let docs = shard_documents(&out);
    let kept = docs
        .iter()
        .find(|d| d.licence.is_some())
        .unwrap_or(&docs[0])
        .clone();
    let refused_row = ledger_rows(&out)
        .into_iter()
        .find(|r| r.decision == assent_schemas::Decision::Refused && r.url.is_some())
        .expect("the demo web refuses pages");
    let refused_url = refused_row.url.clone().unwrap();

    let state = d.join("opt-out");
    let registry = d.join("registry.txt");
    std::fs::write(&registry, "# verified opt-outs\n").unwrap();
    let token_body = Arc::new(Mutex::new(String::new()));
    let token_port = token_site(token_body.clone());
    let host = kept.host.clone();
    let service = serve(
        &[
            s(&out),
            "--listen".into(),
            "127.0.0.1:0".into(),
            "--rate".into(),
            "0".into(),
            "--opt-out-state".into(),
            s(&state),
            "--registry".into(),
            s(&registry),
            "--resolve".into(),
            format!("{host}:{token_port}:127.0.0.1"),
        ],
        &env,
    );
    let addr = service.addr;

    // A kept page: where it is, under what licence, which run read it, and the proof.
    let a = get(addr, &format!("/v1/url?u={}", enc(&kept.url)));
    assert_eq!(a["status"], "kept", "{a}");
    assert_eq!(a["doc_id"], kept.doc_id.as_str());
    assert_eq!(
        a["licence"].as_str(),
        kept.licence.as_ref().map(|l| l.spdx.as_str())
    );
    assert!(a["shard"].as_str().unwrap().starts_with("shards/"));
    let runs: Vec<&str> = a["models"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["run"].as_str().unwrap())
        .collect();
    assert_eq!(
        runs,
        vec![run_dir.canonicalize().unwrap().display().to_string()]
    );
    let first_kept = a["checkpoint"].as_str().unwrap().to_string();
    let evidence = a["evidence_json"].as_str().unwrap();
    verify_outside(
        d,
        &json!({
            "vkey": vkey,
            "note": first_kept,
            "inclusion": [proof_of(&a, json!({
                "tree": "kept", "decision": "kept", "doc_id": kept.doc_id,
                "url": kept.url, "url_sha256": sha256_hex(&kept.url),
                "text_sha256": sha256_hex(&kept.text), "evidence_sha256": sha256_hex(evidence),
                "shard": a["shard"], "row": a["row"].to_string(),
            }))],
            "consistency": [],
        }),
    );
    // No answer holds the text.
    let sentence = kept.text.split('.').max_by_key(|s| s.len()).unwrap().trim();
    assert!(sentence.len() > 20 && !a.to_string().contains(sentence));

    // A refused page: why, with the evidence, named in its leaf by its URL's hash only.
    let r = get(addr, &format!("/v1/url?u={}", enc(&refused_url)));
    assert_eq!(r["status"], "refused", "{r}");
    let reasons: Vec<String> = refused_row
        .reasons
        .iter()
        .map(|c| c.as_str().to_string())
        .collect();
    assert_eq!(r["reasons"], json!(reasons));
    assert_eq!(r["models"], json!([]));
    assert_eq!(r["proof"]["tree"], "refused");
    let leaf =
        String::from_utf8(B64.decode(r["proof"]["leaf"].as_str().unwrap()).unwrap()).unwrap();
    assert!(
        !leaf.contains(&refused_url),
        "a refused leaf names its URL by hash only"
    );
    verify_outside(
        d,
        &json!({
            "vkey": vkey,
            "note": r["checkpoint"],
            "inclusion": [proof_of(&r, json!({
                "tree": "refused", "decision": "refused", "url_sha256": sha256_hex(&refused_url),
                "reasons": reasons.join(","), "evidence_sha256": sha256_hex(&refused_row.evidence),
            }))],
            "consistency": [],
        }),
    );
    // Unknown pages, bad input, the domain view and the checkpoint.
    assert_eq!(
        get(addr, "/v1/url?u=http%3A%2F%2Fnever.example%2F")["status"],
        "unknown"
    );
    let (code, e) = http(addr, "GET", "/v1/url?u=not%20a%20url", None);
    assert_eq!((code, e["error"].as_str()), (400, Some("bad_url")));
    let (code, e) = http(addr, "GET", "/v1/nothing", None);
    assert_eq!((code, e["error"].as_str()), (404, Some("not_found")));
    let page1 = get(addr, &format!("/v1/domain/{host}?limit=1"));
    assert!(page1["kept"].as_u64().unwrap() >= 1 && page1["items"].as_array().unwrap().len() == 1);
    if let Some(next) = page1["next"].as_str() {
        let page2 = get(
            addr,
            &format!("/v1/domain/{host}?limit=1&after={}", enc(next)),
        );
        assert_ne!(
            page1["items"][0]["leaf_index"],
            page2["items"][0]["leaf_index"]
        );
    }
    let checkpoint = get(addr, "/v1/checkpoint");
    assert_eq!(checkpoint["vkey"], vkey.as_str());
    assert_eq!(checkpoint["kept"]["checkpoint"], first_kept.as_str());
    let first_size = checkpoint["kept"]["size"].as_u64().unwrap();
    let first_root = checkpoint["kept"]["root"].as_str().unwrap().to_string();
    let (code, page) = http(addr, "GET", "/", None);
    let page = page.as_str().unwrap_or_default().to_string();
    assert!(
        code == 200 && page.contains("<form") && page.contains("/v1/url?u="),
        "{page}"
    );
    let openapi = get(addr, "/openapi.json");
    assert!(openapi["paths"]["/v1/opt-out"]["post"].is_object());
    let (code, e) = http(addr, "POST", "/v1/text", Some(&"x".repeat(70 * 1024)));
    assert_eq!((code, e["error"].as_str()), (413, Some("too_large")));
    let (code, e) = http(
        addr,
        "GET",
        &format!("/v1/url?u={}", "a".repeat(9000)),
        None,
    );
    assert_eq!((code, e["error"].as_str()), (414, Some("url_too_long")));
    let (code, e) = http(addr, "POST", "/v1/text", Some("{\"text\": 7}"));
    assert_eq!((code, e["error"].as_str()), (400, Some("bad_json")));

    // An author's text: the document itself, a copy with a word changed, and one of its
    // sentences inside other words.
    let body = |t: &str| json!({ "text": t }).to_string();
    let (_, exact) = http(addr, "POST", "/v1/text", Some(&body(&kept.text)));
    assert_eq!(exact["exact"][0]["doc_id"], kept.doc_id.as_str(), "{exact}");
    let words: Vec<&str> = kept.text.split(' ').collect();
    let changed = words
        .iter()
        .enumerate()
        .map(|(i, w)| if i == words.len() / 2 { "zebra" } else { w })
        .collect::<Vec<_>>()
        .join(" ");
    let (_, near) = http(addr, "POST", "/v1/text", Some(&body(&changed)));
    assert_eq!(near["exact"], json!([]));
    assert_eq!(near["near"][0]["doc_id"], kept.doc_id.as_str(), "{near}");
    assert!(near["near"][0]["similarity_estimate"].as_f64().unwrap() > 0.5);
    let quoted = format!("My own words first, then theirs.\n{sentence}. And mine again.");
    let (_, shared) = http(addr, "POST", "/v1/text", Some(&body(&quoted)));
    assert!(
        shared["shared_sentences"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["doc_id"] == kept.doc_id.as_str()),
        "{shared}"
    );
    assert!(shared["sentences_found"].as_u64().unwrap() >= 1);
    assert_eq!(
        shared["sentences_found"], shared["sentences"],
        "only the quoted sentences count"
    );
    let file = d.join("quoted.txt");
    std::fs::write(&file, &quoted).unwrap();
    let cli = job::run(
        &["query".into(), s(&out), "--text-file".into(), s(&file)],
        &env,
    );
    let cli: Value = serde_json::from_slice(&cli.stdout).unwrap();
    assert_eq!(
        cli["shared_sentences"], shared["shared_sentences"],
        "the command line and the service agree"
    );

    // The owner of the kept page's site opts it out, proving control with the token.
    let origin = format!("http://{host}:{token_port}");
    let (code, asked) = http(
        addr,
        "POST",
        "/v1/opt-out",
        Some(&json!({"scope": host, "origin": origin}).to_string()),
    );
    assert_eq!(code, 202, "{asked}");
    let id = asked["id"].as_str().unwrap();
    let token = asked["token"].as_str().unwrap();
    let (code, refused) = http(addr, "POST", &format!("/v1/opt-out/{id}/verify"), None);
    assert_eq!(
        (code, refused["error"].as_str()),
        (403, Some("not_verified")),
        "no token served yet: {refused}"
    );
    assert!(!std::fs::read_to_string(&registry).unwrap().contains(&host));
    *token_body.lock().unwrap() = format!("# Assent opt-out\n{token}\n");
    let (code, verified) = http(addr, "POST", &format!("/v1/opt-out/{id}/verify"), None);
    assert_eq!(
        (code, verified["status"].as_str()),
        (200, Some("verified")),
        "{verified}"
    );
    let entries = std::fs::read_to_string(&registry).unwrap();
    assert!(
        entries
            .lines()
            .any(|l| l.split('#').next().unwrap().trim() == host),
        "{entries}"
    );

    // The crawler reads it as it reads any registry.
    let reg = assent_ingest::consent::registry::OptOutRegistry::load(&registry).unwrap();
    assert!(reg.check(&url::Url::parse(&kept.url).unwrap()).is_some());

    // Forget: the site's documents leave, and the run that read them is named.
    let forgot = job::run(
        &["forget".into(), s(&out), "--registry".into(), s(&registry)],
        &env,
    );
    let said = String::from_utf8_lossy(&forgot.stdout);
    assert!(
        said.contains(&run_dir.canonicalize().unwrap().display().to_string()),
        "{said}"
    );
    let left = shard_documents(&out);
    assert!(
        left.iter().all(|d| d.host != host),
        "no document of {host} is left"
    );
    let gone = docs.iter().filter(|d| d.host == host).count();
    assert_eq!(left.len(), docs.len() - gone);

    // Asked again, the running service answers from the new version: refused, by the
    // opt-out, with a proof against the new checkpoint, and the run still named.
    let again = get(addr, &format!("/v1/url?u={}", enc(&kept.url)));
    assert_eq!(again["status"], "refused", "{again}");
    assert_eq!(again["reasons"], json!(["registry.opt-out"]));
    assert_eq!(again["models"], a["models"]);
    assert!(again["history"]
        .as_array()
        .unwrap()
        .iter()
        .any(|h| h["tree"] == "kept"));
    verify_outside(
        d,
        &json!({
            "vkey": vkey,
            "note": again["checkpoint"],
            "inclusion": [proof_of(&again, json!({"tree": "refused", "reasons": "registry.opt-out", "doc_id": kept.doc_id}))],
            "consistency": [],
        }),
    );
    // The new kept tree extends the first one.
    let c = get(
        addr,
        &format!("/v1/consistency?tree=kept&from={first_size}"),
    );
    assert!(
        c["to"].as_u64().unwrap() > first_size,
        "the forget appended leaves: {c}"
    );
    verify_outside(
        d,
        &json!({
            "vkey": vkey,
            "note": c["checkpoint"],
            "inclusion": [],
            "consistency": [{"from": first_size, "from_root": first_root, "path": c["proof"]}],
        }),
    );
    // The index is up to date: built again, it reads nothing.
    let again = job::run(&["index".into(), s(&out)], &env);
    let said = String::from_utf8_lossy(&again.stdout).to_string();
    for line in ["kept ", "refused ", "shards read"] {
        let l = said
            .lines()
            .find(|l| l.trim_start().starts_with(line))
            .unwrap();
        let added = if line == "shards read" {
            l.split_whitespace().last()
        } else {
            l.split(", ")
                .nth(1)
                .and_then(|x| x.split_whitespace().next())
        };
        assert_eq!(added, Some("0"), "{said}");
    }
    let manifest = read_json(&out.join("manifest.json"));
    assert_eq!(manifest["log"]["kept"]["previous"]["size"], first_size);
    assert_eq!(manifest["log"]["kept"]["checkpoint"], c["checkpoint"]);
    drop(service);
    // A client over its rate gets a JSON refusal, and another client does not.
    let limited = serve(
        &[
            s(&out),
            "--listen".into(),
            "127.0.0.1:0".into(),
            "--rate".into(),
            "0.01".into(),
            "--burst".into(),
            "2".into(),
        ],
        &env,
    );
    for _ in 0..2 {
        assert_eq!(http(limited.addr, "GET", "/v1/checkpoint", None).0, 200);
    }
    let (code, e) = http(limited.addr, "GET", "/v1/checkpoint", None);
    assert_eq!((code, e["error"].as_str()), (429, Some("rate_limited")));
    drop(limited);
    // The descriptions follow the new version: its shards' checksums, its verifier key.
    check_descriptions(&out, &manifest);
}

/// Property names the Croissant 1.0 specification requires that `node` lacks (mlcroissant
/// accepts some files without them, so this is checked here too).
fn missing_required(c: &Value) -> Vec<String> {
    let mut missing = Vec::new();
    let mut need = |node: &Value, keys: &[&str], what: &str| {
        for k in keys {
            let v = &node[*k];
            let empty =
                v.is_null() || v.as_str() == Some("") || v.as_array().is_some_and(|a| a.is_empty());
            if empty {
                missing.push(format!("{what}: {k}"));
            }
        }
    };
    need(
        c,
        &[
            "@context",
            "@type",
            "conformsTo",
            "description",
            "license",
            "name",
            "url",
            "creator",
            "datePublished",
            "distribution",
        ],
        "Dataset",
    );
    for d in c["distribution"].as_array().into_iter().flatten() {
        match d["@type"].as_str() {
            Some("cr:FileObject") => need(
                d,
                &["@id", "name", "contentUrl", "encodingFormat", "sha256"],
                "FileObject",
            ),
            Some("cr:FileSet") => {
                need(d, &["@id", "name", "encodingFormat", "includes"], "FileSet")
            }
            other => need(
                &json!({}),
                &["@type"],
                &format!("distribution of type {other:?}"),
            ),
        }
    }
    for r in c["recordSet"].as_array().into_iter().flatten() {
        need(r, &["@id", "name", "field"], "RecordSet");
        for f in r["field"].as_array().into_iter().flatten() {
            need(f, &["@id", "name", "dataType", "source"], "Field");
        }
    }
    // The Responsible AI properties the issue asks for.
    need(
        c,
        &[
            "rai:dataCollection",
            "rai:dataPreprocessingProtocol",
            "rai:personalSensitiveInformation",
            "rai:dataBiases",
            "rai:dataLimitations",
            "rai:dataUseCases",
            "rai:dataReleaseMaintenancePlan",
        ],
        "RAI",
    );
    missing
}

fn check_descriptions(out: &Path, manifest: &Value) {
    let croissant = read_json(&out.join("croissant.json"));
    assert_eq!(
        croissant["conformsTo"],
        "http://mlcommons.org/croissant/1.0"
    );
    assert_eq!(missing_required(&croissant), Vec::<String>::new());
    let mut broken = croissant.clone();
    broken.as_object_mut().unwrap().remove("creator");
    broken["distribution"][1]
        .as_object_mut()
        .unwrap()
        .remove("sha256");
    assert_eq!(
        missing_required(&broken),
        vec!["Dataset: creator", "FileObject: sha256"]
    );
    for shard in manifest["shards"].as_array().unwrap() {
        let listed = croissant["distribution"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["contentUrl"] == shard["path"]);
        assert_eq!(listed.unwrap()["sha256"], shard["sha256"]);
    }
    assert!(croissant["citeAs"]
        .as_str()
        .unwrap()
        .contains(manifest["log"]["vkey"].as_str().unwrap()));
    let python = python();
    let mlcroissant = Path::new(&python)
        .parent()
        .map(|p| p.join("mlcroissant"))
        .filter(|p| p.exists())
        .unwrap_or_else(|| PathBuf::from("mlcroissant"));
    let validated = Command::new(&mlcroissant)
        .args(["validate", "--jsonld"])
        .arg(out.join("croissant.json"))
        .output()
        .expect("run mlcroissant (scripts/test.sh installs it)");
    assert!(
        validated.status.success(),
        "mlcroissant: {}{}",
        String::from_utf8_lossy(&validated.stdout),
        String::from_utf8_lossy(&validated.stderr)
    );

    // The card: its front matter as the Hub's library reads it, and the shards loaded
    // through its configs by `datasets`.
    let script = r#"
import json, sys
from huggingface_hub import DatasetCard
import datasets
card = DatasetCard.load(sys.argv[1] + "/README.md")
rows = datasets.load_dataset(sys.argv[1], split="train").num_rows
print(json.dumps({"data": card.data.to_dict(), "text": card.text, "rows": rows}))
"#;
    let res = Command::new(&python)
        .args(["-c", script])
        .arg(out)
        .env("HF_HUB_OFFLINE", "1")
        .env("HF_DATASETS_OFFLINE", "1")
        // A cache of its own for each version: a version's shards keep their names.
        .env(
            "HF_HOME",
            out.join("..")
                .join(format!("hf-home-{}", manifest["log"]["kept"]["size"])),
        )
        .output()
        .unwrap();
    assert!(
        res.status.success(),
        "{}",
        String::from_utf8_lossy(&res.stderr)
    );
    let card: Value = serde_json::from_slice(&res.stdout).unwrap();
    let rows: u64 = manifest["shards"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["rows"].as_u64().unwrap())
        .sum();
    assert_eq!(
        card["rows"], rows,
        "datasets loads every document through the card's configs"
    );
    assert_eq!(card["data"]["language"], json!(["en"]));
    assert_eq!(card["data"]["size_categories"], json!(["n<1K"]));
    assert!(card["data"]["license"].is_string());
    let text = card["text"].as_str().unwrap();
    for section in [
        "Motivation",
        "Composition",
        "Collection",
        "Preprocessing",
        "Uses",
        "Distribution",
        "Maintenance",
    ] {
        assert!(
            text.contains(&format!("## {section}")),
            "no {section} section"
        );
    }
    assert!(text.contains(manifest["log"]["vkey"].as_str().unwrap()));
    assert!(text.contains(&format!("{rows} documents")));
}
