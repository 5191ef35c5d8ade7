//! Centered encoding of signed integers into ℤ_M.

mod common;

use common::random_odd_modulus;
use proptest::prelude::*;
use rug::Integer;
use rug::integer::Order;
use sfumato_crypto::CryptoError;
use sfumato_crypto::encoding::PlaintextSpace;

fn spaces() -> Vec<PlaintextSpace> {
    vec![
        PlaintextSpace::new(random_odd_modulus(1024, 1)).unwrap(),
        PlaintextSpace::new(random_odd_modulus(2048, 2)).unwrap(),
        // An even modulus, where M/2 itself is in the centered range.
        PlaintextSpace::new(random_odd_modulus(1024, 3) + 1u32).unwrap(),
    ]
}

/// Uniform-ish in `[0, limit)`.
fn below(limit: Integer) -> impl Strategy<Value = Integer> {
    let limbs = limit.significant_bits() as usize / 64 + 2;
    prop::collection::vec(any::<u64>(), limbs)
        .prop_map(move |d| Integer::from_digits(&d, Order::Lsf) % &limit)
}

/// A signed value of the centered range of `space`, often near its ends
/// or near 0.
fn centered(space: &PlaintextSpace) -> impl Strategy<Value = Integer> + use<> {
    let (lo, hi) = (space.min_signed(), space.max_signed());
    let width = Integer::from(&hi - &lo) + 1u32;
    let (lo2, hi2) = (lo.clone(), hi.clone());
    prop_oneof![
        below(width).prop_map(move |r| r + &lo),
        prop_oneof![0u32..3, 0u32..1000].prop_map(move |k| Integer::from(&hi2 - k)),
        prop_oneof![0u32..3, 0u32..1000].prop_map(move |k| Integer::from(&lo2 + k)),
        any::<i64>().prop_map(Integer::from),
    ]
}

fn space_and_value() -> impl Strategy<Value = (usize, Integer)> {
    (0..3usize).prop_flat_map(|i| (Just(i), centered(&spaces()[i])))
}

proptest! {
    #[test]
    fn round_trip((i, x) in space_and_value()) {
        let space = &spaces()[i];
        let r = space.encode(&x).unwrap();
        prop_assert!(space.contains(&r));
        prop_assert_eq!(space.decode(&r).unwrap(), x);
    }

    #[test]
    fn decode_is_a_bijection((i, r) in (0..3usize).prop_flat_map(|i| (Just(i), below(spaces()[i].modulus().clone())))) {
        let space = &spaces()[i];
        let x = space.decode(&r).unwrap();
        prop_assert!(x >= space.min_signed() && x <= space.max_signed());
        prop_assert_eq!(space.encode(&x).unwrap(), r);
    }

    #[test]
    fn addition_mod_m_is_signed_addition((i, x, y) in space_and_value().prop_flat_map(|(i, x)| (Just(i), Just(x), centered(&spaces()[i])))) {
        let space = &spaces()[i];
        let sum = Integer::from(&x + &y);
        let r = (space.encode(&x).unwrap() + space.encode(&y).unwrap()) % space.modulus();
        let decoded = space.decode(&r).unwrap();
        if sum >= space.min_signed() && sum <= space.max_signed() {
            prop_assert_eq!(decoded, sum);
        } else {
            // Out of range: wraps silently, by exactly ±M.
            prop_assert_eq!(Integer::from(&sum - &decoded).abs(), space.modulus().clone());
        }
    }

    #[test]
    fn machine_integers(x in any::<i64>(), y in any::<i128>()) {
        for space in spaces() {
            prop_assert_eq!(space.decode_i64(&space.encode_i64(x).unwrap()).unwrap(), x);
            prop_assert_eq!(space.decode_i128(&space.encode_i128(y).unwrap()).unwrap(), y);
            prop_assert_eq!(space.decode_i128(&space.encode_i64(x).unwrap()).unwrap(), i128::from(x));
        }
    }
}

#[test]
fn boundaries() {
    for space in spaces() {
        let m = space.modulus().clone();
        let odd = m.is_odd();
        let half_down = Integer::from(&m >> 1u32); // ⌊M/2⌋
        assert_eq!(space.max_signed(), half_down);
        // +⌊M/2⌋ always fits; −⌊M/2⌋ fits iff M is odd (−M/2 is excluded).
        assert_eq!(space.encode(&half_down).unwrap(), half_down);
        assert_eq!(space.decode(&half_down).unwrap(), half_down);
        let above = Integer::from(&half_down + 1u32);
        assert_eq!(space.decode(&above).unwrap(), Integer::from(&above - &m));
        let neg = Integer::from(-&half_down);
        if odd {
            assert_eq!(space.min_signed(), neg);
            let r = space.encode(&neg).unwrap();
            assert_eq!(r, Integer::from(&half_down + 1u32));
            assert_eq!(space.decode(&r).unwrap(), neg);
        } else {
            assert!(matches!(space.encode(&neg), Err(CryptoError::Overflow(_))));
            assert_eq!(space.min_signed(), neg + 1u32);
        }
        // One past either end overflows.
        let over = Integer::from(&space.max_signed() + 1u32);
        let under = Integer::from(&space.min_signed() - 1u32);
        assert!(matches!(space.encode(&over), Err(CryptoError::Overflow(_))));
        assert!(matches!(
            space.encode(&under),
            Err(CryptoError::Overflow(_))
        ));
        assert!(matches!(space.encode(&m), Err(CryptoError::Overflow(_))));
        // 0, ±1.
        assert_eq!(space.encode_i64(0).unwrap(), 0);
        assert_eq!(space.encode_i64(-1).unwrap(), Integer::from(&m - 1u32));
        assert_eq!(space.decode_i64(&Integer::from(&m - 1u32)).unwrap(), -1);
        // Residues outside [0, M) are refused.
        for r in [m.clone(), Integer::from(-1), Integer::from(&m << 1u32)] {
            assert!(matches!(
                space.decode(&r),
                Err(CryptoError::InvalidInput { .. })
            ));
        }
        // A decoded value too large for i64 / i128.
        assert!(matches!(
            space.decode_i64(&half_down),
            Err(CryptoError::Overflow(_))
        ));
        assert!(matches!(
            space.decode_i128(&half_down),
            Err(CryptoError::Overflow(_))
        ));
    }
}

#[test]
fn machine_extremes() {
    for space in spaces() {
        for x in [i64::MIN, i64::MAX, 0, -1, 1] {
            assert_eq!(space.decode_i64(&space.encode_i64(x).unwrap()).unwrap(), x);
        }
        for x in [i128::MIN, i128::MAX] {
            assert_eq!(
                space.decode_i128(&space.encode_i128(x).unwrap()).unwrap(),
                x
            );
        }
    }
    // The smallest modulus: every i64 fits, big i128 do not.
    let small = PlaintextSpace::new((Integer::from(1) << 64u32) + 1u32).unwrap();
    for x in [i64::MIN, i64::MAX] {
        assert_eq!(small.decode_i64(&small.encode_i64(x).unwrap()).unwrap(), x);
    }
    assert!(matches!(
        small.encode_i128(i128::MAX),
        Err(CryptoError::Overflow(_))
    ));
    assert!(matches!(
        small.encode_i128(i128::from(i64::MIN) - 1),
        Err(CryptoError::Overflow(_))
    ));
}

#[test]
fn modulus_validation() {
    assert!(PlaintextSpace::new((Integer::from(1) << 64u32) + 1u32).is_ok());
    for bad in [
        Integer::from(1) << 64u32,
        Integer::from(u64::MAX),
        Integer::from(0),
        Integer::from(-1) << 100u32,
    ] {
        assert!(matches!(
            PlaintextSpace::new(bad),
            Err(CryptoError::InvalidParameter {
                name: "modulus",
                ..
            })
        ));
    }
    let space = PlaintextSpace::new(random_odd_modulus(1024, 1)).unwrap();
    assert_eq!(space.bits(), 1024);
    assert!(!format!("{space:?}").contains(&space.modulus().to_string()));
}
