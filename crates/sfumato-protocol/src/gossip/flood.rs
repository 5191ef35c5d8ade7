//! Flooding on Tremel's deterministic overlay (Tremel §4.2).
//!
//! The source gives the message a time-to-live of `⌈log₂ n⌉ + t`. In
//! round `j` a node holding the message with TTL > 0 sends it to its gossip
//! partner `g(i, j)` with the TTL decremented, and keeps its own copy with
//! the TTL decremented (the "stay" edge of the layered graph); a receiver
//! keeps the largest TTL it has seen. By the efficiency and uniformity
//! properties every live node has the message after `⌈log₂ n⌉ + f` rounds,
//! `f` being the number of actual failures.
//!
//! Rounds are global: round `j` is `now / period`, so every node must run
//! with the same period and start at time zero (round mode does this).

use serde::{Deserialize, Serialize};
use sfumato_overlay::DeterministicOverlay;

use crate::context::NodeContext;
use crate::gossip::push_sum::GossipTimer;
use crate::message::Message;
use crate::node::{Node, NodeId, Time};

/// A flooded message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FloodMessage {
    /// Remaining time-to-live.
    pub ttl: u32,
    /// The payload.
    pub payload: u64,
}

impl Message for FloodMessage {}

/// A node of a flood on the deterministic overlay.
///
/// Call order: `start` (the source sends at once); messages; then the
/// round's timer, which forwards while the TTL is positive.
#[derive(Clone, Debug)]
pub struct OverlayFlood {
    overlay: DeterministicOverlay,
    period: Time,
    held: Option<FloodMessage>,
    informed_at: Option<Time>,
    timer_set_for: Option<Time>,
}

impl OverlayFlood {
    /// A node of `overlay` gossiping every `period`; the source passes the
    /// message with its initial TTL ([`OverlayFlood::initial_ttl`]).
    pub fn new(overlay: DeterministicOverlay, period: Time, source: Option<FloodMessage>) -> Self {
        OverlayFlood {
            overlay,
            period: Time(period.0.max(1)),
            informed_at: source.map(|_| Time::ZERO),
            held: source,
            timer_set_for: None,
        }
    }

    /// `⌈log₂ n⌉ + t`: the TTL that tolerates `t` failures (Tremel §4.2).
    pub fn initial_ttl(overlay: &DeterministicOverlay, t: u32) -> u32 {
        overlay.flood_ttl(t)
    }

    /// When the node first held the message.
    pub fn informed_at(&self) -> Option<Time> {
        self.informed_at
    }

    /// The payload, once received.
    pub fn payload(&self) -> Option<u64> {
        self.held.map(|m| m.payload)
    }

    fn forward(&mut self, now: Time, ctx: &mut NodeContext<'_, Self>) {
        let Some(held) = self.held else { return };
        if held.ttl == 0 {
            return;
        }
        let round = now.0 / self.period.0;
        let (partner, _) = self.overlay.partner(u64::from(ctx.id().0), round);
        let next = FloodMessage {
            ttl: held.ttl - 1,
            payload: held.payload,
        };
        // partner < n ≤ u32::MAX because the population is NodeId-indexed.
        ctx.send(NodeId(partner as u32), next);
        self.held = Some(next);
        if next.ttl > 0 {
            self.schedule(now.plus(self.period), ctx);
        }
    }

    fn schedule(&mut self, at: Time, ctx: &mut NodeContext<'_, Self>) {
        if self.timer_set_for.is_none_or(|t| t < at) {
            self.timer_set_for = Some(at);
            ctx.set_timer(at, GossipTimer);
        }
    }
}

impl Node for OverlayFlood {
    type Message = FloodMessage;
    type Timer = GossipTimer;
    type Event = ();

    fn start(&mut self, ctx: &mut NodeContext<'_, Self>) {
        let now = ctx.now();
        self.forward(now, ctx);
    }

    fn handle_message(
        &mut self,
        now: Time,
        _from: NodeId,
        msg: FloodMessage,
        ctx: &mut NodeContext<'_, Self>,
    ) {
        if self.held.is_none_or(|h| msg.ttl > h.ttl) {
            self.held = Some(msg);
        }
        self.informed_at.get_or_insert(now);
        if msg.ttl > 0 {
            // Forward in this round, after all of its messages.
            self.schedule(now, ctx);
        }
    }

    fn handle_timer(&mut self, now: Time, _timer: GossipTimer, ctx: &mut NodeContext<'_, Self>) {
        if self.timer_set_for == Some(now) || self.timer_set_for.is_some_and(|t| t <= now) {
            self.timer_set_for = None;
            self.forward(now, ctx);
        }
    }
}
