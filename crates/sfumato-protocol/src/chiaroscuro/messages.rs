//! The messages Chiaroscuro participants exchange (Alg. 3's three epidemic
//! phases). Every message names its iteration; a participant in another
//! iteration or phase refuses an exchange instead of mixing states.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::chiaroscuro::additive::AdditiveScheme;
use crate::chiaroscuro::decryption::{DecryptionState, Summary};
use crate::chiaroscuro::eesum::EncryptedMeans;
use crate::gossip::ViewEntry;
use crate::message::{EncodedLen, Message, encoded_size, varint_len};

/// A noise correction proposal (§4.2.2): a random identifier, and once its
/// proposer has computed it, the sum of the surplus noise shares to
/// subtract (fixed-point units, k·(n+1) values).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Correction {
    /// The proposer's random identifier: the smallest wins.
    pub id: u64,
    /// The surplus shares it sums.
    pub surplus: u64,
    /// The correction, once computed. On the wire, eight little-endian
    /// bytes a value, so that its length is known without reading it.
    #[serde(with = "fixed_width")]
    pub values: Option<Arc<Vec<i64>>>,
}

/// A correction's values as a byte string of 8-byte little-endian
/// integers.
mod fixed_width {
    use std::sync::Arc;

    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    use crate::chiaroscuro::additive::Bytes;

    pub(super) fn serialize<S: Serializer>(
        v: &Option<Arc<Vec<i64>>>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        v.as_ref()
            .map(|v| Bytes(v.iter().flat_map(|x| x.to_le_bytes()).collect()))
            .serialize(s)
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<Arc<Vec<i64>>>, D::Error> {
        let Some(b) = Option::<Bytes>::deserialize(d)? else {
            return Ok(None);
        };
        if b.0.len() % 8 != 0 {
            return Err(serde::de::Error::custom(
                "a correction of a length not a multiple of 8 bytes",
            ));
        }
        Ok(Some(Arc::new(
            b.0.chunks_exact(8)
                .map(|c| i64::from_le_bytes(c.try_into().unwrap_or_default()))
                .collect(),
        )))
    }
}

impl EncodedLen for Correction {
    fn encoded_len(&self) -> usize {
        let values = self
            .values
            .as_ref()
            .map_or(0, |v| varint_len(8 * v.len() as u64) + 8 * v.len());
        varint_len(self.id) + varint_len(self.surplus) + 1 + values
    }
}

/// A Chiaroscuro message.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(bound = "")]
pub enum ChiaroscuroMessage<S: AdditiveScheme> {
    /// EESum: the initiator's means.
    SumRequest {
        /// Iteration.
        iteration: u32,
        /// The initiator's means.
        means: EncryptedMeans<S>,
        /// The initiator's Newscast view, if any.
        view: Option<Vec<ViewEntry>>,
    },
    /// EESum: the means both sides now hold (Alg. 2).
    SumReply {
        /// Iteration.
        iteration: u32,
        /// The combined means.
        means: EncryptedMeans<S>,
        /// The responder's Newscast view, if any.
        view: Option<Vec<ViewEntry>>,
        /// Delivery attempts so far (a reply the network bounces is resent).
        attempt: u8,
    },
    /// EESum: the responder is in another exchange, iteration or phase.
    Busy {
        /// Iteration.
        iteration: u32,
    },
    /// Dissemination of the correction: the sender's candidate.
    Correction {
        /// Iteration.
        iteration: u32,
        /// Whether this answers a [`ChiaroscuroMessage::Correction`].
        reply: bool,
        /// The sender's current candidate.
        candidate: Correction,
    },
    /// Decryption: the initiator's state in brief.
    DecryptOffer {
        /// Iteration.
        iteration: u32,
        /// The initiator's state in brief.
        summary: Summary,
    },
    /// Decryption: a whole state, and whether its sender wants the
    /// receiver's.
    DecryptState {
        /// Iteration.
        iteration: u32,
        /// The sender's state.
        state: Box<DecryptionState<S>>,
        /// Whether the sender wants the receiver's state back.
        want: bool,
    },
    /// Decryption: the responder wants the initiator's state.
    DecryptWant {
        /// Iteration.
        iteration: u32,
    },
}

impl<S: AdditiveScheme> ChiaroscuroMessage<S> {
    /// The iteration the message belongs to.
    pub fn iteration(&self) -> u32 {
        match self {
            ChiaroscuroMessage::SumRequest { iteration, .. }
            | ChiaroscuroMessage::SumReply { iteration, .. }
            | ChiaroscuroMessage::Busy { iteration }
            | ChiaroscuroMessage::Correction { iteration, .. }
            | ChiaroscuroMessage::DecryptOffer { iteration, .. }
            | ChiaroscuroMessage::DecryptState { iteration, .. }
            | ChiaroscuroMessage::DecryptWant { iteration } => *iteration,
        }
    }
}

impl<S: AdditiveScheme> Message for ChiaroscuroMessage<S> {
    /// Computed from the parts, without serializing the encrypted vectors
    /// (the bulk of a run's messages); equal to the encoding's length.
    fn encoded_len(&self) -> usize {
        let head =
            |variant: u64, iteration: &u32| varint_len(variant) + varint_len((*iteration).into());
        match self {
            ChiaroscuroMessage::SumRequest {
                iteration,
                means,
                view,
            } => head(0, iteration) + means.encoded_len() + encoded_size(view),
            ChiaroscuroMessage::SumReply {
                iteration,
                means,
                view,
                attempt: _,
            } => head(1, iteration) + means.encoded_len() + encoded_size(view) + 1,
            ChiaroscuroMessage::DecryptState {
                iteration,
                state,
                want: _,
            } => head(5, iteration) + state.encoded_len() + 1,
            ChiaroscuroMessage::Correction {
                iteration,
                reply: _,
                candidate,
            } => head(3, iteration) + 1 + candidate.encoded_len(),
            _ => encoded_size(self),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chiaroscuro::additive::tests::small_threshold_key;
    use crate::chiaroscuro::additive::{DamgardJurik, InsecurePlaintext, InsecurePlaintextVector};
    use crate::chiaroscuro::decryption::Published;
    use crate::message::{decode, encode};
    use crate::node::{NodeId, Time};
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng;
    use rug::Integer;

    /// Every kind of message, around the given means and partials.
    fn every_message<S: AdditiveScheme>(
        means: EncryptedMeans<S>,
        partials: Vec<(u32, S::Partial)>,
    ) -> Vec<ChiaroscuroMessage<S>> {
        let view = Some(vec![
            ViewEntry {
                id: NodeId(3),
                stamp: Time(1 << 40),
            };
            4
        ]);
        let published = Published {
            iteration: 2,
            values: vec![1.5, -2.0, 1e300],
            centroids: vec![vec![0.25; 3]; 2],
            counts: vec![3.0, 4.5],
            eliminated: 1,
            root: NodeId(70_000),
            participants: 12.5,
            removed_shares: 3,
        };
        vec![
            ChiaroscuroMessage::SumRequest {
                iteration: 0,
                means: means.clone(),
                view: None,
            },
            ChiaroscuroMessage::SumRequest {
                iteration: 300,
                means: means.clone(),
                view: view.clone(),
            },
            ChiaroscuroMessage::SumReply {
                iteration: 1 << 20,
                means: means.clone(),
                view,
                attempt: 200,
            },
            ChiaroscuroMessage::Busy { iteration: 9 },
            ChiaroscuroMessage::Correction {
                iteration: 1,
                reply: true,
                candidate: Correction {
                    id: u64::MAX,
                    surplus: 4,
                    values: Some(Arc::new(vec![-1, 1 << 40, 0])),
                },
            },
            ChiaroscuroMessage::DecryptOffer {
                iteration: 1,
                summary: Summary {
                    root: Some(NodeId(5)),
                    indices: vec![1, 2],
                    done: false,
                    holder: true,
                },
            },
            ChiaroscuroMessage::DecryptState {
                iteration: 4,
                state: Box::new(DecryptionState::Pending {
                    root: NodeId(1 << 30),
                    means,
                    partials,
                }),
                want: true,
            },
            ChiaroscuroMessage::DecryptState {
                iteration: 4,
                state: Box::new(DecryptionState::Done(Arc::new(published))),
                want: false,
            },
            ChiaroscuroMessage::DecryptWant { iteration: 4 },
        ]
    }

    fn check<S: AdditiveScheme>(messages: Vec<ChiaroscuroMessage<S>>) {
        for m in messages {
            let bytes = encode(&m).unwrap();
            assert_eq!(m.encoded_len(), bytes.len(), "{m:?}");
            let back: ChiaroscuroMessage<S> = decode(&bytes).unwrap();
            assert_eq!(encode(&back).unwrap(), bytes);
        }
    }

    /// Means after a few exchanges: weight and counter of several bytes.
    fn grown<S: AdditiveScheme>(mut m: EncryptedMeans<S>) -> EncryptedMeans<S> {
        m.weight = Integer::from(3) << 70;
        m.counter = (Integer::from(1) << 100) + 1;
        m.exchanges = 200;
        m.removed_shares = 1 << 33;
        m
    }

    #[test]
    fn computed_lengths_equal_the_encoding_with_the_stand_in() {
        let v = InsecurePlaintextVector::new(vec![0.5, -3.0, 1e18, f64::MIN_POSITIVE]);
        let fresh = EncryptedMeans::<InsecurePlaintext>::initial(v.clone(), false);
        check(every_message(fresh, vec![(1, ()), (3, ())]));
        let origin = EncryptedMeans::<InsecurePlaintext>::initial(v, true);
        check(every_message(grown(origin), vec![]));
        let empty = InsecurePlaintextVector::new(Vec::new());
        check(every_message(
            EncryptedMeans::<InsecurePlaintext>::initial(empty, true),
            vec![],
        ));
    }

    #[test]
    fn computed_lengths_equal_the_encoding_with_damgard_jurik() {
        let (pk, shares) = small_threshold_key(5);
        let scheme = DamgardJurik::new(Arc::new(pk));
        let mut rng = ChaCha20Rng::seed_from_u64(1);
        let v = scheme.encrypt_i64(&[0, 1, -1, 1 << 50], &mut rng);
        let partial = scheme.partial(&shares[1], &v, &mut rng).unwrap();
        let idx = scheme.share_index(&shares[1]);
        let means = EncryptedMeans::<DamgardJurik>::initial(v, true);
        check(every_message(means.clone(), vec![(idx, partial)]));
        check(every_message(grown(means), vec![]));
    }

    #[test]
    fn a_correction_of_a_ragged_length_is_refused() {
        use crate::chiaroscuro::additive::Bytes;
        let ok = encode(&(5u64, 1u64, Some(Bytes(vec![0u8; 16])))).unwrap();
        let c: Correction = decode(&ok).unwrap();
        assert_eq!(c.values.as_deref(), Some(&vec![0i64, 0]));
        let ragged = encode(&(5u64, 1u64, Some(Bytes(vec![0u8; 7])))).unwrap();
        assert!(decode::<Correction>(&ragged).is_err());
    }

    #[test]
    fn a_negative_weight_cannot_be_encoded() {
        let v = InsecurePlaintextVector::new(vec![1.0]);
        let mut m = EncryptedMeans::<InsecurePlaintext>::initial(v, true);
        m.weight = Integer::from(-1);
        let msg = ChiaroscuroMessage::SumRequest {
            iteration: 0,
            means: m,
            view: None,
        };
        assert!(encode(&msg).is_err());
    }
}
