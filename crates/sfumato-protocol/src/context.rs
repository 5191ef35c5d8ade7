//! What a handler can do: send, set timers, report, account work, draw
//! randomness (ARCHITECTURE.md, "The node model").

use crate::node::{Node, NodeId, Time};
use crate::rng::{NodeRng, RngKey};

/// A message a handler asked to send.
#[derive(Clone, Debug, PartialEq)]
pub struct Outgoing<M> {
    /// The receiver.
    pub to: NodeId,
    /// The message.
    pub msg: M,
}

/// Everything one handler call asked for, in the order it asked. The
/// runtime owns one and reuses it between calls.
#[derive(Clone, Debug)]
pub struct Effects<M, T, E> {
    /// Messages to send, in sending order.
    pub messages: Vec<Outgoing<M>>,
    /// Timers to set: `(when, token)`, in the order they were set.
    pub timers: Vec<(Time, T)>,
    /// Events to report.
    pub events: Vec<E>,
    /// CPU work to account: `(operation, count)`; the runtime's cost model
    /// turns it into time (e.g. `("dj-encrypt-2048", 1)`).
    pub work: Vec<(&'static str, u64)>,
}

impl<M, T, E> Default for Effects<M, T, E> {
    fn default() -> Self {
        Effects {
            messages: Vec::new(),
            timers: Vec::new(),
            events: Vec::new(),
            work: Vec::new(),
        }
    }
}

impl<M, T, E> Effects<M, T, E> {
    /// Empties every list, keeping their allocations.
    pub fn clear(&mut self) {
        self.messages.clear();
        self.timers.clear();
        self.events.clear();
        self.work.clear();
    }
}

/// The context of one handler call of a node.
///
/// The node's random stream is positioned where its previous call left
/// it, and only materialised if the handler draws from it.
pub struct Context<'a, M, T, E> {
    id: NodeId,
    now: Time,
    rng: LazyRng<'a>,
    effects: &'a mut Effects<M, T, E>,
}

/// The context type of node type `N`.
pub type NodeContext<'a, N> =
    Context<'a, <N as Node>::Message, <N as Node>::Timer, <N as Node>::Event>;

impl<'a, M, T, E> Context<'a, M, T, E> {
    /// A context for node `id` at `now`, drawing from `key`'s stream for
    /// `id` at word position `*rng_position`, which is advanced past
    /// whatever the handler draws when the context is dropped.
    pub fn new(
        id: NodeId,
        now: Time,
        key: &'a RngKey,
        rng_position: &'a mut u64,
        effects: &'a mut Effects<M, T, E>,
    ) -> Self {
        Context {
            id,
            now,
            rng: LazyRng {
                key,
                stream: u64::from(id.0),
                position: rng_position,
                rng: None,
            },
            effects,
        }
    }

    /// This node's identifier.
    pub fn id(&self) -> NodeId {
        self.id
    }

    /// The current time.
    pub fn now(&self) -> Time {
        self.now
    }

    /// The node's random stream (a cryptographically strong generator; see
    /// [`crate::rng`]).
    pub fn rng(&mut self) -> &mut NodeRng {
        self.rng.get()
    }

    /// Sends `msg` to `to`.
    pub fn send(&mut self, to: NodeId, msg: M) {
        self.effects.messages.push(Outgoing { to, msg });
    }

    /// Asks for `timer` at time `at` (at once if `at` is not in the
    /// future: the runtime fires it in its next tick).
    pub fn set_timer(&mut self, at: Time, timer: T) {
        self.effects.timers.push((at, timer));
    }

    /// Reports `event` to the runtime's user.
    pub fn report(&mut self, event: E) {
        self.effects.events.push(event);
    }

    /// Accounts `count` operations of kind `operation` (for example one
    /// Damgård–Jurik encryption) so that a runtime with a CPU-cost model
    /// can charge their time.
    pub fn work(&mut self, operation: &'static str, count: u64) {
        self.effects.work.push((operation, count));
    }
}

impl<M, T, E> Context<'_, M, T, E> {
    /// The messages this call has asked to send so far, and the node's
    /// stream: for wrappers that model adversaries (`sfumato-sim`'s
    /// Byzantine hook), which rewrite what an honest node would send.
    pub fn outgoing_and_rng(&mut self) -> (&mut Vec<Outgoing<M>>, &mut NodeRng) {
        (&mut self.effects.messages, self.rng.get())
    }
}

/// The node's stream, built on first use.
struct LazyRng<'a> {
    key: &'a RngKey,
    stream: u64,
    position: &'a mut u64,
    rng: Option<NodeRng>,
}

impl LazyRng<'_> {
    fn get(&mut self) -> &mut NodeRng {
        let (key, stream, position) = (self.key, self.stream, *self.position);
        self.rng
            .get_or_insert_with(|| NodeRng::at(key, stream, position))
    }
}

impl Drop for LazyRng<'_> {
    fn drop(&mut self) {
        if let Some(rng) = &self.rng {
            *self.position = rng.next_position();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_core::Rng;

    #[test]
    fn the_stream_continues_across_calls_and_is_untouched_when_unused() {
        let key = RngKey::from_seed(7);
        let mut pos = 0u64;
        let mut fx: Effects<(), (), ()> = Effects::default();
        let a = {
            let mut ctx = Context::new(NodeId(3), Time::ZERO, &key, &mut pos, &mut fx);
            ctx.rng().next_u64()
        };
        let after_first = pos;
        assert!(after_first > 0);
        {
            let _unused = Context::new(NodeId(3), Time::ZERO, &key, &mut pos, &mut fx);
        }
        assert_eq!(pos, after_first);
        let b = {
            let mut ctx = Context::new(NodeId(3), Time::ZERO, &key, &mut pos, &mut fx);
            ctx.rng().next_u64()
        };
        assert_ne!(a, b);
        // Another node's stream differs from the first call on.
        let mut other = 0u64;
        let c = {
            let mut ctx = Context::new(NodeId(4), Time::ZERO, &key, &mut other, &mut fx);
            ctx.rng().next_u64()
        };
        assert_ne!(a, c);
    }

    #[test]
    fn effects_keep_their_order() {
        let key = RngKey::from_seed(1);
        let mut pos = 0u64;
        let mut fx: Effects<u8, u8, u8> = Effects::default();
        let mut ctx = Context::new(NodeId(0), Time(5), &key, &mut pos, &mut fx);
        ctx.send(NodeId(2), 1);
        ctx.send(NodeId(1), 2);
        ctx.set_timer(Time(9), 3);
        ctx.report(4);
        ctx.work("op", 2);
        assert_eq!(ctx.now(), Time(5));
        drop(ctx);
        assert_eq!(
            fx.messages[0],
            Outgoing {
                to: NodeId(2),
                msg: 1
            }
        );
        assert_eq!(fx.messages[1].to, NodeId(1));
        assert_eq!(fx.timers, vec![(Time(9), 3)]);
        assert_eq!(fx.events, vec![4]);
        assert_eq!(fx.work, vec![("op", 2)]);
    }
}
