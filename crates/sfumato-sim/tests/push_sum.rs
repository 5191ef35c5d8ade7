//! Push-sum through the simulator: convergence with and without faults,
//! determinism across workers, agreement with the plain loop.

use sfumato_protocol::gossip::{GossipConfig, Mass, PeerSampling, PushPull, PushSum};
use sfumato_protocol::{NodeId, NodeRng, Time};
use sfumato_sim::plain::run_plain;
use sfumato_sim::probes::{ErrorSummary, EstimateError};
use sfumato_sim::{Faults, LatencyModel, Mode, SimConfig, run};

/// Node i holds value i mod 100; the average of 0..n is known in closed form.
fn value(i: u32) -> f64 {
    f64::from(i % 100)
}

fn average(n: u32) -> f64 {
    (0..n).map(value).sum::<f64>() / f64::from(n)
}

fn gossip(n: u32, rounds: u32, sampling: PeerSampling) -> GossipConfig {
    GossipConfig::new(n, sampling, Time::from_millis(1000), rounds).unwrap()
}

fn push_sum(cfg: GossipConfig) -> impl Fn(NodeId, &mut NodeRng) -> PushSum + Send + Sync + Clone {
    move |id, rng| {
        PushSum::new(
            id,
            Mass {
                s: value(id.0),
                w: 1.0,
            },
            &cfg,
            rng,
        )
    }
}

fn probe(n: u32) -> EstimateError<fn(&PushSum) -> Option<f64>> {
    EstimateError::new(average(n), PushSum::estimate as fn(&PushSum) -> Option<f64>)
}

fn errors(samples: &[sfumato_sim::Sample<ErrorSummary>]) -> Vec<f64> {
    samples
        .iter()
        .map(|s| s.summary.max_relative_error)
        .collect()
}

#[test]
fn push_sum_converges_geometrically() {
    let n = 20_000;
    let config = SimConfig::rounds(7, n, 40);
    let report = run(
        &config,
        push_sum(gossip(n, 40, PeerSampling::Uniform)),
        probe(n),
        None,
    )
    .unwrap()
    .unwrap();
    let e = errors(&report.samples);
    // Kempe et al.: the error shrinks by a constant factor per round
    // once the value has spread (the first rounds leave nodes that have
    // heard nothing, whose error is 100%).
    assert!(e[39] < 1e-3, "{e:?}");
    for k in [15, 20, 25, 29] {
        assert!(e[k + 10] < e[k] / 4.0, "round {k}: {e:?}");
    }
    assert_eq!(report.metrics.messages_sent.min, 40);
    assert_eq!(report.metrics.messages_sent.max, 40);
    assert_eq!(report.metrics.in_flight_at_end, u64::from(n));
}

#[test]
fn the_runtime_equals_the_plain_loop_and_is_independent_of_workers() {
    let n = 3_001;
    let rounds = 25;
    let mut config = SimConfig::rounds(11, n, rounds);
    let make = push_sum(gossip(
        n,
        rounds as u32,
        PeerSampling::Newscast { view_size: 30 },
    ));
    let plain = run_plain(&config, make.clone(), probe(n)).unwrap();
    for workers in [1, 2, 8] {
        config.workers = workers;
        let r = run(&config, make.clone(), probe(n), None).unwrap().unwrap();
        assert!(
            r.same_outcome(&plain),
            "{workers} workers differ from the plain loop"
        );
    }
    // And the seed matters.
    config.seed = 12;
    config.workers = 1;
    let other = run(&config, make, probe(n), None).unwrap().unwrap();
    assert!(!other.same_outcome(&plain));
}

#[test]
fn churn_conserves_mass_and_loss_biases_but_still_converges() {
    let n = 10_000;
    let rounds = 60;
    let target = average(n);
    let cfg = gossip(n, rounds, PeerSampling::Uniform);
    let mut config = SimConfig::rounds(3, n, u64::from(rounds));
    config.workers = 2;
    config.faults = Faults {
        churn: 0.25,
        ..Faults::none()
    };
    let churned = run(&config, push_sum(cfg), probe(n), None)
        .unwrap()
        .unwrap();
    let e = errors(&churned.samples);
    assert!(churned.metrics.undeliverable > 100_000);
    // Bounced pushes are taken back: the mass is intact, so the nodes
    // converge to the exact average, only a little slower.
    assert!(e[59] < 1e-3 && e[59] < e[20] / 1000.0, "churn: {e:?}");
    let (_, w) = total_mass(&config, push_sum(cfg.with_rounds(rounds - 1)));
    assert!((w - f64::from(n)).abs() < 1e-6, "churn lost weight: {w}");

    config.faults = Faults {
        loss: 0.05,
        ..Faults::none()
    };
    let lossy = run(&config, push_sum(cfg), probe(n), None)
        .unwrap()
        .unwrap();
    let e = errors(&lossy.samples);
    assert!(lossy.metrics.lost > 20_000);
    // Lost mass biases the consensus a little, but nodes still agree: the
    // error falls by orders of magnitude to a small plateau.
    assert!(e[59] < 0.01, "loss: {e:?}");
    assert!(e[59] < e[15] / 10.0, "loss: {e:?}");
    let (_, w) = total_mass(&config, push_sum(cfg.with_rounds(rounds - 1)));
    assert!(w < f64::from(n) * 0.99, "loss kept the weight: {w}");
    let _ = target;
}

/// Σs and Σw over all nodes at the last round (a test-only probe: its f64
/// sums are not exactly order-independent, which is fine at fixed workers).
fn total_mass(
    config: &SimConfig,
    make: impl Fn(NodeId, &mut NodeRng) -> PushSum + Send + Sync + 'static,
) -> (f64, f64) {
    #[derive(Clone)]
    struct MassTotal;
    impl sfumato_sim::Probe<PushSum> for MassTotal {
        type Summary = (f64, f64);
        fn empty(&self) -> (f64, f64) {
            (0.0, 0.0)
        }
        fn observe(&self, _: NodeId, node: &PushSum, _: Time, into: &mut (f64, f64)) {
            into.0 += node.mass().s;
            into.1 += node.mass().w;
        }
        fn merge(&self, into: &mut (f64, f64), o: &(f64, f64)) {
            into.0 += o.0;
            into.1 += o.1;
        }
    }
    // Mass in flight at the end is not in any node: stop the pushes one
    // round before the end so that everything has landed.
    let r = run(config, make, MassTotal, None).unwrap().unwrap();
    r.samples.last().unwrap().summary
}

#[test]
fn push_pull_conserves_mass_with_overlapping_exchanges_in_virtual_time() {
    let n = 2_000;
    let cfg = GossipConfig::new(n, PeerSampling::Uniform, Time::from_millis(10), 60).unwrap();
    let mut config = SimConfig::rounds(5, n, 1);
    config.workers = 2;
    config.mode = Mode::VirtualTime {
        tick: Time::from_millis(1),
        until: Time::from_millis(700),
        latency: LatencyModel::tremel(Time::from_millis(2)),
        sample_every: Time::from_millis(10),
    };
    config.faults = Faults {
        churn: 0.1,
        ..Faults::none()
    };
    let make = move |id: NodeId, rng: &mut NodeRng| {
        PushPull::new(
            id,
            Mass {
                s: value(id.0),
                w: 1.0,
            },
            &cfg,
            rng,
        )
    };
    let probe = EstimateError::new(
        average(n),
        PushPull::estimate as fn(&PushPull) -> Option<f64>,
    );
    let r = run(&config, make, probe, None).unwrap().unwrap();
    let e = errors(&r.samples);
    // Exchanges take about as long as a period, so they overlap; mass is
    // conserved all the same, so the estimates converge to the exact average.
    assert!(
        *e.last().unwrap() < 1e-3 && *e.last().unwrap() < e[10] / 1000.0,
        "{e:?}"
    );
    assert!(r.metrics.completion_time > Time::from_millis(590));
}
