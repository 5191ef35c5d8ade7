//! What a DREAM node must keep across a restart (the network runtime's
//! durable state; ARCHITECTURE.md, "Runtimes").
//!
//! A meter keeps its long-term X25519 key (§5.1), the pairwise keys
//! K_{i,j} and the keystream key K'_i it derived from the supplier's
//! directory, the secrets C_i of the slots whose second round is open (§6
//! step 1) and its privacy ledger. The supplier keeps its key, the meters'
//! registered public keys and every slot's state: the readings of an open
//! slot, and which slots are closed, so that a restarted supplier never
//! settles a slot twice.
//!
//! The public plan and the meter's readings are not part of the state: the
//! deployment supplies them again. A snapshot holds secrets: it zeroizes
//! on drop and never prints; the runtime stores it where only the node's
//! process reads it.

use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::dream::ledger::PrivacyLedger;
use crate::error::{ProtocolError, Result};

/// One pairwise key of a meter.
#[derive(Serialize, Deserialize, Zeroize, ZeroizeOnDrop)]
pub(crate) struct PeerKey {
    pub(crate) peer: u64,
    pub(crate) key: [u8; 32],
}

/// The keys a meter derived at set-up (§5.1).
#[derive(Serialize, Deserialize, Zeroize, ZeroizeOnDrop)]
pub(crate) struct MeterKeys {
    /// K'_i, shared with the supplier.
    pub(crate) keystream: [u8; 32],
    /// K_{i,j} with every other meter.
    pub(crate) peers: Vec<PeerKey>,
}

/// A meter's durable state.
#[derive(Serialize, Deserialize, Zeroize, ZeroizeOnDrop)]
pub(crate) struct MeterState {
    pub(crate) index: u32,
    pub(crate) identity: [u8; 32],
    pub(crate) keys: Option<MeterKeys>,
    /// (slot, C_i) of the slots whose second round is open.
    pub(crate) pending: Vec<(u32, u64)>,
    #[zeroize(skip)]
    pub(crate) ledger: PrivacyLedger,
    pub(crate) noise_failures: u32,
}

/// One slot as the supplier's durable state keeps it.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub(crate) struct SlotRecord {
    pub(crate) slot: u32,
    pub(crate) readings: Vec<(u32, u64)>,
    pub(crate) asked: Vec<u32>,
    pub(crate) missing: u32,
    pub(crate) replies: Vec<(u32, u64)>,
    pub(crate) refused: bool,
    pub(crate) closed: bool,
}

/// The supplier's durable state.
#[derive(Serialize, Deserialize, Zeroize, ZeroizeOnDrop)]
pub(crate) struct SupplierState {
    pub(crate) identity: [u8; 32],
    #[zeroize(skip)]
    pub(crate) registered: Vec<(u32, [u8; 32])>,
    /// Whether the directory went out (keystream keys derived).
    pub(crate) keyed: bool,
    #[zeroize(skip)]
    pub(crate) slots: Vec<SlotRecord>,
}

/// A node's state, tagged by role.
#[derive(Serialize, Deserialize)]
pub(crate) enum NodeState {
    Meter(MeterState),
    Supplier(SupplierState),
}

/// The bytes of `state` (postcard), zeroized on drop.
pub(crate) fn encode_state(state: &NodeState) -> Result<Zeroizing<Vec<u8>>> {
    postcard::to_allocvec(state)
        .map(Zeroizing::new)
        .map_err(|e| ProtocolError::Malformed(e.to_string()))
}

/// The state in `bytes`; trailing bytes or another layout are errors.
pub(crate) fn decode_state(bytes: &[u8]) -> Result<NodeState> {
    crate::message::decode(bytes)
}
