//! Tremel's Byzantine-tolerant queries in the simulator, end to end
//! (Tremel §5.2, §6.3, §6.4, §6.6).

use rand_chacha::ChaCha8Rng;
use rand_core::{Rng, SeedableRng};
use sfumato_protocol::tremel::{Aggregate, PartialValue, QuerySpec, RangeClause, Variant};
use sfumato_protocol::{NodeId, Time};
use sfumato_study::tremel::adversary::Attack;
use sfumato_study::tremel::privacy::Privacy;
use sfumato_study::tremel::{Crypto, Deployment, SimOptions, TremelPlan, simulate};

const HI: i64 = 5_000;

/// Values in 0 … 6,000 Wh: some above the range's 5,000, which honest
/// meters clamp.
fn records(meters: u64, seed: u64) -> Vec<Vec<Vec<i64>>> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (0..meters)
        .map(|_| vec![vec![(rng.next_u64() % 6_001) as i64]])
        .collect()
}

fn spec() -> QuerySpec {
    let mut s = QuerySpec::new(vec![Aggregate::Sum(0), Aggregate::Count]).unwrap();
    s.ranges.push(RangeClause {
        field: 0,
        lo: 0,
        hi: HI,
    });
    s
}

fn answer_of(p: &sfumato_protocol::tremel::Partial) -> (i128, u64) {
    match (&p.0[0], &p.0[1]) {
        (PartialValue::Sum(a), PartialValue::Count(c)) => (*a, *c),
        _ => panic!("a sum and a count expected"),
    }
}

fn deployment(meters: u64, t: u32, seed: u64, crypto: Crypto) -> Deployment {
    let mut d = Deployment::new(meters, seed);
    d.variant = Variant::Byzantine;
    d.t = Some(t);
    d.crypto = crypto;
    d.echo_rounds = 2;
    d
}

#[test]
fn without_faults_every_group_answers_the_clamped_total() {
    for crypto in [Crypto::InsecurePlaintext, Crypto::Real] {
        let meters = 59;
        let d = deployment(meters, 2, 3, crypto);
        let recs = records(meters, 3);
        let truth: i128 = recs.iter().map(|r| i128::from(r[0][0].min(HI))).sum();
        let q = TremelPlan::periodic_queries(Time::ZERO, Time::from_millis(5_000), 1, &spec());
        let plan = TremelPlan::new(&d, recs, q).unwrap();
        let out = simulate(&plan, &SimOptions::default()).unwrap();
        let a = &out.answers[0];
        eprintln!("{crypto:?}: {a:?}\n{:?}", out.traffic);
        assert_eq!(answer_of(a.partial.as_ref().unwrap()), (truth, meters));
        // The owner decides as soon as t + 1 = 3 groups agree.
        assert!(a.groups_agreeing >= 3, "{a:?}");
        assert_eq!(a.signed, meters);
        assert_eq!(out.traffic.stats.refused, 0);
    }
}

/// One seeded scenario: `t` Byzantine nodes, all doing `attack` (or each
/// its own, for `None`). Checks that the owner accepted an answer that
/// holds every honest meter's clamped value, no out-of-range value, and
/// otherwise only some Byzantine meters' in-range values.
fn scenario(seed: u64, attack: Option<Attack>, crypto: Crypto) -> Result<Seen, String> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let sizes: Vec<u64> = sfumato_overlay::suitable_sizes(120)
        .unwrap()
        .into_iter()
        .filter(|n| *n >= 29)
        .collect();
    let meters = sizes[(rng.next_u64() % sizes.len() as u64) as usize];
    let t = 1 + (rng.next_u64() % 2) as u32;
    let d = deployment(meters, t, seed, crypto);
    let recs = records(meters, seed);
    let q = TremelPlan::periodic_queries(Time::ZERO, Time::from_millis(5_000), 1, &spec());
    let plan = TremelPlan::new(&d, recs.clone(), q).map_err(|e| e.to_string())?;
    let mut byz: Vec<(NodeId, Attack)> = Vec::new();
    while byz.len() < t as usize {
        let a = attack.unwrap_or(Attack::ALL[(rng.next_u64() % 8) as usize]);
        let id = if a == Attack::LyingLeader && rng.next_u32() % 2 == 0 {
            // A group's leader: its highest identifier.
            let g = (rng.next_u64() % u64::from(plan.params.groups())) as u32;
            NodeId(plan.params.group_members(g).end - 1)
        } else {
            NodeId((rng.next_u64() % meters) as u32)
        };
        if !byz.iter().any(|(b, _)| *b == id) {
            byz.push((id, a));
        }
    }
    let options = SimOptions {
        byzantine: byz.clone(),
        ..SimOptions::default()
    };
    let out = simulate(&plan, &options).map_err(|e| e.to_string())?;
    let a = out.answers.first().ok_or("no answer")?;
    let (sum, count) = answer_of(
        a.partial
            .as_ref()
            .ok_or_else(|| format!("no result: {a:?}"))?,
    );
    let is_byz = |i: usize| byz.iter().any(|(b, _)| b.index() == i);
    let honest: i128 = (0..meters as usize)
        .filter(|i| !is_byz(*i))
        .map(|i| i128::from(recs[i][0][0].min(HI)))
        .sum();
    let honest_n = meters - byz.len() as u64;
    // The Byzantine meters whose tuples could count: in range.
    let optional: Vec<i128> = byz
        .iter()
        .filter(|(_, a)| *a != Attack::ExtremeValues)
        .map(|(b, _)| i128::from(recs[b.index()][0][0].min(HI)))
        .collect();
    let fits = (0u32..1 << optional.len()).any(|mask| {
        let extra: i128 = (0..optional.len())
            .filter(|k| mask & (1 << k) != 0)
            .map(|k| optional[k])
            .sum();
        sum == honest + extra && count == honest_n + u64::from(mask.count_ones())
    });
    if !fits {
        return Err(format!(
            "n = {meters}, t = {t}, {byz:?}: answer ({sum}, {count}), honest ({honest}, {honest_n}), optional {optional:?}; {a:?}"
        ));
    }
    Ok(Seen {
        refused: out.traffic.stats.refused,
        polluted: out.traffic.stats.polluted,
        sign_refused: a.sign_refused,
        outvoted: u64::from(a.groups_heard > a.groups_agreeing),
    })
}

/// What honest nodes and the owner saw of the attacks.
#[derive(Default, Debug)]
struct Seen {
    refused: u64,
    polluted: u64,
    sign_refused: u64,
    outvoted: u64,
}

#[test]
fn a_few_byzantine_scenarios() {
    // With real cryptography (RSA blind signatures, Ed25519, X25519 onions).
    for (i, attack) in Attack::ALL.into_iter().enumerate() {
        scenario(100 + i as u64, Some(attack), Crypto::Real).unwrap();
    }
}

/// Issue 17's acceptance: `t` Byzantine nodes of each kind (and of mixed
/// kinds), 1,080 seeded scenarios in all.
#[test]
fn every_kind_of_byzantine_node_over_a_thousand_scenarios() {
    let mut failures = Vec::new();
    let mut runs = 0;
    for (k, attack) in Attack::ALL.into_iter().map(Some).chain([None]).enumerate() {
        let mut seen = Seen::default();
        for s in 0..120u64 {
            runs += 1;
            match scenario(
                10_000 * (k as u64 + 1) + s,
                attack,
                Crypto::InsecurePlaintext,
            ) {
                Ok(x) => {
                    seen.refused += x.refused;
                    seen.polluted += x.polluted;
                    seen.sign_refused += x.sign_refused;
                    seen.outvoted += x.outvoted;
                }
                Err(e) => failures.push(e),
            }
        }
        eprintln!("{attack:?}: {seen:?}");
        // Each attack was attempted, and stopped where it should be.
        match attack {
            Some(Attack::ExtremeValues) => assert!(seen.polluted > 0),
            Some(Attack::DoubleContribution) => {
                assert!(seen.sign_refused > 0 && seen.refused > 0)
            }
            Some(Attack::LyingLeader) => assert!(seen.outvoted > 0),
            Some(Attack::Drop) | Some(Attack::Selective) | None => {}
            Some(_) => assert!(seen.refused > 0, "{attack:?}"),
        }
    }
    assert!(runs >= 1_000);
    assert!(
        failures.is_empty(),
        "{} of {runs} failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// The published noise — the answer minus the clamped truth, with no
/// faults — follows the discrete Laplace of scale `λ_sum = Δ/ε_sum`: the
/// paired noise cancels and the honest Pólya shares add up (chi-square,
/// fixed seeds, α = 10⁻⁴). A scale 25 % off is told apart.
#[test]
fn the_published_noise_is_the_intended_discrete_laplace() {
    use sfumato_dp::goodness_of_fit::chi_square_test;
    use sfumato_dp::{DiscreteLaplace, ExactScale};
    let meters = 29;
    let mut spec = spec();
    spec.ranges[0].hi = 100;
    let mut noise = Vec::new();
    for seed in 0..1_500u64 {
        let mut d = deployment(meters, 1, seed, Crypto::InsecurePlaintext);
        let mut p = Privacy::new("10", "1").unwrap();
        p.parties = Some(meters);
        d.privacy = Some(p);
        let recs = records(meters, seed);
        let truth: i128 = recs.iter().map(|r| i128::from(r[0][0].min(100))).sum();
        let q = TremelPlan::periodic_queries(Time::ZERO, Time::from_millis(5_000), 1, &spec);
        let plan = TremelPlan::new(&d, recs, q).unwrap();
        assert_eq!(
            plan.queries[0].noise.as_ref().unwrap().fields[0].sum_scale,
            (10, 1)
        );
        let out = simulate(&plan, &SimOptions::default()).unwrap();
        let (sum, count) = answer_of(out.answers[0].partial.as_ref().unwrap());
        assert_eq!(count, meters);
        noise.push(i64::try_from(sum - truth).unwrap());
    }
    let target = DiscreteLaplace::new(ExactScale::new(10, 1).unwrap());
    let fit = chi_square_test(&noise, |k| target.pmf(k));
    assert!(fit.p_value > 1e-4, "{fit:?}");
    let wrong = DiscreteLaplace::new(ExactScale::new(15, 2).unwrap());
    assert!(chi_square_test(&noise, |k| wrong.pmf(k)).p_value < 1e-4);
}

/// Filtered queries need noise; noise needs the bft variant and ranges.
#[test]
fn filtered_queries_spend_privacy_and_bad_plans_are_refused() {
    let meters = 29;
    let mut spec = spec();
    spec.filter = Some(sfumato_protocol::tremel::MeterFilter::Ids(vec![1, 2, 3]));
    let q = TremelPlan::periodic_queries(Time::ZERO, Time::from_millis(5_000), 1, &spec);
    let d = deployment(meters, 1, 1, Crypto::InsecurePlaintext);
    assert!(TremelPlan::new(&d, records(meters, 1), q.clone()).is_err());
    let mut noisy = d.clone();
    noisy.privacy = Some(Privacy::new("1", "1").unwrap());
    let plan = TremelPlan::new(&noisy, records(meters, 1), q.clone()).unwrap();
    let out = simulate(&plan, &SimOptions::default()).unwrap();
    // Every meter sent a tuple (the excluded ones zeros with noise).
    let (_, count) = answer_of(out.answers[0].partial.as_ref().unwrap());
    assert_eq!(count, meters);
    let mut basic = noisy.clone();
    basic.variant = Variant::Basic;
    assert!(TremelPlan::new(&basic, records(meters, 1), q).is_err());
}
