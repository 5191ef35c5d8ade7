//! The messages of DREAM (§5.1–§5.3, §6).

use serde::{Deserialize, Serialize};

use crate::message::Message;

/// A DREAM message. Slots are numbered from 0; meters are identified by
/// their index in the cluster.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum DreamMessage {
    /// Meter → supplier at installation: its long-term X25519 public key
    /// (§5.1).
    Register {
        /// The public key.
        public: [u8; 32],
    },
    /// Supplier → meters: the supplier's key and every registered meter's
    /// (§5.1: "the supplier broadcasts the … public DH components").
    Directory {
        /// The supplier's public key.
        supplier: [u8; 32],
        /// (cluster index, public key) of each registered meter.
        meters: Vec<(u32, [u8; 32])>,
    },
    /// Meter → supplier: Enc(X̂_t) (§5.2 step 4; with C_i in the robust
    /// variant, §6 step 1).
    Reading {
        /// The slot.
        slot: u32,
        /// The ciphertext, mod 2⁶⁴.
        ciphertext: u64,
    },
    /// Supplier → the meters that answered: the meters missing in `slot`
    /// (§6 step 2).
    Recover {
        /// The slot.
        slot: u32,
        /// Cluster indices of the missing meters.
        missing: Vec<u32>,
    },
    /// Meter → supplier: Σ dkey towards the missing meters + C_i (§6
    /// step 3).
    Recovery {
        /// The slot.
        slot: u32,
        /// The value, mod 2⁶⁴.
        value: u64,
    },
    /// Meter → supplier: more than M meters are declared missing, so this
    /// meter's noise alone would not protect it; it keeps its keys.
    Refuse {
        /// The slot.
        slot: u32,
    },
}

impl Message for DreamMessage {}
