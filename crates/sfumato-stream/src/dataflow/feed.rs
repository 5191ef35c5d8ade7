//! Feeding a worker's source into its dataflow.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;
use std::sync::Mutex;
use std::sync::atomic::AtomicU64;
use std::time::{Duration, Instant};

use timely::container::CapacityContainerBuilder;
use timely::dataflow::{InputHandle, ProbeHandle};

use super::worker::Worker;
use super::{DataflowConfig, ProgressSink};
use crate::event::Event;
use crate::processor::LateFilter;
use crate::source::EventSource;
use crate::wire::{Body, Kind, Packet};

/// Events per batch from a source.
const BATCH: usize = 16 * 1024;

/// Feeds worker `me` of `peers` its source, epoch by epoch: drops the
/// late events, sends the others sealed in batches, keeps within
/// `max_ahead` epochs of the outputs (`probe`), paces to the configured
/// rate, reports progress (worker 0) and notes in `injected` when each
/// epoch's last event was handed over; at the end, counts the events
/// read and the late ones. Leaves `input` open.
#[allow(clippy::too_many_arguments)]
pub(super) fn feed(
    worker: &mut timely::worker::Worker,
    input: &mut InputHandle<u64, CapacityContainerBuilder<Vec<Packet>>>,
    probe: &ProbeHandle<u64>,
    mut source: Box<dyn EventSource>,
    state: &Rc<RefCell<Worker>>,
    config: &DataflowConfig,
    me: u32,
    peers: u32,
    injected: &Mutex<BTreeMap<u64, Instant>>,
    read_total: &AtomicU64,
    progress: Option<&ProgressSink>,
) {
    let epoch_seconds = config.epoch_seconds;
    let mut late = LateFilter::default();
    let mut batch = Vec::with_capacity(BATCH);
    let mut pending: Vec<Event> = Vec::with_capacity(BATCH);
    let mut current: Option<u64> = None;
    let mut read = 0u64;
    let share = config.rate.map(|r| r / f64::from(peers));
    let begun = Instant::now();
    let flush =
        |pending: &mut Vec<Event>,
         epoch: u64,
         input: &mut InputHandle<u64, CapacityContainerBuilder<Vec<Packet>>>| {
            if pending.is_empty() {
                return;
            }
            let mut w = state.borrow_mut();
            match w.sealer.pack(
                Kind::Ingress,
                me,
                epoch,
                Body::Events(std::mem::take(pending)),
            ) {
                Ok(p) => input.send(p),
                Err(e) => w.fail(e),
            }
        };
    // The last of an epoch's events handed over: flush, note the time.
    let close =
        |pending: &mut Vec<Event>,
         epoch: u64,
         input: &mut InputHandle<u64, CapacityContainerBuilder<Vec<Packet>>>| {
            flush(pending, epoch, input);
            if let Ok(mut m) = injected.lock() {
                let now = Instant::now();
                m.entry(epoch)
                    .and_modify(|t| *t = (*t).max(now))
                    .or_insert(now);
            }
        };
    loop {
        batch.clear();
        let n = match source.fill(&mut batch, BATCH) {
            Ok(n) => n,
            Err(e) => {
                state.borrow_mut().fail(e);
                0
            }
        };
        if n == 0 {
            break;
        }
        read += n as u64;
        for e in &batch {
            if !late.admit(e) {
                continue;
            }
            let epoch = u64::from(e.timestamp / epoch_seconds);
            if current != Some(epoch) {
                if let Some(c) = current {
                    close(&mut pending, c, input);
                }
                input.advance_to(epoch);
                current = Some(epoch);
                // Do not run too far ahead of the outputs.
                while probe.less_than(&epoch.saturating_sub(config.max_ahead)) {
                    worker.step_or_park(Some(Duration::from_millis(1)));
                }
            }
            pending.push(*e);
            if pending.len() >= BATCH {
                flush(&mut pending, epoch, input);
                worker.step();
            }
        }
        if let Some(rate) = share {
            let due = begun + Duration::from_secs_f64(read as f64 / rate);
            while Instant::now() < due {
                worker.step_or_park(Some(
                    due.saturating_duration_since(Instant::now())
                        .min(Duration::from_millis(1)),
                ));
            }
        }
        read_total.fetch_add(n as u64, std::sync::atomic::Ordering::Relaxed);
        if me == 0
            && let Some(p) = progress.as_ref()
        {
            p(read_total.load(std::sync::atomic::Ordering::Relaxed));
        }
        worker.step();
    }
    if let Some(c) = current {
        close(&mut pending, c, input);
    }
    {
        let mut w = state.borrow_mut();
        w.report.counts.events += read;
        w.report.counts.late += late.late;
    }
}
