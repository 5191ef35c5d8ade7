//! The plaintext space ℤ_M of an additively homomorphic scheme.

use rug::Integer;

use crate::error::{CryptoError, Result};

/// The plaintext space ℤ_M, M = nˢ for Damgård–Jurik.
///
/// This module only needs the modulus, not a key: build it from whatever
/// the scheme exposes as its plaintext modulus. Elements of ℤ_M are
/// represented as [`Integer`]s in `[0, M)`.
///
/// # Signed values
///
/// A signed `x` with `−M/2 < x ≤ M/2` encodes as `x mod M`; a residue
/// `r ∈ [0, M)` decodes to `r` when `2r ≤ M` and to `r − M` otherwise. The
/// two maps are inverse bijections between the centered interval and
/// ℤ_M, and both commute with addition and multiplication by a public
/// integer *as long as the true result stays in the interval*: ℤ_M has no
/// overflow flag, so a sum that leaves the interval decodes to the wrong
/// (wrapped) value without any error. Bound your values.
///
/// For an odd `M` (every Damgård–Jurik modulus) the interval is
/// `[−(M−1)/2, (M−1)/2]`; for an even `M` it is `[−M/2 + 1, M/2]`.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct PlaintextSpace {
    modulus: Integer,
    bits: u32,
}

impl PlaintextSpace {
    /// Wraps the modulus `M`; refuses `M ≤ 2⁶⁴`.
    ///
    /// Real Damgård–Jurik moduli have 1024·s bits or more; the floor only
    /// catches a modulus passed by mistake (an exponent, a bit length…)
    /// and guarantees that every `i64` encodes.
    pub fn new(modulus: Integer) -> Result<Self> {
        if modulus <= Integer::from(1) << 64u32 {
            return Err(CryptoError::invalid(
                "modulus",
                format!(
                    "the plaintext modulus must exceed 2^64, got a {}-bit {}",
                    modulus.significant_bits(),
                    if modulus.is_negative() {
                        "negative value"
                    } else {
                        "value"
                    }
                ),
            ));
        }
        let bits = modulus.significant_bits();
        Ok(PlaintextSpace { modulus, bits })
    }

    /// The modulus `M`.
    pub fn modulus(&self) -> &Integer {
        &self.modulus
    }

    /// The bit length of `M`: `2^(bits−1) ≤ M < 2^bits`.
    ///
    /// Every integer in `[0, 2^(bits−1))` is below `M`, which is what the
    /// packing layout relies on.
    pub fn bits(&self) -> u32 {
        self.bits
    }

    /// The largest signed value that encodes: `⌊M/2⌋`.
    pub fn max_signed(&self) -> Integer {
        Integer::from(&self.modulus >> 1u32)
    }

    /// The smallest signed value that encodes: `−⌊(M−1)/2⌋`, i.e. the
    /// smallest integer strictly above `−M/2`.
    pub fn min_signed(&self) -> Integer {
        let mut m = Integer::from(&self.modulus - 1u32);
        m >>= 1u32;
        -m
    }

    /// Whether `x` is a canonical element of ℤ_M, i.e. `0 ≤ x < M`.
    pub fn contains(&self, x: &Integer) -> bool {
        !x.is_negative() && *x < self.modulus
    }

    /// Checks that `x` is a canonical element of ℤ_M.
    pub(crate) fn check_member(&self, x: &Integer, what: &'static str) -> Result<()> {
        if self.contains(x) {
            Ok(())
        } else {
            Err(CryptoError::input(
                what,
                format!(
                    "not in [0, M): {} a {}-bit M",
                    if x.is_negative() {
                        "negative, with"
                    } else {
                        "not below"
                    },
                    self.bits
                ),
            ))
        }
    }
}

impl core::fmt::Debug for PlaintextSpace {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        // The modulus is public, but thousands of digits help nobody.
        f.debug_struct("PlaintextSpace")
            .field("bits", &self.bits)
            .finish_non_exhaustive()
    }
}
