//! Textbook reference implementations, **slow on purpose**: plain modular
//! exponentiations with no CRT, no binomial shortcut and no precomputation.
//! `sfumato crypto bench` measures them in the same run as the real
//! operations, so speed-ups are ratios from one machine and one moment.
//! They are also an independent check of the fast paths in tests.

use rug::{Complete, Integer};

use super::cipher::Ciphertext;
use super::keys::{PrivateKey, PublicKey};
use super::math::dj_extract;

/// `E(m; r) = (1 + n)^m · r^(nˢ) mod nˢ⁺¹`, both powers by plain modular
/// exponentiation.
pub fn encrypt(pk: &PublicKey, m: &Integer, r: &Integer) -> Ciphertext {
    let modulus = pk.ciphertext_modulus();
    let g = (pk.n() + 1u32).complete();
    let gm = g
        .pow_mod(&m.clone().modulo(pk.plaintext_modulus()), modulus)
        .unwrap_or_default();
    let rn = r
        .clone()
        .pow_mod(pk.plaintext_modulus(), modulus)
        .unwrap_or_default();
    Ciphertext::from_value((gm * rn).modulo(modulus))
}

/// Decryption without CRT: `c^λ mod nˢ⁺¹ = (1 + n)^(mλ)`, extraction, then
/// multiplication by `λ⁻¹ mod nˢ` (`λ = lcm(p − 1, q − 1)`).
pub fn decrypt(sk: &PrivateKey, c: &Ciphertext) -> Integer {
    let pk = sk.public();
    let (p, q) = sk.primes();
    let lambda = (p - 1u32).complete().lcm(&(q - 1u32).complete());
    let a = c
        .value()
        .clone()
        .pow_mod(&lambda, pk.ciphertext_modulus())
        .unwrap_or_default();
    let x = dj_extract(&a, pk.powers(), pk.s());
    let inv = lambda.invert(pk.plaintext_modulus()).unwrap_or_default();
    (x * inv).modulo(pk.plaintext_modulus())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng;

    #[test]
    fn reference_and_fast_paths_agree() {
        let mut rng = ChaCha20Rng::seed_from_u64(21);
        for s in 1..=3 {
            let sk = PrivateKey::generate(&mut rng, 256, s, 1, &|_| {}).unwrap();
            let pk = sk.public();
            let m = Integer::from(0xdead_beef_u64) * Integer::from(s);
            let r = Integer::from(123_456_789);
            let c = encrypt(pk, &m, &r);
            let fast = pk.encrypt_with(
                &m,
                super::super::cipher::Randomizer::from_r(pk, &r).unwrap(),
            );
            assert_eq!(c, fast);
            assert_eq!(decrypt(&sk, &c), m);
            assert_eq!(sk.decrypt(&c).unwrap(), m);
        }
    }
}
