//! One tree of the provenance log on disk: its leaves' bytes, where each starts, and its node
//! array ([`NodeFile`]). The query service answers a lookup with a leaf's bytes and its audit
//! path; a reader finds both in read-only maps of the files, and nothing of the tree is held
//! in memory.
//!
//! `DIR/NAME.leaves` holds the leaves one after another, `DIR/NAME.offsets` the byte offset
//! of each (a little-endian u64), `DIR/NAME.nodes` the node array. A leaf is appended to the
//! first two before the tree, so the tree never names a leaf whose bytes are missing; on
//! opening, leaves past the tree's size (an append cut short) are cut off.

use crate::merkle::{map_prefix, Hash, NodeFile};
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
    /// A reader's maps of the offsets and leaves of the leaves there were when it opened.
    maps: Option<ReadMaps>,
}

struct ReadMaps {
    offsets: memmap2::Mmap,
    leaves: memmap2::Mmap,
}

impl ReadMaps {
    /// Leaf `i`'s bytes; an error where the files do not hold what the offsets say.
    fn leaf(&self, i: u64) -> io::Result<Vec<u8>> {
        let broken = || {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("leaf {i}: the leaves file is cut short"),
            )
        };
        let at = i as usize * 8;
        let start = self.offsets.get(at..at + 8).ok_or_else(broken)?;
        let start = u64::from_le_bytes(start.try_into().expect("8 bytes")) as usize;
        let len = self.leaves.get(start..start + 4).ok_or_else(broken)?;
        let len = u32::from_le_bytes(len.try_into().expect("4 bytes")) as usize;
        let bytes = self
            .leaves
            .get(start + 4..start + 4 + len)
            .ok_or_else(broken)?;
        Ok(bytes.to_vec())
    }
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
            maps: None,
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
        let mut log = TreeLog {
            leaves,
            offsets,
            nodes,
            end,
            maps: None,
        };
        // What is mapped is the leaves the tree holds, which a writer never cuts off: it cuts
        // back only to the tree's size when it opens, and that is at least this.
        let n = log.len();
        if n > 0 {
            let start = log.offset(n - 1)?;
            let end = start + 4 + log.length_at(start)?;
            // Mapped bytes past a file's end would fault when read, not fail.
            if log.offsets.metadata()?.len() < n * 8 || log.end < end {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!(
                        "{}: the leaves files are shorter than its tree",
                        dir.join(name).display()
                    ),
                ));
            }
            if let (Some(offsets), Some(leaves)) = (
                map_prefix(&log.offsets, n * 8)?,
                map_prefix(&log.leaves, end)?,
            ) {
                log.maps = Some(ReadMaps { offsets, leaves });
            }
        }
        Ok(log)
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
        if let Some(maps) = &self.maps {
            return maps.leaf(i);
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

    #[test]
    fn a_reader_keeps_reading_the_leaves_it_opened_with_while_a_writer_appends() {
        let dir = tempfile::tempdir().unwrap();
        let leaf = |i: u64| format!("leaf {i} {}", "y".repeat(i as usize % 7)).into_bytes();
        let mut writer = TreeLog::open(dir.path(), "kept").unwrap();
        for i in 0..20 {
            writer.push(&leaf(i)).unwrap();
        }
        // A push cut short after the leaf's bytes: the reader opened now sees 20 leaves.
        let start = writer.end;
        writer
            .leaves
            .write_all_at(b"\x05\0\0\0stray", start)
            .unwrap();
        let reader = TreeLog::open_read(dir.path(), "kept").unwrap();
        assert_eq!(reader.len(), 20);
        let root = reader.root(20).unwrap();
        drop(writer);
        // A writer cuts the stray bytes off and appends past them, under the reader's maps.
        let mut writer = TreeLog::open(dir.path(), "kept").unwrap();
        for i in 20..70 {
            writer.push(&leaf(i)).unwrap();
        }
        for i in 0..20 {
            assert_eq!(reader.leaf(i).unwrap(), leaf(i));
            let path: Vec<Vec<u8>> = reader
                .inclusion(i, 20)
                .unwrap()
                .iter()
                .map(|h| h.to_vec())
                .collect();
            verify_inclusion(&leaf_hash(&leaf(i)), i, 20, &path, &root).unwrap();
        }
        assert!(reader.leaf(20).is_err(), "past what the reader opened with");
        let later = TreeLog::open_read(dir.path(), "kept").unwrap();
        assert_eq!(later.len(), 70);
        assert_eq!(later.leaf(69).unwrap(), leaf(69));
        assert_eq!(
            later.inclusion(3, 20).unwrap(),
            reader.inclusion(3, 20).unwrap()
        );

        // Leaves cut short by hand under a whole tree: an error at opening, not a fault later.
        drop((writer, later, reader));
        let f = std::fs::OpenOptions::new()
            .write(true)
            .open(dir.path().join("kept.leaves"))
            .unwrap();
        f.set_len(10).unwrap();
        assert!(TreeLog::open_read(dir.path(), "kept").is_err());
    }
}
