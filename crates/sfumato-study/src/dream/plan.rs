//! A DREAM deployment's public plan: households split into random clusters
//! of N meters, each with its supplier, node ids, the noise scale λ(t) of
//! every slot and the slot schedule (DREAM §5.1, §7.1). The simulator and
//! the network runtime build their nodes from the same plan, so a loopback
//! deployment and a simulation of the same study run the same meters.

use std::sync::Arc;

use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use sfumato_dp::Epsilon;
use sfumato_dp::calibrate::exact_scale;
use sfumato_dp::exact::uniform_below;
use sfumato_dp::rational::parse_rational;
use sfumato_protocol::dream::{
    ClusterPlan, DreamNode, DreamParams, Lambda, Meter, NoiseKind, Supplier,
};
use sfumato_protocol::{NodeId, NodeRng, Time};

use crate::dream::data::Households;
use crate::error::{Result, StudyError};

/// What a run is asked to do.
#[derive(Clone, Debug)]
pub struct Deployment {
    /// N: meters per cluster.
    pub cluster_size: u32,
    /// M: meter failures tolerated per slot.
    pub tolerate: u32,
    /// ε per slot.
    pub epsilon: Epsilon,
    /// Δ in Wh; `None`: λ(t) = max_i X_t^i / ε per cluster (DREAM §7.1).
    pub sensitivity: Option<u64>,
    /// The unit of the readings, in Wh.
    pub unit_wh: u64,
    /// w: expected partners per meter and slot.
    pub partners: f64,
    /// The noise shares.
    pub noise: NoiseKind,
    /// Probability that a meter is offline in a slot (simulator only).
    pub fail_rate: f64,
    /// Seed of the clustering (and, in the simulator, of every node's
    /// stream).
    pub seed: u64,
    /// Simulator worker threads.
    pub workers: usize,
    /// Slots to run.
    pub slots: usize,
}

/// When things happen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timing {
    /// Slot 0's readings (the directory goes out halfway there).
    pub first_slot: Time,
    /// T_p.
    pub slot_length: Time,
    /// The supplier's collection window.
    pub window: Time,
}

impl Timing {
    /// The simulator's schedule for slots of `minutes`: the first slot one
    /// slot in, windows of a quarter slot (at most 30 s).
    pub fn simulated(minutes: u32) -> Timing {
        let slot_length = Time(u64::from(minutes) * 60_000_000);
        Timing {
            first_slot: slot_length,
            slot_length,
            window: Time((slot_length.0 / 4).min(30_000_000)),
        }
    }

    /// A real-time schedule: slots of `slot_ms`, windows of a quarter
    /// slot, and `setup_ms` of set-up before slot 0 (registration, then
    /// from halfway the directory).
    pub fn real(slot_ms: u64, setup_ms: u64) -> Timing {
        let window = Time::from_millis(slot_ms / 4);
        Timing {
            first_slot: Time::from_millis(setup_ms.max(slot_ms / 4)),
            slot_length: Time::from_millis(slot_ms),
            window,
        }
    }
}

/// Random clusters of `n` households (indices), the remainder left out.
pub fn random_clusters(households: usize, n: usize, seed: u64) -> Vec<Vec<usize>> {
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
pub fn lambdas(
    h: &Households,
    members: &[usize],
    epsilon: &Epsilon,
    sensitivity: Option<u64>,
    unit_wh: u64,
    slots: usize,
) -> Result<Vec<Lambda>> {
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

/// The plan of a whole deployment. Cluster `c`'s supplier is node
/// `c·(N+1)`, its meter `k` node `c·(N+1) + 1 + k`.
#[derive(Clone, Debug)]
pub struct DreamPlan {
    /// The households of each cluster.
    pub clusters: Vec<Vec<usize>>,
    /// The parameters every cluster shares.
    pub params: DreamParams,
    /// Each cluster's public plan.
    pub plans: Vec<Arc<ClusterPlan>>,
    /// Each cluster's meters' readings, in units, one per slot.
    pub readings: Vec<Vec<Arc<[u64]>>>,
}

impl DreamPlan {
    /// The plan of `d` on households `h` with schedule `timing`.
    pub fn new(h: &Households, d: &Deployment, timing: Timing) -> Result<DreamPlan> {
        let n = d.cluster_size as usize;
        let clusters = random_clusters(h.totals.len(), n, d.seed);
        if clusters.is_empty() {
            return Err(StudyError::usage(format!(
                "{} households do not fill one cluster of {n}",
                h.totals.len()
            )));
        }
        if d.slots == 0 || d.slots > h.slots() {
            return Err(StudyError::usage(format!(
                "slots must be between 1 and {}",
                h.slots()
            )));
        }
        let params = DreamParams {
            cluster_size: d.cluster_size,
            tolerate: d.tolerate,
            partners: d.partners,
            noise: d.noise,
            first_slot: timing.first_slot,
            slot_length: timing.slot_length,
            window: timing.window,
            slots: d.slots as u32,
        };
        params.validate()?;
        let stride = d.cluster_size + 1;
        u32::try_from(clusters.len() as u64 * u64::from(stride))
            .map_err(|_| StudyError::usage("too many meters for one deployment"))?;
        let mut plans = Vec::with_capacity(clusters.len());
        let mut readings = Vec::with_capacity(clusters.len());
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
        Ok(DreamPlan {
            clusters,
            params,
            plans,
            readings,
        })
    }

    /// N + 1: node ids per cluster.
    pub fn stride(&self) -> u32 {
        self.params.cluster_size + 1
    }

    /// All nodes: suppliers and meters.
    pub fn nodes(&self) -> u32 {
        self.clusters.len() as u32 * self.stride()
    }

    /// Cluster `c`'s supplier.
    pub fn supplier(&self, c: usize) -> NodeId {
        NodeId(c as u32 * self.stride())
    }

    /// The cluster of node `id`, and its meter index (`None`: the
    /// supplier). `None` for an id outside the deployment.
    pub fn locate(&self, id: NodeId) -> Option<(usize, Option<u32>)> {
        let c = (id.0 / self.stride()) as usize;
        if c >= self.clusters.len() {
            return None;
        }
        let k = id.0 % self.stride();
        Some((c, k.checked_sub(1)))
    }

    /// Node `id` as the simulator builds it, its keys drawn from `rng`.
    pub fn make_node(&self, id: NodeId, rng: &mut NodeRng) -> Result<DreamNode> {
        match self.locate(id) {
            Some((c, None)) => Ok(DreamNode::Supplier(Box::new(Supplier::new(
                self.plans[c].clone(),
                rng,
            )))),
            Some((c, Some(k))) => Ok(DreamNode::Meter(Box::new(Meter::new(
                self.plans[c].clone(),
                k,
                self.readings[c][k as usize].clone(),
                rng,
            )))),
            None => Err(StudyError::usage(format!(
                "node {} is not in the deployment",
                id.0
            ))),
        }
    }

    /// Node `id` from its durable state ([`DreamNode::snapshot`]).
    pub fn restore_node(&self, id: NodeId, state: &[u8]) -> Result<DreamNode> {
        match self.locate(id) {
            Some((c, None)) => Ok(DreamNode::Supplier(Box::new(Supplier::restore(
                self.plans[c].clone(),
                state,
            )?))),
            Some((c, Some(k))) => Ok(DreamNode::Meter(Box::new(Meter::restore(
                self.plans[c].clone(),
                k,
                self.readings[c][k as usize].clone(),
                state,
            )?))),
            None => Err(StudyError::usage(format!(
                "node {} is not in the deployment",
                id.0
            ))),
        }
    }
}
