//! Sorting on disk: records are held up to a byte budget, sorted and written out as runs,
//! then merged back in order. The cluster stage sorts edges and members through it, so its
//! memory is the budget, whatever the number of documents with near-duplicates.

use super::files::{invalid, read_whole, read_words, write_words};
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

/// What [`Sorter`] can sort: an order, a size in memory, and a way to and from a run file.
pub trait Record: Ord + Sized {
    /// Bytes this record holds in memory, roughly.
    fn held(&self) -> usize;
    fn encode(&self, w: &mut impl Write) -> io::Result<()>;
    /// The next record of `r`; None at its end; an error for a record cut short.
    fn decode(r: &mut impl Read, path: &Path) -> io::Result<Option<Self>>;
}

impl Record for [u64; 2] {
    fn held(&self) -> usize {
        16
    }
    fn encode(&self, w: &mut impl Write) -> io::Result<()> {
        write_words(w, self)
    }
    fn decode(r: &mut impl Read, path: &Path) -> io::Result<Option<Self>> {
        read_words(r, path)
    }
}

/// A record of two keys and a line of bytes (a document's JSON line), in key order.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Keyed {
    pub key: [u64; 2],
    pub line: Vec<u8>,
}

impl Record for Keyed {
    fn held(&self) -> usize {
        self.line.capacity() + std::mem::size_of::<Keyed>()
    }
    fn encode(&self, w: &mut impl Write) -> io::Result<()> {
        write_words(w, &self.key)?;
        w.write_all(&(self.line.len() as u64).to_le_bytes())?;
        w.write_all(&self.line)
    }
    fn decode(r: &mut impl Read, path: &Path) -> io::Result<Option<Self>> {
        let Some([a, b, len]) = read_words::<3>(r, path)? else {
            return Ok(None);
        };
        let mut line = vec![0u8; len as usize];
        if !read_whole(r, &mut line, path)? && len > 0 {
            return Err(invalid(path, "a record is cut short"));
        }
        Ok(Some(Keyed { key: [a, b], line }))
    }
}

/// Takes records in any order and gives them back sorted ([`Sorter::sorted`]), holding at
/// most `budget` bytes of them; the runs it spills are removed when it, or what it gives
/// back, is dropped.
pub struct Sorter<R: Record> {
    dir: PathBuf,
    name: String,
    budget: usize,
    buffer: Vec<R>,
    held: usize,
    runs: Vec<PathBuf>,
}

impl<R: Record> Sorter<R> {
    /// Runs go to `dir/NAME-NNNNN.run`; `name` must be unique among the sorters alive at once
    /// in `dir`.
    pub fn new(dir: &Path, name: &str, budget: usize) -> Self {
        Sorter {
            dir: dir.to_path_buf(),
            name: name.to_string(),
            budget: budget.max(1),
            buffer: Vec::new(),
            held: 0,
            runs: Vec::new(),
        }
    }

    pub fn push(&mut self, record: R) -> io::Result<()> {
        let size = record.held();
        if self.held + size > self.budget && !self.buffer.is_empty() {
            self.spill()?;
        }
        if self.buffer.capacity() == 0 {
            // Room for a budget's worth at once: a buffer left to double would, at the end,
            // hold its old and new copies, three times what it needs. Pages not written to
            // are not taken, so a small sort costs no more for it.
            let size = std::mem::size_of::<R>().max(1);
            self.buffer
                .reserve_exact((self.budget / size).min((1 << 30) / size) + 1);
        }
        self.held += size;
        self.buffer.push(record);
        Ok(())
    }

    /// How many runs went to disk so far.
    #[cfg(test)]
    pub fn runs(&self) -> usize {
        self.runs.len()
    }

    fn spill(&mut self) -> io::Result<()> {
        self.buffer.sort_unstable();
        let path = self
            .dir
            .join(format!("{}-{:05}.run", self.name, self.runs.len()));
        self.runs.push(path.clone());
        let mut w = BufWriter::with_capacity(1 << 16, File::create(&path)?);
        for r in self.buffer.drain(..) {
            r.encode(&mut w)?;
        }
        w.flush()?;
        self.held = 0;
        Ok(())
    }

    /// Every record pushed, in order (equal records each given back).
    pub fn sorted(mut self) -> io::Result<Sorted<R>> {
        if self.runs.is_empty() {
            let mut memory = std::mem::take(&mut self.buffer);
            memory.sort_unstable_by(|a, b| b.cmp(a));
            return Ok(Sorted {
                memory,
                readers: Vec::new(),
                heap: BinaryHeap::new(),
                runs: Vec::new(),
            });
        }
        if !self.buffer.is_empty() {
            self.spill()?;
        }
        let runs = std::mem::take(&mut self.runs);
        let mut sorted = Sorted {
            memory: Vec::new(),
            readers: Vec::with_capacity(runs.len()),
            heap: BinaryHeap::with_capacity(runs.len()),
            runs,
        };
        for (i, path) in sorted.runs.iter().enumerate() {
            let mut reader = BufReader::with_capacity(1 << 16, File::open(path)?);
            if let Some(first) = R::decode(&mut reader, path)? {
                sorted.heap.push(Reverse((first, i)));
            }
            sorted.readers.push(reader);
        }
        Ok(sorted)
    }
}

impl<R: Record> Drop for Sorter<R> {
    fn drop(&mut self) {
        for path in &self.runs {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// The records of a [`Sorter`], in order.
pub struct Sorted<R: Record> {
    /// Where nothing was spilled: the records, last first.
    memory: Vec<R>,
    readers: Vec<BufReader<File>>,
    heap: BinaryHeap<Reverse<(R, usize)>>,
    runs: Vec<PathBuf>,
}

impl<R: Record> Sorted<R> {
    pub fn next_record(&mut self) -> io::Result<Option<R>> {
        if self.runs.is_empty() {
            return Ok(self.memory.pop());
        }
        let Some(Reverse((record, i))) = self.heap.pop() else {
            return Ok(None);
        };
        if let Some(next) = R::decode(&mut self.readers[i], &self.runs[i])? {
            self.heap.push(Reverse((next, i)));
        }
        Ok(Some(record))
    }
}

impl<R: Record + Clone> Sorted<R> {
    /// The same records with repeats given back once.
    pub fn distinct(self) -> Distinct<R> {
        Distinct {
            sorted: self,
            last: None,
        }
    }
}

/// The records of a [`Sorted`], each once.
pub struct Distinct<R: Record> {
    sorted: Sorted<R>,
    last: Option<R>,
}

impl<R: Record + Clone> Distinct<R> {
    pub fn next_record(&mut self) -> io::Result<Option<R>> {
        while let Some(r) = self.sorted.next_record()? {
            if self.last.as_ref() != Some(&r) {
                self.last = Some(r.clone());
                return Ok(Some(r));
            }
        }
        Ok(None)
    }
}

impl<R: Record> Drop for Sorted<R> {
    fn drop(&mut self) {
        for path in &self.runs {
            let _ = std::fs::remove_file(path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drain<R: Record>(mut s: Sorted<R>) -> Vec<R> {
        let mut out = Vec::new();
        while let Some(r) = s.next_record().unwrap() {
            out.push(r);
        }
        out
    }

    #[test]
    fn spilled_and_held_give_the_same_order_and_leave_no_run_behind() {
        let dir = tempfile::tempdir().unwrap();
        let mut state = 7u64;
        let records: Vec<Keyed> = (0..5000)
            .map(|i| {
                state = state
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                Keyed {
                    key: [state >> 54, i % 3],
                    line: format!("line {}", state % 97).into_bytes(),
                }
            })
            .collect();
        let mut expected = records.clone();
        expected.sort();
        for budget in [usize::MAX, 4096] {
            let mut sorter = Sorter::new(dir.path(), "t", budget);
            for r in &records {
                sorter.push(r.clone()).unwrap();
            }
            let spilled = sorter.runs() > 0;
            assert_eq!(spilled, budget == 4096);
            assert_eq!(drain(sorter.sorted().unwrap()), expected);
        }
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn a_run_cut_short_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let mut sorter = Sorter::new(dir.path(), "t", 16);
        for i in 0..3u64 {
            sorter.push([i, i]).unwrap();
        }
        let path = dir.path().join("t-00001.run");
        std::fs::write(&path, [0u8; 9]).unwrap();
        let err = sorter.sorted().err().expect("a cut record");
        assert!(err.to_string().contains("cut short"), "{err}");
    }
}
