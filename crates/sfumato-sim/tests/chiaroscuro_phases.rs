//! The phase watcher of Chiaroscuro participants: it changes nothing in a
//! run, its message counts by phase add up to the runtime's, and its
//! per-iteration disconnections leave series out of the sums.

use std::sync::Arc;

use sfumato_protocol::chiaroscuro::{
    ChiaroscuroParams, InsecureKeyShare, InsecurePlaintext, Participant, Shared,
};
use sfumato_protocol::dream::NoiseKind;
use sfumato_protocol::gossip::PeerSampling;
use sfumato_protocol::{NodeId, Time};
use sfumato_sim::chiaroscuro::ChiaroscuroProbe;
use sfumato_sim::chiaroscuro_phases::{Disconnections, PhaseProbe, Watched};
use sfumato_sim::{Faults, LatencyModel, Mode, SimConfig, run};

const P: u32 = 300;

fn params(iterations: usize) -> ChiaroscuroParams {
    ChiaroscuroParams {
        population: P,
        length: 1,
        range: (0.0, 1.0),
        initial: vec![vec![0.5]],
        budgets: vec![1e3; iterations],
        theta: 0.0,
        smoothing: None,
        exchanges: 40,
        dissemination: 20,
        decryption: 20,
        period: Time::from_millis(10),
        noise_shares: u64::from(P) / 2,
        e_max: 1e-6,
        fixed_point_bits: 16,
        committee: 5,
        noise: NoiseKind::Discrete,
        sampling: PeerSampling::Uniform,
        quality: Default::default(),
    }
}

fn config(p: &ChiaroscuroParams, sample_every: Time) -> SimConfig {
    let mut c = SimConfig::rounds(9, p.population, 1);
    c.mode = Mode::VirtualTime {
        tick: Time::from_millis(1),
        until: p.end(p.max_iterations()),
        latency: LatencyModel::Fixed(Time::from_millis(1)),
        sample_every,
    };
    c.faults = Faults::none();
    c
}

type Make = Arc<
    dyn Fn(NodeId, &mut sfumato_protocol::NodeRng) -> Participant<InsecurePlaintext> + Send + Sync,
>;

fn participants(p: &ChiaroscuroParams) -> Make {
    let shared = Shared::new(p.clone(), InsecurePlaintext { threshold: 2 }).unwrap();
    Arc::new(move |id: NodeId, rng: &mut sfumato_protocol::NodeRng| {
        let share = (id.0 < 5).then(|| Arc::new(InsecureKeyShare(id.0 + 1)));
        Participant::new(id, Arc::clone(&shared), vec![1.0], share, rng).unwrap()
    })
}

#[test]
fn watching_changes_nothing_and_counts_every_message() {
    let p = params(2);
    let c = config(&p, p.end(2));
    let make = participants(&p);
    let m = make.clone();
    let plain = run(
        &c,
        move |id, rng: &mut _| m(id, rng),
        ChiaroscuroProbe,
        None,
    )
    .unwrap()
    .unwrap();
    let m = make.clone();
    let watched = run(
        &c,
        move |id, rng: &mut _| Watched::new(m(id, rng), None),
        ChiaroscuroProbe,
        None,
    )
    .unwrap()
    .unwrap();
    assert!(plain.same_outcome(&watched));
    let m = make;
    let phases = run(
        &c,
        move |id, rng: &mut _| Watched::new(m(id, rng), None),
        PhaseProbe { unit: p.unit() },
        None,
    )
    .unwrap()
    .unwrap();
    let last = &phases.samples.last().unwrap().summary;
    assert_eq!(last.participants, u64::from(P));
    assert_eq!(last.by_phase.total(), last.sent);
    assert!(last.by_phase.sum > 0 && last.by_phase.correction > 0 && last.by_phase.decryption > 0);
    assert_eq!(last.sent, plain.metrics.messages_sent.total);
    // Everyone decrypted the last iteration, and agrees.
    assert_eq!(last.decrypted, u64::from(P));
    assert_eq!(last.results_by_root.len(), 1);
    assert_eq!(last.errors, 0);
}

#[test]
fn per_period_samples_see_the_sums_converge_and_the_correction_spread() {
    let p = params(1);
    let c = config(&p, p.period);
    let make = participants(&p);
    let report = run(
        &c,
        move |id, rng: &mut _| Watched::new(make(id, rng), None),
        PhaseProbe { unit: p.unit() },
        None,
    )
    .unwrap()
    .unwrap();
    let at = |b: u64| {
        &report
            .samples
            .iter()
            .find(|s| s.tick == 10 * b)
            .unwrap()
            .summary
    };
    // Right after the EESum nothing is half done: the totals are exact.
    let end = at(u64::from(p.exchanges) + 1);
    assert_eq!(end.holding_means, u64::from(P));
    assert_eq!(end.without_weight, 0);
    let total = end.total(0, p.unit()).unwrap();
    assert!((total - f64::from(P)).abs() < 1.0, "{total}");
    let counter = end.counter.unwrap();
    assert!(counter.max_error(f64::from(P)) < 1e-3, "{counter:?}");
    assert!(end.values[0].unwrap().max_error(total) < 1e-3);
    // Early on some participants have no estimate yet.
    assert!(at(1).without_weight > 0);
    // The smallest identifier reaches everyone during the dissemination.
    let later = at(u64::from(p.exchanges + p.dissemination));
    let c = later.correction.unwrap();
    assert_eq!((c.holders, c.with_values), (u64::from(P), u64::from(P)));
}

#[test]
fn disconnected_participants_are_left_out_and_resynchronise() {
    let p = params(3);
    let c = config(&p, p.end(3));
    let make = participants(&p);
    let d = Arc::new(Disconnections {
        probability: 0.3,
        seed: 4,
        spared: (0..5).collect(),
    });
    let expected: u64 = (0..3)
        .map(|i| (0..P).filter(|id| d.disconnected(NodeId(*id), i)).count() as u64)
        .sum();
    assert!(expected > 150 && expected < 400, "{expected}");
    let report = run(
        &c,
        move |id, rng: &mut _| Watched::new(make(id, rng), Some(d.clone())),
        ChiaroscuroProbe,
        None,
    )
    .unwrap()
    .unwrap();
    let s = &report.samples.last().unwrap().summary;
    assert_eq!(s.stats.errors, 0);
    for it in &s.iterations {
        // Everyone got the result, and it counts only the connected.
        assert_eq!(it.by_root.values().sum::<u64>(), u64::from(P));
        let r = it.result.as_ref().unwrap();
        assert!(
            r.participants > 150.0 && r.participants < 260.0,
            "{}",
            r.participants
        );
    }
}
