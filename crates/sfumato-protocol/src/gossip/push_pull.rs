//! Push-pull averaging (Jelasity, Montresor, Babaoglu 2005, "Gossip-based
//! aggregation in large dynamic networks", Fig. 1), in a form that
//! conserves mass even when a node's exchanges overlap.
//!
//! The textbook exchange — both sides set their value to the mean of the
//! two — loses or creates mass when the initiator's value changes between
//! its request and the reply (another exchange landed in between). Here
//! the responder computes the transfer `Δ = (a − b) / 2` from the
//! initiator's value `a` carried by the request, adds `Δ` to itself and
//! replies with `Δ`; the initiator subtracts `Δ`. Every exchange then moves
//! mass from one node to the other and the total is invariant whatever the
//! interleaving. A reply the runtime reports undeliverable is reverted by
//! the responder, so disconnections conserve mass too; silent losses do
//! not.

use serde::{Deserialize, Serialize};

use crate::context::NodeContext;
use crate::gossip::peers::{PeerSampler, ViewEntry};
use crate::gossip::push_sum::{GossipConfig, GossipTimer, Mass};
use crate::message::Message;
use crate::node::{Node, NodeId, Time};

/// The two messages of an exchange.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum PushPullMessage {
    /// The initiator's mass and view.
    Request {
        /// The initiator's mass when it asked.
        mass: Mass,
        /// The initiator's Newscast view, if any.
        view: Option<Vec<ViewEntry>>,
    },
    /// The transfer the responder applied, and its view.
    Reply {
        /// `Δ`: the responder added it, the initiator subtracts it.
        delta: Mass,
        /// The responder's Newscast view, if any.
        view: Option<Vec<ViewEntry>>,
    },
}

impl Message for PushPullMessage {}

/// A push-pull participant.
///
/// Call order: `start` sends the first request at once and sets a timer
/// one `period` later; each timer sends the next request, `rounds` in all;
/// requests are answered whenever they arrive, replies applied whenever
/// they arrive.
#[derive(Clone, Debug)]
pub struct PushPull {
    mass: Mass,
    peers: PeerSampler,
    period: Time,
    rounds: u32,
    requests: u32,
}

impl PushPull {
    /// As [`crate::gossip::PushSum::new`].
    pub fn new<R: rand_core::CryptoRng + ?Sized>(
        me: NodeId,
        initial: Mass,
        config: &GossipConfig,
        rng: &mut R,
    ) -> PushPull {
        PushPull {
            mass: initial,
            peers: config.sampler(me, rng),
            period: config.period(),
            rounds: config.rounds(),
            requests: 0,
        }
    }

    /// The current mass.
    pub fn mass(&self) -> Mass {
        self.mass
    }

    /// The current estimate `s / w`.
    pub fn estimate(&self) -> Option<f64> {
        self.mass.estimate()
    }

    fn request(&mut self, now: Time, ctx: &mut NodeContext<'_, Self>) {
        if self.requests >= self.rounds {
            return;
        }
        self.requests += 1;
        let me = ctx.id();
        if let Some(peer) = self.peers.select(me, ctx.rng()) {
            let view = self.peers.outgoing(me, now);
            ctx.send(
                peer,
                PushPullMessage::Request {
                    mass: self.mass,
                    view,
                },
            );
        }
        if self.requests < self.rounds {
            ctx.set_timer(now.plus(self.period), GossipTimer);
        }
    }
}

impl Node for PushPull {
    type Message = PushPullMessage;
    type Timer = GossipTimer;
    type Event = ();

    fn start(&mut self, ctx: &mut NodeContext<'_, Self>) {
        let now = ctx.now();
        self.request(now, ctx);
    }

    fn handle_message(
        &mut self,
        now: Time,
        from: NodeId,
        msg: PushPullMessage,
        ctx: &mut NodeContext<'_, Self>,
    ) {
        let me = ctx.id();
        match msg {
            PushPullMessage::Request { mass, view } => {
                let delta = Mass {
                    s: (mass.s - self.mass.s) / 2.0,
                    w: (mass.w - self.mass.w) / 2.0,
                };
                self.mass.s += delta.s;
                self.mass.w += delta.w;
                let reply_view = self.peers.outgoing(me, now);
                if let Some(v) = &view {
                    self.peers.merge(me, v);
                }
                ctx.send(
                    from,
                    PushPullMessage::Reply {
                        delta,
                        view: reply_view,
                    },
                );
            }
            PushPullMessage::Reply { delta, view } => {
                self.mass.s -= delta.s;
                self.mass.w -= delta.w;
                if let Some(v) = &view {
                    self.peers.merge(me, v);
                }
            }
        }
    }

    fn handle_timer(&mut self, now: Time, _timer: GossipTimer, ctx: &mut NodeContext<'_, Self>) {
        self.request(now, ctx);
    }

    fn handle_undeliverable(
        &mut self,
        _now: Time,
        _to: NodeId,
        msg: PushPullMessage,
        _ctx: &mut NodeContext<'_, Self>,
    ) {
        // An undelivered request changed nothing; an undelivered reply is
        // reverted so that the exchange never happened.
        if let PushPullMessage::Reply { delta, .. } = msg {
            self.mass.s -= delta.s;
            self.mass.w -= delta.w;
        }
    }
}
