//! Known-answer tests of the symmetric module.
//!
//! * `rfc_vectors.json`: published vectors (RFC 7748 X25519, RFC 8439
//!   ChaCha20 and ChaCha20-Poly1305, RFC 8032 Ed25519), typed from the RFCs.
//! * `sfumato_kat.json`: our own constructions (PRF, pairwise keys, DREAM
//!   masks), produced by an independent Python implementation
//!   (`generate_kat.py` beside it).

use std::path::PathBuf;

use serde_json::Value;
use sfumato_crypto::symmetric::{
    AeadKey, AgreementKeyPair, AgreementPublicKey, MaskKey, PairwiseKey, PairwiseMasks, Prf,
    PrfNonce, Signature, SigningKey, VerifyingKey, aggregator_key, pairwise_key, sum_keys,
};

fn load(name: &str) -> Value {
    let path: PathBuf = [
        env!("CARGO_MANIFEST_DIR"),
        "tests",
        "vectors",
        "symmetric",
        name,
    ]
    .iter()
    .collect();
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

fn hex(s: &Value) -> Vec<u8> {
    let s = s.as_str().expect("hex string");
    assert!(s.len().is_multiple_of(2), "odd hex {s}");
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn hex32(s: &Value) -> [u8; 32] {
    hex(s).try_into().expect("32 bytes")
}

fn dec(s: &Value) -> u64 {
    s.as_str().expect("decimal string").parse().unwrap()
}

// ---------------------------------------------------------------- RFC 7748

#[test]
fn x25519_rfc7748_scalar_mult() {
    let v = load("rfc_vectors.json");
    let cases = v["x25519"]["scalar_mult"].as_array().unwrap();
    assert_eq!(cases.len(), 2);
    for c in cases {
        let pair = AgreementKeyPair::from_secret_bytes(&hex32(&c["scalar"]));
        let u = AgreementPublicKey::from(hex32(&c["u"]));
        let shared = pair.diffie_hellman(&u).unwrap();
        assert_eq!(
            shared.as_bytes().as_slice(),
            hex(&c["output"]),
            "{}",
            c["name"]
        );
    }
}

#[test]
fn x25519_rfc7748_iterated() {
    let v = &load("rfc_vectors.json")["x25519"]["iterated"];
    let mut k = hex32(&v["start"]);
    let mut u = k;
    for i in 1..=1000 {
        let out = *AgreementKeyPair::from_secret_bytes(&k)
            .diffie_hellman(&AgreementPublicKey::from(u))
            .unwrap()
            .as_bytes();
        u = k;
        k = out;
        if i == 1 {
            assert_eq!(k.as_slice(), hex(&v["after_1"]));
        }
    }
    assert_eq!(k.as_slice(), hex(&v["after_1000"]));
}

#[test]
fn x25519_rfc7748_diffie_hellman() {
    let v = &load("rfc_vectors.json")["x25519"]["diffie_hellman"];
    let alice = AgreementKeyPair::from_secret_bytes(&hex32(&v["alice_private"]));
    let bob = AgreementKeyPair::from_secret_bytes(&hex32(&v["bob_private"]));
    assert_eq!(
        alice.public_key().as_bytes().as_slice(),
        hex(&v["alice_public"])
    );
    assert_eq!(
        bob.public_key().as_bytes().as_slice(),
        hex(&v["bob_public"])
    );
    let ab = alice.diffie_hellman(&bob.public_key()).unwrap();
    let ba = bob.diffie_hellman(&alice.public_key()).unwrap();
    assert_eq!(ab.as_bytes().as_slice(), hex(&v["shared"]));
    assert_eq!(ba.as_bytes().as_slice(), hex(&v["shared"]));
    // The public key's text form is its hex encoding.
    assert_eq!(
        alice.public_key().to_string(),
        v["alice_public"].as_str().unwrap()
    );
}

#[test]
fn x25519_small_order_points_are_refused() {
    let v = &load("rfc_vectors.json")["x25519"];
    let alice = AgreementKeyPair::from_secret_bytes(&hex32(&v["diffie_hellman"]["alice_private"]));
    let points = v["small_order_u"]["points"].as_array().unwrap();
    assert_eq!(points.len(), 3);
    for p in points {
        let bad = AgreementPublicKey::from(hex32(p));
        let err = alice.diffie_hellman(&bad).unwrap_err().to_string();
        assert!(err.contains("small order"), "{p}: {err}");
        let err = pairwise_key(&alice, &bad, b"ctx").unwrap_err().to_string();
        assert!(err.contains("small order"), "{p}: {err}");
    }
}

// ---------------------------------------------------------------- RFC 8439

/// The PRF's words are the RFC 8439 ChaCha20 keystream: a block at counter
/// c is words 8c .. 8c + 8 of the PRF stream for the same key and nonce.
#[test]
fn prf_is_rfc8439_chacha20_keystream() {
    let v = load("rfc_vectors.json");
    let blocks = v["chacha20"]["blocks"].as_array().unwrap();
    assert_eq!(blocks.len(), 3);
    for b in blocks {
        let prf = Prf::new(&hex32(&b["key"]));
        let nonce = PrfNonce::try_from(hex(&b["nonce"]).as_slice()).unwrap();
        let counter = usize::try_from(b["counter"].as_u64().unwrap()).unwrap();
        let words = prf.words(nonce, 8 * (counter + 1)).unwrap();
        let bytes: Vec<u8> = words[8 * counter..]
            .iter()
            .flat_map(|w| w.to_le_bytes())
            .collect();
        assert_eq!(bytes, hex(&b["keystream"]), "{}", b["name"]);
    }
    // The all-zero nonce is the u64 nonce 0.
    let prf = Prf::new(&[0; 32]);
    assert_eq!(prf.word(0u64), 0x903d_f1a0_ade0_b876);
}

#[test]
fn aead_rfc8439_2_8_2() {
    let v = &load("rfc_vectors.json")["aead"];
    let key = AeadKey::from_bytes(&hex32(&v["key"]));
    let nonce: [u8; 12] = hex(&v["nonce"]).try_into().unwrap();
    let aad = hex(&v["aad"]);
    let plaintext = hex(&v["plaintext"]);
    let mut expected = hex(&v["ciphertext"]);
    expected.extend(hex(&v["tag"]));
    let sealed = key.seal(&nonce, &aad, &plaintext).unwrap();
    assert_eq!(sealed, expected);
    assert_eq!(key.open(&nonce, &aad, &expected).unwrap(), plaintext);
}

// ---------------------------------------------------------------- RFC 8032

#[test]
fn ed25519_rfc8032_tests_1_and_2() {
    let v = load("rfc_vectors.json");
    let cases = v["ed25519"]["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 2);
    for c in cases {
        let sk = SigningKey::from_bytes(&hex32(&c["secret"]));
        let vk = sk.verifying_key();
        assert_eq!(vk.to_bytes().as_slice(), hex(&c["public"]), "{}", c["name"]);
        let msg = hex(&c["message"]);
        let sig = sk.sign(&msg);
        assert_eq!(
            sig.to_bytes().as_slice(),
            hex(&c["signature"]),
            "{}",
            c["name"]
        );
        // Verification from the published bytes alone.
        let vk2: VerifyingKey = c["public"].as_str().unwrap().parse().unwrap();
        let sig2: Signature = c["signature"].as_str().unwrap().parse().unwrap();
        vk2.verify(&msg, &sig2).unwrap();
        assert!(vk2.verify(b"another message", &sig2).is_err());
    }
}

// ------------------------------------------------------- our constructions

#[test]
fn prf_known_answers() {
    let v = load("sfumato_kat.json");
    let cases = v["prf"].as_array().unwrap();
    assert_eq!(cases.len(), 15);
    let mut rejections = 0;
    for c in cases {
        let what = format!("{} / {}", c["key_name"], c["nonce_name"]);
        let prf = Prf::new(&hex32(&c["key"]));
        let nonce = PrfNonce::try_from(hex(&c["nonce"]).as_slice()).unwrap();
        let expected: Vec<u64> = c["words"].as_array().unwrap().iter().map(dec).collect();
        assert_eq!(expected.len(), 10);
        assert_eq!(prf.words(nonce, 10).unwrap(), expected, "{what}");
        assert_eq!(prf.word(nonce), expected[0], "{what}");
        let uniform: f64 = c["uniform"].as_str().unwrap().parse().unwrap();
        assert_eq!(prf.uniform(nonce), uniform, "{what}");
        for b in c["below"].as_array().unwrap() {
            let m = dec(&b["m"]);
            assert_eq!(
                prf.below(nonce, m).unwrap(),
                dec(&b["value"]),
                "{what}, m = {m}"
            );
            rejections += b["rejected_words"].as_u64().unwrap();
        }
    }
    assert!(rejections > 0, "the vectors must exercise rejection");
}

#[test]
fn prf_nonce_layout_matches_vectors() {
    // The vectors name nonces by (domain, counter); check the layout.
    let v = load("sfumato_kat.json");
    let by_name = |name: &str| {
        let c = v["prf"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["nonce_name"] == name)
            .unwrap();
        PrfNonce::try_from(hex(&c["nonce"]).as_slice()).unwrap()
    };
    assert_eq!(by_name("u64 0"), PrfNonce::from(0u64));
    assert_eq!(by_name("u64 1"), PrfNonce::from(1u64));
    assert_eq!(by_name("u64 2^64-1"), PrfNonce::from(u64::MAX));
    assert_eq!(
        by_name("domain DRdk, counter 17"),
        PrfNonce::new(sfumato_crypto::symmetric::mask::DUMMY_KEY_DOMAIN, 17)
    );
}

#[test]
fn pairwise_key_known_answers() {
    let v = load("sfumato_kat.json");
    let cases = v["pairwise"].as_array().unwrap();
    assert_eq!(cases.len(), 3);
    for c in cases {
        let a = AgreementKeyPair::from_secret_bytes(&hex32(&c["secret_a"]));
        let b = AgreementKeyPair::from_secret_bytes(&hex32(&c["secret_b"]));
        assert_eq!(a.public_key().as_bytes().as_slice(), hex(&c["public_a"]));
        let ctx = hex(&c["context_hex"]);
        let ab = pairwise_key(&a, &b.public_key(), &ctx).unwrap();
        let ba = pairwise_key(&b, &a.public_key(), &ctx).unwrap();
        assert_eq!(
            ab.as_bytes().as_slice(),
            hex(&c["key"]),
            "context {}",
            c["context_hex"]
        );
        assert_eq!(ba.as_bytes(), ab.as_bytes());
    }
}

fn kat_pair_key(i: u64, j: u64) -> PairwiseKey {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(b"sfumato mask kat");
    h.update(i.min(j).to_le_bytes());
    h.update(i.max(j).to_le_bytes());
    PairwiseKey::from_bytes(&h.finalize().into())
}

fn kat_aggregator_key(i: u64) -> Prf {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(b"sfumato mask kat aggregator");
    h.update(i.to_le_bytes());
    Prf::new(&h.finalize().into())
}

#[test]
fn mask_known_answers() {
    let v = load("sfumato_kat.json");
    let cases = v["mask"].as_array().unwrap();
    assert_eq!(cases.len(), 8);
    let mut partial_selection_seen = false;
    for c in cases {
        let p = c["selection_probability"].as_f64().unwrap();
        let slot = dec(&c["slot"]);
        let meters = c["meters"].as_array().unwrap();
        let ids: Vec<u64> = meters.iter().map(|m| m["id"].as_u64().unwrap()).collect();
        let mut keys = Vec::new();
        for m in meters {
            let me = m["id"].as_u64().unwrap();
            let masks = PairwiseMasks::new(
                me,
                ids.iter()
                    .filter(|&&j| j != me)
                    .map(|&j| (j, kat_pair_key(me, j))),
                p,
            )
            .unwrap();
            let expected: Vec<u64> = m["participants"]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_u64().unwrap())
                .collect();
            partial_selection_seen |= expected.len() < ids.len() - 1;
            assert_eq!(
                masks.participants(slot),
                expected,
                "meter {me}, slot {slot}, p {p}"
            );
            let key = masks.slot_key(slot);
            assert_eq!(
                key.value(),
                dec(&m["slot_key"]),
                "meter {me}, slot {slot}, p {p}"
            );
            assert_eq!(
                aggregator_key(&kat_aggregator_key(me), slot).value(),
                dec(&m["aggregator_key"])
            );
            keys.push(key);
        }
        assert_eq!(sum_keys(&keys), MaskKey::zero());
    }
    assert!(partial_selection_seen, "p = 0.5 must leave some pairs out");
}
