//! Paths for tunneled (onion-routed) messages (Tremel §4.2): the shortest
//! path, in rounds, from a sender to a receiver on the layered gossip graph
//! that includes at least `⌈⌈log₂ n⌉/2⌉` nodes.
//!
//! # How nodes are counted
//!
//! A path's **nodes** are the distinct nodes on it *other than the sender*:
//! its relays and its receiver, the nodes that each remove one layer of the
//! onion (Fig. 1b: "5 layers of onion encryption, since it has 5 different
//! recipients"). A node that a path visits twice counts once; the sender
//! never counts, even if the path passes through it again. The minimum is
//! `⌈⌈log₂ n⌉/2⌉` ([`DeterministicOverlay::min_path_nodes`]), footnote 7's
//! "at least `⌈log₂ n⌉/2` nodes long" rounded up. Each counted node is
//! entered by a send, which takes a round, so a path of `m` nodes takes at
//! least `m` rounds: the minimum arrival time footnote 7 relies on.
//!
//! Distinct nodes and sends ([`Path::hops`]) differ only on a path that
//! revisits a node. The sends between two visits of one node add up to a
//! positive multiple of `n`, which takes at least `⌈log₂ n⌉` rounds, so a
//! path of at most `⌈log₂ n⌉` rounds has as many nodes as sends. Such
//! revisits are allowed (the search is over all paths of the graph), so a
//! long path may pass through its receiver, or its sender, before the end.
//!
//! # The search
//!
//! A path of `D` rounds from `(a, j)` is a choice, for each round `j + t`
//! (`t < D`), between staying and sending, which moves the data by
//! `2^(j+t)`. With `z = Σ 2^t` over the rounds that send (`0 ≤ z < 2^D`),
//! the path ends at node `a + 2^j·z mod n`, and `z ↔ path` is one-to-one.
//! The `D`-round paths that end at `b` are therefore exactly the
//! `z ≡ z₀ = (b − a)/2^j (mod n)` below `2^D`.
//!
//! The search is breadth-first in rounds: layers `D = 0, 1, 2, …` in turn,
//! and the first path that qualifies (enough nodes, no node it must avoid)
//! is returned, so none with fewer rounds qualifies. A layer needs only the
//! `z` with bit `D − 1` set: a path whose last round is a stay was examined
//! one layer earlier, with the same nodes. Within a layer, a depth-first
//! walk chooses the moves of the first `L = max(0, D − ⌈log₂ n⌉)` rounds
//! (stay before send), dropping every prefix that enters a node to avoid;
//! the congruence then leaves at most one choice for the remaining rounds,
//! and the completed path is checked. Rather than holding the frontier — up
//! to `min(2^D, n)` vertices at depth `D`, about `n/2` already at the
//! typical depth `⌈log₂ n⌉ − 1` — a layer costs at most `2^(L+1)` steps of
//! `O(1)` plus `2^L` checks of `O(D)`, far fewer when avoided nodes prune
//! prefixes (the later paths of a multicast must leave the sender in a
//! round whose partner no earlier path took), and the search allocates
//! only the path.
//!
//! A qualifying path always exists within `⌈log₂ n⌉ + ⌈⌈log₂ n⌉/2⌉ ≤
//! 2⌈log₂ n⌉` rounds (Tremel's bound is the latter): send in the first `m`
//! rounds, which visits `m` distinct nodes other than `a` (partial sums
//! `2^j(2^s − 1)`, `s ≤ m`, are distinct and non-zero modulo `n`), then
//! follow the efficiency path (Def. 4.2) to `b`.

use serde::Serialize;

use crate::error::{OverlayError, Result};
use crate::overlay::{DeterministicOverlay, Vertex};
use crate::suitable::pow_mod;

/// Longest path, in rounds, the search represents (`z < 2^D` in a
/// `u128`): longer horizons are cut to it.
const MAX_ROUNDS: u64 = 126;

/// A path on the layered gossip graph: the vertices `(node, round)` from
/// the sender's to the receiver's, one per round; each step either stays
/// (same node, next round) or sends along `g` (Tremel Def. 4.1).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Path {
    /// Never empty.
    vertices: Vec<Vertex>,
}

impl Path {
    /// A path from its vertices (at least one: the sender's). Whether the
    /// steps are edges of a given overlay is [`Path::is_path_of`].
    pub fn from_vertices(vertices: Vec<Vertex>) -> Result<Path> {
        if vertices.is_empty() {
            return Err(OverlayError::invalid(
                "vertices",
                "a path has at least one vertex",
            ));
        }
        Ok(Path { vertices })
    }

    /// The vertices `(node, round)`, the sender's first.
    pub fn vertices(&self) -> &[Vertex] {
        &self.vertices
    }

    /// The vertices, by value.
    pub fn into_vertices(self) -> Vec<Vertex> {
        self.vertices
    }

    /// The first vertex: the sender and the round the path starts in.
    pub fn start(&self) -> Vertex {
        self.vertices.first().copied().unwrap_or_default()
    }

    /// The last vertex: the receiver and the round it receives in.
    pub fn end(&self) -> Vertex {
        self.vertices.last().copied().unwrap_or_default()
    }

    /// The sending node.
    pub fn sender(&self) -> u64 {
        self.start().0
    }

    /// The receiving node.
    pub fn receiver(&self) -> u64 {
        self.end().0
    }

    /// The number of rounds the path takes.
    pub fn rounds(&self) -> u64 {
        self.vertices.len() as u64 - 1
    }

    /// The path's nodes as the minimum length counts them: the distinct
    /// nodes other than the sender, in the order the data first reaches
    /// them (relays, then the receiver).
    pub fn nodes(&self) -> Vec<u64> {
        let sender = self.sender();
        let mut out: Vec<u64> = Vec::new();
        for &(v, _) in &self.vertices {
            if v != sender && !out.contains(&v) {
                out.push(v);
            }
        }
        out
    }

    /// The number of [`Path::nodes`].
    pub fn node_count(&self) -> usize {
        self.nodes().len()
    }

    /// The number of sends: steps that change node.
    pub fn hops(&self) -> usize {
        self.vertices
            .windows(2)
            .filter(|w| w[0].0 != w[1].0)
            .count()
    }

    /// Whether every vertex lies in `overlay`'s graph and every step is an
    /// edge of it: stay (`(v, r) → (v, r + 1)`) or send
    /// (`(v, r) → g(v, r)`), rounds modulo `n − 1`.
    pub fn is_path_of(&self, overlay: &DeterministicOverlay) -> bool {
        let n = overlay.size();
        self.vertices.iter().all(|&(v, r)| v < n && r < n - 1)
            && self.vertices.windows(2).all(|w| {
                let ((v, r), next) = (w[0], w[1]);
                next == (v, (r + 1) % (n - 1)) || next == overlay.partner(v, r)
            })
    }
}

/// What a path search looks for: how many nodes a path needs, how many
/// rounds it may take, and how much work the search may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct PathSearch {
    /// Least number of [`Path::nodes`] (distinct nodes other than the
    /// sender). Every path to another node has at least one.
    pub min_nodes: u32,
    /// Most rounds a path may take. At most 126 rounds are searched (a
    /// path is represented by its 126 choices, stay or send), far beyond
    /// the paper's bounds.
    pub horizon: u64,
    /// Most steps one search takes — path prefixes and candidate paths
    /// examined — before it gives up with [`OverlayError::SearchLimit`].
    pub work_limit: u64,
}

impl PathSearch {
    /// The default work limit: 2²⁴ steps, about a second (measured in
    /// docs/PERFORMANCE.md).
    /// Searches within the paper's bounds take far fewer: without nodes to
    /// avoid, at most about `2^(min_nodes + 2)`.
    pub const DEFAULT_WORK_LIMIT: u64 = 1 << 24;

    /// A tunneled message (Tremel §4.2): at least
    /// [`DeterministicOverlay::min_path_nodes`] nodes, within
    /// `2⌈log₂ n⌉` rounds, where a path always exists.
    pub fn tunneled(overlay: &DeterministicOverlay) -> PathSearch {
        PathSearch {
            min_nodes: overlay.min_path_nodes(),
            horizon: 2 * u64::from(overlay.rounds_to_spread()),
            work_limit: Self::DEFAULT_WORK_LIMIT,
        }
    }

    /// A disjoint multicast to `receivers` nodes (Tremel §4.2): no minimum
    /// length, within `receivers + ⌈log₂ n⌉` rounds, the bound the paper
    /// observes while `receivers·⌈log₂ n⌉` is of the order of `√n`.
    pub fn multicast(overlay: &DeterministicOverlay, receivers: usize) -> PathSearch {
        PathSearch {
            min_nodes: 1,
            horizon: (receivers as u64).saturating_add(u64::from(overlay.rounds_to_spread())),
            work_limit: Self::DEFAULT_WORK_LIMIT,
        }
    }

    /// A tunneled multicast to `receivers` nodes (Tremel §4.2): the
    /// multicast's paths with the tunneled minimum of
    /// [`DeterministicOverlay::min_path_nodes`] nodes. The paper gives no
    /// bound in rounds; this allows the multicast's `receivers + ⌈log₂ n⌉`
    /// plus the minimum, as a single tunneled path needs up to
    /// `⌈log₂ n⌉ + min_path_nodes` rounds.
    pub fn tunneled_multicast(overlay: &DeterministicOverlay, receivers: usize) -> PathSearch {
        let min_nodes = overlay.min_path_nodes();
        let search = PathSearch::multicast(overlay, receivers).with_min_nodes(min_nodes);
        search.with_horizon(search.horizon.saturating_add(u64::from(min_nodes)))
    }

    /// The same search with another minimum number of nodes.
    pub fn with_min_nodes(self, min_nodes: u32) -> PathSearch {
        PathSearch { min_nodes, ..self }
    }

    /// The same search with another horizon, in rounds.
    pub fn with_horizon(self, horizon: u64) -> PathSearch {
        PathSearch { horizon, ..self }
    }

    /// The same search with another work limit.
    pub fn with_work_limit(self, work_limit: u64) -> PathSearch {
        PathSearch { work_limit, ..self }
    }
}

impl DeterministicOverlay {
    /// `⌈⌈log₂ n⌉/2⌉`: the least number of nodes on the path of a tunneled
    /// message (Tremel §4.2, footnote 7), counted as in [`Path::nodes`].
    pub fn min_path_nodes(&self) -> u32 {
        self.rounds_to_spread().div_ceil(2)
    }

    /// The path of a tunneled message from node `a` in round `j` to node
    /// `b` (Tremel §4.2): with at least [`DeterministicOverlay::min_path_nodes`]
    /// nodes, within `2⌈log₂ n⌉` rounds ([`PathSearch::tunneled`]).
    pub fn tunnel_path(&self, a: u64, j: u64, b: u64) -> Result<Path> {
        self.find_path(a, j, b, &PathSearch::tunneled(self))
    }

    /// A path from node `a` in round `j` to node `b` with the fewest rounds
    /// among those with at least `search.min_nodes` nodes and at most
    /// `search.horizon` rounds (see the [module documentation](self)).
    /// Nodes must be below `n`; `j` is taken modulo `n − 1`.
    pub fn find_path(&self, a: u64, j: u64, b: u64, search: &PathSearch) -> Result<Path> {
        self.check_node("sender", a)?;
        self.check_node("receiver", b)?;
        self.search_avoiding(a, j, b, search, &[])
    }

    /// [`DeterministicOverlay::find_path`] restricted to paths that never
    /// enter a node of `avoid` other than `b` (crashed nodes, say, or the
    /// nodes of other paths); the path starts at `a` regardless.
    pub fn find_path_avoiding(
        &self,
        a: u64,
        j: u64,
        b: u64,
        search: &PathSearch,
        avoid: &[u64],
    ) -> Result<Path> {
        self.check_node("sender", a)?;
        self.check_node("receiver", b)?;
        let mut sorted = avoid.to_vec();
        sorted.sort_unstable();
        self.search_avoiding(a, j, b, search, &sorted)
    }

    /// Refuses node identifiers outside `0..n`.
    pub(crate) fn check_node(&self, name: &'static str, v: u64) -> Result<()> {
        if v >= self.size() {
            return Err(OverlayError::invalid(
                name,
                format!("node {v} is not below n = {}", self.size()),
            ));
        }
        Ok(())
    }

    /// The search of [`DeterministicOverlay::find_path`], avoiding the
    /// nodes in `avoid` (sorted) other than `b` itself. `a` and `b` are
    /// below `n`.
    pub(crate) fn search_avoiding(
        &self,
        a: u64,
        j: u64,
        b: u64,
        search: &PathSearch,
        avoid: &[u64],
    ) -> Result<Path> {
        let n = self.size();
        let j = j % (n - 1);
        // z₀ = (b − a)/2^j mod n; 2^−e = 2^(n−1−e) by Fermat.
        let z0 = mul_mod((b + n - a) % n, inverse_pow2(j, n), n);
        let mut walk = LayerWalk {
            overlay: self,
            a,
            b,
            z0,
            pow_j: pow_mod(2, j, n),
            rounds: 0,
            prefix_len: 0,
            inv_prefix: 1,
            min_nodes: search.min_nodes,
            avoid,
            work: 0,
            work_limit: search.work_limit,
            seen: Vec::new(),
        };
        let k = u64::from(self.rounds_to_spread());
        // 2^−1 mod n.
        let half = n.div_ceil(2);
        for rounds in 0..=search.horizon.min(MAX_ROUNDS) {
            walk.rounds = rounds;
            let prefix_len = rounds.saturating_sub(k);
            if prefix_len > walk.prefix_len {
                // L grows by one per layer once it is positive.
                walk.inv_prefix = mul_mod(walk.inv_prefix, half, n);
                walk.prefix_len = prefix_len;
            }
            match walk.layer() {
                Ok(Some(z)) => return Ok(self.path_of_choices(a, j, z, rounds)),
                Ok(None) => {}
                Err(Exhausted) => {
                    return Err(OverlayError::SearchLimit {
                        sender: a,
                        receiver: b,
                        rounds,
                        horizon: search.horizon,
                        work: walk.work,
                    });
                }
            }
        }
        Err(OverlayError::NoPath {
            sender: a,
            round: j,
            receiver: b,
            min_nodes: search.min_nodes,
            horizon: search.horizon.min(MAX_ROUNDS),
        })
    }

    /// The vertices of the path of choices `z` over `rounds` rounds from
    /// `(a, j)`: bit `t` of `z` set means send in round `j + t`.
    fn path_of_choices(&self, a: u64, j: u64, z: u128, rounds: u64) -> Path {
        let mut node = a;
        let mut round = j;
        let mut vertices = Vec::with_capacity(rounds as usize + 1);
        vertices.push((node, round));
        for t in 0..rounds {
            if (z >> t) & 1 == 1 {
                (node, round) = self.partner(node, round);
            } else {
                round = (round + 1) % (self.size() - 1);
            }
            vertices.push((node, round));
        }
        Path { vertices }
    }
}

/// `x·y mod n` for `x, y < n`.
fn mul_mod(x: u64, y: u64, n: u64) -> u64 {
    (u128::from(x) * u128::from(y) % u128::from(n)) as u64
}

/// `2^−e mod n` for `e < n − 1`.
fn inverse_pow2(e: u64, n: u64) -> u64 {
    pow_mod(2, (n - 1 - e) % (n - 1), n)
}

/// `x + y mod n` for `x, y < n`.
fn add_mod(x: u64, y: u64, n: u64) -> u64 {
    let s = x + y;
    if s >= n { s - n } else { s }
}

/// The work limit was reached.
struct Exhausted;

/// The search of one layer: the paths of exactly `rounds` rounds from
/// `(a, j)` to `b` whose last round sends.
struct LayerWalk<'a> {
    overlay: &'a DeterministicOverlay,
    a: u64,
    b: u64,
    /// `(b − a)/2^j mod n`.
    z0: u64,
    /// `2^j mod n`.
    pow_j: u64,
    /// `D`.
    rounds: u64,
    /// `L`: rounds chosen by the depth-first walk; the congruence fixes
    /// the others.
    prefix_len: u64,
    /// `2^−L mod n`.
    inv_prefix: u64,
    min_nodes: u32,
    avoid: &'a [u64],
    /// Steps taken so far, over all layers.
    work: u64,
    work_limit: u64,
    /// Scratch space for [`LayerWalk::qualifies`].
    seen: Vec<u64>,
}

impl LayerWalk<'_> {
    /// The first qualifying `z` of this layer, if any.
    fn layer(&mut self) -> core::result::Result<Option<u128>, Exhausted> {
        if self.rounds == 0 {
            self.step()?;
            return Ok((self.z0 == 0 && self.qualifies(0)).then_some(0));
        }
        self.prefix(0, 0, self.a, self.pow_j)
    }

    /// Counts one step against the limit.
    fn step(&mut self) -> core::result::Result<(), Exhausted> {
        if self.work >= self.work_limit {
            return Err(Exhausted);
        }
        self.work += 1;
        Ok(())
    }

    /// Depth-first over the moves of rounds `t..L`, given the moves
    /// `prefix` of rounds `0..t`, which bring the data to `node`; `pow` is
    /// `2^(j+t) mod n`.
    fn prefix(
        &mut self,
        t: u64,
        prefix: u128,
        node: u64,
        pow: u64,
    ) -> core::result::Result<Option<u128>, Exhausted> {
        self.step()?;
        let n = self.overlay.size();
        if t == self.prefix_len {
            return Ok(self.complete(prefix));
        }
        let next_pow = add_mod(pow, pow, n);
        if let Some(z) = self.prefix(t + 1, prefix, node, next_pow)? {
            return Ok(Some(z));
        }
        let to = add_mod(node, pow, n);
        if to != self.b && self.avoid.binary_search(&to).is_ok() {
            return Ok(None);
        }
        self.prefix(t + 1, prefix | 1 << t, to, next_pow)
    }

    /// The one completion of `prefix` (moves of the first `L` rounds) in
    /// this layer that ends at `b`, if it exists and qualifies.
    fn complete(&mut self, prefix: u128) -> Option<u128> {
        let n = self.overlay.size();
        let m = u128::from(n);
        let (len, rounds) = (self.prefix_len, self.rounds);
        // z = prefix + 2^L·h ≡ z₀, so h ≡ (z₀ − prefix)/2^L (mod n), with
        // bit D − 1 of z set: 2^(D−1−L) ≤ h < 2^(D−L), a range of at most
        // n values since L ≥ D − ⌈log₂ n⌉.
        let rest = (u128::from(self.z0) + m - prefix % m) % m;
        let c = u128::from(mul_mod(rest as u64, self.inv_prefix, n));
        let lo = 1u128 << (rounds - 1 - len);
        let h = lo + (c + m - lo % m) % m;
        if h >= 1u128 << (rounds - len) {
            return None;
        }
        let z = prefix | h << len;
        (z.count_ones() >= self.min_nodes && self.qualifies(z)).then_some(z)
    }

    /// Whether the path of choices `z` over this layer's rounds avoids the
    /// nodes to avoid (except `b`) and has at least `min_nodes` nodes.
    fn qualifies(&mut self, z: u128) -> bool {
        let n = self.overlay.size();
        let need = self.min_nodes as usize;
        self.seen.clear();
        let mut node = self.a;
        let mut pow = self.pow_j;
        for t in 0..self.rounds {
            if (z >> t) & 1 == 1 {
                node = add_mod(node, pow, n);
                if node != self.b && self.avoid.binary_search(&node).is_ok() {
                    return false;
                }
                if node != self.a && self.seen.len() < need && !self.seen.contains(&node) {
                    self.seen.push(node);
                }
            }
            pow = add_mod(pow, pow, n);
        }
        self.seen.len() >= need
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tunneled_path_on_the_papers_n_11() {
        let o = DeterministicOverlay::new(11).unwrap();
        assert_eq!(o.min_path_nodes(), 2);
        let p = o.tunnel_path(0, 0, 3).unwrap();
        assert!(p.is_path_of(&o));
        assert_eq!((p.sender(), p.receiver()), (0, 3));
        assert!(p.node_count() >= 2);
        // 3 = 2^8 mod 11 is a direct partner of 0 only in round 8, and
        // two nodes need two sends: no path of fewer than 2 rounds.
        assert!(p.rounds() >= 2);
        assert!(p.rounds() <= 8);
    }

    #[test]
    fn avoided_nodes_are_not_entered() {
        let o = DeterministicOverlay::new(11).unwrap();
        let s = PathSearch::tunneled(&o).with_min_nodes(1);
        // (3 − 0)/2^0 = 3: send in rounds 0 and 1, through node 1.
        let direct = o.find_path(0, 0, 3, &s).unwrap();
        assert_eq!(direct.vertices(), [(0, 0), (1, 1), (3, 2)]);
        let around = o.find_path_avoiding(0, 0, 3, &s, &[1, 7]).unwrap();
        assert!(around.is_path_of(&o) && around.rounds() > 2);
        assert!(!around.nodes().contains(&1) && !around.nodes().contains(&7));
        // The receiver itself may be listed.
        assert_eq!(o.find_path_avoiding(0, 0, 3, &s, &[3]).unwrap(), direct);
    }

    #[test]
    fn out_of_range_nodes_and_empty_paths_are_refused() {
        let o = DeterministicOverlay::new(11).unwrap();
        assert!(o.tunnel_path(11, 0, 3).is_err());
        assert!(o.tunnel_path(0, 0, 11).is_err());
        assert!(Path::from_vertices(Vec::new()).is_err());
    }

    #[test]
    fn the_work_limit_and_the_horizon_are_reported() {
        let o = DeterministicOverlay::new(11).unwrap();
        let s = PathSearch::tunneled(&o);
        assert!(matches!(
            o.find_path(0, 0, 3, &s.with_work_limit(0)),
            Err(OverlayError::SearchLimit { receiver: 3, .. })
        ));
        assert!(matches!(
            o.find_path(0, 0, 3, &s.with_horizon(1)),
            Err(OverlayError::NoPath { receiver: 3, .. })
        ));
        // A huge horizon is cut by the work limit, not by a panic.
        assert!(
            o.find_path(0, 0, 3, &s.with_min_nodes(200).with_horizon(u64::MAX))
                .is_err()
        );
    }
}
