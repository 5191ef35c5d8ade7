//! Tremel et al.'s deterministic gossip overlay (Tremel §4.1, §7.2).
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
//!   checks of both properties.

pub mod error;
pub mod overlay;
pub mod suitable;

pub use error::{OverlayError, Result};
pub use overlay::DeterministicOverlay;
pub use suitable::{SizePlan, gap_histogram, is_suitable, suitable_sizes};
