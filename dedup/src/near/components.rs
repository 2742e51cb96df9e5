//! Connected components of an edge list, on disk, in memory bounded by a budget.
//!
//! A union-find holds every node it meets, so the clusters of a large corpus would need its
//! near-duplicates in one process (datatrove's cluster stage has that limit). This module uses
//! the alternating algorithm of Kiveris, Lattanzi, Mirrokni, Rastogi and Vassilvitskii
//! ("Connected Components in MapReduce and Beyond", SoCC 2014) instead. Each step groups the
//! edges by a node, which is a sort ([`Sorter`]), so memory is the sort's budget:
//!
//! - *large-star*: every node `u` links each neighbour larger than itself to `m`, the smallest
//!   of `u` and its neighbours;
//! - *small-star*: every node `u` links itself and each neighbour smaller than itself to `m`,
//!   the smallest of those.
//!
//! Both keep the components as they are; a round (one of each) that changes no edge leaves a
//! forest of stars, each centred on its component's smallest node, and that is the answer.
//! The paper's bound of O(log² n) rounds assumes random labels, so the nodes are relabelled
//! first by a bijective mix of their keys ([`mix`]), undone on the way out.

use super::files::{remove_if_there, write_words, Records};
use super::sort::{Distinct, Sorter};
use std::io::{self, BufWriter, Write};
use std::path::Path;

/// What finding the components took.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Rounds {
    /// Distinct edges after the first sort.
    pub edges: u64,
    /// Rounds of large-star then small-star, the last (which changed nothing) included.
    pub rounds: u32,
}

/// Every node the edges name, each with its component's root (one node of it, the same for
/// every member), as `[node, root]` in node order; every node once. `edges` gives the edges
/// (self-loops and repeats allowed); `dir` takes the runs and two round files, all removed
/// before this returns.
pub fn components(
    dir: &Path,
    budget: usize,
    mut edges: impl FnMut() -> io::Result<Option<[u64; 2]>>,
) -> io::Result<(Roots, Rounds)> {
    let files = [dir.join("round-a.bin"), dir.join("round-b.bin")];
    let mut first = Sorter::new(dir, "edges", budget);
    while let Some([a, b]) = edges()? {
        if a != b {
            first.push(oriented(mix(a), mix(b)))?;
        }
    }
    let mut stats = Rounds {
        edges: write_distinct(first.sorted()?.distinct(), &files[0], None)?.0,
        rounds: 0,
    };
    let mut current = 0;
    loop {
        stats.rounds += 1;
        let large = large_star(dir, budget, &files[current])?;
        let small = small_star(dir, budget, large)?;
        let (_, changed) = write_distinct(small, &files[1 - current], Some(&files[current]))?;
        current = 1 - current;
        if !changed {
            break;
        }
    }
    // Each edge of a star is (leaf, centre); the centres are members too.
    let mut out = Sorter::new(dir, "roots", budget);
    let mut stars = Records::<2>::open(&files[current])?;
    while let Some([leaf, centre]) = stars.next_record()? {
        let centre = unmix(centre);
        out.push([unmix(leaf), centre])?;
        out.push([centre, centre])?;
    }
    for f in &files {
        remove_if_there(f)?;
    }
    Ok((out.sorted()?.distinct(), stats))
}

/// The `[node, root]` pairs of [`components`], in node order, each once.
pub type Roots = Distinct<[u64; 2]>;

/// An edge as (larger, smaller).
fn oriented(a: u64, b: u64) -> [u64; 2] {
    if a > b {
        [a, b]
    } else {
        [b, a]
    }
}

/// Writes the records of `edges` to `path`; with `before` (a file written the same way), also
/// says whether they differ from its records.
fn write_distinct(
    mut edges: Distinct<[u64; 2]>,
    path: &Path,
    before: Option<&Path>,
) -> io::Result<(u64, bool)> {
    let mut old = before.map(Records::<2>::open).transpose()?;
    let mut w = BufWriter::with_capacity(1 << 16, std::fs::File::create(path)?);
    let (mut n, mut changed) = (0u64, false);
    while let Some(edge) = edges.next_record()? {
        write_words(&mut w, &edge)?;
        n += 1;
        if let Some(old) = old.as_mut() {
            changed |= old.next_record()? != Some(edge);
        }
    }
    if let Some(old) = old.as_mut() {
        changed |= old.next_record()?.is_some();
    }
    w.flush()?;
    Ok((n, changed))
}

/// Large-star over the edges of `path` (each (larger, smaller), distinct).
fn large_star(dir: &Path, budget: usize, path: &Path) -> io::Result<Distinct<[u64; 2]>> {
    // Both directions, so that each node's group holds all its neighbours, least first.
    let mut both = Sorter::new(dir, "large", budget);
    let mut edges = Records::<2>::open(path)?;
    while let Some([a, b]) = edges.next_record()? {
        both.push([a, b])?;
        both.push([b, a])?;
    }
    let mut grouped = both.sorted()?;
    let mut out = Sorter::new(dir, "large-out", budget);
    let mut group: Option<(u64, u64)> = None;
    while let Some([u, v]) = grouped.next_record()? {
        let m = match group {
            Some((node, m)) if node == u => m,
            _ => {
                let m = u.min(v);
                group = Some((u, m));
                m
            }
        };
        if v > u {
            out.push([v, m])?;
        }
    }
    Ok(out.sorted()?.distinct())
}

/// Small-star over the (larger, smaller) edges `large` gives, in order.
fn small_star(
    dir: &Path,
    budget: usize,
    mut large: Distinct<[u64; 2]>,
) -> io::Result<Distinct<[u64; 2]>> {
    let mut out = Sorter::new(dir, "small-out", budget);
    let mut group: Option<(u64, u64)> = None;
    while let Some([u, v]) = large.next_record()? {
        match group {
            // In order, a group's first neighbour is its least: u's m.
            Some((node, m)) if node == u => out.push([v, m])?,
            _ => {
                group = Some((u, v));
                out.push([u, v])?;
            }
        }
    }
    Ok(out.sorted()?.distinct())
}

/// The splitmix64 finaliser: a bijection of u64 that scatters consecutive keys.
pub fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The inverse of [`mix`].
pub fn unmix(mut z: u64) -> u64 {
    z = unshift(z, 31).wrapping_mul(inverse(0x94d0_49bb_1331_11eb));
    z = unshift(z, 27).wrapping_mul(inverse(0xbf58_476d_1ce4_e5b9));
    unshift(z, 30)
}

/// The inverse of `z ^ (z >> s)`.
const fn unshift(z: u64, s: u32) -> u64 {
    let mut x = z;
    let mut i = 0;
    while i < 64 / s + 1 {
        x = z ^ (x >> s);
        i += 1;
    }
    x
}

/// The inverse of odd `a` modulo 2⁶⁴, by Newton's iteration (each step doubles the bits).
const fn inverse(a: u64) -> u64 {
    let mut x = a; // right in the low 3 bits for any odd a
    let mut i = 0;
    while i < 5 {
        x = x.wrapping_mul(2u64.wrapping_sub(a.wrapping_mul(x)));
        i += 1;
    }
    x
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::minhash::UnionFind;
    use std::collections::HashMap;

    #[test]
    fn unmix_undoes_mix() {
        let mut state = 1u64;
        for k in (0..1000).chain([u64::MAX, 1 << 63, (7 << 32) | 3]) {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(k);
            assert_eq!(unmix(mix(state)), state);
            assert_eq!(unmix(mix(k)), k);
        }
        assert_ne!(mix(1), 1);
    }

    /// The components as sets of nodes, from the `[node, root]` stream.
    fn grouped(mut sorted: Roots) -> Vec<Vec<u64>> {
        let mut by_root: HashMap<u64, Vec<u64>> = HashMap::new();
        let mut last = None;
        while let Some([node, root]) = sorted.next_record().unwrap() {
            assert!(last < Some(node), "every node once, in order");
            last = Some(node);
            by_root.entry(root).or_default().push(node);
        }
        let mut out: Vec<Vec<u64>> = by_root.into_values().collect();
        out.sort();
        out
    }

    fn union_find(edges: &[[u64; 2]]) -> Vec<Vec<u64>> {
        let mut ids: HashMap<u64, u32> = HashMap::new();
        let mut keys = Vec::new();
        let mut sets = UnionFind::default();
        for &[a, b] in edges {
            let mut id = |k: u64| {
                *ids.entry(k).or_insert_with(|| {
                    keys.push(k);
                    sets.add()
                })
            };
            let (a, b) = (id(a), id(b));
            sets.union(a, b);
        }
        let mut by_root: HashMap<u32, Vec<u64>> = HashMap::new();
        for (i, k) in keys.iter().enumerate() {
            by_root.entry(sets.find(i as u32)).or_default().push(*k);
        }
        let mut out: Vec<Vec<u64>> = by_root
            .into_values()
            .map(|mut v| {
                v.sort();
                v
            })
            .collect();
        out.sort();
        out
    }

    fn run(edges: &[[u64; 2]], budget: usize) -> (Vec<Vec<u64>>, Rounds, usize) {
        let dir = tempfile::tempdir().unwrap();
        let mut it = edges.iter().copied();
        let (sorted, rounds) = components(dir.path(), budget, || Ok(it.next())).unwrap();
        let groups = grouped(sorted);
        let left = std::fs::read_dir(dir.path()).unwrap().count();
        (groups, rounds, left)
    }

    #[test]
    fn the_same_components_as_a_union_find_held_or_spilled() {
        let mut state = 99u64;
        let mut next = |n: u64| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state % n
        };
        let mut edges = Vec::new();
        // A long chain in key order (the slow case for unmixed labels), a star, random pairs
        // over 3000 nodes, repeats and self-loops.
        edges.extend((0..500u64).map(|i| [(1 << 32) | i, (1 << 32) | (i + 1)]));
        edges.extend((1..200u64).map(|i| [(2 << 32) | i, 2 << 32]));
        edges.extend((0..2500).map(|_| [next(3000), next(3000)]));
        edges.extend_from_slice(&[[5, 5], [7, 8], [8, 7], [7, 8]]);
        let linked: Vec<[u64; 2]> = edges.iter().copied().filter(|[a, b]| a != b).collect();
        let expected = union_find(&linked);
        let (held, rounds, left) = run(&edges, usize::MAX);
        assert_eq!(held, expected);
        assert_eq!(left, 0, "nothing left in the scratch directory");
        assert!(rounds.rounds < 30, "{rounds:?}");
        let (spilled, _, left) = run(&edges, 256);
        assert_eq!(spilled, expected);
        assert_eq!(left, 0);
    }

    #[test]
    fn no_edges_no_components() {
        let (groups, rounds, _) = run(&[], 1024);
        assert!(groups.is_empty());
        assert_eq!(rounds.edges, 0);
        assert_eq!(run(&[[3, 3]], 1024).0, Vec::<Vec<u64>>::new());
    }
}
