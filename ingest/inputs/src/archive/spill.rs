//! An append-only file of captured bodies, read back by offset: the index keeps only where
//! each body is, so memory holds a few dozen bytes per capture however many hosts the inputs
//! cover (a Common Crawl robots.txt archive holds tens of thousands of files).

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

/// Where one body lies in the spill file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Extent {
    offset: u64,
    len: u32,
}

/// The spill file, created on the first body written and removed when dropped.
pub(crate) struct Spill {
    file: Option<File>,
    path: PathBuf,
    len: u64,
}

impl Spill {
    /// A spill file at `path`, not created until something is written.
    pub fn at(path: &Path) -> Spill {
        Spill {
            file: None,
            path: path.to_path_buf(),
            len: 0,
        }
    }

    pub fn append(&mut self, bytes: &[u8]) -> io::Result<Extent> {
        let extent = Extent {
            offset: self.len,
            len: u32::try_from(bytes.len()).map_err(io::Error::other)?,
        };
        let file = match &mut self.file {
            Some(f) => f,
            None => {
                if let Some(dir) = self.path.parent() {
                    std::fs::create_dir_all(dir)?;
                }
                let f = OpenOptions::new()
                    .create(true)
                    .truncate(true)
                    .read(true)
                    .write(true)
                    .open(&self.path)?;
                self.file.insert(f)
            }
        };
        file.write_all(bytes)?;
        self.len += bytes.len() as u64;
        Ok(extent)
    }

    pub fn read(&self, extent: Extent) -> io::Result<Vec<u8>> {
        let mut buf = vec![0; extent.len as usize];
        if extent.len > 0 {
            let file = self
                .file
                .as_ref()
                .ok_or_else(|| io::Error::other("nothing spilled"))?;
            file.read_exact_at(&mut buf, extent.offset)?;
        }
        Ok(buf)
    }
}

impl Drop for Spill {
    fn drop(&mut self) {
        if self.file.is_some() {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_read_back_by_extent_and_the_file_goes_with_the_spill() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("spill.bin");
        let mut s = Spill::at(&path);
        assert!(
            !path.exists(),
            "nothing is created before a body is written"
        );
        let a = s.append(b"first body").unwrap();
        let b = s.append(b"").unwrap();
        let c = s.append(b"third").unwrap();
        assert_eq!(s.read(c).unwrap(), b"third");
        assert_eq!(s.read(a).unwrap(), b"first body");
        assert!(s.read(b).unwrap().is_empty());
        drop(s);
        assert!(!path.exists());
    }
}
