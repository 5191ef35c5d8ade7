//! Property tests of the overlay for many suitable sizes: uniformity,
//! efficiency, and paths that follow the graph's edges.

use proptest::prelude::*;
use sfumato_overlay::{DeterministicOverlay, suitable_sizes};

fn sizes() -> Vec<u64> {
    suitable_sizes(3_000).unwrap()
}

#[test]
fn uniformity_and_efficiency_hold_for_every_suitable_size_up_to_3000() {
    for n in sizes() {
        let o = DeterministicOverlay::new(n).unwrap();
        assert!(o.check_uniformity(), "uniformity fails for {n}");
        for (i, j) in [(0, 0), (n / 2, n / 3), (n - 1, n - 2)] {
            assert!(
                o.check_efficiency_from(i, j),
                "efficiency fails for {n} from ({i}, {j})"
            );
        }
    }
}

#[test]
fn each_ordered_pair_meets_exactly_once_per_n_minus_1_rounds() {
    for n in sizes().into_iter().take(40) {
        let o = DeterministicOverlay::new(n).unwrap();
        for a in 0..n {
            let mut meets = vec![0u32; n as usize];
            for j in 0..n - 1 {
                meets[o.partner(a, j).0 as usize] += 1;
            }
            for (b, &m) in meets.iter().enumerate() {
                assert_eq!(m, u32::from(b as u64 != a), "n = {n}, a = {a}, b = {b}");
            }
        }
    }
}

proptest! {
    #[test]
    fn paths_reach_their_target_in_log_n_hops_along_edges(
        idx in 0usize..200, i in any::<u64>(), j in any::<u64>(), x in any::<u64>()
    ) {
        let all = suitable_sizes(100_000).unwrap();
        let n = all[idx * (all.len() - 1) / 199];
        let o = DeterministicOverlay::new(n).unwrap();
        let path = o.path(i, j, x);
        prop_assert_eq!(path.len() as u32, o.rounds_to_spread() + 1);
        prop_assert_eq!(path.last().unwrap().0, x % n);
        for w in path.windows(2) {
            let ((v, r), (v2, r2)) = (w[0], w[1]);
            // Either keep the data (same node, next round) or send along g.
            prop_assert!((v2 == v && r2 == (r + 1) % (n - 1)) || (v2, r2) == o.partner(v, r));
        }
        if x % n != i % n {
            let j = o.meeting_round(i % n, x % n).unwrap();
            prop_assert_eq!(o.partner(i, j).0, x % n);
        }
    }
}
