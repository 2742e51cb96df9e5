//! RFC 6962 Merkle tree hashing, and the verification of inclusion and consistency proofs from
//! hashes alone.
//!
//! ct-merkle builds the trees and their proofs, but verifies inclusion only from a leaf's
//! value. An outsider holds hashes: a leaf hash, a path, a signed root. These functions verify
//! from those, following the algorithms of RFC 9162 §2.1.3.2 and §2.1.4.2 (which verify the
//! proofs RFC 6962 §2.1.1 and §2.1.2 define), so what the service publishes can be checked with
//! nothing but SHA-256. Every vector of transparency-dev/merkle must pass (the tests read them
//! from `../shared/data/merkle`).

use sha2::{Digest, Sha256};

/// A SHA-256 digest.
pub type Hash = [u8; 32];

/// The hash of a leaf: SHA-256 of 0x00 then the leaf's bytes (RFC 6962 §2.1).
pub fn leaf_hash(leaf: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(leaf);
    h.finalize().into()
}

/// The hash of an interior node: SHA-256 of 0x01, the left child's hash, the right one's.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([1u8]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// Why a proof does not verify.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    #[error("leaf {index} is not in a tree of {size}")]
    IndexOutOfRange { index: u64, size: u64 },
    #[error("a hash is {0} bytes, not 32")]
    BadHashLength(usize),
    #[error("the proof has the wrong number of hashes for these sizes")]
    WrongLength,
    #[error("the new tree size {second} is smaller than the old one {first}")]
    SizesReversed { first: u64, second: u64 },
    #[error("a consistency proof from the empty tree proves nothing")]
    EmptyTree,
    #[error("the proof does not lead to the root")]
    RootMismatch,
}

fn hash(bytes: &[u8]) -> Result<Hash, ProofError> {
    <Hash>::try_from(bytes).map_err(|_| ProofError::BadHashLength(bytes.len()))
}

fn hashes(path: &[Vec<u8>]) -> Result<Vec<Hash>, ProofError> {
    path.iter().map(|p| hash(p)).collect()
}

/// Right-shifts `f` and `s` together until the low bit of `f` is set or `f` is 0.
fn shift_until_odd(f: &mut u64, s: &mut u64) {
    while *f & 1 == 0 && *f != 0 {
        *f >>= 1;
        *s >>= 1;
    }
}

/// Verifies that `leaf` (a leaf hash) is leaf `index` of the tree of `size` leaves whose root is
/// `root`, by the audit path `path` (RFC 9162 §2.1.3.2). Hashes come as bytes, as an outsider
/// decodes them; one that is not 32 bytes fails.
pub fn verify_inclusion(
    leaf: &[u8],
    index: u64,
    size: u64,
    path: &[Vec<u8>],
    root: &[u8],
) -> Result<(), ProofError> {
    let (leaf, root, path) = (hash(leaf)?, hash(root)?, hashes(path)?);
    if index >= size {
        return Err(ProofError::IndexOutOfRange { index, size });
    }
    let (mut f, mut s) = (index, size - 1);
    let mut r = leaf;
    for p in &path {
        if s == 0 {
            return Err(ProofError::WrongLength);
        }
        if f & 1 == 1 || f == s {
            r = node_hash(p, &r);
            if f & 1 == 0 {
                shift_until_odd(&mut f, &mut s);
            }
        } else {
            r = node_hash(&r, p);
        }
        f >>= 1;
        s >>= 1;
    }
    if s != 0 {
        return Err(ProofError::WrongLength);
    }
    if r != root {
        return Err(ProofError::RootMismatch);
    }
    Ok(())
}

/// Verifies that the tree of `first` leaves with root `first_root` is a prefix of the tree of
/// `second` leaves with root `second_root`, by the consistency proof `proof` (RFC 9162
/// §2.1.4.2). Equal sizes need an empty proof and the same root. The empty tree is a prefix of
/// every tree, so a proof from it proves nothing and is refused, as transparency-dev/merkle
/// refuses it.
pub fn verify_consistency(
    first: u64,
    second: u64,
    proof: &[Vec<u8>],
    first_root: &[u8],
    second_root: &[u8],
) -> Result<(), ProofError> {
    if second < first {
        return Err(ProofError::SizesReversed { first, second });
    }
    if first == 0 {
        return Err(ProofError::EmptyTree);
    }
    if first == second {
        return match (proof.is_empty(), first_root == second_root) {
            (false, _) => Err(ProofError::WrongLength),
            (true, false) => Err(ProofError::RootMismatch),
            (true, true) => Ok(()),
        };
    }
    let (first_root, second_root) = (hash(first_root)?, hash(second_root)?);
    let mut path = hashes(proof)?;
    if path.is_empty() {
        return Err(ProofError::WrongLength);
    }
    // The old tree is a whole subtree of the new one: its root starts the path.
    if first.is_power_of_two() {
        path.insert(0, first_root);
    }
    let (mut f, mut s) = (first - 1, second - 1);
    while f & 1 == 1 {
        f >>= 1;
        s >>= 1;
    }
    let (mut fr, mut sr) = (path[0], path[0]);
    for c in &path[1..] {
        if s == 0 {
            return Err(ProofError::WrongLength);
        }
        if f & 1 == 1 || f == s {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            if f & 1 == 0 {
                shift_until_odd(&mut f, &mut s);
            }
        } else {
            sr = node_hash(&sr, c);
        }
        f >>= 1;
        s >>= 1;
    }
    if s != 0 {
        return Err(ProofError::WrongLength);
    }
    if fr != first_root || sr != second_root {
        return Err(ProofError::RootMismatch);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ct_merkle::mem_backed_tree::MemoryBackedTree;
    use serde_json::Value;
    use std::path::{Path, PathBuf};

    fn vectors(kind: &str) -> Vec<(PathBuf, Value)> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../shared/data/merkle")
            .join(kind);
        let mut out = Vec::new();
        let mut dirs = vec![root.clone()];
        while let Some(dir) = dirs.pop() {
            for e in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
                let path = e.unwrap().path();
                if path.is_dir() {
                    dirs.push(path);
                } else if path.extension().is_some_and(|x| x == "json") {
                    let v = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
                    out.push((path, v));
                }
            }
        }
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }

    fn b64(v: &Value) -> Vec<u8> {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD
            .decode(v.as_str().unwrap_or_default())
            .unwrap()
    }

    fn path(v: &Value) -> Vec<Vec<u8>> {
        v.as_array()
            .map(|a| a.iter().map(b64).collect())
            .unwrap_or_default()
    }

    /// Runs `verify` on every vector of `kind` and checks that it fails exactly where the
    /// vector wants an error.
    fn check(kind: &str, verify: impl Fn(&Value) -> Result<(), ProofError>) {
        let all = vectors(kind);
        assert!(all.len() >= 98, "{} {kind} vectors", all.len());
        for (file, v) in all {
            let got = verify(&v);
            let want_err = v["wantErr"].as_bool().unwrap();
            assert_eq!(got.is_err(), want_err, "{}: {got:?}", file.display());
        }
    }

    #[test]
    fn every_inclusion_vector_passes() {
        check("inclusion", |v| {
            verify_inclusion(
                &b64(&v["leafHash"]),
                v["leafIdx"].as_u64().unwrap(),
                v["treeSize"].as_u64().unwrap(),
                &path(&v["proof"]),
                &b64(&v["root"]),
            )
        });
    }

    #[test]
    fn every_consistency_vector_passes() {
        check("consistency", |v| {
            verify_consistency(
                v["size1"].as_u64().unwrap(),
                v["size2"].as_u64().unwrap(),
                &path(&v["proof"]),
                &b64(&v["root1"]),
                &b64(&v["root2"]),
            )
        });
    }

    #[test]
    fn ct_merkle_proofs_verify_here_and_a_changed_byte_fails() {
        let mut tree = MemoryBackedTree::<Sha256, Vec<u8>>::new();
        let mut roots = Vec::new();
        for n in 0..40u64 {
            tree.push(format!("leaf {n}").into_bytes());
            roots.push(tree.root());
            let root: Hash = (*tree.root().as_bytes()).into();
            let size = tree.len();
            for i in 0..size {
                let proof = tree.prove_inclusion(i as usize);
                let path: Vec<Vec<u8>> = proof.as_bytes().chunks(32).map(<[u8]>::to_vec).collect();
                let leaf = leaf_hash(tree.get(i as usize).unwrap());
                verify_inclusion(&leaf, i, size, &path, &root).unwrap();
                let mut wrong = leaf;
                wrong[(i % 32) as usize] ^= 1;
                assert!(verify_inclusion(&wrong, i, size, &path, &root).is_err());
            }
            for old in 1..size {
                let proof = tree.prove_consistency((size - old) as usize);
                let path: Vec<Vec<u8>> = proof.as_bytes().chunks(32).map(<[u8]>::to_vec).collect();
                let old_root: Hash = (*roots[old as usize - 1].as_bytes()).into();
                verify_consistency(old, size, &path, &old_root, &root).unwrap();
                let mut wrong = old_root;
                wrong[0] ^= 0x80;
                assert!(verify_consistency(old, size, &path, &wrong, &root).is_err());
            }
        }
    }
}
