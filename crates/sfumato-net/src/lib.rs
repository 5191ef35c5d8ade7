//! sfumato's network runtime (ARCHITECTURE.md, "Runtimes"): the same
//! sans-IO protocol nodes the simulator runs, driven over real
//! connections.
//!
//! * [`frame`] — a message on the wire: the simulator's exact encoding in
//!   a length-prefixed frame with the sender's incarnation and number;
//! * [`identity`], [`directory`], [`tls`] — each node's long-term Ed25519
//!   key and certificate; the deployment directory (Tremel §2's membership
//!   service); mutually authenticated TLS 1.3 channels that accept only
//!   the directory's nodes;
//! * [`store`] — durable state in SQLite: node identities, each node's
//!   snapshot with its pending timers, the events it reported, written
//!   before any message it caused leaves the host;
//! * [`host`] — one process running many nodes: real clock and timers,
//!   inbound and outbound channels, `handle_undeliverable` when a peer
//!   cannot be reached, counters of what it rejected.
//!
//! Randomness comes from the OS unless a run is given the loudly named
//! [`host::Randomness::InsecureTestSeed`], which replays the simulator's
//! streams so that both runtimes can be compared bit for bit.

pub mod counters;
pub mod directory;
pub mod error;
pub mod frame;
pub mod fuzz;
pub mod host;
pub mod identity;
pub mod store;
pub mod tls;

pub use counters::{CounterSnapshot, Counters};
pub use directory::{Directory, DirectoryEntry, HostEntry, Membership};
pub use error::{NetError, Result};
pub use frame::{Frame, FrameDecoder};
pub use host::{Host, HostConfig, HostReport, NodeCodec, Randomness};
pub use identity::NodeIdentity;
pub use store::Store;
