//! Signed integers ↔ ℤ_M in the centered representation.

use rug::Integer;

use super::space::PlaintextSpace;
use crate::error::{CryptoError, Result};

impl PlaintextSpace {
    /// Encodes a signed integer: `x mod M` for `−M/2 < x ≤ M/2`.
    ///
    /// # Errors
    /// [`CryptoError::Overflow`] when `x` is outside that interval.
    pub fn encode(&self, x: &Integer) -> Result<Integer> {
        // −M < 2x ≤ M
        let twice = Integer::from(x << 1u32);
        let m = self.modulus();
        if twice > *m || -twice >= *m {
            return Err(CryptoError::Overflow(format!(
                "a {}-bit signed value does not fit the centered plaintext range (−M/2, M/2] of a {}-bit M",
                x.significant_bits(),
                self.bits()
            )));
        }
        if x.is_negative() {
            Ok(Integer::from(x + m))
        } else {
            Ok(x.clone())
        }
    }

    /// [`PlaintextSpace::encode`] for an `i64` (always fits, since M > 2⁶⁴).
    pub fn encode_i64(&self, x: i64) -> Result<Integer> {
        self.encode(&Integer::from(x))
    }

    /// [`PlaintextSpace::encode`] for an `i128`.
    ///
    /// # Errors
    /// [`CryptoError::Overflow`] when `|x|` is too large for `M`.
    pub fn encode_i128(&self, x: i128) -> Result<Integer> {
        self.encode(&Integer::from(x))
    }

    /// Decodes a residue `r ∈ [0, M)` to the centered interval: `r` if
    /// `2r ≤ M`, else `r − M`.
    ///
    /// # Errors
    /// [`CryptoError::InvalidInput`] when `r` is not in `[0, M)`.
    pub fn decode(&self, r: &Integer) -> Result<Integer> {
        self.check_member(r, "plaintext")?;
        let twice = Integer::from(r << 1u32);
        if twice > *self.modulus() {
            Ok(Integer::from(r - self.modulus()))
        } else {
            Ok(r.clone())
        }
    }

    /// [`PlaintextSpace::decode`] to an `i64`.
    ///
    /// # Errors
    /// As [`PlaintextSpace::decode`], and [`CryptoError::Overflow`] when the
    /// decoded value does not fit an `i64`.
    pub fn decode_i64(&self, r: &Integer) -> Result<i64> {
        let x = self.decode(r)?;
        x.to_i64().ok_or_else(|| {
            CryptoError::Overflow(format!(
                "decoded plaintext has {} bits, more than an i64 holds",
                x.significant_bits()
            ))
        })
    }

    /// [`PlaintextSpace::decode`] to an `i128`.
    ///
    /// # Errors
    /// As [`PlaintextSpace::decode`], and [`CryptoError::Overflow`] when the
    /// decoded value does not fit an `i128`.
    pub fn decode_i128(&self, r: &Integer) -> Result<i128> {
        let x = self.decode(r)?;
        x.to_i128().ok_or_else(|| {
            CryptoError::Overflow(format!(
                "decoded plaintext has {} bits, more than an i128 holds",
                x.significant_bits()
            ))
        })
    }
}
