//! Epidemic dissemination in which the smallest identifier wins
//! (Chiaroscuro §4.2.2): several nodes may propose a value, each under a
//! random identifier; nodes gossip their current candidate and adopt any
//! candidate with a smaller identifier, so the whole population ends up
//! agreeing on one proposal without coordination. With a single proposer it
//! is plain epidemic broadcast — the random push gossip Tremel Fig. 8
//! compares the deterministic overlay with.

use serde::{Deserialize, Serialize};

use crate::context::NodeContext;
use crate::gossip::peers::PeerSampler;
use crate::gossip::push_sum::{GossipConfig, GossipTimer};
use crate::message::Message;
use crate::node::{Node, NodeId, Time};

/// A proposal and its identifier.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Candidate<V> {
    /// The identifier; the smallest wins.
    pub id: u64,
    /// The proposed value.
    pub value: V,
}

/// How nodes spread candidates.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Dissemination {
    /// Informed nodes push their candidate to one peer per round.
    Push,
    /// Every node exchanges candidates with one peer per round.
    PushPull,
}

/// The messages of the epidemic.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum MinIdMessage<V> {
    /// A pushed candidate.
    Push(Candidate<V>),
    /// A push-pull request with the initiator's candidate, if any.
    Request(Option<Candidate<V>>),
    /// The responder's candidate after the merge, if any.
    Reply(Option<Candidate<V>>),
}

impl<V> Message for MinIdMessage<V> where
    V: Clone + core::fmt::Debug + Send + Serialize + for<'de> Deserialize<'de> + 'static
{
}

/// A participant of the epidemic.
///
/// Call order: `start` gossips at once and sets a timer one period later;
/// each timer gossips again, `rounds` times in all; messages are merged
/// whenever they arrive.
#[derive(Clone, Debug)]
pub struct MinIdEpidemic<V> {
    current: Option<Candidate<V>>,
    informed_at: Option<Time>,
    peers: PeerSampler,
    mode: Dissemination,
    period: Time,
    rounds: u32,
    acted: u32,
}

impl<V> MinIdEpidemic<V>
where
    V: Clone + core::fmt::Debug + Send + Serialize + for<'de> Deserialize<'de> + 'static,
{
    /// A node proposing `proposal` (or nothing), gossiping as `config` says.
    pub fn new<R: rand_core::CryptoRng + ?Sized>(
        me: NodeId,
        proposal: Option<Candidate<V>>,
        mode: Dissemination,
        config: &GossipConfig,
        rng: &mut R,
    ) -> MinIdEpidemic<V> {
        MinIdEpidemic {
            informed_at: proposal.as_ref().map(|_| Time::ZERO),
            current: proposal,
            peers: config.sampler(me, rng),
            mode,
            period: config.period(),
            rounds: config.rounds(),
            acted: 0,
        }
    }

    /// The candidate the node holds.
    pub fn current(&self) -> Option<&Candidate<V>> {
        self.current.as_ref()
    }

    /// When the node first held a candidate.
    pub fn informed_at(&self) -> Option<Time> {
        self.informed_at
    }

    fn offer(&mut self, now: Time, c: Option<Candidate<V>>) {
        if let Some(c) = c {
            let better = self.current.as_ref().is_none_or(|cur| c.id < cur.id);
            if better {
                self.current = Some(c);
                self.informed_at.get_or_insert(now);
            }
        }
    }

    fn gossip(&mut self, now: Time, ctx: &mut NodeContext<'_, Self>) {
        if self.acted >= self.rounds {
            return;
        }
        self.acted += 1;
        let me = ctx.id();
        let wants = match self.mode {
            Dissemination::Push => self.current.is_some(),
            Dissemination::PushPull => true,
        };
        if wants && let Some(peer) = self.peers.select(me, ctx.rng()) {
            let msg = match self.mode {
                Dissemination::Push => self.current.clone().map(MinIdMessage::Push),
                Dissemination::PushPull => Some(MinIdMessage::Request(self.current.clone())),
            };
            if let Some(msg) = msg {
                ctx.send(peer, msg);
            }
        }
        if self.acted < self.rounds {
            ctx.set_timer(now.plus(self.period), GossipTimer);
        }
    }
}

impl<V> Node for MinIdEpidemic<V>
where
    V: Clone + core::fmt::Debug + Send + Serialize + for<'de> Deserialize<'de> + 'static,
{
    type Message = MinIdMessage<V>;
    type Timer = GossipTimer;
    type Event = ();

    fn start(&mut self, ctx: &mut NodeContext<'_, Self>) {
        let now = ctx.now();
        self.gossip(now, ctx);
    }

    fn handle_message(
        &mut self,
        now: Time,
        from: NodeId,
        msg: MinIdMessage<V>,
        ctx: &mut NodeContext<'_, Self>,
    ) {
        match msg {
            MinIdMessage::Push(c) => self.offer(now, Some(c)),
            MinIdMessage::Request(c) => {
                self.offer(now, c);
                ctx.send(from, MinIdMessage::Reply(self.current.clone()));
            }
            MinIdMessage::Reply(c) => self.offer(now, c),
        }
    }

    fn handle_timer(&mut self, now: Time, _timer: GossipTimer, ctx: &mut NodeContext<'_, Self>) {
        self.gossip(now, ctx);
    }
}
