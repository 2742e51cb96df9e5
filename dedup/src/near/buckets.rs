//! The bucket stage: the runs of a band merged, candidates confirmed, edges written.

use super::files::{self, Layout, Records};
use super::signatures::{finished_parts, BandRecord};
use super::{unkey, NearConfig};
use crate::minhash::estimated_jaccard;
use serde::{Deserialize, Serialize};
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::path::Path;

/// What one band's bucket part found; its marker holds it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BucketStats {
    /// Bands this call worked on (those already done are skipped).
    pub bands: Vec<usize>,
    /// Pairs compared, and confirmed as edges.
    pub compared: u64,
    pub edges: u64,
}

/// Runs the bucket parts of rank `rank` of `world`: bands `b` with `b % world == rank`, each
/// skipped when its marker is there. The settings are those the signatures were made with.
pub fn run_buckets(dir: &Path, rank: u32, world: u32) -> io::Result<BucketStats> {
    let layout = Layout::new(dir);
    let parts = finished_parts(&layout)?;
    let config = &parts[0].config;
    let signatures = SignatureReader::open(&layout, &parts)?;
    let bands = config.minhash.bands;
    let mut total = BucketStats::default();
    for band in (0..bands).filter(|b| *b as u32 % world.max(1) == rank) {
        if layout.buckets_done(band).exists() {
            continue;
        }
        let stats = bucket_band(&layout, band, config, &signatures)?;
        files::write_marker(&layout.buckets_done(band), &stats)?;
        total.bands.push(band);
        total.compared += stats.compared;
        total.edges += stats.edges;
    }
    Ok(total)
}

fn bucket_band(
    layout: &Layout,
    band: usize,
    config: &NearConfig,
    signatures: &SignatureReader,
) -> io::Result<BucketStats> {
    let mut runs = Vec::new();
    for path in layout.runs_of(band)? {
        runs.push(Records::<3>::open(&path)?);
    }
    let mut heap: BinaryHeap<Reverse<(BandRecord, usize)>> = BinaryHeap::new();
    for (i, run) in runs.iter_mut().enumerate() {
        if let Some(r) = run.next_record()? {
            heap.push(Reverse((r, i)));
        }
    }
    let threshold = config.minhash.threshold;
    let mut stats = BucketStats {
        bands: vec![band],
        ..Default::default()
    };
    let edges_path = layout.edges(band);
    files::write_atomically(&edges_path, |out| {
        // The members of the bucket being read: (order, key), in order.
        let mut bucket: Vec<(u64, u64)> = Vec::new();
        let mut bucket_hash = None;
        let flush = |bucket: &mut Vec<(u64, u64)>,
                     stats: &mut BucketStats,
                     out: &mut std::io::BufWriter<File>|
         -> io::Result<()> {
            if bucket.len() < 2 {
                bucket.clear();
                return Ok(());
            }
            // The signatures of the first members, each read once: every later member is
            // compared with them, first ones first, until one confirms.
            let mut first: Vec<Vec<u32>> = Vec::new();
            for &(_, key) in bucket.iter() {
                let mine = signatures.read(key)?;
                for (&(_, earlier), theirs) in bucket.iter().zip(&first) {
                    stats.compared += 1;
                    if estimated_jaccard(&mine, theirs) >= threshold {
                        files::write_words(out, &[earlier, key])?;
                        stats.edges += 1;
                        break;
                    }
                }
                if first.len() < config.max_comparisons {
                    first.push(mine);
                }
            }
            bucket.clear();
            Ok(())
        };
        while let Some(Reverse((record, i))) = heap.pop() {
            if let Some(next) = runs[i].next_record()? {
                heap.push(Reverse((next, i)));
            }
            let [hash, order, key] = record;
            if bucket_hash != Some(hash) {
                flush(&mut bucket, &mut stats, out)?;
                bucket_hash = Some(hash);
            }
            bucket.push((order, key));
        }
        flush(&mut bucket, &mut stats, out)
    })?;
    Ok(stats)
}

/// Reads any document's signature back from the signature files, by key.
struct SignatureReader {
    files: Vec<File>,
    hashes: usize,
}

impl SignatureReader {
    fn open(layout: &Layout, parts: &[super::SignatureCounts]) -> io::Result<Self> {
        let files = parts
            .iter()
            .map(|p| File::open(layout.signatures(p.rank)))
            .collect::<io::Result<Vec<_>>>()?;
        Ok(SignatureReader {
            files,
            hashes: parts[0].config.minhash.hashes(),
        })
    }

    fn read(&self, key: u64) -> io::Result<Vec<u32>> {
        let (rank, seq) = unkey(key);
        let file = self.files.get(rank as usize).ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("no signature part {rank}"),
            )
        })?;
        let mut bytes = vec![0u8; 4 * self.hashes];
        let at = u64::from(seq) * bytes.len() as u64;
        file.read_exact_at(&mut bytes, at)?;
        Ok(bytes
            .chunks_exact(4)
            .map(|c| u32::from_le_bytes(c.try_into().expect("4 bytes")))
            .collect())
    }
}
