//! The messages Chiaroscuro participants exchange (Alg. 3's three epidemic
//! phases). Every message names its iteration; a participant in another
//! iteration or phase refuses an exchange instead of mixing states.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::chiaroscuro::additive::AdditiveScheme;
use crate::chiaroscuro::decryption::{DecryptionState, Summary};
use crate::chiaroscuro::eesum::EncryptedMeans;
use crate::gossip::ViewEntry;
use crate::message::Message;

/// A noise correction proposal (§4.2.2): a random identifier, and once its
/// proposer has computed it, the sum of the surplus noise shares to
/// subtract (fixed-point units, k·(n+1) values).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Correction {
    /// The proposer's random identifier: the smallest wins.
    pub id: u64,
    /// The surplus shares it sums.
    pub surplus: u64,
    /// The correction, once computed.
    pub values: Option<Arc<Vec<i64>>>,
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

impl<S: AdditiveScheme> Message for ChiaroscuroMessage<S> {}
