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

/// The reference's state: both queries over all houses, one loop.
struct Reference {
    houses: Houses,
    global: GlobalMedians,
    pager: Pager,
    counts: RunCounts,
    digest: Digest,
    out: Outputs,
}

impl Reference {
    /// One second: its readings in id order into the houses and the
    /// global medians, then Query 2 if any reading was a load.
    fn second(&mut self, ts: u32, events: &mut [Event]) -> Result<()> {
        events.sort_unstable_by_key(|e| e.id);
        let mut any = false;
        for e in events.iter() {
            if e.property == Property::Load {
                self.houses.load(e, &mut self.out);
                self.global.add(ts, to_milliwatts(e.value));
                self.counts.loads += 1;
                any = true;
            } else {
                self.counts.work += 1;
            }
        }
        if any {
            let g = self.global.at(ts, &mut self.pager)?;
            self.houses.evaluate(&g, &mut self.pager, &mut self.out)?;
            self.counts.seconds += 1;
        }
        Ok(())
    }

    /// Hands the outputs so far to `sink`, sorted, and fingerprints them.
    fn flush(&mut self, sink: &mut dyn FnMut(&mut Outputs) -> Result<()>) -> Result<()> {
        self.out.sort();
        self.digest.add(&self.out);
        sink(&mut self.out)?;
        self.out = Outputs::default();
        Ok(())
    }
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
    let mut r = Reference {
        houses: Houses::new(),
        global: GlobalMedians::new(),
        pager: Pager::unbounded(),
        counts: RunCounts::default(),
        digest: Digest::default(),
        out: Outputs::default(),
    };
    let mut late = LateFilter::default();
    let mut batch = Vec::with_capacity(BATCH);
    let mut pending: Vec<Event> = Vec::new();
    let mut current: Option<u32> = None;
    loop {
        batch.clear();
        let n = source.fill(&mut batch, BATCH)?;
        if n == 0 {
            break;
        }
        r.counts.events += n as u64;
        for e in &batch {
            if !late.admit(e) {
                continue;
            }
            if let Some(ts) = current.filter(|&c| c != e.timestamp) {
                r.second(ts, &mut pending)?;
                pending.clear();
            }
            current = Some(e.timestamp);
            pending.push(*e);
        }
        if r.out.forecasts.len() + r.out.outliers.len() > BATCH {
            r.flush(sink)?;
        }
        progress(r.counts.events);
    }
    if let Some(ts) = current {
        r.second(ts, &mut pending)?;
    }
    r.flush(sink)?;
    r.counts.late = late.late;
    Ok(ReferenceReport {
        counts: r.counts,
        digest: r.digest,
        accuracy: r.houses.accuracy(),
        wall_seconds: started.elapsed().as_secs_f64(),
    })
}
