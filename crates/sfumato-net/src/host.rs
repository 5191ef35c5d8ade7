//! A host: one OS process running many nodes of one deployment over real
//! channels (ARCHITECTURE.md, "Runtimes").
//!
//! One driver task owns the host's nodes and calls them in the order the
//! node contract (`sfumato_protocol::Node`) promises: `start` at time zero
//! (for a node without saved state), then, as they come, messages and due
//! timers, in non-decreasing time read from a monotonic clock anchored at
//! the deployment's time zero. A batch of calls is written to the store
//! before any message it produced leaves (write-ahead, see
//! [`crate::store`]); then messages go out on per-(sender, receiver)
//! channels ([`crate::tls`]), in sending order. A message whose channel
//! cannot be opened or breaks comes back to its sender through
//! `handle_undeliverable`.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use sfumato_protocol::context::Effects;
use sfumato_protocol::{Context, Node, NodeId, NodeRng, RngKey, Time};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_rustls::{TlsAcceptor, TlsConnector};
use zeroize::Zeroizing;

use crate::counters::{CounterSnapshot, Counters};
use crate::directory::Membership;
use crate::error::{NetError, Result};
use crate::frame::{DEFAULT_MAX_FRAME, Frame, FrameDecoder};
use crate::identity::{NodeIdentity, node_of_server_name, server_name};
use crate::store::{Batch, SavedNode, SentMessage, Store, StoredEvent};
use crate::tls::TlsSetup;

/// Where nodes' randomness comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Randomness {
    /// A fresh 256-bit key from the OS at every start (the default).
    Os,
    /// **Insecure, for tests only.** The simulator's streams for this
    /// seed: anyone who knows the seed knows every node's keys and noise.
    /// It exists so that a loopback run can be compared bit for bit with
    /// the simulator, and every output of a run that used it says so.
    InsecureTestSeed(u64),
}

/// How a host saves and restores its nodes.
pub trait NodeCodec<N: Node>: Send + Sync {
    /// The node's durable state, `None` if it keeps nothing (it then
    /// restarts from scratch).
    fn save(&self, node: &N) -> core::result::Result<Option<Zeroizing<Vec<u8>>>, String>;
    /// Node `id` from the state [`NodeCodec::save`] returned.
    fn restore(&self, id: NodeId, state: &[u8]) -> core::result::Result<N, String>;
}

/// A host's settings.
#[derive(Clone, Debug)]
pub struct HostConfig {
    /// This host's index in the directory.
    pub host: u32,
    /// The deployment's time zero, in µs since the Unix epoch.
    pub epoch_unix_micros: u64,
    /// The host stops when its clock reaches this.
    pub until: Time,
    /// Where randomness comes from.
    pub randomness: Randomness,
    /// The largest frame accepted or sent.
    pub max_frame: usize,
    /// Attempts to open a channel before its messages are undeliverable.
    pub connect_attempts: u32,
    /// The pause between attempts.
    pub retry_delay: Duration,
    /// Log every sent message in the store (for audits and tests).
    pub audit: bool,
    /// Tokio worker threads.
    pub threads: usize,
}

impl HostConfig {
    /// Defaults for host `host` of a deployment starting at
    /// `epoch_unix_micros` and ending at `until`.
    pub fn new(host: u32, epoch_unix_micros: u64, until: Time) -> HostConfig {
        HostConfig {
            host,
            epoch_unix_micros,
            until,
            randomness: Randomness::Os,
            max_frame: DEFAULT_MAX_FRAME,
            // Waits of 50, 100, … 350 ms: 1.4 s in all, enough for a
            // host to restart, short enough that what queues behind the
            // attempts is not late for its window.
            connect_attempts: 8,
            retry_delay: Duration::from_millis(50),
            audit: false,
            threads: 2,
        }
    }
}

/// An event a node reported.
#[derive(Clone, Debug)]
pub struct HostEvent<E> {
    /// The node.
    pub node: NodeId,
    /// When.
    pub time: Time,
    /// The event.
    pub event: E,
}

/// What a host did, apart from its events.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostFacts {
    /// The host's incarnation (1 on first start).
    pub incarnation: u64,
    /// Nodes started fresh.
    pub started: usize,
    /// Nodes restored from the store.
    pub restored: usize,
    /// Traffic and rejections.
    pub counters: CounterSnapshot,
    /// Handler calls.
    pub calls: u64,
    /// Messages handed to nodes.
    pub messages: u64,
    /// Messages the nodes sent (to local nodes too).
    pub sent: u64,
    /// The encoded bytes of those messages.
    pub sent_bytes: u64,
    /// The most messages handed to nodes in any 100 ms, per second.
    pub peak_messages_per_s: u64,
    /// Time spent in handlers, µs.
    pub handler_micros: u64,
    /// Batches written to the store.
    pub commits: u64,
    /// Time spent committing, µs.
    pub commit_micros: u64,
    /// Whether randomness was the insecure test seed.
    pub insecure_test_seed: bool,
}

/// What a host did.
#[derive(Clone, Debug)]
pub struct HostReport<E> {
    /// Counters and timings.
    pub facts: HostFacts,
    /// Events reported in this incarnation.
    pub events: Vec<HostEvent<E>>,
}

/// What [`Host::run_keeping_nodes`] returns: the report and the nodes as
/// they ended.
pub type Finished<N> = (HostReport<<N as Node>::Event>, Vec<(NodeId, N)>);

/// A message from the network for a local node.
struct Inbound<M> {
    to: NodeId,
    from: NodeId,
    msg: M,
}

/// A message for a channel.
struct OutItem<M> {
    from: NodeId,
    to: NodeId,
    bytes: Vec<u8>,
    msg: M,
}

/// A message that could not be delivered, back to its sender.
struct Bounced<M> {
    from: NodeId,
    to: NodeId,
    msg: M,
}

/// One local node.
struct Slot<N: Node> {
    node: N,
    rng_position: u64,
    /// Pending timers by (due, order).
    timers: BTreeMap<(Time, u64), N::Timer>,
    events: u64,
    sent: u64,
}

/// The channels' last (incarnation, number) per (sender, receiver).
type ReplayGuard = Arc<Mutex<HashMap<(NodeId, NodeId), (u64, u64)>>>;

/// A host ready to run.
pub struct Host<N: Node> {
    config: HostConfig,
    membership: Arc<Membership>,
    identities: Vec<NodeIdentity>,
    store: Option<Store>,
    codec: Option<Arc<dyn NodeCodec<N>>>,
}

/// Microseconds since the Unix epoch, by the system clock (0 before it).
pub fn unix_micros() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros() as u64)
        .unwrap_or(0)
}

impl<N> Host<N>
where
    N: Node + Send + 'static,
    N::Timer: Serialize + DeserializeOwned,
{
    /// A host of `membership` running the nodes whose identities are
    /// given (all must be listed on `config.host`). With a store and a
    /// codec it saves its nodes and resumes them after a restart.
    pub fn new(
        config: HostConfig,
        membership: Arc<Membership>,
        identities: Vec<NodeIdentity>,
        store: Option<Store>,
        codec: Option<Arc<dyn NodeCodec<N>>>,
    ) -> Result<Host<N>> {
        for i in &identities {
            if membership.host_of(i.id) != Some(config.host) {
                return Err(NetError::Directory(format!(
                    "node {} is not listed on host {}",
                    i.id.0, config.host
                )));
            }
            if membership.certificate(i.id) != Some(&i.certificate[..]) {
                return Err(NetError::Directory(format!(
                    "node {}'s key is not the one the directory lists",
                    i.id.0
                )));
            }
        }
        if membership.host_addr(config.host).is_none() {
            return Err(NetError::Directory(format!(
                "host {} is not in the directory",
                config.host
            )));
        }
        Ok(Host {
            config,
            membership,
            identities,
            store,
            codec,
        })
    }

    /// Runs the host until its clock reaches `config.until`; `make` builds
    /// a node that has no saved state, from its stream as the simulator
    /// would.
    pub fn run<F>(self, make: F) -> Result<HostReport<N::Event>>
    where
        F: FnMut(NodeId, &mut NodeRng) -> core::result::Result<N, String>,
    {
        self.run_keeping_nodes(make).map(|(report, _)| report)
    }

    /// [`Host::run`], and the nodes as they ended (for a protocol whose
    /// results live in its nodes, such as Chiaroscuro's centroids).
    pub fn run_keeping_nodes<F>(self, make: F) -> Result<Finished<N>>
    where
        F: FnMut(NodeId, &mut NodeRng) -> core::result::Result<N, String>,
    {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(self.config.threads.max(1))
            .enable_all()
            .build()
            .map_err(|e| NetError::io("starting the runtime", e))?;
        let out = rt.block_on(self.drive(make));
        rt.shutdown_timeout(Duration::from_millis(200));
        out
    }

    async fn drive<F>(mut self, mut make: F) -> Result<Finished<N>>
    where
        F: FnMut(NodeId, &mut NodeRng) -> core::result::Result<N, String>,
    {
        let counters = Arc::new(Counters::default());
        let incarnation = match &mut self.store {
            Some(s) => s.next_incarnation()?,
            None => unix_micros(),
        };
        let key = match self.config.randomness {
            Randomness::InsecureTestSeed(seed) => RngKey::from_seed(seed),
            Randomness::Os => {
                let mut b = [0u8; 32];
                getrandom::fill(&mut b).map_err(|e| NetError::Randomness(e.to_string()))?;
                let k = RngKey::from_bytes(b);
                zeroize::Zeroize::zeroize(&mut b);
                k
            }
        };
        let tls = TlsSetup::new(self.membership.clone(), &self.identities, counters.clone())?;
        let addr = self
            .membership
            .host_addr(self.config.host)
            .ok_or_else(|| NetError::Directory("no address".into()))?;
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|e| NetError::io(format!("listening on {addr}"), e))?;

        // The nodes: restored, or made fresh.
        let mut saved: HashMap<NodeId, SavedNode> = match &self.store {
            Some(s) => s.saved_nodes()?.into_iter().map(|n| (n.node, n)).collect(),
            None => HashMap::new(),
        };
        let counts = |v: Vec<(NodeId, u64)>| v.into_iter().collect::<HashMap<_, _>>();
        let (event_counts, sent_counts) = match &self.store {
            Some(s) => (counts(s.event_counts()?), counts(s.sent_counts()?)),
            None => (HashMap::new(), HashMap::new()),
        };
        let mut slots: BTreeMap<NodeId, Slot<N>> = BTreeMap::new();
        let mut fresh = Vec::new();
        let mut order = 0u64;
        for identity in &self.identities {
            let id = identity.id;
            let restored = match (saved.remove(&id), &self.codec) {
                (Some(s), Some(codec)) => {
                    let node = codec
                        .restore(id, &s.state)
                        .map_err(|reason| NetError::Node { node: id.0, reason })?;
                    let timers: Vec<(Time, N::Timer)> = sfumato_protocol::decode(&s.timers)
                        .map_err(|e| NetError::Node {
                            node: id.0,
                            reason: format!("saved timers: {e}"),
                        })?;
                    let mut map = BTreeMap::new();
                    for (t, timer) in timers {
                        map.insert((t, order), timer);
                        order += 1;
                    }
                    Some((node, s.rng_position, map))
                }
                _ => None,
            };
            let (node, rng_position, timers) = match restored {
                Some(r) => r,
                None => {
                    let mut rng = NodeRng::at(&key, u64::from(id.0), 0);
                    let node = make(id, &mut rng)
                        .map_err(|reason| NetError::Node { node: id.0, reason })?;
                    fresh.push(id);
                    (node, rng.next_position(), BTreeMap::new())
                }
            };
            slots.insert(
                id,
                Slot {
                    node,
                    rng_position,
                    timers,
                    events: event_counts.get(&id).copied().unwrap_or(0),
                    sent: sent_counts.get(&id).copied().unwrap_or(0),
                },
            );
        }
        let restored = slots.len() - fresh.len();

        // The clock: µs since time zero, monotonic.
        let now_unix = unix_micros();
        let zero = if self.config.epoch_unix_micros >= now_unix {
            Instant::now() + Duration::from_micros(self.config.epoch_unix_micros - now_unix)
        } else {
            Instant::now()
                .checked_sub(Duration::from_micros(
                    now_unix - self.config.epoch_unix_micros,
                ))
                .unwrap_or_else(Instant::now)
        };
        let clock = move || Time(Instant::now().saturating_duration_since(zero).as_micros() as u64);
        let deadline = move |t: Time| zero + Duration::from_micros(t.0);

        // Inbound channels.
        let (inbox_tx, mut inbox) = mpsc::unbounded_channel::<Inbound<N::Message>>();
        let (bounce_tx, mut bounced) = mpsc::unbounded_channel::<Bounced<N::Message>>();
        let local: Arc<Vec<NodeId>> = Arc::new(slots.keys().copied().collect());
        let replay: ReplayGuard = Arc::new(Mutex::new(HashMap::new()));
        {
            let acceptor = TlsAcceptor::from(tls.server.clone());
            let membership = self.membership.clone();
            let counters = counters.clone();
            let max_frame = self.config.max_frame;
            let local = local.clone();
            tokio::spawn(async move {
                loop {
                    let Ok((tcp, _)) = listener.accept().await else {
                        continue;
                    };
                    let _ = tcp.set_nodelay(true);
                    tokio::spawn(serve::<N::Message>(
                        tcp,
                        acceptor.clone(),
                        membership.clone(),
                        local.clone(),
                        counters.clone(),
                        replay.clone(),
                        inbox_tx.clone(),
                        max_frame,
                    ));
                }
            });
        }

        let me = *local
            .first()
            .ok_or_else(|| NetError::Directory("a host without nodes".into()))?;
        let mut reps = HashMap::new();
        for n in &self.membership.directory().nodes {
            let r = reps.entry(n.host).or_insert(n.id);
            if n.id < *r {
                *r = n.id;
            }
        }
        let mut out = Outbound::<N::Message> {
            channels: HashMap::new(),
            clients: tls.clients,
            me,
            reps,
            membership: self.membership.clone(),
            counters: counters.clone(),
            bounce: bounce_tx.clone(),
            incarnation,
            seqs: HashMap::new(),
            max_frame: self.config.max_frame,
            attempts: self.config.connect_attempts.max(1),
            retry_delay: self.config.retry_delay,
        };

        let mut report = HostReport {
            facts: HostFacts {
                incarnation,
                started: fresh.len(),
                restored,
                insecure_test_seed: matches!(
                    self.config.randomness,
                    Randomness::InsecureTestSeed(_)
                ),
                ..HostFacts::default()
            },
            events: Vec::new(),
        };
        let mut fx: Effects<N::Message, N::Timer, N::Event> = Effects::default();
        let mut pending: Vec<(NodeId, Vec<sfumato_protocol::Outgoing<N::Message>>)> = Vec::new();
        let mut touched: Vec<NodeId> = Vec::new();
        let mut batch = Batch::default();

        // Fresh nodes start at time zero.
        if !fresh.is_empty() {
            tokio::time::sleep_until(zero).await;
        }
        let mut step = Step {
            key: &key,
            fx: &mut fx,
            pending: &mut pending,
            touched: &mut touched,
            batch: &mut batch,
            report: &mut report,
            order: &mut order,
            incarnation,
            audit: self.config.audit,
        };
        // Messages handled in the current 100 ms: (bucket, count).
        let mut busiest = (u64::MAX, 0u64);
        for id in &fresh {
            if let Some(slot) = slots.get_mut(id) {
                let now = clock();
                step.call(*id, slot, now, |n, ctx| n.start(ctx));
            }
        }
        loop {
            step.flush(
                &mut slots,
                self.codec.as_deref(),
                self.store.as_mut(),
                &mut out,
            )?;
            let now = clock();
            if now >= self.config.until {
                break;
            }
            let next_timer = slots
                .values()
                .filter_map(|s| s.timers.keys().next().map(|k| k.0))
                .min()
                .unwrap_or(self.config.until)
                .min(self.config.until);
            let mut messages = Vec::new();
            let mut returns = Vec::new();
            tokio::select! {
                Some(m) = inbox.recv() => messages.push(m),
                Some(b) = bounced.recv() => returns.push(b),
                _ = tokio::time::sleep_until(deadline(next_timer)) => {}
            }
            while messages.len() < 4096 {
                match inbox.try_recv() {
                    Ok(m) => messages.push(m),
                    Err(_) => break,
                }
            }
            while let Ok(b) = bounced.try_recv() {
                returns.push(b);
            }
            let now = clock();
            if !messages.is_empty() {
                let bucket = now.0 / 100_000;
                if bucket != busiest.0 {
                    busiest = (bucket, 0);
                }
                busiest.1 += messages.len() as u64;
                step.report.facts.messages += messages.len() as u64;
                step.report.facts.peak_messages_per_s =
                    step.report.facts.peak_messages_per_s.max(busiest.1 * 10);
            }
            for m in messages {
                if let Some(slot) = slots.get_mut(&m.to) {
                    step.call(m.to, slot, now, |n, ctx| {
                        n.handle_message(now, m.from, m.msg, ctx)
                    });
                }
            }
            for b in returns {
                if let Some(slot) = slots.get_mut(&b.from) {
                    step.call(b.from, slot, now, |n, ctx| {
                        n.handle_undeliverable(now, b.to, b.msg, ctx)
                    });
                }
            }
            // Due timers, in the order they were set.
            let mut due: Vec<(Time, u64, NodeId)> = Vec::new();
            for (id, s) in &slots {
                for (t, o) in s.timers.keys() {
                    if *t > now {
                        break;
                    }
                    due.push((*t, *o, *id));
                }
            }
            due.sort_unstable_by_key(|d| (d.1, d.0));
            for (t, o, id) in due {
                if let Some(slot) = slots.get_mut(&id)
                    && let Some(timer) = slot.timers.remove(&(t, o))
                {
                    step.call(id, slot, now, |n, ctx| n.handle_timer(now, timer, ctx));
                }
            }
        }
        report.facts.counters = counters.snapshot();
        Ok((
            report,
            slots.into_iter().map(|(id, s)| (id, s.node)).collect(),
        ))
    }
}

/// The driver's per-batch bookkeeping.
struct Step<'a, N: Node> {
    key: &'a RngKey,
    fx: &'a mut Effects<N::Message, N::Timer, N::Event>,
    pending: &'a mut Vec<(NodeId, Vec<sfumato_protocol::Outgoing<N::Message>>)>,
    touched: &'a mut Vec<NodeId>,
    batch: &'a mut Batch,
    report: &'a mut HostReport<N::Event>,
    order: &'a mut u64,
    incarnation: u64,
    audit: bool,
}

impl<N> Step<'_, N>
where
    N: Node,
    N::Timer: Serialize + DeserializeOwned,
{
    /// One handler call of node `id` at `now`.
    fn call<F>(&mut self, id: NodeId, slot: &mut Slot<N>, now: Time, f: F)
    where
        F: FnOnce(&mut N, &mut sfumato_protocol::NodeContext<'_, N>),
    {
        self.fx.clear();
        let started = std::time::Instant::now();
        {
            let mut ctx = Context::new(id, now, self.key, &mut slot.rng_position, self.fx);
            f(&mut slot.node, &mut ctx);
        }
        self.report.facts.calls += 1;
        self.report.facts.handler_micros += started.elapsed().as_micros() as u64;
        for (at, timer) in self.fx.timers.drain(..) {
            slot.timers.insert((at, *self.order), timer);
            *self.order += 1;
        }
        for event in self.fx.events.drain(..) {
            if let Ok(json) = serde_json::to_string(&event) {
                self.batch.events.push(StoredEvent {
                    node: id,
                    seq: slot.events,
                    time: now.0,
                    incarnation: self.incarnation,
                    event: json,
                });
            }
            slot.events += 1;
            self.report.events.push(HostEvent {
                node: id,
                time: now,
                event,
            });
        }
        if !self.fx.messages.is_empty() {
            let msgs: Vec<_> = self.fx.messages.drain(..).collect();
            self.report.facts.sent += msgs.len() as u64;
            self.report.facts.sent_bytes += msgs
                .iter()
                .map(|m| sfumato_protocol::Message::encoded_len(&m.msg) as u64)
                .sum::<u64>();
            if self.audit {
                for m in &msgs {
                    if let Ok(bytes) = sfumato_protocol::encode(&m.msg) {
                        self.batch.sent.push(SentMessage {
                            node: id,
                            seq: slot.sent,
                            dest: m.to,
                            time: now.0,
                            incarnation: self.incarnation,
                            message: bytes,
                        });
                    }
                    slot.sent += 1;
                }
            }
            self.pending.push((id, msgs));
        }
        if !self.touched.contains(&id) {
            self.touched.push(id);
        }
    }

    /// Saves the touched nodes, then lets their messages out.
    fn flush(
        &mut self,
        slots: &mut BTreeMap<NodeId, Slot<N>>,
        codec: Option<&dyn NodeCodec<N>>,
        store: Option<&mut Store>,
        out: &mut Outbound<N::Message>,
    ) -> Result<()> {
        if let (Some(codec), Some(store)) = (codec, store) {
            for id in self.touched.drain(..) {
                let Some(slot) = slots.get_mut(&id) else {
                    continue;
                };
                let state = codec
                    .save(&slot.node)
                    .map_err(|reason| NetError::Node { node: id.0, reason })?;
                if let Some(state) = state {
                    let timers: Vec<(Time, &N::Timer)> =
                        slot.timers.iter().map(|((t, _), x)| (*t, x)).collect();
                    let timers = sfumato_protocol::encode(&timers).map_err(|e| NetError::Node {
                        node: id.0,
                        reason: format!("timers: {e}"),
                    })?;
                    self.batch.nodes.push(SavedNode {
                        node: id,
                        state,
                        rng_position: slot.rng_position,
                        timers,
                    });
                }
            }
            if !self.batch.is_empty() {
                let t = std::time::Instant::now();
                store.commit(self.batch)?;
                self.report.facts.commits += 1;
                self.report.facts.commit_micros += t.elapsed().as_micros() as u64;
            }
        }
        self.touched.clear();
        *self.batch = Batch::default();
        for (from, msgs) in self.pending.drain(..) {
            for m in msgs {
                out.send(from, m.to, m.msg);
            }
        }
        Ok(())
    }
}

/// The host's outbound channels: one per destination host, carrying the
/// frames of every pair of nodes between the two hosts. The channel is
/// authenticated as one of this host's nodes (`me`) and asks for one of
/// the destination's (`reps`); the receiver accepts on it frames from any
/// node the directory places on this host, which holds all their keys.
struct Outbound<M> {
    channels: HashMap<u32, mpsc::UnboundedSender<OutItem<M>>>,
    clients: HashMap<NodeId, Arc<rustls::ClientConfig>>,
    /// The local node the host's channels are authenticated as.
    me: NodeId,
    /// Per host, the node its channels ask for.
    reps: HashMap<u32, NodeId>,
    membership: Arc<Membership>,
    counters: Arc<Counters>,
    bounce: mpsc::UnboundedSender<Bounced<M>>,
    incarnation: u64,
    seqs: HashMap<(NodeId, NodeId), u64>,
    max_frame: usize,
    attempts: u32,
    retry_delay: Duration,
}

impl<M: sfumato_protocol::Message> Outbound<M> {
    fn send(&mut self, from: NodeId, to: NodeId, msg: M) {
        let bounce = |msg| {
            let _ = self.bounce.send(Bounced { from, to, msg });
        };
        let Ok(payload) = sfumato_protocol::encode(&msg) else {
            self.counters.undeliverable(1);
            bounce(msg);
            return;
        };
        let seq = self.seqs.entry((from, to)).or_insert(0);
        *seq += 1;
        let frame = Frame {
            from,
            to,
            epoch: self.incarnation,
            seq: *seq,
            payload,
        };
        let Ok(bytes) = frame.encode(self.max_frame) else {
            self.counters.undeliverable(1);
            bounce(msg);
            return;
        };
        let Some(host) = self.membership.host_of(to) else {
            self.counters.undeliverable(1);
            bounce(msg);
            return;
        };
        let mut item = OutItem {
            from,
            to,
            bytes,
            msg,
        };
        for _ in 0..2 {
            let tx = match self.channels.get(&host) {
                Some(tx) if !tx.is_closed() => tx.clone(),
                _ => {
                    let (tx, rx) = mpsc::unbounded_channel();
                    self.spawn_channel(host, rx);
                    self.channels.insert(host, tx.clone());
                    tx
                }
            };
            match tx.send(item) {
                Ok(()) => return,
                Err(e) => {
                    item = e.0;
                    self.channels.remove(&host);
                }
            }
        }
        self.counters.undeliverable(1);
        let _ = self.bounce.send(Bounced {
            from,
            to,
            msg: item.msg,
        });
    }

    fn spawn_channel(&self, host: u32, rx: mpsc::UnboundedReceiver<OutItem<M>>) {
        let client = self.clients.get(&self.me).cloned();
        let addr = self.membership.host_addr(host);
        let rep = self.reps.get(&host).copied();
        let counters = self.counters.clone();
        let bounce = self.bounce.clone();
        let attempts = self.attempts;
        let delay = self.retry_delay;
        tokio::spawn(channel(
            rep, client, addr, rx, counters, bounce, attempts, delay,
        ));
    }
}

/// A channel's TLS stream, split: the receiver never writes application
/// data, so a read that ends means the peer (or its process) is gone.
type Halves = (
    tokio::io::ReadHalf<tokio_rustls::client::TlsStream<TcpStream>>,
    tokio::io::WriteHalf<tokio_rustls::client::TlsStream<TcpStream>>,
);

/// Opens a channel to `addr` as the client `client`, asking for `to`.
async fn open(
    to: NodeId,
    client: &Arc<rustls::ClientConfig>,
    addr: std::net::SocketAddr,
    counters: &Counters,
    attempts: u32,
    delay: Duration,
) -> Option<Halves> {
    let name = rustls::pki_types::ServerName::try_from(server_name(to)).ok()?;
    let connector = TlsConnector::from(client.clone());
    for attempt in 0..attempts {
        if attempt > 0 {
            tokio::time::sleep(delay * attempt).await;
        }
        let opened = async {
            let tcp = TcpStream::connect(addr).await?;
            tcp.set_nodelay(true)?;
            connector.connect(name.clone(), tcp).await
        };
        match tokio::time::timeout(Duration::from_secs(5), opened).await {
            Ok(Ok(s)) => {
                counters.connections_out(1);
                return Some(tokio::io::split(s));
            }
            _ => counters.failed_connections(1),
        }
    }
    None
}

/// Writes the frames queued for the channel to a host (asking for its node
/// `to`), opening it when needed and again after the peer closed it (a
/// restarted host). Messages that cannot be written go back to their
/// senders; when the channel cannot be opened at all, everything queued
/// does, and the task ends (the next message opens a new one).
#[allow(clippy::too_many_arguments)]
async fn channel<M: sfumato_protocol::Message>(
    to: Option<NodeId>,
    client: Option<Arc<rustls::ClientConfig>>,
    addr: Option<std::net::SocketAddr>,
    mut rx: mpsc::UnboundedReceiver<OutItem<M>>,
    counters: Arc<Counters>,
    bounce: mpsc::UnboundedSender<Bounced<M>>,
    attempts: u32,
    delay: Duration,
) {
    let give_back = |item: OutItem<M>| {
        counters.undeliverable(1);
        let _ = bounce.send(Bounced {
            from: item.from,
            to: item.to,
            msg: item.msg,
        });
    };
    let mut conn: Option<Halves> = None;
    let mut scratch = vec![0u8; 4096];
    loop {
        let item = match conn.as_mut() {
            Some((reader, _)) => tokio::select! {
                // A close already seen wins over a message to write.
                biased;
                _ = reader.read(&mut scratch) => {
                    // Closed by the peer (or an error): reopen on the next message.
                    conn = None;
                    continue;
                }
                item = rx.recv() => item,
            },
            None => rx.recv().await,
        };
        let Some(item) = item else { break };
        let mut batch = vec![item];
        while let Ok(more) = rx.try_recv() {
            batch.push(more);
            if batch.len() >= 256 {
                break;
            }
        }
        if conn.is_none() {
            conn = match (to, &client, addr) {
                (Some(to), Some(c), Some(a)) => open(to, c, a, &counters, attempts, delay).await,
                _ => None,
            };
        }
        let Some((_, writer)) = conn.as_mut() else {
            for item in batch {
                give_back(item);
            }
            rx.close();
            while let Some(item) = rx.recv().await {
                give_back(item);
            }
            return;
        };
        let mut bytes = Vec::with_capacity(batch.iter().map(|i| i.bytes.len()).sum());
        for i in &batch {
            bytes.extend_from_slice(&i.bytes);
        }
        let written = async {
            writer.write_all(&bytes).await?;
            writer.flush().await
        };
        if written.await.is_err() {
            conn = None;
            for item in batch {
                give_back(item);
            }
            continue;
        }
        counters.frames_out(batch.len() as u64);
        counters.bytes_out(bytes.len() as u64);
    }
    if let Some((_, mut writer)) = conn {
        let _ = writer.shutdown().await;
    }
}

/// Serves one inbound channel: authenticates its two ends — a node of this
/// host asked for by name, a node of the directory by its certificate —
/// then hands its frames to the driver until it closes or misbehaves. A
/// frame must come from a node of the peer's host and go to a node of
/// this one.
#[allow(clippy::too_many_arguments)]
async fn serve<M: sfumato_protocol::Message>(
    tcp: TcpStream,
    acceptor: TlsAcceptor,
    membership: Arc<Membership>,
    local: Arc<Vec<NodeId>>,
    counters: Arc<Counters>,
    replay: ReplayGuard,
    inbox: mpsc::UnboundedSender<Inbound<M>>,
    max_frame: usize,
) {
    let Ok(Ok(mut stream)) =
        tokio::time::timeout(Duration::from_secs(10), acceptor.accept(tcp)).await
    else {
        return;
    };
    let peer_host = {
        let conn = stream.get_ref().1;
        let to = conn.server_name().and_then(node_of_server_name);
        let from = conn
            .peer_certificates()
            .and_then(|c| c.first())
            .and_then(|c| membership.node_of_certificate(c.as_ref()));
        match (to, from.and_then(|f| membership.host_of(f))) {
            (Some(to), Some(host)) if local.binary_search(&to).is_ok() => host,
            _ => {
                counters.rejected_peers(1);
                return;
            }
        }
    };
    counters.connections_in(1);
    let mut decoder = FrameDecoder::new(max_frame);
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        decoder.push(&buf[..n]);
        loop {
            let frame = match decoder.next_frame() {
                Ok(Some(f)) => f,
                Ok(None) => break,
                Err(_) => {
                    counters.malformed(1);
                    return;
                }
            };
            let (from, to) = (frame.from, frame.to);
            if membership.host_of(from) != Some(peer_host) || local.binary_search(&to).is_err() {
                counters.forged_senders(1);
                return;
            }
            {
                let Ok(mut last) = replay.lock() else { return };
                let e = last.entry((from, to)).or_insert((0, 0));
                if (frame.epoch, frame.seq) <= *e {
                    counters.replays(1);
                    continue;
                }
                *e = (frame.epoch, frame.seq);
            }
            let len = frame.payload.len() as u64 + crate::frame::HEADER_LEN as u64 + 4;
            match sfumato_protocol::decode::<M>(&frame.payload) {
                Ok(msg) => {
                    counters.frames_in(1);
                    counters.bytes_in(len);
                    if inbox.send(Inbound { to, from, msg }).is_err() {
                        return;
                    }
                }
                Err(_) => {
                    counters.malformed(1);
                    return;
                }
            }
        }
    }
}
