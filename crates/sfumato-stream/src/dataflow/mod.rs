//! Query 1 and Query 2 on timely dataflow, elastic and sealed.
//!
//! ```text
//!  source ─▶ Route ──events by house──▶ Houses ──outputs──▶ Sink (worker 0)
//!  (each      │                          ▲   │
//!   worker)   └─readings─▶ Global ─medians┘   └─state (migration, feedback +1)─┐
//!                      (worker 0)         ▲──────────────────────────────────┘
//! ```
//!
//! * Timely timestamps are **epochs** of event time (`timestamp /
//!   epoch_seconds`). Every operator stashes what it receives and processes
//!   an epoch only when all its inputs' frontiers have passed it, in
//!   (timestamp, id) order — the deterministic total order StreamMine3G
//!   relies on — so the outputs are the reference's whatever the number of
//!   workers or processes.
//! * **Route** (inside the enclave) opens the source's sealed batches,
//!   sends each load reading to its house's worker — and, during a
//!   migration, to the replica too ([`crate::migration`]) — and every
//!   reading to the global-median operator.
//! * **Global** (worker 0) keeps the medians of all plugs over both
//!   windows and sends each second's medians to every worker.
//! * **Houses** holds its houses' Query 1 and Query 2 state
//!   ([`crate::processor::Houses`]), evicts cold window pages sealed when
//!   over its share of the EPC, and in a migration sends or installs a
//!   state snapshot through a feedback edge (one epoch later).
//! * **Sink** (worker 0) compares a replica's outputs with the owner's,
//!   drops the duplicates, fingerprints and hands on the outputs, and
//!   records each epoch's latency.
//!
//! With an enclave every packet on every edge is sealed
//! ([`crate::wire`]).

mod feed;
mod global;
mod houses;
mod report;
mod route;
mod sink;
mod worker;

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use timely::WorkerConfig;
use timely::container::CapacityContainerBuilder;
use timely::dataflow::channels::pact::Exchange;
use timely::dataflow::operators::generic::operator::Operator;
use timely::dataflow::operators::{Input, Probe as _};
use timely::dataflow::{InputHandle, ProbeHandle};

pub use report::{DataflowReport, LatencyReport, LatencySummary, MigrationReport};

use crate::enclave::{EPC_BYTES, Enclave, InsecureSoftwareEnclave};
use crate::error::{Result, StreamError};
use crate::migration::{MigrationPlan, Routing};
use crate::processor::Outputs;
use crate::source::EventSource;
use crate::window_log::Pager;
use crate::wire::{Packet, Sealer};
use report::WorkerReport;
use worker::{Worker, migration_epochs};

/// A function that makes worker `index` of `workers` (over all processes)
/// its event source.
pub type SourceFactory = dyn Fn(usize, usize) -> Result<Box<dyn EventSource>> + Send + Sync;

/// Where the outputs go (called on worker 0, epoch by epoch, canonically
/// sorted).
pub type OutputSink = Arc<Mutex<dyn FnMut(&mut Outputs) -> Result<()> + Send>>;

/// Called on worker 0 with the events read so far by this process.
pub type ProgressSink = Arc<dyn Fn(u64) + Send + Sync>;

/// How to run.
#[derive(Clone)]
pub struct DataflowConfig {
    /// Timely workers per process.
    pub workers: usize,
    /// Several processes (timely's cluster mode), if any.
    pub cluster: Option<sfumato_sim::Cluster>,
    /// Seconds of event time per epoch.
    pub epoch_seconds: u32,
    /// Seal every packet and evict state beyond the EPC through the
    /// enclave (the insecure software stand-in).
    pub encrypt: bool,
    /// Seed of the stand-in enclave's keys.
    pub seed: u64,
    /// EPC of each machine (process), shared by its workers.
    pub epc_bytes: usize,
    /// A live migration, if any.
    pub migration: Option<MigrationPlan>,
    /// Workers (over all processes) that hold houses at the start; the
    /// others are spares a migration can move a range onto. `None`: all.
    pub initial_workers: Option<usize>,
    /// Pace the sources to this many events per second in all (for
    /// latency measurements); `None` runs flat out.
    pub rate: Option<f64>,
    /// How many epochs a source may run ahead of the outputs.
    pub max_ahead: u64,
}

impl Default for DataflowConfig {
    fn default() -> Self {
        DataflowConfig {
            workers: 1,
            cluster: None,
            epoch_seconds: 60,
            encrypt: false,
            seed: 0,
            epc_bytes: EPC_BYTES,
            migration: None,
            initial_workers: None,
            rate: None,
            max_ahead: 4,
        }
    }
}

impl DataflowConfig {
    /// Processes: the cluster's, else one.
    fn processes(&self) -> usize {
        self.cluster.as_ref().map_or(1, |c| c.addresses.len())
    }

    /// EPC budget per worker, bytes.
    fn epc_budget(&self) -> usize {
        self.epc_bytes / self.workers
    }
}

/// Runs both queries over the sources. Returns the report on the process
/// holding worker 0 and `None` on the others.
pub fn run_dataflow(
    config: &DataflowConfig,
    sources: Arc<SourceFactory>,
    sink: Option<OutputSink>,
    progress: Option<ProgressSink>,
) -> Result<Option<DataflowReport>> {
    if config.workers == 0 {
        return Err(StreamError::invalid("workers", "must be at least 1"));
    }
    if config.epoch_seconds == 0 {
        return Err(StreamError::invalid("epoch", "must be at least 1 second"));
    }
    let processes = config.processes();
    let total = (config.workers * processes) as u32;
    let active = config.initial_workers.map_or(total, |a| a as u32);
    let routing = Routing::new(total, active, config.migration.clone())?;
    let (builders, others) = sfumato_sim::allocators(config.workers, config.cluster.as_ref())
        .map_err(|e| StreamError::Runtime(e.to_string()))?;
    let enclave: Option<Arc<dyn Enclave>> = config
        .encrypt
        .then(|| Arc::new(InsecureSoftwareEnclave::new(config.seed, config.epc_bytes)) as _);
    let budget = config.epc_budget();
    let injected: Arc<Mutex<BTreeMap<u64, Instant>>> = Arc::new(Mutex::new(BTreeMap::new()));
    let done: Arc<Mutex<BTreeMap<u64, Instant>>> = Arc::new(Mutex::new(BTreeMap::new()));
    let read_total = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let started = Instant::now();
    let shared = Arc::new((
        config.clone(),
        routing,
        enclave.clone(),
        sources,
        sink,
        progress,
        injected.clone(),
        done.clone(),
        read_total,
    ));
    let guards =
        timely::execute::execute_from(builders, others, WorkerConfig::default(), move |worker| {
            let (config, routing, enclave, sources, sink, progress, injected, done, read_total) =
                &*shared;
            let me = worker.index() as u32;
            let peers = worker.peers() as u32;
            let state = Rc::new(RefCell::new(Worker {
                sealer: Sealer::new(enclave.clone(), me),
                pager: match enclave {
                    Some(e) => Pager::new(e.clone(), me, budget),
                    None => Pager::unbounded(),
                },
                report: WorkerReport::default(),
                house_bytes: 0,
                global_bytes: 0,
            }));
            let mut input: InputHandle<u64, CapacityContainerBuilder<Vec<Packet>>> =
                InputHandle::new();
            let probe = ProbeHandle::new();
            let visits = migration_epochs(routing.plan());
            worker.dataflow::<u64, _, _>(|scope| {
                let packets = scope.input_from(&mut input);
                let (events_out, readings_out) =
                    route::route(scope, packets, &state, routing, me, peers);
                let globals = global::global(readings_out, &state, me, peers);
                let outputs_stream =
                    houses::houses(scope, events_out, globals, &state, routing, me, &visits);
                sink::sink(
                    outputs_stream,
                    &state,
                    routing,
                    me,
                    sink.as_ref(),
                    done,
                    &probe,
                );
            });

            // Feed this worker's source.
            let source = match sources(me as usize, peers as usize) {
                Ok(s) => s,
                Err(e) => {
                    state.borrow_mut().fail(e);
                    Box::new(Vec::new().into_iter()) as Box<dyn EventSource>
                }
            };
            feed::feed(
                worker,
                &mut input,
                &probe,
                source,
                &state,
                config,
                me,
                peers,
                injected,
                read_total,
                progress.as_ref(),
            );
            drop(input);
            while !probe.done() {
                worker.step_or_park(None);
            }

            // Every worker's report to worker 0.
            let parts = collect(worker, &state);
            (me == 0).then_some(parts)
        })
        .map_err(StreamError::Runtime)?;
    let mut result = None;
    for joined in guards.join() {
        match joined {
            Ok(Some(r)) => result = Some(r),
            Ok(None) => {}
            Err(e) => return Err(StreamError::Runtime(e)),
        }
    }
    let Some(parts) = result else {
        return Ok(None);
    };
    let wall_seconds = started.elapsed().as_secs_f64();
    report::merge(
        parts,
        config,
        enclave.as_deref(),
        wall_seconds,
        &injected,
        &done,
    )
    .map(Some)
}

/// Sends every worker's report to worker 0: returns them all there and
/// none on the other workers.
fn collect(worker: &mut timely::worker::Worker, state: &Rc<RefCell<Worker>>) -> Vec<WorkerReport> {
    let collected: Rc<RefCell<Vec<WorkerReport>>> = Rc::new(RefCell::new(Vec::new()));
    let mut reports: InputHandle<u64, CapacityContainerBuilder<Vec<WorkerReport>>> =
        InputHandle::new();
    let reports_probe = ProbeHandle::new();
    {
        let collected = collected.clone();
        worker.dataflow::<u64, _, _>(|scope| {
            scope
                .input_from(&mut reports)
                .unary::<CapacityContainerBuilder<Vec<()>>, _, _, _>(
                    Exchange::new(|_r: &WorkerReport| 0u64),
                    "Collect",
                    move |_cap, _info| {
                        move |input, _output| {
                            input.for_each(|_cap, data| collected.borrow_mut().append(data));
                        }
                    },
                )
                .probe_with(&reports_probe);
        });
    }
    let mine = {
        let mut w = state.borrow_mut();
        let Worker {
            sealer,
            pager,
            report,
            ..
        } = &mut *w;
        report.sealed_bytes = sealer.sealed_bytes;
        report.opened_bytes = sealer.opened_bytes;
        report.paging = pager.stats;
        std::mem::take(report)
    };
    reports.send(mine);
    drop(reports);
    while !reports_probe.done() {
        worker.step_or_park(None);
    }
    std::mem::take(&mut *collected.borrow_mut())
}
