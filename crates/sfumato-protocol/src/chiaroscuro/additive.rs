//! The additively homomorphic encryption Chiaroscuro needs (§3.3.1),
//! behind one trait so that the protocol runs with real Damgård–Jurik or,
//! for very large simulated populations, with a loudly named insecure
//! stand-in — the paper's own demonstrator disabled encryption the same
//! way. Every output of a run says which scheme ran ([`AdditiveScheme::name`],
//! [`AdditiveScheme::is_secure`]).
//!
//! Alg. 2 needs three operations on ciphertexts: encryption, homomorphic
//! addition, and multiplication by a power of two (instead of dividing,
//! which encrypted data does not allow).

use std::sync::Arc;

use rand_core::CryptoRng;
use rug::Integer;
use serde::{Deserialize, Serialize};
use sfumato_crypto::dj::{Ciphertext, PublicKey};

/// An additively homomorphic scheme.
pub trait AdditiveScheme: Send + Sync + 'static {
    /// Its ciphertexts.
    type Ciphertext: Clone
        + core::fmt::Debug
        + PartialEq
        + Send
        + Serialize
        + for<'de> Deserialize<'de>
        + 'static;

    /// A name for outputs.
    fn name(&self) -> &'static str;

    /// Whether ciphertexts hide their plaintexts.
    fn is_secure(&self) -> bool;

    /// E(m).
    fn encrypt<R: CryptoRng + ?Sized>(&self, m: &Integer, rng: &mut R) -> Self::Ciphertext;

    /// E(a) +_h E(b) = E(a + b).
    fn add(&self, a: &Self::Ciphertext, b: &Self::Ciphertext) -> Self::Ciphertext;

    /// E(a) ×_h 2^k = E(a · 2^k).
    fn scale_pow2(&self, a: &Self::Ciphertext, k: u32) -> Self::Ciphertext;
}

/// **Insecure**: "ciphertexts" are the plaintexts, exact integers. For
/// simulating populations too large for real encryption; never a default
/// outside the simulator, and reported in every output that used it.
#[derive(Clone, Copy, Debug, Default)]
pub struct InsecurePlaintext;

/// A plaintext posing as a ciphertext ([`InsecurePlaintext`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InsecurePlaintextValue(#[serde(with = "sfumato_crypto::dj::decimal")] pub Integer);

impl AdditiveScheme for InsecurePlaintext {
    type Ciphertext = InsecurePlaintextValue;

    fn name(&self) -> &'static str {
        "insecure-plaintext"
    }

    fn is_secure(&self) -> bool {
        false
    }

    fn encrypt<R: CryptoRng + ?Sized>(&self, m: &Integer, _rng: &mut R) -> InsecurePlaintextValue {
        InsecurePlaintextValue(m.clone())
    }

    fn add(
        &self,
        a: &InsecurePlaintextValue,
        b: &InsecurePlaintextValue,
    ) -> InsecurePlaintextValue {
        InsecurePlaintextValue((&a.0 + &b.0).into())
    }

    fn scale_pow2(&self, a: &InsecurePlaintextValue, k: u32) -> InsecurePlaintextValue {
        InsecurePlaintextValue((&a.0 << k).into())
    }
}

/// Damgård–Jurik under a (threshold) public key, from `sfumato-crypto`.
#[derive(Clone, Debug)]
pub struct DamgardJurik {
    key: Arc<PublicKey>,
}

impl DamgardJurik {
    /// The scheme under `key`.
    pub fn new(key: Arc<PublicKey>) -> DamgardJurik {
        DamgardJurik { key }
    }

    /// The public key.
    pub fn key(&self) -> &PublicKey {
        &self.key
    }
}

impl AdditiveScheme for DamgardJurik {
    type Ciphertext = Ciphertext;

    fn name(&self) -> &'static str {
        "damgard-jurik"
    }

    fn is_secure(&self) -> bool {
        true
    }

    fn encrypt<R: CryptoRng + ?Sized>(&self, m: &Integer, rng: &mut R) -> Ciphertext {
        self.key.encrypt(m, rng)
    }

    fn add(&self, a: &Ciphertext, b: &Ciphertext) -> Ciphertext {
        self.key.add(a, b)
    }

    fn scale_pow2(&self, a: &Ciphertext, k: u32) -> Ciphertext {
        self.key.mul_const(a, &(Integer::from(1) << k))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng;
    use sfumato_crypto::dj::PrivateKey;

    #[test]
    fn both_schemes_compute_the_same_sums() {
        let mut rng = ChaCha20Rng::seed_from_u64(9);
        let sk = PrivateKey::generate(&mut rng, 256, 1, 1, &|_| {}).unwrap();
        let dj = DamgardJurik::new(Arc::new(sk.public().clone()));
        let plain = InsecurePlaintext;
        assert!(dj.is_secure() && !plain.is_secure());
        assert_eq!(plain.name(), "insecure-plaintext");
        let (a, b) = (Integer::from(1234), Integer::from(-77));
        // (a · 2³ + b) · 2
        let e = dj.scale_pow2(
            &dj.add(
                &dj.scale_pow2(&dj.encrypt(&a, &mut rng), 3),
                &dj.encrypt(&b, &mut rng),
            ),
            1,
        );
        let p = plain.scale_pow2(
            &plain.add(
                &plain.scale_pow2(&plain.encrypt(&a, &mut rng), 3),
                &plain.encrypt(&b, &mut rng),
            ),
            1,
        );
        assert_eq!(p.0, Integer::from((1234 * 8 - 77) * 2));
        let n_s = sk.public().plaintext_modulus().clone();
        let decrypted = sk.decrypt(&e).unwrap();
        assert_eq!(decrypted, Integer::from(p.0.modulo_ref(&n_s)));
    }
}
