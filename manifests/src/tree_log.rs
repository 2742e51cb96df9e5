//! One tree of the provenance log on disk: its leaves' bytes, where each starts, and its node
//! array ([`NodeFile`]). The query service answers a lookup with a leaf's bytes and its audit
//! path; both are a few reads here, and nothing of the tree is held in memory.
//!
//! `DIR/NAME.leaves` holds the leaves one after another, `DIR/NAME.offsets` the byte offset
//! of each (a little-endian u64), `DIR/NAME.nodes` the node array. A leaf is appended to the
//! first two before the tree, so the tree never names a leaf whose bytes are missing; on
//! opening, leaves past the tree's size (an append cut short) are cut off.

use crate::merkle::{Hash, NodeFile};
use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::fs::FileExt;
use std::path::Path;

pub struct TreeLog {
    leaves: File,
    offsets: File,
    nodes: NodeFile,
    /// The end of the leaves file.
    end: u64,
}

fn open_rw(path: &Path) -> io::Result<File> {
    OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
}

impl TreeLog {
    /// Opens (or makes) the tree `name` in `dir`.
    pub fn open(dir: &Path, name: &str) -> io::Result<TreeLog> {
        std::fs::create_dir_all(dir)?;
        let nodes = NodeFile::open(&dir.join(format!("{name}.nodes")))?;
        let leaves = open_rw(&dir.join(format!("{name}.leaves")))?;
        let offsets = open_rw(&dir.join(format!("{name}.offsets")))?;
        let n = nodes.len();
        let have = offsets.metadata()?.len() / 8;
        if have < n {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "{}: the tree has {n} leaves but {have} are stored",
                    dir.join(name).display()
                ),
            ));
        }
        let mut log = TreeLog {
            leaves,
            offsets,
            nodes,
            end: 0,
        };
        // What an append cut short left past the tree's size goes: the leaves end where the
        // tree's last one does.
        if n > 0 {
            let start = log.offset(n - 1)?;
            log.end = start + 4 + log.length_at(start)?;
        }
        log.offsets.set_len(n * 8)?;
        log.leaves.set_len(log.end)?;
        Ok(log)
    }

    /// Opens the tree `name` in `dir` for reading only, changing nothing: leaves below the
    /// size of a published checkpoint never change, whatever a writer appends meanwhile.
    pub fn open_read(dir: &Path, name: &str) -> io::Result<TreeLog> {
        let nodes = NodeFile::open_read(&dir.join(format!("{name}.nodes")))?;
        let leaves = File::open(dir.join(format!("{name}.leaves")))?;
        let offsets = File::open(dir.join(format!("{name}.offsets")))?;
        let end = leaves.metadata()?.len();
        Ok(TreeLog {
            leaves,
            offsets,
            nodes,
            end,
        })
    }

    pub fn len(&self) -> u64 {
        self.nodes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Where leaf `i`'s record starts in the leaves file.
    fn offset(&self, i: u64) -> io::Result<u64> {
        let mut b = [0u8; 8];
        self.offsets.read_exact_at(&mut b, i * 8)?;
        Ok(u64::from_le_bytes(b))
    }

    /// The length of the leaf whose record starts at `start`.
    fn length_at(&self, start: u64) -> io::Result<u64> {
        let mut len = [0u8; 4];
        self.leaves.read_exact_at(&mut len, start)?;
        Ok(u64::from(u32::from_le_bytes(len)))
    }

    /// Appends a leaf; returns its index.
    pub fn push(&mut self, leaf: &[u8]) -> io::Result<u64> {
        let len = u32::try_from(leaf.len())
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "a leaf over 4 GiB"))?;
        let i = self.len();
        let mut record = Vec::with_capacity(4 + leaf.len());
        record.extend_from_slice(&len.to_le_bytes());
        record.extend_from_slice(leaf);
        self.leaves.write_all_at(&record, self.end)?;
        self.offsets.write_all_at(&self.end.to_le_bytes(), i * 8)?;
        self.nodes.push(leaf)?;
        self.end += record.len() as u64;
        Ok(i)
    }

    /// Makes every push so far durable: the leaves first, then the tree.
    pub fn sync(&self) -> io::Result<()> {
        self.leaves.sync_data()?;
        self.offsets.sync_data()?;
        self.nodes.sync()
    }

    /// The bytes of leaf `i`.
    pub fn leaf(&self, i: u64) -> io::Result<Vec<u8>> {
        if i >= self.len() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("no leaf {i} in a tree of {}", self.len()),
            ));
        }
        // Where this leaf and the next start, in one read where there is a next; the last
        // leaf's length is read from its record.
        let (start, len) = if i + 1 < self.len() {
            let mut b = [0u8; 16];
            self.offsets.read_exact_at(&mut b, i * 8)?;
            let start = u64::from_le_bytes(b[..8].try_into().expect("8 bytes"));
            let next = u64::from_le_bytes(b[8..].try_into().expect("8 bytes"));
            (start, next.saturating_sub(start + 4))
        } else {
            let start = self.offset(i)?;
            (start, self.length_at(start)?)
        };
        let mut bytes = vec![0u8; len as usize];
        self.leaves.read_exact_at(&mut bytes, start + 4)?;
        Ok(bytes)
    }

    pub fn leaf_hash(&self, i: u64) -> io::Result<Hash> {
        self.nodes.leaf_hash(i)
    }

    pub fn root(&self, size: u64) -> io::Result<Hash> {
        self.nodes.root(size)
    }

    /// Leaf `i`'s audit path in the tree of the first `size` leaves.
    pub fn inclusion(&self, i: u64, size: u64) -> io::Result<Vec<Hash>> {
        self.nodes.inclusion(i, size)
    }

    /// The proof that the first `old` leaves' tree is a prefix of the first `size` leaves'.
    pub fn consistency(&self, old: u64, size: u64) -> io::Result<Vec<Hash>> {
        self.nodes.consistency(old, size)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::merkle::{leaf_hash, verify_inclusion};

    #[test]
    fn leaves_read_back_with_proofs_and_an_append_cut_short_is_cut_off() {
        let dir = tempfile::tempdir().unwrap();
        let leaf =
            |i: u64| format!("assent-leaf/1\nrow {i}\n{}", "x".repeat(i as usize)).into_bytes();
        {
            let mut log = TreeLog::open(dir.path(), "kept").unwrap();
            for i in 0..20 {
                assert_eq!(log.push(&leaf(i)).unwrap(), i);
            }
            log.sync().unwrap();
        }
        let log = TreeLog::open(dir.path(), "kept").unwrap();
        assert_eq!(log.len(), 20);
        let root = log.root(20).unwrap();
        for i in 0..20 {
            assert_eq!(log.leaf(i).unwrap(), leaf(i));
            let path: Vec<Vec<u8>> = log
                .inclusion(i, 20)
                .unwrap()
                .iter()
                .map(|h| h.to_vec())
                .collect();
            verify_inclusion(&leaf_hash(&log.leaf(i).unwrap()), i, 20, &path, &root).unwrap();
        }
        assert!(log.leaf(20).is_err());
        // An append cut short: the leaf's bytes and offset written, the tree not.
        let start = log.end;
        let record = [&5u32.to_le_bytes()[..], b"stray"].concat();
        log.leaves.write_all_at(&record, start).unwrap();
        log.offsets
            .write_all_at(&start.to_le_bytes(), 20 * 8)
            .unwrap();
        drop(log);
        let mut log = TreeLog::open(dir.path(), "kept").unwrap();
        assert_eq!(log.len(), 20);
        assert_eq!(log.root(20).unwrap(), root);
        assert_eq!(
            std::fs::metadata(dir.path().join("kept.offsets"))
                .unwrap()
                .len(),
            160
        );
        assert_eq!(log.push(b"next").unwrap(), 20);
        assert_eq!(log.leaf(20).unwrap(), b"next");
        assert_eq!(log.leaf(19).unwrap(), leaf(19));
    }
}
