//! The means part 𝔐 of the Diptych (Def. 6) and EESum's local update rule
//! (§4.2.1, Alg. 2).
//!
//! A participant's encrypted means are one vector of k·(n+1) ciphertexts —
//! for each cluster its sum series and its count — with the cleartext
//! weight ω of the epidemic representation, the participation counter of
//! §4.2.2 (a sum of ones, cleartext because it does not depend on the
//! data) and the number of exchanges n_l behind the values. The real value
//! a participant holds is `values / 2^n_l`; its estimate of the global sum
//! is `values / ω` (the 2^n_l cancel).
//!
//! Alg. 2: two participants exchanging their means scale the side that
//! took part in fewer exchanges by `2^(difference)`, add the two, and set
//! `n = max(n_l, n_r) + 1` — the standard averaging `(a + b) / 2` with the
//! division delayed until decryption (App. C.2.1). Both sides end with the
//! same means, so the responder computes them and the initiator adopts
//! them.

use rug::Integer;
use serde::{Deserialize, Serialize};

use crate::chiaroscuro::additive::{AdditiveScheme, bytes_len};
use crate::error::{ProtocolError, Result};
use crate::message::{EncodedLen, varint_len};

/// The largest n_l accepted from the network (2^n must stay representable
/// by the insecure stand-in's floats and small beside DJ's plaintexts).
pub const MAX_EXCHANGE_DEPTH: u32 = 900;

/// A participant's encrypted means with their epidemic representation.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(bound = "")]
pub struct EncryptedMeans<S: AdditiveScheme> {
    /// E(sums and counts), k·(n+1) values, times 2^exchanges.
    pub values: S::Vector,
    /// The weight ω, times 2^exchanges.
    #[serde(with = "magnitude")]
    pub weight: Integer,
    /// The participation counter, times 2^exchanges.
    #[serde(with = "magnitude")]
    pub counter: Integer,
    /// n_l: the exchanges behind the values.
    pub exchanges: u32,
    /// Noise shares the correction of §4.2.2 removed (0 before it).
    pub removed_shares: u64,
}

impl<S: AdditiveScheme> EncodedLen for EncryptedMeans<S> {
    fn encoded_len(&self) -> usize {
        self.values.encoded_len()
            + bytes_len(&self.weight)
            + bytes_len(&self.counter)
            + varint_len(self.exchanges.into())
            + varint_len(self.removed_shares)
    }
}

/// A non-negative integer on the wire as its big-endian bytes (the weight
/// and counter can never be negative; serializing a negative one fails).
mod magnitude {
    use rug::Integer;
    use rug::integer::Order;
    use serde::{Deserialize, Deserializer, Serializer};

    use crate::chiaroscuro::additive::Bytes;

    pub(super) fn serialize<S: Serializer>(x: &Integer, s: S) -> Result<S::Ok, S::Error> {
        if *x < 0 {
            return Err(serde::ser::Error::custom("a negative weight or counter"));
        }
        s.serialize_bytes(&x.to_digits::<u8>(Order::Msf))
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Integer, D::Error> {
        Ok(Integer::from_digits(&Bytes::deserialize(d)?.0, Order::Msf))
    }
}

impl<S: AdditiveScheme> EncryptedMeans<S> {
    /// A participant's initial means (Alg. 1 line 6): its encrypted
    /// contribution, weight 1 for the weight origin and 0 otherwise,
    /// counter 1.
    pub fn initial(values: S::Vector, origin: bool) -> Self {
        EncryptedMeans {
            values,
            weight: Integer::from(u32::from(origin)),
            counter: Integer::from(1),
            exchanges: 0,
            removed_shares: 0,
        }
    }

    /// Whether Alg. 2's exchange of `a` and `b` would go deeper than
    /// `scheme` holds ([`AdditiveScheme::max_depth`]): [`Self::exchange`]
    /// refuses it.
    pub fn too_deep(scheme: &S, a: &Self, b: &Self) -> bool {
        a.exchanges.max(b.exchanges) >= scheme.max_depth()
    }

    /// Alg. 2: the means both sides hold after an exchange of `a` and `b`.
    pub fn exchange(scheme: &S, a: &Self, b: &Self) -> Result<Self> {
        for m in [a, b] {
            if m.exchanges >= MAX_EXCHANGE_DEPTH {
                return Err(ProtocolError::Malformed(format!(
                    "{} exchanges behind a mean (at most {MAX_EXCHANGE_DEPTH})",
                    m.exchanges
                )));
            }
            if m.weight < 0 || m.counter < 0 {
                return Err(ProtocolError::Malformed(
                    "a negative weight or counter".into(),
                ));
            }
        }
        let n = a.exchanges.max(b.exchanges);
        if Self::too_deep(scheme, a, b) {
            return Err(ProtocolError::invalid(
                "exchange",
                format!(
                    "{} exchanges behind a mean: the scheme holds at most {}",
                    n + 1,
                    scheme.max_depth()
                ),
            ));
        }
        let (ka, kb) = (n - a.exchanges, n - b.exchanges);
        Ok(EncryptedMeans {
            values: scheme.combine(&a.values, ka, &b.values, kb)?,
            weight: (a.weight.clone() << ka) + (b.weight.clone() << kb),
            counter: (a.counter.clone() << ka) + (b.counter.clone() << kb),
            exchanges: n + 1,
            removed_shares: 0,
        })
    }

    /// The estimate of the number of participants whose contribution is in
    /// the sum (counter / ω), if the weight has reached this participant.
    pub fn participants(&self) -> Option<f64> {
        (self.weight > 0).then(|| ratio(&self.counter, &self.weight))
    }

    /// Adds the cleartext `values` (times ω, so that they count once in the
    /// sum estimate) to the encrypted values: the correction of §4.2.2.
    pub fn add_cleartext<R: rand_core::CryptoRng + ?Sized>(
        &mut self,
        scheme: &S,
        values: &[Integer],
        rng: &mut R,
    ) -> Result<()> {
        let scaled: Vec<Integer> = values.iter().map(|v| (v * &self.weight).into()).collect();
        self.values = scheme.add_cleartext(&self.values, &scaled, rng)?;
        Ok(())
    }
}

/// `a / b` for big integers, as a float (exact to double precision even
/// when both exceed the float range).
pub fn ratio(a: &Integer, b: &Integer) -> f64 {
    let shift = a
        .significant_bits()
        .max(b.significant_bits())
        .saturating_sub(60);
    let (a, b) = (Integer::from(a >> shift), Integer::from(b >> shift));
    a.to_f64() / b.to_f64()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chiaroscuro::additive::{InsecurePlaintext, InsecurePlaintextVector};

    type M = EncryptedMeans<InsecurePlaintext>;
    const S: InsecurePlaintext = InsecurePlaintext { threshold: 1 };

    fn m(v: f64, origin: bool) -> M {
        M::initial(InsecurePlaintextVector::new(vec![v]), origin)
    }

    fn real(x: &M) -> f64 {
        x.values.0[0] / 2f64.powi(x.exchanges as i32)
    }

    #[test]
    fn an_exchange_is_an_average_with_the_division_delayed() {
        let a = m(6.0, true);
        let b = m(2.0, false);
        let ab = M::exchange(&S, &a, &b).unwrap();
        assert_eq!((ab.values.0[0], ab.exchanges), (8.0, 1));
        assert_eq!(real(&ab), 4.0);
        // A side behind in exchanges is scaled up first (Alg. 2 line 3).
        let c = m(10.0, false);
        let abc = M::exchange(&S, &ab, &c).unwrap();
        assert_eq!(abc.exchanges, 2);
        assert_eq!(real(&abc), (4.0 + 10.0) / 2.0);
        assert_eq!(abc.weight, 1);
        assert_eq!(abc.counter, 4); // (2 + 2)/2^2 · 2^2: the real counter is 1.
        // Mass is conserved: a and c hold abc, b still holds ab.
        assert_eq!(2.0 * real(&abc) + real(&ab), 6.0 + 2.0 + 10.0);
    }

    #[test]
    fn the_sum_estimate_is_values_over_weight() {
        // Four participants, pairwise exchanges in a pattern that mixes all.
        let mut p: Vec<M> = [1.0, 2.0, 3.0, 10.0]
            .iter()
            .enumerate()
            .map(|(i, v)| m(*v, i == 0))
            .collect();
        for (i, j) in [(0, 1), (2, 3), (0, 2), (1, 3), (0, 3), (1, 2)] {
            let x = M::exchange(&S, &p[i], &p[j]).unwrap();
            p[i] = x.clone();
            p[j] = x;
        }
        for x in &p {
            let est = x.values.0[0] / x.weight.to_f64();
            assert!((est - 16.0).abs() < 1e-9, "{est}");
            assert!((x.participants().unwrap() - 4.0).abs() < 1e-9);
        }
    }

    #[test]
    fn absurd_depths_are_refused() {
        let mut a = m(1.0, false);
        a.exchanges = MAX_EXCHANGE_DEPTH;
        assert!(M::exchange(&S, &a, &m(1.0, false)).is_err());
    }

    #[test]
    fn ratio_survives_huge_integers() {
        let a = Integer::from(3) << 2000u32;
        let b = Integer::from(2) << 2000u32;
        assert_eq!(ratio(&a, &b), 1.5);
    }
}
