//! What a run simulates: population, clock, latency, faults, CPU costs and
//! where it runs (ARCHITECTURE.md, "Runtimes").

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sfumato_protocol::{NodeId, Time};

use crate::error::{Result, SimError};

/// How virtual time advances.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Mode {
    /// Cycle-driven, as PeerSim's cycle mode: one tick is one round of
    /// `round_length`; every node acts once per round (its gossip timer)
    /// and every message arrives in the next round. The run processes
    /// rounds `0..rounds`.
    Rounds {
        /// Rounds to run.
        rounds: u64,
        /// The simulated duration of one round (what nodes see as `now`).
        round_length: Time,
    },
    /// Event-driven virtual time: a tick is `tick` long; a message arrives
    /// after a latency drawn from `latency`, quantised up to whole ticks (at
    /// least one); timers fire at their tick; CPU work delays a node. The
    /// run processes ticks up to `until`, observing nodes every
    /// `sample_every`.
    VirtualTime {
        /// The clock's resolution.
        tick: Time,
        /// The end of the run.
        until: Time,
        /// Message latency.
        latency: LatencyModel,
        /// The interval between two observations of the nodes.
        sample_every: Time,
    },
}

impl Mode {
    /// The length of one tick.
    pub fn tick_length(&self) -> Time {
        match self {
            Mode::Rounds { round_length, .. } => *round_length,
            Mode::VirtualTime { tick, .. } => *tick,
        }
    }

    /// The last tick processed.
    pub fn last_tick(&self) -> u64 {
        match self {
            Mode::Rounds { rounds, .. } => rounds.saturating_sub(1),
            Mode::VirtualTime { tick, until, .. } => until.0 / tick.0.max(1),
        }
    }

    /// Ticks between two observations.
    pub fn sample_interval(&self) -> u64 {
        match self {
            Mode::Rounds { .. } => 1,
            Mode::VirtualTime {
                tick, sample_every, ..
            } => (sample_every.0 / tick.0.max(1)).max(1),
        }
    }
}

/// Message latency in virtual-time mode.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum LatencyModel {
    /// Every message takes the same time.
    Fixed(Time),
    /// `base + max(0, N(mean, sd))`: Tremel §7.3 models a link as 2 ms plus
    /// a normal variable of mean 4 ms.
    Normal {
        /// The fixed part.
        base: Time,
        /// Mean of the normal part.
        mean: Time,
        /// Standard deviation of the normal part.
        sd: Time,
    },
}

impl LatencyModel {
    /// Tremel §7.3's link model, 2 ms + N(4 ms, σ).
    pub fn tremel(sd: Time) -> LatencyModel {
        LatencyModel::Normal {
            base: Time::from_millis(2),
            mean: Time::from_millis(4),
            sd,
        }
    }
}

/// Faults injected by the runtime, outside protocol code.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Faults {
    /// Nodes that crash at a given time (round mode: round `r` is time
    /// `r · round_length`).
    pub crashes: Vec<(NodeId, Time)>,
    /// Probability that a live node crashes in a given round (round mode)
    /// or `crash_period` (virtual time).
    pub crash_probability: f64,
    /// The period `crash_probability` applies to in virtual time.
    pub crash_period: Time,
    /// Probability that a node has failed before the run starts (it is
    /// never started; Tremel Fig. 8).
    pub failed_at_start: f64,
    /// Nodes never failed by the random models (for example a broadcast's
    /// source).
    pub spared: Vec<NodeId>,
    /// Churn: probability that the receiver of a message is disconnected
    /// at that exchange (Chiaroscuro §6.1.5). The message is not delivered
    /// and its sender is told ([`sfumato_protocol::Node::handle_undeliverable`]).
    pub churn: f64,
    /// Probability that a message is lost silently.
    pub loss: f64,
    /// Intermittent failures: probability that a node is offline for a
    /// whole `offline_period` (a meter that misses a slot, DREAM §6). An
    /// offline node's messages, in and out, are dropped; its clock runs.
    pub offline: f64,
    /// The period `offline` applies to.
    pub offline_period: Time,
    /// Periods are counted from this time; before it nobody is offline.
    pub offline_from: Time,
}

impl Faults {
    /// No faults.
    pub fn none() -> Faults {
        Faults::default()
    }

    fn validate(&self, nodes: u32) -> Result<()> {
        for (name, p) in [
            ("crash probability", self.crash_probability),
            ("failed at start", self.failed_at_start),
            ("churn", self.churn),
            ("loss", self.loss),
            ("offline", self.offline),
        ] {
            if !(0.0..=1.0).contains(&p) {
                return Err(SimError::invalid(
                    name,
                    format!("{p} is not a probability in [0, 1]"),
                ));
            }
        }
        let ids = self
            .crashes
            .iter()
            .map(|(id, _)| *id)
            .chain(self.spared.iter().copied());
        for id in ids {
            if id.0 >= nodes {
                return Err(SimError::invalid(
                    "faults",
                    format!("node {id} is outside the population of {nodes}"),
                ));
            }
        }
        Ok(())
    }
}

/// The simulated CPU time of the operations nodes account with
/// [`sfumato_protocol::Context::work`]. Operations it does not know cost
/// nothing and are counted as uncosted in the metrics.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CostModel {
    costs: BTreeMap<String, Time>,
}

impl CostModel {
    /// No costs.
    pub fn free() -> CostModel {
        CostModel::default()
    }

    /// Sets the cost of one `operation`.
    pub fn with(mut self, operation: &str, cost: Time) -> CostModel {
        self.costs.insert(operation.to_string(), cost);
        self
    }

    /// Parses `name=duration` with a duration like `7ms`, `250us`, `1.5ms`
    /// or `2s`.
    pub fn parse_entry(mut self, entry: &str) -> Result<CostModel> {
        let (name, dur) = entry
            .split_once('=')
            .ok_or_else(|| SimError::invalid("cost", format!("`{entry}` is not name=duration")))?;
        let cost = parse_duration(dur.trim()).ok_or_else(|| {
            SimError::invalid(
                "cost",
                format!("`{dur}` is not a duration such as 7ms or 250us"),
            )
        })?;
        if name.trim().is_empty() {
            return Err(SimError::invalid("cost", "empty operation name"));
        }
        self.costs.insert(name.trim().to_string(), cost);
        Ok(self)
    }

    /// The cost of one `operation`, if known.
    pub fn cost(&self, operation: &str) -> Option<Time> {
        self.costs.get(operation).copied()
    }

    /// Whether every operation is free.
    pub fn is_free(&self) -> bool {
        self.costs.values().all(|c| c.0 == 0)
    }
}

/// Parses `7ms`, `250us`, `1.5ms`, `2s` into a [`Time`].
pub fn parse_duration(s: &str) -> Option<Time> {
    let (num, scale) = if let Some(n) = s.strip_suffix("us") {
        (n, 1.0)
    } else if let Some(n) = s.strip_suffix("ms") {
        (n, 1e3)
    } else if let Some(n) = s.strip_suffix('s') {
        (n, 1e6)
    } else {
        return None;
    };
    let v: f64 = num.trim().parse().ok()?;
    let us = v * scale;
    (0.0..1.8e19).contains(&us).then(|| Time(us.round() as u64))
}

/// Several cooperating processes (timely's cluster mode): this process's
/// index and every process's `host:port`, in process order, identical in
/// every process.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cluster {
    /// This process, `0..addresses.len()`.
    pub process: usize,
    /// Every process's address.
    pub addresses: Vec<String>,
}

/// A simulation run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SimConfig {
    /// The run seed: with it, the run replays bit for bit.
    pub seed: u64,
    /// Population size (node ids `0..nodes`).
    pub nodes: u32,
    /// Worker threads per process.
    pub workers: usize,
    /// The clock.
    pub mode: Mode,
    /// Injected faults.
    pub faults: Faults,
    /// CPU costs (virtual-time mode delays nodes by them).
    pub costs: CostModel,
    /// `None`: one process; otherwise a cluster of processes.
    pub cluster: Option<Cluster>,
}

impl SimConfig {
    /// A fault-free round-mode run of `nodes` for `rounds` rounds of one
    /// second, on one worker.
    pub fn rounds(seed: u64, nodes: u32, rounds: u64) -> SimConfig {
        SimConfig {
            seed,
            nodes,
            workers: 1,
            mode: Mode::Rounds {
                rounds,
                round_length: Time::from_millis(1000),
            },
            faults: Faults::none(),
            costs: CostModel::free(),
            cluster: None,
        }
    }

    /// Checks every parameter; the runners call it first.
    pub fn validate(&self) -> Result<()> {
        if self.nodes == 0 {
            return Err(SimError::invalid("nodes", "must be at least 1"));
        }
        if self.workers == 0 || self.workers > 1024 {
            return Err(SimError::invalid("workers", "must be between 1 and 1024"));
        }
        match &self.mode {
            Mode::Rounds {
                rounds,
                round_length,
            } => {
                if *rounds == 0 {
                    return Err(SimError::invalid("rounds", "must be at least 1"));
                }
                if round_length.0 == 0 {
                    return Err(SimError::invalid("round length", "must be positive"));
                }
            }
            Mode::VirtualTime {
                tick,
                until,
                latency,
                sample_every,
            } => {
                if tick.0 == 0 {
                    return Err(SimError::invalid("tick", "must be positive"));
                }
                if until.0 / tick.0 > 1 << 40 {
                    return Err(SimError::invalid("until", "more than 2^40 ticks"));
                }
                if sample_every.0 == 0 {
                    return Err(SimError::invalid("sample interval", "must be positive"));
                }
                if let LatencyModel::Normal { sd, .. } = latency
                    && sd.0 > 1_000_000_000
                {
                    return Err(SimError::invalid("latency sd", "larger than 1000 s"));
                }
            }
        }
        if self.faults.crash_probability > 0.0
            && matches!(self.mode, Mode::VirtualTime { .. })
            && self.faults.crash_period.0 == 0
        {
            return Err(SimError::invalid(
                "crash period",
                "must be positive when crashes are random in virtual time",
            ));
        }
        if self.faults.offline > 0.0 && self.faults.offline_period.0 == 0 {
            return Err(SimError::invalid("offline period", "must be positive"));
        }
        self.faults.validate(self.nodes)?;
        if let Some(c) = &self.cluster {
            if c.addresses.is_empty() {
                return Err(SimError::invalid(
                    "addresses",
                    "a cluster needs at least one process",
                ));
            }
            if c.process >= c.addresses.len() {
                return Err(SimError::invalid(
                    "process",
                    format!(
                        "{} is not below the number of processes, {}",
                        c.process,
                        c.addresses.len()
                    ),
                ));
            }
        }
        Ok(())
    }

    /// Total workers over all processes.
    pub fn total_workers(&self) -> usize {
        self.workers * self.cluster.as_ref().map_or(1, |c| c.addresses.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_costs_parse() {
        assert_eq!(parse_duration("7ms"), Some(Time(7000)));
        assert_eq!(parse_duration("1.5ms"), Some(Time(1500)));
        assert_eq!(parse_duration("250us"), Some(Time(250)));
        assert_eq!(parse_duration("2s"), Some(Time(2_000_000)));
        assert_eq!(parse_duration("-1ms"), None);
        assert_eq!(parse_duration("ms"), None);
        assert_eq!(parse_duration("5"), None);
        let m = CostModel::free().parse_entry("dj-encrypt=7ms").unwrap();
        assert_eq!(m.cost("dj-encrypt"), Some(Time(7000)));
        assert!(CostModel::free().parse_entry("x").is_err());
        assert!(CostModel::free().parse_entry("=1ms").is_err());
    }

    #[test]
    fn bad_configurations_are_refused() {
        let ok = SimConfig::rounds(1, 10, 5);
        assert!(ok.validate().is_ok());
        let mut c = ok.clone();
        c.nodes = 0;
        assert!(c.validate().is_err());
        let mut c = ok.clone();
        c.faults.loss = 1.5;
        assert!(c.validate().is_err());
        let mut c = ok.clone();
        c.faults.crashes.push((NodeId(10), Time::ZERO));
        assert!(c.validate().is_err());
        let mut c = ok.clone();
        c.cluster = Some(Cluster {
            process: 3,
            addresses: vec!["a:1".into()],
        });
        assert!(c.validate().is_err());
        let mut c = ok;
        c.mode = Mode::Rounds {
            rounds: 0,
            round_length: Time(1),
        };
        assert!(c.validate().is_err());
    }
}
