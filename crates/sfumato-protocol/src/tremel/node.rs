//! One node type for runtimes: a client (meter) or the owner.

use serde::{Deserialize, Serialize};

use crate::context::NodeContext;
use crate::node::{Node, NodeId, Time};
use crate::tremel::client::Client;
use crate::tremel::messages::TremelMessage;
use crate::tremel::onions::OnionSuite;
use crate::tremel::owner::{Owner, QueryAnswer};

/// Timers of Tremel's nodes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum TremelTimer {
    /// A client's send of relative round `round`.
    Round {
        /// The query.
        query: u64,
        /// The round.
        round: u32,
    },
    /// A client's start of the Aggregate phase.
    Aggregate {
        /// The query.
        query: u64,
    },
    /// A client's last moment to wait for its children.
    LevelDeadline {
        /// The query.
        query: u64,
    },
    /// The owner's broadcast of planned query `index`.
    Ask {
        /// Index in the plan.
        index: u32,
    },
    /// The owner's wait after its `heard`-th result.
    OwnerWait {
        /// The query.
        query: u64,
        /// Results heard when it was set.
        heard: u32,
    },
    /// The owner's last moment for a query.
    OwnerDeadline {
        /// The query.
        query: u64,
    },
}

/// What Tremel's nodes report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum TremelEvent {
    /// The owner decided a query.
    Answered(QueryAnswer),
}

/// A Tremel node.
#[derive(Clone, Debug)]
pub enum TremelNode<S: OnionSuite> {
    /// A meter.
    Client(Box<Client<S>>),
    /// The system owner.
    Owner(Box<Owner>),
}

impl<S: OnionSuite> TremelNode<S> {
    /// The client, if this is one.
    pub fn as_client(&self) -> Option<&Client<S>> {
        match self {
            TremelNode::Client(c) => Some(c),
            TremelNode::Owner(_) => None,
        }
    }
}

impl<S: OnionSuite> Node for TremelNode<S> {
    type Message = TremelMessage<S::Packet>;
    type Timer = TremelTimer;
    type Event = TremelEvent;

    fn start(&mut self, ctx: &mut NodeContext<'_, Self>) {
        if let TremelNode::Owner(o) = self {
            o.on_start::<S>(ctx);
        }
    }

    fn handle_message(
        &mut self,
        now: Time,
        from: NodeId,
        msg: Self::Message,
        ctx: &mut NodeContext<'_, Self>,
    ) {
        match self {
            TremelNode::Client(c) => c.on_message(from, msg, ctx),
            TremelNode::Owner(o) => o.on_message::<S>(now, from, msg, ctx),
        }
    }

    fn handle_timer(&mut self, now: Time, timer: TremelTimer, ctx: &mut NodeContext<'_, Self>) {
        match self {
            TremelNode::Client(c) => c.on_timer(now, timer, ctx),
            TremelNode::Owner(o) => o.on_timer::<S>(now, timer, ctx),
        }
    }
}
