//! DREAM's parameters and a cluster's public plan (DREAM §5.1, §6, §7.1).

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use sfumato_dp::ExactScale;

use crate::dream::noise::NoiseKind;
use crate::error::{ProtocolError, Result};
use crate::node::{NodeId, Time};

/// The noise scale λ(t) of one slot, in reading units (e.g. Wh): exact for
/// discrete shares, and as a float for the paper's gamma shares.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Lambda {
    /// λ as an exact rational.
    pub exact: ExactScale,
    /// λ as a float.
    pub value: f64,
}

impl Lambda {
    /// λ = `num / den` units.
    pub fn new(num: u64, den: u64) -> Result<Lambda> {
        let exact = ExactScale::new(num, den)
            .map_err(|e| ProtocolError::invalid("lambda", e.to_string()))?;
        Ok(Lambda::from_exact(exact))
    }

    /// λ as an exact scale.
    pub fn from_exact(exact: ExactScale) -> Lambda {
        Lambda {
            exact,
            value: exact.numerator() as f64 / exact.denominator() as f64,
        }
    }
}

/// What every meter and the supplier of a cluster agree on.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct DreamParams {
    /// N: meters in the cluster.
    pub cluster_size: u32,
    /// M: meter failures tolerated per slot (§6); 0 is the one-round
    /// protocol of §5.
    pub tolerate: u32,
    /// w: expected number of partners a meter exchanges dummy keys with
    /// per slot (§5.2 step 1).
    pub partners: f64,
    /// The noise shares.
    pub noise: NoiseKind,
    /// The time of slot 0's readings (set-up happens before).
    pub first_slot: Time,
    /// T_p: the time between two slots.
    pub slot_length: Time,
    /// How long the supplier waits for readings, and then for
    /// second-round answers.
    pub window: Time,
    /// Slots to run.
    pub slots: u32,
}

impl DreamParams {
    /// Checks the parameters.
    pub fn validate(&self) -> Result<()> {
        if self.cluster_size < 2 {
            return Err(ProtocolError::invalid("cluster size", "must be at least 2"));
        }
        if self.tolerate >= self.cluster_size {
            return Err(ProtocolError::invalid(
                "tolerate",
                format!(
                    "M = {} must be below the cluster size N = {}: at least one meter must add noise",
                    self.tolerate, self.cluster_size
                ),
            ));
        }
        if !(self.partners > 0.0 && self.partners.is_finite()) {
            return Err(ProtocolError::invalid("partners", "w must be positive"));
        }
        if self.slot_length.0 == 0 || self.window.0 == 0 {
            return Err(ProtocolError::invalid(
                "slot length",
                "slot length and window must be positive",
            ));
        }
        if self.window.0.saturating_mul(2) >= self.slot_length.0 {
            return Err(ProtocolError::invalid(
                "window",
                "two collection windows must fit in a slot",
            ));
        }
        if self.first_slot.0 < self.window.0 {
            return Err(ProtocolError::invalid(
                "first slot",
                "leave one window for the set-up",
            ));
        }
        Ok(())
    }

    /// `w / (N − 1)`, capped at 1: the probability that two meters
    /// exchange dummy keys in a slot.
    pub fn selection_probability(&self) -> f64 {
        (self.partners / f64::from(self.cluster_size - 1)).min(1.0)
    }

    /// Whether the two-round variant of §6 runs.
    pub fn robust(&self) -> bool {
        self.tolerate > 0
    }

    /// N − M: the parties the noise is calibrated for (§6).
    pub fn noise_parties(&self) -> u64 {
        u64::from(self.cluster_size - self.tolerate)
    }

    /// When the supplier closes registration and sends the directory:
    /// halfway to slot 0. DREAM §5.1's set-up happens at installation,
    /// long before any slot; the second half of the lead is for the
    /// directory to reach every meter and for their key agreements.
    pub fn directory_time(&self) -> Time {
        Time(self.first_slot.0 / 2)
    }

    /// When slot `t`'s readings are taken.
    pub fn slot_time(&self, t: u32) -> Time {
        self.first_slot
            .plus(Time(self.slot_length.0.saturating_mul(u64::from(t))))
    }

    /// The simulated time by which every slot is settled.
    pub fn end(&self) -> Time {
        self.slot_time(self.slots).plus(self.window)
    }
}

/// One cluster as its members know it: the parameters, who is who, and the
/// public noise scale of every slot.
#[derive(Clone, Debug)]
pub struct ClusterPlan {
    /// The parameters.
    pub params: DreamParams,
    /// The supplier (aggregator) of the cluster.
    pub supplier: NodeId,
    /// The meters, in cluster order (meter `k` is `meters[k]`).
    pub meters: Vec<NodeId>,
    /// λ(t) for each slot.
    pub lambdas: Arc<[Lambda]>,
}

impl ClusterPlan {
    /// Checks the plan.
    pub fn validate(&self) -> Result<()> {
        self.params.validate()?;
        if self.meters.len() != self.params.cluster_size as usize {
            return Err(ProtocolError::invalid(
                "meters",
                "one id per meter of the cluster",
            ));
        }
        if self.lambdas.len() < self.params.slots as usize {
            return Err(ProtocolError::invalid(
                "lambdas",
                "one noise scale per slot",
            ));
        }
        Ok(())
    }

    /// The cluster index of node `id`, if it is one of the meters.
    pub fn index_of(&self, id: NodeId) -> Option<u32> {
        self.meters.iter().position(|m| *m == id).map(|k| k as u32)
    }
}
