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

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use timely::WorkerConfig;
use timely::container::CapacityContainerBuilder;
use timely::dataflow::channels::pact::{Exchange, Pipeline};
use timely::dataflow::operators::generic::builder_rc::OperatorBuilder;
use timely::dataflow::operators::generic::operator::Operator;
use timely::dataflow::operators::{Capability, ConnectLoop, Feedback, Input, Probe as _};
use timely::dataflow::{InputHandle, ProbeHandle};

use crate::enclave::{EPC_BYTES, Enclave, InsecureSoftwareEnclave};
use crate::error::{Result, StreamError};
use crate::event::{Event, Property};
use crate::median::to_milliwatts;
use crate::migration::{MigrationPlan, Routing};
use crate::processor::{Digest, HouseState, Houses, LateFilter, Outputs};
use crate::q1::Accuracy;
use crate::q2::{GlobalAt, GlobalMedians};
use crate::reference::RunCounts;
use crate::source::EventSource;
use crate::window_log::{Pager, PagerStats};
use crate::wire::{Body, Kind, Packet, Sealer};

/// Events per batch from a source.
const BATCH: usize = 16 * 1024;

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
struct WorkerReport {
    counts: RunCounts,
    accuracies: Vec<(u32, Accuracy)>,
    sealed_bytes: u64,
    opened_bytes: u64,
    peak_state_bytes: u64,
    paging: PagerStats,
    duplicates_dropped: u64,
    snapshot_bytes: u64,
    houses_moved: u64,
    /// The sink's (worker 0's) fingerprint of the outputs.
    digest: Digest,
    /// Replica outputs the sink compared.
    compared: u64,
    error: Option<String>,
    /// Whether the error is the input's (a malformed file, a bad parameter).
    bad_input: bool,
}

/// One worker's mutable state, shared by its operators.
struct Worker {
    sealer: Sealer,
    pager: Pager,
    report: WorkerReport,
    house_bytes: usize,
    global_bytes: usize,
}

impl Worker {
    fn fail(&mut self, e: StreamError) {
        if self.report.error.is_none() {
            self.report.bad_input =
                matches!(e, StreamError::Input { .. } | StreamError::Invalid { .. });
            self.report.error = Some(e.to_string());
        }
    }
}

/// The epochs each operator must visit even without data: the migration's.
fn migration_epochs(plan: Option<&MigrationPlan>) -> Vec<u64> {
    plan.map_or_else(Vec::new, |p| vec![p.snapshot - 1, p.snapshot, p.switch - 1])
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
    let processes = config.cluster.as_ref().map_or(1, |c| c.addresses.len());
    let total = (config.workers * processes) as u32;
    let active = config.initial_workers.map_or(total, |a| a as u32);
    let routing = Routing::new(total, active, config.migration.clone())?;
    let (builders, others) = sfumato_sim::allocators(config.workers, config.cluster.as_ref())
        .map_err(|e| StreamError::Runtime(e.to_string()))?;
    let enclave: Option<Arc<dyn Enclave>> = config
        .encrypt
        .then(|| Arc::new(InsecureSoftwareEnclave::new(config.seed, config.epc_bytes)) as _);
    let budget = config.epc_bytes / config.workers;
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
    let guards = timely::execute::execute_from(builders, others, WorkerConfig::default(), move |worker| {
        let (config, routing, enclave, sources, sink, progress, injected, done, read_total) = &*shared;
        let me = worker.index() as u32;
        let peers = worker.peers() as u32;
        let epoch_seconds = config.epoch_seconds;
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
        let mut input: InputHandle<u64, CapacityContainerBuilder<Vec<Packet>>> = InputHandle::new();
        let probe = ProbeHandle::new();
        let visits = migration_epochs(routing.plan());
        worker.dataflow::<u64, _, _>(|scope| {
            let packets = scope.input_from(&mut input);

            // Route: open the source's batches, send readings on.
            let (events_out, readings_out) = {
                let mut builder = OperatorBuilder::new("Route".to_owned(), scope);
                let mut from_source = builder.new_input(packets, Pipeline);
                let (events_output, events_stream) = builder.new_output::<Vec<Packet>>();
                let (readings_output, readings_stream) = builder.new_output::<Vec<Packet>>();
                let mut events_output = timely::dataflow::operators::generic::OutputBuilder::<_, CapacityContainerBuilder<Vec<Packet>>>::from(events_output);
                let mut readings_output = timely::dataflow::operators::generic::OutputBuilder::<_, CapacityContainerBuilder<Vec<Packet>>>::from(readings_output);
                let state = state.clone();
                let routing = routing.clone();
                builder.build(move |_caps| {
                    let mut per_dest: Vec<Vec<Event>> = vec![Vec::new(); peers as usize];
                    move |_frontiers| {
                        let mut ev = events_output.activate();
                        let mut rd = readings_output.activate();
                        from_source.for_each(|cap, data| {
                            let Some(&epoch) = cap.least() else { return };
                            let (Some(cap_events), Some(cap_readings)) = (cap.retain_least(0), cap.retain_least(1)) else {
                                return;
                            };
                            let mut w = state.borrow_mut();
                            for packet in data.drain(..) {
                                let events = match w.sealer.unpack(packet, me, epoch) {
                                    Ok(Body::Events(e)) => e,
                                    Ok(_) => {
                                        w.fail(StreamError::Sealed("a source packet without events".into()));
                                        continue;
                                    }
                                    Err(e) => {
                                        w.fail(e);
                                        continue;
                                    }
                                };
                                let mut readings = Vec::with_capacity(events.len());
                                for e in events {
                                    if e.property != Property::Load {
                                        w.report.counts.work += 1;
                                        continue;
                                    }
                                    w.report.counts.loads += 1;
                                    readings.push((e.timestamp, to_milliwatts(e.value)));
                                    let r = routing.route(e.house, epoch);
                                    per_dest[r.primary as usize].push(e);
                                    if let Some(replica) = r.replica {
                                        per_dest[replica as usize].push(e);
                                    }
                                }
                                for (dest, batch) in per_dest.iter_mut().enumerate() {
                                    if batch.is_empty() {
                                        continue;
                                    }
                                    match w.sealer.pack(Kind::Events, dest as u32, epoch, Body::Events(std::mem::take(batch))) {
                                        Ok(p) => ev.session(&cap_events).give(p),
                                        Err(e) => w.fail(e),
                                    }
                                }
                                if !readings.is_empty() {
                                    match w.sealer.pack(Kind::Readings, 0, epoch, Body::Readings(readings)) {
                                        Ok(p) => rd.session(&cap_readings).give(p),
                                        Err(e) => w.fail(e),
                                    }
                                }
                            }
                        });
                    }
                });
                (events_stream, readings_stream)
            };

            // Global: the medians of all plugs, on worker 0.
            let globals = {
                let state = state.clone();
                let mut stash: BTreeMap<u64, Vec<Packet>> = BTreeMap::new();
                let mut global = GlobalMedians::new();
                readings_out.unary_frontier::<CapacityContainerBuilder<Vec<Packet>>, _, _, _>(
                    Exchange::new(|p: &Packet| u64::from(p.dest)),
                    "Global",
                    move |initial, _info| {
                        let mut held: Option<Capability<u64>> = Some(initial);
                        move |(input, frontier), output| {
                            input.for_each(|cap, data| {
                                if let Some(&t) = cap.least() {
                                    stash.entry(t).or_default().append(data);
                                }
                            });
                            let mut w = state.borrow_mut();
                            while let Some((&epoch, _)) = stash.first_key_value() {
                                if frontier.less_equal(&epoch) {
                                    break;
                                }
                                let packets = stash.remove(&epoch).unwrap_or_default();
                                let mut readings: Vec<(u32, u32)> = Vec::new();
                                for p in packets {
                                    match w.sealer.unpack(p, me, epoch) {
                                        Ok(Body::Readings(mut r)) => readings.append(&mut r),
                                        Ok(_) => w.fail(StreamError::Sealed("not readings".into())),
                                        Err(e) => w.fail(e),
                                    }
                                }
                                readings.sort_unstable();
                                let mut medians = Vec::new();
                                let mut i = 0;
                                while i < readings.len() {
                                    let ts = readings[i].0;
                                    while i < readings.len() && readings[i].0 == ts {
                                        global.add(ts, readings[i].1);
                                        i += 1;
                                    }
                                    let Worker { pager, .. } = &mut *w;
                                    match global.at(ts, pager) {
                                        Ok(g) => medians.push(g),
                                        Err(e) => w.fail(e),
                                    }
                                }
                                w.report.counts.seconds += medians.len() as u64;
                                w.global_bytes = global.bytes();
                                let over = (w.global_bytes + w.house_bytes).saturating_sub(w.pager.budget);
                                if over > 0 && w.pager.evicts() {
                                    let enough = over.div_ceil(crate::window_log::PAGE_BYTES);
                                    let Worker { pager, .. } = &mut *w;
                                    if let Err(e) = global.evict(pager, enough) {
                                        w.fail(e);
                                    }
                                    w.global_bytes = global.bytes();
                                }
                                if let Some(cap) = held.as_ref() {
                                    let cap = cap.delayed(&epoch);
                                    let mut session = output.session(&cap);
                                    for dest in 0..peers {
                                        match w.sealer.pack(Kind::Globals, dest, epoch, Body::Globals(medians.clone())) {
                                            Ok(p) => session.give(p),
                                            Err(e) => w.fail(e),
                                        }
                                    }
                                }
                            }
                            match frontier.frontier().first() {
                                Some(&f) => {
                                    if let Some(cap) = held.as_mut() {
                                        let next = stash.keys().next().map_or(f, |&k| k.min(f));
                                        if *cap.time() < next {
                                            cap.downgrade(&next);
                                        }
                                    }
                                }
                                None => held = None,
                            }
                        }
                    },
                )
            };

            // Houses: both queries for this worker's houses.
            let (state_handle, state_in) = scope.feedback::<Vec<Packet>>(1);
            let (outputs_stream, state_stream) = {
                let mut builder = OperatorBuilder::new("Houses".to_owned(), scope);
                let exchange = || Exchange::new(|p: &Packet| u64::from(p.dest));
                let mut events_in = builder.new_input(events_out, exchange());
                let mut globals_in = builder.new_input(globals, exchange());
                let mut snapshots_in = builder.new_input(state_in, exchange());
                let (outputs_output, outputs_stream) = builder.new_output::<Vec<Packet>>();
                let (state_output, state_stream) = builder.new_output::<Vec<Packet>>();
                let mut outputs_output = timely::dataflow::operators::generic::OutputBuilder::<_, CapacityContainerBuilder<Vec<Packet>>>::from(outputs_output);
                let mut state_output = timely::dataflow::operators::generic::OutputBuilder::<_, CapacityContainerBuilder<Vec<Packet>>>::from(state_output);
                let state = state.clone();
                let routing = routing.clone();
                let visits = visits.clone();
                builder.build(move |caps| {
                    let mut held: Option<(Capability<u64>, Capability<u64>)> = {
                        let mut it = caps.into_iter();
                        match (it.next(), it.next()) {
                            (Some(a), Some(b)) => Some((a, b)),
                            _ => None,
                        }
                    };
                    let mut events: BTreeMap<u64, Vec<Packet>> = BTreeMap::new();
                    let mut medians: BTreeMap<u64, Vec<Packet>> = BTreeMap::new();
                    let mut snapshots: BTreeMap<u64, Vec<Packet>> = BTreeMap::new();
                    let mut houses = Houses::new();
                    let mut visited: Vec<u64> = visits.clone();
                    move |frontiers| {
                        for (handle, stash) in [(&mut events_in, &mut events), (&mut globals_in, &mut medians), (&mut snapshots_in, &mut snapshots)] {
                            handle.for_each(|cap, data| {
                                if let Some(&t) = cap.least() {
                                    stash.entry(t).or_default().append(data);
                                }
                            });
                        }
                        let passed = |e: &u64| frontiers.iter().all(|f| !f.less_equal(e));
                        let mut out_session = outputs_output.activate();
                        let mut state_session = state_output.activate();
                        loop {
                            // The next epoch with anything to do.
                            let next = [
                                events.keys().next(),
                                medians.keys().next(),
                                snapshots.keys().next(),
                                visited.iter().min(),
                            ]
                            .into_iter()
                            .flatten()
                            .min()
                            .copied();
                            let Some(epoch) = next.filter(passed) else { break };
                            visited.retain(|&v| v != epoch);
                            let Some((cap_out, cap_state)) = held.as_ref() else { break };
                            let cap_out = cap_out.delayed(&epoch);
                            let cap_state = cap_state.delayed(&epoch);
                            let mut w = state.borrow_mut();
                            let plan = routing.plan();
                            // A replica installs the snapshot at its epoch.
                            for p in snapshots.remove(&epoch).unwrap_or_default() {
                                match w.sealer.unpack(p, me, epoch) {
                                    Ok(Body::State(s)) => {
                                        w.report.houses_moved += s.len() as u64;
                                        houses.install(s);
                                    }
                                    Ok(_) => w.fail(StreamError::Migration("a state packet without state".into())),
                                    Err(e) => w.fail(e),
                                }
                            }
                            let mut batch: Vec<Event> = Vec::new();
                            for p in events.remove(&epoch).unwrap_or_default() {
                                match w.sealer.unpack(p, me, epoch) {
                                    Ok(Body::Events(mut e)) => batch.append(&mut e),
                                    Ok(_) => w.fail(StreamError::Sealed("not events".into())),
                                    Err(e) => w.fail(e),
                                }
                            }
                            let mut globals: Vec<GlobalAt> = Vec::new();
                            for p in medians.remove(&epoch).unwrap_or_default() {
                                match w.sealer.unpack(p, me, epoch) {
                                    Ok(Body::Globals(mut g)) => globals.append(&mut g),
                                    Ok(_) => w.fail(StreamError::Sealed("not medians".into())),
                                    Err(e) => w.fail(e),
                                }
                            }
                            // The replica drops duplicates its snapshot covers.
                            if let Some(p) = plan.filter(|p| p.to == me && epoch < p.snapshot) {
                                let before = batch.len();
                                batch.retain(|e| !p.houses.contains(&e.house) || !routing.moving(e.house));
                                w.report.duplicates_dropped += (before - batch.len()) as u64;
                            }
                            batch.sort_unstable_by_key(|e| (e.timestamp, e.id));
                            globals.sort_by_key(|g| g.ts);
                            let mut out = Outputs::default();
                            let mut g = globals.iter().peekable();
                            {
                                let Worker { pager, .. } = &mut *w;
                                let mut failed = None;
                                for e in &batch {
                                    while let Some(at) = g.next_if(|at| at.ts < e.timestamp) {
                                        if let Err(err) = houses.evaluate(at, pager, &mut out) {
                                            failed = Some(err);
                                        }
                                    }
                                    houses.load(e, &mut out);
                                }
                                for at in g {
                                    if let Err(err) = houses.evaluate(at, pager, &mut out) {
                                        failed = Some(err);
                                    }
                                }
                                if let Some(err) = failed {
                                    w.fail(err);
                                }
                            }
                            // Outputs: the replica's are compared, not counted.
                            let replica_phase = plan.is_some_and(|p| p.to == me && epoch >= p.snapshot && epoch < p.switch);
                            let mut replica = Outputs::default();
                            if replica_phase {
                                let moving = |h: u32| routing.moving(h);
                                replica = out.clone();
                                replica.retain(moving);
                                out.retain(|h| !moving(h));
                            }
                            for (kind, o) in [(Kind::Outputs, out), (Kind::ReplicaOutputs, replica)] {
                                if o.is_empty() {
                                    continue;
                                }
                                match w.sealer.pack(kind, 0, epoch, Body::Outputs(o)) {
                                    Ok(p) => out_session.session(&cap_out).give(p),
                                    Err(e) => w.fail(e),
                                }
                            }
                            // The owner's side of a migration.
                            if let Some(p) = plan {
                                if epoch + 1 == p.snapshot && p.to != me {
                                    let snapshot: Vec<HouseState> = houses.snapshot(|h| routing.moving(h));
                                    // Sealed for the epoch it arrives at (one later).
                                    match w.sealer.pack(Kind::State, p.to, epoch + 1, Body::State(snapshot)) {
                                        Ok(packet) => {
                                            w.report.snapshot_bytes += match &packet.body {
                                                Body::Sealed(b) => b.len() as u64,
                                                Body::State(s) => postcard::to_allocvec(s).map_or(0, |v| v.len() as u64),
                                                _ => 0,
                                            };
                                            state_session.session(&cap_state).give(packet);
                                        }
                                        Err(e) => w.fail(e),
                                    }
                                }
                                if epoch + 1 == p.switch && p.to != me {
                                    houses.take(|h| routing.moving(h));
                                }
                            }
                            // The EPC budget.
                            let other = w.global_bytes;
                            let Worker { pager, .. } = &mut *w;
                            if let Err(e) = houses.keep_within_budget(pager, other) {
                                w.fail(e);
                            }
                            // What stays resident after eviction.
                            w.house_bytes = houses.bytes();
                            w.report.peak_state_bytes = w.report.peak_state_bytes.max((w.house_bytes + w.global_bytes) as u64);
                        }
                        // Hold capabilities only as far back as needed.
                        // (Not the snapshot input's: it follows our own capability.)
                        let lowest = frontiers[..2].iter().filter_map(|f| f.frontier().first().copied()).min();
                        let pending = [events.keys().next(), medians.keys().next(), snapshots.keys().next(), visited.iter().min()]
                            .into_iter()
                            .flatten()
                            .min()
                            .copied();
                        match (lowest, pending) {
                            (None, None) => {
                                held = None;
                                let mut w = state.borrow_mut();
                                w.report.accuracies = houses.accuracies();
                            }
                            (a, b) => {
                                let next = a.into_iter().chain(b).min().unwrap_or(0);
                                if let Some((c1, c2)) = held.as_mut()
                                    && *c1.time() < next {
                                        c1.downgrade(&next);
                                        c2.downgrade(&next);
                                    }
                            }
                        }
                    }
                });
                (outputs_stream, state_stream)
            };
            state_stream.connect_loop(state_handle);

            // Sink: compare, drop duplicates, fingerprint, hand on.
            let state_sink = state.clone();
            let sink = sink.clone();
            let done = done.clone();
            let routing_sink = routing.clone();
            let mut stash: BTreeMap<u64, Vec<Packet>> = BTreeMap::new();
            outputs_stream
                .unary_frontier::<CapacityContainerBuilder<Vec<()>>, _, _, _>(
                    Exchange::new(|p: &Packet| u64::from(p.dest)),
                    "Sink",
                    move |_initial, _info| {
                        move |(input, frontier), _output| {
                            input.for_each(|cap, data| {
                                if let Some(&t) = cap.least() {
                                    stash.entry(t).or_default().append(data);
                                }
                            });
                            while let Some((&epoch, _)) = stash.first_key_value() {
                                if frontier.less_equal(&epoch) {
                                    break;
                                }
                                let packets = stash.remove(&epoch).unwrap_or_default();
                                let mut w = state_sink.borrow_mut();
                                let mut primary = Outputs::default();
                                let mut replica = Outputs::default();
                                for p in packets {
                                    let kind = p.kind;
                                    match w.sealer.unpack(p, me, epoch) {
                                        Ok(Body::Outputs(mut o)) if kind == Kind::Outputs => primary.append(&mut o),
                                        Ok(Body::Outputs(mut o)) if kind == Kind::ReplicaOutputs => replica.append(&mut o),
                                        Ok(_) => w.fail(StreamError::Sealed("not outputs".into())),
                                        Err(e) => w.fail(e),
                                    }
                                }
                                if !replica.is_empty() {
                                    let mut owner = primary.clone();
                                    owner.retain(|h| routing_sink.moving(h));
                                    owner.sort();
                                    replica.sort();
                                    let compared = (replica.forecasts.len() + replica.outliers.len()) as u64;
                                    if owner != replica {
                                        w.fail(StreamError::Migration(format!(
                                            "in epoch {epoch} the replica's outputs ({} forecasts, {} outliers) differ from the owner's ({}, {})",
                                            replica.forecasts.len(), replica.outliers.len(),
                                            owner.forecasts.len(), owner.outliers.len()
                                        )));

                                    }
                                    w.report.compared += compared;
                                }
                                primary.sort();
                                w.report.digest.add(&primary);
                                if let Some(sink) = sink.as_ref() {
                                    match sink.lock() {
                                        Ok(mut f) => {
                                            if let Err(e) = f(&mut primary) {
                                                w.fail(e);
                                            }
                                        }
                                        Err(_) => w.fail(StreamError::Runtime("the output sink panicked".into())),
                                    }
                                }
                                if let Ok(mut d) = done.lock() {
                                    d.insert(epoch, Instant::now());
                                }
                            }
                        }
                    },
                )
                .probe_with(&probe);
        });

        // Feed this worker's source.
        let mut source = match sources(me as usize, peers as usize) {
            Ok(s) => s,
            Err(e) => {
                state.borrow_mut().fail(e);
                Box::new(Vec::new().into_iter()) as Box<dyn EventSource>
            }
        };
        let mut late = LateFilter::default();
        let mut batch = Vec::with_capacity(BATCH);
        let mut pending: Vec<Event> = Vec::with_capacity(BATCH);
        let mut current: Option<u64> = None;
        let mut read = 0u64;
        let share = config.rate.map(|r| r / f64::from(peers));
        let begun = Instant::now();
        let flush = |pending: &mut Vec<Event>, epoch: u64, input: &mut InputHandle<u64, CapacityContainerBuilder<Vec<Packet>>>| {
            if pending.is_empty() {
                return;
            }
            let mut w = state.borrow_mut();
            match w.sealer.pack(Kind::Ingress, me, epoch, Body::Events(std::mem::take(pending))) {
                Ok(p) => input.send(p),
                Err(e) => w.fail(e),
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
                        flush(&mut pending, c, &mut input);
                        if let Ok(mut m) = injected.lock() {
                            let now = Instant::now();
                            m.entry(c).and_modify(|t| *t = (*t).max(now)).or_insert(now);
                        }
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
                    flush(&mut pending, epoch, &mut input);
                    worker.step();
                }
            }
            if let Some(rate) = share {
                let due = begun + Duration::from_secs_f64(read as f64 / rate);
                while Instant::now() < due {
                    worker.step_or_park(Some(due.saturating_duration_since(Instant::now()).min(Duration::from_millis(1))));
                }
            }
            read_total.fetch_add(n as u64, std::sync::atomic::Ordering::Relaxed);
            if me == 0
                && let Some(p) = progress.as_ref() {
                    p(read_total.load(std::sync::atomic::Ordering::Relaxed));
                }
            worker.step();
        }
        if let Some(c) = current {
            flush(&mut pending, c, &mut input);
            if let Ok(mut m) = injected.lock() {
                let now = Instant::now();
                m.entry(c).and_modify(|t| *t = (*t).max(now)).or_insert(now);
            }
        }
        {
            let mut w = state.borrow_mut();
            w.report.counts.events += read;
            w.report.counts.late += late.late;
        }
        drop(input);
        while !probe.done() {
            worker.step_or_park(None);
        }

        // Every worker's report to worker 0.
        let collected: Rc<RefCell<Vec<WorkerReport>>> = Rc::new(RefCell::new(Vec::new()));
        let mut reports: InputHandle<u64, CapacityContainerBuilder<Vec<WorkerReport>>> = InputHandle::new();
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
            let Worker { sealer, pager, report, .. } = &mut *w;
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
        let parts = std::mem::take(&mut *collected.borrow_mut());
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
    Ok(Some(DataflowReport {
        workers: config.workers,
        processes,
        counts,
        digest,
        accuracy,
        wall_seconds,
        encrypted: config.encrypt,
        enclave: enclave.as_ref().map(|e| e.name().to_string()),
        enclave_secure: enclave.as_ref().is_some_and(|e| e.is_secure()),
        sealed_bytes,
        opened_bytes,
        epc_budget_bytes: budget as u64,
        peak_state_bytes,
        paging,
        migration: config.migration.is_some().then_some(migration),
        latency,
        peak_rss_bytes: sfumato_sim::memory::peak_rss_bytes(),
    }))
}

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
