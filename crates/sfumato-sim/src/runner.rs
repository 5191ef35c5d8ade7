//! The simulator on timely dataflow (ARCHITECTURE.md, "Runtimes").
//!
//! Each worker owns a [`Shard`] of the population. One timely timestamp is
//! one tick. The node operator reads messages from an `Exchange` keyed by
//! the receiver, stashes them by tick, and processes a tick only once the
//! input frontier has passed it — when no worker can still send anything
//! for it. A message for tick `a` leaves the operator at time `a − 1` and
//! re-enters through a feedback edge of summary 1, so every message takes
//! at least one tick and progress is guaranteed. The operator holds one
//! capability, at its next tick with work (a message, a timer or an
//! observation), and drops it when it has none left before the end.
//!
//! After the loop has drained, a second dataflow sends every shard's
//! results to worker 0, which merges them.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Instant;

use sfumato_protocol::{Node, NodeId, NodeRng};
use timely::communication::allocator::ProcessBuilder;
use timely::communication::allocator::zero_copy::initialize::initialize_networking_from_sockets;
use timely::communication::{AllocatorBuilder, Hooks};
use timely::container::CapacityContainerBuilder;
use timely::dataflow::channels::pact::Exchange;
use timely::dataflow::operators::generic::operator::Operator;
use timely::dataflow::operators::{Capability, ConnectLoop, Feedback, Input, Probe as _};
use timely::dataflow::{InputHandle, ProbeHandle};
use timely::{CommunicationConfig, WorkerConfig};

use crate::config::{Cluster, SimConfig};
use crate::error::{Result, SimError};
use crate::memory::peak_rss_bytes;
use crate::report::{Probe, Progress, ProgressFn, ReportOf, RunInfo, SimReport};
use crate::shard::{Envelope, Shard, ShardResult, merge_results};

/// Runs `config` with nodes built by `factory` (called with each node's id
/// and its own random stream), observed by `probe`.
///
/// Returns the report on the process that holds worker 0 (the only
/// process, unless `config.cluster` says otherwise) and `None` on the
/// others. With a given seed the report's outcome
/// ([`SimReport::same_outcome`]) is the same for any number of workers and
/// processes.
pub fn run<N, F, P>(
    config: &SimConfig,
    factory: F,
    probe: P,
    progress: Option<ProgressFn>,
) -> Result<Option<ReportOf<N, P>>>
where
    N: Node + 'static,
    F: Fn(NodeId, &mut NodeRng) -> N + Send + Sync + 'static,
    P: Probe<N>,
{
    config.validate()?;
    let (builders, others) = allocators(config.workers, config.cluster.as_ref())?;
    let processes = config.cluster.as_ref().map_or(1, |c| c.addresses.len());
    let this_process = config.cluster.as_ref().map_or(0, |c| c.process);
    let merge_probe = probe.clone();
    let shared = Arc::new((config.clone(), factory, probe, progress));
    let started = Instant::now();
    let guards =
        timely::execute::execute_from(builders, others, WorkerConfig::default(), move |worker| {
            let (config, factory, probe, progress) = &*shared;
            let index = worker.index();
            let peers = worker.peers();
            let shard = Rc::new(RefCell::new(Shard::new(
                config,
                index,
                peers,
                factory,
                probe.clone(),
            )));
            let last_tick = shard.borrow().last_tick();

            // Dataflow 1: the nodes.
            let loop_probe = ProbeHandle::new();
            {
                let shard = shard.clone();
                let loop_probe = loop_probe.clone();
                worker.dataflow::<u64, _, _>(move |scope| {
                    let (handle, cycle) = scope.feedback::<Vec<Envelope<N::Message>>>(1);
                    cycle
                        .unary_frontier(
                            Exchange::new(|e: &Envelope<N::Message>| u64::from(e.to)),
                            "Nodes",
                            move |initial, _info| {
                                let mut held: Option<Capability<u64>> = Some(initial);
                                move |(input, frontier), output| {
                                    let mut shard = shard.borrow_mut();
                                    input.for_each_stamp(|cap, data| {
                                        let Some(&t) = cap.least() else { return };
                                        if held.as_ref().is_none_or(|h| t < *h.time())
                                            && t <= shard.last_tick()
                                        {
                                            held = cap.retain_least(0);
                                        }
                                        for batch in data {
                                            shard.stash(t, batch);
                                        }
                                    });
                                    loop {
                                        let Some(t) = shard.next_tick() else {
                                            held = None;
                                            break;
                                        };
                                        if frontier.frontier().less_equal(&t) {
                                            break;
                                        }
                                        let Some(cap) = held.as_mut() else { break };
                                        if *cap.time() < t {
                                            cap.downgrade(&t);
                                        }
                                        shard.process_tick(t);
                                        // Send what the tick produced, grouped by the
                                        // time it leaves (one tick before arrival).
                                        let (outbox, arrivals) = shard.outbox();
                                        if let Some(&at) = arrivals.first()
                                            && arrivals.iter().all(|a| *a == at)
                                        {
                                            let c = cap.delayed(&(at - 1));
                                            output.session(&c).give_container(outbox);
                                        } else {
                                            let mut by_time: BTreeMap<
                                                u64,
                                                Vec<Envelope<N::Message>>,
                                            > = BTreeMap::new();
                                            for (env, at) in outbox.drain(..).zip(arrivals.iter()) {
                                                by_time.entry(at - 1).or_default().push(env);
                                            }
                                            for (time, mut batch) in by_time {
                                                let c = cap.delayed(&time);
                                                output.session(&c).give_container(&mut batch);
                                            }
                                        }
                                        outbox.clear();
                                        arrivals.clear();
                                    }
                                    if let (Some(cap), Some(next)) =
                                        (held.as_mut(), shard.next_tick())
                                        && *cap.time() < next
                                    {
                                        cap.downgrade(&next);
                                    }
                                }
                            },
                        )
                        .probe_with(&loop_probe)
                        .connect_loop(handle);
                });
            }

            // Dataflow 2: every shard's results to worker 0.
            let collected: Rc<RefCell<Vec<ShardResult<_, _>>>> = Rc::new(RefCell::new(Vec::new()));
            let mut results_in: InputHandle<u64, CapacityContainerBuilder<Vec<ShardResult<_, _>>>> =
                InputHandle::new();
            let results_probe = ProbeHandle::new();
            {
                let collected = collected.clone();
                let results_probe = results_probe.clone();
                worker.dataflow::<u64, _, _>(|scope| {
                    scope
                        .input_from(&mut results_in)
                        .unary::<CapacityContainerBuilder<Vec<()>>, _, _, _>(
                            Exchange::new(|_r: &ShardResult<_, _>| 0u64),
                            "Collect",
                            move |_cap, _info| {
                                move |input, _output| {
                                    input.for_each_stamp(|_cap, data| {
                                        for batch in data {
                                            collected.borrow_mut().append(batch);
                                        }
                                    });
                                }
                            },
                        )
                        .probe_with(&results_probe);
                });
            }

            let mut reported = u64::MAX;
            while !loop_probe.done() {
                worker.step_or_park(None);
                if let Some(report) = progress.as_ref().filter(|_| index == 0) {
                    let done = loop_probe
                        .with_frontier(|f| f.first().copied())
                        .unwrap_or(last_tick + 1);
                    if done != reported {
                        reported = done;
                        report(Progress {
                            completed_ticks: done.min(last_tick + 1),
                            total_ticks: last_tick + 1,
                        });
                    }
                }
            }
            let result = shard.borrow_mut().finish(this_process, peak_rss_bytes());
            results_in.send(result);
            drop(results_in);
            while !results_probe.done() {
                worker.step_or_park(None);
            }
            let parts = std::mem::take(&mut *collected.borrow_mut());
            (index == 0).then_some(parts)
        })
        .map_err(SimError::Runtime)?;
    let mut parts = None;
    for joined in guards.join() {
        match joined {
            Ok(Some(p)) => parts = Some(p),
            Ok(None) => {}
            Err(e) => return Err(SimError::Runtime(e)),
        }
    }
    let Some(parts) = parts else { return Ok(None) };
    let (samples, events, metrics, peak) =
        merge_results::<N, P>(&merge_probe, parts, config.mode.tick_length().0.max(1));
    Ok(Some(SimReport {
        samples,
        events,
        metrics,
        run: RunInfo {
            workers: config.workers,
            processes,
            wall_seconds: started.elapsed().as_secs_f64(),
            peak_memory_bytes: peak,
        },
    }))
}

/// Timely's communication set-up for `workers` threads in this process and,
/// with `cluster`, its processes connected over our own sockets (see the
/// `cluster` module): one clear error within [`crate::CONNECT_TIMEOUT`]
/// instead of timely's retrying forever. The second value must outlive the
/// computation (it owns the network threads).
pub fn allocators(
    workers: usize,
    cluster: Option<&Cluster>,
) -> Result<(Vec<AllocatorBuilder>, Box<dyn std::any::Any + Send>)> {
    match cluster {
        None => {
            let communication = if workers == 1 {
                CommunicationConfig::Thread
            } else {
                CommunicationConfig::Process(workers)
            };
            communication.try_build().map_err(SimError::Runtime)
        }
        Some(c) => {
            let sockets = crate::cluster::connect(c, crate::cluster::CONNECT_TIMEOUT)?;
            let hooks = Hooks::default();
            let process = ProcessBuilder::new_typed_vector(
                workers,
                hooks.refill.clone(),
                hooks.spill.clone(),
            );
            let (tcp, guard) =
                initialize_networking_from_sockets(process, sockets, c.process, workers, hooks)
                    .map_err(|e| SimError::Runtime(format!("cluster networking: {e}")))?;
            Ok((
                tcp.into_iter().map(AllocatorBuilder::Tcp).collect(),
                Box::new(guard),
            ))
        }
    }
}
