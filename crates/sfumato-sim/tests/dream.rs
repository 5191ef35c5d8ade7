//! DREAM's meters and supplier in the simulator: totals are recovered
//! exactly under the masks, failures up to M are recovered by the second
//! round, more are reported rather than published, and honest meters
//! refuse a supplier that declares too many missing.

use std::sync::Arc;

use sfumato_protocol::context::Outgoing;
use sfumato_protocol::dream::{
    ClusterPlan, DreamEvent, DreamMessage, DreamNode, DreamParams, Lambda, Meter, NoiseKind,
    SlotStatus, Supplier,
};
use sfumato_protocol::{NodeId, NodeRng, Time};
use sfumato_sim::byzantine::{Adversary, Participant};
use sfumato_sim::{Faults, LatencyModel, Mode, NoProbe, SimConfig, SimReport, run};

const N: u32 = 20;
const SLOTS: u32 = 12;

fn params(tolerate: u32) -> DreamParams {
    DreamParams {
        cluster_size: N,
        tolerate,
        partners: 5.0,
        noise: NoiseKind::Discrete,
        first_slot: Time::from_millis(600_000),
        slot_length: Time::from_millis(600_000),
        window: Time::from_millis(30_000),
        slots: SLOTS,
    }
}

/// Meter k of cluster c reads 100·(c + 1) + 7k + t Wh in slot t.
fn reading(c: u32, k: u32, t: u32) -> u64 {
    u64::from(100 * (c + 1) + 7 * k + t)
}

fn true_total(c: u32, t: u32, present: impl Fn(u32) -> bool) -> i64 {
    (0..N)
        .filter(|k| present(*k))
        .map(|k| reading(c, k, t) as i64)
        .sum()
}

/// `clusters` clusters; node c·(N+1) is cluster c's supplier.
fn deploy(clusters: u32, tolerate: u32, lambda: Lambda) -> (Vec<Arc<ClusterPlan>>, SimConfig) {
    let plans: Vec<Arc<ClusterPlan>> = (0..clusters)
        .map(|c| {
            let base = c * (N + 1);
            Arc::new(ClusterPlan {
                params: params(tolerate),
                supplier: NodeId(base),
                meters: (1..=N).map(|k| NodeId(base + k)).collect(),
                lambdas: vec![lambda; SLOTS as usize].into(),
            })
        })
        .collect();
    for p in &plans {
        p.validate().unwrap();
    }
    let mut config = SimConfig::rounds(17, clusters * (N + 1), 1);
    config.mode = Mode::VirtualTime {
        tick: Time::from_millis(10),
        until: params(tolerate).end(),
        latency: LatencyModel::tremel(Time::from_millis(1)),
        sample_every: params(tolerate).end(),
    };
    (plans, config)
}

fn node(plans: &[Arc<ClusterPlan>], id: NodeId, rng: &mut NodeRng) -> DreamNode {
    let c = id.0 / (N + 1);
    let k = id.0 % (N + 1);
    let plan = plans[c as usize].clone();
    if k == 0 {
        DreamNode::Supplier(Box::new(Supplier::new(plan, rng)))
    } else {
        let readings: Arc<[u64]> = (0..SLOTS)
            .map(|t| reading(c, k - 1, t))
            .collect::<Vec<_>>()
            .into();
        DreamNode::Meter(Box::new(Meter::new(plan, k - 1, readings, rng)))
    }
}

fn outcomes(r: &SimReport<(), DreamEvent>) -> Vec<(u32, sfumato_protocol::dream::SlotOutcome)> {
    r.events
        .iter()
        .map(|e| {
            let DreamEvent::Slot(o) = e.event;
            (e.node.0 / (N + 1), o)
        })
        .collect()
}

#[test]
fn without_failures_the_masks_cancel_and_the_total_is_published() {
    // A tiny λ: the discrete Laplace is 0 with probability ≈ 1 − 2e^-1000.
    let (plans, config) = deploy(3, 0, Lambda::new(1, 1000).unwrap());
    let p = plans.clone();
    let r = run(
        &config,
        move |id, rng: &mut NodeRng| node(&p, id, rng),
        NoProbe,
        None,
    )
    .unwrap()
    .unwrap();
    let out = outcomes(&r);
    assert_eq!(out.len(), 3 * SLOTS as usize);
    for (c, o) in out {
        assert_eq!(o.status, SlotStatus::Published);
        assert_eq!(
            o.published,
            Some(true_total(c, o.slot, |_| true)),
            "cluster {c} slot {}",
            o.slot
        );
    }
    // A meter sends its key and one reading per slot; a supplier (M = 0)
    // only the directory, to each meter.
    assert_eq!(r.metrics.messages_sent.min, 1 + u64::from(SLOTS));
    assert_eq!(r.metrics.messages_sent.max, u64::from(N));
}

#[test]
fn real_noise_is_added_and_is_calibrated() {
    let (plans, mut config) = deploy(6, 0, Lambda::new(400, 1).unwrap());
    config.workers = 2;
    let p = plans.clone();
    let r = run(
        &config,
        move |id, rng: &mut NodeRng| node(&p, id, rng),
        NoProbe,
        None,
    )
    .unwrap()
    .unwrap();
    let noise: Vec<f64> = outcomes(&r)
        .iter()
        .map(|(c, o)| (o.published.unwrap() - true_total(*c, o.slot, |_| true)) as f64)
        .collect();
    assert_eq!(noise.len(), 72);
    // Discrete Laplace of scale 400: E|X| ≈ 400. 72 draws: the mean
    // absolute value is within 50 % of it with probability > 1 − 1e-6.
    let mae = noise.iter().map(|x| x.abs()).sum::<f64>() / 72.0;
    assert!((200.0..600.0).contains(&mae), "{mae}");
    assert!(noise.iter().filter(|x| **x == 0.0).count() < 5);
}

#[test]
fn failures_up_to_m_are_recovered_and_more_are_reported() {
    let (plans, mut config) = deploy(4, 3, Lambda::new(1, 1000).unwrap());
    config.faults = Faults {
        offline: 0.12,
        offline_period: Time::from_millis(600_000),
        offline_from: Time::from_millis(600_000),
        spared: (0..4).map(|c| NodeId(c * (N + 1))).collect(),
        ..Faults::none()
    };
    let p = plans.clone();
    let make = move |id, rng: &mut NodeRng| node(&p, id, rng);
    let r = run(&config, make.clone(), NoProbe, None).unwrap().unwrap();
    let out = outcomes(&r);
    assert_eq!(out.len(), 4 * SLOTS as usize);
    let (mut recovered, mut refused_to_publish) = (0, 0);
    for (c, o) in &out {
        if o.missing == 0 {
            assert_eq!(o.status, SlotStatus::Published);
        } else if o.missing <= 3 {
            assert_eq!(o.status, SlotStatus::Published, "{o:?}");
            recovered += 1;
            // The total of the meters that reported (the offline ones are
            // exactly those whose reading is missing).
            assert!(o.published.is_some());
            let _ = c;
        } else {
            assert_eq!(o.status, SlotStatus::TooManyMissing);
            assert_eq!(o.published, None);
            refused_to_publish += 1;
        }
        assert_eq!(o.reporting + o.missing, N);
    }
    assert!(
        recovered > 5 && refused_to_publish > 0,
        "{recovered} {refused_to_publish}"
    );
    assert!(r.metrics.dropped_offline > 0);
    // The same seed, 3 workers: the same run.
    config.workers = 3;
    let again = run(&config, make, NoProbe, None).unwrap().unwrap();
    assert!(again.same_outcome(&r));
}

/// A supplier that declares one more meter missing than it should.
struct Greedy;

impl Adversary<DreamNode> for Greedy {
    fn tamper(
        &mut self,
        _: NodeId,
        _: Time,
        outgoing: &mut Vec<Outgoing<DreamMessage>>,
        _: &mut NodeRng,
    ) {
        for o in outgoing.iter_mut() {
            if let DreamMessage::Recover { missing, .. } = &mut o.msg {
                for k in 0..N {
                    if missing.len() > 3 {
                        break;
                    }
                    if !missing.contains(&k) {
                        missing.push(k);
                    }
                }
            }
        }
    }
}

#[test]
fn honest_meters_refuse_a_supplier_that_declares_too_many_missing() {
    let (plans, config) = deploy(1, 3, Lambda::new(50, 1).unwrap());
    let p = plans.clone();
    let r = run(
        &config,
        move |id, rng: &mut NodeRng| {
            let n = node(&p, id, rng);
            if id.0 == 0 {
                Participant::Byzantine {
                    node: n,
                    adversary: Greedy,
                }
            } else {
                Participant::Honest(n)
            }
        },
        NoProbe,
        None,
    )
    .unwrap()
    .unwrap();
    let out: Vec<_> = r
        .events
        .iter()
        .map(|e| {
            let DreamEvent::Slot(o) = e.event;
            o
        })
        .collect();
    assert_eq!(out.len(), SLOTS as usize);
    assert!(
        out.iter()
            .all(|o| o.status == SlotStatus::Refused && o.published.is_none())
    );
}
