//! The sans-IO node contract (ARCHITECTURE.md, "The node model").

use core::fmt;
use core::fmt::Debug;

use serde::{Deserialize, Serialize};

use crate::context::NodeContext;
use crate::message::Message;

/// A participant's identifier: `0..n` in a population of `n`.
///
/// Thirty-two bits cover every population sfumato simulates (the papers go
/// up to 10⁸) and keep per-node bookkeeping small.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct NodeId(pub u32);

impl NodeId {
    /// The identifier as an index.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

impl fmt::Display for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// A point in (virtual or real) time, in microseconds since the run began.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Time(pub u64);

impl Time {
    /// The start of the run.
    pub const ZERO: Time = Time(0);

    /// `ms` milliseconds.
    pub const fn from_millis(ms: u64) -> Time {
        Time(ms * 1000)
    }

    /// `us` microseconds.
    pub const fn from_micros(us: u64) -> Time {
        Time(us)
    }

    /// Microseconds since the start.
    pub const fn as_micros(self) -> u64 {
        self.0
    }

    /// Milliseconds since the start, as a float for display.
    pub fn as_millis_f64(self) -> f64 {
        self.0 as f64 / 1000.0
    }

    /// `self + d`, saturating.
    pub const fn plus(self, d: Time) -> Time {
        Time(self.0.saturating_add(d.0))
    }
}

impl fmt::Display for Time {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:.3} ms", self.as_millis_f64())
    }
}

/// A protocol participant as a state machine.
///
/// # Call order
///
/// A runtime (the simulator or the network runtime) drives each node as
/// follows, and a node may rely on exactly this:
///
/// 1. [`Node::start`] once, at time zero, before anything else;
/// 2. then, in non-decreasing `now`, any sequence of
///    [`Node::handle_message`], [`Node::handle_timer`] and
///    [`Node::handle_undeliverable`]. At one instant the runtime delivers
///    the messages due first (in the order of sender id, then of the
///    sender's sending order), then the timers due (in the order they were
///    set);
/// 3. a timer fires once, at or after the time it was set for (never
///    before); timers cannot be cancelled — a node ignores the ones it no
///    longer needs;
/// 4. a message sent at `now` is handled by its receiver strictly later
///    (after at least one tick of the runtime's clock), or not at all if
///    it is lost or the receiver has crashed; when the runtime can tell
///    the sender that a message did not arrive (a disconnection,
///    Chiaroscuro §6.1.5) it calls [`Node::handle_undeliverable`] with the
///    message, instead of delivering it;
/// 5. a crashed node is never called again.
///
/// Handlers never block, never read clocks or OS randomness and never do
/// IO: everything goes through the [`NodeContext`].
pub trait Node {
    /// The messages nodes of this protocol exchange.
    type Message: Message;
    /// The node's own timer tokens.
    type Timer: Clone + Debug + Send + 'static;
    /// What the node reports to the runtime's user (an aggregate, a
    /// finished iteration).
    type Event: Clone + Debug + Send + Serialize + for<'de> Deserialize<'de> + 'static;

    /// Called once, first, at time zero.
    fn start(&mut self, ctx: &mut NodeContext<'_, Self>);

    /// A message `msg` from `from` arrived at `now`.
    fn handle_message(
        &mut self,
        now: Time,
        from: NodeId,
        msg: Self::Message,
        ctx: &mut NodeContext<'_, Self>,
    );

    /// A timer set earlier is due at `now`.
    fn handle_timer(&mut self, now: Time, timer: Self::Timer, ctx: &mut NodeContext<'_, Self>);

    /// The runtime could not deliver `msg` to `to` and says so (the
    /// default ignores it).
    fn handle_undeliverable(
        &mut self,
        now: Time,
        to: NodeId,
        msg: Self::Message,
        ctx: &mut NodeContext<'_, Self>,
    ) {
        let _ = (now, to, msg, ctx);
    }
}
