//! What a run reports: observations of the nodes over time (through a
//! [`Probe`]), the events nodes reported, and metrics (ARCHITECTURE.md,
//! "Data, results, interfaces").

use serde::{Deserialize, Serialize};
use sfumato_protocol::{Node, NodeId, Time};

/// Observes node states at every sample tick and folds them into a
/// summary.
///
/// `merge` must be commutative and associative **exactly** (max, min,
/// counts, integer sums — not floating-point sums), because workers fold
/// their shards independently: that is what keeps a run's report
/// identical whatever the number of workers or processes.
pub trait Probe<N>: Clone + Send + Sync + 'static {
    /// The folded observation.
    type Summary: Clone
        + core::fmt::Debug
        + PartialEq
        + Send
        + Serialize
        + for<'de> Deserialize<'de>
        + 'static;

    /// The summary of no node.
    fn empty(&self) -> Self::Summary;

    /// Folds live node `id` into `into`.
    fn observe(&self, id: NodeId, node: &N, now: Time, into: &mut Self::Summary);

    /// Folds live node `id` into `into`, knowing the runtime's counters of
    /// it so far (the default ignores them).
    fn observe_with_stats(
        &self,
        id: NodeId,
        node: &N,
        stats: &NodeStats,
        now: Time,
        into: &mut Self::Summary,
    ) {
        let _ = stats;
        self.observe(id, node, now, into);
    }

    /// Folds `other` into `into`.
    fn merge(&self, into: &mut Self::Summary, other: &Self::Summary);
}

/// The runtime's counters of one node.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeStats {
    /// Messages it sent.
    pub sent: u64,
    /// Encoded bytes it sent.
    pub bytes_sent: u64,
    /// Messages delivered to it.
    pub received: u64,
    /// Simulated CPU time it was charged, in microseconds.
    pub cpu_micros: u64,
}

/// A probe that observes nothing.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoProbe;

impl<N> Probe<N> for NoProbe {
    type Summary = ();
    fn empty(&self) {}
    fn observe(&self, _: NodeId, _: &N, _: Time, _: &mut ()) {}
    fn merge(&self, _: &mut (), _: &()) {}
}

/// The summary of all live nodes at one sample tick.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Sample<S> {
    /// The tick (the round, in round mode).
    pub tick: u64,
    /// Its time.
    pub time: Time,
    /// The folded observation.
    pub summary: S,
}

/// An event a node reported.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EventRecord<E> {
    /// When.
    pub time: Time,
    /// Who.
    pub node: NodeId,
    /// What.
    pub event: E,
}

/// Minimum, mean and maximum of a per-node quantity.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Spread {
    /// The smallest value of any node.
    pub min: u64,
    /// The mean over all nodes.
    pub mean: f64,
    /// The largest value of any node.
    pub max: u64,
    /// The total over all nodes.
    pub total: u64,
}

/// Mergeable accumulator of a [`Spread`].
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct SpreadAcc {
    min: u64,
    max: u64,
    total: u128,
    count: u64,
}

impl Default for SpreadAcc {
    fn default() -> Self {
        SpreadAcc {
            min: u64::MAX,
            max: 0,
            total: 0,
            count: 0,
        }
    }
}

impl SpreadAcc {
    pub(crate) fn add(&mut self, v: u64) {
        self.min = self.min.min(v);
        self.max = self.max.max(v);
        self.total += u128::from(v);
        self.count += 1;
    }

    pub(crate) fn merge(&mut self, o: &SpreadAcc) {
        self.min = self.min.min(o.min);
        self.max = self.max.max(o.max);
        self.total += o.total;
        self.count += o.count;
    }

    pub(crate) fn finish(&self) -> Spread {
        if self.count == 0 {
            return Spread::default();
        }
        Spread {
            min: self.min,
            mean: self.total as f64 / self.count as f64,
            max: self.max,
            total: u64::try_from(self.total).unwrap_or(u64::MAX),
        }
    }
}

/// Counters of a run; identical for a given seed whatever the number of
/// workers or processes.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Metrics {
    /// Population size.
    pub nodes: u32,
    /// Messages sent per node.
    pub messages_sent: Spread,
    /// Encoded bytes sent per node.
    pub bytes_sent: Spread,
    /// Messages received per node.
    pub messages_received: Spread,
    /// Simulated CPU time per node, in microseconds, from the cost model.
    pub cpu_micros: Spread,
    /// Nodes failed before the start.
    pub failed_at_start: u64,
    /// Nodes crashed by the end (including those failed at the start).
    pub crashed: u64,
    /// Messages lost silently.
    pub lost: u64,
    /// Messages not delivered because of churn (their senders were told).
    pub undeliverable: u64,
    /// Messages addressed to crashed nodes, dropped.
    pub dropped_at_crashed: u64,
    /// Messages dropped because their sender or receiver was offline.
    pub dropped_offline: u64,
    /// Messages addressed outside the population, dropped.
    pub misaddressed: u64,
    /// Messages still in flight when the run ended.
    pub in_flight_at_end: u64,
    /// Operations that the cost model did not price.
    pub uncosted_operations: u64,
    /// The last tick in which any node handled anything.
    pub last_active_tick: u64,
    /// Its time: the simulated time to completion.
    pub completion_time: Time,
}

/// Facts about the execution, which do vary between runs.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RunInfo {
    /// Worker threads per process.
    pub workers: usize,
    /// Processes.
    pub processes: usize,
    /// Wall-clock seconds of the simulation, set-up included.
    pub wall_seconds: f64,
    /// The largest peak resident set size of any process, in bytes (0 where
    /// the platform does not say).
    pub peak_memory_bytes: u64,
}

/// Everything a run reports.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SimReport<S, E> {
    /// The probe's summaries, one per sample tick.
    pub samples: Vec<Sample<S>>,
    /// Reported events, by time, then node, then reporting order.
    pub events: Vec<EventRecord<E>>,
    /// Deterministic counters.
    pub metrics: Metrics,
    /// Execution facts.
    pub run: RunInfo,
}

impl<S: PartialEq, E: PartialEq> SimReport<S, E> {
    /// Whether two reports agree on everything a seed determines (all but
    /// [`RunInfo`]).
    pub fn same_outcome(&self, other: &SimReport<S, E>) -> bool {
        self.samples == other.samples
            && self.events == other.events
            && self.metrics == other.metrics
    }
}

/// Reports the run's progress to the caller (called on one worker only).
pub type ProgressFn = std::sync::Arc<dyn Fn(Progress) + Send + Sync>;

/// Where a run is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Progress {
    /// Ticks completed by every worker.
    pub completed_ticks: u64,
    /// Ticks in the run.
    pub total_ticks: u64,
}

/// Node-type shorthand for reports.
pub type ReportOf<N, P> = SimReport<<P as Probe<N>>::Summary, <N as Node>::Event>;
