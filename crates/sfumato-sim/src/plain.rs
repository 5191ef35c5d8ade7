//! A plain single-threaded loop over the same nodes, in round mode without
//! faults: the reference the timely runtime is checked and measured
//! against (issue 5: "simulator overhead at 1 worker compared with a plain
//! single-threaded loop over the same nodes").
//!
//! Nodes are visited in id order each round; each gets the messages sent
//! to it in the previous round (in the order they were sent, which is
//! sender order because senders are visited in id order), then its due
//! timers. That is the order the runtime establishes by sorting, so both
//! produce the same report. Messages live in one flat buffer per round,
//! grouped by receiver with a stable counting sort: no per-node queues.

use std::time::Instant;

use sfumato_protocol::context::Effects;
use sfumato_protocol::{Context, Message, Node, NodeId, NodeRng, RngKey, Time};

use crate::config::{CostModel, Faults, Mode, SimConfig};
use crate::error::{Result, SimError};
use crate::memory::peak_rss_bytes;
use crate::report::{
    EventRecord, Metrics, NodeStats, Probe, ReportOf, RunInfo, Sample, SimReport, SpreadAcc,
};

type Ctx<'a, N> = Context<'a, <N as Node>::Message, <N as Node>::Timer, <N as Node>::Event>;

/// The loop's state.
struct Plain<N: Node> {
    key: RngKey,
    nodes: Vec<N>,
    rng_pos: Vec<u64>,
    sent: Vec<u64>,
    bytes: Vec<u64>,
    received: Vec<u64>,
    cpu: Vec<u64>,
    /// Messages sent this round: (receiver, sender, message).
    next_inbox: Vec<(u32, u32, N::Message)>,
    timers: Vec<Vec<(u64, N::Timer)>>,
    fx: Effects<N::Message, N::Timer, N::Event>,
    metrics: Metrics,
    events: Vec<EventRecord<N::Event>>,
    costs: CostModel,
    len: u64,
    last: u64,
}

impl<N: Node> Plain<N> {
    fn call(
        &mut self,
        i: usize,
        t: u64,
        from_timer: bool,
        f: impl FnOnce(&mut N, &mut Ctx<'_, N>),
    ) {
        let now = Time(t * self.len);
        self.fx.clear();
        {
            let mut ctx = Context::new(
                NodeId(i as u32),
                now,
                &self.key,
                &mut self.rng_pos[i],
                &mut self.fx,
            );
            f(&mut self.nodes[i], &mut ctx);
        }
        self.metrics.last_active_tick = self.metrics.last_active_tick.max(t);
        for (op, count) in &self.fx.work {
            match self.costs.cost(op) {
                Some(c) => self.cpu[i] = self.cpu[i].saturating_add(c.0.saturating_mul(*count)),
                None => self.metrics.uncosted_operations += count,
            }
        }
        let population = self.nodes.len() as u32;
        for out in self.fx.messages.drain(..) {
            self.sent[i] += 1;
            self.bytes[i] += out.msg.encoded_len() as u64;
            if out.to.0 >= population {
                self.metrics.misaddressed += 1;
            } else if t + 1 > self.last {
                self.metrics.in_flight_at_end += 1;
            } else {
                self.next_inbox.push((out.to.0, i as u32, out.msg));
            }
        }
        let earliest = if from_timer { t + 1 } else { t };
        for (at, timer) in self.fx.timers.drain(..) {
            let tick = at.0.div_ceil(self.len).max(earliest);
            if tick <= self.last {
                self.timers[i].push((tick, timer));
            }
        }
        for event in self.fx.events.drain(..) {
            self.events.push(EventRecord {
                time: now,
                node: NodeId(i as u32),
                event,
            });
        }
    }
}

/// Runs `config` (round mode, no faults) in a plain loop.
pub fn run_plain<N, F, P>(config: &SimConfig, factory: F, probe: P) -> Result<ReportOf<N, P>>
where
    N: Node,
    F: Fn(NodeId, &mut NodeRng) -> N,
    P: Probe<N>,
{
    config.validate()?;
    let Mode::Rounds {
        rounds,
        round_length,
    } = config.mode
    else {
        return Err(SimError::invalid(
            "mode",
            "the plain loop runs round mode only",
        ));
    };
    if config.faults != Faults::none() {
        return Err(SimError::invalid(
            "faults",
            "the plain loop runs without faults",
        ));
    }
    let started = Instant::now();
    let n = config.nodes as usize;
    let key = RngKey::from_seed(config.seed);
    let mut nodes = Vec::with_capacity(n);
    let mut rng_pos = Vec::with_capacity(n);
    for i in 0..config.nodes {
        let mut rng = NodeRng::at(&key, u64::from(i), 0);
        nodes.push(factory(NodeId(i), &mut rng));
        rng_pos.push(rng.next_position());
    }
    let mut p = Plain {
        key,
        nodes,
        rng_pos,
        sent: vec![0; n],
        bytes: vec![0; n],
        received: vec![0; n],
        cpu: vec![0; n],
        next_inbox: Vec::new(),
        timers: (0..n).map(|_| Vec::new()).collect(),
        fx: Effects::default(),
        metrics: Metrics {
            nodes: config.nodes,
            ..Metrics::default()
        },
        events: Vec::new(),
        costs: config.costs.clone(),
        len: round_length.0,
        last: rounds - 1,
    };
    // This round's messages grouped by receiver: node i's are
    // inbox[start[i]..start[i + 1]].
    let mut inbox: Vec<Option<(u32, N::Message)>> = Vec::new();
    let mut start = vec![0usize; n + 1];
    let mut samples = Vec::new();
    for t in 0..rounds {
        let now = Time(t * p.len);
        for i in 0..n {
            if t == 0 {
                p.call(i, t, false, |node, ctx| node.start(ctx));
            }
            for arrived in &mut inbox[start[i]..start[i + 1]] {
                let Some((from, msg)) = arrived.take() else {
                    continue;
                };
                p.received[i] += 1;
                p.call(i, t, false, |node, ctx| {
                    node.handle_message(now, NodeId(from), msg, ctx)
                });
            }
            // Due timers in the order set (including those just set for
            // now); the ones set for later stay.
            let mut k = 0;
            while k < p.timers[i].len() {
                if p.timers[i][k].0 <= t {
                    let (_, timer) = p.timers[i].remove(k);
                    p.call(i, t, true, |node, ctx| node.handle_timer(now, timer, ctx));
                } else {
                    k += 1;
                }
            }
        }
        // Stable counting sort of the round's messages by receiver.
        start.iter_mut().for_each(|s| *s = 0);
        for (to, _, _) in &p.next_inbox {
            start[*to as usize + 1] += 1;
        }
        for i in 0..n {
            start[i + 1] += start[i];
        }
        let mut fill = start.clone();
        inbox.clear();
        inbox.resize_with(p.next_inbox.len(), || None);
        for (to, from, msg) in p.next_inbox.drain(..) {
            inbox[fill[to as usize]] = Some((from, msg));
            fill[to as usize] += 1;
        }
        let mut summary = probe.empty();
        for (i, node) in p.nodes.iter().enumerate() {
            let stats = NodeStats {
                sent: p.sent[i],
                bytes_sent: p.bytes[i],
                received: p.received[i],
                cpu_micros: p.cpu[i],
            };
            probe.observe_with_stats(NodeId(i as u32), node, &stats, now, &mut summary);
        }
        samples.push(Sample {
            tick: t,
            time: now,
            summary,
        });
    }
    let spread = |v: &[u64]| {
        let mut acc = SpreadAcc::default();
        v.iter().for_each(|x| acc.add(*x));
        acc.finish()
    };
    let mut metrics = p.metrics;
    metrics.messages_sent = spread(&p.sent);
    metrics.bytes_sent = spread(&p.bytes);
    metrics.messages_received = spread(&p.received);
    metrics.cpu_micros = spread(&p.cpu);
    metrics.completion_time = Time(metrics.last_active_tick * p.len);
    Ok(SimReport {
        samples,
        events: p.events,
        metrics,
        run: RunInfo {
            workers: 1,
            processes: 1,
            wall_seconds: started.elapsed().as_secs_f64(),
            peak_memory_bytes: peak_rss_bytes(),
        },
    })
}
