//! The cluster stage: each band's edges reduced to components, then every band's merged.

use super::files::{self, Layout, Records};
use super::signatures::finished_parts;
use super::{unkey, NearDoc};
use crate::minhash::UnionFind;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap, HashSet};
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
struct ComponentStats {
    band: usize,
    nodes: u64,
}

/// Runs the cluster parts of rank `rank` of `world` (bands `b % world == rank` whose edges
/// are done), then, when every band's components are there and no part merged them yet,
/// the merge. Returns whether `clusters.jsonl` is there now.
pub fn run_clusters(dir: &Path, rank: u32, world: u32) -> io::Result<bool> {
    let layout = Layout::new(dir);
    let parts = finished_parts(&layout)?;
    let bands = parts[0].config.minhash.bands;
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
        let nodes = components_of_band(&layout, band)?;
        files::write_marker(&layout.clusters_done(band), &ComponentStats { band, nodes })?;
    }
    if layout.clusters().exists() {
        return Ok(true);
    }
    // The part that finds every band's components there merges them. Two parts that finish
    // together may both merge: they write the same bytes, each through its own rename.
    if (0..bands).all(|b| layout.clusters_done(b).exists()) {
        merge(&layout, &parts, bands)?;
        return Ok(true);
    }
    Ok(false)
}

/// Reduces band `band`'s edges to `(node, root)` pairs, one for every node they name.
fn components_of_band(layout: &Layout, band: usize) -> io::Result<u64> {
    let mut forest = Forest::default();
    let mut edges = Records::<2>::open(&layout.edges(band))?;
    while let Some([a, b]) = edges.next_record()? {
        forest.join(a, b);
    }
    let pairs = forest.roots();
    files::write_atomically(&layout.components(band), |w| {
        for &(node, root) in &pairs {
            files::write_words(w, &[node, root])?;
        }
        Ok(())
    })?;
    Ok(pairs.len() as u64)
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

    /// Every node with its component's smallest key, sorted by node.
    fn roots(mut self) -> Vec<(u64, u64)> {
        let mut least: HashMap<u32, u64> = HashMap::new();
        for (i, &k) in self.keys.iter().enumerate() {
            let e = least.entry(self.sets.find(i as u32)).or_insert(k);
            *e = (*e).min(k);
        }
        let mut pairs: Vec<(u64, u64)> = (0..self.keys.len())
            .map(|i| (self.keys[i], least[&self.sets.find(i as u32)]))
            .collect();
        pairs.sort_unstable();
        pairs
    }
}

/// Joins every band's components into clusters and writes `clusters.jsonl`, with what each
/// member's document line says of it.
fn merge(layout: &Layout, parts: &[super::SignatureCounts], bands: usize) -> io::Result<()> {
    let mut forest = Forest::default();
    for band in 0..bands {
        let mut pairs = Records::<2>::open(&layout.components(band))?;
        while let Some([node, root]) = pairs.next_record()? {
            forest.join(node, root);
        }
    }
    let roots: HashMap<u64, u64> = forest.roots().into_iter().collect();
    // The documents named, read in one pass over each part's document lines (which stops
    // at the part's last one named).
    let mut wanted_of: HashMap<u32, usize> = HashMap::new();
    for k in roots.keys() {
        *wanted_of.entry(unkey(*k).0).or_default() += 1;
    }
    let mut by_root: BTreeMap<u64, Vec<Member>> = BTreeMap::new();
    for part in parts {
        let path = layout.docs(part.rank);
        let mut wanted = wanted_of.get(&part.rank).copied().unwrap_or(0);
        if wanted == 0 {
            continue;
        }
        let reader = BufReader::new(File::open(&path)?);
        for (seq, line) in reader.lines().enumerate() {
            if wanted == 0 {
                break;
            }
            let line = line?;
            let key = super::key(part.rank, seq as u32);
            let Some(root) = roots.get(&key) else {
                continue;
            };
            wanted -= 1;
            let doc: NearDoc = serde_json::from_str(&line).map_err(|e| files::invalid(&path, e))?;
            by_root.entry(*root).or_default().push(Member {
                rank: part.rank,
                doc,
            });
        }
    }
    let mut clusters: Vec<Cluster> = by_root
        .into_values()
        .map(|mut members| {
            members.sort_by(|a, b| a.doc.doc_id.cmp(&b.doc.doc_id));
            Cluster { members }
        })
        .collect();
    clusters.sort_by(|a, b| a.members[0].doc.doc_id.cmp(&b.members[0].doc.doc_id));
    let path = layout.clusters();
    // Two parts merging at once write the same bytes; each through a file of its own.
    let tmp = path.with_file_name(format!("clusters.jsonl.{}.tmp", std::process::id()));
    {
        let mut w = io::BufWriter::new(File::create(&tmp)?);
        for c in &clusters {
            serde_json::to_writer(&mut w, c)?;
            w.write_all(b"\n")?;
        }
        w.into_inner().map_err(|e| e.into_error())?.sync_all()?;
    }
    std::fs::rename(&tmp, &path)?;
    Ok(())
}

/// The clusters of a finished work directory.
pub fn read_clusters(dir: &Path) -> io::Result<Vec<Cluster>> {
    let path = Layout::new(dir).clusters();
    let mut out = Vec::new();
    for line in BufReader::new(File::open(&path)?).lines() {
        out.push(serde_json::from_str(&line?).map_err(|e| files::invalid(&path, e))?);
    }
    Ok(out)
}
