//! From a path on the layered gossip graph to what each node on it is told
//! (Tremel §4.2): when the sender sends, and for every later node how many
//! rounds it holds the message and to whom it passes it.

use sfumato_crypto::symmetric::HopInstruction;
use sfumato_overlay::Path;

/// A path as instructions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Route {
    /// Rounds after the path's first round that the sender sends in.
    pub depart: u32,
    /// Every node after the sender, in order, with its instruction; the
    /// last delivers.
    pub hops: Vec<(u32, HopInstruction)>,
}

impl Route {
    /// The route of `path`. A path of one vertex (sender = receiver) has no
    /// hops.
    pub fn of(path: &Path) -> Route {
        let v = path.vertices();
        // Runs of one node: (node, first index, last index).
        let mut runs: Vec<(u64, usize, usize)> = Vec::new();
        for (i, &(node, _)) in v.iter().enumerate() {
            match runs.last_mut() {
                Some(run) if run.0 == node => run.2 = i,
                _ => runs.push((node, i, i)),
            }
        }
        let depart = runs.first().map_or(0, |r| r.2) as u32;
        let hops = runs
            .iter()
            .enumerate()
            .skip(1)
            .map(|(j, &(node, arrive, leave))| {
                let hop = match runs.get(j + 1) {
                    Some(next) => HopInstruction::Forward {
                        wait: (leave - arrive).min(usize::from(u16::MAX)) as u16,
                        next: next.0 as u32,
                    },
                    None => HopInstruction::Deliver,
                };
                (node as u32, hop)
            })
            .collect();
        Route { depart, hops }
    }

    /// The relays' waits, in order (an encrypted multicast's instructions
    /// in the clear).
    pub fn waits(&self) -> Vec<u16> {
        self.hops
            .iter()
            .filter_map(|(_, h)| match h {
                HopInstruction::Forward { wait, .. } => Some(*wait),
                HopInstruction::Deliver => None,
            })
            .collect()
    }

    /// The receiver.
    pub fn receiver(&self) -> Option<u32> {
        self.hops.last().map(|h| h.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sfumato_overlay::{DeterministicOverlay, PathSearch};

    /// Replays a route on the overlay: every relay, holding for its wait,
    /// sends to its partner of that round, and the message reaches the
    /// receiver in the path's last round.
    #[test]
    fn a_route_replays_its_path() {
        let o = DeterministicOverlay::new(1019).unwrap();
        for (a, b, j) in [(0u64, 3u64, 0u64), (17, 900, 55), (5, 6, 1017)] {
            let path = o.tunnel_path(a, j, b).unwrap();
            let r = Route::of(&path);
            let mut node = a;
            let mut round = j + u64::from(r.depart);
            for (hop_node, hop) in &r.hops {
                let (to, arrive) = o.partner(node, round);
                assert_eq!(to, u64::from(*hop_node));
                node = to;
                round = arrive;
                if let HopInstruction::Forward { wait, next } = hop {
                    round += u64::from(*wait);
                    assert_eq!(o.partner(node, round).0, u64::from(*next));
                }
            }
            assert_eq!(node, b);
            assert_eq!(round % 1018, path.end().1);
            assert!(r.hops.len() >= o.min_path_nodes() as usize);
        }
        let ps = o
            .disjoint_paths(0, 0, &[3, 5, 10], &PathSearch::multicast(&o, 3))
            .unwrap();
        for p in &ps {
            assert_eq!(Route::of(p).receiver(), Some(p.receiver() as u32));
        }
    }
}

#[cfg(test)]
mod gap {
    use sfumato_overlay::{DeterministicOverlay, PathSearch};

    /// Tremel §6.1 argues that a proxy missed by the Shuffle gets the
    /// tuple in the Echo, because the Echo's paths differ from the
    /// Shuffle's. Different paths can still share a node: here a relay X
    /// lies on the Shuffle path from source s to proxy B and on the Echo
    /// path from proxy A to B, so with t = 1 the single crash of X keeps the
    /// tuple from B. If X belongs to A's group, A's group is incomplete and
    /// B's group, complete, lacks an honest value — why sfumato's default
    /// Echo is direct.
    #[test]
    fn one_crashed_relay_can_cut_both_the_shuffle_and_the_echo() {
        let o = DeterministicOverlay::new(59).unwrap();
        let (t, k) = (1u64, u64::from(o.rounds_to_spread()));
        let s_rounds = t + 1 + 2 * k;
        let group = |i: u64| i * (t + 1) / 59;
        let mut found = 0;
        for s in 0..59u64 {
            for a in (0..59).filter(|&a| group(a) == 0 && a != s) {
                for b in (0..59).filter(|&b| group(b) == 1 && b != s) {
                    let shuffle = PathSearch::tunneled_multicast(&o, 2).with_horizon(s_rounds);
                    let Ok(paths) = o.disjoint_paths(s, 0, &[a, b], &shuffle) else {
                        continue;
                    };
                    let to_b = &paths[1];
                    let echo = PathSearch::multicast(&o, 1);
                    let Ok(e) = o.disjoint_paths(a, s_rounds, &[b], &echo) else {
                        continue;
                    };
                    let inner = |p: &sfumato_overlay::Path| {
                        let mut v = p.nodes();
                        v.pop();
                        v
                    };
                    let shared: Vec<u64> = inner(to_b)
                        .into_iter()
                        .filter(|x| inner(&e[0]).contains(x) && group(*x) == 0 && *x != a)
                        .collect();
                    if !shared.is_empty() {
                        found += 1;
                    }
                }
            }
        }
        eprintln!("{found} triples");
        // Out of 59 · 29 · 30 (source, A, B) triples.
        assert!(found > 1000, "{found}");
    }
}
