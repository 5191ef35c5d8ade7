//! Flooding on the deterministic overlay, run as protocol nodes in the
//! simulator, agrees round by round with sfumato-overlay's reference flood
//! (Tremel §4.2), with and without failed nodes.

use sfumato_overlay::{DeterministicOverlay, suitable_sizes};
use sfumato_protocol::gossip::{FloodMessage, OverlayFlood};
use sfumato_protocol::{NodeId, NodeRng, Time};
use sfumato_sim::probes::CountWhere;
use sfumato_sim::{Faults, SimConfig, run};

fn failed(v: u64, rate: u64) -> bool {
    v != 0 && rate > 0 && (v * 7919 + 13) % 100 < rate
}

#[test]
fn simulated_flood_matches_the_reference() {
    let sizes = suitable_sizes(5_000).unwrap();
    for (k, &n) in sizes.iter().rev().step_by(97).take(6).enumerate() {
        for rate in [0, 10, 40] {
            let overlay = DeterministicOverlay::new(n).unwrap();
            let ttl = overlay.flood_ttl(40);
            let reference = overlay.flood(0, 0, ttl, |v| failed(v, rate)).unwrap();
            let rounds = u64::from(ttl) + 2;
            let mut config = SimConfig::rounds(k as u64, n as u32, rounds);
            config.workers = 1 + k % 3;
            config.faults = Faults {
                crashes: (0..n)
                    .filter(|v| failed(*v, rate))
                    .map(|v| (NodeId(v as u32), Time::ZERO))
                    .collect(),
                ..Faults::none()
            };
            let o = overlay.clone();
            let report = run(
                &config,
                move |id, _: &mut NodeRng| {
                    let start = (id.0 == 0).then_some(FloodMessage { ttl, payload: 1 });
                    OverlayFlood::new(o.clone(), Time::from_millis(1000), start)
                },
                CountWhere(|f: &OverlayFlood| f.payload() == Some(1)),
                None,
            )
            .unwrap()
            .unwrap();
            for (r, expected) in reference.informed.iter().enumerate() {
                let got = report.samples[r].summary;
                assert_eq!(got.matching, *expected, "n {n}, {rate}% failed, round {r}");
                assert_eq!(got.observed, reference.live);
            }
            let sim_all = report
                .samples
                .iter()
                .position(|s| s.summary.matching == s.summary.observed)
                .map(|r| r as u32);
            assert_eq!(sim_all, reference.all_informed_after, "n {n}, {rate}%");
            if rate == 0 {
                assert_eq!(sim_all, Some(overlay.rounds_to_spread()));
            }
        }
    }
}
