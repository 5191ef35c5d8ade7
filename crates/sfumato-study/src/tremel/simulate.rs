//! A Tremel deployment in the simulator: the owner's queries over the
//! meters' records, with Tremel §7.3's links (2 ms + N(4 ms, σ)) and
//! crashes at chosen nodes and times.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use sfumato_protocol::tremel::{
    ClientStats, OnionSuite, QueryAnswer, TremelEvent, TremelNode, Variant,
};
use sfumato_protocol::{NodeId, Time};
use sfumato_sim::byzantine::Participant;
use sfumato_sim::{CostModel, Faults, LatencyModel, Mode, NodeStats, Probe, RunInfo, SimConfig};

use crate::error::{Result, StudyError};
use crate::tremel::adversary::{Attack, TremelAdversary};
use crate::tremel::plan::{Crypto, Meter, TremelPlan};

/// How to simulate.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SimOptions {
    /// Worker threads.
    pub workers: usize,
    /// Crashes: node and time (a crashed node neither sends nor receives).
    pub crashes: Vec<(NodeId, Time)>,
    /// Nodes failed before the run (Tremel §7.3: "a fixed set of meters to
    /// fail at the beginning").
    pub failed_at_start: Vec<NodeId>,
    /// The normal part's standard deviation of the link latency.
    pub latency_sd: Time,
    /// Simulated CPU costs of the accounted work (sealing and peeling
    /// layers).
    pub costs: CostModel,
    /// The clock's resolution.
    pub tick: Time,
    /// Byzantine nodes and what they do (the Byzantine variant, §6.3).
    pub byzantine: Vec<(NodeId, Attack)>,
}

impl Default for SimOptions {
    fn default() -> Self {
        SimOptions {
            workers: 1,
            crashes: Vec::new(),
            failed_at_start: Vec::new(),
            // 2 ms + N(4 ms, 4/3 ms) stays within Tremel's 2–10 ms but for
            // one message in 10⁴.
            latency_sd: Time::from_micros(1333),
            costs: CostModel::free(),
            tick: Time::from_micros(100),
            byzantine: Vec::new(),
        }
    }
}

/// What the clients sent, for Fig. 7, and what they did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientTraffic {
    /// Clients observed.
    pub clients: u64,
    /// Messages they sent (meta-messages, partials).
    pub messages: u64,
    /// Bytes they sent.
    pub bytes: u64,
    /// The most bytes one client sent.
    pub max_bytes: u64,
    /// Simulated CPU microseconds charged.
    pub cpu_micros: u64,
    /// Their protocol counters, summed.
    #[serde(flatten)]
    pub stats: ClientStats,
}

impl ClientTraffic {
    /// Mean bytes per client.
    pub fn mean_bytes(&self) -> f64 {
        self.bytes as f64 / self.clients.max(1) as f64
    }
}

#[derive(Clone, Copy)]
struct TrafficProbe;

type Wrapped<S> = Participant<TremelNode<S>, TremelAdversary<S>>;

impl<S: OnionSuite> Probe<Wrapped<S>> for TrafficProbe {
    type Summary = ClientTraffic;

    fn empty(&self) -> ClientTraffic {
        ClientTraffic::default()
    }

    fn observe(&self, _: NodeId, _: &Wrapped<S>, _: Time, _: &mut ClientTraffic) {}

    fn observe_with_stats(
        &self,
        _: NodeId,
        node: &Wrapped<S>,
        stats: &NodeStats,
        _: Time,
        into: &mut ClientTraffic,
    ) {
        if node.is_byzantine() {
            return;
        }
        let Some(c) = node.node().as_client() else {
            return;
        };
        into.clients += 1;
        into.messages += stats.sent;
        into.bytes += stats.bytes_sent;
        into.max_bytes = into.max_bytes.max(stats.bytes_sent);
        into.cpu_micros += stats.cpu_micros;
        into.stats.add(&c.stats());
    }

    fn merge(&self, into: &mut ClientTraffic, o: &ClientTraffic) {
        into.clients += o.clients;
        into.messages += o.messages;
        into.bytes += o.bytes;
        into.max_bytes = into.max_bytes.max(o.max_bytes);
        into.cpu_micros += o.cpu_micros;
        into.stats.add(&o.stats);
    }
}

/// What a simulated deployment produced.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SimOutcome {
    /// The owner's answers, by query number.
    pub answers: Vec<QueryAnswer>,
    /// What the honest clients sent (at the end; live clients only).
    pub traffic: ClientTraffic,
    /// The cryptography that ran.
    pub crypto: Crypto,
    /// Execution facts.
    pub run: RunInfo,
}

/// Runs `plan`'s queries in the simulator.
pub fn simulate(plan: &TremelPlan, options: &SimOptions) -> Result<SimOutcome> {
    let until = plan
        .queries
        .iter()
        .map(|q| q.at)
        .max()
        .unwrap_or(Time::ZERO)
        .plus(plan.query_span())
        .plus(Time::from_millis(100));
    let mut crashes = options.crashes.clone();
    for id in &options.failed_at_start {
        crashes.push((*id, Time::ZERO));
    }
    for (id, _) in &crashes {
        if *id == plan.owner() {
            return Err(StudyError::usage("the owner does not crash (Tremel §2)"));
        }
    }
    for (id, _) in &options.byzantine {
        if id.0 >= plan.params.n as u32 {
            return Err(StudyError::usage(format!(
                "Byzantine node {id} is not a client (0 to {})",
                plan.params.n - 1
            )));
        }
    }
    if !options.byzantine.is_empty() && plan.params.variant != Variant::Byzantine {
        return Err(StudyError::usage(
            "Byzantine nodes need the bft variant (--variant bft)",
        ));
    }
    let attack_of = {
        let byz = options.byzantine.clone();
        move |id: NodeId| byz.iter().find(|(b, _)| *b == id).map(|(_, a)| *a)
    };
    let n = plan.params.n as u32;
    let config = SimConfig {
        seed: plan.deployment.seed,
        nodes: plan.nodes(),
        workers: options.workers,
        mode: Mode::VirtualTime {
            tick: options.tick,
            until,
            latency: LatencyModel::tremel(options.latency_sd),
            sample_every: until,
        },
        faults: Faults {
            crashes,
            ..Faults::none()
        },
        costs: options.costs.clone(),
        cluster: None,
    };
    let shared = Arc::new(plan.clone());
    let (answers, traffic, run) = match plan.deployment.crypto {
        Crypto::InsecurePlaintext => {
            let make = move |id: NodeId, _: &mut sfumato_protocol::NodeRng| {
                let attack = attack_of(id);
                let node = shared.plaintext_node_as(id, meter_of(attack));
                participant(node, attack, || shared.plaintext_suite(id), n)
            };
            collect::<sfumato_protocol::tremel::InsecurePlaintextOnions>(sfumato_sim::run(
                &config,
                make,
                TrafficProbe,
                None,
            )?)?
        }
        Crypto::Real => {
            let make = move |id: NodeId, _: &mut sfumato_protocol::NodeRng| {
                let attack = attack_of(id);
                let node = shared.real_node_as(id, meter_of(attack));
                participant(node, attack, || shared.real_suite(id), n)
            };
            collect::<sfumato_protocol::tremel::RealOnions>(sfumato_sim::run(
                &config,
                make,
                TrafficProbe,
                None,
            )?)?
        }
    };
    Ok(SimOutcome {
        answers,
        traffic,
        crypto: plan.deployment.crypto,
        run,
    })
}

/// `node`, honest or under `attack` (with its own keys from `suite`).
fn participant<S: OnionSuite>(
    node: TremelNode<S>,
    attack: Option<Attack>,
    suite: impl FnOnce() -> S,
    n: u32,
) -> Wrapped<S> {
    match attack {
        Some(attack) => Participant::Byzantine {
            node,
            adversary: TremelAdversary {
                attack,
                suite: suite(),
                n,
            },
        },
        None => Participant::Honest(node),
    }
}

/// The meter behaviour an attack implies.
fn meter_of(attack: Option<Attack>) -> Meter {
    match attack {
        Some(Attack::ExtremeValues) => Meter::Extreme,
        Some(Attack::Selective) => Meter::Selective,
        _ => Meter::Honest,
    }
}

type Collected = (Vec<QueryAnswer>, ClientTraffic, RunInfo);

fn collect<S: OnionSuite>(
    report: Option<sfumato_sim::ReportOf<Wrapped<S>, TrafficProbe>>,
) -> Result<Collected> {
    let report = report.ok_or_else(|| StudyError::usage("the simulation produced no report"))?;
    let mut answers: Vec<QueryAnswer> = report
        .events
        .iter()
        .map(|e| {
            let TremelEvent::Answered(a) = &e.event;
            a.clone()
        })
        .collect();
    answers.sort_by_key(|a| a.number);
    let traffic = report.samples.last().map(|s| s.summary).unwrap_or_default();
    Ok((answers, traffic, report.run))
}
