//! DREAM's modular-addition cipher and pairwise masks: property tests that
//! the masks cancel, sums wrap, and plaintext sums come back, with and
//! without failed meters (DREAM §4.2, §5.2–5.3, §6).

use std::collections::BTreeSet;

use proptest::prelude::*;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use sfumato_crypto::CryptoError;
use sfumato_crypto::symmetric::{
    MaskKey, PairwiseKey, PairwiseMasks, Prf, aggregate, aggregator_key, decrypt, encrypt, sum_keys,
};

/// The symmetric key of pair {i, j}, from a per-test seed.
fn pair_key(seed: u64, i: u64, j: u64) -> PairwiseKey {
    let (lo, hi) = (i.min(j), i.max(j));
    let mut bytes = [0u8; 32];
    bytes[..8].copy_from_slice(&seed.to_le_bytes());
    bytes[8..16].copy_from_slice(&lo.to_le_bytes());
    bytes[16..24].copy_from_slice(&hi.to_le_bytes());
    // Spread the structured bytes into a random-looking key.
    let prf = Prf::new(&bytes);
    let words = prf.words(0u64, 4).unwrap();
    for (chunk, w) in bytes.chunks_exact_mut(8).zip(words) {
        chunk.copy_from_slice(&w.to_le_bytes());
    }
    PairwiseKey::from_bytes(&bytes)
}

fn cluster(seed: u64, ids: &[u64], p: f64) -> Vec<PairwiseMasks> {
    ids.iter()
        .map(|&me| {
            let peers = ids
                .iter()
                .filter(|&&j| j != me)
                .map(|&j| (j, pair_key(seed, me, j)));
            PairwiseMasks::new(me, peers, p).unwrap()
        })
        .collect()
}

fn aggregator_prf(seed: u64, id: u64) -> Prf {
    let mut bytes = [0xa5u8; 32];
    bytes[..8].copy_from_slice(&seed.to_le_bytes());
    bytes[8..16].copy_from_slice(&id.to_le_bytes());
    Prf::new(&bytes)
}

fn ids_strategy() -> impl Strategy<Value = Vec<u64>> {
    prop::collection::btree_set(any::<u64>(), 2..12).prop_map(|s| s.into_iter().collect())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn encrypt_decrypt_round_trip(p in any::<u64>(), k in any::<u64>()) {
        let key = MaskKey::new(k);
        prop_assert_eq!(decrypt(encrypt(p, &key), &key), p);
        prop_assert_eq!(encrypt(p, &key), p.wrapping_add(k));
    }

    #[test]
    fn sums_wrap_and_plaintexts_come_back(
        pairs in prop::collection::vec((any::<u64>(), any::<u64>()), 0..40)
    ) {
        let keys: Vec<MaskKey> = pairs.iter().map(|&(_, k)| MaskKey::new(k)).collect();
        let cts: Vec<u64> = pairs.iter().zip(&keys).map(|(&(p, _), k)| encrypt(p, k)).collect();
        let plain_sum = pairs.iter().fold(0u64, |a, &(p, _)| a.wrapping_add(p));
        let agg = aggregate(cts.iter().copied());
        prop_assert_eq!(decrypt(agg, &sum_keys(&keys)), plain_sum);
    }

    #[test]
    fn signed_readings_come_back_as_i64(
        xs in prop::collection::vec(-1_000_000_000i64..1_000_000_000, 1..40),
        seed in any::<u64>(),
    ) {
        let mut rng = ChaCha20Rng::seed_from_u64(seed);
        let keys: Vec<MaskKey> = xs.iter().map(|_| MaskKey::random(&mut rng)).collect();
        let agg = aggregate(xs.iter().zip(&keys).map(|(&x, k)| encrypt(x as u64, k)));
        prop_assert_eq!(decrypt(agg, &sum_keys(&keys)) as i64, xs.iter().sum::<i64>());
    }

    /// DREAM §5.2–5.3: every meter's slot key sums to zero over the
    /// cluster, so ciphertexts sum to Σ (X̂_i + K'_i), and subtracting the
    /// aggregator keys leaves Σ X̂_i.
    #[test]
    fn masks_cancel_and_the_sum_comes_back(
        ids in ids_strategy(),
        seed in any::<u64>(),
        slot in any::<u64>(),
        p in prop_oneof![Just(1.0f64), 0.05f64..=1.0],
        readings in prop::collection::vec(any::<u64>(), 12),
    ) {
        let meters = cluster(seed, &ids, p);
        let slot_keys: Vec<MaskKey> = meters.iter().map(|m| m.slot_key(slot)).collect();
        prop_assert_eq!(sum_keys(&slot_keys), MaskKey::zero());

        let agg_keys: Vec<MaskKey> =
            ids.iter().map(|&i| aggregator_key(&aggregator_prf(seed, i), slot)).collect();
        let cts: Vec<u64> = (0..ids.len())
            .map(|n| encrypt(encrypt(readings[n], &agg_keys[n]), &slot_keys[n]))
            .collect();
        let total = aggregate(cts.iter().copied());
        let expected = readings[..ids.len()].iter().fold(0u64, |a, &x| a.wrapping_add(x));
        prop_assert_eq!(decrypt(total, &sum_keys(&agg_keys)), expected);
    }

    /// Selection is symmetric and dummy keys are antisymmetric (§5.2 steps
    /// 1–2), in every slot.
    #[test]
    fn selection_is_symmetric_and_dummy_keys_antisymmetric(
        ids in ids_strategy(),
        seed in any::<u64>(),
        slot in any::<u64>(),
        p in 0.05f64..=1.0,
    ) {
        let meters = cluster(seed, &ids, p);
        for a in &meters {
            for b in &meters {
                if a.id() == b.id() {
                    continue;
                }
                prop_assert_eq!(
                    a.is_selected(b.id(), slot).unwrap(),
                    b.is_selected(a.id(), slot).unwrap()
                );
                let ab = a.dummy_key(b.id(), slot).unwrap();
                let ba = b.dummy_key(a.id(), slot).unwrap();
                prop_assert_eq!(ab.add(&ba), MaskKey::zero());
            }
            let parts = a.participants(slot);
            let expect: Vec<u64> = a
                .peer_ids()
                .filter(|&j| a.is_selected(j, slot).unwrap())
                .collect();
            prop_assert_eq!(parts, expect);
        }
    }

    /// DREAM §6: with some meters absent, each present meter adds a secret
    /// C_i to its ciphertext and later replies with its dummy keys towards
    /// the absent meters plus C_i; the aggregator recovers the present
    /// meters' sum.
    #[test]
    fn failed_meters_are_recovered(
        ids in ids_strategy(),
        seed in any::<u64>(),
        slot in any::<u64>(),
        p in prop_oneof![Just(1.0f64), 0.05f64..=1.0],
        absent_mask in any::<u16>(),
        readings in prop::collection::vec(any::<u64>(), 12),
    ) {
        let meters = cluster(seed, &ids, p);
        let absent: Vec<u64> = ids
            .iter()
            .enumerate()
            .filter(|(n, _)| absent_mask >> n & 1 == 1)
            .map(|(_, &id)| id)
            .collect();
        let mut rng = ChaCha20Rng::seed_from_u64(seed ^ slot);
        let mut sum_ct = 0u64;
        let mut sum_reply = 0u64;
        let mut sum_agg = MaskKey::zero();
        let mut expected = 0u64;
        for (n, m) in meters.iter().enumerate() {
            if absent.contains(&m.id()) {
                continue;
            }
            let c_i = MaskKey::random(&mut rng);
            let k_agg = aggregator_key(&aggregator_prf(seed, m.id()), slot);
            let ct = encrypt(readings[n], &k_agg.add(&m.slot_key(slot)).add(&c_i));
            let reply = m.missing_key(slot, &absent).add(&c_i);
            sum_ct = sum_ct.wrapping_add(ct);
            sum_reply = sum_reply.wrapping_add(reply.value());
            sum_agg = sum_agg.add(&k_agg);
            expected = expected.wrapping_add(readings[n]);
        }
        let recovered = decrypt(decrypt(sum_ct, &MaskKey::new(sum_reply)), &sum_agg);
        prop_assert_eq!(recovered, expected);
    }
}

#[test]
fn a_missing_meter_breaks_the_sum_without_the_recovery_round() {
    // The cancellation is not vacuous: drop one meter and the others' masks
    // no longer sum to zero (unless it had no selected peers).
    let ids: Vec<u64> = (1..=6).collect();
    let meters = cluster(99, &ids, 1.0);
    let partial = sum_keys(
        &meters[1..]
            .iter()
            .map(|m| m.slot_key(5))
            .collect::<Vec<_>>(),
    );
    assert_ne!(partial, MaskKey::zero());
    assert_eq!(partial, meters[0].slot_key(5).negate());
    // And no single meter's mask is zero.
    for m in &meters {
        assert_ne!(m.slot_key(5), MaskKey::zero());
    }
}

#[test]
fn masks_change_every_slot() {
    let ids: Vec<u64> = (10..15).collect();
    let meters = cluster(7, &ids, 1.0);
    let keys: BTreeSet<u64> = (0..100u64).map(|t| meters[0].slot_key(t).value()).collect();
    assert_eq!(keys.len(), 100);
}

#[test]
fn selection_rate_matches_the_probability() {
    // DREAM's expected ℓ = w: with p = 0.25 and 40 peers, about 10 selected.
    let ids: Vec<u64> = (0..41).collect();
    let me = &cluster(3, &ids, 0.25)[0];
    let slots = 500u64;
    let selected: usize = (0..slots).map(|t| me.participants(t).len()).sum();
    let rate = selected as f64 / (slots as f64 * 40.0);
    // Binomial(20000, 0.25): sd of the rate 0.0031.
    assert!((rate - 0.25).abs() < 0.015, "rate {rate}");
    // p = 1 selects everyone.
    let all = &cluster(3, &ids, 1.0)[0];
    assert!((0..50).all(|t| all.participants(t).len() == 40));
}

#[test]
fn bad_parameters_are_refused() {
    let key = || pair_key(1, 1, 2);
    for p in [0.0, -0.5, 1.0000001, f64::NAN, f64::INFINITY] {
        let err = PairwiseMasks::new(1, [(2, key())], p).unwrap_err();
        assert!(
            matches!(
                err,
                CryptoError::InvalidParameter {
                    name: "selection_probability",
                    ..
                }
            ),
            "{p}: {err}"
        );
    }
    let err = PairwiseMasks::new(1, [(1, key())], 1.0)
        .unwrap_err()
        .to_string();
    assert!(err.contains("its own peer"), "{err}");
    let err = PairwiseMasks::new(1, [(2, key()), (3, key()), (2, key())], 1.0)
        .unwrap_err()
        .to_string();
    assert!(err.contains("peer 2 is listed twice"), "{err}");
    let m = PairwiseMasks::new(1, [(2, key())], 1.0).unwrap();
    let err = m.dummy_key(3, 0).unwrap_err().to_string();
    assert!(err.contains("no peer 3"), "{err}");
    assert!(m.is_selected(3, 0).is_err());
    // A meter with no peers has a zero mask.
    let lonely = PairwiseMasks::new(1, Vec::<(u64, PairwiseKey)>::new(), 1.0).unwrap();
    assert_eq!(lonely.slot_key(0), MaskKey::zero());
}

#[test]
fn mask_keys_do_not_print() {
    let k = MaskKey::new(0x1234_5678_9abc_def0);
    let dbg = format!("{k:?} {k:#?}");
    assert!(!dbg.contains("1311768467463790320"), "{dbg}");
    assert!(!dbg.to_lowercase().contains("123456789abcdef0"), "{dbg}");
    assert!(dbg.contains("redacted"));
    let m = cluster(1, &[1, 2, 3], 1.0);
    let dbg = format!("{:?}", m[0]);
    let key_bytes = format!("{:?}", pair_key(1, 1, 2).as_bytes());
    assert!(!dbg.contains(&key_bytes), "{dbg}");
    assert!(dbg.contains("peers: [2, 3]"), "{dbg}");
}
