//! Gossip primitives as sans-IO nodes.
//!
//! * [`peers`] — peer selection: a uniform peer oracle, or a Newscast-style
//!   local view of `c` entries (Chiaroscuro Table 2: c = 30);
//! * [`push_sum`] — push-sum averaging and summation (Kempe, Dobra, Gehrke
//!   2003): one message per node per round;
//! * [`push_pull`] — push-pull averaging (Jelasity, Montresor, Babaoglu
//!   2005): request and reply, mass-conserving even when a node's
//!   exchanges overlap;
//! * [`epidemic`] — dissemination in which the smallest identifier wins
//!   (Chiaroscuro §4.2.2), which is also plain broadcast when one node
//!   proposes;
//! * [`flood`] — flooding on Tremel's deterministic overlay with a TTL of
//!   `⌈log₂ n⌉ + t` (Tremel §4.2).
//!
//! Values are estimated as `s / w`: with every `w = 1` the nodes converge
//! to the average, with `w = 1` at a single node to the sum (Kempe et al.
//! §3).

pub mod epidemic;
pub mod flood;
pub mod peers;
pub mod push_pull;
pub mod push_sum;

pub use epidemic::{Candidate, Dissemination, MinIdEpidemic, MinIdMessage};
pub use flood::{FloodMessage, OverlayFlood};
pub use peers::{PeerSampler, PeerSampling, ViewEntry};
pub use push_pull::{PushPull, PushPullMessage};
pub use push_sum::{GossipConfig, GossipTimer, Mass, PushSum, PushSumMessage};
