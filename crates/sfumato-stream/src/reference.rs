//! The plain single-threaded reference: the same query state as the
//! dataflow, driven by one loop over the events, with no partitioning, no
//! exchange, no encryption and no migration. The dataflow's outputs must
//! equal its outputs (tests/equal_outputs.rs), and it is the baseline of
//! `sfumato stream bench`.

use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::event::{Event, Property};
use crate::median::to_milliwatts;
use crate::processor::{Digest, Houses, LateFilter, Outputs};
use crate::q1::Accuracy;
use crate::q2::GlobalMedians;
use crate::source::EventSource;
use crate::window_log::Pager;

/// Events read per batch.
pub const BATCH: usize = 64 * 1024;

/// What a run processed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RunCounts {
    /// Events read.
    pub events: u64,
    /// Load readings used.
    pub loads: u64,
    /// Work readings (read, unused by both queries).
    pub work: u64,
    /// Events dropped as late (older than one before them).
    pub late: u64,
    /// Seconds at which Query 2 was evaluated.
    pub seconds: u64,
}

/// The reference's result.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ReferenceReport {
    /// What was processed.
    pub counts: RunCounts,
    /// Fingerprint of every output.
    pub digest: Digest,
    /// Query 1's accuracy and its baselines'.
    pub accuracy: Accuracy,
    /// Wall-clock seconds.
    pub wall_seconds: f64,
}

/// One second's processing shared by the reference and the dataflow's
/// tests: its load readings (sorted by id) into `houses` and `global`, then
/// Query 2.
fn second(
    ts: u32,
    events: &mut [Event],
    houses: &mut Houses,
    global: &mut GlobalMedians,
    pager: &mut Pager,
    counts: &mut RunCounts,
    out: &mut Outputs,
) -> Result<()> {
    events.sort_unstable_by_key(|e| e.id);
    let mut any = false;
    for e in events.iter() {
        if e.property == Property::Load {
            houses.load(e, out);
            global.add(ts, to_milliwatts(e.value));
            counts.loads += 1;
            any = true;
        } else {
            counts.work += 1;
        }
    }
    if any {
        let g = global.at(ts, pager)?;
        houses.evaluate(&g, pager, out)?;
        counts.seconds += 1;
    }
    Ok(())
}

/// Runs both queries over `source`, handing outputs to `sink` in batches
/// (canonically sorted within each batch) and reporting progress (events
/// read) to `progress`.
pub fn run_reference(
    source: &mut dyn EventSource,
    sink: &mut dyn FnMut(&mut Outputs) -> Result<()>,
    progress: &mut dyn FnMut(u64),
) -> Result<ReferenceReport> {
    let started = Instant::now();
    let mut houses = Houses::new();
    let mut global = GlobalMedians::new();
    let mut pager = Pager::unbounded();
    let mut late = LateFilter::default();
    let mut counts = RunCounts::default();
    let mut digest = Digest::default();
    let mut out = Outputs::default();
    let mut batch = Vec::with_capacity(BATCH);
    let mut pending: Vec<Event> = Vec::new();
    let mut current: Option<u32> = None;
    loop {
        batch.clear();
        let n = source.fill(&mut batch, BATCH)?;
        if n == 0 {
            break;
        }
        counts.events += n as u64;
        for e in &batch {
            if !late.admit(e) {
                continue;
            }
            if current.is_some_and(|c| c != e.timestamp) {
                if let Some(ts) = current {
                    second(
                        ts,
                        &mut pending,
                        &mut houses,
                        &mut global,
                        &mut pager,
                        &mut counts,
                        &mut out,
                    )?;
                }
                pending.clear();
            }
            current = Some(e.timestamp);
            pending.push(*e);
        }
        if out.forecasts.len() + out.outliers.len() > BATCH {
            out.sort();
            digest.add(&out);
            sink(&mut out)?;
            out = Outputs::default();
        }
        progress(counts.events);
    }
    if let Some(ts) = current {
        second(
            ts,
            &mut pending,
            &mut houses,
            &mut global,
            &mut pager,
            &mut counts,
            &mut out,
        )?;
    }
    out.sort();
    digest.add(&out);
    sink(&mut out)?;
    counts.late = late.late;
    Ok(ReferenceReport {
        counts,
        digest,
        accuracy: houses.accuracy(),
        wall_seconds: started.elapsed().as_secs_f64(),
    })
}
