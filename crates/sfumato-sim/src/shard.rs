//! One worker's share of the population and the processing of one tick
//! (ARCHITECTURE.md, "Runtimes"). Node `i` lives in shard `i mod W`.
//!
//! A tick `t` is processed in this order, which is what makes a run
//! independent of the sharding:
//! 1. at tick 0, `start` for every node not failed at the start;
//! 2. the messages due at `t`, sorted by (receiver, sender, sender's
//!    sequence number) — the order does not depend on which worker sent
//!    them or when they arrived;
//! 3. the timers due at `t` (including those the messages of this tick set
//!    for now or earlier), in the order each node set them;
//! 4. on sample ticks, the probe over the live nodes.
//!
//! Every random decision of the runtime is a hash of the seed and of the
//! decision's identity (sender, sequence number), and every node draws from
//! its own stream, so no outcome depends on the order in which shards run.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};
use sfumato_protocol::context::Effects;
use sfumato_protocol::{Context, Message, Node, NodeId, NodeRng, RngKey, Time};

use crate::config::{Faults, LatencyModel, Mode, SimConfig};
use crate::hash::{hash, normal, tag, unit};
use crate::report::{EventRecord, Metrics, NodeStats, Probe, Sample, SpreadAcc};

/// A message in flight.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct Envelope<M> {
    /// The node it is delivered to.
    pub(crate) to: u32,
    /// The sender (for a bounce: the node that could not be reached).
    pub(crate) from: u32,
    /// The sender's sequence number of the message.
    pub(crate) seq: u64,
    /// A message returned to its sender as undeliverable.
    pub(crate) bounced: bool,
    /// The message.
    pub(crate) msg: M,
}

/// A busy node's waiting messages by (sender, sequence number, bounced).
type Backlog<M> = BTreeMap<(u32, u64, bool), Envelope<M>>;

/// A node and the runtime's bookkeeping for it.
struct Slot<N> {
    node: N,
    rng_pos: u64,
    /// First tick at which the node is crashed (`u64::MAX`: never).
    crash_tick: u64,
    failed_at_start: bool,
    sent: u64,
    bytes: u64,
    received: u64,
    cpu_micros: u64,
    /// Virtual time: the node is busy computing until this tick.
    busy_until: u64,
}

/// The part of a run one worker owns.
pub(crate) struct Shard<N: Node, P: Probe<N>> {
    index: u32,
    peers: u32,
    nodes: u32,
    seed: u64,
    key: RngKey,
    tick_len: u64,
    last_tick: u64,
    round_mode: bool,
    latency: LatencyModel,
    churn: f64,
    loss: f64,
    offline: f64,
    offline_period: u64,
    offline_from: u64,
    spared: Vec<u32>,
    costs: crate::config::CostModel,
    sample_interval: u64,
    next_sample: Option<u64>,
    started: bool,
    slots: Vec<Slot<N>>,
    pending: BTreeMap<u64, Vec<Envelope<N::Message>>>,
    /// Emptied delivery buffers, kept to avoid reallocating every tick.
    recycled: Vec<Vec<Envelope<N::Message>>>,
    /// The tick's messages in delivery order (reused).
    ordered: Vec<Option<Envelope<N::Message>>>,
    /// Scratch for the counting sort by receiver: ranges…
    bucket: Vec<u32>,
    /// …and receivers within a range.
    count: Vec<u32>,
    /// The tick's messages grouped by range of receivers (reused).
    stage: Vec<Option<Envelope<N::Message>>>,
    timers: BTreeMap<u64, Vec<(u32, N::Timer)>>,
    /// Messages that arrived while their receiver was busy computing, per
    /// receiver, in delivery order (sender, then sequence number): handled
    /// one by one as the node frees up, each once (re-deferring them all
    /// after each one made a busy node's backlog quadratic).
    backlogs: HashMap<usize, Backlog<N::Message>>,
    /// When a node with a backlog is free again.
    wakes: BTreeMap<u64, Vec<u32>>,
    effects: Effects<N::Message, N::Timer, N::Event>,
    outbox: Vec<Envelope<N::Message>>,
    /// The arrival tick of each message of the outbox.
    outbox_at: Vec<u64>,
    probe: P,
    samples: Vec<Sample<P::Summary>>,
    events: Vec<EventRecord<N::Event>>,
    metrics: Metrics,
}

/// What one shard hands over at the end.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct ShardResult<S, E> {
    pub(crate) samples: Vec<Sample<S>>,
    pub(crate) events: Vec<EventRecord<E>>,
    pub(crate) metrics: Metrics,
    pub(crate) sent: SpreadAcc,
    pub(crate) bytes: SpreadAcc,
    pub(crate) received: SpreadAcc,
    pub(crate) cpu: SpreadAcc,
    pub(crate) process: usize,
    pub(crate) peak_memory: u64,
}

/// The crash tick of node `id` under `faults`, and whether it failed
/// before the start.
/// The explicit crash ticks and the spared nodes, indexed once per shard.
struct FaultIndex {
    crashes: BTreeMap<u32, u64>,
    spared: Vec<u32>,
}

impl FaultIndex {
    fn new(faults: &Faults, mode: &Mode) -> FaultIndex {
        let tick_len = mode.tick_length().0.max(1);
        let mut crashes = BTreeMap::new();
        for (n, t) in &faults.crashes {
            let tick = t.0.div_ceil(tick_len);
            let e = crashes.entry(n.0).or_insert(tick);
            *e = (*e).min(tick);
        }
        let mut spared: Vec<u32> = faults.spared.iter().map(|id| id.0).collect();
        spared.sort_unstable();
        spared.dedup();
        FaultIndex { crashes, spared }
    }

    fn is_spared(&self, id: u32) -> bool {
        self.spared.binary_search(&id).is_ok()
    }
}

fn crash_tick(seed: u64, id: u32, faults: &Faults, index: &FaultIndex, mode: &Mode) -> (u64, bool) {
    let tick_len = mode.tick_length().0.max(1);
    let spared = index.is_spared(id);
    if !spared
        && faults.failed_at_start > 0.0
        && unit(hash(seed, tag::FAIL_AT_START, u64::from(id), 0)) < faults.failed_at_start
    {
        return (0, true);
    }
    let mut at = index.crashes.get(&id).copied().unwrap_or(u64::MAX);
    let p = faults.crash_probability;
    if !spared && p > 0.0 {
        let period = match mode {
            Mode::Rounds { .. } => 1,
            Mode::VirtualTime { .. } => (faults.crash_period.0 / tick_len).max(1),
        };
        // Periods survived: geometric with success probability p.
        let survived = if p >= 1.0 {
            0.0
        } else {
            let u = 1.0 - unit(hash(seed, tag::CRASH, u64::from(id), 0));
            libm::floor(libm::log(u) / libm::log(1.0 - p))
        };
        if survived < 1e15 {
            at = at.min((survived as u64 + 1).saturating_mul(period));
        }
    }
    (at, false)
}

impl<N: Node, P: Probe<N>> Shard<N, P> {
    /// The shard `index` of `peers`, with its nodes built by `factory`.
    pub(crate) fn new<F>(
        config: &SimConfig,
        index: usize,
        peers: usize,
        factory: &F,
        probe: P,
    ) -> Self
    where
        F: Fn(NodeId, &mut NodeRng) -> N,
    {
        let key = RngKey::from_seed(config.seed);
        let (index, peers) = (index as u32, peers as u32);
        let mut slots = Vec::new();
        let fault_index = FaultIndex::new(&config.faults, &config.mode);
        let mut id = index;
        while id < config.nodes {
            let mut rng = NodeRng::at(&key, u64::from(id), 0);
            let node = factory(NodeId(id), &mut rng);
            let (crash, failed) =
                crash_tick(config.seed, id, &config.faults, &fault_index, &config.mode);
            slots.push(Slot {
                node,
                rng_pos: rng.next_position(),
                crash_tick: crash,
                failed_at_start: failed,
                sent: 0,
                bytes: 0,
                received: 0,
                cpu_micros: 0,
                busy_until: 0,
            });
            id = match id.checked_add(peers) {
                Some(next) => next,
                None => break,
            };
        }
        let (round_mode, latency) = match &config.mode {
            Mode::Rounds { .. } => (true, LatencyModel::Fixed(config.mode.tick_length())),
            Mode::VirtualTime { latency, .. } => (false, *latency),
        };
        Shard {
            index,
            peers,
            nodes: config.nodes,
            seed: config.seed,
            key,
            tick_len: config.mode.tick_length().0.max(1),
            last_tick: config.mode.last_tick(),
            round_mode,
            latency,
            churn: config.faults.churn,
            loss: config.faults.loss,
            offline: config.faults.offline,
            offline_period: config.faults.offline_period.0.max(1),
            offline_from: config.faults.offline_from.0,
            spared: {
                let mut v: Vec<u32> = config.faults.spared.iter().map(|id| id.0).collect();
                v.sort_unstable();
                v
            },
            costs: config.costs.clone(),
            sample_interval: config.mode.sample_interval(),
            next_sample: Some(0),
            started: false,
            slots,
            pending: BTreeMap::new(),
            recycled: Vec::new(),
            ordered: Vec::new(),
            bucket: Vec::new(),
            count: Vec::new(),
            stage: Vec::new(),
            timers: BTreeMap::new(),
            backlogs: HashMap::new(),
            wakes: BTreeMap::new(),
            effects: Effects::default(),
            outbox: Vec::new(),
            outbox_at: Vec::new(),
            probe,
            samples: Vec::new(),
            events: Vec::new(),
            metrics: Metrics {
                nodes: config.nodes,
                ..Metrics::default()
            },
        }
    }

    /// The last tick of the run.
    pub(crate) fn last_tick(&self) -> u64 {
        self.last_tick
    }

    fn global(&self, local: usize) -> u32 {
        local as u32 * self.peers + self.index
    }

    fn local(&self, id: u32) -> usize {
        (id / self.peers) as usize
    }

    /// Whether node `id` is offline at tick `t` (intermittent failures).
    fn is_offline(&self, id: u32, t: u64) -> bool {
        if self.offline <= 0.0 {
            return false;
        }
        let now = t * self.tick_len;
        if now < self.offline_from || self.spared.binary_search(&id).is_ok() {
            return false;
        }
        let period = (now - self.offline_from) / self.offline_period;
        unit(hash(self.seed, tag::OFFLINE, u64::from(id), period)) < self.offline
    }

    /// Accepts a batch of messages arriving at tick `at` from the exchange.
    pub(crate) fn stash(&mut self, at: u64, batch: &mut Vec<Envelope<N::Message>>) {
        if at > self.last_tick {
            self.metrics.in_flight_at_end += batch.len() as u64;
            batch.clear();
        } else {
            let recycled = &mut self.recycled;
            self.pending
                .entry(at)
                .or_insert_with(|| recycled.pop().unwrap_or_default())
                .append(batch);
        }
    }

    /// The next tick with work in this shard, if any before the end.
    pub(crate) fn next_tick(&self) -> Option<u64> {
        if !self.started {
            return Some(0);
        }
        [
            self.pending.keys().next().copied(),
            self.timers.keys().next().copied(),
            self.wakes.keys().next().copied(),
            self.next_sample,
        ]
        .into_iter()
        .flatten()
        .min()
        .filter(|t| *t <= self.last_tick)
    }

    /// Messages produced by the last tick, for the exchange, with their
    /// arrival ticks.
    pub(crate) fn outbox(&mut self) -> (&mut Vec<Envelope<N::Message>>, &mut Vec<u64>) {
        (&mut self.outbox, &mut self.outbox_at)
    }

    /// Processes tick `t` (the next tick with work).
    pub(crate) fn process_tick(&mut self, t: u64) {
        let now = Time(t * self.tick_len);
        if !self.started {
            self.started = true;
            for l in 0..self.slots.len() {
                if self.slots[l].failed_at_start || self.slots[l].crash_tick <= t {
                    continue;
                }
                self.call(l, t, false, |node, ctx| node.start(ctx));
            }
        }
        if let Some(mut due) = self.pending.remove(&t) {
            self.delivery_order(&mut due);
            if self.recycled.len() < 4 {
                self.recycled.push(due);
            }
            let mut ordered = std::mem::take(&mut self.ordered);
            for env in ordered.iter_mut().filter_map(Option::take) {
                let l = self.local(env.to);
                let slot = &mut self.slots[l];
                if slot.crash_tick <= t {
                    self.metrics.dropped_at_crashed += 1;
                    continue;
                }
                if slot.busy_until > t || self.backlogs.contains_key(&l) {
                    let at = slot.busy_until.max(t);
                    self.queue_while_busy(l, at, env);
                    continue;
                }
                self.deliver(l, t, env);
            }
            self.ordered = ordered;
        }
        if let Some(mut woken) = self.wakes.remove(&t) {
            woken.sort_unstable();
            woken.dedup();
            for l in woken {
                self.drain_backlog(l as usize, t);
            }
        }
        if let Some(due) = self.timers.remove(&t) {
            for (l, timer) in due {
                let l = l as usize;
                let slot = &self.slots[l];
                if slot.crash_tick <= t {
                    continue;
                }
                if slot.busy_until > t {
                    let at = slot.busy_until;
                    if at <= self.last_tick {
                        self.timers.entry(at).or_default().push((l as u32, timer));
                    }
                    continue;
                }
                self.call(l, t, true, |node, ctx| node.handle_timer(now, timer, ctx));
            }
        }
        if self.next_sample == Some(t) {
            let mut summary = self.probe.empty();
            for (l, slot) in self.slots.iter().enumerate() {
                if slot.crash_tick > t {
                    let id = NodeId(l as u32 * self.peers + self.index);
                    let stats = NodeStats {
                        sent: slot.sent,
                        bytes_sent: slot.bytes,
                        received: slot.received,
                        cpu_micros: slot.cpu_micros,
                    };
                    self.probe
                        .observe_with_stats(id, &slot.node, &stats, now, &mut summary);
                }
            }
            self.samples.push(Sample {
                tick: t,
                time: now,
                summary,
            });
            let next = t + self.sample_interval;
            self.next_sample = if t == self.last_tick {
                None
            } else {
                Some(next.min(self.last_tick))
            };
        }
    }

    /// Hands `env` to node `l` at tick `t` (it is up and free).
    fn deliver(&mut self, l: usize, t: u64, env: Envelope<N::Message>) {
        let now = Time(t * self.tick_len);
        if self.is_offline(env.to, t) {
            self.metrics.dropped_offline += 1;
            return;
        }
        let (from, msg) = (NodeId(env.from), env.msg);
        if env.bounced {
            self.call(l, t, false, |node, ctx| {
                node.handle_undeliverable(now, from, msg, ctx)
            });
        } else {
            self.slots[l].received += 1;
            self.call(l, t, false, |node, ctx| {
                node.handle_message(now, from, msg, ctx)
            });
        }
    }

    /// Queues `env` for busy node `l`, waking it at `at` if this starts
    /// its backlog.
    fn queue_while_busy(&mut self, l: usize, at: u64, env: Envelope<N::Message>) {
        let backlog = self.backlogs.entry(l).or_default();
        let first = backlog.is_empty();
        backlog.insert((env.from, env.seq, env.bounced), env);
        if first {
            self.wake_at(l, at);
        }
    }

    fn wake_at(&mut self, l: usize, at: u64) {
        // Past the end, the backlog stays and counts as in flight.
        if at <= self.last_tick {
            self.wakes.entry(at).or_default().push(l as u32);
        }
    }

    /// Hands node `l` its backlog, in delivery order, while it is free at
    /// tick `t`; wakes it again when it is busy.
    fn drain_backlog(&mut self, l: usize, t: u64) {
        loop {
            let slot = &self.slots[l];
            if slot.crash_tick <= t {
                if let Some(b) = self.backlogs.remove(&l) {
                    self.metrics.dropped_at_crashed += b.len() as u64;
                }
                return;
            }
            if slot.busy_until > t {
                let at = slot.busy_until;
                if self.backlogs.contains_key(&l) {
                    self.wake_at(l, at);
                }
                return;
            }
            let Some(backlog) = self.backlogs.get_mut(&l) else {
                return;
            };
            let Some((_, env)) = backlog.pop_first() else {
                self.backlogs.remove(&l);
                return;
            };
            if backlog.is_empty() {
                self.backlogs.remove(&l);
            }
            self.deliver(l, t, env);
        }
    }

    /// Moves `due` into `self.ordered` in delivery order: by receiver,
    /// then sender, then the sender's sequence number. A busy tick is
    /// scattered by a counting sort on the receiver (reading `due` in
    /// order; nodes are then visited in memory order), a sparse one is
    /// sorted in place.
    fn delivery_order(&mut self, due: &mut Vec<Envelope<N::Message>>) {
        let key = |e: &Envelope<N::Message>| (e.to, e.from, e.seq, e.bounced);
        let nl = self.slots.len();
        let ordered = &mut self.ordered;
        if due.len() < nl / 8 {
            due.sort_unstable_by_key(key);
            ordered.clear();
            ordered.extend(due.drain(..).map(Some));
            return;
        }
        // Two passes, so that both scatter into few places at a time: by
        // the high bits of the receiver's local index into at most 512
        // ranges, then, inside each range (small enough for the cache),
        // by receiver.
        let peers = self.peers;
        let local = |e: &Envelope<N::Message>| (e.to / peers) as usize;
        let bits = usize::BITS - nl.leading_zeros();
        let shift = bits.saturating_sub(9);
        let ranges = (nl >> shift) + 1;
        let bucket = &mut self.bucket;
        bucket.clear();
        bucket.resize(ranges + 1, 0);
        for e in due.iter() {
            bucket[(local(e) >> shift) + 1] += 1;
        }
        for r in 0..ranges {
            bucket[r + 1] += bucket[r];
        }
        let stage = &mut self.stage;
        empty_of_len(stage, due.len());
        {
            let mut fill: Vec<u32> = bucket[..ranges].to_vec();
            for e in due.drain(..) {
                let f = &mut fill[local(&e) >> shift];
                // The place holds `None`: forgetting it leaks nothing, and
                // spares the read a plain assignment would do to drop it.
                std::mem::forget(stage[*f as usize].replace(e));
                *f += 1;
            }
        }
        empty_of_len(ordered, stage.len());
        let width = 1usize << shift;
        let count = &mut self.count;
        for r in 0..ranges {
            let (start, end) = (bucket[r] as usize, bucket[r + 1] as usize);
            if start == end {
                continue;
            }
            let base = r << shift;
            count.clear();
            count.resize(width + 1, 0);
            for e in stage[start..end].iter().flatten() {
                count[local(e) - base + 1] += 1;
            }
            for k in 0..width {
                count[k + 1] += count[k];
            }
            for e in stage[start..end].iter_mut().filter_map(Option::take) {
                let c = &mut count[local(&e) - base];
                std::mem::forget(ordered[start + *c as usize].replace(e));
                *c += 1;
            }
            // count[k] is now the end of receiver base + k: sort those with
            // more than one message.
            let mut from = start;
            for &to in count.iter().take(width) {
                let to = start + to as usize;
                if to - from > 1 {
                    ordered[from..to].sort_unstable_by_key(|e| e.as_ref().map(key));
                }
                from = to;
            }
        }
    }

    /// Runs one handler of local node `l` at tick `t` and routes what it
    /// asked for.
    fn call<F>(&mut self, l: usize, t: u64, from_timer: bool, handler: F)
    where
        F: FnOnce(&mut N, &mut Context<'_, N::Message, N::Timer, N::Event>),
    {
        let id = self.global(l);
        let now = Time(t * self.tick_len);
        self.metrics.last_active_tick = self.metrics.last_active_tick.max(t);
        self.effects.clear();
        {
            let slot = &mut self.slots[l];
            let mut ctx = Context::new(
                NodeId(id),
                now,
                &self.key,
                &mut slot.rng_pos,
                &mut self.effects,
            );
            handler(&mut slot.node, &mut ctx);
        }
        // CPU work.
        let mut cost = 0u64;
        for (op, count) in &self.effects.work {
            match self.costs.cost(op) {
                Some(c) => cost = cost.saturating_add(c.0.saturating_mul(*count)),
                None => self.metrics.uncosted_operations += count,
            }
        }
        let slot = &mut self.slots[l];
        slot.cpu_micros = slot.cpu_micros.saturating_add(cost);
        let depart = if self.round_mode || cost == 0 {
            t
        } else {
            let done = t + cost.div_ceil(self.tick_len);
            slot.busy_until = slot.busy_until.max(done);
            done
        };
        // Messages.
        let offline = self.is_offline(id, t);
        let slot = &mut self.slots[l];
        for out in self.effects.messages.drain(..) {
            let seq = slot.sent;
            slot.sent += 1;
            slot.bytes += out.msg.encoded_len() as u64;
            if out.to.0 >= self.nodes {
                self.metrics.misaddressed += 1;
                continue;
            }
            if offline {
                self.metrics.dropped_offline += 1;
                continue;
            }
            let latency = if self.round_mode {
                1
            } else {
                latency_ticks(&self.latency, self.seed, id, seq, self.tick_len)
            };
            let at = depart.saturating_add(latency);
            if self.loss > 0.0 && unit(hash(self.seed, tag::LOSS, u64::from(id), seq)) < self.loss {
                self.metrics.lost += 1;
                continue;
            }
            let bounced = self.churn > 0.0
                && unit(hash(self.seed, tag::CHURN, u64::from(id), seq)) < self.churn;
            if bounced {
                self.metrics.undeliverable += 1;
            }
            if at > self.last_tick {
                self.metrics.in_flight_at_end += 1;
                continue;
            }
            let (to, from) = if bounced {
                (id, out.to.0)
            } else {
                (out.to.0, id)
            };
            self.outbox_at.push(at);
            self.outbox.push(Envelope {
                to,
                from,
                seq,
                bounced,
                msg: out.msg,
            });
        }
        // Timers.
        let earliest = if from_timer { t + 1 } else { t };
        for (at, timer) in self.effects.timers.drain(..) {
            let tick = at.0.div_ceil(self.tick_len).max(earliest);
            if tick <= self.last_tick {
                self.timers.entry(tick).or_default().push((l as u32, timer));
            }
        }
        for event in self.effects.events.drain(..) {
            self.events.push(EventRecord {
                time: now,
                node: NodeId(id),
                event,
            });
        }
    }

    /// The shard's results, at the end of the run.
    pub(crate) fn finish(
        &mut self,
        process: usize,
        peak_memory: u64,
    ) -> ShardResult<P::Summary, N::Event> {
        let last = self.last_tick;
        let mut sent = SpreadAcc::default();
        let mut bytes = SpreadAcc::default();
        let mut received = SpreadAcc::default();
        let mut cpu = SpreadAcc::default();
        for slot in &self.slots {
            sent.add(slot.sent);
            bytes.add(slot.bytes);
            received.add(slot.received);
            cpu.add(slot.cpu_micros);
            if slot.failed_at_start {
                self.metrics.failed_at_start += 1;
            }
            if slot.crash_tick <= last {
                self.metrics.crashed += 1;
            }
        }
        // Whatever is still queued will never be delivered.
        self.metrics.in_flight_at_end += self.pending.values().map(|v| v.len() as u64).sum::<u64>();
        self.metrics.in_flight_at_end +=
            self.backlogs.values().map(|b| b.len() as u64).sum::<u64>();
        ShardResult {
            samples: std::mem::take(&mut self.samples),
            events: std::mem::take(&mut self.events),
            metrics: std::mem::take(&mut self.metrics),
            sent,
            bytes,
            received,
            cpu,
            process,
            peak_memory,
        }
    }
}

/// Makes `v`, whose entries are all `None`, `len` long — without visiting
/// the entries it keeps (clearing would look at each to drop it).
fn empty_of_len<T>(v: &mut Vec<Option<T>>, len: usize) {
    if v.len() < len {
        v.resize_with(len, || None);
    } else {
        v.truncate(len);
    }
}

/// Latency of message `(from, seq)` in whole ticks (at least one).
fn latency_ticks(model: &LatencyModel, seed: u64, from: u32, seq: u64, tick_len: u64) -> u64 {
    let micros = match model {
        LatencyModel::Fixed(d) => d.0 as f64,
        LatencyModel::Normal { base, mean, sd } => {
            let z = normal(
                hash(seed, tag::LATENCY_A, u64::from(from), seq),
                hash(seed, tag::LATENCY_B, u64::from(from), seq),
            );
            base.0 as f64 + (mean.0 as f64 + sd.0 as f64 * z).max(0.0)
        }
    };
    let ticks = libm::ceil(micros / tick_len as f64);
    if ticks.is_finite() && ticks >= 1.0 {
        (ticks as u64).max(1)
    } else {
        1
    }
}

/// The merged samples, events, metrics and peak memory.
pub(crate) type Merged<S, E> = (Vec<Sample<S>>, Vec<EventRecord<E>>, Metrics, u64);

/// Merges the shards' results into one report (deterministic: the input
/// order does not matter).
pub(crate) fn merge_results<N: Node, P: Probe<N>>(
    probe: &P,
    mut parts: Vec<ShardResult<P::Summary, N::Event>>,
    tick_len: u64,
) -> Merged<P::Summary, N::Event> {
    let mut samples: BTreeMap<u64, Sample<P::Summary>> = BTreeMap::new();
    let mut events = Vec::new();
    let mut m = Metrics::default();
    let (mut sent, mut bytes, mut received, mut cpu) = (
        SpreadAcc::default(),
        SpreadAcc::default(),
        SpreadAcc::default(),
        SpreadAcc::default(),
    );
    let mut peak_by_process: BTreeMap<usize, u64> = BTreeMap::new();
    for part in parts.iter_mut() {
        for s in part.samples.drain(..) {
            match samples.get_mut(&s.tick) {
                Some(acc) => probe.merge(&mut acc.summary, &s.summary),
                None => {
                    samples.insert(s.tick, s);
                }
            }
        }
        events.append(&mut part.events);
        let pm = &part.metrics;
        m.nodes = m.nodes.max(pm.nodes);
        m.failed_at_start += pm.failed_at_start;
        m.crashed += pm.crashed;
        m.lost += pm.lost;
        m.undeliverable += pm.undeliverable;
        m.dropped_at_crashed += pm.dropped_at_crashed;
        m.misaddressed += pm.misaddressed;
        m.dropped_offline += pm.dropped_offline;
        m.in_flight_at_end += pm.in_flight_at_end;
        m.uncosted_operations += pm.uncosted_operations;
        m.last_active_tick = m.last_active_tick.max(pm.last_active_tick);
        sent.merge(&part.sent);
        bytes.merge(&part.bytes);
        received.merge(&part.received);
        cpu.merge(&part.cpu);
        let e = peak_by_process.entry(part.process).or_default();
        *e = (*e).max(part.peak_memory);
    }
    events.sort_by_key(|e| (e.time, e.node));
    m.messages_sent = sent.finish();
    m.bytes_sent = bytes.finish();
    m.messages_received = received.finish();
    m.cpu_micros = cpu.finish();
    m.completion_time = Time(m.last_active_tick * tick_len);
    let peak = peak_by_process.values().copied().max().unwrap_or(0);
    (samples.into_values().collect(), events, m, peak)
}
