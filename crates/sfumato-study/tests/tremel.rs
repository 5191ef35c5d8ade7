//! Tremel's crash-tolerant queries in the simulator, end to end.

use sfumato_protocol::tremel::{Aggregate, Echo, PartialValue, QuerySpec, Variant};
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
            assert_eq!(out.traffic.stats.refused, 0);
        }
    }
}

/// One seeded crash scenario: a suitable `n` from 29 to 200, `t` up to
/// `⌈log₂ n⌉`, at most `t` crashes at nodes and times drawn from the
/// seed (a third anywhere, a third among the groups' leaders and inner
/// tree nodes, a third of the nodes dead from the start). Returns whether
/// some multicast had to use overlapping paths (the overlay was too small
/// for node-disjoint ones, which the guarantee needs), or why it failed.
fn crash_scenario(seed: u64, variant: Variant, echo: Echo) -> Result<bool, String> {
    use rand_chacha::ChaCha8Rng;
    use rand_core::{Rng, SeedableRng};
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let sizes = sfumato_overlay::suitable_sizes(200).unwrap();
    let sizes: Vec<u64> = sizes.into_iter().filter(|n| *n >= 29).collect();
    let meters = sizes[(rng.next_u64() % sizes.len() as u64) as usize];
    let k = 64 - (meters - 1).leading_zeros();
    let t = 1 + (rng.next_u64() % u64::from(k)) as u32;
    let mut d = Deployment::new(meters, seed);
    d.t = Some(t);
    d.variant = variant;
    d.echo = echo;
    let recs = records(meters, seed);
    let q = TremelPlan::periodic_queries(Time::ZERO, Time::from_millis(5_000), 1, &spec());
    let plan = TremelPlan::new(&d, recs.clone(), q).map_err(|e| e.to_string())?;
    let span = plan.query_span().0;
    let crashes_n = (rng.next_u64() % (u64::from(t) + 1)) as usize;
    let style = seed % 3;
    let mut crashed: Vec<(NodeId, Time)> = Vec::new();
    while crashed.len() < crashes_n {
        let node = match style {
            1 => {
                // Leaders and inner nodes of the trees.
                let g = (rng.next_u64() % u64::from(t + 1)) as u32;
                let m = plan.params.group_members(g);
                let depth = (rng.next_u64() % 3) as u32;
                m.end - 1 - (depth.min(m.end - m.start - 1))
            }
            _ => (rng.next_u64() % meters) as u32,
        };
        if crashed.iter().any(|(c, _)| c.0 == node) {
            continue;
        }
        let at = if style == 2 { 0 } else { rng.next_u64() % span };
        crashed.push((NodeId(node), Time(at)));
    }
    let options = SimOptions {
        crashes: crashed.clone(),
        ..SimOptions::default()
    };
    let out = simulate(&plan, &options).map_err(|e| e.to_string())?;
    let what = format!(
        "seed {seed}: n = {meters}, t = {t}, crashes {crashed:?}, overlapping multicasts {}, unroutable {}",
        out.traffic.stats.overlapping_multicasts, out.traffic.stats.unroutable
    );
    let a = out.answers.first().ok_or(format!("{what}: no answer"))?;
    let p = a.partial.as_ref().ok_or(format!("{what}: no result"))?;
    let (ones, total) = sums(p);
    let honest: Vec<usize> = (0..meters as usize)
        .filter(|i| !crashed.iter().any(|(c, _)| c.0 as usize == *i))
        .collect();
    let honest_sum: i128 = honest.iter().map(|i| i128::from(recs[*i][0][1])).sum();
    if ones != i128::from(a.count as i64) || (a.count as usize) < honest.len() {
        return Err(format!(
            "{what}: {} contributions for {} honest meters ({a:?})",
            a.count,
            honest.len()
        ));
    }
    // The rest is a subset of the crashed meters' values, as many as the
    // extra contributions.
    let extra = a.count as usize - honest.len();
    let crashed_values: Vec<i128> = crashed
        .iter()
        .map(|(c, _)| i128::from(recs[c.0 as usize][0][1]))
        .collect();
    let ok = (0u32..1 << crashed_values.len()).any(|mask| {
        mask.count_ones() as usize == extra
            && crashed_values
                .iter()
                .enumerate()
                .filter(|(i, _)| mask >> i & 1 == 1)
                .map(|(_, v)| v)
                .sum::<i128>()
                == total - honest_sum
    });
    if !ok {
        return Err(format!(
            "{what}: the sum is not the honest meters' plus crashed ones' ({a:?})"
        ));
    }
    Ok(out.traffic.stats.overlapping_multicasts > 0)
}

/// Runs the scenarios of `range`: every one whose multicasts all found
/// node-disjoint paths must count every honest value; those that could
/// not (tiny overlays with large `t`, Tremel §4.2 "Discussion") are only
/// counted, and must be few.
fn crash_scenarios(range: core::ops::Range<u64>, variant: Variant) {
    let (mut degraded, mut degraded_failed, mut failures) = (0, 0, Vec::new());
    let total = range.end - range.start;
    for seed in range {
        match crash_scenario(seed, variant, Echo::Direct) {
            Ok(true) => degraded += 1,
            Ok(false) => {}
            Err(e) if e.contains("overlapping multicasts 0,") => failures.push(e),
            Err(_) => {
                degraded += 1;
                degraded_failed += 1;
            }
        }
    }
    eprintln!(
        "{total} scenarios: {degraded} with overlapping paths, {degraded_failed} of them missed an honest value"
    );
    assert!(
        failures.is_empty(),
        "{} failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(
        degraded * 20 <= total,
        "{degraded} of {total} scenarios without disjoint paths"
    );
}

/// Tremel §6.1: with at most `t` crashes at any nodes and times, the
/// owner's answer counts every honest meter's value exactly once (1,100
/// scenarios over four tests, so that they run in parallel; at least
/// 1,045 of them with node-disjoint paths).
#[test]
fn every_honest_value_is_counted_despite_t_crashes_a() {
    crash_scenarios(0..275, Variant::Basic);
}

/// See [`every_honest_value_is_counted_despite_t_crashes_a`].
#[test]
fn every_honest_value_is_counted_despite_t_crashes_b() {
    crash_scenarios(275..550, Variant::Basic);
}

/// See [`every_honest_value_is_counted_despite_t_crashes_a`].
#[test]
fn every_honest_value_is_counted_despite_t_crashes_c() {
    crash_scenarios(550..825, Variant::Basic);
}

/// See [`every_honest_value_is_counted_despite_t_crashes_a`].
#[test]
fn every_honest_value_is_counted_despite_t_crashes_d() {
    crash_scenarios(825..1100, Variant::Basic);
}

/// The benchmark behind the property test (slow; run with `--ignored`):
/// 6,000 scenarios for each Echo, counting those that missed an honest
/// value with disjoint paths, and those that could not find them.
#[test]
#[ignore]
fn echo_scenarios() {
    for echo in [Echo::Direct, Echo::Overlay] {
        let (mut failed, mut degraded, mut degraded_failed) = (0, 0, 0);
        for seed in 0..6000 {
            match crash_scenario(seed, Variant::Basic, echo) {
                Err(e) if e.contains("overlapping multicasts 0,") => {
                    failed += 1;
                    eprintln!("{e}");
                }
                Err(_) => {
                    degraded += 1;
                    degraded_failed += 1;
                }
                Ok(true) => degraded += 1,
                Ok(false) => {}
            }
        }
        eprintln!(
            "{echo:?} echo: {failed} of 6000 missed an honest value with disjoint paths; \
             {degraded} without disjoint paths, {degraded_failed} of them missed one"
        );
    }
}

/// Tremel §5.1, §6.2: the high-failure protocol (Scatter and Gather by
/// flooding, relays drawn within each proxy's group) counts every honest
/// value too, over 300 of the same scenarios.
#[test]
fn every_honest_value_is_counted_by_the_high_failure_protocol() {
    let failures: Vec<String> = (0..300)
        .filter_map(|seed| crash_scenario(seed, Variant::HighFailure, Echo::Direct).err())
        .collect();
    assert!(
        failures.is_empty(),
        "{} failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
