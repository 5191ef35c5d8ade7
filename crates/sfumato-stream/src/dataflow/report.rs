//! What a run reports: each worker's part and their merging.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Instant;

use serde::{Deserialize, Serialize};

use super::DataflowConfig;
use crate::enclave::Enclave;
use crate::error::{Result, StreamError};
use crate::migration::MigrationPlan;
use crate::processor::Digest;
use crate::q1::Accuracy;
use crate::reference::RunCounts;
use crate::window_log::PagerStats;

/// What a migration did.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct MigrationReport {
    /// The plan.
    pub plan: Option<MigrationPlan>,
    /// Duplicated events the replica dropped (covered by the snapshot).
    pub duplicates_dropped: u64,
    /// Bytes of the snapshot (as sent, sealed or not).
    pub snapshot_bytes: u64,
    /// Houses moved.
    pub houses_moved: u64,
    /// Replica outputs compared with the owner's (and dropped).
    pub replica_outputs_compared: u64,
    /// Whether every compared output was equal.
    pub agreed: bool,
}

/// Latency statistics of a set of epochs, seconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LatencySummary {
    /// Epochs.
    pub epochs: u64,
    /// Median.
    pub median: f64,
    /// 99th percentile.
    pub p99: f64,
    /// Largest.
    pub max: f64,
}

impl LatencySummary {
    fn of(mut v: Vec<f64>) -> Self {
        if v.is_empty() {
            return Self::default();
        }
        v.sort_by(f64::total_cmp);
        let at = |q: f64| v[((v.len() - 1) as f64 * q).round() as usize];
        LatencySummary {
            epochs: v.len() as u64,
            median: at(0.5),
            p99: at(0.99),
            max: v[v.len() - 1],
        }
    }
}

/// Per-epoch latency: from the moment this process's sources had handed
/// over the epoch's last event to the moment the sink had its outputs.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LatencyReport {
    /// Epochs outside a migration.
    pub steady: LatencySummary,
    /// Epochs from the first duplicated one to the switch.
    pub migration: LatencySummary,
}

/// The result of a dataflow run (on the process holding worker 0).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct DataflowReport {
    /// Workers per process.
    pub workers: usize,
    /// Processes.
    pub processes: usize,
    /// What was processed.
    pub counts: RunCounts,
    /// Fingerprint of every output.
    pub digest: Digest,
    /// Query 1's accuracy (summed per house in house order).
    pub accuracy: Accuracy,
    /// Wall-clock seconds.
    pub wall_seconds: f64,
    /// Whether packets and evicted state were sealed.
    pub encrypted: bool,
    /// The enclave backend, when encrypting.
    pub enclave: Option<String>,
    /// Whether that backend protects its keys (false for the stand-in).
    pub enclave_secure: bool,
    /// Plaintext bytes sealed.
    pub sealed_bytes: u64,
    /// Plaintext bytes opened.
    pub opened_bytes: u64,
    /// EPC budget per worker, bytes.
    pub epc_budget_bytes: u64,
    /// Largest state one worker kept resident after eviction, bytes
    /// (estimated: window pages, about 40 bytes per distinct value in the
    /// median maps, Query 1's histories). Above the EPC budget when the
    /// median maps alone exceed it: they are not paged.
    pub peak_state_bytes: u64,
    /// Pages sealed out and brought back.
    pub paging: PagerStats,
    /// The migration.
    pub migration: Option<MigrationReport>,
    /// Latency.
    pub latency: LatencyReport,
    /// Peak resident memory of this process, bytes.
    pub peak_rss_bytes: u64,
}

/// What one worker reports at the end.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub(super) struct WorkerReport {
    pub(super) counts: RunCounts,
    pub(super) accuracies: Vec<(u32, Accuracy)>,
    pub(super) sealed_bytes: u64,
    pub(super) opened_bytes: u64,
    pub(super) peak_state_bytes: u64,
    pub(super) paging: PagerStats,
    pub(super) duplicates_dropped: u64,
    pub(super) snapshot_bytes: u64,
    pub(super) houses_moved: u64,
    /// The sink's (worker 0's) fingerprint of the outputs.
    pub(super) digest: Digest,
    /// Replica outputs the sink compared.
    pub(super) compared: u64,
    pub(super) error: Option<String>,
    /// Whether the error is the input's (a malformed file, a bad parameter).
    pub(super) bad_input: bool,
}

/// Merges the workers' reports into the run's, or fails with the first
/// worker error (a root cause before its effects). `injected` and `done`
/// are when each epoch's last event was handed over and when its outputs
/// were done.
pub(super) fn merge(
    parts: Vec<WorkerReport>,
    config: &DataflowConfig,
    enclave: Option<&dyn Enclave>,
    wall_seconds: f64,
    injected: &Mutex<BTreeMap<u64, Instant>>,
    done: &Mutex<BTreeMap<u64, Instant>>,
) -> Result<DataflowReport> {
    // A root cause (say, a packet that did not open) before its effects.
    let failed: Vec<&WorkerReport> = parts.iter().filter(|p| p.error.is_some()).collect();
    let first = failed
        .iter()
        .find(|p| {
            p.error
                .as_ref()
                .is_some_and(|e| !e.starts_with("migration"))
        })
        .or(failed.first());
    if let Some(p) = first {
        let e = p.error.clone().unwrap_or_default();
        return Err(if p.bad_input {
            StreamError::Invalid {
                what: "input",
                message: e,
            }
        } else if let Some(m) = e.strip_prefix("migration: ") {
            StreamError::Migration(m.to_string())
        } else {
            StreamError::Runtime(e)
        });
    }
    let mut counts = RunCounts::default();
    let mut accuracies: Vec<(u32, Accuracy)> = Vec::new();
    let mut paging = PagerStats::default();
    let mut sealed_bytes = 0;
    let mut opened_bytes = 0;
    let mut peak_state_bytes = 0;
    let mut migration = MigrationReport {
        plan: config.migration.clone(),
        agreed: true,
        ..Default::default()
    };
    let mut digest = Digest::default();
    for p in parts {
        digest.merge(&p.digest);
        migration.replica_outputs_compared += p.compared;
        counts.events += p.counts.events;
        counts.loads += p.counts.loads;
        counts.work += p.counts.work;
        counts.late += p.counts.late;
        counts.seconds += p.counts.seconds;
        accuracies.extend(p.accuracies);
        paging.evicted += p.paging.evicted;
        paging.restored += p.paging.restored;
        paging.out_now += p.paging.out_now;
        sealed_bytes += p.sealed_bytes;
        opened_bytes += p.opened_bytes;
        peak_state_bytes = peak_state_bytes.max(p.peak_state_bytes);
        migration.duplicates_dropped += p.duplicates_dropped;
        migration.snapshot_bytes += p.snapshot_bytes;
        migration.houses_moved += p.houses_moved;
    }
    accuracies.sort_by_key(|(h, _)| *h);
    let mut accuracy = Accuracy::default();
    for (_, a) in &accuracies {
        accuracy.merge(a);
    }
    let latency = latency_report(
        &injected.lock().map(|m| m.clone()).unwrap_or_default(),
        &done.lock().map(|m| m.clone()).unwrap_or_default(),
        config.migration.as_ref(),
    );
    Ok(DataflowReport {
        workers: config.workers,
        processes: config.processes(),
        counts,
        digest,
        accuracy,
        wall_seconds,
        encrypted: config.encrypt,
        enclave: enclave.map(|e| e.name().to_string()),
        enclave_secure: enclave.is_some_and(|e| e.is_secure()),
        sealed_bytes,
        opened_bytes,
        epc_budget_bytes: config.epc_budget() as u64,
        peak_state_bytes,
        paging,
        migration: config.migration.is_some().then_some(migration),
        latency,
        peak_rss_bytes: sfumato_sim::memory::peak_rss_bytes(),
    })
}

/// Each epoch's latency, summarised apart during a migration.
fn latency_report(
    injected: &BTreeMap<u64, Instant>,
    done: &BTreeMap<u64, Instant>,
    plan: Option<&MigrationPlan>,
) -> LatencyReport {
    let mut steady = Vec::new();
    let mut during = Vec::new();
    for (epoch, finished) in done {
        let Some(start) = injected.get(epoch) else {
            continue;
        };
        let seconds = finished.saturating_duration_since(*start).as_secs_f64();
        match plan {
            Some(p) if *epoch >= p.duplicate && *epoch < p.switch => during.push(seconds),
            _ => steady.push(seconds),
        }
    }
    LatencyReport {
        steady: LatencySummary::of(steady),
        migration: LatencySummary::of(during),
    }
}
