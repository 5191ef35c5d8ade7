//! A run's outcome depends on its seed only: not on the number of workers,
//! in either mode, with every fault model on; plus the Byzantine hook and
//! the CPU-cost model.

use sfumato_protocol::gossip::{
    Candidate, Dissemination, GossipConfig, Mass, MinIdEpidemic, PeerSampling, PushPull, PushSum,
};
use sfumato_protocol::{NodeId, NodeRng, Time};
use sfumato_sim::byzantine::{Participant, Silent};
use sfumato_sim::probes::{CountWhere, EstimateError};
use sfumato_sim::{CostModel, Faults, LatencyModel, Mode, SimConfig, run};

fn faults(nodes: u32) -> Faults {
    Faults {
        crashes: vec![(NodeId(nodes / 2), Time::from_millis(30))],
        crash_probability: 0.01,
        crash_period: Time::from_millis(10),
        failed_at_start: 0.02,
        spared: vec![NodeId(0)],
        churn: 0.1,
        loss: 0.02,
        offline: 0.05,
        offline_period: Time::from_millis(50),
        offline_from: Time::from_millis(20),
    }
}

#[test]
fn virtual_time_with_every_fault_is_independent_of_workers() {
    let n = 1_500;
    let cfg = GossipConfig::new(
        n,
        PeerSampling::Newscast { view_size: 20 },
        Time::from_millis(10),
        30,
    )
    .unwrap();
    let make = move |id: NodeId, rng: &mut NodeRng| {
        PushPull::new(
            id,
            Mass {
                s: f64::from(id.0 % 7),
                w: 1.0,
            },
            &cfg,
            rng,
        )
    };
    let probe = EstimateError::new(3.0, PushPull::estimate as fn(&PushPull) -> Option<f64>);
    let mut config = SimConfig::rounds(99, n, 1);
    config.mode = Mode::VirtualTime {
        tick: Time::from_micros(500),
        until: Time::from_millis(400),
        latency: LatencyModel::tremel(Time::from_millis(3)),
        sample_every: Time::from_millis(20),
    };
    config.faults = faults(n);
    config.costs = CostModel::free().with("unused", Time::from_millis(1));
    let mut reports = Vec::new();
    for workers in [1, 2, 8] {
        config.workers = workers;
        reports.push(run(&config, make, probe, None).unwrap().unwrap());
    }
    let m = &reports[0].metrics;
    assert!(m.lost > 0 && m.undeliverable > 0 && m.crashed > 0 && m.failed_at_start > 0);
    assert!(m.dropped_at_crashed > 0 && m.dropped_offline > 0);
    for r in &reports[1..] {
        assert!(r.same_outcome(&reports[0]));
    }
}

#[test]
fn round_mode_broadcast_with_failures_is_independent_of_workers() {
    let n = 5_000;
    let cfg = GossipConfig::new(n, PeerSampling::Uniform, Time::from_millis(1000), 40).unwrap();
    let make = move |id: NodeId, rng: &mut NodeRng| {
        let proposal = (id.0 % 1000 == 7).then_some(Candidate {
            id: u64::from(id.0),
            value: id.0,
        });
        MinIdEpidemic::new(id, proposal, Dissemination::PushPull, &cfg, rng)
    };
    // Every live node ends with the smallest proposal, 7.
    let probe = CountWhere(|n: &MinIdEpidemic<u32>| n.current().is_some_and(|c| c.id == 7));
    let mut config = SimConfig::rounds(4, n, 40);
    config.faults = Faults {
        failed_at_start: 0.3,
        spared: vec![NodeId(7)],
        ..Faults::none()
    };
    let mut reports = Vec::new();
    for workers in [1, 2, 8] {
        config.workers = workers;
        reports.push(run(&config, make, probe, None).unwrap().unwrap());
    }
    let last = reports[0].samples.last().unwrap().summary;
    assert_eq!(
        last.matching, last.observed,
        "the smallest identifier won everywhere"
    );
    assert!(last.observed < 3_700 && last.observed > 3_300);
    for r in &reports[1..] {
        assert!(r.same_outcome(&reports[0]));
    }
}

#[test]
fn silent_byzantine_nodes_send_nothing_and_honest_ones_still_converge() {
    let n = 2_000;
    let cfg = GossipConfig::new(n, PeerSampling::Uniform, Time::from_millis(1000), 40).unwrap();
    let make = move |id: NodeId, rng: &mut NodeRng| {
        let node = PushSum::new(id, Mass { s: 1.0, w: 1.0 }, &cfg, rng);
        if id.0.is_multiple_of(10) {
            Participant::Byzantine {
                node,
                adversary: Silent,
            }
        } else {
            Participant::Honest(node)
        }
    };
    let probe = CountWhere(|p: &Participant<PushSum, Silent>| p.is_byzantine());
    let config = SimConfig::rounds(8, n, 40);
    let r = run(&config, make, probe, None).unwrap().unwrap();
    assert_eq!(r.samples[0].summary.matching, 200);
    // Byzantine nodes keep their halves (they never send), so they are the
    // only ones that send nothing.
    assert_eq!(r.metrics.messages_sent.min, 0);
    assert_eq!(r.metrics.messages_sent.total, 1_800 * 40);
}

#[test]
fn cpu_costs_delay_nodes_in_virtual_time_and_are_accounted_in_rounds() {
    use sfumato_protocol::{Node, NodeContext};
    #[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
    struct Byte(u8);
    impl sfumato_protocol::Message for Byte {}
    /// Node 0 pings node 1 after charging 5 ms of work; node 1 reports.
    #[derive(Clone)]
    struct Ping;
    impl Node for Ping {
        type Message = Byte;
        type Timer = ();
        type Event = u64;
        fn start(&mut self, ctx: &mut NodeContext<'_, Self>) {
            if ctx.id() == NodeId(0) {
                ctx.work("encrypt", 5);
                ctx.work("mystery", 1);
                ctx.send(NodeId(1), Byte(1));
            }
        }
        fn handle_message(
            &mut self,
            now: Time,
            _: NodeId,
            _: Byte,
            ctx: &mut NodeContext<'_, Self>,
        ) {
            ctx.report(now.as_micros());
        }
        fn handle_timer(&mut self, _: Time, _: (), _: &mut NodeContext<'_, Self>) {}
    }
    let mut config = SimConfig::rounds(1, 2, 1);
    config.mode = Mode::VirtualTime {
        tick: Time::from_micros(100),
        until: Time::from_millis(50),
        latency: LatencyModel::Fixed(Time::from_millis(2)),
        sample_every: Time::from_millis(50),
    };
    config.costs = CostModel::free().with("encrypt", Time::from_millis(1));
    let r = run(
        &config,
        |_, _: &mut NodeRng| Ping,
        sfumato_sim::NoProbe,
        None,
    )
    .unwrap()
    .unwrap();
    // 5 × 1 ms of work, then 2 ms on the wire.
    assert_eq!(r.events.len(), 1);
    assert_eq!(r.events[0].event, 7_000);
    assert_eq!(r.metrics.uncosted_operations, 1);
    assert_eq!(r.metrics.cpu_micros.max, 5_000);
    assert_eq!(r.metrics.bytes_sent.total, 1);
}

/// Messages that reach a busy node wait in its backlog and are handled
/// each once, as it frees up, in delivery order (sender, then the sender's
/// sequence number), whatever the number of workers.
#[test]
fn a_busy_node_handles_its_backlog_in_order_one_message_at_a_time() {
    use sfumato_protocol::{Node, NodeContext};
    #[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
    struct Seq(u32);
    impl sfumato_protocol::Message for Seq {}
    /// Nodes 1–3 each send five messages to node 0 at start; node 0 works
    /// 1 ms on each and reports (sender, number, when).
    #[derive(Clone)]
    struct Burst;
    impl Node for Burst {
        type Message = Seq;
        type Timer = ();
        type Event = (u32, u32, u64);
        fn start(&mut self, ctx: &mut NodeContext<'_, Self>) {
            if ctx.id() != NodeId(0) {
                for i in 0..5 {
                    ctx.send(NodeId(0), Seq(i));
                }
            }
        }
        fn handle_message(
            &mut self,
            now: Time,
            from: NodeId,
            m: Seq,
            ctx: &mut NodeContext<'_, Self>,
        ) {
            ctx.work("encrypt", 1);
            ctx.report((from.0, m.0, now.as_micros()));
        }
        fn handle_timer(&mut self, _: Time, _: (), _: &mut NodeContext<'_, Self>) {}
    }
    // The run, with `workers` workers, until `until_ms`.
    let burst = |workers: usize, until_ms: u64| {
        let mut config = SimConfig::rounds(1, 4, 1);
        config.workers = workers;
        config.mode = Mode::VirtualTime {
            tick: Time::from_micros(100),
            until: Time::from_millis(until_ms),
            latency: LatencyModel::Fixed(Time::from_millis(2)),
            sample_every: Time::from_millis(until_ms),
        };
        config.costs = CostModel::free().with("encrypt", Time::from_millis(1));
        run(
            &config,
            |_, _: &mut NodeRng| Burst,
            sfumato_sim::NoProbe,
            None,
        )
        .unwrap()
        .unwrap()
    };
    for workers in [1, 2] {
        let r = burst(workers, 30);
        let got: Vec<(u32, u32, u64)> = r.events.iter().map(|e| e.event).collect();
        let want: Vec<(u32, u32, u64)> = (0..15u32)
            .map(|k| (1 + k / 5, k % 5, 2_000 + 1_000 * u64::from(k)))
            .collect();
        assert_eq!(got, want, "{workers} worker(s)");
        assert_eq!(r.metrics.in_flight_at_end, 0);
    }
    // A backlog past the end of the run counts as in flight.
    let r = burst(1, 8);
    assert_eq!(r.events.len() as u64 + r.metrics.in_flight_at_end, 15);
    assert!(r.metrics.in_flight_at_end > 0);
}
