//! Packing several bounded signed values into one plaintext.

use rug::Integer;

use super::space::PlaintextSpace;
use crate::error::{CryptoError, Result};

/// How much a packed plaintext may grow before it is unpacked.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Headroom {
    /// The largest number of additions of packed plaintexts: summing `N`
    /// participants' plaintexts is `N − 1` additions.
    pub additions: u64,
    /// The largest number of multiplications by 2 (applied to any terms).
    pub doublings: u32,
}

impl Headroom {
    /// No additions, no doublings: a plaintext is unpacked as it was
    /// packed.
    pub const NONE: Headroom = Headroom {
        additions: 0,
        doublings: 0,
    };

    /// `additions` additions and `doublings` doublings.
    pub const fn new(additions: u64, doublings: u32) -> Self {
        Headroom {
            additions,
            doublings,
        }
    }

    /// The largest multiplicity `W_max = (additions + 1) · 2^doublings`.
    pub fn max_multiplicity(&self) -> Integer {
        (Integer::from(self.additions) + 1u32) << self.doublings
    }
}

/// Slots wider than this are refused outright (no plaintext is that large;
/// the cap keeps `2^doublings` from being allocated for absurd inputs).
const MAX_SLOT_BITS: u64 = 1 << 24;

/// The slot width `w = bits(B · (a + 1) · 2^d) + 1`, the smallest with
/// `B · (a + 1) · 2^d < 2^(w−1)`.
fn slot_width(bound: &Integer, headroom: Headroom) -> Result<u32> {
    if bound.cmp0() != core::cmp::Ordering::Greater {
        return Err(CryptoError::invalid(
            "bound",
            "the bound B on packed values must be at least 1",
        ));
    }
    // An upper estimate first, so that 2^doublings is never built for
    // nothing.
    let estimate = u64::from(bound.significant_bits()) + 65 + u64::from(headroom.doublings) + 1;
    if estimate > MAX_SLOT_BITS {
        return Err(CryptoError::Overflow(format!(
            "a slot for {}-bit values with {} doublings would exceed {MAX_SLOT_BITS} bits",
            bound.significant_bits(),
            headroom.doublings
        )));
    }
    let peak = bound * headroom.max_multiplicity();
    Ok(peak.significant_bits() + 1)
}

/// How many slots of values in `[−bound, bound]` with this headroom fit a
/// plaintext whose modulus has `modulus_bits` bits
/// ([`PlaintextSpace::bits`]): `⌊(modulus_bits − 1) / w⌋`, possibly 0.
///
/// # Errors
/// [`CryptoError::InvalidParameter`] when `bound < 1`;
/// [`CryptoError::Overflow`] when a slot would be absurdly wide (over 2²⁴
/// bits).
pub fn capacity(modulus_bits: u32, bound: &Integer, headroom: Headroom) -> Result<usize> {
    let w = slot_width(bound, headroom)?;
    let usable = modulus_bits.saturating_sub(1);
    Ok(usize::try_from(usable / w).unwrap_or(usize::MAX))
}

/// A packing of `slots` values in `[−bound, bound]` into one plaintext,
/// with room for a declared [`Headroom`] of additions and doublings.
///
/// A plaintext of ℤ_M has thousands of bits; a value to aggregate needs a
/// few dozen. Packing `k` values into one plaintext divides the number of
/// encryptions, homomorphic additions and ciphertext bytes by `k`.
///
/// # Layout
///
/// A [`PackingLayout`] has `k` slots of `w` bits each; slot `i` occupies
/// bits `[i·w, (i+1)·w)` of the plaintext, slot 0 being the least
/// significant. Values are declared in `[−B, B]` and the layout declares a
/// [`Headroom`]: at most `a` additions (so at most `a + 1` packed plaintexts
/// summed) and at most `d` doublings (multiplications by 2, Chiaroscuro's
/// scaling). Any such combination is `P = Σⱼ cⱼ·Pⱼ` with non-negative
/// integer coefficients whose sum, the *multiplicity* `W = Σⱼ cⱼ`, is at
/// most `W_max = (a + 1)·2^d`.
///
/// Each value `v` is stored *offset*: slot content `v + B ∈ [0, 2B]`, so
/// every slot is non-negative and a packed plaintext is a plain
/// non-negative integer, with no borrow between slots. After combination
/// a slot holds `Σⱼ cⱼ·(vⱼ + B) = Σⱼ cⱼ·vⱼ + B·W ∈ [0, 2·B·W]`: the bias
/// has grown to `B·W`. The slot width is the smallest `w` with
///
/// ```text
/// B · (a + 1) · 2^d < 2^(w−1)        i.e.  w = bits(B · W_max) + 1,
/// ```
///
/// so `2·B·W ≤ 2·B·W_max < 2^w`: no slot carries into its neighbour. The
/// layout needs `k·w ≤ bits(M) − 1` (one safety bit): then every packed
/// plaintext, and every combination within the headroom, is below
/// `2^(k·w) ≤ 2^(bits(M)−1) ≤ M`, so reduction modulo `M` never happens
/// and the integers in ℤ_M *are* the packed integers.
///
/// # Decoding
///
/// The decoder removes the bias `B·W` from each slot, so it must be told
/// `W`: [`PackingLayout::unpack`] takes the number of `terms` summed and
/// the number of `doublings` applied to the sum (`W = terms·2^doublings`)
/// and refuses more than the declared headroom;
/// [`PackingLayout::unpack_weighted`] takes `W` itself, for combinations
/// that are not "a sum, then doublings" (Chiaroscuro's gossip, below) and
/// refuses `W > W_max`. A slot outside `[0, 2·B·W]` or a plaintext of more
/// than `k·w` bits is reported as malformed (a wrong `W`, a value that
/// broke its bound, or a plaintext of another layout); a wrong `W` is not
/// always detectable, since it merely shifts every slot by `B·ΔW`.
///
/// # Chiaroscuro
///
/// In Chiaroscuro (§4.2.1, Alg. 2) each participant encrypts, for each
/// cluster, a *mean*: the sum of the `d` measures of its time series if it
/// belongs to the cluster (zeros otherwise) and a count (1 or 0), all as
/// fixed-point values ([`super::FixedPoint::scale`]) since the noise
/// shares added to them are reals. These `d + 1` values are packed into
/// `⌈(d + 1)/k⌉` plaintexts ([`PackingLayout::pack_all`]).
///
/// The encrypted epidemic sum (EESum) never halves: when two participants
/// exchange, the one that has done fewer exchanges multiplies its
/// ciphertext by `2^(n_r − n_l)` before the two add up. After the gossip a
/// participant holds `Σⱼ cⱼ·Pⱼ` where `cⱼ / 2^(n_l)` is the (non-negative)
/// share of participant `j`'s mass that reached it; the shares of the
/// whole population sum to at most `n_p` (at most one per participant),
/// so `W ≤ n_p · 2^(n_l)`: declare `Headroom { additions: n_p − 1,
/// doublings: n_e }` for `n_p` participants and at most `n_e` exchanges.
/// `W` does not depend on the data: each participant tracks it in the
/// clear next to its ciphertext with the same update rule (`W_l ←
/// W_l·2^(n_r−n_l) + W_r`, scaling whichever side has fewer exchanges,
/// starting from `W = 1`), and decodes with
/// [`PackingLayout::unpack_all_weighted`]; the weights `ω` and the
/// divisor `2^(n_l)` of Alg. 2 are then applied to the decoded integers.
///
/// For example, with values of 16 integer bits and 20 fractional bits
/// (`B < 2^36`), a million participants (`a < 2^20`) and 100 exchanges,
/// `w = 36 + 20 + 100 + 1 = 157` bits: a 2048-bit plaintext (s = 1)
/// holds 13 slots, a 4096-bit one (s = 2) 26.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PackingLayout {
    slots: usize,
    bound: Integer,
    headroom: Headroom,
    slot_bits: u32,
    max_multiplicity: Integer,
}

impl PackingLayout {
    /// A layout of `slots` slots for values in `[−bound, bound]` that
    /// survive `headroom`, in plaintexts of `space`.
    ///
    /// # Errors
    /// [`CryptoError::InvalidParameter`] when `slots` is 0 or `bound < 1`;
    /// [`CryptoError::Overflow`] when `slots · w > bits(M) − 1`.
    pub fn new(
        space: &PlaintextSpace,
        slots: usize,
        bound: Integer,
        headroom: Headroom,
    ) -> Result<Self> {
        if slots == 0 {
            return Err(CryptoError::invalid(
                "slots",
                "a layout needs at least one slot",
            ));
        }
        let slot_bits = slot_width(&bound, headroom)?;
        let usable = u64::from(space.bits() - 1);
        let needed = u64::try_from(slots)
            .ok()
            .and_then(|k| k.checked_mul(u64::from(slot_bits)));
        if needed.is_none_or(|needed| needed > usable) {
            return Err(CryptoError::Overflow(format!(
                "{slots} slots of {slot_bits} bits do not fit a {}-bit plaintext \
                 ({usable} usable bits, one kept as a safety bit): at most {} slots fit",
                space.bits(),
                usable / u64::from(slot_bits)
            )));
        }
        let max_multiplicity = headroom.max_multiplicity();
        Ok(PackingLayout {
            slots,
            bound,
            headroom,
            slot_bits,
            max_multiplicity,
        })
    }

    /// The layout with as many slots as fit ([`capacity`]).
    ///
    /// # Errors
    /// As [`PackingLayout::new`]; [`CryptoError::Overflow`] when not even
    /// one slot fits.
    pub fn with_max_slots(
        space: &PlaintextSpace,
        bound: Integer,
        headroom: Headroom,
    ) -> Result<Self> {
        let slots = capacity(space.bits(), &bound, headroom)?.max(1);
        Self::new(space, slots, bound, headroom)
    }

    /// The number of slots `k`.
    pub fn slots(&self) -> usize {
        self.slots
    }

    /// The bound `B`: packed values lie in `[−B, B]`.
    pub fn bound(&self) -> &Integer {
        &self.bound
    }

    /// The declared headroom.
    pub fn headroom(&self) -> Headroom {
        self.headroom
    }

    /// The slot width `w` in bits.
    pub fn slot_bits(&self) -> u32 {
        self.slot_bits
    }

    /// The bits used by a packed plaintext, `k · w` (≤ `bits(M) − 1`).
    pub fn packed_bits(&self) -> u64 {
        self.slots as u64 * u64::from(self.slot_bits)
    }

    /// The largest multiplicity the headroom allows,
    /// `W_max = (additions + 1) · 2^doublings`.
    pub fn max_multiplicity(&self) -> &Integer {
        &self.max_multiplicity
    }

    /// How many plaintexts hold `len` values: `⌈len / k⌉`.
    pub fn plaintexts_needed(&self, len: usize) -> usize {
        len.div_ceil(self.slots)
    }

    /// Packs at most `k` values into one plaintext (an element of ℤ_M,
    /// below `2^(k·w)`); missing trailing slots hold 0.
    ///
    /// # Errors
    /// [`CryptoError::InvalidParameter`] for more than `k` values;
    /// [`CryptoError::Overflow`] when a value is outside `[−B, B]` (the
    /// message names the slot, not the value).
    pub fn pack<T: Clone + Into<Integer>>(&self, values: &[T]) -> Result<Integer> {
        if values.len() > self.slots {
            return Err(CryptoError::invalid(
                "values",
                format!("{} values for {} slots", values.len(), self.slots),
            ));
        }
        let mut packed = Integer::new();
        for i in (0..self.slots).rev() {
            packed <<= self.slot_bits;
            let Some(value) = values.get(i) else {
                packed += &self.bound;
                continue;
            };
            let value: Integer = value.clone().into();
            if value.cmp_abs(&self.bound) == core::cmp::Ordering::Greater {
                return Err(CryptoError::Overflow(format!(
                    "the value for slot {i} is outside the declared bound [−B, B] ({}-bit B)",
                    self.bound.significant_bits()
                )));
            }
            packed += value;
            packed += &self.bound;
        }
        Ok(packed)
    }

    /// Packs any number of values into `⌈len / k⌉` plaintexts, `k` per
    /// plaintext in order; the last one is padded with zeros.
    ///
    /// # Errors
    /// As [`PackingLayout::pack`].
    pub fn pack_all<T: Clone + Into<Integer>>(&self, values: &[T]) -> Result<Vec<Integer>> {
        values
            .chunks(self.slots)
            .map(|chunk| self.pack(chunk))
            .collect()
    }

    /// Unpacks the `k` slots of a sum of `terms` packed plaintexts that was
    /// then doubled `doublings` times (modulo `M`): multiplicity
    /// `W = terms · 2^doublings`.
    ///
    /// # Errors
    /// [`CryptoError::InvalidParameter`] when `terms` is 0;
    /// [`CryptoError::Overflow`] when `terms − 1` exceeds the declared
    /// additions or `doublings` the declared doublings; otherwise as
    /// [`PackingLayout::unpack_weighted`].
    pub fn unpack(&self, packed: &Integer, terms: u64, doublings: u32) -> Result<Vec<Integer>> {
        let multiplicity = self.multiplicity(terms, doublings)?;
        self.unpack_weighted(packed, &multiplicity)
    }

    /// Unpacks the `k` slots of `Σⱼ cⱼ·Pⱼ` (modulo `M`) for packed
    /// plaintexts `Pⱼ` and non-negative integers `cⱼ` of sum
    /// `multiplicity = Σⱼ cⱼ`: slot `i` decodes to `Σⱼ cⱼ·vⱼᵢ`.
    ///
    /// # Errors
    /// [`CryptoError::InvalidParameter`] when `multiplicity < 1`;
    /// [`CryptoError::Overflow`] when it exceeds
    /// [`PackingLayout::max_multiplicity`]; [`CryptoError::InvalidInput`]
    /// when `packed` is negative or wider than `k·w` bits, or a slot is
    /// outside `[0, 2·B·multiplicity]`.
    pub fn unpack_weighted(
        &self,
        packed: &Integer,
        multiplicity: &Integer,
    ) -> Result<Vec<Integer>> {
        if multiplicity.cmp0() != core::cmp::Ordering::Greater {
            return Err(CryptoError::invalid(
                "multiplicity",
                "a packed plaintext combines at least one term",
            ));
        }
        if *multiplicity > self.max_multiplicity {
            return Err(CryptoError::Overflow(format!(
                "multiplicity of {} bits exceeds the declared headroom \
                 ({} additions, {} doublings)",
                multiplicity.significant_bits(),
                self.headroom.additions,
                self.headroom.doublings
            )));
        }
        if packed.is_negative() || u64::from(packed.significant_bits()) > self.packed_bits() {
            return Err(CryptoError::input(
                "packed plaintext",
                format!(
                    "{}-bit value for a layout of {} bits: a slot overflowed its headroom, \
                     or the plaintext was not packed with this layout",
                    packed.significant_bits(),
                    self.packed_bits()
                ),
            ));
        }
        let bias = Integer::from(&self.bound * multiplicity);
        let top = Integer::from(&bias << 1u32);
        let mut rest = packed.clone();
        let mut values = Vec::with_capacity(self.slots);
        for i in 0..self.slots {
            let slot = Integer::from(rest.keep_bits_ref(self.slot_bits));
            rest >>= self.slot_bits;
            if slot > top {
                return Err(CryptoError::input(
                    "packed plaintext",
                    format!(
                        "slot {i} is outside [0, 2·B·multiplicity]: a wrong multiplicity, \
                         or a value outside its bound"
                    ),
                ));
            }
            values.push(slot - &bias);
        }
        Ok(values)
    }

    /// Unpacks `len` values from the `⌈len / k⌉` plaintexts of
    /// [`PackingLayout::pack_all`], each a sum of `terms` terms doubled
    /// `doublings` times.
    ///
    /// # Errors
    /// As [`PackingLayout::unpack_all_weighted`] and
    /// [`PackingLayout::unpack`].
    pub fn unpack_all(
        &self,
        packed: &[Integer],
        len: usize,
        terms: u64,
        doublings: u32,
    ) -> Result<Vec<Integer>> {
        let multiplicity = self.multiplicity(terms, doublings)?;
        self.unpack_all_weighted(packed, len, &multiplicity)
    }

    /// Unpacks `len` values from the `⌈len / k⌉` plaintexts of
    /// [`PackingLayout::pack_all`], all combined with the same
    /// `multiplicity` (see [`PackingLayout::unpack_weighted`]).
    ///
    /// # Errors
    /// [`CryptoError::InvalidParameter`] when the number of plaintexts is
    /// not `⌈len / k⌉`; [`CryptoError::InvalidInput`] when a padding slot
    /// of the last plaintext does not decode to 0 (a sign of a wrong
    /// multiplicity); otherwise as [`PackingLayout::unpack_weighted`].
    pub fn unpack_all_weighted(
        &self,
        packed: &[Integer],
        len: usize,
        multiplicity: &Integer,
    ) -> Result<Vec<Integer>> {
        let needed = self.plaintexts_needed(len);
        if packed.len() != needed {
            return Err(CryptoError::invalid(
                "packed",
                format!(
                    "{} plaintexts for {len} values, {needed} expected",
                    packed.len()
                ),
            ));
        }
        let mut values = Vec::with_capacity(needed * self.slots);
        for plaintext in packed {
            values.extend(self.unpack_weighted(plaintext, multiplicity)?);
        }
        if let Some(i) = values[len..].iter().position(|v| !v.is_zero()) {
            return Err(CryptoError::input(
                "packed plaintext",
                format!(
                    "padding slot {} of the last plaintext is not 0: a wrong multiplicity, \
                     or a plaintext of another layout",
                    (len + i) % self.slots
                ),
            ));
        }
        values.truncate(len);
        Ok(values)
    }

    /// `terms · 2^doublings`, checked against the headroom.
    fn multiplicity(&self, terms: u64, doublings: u32) -> Result<Integer> {
        if terms == 0 {
            return Err(CryptoError::invalid(
                "terms",
                "a packed plaintext sums at least one term",
            ));
        }
        if terms - 1 > self.headroom.additions {
            return Err(CryptoError::Overflow(format!(
                "{terms} terms need {} additions; the layout's headroom is {} additions",
                terms - 1,
                self.headroom.additions
            )));
        }
        if doublings > self.headroom.doublings {
            return Err(CryptoError::Overflow(format!(
                "{doublings} doublings exceed the layout's headroom of {} doublings",
                self.headroom.doublings
            )));
        }
        Ok(Integer::from(terms) << doublings)
    }
}
