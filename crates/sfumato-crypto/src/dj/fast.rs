//! Fast encryption with short exponents and a fixed base (Damgård, Jurik
//! and Nielsen 2010, "A generalization of Paillier's public-key system with
//! applications to electronic voting", §4.1).
//!
//! Instead of `r^(nˢ)` for a random `r ∈ ℤ*_n` (an exponent of `s·|n|`
//! bits), the randomizer is `h^α` for a fixed random `nˢ`-th residue
//! `h = x^(nˢ)` and a random `α` of `⌈|n|/2⌉` bits, computed with a table of
//! `h^(d·2^(w·j))` (fixed-base windowing): about `|n|/(2w)` multiplications
//! instead of `s·|n|` squarings.
//!
//! **Assumption.** Semantic security then rests on DCR *and* on the
//! hardness of telling `h^α` for short `α` from a uniform `nˢ`-th residue
//! (DJN10 show this follows from DCR when `h` is chosen as they do, up to
//! the short-exponent assumption on the subgroup of `nˢ`-th residues, whose
//! best known attack costs about `2^(|α|/2)`). Use [`PublicKey::encrypt`]
//! (full randomness, DCR only) where that extra assumption is unwanted; use
//! [`super::cipher::Randomizer::batch`] to precompute full randomizers on
//! all cores instead.

use rand_core::CryptoRng;
use rug::{Assign, Integer};

use super::cipher::{Ciphertext, Randomizer};
use super::keys::PublicKey;
use super::math::{random_bits, random_unit};

/// Bits per table window.
const WINDOW: u32 = 8;

/// An encryptor for one public key with a precomputed fixed-base table.
#[derive(Clone)]
pub struct ShortExponentEncryptor {
    pk: PublicKey,
    exponent_bits: u32,
    /// `table[j][d] = h^(d · 2^(WINDOW·j)) mod nˢ⁺¹`.
    table: Vec<Vec<Integer>>,
}

impl ShortExponentEncryptor {
    /// Draws `h` from `rng` and builds the table (about
    /// `|n|/(2·8) · 255` multiplications: 33,000 at `|n| = 2048`; the table
    /// holds 128 × 256 residues, 16 MB at `|n| = 2048`, s = 1).
    pub fn new<R: CryptoRng + ?Sized>(pk: &PublicKey, rng: &mut R) -> ShortExponentEncryptor {
        let m = pk.ciphertext_modulus();
        let x = random_unit(rng, pk.n());
        let h = x.pow_mod(pk.plaintext_modulus(), m).unwrap_or_default();
        let exponent_bits = pk.bits().div_ceil(2);
        let windows = exponent_bits.div_ceil(WINDOW);
        let mut table = Vec::with_capacity(windows as usize);
        let mut base = h;
        for _ in 0..windows {
            let mut row = Vec::with_capacity(1 << WINDOW);
            let mut acc = Integer::from(1);
            for _ in 0..(1u32 << WINDOW) {
                row.push(acc.clone());
                acc *= &base;
                acc = acc.modulo(m);
            }
            // acc = base^(2^WINDOW): the next window's base.
            base = acc;
            table.push(row);
        }
        ShortExponentEncryptor {
            pk: pk.clone(),
            exponent_bits,
            table,
        }
    }

    /// The key.
    pub fn public(&self) -> &PublicKey {
        &self.pk
    }

    /// Bits of the exponent `α`.
    pub fn exponent_bits(&self) -> u32 {
        self.exponent_bits
    }

    /// A randomizer `h^α` for a fresh `α`.
    pub fn randomizer<R: CryptoRng + ?Sized>(&self, rng: &mut R) -> Randomizer {
        self.randomizer_for(&random_bits(rng, self.exponent_bits))
    }

    /// `E(m)` with the randomizer `h^α` of a given `α`.
    pub(crate) fn encrypt_with_exponent(&self, m: &Integer, alpha: &Integer) -> Ciphertext {
        self.pk.encrypt_with(m, self.randomizer_for(alpha))
    }

    /// `h^α` from the table. Products go into a reused buffer and are
    /// reduced in place (no allocation per multiplication).
    fn randomizer_for(&self, alpha: &Integer) -> Randomizer {
        let m = self.pk.ciphertext_modulus();
        let mut acc = Integer::with_capacity(2 * m.significant_bits() as usize);
        acc.assign(1);
        let mut product = Integer::with_capacity(2 * m.significant_bits() as usize);
        for (j, row) in self.table.iter().enumerate() {
            let mut d = 0usize;
            for b in 0..WINDOW {
                if alpha.get_bit(j as u32 * WINDOW + b) {
                    d |= 1 << b;
                }
            }
            if d != 0 {
                product.assign(&acc * &row[d]);
                acc.assign(&product % m);
            }
        }
        Randomizer::from_residue(acc)
    }

    /// `E(m)` with a short-exponent randomizer.
    pub fn encrypt<R: CryptoRng + ?Sized>(&self, m: &Integer, rng: &mut R) -> Ciphertext {
        self.pk.encrypt_with(m, self.randomizer(rng))
    }
}

impl core::fmt::Debug for ShortExponentEncryptor {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "ShortExponentEncryptor {{ {:?}, exponent_bits: {} }}",
            self.pk, self.exponent_bits
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dj::PrivateKey;
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng;

    #[test]
    fn short_exponent_ciphertexts_decrypt_and_add() {
        let mut rng = ChaCha20Rng::seed_from_u64(12);
        for s in [1, 2] {
            let sk = PrivateKey::generate(&mut rng, 256, s, 1, &|_| {}).unwrap();
            let enc = ShortExponentEncryptor::new(sk.public(), &mut rng);
            let a = enc.encrypt(&Integer::from(-5), &mut rng);
            let b = enc.encrypt(&Integer::from(12), &mut rng);
            assert_ne!(enc.encrypt(&Integer::from(12), &mut rng), b);
            let ns = sk.public().plaintext_modulus();
            assert_eq!(sk.decrypt(&a).unwrap(), Integer::from(ns - 5u32));
            assert_eq!(sk.decrypt(&sk.public().add(&a, &b)).unwrap(), 7);
        }
    }
}
