//! RFC 6962 Merkle trees: hashing, a tree kept on disk that gives proofs ([`NodeFile`]), and
//! the verification of inclusion and consistency proofs from hashes alone.
//!
//! The trees of the provenance log hold a leaf for every document and refusal of a corpus, so
//! they live on disk, node by node; ct-merkle's index functions say which nodes a proof takes
//! (its in-memory tree, which also holds every leaf's value, is the test's reference).
//! ct-merkle verifies inclusion only from a leaf's value, but an outsider holds hashes: a leaf
//! hash, a path, a signed root. The functions here verify from those, following the algorithms
//! of RFC 9162 §2.1.3.2 and §2.1.4.2 (which verify the proofs RFC 6962 §2.1.1 and §2.1.2
//! define), so what the service publishes can be checked with nothing but SHA-256. Every vector
//! of transparency-dev/merkle must pass (the tests read them from `../shared/data/merkle`).

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

/// An RFC 6962 tree kept on disk as its node array, so that a proof costs log₂ n reads and
/// nothing is held in memory: in ct-merkle's order (leaf `i` at `2i`; the node over the whole
/// subtree of `2^k` leaves from leaf `a` at `2a + 2^k − 1`), so that ct-merkle's
/// [`ct_merkle::indices_for_inclusion_proof`] and [`ct_merkle::indices_for_consistency_proof`]
/// name the nodes a proof needs. Only whole subtrees are stored; a node on the tree's right
/// edge, which changes as leaves are added, is computed from them when asked for. The file
/// holds `2n − 1` hashes for `n` leaves (parents sit below the last leaf), so its length gives
/// the number of leaves; a push writes the leaf's hash last, so a push cut short is seen.
pub struct NodeFile {
    file: std::fs::File,
    leaves: u64,
    /// A reader's map of the hashes there were when it opened (a writer has none). Stored
    /// hashes never change, and a writer cuts a file back only to its last whole push, which
    /// is at or past what any reader saw: the mapped bytes stay in the file.
    map: Option<memmap2::Mmap>,
}

impl NodeFile {
    /// Opens the tree at `path`, made empty if it is not there, and cut back to its last whole
    /// push.
    pub fn open(path: &std::path::Path) -> std::io::Result<NodeFile> {
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)?;
        // A push cut short can leave part of a hash, or the parent it writes just past the
        // last leaf (an even number of hashes): both are cut off, which is the tree before it.
        let mut hashes = file.metadata()?.len() / 32;
        if hashes > 0 && hashes.is_multiple_of(2) {
            hashes -= 1;
        }
        file.set_len(hashes * 32)?;
        Ok(NodeFile {
            file,
            leaves: hashes.div_ceil(2),
            map: None,
        })
    }

    /// Opens the tree at `path` for reading only: what a reader of a log that a writer may be
    /// appending to does. Its length is that of the last whole push; proofs for a published
    /// size never read past it. Read through a memory map: a proof reads twenty-odd nodes
    /// scattered over the file, a read call each otherwise.
    pub fn open_read(path: &std::path::Path) -> std::io::Result<NodeFile> {
        let file = std::fs::File::open(path)?;
        let mut hashes = file.metadata()?.len() / 32;
        if hashes > 0 && hashes.is_multiple_of(2) {
            hashes -= 1;
        }
        Ok(NodeFile {
            map: map_prefix(&file, hashes * 32)?,
            file,
            leaves: hashes.div_ceil(2),
        })
    }

    pub fn len(&self) -> u64 {
        self.leaves
    }

    pub fn is_empty(&self) -> bool {
        self.leaves == 0
    }

    fn write(&self, index: u64, hash: &Hash) -> std::io::Result<()> {
        use std::os::unix::fs::FileExt;
        self.file.write_all_at(hash, index * 32)
    }

    fn read(&self, index: u64) -> std::io::Result<Hash> {
        use std::os::unix::fs::FileExt;
        let at = index as usize * 32;
        if let Some(map) = &self.map {
            return map
                .get(at..at + 32)
                .map(|h| h.try_into().expect("32 bytes"))
                .ok_or_else(|| std::io::Error::from(std::io::ErrorKind::UnexpectedEof));
        }
        let mut h = [0u8; 32];
        self.file.read_exact_at(&mut h, index * 32)?;
        Ok(h)
    }

    /// Appends a leaf (its bytes, hashed here), and every whole subtree it completes. The
    /// subtrees are written first, inside the file as it is; the leaf's own hash last, which
    /// lengthens the file and so adds the leaf. A push cut short leaves the tree as it was.
    pub fn push(&mut self, leaf: &[u8]) -> std::io::Result<()> {
        let i = self.leaves;
        let own = leaf_hash(leaf);
        // Leaf i completes the subtree of 2^k leaves ending at it for each k where i + 1 is a
        // multiple of 2^k; its left half is stored already.
        let mut hash = own;
        for k in 1..=(i + 1).trailing_zeros() {
            let a = i + 1 - (1u64 << k);
            let left = self.read(2 * a + (1u64 << (k - 1)) - 1)?;
            hash = node_hash(&left, &hash);
            self.write(2 * a + (1u64 << k) - 1, &hash)?;
        }
        self.write(2 * i, &own)?;
        self.leaves += 1;
        Ok(())
    }

    /// The hash of leaf `i`.
    pub fn leaf_hash(&self, i: u64) -> std::io::Result<Hash> {
        self.within(i + 1, 1)?;
        self.read(2 * i)
    }

    /// Makes every push so far durable.
    pub fn sync(&self) -> std::io::Result<()> {
        self.file.sync_data()
    }

    /// The hash of leaves `[a, a + len)` of the tree as it is (RFC 6962 §2.1's MTH); `a` is a
    /// multiple of the largest power of two not above `len`, as it is for every node.
    fn subtree(&self, a: u64, len: u64) -> std::io::Result<Hash> {
        if len.is_power_of_two() {
            return self.read(2 * a + len - 1);
        }
        let k = 1u64 << (63 - (len - 1).leading_zeros());
        Ok(node_hash(
            &self.subtree(a, k)?,
            &self.subtree(a + k, len - k)?,
        ))
    }

    /// The hash of node `index` of the tree of the first `size` leaves.
    fn node(&self, index: u64, size: u64) -> std::io::Result<Hash> {
        let level = index.trailing_ones();
        let a = (index + 1 - (1u64 << level)) / 2;
        self.subtree(a, (1u64 << level).min(size - a))
    }

    /// The root of the tree's first `size` leaves: whole subtrees of a prefix are the
    /// prefix's own, so every earlier size's root can be had.
    pub fn root(&self, size: u64) -> std::io::Result<Hash> {
        self.within(size, 0)?;
        if size == 0 {
            return Ok(Sha256::digest([]).into());
        }
        self.subtree(0, size)
    }

    /// An error unless `low <= n <= len` (ct-merkle's index functions panic outside it).
    fn within(&self, n: u64, low: u64) -> std::io::Result<()> {
        if n < low || n > self.leaves {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!("{n} is outside {low}..={} for this tree", self.leaves),
            ));
        }
        Ok(())
    }

    /// The audit path of leaf `index` in the tree of the first `size` leaves (a published
    /// checkpoint's, while the file may have grown since), in RFC 6962 order.
    pub fn inclusion(&self, index: u64, size: u64) -> std::io::Result<Vec<Hash>> {
        self.within(size, 1)?;
        if index >= size {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!("no leaf {index} in a tree of {size}"),
            ));
        }
        ct_merkle::indices_for_inclusion_proof(size, index)
            .into_iter()
            .map(|i| self.node(i, size))
            .collect()
    }

    /// The proof that the tree of the first `old` leaves is a prefix of the tree of the first
    /// `size`.
    pub fn consistency(&self, old: u64, size: u64) -> std::io::Result<Vec<Hash>> {
        self.within(size, 1)?;
        if old == 0 || old > size {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!("no consistency proof from {old} to {size}"),
            ));
        }
        ct_merkle::indices_for_consistency_proof(old, size - old)
            .into_iter()
            .map(|i| self.node(i, size))
            .collect()
    }
}

/// The first `len` bytes of `file`, mapped read-only; `None` when `len` is 0 (an empty map
/// cannot be made).
pub(crate) fn map_prefix(file: &std::fs::File, len: u64) -> std::io::Result<Option<memmap2::Mmap>> {
    if len == 0 {
        return Ok(None);
    }
    // SAFETY: the map is read only and covers bytes the log never rewrites or cuts off (see
    // `NodeFile::map`, `TreeLog::open_read`); a file changed under it otherwise is a log
    // broken by hand.
    unsafe { memmap2::MmapOptions::new().len(len as usize).map(file) }.map(Some)
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

    #[test]
    fn a_tree_on_disk_gives_ct_merkles_roots_and_proofs_and_grows_across_opens() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("kept.nodes");
        let mut memory = MemoryBackedTree::<Sha256, Vec<u8>>::new();
        let mut roots = vec![];
        for n in 1..=70u64 {
            // Opened again at every size, as a later corpus version appends.
            let mut disk = NodeFile::open(&path).unwrap();
            assert_eq!(disk.len(), n - 1);
            let leaf = format!("leaf {n}").into_bytes();
            disk.push(&leaf).unwrap();
            memory.push(leaf);
            let root: Hash = (*memory.root().as_bytes()).into();
            assert_eq!(disk.root(n).unwrap(), root, "root at {n}");
            roots.push(root);
            for i in 0..n {
                let path = disk.inclusion(i, n).unwrap().concat();
                assert_eq!(
                    path,
                    memory.prove_inclusion(i as usize).as_bytes(),
                    "leaf {i} of {n}"
                );
            }
            for old in 1..n {
                assert_eq!(disk.root(old).unwrap(), roots[old as usize - 1]);
                let proof = disk.consistency(old, n).unwrap();
                let want = memory.prove_consistency((n - old) as usize);
                assert_eq!(proof.concat(), want.as_bytes(), "{old} to {n}");
                let proof: Vec<Vec<u8>> = proof.iter().map(|h| h.to_vec()).collect();
                verify_consistency(old, n, &proof, &roots[old as usize - 1], &root).unwrap();
            }
        }
        let disk = NodeFile::open(&path).unwrap();
        assert_eq!(disk.len(), 70);
        // Asked outside the tree: an error, not a panic.
        // Proofs at an earlier size (a published checkpoint's) of the grown tree.
        for size in [1u64, 5, 32, 33, 64, 69] {
            for i in (0..size).step_by(3) {
                let path: Vec<Vec<u8>> = disk
                    .inclusion(i, size)
                    .unwrap()
                    .iter()
                    .map(|h| h.to_vec())
                    .collect();
                let leaf = leaf_hash(format!("leaf {}", i + 1).as_bytes());
                verify_inclusion(&leaf, i, size, &path, &roots[size as usize - 1]).unwrap();
            }
            for old in 1..size {
                let proof: Vec<Vec<u8>> = disk
                    .consistency(old, size)
                    .unwrap()
                    .iter()
                    .map(|h| h.to_vec())
                    .collect();
                let (r1, r2) = (&roots[old as usize - 1], &roots[size as usize - 1]);
                verify_consistency(old, size, &proof, r1, r2).unwrap();
            }
        }
        // A reader (through its map) gives the same proofs, twice over.
        let reader = NodeFile::open_read(&path).unwrap();
        for _ in 0..2 {
            for size in 1..=70u64 {
                for i in 0..size {
                    assert_eq!(
                        reader.inclusion(i, size).unwrap(),
                        disk.inclusion(i, size).unwrap()
                    );
                }
            }
        }
        assert!(disk.inclusion(70, 70).is_err());
        assert!(disk.inclusion(3, 71).is_err());
        assert!(disk.consistency(0, 70).is_err());
        assert!(disk.consistency(71, 70).is_err());
        assert!(disk.consistency(5, 71).is_err());
        assert!(disk.root(71).is_err());
        drop(disk);
        // What pushes cut short leave is cut off: a parent past the last leaf, part of a hash.
        let root = NodeFile::open(&path).unwrap().root(70).unwrap();
        for junk in [32, 10, 32 + 10] {
            let mut bytes = std::fs::read(&path).unwrap();
            bytes.extend(std::iter::repeat_n(7u8, junk));
            std::fs::write(&path, bytes).unwrap();
            let disk = NodeFile::open(&path).unwrap();
            assert_eq!(
                (disk.len(), disk.root(70).unwrap()),
                (70, root),
                "{junk} bytes"
            );
        }
    }
}
