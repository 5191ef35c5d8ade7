//! Tunneled-message paths (Tremel §4.2) against two independent oracles:
//! exhaustive enumeration of every path (small `n`), and a breadth-first
//! search over the layered graph that holds its frontier (larger `n`).

use std::collections::HashSet;

use proptest::prelude::*;
use sfumato_overlay::{DeterministicOverlay, Path, PathSearch, SizePlan, suitable_sizes};

/// Every path of at most `max_rounds` rounds from `(a, j)`, walked with
/// `partner` (no arithmetic shortcut): for each node, the fewest rounds of
/// a path ending there with at least `min_nodes` distinct nodes other than
/// `a`.
fn exhaustive_shortest(
    o: &DeterministicOverlay,
    a: u64,
    j: u64,
    min_nodes: usize,
    max_rounds: u32,
) -> Vec<Option<u64>> {
    let n = o.size();
    let mut best = vec![None; n as usize];
    for rounds in 0..=max_rounds {
        for choices in 0u64..1 << rounds {
            let (mut v, mut r) = (a, j % (n - 1));
            let mut nodes = HashSet::new();
            for t in 0..rounds {
                if choices >> t & 1 == 1 {
                    (v, r) = o.partner(v, r);
                    if v != a {
                        nodes.insert(v);
                    }
                } else {
                    r = (r + 1) % (n - 1);
                }
            }
            if nodes.len() >= min_nodes && best[v as usize].is_none() {
                best[v as usize] = Some(u64::from(rounds));
            }
        }
    }
    best
}

/// Breadth-first search that holds its frontier, over states
/// `(node, sends so far capped at min_sends)`: the fewest rounds from
/// `(a, j)` to `b` with at least `min_sends` sends. A lower bound on the
/// rounds of a path with that many distinct nodes, and equal to it when
/// the answer is at most `⌈log₂ n⌉` rounds (no node can repeat).
fn frontier_bfs(
    o: &DeterministicOverlay,
    a: u64,
    j: u64,
    b: u64,
    min_sends: u32,
    horizon: u64,
) -> Option<u64> {
    let n = o.size();
    let mut visited: HashSet<(u64, u32)> = HashSet::from([(a, 0)]);
    let mut states = vec![(a, 0u32)];
    for depth in 0..=horizon {
        if visited.contains(&(b, min_sends)) {
            return Some(depth);
        }
        let round = (j + depth) % (n - 1);
        // Staying keeps every state; sending adds these.
        let mut next = Vec::new();
        for &(v, c) in &states {
            let s = (o.partner(v, round).0, (c + 1).min(min_sends));
            if visited.insert(s) {
                next.push(s);
            }
        }
        states.extend(next);
    }
    None
}

fn check_path(o: &DeterministicOverlay, p: &Path, a: u64, j: u64, b: u64, min_nodes: u32) {
    let n = o.size();
    assert!(p.is_path_of(o), "{p:?}");
    assert_eq!(p.start(), (a, j % (n - 1)));
    assert_eq!(p.receiver(), b);
    assert!(p.node_count() >= min_nodes as usize, "{p:?}");
    assert!(p.hops() >= p.node_count());
    assert!(p.nodes().contains(&b), "the receiver is a node");
    // Shortest: the last round delivers to b.
    let v = p.vertices();
    assert_ne!(v[v.len() - 2].0, b, "{p:?}");
}

#[test]
fn the_search_matches_exhaustive_enumeration_for_every_suitable_n_up_to_300() {
    for n in suitable_sizes(300).unwrap() {
        let o = DeterministicOverlay::new(n).unwrap();
        let k = o.rounds_to_spread();
        let m = o.min_path_nodes();
        for (a, j) in [(0, 0), (n - 1, n / 2), (n / 3, n - 2)] {
            for min_nodes in [1, m, m + 2] {
                let bound = k + min_nodes;
                let want = exhaustive_shortest(&o, a, j, min_nodes as usize, bound);
                let search = PathSearch::tunneled(&o)
                    .with_min_nodes(min_nodes)
                    .with_horizon(u64::from(bound));
                for b in (0..n).filter(|&b| b != a) {
                    let got = o.find_path(a, j, b, &search);
                    if let Ok(p) = &got {
                        check_path(&o, p, a, j, b, min_nodes);
                    }
                    assert_eq!(
                        got.as_ref().ok().map(Path::rounds),
                        want[b as usize],
                        "n = {n}, ({a}, {j}) → {b}, {min_nodes} nodes"
                    );
                    // Within ⌈log₂ n⌉ + min_nodes rounds whenever the
                    // first min_nodes partners of a are distinct nodes.
                    if min_nodes <= n as u32 - 2 {
                        assert!(got.is_ok());
                    }
                }
            }
        }
    }
}

/// The suitable sizes the property tests draw from: all up to 5,000 and a
/// few large ones.
fn sizes() -> Vec<u64> {
    let mut s: Vec<u64> = suitable_sizes(5_000)
        .unwrap()
        .into_iter()
        .filter(|&n| n >= 5)
        .collect();
    for p in [10_000, 100_000, 1_000_000, 10_000_000] {
        s.push(SizePlan::for_population(p).unwrap().size);
    }
    s
}

proptest! {
    #[test]
    fn tunneled_paths_are_shortest_valid_and_long_enough(
        idx in any::<prop::sample::Index>(), a in any::<u64>(), j in any::<u64>(), b in any::<u64>()
    ) {
        let all = sizes();
        let n = all[idx.index(all.len())];
        let o = DeterministicOverlay::new(n).unwrap();
        let (a, b) = (a % n, b % n);
        prop_assume!(a != b);
        let k = u64::from(o.rounds_to_spread());
        let m = o.min_path_nodes();
        let p = o.tunnel_path(a, j, b).unwrap();
        check_path(&o, &p, a, j, b, m);
        // At least m rounds (footnote 7); a path always exists within
        // ⌈log₂ n⌉ + m ≤ 2⌈log₂ n⌉ rounds.
        prop_assert!(p.rounds() >= u64::from(m));
        prop_assert!(p.rounds() <= k + u64::from(m));
        if n <= 5_000 {
            let bfs = frontier_bfs(&o, a, j, b, m, 2 * k).unwrap();
            prop_assert!(p.rounds() >= bfs);
            if bfs <= k {
                prop_assert_eq!(p.rounds(), bfs);
            }
        }
    }

    #[test]
    fn without_a_minimum_the_path_is_the_efficiency_path_cut_at_arrival(
        idx in any::<prop::sample::Index>(), a in any::<u64>(), j in any::<u64>(), b in any::<u64>()
    ) {
        let all = sizes();
        let n = all[idx.index(all.len())];
        let o = DeterministicOverlay::new(n).unwrap();
        let (a, b) = (a % n, b % n);
        prop_assume!(a != b);
        let k = o.rounds_to_spread();
        let p = o.find_path(a, j, b, &PathSearch::tunneled(&o).with_min_nodes(1)).unwrap();
        check_path(&o, &p, a, j, b, 1);
        // The ⌈log₂ n⌉-hop path of the efficiency proof, up to its last send.
        let mut eff = o.path(a, j, b);
        while eff.len() > 1 && eff[eff.len() - 2].0 == b {
            eff.pop();
        }
        prop_assert_eq!(p.vertices(), &eff[..]);
        prop_assert!(p.rounds() <= u64::from(k));
    }
}
