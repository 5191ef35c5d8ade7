//! ChaCha20-Poly1305 (tamper detection, short input, nonce prefix) and
//! Ed25519 (rejection of altered messages/signatures, strictness, text
//! forms, redacted secrets).

use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use sfumato_crypto::CryptoError;
use sfumato_crypto::symmetric::{
    AEAD_NONCE_LEN, AEAD_TAG_LEN, AeadKey, PairwiseKey, Signature, SigningKey, VerifyingKey,
};

fn rng(seed: u64) -> ChaCha20Rng {
    ChaCha20Rng::seed_from_u64(seed)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn is_auth_failure(e: &CryptoError) -> bool {
    matches!(e, CryptoError::InvalidInput { what: "AEAD ciphertext", reason } if reason.contains("authentication failed"))
}

// --------------------------------------------------------------------- AEAD

#[test]
fn aead_round_trip_and_every_bit_flip_is_caught() {
    let key = AeadKey::generate(&mut rng(1));
    let nonce = [3u8; AEAD_NONCE_LEN];
    let aad = b"slot 17, meter 4";
    let msg = b"reading: 1234 Wh";
    let sealed = key.seal(&nonce, aad, msg).unwrap();
    assert_eq!(sealed.len(), msg.len() + AEAD_TAG_LEN);
    assert_ne!(&sealed[..msg.len()], msg);
    assert_eq!(key.open(&nonce, aad, &sealed).unwrap(), msg);

    for i in 0..sealed.len() * 8 {
        let mut t = sealed.clone();
        t[i / 8] ^= 1 << (i % 8);
        let err = key.open(&nonce, aad, &t).unwrap_err();
        assert!(is_auth_failure(&err), "bit {i}: {err}");
    }
    // Wrong aad, nonce, key; truncated and extended ciphertexts.
    assert!(is_auth_failure(
        &key.open(&nonce, b"slot 18, meter 4", &sealed).unwrap_err()
    ));
    assert!(is_auth_failure(
        &key.open(&[4u8; 12], aad, &sealed).unwrap_err()
    ));
    let other = AeadKey::generate(&mut rng(2));
    assert!(is_auth_failure(
        &other.open(&nonce, aad, &sealed).unwrap_err()
    ));
    assert!(is_auth_failure(
        &key.open(&nonce, aad, &sealed[..sealed.len() - 1])
            .unwrap_err()
    ));
    let mut longer = sealed.clone();
    longer.push(0);
    assert!(is_auth_failure(
        &key.open(&nonce, aad, &longer).unwrap_err()
    ));
}

#[test]
fn aead_short_inputs_are_refused_clearly() {
    let key = AeadKey::from_bytes(&[7; 32]);
    let nonce = [0u8; 12];
    let err = key.open(&nonce, b"", &[0u8; 15]).unwrap_err().to_string();
    assert!(
        err.contains("15 bytes is shorter than the 16-byte tag"),
        "{err}"
    );
    for len in [0, 11, 12, 27] {
        let err = key
            .open_prefixed(b"", &vec![0u8; len])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("shorter than nonce and tag (28 bytes)"),
            "{len}: {err}"
        );
    }
    // The empty message seals to a bare tag and opens.
    let sealed = key.seal(&nonce, b"a", b"").unwrap();
    assert_eq!(sealed.len(), AEAD_TAG_LEN);
    assert!(key.open(&nonce, b"a", &sealed).unwrap().is_empty());
}

#[test]
fn aead_random_nonce_is_prefixed_and_fresh() {
    let key = AeadKey::from(&PairwiseKey::from_bytes(&[1; 32]));
    let mut r = rng(3);
    let a = key.seal_prefixed(&mut r, b"ad", b"same message").unwrap();
    let b = key.seal_prefixed(&mut r, b"ad", b"same message").unwrap();
    assert_eq!(a.len(), AEAD_NONCE_LEN + 12 + AEAD_TAG_LEN);
    assert_ne!(a[..AEAD_NONCE_LEN], b[..AEAD_NONCE_LEN], "fresh nonces");
    assert_ne!(a, b);
    assert_eq!(key.open_prefixed(b"ad", &a).unwrap(), b"same message");
    assert_eq!(key.open_prefixed(b"ad", &b).unwrap(), b"same message");
    // The prefix is the nonce of an ordinary seal.
    let nonce: [u8; 12] = a[..12].try_into().unwrap();
    assert_eq!(key.seal(&nonce, b"ad", b"same message").unwrap(), &a[12..]);
    let mut t = a.clone();
    t[0] ^= 1;
    assert!(is_auth_failure(&key.open_prefixed(b"ad", &t).unwrap_err()));
    // Same RNG state, same output: all randomness comes from the caller.
    let c = key
        .seal_prefixed(&mut rng(3), b"ad", b"same message")
        .unwrap();
    assert_eq!(a, c);
}

#[test]
fn aead_key_does_not_print() {
    let bytes = [0x5au8; 32];
    let key = AeadKey::from_bytes(&bytes);
    let dbg = format!("{key:?} {key:#?}");
    assert!(!dbg.contains(&hex(&bytes)), "{dbg}");
    assert!(!dbg.contains("90, 90"), "{dbg}");
    assert!(dbg.contains("redacted"));
}

// ------------------------------------------------------------------ Ed25519

#[test]
fn signatures_verify_and_modified_messages_are_rejected() {
    let sk = SigningKey::generate(&mut rng(4));
    let vk = sk.verifying_key();
    let msg = b"aggregate for slot 17: 123456".to_vec();
    let sig = sk.sign(&msg);
    vk.verify(&msg, &sig).unwrap();
    // Deterministic signatures.
    assert_eq!(sk.sign(&msg), sig);

    for i in 0..msg.len() * 8 {
        let mut m = msg.clone();
        m[i / 8] ^= 1 << (i % 8);
        let err = vk.verify(&m, &sig).unwrap_err();
        assert!(
            matches!(
                err,
                CryptoError::InvalidInput {
                    what: "Ed25519 signature",
                    ..
                }
            ),
            "{err}"
        );
    }
    let mut longer = msg.clone();
    longer.push(b'0');
    assert!(vk.verify(&longer, &sig).is_err());
    assert!(vk.verify(&msg[..msg.len() - 1], &sig).is_err());
    for i in 0..64 * 8 {
        let mut b = sig.to_bytes();
        b[i / 8] ^= 1 << (i % 8);
        let bad = Signature::from_bytes(&b).unwrap();
        assert!(vk.verify(&msg, &bad).is_err(), "signature bit {i}");
    }
    let other = SigningKey::generate(&mut rng(5)).verifying_key();
    assert!(other.verify(&msg, &sig).is_err());
}

#[test]
fn strict_verification_refuses_non_canonical_s() {
    // S + ℓ is the same scalar mod ℓ: lax verifiers accept it (malleability),
    // strict verification must not.
    const ELL: [u8; 32] = [
        0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde,
        0x14, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
    ];
    let sk = SigningKey::generate(&mut rng(6));
    let vk = sk.verifying_key();
    for i in 0..64u32 {
        let msg = i.to_le_bytes();
        let sig = sk.sign(&msg).to_bytes();
        // S < ℓ < 2^253, so S + ℓ still fits in 32 bytes.
        let mut s = [0u8; 32];
        let mut carry = 0u16;
        for k in 0..32 {
            let v = u16::from(sig[32 + k]) + u16::from(ELL[k]) + carry;
            s[k] = v as u8;
            carry = v >> 8;
        }
        assert_eq!(carry, 0);
        let mut malleated = sig;
        malleated[32..].copy_from_slice(&s);
        let bad = Signature::from_bytes(&malleated).unwrap();
        assert!(
            vk.verify(&msg, &bad).is_err(),
            "S + ℓ accepted for message {i}"
        );
    }
}

#[test]
fn verifying_key_parsing_and_text_forms() {
    let sk = SigningKey::from_bytes(&[9; 32]);
    let vk = sk.verifying_key();
    let text = vk.to_string();
    assert_eq!(text.len(), 64);
    assert_eq!(text.parse::<VerifyingKey>().unwrap(), vk);
    let json = serde_json::to_string(&vk).unwrap();
    assert_eq!(json, format!("\"{text}\""));
    assert_eq!(serde_json::from_str::<VerifyingKey>(&json).unwrap(), vk);
    assert_eq!(VerifyingKey::from_bytes(&vk.to_bytes()).unwrap(), vk);

    // The identity point (small order) is a weak key.
    let mut identity = [0u8; 32];
    identity[0] = 1;
    let err = VerifyingKey::from_bytes(&identity).unwrap_err().to_string();
    assert!(err.contains("small order"), "{err}");
    // y = 2 is not on the curve (no x with x^2 = (y^2 - 1)/(d y^2 + 1)).
    let mut not_on_curve = [0u8; 32];
    not_on_curve[0] = 2;
    let err = VerifyingKey::from_bytes(&not_on_curve)
        .unwrap_err()
        .to_string();
    assert!(err.contains("not the encoding of a point"), "{err}");
    let err = "12".parse::<VerifyingKey>().unwrap_err().to_string();
    assert!(err.contains("expected 64 hex digits"), "{err}");

    let sig = sk.sign(b"m");
    let text = sig.to_string();
    assert_eq!(text.len(), 128);
    assert_eq!(text.parse::<Signature>().unwrap(), sig);
    let json = serde_json::to_string(&sig).unwrap();
    assert_eq!(serde_json::from_str::<Signature>(&json).unwrap(), sig);
    assert_eq!(Signature::from_slice(&sig.to_bytes()).unwrap(), sig);
    let err = Signature::from_slice(&[0u8; 63]).unwrap_err().to_string();
    assert!(err.contains("must be 64 bytes, got 63"), "{err}");
}

#[test]
fn signing_keys_come_from_the_callers_rng_and_do_not_print() {
    let a = SigningKey::generate(&mut rng(10));
    let b = SigningKey::generate(&mut rng(10));
    let c = SigningKey::generate(&mut rng(11));
    assert_eq!(a.verifying_key(), b.verifying_key());
    assert_ne!(a.verifying_key(), c.verifying_key());
    let restored = SigningKey::from_bytes(&a.to_bytes());
    assert_eq!(restored.verifying_key(), a.verifying_key());

    let secret = a.to_bytes();
    let dbg = format!("{a:?} {a:#?}");
    assert!(!dbg.contains(&hex(secret.as_ref())), "{dbg}");
    assert!(!dbg.contains(&format!("{:?}", secret.as_ref())), "{dbg}");
    assert!(dbg.contains(&a.verifying_key().to_string()), "{dbg}");
    assert!(dbg.contains("redacted"));
}
