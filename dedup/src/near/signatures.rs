//! The signature stage: one writer per rank (or input shard).

use super::files::{self, Layout};
use super::{key, NearConfig, NearDoc};
use crate::minhash::MinHasher;
use serde::{Deserialize, Serialize};
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;
use xxhash_rust::xxh3::xxh3_64;

/// A band record: the band's hash, the xxh3 of the doc_id (the order inside a bucket), and
/// the document's key.
pub(super) type BandRecord = [u64; 3];

/// What a finished signature part wrote; its marker holds it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SignatureCounts {
    pub rank: u32,
    /// How many parts (ranks) write signatures for the job.
    pub world: u32,
    pub docs: u64,
    /// Runs written per band.
    pub runs: Vec<u32>,
    pub config: NearConfig,
}

pub struct SignatureWriter {
    layout: Layout,
    rank: u32,
    world: u32,
    config: NearConfig,
    hasher: MinHasher,
    signatures: BufWriter<File>,
    docs: BufWriter<File>,
    seq: u32,
    /// Band records not yet spilled, one list per band.
    pending: Vec<Vec<BandRecord>>,
    runs: Vec<u32>,
}

impl SignatureWriter {
    /// A writer for part `rank` of `world` in `dir`; what an earlier run of the same part
    /// left is removed first, and with it what the later stages made of it.
    pub fn new(dir: &Path, rank: u32, world: u32, config: &NearConfig) -> io::Result<Self> {
        let layout = Layout::new(dir);
        std::fs::create_dir_all(layout.runs_dir())?;
        files::remove_if_there(&layout.signatures_done(rank))?;
        layout.remove_later_stages(config.minhash.bands)?;
        let mine = format!("-{rank:05}-");
        for e in std::fs::read_dir(layout.runs_dir())?.flatten() {
            if e.file_name().to_string_lossy().contains(&mine) {
                std::fs::remove_file(e.path())?;
            }
        }
        let bands = config.minhash.bands;
        Ok(SignatureWriter {
            signatures: BufWriter::new(File::create(layout.signatures(rank))?),
            docs: BufWriter::new(File::create(layout.docs(rank))?),
            layout,
            rank,
            world: world.max(1),
            hasher: MinHasher::new(config.minhash.clone()),
            config: config.clone(),
            seq: 0,
            pending: vec![Vec::new(); bands],
            runs: vec![0; bands],
        })
    }

    /// Adds a document and its text.
    pub fn add(&mut self, doc: &NearDoc, text: &str) -> io::Result<()> {
        let signature = self.hasher.signature_of(text);
        for v in &signature {
            self.signatures.write_all(&v.to_le_bytes())?;
        }
        serde_json::to_writer(&mut self.docs, doc)?;
        self.docs.write_all(b"\n")?;
        // A text without words shares a band with nothing: no records.
        if signature.iter().any(|&v| v != u32::MAX) {
            let order = xxh3_64(doc.doc_id.as_bytes());
            let k = key(self.rank, self.seq);
            for (band, h) in self.hasher.band_hashes(&signature).into_iter().enumerate() {
                self.pending[band].push([h, order, k]);
            }
            // Every band holds one record of each document pending.
            let records = self.pending.first().map_or(0, Vec::len) * self.pending.len();
            if records * std::mem::size_of::<BandRecord>() >= self.config.spill_bytes {
                self.spill()?;
            }
        }
        self.seq = self
            .seq
            .checked_add(1)
            .ok_or_else(|| io::Error::other("more than 2^32 documents in one signature part"))?;
        Ok(())
    }

    /// Sorts the pending records of each band and writes them as one run each.
    fn spill(&mut self) -> io::Result<()> {
        for (band, records) in self.pending.iter_mut().enumerate() {
            if records.is_empty() {
                continue;
            }
            records.sort_unstable();
            let path = self.layout.run(self.rank, band, self.runs[band]);
            let mut w = BufWriter::with_capacity(256 * 1024, File::create(&path)?);
            for r in records.iter() {
                files::write_words(&mut w, r)?;
            }
            w.into_inner().map_err(|e| e.into_error())?.sync_all()?;
            self.runs[band] += 1;
            records.clear();
        }
        Ok(())
    }

    /// Writes what is pending and the part's marker.
    pub fn finish(mut self) -> io::Result<SignatureCounts> {
        self.spill()?;
        for w in [self.signatures, self.docs] {
            w.into_inner().map_err(|e| e.into_error())?.sync_all()?;
        }
        let counts = SignatureCounts {
            rank: self.rank,
            world: self.world,
            docs: u64::from(self.seq),
            runs: self.runs,
            config: self.config,
        };
        files::write_marker(&self.layout.signatures_done(self.rank), &counts)?;
        Ok(counts)
    }
}

/// Every signature part's marker, checked for agreement; an error names the parts missing.
pub(super) fn finished_parts(layout: &Layout) -> io::Result<Vec<SignatureCounts>> {
    let Some(first) = files::read_marker::<SignatureCounts>(&layout.signatures_done(0))? else {
        return Err(io::Error::new(
            io::ErrorKind::NotFound,
            format!(
                "{}: no finished signature part (rank 0); run the signatures stage first",
                layout.dir.display()
            ),
        ));
    };
    let mut parts = vec![first.clone()];
    let mut missing = Vec::new();
    for rank in 1..first.world {
        match files::read_marker::<SignatureCounts>(&layout.signatures_done(rank))? {
            Some(p) if p.world == first.world && p.config == first.config => parts.push(p),
            Some(_) => {
                return Err(files::invalid(
                    &layout.signatures_done(rank),
                    "made with another world size or configuration than rank 0's",
                ))
            }
            None => missing.push(rank),
        }
    }
    if !missing.is_empty() {
        return Err(io::Error::new(
            io::ErrorKind::NotFound,
            format!(
                "{}: the signatures of parts {missing:?} of {} are not finished",
                layout.dir.display(),
                first.world
            ),
        ));
    }
    Ok(parts)
}
