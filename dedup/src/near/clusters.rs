//! The cluster stage: each band's edges reduced to components, then every band's merged.

use super::components::components;
use super::files::{self, Layout, Records};
use super::signatures::finished_parts;
use super::sort::{Keyed, Sorter};
use super::{unkey, NearDoc};
use crate::minhash::UnionFind;
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::{self, BufRead, BufReader, Write};
use std::path::Path;

/// One member of a cluster: the part that wrote its signature, and the document.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    pub rank: u32,
    pub doc: NearDoc,
}

/// Documents joined by confirmed near-duplicate pairs; members in doc_id order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cluster {
    pub members: Vec<Member>,
}

/// What a cluster keeps and what it takes out.
#[derive(Debug)]
pub struct Decided<'a> {
    pub kept: &'a Member,
    pub removed: Vec<&'a Member>,
    /// Members still in the corpus when it was decided, the kept one with them.
    pub size: u64,
}

impl Cluster {
    /// Applies the keep rule ([`NearDoc::keep_order`]) to the members that are not
    /// `withdrawn` (taken out by an earlier decision); None when fewer than two are left.
    /// A member withdrawn still joined the others: a cluster is not split by taking one out.
    pub fn decide(&self, withdrawn: &HashSet<String>) -> Option<Decided<'_>> {
        let live: Vec<&Member> = self
            .members
            .iter()
            .filter(|m| !withdrawn.contains(&m.doc.doc_id))
            .collect();
        if live.len() < 2 {
            return None;
        }
        let kept = *live
            .iter()
            .min_by(|a, b| a.doc.keep_order().cmp(&b.doc.keep_order()))
            .expect("two or more");
        let removed = live
            .iter()
            .copied()
            .filter(|m| !std::ptr::eq(*m, kept))
            .collect();
        Some(Decided {
            kept,
            removed,
            size: live.len() as u64,
        })
    }
}

#[derive(Serialize, Deserialize)]
struct StarStats {
    band: usize,
    /// The stars written: a node and its root.
    stars: u64,
}

/// Runs the cluster parts of rank `rank` of `world` (bands `b % world == rank` whose edges
/// are done), then, when every band's components are there and no part merged them yet,
/// the merge. Returns whether `clusters.jsonl` is there now.
pub fn run_clusters(dir: &Path, rank: u32, world: u32) -> io::Result<bool> {
    let layout = Layout::new(dir);
    let parts = finished_parts(&layout)?;
    let bands = parts[0].config.minhash.bands;
    let budget = parts[0].config.spill_bytes;
    for band in (0..bands).filter(|b| *b as u32 % world.max(1) == rank) {
        if layout.clusters_done(band).exists() {
            continue;
        }
        if !layout.buckets_done(band).exists() {
            return Err(io::Error::new(
                io::ErrorKind::NotFound,
                format!(
                    "{}: the buckets of band {band} are not finished; run the buckets stage first",
                    layout.dir.display()
                ),
            ));
        }
        let stars = stars_of_band(&layout, band, budget)?;
        files::write_marker(&layout.clusters_done(band), &StarStats { band, stars })?;
    }
    if layout.clusters().exists() {
        return Ok(true);
    }
    // The part that finds every band's components there merges them. Two parts that finish
    // together may both merge: they write the same bytes, each through its own rename.
    if (0..bands).all(|b| layout.clusters_done(b).exists()) {
        merge(&layout, bands, budget)?;
        return Ok(true);
    }
    Ok(false)
}

/// Bytes a [`Forest`] holds per node, roughly: its index entry, key and parent.
const FOREST_BYTES_PER_NODE: usize = 48;

/// Reduces band `band`'s edges to stars, `(node, root)` for every node but the root, through a
/// union-find over as many nodes as `budget` holds: when it is full its stars are written and
/// it starts again. A star joins what its edges joined, so the merge finds the same
/// components; most repeated edges (a cluster met in many buckets) are gone.
fn stars_of_band(layout: &Layout, band: usize, budget: usize) -> io::Result<u64> {
    let most = (budget / FOREST_BYTES_PER_NODE).max(2);
    let mut edges = Records::<2>::open(&layout.edges(band))?;
    let mut written = 0u64;
    files::write_atomically(&layout.components(band), |w| {
        let mut forest = Forest::default();
        while let Some([a, b]) = edges.next_record()? {
            forest.join(a, b);
            if forest.keys.len() >= most {
                written += std::mem::take(&mut forest).write_stars(w)?;
            }
        }
        written += forest.write_stars(w)?;
        Ok(())
    })?;
    Ok(written)
}

/// A union-find over the keys it has met.
#[derive(Default)]
struct Forest {
    index: HashMap<u64, u32>,
    keys: Vec<u64>,
    sets: UnionFind,
}

impl Forest {
    fn id(&mut self, key: u64) -> u32 {
        if let Some(&i) = self.index.get(&key) {
            return i;
        }
        let i = self.sets.add();
        self.index.insert(key, i);
        self.keys.push(key);
        i
    }

    fn join(&mut self, a: u64, b: u64) {
        let (a, b) = (self.id(a), self.id(b));
        self.sets.union(a, b);
    }

    /// Writes `(node, root)` for every node that is not its set's root; returns how many.
    fn write_stars(mut self, w: &mut impl Write) -> io::Result<u64> {
        let mut n = 0;
        for i in 0..self.keys.len() {
            let root = self.sets.find(i as u32) as usize;
            if root != i {
                files::write_words(w, &[self.keys[i], self.keys[root]])?;
                n += 1;
            }
        }
        Ok(n)
    }
}

/// Joins every band's stars into clusters and writes `clusters.jsonl`, each cluster with what
/// its members' document lines say of them. Memory: `budget` for each sort, and one cluster.
fn merge(layout: &Layout, bands: usize, budget: usize) -> io::Result<()> {
    // Two parts merging at once each work in a directory of their own.
    let scratch = layout.merge_dir(std::process::id());
    std::fs::create_dir_all(&scratch)?;
    let merged = merge_in(layout, bands, budget, &scratch);
    let removed = std::fs::remove_dir_all(&scratch);
    merged?;
    removed
}

fn merge_in(layout: &Layout, bands: usize, budget: usize, scratch: &Path) -> io::Result<()> {
    let mut band = 0;
    let mut open: Option<Records<2>> = None;
    let edges = || loop {
        if let Some(r) = open.as_mut() {
            if let Some(edge) = r.next_record()? {
                return Ok(Some(edge));
            }
            open = None;
        }
        if band == bands {
            return Ok(None);
        }
        open = Some(Records::<2>::open(&layout.components(band))?);
        band += 1;
    };
    let (mut roots, _) = components(scratch, budget, edges)?;
    // Each member's document line, found by a pass over the document files in key order (the
    // order of the roots' nodes), keyed by its root.
    let mut lines = DocLines::new(layout);
    let mut members = Sorter::new(scratch, "members", budget);
    while let Some([node, root]) = roots.next_record()? {
        members.push(Keyed {
            key: [root, node],
            line: lines.line(node)?,
        })?;
    }
    drop(roots);
    // The clusters, in the order of their first doc_id's hash: the same file whatever the
    // number of parts that made the signatures (the roots are keys, which depend on it).
    let mut clusters = Sorter::new(scratch, "clusters", budget);
    let mut members = members.sorted()?;
    let mut cluster: (Option<u64>, Vec<Member>) = (None, Vec::new());
    while let Some(Keyed {
        key: [root, node],
        line,
    }) = members.next_record()?
    {
        if cluster.0 != Some(root) {
            push_cluster(std::mem::take(&mut cluster.1), &mut clusters)?;
            cluster.0 = Some(root);
        }
        let doc: NearDoc = serde_json::from_slice(&line)
            .map_err(|e| files::invalid(&layout.docs(unkey(node).0), e))?;
        cluster.1.push(Member {
            rank: unkey(node).0,
            doc,
        });
    }
    push_cluster(cluster.1, &mut clusters)?;
    let mut clusters = clusters.sorted()?;
    let path = layout.clusters();
    let tmp = scratch.join("clusters.jsonl");
    {
        let mut w = io::BufWriter::new(File::create(&tmp)?);
        while let Some(c) = clusters.next_record()? {
            w.write_all(&c.line)?;
            w.write_all(b"\n")?;
        }
        w.into_inner().map_err(|e| e.into_error())?.sync_all()?;
    }
    std::fs::rename(&tmp, &path)
}

fn push_cluster(mut members: Vec<Member>, out: &mut Sorter<Keyed>) -> io::Result<()> {
    if members.is_empty() {
        return Ok(());
    }
    members.sort_by(|a, b| a.doc.doc_id.cmp(&b.doc.doc_id));
    let order = xxhash_rust::xxh3::xxh3_64(members[0].doc.doc_id.as_bytes());
    out.push(Keyed {
        key: [order, 0],
        line: serde_json::to_vec(&Cluster { members })?,
    })
}

/// The document lines of the signature parts, read forward in key order.
struct DocLines<'a> {
    layout: &'a Layout,
    /// The rank whose file is open, its reader, and the seq of its next line.
    open: Option<(u32, BufReader<File>, u32)>,
}

impl<'a> DocLines<'a> {
    fn new(layout: &'a Layout) -> Self {
        DocLines { layout, open: None }
    }

    /// The line of `key`; keys must come in increasing order.
    fn line(&mut self, key: u64) -> io::Result<Vec<u8>> {
        let (rank, seq) = unkey(key);
        let path = self.layout.docs(rank);
        if self.open.as_ref().map(|o| o.0) != Some(rank) {
            self.open = Some((rank, BufReader::new(File::open(&path)?), 0));
        }
        let (_, reader, next) = self.open.as_mut().expect("opened above");
        let mut line = Vec::new();
        while *next <= seq {
            line.clear();
            if reader.read_until(b'\n', &mut line)? == 0 {
                return Err(files::invalid(&path, format!("no document line {seq}")));
            }
            *next += 1;
        }
        if *next != seq + 1 {
            return Err(files::invalid(
                &path,
                format!("document line {seq} asked for twice"),
            ));
        }
        if line.last() == Some(&b'\n') {
            line.pop();
        }
        Ok(line)
    }
}

/// Calls `each` with every cluster of a finished work directory, one at a time.
pub fn for_each_cluster(
    dir: &Path,
    mut each: impl FnMut(Cluster) -> io::Result<()>,
) -> io::Result<()> {
    let path = Layout::new(dir).clusters();
    for line in BufReader::new(File::open(&path)?).lines() {
        each(serde_json::from_str(&line?).map_err(|e| files::invalid(&path, e))?)?;
    }
    Ok(())
}

/// How many clusters a finished work directory has (its lines, not parsed).
pub fn count_clusters(dir: &Path) -> io::Result<u64> {
    let mut input = BufReader::with_capacity(1 << 16, File::open(Layout::new(dir).clusters())?);
    let mut n = 0;
    loop {
        let buf = input.fill_buf()?;
        if buf.is_empty() {
            return Ok(n);
        }
        n += buf.iter().filter(|b| **b == b'\n').count() as u64;
        let len = buf.len();
        input.consume(len);
    }
}

/// The clusters of a finished work directory.
pub fn read_clusters(dir: &Path) -> io::Result<Vec<Cluster>> {
    let mut out = Vec::new();
    for_each_cluster(dir, |c| {
        out.push(c);
        Ok(())
    })?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A clique of 30 nodes and a chain of 101, their edges interleaved, so that a small
    /// union-find started again cuts both.
    fn edges() -> Vec<[u64; 2]> {
        let clique = (0..30u64).flat_map(|a| (a + 1..30).map(move |b| [a, b]));
        let chain = (0..100u64).map(|i| [1000 + i, 1001 + i]);
        let mut out = Vec::new();
        let (mut clique, mut chain) = (clique.fuse(), chain.fuse());
        loop {
            let (a, b) = (clique.next(), chain.next());
            if a.is_none() && b.is_none() {
                return out;
            }
            out.extend(a.into_iter().chain(b));
        }
    }

    fn stars_with(budget: usize) -> (u64, Vec<Vec<u64>>) {
        let dir = tempfile::tempdir().unwrap();
        let layout = Layout::new(dir.path());
        files::write_atomically(&layout.edges(0), |w| {
            edges().iter().try_for_each(|e| files::write_words(w, e))
        })
        .unwrap();
        let n = stars_of_band(&layout, 0, budget).unwrap();
        let mut stars = Records::<2>::open(&layout.components(0)).unwrap();
        let (mut roots, _) = components(dir.path(), budget, || stars.next_record()).unwrap();
        let mut by_root: HashMap<u64, Vec<u64>> = HashMap::new();
        while let Some([node, root]) = roots.next_record().unwrap() {
            by_root.entry(root).or_default().push(node);
        }
        let mut groups: Vec<Vec<u64>> = by_root.into_values().collect();
        groups.sort();
        (n, groups)
    }

    #[test]
    fn a_band_reduced_in_pieces_joins_what_its_edges_joined() {
        let (whole, expected) = stars_with(1 << 20);
        assert_eq!(whole, 29 + 100, "one star per node but each set's root");
        assert_eq!(
            expected,
            vec![(0..30).collect::<Vec<u64>>(), (1000..=1100).collect()]
        );
        let (pieces, groups) = stars_with(10 * FOREST_BYTES_PER_NODE);
        assert!(
            pieces > whole,
            "{pieces} stars: the union-find never started again"
        );
        assert_eq!(groups, expected);
    }
}
