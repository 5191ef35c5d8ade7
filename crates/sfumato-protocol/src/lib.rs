//! sfumato's sans-IO protocol nodes (ARCHITECTURE.md, "The node model").
//!
//! Every participant of every protocol is a plain state machine that
//! implements [`Node`]: the runtime feeds it `start`, messages and timers,
//! and gathers what it wants to do — messages to send, timers to set,
//! events to report, CPU work to account — through a [`Context`]. Protocol
//! code never reads a clock, OS randomness, threads or sockets: time comes
//! from `now`, randomness from [`Context::rng`], a per-node stream derived
//! from the run seed and the node id.
//!
//! * [`node`] — the contract ([`Node`], [`NodeId`], [`Time`]) and its call
//!   order;
//! * [`context`] — what a handler can do;
//! * [`rng`] — the per-node counter-based ChaCha8 stream;
//! * [`message`] — the stable wire encoding (postcard) and encoded sizes;
//! * [`chiaroscuro`] — Chiaroscuro's private k-means (in progress);
//! * [`dream`] — DREAM's meters and supplier (Ács & Castelluccia 2011);
//! * [`tremel`] — Tremel et al.'s anonymous, crash-tolerant queries;
//! * [`gossip`] — push-sum, push-pull, peer sampling (uniform or
//!   Newscast), smallest-identifier-wins epidemics and overlay flooding.

pub mod chiaroscuro;
pub mod context;
pub mod dream;
pub mod error;
pub mod gossip;
pub mod message;
pub mod node;
pub mod rng;
pub mod tremel;

pub use context::{Context, NodeContext, Outgoing};
pub use error::{ProtocolError, Result};
pub use message::{Message, decode, encode};
pub use node::{Node, NodeId, Time};
pub use rng::{BulkRng, NodeRng, RngKey};
