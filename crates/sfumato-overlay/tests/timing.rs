//! Timings for docs/PERFORMANCE.md (ignored by default; run with
//! `cargo test -p sfumato-overlay --release --test timing -- --ignored --nocapture`).

use std::collections::HashSet;
use std::time::Instant;

use sfumato_overlay::{DeterministicOverlay, OverlayError, PathSearch, SizePlan};

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

/// Reference: a breadth-first search that holds its frontier (a hash set
/// of the nodes reached; staying keeps them all), for a path without a
/// minimum length. Returns the number of rounds.
fn frontier_bfs_rounds(o: &DeterministicOverlay, a: u64, j: u64, b: u64) -> u64 {
    let n = o.size();
    let mut reached: HashSet<u64> = HashSet::from([a]);
    let mut frontier = vec![a];
    let mut depth = 0;
    while !reached.contains(&b) {
        let round = (j + depth) % (n - 1);
        let mut next = Vec::new();
        for &v in &frontier {
            let w = o.partner(v, round).0;
            if reached.insert(w) {
                next.push(w);
            }
        }
        frontier.extend(next);
        depth += 1;
    }
    depth
}

#[test]
#[ignore = "timing; run by hand with --release"]
fn path_search_and_flood_timings() {
    for population in [1_000_000, 10_000_000] {
        let n = SizePlan::for_population(population).unwrap().size;
        let o = DeterministicOverlay::new(n).unwrap();
        let lg = o.rounds_to_spread() as usize;
        let trials = 1_000u64;
        let searches = [
            ("tunneled path", 1, PathSearch::tunneled(&o)),
            ("3 disjoint paths", 3, PathSearch::multicast(&o, 3)),
            (
                "3 tunneled disjoint paths",
                3,
                PathSearch::tunneled_multicast(&o, 3),
            ),
            (
                "2⌈log₂ n⌉+1 disjoint paths",
                2 * lg + 1,
                PathSearch::multicast(&o, 2 * lg + 1),
            ),
        ];
        for (name, k, search) in searches {
            let cases: Vec<(u64, u64, Vec<u64>)> = (1..=trials)
                .map(|t| {
                    let a = t * 7_919 % n;
                    (a, t * 104_729 % (n - 1), receivers(n, a, k, t))
                })
                .collect();
            let start = Instant::now();
            let mut rounds = 0;
            for (a, j, recv) in &cases {
                let paths = if k == 1 {
                    vec![o.find_path(*a, *j, recv[0], &search).unwrap()]
                } else {
                    o.disjoint_paths(*a, *j, recv, &search).unwrap()
                };
                rounds = paths.iter().map(|p| p.rounds()).max().unwrap().max(rounds);
            }
            let per = start.elapsed() / trials as u32;
            println!("n = {n}: {name}: {per:?} each (longest {rounds} rounds)");
        }
        let start = Instant::now();
        let f = o.flood(0, 0, o.flood_ttl(0), |_| false).unwrap();
        println!(
            "n = {n}: flood without failures: {:?} ({:?} rounds)",
            start.elapsed(),
            f.all_informed_after
        );
    }
    // The reference: paths without a minimum length at n ≈ 10⁶, by the
    // frontier-holding search and by the crate's.
    let o = DeterministicOverlay::new(SizePlan::for_population(1_000_000).unwrap().size).unwrap();
    let n = o.size();
    let cases: Vec<(u64, u64, u64)> = (1..=20u64)
        .map(|t| {
            (
                t * 7_919 % n,
                t * 104_729 % (n - 1),
                receivers(n, t, 1, t)[0],
            )
        })
        .collect();
    let start = Instant::now();
    let reference: Vec<u64> = cases
        .iter()
        .map(|&(a, j, b)| frontier_bfs_rounds(&o, a, j, b))
        .collect();
    println!(
        "n = {n}: path without minimum, frontier BFS (reference): {:?} each",
        start.elapsed() / cases.len() as u32
    );
    let search = PathSearch::tunneled(&o).with_min_nodes(1);
    let start = Instant::now();
    let ours: Vec<u64> = cases
        .iter()
        .map(|&(a, j, b)| o.find_path(a, j, b, &search).unwrap().rounds())
        .collect();
    println!(
        "n = {n}: path without minimum, closed-form layers: {:?} each",
        start.elapsed() / cases.len() as u32
    );
    assert_eq!(ours, reference);

    // Searches that run into the default work limit: minimums that no path
    // of up to 126 rounds meets (every candidate fails on its number of
    // sends), or that only long paths meet (candidates are walked).
    let o = DeterministicOverlay::new(SizePlan::for_population(10_000_000).unwrap().size).unwrap();
    for min_nodes in [127, 30, 40] {
        let search = PathSearch::tunneled(&o)
            .with_min_nodes(min_nodes)
            .with_horizon(126);
        let start = Instant::now();
        let outcome = match o.find_path(0, 0, 12_345, &search) {
            Ok(p) => format!("a path of {} rounds", p.rounds()),
            Err(e) => e.to_string(),
        };
        println!("{min_nodes} nodes: {:?} ({outcome})", start.elapsed());
    }
    // A crowded multicast on a small overlay: pruning by the nodes to avoid
    // lets the search cover all 126 rounds well within the limit.
    let o = DeterministicOverlay::new(1_019).unwrap();
    let recv = receivers(1_019, 0, 300, 7);
    let search = PathSearch::multicast(&o, recv.len());
    let start = Instant::now();
    let e = o.disjoint_paths(0, 0, &recv, &search).unwrap_err();
    assert!(
        matches!(e, OverlayError::NoPath { horizon: 126, .. }),
        "{e}"
    );
    println!("crowded multicast: {:?} ({e})", start.elapsed());
}
