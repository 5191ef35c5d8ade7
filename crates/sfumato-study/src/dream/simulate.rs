//! A DREAM deployment in the simulator: the plan's clusters run for a day
//! of slots, with meters offline at random.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use sfumato_protocol::dream::{DreamEvent, DreamNode, SlotOutcome};
use sfumato_protocol::{NodeId, NodeRng, Time};
use sfumato_sim::{Faults, LatencyModel, Mode, NodeStats, Probe, RunInfo, SimConfig};

use crate::dream::data::Households;
use crate::dream::plan::{Deployment, DreamPlan, Timing};
use crate::error::{Result, StudyError};

/// Messages and bytes per meter and per supplier.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RoleTraffic {
    /// The meters'.
    pub meters: Traffic,
    /// The suppliers'.
    pub suppliers: Traffic,
}

/// Messages and bytes of one role.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Traffic {
    /// Nodes of the role.
    pub nodes: u64,
    /// Messages they sent.
    pub messages: u64,
    /// Bytes they sent (encoded messages).
    pub bytes: u64,
    /// The most messages one node sent.
    pub max_messages: u64,
    /// The most bytes one node sent.
    pub max_bytes: u64,
}

impl Traffic {
    /// Adds one node's sending.
    pub fn add_node(&mut self, messages: u64, bytes: u64) {
        self.nodes += 1;
        self.messages += messages;
        self.bytes += bytes;
        self.max_messages = self.max_messages.max(messages);
        self.max_bytes = self.max_bytes.max(bytes);
    }

    fn add(&mut self, s: &NodeStats) {
        self.nodes += 1;
        self.messages += s.sent;
        self.bytes += s.bytes_sent;
        self.max_messages = self.max_messages.max(s.sent);
        self.max_bytes = self.max_bytes.max(s.bytes_sent);
    }

    fn merge(&mut self, o: &Traffic) {
        self.nodes += o.nodes;
        self.messages += o.messages;
        self.bytes += o.bytes;
        self.max_messages = self.max_messages.max(o.max_messages);
        self.max_bytes = self.max_bytes.max(o.max_bytes);
    }

    /// Mean messages per node.
    pub fn mean_messages(&self) -> f64 {
        self.messages as f64 / self.nodes.max(1) as f64
    }

    /// Mean bytes per node.
    pub fn mean_bytes(&self) -> f64 {
        self.bytes as f64 / self.nodes.max(1) as f64
    }
}

#[derive(Clone, Copy)]
struct TrafficProbe;

impl Probe<DreamNode> for TrafficProbe {
    type Summary = RoleTraffic;

    fn empty(&self) -> RoleTraffic {
        RoleTraffic::default()
    }

    fn observe(&self, _: NodeId, _: &DreamNode, _: Time, _: &mut RoleTraffic) {}

    fn observe_with_stats(
        &self,
        _: NodeId,
        node: &DreamNode,
        stats: &NodeStats,
        _: Time,
        into: &mut RoleTraffic,
    ) {
        match node {
            DreamNode::Meter(_) => into.meters.add(stats),
            DreamNode::Supplier(_) => into.suppliers.add(stats),
        }
    }

    fn merge(&self, into: &mut RoleTraffic, other: &RoleTraffic) {
        into.meters.merge(&other.meters);
        into.suppliers.merge(&other.suppliers);
    }
}

/// What a deployment produced.
pub struct Outcome {
    /// The households of each cluster.
    pub clusters: Vec<Vec<usize>>,
    /// Per cluster, its slots' outcomes in slot order.
    pub slots: Vec<Vec<SlotOutcome>>,
    /// Messages and bytes per role.
    pub traffic: RoleTraffic,
    /// Execution facts.
    pub run: RunInfo,
}

impl Outcome {
    /// Each cluster's own error |published − its true total| / (true + 1)
    /// (DREAM Def. 2, Table 1's quantity), averaged over the published
    /// cluster-slots; with the published and all cluster-slots.
    pub fn cluster_error(&self, h: &Households) -> (f64, usize, usize) {
        let (mut sum, mut published, mut total) = (0.0, 0usize, 0usize);
        for (members, outcomes) in self.clusters.iter().zip(&self.slots) {
            for s in outcomes {
                total += 1;
                if let Some(v) = s.published {
                    let truth = h.cluster_total(members, s.slot as usize);
                    sum += (v - truth).abs() as f64 / (truth as f64 + 1.0);
                    published += 1;
                }
            }
        }
        (sum / published.max(1) as f64, published, total)
    }
}

/// Runs `d` on `h` in the simulator.
pub fn deploy(h: &Households, d: &Deployment) -> Result<Outcome> {
    let plan = DreamPlan::new(h, d, Timing::simulated(h.resolution.minutes()))?;
    let params = plan.params;
    let stride = plan.stride();
    let config = SimConfig {
        seed: d.seed,
        nodes: plan.nodes(),
        workers: d.workers,
        mode: Mode::VirtualTime {
            tick: Time::from_millis(10),
            until: params.end(),
            latency: LatencyModel::tremel(Time::from_millis(1)),
            sample_every: params.end(),
        },
        faults: Faults {
            offline: d.fail_rate,
            offline_period: params.slot_length,
            offline_from: params.slot_length,
            spared: (0..plan.clusters.len()).map(|c| plan.supplier(c)).collect(),
            ..Faults::none()
        },
        costs: sfumato_sim::CostModel::free(),
        cluster: None,
    };
    let clusters = plan.clusters.clone();
    let shared = Arc::new(plan);
    let make = move |id: NodeId, rng: &mut NodeRng| match shared.make_node(id, rng) {
        Ok(node) => node,
        // Every id below plan.nodes() is a node of the plan.
        Err(_) => unreachable!("the simulator builds only the plan's nodes"),
    };
    let report = sfumato_sim::run(&config, make, TrafficProbe, None)?
        .ok_or_else(|| StudyError::usage("the simulation produced no report"))?;
    let mut slots: Vec<BTreeMap<u32, SlotOutcome>> = vec![BTreeMap::new(); clusters.len()];
    for e in &report.events {
        let DreamEvent::Slot(o) = e.event;
        slots[(e.node.0 / stride) as usize].insert(o.slot, o);
    }
    Ok(Outcome {
        clusters,
        slots: slots
            .into_iter()
            .map(|m| m.into_values().collect())
            .collect(),
        traffic: report.samples.last().map(|s| s.summary).unwrap_or_default(),
        run: report.run,
    })
}
