//! DREAM's modular-addition encryption and the pairwise masks that cancel
//! in the aggregate.
//!
//! # The cipher (DREAM §4.2, after Castelluccia–Mykletun–Tsudik)
//!
//! `Enc(p, k, m) = p + k mod m` with `m = 2^64`: [`encrypt`] and
//! [`decrypt`] are wrapping addition and subtraction on `u64`. The scheme is
//! additively homomorphic: the wrapping sum of ciphertexts minus the
//! wrapping sum of their keys is the wrapping sum of the plaintexts
//! ([`aggregate`], [`sum_keys`]). It is one-time-pad secure for each key
//! used once, so keys must change every slot; here they come from a PRF of
//! the slot number.
//!
//! Choosing `m = 2^64` fixes DREAM's `m = 2^⌈log2(z·N)⌉` at its largest
//! machine size: the true sum is recovered whenever it lies in
//! [0, 2^64) — or, reading the result as `i64` (two's complement), in
//! [−2^63, 2^63), which covers signed (noisy) readings encoded with
//! `as u64`. Fixed-point encoding of readings is the caller's business.
//!
//! # Keys that cancel (DREAM §5.2 Phase 2, §5.3, §6)
//!
//! DREAM needs per-slot keys `k_i` with `Σ k_i = 0` that the aggregator does
//! not know. A [`PairwiseMasks`] holds a meter's id `i` and its pairwise
//! keys `K_{i,j}` (from [`pairwise_key`](super::pairwise_key)), and for
//! slot `t`:
//!
//! 1. **selects** peer `j` iff `uniform(PRF(K_{i,j}, r_1(t))) < p`
//!    (§5.2 step 1, with `p = w/(N−1)`); both ends compute the same bit,
//!    so selection is symmetric ([`PairwiseMasks::is_selected`],
//!    [`PairwiseMasks::participants`]);
//! 2. computes the **dummy key** `dkey_{i,j} = sign(i − j) · PRF(K_{i,j},
//!    r_2(t)) mod 2^64` (§5.2 step 2), so `dkey_{i,j} = −dkey_{j,i}`
//!    ([`PairwiseMasks::dummy_key`]);
//! 3. sums the dummy keys of the selected peers into the meter's slot key
//!    ([`PairwiseMasks::slot_key`]); the meter sends
//!    `Enc = X̂ + K'_i + slot_key` (§5.2 step 3), where `K'_i` is
//!    [`aggregator_key`] of its key shared with the aggregator.
//!
//! Summing every meter's ciphertext, each selected pair contributes
//! `+PRF − PRF = 0`, so the aggregator is left with `Σ (X̂_i + K'_i)` and
//! subtracts the `K'_i` it knows (§5.3). When meters fail (§6), each
//! responding meter returns [`PairwiseMasks::missing_key`] (its dummy keys
//! towards the absent meters) plus its own secret random `C_i`
//! ([`MaskKey::random`]), which it also added to its ciphertext; the
//! aggregator subtracts these replies and the masks cancel again.
//!
//! The same cancellation is Tremel's paired noise (§6.6) with the ring
//! order instead of id order; there the shared value is a noise draw, which
//! [`Prf::uniform`](super::Prf::uniform) can seed.
//!
//! `r_1(t)`, `r_2(t)` and the aggregator keystream's nonce are
//! `PrfNonce::new(domain, t)` with the three distinct domains
//! [`SELECTION_DOMAIN`], [`DUMMY_KEY_DOMAIN`] and [`KEYSTREAM_DOMAIN`].

use core::fmt;

use rand_core::CryptoRng;
use zeroize::{Zeroize, ZeroizeOnDrop};

use super::keys::PairwiseKey;
use super::prf::{Prf, PrfNonce};
use crate::error::{CryptoError, Result};

/// PRF domain of DREAM's r_1: the per-slot selection of peers (ASCII `DRse`).
pub const SELECTION_DOMAIN: u32 = u32::from_le_bytes(*b"DRse");
/// PRF domain of DREAM's r_2: the per-slot dummy keys (ASCII `DRdk`).
pub const DUMMY_KEY_DOMAIN: u32 = u32::from_le_bytes(*b"DRdk");
/// PRF domain of the keystream K'_i shared with the aggregator (ASCII `DRks`).
pub const KEYSTREAM_DOMAIN: u32 = u32::from_le_bytes(*b"DRks");

/// A key of the modular-addition cipher: an element of Z/2^64.
///
/// Secret: zeroizes on drop and prints as `MaskKey(<redacted>)`.
#[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub struct MaskKey(u64);

impl MaskKey {
    /// The key `value`.
    pub const fn new(value: u64) -> Self {
        Self(value)
    }

    /// The zero key (the identity of key addition).
    pub const fn zero() -> Self {
        Self(0)
    }

    /// A uniformly random key from the caller's CSPRNG (DREAM §6's secret
    /// random value `C_i`, or a one-time key).
    pub fn random<R: CryptoRng + ?Sized>(rng: &mut R) -> Self {
        Self(rng.next_u64())
    }

    /// The key's value.
    pub const fn value(&self) -> u64 {
        self.0
    }

    /// `−k mod 2^64`.
    pub const fn negate(&self) -> Self {
        Self(self.0.wrapping_neg())
    }

    /// `self + other mod 2^64`.
    pub const fn add(&self, other: &MaskKey) -> Self {
        Self(self.0.wrapping_add(other.0))
    }
}

impl fmt::Debug for MaskKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MaskKey(<redacted>)")
    }
}

/// `Enc(p, k, 2^64) = p + k mod 2^64` (DREAM §4.2).
pub const fn encrypt(plaintext: u64, key: &MaskKey) -> u64 {
    plaintext.wrapping_add(key.0)
}

/// `c − k mod 2^64`, the inverse of [`encrypt`]. Decrypts an aggregate
/// too, given the sum of its keys ([`sum_keys`]).
pub const fn decrypt(ciphertext: u64, key: &MaskKey) -> u64 {
    ciphertext.wrapping_sub(key.0)
}

/// The sum mod 2^64 of ciphertexts (DREAM §5.3 Phase 1): an encryption of
/// the sum of the plaintexts under the sum of the keys.
pub fn aggregate<I: IntoIterator<Item = u64>>(ciphertexts: I) -> u64 {
    ciphertexts.into_iter().fold(0, u64::wrapping_add)
}

/// The sum mod 2^64 of keys.
pub fn sum_keys<'a, I: IntoIterator<Item = &'a MaskKey>>(keys: I) -> MaskKey {
    keys.into_iter().fold(MaskKey::zero(), |acc, k| acc.add(k))
}

/// DREAM's `K'_i` for slot `slot`: the keystream word a meter shares with
/// the aggregator, `PRF(K_{i,agg}, (KEYSTREAM_DOMAIN, slot))`. The meter
/// adds it to its ciphertext; the aggregator subtracts the sum of all of
/// them from the aggregate (§5.3 Phase 2).
pub fn aggregator_key(key_with_aggregator: &Prf, slot: u64) -> MaskKey {
    MaskKey(key_with_aggregator.word(PrfNonce::new(KEYSTREAM_DOMAIN, slot)))
}

/// One meter's view of DREAM's pairwise dummy keys (§5.2 Phase 2): its id
/// and a PRF per peer, keyed by the pairwise key `K_{i,j}`.
///
/// Meter ids are the `i`, `j` of the paper: distinct `u64`s agreed by the
/// cluster, which fix the sign of each dummy key.
pub struct PairwiseMasks {
    me: u64,
    /// Sorted by peer id, no duplicates.
    peers: Vec<(u64, Prf)>,
    selection_probability: f64,
}

impl PairwiseMasks {
    /// The masks of meter `me` with these peers.
    ///
    /// `selection_probability` is DREAM's `w/(N−1)`, in (0, 1]; 1 selects
    /// every peer in every slot.
    ///
    /// Errors: a peer with id `me`, two peers with one id, or a selection
    /// probability outside (0, 1].
    pub fn new<I>(me: u64, peers: I, selection_probability: f64) -> Result<Self>
    where
        I: IntoIterator<Item = (u64, PairwiseKey)>,
    {
        if !(selection_probability > 0.0 && selection_probability <= 1.0) {
            return Err(CryptoError::invalid(
                "selection_probability",
                format!("must be in (0, 1], got {selection_probability}"),
            ));
        }
        let mut peers: Vec<(u64, Prf)> = peers
            .into_iter()
            .map(|(id, key)| (id, Prf::from(&key)))
            .collect();
        if peers.iter().any(|(id, _)| *id == me) {
            return Err(CryptoError::invalid(
                "peers",
                format!("meter {me} is listed as its own peer"),
            ));
        }
        peers.sort_unstable_by_key(|(id, _)| *id);
        if let Some(w) = peers.windows(2).find(|w| w[0].0 == w[1].0) {
            return Err(CryptoError::invalid(
                "peers",
                format!("peer {} is listed twice", w[0].0),
            ));
        }
        Ok(Self {
            me,
            peers,
            selection_probability,
        })
    }

    /// This meter's id.
    pub fn id(&self) -> u64 {
        self.me
    }

    /// The peers' ids, ascending.
    pub fn peer_ids(&self) -> impl Iterator<Item = u64> + '_ {
        self.peers.iter().map(|(id, _)| *id)
    }

    /// Each peer's id and pairwise key `K_{i,j}`, ascending by id: for a
    /// meter's durable state only ([`PairwiseMasks::new`] rebuilds the
    /// masks from them). The keys zeroize on drop.
    pub fn peer_keys(&self) -> impl Iterator<Item = (u64, PairwiseKey)> + '_ {
        self.peers
            .iter()
            .map(|(id, prf)| (*id, PairwiseKey::from_bytes(&prf.to_key_bytes())))
    }

    /// The selection probability `w/(N−1)`.
    pub fn selection_probability(&self) -> f64 {
        self.selection_probability
    }

    fn prf(&self, peer: u64) -> Result<&Prf> {
        self.peers
            .binary_search_by_key(&peer, |(id, _)| *id)
            .map(|i| &self.peers[i].1)
            .map_err(|_| {
                CryptoError::invalid("peer", format!("meter {} has no peer {peer}", self.me))
            })
    }

    fn selected(&self, prf: &Prf, slot: u64) -> bool {
        prf.uniform(PrfNonce::new(SELECTION_DOMAIN, slot)) < self.selection_probability
    }

    fn signed_dummy(&self, peer: u64, prf: &Prf, slot: u64) -> u64 {
        let k = prf.word(PrfNonce::new(DUMMY_KEY_DOMAIN, slot));
        if self.me > peer { k } else { k.wrapping_neg() }
    }

    /// Whether this meter and `peer` exchange dummy keys in `slot` (§5.2
    /// step 1: `uniform(PRF(K_{i,j}, r_1)) < w/(N−1)`; the paper writes
    /// `≤`, which differs in probability by at most 2^-53). Symmetric:
    /// `peer` computes the same answer about this meter.
    ///
    /// Errors: `peer` is not a peer of this meter.
    pub fn is_selected(&self, peer: u64, slot: u64) -> Result<bool> {
        Ok(self.selected(self.prf(peer)?, slot))
    }

    /// The peers selected in `slot` (DREAM's `ind_i`), ascending.
    pub fn participants(&self, slot: u64) -> Vec<u64> {
        self.peers
            .iter()
            .filter(|(_, prf)| self.selected(prf, slot))
            .map(|(id, _)| *id)
            .collect()
    }

    /// `dkey_{me,peer}` for `slot` (§5.2 step 2): `+PRF(K, r_2)` if
    /// `me > peer`, `−PRF(K, r_2)` if `me < peer`, whether or not the pair
    /// is selected in `slot`.
    ///
    /// Errors: `peer` is not a peer of this meter.
    pub fn dummy_key(&self, peer: u64, slot: u64) -> Result<MaskKey> {
        let prf = self.prf(peer)?;
        Ok(MaskKey(self.signed_dummy(peer, prf, slot)))
    }

    /// This meter's mask for `slot`: the sum of `dkey_{me,j}` over the
    /// selected peers `j` (§5.2 step 3 without `K'_i`). The slot keys of a
    /// cluster whose meters all answer sum to zero.
    pub fn slot_key(&self, slot: u64) -> MaskKey {
        let mut sum = 0u64;
        for (id, prf) in &self.peers {
            if self.selected(prf, slot) {
                sum = sum.wrapping_add(self.signed_dummy(*id, prf, slot));
            }
        }
        MaskKey(sum)
    }

    /// The sum of this meter's dummy keys towards the selected peers that
    /// are in `absent` (DREAM §6 "Encryption phase extension", step 3,
    /// without `C_i`, which the caller adds). Ids in `absent` that are not
    /// peers, or this meter's own id, are ignored; duplicates count once.
    pub fn missing_key(&self, slot: u64, absent: &[u64]) -> MaskKey {
        let mut sum = 0u64;
        for (id, prf) in &self.peers {
            if absent.contains(id) && self.selected(prf, slot) {
                sum = sum.wrapping_add(self.signed_dummy(*id, prf, slot));
            }
        }
        MaskKey(sum)
    }
}

impl fmt::Debug for PairwiseMasks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PairwiseMasks")
            .field("id", &self.me)
            .field(
                "peers",
                &self.peers.iter().map(|(id, _)| id).collect::<Vec<_>>(),
            )
            .field("selection_probability", &self.selection_probability)
            .finish_non_exhaustive()
    }
}
