//! Where each stage's files are, the completion markers, and the fixed-width records.

use serde::{de::DeserializeOwned, Serialize};
use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

/// The files of one near-dedup work directory.
#[derive(Clone, Debug)]
pub struct Layout {
    pub dir: PathBuf,
}

impl Layout {
    pub fn new(dir: &Path) -> Layout {
        Layout {
            dir: dir.to_path_buf(),
        }
    }
    pub fn signatures(&self, rank: u32) -> PathBuf {
        self.dir.join(format!("sig-{rank:05}.bin"))
    }
    pub fn docs(&self, rank: u32) -> PathBuf {
        self.dir.join(format!("docs-{rank:05}.jsonl"))
    }
    pub fn signatures_done(&self, rank: u32) -> PathBuf {
        self.dir.join(format!("sig-{rank:05}.done"))
    }
    pub fn runs_dir(&self) -> PathBuf {
        self.dir.join("bands")
    }
    /// Run `run` of band `band` written by `rank`.
    pub fn run(&self, rank: u32, band: usize, run: u32) -> PathBuf {
        self.runs_dir()
            .join(format!("band-{band:03}-{rank:05}-{run:05}.bin"))
    }
    pub fn edges(&self, band: usize) -> PathBuf {
        self.dir.join(format!("edges-{band:03}.bin"))
    }
    pub fn buckets_done(&self, band: usize) -> PathBuf {
        self.dir.join(format!("edges-{band:03}.done"))
    }
    pub fn components(&self, band: usize) -> PathBuf {
        self.dir.join(format!("components-{band:03}.bin"))
    }
    pub fn clusters_done(&self, band: usize) -> PathBuf {
        self.dir.join(format!("components-{band:03}.done"))
    }
    pub fn clusters(&self) -> PathBuf {
        self.dir.join("clusters.jsonl")
    }
    /// Where the merge run by process `pid` sorts.
    pub fn merge_dir(&self, pid: u32) -> PathBuf {
        self.dir.join(format!("merge-{pid}"))
    }
    /// Removes the outputs of the bucket and cluster stages.
    pub fn remove_later_stages(&self, bands: usize) -> io::Result<()> {
        remove_if_there(&self.clusters())?;
        // What merges killed midway left.
        for entry in std::fs::read_dir(&self.dir)? {
            let entry = entry?;
            if entry.file_name().to_string_lossy().starts_with("merge-") {
                std::fs::remove_dir_all(entry.path())?;
            }
        }
        for band in 0..bands {
            for path in [
                self.buckets_done(band),
                self.clusters_done(band),
                self.edges(band),
                self.components(band),
            ] {
                remove_if_there(&path)?;
            }
        }
        Ok(())
    }

    /// The runs of `band`, every rank's, in name order.
    pub fn runs_of(&self, band: usize) -> io::Result<Vec<PathBuf>> {
        let prefix = format!("band-{band:03}-");
        let mut runs: Vec<PathBuf> = match std::fs::read_dir(self.runs_dir()) {
            Ok(entries) => entries
                .filter_map(|e| e.ok())
                .filter(|e| e.file_name().to_string_lossy().starts_with(&prefix))
                .map(|e| e.path())
                .collect(),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(e),
        };
        runs.sort();
        Ok(runs)
    }
}

/// Writes a marker: the JSON of `what`, through a temporary file and a rename, so that a
/// marker that exists is whole.
pub fn write_marker<T: Serialize>(path: &Path, what: &T) -> io::Result<()> {
    write_atomically(path, |w| {
        serde_json::to_writer(&mut *w, what)?;
        Ok(())
    })
}

/// The marker at `path`, or None where the part has not finished.
pub fn read_marker<T: DeserializeOwned>(path: &Path) -> io::Result<Option<T>> {
    match std::fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| invalid(path, e)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// Writes `path` through `path.tmp`, synced, then renamed over it.
pub fn write_atomically(
    path: &Path,
    body: impl FnOnce(&mut BufWriter<File>) -> io::Result<()>,
) -> io::Result<()> {
    let tmp = tmp_path(path);
    let mut w = BufWriter::new(File::create(&tmp)?);
    body(&mut w)?;
    w.into_inner().map_err(|e| e.into_error())?.sync_all()?;
    std::fs::rename(&tmp, path)
}

fn tmp_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".tmp");
    path.with_file_name(name)
}

pub fn invalid(path: &Path, e: impl std::fmt::Display) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("{}: {e}", path.display()),
    )
}

/// Removes `path` if it is there.
pub fn remove_if_there(path: &Path) -> io::Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

/// Writes records of `N` little-endian u64s.
pub fn write_words<const N: usize>(w: &mut impl Write, record: &[u64; N]) -> io::Result<()> {
    let mut bytes = [0u8; 64];
    for (i, v) in record.iter().enumerate() {
        bytes[8 * i..8 * i + 8].copy_from_slice(&v.to_le_bytes());
    }
    w.write_all(&bytes[..8 * N])
}

/// Reads the records of `N` u64s of a file written by [`write_words`], one at a time.
pub struct Records<const N: usize> {
    input: BufReader<File>,
    path: PathBuf,
}

impl<const N: usize> Records<N> {
    pub fn open(path: &Path) -> io::Result<Self> {
        Ok(Records {
            input: BufReader::with_capacity(64 * 1024, File::open(path)?),
            path: path.to_path_buf(),
        })
    }

    /// The next record; None at the end; an error for a record cut short.
    pub fn next_record(&mut self) -> io::Result<Option<[u64; N]>> {
        read_words(&mut self.input, &self.path)
    }
}

/// Reads one record of `N` little-endian u64s (as [`write_words`] writes them) from `r`;
/// None at a clean end, an error for a record cut short.
pub fn read_words<const N: usize>(r: &mut impl Read, path: &Path) -> io::Result<Option<[u64; N]>> {
    let mut bytes = [0u8; 64];
    if !read_whole(r, &mut bytes[..8 * N], path)? {
        return Ok(None);
    }
    let mut out = [0u64; N];
    for (i, v) in out.iter_mut().enumerate() {
        *v = u64::from_le_bytes(bytes[8 * i..8 * i + 8].try_into().expect("8 bytes"));
    }
    Ok(Some(out))
}

/// Fills `buf` from `r`; false at a clean end of input, an error where it ends inside `buf`.
pub fn read_whole(r: &mut impl Read, buf: &mut [u8], path: &Path) -> io::Result<bool> {
    let mut got = 0;
    while got < buf.len() {
        match r.read(&mut buf[got..]) {
            Ok(0) if got == 0 => return Ok(false),
            Ok(0) => return Err(invalid(path, "a record is cut short")),
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(true)
}
