//! X25519 static key agreement and HKDF-SHA256 pairwise keys.
//!
//! DREAM §5.1 ("System setup"): every meter publishes a Diffie–Hellman
//! component once; from the published components each pair of meters
//! (v_i, v_j) computes a pairwise key K_{i,j}, and each meter a key K'_i
//! shared with the aggregator. Here the Diffie–Hellman group is X25519
//! (RFC 7748, from `x25519-dalek`) and the raw shared secret goes through
//! HKDF-SHA256 (RFC 5869) before use, so that
//!
//! * both ends derive the same key: the two public keys enter the HKDF
//!   `info` in a canonical (byte-wise sorted) order;
//! * one key agreement serves several independent purposes: a caller
//!   `context` (e.g. `b"dream/dummy-keys"` vs `b"tremel/aead"`) separates
//!   them, so a PRF key is never also an AEAD key;
//! * a peer cannot force a known key: a low-order public key makes the
//!   X25519 output all-zero, which is refused with an error.

use core::fmt;

use hkdf::Hkdf;
use rand_core::CryptoRng;
use sha2::Sha256;
use x25519_dalek::{PublicKey, StaticSecret};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use super::hex::hex_text;
use crate::error::{CryptoError, Result};

/// Length in bytes of X25519 keys, shared secrets and pairwise keys.
pub const KEY_LEN: usize = 32;

/// Domain label in the HKDF `info` of [`pairwise_key`]; bumping the version
/// changes every derived key.
const PAIRWISE_LABEL: &[u8] = b"sfumato/pairwise-key/x25519-hkdf-sha256/v1";

/// An X25519 public key (a Montgomery u-coordinate, RFC 7748 §5).
///
/// Serialized (serde, `Display`) as 64 lower-case hex digits; `FromStr`
/// and deserialization accept either case and say what is wrong with a
/// malformed string. Any 32 bytes are a syntactically valid key; a
/// low-order key is only caught when it is used, by
/// [`AgreementKeyPair::diffie_hellman`].
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AgreementPublicKey([u8; KEY_LEN]);

impl AgreementPublicKey {
    /// The key with these bytes (RFC 7748 little-endian encoding).
    /// Infallible; kept `Result` for symmetry with the parsers.
    pub fn from_bytes(bytes: &[u8; KEY_LEN]) -> Result<Self> {
        Ok(Self(*bytes))
    }

    /// The 32-byte encoding.
    pub fn to_bytes(&self) -> [u8; KEY_LEN] {
        self.0
    }

    /// The 32-byte encoding, borrowed.
    pub fn as_bytes(&self) -> &[u8; KEY_LEN] {
        &self.0
    }
}

impl From<[u8; KEY_LEN]> for AgreementPublicKey {
    fn from(bytes: [u8; KEY_LEN]) -> Self {
        Self(bytes)
    }
}

impl fmt::Debug for AgreementPublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AgreementPublicKey({self})")
    }
}

hex_text!(AgreementPublicKey, KEY_LEN, "X25519 public key");

/// A static X25519 key pair: a meter's (or the aggregator's) long-term
/// Diffie–Hellman identity.
///
/// The secret half zeroizes on drop (inside `x25519-dalek`) and is never
/// printed: `Debug` shows the public key only.
pub struct AgreementKeyPair {
    secret: StaticSecret,
    public: AgreementPublicKey,
}

impl AgreementKeyPair {
    /// A fresh key pair from 32 bytes of the caller's CSPRNG.
    pub fn generate<R: CryptoRng + ?Sized>(rng: &mut R) -> Self {
        let mut bytes = Zeroizing::new([0u8; KEY_LEN]);
        rng.fill_bytes(bytes.as_mut());
        Self::from_secret_bytes(&bytes)
    }

    /// The key pair whose secret scalar is `bytes` (clamped at use, as
    /// RFC 7748 §5 prescribes). The caller keeps, and should zeroize, its
    /// copy of `bytes`.
    pub fn from_secret_bytes(bytes: &[u8; KEY_LEN]) -> Self {
        let secret = StaticSecret::from(*bytes);
        let public = AgreementPublicKey(PublicKey::from(&secret).to_bytes());
        Self { secret, public }
    }

    /// The secret scalar's 32 bytes, for storage; zeroized when dropped.
    pub fn to_secret_bytes(&self) -> Zeroizing<[u8; KEY_LEN]> {
        Zeroizing::new(self.secret.to_bytes())
    }

    /// The public half, to be published.
    pub fn public_key(&self) -> AgreementPublicKey {
        self.public
    }

    /// The raw X25519 shared secret with `their_public` (RFC 7748 §6.1).
    ///
    /// Fails if the result is all-zero, which happens exactly when
    /// `their_public` has small order (RFC 7748 §6.1's optional check,
    /// made mandatory here): such a key would give a secret the peer, and
    /// anyone, knows. Use [`pairwise_key`] rather than the raw secret.
    pub fn diffie_hellman(&self, their_public: &AgreementPublicKey) -> Result<SharedSecret> {
        let shared = self.secret.diffie_hellman(&PublicKey::from(their_public.0));
        if !shared.was_contributory() {
            return Err(CryptoError::input(
                "X25519 public key",
                "it has small order (the shared secret would be all-zero)",
            ));
        }
        Ok(SharedSecret(Zeroizing::new(shared.to_bytes())))
    }
}

impl fmt::Debug for AgreementKeyPair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AgreementKeyPair")
            .field("public", &self.public)
            .field("secret", &"<redacted>")
            .finish()
    }
}

/// A raw X25519 shared secret; zeroizes on drop, redacted in `Debug`.
pub struct SharedSecret(Zeroizing<[u8; KEY_LEN]>);

impl SharedSecret {
    /// The 32 bytes (for known-answer tests and for callers that run their
    /// own KDF; prefer [`pairwise_key`]).
    pub fn as_bytes(&self) -> &[u8; KEY_LEN] {
        &self.0
    }
}

impl fmt::Debug for SharedSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SharedSecret(<redacted>)")
    }
}

/// A 32-byte symmetric key shared by two parties (DREAM's K_{i,j}, or
/// K'_i between a meter and the aggregator). Zeroizes on drop; `Debug`
/// prints no key material.
///
/// Feed it to [`Prf`](super::Prf) or [`AeadKey`](super::AeadKey) (both
/// convert from `&PairwiseKey`); derive one key per purpose with distinct
/// `context`s in [`pairwise_key`].
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct PairwiseKey([u8; KEY_LEN]);

impl PairwiseKey {
    /// A key with these bytes (e.g. read back from a meter's key store).
    pub fn from_bytes(bytes: &[u8; KEY_LEN]) -> Self {
        Self(*bytes)
    }

    /// The key bytes.
    pub fn as_bytes(&self) -> &[u8; KEY_LEN] {
        &self.0
    }
}

impl fmt::Debug for PairwiseKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PairwiseKey(<redacted>)")
    }
}

/// The pairwise key between the owner of `mine` and the owner of
/// `their_public`, for the purpose named by `context`.
///
/// `HKDF-SHA256(salt = none, IKM = X25519(mine, their_public),
/// info = LABEL ‖ min(pk_a, pk_b) ‖ max(pk_a, pk_b) ‖ context)`, 32 bytes,
/// where `LABEL = "sfumato/pairwise-key/x25519-hkdf-sha256/v1"` and the
/// public keys are compared as byte strings. Both parties compute the
/// same key; different contexts give independent keys.
///
/// Errors: `their_public` equal to `mine`'s own public key (a party cannot
/// share a key with itself: this is a wiring mistake), or of small order.
pub fn pairwise_key(
    mine: &AgreementKeyPair,
    their_public: &AgreementPublicKey,
    context: &[u8],
) -> Result<PairwiseKey> {
    if *their_public == mine.public {
        return Err(CryptoError::invalid(
            "their_public",
            "is this key pair's own public key; a pairwise key needs two parties",
        ));
    }
    let shared = mine.diffie_hellman(their_public)?;
    let (lo, hi) = if mine.public <= *their_public {
        (&mine.public, their_public)
    } else {
        (their_public, &mine.public)
    };
    let hkdf = Hkdf::<Sha256>::new(None, shared.as_bytes());
    let mut okm = [0u8; KEY_LEN];
    hkdf.expand_multi_info(
        &[PAIRWISE_LABEL, lo.as_bytes(), hi.as_bytes(), context],
        &mut okm,
    )
    .map_err(|_| CryptoError::invalid("context", "HKDF refused the output length"))?;
    let key = PairwiseKey(okm);
    okm.zeroize();
    Ok(key)
}
