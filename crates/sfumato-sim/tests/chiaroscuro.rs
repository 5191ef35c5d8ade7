//! Chiaroscuro's participants in the simulator: with negligible noise the
//! protocol computes Lloyd's means; EESum reaches the exact sums; the
//! noise correction removes exactly the surplus shares; real Damgård–Jurik
//! and the plaintext stand-in give the same centroids for the same seed.

use std::sync::Arc;

use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use sfumato_crypto::dj::PrivateKey;
use sfumato_protocol::chiaroscuro::{
    AdditiveScheme, ChiaroscuroParams, DamgardJurik, InsecureKeyShare, InsecurePlaintext,
    Participant, Shared, lloyd_step,
};
use sfumato_protocol::dream::NoiseKind;
use sfumato_protocol::gossip::PeerSampling;
use sfumato_protocol::{NodeId, Time};
use sfumato_sim::chiaroscuro::{ChiaroscuroProbe, ChiaroscuroSummary};
use sfumato_sim::{Faults, LatencyModel, Mode, SimConfig, run};

const LEN: usize = 4;

/// Participant i's series: group i % 3 around 2, 5 or 8.
fn series(i: u32) -> Vec<f64> {
    let g = f64::from(i % 3);
    (0..LEN)
        .map(|d| 2.0 + 3.0 * g + 0.01 * f64::from((i * 7 + d as u32 * 3) % 11))
        .collect()
}

fn params(population: u32, iterations: usize, epsilon: f64) -> ChiaroscuroParams {
    ChiaroscuroParams {
        population,
        length: LEN,
        range: (0.0, 10.0),
        initial: vec![series(0), series(1), vec![3.0; LEN]],
        budgets: vec![epsilon; iterations],
        theta: 0.0,
        smoothing: None,
        exchanges: 30,
        dissemination: 10,
        decryption: 30,
        period: Time::from_millis(10),
        noise_shares: u64::from(population),
        e_max: 1e-6,
        fixed_point_bits: 20,
        committee: 5,
        noise: NoiseKind::Discrete,
        sampling: PeerSampling::Uniform,
    }
}

fn config(p: &ChiaroscuroParams, seed: u64, churn: f64) -> SimConfig {
    let mut c = SimConfig::rounds(seed, p.population, 1);
    let until = p.end(p.max_iterations());
    c.mode = Mode::VirtualTime {
        tick: Time::from_millis(1),
        until,
        latency: LatencyModel::Fixed(Time::from_millis(1)),
        sample_every: until,
    };
    c.faults = Faults {
        churn,
        ..Faults::none()
    };
    c
}

fn simulate<S: AdditiveScheme>(
    shared: Arc<Shared<S>>,
    shares: Arc<Vec<Arc<S::KeyShare>>>,
    config: &SimConfig,
) -> ChiaroscuroSummary {
    let report = run(
        config,
        move |id: NodeId, rng| {
            let share = shares.get(id.index()).cloned();
            Participant::new(id, Arc::clone(&shared), series(id.0), share, rng).unwrap()
        },
        ChiaroscuroProbe,
        None,
    )
    .unwrap()
    .unwrap();
    report.samples.last().unwrap().summary.clone()
}

fn plaintext(p: ChiaroscuroParams, seed: u64, churn: f64) -> ChiaroscuroSummary {
    let config = config(&p, seed, churn);
    let committee = p.committee;
    let shared = Shared::new(p, InsecurePlaintext { threshold: 3 }).unwrap();
    let shares = (1..=committee).map(|i| Arc::new(InsecureKeyShare(i))).collect();
    simulate(shared, Arc::new(shares), &config)
}

fn max_diff(a: &[Vec<f64>], b: &[Vec<f64>]) -> f64 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .flat_map(|(x, y)| x.iter().zip(y).map(|(u, v)| (u - v).abs()))
        .fold(0.0, f64::max)
}

#[test]
fn without_noise_the_protocol_computes_lloyds_means() {
    let p = params(300, 2, 1e7);
    let data: Vec<Vec<f64>> = (0..300).map(series).collect();
    let first = lloyd_step(&data, &p.initial);
    let second = lloyd_step(&data, &first);
    let s = plaintext(p, 5, 0.0);
    assert_eq!(s.participants, 300);
    assert_eq!(s.stats.errors, 0, "{s:?}");
    assert_eq!(s.iterations.len(), 2, "{s:#?}");
    for (seen, lloyd) in s.iterations.iter().zip([&first, &second]) {
        // Every participant got the same result.
        assert_eq!(seen.by_root.len(), 1, "{:?}", seen.by_root);
        assert_eq!(seen.by_root.values().sum::<u64>(), 300);
        let r = seen.result.as_ref().unwrap();
        assert!(max_diff(&r.centroids, lloyd) < 1e-3, "{:?} vs {lloyd:?}", r.centroids);
    }
    assert_eq!(s.status.get("iteration limit"), Some(&300));
}
