//! Watching a Chiaroscuro participant phase by phase, without touching the
//! protocol: what Chiaroscuro §6.3.2's latency figures (Fig. 4) and §6.4's
//! churn figures (Fig. 3) measure.
//!
//! [`Watched`] wraps a [`Participant`] as the Byzantine hook does
//! ([`crate::byzantine`]): every handler runs the honest participant, and
//! the wrapper then reads what it asked to send. It
//!
//! * counts the messages it sent **by phase**, from their kind: EESum's
//!   requests, replies and refusals (§4.2.1, Alg. 2), the correction's
//!   smallest-identifier dissemination (§4.2.2), the epidemic decryption's
//!   offers, requests and states (§4.2.3);
//! * notes when it holds a decrypted result, from the summaries its
//!   decryption offers and states carry and from the decrypted states it
//!   receives (the participant's own state is private);
//! * optionally **disconnects** it for whole iterations ([`Disconnections`]):
//!   §6.1.5's second churn model, "the uniform probability for each
//!   participant to be disconnected … at each perturbed k-means iteration".
//!
//! [`PhaseProbe`] folds, at every sample, the messages by phase, the
//! spread of the participants' estimates of the sums (the participation
//! counter, a cleartext sum of ones, and — for the insecure stand-in,
//! whose "ciphertexts" are readable — the encrypted sums themselves), the
//! smallest correction identifier and who holds it, and who has decrypted.
//! All its folds are exact (counts, minima, maxima, integer sums), so a
//! run's report does not depend on the number of workers.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sfumato_protocol::chiaroscuro::{
    AdditiveScheme, ChiaroscuroMessage, DamgardJurik, InsecurePlaintext, Participant,
};
use sfumato_protocol::context::Outgoing;
use sfumato_protocol::{Node, NodeContext, NodeId, Time};

use crate::chiaroscuro::{ChiaroscuroProbe, ChiaroscuroSummary};
use crate::hash::{hash, unit};
use crate::report::{NodeStats, Probe};

/// Fractional bits of the exact sums of [`PhaseSummary::values_total`].
pub const TOTAL_FRACTION_BITS: i32 = 40;

/// The tag of the disconnection draws (apart from the runtime's own).
const TAG_DISCONNECT: u64 = 0xd15c_0e4e;

/// The phase a message belongs to (Alg. 3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MessagePhase {
    /// EESum: requests, replies, refusals.
    Sum,
    /// The correction's dissemination.
    Correction,
    /// The epidemic decryption.
    Decryption,
}

/// The phase of message `m`, from its kind.
pub fn phase_of<S: AdditiveScheme>(m: &ChiaroscuroMessage<S>) -> MessagePhase {
    match m {
        ChiaroscuroMessage::SumRequest { .. }
        | ChiaroscuroMessage::SumReply { .. }
        | ChiaroscuroMessage::Busy { .. } => MessagePhase::Sum,
        ChiaroscuroMessage::Correction { .. } => MessagePhase::Correction,
        ChiaroscuroMessage::DecryptOffer { .. }
        | ChiaroscuroMessage::DecryptWant { .. }
        | ChiaroscuroMessage::DecryptState { .. } => MessagePhase::Decryption,
    }
}

/// Messages sent, by phase.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhaseCounts {
    /// EESum messages.
    pub sum: u64,
    /// Correction messages.
    pub correction: u64,
    /// Decryption messages.
    pub decryption: u64,
}

impl PhaseCounts {
    fn add(&mut self, phase: MessagePhase) {
        match phase {
            MessagePhase::Sum => self.sum += 1,
            MessagePhase::Correction => self.correction += 1,
            MessagePhase::Decryption => self.decryption += 1,
        }
    }

    fn merge(&mut self, o: &PhaseCounts) {
        self.sum += o.sum;
        self.correction += o.correction;
        self.decryption += o.decryption;
    }

    /// All three.
    pub fn total(&self) -> u64 {
        self.sum + self.correction + self.decryption
    }
}

/// §6.1.5's per-iteration churn: in each iteration, each participant is
/// disconnected with probability `probability`, drawn from `seed`, its id
/// and the iteration. A disconnected participant contributes nothing to
/// the iteration's sums: its EESum and correction messages are dropped,
/// and a request sent to it is answered on its behalf by a refusal (as the
/// runtime's per-exchange churn tells the sender its peer is unreachable).
/// It keeps asking for the iteration's decrypted result (its decryption
/// offers go out, decrypted states reach it) but never hands out a state
/// of its own, so it resynchronises on the published centroids — the
/// paper's "late participants simply synchronize on the latest iteration".
#[derive(Clone, Debug, PartialEq)]
pub struct Disconnections {
    /// Probability of being disconnected for an iteration.
    pub probability: f64,
    /// The draws' seed.
    pub seed: u64,
    /// Participants never disconnected, sorted (the weight origin and the
    /// key holders).
    pub spared: Vec<u32>,
}

impl Disconnections {
    /// Whether `id` is disconnected in `iteration`.
    pub fn disconnected(&self, id: NodeId, iteration: u32) -> bool {
        self.probability > 0.0
            && self.spared.binary_search(&id.0).is_err()
            && unit(hash(
                self.seed,
                TAG_DISCONNECT,
                u64::from(id.0),
                u64::from(iteration),
            )) < self.probability
    }
}

/// A participant under watch (and perhaps disconnected for whole
/// iterations).
pub struct Watched<S: AdditiveScheme> {
    node: Participant<S>,
    sent: PhaseCounts,
    decrypted: Option<u32>,
    disconnected_iterations: u32,
    disconnections: Option<std::sync::Arc<Disconnections>>,
}

impl<S: AdditiveScheme> core::fmt::Debug for Watched<S> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Watched")
            .field("node", &self.node)
            .field("sent", &self.sent)
            .finish_non_exhaustive()
    }
}

impl<S: AdditiveScheme> Watched<S> {
    /// Watches `node`; `disconnections`: §6.1.5's per-iteration churn.
    pub fn new(
        node: Participant<S>,
        disconnections: Option<std::sync::Arc<Disconnections>>,
    ) -> Watched<S> {
        Watched {
            node,
            sent: PhaseCounts::default(),
            decrypted: None,
            disconnected_iterations: 0,
            disconnections,
        }
    }

    /// The honest participant.
    pub fn node(&self) -> &Participant<S> {
        &self.node
    }

    /// Messages it sent so far, by phase (dropped ones not included).
    pub fn sent(&self) -> PhaseCounts {
        self.sent
    }

    /// The last iteration of which it is known to hold a decrypted result.
    pub fn decrypted(&self) -> Option<u32> {
        self.decrypted
    }

    /// Iterations it was disconnected for (counted when they begin).
    pub fn disconnected_iterations(&self) -> u32 {
        self.disconnected_iterations
    }

    fn is_disconnected(&self, me: NodeId, iteration: u32) -> bool {
        self.disconnections
            .as_ref()
            .is_some_and(|d| d.disconnected(me, iteration))
    }

    /// After a handler: drop what a disconnected participant cannot send,
    /// count the rest by phase, read decryption summaries.
    fn after(&mut self, ctx: &mut NodeContext<'_, Self>) {
        let me = ctx.id();
        let disconnections = self.disconnections.clone();
        let (outgoing, _) = ctx.outgoing_and_rng();
        if let Some(d) = disconnections {
            outgoing.retain(|o: &Outgoing<ChiaroscuroMessage<S>>| {
                matches!(o.msg, ChiaroscuroMessage::DecryptOffer { .. })
                    || !d.disconnected(me, o.msg.iteration())
            });
        }
        for o in outgoing.iter() {
            self.sent.add(phase_of(&o.msg));
            let done = match &o.msg {
                ChiaroscuroMessage::DecryptOffer { summary, .. } => summary.done,
                ChiaroscuroMessage::DecryptState { state, .. } => state.published().is_some(),
                _ => false,
            };
            if done {
                self.decrypted = Some(o.msg.iteration());
            }
        }
    }
}

impl<S: AdditiveScheme> Node for Watched<S> {
    type Message = ChiaroscuroMessage<S>;
    type Timer = <Participant<S> as Node>::Timer;
    type Event = <Participant<S> as Node>::Event;

    fn start(&mut self, ctx: &mut NodeContext<'_, Self>) {
        self.node.start(ctx);
        self.after(ctx);
    }

    fn handle_message(
        &mut self,
        now: Time,
        from: NodeId,
        msg: ChiaroscuroMessage<S>,
        ctx: &mut NodeContext<'_, Self>,
    ) {
        let me = ctx.id();
        let iteration = msg.iteration();
        if self.is_disconnected(me, iteration) {
            match &msg {
                ChiaroscuroMessage::SumRequest { .. } => {
                    // The sender learns that its peer is unreachable.
                    ctx.send(from, ChiaroscuroMessage::Busy { iteration });
                    self.sent.add(MessagePhase::Sum);
                    return;
                }
                ChiaroscuroMessage::SumReply { .. }
                | ChiaroscuroMessage::Busy { .. }
                | ChiaroscuroMessage::Correction { .. } => return,
                _ => {}
            }
        }
        // A decrypted state reaching a participant in its decryption phase
        // is adopted (`DecryptionState::merge`: a result beats any pending
        // state).
        let adopts = matches!(&msg, ChiaroscuroMessage::DecryptState { state, .. }
            if state.published().is_some())
            && iteration == self.node.iteration()
            && self.node.status() == sfumato_protocol::chiaroscuro::Status::Running
            && self.node.means().is_none();
        self.node.handle_message(now, from, msg, ctx);
        if adopts {
            self.decrypted = Some(iteration);
        }
        self.after(ctx);
    }

    fn handle_timer(
        &mut self,
        now: Time,
        timer: <Participant<S> as Node>::Timer,
        ctx: &mut NodeContext<'_, Self>,
    ) {
        let before = (self.node.iteration(), self.node.means().is_some());
        self.node.handle_timer(now, timer, ctx);
        let after = (self.node.iteration(), self.node.means().is_some());
        if after.1 && before != after && self.is_disconnected(ctx.id(), after.0) {
            self.disconnected_iterations += 1;
        }
        self.after(ctx);
    }

    fn handle_undeliverable(
        &mut self,
        now: Time,
        to: NodeId,
        msg: ChiaroscuroMessage<S>,
        ctx: &mut NodeContext<'_, Self>,
    ) {
        self.node.handle_undeliverable(now, to, msg, ctx);
        self.after(ctx);
    }
}

impl<S: AdditiveScheme> Probe<Watched<S>> for ChiaroscuroProbe {
    type Summary = ChiaroscuroSummary;

    fn empty(&self) -> ChiaroscuroSummary {
        ChiaroscuroSummary::default()
    }

    fn observe(&self, id: NodeId, node: &Watched<S>, now: Time, into: &mut ChiaroscuroSummary) {
        <Self as Probe<Participant<S>>>::observe(self, id, &node.node, now, into);
    }

    fn observe_with_stats(
        &self,
        id: NodeId,
        node: &Watched<S>,
        stats: &NodeStats,
        now: Time,
        into: &mut ChiaroscuroSummary,
    ) {
        <Self as Probe<Participant<S>>>::observe_with_stats(self, id, &node.node, stats, now, into);
    }

    fn merge(&self, into: &mut ChiaroscuroSummary, other: &ChiaroscuroSummary) {
        <Self as Probe<Participant<S>>>::merge(self, into, other);
    }
}

/// Schemes whose vectors the probe can read: the insecure stand-in's
/// "ciphertexts" are its plaintexts; real ciphertexts are not readable.
pub trait Readable: AdditiveScheme {
    /// The plaintext values of `v`, if they can be read.
    fn plaintexts(v: &Self::Vector) -> Option<&[f64]>;
}

impl Readable for InsecurePlaintext {
    fn plaintexts(v: &Self::Vector) -> Option<&[f64]> {
        Some(&v.0)
    }
}

impl Readable for DamgardJurik {
    fn plaintexts(_: &Self::Vector) -> Option<&[f64]> {
        None
    }
}

/// The smallest and largest of some values.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Bounds {
    /// The smallest.
    pub min: f64,
    /// The largest.
    pub max: f64,
}

impl Bounds {
    fn of(x: f64) -> Bounds {
        Bounds { min: x, max: x }
    }

    fn join(a: Option<Bounds>, b: Option<Bounds>) -> Option<Bounds> {
        match (a, b) {
            (Some(a), Some(b)) => Some(Bounds {
                min: a.min.min(b.min),
                max: a.max.max(b.max),
            }),
            (a, None) => a,
            (None, b) => b,
        }
    }

    /// The largest distance from `x` to a value within the bounds.
    pub fn max_error(&self, x: f64) -> f64 {
        (self.max - x).abs().max((self.min - x).abs())
    }
}

/// The smallest correction identifier held, and by how many.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SmallestId {
    /// The identifier.
    pub id: u64,
    /// Participants holding it.
    pub holders: u64,
    /// Participants holding it with its computed values.
    pub with_values: u64,
}

/// The fold of [`PhaseProbe`] at one sample.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PhaseSummary {
    /// Live participants observed.
    pub participants: u64,
    /// Messages the runtime saw them send (including those churn bounced).
    pub sent: u64,
    /// Messages they sent by phase, as the wrappers counted them.
    pub by_phase: PhaseCounts,
    /// EESum exchanges they initiated that completed.
    pub exchanges: u64,
    /// Bounced replies given up on (mass lost from the sums).
    pub lost_replies: u64,
    /// Failed local steps.
    pub errors: u64,
    /// Participants holding encrypted means (EESum and correction phases).
    pub holding_means: u64,
    /// Of those, participants the weight has not reached yet (no estimate).
    pub without_weight: u64,
    /// The participation counter's estimates of the number of contributors
    /// (counter / weight: a cleartext epidemic sum of ones, §4.2.2).
    pub counter: Option<Bounds>,
    /// Per value of the means, the estimates of its sum, values / weight
    /// in real units (readable schemes only).
    pub values: Vec<Option<Bounds>>,
    /// Per value, Σ values / 2^exchanges over the participants: the sum's
    /// exact total while no exchange is half done (EESum conserves it), in
    /// fixed-point units times 2^[`TOTAL_FRACTION_BITS`], each term
    /// rounded (readable schemes only).
    pub values_total: Vec<i128>,
    /// The smallest correction identifier held.
    pub correction: Option<SmallestId>,
    /// Participants known to hold a decrypted result of their current
    /// iteration.
    pub decrypted: u64,
    /// Participant-iterations spent disconnected.
    pub disconnected: u64,
    /// Participants holding a result of the last iteration they finished,
    /// by the root it came from (one root: they all agree).
    pub results_by_root: BTreeMap<u32, u64>,
}

/// A probe of [`Watched`] participants; see [`PhaseSummary`].
#[derive(Clone, Copy, Debug)]
pub struct PhaseProbe {
    /// One fixed-point unit of the run (`ChiaroscuroParams::unit`).
    pub unit: f64,
}

fn join_vec(into: &mut Vec<Option<Bounds>>, other: &[Option<Bounds>]) {
    if into.len() < other.len() {
        into.resize(other.len(), None);
    }
    for (a, b) in into.iter_mut().zip(other) {
        *a = Bounds::join(*a, *b);
    }
}

fn add_vec(into: &mut Vec<i128>, other: &[i128]) {
    if into.len() < other.len() {
        into.resize(other.len(), 0);
    }
    for (a, b) in into.iter_mut().zip(other) {
        *a = a.saturating_add(*b);
    }
}

fn join_smallest(a: Option<SmallestId>, b: Option<SmallestId>) -> Option<SmallestId> {
    match (a, b) {
        (Some(a), Some(b)) if a.id == b.id => Some(SmallestId {
            id: a.id,
            holders: a.holders + b.holders,
            with_values: a.with_values + b.with_values,
        }),
        (Some(a), Some(b)) => Some(if a.id < b.id { a } else { b }),
        (a, None) => a,
        (None, b) => b,
    }
}

impl<S: Readable> Probe<Watched<S>> for PhaseProbe {
    type Summary = PhaseSummary;

    fn empty(&self) -> PhaseSummary {
        PhaseSummary::default()
    }

    fn observe(&self, id: NodeId, node: &Watched<S>, now: Time, into: &mut PhaseSummary) {
        self.observe_with_stats(id, node, &NodeStats::default(), now, into);
    }

    fn observe_with_stats(
        &self,
        _: NodeId,
        w: &Watched<S>,
        stats: &NodeStats,
        _: Time,
        into: &mut PhaseSummary,
    ) {
        let node = &w.node;
        into.participants += 1;
        into.sent += stats.sent;
        into.by_phase.merge(&w.sent);
        into.exchanges += u64::from(node.stats.sum_exchanges);
        into.lost_replies += u64::from(node.stats.lost_replies);
        into.errors += u64::from(node.stats.errors);
        into.disconnected += u64::from(w.disconnected_iterations);
        if w.decrypted.is_some() && w.decrypted == Some(node.iteration()) {
            into.decrypted += 1;
        }
        if let Some(Some(p)) = node.history().last() {
            *into.results_by_root.entry(p.root.0).or_default() += 1;
        }
        if let Some(c) = node.correction() {
            let mine = SmallestId {
                id: c.id,
                holders: 1,
                with_values: u64::from(c.values.is_some()),
            };
            into.correction = join_smallest(into.correction, Some(mine));
        }
        let Some(m) = node.means() else { return };
        into.holding_means += 1;
        let weight = m.weight.to_f64();
        let plain = S::plaintexts(&m.values);
        if let Some(values) = plain {
            let scale = f64::from(2u32).powi(TOTAL_FRACTION_BITS - m.exchanges as i32);
            let terms: Vec<i128> = values.iter().map(|v| (v * scale).round() as i128).collect();
            add_vec(&mut into.values_total, &terms);
        }
        let Some(count) = m.participants() else {
            into.without_weight += 1;
            return;
        };
        into.counter = Bounds::join(into.counter, Some(Bounds::of(count)));
        if let Some(values) = plain {
            let estimates: Vec<Option<Bounds>> = values
                .iter()
                .map(|v| Some(Bounds::of(v / weight / self.unit)))
                .collect();
            join_vec(&mut into.values, &estimates);
        }
    }

    fn merge(&self, into: &mut PhaseSummary, o: &PhaseSummary) {
        into.participants += o.participants;
        into.sent += o.sent;
        into.by_phase.merge(&o.by_phase);
        into.exchanges += o.exchanges;
        into.lost_replies += o.lost_replies;
        into.errors += o.errors;
        into.holding_means += o.holding_means;
        into.without_weight += o.without_weight;
        into.counter = Bounds::join(into.counter, o.counter);
        join_vec(&mut into.values, &o.values);
        add_vec(&mut into.values_total, &o.values_total);
        into.correction = join_smallest(into.correction, o.correction);
        into.decrypted += o.decrypted;
        into.disconnected += o.disconnected;
        for (k, v) in &o.results_by_root {
            *into.results_by_root.entry(*k).or_default() += v;
        }
    }
}

impl PhaseSummary {
    /// The exact total of value `j` in real units, if readable.
    pub fn total(&self, j: usize, unit: f64) -> Option<f64> {
        self.values_total
            .get(j)
            .map(|t| *t as f64 / f64::from(2u32).powi(TOTAL_FRACTION_BITS) / unit)
    }
}
