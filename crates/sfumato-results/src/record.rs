//! What a run writes to the store.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Which command made a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// `sfumato cluster run`: Chiaroscuro's k-means.
    Cluster,
    /// `sfumato dream run`: DREAM's private totals.
    Dream,
    /// `sfumato query run`: Tremel's queries.
    Query,
}

impl Kind {
    /// The name stored and shown.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Cluster => "cluster",
            Kind::Dream => "dream",
            Kind::Query => "query",
        }
    }

    /// The kind named `s`.
    pub fn parse(s: &str) -> Option<Kind> {
        [Kind::Cluster, Kind::Dream, Kind::Query]
            .into_iter()
            .find(|k| k.name() == s)
    }
}

/// Which side of the noise a set of centroids is on (Chiaroscuro: the
/// exact means of an iteration's clusters, which the simulator knows, and
/// the published, perturbed ones).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CentroidStage {
    /// The exact means, before perturbation (known to the simulator only).
    BeforeNoise,
    /// The published means.
    AfterNoise,
}

impl CentroidStage {
    /// The name stored.
    pub fn name(self) -> &'static str {
        match self {
            CentroidStage::BeforeNoise => "before_noise",
            CentroidStage::AfterNoise => "after_noise",
        }
    }
}

/// One Chiaroscuro iteration.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct IterationRecord {
    /// The iteration (0, 1, …).
    pub iteration: u32,
    /// ε it spent.
    pub epsilon: Option<f64>,
    /// Intra-cluster inertia by the exact means.
    pub inertia_before: Option<f64>,
    /// Intra-cluster inertia by the published means.
    pub inertia_after: Option<f64>,
    /// The exact means of the clusters the entering centroids induce.
    pub centroids_before: Vec<Vec<f64>>,
    /// The published means.
    pub centroids_after: Vec<Vec<f64>>,
}

/// The time per participant of one operation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TimingRecord {
    /// `encrypt`, `decrypt`, `add`, … or `total`.
    pub operation: String,
    /// The key size it was measured with.
    pub key_bits: u32,
    /// The iteration, or 0 for the whole run.
    pub iteration: u32,
    /// Microseconds per participant.
    pub micros_per_participant: f64,
    /// Measured on this machine (not modelled).
    pub measured: bool,
}

/// Traffic per participant for one key size.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrafficRecord {
    /// The key size.
    pub key_bits: u32,
    /// Bytes sent per participant.
    pub bytes_per_participant: f64,
    /// Messages sent per participant.
    pub messages_per_participant: f64,
}

/// A sampled participant's series.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SeriesRecord {
    /// The participant.
    pub participant: u32,
    /// Its values.
    pub values: Vec<f64>,
}

/// One DREAM slot: the published total beside the truth.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SlotRecord {
    /// The slot.
    pub slot: u32,
    /// The published (noisy) total, if the slot was published.
    pub published: Option<f64>,
    /// The true total.
    pub truth: f64,
    /// How many reported (DREAM: the clusters that published the slot).
    pub reporting: Option<u64>,
}

/// One Tremel answer beside the truth.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AnswerRecord {
    /// The query number.
    pub number: u64,
    /// The window asked for.
    pub window: u32,
    /// The owner's answer.
    pub answer: Value,
    /// The truth.
    pub truth: Value,
    /// From broadcast to decision.
    pub latency_ms: f64,
}

/// A run to record.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NewRun {
    /// Which command.
    pub kind: Kind,
    /// A short description (the dashboard's scenario picker shows it).
    pub label: String,
    /// Seconds since the Unix epoch (the caller's clock: the store reads
    /// none).
    pub created_unix: i64,
    /// The run's seed.
    pub seed: u64,
    /// Whether an insecure stand-in ran (the dashboard says so).
    pub insecure: bool,
    /// The parameters, as given.
    pub params: Value,
    /// The command's full JSON report.
    pub report: Value,
    /// Chiaroscuro iterations.
    pub iterations: Vec<IterationRecord>,
    /// Timings.
    pub timings: Vec<TimingRecord>,
    /// Traffic.
    pub traffic: Vec<TrafficRecord>,
    /// Sampled participants' series.
    pub series: Vec<SeriesRecord>,
    /// DREAM slots.
    pub slots: Vec<SlotRecord>,
    /// Tremel answers.
    pub answers: Vec<AnswerRecord>,
}

impl NewRun {
    /// A run with its parameters and report and nothing else yet.
    pub fn new(
        kind: Kind,
        label: impl Into<String>,
        seed: u64,
        params: Value,
        report: Value,
    ) -> NewRun {
        NewRun {
            kind,
            label: label.into(),
            created_unix: 0,
            seed,
            insecure: false,
            params,
            report,
            iterations: Vec::new(),
            timings: Vec::new(),
            traffic: Vec::new(),
            series: Vec::new(),
            slots: Vec::new(),
            answers: Vec::new(),
        }
    }
}
