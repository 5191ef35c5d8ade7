//! The public parameters of a Tremel deployment: the overlay, the failure
//! tolerance `t`, the variant, and the clock of rounds and timeouts
//! (Tremel §4.3, §5.1, §7.1).

use serde::{Deserialize, Serialize};
use sfumato_overlay::{DeterministicOverlay, PathSearch};

use crate::error::{ProtocolError, Result};
use crate::node::{NodeId, Time};

/// Which crash-tolerant protocol runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Variant {
    /// Shuffle, Echo, Aggregate (Tremel §4.3): tunneled and encrypted
    /// multicasts on node-disjoint paths; `t ≤ ⌈log₂ n⌉`.
    Basic,
    /// Scatter, Gather, Aggregate (Tremel §5.1): flooding through random
    /// relays, for failure rates beyond `⌈log₂ n⌉`.
    HighFailure,
    /// Setup, Shuffle, Byzantine Agreement, Aggregate (Tremel §5.2): `2t + 1`
    /// groups, owner-signed tuples, signed messages, the owner taking the
    /// result `t + 1` groups agree on; with differential privacy (§6.6).
    Byzantine,
}

impl Variant {
    /// The name used on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            Variant::Basic => "basic",
            Variant::HighFailure => "high-failure",
            Variant::Byzantine => "bft",
        }
    }
}

/// How the basic protocol's proxies echo the tuples they hold to the
/// tuple's other proxies (Tremel §4.3, Echo phase).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Echo {
    /// Directly, one sealed copy per other proxy, in one round. Every
    /// honest value then reaches every proxy that stays up: of the `t + 1`
    /// node-disjoint Shuffle paths at most `t` hold a crashed node, and a
    /// proxy that received the tuple sends it with no relay in between.
    /// The owner, watching the traffic, learns which nodes proxy a common
    /// tuple (not the tuple, nor its source).
    #[default]
    Direct,
    /// The paper's encrypted multicast on the overlay, along node-disjoint
    /// paths. §6.1 argues every live proxy then has the tuple; that does
    /// not follow when one crashed relay lies on both the Shuffle path to
    /// a proxy and the Echo path into it: at n = 59, t = 1, 1,840 of the
    /// 51,330 (source, proxy, proxy) triples have such a relay in the
    /// other proxy's group (`route::gap`), whose crash leaves the only
    /// complete group without an honest value.
    Overlay,
}

impl Echo {
    /// The name used on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            Echo::Direct => "direct",
            Echo::Overlay => "overlay",
        }
    }
}

/// The parameters every node of a deployment shares.
///
/// # The clock
///
/// A query announced for time `start` runs its overlay rounds on a shared
/// clock: relative round `r` is sent at `start + r·round_length` to the
/// gossip partner of overlay round `first_round + r`. Every node sends in
/// every round, an empty meta-message if it has nothing to forward (Tremel
/// §4.2), so a late or crashed neighbour never holds a node up: what
/// arrives after a node's send for a round goes out in the next. The round
/// must outlast a message's latency plus a round's cryptography.
///
/// The Aggregate phase starts when the overlay rounds end: leaves send at
/// once; a node whose subtree is `h` levels high waits for its children at
/// most `h·level_timeout`; the owner decides `result_timeout` after the
/// last result it received, or as soon as every group has answered.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TremelParams {
    /// The overlay's size `n` (a suitable size, Tremel §7.2).
    pub n: u64,
    /// Failures tolerated.
    pub t: u32,
    /// The protocol.
    pub variant: Variant,
    /// How the basic protocol echoes.
    pub echo: Echo,
    /// Rounds of the direct Echo (at least 1): its copies are sent over
    /// all but the last of them, so that a proxy's sealing and its peers'
    /// opening fit in before the Aggregate phase. In the Byzantine variant,
    /// the overlay rounds each agreement round lasts.
    pub echo_rounds: u32,
    /// One overlay round.
    pub round_length: Time,
    /// How long a tree node waits per level of its subtree.
    pub level_timeout: Time,
    /// How long the owner waits after each result for the next.
    pub result_timeout: Time,
}

impl TremelParams {
    /// Checks the parameters; the overlay of `n`.
    pub fn overlay(&self) -> Result<DeterministicOverlay> {
        let overlay = DeterministicOverlay::new(self.n)
            .map_err(|e| ProtocolError::invalid("n", e.to_string()))?;
        if u64::from(self.groups()) > self.n {
            return Err(ProtocolError::invalid(
                "t",
                format!(
                    "{} aggregation groups need at least as many nodes (n = {})",
                    self.groups(),
                    self.n
                ),
            ));
        }
        if self.n > u64::from(u32::MAX) - 1 {
            return Err(ProtocolError::invalid("n", "node identifiers are 32-bit"));
        }
        if self.round_length.0 == 0 || self.level_timeout.0 == 0 {
            return Err(ProtocolError::invalid(
                "round length",
                "rounds and timeouts must be positive",
            ));
        }
        Ok(overlay)
    }

    /// The owner's node id: the one after the `n` clients.
    pub fn owner(&self) -> NodeId {
        NodeId(self.n as u32)
    }

    /// Aggregation groups: `t + 1`, or `2t + 1` in the Byzantine variant
    /// (§5.2).
    pub fn groups(&self) -> u32 {
        match self.variant {
            Variant::Byzantine => 2 * self.t + 1,
            _ => self.t + 1,
        }
    }

    /// Byzantine variant: the agreement rounds, `t + 1` (see
    /// [`crate::tremel::crusader`]), each [`TremelParams::echo_rounds`]
    /// overlay rounds long.
    pub fn agreement_rounds(&self) -> u32 {
        self.t + 1
    }

    /// Byzantine variant: the agreement round that relative overlay round
    /// `r` belongs to (0 during the Shuffle).
    pub fn agreement_round_at(&self, overlay: &DeterministicOverlay, r: u32) -> u32 {
        let first = self.first_phase_rounds(overlay);
        if r < first {
            0
        } else {
            ((r - first) / self.echo_rounds.max(1) + 1).min(self.agreement_rounds() + 1)
        }
    }

    /// The group of node `i`: groups are runs of about `n/(t+1)`
    /// consecutive identifiers (Tremel §4.3, footnote 5).
    pub fn group_of(&self, i: u32) -> u32 {
        (u64::from(i) * u64::from(self.groups()) / self.n) as u32
    }

    /// The identifiers of group `g`: `⌈g·n/(t+1)⌉ .. ⌈(g+1)·n/(t+1)⌉`.
    pub fn group_members(&self, g: u32) -> core::ops::Range<u32> {
        let k = u64::from(self.groups());
        let lo = (u64::from(g) * self.n).div_ceil(k);
        let hi = ((u64::from(g) + 1) * self.n).div_ceil(k);
        lo as u32..hi as u32
    }

    /// Rounds of the first overlay phase: the Shuffle's tunneled multicast
    /// to one proxy per group, `groups + 2⌈log₂ n⌉` as in the paper (§4.3,
    /// §5.2, §7.1), or the Scatter's flood of `⌈log₂ n⌉ + t` rounds.
    pub fn first_phase_rounds(&self, overlay: &DeterministicOverlay) -> u32 {
        match self.variant {
            Variant::Basic | Variant::Byzantine => self.groups() + 2 * overlay.rounds_to_spread(),
            Variant::HighFailure => overlay.flood_ttl(self.t),
        }
    }

    /// Rounds of the second overlay phase: the Echo's encrypted multicast
    /// to the `t` other proxies (`t + ⌈log₂ n⌉`) or one round of direct
    /// copies, or the Gather's flood, or the `t + 1` agreement rounds.
    pub fn second_phase_rounds(&self, overlay: &DeterministicOverlay) -> u32 {
        match self.variant {
            Variant::Byzantine => self.agreement_rounds() * self.echo_rounds.max(1),
            Variant::Basic if self.echo == Echo::Direct => self.echo_rounds.max(1),
            Variant::Basic => PathSearch::multicast(overlay, self.t as usize).horizon as u32,
            Variant::HighFailure => overlay.flood_ttl(self.t),
        }
    }

    /// All overlay rounds of a query.
    pub fn overlay_rounds(&self, overlay: &DeterministicOverlay) -> u32 {
        self.first_phase_rounds(overlay) + self.second_phase_rounds(overlay)
    }

    /// The height of the tallest aggregation tree (a group of `m` nodes
    /// has `⌊log₂ m⌋` levels above its leaves).
    pub fn tree_height(&self) -> u32 {
        let m = (0..self.groups())
            .map(|g| self.group_members(g).len())
            .max()
            .unwrap_or(1)
            .max(1);
        usize::BITS - 1 - m.leading_zeros()
    }

    /// From a query's start to the end of its overlay rounds.
    pub fn overlay_duration(&self, overlay: &DeterministicOverlay) -> Time {
        Time(
            self.round_length
                .0
                .saturating_mul(u64::from(self.overlay_rounds(overlay))),
        )
    }

    /// From a query's start until the owner has every root's result in the
    /// worst case: the overlay rounds, every level's timeout, and the
    /// owner's own wait.
    pub fn query_duration(&self, overlay: &DeterministicOverlay) -> Time {
        self.overlay_duration(overlay)
            .plus(Time(
                self.level_timeout
                    .0
                    .saturating_mul(u64::from(self.tree_height()) + 1),
            ))
            .plus(self.result_timeout)
    }
}

/// A node's place in its group's aggregation tree (Tremel §4.3: "making the
/// lowest half of the IDs the leaves, and adding rows in ascending order").
///
/// Members sorted by identifier are laid out as a binary heap from the top:
/// the highest identifier is the root (the group's leader), position `p`
/// has children `2p + 1` and `2p + 2`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TreePlace {
    /// The parent, or `None` for the leader.
    pub parent: Option<u32>,
    /// The children.
    pub children: Vec<u32>,
    /// Levels below this node (0 for a leaf).
    pub height: u32,
}

impl TremelParams {
    /// Node `i`'s place in its group's tree.
    pub fn tree_place(&self, i: u32) -> TreePlace {
        let members = self.group_members(self.group_of(i));
        let len = members.end - members.start;
        let node_at = |p: u32| members.end - 1 - p;
        let p = members.end - 1 - i;
        let parent = (p > 0).then(|| node_at((p - 1) / 2));
        let children = [2 * p + 1, 2 * p + 2]
            .into_iter()
            .filter(|c| *c < len)
            .map(node_at)
            .collect();
        let mut height = 0;
        let mut c = 2 * u64::from(p) + 1;
        while c < u64::from(len) {
            height += 1;
            c = 2 * c + 1;
        }
        TreePlace {
            parent,
            children,
            height,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(n: u64, t: u32) -> TremelParams {
        TremelParams {
            n,
            t,
            variant: Variant::Basic,
            echo: Echo::Overlay,
            echo_rounds: 2,
            round_length: Time::from_millis(20),
            level_timeout: Time::from_millis(20),
            result_timeout: Time::from_millis(50),
        }
    }

    #[test]
    fn groups_partition_the_identifiers() {
        for (n, t) in [(11, 3), (1019, 10), (13, 12), (29, 0)] {
            let p = params(n, t);
            let mut seen = 0;
            for g in 0..p.groups() {
                let m = p.group_members(g);
                assert!(!m.is_empty());
                assert_eq!(m.start, seen);
                seen = m.end;
                assert!(m.clone().all(|i| p.group_of(i) == g));
            }
            assert_eq!(u64::from(seen), n);
        }
        assert!(params(11, 11).overlay().is_err());
        assert!(params(12, 1).overlay().is_err());
    }

    #[test]
    fn each_group_is_one_tree_rooted_at_its_highest_id() {
        let p = params(1019, 10);
        for g in 0..p.groups() {
            let members = p.group_members(g);
            let mut roots = 0;
            let mut edges = 0;
            for i in members.clone() {
                let place = p.tree_place(i);
                match place.parent {
                    None => {
                        roots += 1;
                        assert_eq!(i, members.end - 1);
                    }
                    Some(q) => {
                        assert!(p.tree_place(q).children.contains(&i));
                        assert_eq!(p.tree_place(q).height, {
                            let sib = p.tree_place(q).children;
                            sib.iter().map(|c| p.tree_place(*c).height).max().unwrap() + 1
                        });
                        edges += 1;
                    }
                }
            }
            assert_eq!(roots, 1);
            assert_eq!(edges, members.len() - 1);
            assert_eq!(
                p.tree_place(members.end - 1).height,
                p.tree_height()
                    .min(usize::BITS - 1 - members.len().leading_zeros())
            );
        }
        // The lowest half are leaves.
        let m = p.group_members(0);
        assert!(p.tree_place(m.start).children.is_empty());
    }

    #[test]
    fn phase_lengths_follow_the_paper() {
        let p = params(1019, 10);
        let o = p.overlay().unwrap();
        // k = 10: tunneled multicast to 11 proxies within 11 + 2·10 rounds,
        // echo to 10 within 10 + 10, or directly in one.
        assert_eq!(p.first_phase_rounds(&o), 31);
        assert_eq!(p.second_phase_rounds(&o), 20);
        let direct = TremelParams {
            echo: Echo::Direct,
            ..p
        };
        assert_eq!(direct.second_phase_rounds(&o), 2);
    }
}
