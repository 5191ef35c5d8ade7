//! Byzantine nodes of Tremel's queries in the simulator (Tremel §6.3), through
//! `sfumato-sim`'s Byzantine hook: an adversary wraps an honest node and
//! rewrites what it sends. It holds the node's own keys, as a corrupted
//! meter would, so its envelopes are validly signed; what it cannot do is
//! sign as another node or as the owner.

use std::sync::Arc;

use rand_core::Rng;
use serde::{Deserialize, Serialize};
use sfumato_protocol::context::Outgoing;
use sfumato_protocol::tremel::messages::envelope_bytes;
use sfumato_protocol::tremel::{OnionSuite, PartialValue, TremelMessage, TremelNode};
use sfumato_protocol::{NodeId, NodeRng, Time};
use sfumato_sim::byzantine::Adversary;

use crate::error::{Result, StudyError};

/// What a Byzantine node does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Attack {
    /// Forwards nothing and takes no part after its own Setup: no round
    /// messages, relays, partials or results.
    Drop,
    /// Sends its own tuple to only 1 to `t` of its proxies, and each
    /// agreement relay, partial and result with probability ½.
    Selective,
    /// Sends its round messages to a node that is not the round's partner.
    WrongPartner,
    /// Asks the owner for a second signature, and relays a second, altered
    /// copy of each tuple.
    DoubleContribution,
    /// Forges other proxies' endorsements and the owner's signature in its
    /// relays, and signs its round messages wrongly.
    ForgedSignature,
    /// Sends its messages without envelopes and its relays without
    /// endorsements or owner signature.
    MissingSignature,
    /// Contributes its record unclamped and far out of range (§6.4).
    ExtremeValues,
    /// Adds a large value to every partial and result it sends (a lying
    /// tree node or group leader).
    LyingLeader,
}

impl Attack {
    /// Every attack.
    pub const ALL: [Attack; 8] = [
        Attack::Drop,
        Attack::Selective,
        Attack::WrongPartner,
        Attack::DoubleContribution,
        Attack::ForgedSignature,
        Attack::MissingSignature,
        Attack::ExtremeValues,
        Attack::LyingLeader,
    ];

    /// The name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Attack::Drop => "drop",
            Attack::Selective => "selective",
            Attack::WrongPartner => "wrong-partner",
            Attack::DoubleContribution => "double",
            Attack::ForgedSignature => "forge",
            Attack::MissingSignature => "unsigned",
            Attack::ExtremeValues => "extreme",
            Attack::LyingLeader => "lying-leader",
        }
    }

    /// Parses a name.
    pub fn parse(text: &str) -> Result<Attack> {
        Attack::ALL
            .into_iter()
            .find(|a| a.name() == text.trim())
            .ok_or_else(|| {
                StudyError::usage(format!(
                    "`{text}` is not an attack ({})",
                    Attack::ALL.map(Attack::name).join(", ")
                ))
            })
    }
}

/// A Byzantine node's adversary: its attack, and its own keys.
#[derive(Clone, Debug)]
pub struct TremelAdversary<S> {
    /// The attack.
    pub attack: Attack,
    /// The node's own cryptography (to sign what it alters).
    pub suite: S,
    /// Nodes in the overlay.
    pub n: u32,
}

/// The large value a lying node adds.
pub const LIE: i128 = 1_000_000_000;

fn lie(m: &mut sfumato_protocol::tremel::GroupPartial) {
    for v in &mut m.partial.0 {
        match v {
            PartialValue::Sum(s) => *s = s.saturating_add(LIE),
            PartialValue::Count(c) => *c = c.saturating_add(1),
            _ => {}
        }
    }
    m.count = m.count.saturating_add(1);
}

impl<S: OnionSuite> TremelAdversary<S> {
    fn sign(&self, to: u32, body: TremelMessage<S::Packet>) -> TremelMessage<S::Packet> {
        let signature = envelope_bytes(to, &body)
            .and_then(|b| self.suite.sign(&b))
            .map(|s| s.to_vec())
            .unwrap_or_default();
        TremelMessage::Signed {
            signature,
            body: Box::new(body),
        }
    }
}

impl<S: OnionSuite> Adversary<TremelNode<S>> for TremelAdversary<S> {
    fn tamper(
        &mut self,
        _me: NodeId,
        _now: Time,
        outgoing: &mut Vec<Outgoing<TremelMessage<S::Packet>>>,
        rng: &mut NodeRng,
    ) {
        let taken = std::mem::take(outgoing);
        for o in taken {
            let to = o.to;
            let (inner, signed) = match o.msg {
                TremelMessage::Signed { body, .. } => (*body, true),
                m => (m, false),
            };
            let mut push = |to: NodeId, m: TremelMessage<S::Packet>| {
                outgoing.push(Outgoing { to, msg: m });
            };
            let resign = |adv: &Self, to: NodeId, m: TremelMessage<S::Packet>| {
                if signed { adv.sign(to.0, m) } else { m }
            };
            match (self.attack, inner) {
                (_, m @ TremelMessage::SignRequest { .. }) => {
                    if self.attack == Attack::DoubleContribution
                        && let TremelMessage::SignRequest { query, request } = &m
                    {
                        let mut again = request.clone();
                        if let Some(b) = again.first_mut() {
                            *b ^= 1;
                        }
                        push(
                            to,
                            TremelMessage::SignRequest {
                                query: *query,
                                request: again,
                            },
                        );
                    }
                    push(to, m);
                }
                (Attack::Drop, _) => {}
                (Attack::Selective, m @ TremelMessage::Round { .. }) => {
                    let m = resign(self, to, m);
                    push(to, m);
                }
                (Attack::Selective, m) => {
                    if rng.next_u32().is_multiple_of(2) {
                        let m = resign(self, to, m);
                        push(to, m);
                    }
                }
                (Attack::WrongPartner, m @ TremelMessage::Round { .. }) => {
                    let other = NodeId((to.0 + 1 + rng.next_u32() % (self.n - 1).max(1)) % self.n);
                    let m = resign(self, other, m);
                    push(other, m);
                }
                (
                    Attack::DoubleContribution,
                    TremelMessage::Agree {
                        query,
                        round,
                        tuple,
                        endorsements,
                    },
                ) => {
                    let mut twin = tuple.clone();
                    if let Some(b) = Arc::make_mut(&mut twin).tuple.last_mut() {
                        *b ^= 0x55;
                    }
                    let a = TremelMessage::Agree {
                        query,
                        round,
                        tuple: twin,
                        endorsements: endorsements.clone(),
                    };
                    let a = resign(self, to, a);
                    push(to, a);
                    let m = TremelMessage::Agree {
                        query,
                        round,
                        tuple,
                        endorsements,
                    };
                    let m = resign(self, to, m);
                    push(to, m);
                }
                (
                    Attack::ForgedSignature,
                    TremelMessage::Agree {
                        query,
                        round,
                        mut tuple,
                        mut endorsements,
                    },
                ) => {
                    for e in Arc::make_mut(&mut endorsements).iter_mut() {
                        if let Some(b) = e.signature.get_mut(7) {
                            *b ^= 1;
                        }
                    }
                    if let Some(b) = Arc::make_mut(&mut tuple).signature.get_mut(3) {
                        *b ^= 1;
                    }
                    let m = resign(
                        self,
                        to,
                        TremelMessage::Agree {
                            query,
                            round,
                            tuple,
                            endorsements,
                        },
                    );
                    push(to, m);
                }
                (Attack::ForgedSignature, m) => {
                    let m = match resign(self, to, m) {
                        TremelMessage::Signed {
                            mut signature,
                            body,
                        } => {
                            if let Some(b) = signature.get_mut(9) {
                                *b ^= 1;
                            }
                            TremelMessage::Signed { signature, body }
                        }
                        m => m,
                    };
                    push(to, m);
                }
                (
                    Attack::MissingSignature,
                    TremelMessage::Agree {
                        query,
                        round,
                        mut tuple,
                        ..
                    },
                ) => {
                    Arc::make_mut(&mut tuple).signature.clear();
                    push(
                        to,
                        TremelMessage::Agree {
                            query,
                            round,
                            tuple,
                            endorsements: Arc::new(Vec::new()),
                        },
                    );
                }
                (Attack::MissingSignature, m) => push(to, m),
                (Attack::LyingLeader, TremelMessage::Partial(mut p)) => {
                    lie(&mut p);
                    let m = resign(self, to, TremelMessage::Partial(p));
                    push(to, m);
                }
                (Attack::LyingLeader, TremelMessage::Result(mut p)) => {
                    lie(&mut p);
                    push(to, TremelMessage::Result(p));
                }
                (_, m) => {
                    let m = resign(self, to, m);
                    push(to, m);
                }
            }
        }
    }
}
