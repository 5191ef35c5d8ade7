//! A DREAM deployment in the simulator: households split into random
//! clusters of N meters, each with its supplier, run for a day of slots.

use std::collections::BTreeMap;
use std::sync::Arc;

use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use serde::{Deserialize, Serialize};
use sfumato_dp::Epsilon;
use sfumato_dp::calibrate::exact_scale;
use sfumato_dp::exact::uniform_below;
use sfumato_dp::rational::parse_rational;
use sfumato_protocol::dream::{
    ClusterPlan, DreamEvent, DreamNode, DreamParams, Lambda, Meter, NoiseKind, SlotOutcome,
    Supplier,
};
use sfumato_protocol::{NodeId, NodeRng, Time};
use sfumato_sim::{Faults, LatencyModel, Mode, NodeStats, Probe, RunInfo, SimConfig};

use crate::commands::dream_data::Households;
use crate::error::CliError;

/// What a run is asked to do.
pub(crate) struct Deployment {
    pub(crate) cluster_size: u32,
    pub(crate) tolerate: u32,
    pub(crate) epsilon: Epsilon,
    /// Δ in Wh; `None`: λ(t) = max_i X_t^i / ε per cluster (DREAM §7.1).
    pub(crate) sensitivity: Option<u64>,
    /// The unit of the readings, in Wh.
    pub(crate) unit_wh: u64,
    pub(crate) partners: f64,
    pub(crate) noise: NoiseKind,
    pub(crate) fail_rate: f64,
    pub(crate) seed: u64,
    pub(crate) workers: usize,
    pub(crate) slots: usize,
}

/// Random clusters of `n` households (indices), the remainder left out.
pub(crate) fn random_clusters(households: usize, n: usize, seed: u64) -> Vec<Vec<usize>> {
    let mut idx: Vec<usize> = (0..households).collect();
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    for i in (1..idx.len()).rev() {
        let j = uniform_below(&mut rng, i as u64 + 1) as usize;
        idx.swap(i, j);
    }
    idx.chunks_exact(n.max(1)).map(<[usize]>::to_vec).collect()
}

/// λ(t) of a cluster, in units of `unit_wh` Wh: Δ/ε (Δ given in Wh), or
/// max_i X_t^i / ε.
pub(crate) fn lambdas(
    h: &Households,
    members: &[usize],
    epsilon: &Epsilon,
    sensitivity: Option<u64>,
    unit_wh: u64,
    slots: usize,
) -> Result<Vec<Lambda>, CliError> {
    (0..slots)
        .map(|t| {
            let d = match sensitivity {
                Some(d) => format!("{d}/{}", unit_wh.max(1)),
                None => members
                    .iter()
                    .map(|i| h.totals[*i][t])
                    .max()
                    .unwrap_or(0)
                    .max(1)
                    .to_string(),
            };
            Ok(Lambda::from_exact(exact_scale(
                &parse_rational(&d)?,
                epsilon,
            )?))
        })
        .collect()
}

/// Messages and bytes per meter and per supplier.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct RoleTraffic {
    pub(crate) meters: Traffic,
    pub(crate) suppliers: Traffic,
}

/// Messages and bytes of one role.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct Traffic {
    pub(crate) nodes: u64,
    pub(crate) messages: u64,
    pub(crate) bytes: u64,
    pub(crate) max_messages: u64,
    pub(crate) max_bytes: u64,
}

impl Traffic {
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
    pub(crate) fn mean_messages(&self) -> f64 {
        self.messages as f64 / self.nodes.max(1) as f64
    }

    /// Mean bytes per node.
    pub(crate) fn mean_bytes(&self) -> f64 {
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
pub(crate) struct Outcome {
    /// The households of each cluster.
    pub(crate) clusters: Vec<Vec<usize>>,
    /// Per cluster, its slots' outcomes in slot order.
    pub(crate) slots: Vec<Vec<SlotOutcome>>,
    pub(crate) traffic: RoleTraffic,
    pub(crate) run: RunInfo,
}

impl Outcome {
    /// Each cluster's own error |published − its true total| / (true + 1)
    /// (DREAM Def. 2, Table 1's quantity), averaged over the published
    /// cluster-slots; with the published and all cluster-slots.
    pub(crate) fn cluster_error(&self, h: &Households) -> (f64, usize, usize) {
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
pub(crate) fn deploy(h: &Households, d: &Deployment) -> Result<Outcome, CliError> {
    let n = d.cluster_size as usize;
    let clusters = random_clusters(h.totals.len(), n, d.seed);
    if clusters.is_empty() {
        return Err(CliError::usage(format!(
            "{} households do not fill one cluster of {n}",
            h.totals.len()
        )));
    }
    let slot_length = Time(u64::from(h.resolution.minutes()) * 60_000_000);
    let window = Time((slot_length.0 / 4).min(30_000_000));
    let params = DreamParams {
        cluster_size: d.cluster_size,
        tolerate: d.tolerate,
        partners: d.partners,
        noise: d.noise,
        first_slot: slot_length,
        slot_length,
        window,
        slots: d.slots as u32,
    };
    params.validate()?;
    let stride = d.cluster_size + 1;
    let mut plans = Vec::with_capacity(clusters.len());
    let mut readings: Vec<Vec<Arc<[u64]>>> = Vec::with_capacity(clusters.len());
    for (c, members) in clusters.iter().enumerate() {
        let base = c as u32 * stride;
        plans.push(Arc::new(ClusterPlan {
            params,
            supplier: NodeId(base),
            meters: (1..=d.cluster_size).map(|k| NodeId(base + k)).collect(),
            lambdas: lambdas(h, members, &d.epsilon, d.sensitivity, d.unit_wh, d.slots)?.into(),
        }));
        readings.push(
            members
                .iter()
                .map(|i| Arc::from(&h.totals[*i][..d.slots]))
                .collect(),
        );
    }
    let nodes = u32::try_from(clusters.len() as u64 * u64::from(stride))
        .map_err(|_| CliError::usage("too many meters for one simulation"))?;
    let config = SimConfig {
        seed: d.seed,
        nodes,
        workers: d.workers,
        mode: Mode::VirtualTime {
            tick: Time::from_millis(10),
            until: params.end(),
            latency: LatencyModel::tremel(Time::from_millis(1)),
            sample_every: params.end(),
        },
        faults: Faults {
            offline: d.fail_rate,
            offline_period: slot_length,
            offline_from: slot_length,
            spared: (0..clusters.len() as u32)
                .map(|c| NodeId(c * stride))
                .collect(),
            ..Faults::none()
        },
        costs: sfumato_sim::CostModel::free(),
        cluster: None,
    };
    let shared = Arc::new((plans, readings));
    let make = move |id: NodeId, rng: &mut NodeRng| {
        let (plans, readings) = &*shared;
        let c = (id.0 / stride) as usize;
        let k = id.0 % stride;
        if k == 0 {
            DreamNode::Supplier(Box::new(Supplier::new(plans[c].clone(), rng)))
        } else {
            DreamNode::Meter(Box::new(Meter::new(
                plans[c].clone(),
                k - 1,
                readings[c][k as usize - 1].clone(),
                rng,
            )))
        }
    };
    let report = sfumato_sim::run(&config, make, TrafficProbe, None)?
        .ok_or_else(|| CliError::usage("the simulation produced no report"))?;
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
