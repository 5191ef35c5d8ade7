//! Packing bounded signed values into one plaintext, with headroom for
//! additions and doublings.

mod common;

use common::random_odd_modulus;
use proptest::prelude::*;
use rand_chacha::ChaCha20Rng;
use rand_core::{Rng, SeedableRng};
use rug::Integer;
use rug::integer::Order;
use sfumato_crypto::CryptoError;
use sfumato_crypto::encoding::{FixedPoint, Headroom, PackingLayout, PlaintextSpace, capacity};

fn space(i: usize) -> PlaintextSpace {
    match i {
        0 => PlaintextSpace::new(random_odd_modulus(1024, 21)).unwrap(),
        _ => PlaintextSpace::new(random_odd_modulus(2048, 22)).unwrap(),
    }
}

fn add_mod(a: &Integer, b: &Integer, space: &PlaintextSpace) -> Integer {
    Integer::from(a + b) % space.modulus()
}

fn double_mod(a: &Integer, space: &PlaintextSpace) -> Integer {
    Integer::from(a << 1u32) % space.modulus()
}

fn scale_mod(a: &Integer, c: &Integer, space: &PlaintextSpace) -> Integer {
    Integer::from(a * c) % space.modulus()
}

/// A random layout that fits: (space index, bound, headroom, slots).
#[derive(Clone, Debug)]
struct Setup {
    space: usize,
    bound: Integer,
    headroom: Headroom,
    slots: usize,
}

impl Setup {
    fn space(&self) -> PlaintextSpace {
        space(self.space)
    }

    fn layout(&self) -> PackingLayout {
        PackingLayout::new(&self.space(), self.slots, self.bound.clone(), self.headroom).unwrap()
    }
}

fn setups() -> impl Strategy<Value = Setup> {
    let additions = prop_oneof![
        0u64..4,
        0u64..2000,
        Just(u64::from(u32::MAX)),
        Just(u64::MAX)
    ];
    (0..2usize, 1u32..=200, any::<u64>(), additions, 0u32..=60)
        .prop_filter_map(
            "some slot fits",
            |(space_i, bound_bits, seed, additions, doublings)| {
                // B in [2^(bits−1), 2^bits), or exactly a power of two
                let mut bound = Integer::from(1) << (bound_bits - 1);
                if seed % 4 != 0 {
                    bound += Integer::from(seed) % &bound;
                }
                let headroom = Headroom::new(additions, doublings);
                let cap = capacity(space(space_i).bits(), &bound, headroom).unwrap();
                (cap >= 1).then_some((space_i, bound, headroom, cap))
            },
        )
        .prop_flat_map(|(space, bound, headroom, cap)| {
            (1..=cap).prop_map(move |slots| Setup {
                space,
                bound: bound.clone(),
                headroom,
                slots,
            })
        })
}

/// A value in `[−B, B]`, often `±B`.
fn value(bound: &Integer) -> impl Strategy<Value = Integer> + use<> {
    let b = bound.clone();
    let width = Integer::from(&b << 1u32) + 1u32;
    let limbs = width.significant_bits() as usize / 64 + 2;
    let (b1, b2, b3) = (b.clone(), b.clone(), b);
    prop_oneof![
        3 => prop::collection::vec(any::<u64>(), limbs)
            .prop_map(move |d| Integer::from_digits(&d, Order::Lsf) % &width - &b1),
        1 => Just(b2),
        1 => Just(-b3),
        1 => Just(Integer::new()),
    ]
}

fn values(bound: &Integer, len: usize) -> impl Strategy<Value = Vec<Integer>> + use<> {
    prop::collection::vec(value(bound), len)
}

fn setup_with_vectors(vectors: usize) -> impl Strategy<Value = (Setup, Vec<Vec<Integer>>)> {
    setups().prop_flat_map(move |s| {
        let v = prop::collection::vec(values(&s.bound, s.slots), vectors);
        (Just(s), v)
    })
}

fn is_overflow<T>(r: &Result<T, CryptoError>) -> bool {
    matches!(r, Err(CryptoError::Overflow(_)))
}

fn is_invalid_parameter<T>(r: &Result<T, CryptoError>) -> bool {
    matches!(r, Err(CryptoError::InvalidParameter { .. }))
}

fn is_invalid_input<T>(r: &Result<T, CryptoError>) -> bool {
    matches!(r, Err(CryptoError::InvalidInput { .. }))
}

fn sum_scaled(vectors: &[Vec<Integer>], coefficients: &[Integer]) -> Vec<Integer> {
    let mut out = vec![Integer::new(); vectors[0].len()];
    for (v, c) in vectors.iter().zip(coefficients) {
        for (o, x) in out.iter_mut().zip(v) {
            *o += Integer::from(x * c);
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn pack_unpack_round_trip((s, vs) in setup_with_vectors(1)) {
        let layout = s.layout();
        let packed = layout.pack(&vs[0]).unwrap();
        prop_assert!(s.space().contains(&packed));
        prop_assert!(u64::from(packed.significant_bits()) <= layout.packed_bits());
        prop_assert_eq!(layout.unpack(&packed, 1, 0).unwrap(), vs[0].clone());
    }

    /// pack(a) + pack(b) mod M unpacks to a + b with terms = 2.
    #[test]
    fn two_terms((s, vs) in setup_with_vectors(2)) {
        prop_assume!(s.headroom.additions >= 1);
        let layout = s.layout();
        let space = s.space();
        let sum = add_mod(&layout.pack(&vs[0]).unwrap(), &layout.pack(&vs[1]).unwrap(), &space);
        let expected: Vec<Integer> = vs[0].iter().zip(&vs[1]).map(|(a, b)| Integer::from(a + b)).collect();
        prop_assert_eq!(layout.unpack(&sum, 2, 0).unwrap(), expected);
    }

    /// Up to 40 additions, then up to the declared doublings.
    #[test]
    fn additions_then_doublings(
        (s, vs) in setup_with_vectors(40),
        terms_seed in any::<u64>(),
        doublings_seed in any::<u32>(),
    ) {
        let layout = s.layout();
        let space = s.space();
        let max_terms = (s.headroom.additions.saturating_add(1)).min(40);
        let terms = 1 + terms_seed % max_terms;
        let doublings = doublings_seed % (s.headroom.doublings + 1);
        let mut acc = layout.pack(&vs[0]).unwrap();
        for v in &vs[1..terms as usize] {
            acc = add_mod(&acc, &layout.pack(v).unwrap(), &space);
        }
        for _ in 0..doublings {
            acc = double_mod(&acc, &space);
        }
        let c = Integer::from(1) << doublings;
        let expected = sum_scaled(&vs[..terms as usize], &vec![c; terms as usize]);
        prop_assert_eq!(layout.unpack(&acc, terms, doublings).unwrap(), expected);
    }

    /// The worst case the headroom allows: every value at ±B, multiplied by
    /// (additions + 1) — what that many additions of it would give — and
    /// doubled the declared number of times. One bit less per slot would
    /// carry into the neighbouring slot.
    #[test]
    fn full_headroom((s, vs) in setup_with_vectors(1), signs in any::<u64>()) {
        let layout = s.layout();
        let space = s.space();
        let extreme: Vec<Integer> = (0..s.slots)
            .map(|i| if signs >> (i % 64) & 1 == 1 { s.bound.clone() } else { -s.bound.clone() })
            .collect();
        let terms = s.headroom.additions.checked_add(1);
        let w_max = layout.max_multiplicity().clone();
        for v in [&extreme, &vs[0]] {
            let mut acc = scale_mod(&layout.pack(v).unwrap(), &(Integer::from(s.headroom.additions) + 1u32), &space);
            for _ in 0..s.headroom.doublings {
                acc = double_mod(&acc, &space);
            }
            let expected: Vec<Integer> = v.iter().map(|x| Integer::from(x * &w_max)).collect();
            prop_assert_eq!(&layout.unpack_weighted(&acc, &w_max).unwrap(), &expected);
            if let Some(terms) = terms {
                prop_assert_eq!(&layout.unpack(&acc, terms, s.headroom.doublings).unwrap(), &expected);
            }
        }
    }

    /// Arbitrary non-negative combinations Σ cⱼ·Pⱼ with Σ cⱼ ≤ W_max.
    #[test]
    fn weighted_combinations((s, vs) in setup_with_vectors(8), seeds in prop::collection::vec(any::<u64>(), 8)) {
        let layout = s.layout();
        let space = s.space();
        let w_max = layout.max_multiplicity().clone();
        // Split (a share of) W_max among 8 coefficients.
        let mut left = w_max.clone();
        let mut coefficients = Vec::new();
        for seed in &seeds {
            let c = seed % (Integer::from(&left + 1u32));
            left -= &c;
            coefficients.push(c);
        }
        let multiplicity: Integer = coefficients.iter().sum();
        prop_assume!(multiplicity > 0);
        let mut acc = Integer::new();
        for (v, c) in vs.iter().zip(&coefficients) {
            acc = add_mod(&acc, &scale_mod(&layout.pack(v).unwrap(), c, &space), &space);
        }
        prop_assert_eq!(layout.unpack_weighted(&acc, &multiplicity).unwrap(), sum_scaled(&vs, &coefficients));
    }

    /// Values beyond ±B are refused, in any slot.
    #[test]
    fn beyond_the_bound_is_refused((s, vs) in setup_with_vectors(1), slot in any::<usize>(), excess in 1u64..1000, negative in any::<bool>()) {
        let layout = s.layout();
        let mut v = vs[0].clone();
        let slot = slot % s.slots;
        let big = Integer::from(&s.bound + excess);
        v[slot] = if negative { -big } else { big };
        prop_assert!(is_overflow(&layout.pack(&v)));
    }

    /// More terms or doublings than declared are refused on unpack, as is
    /// a larger multiplicity.
    #[test]
    fn beyond_the_headroom_is_refused((s, vs) in setup_with_vectors(1)) {
        let layout = s.layout();
        let packed = layout.pack(&vs[0]).unwrap();
        if let Some(too_many) = s.headroom.additions.checked_add(2) {
            prop_assert!(is_overflow(&layout.unpack(&packed, too_many, 0)));
        }
        prop_assert!(is_overflow(&layout.unpack(&packed, 1, s.headroom.doublings + 1)));
        let over = Integer::from(layout.max_multiplicity() + 1u32);
        prop_assert!(is_overflow(&layout.unpack_weighted(&packed, &over)));
        prop_assert!(is_invalid_parameter(&layout.unpack(&packed, 0, 0)));
        prop_assert!(is_invalid_parameter(&layout.unpack_weighted(&packed, &Integer::new())));
    }

    /// The slot width is the smallest that works, the layout the largest
    /// that fits, and one slot more is refused.
    #[test]
    fn widths_and_capacity(s in setups()) {
        let layout = s.layout();
        let space = s.space();
        let w = layout.slot_bits();
        let peak = Integer::from(&s.bound * layout.max_multiplicity());
        prop_assert!(peak < (Integer::from(1) << (w - 1)), "too narrow");
        prop_assert!(peak >= (Integer::from(1) << (w - 2)), "wider than needed");
        let cap = capacity(space.bits(), &s.bound, s.headroom).unwrap();
        prop_assert_eq!(cap, ((space.bits() - 1) / w) as usize);
        prop_assert!(cap as u64 * u64::from(w) < u64::from(space.bits()));
        let widest = PackingLayout::with_max_slots(&space, s.bound.clone(), s.headroom).unwrap();
        prop_assert_eq!(widest.slots(), cap);
        prop_assert!(is_overflow(&PackingLayout::new(&space, cap + 1, s.bound.clone(), s.headroom)));
    }

    /// Any number of values over ⌈len / k⌉ plaintexts.
    #[test]
    fn vectors_over_several_plaintexts(s in setups(), len in 0usize..100, seed in any::<u64>(), terms in 1u64..4) {
        prop_assume!(terms - 1 <= s.headroom.additions);
        let layout = s.layout();
        let space = s.space();
        let mut rng = ChaCha20Rng::seed_from_u64(seed);
        let width = Integer::from(&s.bound << 1u32) + 1u32;
        let vectors: Vec<Vec<Integer>> = (0..terms)
            .map(|_| (0..len).map(|_| Integer::from(rng.next_u64()) % &width - &s.bound).collect())
            .collect();
        let mut acc: Option<Vec<Integer>> = None;
        for v in &vectors {
            let packed = layout.pack_all(v).unwrap();
            prop_assert_eq!(packed.len(), len.div_ceil(s.slots));
            prop_assert_eq!(packed.len(), layout.plaintexts_needed(len));
            acc = Some(match acc {
                None => packed,
                Some(a) => a.iter().zip(&packed).map(|(x, y)| add_mod(x, y, &space)).collect(),
            });
        }
        let acc = acc.unwrap();
        let expected = sum_scaled(&vectors, &vec![Integer::from(1); terms as usize]);
        prop_assert_eq!(layout.unpack_all(&acc, len, terms, 0).unwrap(), expected);
        // A wrong multiplicity shows in the padding slots, when there are any.
        if len % s.slots != 0 {
            let wrong = Integer::from(terms + 1);
            if wrong <= *layout.max_multiplicity() {
                prop_assert!(is_invalid_input(&layout.unpack_all_weighted(&acc, len, &wrong)));
            }
        }
        // The wrong number of plaintexts.
        prop_assert!(is_invalid_parameter(&layout.unpack_all(&acc, len + s.slots, terms, 0)));
    }
}

#[test]
fn layout_errors() {
    let space = space(0);
    let h = Headroom::new(10, 3);
    let bound = Integer::from(1000);
    assert!(matches!(
        PackingLayout::new(&space, 0, bound.clone(), h),
        Err(CryptoError::InvalidParameter { name: "slots", .. })
    ));
    for b in [Integer::new(), Integer::from(-5)] {
        assert!(matches!(
            PackingLayout::new(&space, 1, b.clone(), h),
            Err(CryptoError::InvalidParameter { name: "bound", .. })
        ));
        assert!(capacity(1024, &b, h).is_err());
    }
    // 1000 · 11 · 8 = 88000 < 2^17: w = 18 bits, 1023 / 18 = 56 slots.
    let layout = PackingLayout::new(&space, 56, bound.clone(), h).unwrap();
    assert_eq!(layout.slot_bits(), 18);
    assert_eq!(layout.packed_bits(), 1008);
    assert_eq!(*layout.max_multiplicity(), 88);
    assert_eq!(capacity(1024, &bound, h).unwrap(), 56);
    assert!(matches!(
        PackingLayout::new(&space, 57, bound.clone(), h),
        Err(CryptoError::Overflow(_))
    ));
    assert!(matches!(
        PackingLayout::new(&space, usize::MAX, bound.clone(), h),
        Err(CryptoError::Overflow(_))
    ));
    // Not even one slot.
    let huge = Integer::from(1) << 1100u32;
    assert_eq!(capacity(1024, &huge, h).unwrap(), 0);
    assert!(matches!(
        PackingLayout::with_max_slots(&space, huge, h),
        Err(CryptoError::Overflow(_))
    ));
    // Absurd doublings are refused without building 2^doublings.
    let absurd = Headroom::new(0, u32::MAX);
    assert!(matches!(
        capacity(1024, &bound, absurd),
        Err(CryptoError::Overflow(_))
    ));
    assert!(matches!(
        PackingLayout::new(&space, 1, bound.clone(), absurd),
        Err(CryptoError::Overflow(_))
    ));
    // Too many values for the slots.
    assert!(matches!(
        layout.pack(&[0i64; 57]),
        Err(CryptoError::InvalidParameter { .. })
    ));
    // Fewer values: the rest are zeros.
    let unpacked = layout
        .unpack(&layout.pack(&[-7i64, 1000, -1000]).unwrap(), 1, 0)
        .unwrap();
    assert_eq!(&unpacked[..3], &[-7, 1000, -1000]);
    assert!(unpacked[3..].iter().all(|v| *v == 0));
    assert_eq!(unpacked.len(), 56);
}

#[test]
fn malformed_plaintexts_are_refused() {
    let space = space(1);
    let layout = PackingLayout::new(&space, 4, Integer::from(100), Headroom::new(1, 1)).unwrap();
    let packed = layout.pack(&[1i64, -2, 3, -4]).unwrap();
    // A centered encoding of a negative number, M − 1: far wider than k·w.
    let minus_one = Integer::from(space.modulus() - 1u32);
    assert!(matches!(
        layout.unpack(&minus_one, 1, 0),
        Err(CryptoError::InvalidInput { .. })
    ));
    assert!(matches!(
        layout.unpack(&Integer::from(-1), 1, 0),
        Err(CryptoError::InvalidInput { .. })
    ));
    // A slot above 2·B·W: B = 100, W = 1, so slot content 201 is invalid.
    let w = layout.slot_bits();
    let bad = Integer::from(&packed - 100u32) + 201u32; // slot 0 := 201
    assert!(matches!(
        layout.unpack(&bad, 1, 0),
        Err(CryptoError::InvalidInput { .. })
    ));
    // Same plaintext read with W = 2 is in range (and wrong, undetectably).
    assert!(layout.unpack(&bad, 2, 0).is_ok());
    assert_eq!(w, 10); // 100 · 2 · 2 = 400 < 2^9
}

/// Chiaroscuro's encrypted epidemic sum (Alg. 2), on plaintexts: the
/// exchanges only add and double, every participant tracks its
/// multiplicity W in the clear, and each one's packed means decode to
/// Σⱼ cⱼ·vⱼ with the coefficients the gossip produced.
#[test]
fn epidemic_sum_as_in_chiaroscuro() {
    let space = space(1);
    let fp = FixedPoint::new(20).unwrap();
    let participants = 24usize;
    let dims = 7usize; // 6 measures + a count
    let max_exchanges = 30u32;
    let bound = fp.scale(1000.0).unwrap();
    let headroom = Headroom::new(participants as u64 - 1, max_exchanges);
    let layout = PackingLayout::with_max_slots(&space, bound, headroom).unwrap();
    assert!(
        layout.slots() >= 2,
        "the test should exercise several plaintexts"
    );
    let plaintexts = layout.plaintexts_needed(dims);
    assert!(plaintexts >= 1 && plaintexts == dims.div_ceil(layout.slots()));

    let mut rng = ChaCha20Rng::seed_from_u64(7);
    let uniform = |rng: &mut ChaCha20Rng| (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
    let reals: Vec<Vec<f64>> = (0..participants)
        .map(|_| {
            let mut v: Vec<f64> = (0..dims - 1)
                .map(|_| uniform(&mut rng) * 2000.0 - 1000.0)
                .collect();
            v.push(1.0);
            v
        })
        .collect();
    let scaled: Vec<Vec<Integer>> = reals
        .iter()
        .map(|v| v.iter().map(|&x| fp.scale(x).unwrap()).collect())
        .collect();

    // Per participant: packed plaintexts, exchange counter n, multiplicity
    // W, and (for checking only) the coefficient of every participant.
    struct State {
        packed: Vec<Integer>,
        n: u32,
        w: Integer,
        coefficients: Vec<Integer>,
    }
    let mut states: Vec<State> = (0..participants)
        .map(|j| State {
            packed: layout.pack_all(&scaled[j]).unwrap(),
            n: 0,
            w: Integer::from(1),
            coefficients: (0..participants)
                .map(|i| Integer::from(u32::from(i == j)))
                .collect(),
        })
        .collect();
    let scale = |s: &State, by: u32| -> (Vec<Integer>, Integer, Vec<Integer>) {
        let mut packed = s.packed.clone();
        for p in &mut packed {
            for _ in 0..by {
                *p = double_mod(p, &space);
            }
        }
        (
            packed,
            Integer::from(&s.w << by),
            s.coefficients
                .iter()
                .map(|c| Integer::from(c << by))
                .collect(),
        )
    };
    for _ in 0..400 {
        let l = (rng.next_u64() % participants as u64) as usize;
        let r = (rng.next_u64() % participants as u64) as usize;
        if l == r || states[l].n >= max_exchanges || states[r].n >= max_exchanges {
            continue;
        }
        let top = states[l].n.max(states[r].n);
        let (pl, wl, cl) = scale(&states[l], top - states[l].n);
        let (pr, wr, cr) = scale(&states[r], top - states[r].n);
        let packed: Vec<Integer> = pl
            .iter()
            .zip(&pr)
            .map(|(a, b)| add_mod(a, b, &space))
            .collect();
        let w = wl + wr;
        let coefficients: Vec<Integer> = cl
            .iter()
            .zip(&cr)
            .map(|(a, b)| Integer::from(a + b))
            .collect();
        for s in [l, r] {
            states[s] = State {
                packed: packed.clone(),
                n: top + 1,
                w: w.clone(),
                coefficients: coefficients.clone(),
            };
        }
    }
    assert!(states.iter().all(|s| s.n > 0), "everyone exchanged");
    assert!(
        states.iter().any(|s| s.n >= 8),
        "values were scaled by 2^8 or more"
    );
    for s in &states {
        let total: Integer = s.coefficients.iter().sum();
        assert_eq!(total, s.w, "W is the sum of the coefficients");
        assert!(s.w <= Integer::from(participants) << s.n);
        let decoded = layout.unpack_all_weighted(&s.packed, dims, &s.w).unwrap();
        assert_eq!(decoded, sum_scaled(&scaled, &s.coefficients));
        // The estimate of the mean of each dimension: Σ cⱼ vⱼ / W.
        let mean: Vec<f64> = decoded
            .iter()
            .map(|d| fp.unscale(d).unwrap() / s.w.to_f64())
            .collect();
        assert!(
            (mean[dims - 1] - 1.0).abs() < 1e-9,
            "the count slot averages to 1"
        );
        for (i, m) in mean.iter().enumerate() {
            assert!(m.abs() <= 1000.0, "dimension {i}: {m}");
        }
    }
}
