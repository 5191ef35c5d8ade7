//! Packing Chiaroscuro's vectors into Damgård–Jurik plaintexts.
//!
//! A value of a participant's vector (§4.2.1, Def. 6) is a fixed-point
//! integer of a few dozen bits, a plaintext of a 1024-bit key has 1023:
//! [`sfumato_crypto::encoding::PackingLayout`] puts several values in one
//! plaintext, each in a slot wide enough for the whole EESum. A slot holds
//! its value plus an offset B, so that slots never borrow from each other;
//! Alg. 2's combinations `a·2^ka + b·2^kb` act on every slot at once, and
//! the offsets add up to B·W, where the *multiplicity* W follows the same
//! rule from 1 — which is exactly EESum's participation counter (§4.2.2).
//! Decryption removes B·W from each slot.
//!
//! The layout is declared before the run:
//! * **bound B**: a participant's value is its fixed-point datum (at most
//!   the range's magnitude, or one unit for a count) plus one noise share.
//!   A share is G₁ − G₂ with G of shape 1/n_ν and scale λ (Def. 5); we
//!   allow [`NOISE_SCALES`]·λ of the iteration with the largest λ, and
//!   clip a share beyond it (probability below e^−50/n_ν per share);
//! * **headroom**: the multiplicity never exceeds 2^n_l. A participant's
//!   counter over 2^n_l is the fraction x of the population's mass it
//!   holds: every participant starts with x = 1 at n_l = 0, and Alg. 2
//!   gives both sides (x_a + x_b)/2, so x ≤ 1 for ever. The layout
//!   therefore declares no additions and, as doublings, the deepest n_l a
//!   participant may reach, which the protocol enforces by refusing
//!   exchanges beyond it ([`crate::chiaroscuro::AdditiveScheme::max_depth`]).
//!   n_l grows with the longest chain of exchanges that follow one
//!   another, several per period; [`DEPTH_PER_PERIOD`] allows 8.

use rug::Integer;
use sfumato_crypto::dj::threshold::ThresholdPublicKey;
use sfumato_crypto::encoding::{Headroom, PackingLayout, PlaintextSpace};

use crate::chiaroscuro::eesum::MAX_EXCHANGE_DEPTH;
use crate::chiaroscuro::params::ChiaroscuroParams;
use crate::error::{ProtocolError, Result};

/// The noise allowance in the bound, in noise scales λ.
pub const NOISE_SCALES: f64 = 50.0;

/// Exchanges n_l a participant may reach per EESum period of the
/// schedule: it initiates one exchange a period and answers others, and
/// each exchange sets n_l to one more than the deeper side's.
pub const DEPTH_PER_PERIOD: u32 = 8;

/// The deepest n_l a packed layout for `params` holds:
/// [`DEPTH_PER_PERIOD`] per EESum period, within [1, `MAX_EXCHANGE_DEPTH`].
pub fn depth_allowance(params: &ChiaroscuroParams) -> u32 {
    DEPTH_PER_PERIOD
        .saturating_mul(params.exchanges)
        .clamp(1, MAX_EXCHANGE_DEPTH)
}

/// The layout of Chiaroscuro's vectors for `params` under `key`, with as
/// many slots as fit a plaintext.
pub fn chiaroscuro_layout(
    key: &ThresholdPublicKey,
    params: &ChiaroscuroParams,
) -> Result<PackingLayout> {
    let unit = params.unit();
    let (lo, hi) = params.range;
    let data = (lo.abs().max(hi.abs()).max(1.0) * unit).ceil();
    let mut lambda: f64 = 0.0;
    for i in 0..params.max_iterations() {
        let (sum, count) = params
            .noise_scales(i)
            .ok_or_else(|| ProtocolError::invalid("budget", "no noise scale"))?;
        lambda = lambda.max(sum.max(count) * unit);
    }
    let bound = Integer::from_f64((data + NOISE_SCALES * lambda).ceil())
        .filter(|b| *b >= 1)
        .ok_or_else(|| ProtocolError::invalid("packing", "the values have no finite bound"))?;
    let headroom = Headroom {
        additions: 0,
        doublings: depth_allowance(params),
    };
    let space = PlaintextSpace::new(key.public().plaintext_modulus().clone())
        .map_err(|e| ProtocolError::invalid("packing", e.to_string()))?;
    PackingLayout::with_max_slots(&space, bound, headroom)
        .map_err(|e| ProtocolError::invalid("packing", e.to_string()))
}

/// `values` clipped to the layout's bound and packed, `slots` a plaintext
/// (value `v` in slot `i` of a plaintext adds `(v + B)·2^(i·w)`; a missing
/// trailing slot holds `B`, the packing of 0).
pub fn pack_clipped(layout: &PackingLayout, values: &[Integer]) -> Vec<Integer> {
    let bound = layout.bound();
    let neg = Integer::from(-bound);
    values
        .chunks(layout.slots())
        .map(|chunk| {
            let mut packed = Integer::new();
            for i in (0..layout.slots()).rev() {
                packed <<= layout.slot_bits();
                if let Some(v) = chunk.get(i) {
                    packed += v.clone().clamp(&neg, bound);
                }
                packed += bound;
            }
            packed
        })
        .collect()
}

/// The plaintexts that add `values` (of any size or sign) to the slots of
/// a packed vector without adding an offset: `Σ_i v_i·2^(i·w)` per
/// plaintext. Decoding stays right as long as every slot stays within
/// `[0, 2·B·W]`, i.e. the corrected sum within ±B·W.
pub fn slot_sums(layout: &PackingLayout, values: &[Integer]) -> Vec<Integer> {
    values
        .chunks(layout.slots())
        .map(|chunk| {
            let mut sum = Integer::new();
            for v in chunk.iter().rev() {
                sum <<= layout.slot_bits();
                sum += v;
            }
            sum
        })
        .collect()
}
