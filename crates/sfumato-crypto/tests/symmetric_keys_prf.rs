//! Pairwise keys (agreement, context separation, refusals, text forms) and
//! the PRF (determinism, nonce separation, distribution, `below`).

use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use sfumato_crypto::CryptoError;
use sfumato_crypto::symmetric::{
    AgreementKeyPair, AgreementPublicKey, MAX_WORDS, PairwiseKey, Prf, PrfNonce, pairwise_key,
};

fn rng(seed: u64) -> ChaCha20Rng {
    ChaCha20Rng::seed_from_u64(seed)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

// ------------------------------------------------------------ pairwise keys

#[test]
fn both_sides_derive_the_same_key_and_contexts_separate() {
    let mut r = rng(1);
    for _ in 0..20 {
        let a = AgreementKeyPair::generate(&mut r);
        let b = AgreementKeyPair::generate(&mut r);
        let ab = pairwise_key(&a, &b.public_key(), b"dream/dummy-keys").unwrap();
        let ba = pairwise_key(&b, &a.public_key(), b"dream/dummy-keys").unwrap();
        assert_eq!(ab.as_bytes(), ba.as_bytes());
        let other = pairwise_key(&a, &b.public_key(), b"tremel/aead").unwrap();
        assert_ne!(ab.as_bytes(), other.as_bytes());
        let empty = pairwise_key(&a, &b.public_key(), b"").unwrap();
        assert_ne!(ab.as_bytes(), empty.as_bytes());
        // Not the raw shared secret.
        assert_ne!(
            ab.as_bytes(),
            a.diffie_hellman(&b.public_key()).unwrap().as_bytes()
        );
    }
}

#[test]
fn different_peers_give_different_keys() {
    let mut r = rng(2);
    let a = AgreementKeyPair::generate(&mut r);
    let b = AgreementKeyPair::generate(&mut r);
    let c = AgreementKeyPair::generate(&mut r);
    let ab = pairwise_key(&a, &b.public_key(), b"x").unwrap();
    let ac = pairwise_key(&a, &c.public_key(), b"x").unwrap();
    let bc = pairwise_key(&b, &c.public_key(), b"x").unwrap();
    assert_ne!(ab.as_bytes(), ac.as_bytes());
    assert_ne!(ab.as_bytes(), bc.as_bytes());
    assert_ne!(ac.as_bytes(), bc.as_bytes());
}

#[test]
fn generation_uses_the_callers_rng() {
    let a = AgreementKeyPair::generate(&mut rng(7));
    let b = AgreementKeyPair::generate(&mut rng(7));
    let c = AgreementKeyPair::generate(&mut rng(8));
    assert_eq!(a.public_key(), b.public_key());
    assert_ne!(a.public_key(), c.public_key());
    // Round trip through the stored secret bytes.
    let restored = AgreementKeyPair::from_secret_bytes(&a.to_secret_bytes());
    assert_eq!(restored.public_key(), a.public_key());
}

#[test]
fn a_key_with_itself_is_refused() {
    let a = AgreementKeyPair::generate(&mut rng(3));
    let err = pairwise_key(&a, &a.public_key(), b"x").unwrap_err();
    assert!(
        matches!(
            err,
            CryptoError::InvalidParameter {
                name: "their_public",
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn public_key_text_forms() {
    let a = AgreementKeyPair::generate(&mut rng(4));
    let pk = a.public_key();
    let text = pk.to_string();
    assert_eq!(text.len(), 64);
    assert_eq!(text, hex(pk.as_bytes()));
    assert_eq!(text.parse::<AgreementPublicKey>().unwrap(), pk);
    assert_eq!(
        text.to_uppercase().parse::<AgreementPublicKey>().unwrap(),
        pk
    );

    let json = serde_json::to_string(&pk).unwrap();
    assert_eq!(json, format!("\"{text}\""));
    assert_eq!(
        serde_json::from_str::<AgreementPublicKey>(&json).unwrap(),
        pk
    );

    let short = serde_json::from_str::<AgreementPublicKey>("\"abcd\"")
        .unwrap_err()
        .to_string();
    assert!(short.contains("expected 64 hex digits"), "{short}");
    let mut bad = text.clone();
    bad.replace_range(10..11, "z");
    let err = bad.parse::<AgreementPublicKey>().unwrap_err().to_string();
    assert!(err.contains("'z' at byte 10 is not a hex digit"), "{err}");
    assert!(err.contains("X25519 public key"), "{err}");
    assert!(serde_json::from_str::<AgreementPublicKey>("42").is_err());
}

#[test]
fn secrets_do_not_print() {
    let a = AgreementKeyPair::generate(&mut rng(5));
    let b = AgreementKeyPair::generate(&mut rng(6));
    let secret_hex = hex(a.to_secret_bytes().as_ref());
    let dbg = format!("{a:?} {a:#?}");
    assert!(!dbg.contains(&secret_hex), "{dbg}");
    assert!(dbg.contains("redacted"));
    assert!(
        dbg.contains(&a.public_key().to_string()),
        "public half is shown: {dbg}"
    );

    let shared = a.diffie_hellman(&b.public_key()).unwrap();
    let dbg = format!("{shared:?}");
    assert!(!dbg.contains(&hex(shared.as_bytes())), "{dbg}");

    let key = pairwise_key(&a, &b.public_key(), b"x").unwrap();
    let key_hex = hex(key.as_bytes());
    let bytes_dbg = format!("{:?}", key.as_bytes());
    for dbg in [format!("{key:?}"), format!("{key:#?}")] {
        assert!(!dbg.contains(&key_hex), "{dbg}");
        assert!(!dbg.contains(&bytes_dbg), "{dbg}");
        assert!(dbg.contains("redacted"));
    }
    let prf = Prf::from(&key);
    let dbg = format!("{prf:?}");
    assert!(
        !dbg.contains(&key_hex) && !dbg.contains(&bytes_dbg),
        "{dbg}"
    );
}

// ---------------------------------------------------------------------- PRF

fn test_prf(seed: u8) -> Prf {
    Prf::new(&[seed; 32])
}

#[test]
fn prf_is_deterministic_and_keyed() {
    let p = test_prf(1);
    assert_eq!(p.word(5u64), p.clone().word(5u64));
    assert_eq!(p.word(5u64), Prf::new(&[1; 32]).word(5u64));
    assert_ne!(p.word(5u64), test_prf(2).word(5u64));
    assert_ne!(p.word(5u64), p.word(6u64));
    // Domains separate uses of one key and one counter.
    assert_ne!(p.word(PrfNonce::new(1, 5)), p.word(PrfNonce::new(2, 5)));
    assert_eq!(p.word(PrfNonce::new(0, 5)), p.word(5u64));
    // words(n) is a prefix-stable stream that crosses block boundaries.
    let w20 = p.words(9u64, 20).unwrap();
    let w3 = p.words(9u64, 3).unwrap();
    assert_eq!(&w20[..3], &w3[..]);
    assert_eq!(w20[0], p.word(9u64));
    let mut filled = [0u64; 11];
    p.fill_words(9u64, &mut filled).unwrap();
    assert_eq!(&filled[..], &w20[..11]);
    assert!(p.words(9u64, 0).unwrap().is_empty());
    // Distinct words (a stuck stream would repeat).
    let mut sorted = w20.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(sorted.len(), 20);
}

#[test]
fn prf_nonce_parsing() {
    let n = PrfNonce::try_from(&[7u8; 12][..]).unwrap();
    assert_eq!(n.as_bytes(), &[7u8; 12]);
    let err = PrfNonce::try_from(&[7u8; 11][..]).unwrap_err().to_string();
    assert!(err.contains("must be 12 bytes, got 11"), "{err}");
    assert!(PrfNonce::try_from(&[7u8; 13][..]).is_err());
    let n = PrfNonce::new(0x0403_0201, 0x0c0b_0a09_0807_0605);
    assert_eq!(n.as_bytes(), &[5, 6, 7, 8, 9, 10, 11, 12, 1, 2, 3, 4]);
}

#[test]
fn prf_word_counts_are_bounded() {
    let p = test_prf(3);
    let too_many = usize::try_from(MAX_WORDS + 1).unwrap();
    let err = p.words(0u64, too_many).unwrap_err();
    assert!(
        matches!(err, CryptoError::InvalidParameter { name: "n", .. }),
        "{err}"
    );
}

/// Uniform(0,1) over 10^5 nonces: mean 1/2 (sd of the mean 0.00091),
/// variance 1/12, every tenth of [0,1) about 10^4 times. Bounds are ~5 sd.
#[test]
fn uniform_distribution_sanity() {
    let p = test_prf(4);
    let n = 100_000u64;
    let mut sum = 0.0;
    let mut sum_sq = 0.0;
    let mut bins = [0u32; 10];
    for i in 0..n {
        let u = p.uniform(i);
        assert!((0.0..1.0).contains(&u), "{u}");
        sum += u;
        sum_sq += u * u;
        bins[(u * 10.0) as usize] += 1;
    }
    let mean = sum / n as f64;
    let var = sum_sq / n as f64 - mean * mean;
    assert!((mean - 0.5).abs() < 0.0046, "mean {mean}");
    assert!((var - 1.0 / 12.0).abs() < 0.0025, "variance {var}");
    // Binomial(1e5, 0.1): sd 94.9.
    for (i, &b) in bins.iter().enumerate() {
        assert!((b as i64 - 10_000).abs() < 500, "bin {i}: {b}");
    }
}

#[test]
fn uniform_has_53_bits() {
    // Words with only the low 11 bits set map to 0; the top 53 bits count.
    let p = test_prf(5);
    for i in 0..1000u64 {
        let u = p.uniform(i);
        let w = p.word(i);
        assert_eq!(u, (w >> 11) as f64 / (1u64 << 53) as f64);
        assert_eq!((u * (1u64 << 53) as f64).fract(), 0.0);
    }
}

#[test]
fn below_stays_below_and_is_unbiased() {
    let p = test_prf(6);
    assert!(matches!(
        p.below(0u64, 0),
        Err(CryptoError::InvalidParameter { name: "m", .. })
    ));
    for m in [1u64, 2, 3, 7, 1000, (1 << 63) + 1, u64::MAX - 1, u64::MAX] {
        for i in 0..2000u64 {
            let v = p.below(i, m).unwrap();
            assert!(v < m, "below({i}, {m}) = {v}");
            assert_eq!(v, p.below(i, m).unwrap());
        }
    }
    // m ≈ (2/3)·2^64 rejects a third of all words. Plain `w % m` would put
    // 2/3 of the results below m/2; rejection sampling puts half.
    let m = 0xAAAA_AAAA_AAAA_AAABu64;
    let n = 20_000u64;
    let low = (0..n).filter(|&i| p.below(i, m).unwrap() < m / 2).count();
    // Binomial(2e4, 1/2): sd 70.7; the biased answer would be ~13,333.
    assert!((low as i64 - 10_000).abs() < 400, "low half {low}");
    let biased = (0..n).filter(|&i| p.word(i) % m < m / 2).count();
    assert!(biased > 12_800, "the check above can see bias: {biased}");
    // Small m: each residue about n/m times.
    let m = 6u64;
    let mut counts = [0u32; 6];
    for i in 0..60_000u64 {
        counts[usize::try_from(p.below(i, m).unwrap()).unwrap()] += 1;
    }
    for (r, &c) in counts.iter().enumerate() {
        // Binomial(6e4, 1/6): sd 91.3.
        assert!((c as i64 - 10_000).abs() < 460, "residue {r}: {c}");
    }
}

#[test]
fn pairwise_key_bytes_round_trip() {
    let k = PairwiseKey::from_bytes(&[9; 32]);
    assert_eq!(k.as_bytes(), &[9; 32]);
    assert_eq!(Prf::from(&k).word(1u64), Prf::new(&[9; 32]).word(1u64));
}
