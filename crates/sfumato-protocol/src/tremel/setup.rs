//! The Setup phase of Tremel's Byzantine-tolerant queries (§5.2): a meter
//! has its tuple blind-signed by the owner, once per query, and proxies
//! accept only tuples with a valid owner signature that they have not
//! seen on another tuple.
//!
//! * [`SigningDesk`] — the owner's side: signs at most one blinded request
//!   per meter and query (a second one is refused, so a meter cannot
//!   contribute twice);
//! * [`SignedTuple`] — a tuple's encoding with its unblinded signature;
//! * [`TupleCheck`] — a proxy's side: the owner's signature must verify,
//!   the tuple must be of the current query, and a signature already
//!   accepted for another tuple is a reuse.

use std::collections::{BTreeMap, BTreeSet};

use rand_core::CryptoRng;
use sfumato_crypto::blind::{
    BlindRequest, BlindedSignature, OwnerPublicKey, OwnerSigningKey, TupleSignature,
};

use crate::error::{ProtocolError, Result};
use crate::message::decode;
use crate::tremel::messages::Tuple;

/// The owner's signing desk for blinded tuples.
#[derive(Clone, Debug)]
pub struct SigningDesk {
    key: std::sync::Arc<OwnerSigningKey>,
    /// Per query, the meters already served.
    served: BTreeMap<u64, BTreeSet<u32>>,
}

impl SigningDesk {
    /// A desk signing with `key`.
    pub fn new(key: OwnerSigningKey) -> SigningDesk {
        SigningDesk {
            key: std::sync::Arc::new(key),
            served: BTreeMap::new(),
        }
    }

    /// A desk signing with a shared key.
    pub fn shared(key: std::sync::Arc<OwnerSigningKey>) -> SigningDesk {
        SigningDesk {
            key,
            served: BTreeMap::new(),
        }
    }

    /// Signs `request` from `meter` for `query`, once: a second request of
    /// the same meter for the same query is refused.
    pub fn sign<R: CryptoRng + ?Sized>(
        &mut self,
        rng: &mut R,
        meter: u32,
        query: u64,
        request: &BlindRequest,
    ) -> Result<BlindedSignature> {
        let served = self.served.entry(query).or_default();
        if served.contains(&meter) {
            return Err(ProtocolError::Malformed(format!(
                "meter {meter} already has a signature for query {query}"
            )));
        }
        let sig = self
            .key
            .sign(rng, request)
            .map_err(|e| ProtocolError::Malformed(e.to_string()))?;
        served.insert(meter);
        Ok(sig)
    }

    /// Forgets the queries before `query` (their tuples are discarded
    /// anyway).
    pub fn forget_before(&mut self, query: u64) {
        self.served = self.served.split_off(&query);
    }
}

/// The owner's desk in a deployment: real RSA blind signatures, or the
/// **insecure** simulation stand-in (a public hash of the tuple, which the
/// stand-in's "blinding" leaves in the clear), with the same
/// one-signature-per-meter-and-query rule.
#[derive(Clone, Debug)]
pub enum OwnerDesk {
    /// RFC 9474 blind signatures.
    Real(SigningDesk),
    /// The insecure stand-in: the meters already served, per query.
    InsecureStandIn(BTreeMap<u64, BTreeSet<u32>>),
}

impl OwnerDesk {
    /// Signs `request` from `meter` for `query`, once.
    pub fn sign<R: CryptoRng + ?Sized>(
        &mut self,
        rng: &mut R,
        meter: u32,
        query: u64,
        request: &[u8],
    ) -> Result<Vec<u8>> {
        match self {
            OwnerDesk::Real(desk) => desk
                .sign(rng, meter, query, &BlindRequest(request.to_vec()))
                .map(|s| s.0),
            OwnerDesk::InsecureStandIn(served) => {
                if !served.entry(query).or_default().insert(meter) {
                    return Err(ProtocolError::Malformed(format!(
                        "meter {meter} already has a signature for query {query}"
                    )));
                }
                Ok(crate::tremel::onions::insecure_owner_tag(request))
            }
        }
    }

    /// Forgets the queries before `query`.
    pub fn forget_before(&mut self, query: u64) {
        match self {
            OwnerDesk::Real(desk) => desk.forget_before(query),
            OwnerDesk::InsecureStandIn(served) => *served = served.split_off(&query),
        }
    }
}

/// A tuple's encoding and the owner's signature of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedTuple {
    /// The tuple's postcard encoding (what was signed).
    pub bytes: Vec<u8>,
    /// The unblinded signature.
    pub signature: TupleSignature,
}

impl SignedTuple {
    /// Blinds, has signed through `sign` (the owner's desk, over whatever
    /// transport) and unblinds `tuple`.
    pub fn obtain<R: CryptoRng + ?Sized>(
        rng: &mut R,
        owner: &OwnerPublicKey,
        tuple: &Tuple,
        sign: impl FnOnce(&BlindRequest) -> Result<BlindedSignature>,
    ) -> Result<SignedTuple> {
        let bytes = crate::message::encode(tuple)?;
        let bad = |e: sfumato_crypto::CryptoError| ProtocolError::Malformed(e.to_string());
        let (request, blinding) = owner.blind(rng, &bytes).map_err(bad)?;
        let signed = sign(&request)?;
        let signature = owner.finalize(&signed, &blinding, &bytes).map_err(bad)?;
        Ok(SignedTuple { bytes, signature })
    }
}

/// A proxy's checks of signed tuples in one query.
#[derive(Clone, Debug)]
pub struct TupleCheck {
    owner: OwnerPublicKey,
    query: u64,
    /// Signatures accepted, with the tuple each signed.
    accepted: BTreeMap<Vec<u8>, Vec<u8>>,
}

impl TupleCheck {
    /// Checks for query `query` under the owner's key.
    pub fn new(owner: OwnerPublicKey, query: u64) -> TupleCheck {
        TupleCheck {
            owner,
            query,
            accepted: BTreeMap::new(),
        }
    }

    /// The tuple, if `t` carries a valid owner signature, is of this
    /// query, and its signature was not accepted with another tuple. The
    /// same signed tuple again is accepted again (it arrives by several
    /// paths).
    pub fn accept(&mut self, t: &SignedTuple) -> Result<Tuple> {
        self.owner.verify(&t.signature, &t.bytes).map_err(|_| {
            ProtocolError::Malformed("a tuple without the owner's signature".into())
        })?;
        let tuple: Tuple = decode(&t.bytes)?;
        if tuple.query != self.query {
            return Err(ProtocolError::Malformed(format!(
                "a tuple of query {} during query {}",
                tuple.query, self.query
            )));
        }
        match self.accepted.get(&t.signature.signature) {
            Some(bytes) if *bytes != t.bytes => Err(ProtocolError::Malformed(
                "a signature reused on another tuple".into(),
            )),
            _ => {
                self.accepted
                    .insert(t.signature.signature.clone(), t.bytes.clone());
                Ok(tuple)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_chacha::ChaCha8Rng;
    use rand_core::SeedableRng;

    fn tuple(query: u64, v: i64) -> Tuple {
        Tuple {
            query,
            id: 9,
            record: vec![v],
            proxies: vec![1, 2, 3],
        }
    }

    #[test]
    fn one_signature_per_meter_and_query_and_only_signed_fresh_tuples_pass() {
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        let key = OwnerSigningKey::generate(&mut rng, 2048).unwrap();
        let owner = key.public_key();
        let mut desk = SigningDesk::new(key);
        let mut srng = ChaCha8Rng::seed_from_u64(6);
        let signed = SignedTuple::obtain(&mut rng, &owner, &tuple(3, 40), |r| {
            desk.sign(&mut srng, 17, 3, r)
        })
        .unwrap();
        // A second request of meter 17 for query 3 is refused; another
        // query is fine.
        assert!(
            SignedTuple::obtain(&mut rng, &owner, &tuple(3, 41), |r| desk
                .sign(&mut srng, 17, 3, r))
            .is_err()
        );
        let next = SignedTuple::obtain(&mut rng, &owner, &tuple(4, 41), |r| {
            desk.sign(&mut srng, 17, 4, r)
        })
        .unwrap();

        let mut check = TupleCheck::new(owner.clone(), 3);
        assert_eq!(check.accept(&signed).unwrap().record, vec![40]);
        assert!(check.accept(&signed).is_ok());
        // Another query's tuple, a changed tuple, a reused signature.
        assert!(check.accept(&next).is_err());
        let mut changed = signed.clone();
        changed.bytes = crate::message::encode(&tuple(3, 4000)).unwrap();
        assert!(check.accept(&changed).is_err());
        let mut unsigned = signed.clone();
        unsigned.signature.signature[5] ^= 1;
        assert!(check.accept(&unsigned).is_err());
        desk.forget_before(4);
        assert!(desk.served.keys().all(|q| *q >= 4));
    }
}
