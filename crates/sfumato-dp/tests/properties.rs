//! Property tests: the accountant never overspends, strategies never allocate
//! more than ε, and exact arithmetic behaves like arithmetic.

use num_rational::BigRational;
use proptest::prelude::*;
use sfumato_dp::rational::{parse_rational, ratio_to_f64_down, ratio_to_f64_up};
use sfumato_dp::{Accountant, BudgetStrategy, DpError, Epsilon, ExactScale};

/// A decimal ε such as "0.0371" or "2.5".
fn epsilon_text() -> impl Strategy<Value = String> {
    (0u64..100_000, 0u32..6).prop_map(|(m, places)| {
        let s = format!("{m:0>width$}", width = places as usize + 1);
        let (a, b) = s.split_at(s.len() - places as usize);
        if b.is_empty() {
            a.to_string()
        } else {
            format!("{a}.{b}")
        }
    })
}

fn strategy() -> impl Strategy<Value = BudgetStrategy> {
    prop_oneof![
        Just(BudgetStrategy::Greedy),
        (1u64..20).prop_map(|floor| BudgetStrategy::GreedyFloor { floor }),
        (1u64..40).prop_map(|iterations| BudgetStrategy::UniformFast { iterations }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn accountant_never_exceeds_its_budget(
        total in epsilon_text(),
        charges in prop::collection::vec(epsilon_text(), 0..40),
    ) {
        let total = Epsilon::parse(&total).unwrap();
        let mut acc = Accountant::new(total.clone());
        let mut expected = Epsilon::zero();
        for c in &charges {
            let c = Epsilon::parse(c).unwrap();
            let before = acc.spent().clone();
            match acc.charge("q", &c) {
                Ok(()) => expected = expected.add(&c),
                Err(DpError::BudgetExceeded { .. }) => {
                    prop_assert_eq!(acc.spent(), &before);
                    prop_assert!(before.add(&c) > total);
                }
                Err(e) => return Err(TestCaseError::fail(e.to_string())),
            }
            prop_assert!(acc.spent() <= &total);
            prop_assert_eq!(acc.spent(), &expected);
            prop_assert_eq!(acc.remaining().add(acc.spent()), total.clone());
        }
    }

    #[test]
    fn strategies_allocate_at_most_epsilon(
        eps in epsilon_text(),
        strategy in strategy(),
        iterations in 0u64..200,
    ) {
        let eps = Epsilon::parse(&eps).unwrap();
        let alloc = strategy.allocate(&eps, iterations).unwrap();
        prop_assert_eq!(alloc.len() as u64, iterations);
        let sum = alloc.iter().fold(Epsilon::zero(), |a, e| a.add(e));
        prop_assert!(sum <= eps);
        // Non-increasing: budget is concentrated on the first iterations.
        for w in alloc.windows(2) {
            prop_assert!(w[1] <= w[0]);
        }
        // The whole plan fits in an accountant for ε.
        let mut acc = Accountant::new(eps.clone());
        for (i, e) in alloc.iter().enumerate() {
            let label = format!("iteration {}", i + 1);
            prop_assert!(acc.charge(label, e).is_ok());
        }
        if let BudgetStrategy::UniformFast { iterations: limit } = strategy
            && iterations >= limit
        {
            prop_assert_eq!(sum, eps);
        }
    }

    #[test]
    fn floats_are_rounded_in_the_safe_direction(text in epsilon_text()) {
        let r = parse_rational(&text).unwrap();
        let down = BigRational::from_float(ratio_to_f64_down(&r)).unwrap();
        let up = BigRational::from_float(ratio_to_f64_up(&r)).unwrap();
        prop_assert!(down <= r && r <= up);
        prop_assert!(Epsilon::from_f64(Epsilon::parse(&text).unwrap().to_f64_down()).unwrap()
            <= Epsilon::parse(&text).unwrap());
    }

    #[test]
    fn exact_scales_round_trip(num in 1u64..1_000_000_000, den in 1u64..1_000_000_000) {
        let s = ExactScale::new(num, den).unwrap();
        let back = ExactScale::parse(&format!("{num}/{den}")).unwrap();
        prop_assert_eq!(s, back);
        prop_assert_eq!(
            s.to_ratio(),
            BigRational::new(num.into(), den.into())
        );
    }
}
