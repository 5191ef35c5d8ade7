//! Tremel's crash-tolerant queries in the simulator, end to end.

use sfumato_protocol::tremel::{Aggregate, PartialValue, QuerySpec, Variant};
use sfumato_protocol::{NodeId, Time};

const _: Option<NodeId> = None;
use sfumato_study::tremel::{Crypto, Deployment, SimOptions, TremelPlan, simulate};

fn records(meters: u64, seed: u64) -> Vec<Vec<Vec<i64>>> {
    (0..meters)
        .map(|i| {
            let x = (i + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ seed;
            vec![vec![1, (x >> 24) as i64 & 0xFF_FFFF_FFFF]]
        })
        .collect()
}

fn spec() -> QuerySpec {
    QuerySpec::new(vec![Aggregate::Sum(0), Aggregate::Sum(1), Aggregate::Count]).unwrap()
}

fn sums(p: &sfumato_protocol::tremel::Partial) -> (i128, i128) {
    match (&p.0[0], &p.0[1]) {
        (PartialValue::Sum(a), PartialValue::Sum(b)) => (*a, *b),
        _ => panic!("sums expected"),
    }
}

#[test]
fn without_failures_every_group_answers_the_true_total() {
    for crypto in [Crypto::InsecurePlaintext, Crypto::Real] {
        for variant in [Variant::Basic, Variant::HighFailure] {
            let meters = 59;
            let mut d = Deployment::new(meters, 7);
            d.crypto = crypto;
            d.variant = variant;
            d.t = Some(3);
            let recs = records(meters, 7);
            let truth: i128 = recs.iter().map(|r| i128::from(r[0][1])).sum();
            let q = TremelPlan::periodic_queries(Time::ZERO, Time::from_millis(5_000), 1, &spec());
            let plan = TremelPlan::new(&d, recs, q).unwrap();
            let out = simulate(&plan, &SimOptions::default()).unwrap();
            assert_eq!(out.answers.len(), 1, "{crypto:?} {variant:?}");
            let a = &out.answers[0];
            eprintln!("{crypto:?} {variant:?}: {a:?} {:?}", out.traffic);
            assert_eq!(a.count, meters);
            assert_eq!(sums(a.partial.as_ref().unwrap()), (meters as i128, truth));
            assert_eq!(a.groups_heard, 4);
            assert_eq!(a.groups_agreeing, 4);
            assert!(a.complete);
            assert_eq!(out.traffic.refused, 0);
        }
    }
}
