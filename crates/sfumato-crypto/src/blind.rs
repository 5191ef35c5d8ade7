//! RSA blind signatures (RFC 9474, RSABSSA-SHA384-PSS-Randomized) for the
//! Setup phase of Tremel's Byzantine-tolerant queries (§5.2, after Chaum):
//! a meter blinds its tuple, the owner signs the blinded message without
//! seeing the tuple, and the meter unblinds an ordinary RSA-PSS signature
//! that every proxy can check. The owner signs one blinded message per
//! meter and query, so a meter cannot contribute twice, and no proxy can
//! link a signed tuple to the meter that asked for it.
//!
//! The mathematics is `blind-rsa-signatures` (RSA on `crypto-bigint`,
//! checked here against RFC 9474's test vectors); this module gives it the
//! crate's error type, redacts the owner's secret key in `Debug`, and takes
//! every random value from the caller's CSPRNG.

use core::fmt;

use blind_rsa_signatures::reexports::rsa::traits::PublicKeyParts as _;
use blind_rsa_signatures::{
    BlindSignature, BlindingResult, KeyPair, MessageRandomizer, Options, PublicKey, Signature,
};
use rand_core::CryptoRng;

use crate::error::{CryptoError, Result};

fn bad(what: &'static str) -> impl Fn(blind_rsa_signatures::Error) -> CryptoError {
    move |e| CryptoError::input(what, e.to_string())
}

/// The owner's signing key (secret; `Debug` prints only its size).
pub struct OwnerSigningKey {
    pair: KeyPair,
}

impl fmt::Debug for OwnerSigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "OwnerSigningKey({} bits, <redacted>)",
            self.pair.pk.0.size() * 8
        )
    }
}

/// The owner's public key, which every meter knows (Tremel §2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OwnerPublicKey(PublicKey);

/// A blinded tuple, for the owner to sign.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlindRequest(pub Vec<u8>);

/// The owner's signature of a blinded tuple.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlindedSignature(pub Vec<u8>);

/// What a meter keeps between blinding and unblinding (secret: the
/// blinding factor would link the signature to the request).
pub struct Blinding(BlindingResult);

impl fmt::Debug for Blinding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Blinding(<redacted>)")
    }
}

/// An unblinded signature of a tuple: the RSA-PSS signature and the
/// 32-byte message randomizer (RFC 9474 §4.1) it covers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TupleSignature {
    /// The signature, as long as the modulus.
    pub signature: Vec<u8>,
    /// The randomizer prefixed to the message.
    pub randomizer: [u8; 32],
}

fn options() -> Options {
    Options::default()
}

impl OwnerSigningKey {
    /// A fresh key of `bits` (2048 to 4096) from the caller's CSPRNG.
    pub fn generate<R: CryptoRng + ?Sized>(rng: &mut R, bits: usize) -> Result<Self> {
        if !(2048..=4096).contains(&bits) {
            return Err(CryptoError::invalid(
                "bits",
                format!("RFC 9474 keys have 2048 to 4096 bits (got {bits})"),
            ));
        }
        let pair = KeyPair::generate(rng, bits).map_err(bad("RSA key generation"))?;
        Ok(OwnerSigningKey { pair })
    }

    /// The public half.
    pub fn public_key(&self) -> OwnerPublicKey {
        OwnerPublicKey(self.pair.pk.clone())
    }

    /// Signs a blinded tuple (RFC 9474 §4.3: the RSA private operation,
    /// checked, with base blinding from the caller's CSPRNG).
    pub fn sign<R: CryptoRng + ?Sized>(
        &self,
        rng: &mut R,
        request: &BlindRequest,
    ) -> Result<BlindedSignature> {
        self.pair
            .sk
            .blind_sign_with_rng(rng, &request.0)
            .map(|s| BlindedSignature(s.0))
            .map_err(bad("blinded message"))
    }

    /// The secret key in PKCS#8 DER, for the owner's own store.
    pub fn to_der(&self) -> Result<zeroize::Zeroizing<Vec<u8>>> {
        self.pair
            .sk
            .to_der()
            .map(zeroize::Zeroizing::new)
            .map_err(bad("RSA secret key"))
    }

    /// The key from [`OwnerSigningKey::to_der`]'s output.
    pub fn from_der(der: &[u8]) -> Result<Self> {
        let sk = blind_rsa_signatures::SecretKey::from_der(der).map_err(bad("RSA secret key"))?;
        let pk = sk.public_key().map_err(bad("RSA secret key"))?;
        Ok(OwnerSigningKey {
            pair: KeyPair { sk, pk },
        })
    }
}

impl OwnerPublicKey {
    /// Blinds `msg` (RFC 9474 §4.2: a random prefix, PSS encoding with a
    /// random salt, then RSA blinding by a random factor).
    pub fn blind<R: CryptoRng + ?Sized>(
        &self,
        rng: &mut R,
        msg: &[u8],
    ) -> Result<(BlindRequest, Blinding)> {
        let r = self.0.blind(rng, msg, &options()).map_err(bad("message"))?;
        Ok((BlindRequest(r.blind_message.0.clone()), Blinding(r)))
    }

    /// Unblinds the owner's signature of `msg` and checks it (RFC 9474
    /// §4.4).
    pub fn finalize(
        &self,
        signed: &BlindedSignature,
        blinding: &Blinding,
        msg: &[u8],
    ) -> Result<TupleSignature> {
        let sig = self
            .0
            .finalize(
                &BlindSignature(signed.0.clone()),
                &blinding.0,
                msg,
                &options(),
            )
            .map_err(bad("blinded signature"))?;
        let randomizer = blinding
            .0
            .msg_randomizer
            .map(|r| r.0)
            .ok_or_else(|| CryptoError::invalid("options", "randomized signatures expected"))?;
        Ok(TupleSignature {
            signature: sig.0,
            randomizer,
        })
    }

    /// Checks a tuple's signature.
    pub fn verify(&self, sig: &TupleSignature, msg: &[u8]) -> Result<()> {
        self.0
            .verify(
                &Signature(sig.signature.clone()),
                Some(MessageRandomizer(sig.randomizer)),
                msg,
                &options(),
            )
            .map_err(bad("tuple signature"))
    }

    /// The key in DER (SubjectPublicKeyInfo).
    pub fn to_der(&self) -> Result<Vec<u8>> {
        self.0.to_der().map_err(bad("RSA public key"))
    }

    /// A key from DER (SubjectPublicKeyInfo or PKCS#1): 2048 to 4096 bits,
    /// exponent 3 or 65537.
    pub fn from_der(der: &[u8]) -> Result<Self> {
        PublicKey::from_der(der)
            .map(OwnerPublicKey)
            .map_err(bad("RSA public key"))
    }

    /// Bytes of a signature: the modulus'.
    pub fn signature_len(&self) -> usize {
        self.0.0.size()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng;

    #[test]
    fn a_blind_signature_verifies_and_nothing_else_does() {
        let mut rng = ChaCha20Rng::seed_from_u64(11);
        let owner = OwnerSigningKey::generate(&mut rng, 2048).unwrap();
        assert!(!format!("{owner:?}").contains("d:"));
        let pk = owner.public_key();
        let (req, blinding) = pk.blind(&mut rng, b"tuple 1").unwrap();
        assert_ne!(req.0, b"tuple 1".to_vec());
        let signed = owner.sign(&mut rng, &req).unwrap();
        let sig = pk.finalize(&signed, &blinding, b"tuple 1").unwrap();
        assert_eq!(sig.signature.len(), pk.signature_len());
        pk.verify(&sig, b"tuple 1").unwrap();
        assert!(pk.verify(&sig, b"tuple 2").is_err());
        let mut flipped = sig.clone();
        flipped.signature[7] ^= 1;
        assert!(pk.verify(&flipped, b"tuple 1").is_err());
        let mut moved = sig.clone();
        moved.randomizer[0] ^= 1;
        assert!(pk.verify(&moved, b"tuple 1").is_err());
        // Another owner's key does not verify it.
        let other = OwnerSigningKey::generate(&mut rng, 2048)
            .unwrap()
            .public_key();
        assert!(other.verify(&sig, b"tuple 1").is_err());
        // The key survives its encodings.
        let back = OwnerSigningKey::from_der(&owner.to_der().unwrap()).unwrap();
        assert_eq!(back.public_key(), pk);
        assert_eq!(OwnerPublicKey::from_der(&pk.to_der().unwrap()).unwrap(), pk);
        // Malformed input is refused, not a panic.
        assert!(owner.sign(&mut rng, &BlindRequest(vec![1, 2, 3])).is_err());
        assert!(OwnerPublicKey::from_der(&[0x30, 0x03, 1, 2, 3]).is_err());
        assert!(OwnerSigningKey::generate(&mut rng, 1024).is_err());
    }
}
