//! Signed fixed-point reals with a declared number of fractional bits.

use core::cmp::Ordering;

use rug::Integer;

use super::space::PlaintextSpace;
use crate::error::{CryptoError, Result};

/// A fixed-point codec: reals ↔ integers `round(x · 2^f)` ↔ ℤ_M.
///
/// A real `x` is represented by the integer `round(x · 2^f)`, where `f` is
/// the codec's number of fractional bits; that integer is then encoded in
/// ℤ_M by the centered map of [`PlaintextSpace::encode`]. Sums of encoded
/// values are encodings of the sums, with the same `f`; multiplying by a
/// public integer `c` (e.g. `2^d` in Chiaroscuro's Alg. 2) keeps `f`
/// as well, and the extra factor is removed after decryption — see
/// [`FixedValue::div_pow2`].
///
/// # Rounding and precision
///
/// Encoding is exact-then-rounded: the `f64` is decomposed into its exact
/// binary value, multiplied by `2^f` exactly, and rounded **to the nearest
/// integer, ties to even** ("banker's rounding"). Hence for every finite
/// `x` the encoded integer `n` satisfies `|n · 2^(−f) − x| ≤ 2^(−f−1)`, and
/// the encoding is exact whenever `x` is a multiple of `2^(−f)`. Rounding
/// errors add up: a sum of `N` encoded values is off by at most
/// `N · 2^(−f−1)`.
///
/// Decoding to `f64` ([`FixedValue::to_f64`]) is correctly rounded, to
/// nearest with ties to even, including in the subnormal range, so it adds
/// at most half an ulp of the result (a relative error ≤ 2⁻⁵³ for normal
/// results). The exact
/// value is always available as a [`FixedValue`]: `mantissa / 2^frac_bits`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FixedPoint {
    frac_bits: u32,
}

impl FixedPoint {
    /// The largest accepted number of fractional bits (a sanity cap: a
    /// plaintext of 4096·s bits never needs more).
    pub const MAX_FRAC_BITS: u32 = 1 << 14;

    /// A codec with `frac_bits` fractional bits: the resolution is
    /// `2^(−frac_bits)`.
    ///
    /// # Errors
    /// [`CryptoError::InvalidParameter`] when `frac_bits` exceeds
    /// [`FixedPoint::MAX_FRAC_BITS`].
    pub fn new(frac_bits: u32) -> Result<Self> {
        if frac_bits > Self::MAX_FRAC_BITS {
            return Err(CryptoError::invalid(
                "frac_bits",
                format!(
                    "{frac_bits} fractional bits, at most {} allowed",
                    Self::MAX_FRAC_BITS
                ),
            ));
        }
        Ok(FixedPoint { frac_bits })
    }

    /// The number of fractional bits `f`.
    pub fn frac_bits(&self) -> u32 {
        self.frac_bits
    }

    /// The scaled integer `round(x · 2^f)`, rounding to nearest, ties to
    /// even. Not reduced into any plaintext space: use it to pack values
    /// (see [`super::PackingLayout::pack`]) or pass it to
    /// [`PlaintextSpace::encode`].
    ///
    /// # Errors
    /// [`CryptoError::InvalidInput`] when `x` is NaN or infinite.
    pub fn scale(&self, x: f64) -> Result<Integer> {
        if !x.is_finite() {
            return Err(CryptoError::input(
                "real value",
                if x.is_nan() {
                    "NaN cannot be encoded"
                } else {
                    "an infinity cannot be encoded"
                },
            ));
        }
        let (negative, mantissa, exponent) = decompose(x);
        if mantissa == 0 {
            return Ok(Integer::new());
        }
        let shift = i64::from(exponent) + i64::from(self.frac_bits);
        let magnitude = if shift >= 0 {
            // shift ≤ 971 + MAX_FRAC_BITS: fits a u32.
            Integer::from(mantissa) << shift_u32(shift)
        } else {
            round_shr_half_even(Integer::from(mantissa), shift_u32(-shift))
        };
        Ok(if negative { -magnitude } else { magnitude })
    }

    /// Encodes `x` into ℤ_M: [`PlaintextSpace::encode`] of
    /// [`FixedPoint::scale`].
    ///
    /// # Errors
    /// [`CryptoError::InvalidInput`] for NaN or an infinity;
    /// [`CryptoError::Overflow`] when `round(x · 2^f)` is outside the
    /// centered range `(−M/2, M/2]`.
    pub fn encode(&self, space: &PlaintextSpace, x: f64) -> Result<Integer> {
        space.encode(&self.scale(x)?)
    }

    /// Decodes a residue of ℤ_M to its exact value `n / 2^f`, `n` centered.
    ///
    /// # Errors
    /// [`CryptoError::InvalidInput`] when the residue is not in `[0, M)`.
    pub fn decode_exact(&self, space: &PlaintextSpace, r: &Integer) -> Result<FixedValue> {
        Ok(FixedValue::new(space.decode(r)?, self.frac_bits))
    }

    /// Decodes a residue of ℤ_M to the nearest `f64` (ties to even).
    ///
    /// # Errors
    /// [`CryptoError::InvalidInput`] when the residue is not in `[0, M)`;
    /// [`CryptoError::Overflow`] when the value exceeds the `f64` range.
    pub fn decode(&self, space: &PlaintextSpace, r: &Integer) -> Result<f64> {
        self.decode_exact(space, r)?.to_f64()
    }

    /// The real `n / 2^f` of a scaled integer (e.g. one slot of an
    /// unpacked plaintext), rounded to the nearest `f64`.
    ///
    /// # Errors
    /// [`CryptoError::Overflow`] when the value exceeds the `f64` range.
    pub fn unscale(&self, n: &Integer) -> Result<f64> {
        FixedValue::new(n.clone(), self.frac_bits).to_f64()
    }
}

/// An exact dyadic rational `mantissa / 2^frac_bits`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct FixedValue {
    mantissa: Integer,
    frac_bits: u32,
}

impl FixedValue {
    /// The value `mantissa / 2^frac_bits`.
    pub fn new(mantissa: Integer, frac_bits: u32) -> Self {
        FixedValue {
            mantissa,
            frac_bits,
        }
    }

    /// The numerator.
    pub fn mantissa(&self) -> &Integer {
        &self.mantissa
    }

    /// The base-2 logarithm of the denominator.
    pub fn frac_bits(&self) -> u32 {
        self.frac_bits
    }

    /// `(mantissa, frac_bits)`.
    pub fn into_parts(self) -> (Integer, u32) {
        (self.mantissa, self.frac_bits)
    }

    /// The value divided by `2^k`, exactly (the denominator grows).
    ///
    /// This is how the doublings of Chiaroscuro's Alg. 2 are undone after
    /// decryption: a plaintext that was multiplied by `2^k` decodes to
    /// `FixedValue::div_pow2(k)`.
    ///
    /// # Errors
    /// [`CryptoError::Overflow`] when `frac_bits + k` exceeds `u32::MAX`.
    pub fn div_pow2(self, k: u32) -> Result<Self> {
        let frac_bits = self.frac_bits.checked_add(k).ok_or_else(|| {
            CryptoError::Overflow("fixed-point denominator exceeds 2^u32::MAX".into())
        })?;
        Ok(FixedValue {
            mantissa: self.mantissa,
            frac_bits,
        })
    }

    /// The nearest `f64`, ties to even (correctly rounded, including
    /// subnormal results; values below half the smallest subnormal give a
    /// signed zero).
    ///
    /// # Errors
    /// [`CryptoError::Overflow`] when the value rounds beyond `f64::MAX`.
    pub fn to_f64(&self) -> Result<f64> {
        if self.mantissa.is_zero() {
            return Ok(0.0);
        }
        let negative = self.mantissa.is_negative();
        let magnitude = Integer::from(self.mantissa.abs_ref());
        let frac = i64::from(self.frac_bits);
        // value ∈ [2^top, 2^(top+1)): `top` is the exponent of its leading bit.
        let top = i64::from(magnitude.significant_bits()) - 1 - frac;
        let too_large = || CryptoError::Overflow("fixed-point value exceeds the f64 range".into());
        if top > i64::from(f64::MAX_EXP - 1) {
            return Err(too_large());
        }
        // The weight of the last kept bit: 53 significant bits for a normal
        // result, fewer (down to 2^-1074) for a subnormal one.
        let ulp = (top - 52).max(-1074);
        let shift = ulp + frac;
        let q = if shift <= 0 {
            // ≤ 53 bits, exact.
            magnitude << shift_u32(-shift)
        } else {
            round_shr_half_even(magnitude, shift_u32(shift))
        };
        // q ≤ 2^53, so both conversions below are exact, and so is the
        // product unless it overflows.
        let q = q.to_u64().expect("at most 2^53 after rounding") as f64;
        let value = q * pow2(ulp);
        if value.is_infinite() {
            return Err(too_large());
        }
        Ok(if negative { -value } else { value })
    }
}

/// `|x| = mantissa · 2^exponent` for a finite `x`, with the sign apart.
fn decompose(x: f64) -> (bool, u64, i32) {
    let bits = x.to_bits();
    let negative = bits >> 63 == 1;
    let biased = ((bits >> 52) & 0x7ff) as i32;
    let fraction = bits & ((1u64 << 52) - 1);
    if biased == 0 {
        (negative, fraction, -1074)
    } else {
        (negative, fraction | (1u64 << 52), biased - 1075)
    }
}

/// `2^k` for `k ∈ [−1074, 1023]`, exactly.
fn pow2(k: i64) -> f64 {
    debug_assert!((-1074..=1023).contains(&k));
    if k >= -1022 {
        f64::from_bits(((k + 1023) as u64) << 52)
    } else {
        f64::from_bits(1u64 << (k + 1074))
    }
}

/// A shift amount known to be small (bounded by the f64 exponent range
/// plus a u32 number of fractional bits).
fn shift_u32(shift: i64) -> u32 {
    u32::try_from(shift).expect("shift amount fits a u32")
}

/// `round(n / 2^s)` for `n ≥ 0`, to nearest, ties to even.
fn round_shr_half_even(n: Integer, s: u32) -> Integer {
    if s == 0 {
        return n;
    }
    let remainder = Integer::from(n.keep_bits_ref(s));
    let mut quotient = n >> s;
    let half = Integer::from(1) << (s - 1);
    match remainder.cmp(&half) {
        Ordering::Greater => quotient += 1,
        Ordering::Equal if quotient.is_odd() => quotient += 1,
        _ => {}
    }
    quotient
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ties_go_to_even() {
        let fp = FixedPoint::new(1).unwrap();
        // x · 2 = 1.25 · 2 = 2.5 → 2; 3.5 → 4; −2.5 → −2
        assert_eq!(fp.scale(1.25).unwrap(), 2);
        assert_eq!(fp.scale(1.75).unwrap(), 4);
        assert_eq!(fp.scale(-1.25).unwrap(), -2);
        assert_eq!(fp.scale(0.25).unwrap(), 0);
        assert_eq!(fp.scale(0.2500001).unwrap(), 1);
    }

    #[test]
    fn to_f64_rounds_like_the_hardware() {
        let two53 = Integer::from(1) << 53u32;
        for (add, expect) in [(1u32, 0u64), (3, 4), (2, 2)] {
            let v = FixedValue::new(Integer::from(&two53 + add), 0);
            assert_eq!(v.to_f64().unwrap(), (1u64 << 53) as f64 + expect as f64);
        }
        // Subnormals: 1/2 ulp → 0 (even), 3/4 ulp → 1 ulp, 3/2 ulp → 2 ulp.
        let tiny = f64::from_bits(1);
        assert_eq!(
            FixedValue::new(Integer::from(1), 1074).to_f64().unwrap(),
            tiny
        );
        assert_eq!(
            FixedValue::new(Integer::from(1), 1075).to_f64().unwrap(),
            0.0
        );
        assert_eq!(
            FixedValue::new(Integer::from(3), 1076).to_f64().unwrap(),
            tiny
        );
        assert_eq!(
            FixedValue::new(Integer::from(3), 1075).to_f64().unwrap(),
            2.0 * tiny
        );
        assert_eq!(
            FixedValue::new(Integer::from(-3), 1075).to_f64().unwrap(),
            -2.0 * tiny
        );
        // Largest finite, and one past it.
        let max = FixedValue::new(
            Integer::from(f64::MAX.to_bits() & ((1 << 52) - 1) | (1 << 52)) << 971u32,
            0,
        );
        assert_eq!(max.to_f64().unwrap(), f64::MAX);
        let over = FixedValue::new(Integer::from(1) << 1024u32, 0);
        assert!(matches!(over.to_f64(), Err(CryptoError::Overflow(_))));
        // Rounds up into 2^1024.
        let almost = FixedValue::new((Integer::from(1) << 1024u32) - 1u32, 0);
        assert!(matches!(almost.to_f64(), Err(CryptoError::Overflow(_))));
    }

    #[test]
    fn pow2_is_exact() {
        assert_eq!(pow2(0), 1.0);
        assert_eq!(pow2(-1), 0.5);
        assert_eq!(pow2(1023), 2f64.powi(1023));
        assert_eq!(pow2(-1074), f64::from_bits(1));
        assert_eq!(pow2(-1022), f64::MIN_POSITIVE);
    }
}
