//! Property tests of the homomorphic laws, on fixed small keys (the laws do
//! not depend on the key size; generating many large keys would only slow
//! the suite).

use std::sync::OnceLock;

use proptest::prelude::*;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use rug::{Complete, Integer};
use sfumato_crypto::dj::threshold::{KeyShare, ThresholdPublicKey};
use sfumato_crypto::dj::{PrivateKey, ShortExponentEncryptor};

struct Fixture {
    keys: Vec<PrivateKey>,
    threshold: (ThresholdPublicKey, Vec<KeyShare>),
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let mut rng = ChaCha20Rng::seed_from_u64(99);
        let keys: Vec<PrivateKey> = (1..=3)
            .map(|s| PrivateKey::generate(&mut rng, 256, s, 1, &|_| {}).unwrap())
            .collect();
        let threshold = keys[0].deal(6, 4, &mut rng).unwrap();
        Fixture { keys, threshold }
    })
}

fn int(x: i128) -> Integer {
    Integer::from(x)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn addition_negation_and_scaling_are_homomorphic(
        a in any::<i128>(), b in any::<i128>(), k in any::<i64>(), key in 0usize..3, seed in any::<u64>()
    ) {
        let sk = &fixture().keys[key];
        let pk = sk.public();
        let ns = pk.plaintext_modulus();
        let mut rng = ChaCha20Rng::seed_from_u64(seed);
        let (ea, eb) = (pk.encrypt(&int(a), &mut rng), pk.encrypt(&int(b), &mut rng));
        let modn = |x: Integer| x.modulo(ns);
        prop_assert_eq!(sk.decrypt(&pk.add(&ea, &eb)).unwrap(), modn(int(a) + int(b)));
        prop_assert_eq!(sk.decrypt(&pk.negate(&ea)).unwrap(), modn(-int(a)));
        prop_assert_eq!(sk.decrypt(&pk.mul_const(&ea, &Integer::from(k))).unwrap(), modn(int(a) * k));
        prop_assert_eq!(sk.decrypt(&pk.sum([&ea, &eb, &ea])).unwrap(), modn(int(a) * 2 + int(b)));
        // E(a) · E(−a) decrypts to 0.
        prop_assert_eq!(sk.decrypt(&pk.add(&ea, &pk.negate(&ea))).unwrap(), 0);
        let fast = ShortExponentEncryptor::new(pk, &mut rng);
        prop_assert_eq!(sk.decrypt(&pk.add(&fast.encrypt(&int(a), &mut rng), &eb)).unwrap(), modn(int(a) + int(b)));
    }

    #[test]
    fn any_threshold_subset_decrypts_and_fewer_do_not(
        m in any::<u128>(), pick in proptest::sample::subsequence((1u32..=6).collect::<Vec<_>>(), 3..=6), seed in any::<u64>()
    ) {
        let (tpk, shares) = &fixture().threshold;
        let mut rng = ChaCha20Rng::seed_from_u64(seed);
        let c = tpk.public().encrypt(&Integer::from(m), &mut rng);
        let partials: Vec<_> = pick
            .iter()
            .map(|&i| shares[(i - 1) as usize].partial_decrypt(&c, &mut rng).unwrap())
            .collect();
        let result = tpk.combine(&c, &partials);
        if pick.len() >= 4 {
            prop_assert_eq!(result.unwrap(), Integer::from(m));
        } else {
            prop_assert!(result.is_err());
        }
    }
}

#[test]
fn plaintexts_wrap_modulo_n_to_the_s() {
    let sk = &fixture().keys[1];
    let pk = sk.public();
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    let big = (pk.plaintext_modulus() + 17u32).complete();
    assert_eq!(sk.decrypt(&pk.encrypt(&big, &mut rng)).unwrap(), 17);
}
