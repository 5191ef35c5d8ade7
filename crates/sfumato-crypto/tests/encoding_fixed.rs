//! Fixed-point encoding of reals.

mod common;

use common::random_odd_modulus;
use proptest::prelude::*;
use rug::Integer;
use sfumato_crypto::CryptoError;
use sfumato_crypto::encoding::{FixedPoint, FixedValue, PlaintextSpace};

fn space_1024() -> PlaintextSpace {
    PlaintextSpace::new(random_odd_modulus(1024, 11)).unwrap()
}

fn space_2048() -> PlaintextSpace {
    PlaintextSpace::new(random_odd_modulus(2048, 12)).unwrap()
}

/// `x = X / 2^k` exactly, found by doubling (exact in f64) until `x` is
/// an integer — independent of the bit-level decomposition under test.
fn exact(x: f64) -> (Integer, u32) {
    let mut y = x;
    let mut k = 0;
    while y.fract() != 0.0 {
        y *= 2.0;
        k += 1;
    }
    (Integer::from_f64(y).unwrap(), k)
}

/// Finite reals of all magnitudes that fit a 1024-bit plaintext with up
/// to 64 fractional bits, with plenty of exact halves (ties).
fn reals() -> impl Strategy<Value = f64> {
    prop_oneof![
        any::<f64>().prop_filter("in range", |x| x.is_finite() && x.abs() < 2f64.powi(900)),
        (-1e6f64..1e6),
        (any::<i32>(), 0u32..70).prop_map(|(n, k)| f64::from(n) / 2f64.powi(k as i32)),
        (any::<i64>(), 0u32..20).prop_map(|(n, k)| (n >> 11) as f64 / 2f64.powi(k as i32)),
        Just(f64::MIN_POSITIVE),
        Just(f64::from_bits(1)),
        Just(-0.0),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    /// |n − x·2^f| ≤ 1/2, ties to even — checked exactly.
    #[test]
    fn scale_rounds_to_nearest_even(x in reals(), f in 0u32..=64) {
        let fp = FixedPoint::new(f).unwrap();
        let n = fp.scale(x).unwrap();
        let (big_x, k) = exact(x);
        // (n / 2^f − X / 2^k) · 2^(f+k) = n·2^k − X·2^f; bound 2^(k−1).
        let diff = Integer::from(&n << k) - Integer::from(&big_x << f);
        let twice = Integer::from(diff.abs_ref()) << 1u32;
        let limit = Integer::from(1) << k;
        prop_assert!(twice <= limit, "x = {x}, f = {f}, n = {n}");
        if twice == limit {
            prop_assert!(n.is_even(), "tie not to even: x = {x}, f = {f}, n = {n}");
        }
    }

    /// Through ℤ_M and back to f64: within 2^(−f−1) plus the final
    /// rounding to f64.
    #[test]
    fn round_trip_within_half_resolution(x in reals(), f in 0u32..=64) {
        for space in [space_1024(), space_2048()] {
            let fp = FixedPoint::new(f).unwrap();
            let r = fp.encode(&space, x).unwrap();
            prop_assert!(space.contains(&r));
            let exact_value = fp.decode_exact(&space, &r).unwrap();
            prop_assert_eq!(exact_value.mantissa(), &fp.scale(x).unwrap());
            prop_assert_eq!(exact_value.frac_bits(), f);
            let y = fp.decode(&space, &r).unwrap();
            let tolerance = 2f64.powi(-(f as i32) - 1) + x.abs() * f64::EPSILON;
            prop_assert!((y - x).abs() <= tolerance, "x = {x}, f = {f}, y = {y}");
        }
    }

    /// Multiples of 2^(−f) survive exactly.
    #[test]
    fn exact_on_the_grid(n in any::<i64>(), f in 0u32..=60, j in 0u32..=60) {
        let j = j.min(f);
        let x = (n >> 11) as f64 / 2f64.powi(j as i32); // 53 bits: exact
        let fp = FixedPoint::new(f).unwrap();
        let space = space_1024();
        prop_assert_eq!(fp.decode(&space, &fp.encode(&space, x).unwrap()).unwrap(), x);
    }

    /// Sums of encodings decode to sums of the scaled integers.
    #[test]
    fn sums_add_up(xs in prop::collection::vec(-1e9f64..1e9, 1..50), f in 0u32..=40) {
        let fp = FixedPoint::new(f).unwrap();
        let space = space_1024();
        let mut acc = Integer::new();
        let mut expected = Integer::new();
        for &x in &xs {
            acc += fp.encode(&space, x).unwrap();
            acc %= space.modulus();
            expected += fp.scale(x).unwrap();
        }
        let decoded = fp.decode_exact(&space, &acc).unwrap();
        prop_assert_eq!(decoded.mantissa(), &expected);
    }

    /// `to_f64` agrees with the hardware's correctly rounded i128 → f64.
    #[test]
    fn to_f64_matches_hardware(n in any::<i128>(), shift in 0u32..100, f in 0u32..=900) {
        let n = n >> shift;
        let expected = (n as f64) * 2f64.powi(-(f as i32)); // normal range: exact scaling
        prop_assert_eq!(FixedValue::new(Integer::from(n), f).to_f64().unwrap(), expected);
    }

    /// Large mantissas round correctly as well: 2^200 · (odd 60-bit) + tail.
    #[test]
    fn to_f64_large(top in any::<u64>(), tail in any::<u64>(), f in 0u32..600) {
        let t = top | 1;
        let n = (Integer::from(t) << 200u32) + tail;
        // `t << 200` rounds like `t`, to 53 bits; the tail (< 2^64, far
        // below half an ulp) only matters when the dropped bits of `t` are
        // exactly a tie, and then it rounds up where `t as f64` went to even.
        let mut expected = t as f64;
        let bits = 64 - t.leading_zeros();
        if bits > 53 {
            let d = bits - 53;
            if t & ((1 << d) - 1) == 1 << (d - 1) && tail > 0 {
                expected = ((u128::from(t >> d) + 1) << d) as f64;
            }
        }
        let expected = expected * 2f64.powi(200 - f as i32);
        prop_assert_eq!(FixedValue::new(n, f).to_f64().unwrap(), expected);
    }
}

#[test]
fn non_finite_and_out_of_range() {
    let space = space_1024();
    let fp = FixedPoint::new(20).unwrap();
    for x in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        assert!(matches!(fp.scale(x), Err(CryptoError::InvalidInput { .. })));
        assert!(matches!(
            fp.encode(&space, x),
            Err(CryptoError::InvalidInput { .. })
        ));
    }
    // 2^1010 · 2^20 > M/2 ≈ 2^1023.
    for x in [2f64.powi(1010), -(2f64.powi(1010)), f64::MAX] {
        assert!(matches!(
            fp.encode(&space, x),
            Err(CryptoError::Overflow(_))
        ));
    }
    // Fits without fractional bits.
    let int = FixedPoint::new(0).unwrap();
    let x = 2f64.powi(1010);
    assert_eq!(
        int.decode(&space, &int.encode(&space, x).unwrap()).unwrap(),
        x
    );
    // Decoding a value beyond f64.
    let wide = FixedPoint::new(0).unwrap();
    let huge = Integer::from(1) << 1100u32;
    let space = space_2048();
    let r = space.encode(&huge).unwrap();
    assert!(matches!(
        wide.decode(&space, &r),
        Err(CryptoError::Overflow(_))
    ));
    assert!(FixedPoint::new(FixedPoint::MAX_FRAC_BITS + 1).is_err());
    assert!(FixedPoint::new(FixedPoint::MAX_FRAC_BITS).is_ok());
}

#[test]
fn doublings_are_undone_exactly() {
    // 3/4 doubled 5 times is 24 at f = 2 (mantissa 96); div_pow2(5) gives 3/4 back.
    let space = space_1024();
    let fp = FixedPoint::new(2).unwrap();
    let mut r = fp.encode(&space, -0.75).unwrap();
    for _ in 0..5 {
        r = Integer::from(&r << 1u32) % space.modulus();
    }
    let v = fp.decode_exact(&space, &r).unwrap();
    assert_eq!(v.to_f64().unwrap(), -24.0);
    let v = v.div_pow2(5).unwrap();
    assert_eq!(
        (v.mantissa().clone(), v.frac_bits()),
        (Integer::from(-96), 7)
    );
    assert_eq!(v.to_f64().unwrap(), -0.75);
    assert!(matches!(
        FixedValue::new(Integer::from(1), u32::MAX).div_pow2(1),
        Err(CryptoError::Overflow(_))
    ));
    assert_eq!(
        FixedValue::new(Integer::from(1), u32::MAX)
            .to_f64()
            .unwrap(),
        0.0
    );
}
