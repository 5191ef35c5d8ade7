//! The additively homomorphic encryption Chiaroscuro needs (§3.3.1),
//! behind one trait so that the protocol runs with real Damgård–Jurik or,
//! for very large simulated populations, with a loudly named insecure
//! stand-in — the paper's own demonstrator disabled encryption the same
//! way. Every output of a run says which scheme ran ([`AdditiveScheme::name`],
//! [`AdditiveScheme::is_secure`]).
//!
//! The protocol works on whole vectors of k·(n+1) values (the sums and
//! counts of the k encrypted means, Def. 6). It needs:
//! * encryption of fixed-point integers (§4.2, Alg. 1 line 6);
//! * Alg. 2's combination `a·2^ka + b·2^kb` — homomorphic addition and
//!   multiplication by a power of two, since encrypted data cannot be
//!   divided;
//! * the threshold decryption of §4.2.3: a key holder's partial decryption
//!   of a vector, and the combination of τ of them.

use std::sync::Arc;

use rand_core::CryptoRng;
use rug::Integer;
use serde::{Deserialize, Serialize};
use sfumato_crypto::dj::threshold::{
    EqualityProof, KeyShare, PartialDecryption, ThresholdPublicKey,
};
use sfumato_crypto::dj::{Ciphertext, ShortExponentEncryptor};
use sfumato_crypto::encoding::PackingLayout;

use crate::chiaroscuro::eesum::MAX_EXCHANGE_DEPTH;
use crate::chiaroscuro::packing;
use crate::error::{ProtocolError, Result};
use crate::message::{EncodedLen, varint_len};

/// An additively homomorphic scheme with threshold decryption.
pub trait AdditiveScheme: Clone + core::fmt::Debug + Send + Sync + 'static {
    /// An encrypted vector.
    type Vector: Clone
        + core::fmt::Debug
        + Send
        + Serialize
        + for<'de> Deserialize<'de>
        + EncodedLen
        + 'static;
    /// One key holder's partial decryption of a whole vector.
    type Partial: Clone + core::fmt::Debug + Send + Serialize + for<'de> Deserialize<'de> + 'static;
    /// A key holder's secret share.
    type KeyShare: Send + Sync + 'static;

    /// A name for outputs.
    fn name(&self) -> &'static str;

    /// Whether ciphertexts hide their plaintexts.
    fn is_secure(&self) -> bool;

    /// E(m) for every `m` of `values`.
    fn encrypt<R: CryptoRng + ?Sized>(&self, values: &[Integer], rng: &mut R) -> Self::Vector;

    /// E(m) for small integers (the default goes through [`Integer`]).
    fn encrypt_i64<R: CryptoRng + ?Sized>(&self, values: &[i64], rng: &mut R) -> Self::Vector {
        let v: Vec<Integer> = values.iter().map(|x| Integer::from(*x)).collect();
        self.encrypt(&v, rng)
    }

    /// `a ×_h 2^ka +_h b ×_h 2^kb`, element by element (Alg. 2 lines 1–7).
    /// Vectors of different lengths are an error.
    fn combine(&self, a: &Self::Vector, ka: u32, b: &Self::Vector, kb: u32)
    -> Result<Self::Vector>;

    /// `v +_h E(values)` for cleartext integers of any size, without
    /// counting as another term of the sum (the correction of §4.2.2).
    fn add_cleartext<R: CryptoRng + ?Sized>(
        &self,
        v: &Self::Vector,
        values: &[Integer],
        rng: &mut R,
    ) -> Result<Self::Vector> {
        self.combine(v, 0, &self.encrypt(values, rng), 0)
    }

    /// The deepest EESum representation the scheme can hold: the largest
    /// n_l of Alg. 2 (a packed plaintext has room for only so many
    /// doublings).
    fn max_depth(&self) -> u32 {
        MAX_EXCHANGE_DEPTH
    }

    /// The index (1-based) of a key share.
    fn share_index(&self, share: &Self::KeyShare) -> u32;

    /// Key holder `share`'s partial decryption of `v` (§4.2.3).
    fn partial<R: CryptoRng + ?Sized>(
        &self,
        share: &Self::KeyShare,
        v: &Self::Vector,
        rng: &mut R,
    ) -> Result<Self::Partial>;

    /// The threshold τ of partial decryptions needed.
    fn threshold(&self) -> u32;

    /// Combines τ partial decryptions of `v` (from distinct holders, each
    /// with its index) into its `len` plaintexts, as signed integers
    /// (values above half the plaintext modulus are negative).
    /// `multiplicity` is the sum of the coefficients of the encryptions
    /// combined into `v` (EESum's participation counter), which a packed
    /// vector needs to remove its slots' offsets.
    fn decrypt(
        &self,
        v: &Self::Vector,
        len: usize,
        multiplicity: &Integer,
        partials: &[(u32, &Self::Partial)],
    ) -> Result<Vec<f64>>;
}

/// **Insecure**: "ciphertexts" are the plaintexts, held as floating-point
/// numbers (multiplying by 2^k is exact; an addition rounds to 53 bits,
/// so results agree with real encryption to about 1e-15 relative). For
/// simulating populations too large for real encryption; never a default
/// outside the simulator, and reported in every output that used it.
/// Partial decryptions are empty tokens: the epidemic decryption still
/// runs, with its identifiers, sets and threshold, but decrypts nothing.
#[derive(Clone, Copy, Debug)]
pub struct InsecurePlaintext {
    /// The threshold the epidemic decryption simulates.
    pub threshold: u32,
}

/// A key share of the [`InsecurePlaintext`] stand-in: only an index.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InsecureKeyShare(pub u32);

/// The plaintext values posing as an encrypted vector ([`InsecurePlaintext`]).
///
/// The values are shared, not copied, when the vector is cloned: after an
/// exchange both sides of Alg. 2 hold the same means, and a simulated
/// message carries them without a copy. On the wire they are a sequence of
/// floats, as a `Vec<f64>` would be.
#[derive(Clone, Debug, PartialEq)]
pub struct InsecurePlaintextVector(pub Arc<[f64]>);

impl InsecurePlaintextVector {
    /// The vector of `values`.
    pub fn new(values: Vec<f64>) -> Self {
        InsecurePlaintextVector(values.into())
    }
}

impl Serialize for InsecurePlaintextVector {
    fn serialize<Se: serde::Serializer>(&self, s: Se) -> core::result::Result<Se::Ok, Se::Error> {
        self.0.serialize(s)
    }
}

impl EncodedLen for InsecurePlaintextVector {
    fn encoded_len(&self) -> usize {
        varint_len(self.0.len() as u64) + 8 * self.0.len()
    }
}

impl<'de> Deserialize<'de> for InsecurePlaintextVector {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> core::result::Result<Self, D::Error> {
        Ok(InsecurePlaintextVector::new(Vec::deserialize(d)?))
    }
}

impl AdditiveScheme for InsecurePlaintext {
    type Vector = InsecurePlaintextVector;
    type Partial = ();
    type KeyShare = InsecureKeyShare;

    fn name(&self) -> &'static str {
        "insecure-plaintext"
    }

    fn is_secure(&self) -> bool {
        false
    }

    fn encrypt<R: CryptoRng + ?Sized>(
        &self,
        values: &[Integer],
        _rng: &mut R,
    ) -> InsecurePlaintextVector {
        InsecurePlaintextVector(values.iter().map(Integer::to_f64).collect())
    }

    fn encrypt_i64<R: CryptoRng + ?Sized>(
        &self,
        values: &[i64],
        _rng: &mut R,
    ) -> InsecurePlaintextVector {
        InsecurePlaintextVector(values.iter().map(|x| *x as f64).collect())
    }

    fn combine(
        &self,
        a: &InsecurePlaintextVector,
        ka: u32,
        b: &InsecurePlaintextVector,
        kb: u32,
    ) -> Result<InsecurePlaintextVector> {
        same_len(a.0.len(), b.0.len())?;
        let (fa, fb) = (pow2(ka), pow2(kb));
        Ok(InsecurePlaintextVector(
            a.0.iter()
                .zip(b.0.iter())
                .map(|(x, y)| x * fa + y * fb)
                .collect(),
        ))
    }

    fn share_index(&self, share: &InsecureKeyShare) -> u32 {
        share.0
    }

    fn partial<R: CryptoRng + ?Sized>(
        &self,
        _share: &InsecureKeyShare,
        _v: &InsecurePlaintextVector,
        _rng: &mut R,
    ) -> Result<()> {
        Ok(())
    }

    fn threshold(&self) -> u32 {
        self.threshold
    }

    fn decrypt(
        &self,
        v: &InsecurePlaintextVector,
        len: usize,
        _multiplicity: &Integer,
        partials: &[(u32, &())],
    ) -> Result<Vec<f64>> {
        enough(partials.iter().map(|p| p.0), self.threshold)?;
        same_len(v.0.len(), len)?;
        Ok(v.0.to_vec())
    }
}

/// 2^k as a float (exact; infinite beyond the exponent range).
fn pow2(k: u32) -> f64 {
    f64::from(2u32).powi(k.min(i32::MAX as u32) as i32)
}

fn same_len(a: usize, b: usize) -> Result<()> {
    if a != b {
        return Err(ProtocolError::Malformed(format!(
            "vectors of {a} and {b} values cannot be added"
        )));
    }
    Ok(())
}

/// Checks that `indices` holds at least `threshold` distinct holders.
fn enough(indices: impl Iterator<Item = u32>, threshold: u32) -> Result<()> {
    let mut seen: Vec<u32> = indices.collect();
    seen.sort_unstable();
    seen.dedup();
    if seen.len() < threshold as usize {
        return Err(ProtocolError::invalid(
            "decryption",
            format!(
                "{} distinct key shares applied, {threshold} needed",
                seen.len()
            ),
        ));
    }
    Ok(())
}

/// Damgård–Jurik under a threshold key from `sfumato-crypto`: the
/// committee's key holders decrypt partially, with proofs of correct
/// decryption that the combination verifies.
#[derive(Clone)]
pub struct DamgardJurik {
    key: Arc<ThresholdPublicKey>,
    fast: Option<Arc<ShortExponentEncryptor>>,
    packing: Option<Arc<PackingLayout>>,
}

impl core::fmt::Debug for DamgardJurik {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("DamgardJurik")
            .field("key", &self.key)
            .field("short_exponents", &self.fast.is_some())
            .field("packing", &self.packing)
            .finish()
    }
}

impl DamgardJurik {
    /// The scheme under `key`, encrypting with full randomness (DCR only).
    pub fn new(key: Arc<ThresholdPublicKey>) -> DamgardJurik {
        DamgardJurik {
            key,
            fast: None,
            packing: None,
        }
    }

    /// The scheme under `key`, encrypting with short exponents and a fixed
    /// base (DJN 2010 §4.1: an extra assumption, several times faster; see
    /// `sfumato_crypto::dj::fast`).
    pub fn with_short_exponents(
        key: Arc<ThresholdPublicKey>,
        fast: ShortExponentEncryptor,
    ) -> Self {
        DamgardJurik {
            key,
            fast: Some(Arc::new(fast)),
            packing: None,
        }
    }

    /// The same scheme, packing `layout.slots()` values into each
    /// plaintext ([`crate::chiaroscuro::packing`]): a vector of k·(n+1)
    /// values is that many times fewer ciphertexts to encrypt, add, send
    /// and decrypt. The layout must have been made for this key's
    /// plaintexts.
    pub fn with_packing(mut self, layout: PackingLayout) -> Result<Self> {
        let bits = self.key.public().plaintext_modulus().significant_bits();
        if layout.packed_bits() >= u64::from(bits) {
            return Err(ProtocolError::invalid(
                "packing",
                format!(
                    "a layout of {} bits for {bits}-bit plaintexts",
                    layout.packed_bits()
                ),
            ));
        }
        self.packing = Some(Arc::new(layout));
        Ok(self)
    }

    /// The packing layout, if values are packed.
    pub fn packing(&self) -> Option<&PackingLayout> {
        self.packing.as_deref()
    }

    /// E(m) of one plaintext, reduced modulo nˢ.
    fn encrypt_one<R: CryptoRng + ?Sized>(&self, m: &Integer, rng: &mut R) -> Ciphertext {
        let m = Integer::from(m.modulo_ref(self.key.public().plaintext_modulus()));
        match &self.fast {
            Some(fast) => fast.encrypt(&m, rng),
            None => self.key.public().encrypt(&m, rng),
        }
    }

    /// Whether encryption uses short exponents.
    pub fn short_exponents(&self) -> bool {
        self.fast.is_some()
    }

    /// The threshold public key.
    pub fn key(&self) -> &ThresholdPublicKey {
        &self.key
    }
}

/// An encrypted vector under Damgård–Jurik. On the wire each ciphertext is
/// its big-endian bytes (postcard: a length, then the bytes), not the
/// decimal text of the key files: 256 bytes for a 1024-bit key, s = 1.
#[derive(Clone, Debug, PartialEq)]
pub struct DjVector(pub Vec<Ciphertext>);

impl Serialize for DjVector {
    fn serialize<Se: serde::Serializer>(&self, s: Se) -> core::result::Result<Se::Ok, Se::Error> {
        use serde::ser::SerializeSeq;
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for c in &self.0 {
            seq.serialize_element(&be_bytes(c.value()))?;
        }
        seq.end()
    }
}

impl EncodedLen for DjVector {
    fn encoded_len(&self) -> usize {
        varint_len(self.0.len() as u64) + self.0.iter().map(|c| bytes_len(c.value())).sum::<usize>()
    }
}

/// The encoded length of a non-negative integer as its big-endian bytes.
pub(crate) fn bytes_len(x: &Integer) -> usize {
    let n = (x.significant_bits() as usize).div_ceil(8);
    varint_len(n as u64) + n
}

impl<'de> Deserialize<'de> for DjVector {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> core::result::Result<Self, D::Error> {
        let raw: Vec<Bytes> = Vec::deserialize(d)?;
        Ok(DjVector(
            raw.into_iter()
                .map(|b| Ciphertext::from_value(from_be(&b)))
                .collect(),
        ))
    }
}

/// A byte string, serialized as such (postcard: length, then the bytes).
pub(crate) struct Bytes(pub(crate) Vec<u8>);

impl Serialize for Bytes {
    fn serialize<Se: serde::Serializer>(&self, s: Se) -> core::result::Result<Se::Ok, Se::Error> {
        s.serialize_bytes(&self.0)
    }
}

impl<'de> Deserialize<'de> for Bytes {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> core::result::Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Bytes;
            fn expecting(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.write_str("a byte string")
            }
            fn visit_bytes<E: serde::de::Error>(self, v: &[u8]) -> core::result::Result<Bytes, E> {
                Ok(Bytes(v.to_vec()))
            }
            fn visit_byte_buf<E: serde::de::Error>(
                self,
                v: Vec<u8>,
            ) -> core::result::Result<Bytes, E> {
                Ok(Bytes(v))
            }
        }
        d.deserialize_bytes(V)
    }
}

/// One holder's partial decryptions of a [`DjVector`], with proofs. On the
/// wire each is its holder's index and the big-endian bytes of `cᵢ` and
/// of the proof's challenge and response; the ciphertext it decrypts is
/// left out (it is the vector's own, restored at decryption).
#[derive(Clone, Debug, PartialEq)]
pub struct DjPartial(pub Vec<PartialDecryption>);

fn be_bytes(x: &Integer) -> Bytes {
    Bytes(x.to_digits::<u8>(rug::integer::Order::Msf))
}

fn from_be(b: &Bytes) -> Integer {
    Integer::from_digits(&b.0, rug::integer::Order::Msf)
}

impl Serialize for DjPartial {
    fn serialize<Se: serde::Serializer>(&self, s: Se) -> core::result::Result<Se::Ok, Se::Error> {
        use serde::ser::SerializeSeq;
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for p in &self.0 {
            if p.c < 0 || p.proof.e < 0 || p.proof.z < 0 {
                return Err(serde::ser::Error::custom(
                    "a negative value in a partial decryption",
                ));
            }
            seq.serialize_element(&(
                p.index,
                be_bytes(&p.c),
                be_bytes(&p.proof.e),
                be_bytes(&p.proof.z),
            ))?;
        }
        seq.end()
    }
}

impl<'de> Deserialize<'de> for DjPartial {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> core::result::Result<Self, D::Error> {
        let raw: Vec<(u32, Bytes, Bytes, Bytes)> = Vec::deserialize(d)?;
        Ok(DjPartial(
            raw.iter()
                .map(|(index, c, e, z)| PartialDecryption {
                    index: *index,
                    ciphertext: Integer::new(),
                    c: from_be(c),
                    proof: EqualityProof {
                        e: from_be(e),
                        z: from_be(z),
                    },
                })
                .collect(),
        ))
    }
}

impl AdditiveScheme for DamgardJurik {
    type Vector = DjVector;
    type Partial = DjPartial;
    type KeyShare = KeyShare;

    fn name(&self) -> &'static str {
        "damgard-jurik"
    }

    fn is_secure(&self) -> bool {
        true
    }

    fn encrypt<R: CryptoRng + ?Sized>(&self, values: &[Integer], rng: &mut R) -> DjVector {
        let plaintexts = match &self.packing {
            Some(layout) => packing::pack_clipped(layout, values),
            None => values.to_vec(),
        };
        DjVector(
            plaintexts
                .iter()
                .map(|m| self.encrypt_one(m, rng))
                .collect(),
        )
    }

    fn add_cleartext<R: CryptoRng + ?Sized>(
        &self,
        v: &DjVector,
        values: &[Integer],
        _rng: &mut R,
    ) -> Result<DjVector> {
        let plaintexts = match &self.packing {
            Some(layout) => packing::slot_sums(layout, values),
            None => values.to_vec(),
        };
        same_len(v.0.len(), plaintexts.len())?;
        // The correction is public: added as (1 + n)^m, without the cost
        // of fresh randomness.
        let pk = self.key.public();
        Ok(DjVector(
            v.0.iter()
                .zip(&plaintexts)
                .map(|(c, m)| pk.add_plain(c, m))
                .collect(),
        ))
    }

    fn max_depth(&self) -> u32 {
        self.packing
            .as_ref()
            .map_or(MAX_EXCHANGE_DEPTH, |l| l.headroom().doublings)
    }

    fn combine(&self, a: &DjVector, ka: u32, b: &DjVector, kb: u32) -> Result<DjVector> {
        same_len(a.0.len(), b.0.len())?;
        let pk = self.key.public();
        let scale = |c: &Ciphertext, k: u32| {
            if k == 0 {
                c.clone()
            } else {
                pk.mul_const(c, &(Integer::from(1) << k))
            }
        };
        Ok(DjVector(
            a.0.iter()
                .zip(&b.0)
                .map(|(x, y)| pk.add(&scale(x, ka), &scale(y, kb)))
                .collect(),
        ))
    }

    fn share_index(&self, share: &KeyShare) -> u32 {
        share.index()
    }

    fn partial<R: CryptoRng + ?Sized>(
        &self,
        share: &KeyShare,
        v: &DjVector,
        rng: &mut R,
    ) -> Result<DjPartial> {
        v.0.iter()
            .map(|c| share.partial_decrypt(c, rng))
            .collect::<core::result::Result<Vec<_>, _>>()
            .map(DjPartial)
            .map_err(|e| ProtocolError::invalid("partial decryption", e.to_string()))
    }

    fn threshold(&self) -> u32 {
        self.key.threshold()
    }

    fn decrypt(
        &self,
        v: &DjVector,
        len: usize,
        multiplicity: &Integer,
        partials: &[(u32, &DjPartial)],
    ) -> Result<Vec<f64>> {
        enough(partials.iter().map(|p| p.0), self.threshold())?;
        let expected = self
            .packing
            .as_ref()
            .map_or(len, |l| l.plaintexts_needed(len));
        same_len(v.0.len(), expected)?;
        let mut plain = Vec::with_capacity(v.0.len());
        for (j, c) in v.0.iter().enumerate() {
            let parts: Vec<PartialDecryption> = partials
                .iter()
                .map(|(_, p)| {
                    // The wire omits the ciphertext a partial decrypts: it
                    // is the vector's own.
                    let mut part = p.0.get(j).cloned().ok_or_else(|| {
                        ProtocolError::Malformed("partial decryption too short".into())
                    })?;
                    part.ciphertext = c.value().clone();
                    Ok(part)
                })
                .collect::<Result<_>>()?;
            let m = self
                .key
                .combine(c, &parts)
                .map_err(|e| ProtocolError::invalid("decryption", e.to_string()))?;
            plain.push(m);
        }
        let values = match &self.packing {
            Some(layout) => layout
                .unpack_all_weighted(&plain, len, multiplicity)
                .map_err(|e| ProtocolError::invalid("unpacking", e.to_string()))?,
            None => {
                let ns = self.key.public().plaintext_modulus();
                let half = Integer::from(ns >> 1u32);
                plain
                    .into_iter()
                    .map(|m| if m > half { m - ns } else { m })
                    .collect()
            }
        };
        Ok(values.iter().map(Integer::to_f64).collect())
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng;
    use sfumato_crypto::dj::PrivateKey;

    /// A small threshold key (2 of 3) for tests.
    pub(crate) fn small_threshold_key(seed: u64) -> (ThresholdPublicKey, Vec<KeyShare>) {
        let mut rng = ChaCha20Rng::seed_from_u64(seed);
        let sk = PrivateKey::generate(&mut rng, 256, 1, 1, &|_| {}).unwrap();
        sk.deal(3, 2, &mut rng).unwrap()
    }

    #[test]
    fn both_schemes_compute_the_same_combination_and_decryption() {
        let mut rng = ChaCha20Rng::seed_from_u64(9);
        let (tpk, shares) = small_threshold_key(9);
        let fast = ShortExponentEncryptor::new(tpk.public(), &mut rng);
        let dj_fast = DamgardJurik::with_short_exponents(Arc::new(tpk.clone()), fast);
        let dj = DamgardJurik::new(Arc::new(tpk));
        let plain = InsecurePlaintext { threshold: 2 };
        let f = dj_fast.encrypt_i64(&[5, -3], &mut rng);
        let fp = [dj
            .partial(&shares[1], &DjVector(f.0.clone()), &mut rng)
            .unwrap()];
        let fq = dj.partial(&shares[2], &f, &mut rng).unwrap();
        assert_eq!(
            dj.decrypt(&f, 2, &Integer::from(1), &[(2, &fp[0]), (3, &fq)])
                .unwrap(),
            vec![5.0, -3.0]
        );
        assert!(dj.is_secure() && !plain.is_secure());
        assert_eq!(plain.name(), "insecure-plaintext");
        let a = [Integer::from(1234), Integer::from(-5)];
        let b = [Integer::from(-77), Integer::from(3)];
        // a · 2³ + b · 2
        let e = dj
            .combine(&dj.encrypt(&a, &mut rng), 3, &dj.encrypt(&b, &mut rng), 1)
            .unwrap();
        let p = plain
            .combine(
                &plain.encrypt(&a, &mut rng),
                3,
                &plain.encrypt(&b, &mut rng),
                1,
            )
            .unwrap();
        assert_eq!(p.0.to_vec(), vec![1234.0 * 8.0 - 154.0, -40.0 + 6.0]);
        let p1 = dj.partial(&shares[0], &e, &mut rng).unwrap();
        let p3 = dj.partial(&shares[2], &e, &mut rng).unwrap();
        let w = Integer::from(10);
        assert_eq!(
            dj.decrypt(&e, 2, &w, &[(1, &p1), (3, &p3)]).unwrap(),
            p.0.to_vec()
        );
        assert_eq!(
            plain.decrypt(&p, 2, &w, &[(1, &()), (3, &())]).unwrap(),
            p.0.to_vec()
        );
        // τ − 1 shares, or the same share twice, do not decrypt.
        assert!(dj.decrypt(&e, 2, &w, &[(1, &p1)]).is_err());
        assert!(plain.decrypt(&p, 2, &w, &[(1, &()), (1, &())]).is_err());
        // A vector of another length than announced is refused.
        assert!(dj.decrypt(&e, 3, &w, &[(1, &p1), (3, &p3)]).is_err());
        // Ciphertexts travel as bytes and come back unchanged.
        let bytes = crate::message::encode(&e).unwrap();
        assert!(bytes.len() < 2 * 70, "{}", bytes.len()); // 2 × (1 + 64) bytes at 256 bits
        let back: DjVector = crate::message::decode(&bytes).unwrap();
        assert_eq!(back, e);
        // Vectors of different lengths are an error, not a panic.
        assert!(
            plain
                .combine(&p, 0, &InsecurePlaintextVector::new(vec![]), 0)
                .is_err()
        );
    }

    #[test]
    fn packed_vectors_sum_correct_and_decrypt_like_the_stand_in() {
        use crate::chiaroscuro::eesum::EncryptedMeans;
        use sfumato_crypto::encoding::{Headroom, PlaintextSpace};
        let mut rng = ChaCha20Rng::seed_from_u64(3);
        let (tpk, shares) = small_threshold_key(3);
        let space = PlaintextSpace::new(tpk.public().plaintext_modulus().clone()).unwrap();
        let headroom = Headroom {
            additions: 3,
            doublings: 6,
        };
        let layout = PackingLayout::new(&space, 3, Integer::from(1000), headroom).unwrap();
        let dj = DamgardJurik::new(Arc::new(tpk))
            .with_packing(layout)
            .unwrap();
        assert_eq!(dj.max_depth(), 6);
        let plain = InsecurePlaintext { threshold: 2 };
        // Four participants' vectors of 7 values (three plaintexts, the last
        // padded); one value beyond the bound is clipped to it.
        let data: [[i64; 7]; 4] = [
            [5, -3, 0, 999, -1000, 7, 1],
            [-5, 3, 2, 1, 1, -7, 0],
            [100, 0, -2, -999, 0, 0, 0],
            [0, 0, 0, 0, 0, 0, 5000],
        ];
        let clipped =
            |v: &[i64; 7]| -> Vec<i64> { v.iter().map(|x| (*x).clamp(-1000, 1000)).collect() };
        let dj_means: Vec<EncryptedMeans<DamgardJurik>> = data
            .iter()
            .enumerate()
            .map(|(i, v)| EncryptedMeans::initial(dj.encrypt_i64(v, &mut rng), i == 0))
            .collect();
        assert_eq!(dj_means[0].values.0.len(), 3);
        let plain_means: Vec<EncryptedMeans<InsecurePlaintext>> = data
            .iter()
            .enumerate()
            .map(|(i, v)| EncryptedMeans::initial(plain.encrypt_i64(&clipped(v), &mut rng), i == 0))
            .collect();
        // Alg. 2 in an uneven order: (0,1), then (01, 2), then (2', 3).
        fn run<S: AdditiveScheme>(s: &S, m: &[EncryptedMeans<S>]) -> EncryptedMeans<S> {
            let a = EncryptedMeans::exchange(s, &m[0], &m[1]).unwrap();
            let b = EncryptedMeans::exchange(s, &a, &m[2]).unwrap();
            let c = EncryptedMeans::exchange(s, &b, &m[3]).unwrap();
            EncryptedMeans::exchange(s, &c, &a).unwrap()
        }
        let mut dj_sum = run(&dj, &dj_means);
        let mut plain_sum = run(&plain, &plain_means);
        assert_eq!(dj_sum.counter, plain_sum.counter);
        // A correction of any sign, added without offset.
        let correction: Vec<Integer> = [-4i64, 6, 0, -1, 2, 0, -3]
            .iter()
            .map(|x| Integer::from(*x))
            .collect();
        dj_sum.add_cleartext(&dj, &correction, &mut rng).unwrap();
        plain_sum
            .add_cleartext(&plain, &correction, &mut rng)
            .unwrap();
        // Partial decryptions travel as bytes, without their ciphertexts.
        let p1 = dj.partial(&shares[0], &dj_sum.values, &mut rng).unwrap();
        let p3 = dj.partial(&shares[2], &dj_sum.values, &mut rng).unwrap();
        let p1: DjPartial = crate::message::decode(&crate::message::encode(&p1).unwrap()).unwrap();
        let w = dj_sum.counter.clone();
        let got = dj
            .decrypt(&dj_sum.values, 7, &w, &[(1, &p1), (3, &p3)])
            .unwrap();
        let want = plain
            .decrypt(&plain_sum.values, 7, &w, &[(1, &()), (3, &())])
            .unwrap();
        assert_eq!(got, want);
        // A wrong multiplicity does not decode silently into these values.
        let wrong = dj.decrypt(&dj_sum.values, 7, &(w.clone() + 1), &[(1, &p1), (3, &p3)]);
        assert!(wrong.map_or(true, |v| v != want));
        // Exchanges beyond the layout's doublings are refused.
        let mut deep = dj_means[0].clone();
        deep.exchanges = 6;
        assert!(EncryptedMeans::exchange(&dj, &deep, &dj_means[1]).is_err());
    }
}
