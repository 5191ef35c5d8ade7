//! Disjoint multicast (Tremel §4.2): node-disjoint, valid paths to every
//! receiver, or an error that names a receiver; and the paper's observation
//! that `k + ⌈log₂ n⌉` rounds suffice once `n` is about 10,000 or more.

use proptest::prelude::*;
use sfumato_overlay::{
    DeterministicOverlay, OverlayError, Path, PathSearch, SizePlan, paths_are_node_disjoint,
    suitable_sizes,
};

/// The pairwise definition: no node other than the common sender on two
/// paths.
fn disjoint_by_pairs(paths: &[Path]) -> bool {
    let Some(first) = paths.first() else {
        return true;
    };
    paths.iter().all(|p| p.sender() == first.sender())
        && paths.iter().enumerate().all(|(i, p)| {
            paths[i + 1..]
                .iter()
                .all(|q| p.nodes().iter().all(|v| !q.nodes().contains(v)))
        })
}

/// Checks a multicast's paths against everything the search promises.
fn check_multicast(
    o: &DeterministicOverlay,
    a: u64,
    j: u64,
    receivers: &[u64],
    search: &PathSearch,
    paths: &[Path],
) {
    let n = o.size();
    assert_eq!(paths.len(), receivers.len());
    for (p, &b) in paths.iter().zip(receivers) {
        assert!(p.is_path_of(o), "{p:?}");
        assert_eq!(p.start(), (a, j % (n - 1)));
        assert_eq!(p.receiver(), b);
        assert!(p.rounds() <= search.horizon);
        assert!(p.node_count() >= search.min_nodes as usize);
        // No other receiver relays.
        assert!(p.nodes().iter().all(|v| *v == b || !receivers.contains(v)));
    }
    assert!(paths_are_node_disjoint(paths));
    assert!(disjoint_by_pairs(paths));
}

/// `count` distinct receivers other than `a`, from `seed`.
fn receivers(n: u64, a: u64, count: usize, mut seed: u64) -> Vec<u64> {
    let mut out = Vec::new();
    while out.len() < count {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let b = seed % n;
        if b != a && !out.contains(&b) {
            out.push(b);
        }
    }
    out
}

#[test]
fn fig_2a_from_every_round_and_every_order() {
    let o = DeterministicOverlay::new(11).unwrap();
    let search = PathSearch::multicast(&o, 3);
    assert_eq!(search.horizon, 7);
    for j in 0..10 {
        for order in [[3, 5, 10], [10, 5, 3], [5, 3, 10]] {
            let paths = o.disjoint_paths(0, j, &order, &search).unwrap();
            check_multicast(&o, 0, j, &order, &search, &paths);
        }
    }
}

#[test]
fn the_papers_regime_k_plus_log_n_rounds_suffice() {
    // Tremel §4.2: "paths will have length at most k + ⌈log₂ n⌉ as long as
    // k⌈log₂ n⌉ is of the same order of magnitude as √n", for n above about
    // 10,000. A fixed sample of multicasts to k ≤ 2⌈log₂ n⌉ + 1 receivers
    // (the BFT protocol's 2t + 1 proxies with t = ⌈log₂ n⌉).
    for population in [10_000, 100_000] {
        let n = SizePlan::for_population(population).unwrap().size;
        let o = DeterministicOverlay::new(n).unwrap();
        let lg = o.rounds_to_spread() as usize;
        for k in [1, 2, 3, 5, 8, lg, 2 * lg + 1] {
            for trial in 0..25u64 {
                let a = trial * 7_919 % n;
                let j = trial * 104_729 % (n - 1);
                let recv = receivers(n, a, k, trial + 1);
                for search in [
                    PathSearch::multicast(&o, k),
                    PathSearch::tunneled_multicast(&o, k),
                ] {
                    let paths = o.disjoint_paths(a, j, &recv, &search).unwrap();
                    check_multicast(&o, a, j, &recv, &search, &paths);
                }
            }
        }
    }
}

/// The fewest rounds of a path from `(a, j)` to `b` with at least
/// `min_nodes` nodes, avoiding `avoid` except `b`, by walking every path of
/// at most `horizon` rounds with `partner`.
fn exhaustive_shortest(
    o: &DeterministicOverlay,
    (a, j, b): (u64, u64, u64),
    min_nodes: usize,
    avoid: &[u64],
    horizon: u64,
) -> Option<u64> {
    let n = o.size();
    for rounds in 0..=horizon {
        'paths: for choices in 0u64..1 << rounds {
            let (mut v, mut r) = (a, j % (n - 1));
            let mut nodes = Vec::new();
            for t in 0..rounds {
                if choices >> t & 1 == 1 {
                    (v, r) = o.partner(v, r);
                    if v != b && avoid.contains(&v) {
                        continue 'paths;
                    }
                    if v != a && !nodes.contains(&v) {
                        nodes.push(v);
                    }
                } else {
                    r = (r + 1) % (n - 1);
                }
            }
            if v == b && nodes.len() >= min_nodes {
                return Some(rounds);
            }
        }
    }
    None
}

proptest! {
    #[test]
    fn each_multicast_path_is_the_shortest_that_avoids_the_others(
        idx in any::<prop::sample::Index>(), a in any::<u64>(), j in any::<u64>(),
        k in 1usize..=4, seed in 1u64.., tunneled in any::<bool>()
    ) {
        // Exhaustive over every path up to the horizon: small n only.
        let all: Vec<u64> = suitable_sizes(150).unwrap().into_iter().filter(|&n| n >= 11).collect();
        let n = all[idx.index(all.len())];
        let o = DeterministicOverlay::new(n).unwrap();
        let a = a % n;
        let recv = receivers(n, a, k, seed);
        let search = if tunneled {
            PathSearch::tunneled_multicast(&o, k)
        } else {
            PathSearch::multicast(&o, k)
        };
        let got = o.disjoint_paths(a, j, &recv, &search);
        // The greedy search, replayed: each receiver's path is the shortest
        // avoiding every other receiver and the earlier paths' nodes, which
        // the exhaustive walk confirms.
        let mut avoid: Vec<u64> = recv.clone();
        let mut replay = Vec::new();
        for &b in &recv {
            let want = exhaustive_shortest(
                &o, (a, j, b), search.min_nodes as usize, &avoid, search.horizon,
            );
            match o.find_path_avoiding(a, j, b, &search, &avoid) {
                Ok(p) => {
                    prop_assert_eq!(Some(p.rounds()), want, "receiver {}", b);
                    avoid.extend(p.nodes());
                    replay.push(p);
                }
                Err(e) => {
                    prop_assert_eq!(want, None, "receiver {}", b);
                    prop_assert_eq!(got, Err(e));
                    return Ok(());
                }
            }
        }
        prop_assert_eq!(got, Ok(replay));
    }

    #[test]
    fn multicast_paths_are_disjoint_and_valid_or_a_receiver_is_named(
        idx in any::<prop::sample::Index>(), a in any::<u64>(), j in any::<u64>(),
        k in 1usize..=6, seed in 1u64.., tunneled in any::<bool>()
    ) {
        let all: Vec<u64> = suitable_sizes(5_000).unwrap().into_iter().filter(|&n| n > 11).collect();
        let n = all[idx.index(all.len())];
        let o = DeterministicOverlay::new(n).unwrap();
        let a = a % n;
        let recv = receivers(n, a, k, seed);
        let search = if tunneled {
            PathSearch::tunneled_multicast(&o, k)
        } else {
            PathSearch::multicast(&o, k)
        };
        match o.disjoint_paths(a, j, &recv, &search) {
            Ok(paths) => check_multicast(&o, a, j, &recv, &search, &paths),
            Err(OverlayError::NoPath { receiver, .. } | OverlayError::SearchLimit { receiver, .. }) => {
                prop_assert!(recv.contains(&receiver));
            }
            Err(e) => prop_assert!(false, "unexpected error {e}"),
        }
    }

    #[test]
    fn the_checker_agrees_with_the_pairwise_definition(
        idx in any::<prop::sample::Index>(), a in any::<u64>(), j in any::<u64>(),
        k in 0usize..=5, seed in 1u64..
    ) {
        // Paths found independently (no avoidance) may or may not share nodes.
        let all = suitable_sizes(300).unwrap();
        let n = all[idx.index(all.len())].max(11);
        let o = DeterministicOverlay::new(n).unwrap();
        let a = a % n;
        let paths: Vec<Path> = receivers(n, a, k, seed)
            .into_iter()
            .map(|b| o.tunnel_path(a, j, b).unwrap())
            .collect();
        prop_assert_eq!(paths_are_node_disjoint(&paths), disjoint_by_pairs(&paths));
    }
}
