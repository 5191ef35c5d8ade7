//! One node type for a DREAM deployment: a meter or the supplier.

use serde::{Deserialize, Serialize};

use crate::context::NodeContext;
use crate::dream::messages::DreamMessage;
use crate::dream::meter::Meter;
use crate::dream::supplier::Supplier;
use crate::node::{Node, NodeId, Time};

/// Timers of DREAM nodes (serializable: the network runtime keeps a
/// node's pending timers with its durable state).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum DreamTimer {
    /// Meter: take and send slot t's reading.
    Slot(u32),
    /// Supplier: registration is over, send the directory.
    Setup,
    /// Supplier: the first-round window of slot t is over.
    Collect(u32),
    /// Supplier: the second-round window of slot t is over.
    Finish(u32),
}

/// How a slot ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SlotStatus {
    /// The noisy total was published.
    Published,
    /// One-round protocol (M = 0) and a meter was missing: the dummy keys
    /// do not cancel.
    MissingWithoutRecovery,
    /// More than M meters were missing: the shares present would not add up
    /// to the noise ε needs, so the supplier did not try.
    TooManyMissing,
    /// A meter refused the second round.
    Refused,
    /// A meter that answered the first round did not answer the second.
    SecondRoundIncomplete,
}

/// The supplier's account of one slot.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlotOutcome {
    /// The slot.
    pub slot: u32,
    /// The noisy total in reading units, when published.
    pub published: Option<i64>,
    /// Meters whose reading arrived.
    pub reporting: u32,
    /// Meters missing.
    pub missing: u32,
    /// How it ended.
    pub status: SlotStatus,
}

/// What DREAM nodes report.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum DreamEvent {
    /// The supplier settled a slot.
    Slot(SlotOutcome),
}

/// A meter or a supplier.
#[derive(Debug)]
pub enum DreamNode {
    /// A smart meter.
    Meter(Box<Meter>),
    /// The supplier (aggregator) of a cluster.
    Supplier(Box<Supplier>),
}

impl DreamNode {
    /// The node's durable state ([`Meter::snapshot`],
    /// [`Supplier::snapshot`]).
    pub fn snapshot(&self) -> crate::error::Result<zeroize::Zeroizing<Vec<u8>>> {
        match self {
            DreamNode::Meter(m) => m.snapshot(),
            DreamNode::Supplier(s) => s.snapshot(),
        }
    }

    /// The supplier, if this is one.
    pub fn supplier(&self) -> Option<&Supplier> {
        match self {
            DreamNode::Supplier(s) => Some(s),
            DreamNode::Meter(_) => None,
        }
    }

    /// The meter, if this is one.
    pub fn meter(&self) -> Option<&Meter> {
        match self {
            DreamNode::Meter(m) => Some(m),
            DreamNode::Supplier(_) => None,
        }
    }
}

impl Node for DreamNode {
    type Message = DreamMessage;
    type Timer = DreamTimer;
    type Event = DreamEvent;

    fn start(&mut self, ctx: &mut NodeContext<'_, Self>) {
        match self {
            DreamNode::Meter(m) => m.start(ctx),
            DreamNode::Supplier(s) => s.start(ctx),
        }
    }

    fn handle_message(
        &mut self,
        now: Time,
        from: NodeId,
        msg: DreamMessage,
        ctx: &mut NodeContext<'_, Self>,
    ) {
        match self {
            DreamNode::Meter(m) => m.on_message(now, from, msg, ctx),
            DreamNode::Supplier(s) => s.on_message(now, from, msg, ctx),
        }
    }

    fn handle_timer(&mut self, now: Time, timer: DreamTimer, ctx: &mut NodeContext<'_, Self>) {
        match self {
            DreamNode::Meter(m) => m.on_timer(now, timer, ctx),
            DreamNode::Supplier(s) => s.on_timer(now, timer, ctx),
        }
    }
}
