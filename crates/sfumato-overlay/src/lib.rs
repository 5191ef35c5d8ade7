//! Tremel et al.'s deterministic gossip overlay (Tremel §4.1, §4.2, §7.2).
//!
//! Nodes `0..n` gossip in rounds; node `i` in round `j` sends to
//! `g(i, j) = ((i + 2^j) mod n, (j + 1) mod (n − 1))`. When `n` is a prime
//! with 2 as a primitive root (a *suitable* size), the layered gossip graph
//! has the **efficiency** property (every node reaches every other in
//! `⌈log₂ n⌉` rounds, Def. 4.2) and the **uniformity** property (each
//! ordered pair meets exactly once every `n − 1` rounds, Def. 4.3).
//!
//! * [`suitable`] — suitable sizes: a sieve finds all of them up to 2·10⁷
//!   in well under a second (Tremel §7.2 counts 475,333), their gaps
//!   (Fig. 4), and the policy for populations of other sizes;
//! * [`overlay`] — the partner function, paths of `⌈log₂ n⌉` hops, and
//!   checks of both properties;
//! * [`paths`] — tunneled messages (§4.2): the shortest path in rounds with
//!   at least `⌈⌈log₂ n⌉/2⌉` nodes (footnote 7), found breadth-first in
//!   closed form without holding the frontier;
//! * [`multicast`] — disjoint multicast (§4.2, Fig. 2a): node-disjoint
//!   paths to `k` receivers by repeated search, and a disjointness check;
//! * [`flood`] — flooding (§4.2): a reference simulation with crashed nodes
//!   and a TTL of `⌈log₂ n⌉ + t`.

pub mod error;
pub mod flood;
pub mod multicast;
pub mod overlay;
pub mod paths;
pub mod suitable;

pub use error::{OverlayError, Result};
pub use flood::FloodOutcome;
pub use multicast::paths_are_node_disjoint;
pub use overlay::{DeterministicOverlay, Vertex};
pub use paths::{Path, PathSearch};
pub use suitable::{SizePlan, gap_histogram, is_suitable, suitable_sizes};
