//! The log's proofs and signed checkpoint checked by a verifier written apart from ours
//! (`verify_log.py`: Python's `cryptography` for Ed25519, `hashlib` for the tree), so that a
//! mistake shared by our writer and our verifier would still be caught. scripts/test.sh
//! installs `cryptography` into the Python it names in ASSENT_PYTHON.

use assent_manifests::checkpoint::{Checkpoint, NoteSigner};
use assent_manifests::merkle::NodeFile;
use assent_schemas::digest::sha256_hex;
use assent_schemas::leaf::{Leaf, Tree};
use assent_schemas::Decision;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use serde_json::{json, Value};
use std::path::Path;
use std::process::Command;

fn leaf(i: u64) -> Vec<u8> {
    let url = format!("http://site{}.demo.test/page/{i}", i % 5);
    Leaf {
        tree: Tree::Kept,
        doc_id: Some(format!("d-{i:04}")),
        url_sha256: Some(sha256_hex(url.as_bytes())),
        url: Some(url),
        text_sha256: Some(sha256_hex(format!("text {i}").as_bytes())),
        licence: Some("CC-BY-4.0".into()),
        decision: Decision::Kept,
        reasons: vec![],
        evidence_sha256: Some(sha256_hex(b"{}")),
        shard: Some("shards/part-00000-00000.parquet".into()),
        row: Some(i),
    }
    .encode()
    .unwrap()
}

/// Runs the outside verifier on `given`; its exit status and what it said.
fn outside(dir: &Path, given: &Value) -> (bool, String) {
    let file = dir.join("given.json");
    std::fs::write(&file, serde_json::to_vec(given).unwrap()).unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/python/verify_log.py");
    let python = std::env::var("ASSENT_PYTHON").unwrap_or_else(|_| "python3".into());
    let out = Command::new(python)
        .arg(script)
        .arg(&file)
        .output()
        .expect("run python");
    let said =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(
        !said.contains("ModuleNotFoundError"),
        "run the suite with scripts/test.sh, which installs cryptography:\n{said}"
    );
    (out.status.success(), said)
}

#[test]
fn an_outside_verifier_accepts_our_proofs_and_checkpoint_and_catches_a_changed_byte() {
    let dir = tempfile::tempdir().unwrap();
    let mut tree = NodeFile::open(&dir.path().join("kept.nodes")).unwrap();
    let size = 37;
    for i in 0..size {
        tree.push(&leaf(i)).unwrap();
    }
    let signer =
        NoteSigner::load_or_create(&dir.path().join("log.skey"), "assent.local/test").unwrap();
    let checkpoint = Checkpoint {
        origin: "assent.local/test/kept".into(),
        size,
        root: tree.root(size).unwrap(),
        extensions: vec![],
    };
    let note = signer.sign(&checkpoint.text()).unwrap();
    let inclusion: Vec<Value> = [0, 1, 17, 31, 32, 36]
        .iter()
        .map(|&i| {
            json!({
                "leaf": B64.encode(leaf(i)),
                "leaf_index": i,
                "tree_size": size,
                "inclusion_path": tree.inclusion(i, size).unwrap().iter().map(|h| B64.encode(h)).collect::<Vec<_>>(),
            })
        })
        .collect();
    let consistency: Vec<Value> = (1..size)
        .map(|old| {
            json!({
                "from": old,
                "from_root": B64.encode(tree.root(old).unwrap()),
                "path": tree.consistency(old, size).unwrap().iter().map(|h| B64.encode(h)).collect::<Vec<_>>(),
            })
        })
        .collect();
    let given = json!({
        "vkey": signer.vkey(),
        "note": note,
        "inclusion": inclusion,
        "consistency": consistency,
    });
    let (ok, said) = outside(dir.path(), &given);
    assert!(ok, "{said}");
    assert!(said.contains("6 leaves and 36 earlier trees"), "{said}");

    // Each change is caught: a leaf's byte, the note's size, a path hash, another key.
    let mut changed = given.clone();
    let mut bytes = leaf(17);
    bytes[40] ^= 1;
    changed["inclusion"][2]["leaf"] = json!(B64.encode(bytes));
    assert!(!outside(dir.path(), &changed).0, "a changed leaf");
    let mut changed = given.clone();
    changed["note"] = json!(note.replacen("\n37\n", "\n38\n", 1));
    assert!(!outside(dir.path(), &changed).0, "a changed checkpoint");
    let mut changed = given.clone();
    changed["consistency"][9]["path"][0] = json!(B64.encode([7u8; 32]));
    assert!(
        !outside(dir.path(), &changed).0,
        "a changed consistency path"
    );
    let mut changed = given.clone();
    let other = NoteSigner::new("assent.local/test", [3; 32]).unwrap();
    changed["vkey"] = json!(other.vkey());
    assert!(!outside(dir.path(), &changed).0, "another key");
}
