//! The hook for Byzantine behaviour: an adversary wraps an honest node and
//! rewrites what it sends or refuses what it receives, without any change
//! to protocol code (ARCHITECTURE.md: fault models live in the runtime).
//!
//! Build the population with [`Participant::Honest`] for most ids and
//! [`Participant::Byzantine`] for the corrupted ones; the simulator runs it
//! like any other node type.

use sfumato_protocol::context::Outgoing;
use sfumato_protocol::{Node, NodeContext, NodeId, NodeRng, Time};

/// What a corrupted node does differently.
pub trait Adversary<N: Node> {
    /// Rewrites, drops or adds to the messages the wrapped node just asked
    /// to send (in place).
    fn tamper(
        &mut self,
        me: NodeId,
        now: Time,
        outgoing: &mut Vec<Outgoing<N::Message>>,
        rng: &mut NodeRng,
    );

    /// Whether the node processes an incoming message at all (default:
    /// yes).
    fn accept(&mut self, from: NodeId, msg: &N::Message) -> bool {
        let _ = (from, msg);
        true
    }
}

/// An adversary that never sends anything (a node that crashed but keeps
/// its place, or a "silent" Byzantine node).
#[derive(Clone, Copy, Debug, Default)]
pub struct Silent;

impl<N: Node> Adversary<N> for Silent {
    fn tamper(
        &mut self,
        _: NodeId,
        _: Time,
        outgoing: &mut Vec<Outgoing<N::Message>>,
        _: &mut NodeRng,
    ) {
        outgoing.clear();
    }
}

/// A participant: honest, or an honest node under an adversary's control.
#[derive(Clone, Debug)]
pub enum Participant<N, A> {
    /// Runs the protocol as written.
    Honest(N),
    /// Runs the protocol through `adversary`.
    Byzantine {
        /// The wrapped node.
        node: N,
        /// What it does differently.
        adversary: A,
    },
}

impl<N, A> Participant<N, A> {
    /// The wrapped node, honest or not.
    pub fn node(&self) -> &N {
        match self {
            Participant::Honest(n) | Participant::Byzantine { node: n, .. } => n,
        }
    }

    /// Whether the participant is corrupted.
    pub fn is_byzantine(&self) -> bool {
        matches!(self, Participant::Byzantine { .. })
    }
}

impl<N: Node, A: Adversary<N>> Participant<N, A> {
    fn after(&mut self, now: Time, ctx: &mut NodeContext<'_, N>) {
        if let Participant::Byzantine { adversary, .. } = self {
            let me = ctx.id();
            let (outgoing, rng) = ctx.outgoing_and_rng();
            adversary.tamper(me, now, outgoing, rng);
        }
    }
}

impl<N: Node, A: Adversary<N>> Node for Participant<N, A> {
    type Message = N::Message;
    type Timer = N::Timer;
    type Event = N::Event;

    fn start(&mut self, ctx: &mut NodeContext<'_, Self>) {
        let now = ctx.now();
        match self {
            Participant::Honest(n) | Participant::Byzantine { node: n, .. } => n.start(ctx),
        }
        self.after(now, ctx);
    }

    fn handle_message(
        &mut self,
        now: Time,
        from: NodeId,
        msg: N::Message,
        ctx: &mut NodeContext<'_, Self>,
    ) {
        match self {
            Participant::Honest(n) => n.handle_message(now, from, msg, ctx),
            Participant::Byzantine { node, adversary } => {
                if adversary.accept(from, &msg) {
                    node.handle_message(now, from, msg, ctx);
                }
            }
        }
        self.after(now, ctx);
    }

    fn handle_timer(&mut self, now: Time, timer: N::Timer, ctx: &mut NodeContext<'_, Self>) {
        match self {
            Participant::Honest(n) | Participant::Byzantine { node: n, .. } => {
                n.handle_timer(now, timer, ctx)
            }
        }
        self.after(now, ctx);
    }

    fn handle_undeliverable(
        &mut self,
        now: Time,
        to: NodeId,
        msg: N::Message,
        ctx: &mut NodeContext<'_, Self>,
    ) {
        match self {
            Participant::Honest(n) | Participant::Byzantine { node: n, .. } => {
                n.handle_undeliverable(now, to, msg, ctx)
            }
        }
        self.after(now, ctx);
    }
}
