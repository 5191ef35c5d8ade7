//! Symmetric building blocks of DREAM (Ács–Castelluccia, §4.2, §5, §6) and
//! Tremel (§4.2, §6.6), from maintained RustCrypto and dalek crates.
//!
//! | piece | what it is | where the papers use it |
//! | --- | --- | --- |
//! | [`keys`] | X25519 static key agreement, HKDF-SHA256 to [`PairwiseKey`]s | DREAM §5.1: pairwise keys K_{i,j} between meters and K'_i with the aggregator, from published DH components |
//! | [`prf`] | [`Prf`]: ChaCha20 keystream as a PRF of (key, public nonce): 64-bit words, uniforms in [0, 1), uniform integers below m | DREAM §5.2 steps 1–2: PRF(K_{i,j}, r_1) selects peers, PRF(K_{i,j}, r_2) gives dummy keys; Tremel §6.6: each pair's shared noise |
//! | [`mask`] | `Enc(p, k, m) = p + k mod 2^64`, aggregation, and [`PairwiseMasks`]: per-slot keys that cancel across a cluster | DREAM §4.2 (after Castelluccia–Mykletun–Tsudik), §5.2 Phase 2, §5.3, §6 (failures); Tremel §6.6 (paired noise) |
//! | [`aead`] | ChaCha20-Poly1305 seal/open | Tremel §4.2: onion layers of tunneled messages and copies of encrypted multicasts |
//! | [`onion`] | fixed-size onion packets: per layer an X25519 ephemeral key, HKDF-SHA256, a ChaCha20-Poly1305 header and a ChaCha20 body; relays re-pad | Tremel §4.2: tunneled messages and tunneled multicasts, and the sealed copies of encrypted multicasts |
//! | [`sign`] | Ed25519 sign / strict verify | DREAM §5.1: self-signed DH components; Tremel §4.2, §6: signed meta-messages and proxy values |
//!
//! Hygiene: secret types ([`AgreementKeyPair`], [`SharedSecret`],
//! [`PairwiseKey`], [`Prf`], [`MaskKey`], [`AeadKey`], [`SigningKey`])
//! zeroize on drop and print no key material through `Debug`; every random
//! value comes from a `rand_core` 0.10 CSPRNG passed in by the caller;
//! malformed input is refused with a [`CryptoError`](crate::CryptoError)
//! that says what is wrong, never with a panic. Public values (keys,
//! signatures) serialize as hex strings.

pub mod aead;
mod hex;
pub mod keys;
pub mod mask;
pub mod onion;
pub mod prf;
pub mod sign;

pub use aead::{AEAD_KEY_LEN, AEAD_NONCE_LEN, AEAD_TAG_LEN, AeadKey};
pub use keys::{
    AgreementKeyPair, AgreementPublicKey, KEY_LEN, PairwiseKey, SharedSecret, pairwise_key,
};
pub use mask::{MaskKey, PairwiseMasks, aggregate, aggregator_key, decrypt, encrypt, sum_keys};
pub use onion::{HEADER_LEN, HopInstruction, LAYER_OVERHEAD, OnionFormat, Peeled};
pub use prf::{MAX_WORDS, PRF_KEY_LEN, PRF_NONCE_LEN, Prf, PrfNonce};
pub use sign::{SIGNATURE_LEN, SIGNING_KEY_LEN, Signature, SigningKey, VerifyingKey};
