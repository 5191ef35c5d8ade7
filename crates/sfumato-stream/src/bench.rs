//! `sfumato stream bench`: Query 1 + Query 2 throughput of the dataflow
//! against the single-threaded reference in the same run, with and without
//! encryption, with a live migration mid-stream, and the latency during a
//! migration against steady state at a paced load.
//!
//! Every row's outputs are checked against the reference's (their
//! digests); a row whose outputs differ fails the bench.

use std::sync::Arc;
use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::dataflow::{DataflowConfig, DataflowReport, LatencyReport};
use crate::enclave::{EPC_BYTES, Enclave, INSECURE_SOFTWARE_ENCLAVE, InsecureSoftwareEnclave};
use crate::error::{Result, StreamError};
use crate::event::{Event, Property};
use crate::generate::StreamConfig;
use crate::study::{Input, MigrationSpec};
use crate::window_log::PagerStats;

/// What to measure.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BenchConfig {
    /// The generated world and stream.
    pub world: StreamConfig,
    /// Timely workers of the dataflow rows.
    pub workers: usize,
    /// Seconds of event time per epoch.
    pub epoch_seconds: u32,
    /// The paced latency row runs at this fraction of the sealed row's
    /// throughput.
    pub paced_fraction: f64,
}

/// One measured configuration.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BenchRow {
    /// What ran.
    pub name: String,
    /// Workers (1 for the reference).
    pub workers: usize,
    /// Sealed packets and state.
    pub encrypted: bool,
    /// A migration mid-stream.
    pub migration: bool,
    /// Paced to this many events per second, if paced.
    pub paced_events_per_second: Option<f64>,
    /// Events read.
    pub events: u64,
    /// Wall-clock seconds.
    pub wall_seconds: f64,
    /// Events per second.
    pub events_per_second: f64,
    /// Throughput over the reference's.
    pub vs_reference: f64,
    /// Outputs equal the reference's (digest).
    pub outputs_equal: bool,
    /// MB sealed (plaintext), if encrypted.
    pub sealed_megabytes: f64,
    /// Window pages evicted and restored.
    pub paging: PagerStats,
    /// Largest resident state of one worker, MB (estimated; dataflow rows).
    pub peak_state_megabytes: f64,
    /// EPC budget per worker, MB (sealed rows).
    pub epc_budget_megabytes: f64,
    /// Latency per epoch (dataflow rows).
    pub latency: Option<LatencyReport>,
    /// Peak resident memory of the process so far, MB.
    pub peak_rss_megabytes: f64,
}

/// The bench's result.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BenchReport {
    /// The configuration.
    pub config: BenchConfig,
    /// Plugs in the world.
    pub plugs: usize,
    /// The rows, reference first.
    pub rows: Vec<BenchRow>,
    /// ChaCha20-Poly1305 sealing of event batches alone, MB/s.
    pub seal_megabytes_per_second: f64,
    /// … and per event, ns.
    pub seal_nanoseconds_per_event: f64,
    /// The enclave backend of the sealed rows.
    pub enclave: String,
}

fn row(
    name: &str,
    r: &DataflowReport,
    reference_rate: f64,
    reference_digest: &crate::processor::Digest,
    paced: Option<f64>,
) -> BenchRow {
    let rate = r.counts.events as f64 / r.wall_seconds;
    BenchRow {
        name: name.to_string(),
        workers: r.workers * r.processes,
        encrypted: r.encrypted,
        migration: r.migration.is_some(),
        paced_events_per_second: paced,
        events: r.counts.events,
        wall_seconds: r.wall_seconds,
        events_per_second: rate,
        vs_reference: rate / reference_rate,
        outputs_equal: &r.digest == reference_digest,
        sealed_megabytes: r.sealed_bytes as f64 / 1e6,
        paging: r.paging,
        peak_state_megabytes: r.peak_state_bytes as f64 / 1e6,
        epc_budget_megabytes: if r.encrypted {
            r.epc_budget_bytes as f64 / 1e6
        } else {
            0.0
        },
        latency: Some(r.latency.clone()),
        peak_rss_megabytes: r.peak_rss_bytes as f64 / 1e6,
    }
}

/// Measures sealing alone: batches of 16,384 events for about 0.3 s.
/// Returns (MB/s, ns per event).
pub fn measure_sealing() -> Result<(f64, f64)> {
    let enclave = InsecureSoftwareEnclave::new(1, EPC_BYTES);
    let events: Vec<Event> = (0..16_384u32)
        .map(|i| Event {
            id: u64::from(i),
            timestamp: 1_377_993_600 + i / 2000,
            value: i as f32 * 0.25,
            property: Property::Load,
            plug: i % 50,
            household: i % 3,
            house: i % 40,
        })
        .collect();
    let mut sealer = crate::wire::Sealer::new(Some(Arc::new(enclave) as Arc<dyn Enclave>), 0);
    let started = Instant::now();
    let mut n = 0u64;
    while started.elapsed().as_secs_f64() < 0.3 {
        sealer.pack(
            crate::wire::Kind::Events,
            0,
            1,
            crate::wire::Body::Events(events.clone()),
        )?;
        n += events.len() as u64;
    }
    let seconds = started.elapsed().as_secs_f64();
    Ok((
        sealer.sealed_bytes as f64 / seconds / 1e6,
        seconds * 1e9 / n as f64,
    ))
}

/// Runs every row; `progress` is told each row's name as it starts.
pub fn bench(config: &BenchConfig, progress: &mut dyn FnMut(&str)) -> Result<BenchReport> {
    let input = Input::Generate(config.world.clone());
    let plugs = crate::generate::PlugStream::new(&config.world)?.plug_count();
    progress("reference (1 thread)");
    let reference = crate::study::run_reference(&input, None, &mut |_| {})?;
    let reference_rate = reference.counts.events as f64 / reference.wall_seconds;
    let mut rows = vec![BenchRow {
        name: "reference".into(),
        workers: 1,
        encrypted: false,
        migration: false,
        paced_events_per_second: None,
        events: reference.counts.events,
        wall_seconds: reference.wall_seconds,
        events_per_second: reference_rate,
        vs_reference: 1.0,
        outputs_equal: true,
        sealed_megabytes: 0.0,
        paging: PagerStats::default(),
        peak_state_megabytes: 0.0,
        epc_budget_megabytes: 0.0,
        latency: None,
        peak_rss_megabytes: sfumato_sim::memory::peak_rss_bytes() as f64 / 1e6,
    }];
    let base = DataflowConfig {
        workers: config.workers,
        epoch_seconds: config.epoch_seconds,
        seed: config.world.seed,
        ..Default::default()
    };
    let run = |name: &str,
               c: &DataflowConfig,
               progress: &mut dyn FnMut(&str)|
     -> Result<DataflowReport> {
        progress(name);
        crate::study::run_dataflow(&input, c, None, None)?
            .ok_or_else(|| StreamError::Runtime("no report on this process".into()))
    };
    let plain = run("dataflow", &base, progress)?;
    rows.push(row(
        "dataflow",
        &plain,
        reference_rate,
        &reference.digest,
        None,
    ));
    let sealed_config = DataflowConfig {
        encrypt: true,
        ..base.clone()
    };
    let sealed = run("dataflow, sealed", &sealed_config, progress)?;
    rows.push(row(
        "dataflow, sealed",
        &sealed,
        reference_rate,
        &reference.digest,
        None,
    ));
    if config.workers >= 2 {
        let spec = MigrationSpec {
            houses: 0..config.world.houses.div_ceil(2),
            to: 1,
            at_seconds: config.world.seconds / 2,
            agree_epochs: 2,
        };
        let migrating = DataflowConfig {
            migration: Some(spec.plan(config.world.start, config.epoch_seconds)),
            ..sealed_config.clone()
        };
        let m = run("dataflow, sealed, migration", &migrating, progress)?;
        rows.push(row(
            "dataflow, sealed, migration",
            &m,
            reference_rate,
            &reference.digest,
            None,
        ));
        let rate = sealed.counts.events as f64 / sealed.wall_seconds * config.paced_fraction;
        let paced = DataflowConfig {
            rate: Some(rate),
            ..migrating
        };
        let p = run("dataflow, sealed, migration, paced", &paced, progress)?;
        rows.push(row(
            "dataflow, sealed, migration, paced",
            &p,
            reference_rate,
            &reference.digest,
            Some(rate),
        ));
    }
    if let Some(bad) = rows.iter().find(|r| !r.outputs_equal) {
        return Err(StreamError::Runtime(format!(
            "the `{}` row's outputs differ from the reference's",
            bad.name
        )));
    }
    let (mbps, ns) = measure_sealing()?;
    Ok(BenchReport {
        config: config.clone(),
        plugs,
        rows,
        seal_megabytes_per_second: mbps,
        seal_nanoseconds_per_event: ns,
        enclave: INSECURE_SOFTWARE_ENCLAVE.to_string(),
    })
}
