//! Observing a Chiaroscuro run: what each iteration published, how many
//! participants got it, and the participants' exchange counters.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sfumato_protocol::chiaroscuro::{
    AdditiveScheme, Participant, ParticipantStats, Published, Status,
};
use sfumato_protocol::{NodeId, Time};

use crate::report::{NodeStats, Probe};

/// A probe of Chiaroscuro participants.
#[derive(Clone, Copy, Debug, Default)]
pub struct ChiaroscuroProbe;

/// One iteration as the participants saw it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct IterationSeen {
    /// The published result with the smallest root among participants.
    pub result: Option<Published>,
    /// Participants holding a result, by the root it came from.
    pub by_root: BTreeMap<u32, u64>,
}

/// The fold of [`ChiaroscuroProbe`].
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ChiaroscuroSummary {
    /// Live participants observed.
    pub participants: u64,
    /// Per finished iteration.
    pub iterations: Vec<IterationSeen>,
    /// Participants by status.
    pub status: BTreeMap<String, u64>,
    /// Sums of the participants' counters.
    pub stats: TotalStats,
    /// Messages sent by the participants (sum).
    pub messages: u64,
    /// Bytes sent by the participants (sum).
    pub bytes: u64,
}

/// Sums of [`ParticipantStats`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TotalStats {
    /// Completed EESum exchanges (as initiator).
    pub sum_exchanges: u64,
    /// Refused EESum exchanges.
    pub sum_refused: u64,
    /// Late messages.
    pub stale: u64,
    /// Bounced replies given up on.
    pub lost_replies: u64,
    /// Participant-iterations with the correction applied.
    pub corrected: u64,
    /// Errors.
    pub errors: u64,
    /// The deepest chain of exchanges behind any participant's means.
    pub deepest: u32,
    /// Exchanges refused as deeper than the scheme holds.
    pub too_deep: u64,
}

impl TotalStats {
    fn add(&mut self, s: &ParticipantStats) {
        self.sum_exchanges += u64::from(s.sum_exchanges);
        self.sum_refused += u64::from(s.sum_refused);
        self.stale += u64::from(s.stale);
        self.lost_replies += u64::from(s.lost_replies);
        self.corrected += u64::from(s.corrected);
        self.errors += u64::from(s.errors);
        self.deepest = self.deepest.max(s.deepest);
        self.too_deep += u64::from(s.too_deep);
    }

    fn merge(&mut self, o: &TotalStats) {
        self.sum_exchanges += o.sum_exchanges;
        self.sum_refused += o.sum_refused;
        self.stale += o.stale;
        self.lost_replies += o.lost_replies;
        self.corrected += o.corrected;
        self.errors += o.errors;
        self.deepest = self.deepest.max(o.deepest);
        self.too_deep += o.too_deep;
    }
}

/// Iteration `i`'s entry, created empty if needed.
fn slot(iterations: &mut Vec<IterationSeen>, i: usize) -> &mut IterationSeen {
    if iterations.len() <= i {
        iterations.resize(
            i + 1,
            IterationSeen {
                result: None,
                by_root: BTreeMap::new(),
            },
        );
    }
    &mut iterations[i]
}

fn merge_iteration(into: &mut IterationSeen, other: &IterationSeen) {
    for (root, n) in &other.by_root {
        *into.by_root.entry(*root).or_default() += n;
    }
    let smaller = match (&into.result, &other.result) {
        (_, None) => false,
        (None, Some(_)) => true,
        (Some(a), Some(b)) => b.root < a.root,
    };
    if smaller {
        into.result = other.result.clone();
    }
}

impl<S: AdditiveScheme> Probe<Participant<S>> for ChiaroscuroProbe {
    type Summary = ChiaroscuroSummary;

    fn empty(&self) -> ChiaroscuroSummary {
        ChiaroscuroSummary::default()
    }

    fn observe(&self, id: NodeId, node: &Participant<S>, now: Time, into: &mut ChiaroscuroSummary) {
        self.observe_with_stats(id, node, &NodeStats::default(), now, into);
    }

    fn observe_with_stats(
        &self,
        _: NodeId,
        node: &Participant<S>,
        stats: &NodeStats,
        _: Time,
        into: &mut ChiaroscuroSummary,
    ) {
        into.participants += 1;
        into.messages += stats.sent;
        into.bytes += stats.bytes_sent;
        into.stats.add(&node.stats);
        let status = match node.status() {
            Status::Running => "running",
            Status::Converged => "converged",
            Status::IterationLimit => "iteration limit",
            Status::NoCentroids => "no centroids left",
            Status::NoiseOverwhelms => "stopped before the noise overwhelms the centroids",
        };
        *into.status.entry(status.to_string()).or_default() += 1;
        for (i, seen) in node.history().iter().enumerate() {
            let slot = slot(&mut into.iterations, i);
            if let Some(p) = seen {
                *slot.by_root.entry(p.root.0).or_default() += 1;
                if slot.result.as_ref().is_none_or(|r| p.root < r.root) {
                    slot.result = Some((**p).clone());
                }
            }
        }
    }

    fn merge(&self, into: &mut ChiaroscuroSummary, other: &ChiaroscuroSummary) {
        into.participants += other.participants;
        into.messages += other.messages;
        into.bytes += other.bytes;
        into.stats.merge(&other.stats);
        for (k, v) in &other.status {
            *into.status.entry(k.clone()).or_default() += v;
        }
        for (i, seen) in other.iterations.iter().enumerate() {
            merge_iteration(slot(&mut into.iterations, i), seen);
        }
    }
}
