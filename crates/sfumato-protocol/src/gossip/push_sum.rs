//! Push-sum (Kempe, Dobra, Gehrke 2003, "Gossip-based computation of
//! aggregate information", Alg. Push-Sum).
//!
//! Each node holds a mass `(s, w)`. Once per round it keeps half and
//! pushes the other half to a peer; received halves are added. Every
//! estimate `s / w` converges to `Σ s₀ / Σ w₀` at a geometric rate, and the
//! total mass is conserved exactly as long as no message is lost: a push
//! the runtime reports undeliverable (a disconnection) is taken back.

use serde::{Deserialize, Serialize};

use crate::context::NodeContext;
use crate::error::{ProtocolError, Result};
use crate::gossip::peers::{PeerSampler, PeerSampling, ViewEntry};
use crate::message::Message;
use crate::node::{Node, NodeId, Time};

/// A gossip mass: value sum `s` and weight `w`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Mass {
    /// The value part.
    pub s: f64,
    /// The weight part.
    pub w: f64,
}

impl Mass {
    /// The estimate `s / w`, if the weight is positive.
    pub fn estimate(self) -> Option<f64> {
        (self.w > 0.0).then(|| self.s / self.w)
    }
}

/// The push of half a mass.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PushSumMessage {
    /// The half pushed.
    pub mass: Mass,
    /// The sender's Newscast view, if it uses one.
    pub view: Option<Vec<ViewEntry>>,
}

impl Message for PushSumMessage {}

/// How a gossip node chooses peers and how often it gossips; checked at
/// construction, so the nodes built from it cannot fail.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct GossipConfig {
    population: u32,
    sampling: PeerSampling,
    period: Time,
    rounds: u32,
}

impl GossipConfig {
    /// `population` nodes (at least 2) choosing peers with `sampling`,
    /// gossiping every `period` (positive), `rounds` times each.
    pub fn new(population: u32, sampling: PeerSampling, period: Time, rounds: u32) -> Result<Self> {
        if population < 2 {
            return Err(ProtocolError::invalid(
                "population",
                "gossip needs at least 2 nodes",
            ));
        }
        if let PeerSampling::Newscast { view_size: 0 } = sampling {
            return Err(ProtocolError::invalid("view size", "must be at least 1"));
        }
        if period.0 == 0 {
            return Err(ProtocolError::invalid("period", "must be positive"));
        }
        Ok(GossipConfig {
            population,
            sampling,
            period,
            rounds,
        })
    }

    /// The population size.
    pub fn population(&self) -> u32 {
        self.population
    }

    /// The time between two gossip actions of a node.
    pub fn period(&self) -> Time {
        self.period
    }

    /// How many gossip actions a node initiates.
    pub fn rounds(&self) -> u32 {
        self.rounds
    }

    /// The same with `rounds` actions.
    pub fn with_rounds(self, rounds: u32) -> Self {
        GossipConfig { rounds, ..self }
    }

    /// The node's peer sampler (cannot fail: the configuration was checked).
    pub(crate) fn sampler<R: rand_core::CryptoRng + ?Sized>(
        &self,
        me: NodeId,
        rng: &mut R,
    ) -> PeerSampler {
        PeerSampler::new(self.sampling, me, self.population, rng).unwrap_or(PeerSampler::Uniform {
            population: self.population,
        })
    }
}

/// The periodic "gossip now" timer of the gossip nodes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GossipTimer;

/// A push-sum participant.
///
/// Call order: `start` makes the first push at once and sets a timer one
/// `period` later; each timer makes the next push, for `rounds` pushes in
/// all; messages add mass whenever they arrive.
#[derive(Clone, Debug)]
pub struct PushSum {
    mass: Mass,
    peers: PeerSampler,
    period: Time,
    rounds: u32,
    pushes: u32,
}

impl PushSum {
    /// A node with mass `initial` that gossips as `config` says (`rng` only
    /// bootstraps a Newscast view: pass the node's own stream).
    pub fn new<R: rand_core::CryptoRng + ?Sized>(
        me: NodeId,
        initial: Mass,
        config: &GossipConfig,
        rng: &mut R,
    ) -> PushSum {
        PushSum {
            mass: initial,
            peers: config.sampler(me, rng),
            period: config.period(),
            rounds: config.rounds(),
            pushes: 0,
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

    /// Pushes made so far.
    pub fn pushes(&self) -> u32 {
        self.pushes
    }

    fn push(&mut self, now: Time, ctx: &mut NodeContext<'_, Self>) {
        if self.pushes >= self.rounds {
            return;
        }
        self.pushes += 1;
        let me = ctx.id();
        if let Some(peer) = self.peers.select(me, ctx.rng()) {
            let half = Mass {
                s: self.mass.s / 2.0,
                w: self.mass.w / 2.0,
            };
            self.mass.s -= half.s;
            self.mass.w -= half.w;
            let view = self.peers.outgoing(me, now);
            ctx.send(peer, PushSumMessage { mass: half, view });
        }
        if self.pushes < self.rounds {
            ctx.set_timer(now.plus(self.period), GossipTimer);
        }
    }
}

impl Node for PushSum {
    type Message = PushSumMessage;
    type Timer = GossipTimer;
    type Event = ();

    fn start(&mut self, ctx: &mut NodeContext<'_, Self>) {
        let now = ctx.now();
        self.push(now, ctx);
    }

    fn handle_message(
        &mut self,
        _now: Time,
        _from: NodeId,
        msg: PushSumMessage,
        ctx: &mut NodeContext<'_, Self>,
    ) {
        self.mass.s += msg.mass.s;
        self.mass.w += msg.mass.w;
        if let Some(view) = &msg.view {
            self.peers.merge(ctx.id(), view);
        }
    }

    fn handle_timer(&mut self, now: Time, _timer: GossipTimer, ctx: &mut NodeContext<'_, Self>) {
        self.push(now, ctx);
    }

    fn handle_undeliverable(
        &mut self,
        _now: Time,
        _to: NodeId,
        msg: PushSumMessage,
        _ctx: &mut NodeContext<'_, Self>,
    ) {
        // A disconnection: take the half back, so no mass is lost.
        self.mass.s += msg.mass.s;
        self.mass.w += msg.mass.w;
    }
}
