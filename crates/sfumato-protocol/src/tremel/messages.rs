//! What Tremel's nodes send each other (Tremel §4.2, §4.3, §5.1).

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::message::{Message, encoded_size, varint_len};
use crate::node::Time;
use crate::tremel::onions::WirePacket;
use crate::tremel::query::{Partial, QuerySpec};

/// The owner's broadcast of a query (Tremel §4.3, "the owner broadcasts
/// its desired query function to all nodes").
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueryRequest {
    /// The query number, increasing: tuples of older queries are
    /// discarded, newer ones buffered.
    pub number: u64,
    /// Which of its records a meter contributes (a window of readings).
    pub window: u32,
    /// What to compute.
    pub spec: QuerySpec,
    /// When relative round 0 is sent.
    pub start: Time,
    /// The overlay round that relative round 0 is.
    pub first_round: u64,
    /// Byzantine variant: the noise meters add (none: exact values, for
    /// unfiltered queries only, §6.6).
    #[serde(default)]
    pub noise: Option<crate::tremel::noise::NoisePlan>,
}

/// A meter's contribution, as its proxies see it: `(R, v, [p₁ … p_{t+1}])`
/// (Tremel §4.3) and a random identifier, so that a proxy that receives
/// the same tuple by several paths counts it once.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tuple {
    /// The query number.
    pub query: u64,
    /// A random identifier.
    pub id: u64,
    /// The record's fields the query reads.
    pub record: Vec<i64>,
    /// One proxy per aggregation group.
    pub proxies: Vec<u32>,
}

/// One message inside a round's meta-message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Item<P> {
    /// A tunneled message: an onion (Shuffle).
    Onion(P),
    /// A copy of an encrypted multicast (Echo): the remaining relays'
    /// waits in the clear, the tuple sealed for the receiver.
    Routed {
        /// How long each remaining relay holds it; empty at the receiver.
        waits: Vec<u16>,
        /// The tuple, sealed for the receiver.
        sealed: P,
    },
}

/// A flooded message (Scatter, Gather, Tremel §4.2, §5.1): forwarded every
/// round while its TTL lasts; only its addressee can open it. Kept apart
/// from [`Item`]s, small, and sharing its packet, because every node
/// forwards every flood of a query every round.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FloodItem<P> {
    /// A random identifier, so that a node keeps each flood once (the
    /// relay draws a new one for the Gather: nothing links the two).
    pub id: u64,
    /// Rounds left, this one included.
    pub ttl: u32,
    /// Whether this is the Gather's copy (sealed for the proxy).
    pub gather: bool,
    /// A two-layer onion (relay, proxy) in the Scatter; the proxy's layer
    /// in the Gather.
    pub sealed: Arc<P>,
}

impl<P: WirePacket> FloodItem<P> {
    /// Its length in a message.
    pub fn wire_len(&self) -> usize {
        varint_len(self.id) + varint_len(u64::from(self.ttl)) + 1 + self.sealed.wire_len()
    }
}

impl<P: WirePacket> Item<P> {
    /// Its length in a message.
    pub fn wire_len(&self) -> usize {
        1 + match self {
            Item::Onion(p) => p.wire_len(),
            Item::Routed { waits, sealed } => {
                varint_len(waits.len() as u64)
                    + waits
                        .iter()
                        .map(|w| varint_len(u64::from(*w)))
                        .sum::<usize>()
                    + sealed.wire_len()
            }
        }
    }
}

/// A group's partial aggregate (Tremel §4.3, Aggregate phase): from a
/// tree node to its parent, and from the leader to the owner.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupPartial {
    /// The query number.
    pub query: u64,
    /// The aggregation group.
    pub group: u32,
    /// The aggregate of the subtree's tuples.
    pub partial: Partial,
    /// How many tuples it counts.
    pub count: u64,
    /// Whether every node of the subtree reported in time (a group with a
    /// crashed or late member is incomplete).
    pub complete: bool,
}

/// A tuple's encoding with the owner's unblinded signature of it
/// (Byzantine variant, §5.2).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedTupleBytes {
    /// The [`Tuple`]'s postcard encoding, as signed.
    pub tuple: Vec<u8>,
    /// The owner's signature (RFC 9474: the RSA-PSS signature, then the
    /// 32-byte randomizer).
    pub signature: Vec<u8>,
}

/// A proxy's endorsement on the wire (see [`crate::tremel::crusader`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EndorsementBytes {
    /// The proxy.
    pub proxy: u32,
    /// Its 64-byte signature.
    pub signature: Vec<u8>,
}

/// A Tremel message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum TremelMessage<P> {
    /// Owner → every node.
    Query(QueryRequest),
    /// Node → its gossip partner, every round: the meta-message (Tremel
    /// §4.2), empty if there is nothing to forward.
    Round {
        /// The query number.
        query: u64,
        /// The relative round it was sent in.
        round: u32,
        /// The messages forwarded this round.
        items: Vec<Item<P>>,
        /// The floods forwarded this round.
        floods: Vec<FloodItem<P>>,
    },
    /// Proxy → another proxy of the same tuple: the direct Echo, sealed for
    /// the receiver.
    Echo {
        /// The query number.
        query: u64,
        /// The tuple, sealed for the receiver.
        sealed: P,
    },
    /// Tree node → parent.
    Partial(GroupPartial),
    /// Group leader → owner.
    Result(GroupPartial),
    /// Byzantine variant, Setup: meter → owner, its tuple blinded for the
    /// owner's signature (one per meter and query).
    SignRequest {
        /// The query number.
        query: u64,
        /// The blinded tuple.
        request: Vec<u8>,
    },
    /// Byzantine variant, Setup: owner → meter, the blinded signature.
    SignReply {
        /// The query number.
        query: u64,
        /// The blinded signature.
        signature: Vec<u8>,
    },
    /// Byzantine variant, Agreement round `round`: a proxy relays an
    /// owner-signed tuple it accepted, with its endorsements, to the
    /// tuple's other proxies.
    Agree {
        /// The query number.
        query: u64,
        /// The agreement round (1 to `t + 1`).
        round: u32,
        /// The tuple (shared by the copies to each proxy).
        tuple: Arc<SignedTupleBytes>,
        /// Endorsements of distinct proxies.
        endorsements: Arc<Vec<EndorsementBytes>>,
    },
    /// Byzantine variant: a node's message signed with its identity key
    /// (§6.3), over `to ‖ body`.
    Signed {
        /// The signature.
        signature: Vec<u8>,
        /// The message.
        body: Box<TremelMessage<P>>,
    },
}

/// What a node signs when it sends `body` to `to` (Byzantine variant).
pub fn envelope_bytes<P: Serialize>(to: u32, body: &TremelMessage<P>) -> Result<Vec<u8>> {
    let mut bytes = b"sfumato/tremel/envelope/v1".to_vec();
    bytes.extend_from_slice(&to.to_le_bytes());
    bytes.extend_from_slice(&crate::message::encode(body)?);
    Ok(bytes)
}

impl<P: WirePacket> Message for TremelMessage<P> {
    fn encoded_len(&self) -> usize {
        match self {
            TremelMessage::Round {
                query,
                round,
                items,
                floods,
            } => {
                1 + varint_len(*query)
                    + varint_len(u64::from(*round))
                    + varint_len(items.len() as u64)
                    + items.iter().map(Item::wire_len).sum::<usize>()
                    + varint_len(floods.len() as u64)
                    + floods.iter().map(FloodItem::wire_len).sum::<usize>()
            }
            TremelMessage::Echo { query, sealed } => 1 + varint_len(*query) + sealed.wire_len(),
            TremelMessage::Signed { signature, body } => {
                1 + varint_len(signature.len() as u64) + signature.len() + body.encoded_len()
            }
            other => encoded_size(other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::encode;
    use crate::tremel::onions::OnionBytes;
    use crate::tremel::query::Aggregate;

    #[test]
    fn the_computed_length_is_the_encoding_s() {
        let p = || OnionBytes(vec![7u8; 300]);
        let msgs = vec![
            TremelMessage::Round {
                query: 3,
                round: 200,
                items: vec![
                    Item::Onion(p()),
                    Item::Routed {
                        waits: vec![0, 3, 300],
                        sealed: p(),
                    },
                ],
                floods: vec![FloodItem {
                    id: u64::MAX - 3,
                    ttl: 130,
                    gather: true,
                    sealed: Arc::new(p()),
                }],
            },
            TremelMessage::Round {
                query: 1,
                round: 0,
                items: vec![],
                floods: vec![],
            },
            TremelMessage::Echo {
                query: 300,
                sealed: p(),
            },
            TremelMessage::Signed {
                signature: vec![3; 64],
                body: Box::new(TremelMessage::Round {
                    query: 1,
                    round: 7,
                    items: vec![Item::Onion(p())],
                    floods: vec![],
                }),
            },
            TremelMessage::Query(QueryRequest {
                number: 1,
                window: 2,
                spec: QuerySpec::new(vec![Aggregate::Count]).unwrap(),
                start: Time(5),
                first_round: 9,
                noise: None,
            }),
        ];
        for m in msgs {
            assert_eq!(m.encoded_len(), encode(&m).unwrap().len(), "{m:?}");
        }
    }
}
