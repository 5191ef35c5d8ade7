//! Threshold decryption (Damgård–Jurik 2001 §4; Chiaroscuro Alg. 1 and 3
//! decrypt the encrypted sums this way).
//!
//! A **dealer** holding the factorisation `n = pq` of safe primes
//! (`p = 2p′ + 1`, `q = 2q′ + 1`, `m′ = p′q′`) picks `d` with
//! `d ≡ 0 (mod m′)` and `d ≡ 1 (mod nˢ)`, and shares it among a
//! **committee** of `l` key holders with threshold `τ` by a random
//! polynomial `f` of degree `τ − 1` over `ℤ_{nˢm′}` with `f(0) = d`:
//! holder `i` gets `sᵢ = f(i)`. With `Δ = l!`, a random square `v` and
//! verification keys `vᵢ = v^(Δsᵢ)`:
//!
//! * holder `i` decrypts partially: `cᵢ = c^(2Δsᵢ) mod nˢ⁺¹`, with a proof
//!   that `log_{c⁴}(cᵢ²) = log_v(vᵢ)` (a Chaum–Pedersen proof over a group of
//!   unknown order, made non-interactive with SHA-256 — Fiat–Shamir), so a
//!   wrong partial is detected instead of silently corrupting the result;
//! * any `τ` valid partials combine: `c′ = Π cᵢ^(2μᵢ)` with the integer
//!   Lagrange coefficients `μᵢ = Δ · Π_{j≠i} j/(j − i)` gives
//!   `c′ = (1 + n)^(4Δ²m)`, from which `m` is extracted; `τ − 1` partials
//!   reveal nothing about `m` beyond what the public key does.
//!
//! **Committee size.** `Δ = l!` enters every exponent: it has about
//! `l·log₂(l/e)` bits (8,530 for `l = 1,000`), so partial decryptions and
//! proofs cost exponentiations with exponents of `|nˢ⁺¹| + |Δ|` bits.
//! Decryption is therefore done by a committee of key holders (tens to a
//! few thousand), not by every participant of a run; see
//! `docs/PERFORMANCE.md` for measured costs by committee size.

use core::fmt;

use rand_core::CryptoRng;
use rug::integer::IsPrime;
use rug::{Complete, Integer};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::cipher::Ciphertext;
use super::keys::{PrivateKey, PublicKey, zeroize_integer};
use super::math::{decimal, dj_extract, random_below, random_bits, random_unit};
use crate::error::{CryptoError, Result};

/// Largest committee accepted.
pub const MAX_COMMITTEE: u32 = 10_000;

/// Bits of the Fiat–Shamir challenge.
const CHALLENGE_BITS: u32 = 256;
/// Extra bits of the proof's mask beyond `|Δ·sᵢ| + |challenge|`: the
/// statistical distance of the simulated proofs is `2^-SLACK_BITS`.
const SLACK_BITS: u32 = 128;

/// The public side of a threshold key: the encryption key, the committee's
/// shape and the verification keys. JSON: `{"n", "s", "committee",
/// "threshold", "v", "verification_keys": [...]}`.
#[derive(Clone, PartialEq, Eq)]
pub struct ThresholdPublicKey {
    public: PublicKey,
    committee: u32,
    threshold: u32,
    /// `Δ = l!`.
    delta: Integer,
    v: Integer,
    verification_keys: Vec<Integer>,
}

#[derive(Serialize, Deserialize)]
struct ThresholdPublicJson {
    #[serde(with = "decimal")]
    n: Integer,
    s: u32,
    committee: u32,
    threshold: u32,
    #[serde(with = "decimal")]
    v: Integer,
    verification_keys: Vec<DecimalInt>,
}

#[derive(Clone, Serialize, Deserialize)]
struct DecimalInt(#[serde(with = "decimal")] Integer);

/// One key holder's share of the decryption key, with what it needs to
/// prove its partial decryptions (`v` and its own verification key). JSON:
/// `{"n", "s", "committee", "threshold", "index", "share", "v",
/// "verification_key"}`. Zeroized on drop; never printed.
#[derive(Clone)]
pub struct KeyShare {
    index: u32,
    share: Integer,
    public: PublicKey,
    committee: u32,
    threshold: u32,
    v: Integer,
    verification_key: Integer,
}

#[derive(Serialize, Deserialize)]
struct KeyShareJson {
    #[serde(with = "decimal")]
    n: Integer,
    s: u32,
    committee: u32,
    threshold: u32,
    index: u32,
    #[serde(with = "decimal")]
    share: Integer,
    #[serde(with = "decimal")]
    v: Integer,
    #[serde(with = "decimal")]
    verification_key: Integer,
}

impl Drop for KeyShareJson {
    fn drop(&mut self) {
        zeroize_integer(&mut self.share);
    }
}

/// A proof that a partial decryption used the holder's share (Fiat–Shamir
/// Chaum–Pedersen over `ℤ*_{nˢ⁺¹}`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EqualityProof {
    /// Challenge.
    #[serde(with = "decimal")]
    pub e: Integer,
    /// Response `r + e·Δ·sᵢ` (over the integers).
    #[serde(with = "decimal")]
    pub z: Integer,
}

/// Key holder `index`'s partial decryption of one ciphertext, with its
/// proof. JSON: `{"index": i, "ciphertext": "...", "c": "...", "proof":
/// {"e": "...", "z": "..."}}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartialDecryption {
    /// The key holder (1-based).
    pub index: u32,
    /// The ciphertext it decrypts.
    #[serde(with = "decimal")]
    pub ciphertext: Integer,
    /// `cᵢ = c^(2Δsᵢ) mod nˢ⁺¹`.
    #[serde(with = "decimal")]
    pub c: Integer,
    /// Proof of correctness.
    pub proof: EqualityProof,
}

fn factorial(l: u32) -> Integer {
    Integer::from(Integer::factorial(l))
}

/// The Fiat–Shamir challenge over the statement and the commitments.
fn challenge(pk: &PublicKey, index: u32, parts: &[&Integer]) -> Integer {
    let mut h = Sha256::new();
    h.update(b"sfumato/dj-threshold/equality-proof/v1");
    h.update(pk.s().to_be_bytes());
    h.update(index.to_be_bytes());
    for x in [pk.n()].into_iter().chain(parts.iter().copied()) {
        let bytes = x.to_digits::<u8>(rug::integer::Order::Msf);
        h.update((bytes.len() as u64).to_be_bytes());
        h.update(&bytes);
    }
    Integer::from_digits(&h.finalize(), rug::integer::Order::Msf)
}

/// The bases of the equality proof for ciphertext `c` and partial `cᵢ`:
/// `(c⁴, cᵢ²) mod m`, with `log_{c⁴}(cᵢ²) = Δsᵢ = log_v(vᵢ)`.
fn statement(c: &Integer, ci: &Integer, m: &Integer) -> (Integer, Integer) {
    let u = c.clone().pow_mod(&Integer::from(4), m).unwrap_or_default();
    let ci2 = (ci * ci).complete().modulo(m);
    (u, ci2)
}

/// `base^e mod m` for any integer `e` (negative: the inverse's power).
fn pow_signed(base: &Integer, e: &Integer, m: &Integer) -> Result<Integer> {
    base.clone()
        .pow_mod(e, m)
        .map_err(|_| CryptoError::input("ciphertext", "not invertible modulo n^(s+1)"))
}

impl PrivateKey {
    /// Deals the key to a committee of `committee` holders, any `threshold`
    /// of whom can decrypt. Needs the key's primes to be safe primes (keys
    /// from [`PrivateKey::generate`] are).
    pub fn deal<R: CryptoRng + ?Sized>(
        &self,
        committee: u32,
        threshold: u32,
        rng: &mut R,
    ) -> Result<(ThresholdPublicKey, Vec<KeyShare>)> {
        if !(1..=MAX_COMMITTEE).contains(&committee) {
            return Err(CryptoError::invalid(
                "committee",
                format!("1 to {MAX_COMMITTEE} holders (got {committee})"),
            ));
        }
        if !(1..=committee).contains(&threshold) {
            return Err(CryptoError::invalid(
                "threshold",
                format!("1 to the committee size {committee} (got {threshold})"),
            ));
        }
        let pk = self.public().clone();
        let (p, q) = self.primes();
        let p1 = Integer::from(p - 1u32) / 2u32;
        let q1 = Integer::from(q - 1u32) / 2u32;
        if p1.is_probably_prime(30) == IsPrime::No || q1.is_probably_prime(30) == IsPrime::No {
            return Err(CryptoError::invalid(
                "private key",
                "threshold decryption needs safe primes p = 2p′ + 1",
            ));
        }
        let m1 = (&p1 * &q1).complete();
        let ns = pk.plaintext_modulus();
        let modulus = (ns * &m1).complete();
        // d ≡ 0 (mod m′), d ≡ 1 (mod nˢ).
        let m1_inv = m1
            .clone()
            .invert(ns)
            .map_err(|_| CryptoError::invalid("private key", "m′ is not invertible modulo nˢ"))?;
        let mut coefficients = vec![(m1_inv * &m1).modulo(&modulus)];
        for _ in 1..threshold {
            coefficients.push(random_below(rng, &modulus));
        }
        let delta = factorial(committee);
        let n_s1 = pk.ciphertext_modulus();
        let r = random_unit(rng, n_s1);
        let v = (&r * &r).complete().modulo(n_s1);
        let mut shares = Vec::with_capacity(committee as usize);
        let mut verification_keys = Vec::with_capacity(committee as usize);
        for i in 1..=committee {
            // Horner: f(i) mod nˢm′.
            let mut f = Integer::new();
            for a in coefficients.iter().rev() {
                f *= i;
                f += a;
                f = f.modulo(&modulus);
            }
            let exponent = (&delta * &f).complete();
            verification_keys.push(v.clone().pow_mod(&exponent, n_s1).unwrap_or_default());
            shares.push(KeyShare {
                index: i,
                share: f,
                public: pk.clone(),
                committee,
                threshold,
                v: v.clone(),
                verification_key: verification_keys[(i - 1) as usize].clone(),
            });
        }
        for a in &mut coefficients {
            zeroize_integer(a);
        }
        let tpk = ThresholdPublicKey {
            public: pk,
            committee,
            threshold,
            delta,
            v,
            verification_keys,
        };
        Ok((tpk, shares))
    }
}

impl ThresholdPublicKey {
    /// The encryption key.
    pub fn public(&self) -> &PublicKey {
        &self.public
    }

    /// Committee size `l`.
    pub fn committee(&self) -> u32 {
        self.committee
    }

    /// Threshold `τ`.
    pub fn threshold(&self) -> u32 {
        self.threshold
    }

    /// The JSON document.
    pub fn to_json(&self) -> String {
        let j = ThresholdPublicJson {
            n: self.public.n().clone(),
            s: self.public.s(),
            committee: self.committee,
            threshold: self.threshold,
            v: self.v.clone(),
            verification_keys: self
                .verification_keys
                .iter()
                .cloned()
                .map(DecimalInt)
                .collect(),
        };
        serde_json::to_string_pretty(&j).unwrap_or_default()
    }

    /// Reads and validates the JSON document.
    pub fn from_json(text: &str) -> Result<ThresholdPublicKey> {
        let j: ThresholdPublicJson = serde_json::from_str(text)
            .map_err(|e| CryptoError::input("threshold public key", e.to_string()))?;
        let public = PublicKey::new(j.n, j.s)?;
        if !(1..=MAX_COMMITTEE).contains(&j.committee) || !(1..=j.committee).contains(&j.threshold)
        {
            return Err(CryptoError::input(
                "threshold public key",
                "need 1 ≤ threshold ≤ committee ≤ 10,000",
            ));
        }
        if j.verification_keys.len() != j.committee as usize {
            return Err(CryptoError::input(
                "threshold public key",
                "one verification key per holder is needed",
            ));
        }
        let m = public.ciphertext_modulus();
        for x in std::iter::once(&j.v).chain(j.verification_keys.iter().map(|k| &k.0)) {
            if *x <= 0 || x >= m || x.gcd_ref(public.n()).complete() != 1 {
                return Err(CryptoError::input(
                    "threshold public key",
                    "v and the verification keys must be units modulo n^(s+1)",
                ));
            }
        }
        Ok(ThresholdPublicKey {
            delta: factorial(j.committee),
            public,
            committee: j.committee,
            threshold: j.threshold,
            v: j.v,
            verification_keys: j.verification_keys.into_iter().map(|k| k.0).collect(),
        })
    }

    /// Checks a partial decryption of `c` against holder `partial.index`'s
    /// verification key.
    pub fn verify(&self, c: &Ciphertext, partial: &PartialDecryption) -> Result<()> {
        let bad = |reason: &str| CryptoError::BadContribution {
            holder: partial.index,
            reason: reason.to_string(),
        };
        let vi = partial
            .index
            .checked_sub(1)
            .and_then(|i| self.verification_keys.get(i as usize))
            .ok_or_else(|| bad("no such key holder in this committee"))?;
        let m = self.public.ciphertext_modulus();
        if &partial.ciphertext != c.value() {
            return Err(bad("partial decryption of another ciphertext"));
        }
        if partial.c <= 0 || &partial.c >= m || partial.c.gcd_ref(self.public.n()).complete() != 1 {
            return Err(bad("partial decryption out of range"));
        }
        let EqualityProof { e, z } = &partial.proof;
        if *e < 0 || e.significant_bits() > CHALLENGE_BITS || *z < 0 {
            return Err(bad("malformed proof"));
        }
        let (u, ci2) = statement(c.value(), &partial.c, m);
        let neg_e = (-e).complete();
        // a = u^z · (cᵢ²)^(−e), b = v^z · vᵢ^(−e)
        let a = (pow_signed(&u, z, m)? * pow_signed(&ci2, &neg_e, m)?).modulo(m);
        let b = (pow_signed(&self.v, z, m)? * pow_signed(vi, &neg_e, m)?).modulo(m);
        if &challenge(
            &self.public,
            partial.index,
            &[&u, &self.v, &ci2, vi, &a, &b],
        ) != e
        {
            return Err(bad("proof of correct decryption failed"));
        }
        Ok(())
    }

    /// Combines partial decryptions into the plaintext of the ciphertext
    /// they name (all must name the same one): see [`Self::combine`].
    pub fn combine_partials(&self, partials: &[PartialDecryption]) -> Result<Integer> {
        let first = partials.first().ok_or(CryptoError::NotEnough {
            what: "valid partial decryptions",
            have: 0,
            need: self.threshold as usize,
        })?;
        self.combine(&Ciphertext::from_value(first.ciphertext.clone()), partials)
    }

    /// Combines partial decryptions of `c` into the plaintext: every partial
    /// is verified (a wrong one is an error naming its holder), and the
    /// first `threshold` valid ones by holder index are used.
    pub fn combine(&self, c: &Ciphertext, partials: &[PartialDecryption]) -> Result<Integer> {
        self.public.validate(c)?;
        let mut chosen: Vec<&PartialDecryption> = Vec::new();
        let mut sorted: Vec<&PartialDecryption> = partials.iter().collect();
        sorted.sort_by_key(|p| p.index);
        for p in sorted {
            if chosen.last().is_some_and(|q| q.index == p.index) {
                continue;
            }
            self.verify(c, p)?;
            chosen.push(p);
        }
        let need = self.threshold as usize;
        if chosen.len() < need {
            return Err(CryptoError::NotEnough {
                what: "valid partial decryptions",
                have: chosen.len(),
                need,
            });
        }
        chosen.truncate(need);
        let m = self.public.ciphertext_modulus();
        let mut acc = Integer::from(1);
        for p in &chosen {
            let i = i64::from(p.index);
            // μᵢ = Δ · Π_{j≠i} j / (j − i), an integer.
            let mut num = self.delta.clone();
            let mut den = Integer::from(1);
            for q in &chosen {
                let j = i64::from(q.index);
                if j != i {
                    num *= j;
                    den *= j - i;
                }
            }
            let mu = num / den;
            let exponent = mu * 2u32;
            acc *= pow_signed(&p.c, &exponent, m)?;
            acc = acc.modulo(m);
        }
        // acc = (1 + n)^(4Δ²m)
        let s = self.public.s();
        let x = dj_extract(&acc, self.public.powers(), s);
        let ns = self.public.plaintext_modulus();
        let four_delta2 = (&self.delta * &self.delta).complete() * 4u32;
        let inv = four_delta2.invert(ns).map_err(|_| {
            CryptoError::invalid(
                "committee",
                "4Δ² is not invertible modulo nˢ (n too small for l!)",
            )
        })?;
        Ok((x * inv).modulo(ns))
    }
}

impl fmt::Debug for ThresholdPublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "ThresholdPublicKey {{ {:?}, committee: {}, threshold: {} }}",
            self.public, self.committee, self.threshold
        )
    }
}

impl KeyShare {
    /// The holder's index (1-based).
    pub fn index(&self) -> u32 {
        self.index
    }

    /// The encryption key the share belongs to.
    pub fn public(&self) -> &PublicKey {
        &self.public
    }

    /// Partially decrypts `c`, with a proof of correctness.
    pub fn partial_decrypt<R: CryptoRng + ?Sized>(
        &self,
        c: &Ciphertext,
        rng: &mut R,
    ) -> Result<PartialDecryption> {
        self.public.validate(c)?;
        let m = self.public.ciphertext_modulus();
        let delta = factorial(self.committee);
        let x = (&delta * &self.share).complete();
        let two_x = (&x * 2u32).complete();
        let ci = c.value().clone().pow_mod(&two_x, m).unwrap_or_default();
        let (u, ci2) = statement(c.value(), &ci, m);
        let r_bits = x.significant_bits() + CHALLENGE_BITS + SLACK_BITS;
        let r = random_bits(rng, r_bits);
        let a = u.clone().pow_mod(&r, m).unwrap_or_default();
        let b = self.v.clone().pow_mod(&r, m).unwrap_or_default();
        let e = challenge(
            &self.public,
            self.index,
            &[&u, &self.v, &ci2, &self.verification_key, &a, &b],
        );
        let z = r + (&e * &x).complete();
        Ok(PartialDecryption {
            index: self.index,
            ciphertext: c.value().clone(),
            c: ci,
            proof: EqualityProof { e, z },
        })
    }

    /// The holder's JSON document (secret: keep it with the holder).
    pub fn to_json(&self) -> String {
        let j = KeyShareJson {
            n: self.public.n().clone(),
            s: self.public.s(),
            committee: self.committee,
            threshold: self.threshold,
            index: self.index,
            share: self.share.clone(),
            v: self.v.clone(),
            verification_key: self.verification_key.clone(),
        };
        serde_json::to_string_pretty(&j).unwrap_or_default()
    }

    /// Reads a holder's JSON document.
    pub fn from_json(text: &str) -> Result<KeyShare> {
        let j: KeyShareJson = serde_json::from_str(text)
            .map_err(|e| CryptoError::input("key share", e.to_string()))?;
        if j.index == 0
            || j.index > j.committee
            || j.committee > MAX_COMMITTEE
            || j.threshold == 0
            || j.threshold > j.committee
        {
            return Err(CryptoError::input(
                "key share",
                "need 1 ≤ index ≤ committee ≤ 10,000 and 1 ≤ threshold ≤ committee",
            ));
        }
        if j.share < 0 {
            return Err(CryptoError::input(
                "key share",
                "the share must not be negative",
            ));
        }
        let public = PublicKey::new(j.n.clone(), j.s)?;
        let m = public.ciphertext_modulus();
        for x in [&j.v, &j.verification_key] {
            if *x <= 0 || x >= m {
                return Err(CryptoError::input(
                    "key share",
                    "v and the verification key must be in (0, n^(s+1))",
                ));
            }
        }
        Ok(KeyShare {
            index: j.index,
            share: j.share.clone(),
            public,
            committee: j.committee,
            threshold: j.threshold,
            v: j.v.clone(),
            verification_key: j.verification_key.clone(),
        })
    }
}

impl Drop for KeyShare {
    fn drop(&mut self) {
        zeroize_integer(&mut self.share);
    }
}

impl fmt::Debug for KeyShare {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "KeyShare {{ index: {}, committee: {}, threshold: {}, <secret> }}",
            self.index, self.committee, self.threshold
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng;

    fn setup(
        bits: u32,
        s: u32,
        l: u32,
        t: u32,
    ) -> (PrivateKey, ThresholdPublicKey, Vec<KeyShare>, ChaCha20Rng) {
        let mut rng = ChaCha20Rng::seed_from_u64(u64::from(bits + s * 7 + l * 13 + t));
        let sk = PrivateKey::generate(&mut rng, bits, s, 1, &|_| {}).unwrap();
        let (tpk, shares) = sk.deal(l, t, &mut rng).unwrap();
        (sk, tpk, shares, rng)
    }

    #[test]
    fn any_threshold_subset_decrypts() {
        for (s, l, t) in [(1, 5, 3), (2, 4, 2), (1, 3, 3), (1, 1, 1)] {
            let (_, tpk, shares, mut rng) = setup(256, s, l, t);
            let m = Integer::from(123_456_789) * Integer::from(987_654_321u64);
            let c = tpk.public().encrypt(&m, &mut rng);
            let partials: Vec<_> = shares
                .iter()
                .map(|sh| sh.partial_decrypt(&c, &mut rng).unwrap())
                .collect();
            // Every τ-subset by sliding windows and the reversed order.
            for start in 0..=(l - t) as usize {
                let subset = &partials[start..start + t as usize];
                assert_eq!(
                    tpk.combine(&c, subset).unwrap(),
                    m,
                    "s={s} l={l} t={t} start={start}"
                );
            }
            if t > 1 {
                let too_few = &partials[..t as usize - 1];
                assert!(matches!(
                    tpk.combine(&c, too_few),
                    Err(CryptoError::NotEnough { .. })
                ));
            }
        }
    }

    #[test]
    fn a_tampered_partial_is_caught_by_its_proof() {
        let (_, tpk, shares, mut rng) = setup(256, 1, 4, 2);
        let c = tpk.public().encrypt(&Integer::from(77), &mut rng);
        let mut p = shares[1].partial_decrypt(&c, &mut rng).unwrap();
        let good = p.clone();
        p.c = (p.c * 3u32).modulo(tpk.public().ciphertext_modulus());
        assert!(matches!(
            tpk.verify(&c, &p),
            Err(CryptoError::BadContribution { holder: 2, .. })
        ));
        let p0 = shares[0].partial_decrypt(&c, &mut rng).unwrap();
        assert!(matches!(
            tpk.combine(&c, &[p0.clone(), p]),
            Err(CryptoError::BadContribution { holder: 2, .. })
        ));
        // A proof for another ciphertext does not verify either.
        let c2 = tpk.public().encrypt(&Integer::from(78), &mut rng);
        assert!(tpk.verify(&c2, &good).is_err());
        let mut forged = good.clone();
        forged.proof.z += 1;
        assert!(tpk.verify(&c, &forged).is_err());
        assert_eq!(tpk.combine(&c, &[p0, good]).unwrap(), 77);
    }

    #[test]
    fn json_round_trips_and_foreign_shares_are_refused() {
        let (_, tpk, shares, mut rng) = setup(256, 1, 3, 2);
        let tpk2 = ThresholdPublicKey::from_json(&tpk.to_json()).unwrap();
        assert_eq!(tpk2, tpk);
        let share = KeyShare::from_json(&shares[2].to_json()).unwrap();
        let c = tpk.public().encrypt(&Integer::from(5), &mut rng);
        let p: PartialDecryption = serde_json::from_str(
            &serde_json::to_string(&share.partial_decrypt(&c, &mut rng).unwrap()).unwrap(),
        )
        .unwrap();
        tpk.verify(&c, &p).unwrap();
        // Another key's committee cannot vouch for this share's partials.
        let (_, other, _, _) = setup(258, 1, 3, 2);
        assert!(other.verify(&c, &p).is_err());
        // Combining from the partials alone finds their ciphertext.
        let p2 = shares[0].partial_decrypt(&c, &mut rng).unwrap();
        assert_eq!(tpk.combine_partials(&[p, p2]).unwrap(), 5);
        assert!(!format!("{share:?}").contains(&shares[2].share.to_string()));
    }
}
