//! Damgård–Jurik keys (DJ 2001 §3; Chiaroscuro §3.3.1).
//!
//! The public key is `(n, s)` with `g = n + 1`: plaintexts live in
//! `ℤ_{nˢ}`, ciphertexts in `ℤ*_{nˢ⁺¹}`. With `s = 1` this is Paillier with
//! `g = n + 1`. The private key is the factorisation `n = pq` (safe primes,
//! so that the threshold variant of [`super::threshold`] can be dealt from
//! the same key).

use core::fmt;

use rand_core::CryptoRng;
use rug::ops::Pow;
use rug::{Complete, Integer};
use serde::{Deserialize, Serialize};

use super::math::{decimal, dj_extract};
use super::primes::safe_prime;
use crate::error::{CryptoError, Result};

/// Smallest modulus accepted (bits). Real deployments use 2048 or more;
/// small keys exist for tests and demonstrations.
pub const MIN_MODULUS_BITS: u32 = 128;
/// Largest modulus accepted (bits).
pub const MAX_MODULUS_BITS: u32 = 8192;
/// Largest `s` accepted.
pub const MAX_S: u32 = 16;

/// A Damgård–Jurik public key `(n, s)`, with its powers of `n` precomputed.
#[derive(Clone, PartialEq, Eq)]
pub struct PublicKey {
    n: Integer,
    s: u32,
    /// `powers[k] = n^k`, `k = 0..=s+1`.
    powers: Vec<Integer>,
}

/// The JSON form of a public key: `{"n": "...", "s": 1}`.
#[derive(Serialize, Deserialize)]
struct PublicKeyJson {
    #[serde(with = "decimal")]
    n: Integer,
    s: u32,
}

impl PublicKey {
    /// The key `(n, s)`, validated: `n` odd, composite-looking (not a prime,
    /// not a perfect power of small size), of 128 to 8192 bits; `1 ≤ s ≤ 16`.
    pub fn new(n: Integer, s: u32) -> Result<PublicKey> {
        let bits = n.significant_bits();
        if n <= 0 || !(MIN_MODULUS_BITS..=MAX_MODULUS_BITS).contains(&bits) {
            return Err(CryptoError::input(
                "public key",
                format!("n must have {MIN_MODULUS_BITS} to {MAX_MODULUS_BITS} bits (has {bits})"),
            ));
        }
        if n.is_even() {
            return Err(CryptoError::input("public key", "n must be odd"));
        }
        if n.is_perfect_power() || n.is_probably_prime(20) != rug::integer::IsPrime::No {
            return Err(CryptoError::input(
                "public key",
                "n must be a product of two distinct primes",
            ));
        }
        if !(1..=MAX_S).contains(&s) {
            return Err(CryptoError::input(
                "public key",
                format!("s must be 1 to {MAX_S} (got {s})"),
            ));
        }
        let powers = (0..=s + 1).map(|k| n.clone().pow(k)).collect();
        Ok(PublicKey { n, s, powers })
    }

    /// The modulus `n`.
    pub fn n(&self) -> &Integer {
        &self.n
    }

    /// The degree `s`.
    pub fn s(&self) -> u32 {
        self.s
    }

    /// `n^k` for `k ≤ s + 1`.
    pub(crate) fn power(&self, k: u32) -> &Integer {
        &self.powers[k as usize]
    }

    /// All powers `n^0..=n^(s+1)`.
    pub(crate) fn powers(&self) -> &[Integer] {
        &self.powers
    }

    /// The plaintext modulus `nˢ`.
    pub fn plaintext_modulus(&self) -> &Integer {
        self.power(self.s)
    }

    /// The plaintext space `ℤ_{nˢ}`, for encoding signed integers,
    /// fixed-point reals and packed slots ([`crate::encoding`]).
    pub fn plaintext_space(&self) -> Result<crate::encoding::PlaintextSpace> {
        crate::encoding::PlaintextSpace::new(self.plaintext_modulus().clone())
    }

    /// The ciphertext modulus `nˢ⁺¹`.
    pub fn ciphertext_modulus(&self) -> &Integer {
        self.power(self.s + 1)
    }

    /// Bits of `n`.
    pub fn bits(&self) -> u32 {
        self.n.significant_bits()
    }

    /// The JSON document `{"n": "...", "s": s}`.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(&PublicKeyJson {
            n: self.n.clone(),
            s: self.s,
        })
        .unwrap_or_default()
    }

    /// Reads `{"n": "...", "s": s}` (other fields are ignored).
    pub fn from_json(text: &str) -> Result<PublicKey> {
        let j: PublicKeyJson = serde_json::from_str(text)
            .map_err(|e| CryptoError::input("public key", e.to_string()))?;
        PublicKey::new(j.n, j.s)
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey {{ bits: {}, s: {} }}", self.bits(), self.s)
    }
}

impl Serialize for PublicKey {
    fn serialize<S: serde::Serializer>(&self, s: S) -> core::result::Result<S::Ok, S::Error> {
        PublicKeyJson {
            n: self.n.clone(),
            s: self.s,
        }
        .serialize(s)
    }
}

/// One prime's decryption material (CRT): `x ↦ x^(p−1) mod p^(s+1)`, then
/// the discrete logarithm base `1 + n`, then a constant.
#[derive(Clone)]
pub(crate) struct PrimeFactor {
    pub(crate) p: Integer,
    /// `p^k`, `k = 0..=s+1`.
    pub(crate) powers: Vec<Integer>,
    /// `p − 1`.
    pub(crate) p_minus_1: Integer,
    /// `((p − 1) · β)⁻¹ mod pˢ`, where `1 + n = (1 + p)^β mod p^(s+1)`.
    pub(crate) h: Integer,
}

impl PrimeFactor {
    fn new(p: &Integer, n: &Integer, s: u32) -> Result<PrimeFactor> {
        let powers: Vec<Integer> = (0..=s + 1).map(|k| p.clone().pow(k)).collect();
        let one_plus_n = (n + 1u32).complete().modulo(&powers[s as usize + 1]);
        let beta = dj_extract(&one_plus_n, &powers, s);
        let p_minus_1 = (p - 1u32).complete();
        let h = (&p_minus_1 * &beta)
            .complete()
            .invert(&powers[s as usize])
            .map_err(|_| CryptoError::input("private key", "p and q must be distinct primes"))?;
        Ok(PrimeFactor {
            p: p.clone(),
            powers,
            p_minus_1,
            h,
        })
    }

    /// `m mod pˢ` from a ciphertext.
    pub(crate) fn decrypt(&self, c: &Integer, s: u32) -> Integer {
        let modulus = &self.powers[s as usize + 1];
        let c = c.modulo_ref(modulus).complete();
        let a = c.pow_mod(&self.p_minus_1, modulus).unwrap_or_default();
        let x = dj_extract(&a, &self.powers, s);
        (x * &self.h).modulo(&self.powers[s as usize])
    }
}

impl Drop for PrimeFactor {
    fn drop(&mut self) {
        // rug integers are zeroed through their digit buffers.
        for x in [&mut self.p, &mut self.p_minus_1, &mut self.h]
            .into_iter()
            .chain(self.powers.iter_mut())
        {
            zeroize_integer(x);
        }
    }
}

/// Overwrites an integer's digit buffer before it is freed.
///
/// With safe code only: assigning a value that fills the whole allocation
/// (all ones, `capacity` bits) makes GMP write every limb in place (it
/// reuses a large enough buffer), then the value is set to 0. This wipes the
/// stored key material; temporaries GMP allocates while computing with it
/// are not wiped (a limit of working through GMP, documented in the crate).
pub(crate) fn zeroize_integer(x: &mut Integer) {
    let bits = u32::try_from(x.capacity()).unwrap_or(0);
    if bits > 0 {
        let ones = (Integer::from(1) << bits) - 1u32;
        rug::Assign::assign(&mut *x, &ones);
    }
    rug::Assign::assign(x, 0);
}

/// A Damgård–Jurik private key: the factorisation `n = pq`, held with its
/// CRT decryption material. Zeroized on drop; never printed.
#[derive(Clone)]
pub struct PrivateKey {
    public: PublicKey,
    p: PrimeFactor,
    q: PrimeFactor,
    /// `(pˢ)⁻¹ mod qˢ`, for the CRT recombination.
    p_s_inv_q: Integer,
}

/// The JSON form of a private key (the dealer's): `{"n", "s", "p", "q"}`.
#[derive(Serialize, Deserialize)]
struct PrivateKeyJson {
    #[serde(with = "decimal")]
    n: Integer,
    s: u32,
    #[serde(with = "decimal")]
    p: Integer,
    #[serde(with = "decimal")]
    q: Integer,
}

impl Drop for PrivateKeyJson {
    fn drop(&mut self) {
        zeroize_integer(&mut self.p);
        zeroize_integer(&mut self.q);
    }
}

impl PrivateKey {
    /// The private key for primes `p ≠ q` (validated: both prime, their
    /// product of an accepted size).
    pub fn from_primes(p: Integer, q: Integer, s: u32) -> Result<PrivateKey> {
        for (name, x) in [("p", &p), ("q", &q)] {
            if x.is_probably_prime(30) == rug::integer::IsPrime::No {
                return Err(CryptoError::input(
                    "private key",
                    format!("{name} is not prime"),
                ));
            }
        }
        if p == q {
            return Err(CryptoError::input("private key", "p and q must differ"));
        }
        let n = (&p * &q).complete();
        let public = PublicKey::new(n, s)?;
        let pf = PrimeFactor::new(&p, public.n(), s)?;
        let qf = PrimeFactor::new(&q, public.n(), s)?;
        let p_s_inv_q = pf.powers[s as usize]
            .clone()
            .invert(&qf.powers[s as usize])
            .map_err(|_| CryptoError::input("private key", "p and q must be coprime"))?;
        Ok(PrivateKey {
            public,
            p: pf,
            q: qf,
            p_s_inv_q,
        })
    }

    /// Generates a key whose `n` has `bits` bits (two safe primes of
    /// `bits/2` bits, searched on `threads` threads, 0 for all cores);
    /// `progress` is told how many candidate windows were searched.
    pub fn generate<R: CryptoRng + ?Sized>(
        rng: &mut R,
        bits: u32,
        s: u32,
        threads: usize,
        progress: &(dyn Fn(u64) + Sync),
    ) -> Result<PrivateKey> {
        if !(MIN_MODULUS_BITS..=MAX_MODULUS_BITS).contains(&bits) || !bits.is_multiple_of(2) {
            return Err(CryptoError::invalid(
                "bits",
                format!(
                    "an even number from {MIN_MODULUS_BITS} to {MAX_MODULUS_BITS} (got {bits})"
                ),
            ));
        }
        if !(1..=MAX_S).contains(&s) {
            return Err(CryptoError::invalid("s", format!("1 to {MAX_S} (got {s})")));
        }
        loop {
            let p = safe_prime(rng, bits / 2, threads, progress)?;
            let q = safe_prime(rng, bits / 2, threads, progress)?;
            if p != q {
                return PrivateKey::from_primes(p, q, s);
            }
        }
    }

    /// The public key.
    pub fn public(&self) -> &PublicKey {
        &self.public
    }

    /// The primes `(p, q)`.
    pub fn primes(&self) -> (&Integer, &Integer) {
        (&self.p.p, &self.q.p)
    }

    pub(crate) fn factors(&self) -> (&PrimeFactor, &PrimeFactor) {
        (&self.p, &self.q)
    }

    /// Recombines `m mod pˢ` and `m mod qˢ` into `m mod nˢ`.
    pub(crate) fn crt(&self, mp: Integer, mq: Integer) -> Integer {
        let s = self.public.s as usize;
        let ps = &self.p.powers[s];
        let qs = &self.q.powers[s];
        // m = mp + pˢ · ((mq − mp) · (pˢ)⁻¹ mod qˢ)
        let t = ((mq - &mp) * &self.p_s_inv_q).modulo(qs);
        mp + t * ps
    }

    /// The dealer's JSON document `{"n", "s", "p", "q"}`. It holds the
    /// secret: write it only where the dealer keeps secrets.
    pub fn to_json(&self) -> String {
        let j = PrivateKeyJson {
            n: self.public.n.clone(),
            s: self.public.s,
            p: self.p.p.clone(),
            q: self.q.p.clone(),
        };
        serde_json::to_string_pretty(&j).unwrap_or_default()
    }

    /// Reads `{"n", "s", "p", "q"}`; `n` must equal `p·q`.
    pub fn from_json(text: &str) -> Result<PrivateKey> {
        let j: PrivateKeyJson = serde_json::from_str(text)
            .map_err(|e| CryptoError::input("private key", e.to_string()))?;
        if (&j.p * &j.q).complete() != j.n {
            return Err(CryptoError::input("private key", "n is not p·q"));
        }
        PrivateKey::from_primes(j.p.clone(), j.q.clone(), j.s)
    }
}

impl Drop for PrivateKey {
    fn drop(&mut self) {
        zeroize_integer(&mut self.p_s_inv_q);
    }
}

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "PrivateKey {{ bits: {}, s: {}, <secret> }}",
            self.public.bits(),
            self.public.s
        )
    }
}
