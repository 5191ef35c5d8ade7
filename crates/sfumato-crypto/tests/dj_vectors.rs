//! Known answers for Damgård–Jurik, and interoperability with textbook
//! Paillier (s = 1, g = n + 1).
//!
//! `tests/vectors/dj/known_answers.json` was produced once by a short
//! Python script that implements the scheme from its definition with
//! Python's own integers, `c = (1+n)^m · r^(nˢ) mod nˢ⁺¹`, for keys made of
//! safe primes it found itself — an implementation independent of this
//! crate and of GMP.

use rug::{Complete, Integer};
use serde::Deserialize;
use sfumato_crypto::dj::cipher::Randomizer;
use sfumato_crypto::dj::{Ciphertext, PrivateKey};

#[derive(Deserialize)]
struct Case {
    p: String,
    q: String,
    n: String,
    s: u32,
    m: String,
    r: String,
    c: String,
}

#[derive(Deserialize)]
struct Vectors {
    cases: Vec<Case>,
}

fn int(s: &str) -> Integer {
    s.parse().unwrap()
}

fn vectors() -> Vectors {
    serde_json::from_str(include_str!("vectors/dj/known_answers.json")).unwrap()
}

#[test]
fn encryption_and_decryption_match_the_independent_implementation() {
    let v = vectors();
    assert!(v.cases.len() >= 12);
    for case in &v.cases {
        let sk = PrivateKey::from_primes(int(&case.p), int(&case.q), case.s).unwrap();
        let pk = sk.public();
        assert_eq!(pk.n(), &int(&case.n));
        let r = Randomizer::from_r(pk, &int(&case.r)).unwrap();
        let c = pk.encrypt_with(&int(&case.m), r);
        assert_eq!(c.value(), &int(&case.c), "encryption, s = {}", case.s);
        assert_eq!(
            sk.decrypt(&Ciphertext::from_value(int(&case.c))).unwrap(),
            int(&case.m),
            "decryption"
        );
    }
}

/// Textbook Paillier decryption: `m = L(c^λ mod n²) · μ mod n`, with
/// `λ = lcm(p − 1, q − 1)`, `μ = L(g^λ mod n²)⁻¹ mod n`, `L(x) = (x − 1)/n`.
fn paillier_decrypt(p: &Integer, q: &Integer, c: &Integer) -> Integer {
    let n = (p * q).complete();
    let n2 = (&n * &n).complete();
    let lambda = (p - 1u32).complete().lcm(&(q - 1u32).complete());
    let l = |x: Integer| (x - 1u32) / &n;
    let g = (&n + 1u32).complete();
    let mu = l(g.pow_mod(&lambda, &n2).unwrap()).invert(&n).unwrap();
    (l(c.clone().pow_mod(&lambda, &n2).unwrap()) * mu).modulo(&n)
}

#[test]
fn s1_ciphertexts_decrypt_with_textbook_paillier_and_back() {
    let mut rng = <rand_chacha::ChaCha20Rng as rand_core::SeedableRng>::seed_from_u64(4);
    for case in vectors().cases.iter().filter(|c| c.s == 1) {
        let (p, q) = (int(&case.p), int(&case.q));
        let sk = PrivateKey::from_primes(p.clone(), q.clone(), 1).unwrap();
        // Ours → textbook.
        let m = int(&case.m);
        let c = sk.public().encrypt(&m, &mut rng);
        assert_eq!(paillier_decrypt(&p, &q, c.value()), m);
        // Textbook (the Python vectors are textbook Paillier for s = 1) → ours.
        assert_eq!(paillier_decrypt(&p, &q, &int(&case.c)), m);
    }
}
