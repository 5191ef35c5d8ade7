//! Encryption, homomorphic operations and decryption (DJ 2001 §3;
//! Chiaroscuro §3.3.1: `E(a) · E(b) = E(a + b)`).
//!
//! `E(m; r) = (1 + n)^m · r^(nˢ) mod nˢ⁺¹` for `m ∈ ℤ_{nˢ}` and `r ∈ ℤ*_n`.
//! `(1 + n)^m` is computed by its binomial expansion (`s` terms), so the
//! cost of an encryption is the exponentiation `r^(nˢ)`; see
//! [`Randomizer`] for moving it off the critical path.

use rand_core::CryptoRng;
use rug::{Complete, Integer};
use serde::{Deserialize, Serialize};

use super::keys::{PrivateKey, PublicKey};
use super::math::{decimal, one_plus_n_pow, random_unit};
use crate::error::{CryptoError, Result};

/// A ciphertext: an element of `ℤ*_{nˢ⁺¹}`, JSON `{"c": "..."}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ciphertext {
    #[serde(with = "decimal")]
    c: Integer,
}

/// `r^(nˢ) mod nˢ⁺¹` for a fresh random `r`: the expensive half of an
/// encryption, which can be computed ahead of time (in batches, on all
/// cores: [`Randomizer::batch`]) and spent once. Relies on nothing beyond
/// the scheme's own assumption (DCR); a randomizer must never be used twice.
#[derive(Clone, Debug)]
pub struct Randomizer(Integer);

impl Randomizer {
    /// A fresh randomizer for `pk`.
    pub fn new<R: CryptoRng + ?Sized>(pk: &PublicKey, rng: &mut R) -> Randomizer {
        let r = random_unit(rng, pk.n());
        Randomizer(
            r.pow_mod(pk.plaintext_modulus(), pk.ciphertext_modulus())
                .unwrap_or_default(),
        )
    }

    /// A randomizer from an `nˢ`-th residue computed elsewhere
    /// ([`super::fast::ShortExponentEncryptor`]).
    pub(crate) fn from_residue(x: Integer) -> Randomizer {
        Randomizer(x)
    }

    /// The randomizer `r^(nˢ)` of a given `r ∈ ℤ*_n` (for known-answer
    /// tests and interoperability; `r` must be secret and used once).
    pub fn from_r(pk: &PublicKey, r: &Integer) -> Result<Randomizer> {
        if *r <= 0 || r >= pk.n() || r.gcd_ref(pk.n()).complete() != 1 {
            return Err(CryptoError::input("randomness", "r must be a unit of ℤ_n"));
        }
        Ok(Randomizer(
            r.clone()
                .pow_mod(pk.plaintext_modulus(), pk.ciphertext_modulus())
                .unwrap_or_default(),
        ))
    }

    /// `count` randomizers computed on `threads` threads (0: all cores).
    /// The random `r` are drawn from `rng` first, in order, so the result
    /// does not depend on the number of threads.
    pub fn batch<R: CryptoRng + ?Sized>(
        pk: &PublicKey,
        rng: &mut R,
        count: usize,
        threads: usize,
    ) -> Vec<Randomizer> {
        let rs: Vec<Integer> = (0..count).map(|_| random_unit(rng, pk.n())).collect();
        super::batch::parallel_map(&rs, threads, |r| {
            Randomizer(
                r.clone()
                    .pow_mod(pk.plaintext_modulus(), pk.ciphertext_modulus())
                    .unwrap_or_default(),
            )
        })
    }
}

impl PublicKey {
    /// Reduces a signed plaintext into `ℤ_{nˢ}` (negative values wrap; use
    /// `crate::encoding` for centered signed encodings).
    fn reduce(&self, m: &Integer) -> Integer {
        m.modulo_ref(self.plaintext_modulus()).complete()
    }

    /// `E(m)` with fresh randomness.
    pub fn encrypt<R: CryptoRng + ?Sized>(&self, m: &Integer, rng: &mut R) -> Ciphertext {
        self.encrypt_with(m, Randomizer::new(self, rng))
    }

    /// `E(m)` spending a precomputed randomizer.
    pub fn encrypt_with(&self, m: &Integer, randomizer: Randomizer) -> Ciphertext {
        let mut c = one_plus_n_pow(&self.reduce(m), self.powers(), self.s());
        c *= randomizer.0;
        c %= self.ciphertext_modulus();
        Ciphertext { c }
    }

    /// `E(a + m)` from `E(a)` and a public plaintext `m` (signed values
    /// wrap): multiplies by `(1 + n)^m`, with no fresh randomness — the
    /// result is as hiding as `E(a)` was, and `m` is public anyway.
    pub fn add_plain(&self, a: &Ciphertext, m: &Integer) -> Ciphertext {
        let mut c = one_plus_n_pow(&self.reduce(m), self.powers(), self.s());
        c *= &a.c;
        c %= self.ciphertext_modulus();
        Ciphertext { c }
    }

    /// `E(a + b)` from `E(a)` and `E(b)`.
    pub fn add(&self, a: &Ciphertext, b: &Ciphertext) -> Ciphertext {
        let mut product = Integer::from(&a.c * &b.c);
        // Both factors are in [0, m): the truncated remainder is the
        // residue, computed in place.
        product %= self.ciphertext_modulus();
        Ciphertext { c: product }
    }

    /// `E(Σ mᵢ)` from the `E(mᵢ)` (`E(0)` without randomness for none).
    pub fn sum<'a>(&self, items: impl IntoIterator<Item = &'a Ciphertext>) -> Ciphertext {
        let m = self.ciphertext_modulus();
        let mut acc = Integer::from(1);
        for c in items {
            acc *= &c.c;
            acc = acc.modulo(m);
        }
        Ciphertext { c: acc }
    }

    /// `E(−a)` from `E(a)`.
    pub fn negate(&self, a: &Ciphertext) -> Ciphertext {
        Ciphertext {
            c: a.c
                .clone()
                .invert(self.ciphertext_modulus())
                .unwrap_or_default(),
        }
    }

    /// `E(k · a)` from `E(a)`, for any integer `k` (negative too). The
    /// exponent is the representative of `k mod nˢ` closest to 0, so a small
    /// negative `k` costs an inversion and a short exponentiation, not a
    /// full-size one.
    pub fn mul_const(&self, a: &Ciphertext, k: &Integer) -> Ciphertext {
        let ns = self.plaintext_modulus();
        let e = self.reduce(k);
        let half = Integer::from(ns >> 1u32);
        let m = self.ciphertext_modulus();
        let c = if e > half {
            let base = a.c.clone().invert(m).unwrap_or_default();
            base.pow_mod(&Integer::from(ns - &e), m).unwrap_or_default()
        } else {
            a.c.clone().pow_mod(&e, m).unwrap_or_default()
        };
        Ciphertext { c }
    }

    /// The same plaintext under fresh randomness.
    pub fn rerandomize<R: CryptoRng + ?Sized>(&self, a: &Ciphertext, rng: &mut R) -> Ciphertext {
        let Randomizer(r) = Randomizer::new(self, rng);
        Ciphertext {
            c: (r * &a.c).modulo(self.ciphertext_modulus()),
        }
    }

    /// Checks that `c` is a ciphertext of this key: `0 < c < nˢ⁺¹` and
    /// `gcd(c, n) = 1`.
    pub fn validate(&self, c: &Ciphertext) -> Result<()> {
        if c.c <= 0 || &c.c >= self.ciphertext_modulus() {
            return Err(CryptoError::input(
                "ciphertext",
                "not in the range (0, n^(s+1)) of this key",
            ));
        }
        if c.c.gcd_ref(self.n()).complete() != 1 {
            return Err(CryptoError::input("ciphertext", "not a unit modulo n"));
        }
        Ok(())
    }

    /// Reads `{"c": "..."}` and validates it against this key.
    pub fn ciphertext_from_json(&self, text: &str) -> Result<Ciphertext> {
        let c: Ciphertext = serde_json::from_str(text)
            .map_err(|e| CryptoError::input("ciphertext", e.to_string()))?;
        self.validate(&c)?;
        Ok(c)
    }
}

impl Ciphertext {
    /// The ciphertext as an integer of `ℤ*_{nˢ⁺¹}`.
    pub fn value(&self) -> &Integer {
        &self.c
    }

    /// A ciphertext from its integer value (validate it with
    /// [`PublicKey::validate`] before use).
    pub fn from_value(c: Integer) -> Ciphertext {
        Ciphertext { c }
    }

    /// The JSON document `{"c": "..."}`.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

impl PrivateKey {
    /// Decrypts to `m ∈ [0, nˢ)` with CRT: `m mod pˢ` from
    /// `c^(p−1) mod p^(s+1)`, `m mod qˢ` likewise, then recombination.
    pub fn decrypt(&self, c: &Ciphertext) -> Result<Integer> {
        self.public().validate(c)?;
        let s = self.public().s();
        let (p, q) = self.factors();
        Ok(self.crt(p.decrypt(&c.c, s), q.decrypt(&c.c, s)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng;

    pub(crate) fn test_key(bits: u32, s: u32, seed: u64) -> PrivateKey {
        PrivateKey::generate(&mut ChaCha20Rng::seed_from_u64(seed), bits, s, 1, &|_| {}).unwrap()
    }

    #[test]
    fn round_trips_and_homomorphism_for_several_s() {
        let mut rng = ChaCha20Rng::seed_from_u64(3);
        for s in 1..=3 {
            let sk = test_key(256, s, 10 + u64::from(s));
            let pk = sk.public();
            let ns = pk.plaintext_modulus().clone();
            for _ in 0..10 {
                let a = super::super::math::random_below(&mut rng, &ns);
                let b = super::super::math::random_below(&mut rng, &ns);
                let ea = pk.encrypt(&a, &mut rng);
                let eb = pk.encrypt(&b, &mut rng);
                assert_eq!(sk.decrypt(&ea).unwrap(), a);
                assert_eq!(
                    sk.decrypt(&pk.add(&ea, &eb)).unwrap(),
                    (&a + &b).complete().modulo(&ns)
                );
                assert_eq!(
                    sk.decrypt(&pk.negate(&ea)).unwrap(),
                    (-a.clone()).modulo(&ns)
                );
                let k = Integer::from(-12345);
                assert_eq!(
                    sk.decrypt(&pk.mul_const(&ea, &k)).unwrap(),
                    (a.clone() * &k).modulo(&ns)
                );
                for m in [b.clone(), Integer::from(-7), Integer::new()] {
                    assert_eq!(
                        sk.decrypt(&pk.add_plain(&ea, &m)).unwrap(),
                        (&a + &m).complete().modulo(&ns)
                    );
                }
                let r = pk.rerandomize(&ea, &mut rng);
                assert_ne!(r, ea);
                assert_eq!(sk.decrypt(&r).unwrap(), a);
            }
        }
    }

    #[test]
    fn invalid_ciphertexts_are_refused() {
        let sk = test_key(256, 1, 5);
        let pk = sk.public();
        for c in [
            Integer::from(0),
            pk.ciphertext_modulus().clone(),
            pk.n().clone(),
            Integer::from(-5),
        ] {
            assert!(sk.decrypt(&Ciphertext::from_value(c)).is_err());
        }
        assert!(pk.ciphertext_from_json("{\"c\": \"12x\"}").is_err());
        assert!(pk.ciphertext_from_json("[]").is_err());
    }

    #[test]
    fn keys_round_trip_through_json_and_secrets_do_not_print() {
        let sk = test_key(256, 2, 6);
        let pk2 = PublicKey::from_json(&sk.public().to_json()).unwrap();
        assert_eq!(&pk2, sk.public());
        let sk2 = PrivateKey::from_json(&sk.to_json()).unwrap();
        let mut rng = ChaCha20Rng::seed_from_u64(1);
        let c = pk2.encrypt(&Integer::from(42), &mut rng);
        assert_eq!(sk2.decrypt(&c).unwrap(), 42);
        let shown = format!("{sk:?}");
        assert!(!shown.contains(&sk.primes().0.to_string()[..12]));
        assert!(PublicKey::from_json("{\"n\": \"15\", \"s\": 1}").is_err());
        assert!(
            PublicKey::from_json(&sk.public().to_json().replace("\"s\": 2", "\"s\": 0")).is_err()
        );
    }

    #[test]
    fn randomizer_batches_do_not_depend_on_threads() {
        let sk = test_key(256, 1, 7);
        let pk = sk.public();
        let a = Randomizer::batch(pk, &mut ChaCha20Rng::seed_from_u64(2), 9, 1);
        let b = Randomizer::batch(pk, &mut ChaCha20Rng::seed_from_u64(2), 9, 4);
        assert_eq!(
            a.iter().map(|r| r.0.clone()).collect::<Vec<_>>(),
            b.iter().map(|r| r.0.clone()).collect::<Vec<_>>()
        );
        let c = pk.encrypt_with(&Integer::from(7), a[0].clone());
        assert_eq!(sk.decrypt(&c).unwrap(), 7);
    }
}
