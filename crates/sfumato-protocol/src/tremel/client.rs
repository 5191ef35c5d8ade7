//! A client node (a smart meter) of Tremel's queries: Shuffle, Echo and
//! Aggregate (Tremel §4.3), or Scatter, Gather and Aggregate (§5.1), or the
//! Byzantine variant's Setup, Shuffle, Agreement and Aggregate (§5.2, in
//! `client/bft.rs`), on the clock of [`TremelParams`].
//!
//! # Call order
//!
//! 1. `start` does nothing; a client waits for the owner's
//!    [`QueryRequest`] (a newer query replaces an older one);
//! 2. on the request it draws its proxies and seals its tuple (Shuffle:
//!    one onion per proxy along node-disjoint paths; Scatter: one flooded
//!    two-layer onion per proxy, through a random relay), and sets the
//!    timer of relative round 0;
//! 3. each round's timer sends the round's meta-message to the gossip
//!    partner of that round, empty if nothing is due (§4.2); the first
//!    round of the second phase starts the Echo of every tuple held (an
//!    encrypted multicast to the tuple's other proxies) or the Gather
//!    (relays flood what they unwrapped);
//! 4. round messages are accepted only from the round's prescribed
//!    predecessor; what arrives is peeled, held and forwarded in the
//!    round its instruction says, or the next round if that has passed;
//! 5. after the last overlay round, the client aggregates the tuples it
//!    proxies with its subtree's partials and sends the result up its
//!    group's tree, at the latest `height × level_timeout` later, marked
//!    incomplete if a child was missing; the leader sends it to the owner.
//!
//! Messages of a query not yet announced are buffered (up to a bound);
//! those of an older query are dropped.

use std::collections::BTreeMap;

use rand_core::Rng;
use serde::{Deserialize, Serialize};
use sfumato_crypto::symmetric::HopInstruction;
use sfumato_overlay::{DeterministicOverlay, Path, PathSearch};

use crate::context::NodeContext;
use crate::message::{decode, encode};
use crate::node::{NodeId, Time};
use crate::tremel::messages::{FloodItem, GroupPartial, Item, QueryRequest, TremelMessage, Tuple};
use crate::tremel::node::{TremelNode, TremelTimer};
use crate::tremel::onions::{OnionSuite, PeeledLayer, WORK_PEEL_LAYER, WORK_SEAL_LAYER};
use crate::tremel::params::{Echo, TreePlace, TremelParams, Variant};
use crate::tremel::route::Route;

mod bft;

/// Most messages of future queries a client buffers.
const MAX_BUFFERED: usize = 4096;

/// What a client did, for probes and reports.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientStats {
    /// Queries it contributed a tuple to.
    pub contributed: u64,
    /// Tuples it held as a proxy, over all queries.
    pub tuples_held: u64,
    /// Items it forwarded for others.
    pub forwarded: u64,
    /// Items it sent: onions, echo copies and floods in its meta-messages,
    /// and direct echo copies (Tremel §7.3 counts these, at 1 kB each).
    pub items_sent: u64,
    /// Layers it sealed.
    pub sealed_layers: u64,
    /// Layers it peeled or tried to.
    pub peeled_layers: u64,
    /// Messages or items refused: wrong sender, undecryptable, misrouted,
    /// malformed.
    pub refused: u64,
    /// Multicasts for which node-disjoint paths were not found, so paths
    /// were searched one by one and may share nodes (Tremel §4.2,
    /// "Discussion").
    pub overlapping_multicasts: u64,
    /// Receivers no path reached within the phase.
    pub unroutable: u64,
    /// Byzantine variant: Ed25519 signatures made (messages, endorsements).
    #[serde(default)]
    pub signatures: u64,
    /// Byzantine variant: Ed25519 signatures checked.
    #[serde(default)]
    pub verifications: u64,
    /// Byzantine variant: owner signatures of tuples checked (RSA).
    #[serde(default)]
    pub tuple_checks: u64,
    /// Byzantine variant: agreement relays sent.
    #[serde(default)]
    pub relays: u64,
    /// Byzantine variant: tuples refused by the pollution filter.
    #[serde(default)]
    pub polluted: u64,
    /// Byzantine variant: tuples whose owner signature arrived too late
    /// for the Shuffle.
    #[serde(default)]
    pub late_signatures: u64,
}

/// Hashes flood identifiers, which are uniformly random: one
/// multiplication (every node looks up every flood of a query every round
/// in the high-failure protocol). Crash-tolerant nodes do not choose
/// identifiers to collide; Byzantine ones would need a keyed hash.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct IdHasher(u64);

impl core::hash::Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 ^ u64::from(*b)).wrapping_mul(0x0100_0000_01B3);
        }
    }

    fn write_u64(&mut self, x: u64) {
        self.0 = (x ^ (x >> 29)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

/// A flood a node forwards every round before `end`.
#[derive(Clone, Debug)]
struct HeldFlood<P> {
    id: u64,
    end: u32,
    gather: bool,
    sealed: std::sync::Arc<P>,
}

impl ClientStats {
    /// Adds `o`'s counts to these.
    pub fn add(&mut self, o: &ClientStats) {
        self.contributed += o.contributed;
        self.tuples_held += o.tuples_held;
        self.forwarded += o.forwarded;
        self.items_sent += o.items_sent;
        self.sealed_layers += o.sealed_layers;
        self.peeled_layers += o.peeled_layers;
        self.refused += o.refused;
        self.overlapping_multicasts += o.overlapping_multicasts;
        self.unroutable += o.unroutable;
        self.signatures += o.signatures;
        self.verifications += o.verifications;
        self.tuple_checks += o.tuple_checks;
        self.relays += o.relays;
        self.polluted += o.polluted;
        self.late_signatures += o.late_signatures;
    }
}

/// The state of the query in progress.
#[derive(Clone, Debug)]
struct Running<P> {
    req: QueryRequest,
    /// The first round not yet sent.
    next_round: u32,
    /// Items due per relative round.
    outbox: BTreeMap<u32, Vec<Item<P>>>,
    /// Tuples this node proxies, by identifier, and whether their second
    /// phase has started.
    held: BTreeMap<u64, (Tuple, bool)>,
    /// Scatter: tuples unwrapped as a relay, sealed for their proxy.
    relayed: Vec<P>,
    /// Floods this node holds and forwards every round until they end.
    floods: Vec<HeldFlood<P>>,
    /// Identifiers of the floods seen, so each is kept once.
    seen_floods: std::collections::HashSet<u64, core::hash::BuildHasherDefault<IdHasher>>,
    /// Direct Echo: tuples to echo per relative round.
    echo_queue: BTreeMap<u32, Vec<u64>>,
    children: BTreeMap<u32, GroupPartial>,
    aggregating: bool,
    reported: bool,
    /// Byzantine variant: the agreements on the tuples this node proxies.
    bft: bft::BftRun,
}

/// A client.
#[derive(Clone, Debug)]
pub struct Client<S: OnionSuite> {
    id: u32,
    params: std::sync::Arc<TremelParams>,
    overlay: DeterministicOverlay,
    suite: S,
    /// This meter's records, by window; `None` for an identifier without
    /// a meter of its own (a spare, Tremel §7.2).
    records: Option<Vec<Vec<i64>>>,
    place: TreePlace,
    group: u32,
    running: Option<Running<S::Packet>>,
    buffered: Vec<(NodeId, TremelMessage<S::Packet>)>,
    stats: ClientStats,
    /// Byzantine variant: this meter's tuple waiting for the owner's
    /// signature.
    pending: Option<bft::Pending<S>>,
    /// A simulated Byzantine meter that sends its records unclamped (the
    /// pollution the range clause must stop, §6.4). Set only by the
    /// simulator's adversaries.
    unclamped: bool,
    /// A simulated Byzantine meter that sends its tuple to only some of
    /// its proxies (§5.2: "Byzantine origin nodes may have sent a tuple to
    /// only some of their proxies"). Set only by the simulator's
    /// adversaries.
    selective_shuffle: bool,
}

impl<S: OnionSuite> Client<S> {
    /// Client `id` of a deployment whose parameters passed
    /// [`TremelParams::overlay`].
    pub fn new(
        id: u32,
        params: std::sync::Arc<TremelParams>,
        overlay: DeterministicOverlay,
        suite: S,
        records: Option<Vec<Vec<i64>>>,
    ) -> Client<S> {
        Client {
            id,
            place: params.tree_place(id),
            group: params.group_of(id),
            params,
            overlay,
            suite,
            records,
            running: None,
            buffered: Vec::new(),
            stats: ClientStats::default(),
            pending: None,
            unclamped: false,
            selective_shuffle: false,
        }
    }

    /// The same client with other records.
    pub fn with_records(mut self, records: Option<Vec<Vec<i64>>>) -> Client<S> {
        self.records = records;
        self
    }

    /// Makes this client a **Byzantine** meter that contributes its records
    /// unclamped, whatever the query's range (simulated adversaries only).
    pub fn byzantine_unclamped(mut self) -> Client<S> {
        self.unclamped = true;
        self
    }

    /// Makes this client a **Byzantine** meter that sends its tuple to a
    /// random subset of at most `t` of its proxies (simulated adversaries
    /// only).
    pub fn byzantine_selective_shuffle(mut self) -> Client<S> {
        self.selective_shuffle = true;
        self
    }

    /// What it did so far.
    pub fn stats(&self) -> ClientStats {
        self.stats
    }

    /// The number of the query in progress.
    pub fn query_number(&self) -> Option<u64> {
        self.running.as_ref().map(|r| r.req.number)
    }

    fn first_rounds(&self) -> u32 {
        self.params.first_phase_rounds(&self.overlay)
    }

    fn all_rounds(&self) -> u32 {
        self.params.overlay_rounds(&self.overlay)
    }

    fn round_time(&self, req: &QueryRequest, r: u32) -> Time {
        req.start.plus(Time(
            self.params.round_length.0.saturating_mul(u64::from(r)),
        ))
    }

    fn partner(&self, req: &QueryRequest, r: u32) -> u32 {
        self.overlay
            .partner(u64::from(self.id), req.first_round + u64::from(r))
            .0 as u32
    }

    pub(crate) fn on_message(
        &mut self,
        from: NodeId,
        msg: TremelMessage<S::Packet>,
        ctx: &mut NodeContext<'_, TremelNode<S>>,
    ) {
        let msg = if self.params.variant == Variant::Byzantine {
            match self.open_envelope(from, msg, ctx) {
                Some(m) => m,
                None => return,
            }
        } else {
            msg
        };
        self.dispatch(from, msg, ctx);
    }

    /// Handles a message whose envelope, if any, was checked.
    fn dispatch(
        &mut self,
        from: NodeId,
        msg: TremelMessage<S::Packet>,
        ctx: &mut NodeContext<'_, TremelNode<S>>,
    ) {
        let current = self.running.as_ref().map(|r| r.req.number);
        match msg {
            TremelMessage::Query(req) => {
                if from != self.params.owner() || req.spec.validate().is_err() {
                    self.stats.refused += 1;
                    return;
                }
                if current.is_some_and(|c| req.number <= c) {
                    return;
                }
                self.begin(req, ctx);
                let buffered = std::mem::take(&mut self.buffered);
                for (from, msg) in buffered {
                    self.dispatch(from, msg, ctx);
                }
            }
            TremelMessage::Round { query, .. }
            | TremelMessage::Agree { query, .. }
            | TremelMessage::Partial(GroupPartial { query, .. })
                if current.is_none_or(|c| query > c) =>
            {
                if self.buffered.len() < MAX_BUFFERED {
                    self.buffered.push((from, msg));
                } else {
                    self.stats.refused += 1;
                }
            }
            TremelMessage::Round {
                query,
                round,
                items,
                floods,
            } => {
                if Some(query) != current {
                    return;
                }
                self.on_round(from, round, items, floods, ctx);
            }
            TremelMessage::Echo { query, sealed } => {
                if self.params.variant == Variant::Byzantine {
                    // Tuples reach a Byzantine-variant proxy by the Shuffle
                    // or the agreement only.
                    self.stats.refused += 1;
                    return;
                }
                if Some(query) != current || u64::from(from.0) >= self.params.n {
                    return;
                }
                ctx.work(WORK_PEEL_LAYER, 1);
                self.stats.peeled_layers += 1;
                match self.suite.open_box(&sealed) {
                    Ok(payload) => self.deliver(&payload, ctx),
                    Err(_) => self.stats.refused += 1,
                }
            }
            TremelMessage::Partial(p) => {
                if Some(p.query) != current {
                    return;
                }
                self.on_partial(from, p, ctx);
            }
            TremelMessage::Agree {
                query,
                round,
                tuple,
                endorsements,
            } => {
                if Some(query) != current {
                    return;
                }
                self.on_agree(from, round, tuple, endorsements, ctx);
            }
            TremelMessage::SignReply { query, signature } => {
                if from != self.params.owner() || Some(query) != current {
                    self.stats.refused += 1;
                    return;
                }
                self.on_sign_reply(signature, ctx);
            }
            TremelMessage::Result(_)
            | TremelMessage::SignRequest { .. }
            | TremelMessage::Signed { .. } => self.stats.refused += 1,
        }
    }

    pub(crate) fn on_timer(
        &mut self,
        _now: Time,
        timer: TremelTimer,
        ctx: &mut NodeContext<'_, TremelNode<S>>,
    ) {
        let current = self.running.as_ref().map(|r| r.req.number);
        match timer {
            TremelTimer::Round { query, round } if Some(query) == current => {
                self.send_round(round, ctx);
            }
            TremelTimer::Aggregate { query } if Some(query) == current => {
                self.start_aggregate(ctx);
            }
            TremelTimer::LevelDeadline { query } if Some(query) == current => {
                self.report(ctx);
            }
            _ => {}
        }
    }

    /// A new query: the tuple, its first phase, the clock.
    fn begin(&mut self, req: QueryRequest, ctx: &mut NodeContext<'_, TremelNode<S>>) {
        ctx.set_timer(
            req.start,
            TremelTimer::Round {
                query: req.number,
                round: 0,
            },
        );
        self.running = Some(Running {
            req: req.clone(),
            next_round: 0,
            outbox: BTreeMap::new(),
            held: BTreeMap::new(),
            relayed: Vec::new(),
            floods: Vec::new(),
            seen_floods: Default::default(),
            echo_queue: BTreeMap::new(),
            children: BTreeMap::new(),
            aggregating: false,
            reported: false,
            bft: bft::BftRun::default(),
        });
        if self.params.variant == Variant::Byzantine {
            self.begin_bft(&req, ctx);
            return;
        }
        let fields = req.spec.fields_needed();
        let record = self
            .records
            .as_ref()
            .and_then(|r| r.get(req.window as usize))
            .filter(|r| r.len() >= fields && req.spec.selects(self.id, r))
            .map(|r| r[..fields].to_vec());
        let Some(record) = record else { return };
        let tuple = self.draw_tuple(req.number, record, ctx);
        let proxies = tuple.proxies.clone();
        self.stats.contributed += 1;
        let Ok(payload) = encode(&tuple) else { return };
        let others: Vec<u32> = proxies.iter().copied().filter(|p| *p != self.id).collect();
        if others.len() < proxies.len() {
            self.accept_tuple(tuple, ctx);
        }
        match self.params.variant {
            Variant::Basic | Variant::Byzantine => self.shuffle(&req, &others, &payload, ctx),
            Variant::HighFailure => self.scatter(&others, &payload, ctx),
        }
    }

    /// A tuple for query `query`: `record`, one proxy drawn uniformly from
    /// each aggregation group, a random identifier.
    fn draw_tuple(
        &self,
        query: u64,
        record: Vec<i64>,
        ctx: &mut NodeContext<'_, TremelNode<S>>,
    ) -> Tuple {
        let proxies: Vec<u32> = (0..self.params.groups())
            .map(|g| {
                let m = self.params.group_members(g);
                m.start + (ctx.rng().next_u64() % u64::from(m.end - m.start)) as u32
            })
            .collect();
        Tuple {
            query,
            id: ctx.rng().next_u64(),
            record,
            proxies,
        }
    }

    /// Shuffle (§4.3): a tunneled multicast of the tuple to its proxies.
    fn shuffle(
        &mut self,
        req: &QueryRequest,
        proxies: &[u32],
        payload: &[u8],
        ctx: &mut NodeContext<'_, TremelNode<S>>,
    ) {
        let horizon = u64::from(self.first_rounds());
        let search =
            PathSearch::tunneled_multicast(&self.overlay, proxies.len()).with_horizon(horizon);
        let single = PathSearch::tunneled(&self.overlay).with_horizon(horizon);
        let paths = self.multicast_paths(req.first_round, proxies, &search, &single);
        for path in paths {
            let route = Route::of(&path);
            ctx.work(WORK_SEAL_LAYER, route.hops.len() as u64);
            self.stats.sealed_layers += route.hops.len() as u64;
            match self.suite.seal_onion(ctx.rng(), &route.hops, payload) {
                Ok(p) => self.push(route.depart, Item::Onion(p)),
                Err(_) => self.stats.unroutable += 1,
            }
        }
    }

    /// Scatter (§5.1): for each proxy, a relay; the tuple sealed for the
    /// proxy inside a layer for the relay, flooded from round 0.
    ///
    /// The paper draws each relay from all nodes that are not proxies.
    /// Then one failed relay can keep a tuple from the proxy of a group
    /// with no failed member, and no complete group need hold every honest
    /// tuple (§6.2 overlooks this). Here the relay of the proxy in group
    /// `g` is drawn from `g`'s other members: a failed relay makes its own
    /// group incomplete, and every complete group gets every honest tuple
    /// (its proxies and relays all stayed up).
    fn scatter(
        &mut self,
        proxies: &[u32],
        payload: &[u8],
        ctx: &mut NodeContext<'_, TremelNode<S>>,
    ) {
        for &p in proxies {
            let members = self.params.group_members(self.params.group_of(p));
            let others = (members.end - members.start) as u64;
            // Members other than the proxy and the sender; the proxy relays
            // for itself in a group too small for anyone else.
            let candidates: Vec<u32> = members.filter(|m| *m != p && *m != self.id).collect();
            let relay = if candidates.is_empty() || others < 2 {
                p
            } else {
                candidates[(ctx.rng().next_u64() % candidates.len() as u64) as usize]
            };
            let route = [
                (
                    relay,
                    HopInstruction::Forward {
                        wait: 0,
                        next: u32::MAX,
                    },
                ),
                (p, HopInstruction::Deliver),
            ];
            ctx.work(WORK_SEAL_LAYER, 2);
            self.stats.sealed_layers += 2;
            match self.suite.seal_onion(ctx.rng(), &route, payload) {
                Ok(sealed) => {
                    let id = ctx.rng().next_u64();
                    self.hold_flood(id, 0, false, std::sync::Arc::new(sealed));
                }
                Err(_) => self.stats.unroutable += 1,
            }
        }
    }

    /// Starts forwarding a flood from relative round `from` for a TTL of
    /// `⌈log₂ n⌉ + t` rounds (§4.2).
    fn hold_flood(&mut self, id: u64, from: u32, gather: bool, sealed: std::sync::Arc<S::Packet>) {
        let end = from + self.overlay.flood_ttl(self.params.t);
        if let Some(run) = self.running.as_mut() {
            run.seen_floods.insert(id);
            run.floods.push(HeldFlood {
                id,
                end,
                gather,
                sealed,
            });
        }
    }

    /// Node-disjoint paths from this node in overlay round `round` to
    /// `receivers`. The search is greedy in the receivers' order (Tremel
    /// §4.2), so other orders (rotations) are tried before giving up;
    /// then paths are searched one by one and may share nodes, which
    /// weakens the guarantee (counted in [`ClientStats`]).
    fn multicast_paths(
        &mut self,
        round: u64,
        receivers: &[u32],
        search: &PathSearch,
        single: &PathSearch,
    ) -> Vec<Path> {
        if receivers.is_empty() {
            return Vec::new();
        }
        let mut targets: Vec<u64> = receivers.iter().map(|r| u64::from(*r)).collect();
        for _ in 0..targets.len().min(4) {
            if let Ok(paths) =
                self.overlay
                    .disjoint_paths(u64::from(self.id), round, &targets, search)
            {
                return paths;
            }
            targets.rotate_left(1);
        }
        self.stats.overlapping_multicasts += 1;
        let mut out = Vec::new();
        for b in targets {
            match self.overlay.find_path(u64::from(self.id), round, b, single) {
                Ok(p) => out.push(p),
                Err(_) => self.stats.unroutable += 1,
            }
        }
        out
    }

    /// Queues `item` for relative round `round`, or the next round to send
    /// if that one has passed.
    fn push(&mut self, round: u32, item: Item<S::Packet>) {
        let Some(run) = self.running.as_mut() else {
            return;
        };
        let round = round.max(run.next_round);
        run.outbox.entry(round).or_default().push(item);
    }

    fn send_round(&mut self, round: u32, ctx: &mut NodeContext<'_, TremelNode<S>>) {
        let first = self.first_rounds();
        let all = self.all_rounds();
        if self.params.variant == Variant::Byzantine {
            self.agreement_round(round, ctx);
        } else if round == first {
            self.second_phase(round, ctx);
        }
        let due = self
            .running
            .as_mut()
            .and_then(|r| r.echo_queue.remove(&round))
            .unwrap_or_default();
        for id in due {
            self.echo(id, round, ctx);
        }
        let Some(run) = self.running.as_mut() else {
            return;
        };
        if round < run.next_round {
            return;
        }
        let mut items = Vec::new();
        let mut floods = Vec::new();
        // Everything due up to this round (nothing earlier is left, as
        // items are queued no earlier than the next round to send).
        while let Some(entry) = run.outbox.first_entry() {
            if *entry.key() > round {
                break;
            }
            items.extend(entry.remove());
        }
        if !run.floods.is_empty() {
            floods.reserve_exact(run.floods.len());
        }
        for f in &run.floods {
            if f.end > round {
                floods.push(FloodItem {
                    id: f.id,
                    ttl: f.end - round,
                    gather: f.gather,
                    sealed: f.sealed.clone(),
                });
            }
        }
        run.floods.retain(|f| f.end > round + 1);
        run.next_round = round + 1;
        self.stats.items_sent += (items.len() + floods.len()) as u64;
        let req = run.req.clone();
        let to = self.partner(&req, round);
        self.send(
            to,
            TremelMessage::Round {
                query: req.number,
                round,
                items,
                floods,
            },
            ctx,
        );
        if round + 1 < all {
            ctx.set_timer(
                self.round_time(&req, round + 1),
                TremelTimer::Round {
                    query: req.number,
                    round: round + 1,
                },
            );
        } else {
            ctx.set_timer(
                self.round_time(&req, all),
                TremelTimer::Aggregate { query: req.number },
            );
        }
    }

    /// The first round of the second phase: Echo every tuple held, or
    /// Gather every tuple relayed.
    fn second_phase(&mut self, round: u32, ctx: &mut NodeContext<'_, TremelNode<S>>) {
        match self.params.variant {
            Variant::Basic => {
                let ids: Vec<u64> = self
                    .running
                    .as_ref()
                    .map(|r| r.held.keys().copied().collect())
                    .unwrap_or_default();
                if self.params.echo == Echo::Direct {
                    // Spread over all but the last echo round.
                    let spread = self.params.echo_rounds.max(2) - 1;
                    if let Some(run) = self.running.as_mut() {
                        for (i, id) in ids.into_iter().enumerate() {
                            let r = round + (i as u32 % spread);
                            run.echo_queue.entry(r).or_default().push(id);
                        }
                    }
                } else {
                    for id in ids {
                        self.echo(id, round, ctx);
                    }
                }
            }
            Variant::Byzantine => {}
            Variant::HighFailure => {
                let relayed = self
                    .running
                    .as_mut()
                    .map(|r| std::mem::take(&mut r.relayed))
                    .unwrap_or_default();
                for sealed in relayed {
                    let id = ctx.rng().next_u64();
                    self.hold_flood(id, round, true, std::sync::Arc::new(sealed));
                }
            }
        }
    }

    /// Echo (§4.3): tuple `id` to its other proxies, from relative round
    /// `round`: sealed copies sent directly, or the paper's encrypted
    /// multicast on the overlay.
    fn echo(&mut self, id: u64, round: u32, ctx: &mut NodeContext<'_, TremelNode<S>>) {
        let all = self.all_rounds();
        let Some(run) = self.running.as_mut() else {
            return;
        };
        let Some((tuple, echoed)) = run.held.get_mut(&id) else {
            return;
        };
        if *echoed || round >= all {
            return;
        }
        *echoed = true;
        let tuple = tuple.clone();
        let first_round = run.req.first_round;
        let others: Vec<u32> = tuple
            .proxies
            .iter()
            .copied()
            .filter(|p| *p != self.id)
            .collect();
        let Ok(payload) = encode(&tuple) else { return };
        if self.params.echo == Echo::Direct {
            let query = tuple.query;
            for to in others {
                ctx.work(WORK_SEAL_LAYER, 1);
                self.stats.sealed_layers += 1;
                match self.suite.seal_box(ctx.rng(), to, &payload) {
                    Ok(sealed) => {
                        self.stats.items_sent += 1;
                        ctx.send(NodeId(to), TremelMessage::Echo { query, sealed });
                    }
                    Err(_) => self.stats.unroutable += 1,
                }
            }
            return;
        }
        let horizon = u64::from(all - round);
        let search = PathSearch::multicast(&self.overlay, others.len())
            .with_horizon(horizon.min(u64::from(self.params.second_phase_rounds(&self.overlay))));
        let single = PathSearch::multicast(&self.overlay, 1).with_horizon(horizon);
        let paths = self.multicast_paths(first_round + u64::from(round), &others, &search, &single);
        for path in paths {
            let route = Route::of(&path);
            let Some(to) = route.receiver() else { continue };
            ctx.work(WORK_SEAL_LAYER, 1);
            self.stats.sealed_layers += 1;
            match self.suite.seal_box(ctx.rng(), to, &payload) {
                Ok(sealed) => self.push(
                    round + route.depart,
                    Item::Routed {
                        waits: route.waits(),
                        sealed,
                    },
                ),
                Err(_) => self.stats.unroutable += 1,
            }
        }
    }

    fn on_round(
        &mut self,
        from: NodeId,
        round: u32,
        items: Vec<Item<S::Packet>>,
        floods: Vec<FloodItem<S::Packet>>,
        ctx: &mut NodeContext<'_, TremelNode<S>>,
    ) {
        let Some(run) = self.running.as_ref() else {
            return;
        };
        let req = run.req.clone();
        let all = self.all_rounds();
        let expected = self
            .overlay
            .partner(u64::from(from.0), req.first_round + u64::from(round));
        if round >= all || u64::from(from.0) >= self.params.n || expected.0 != u64::from(self.id) {
            self.stats.refused += 1;
            return;
        }
        let arrive = round + 1;
        for item in items {
            self.on_item(&req, arrive, item, ctx);
        }
        for f in floods {
            self.on_flood(arrive, f.id, f.ttl, f.gather, f.sealed, ctx);
        }
    }

    fn on_item(
        &mut self,
        req: &QueryRequest,
        arrive: u32,
        item: Item<S::Packet>,
        ctx: &mut NodeContext<'_, TremelNode<S>>,
    ) {
        match item {
            Item::Onion(packet) => {
                ctx.work(WORK_PEEL_LAYER, 1);
                self.stats.peeled_layers += 1;
                match self.suite.peel_onion(&packet) {
                    Ok(PeeledLayer::Forward { wait, next, packet }) => {
                        let due = arrive + u32::from(wait);
                        if next != self.partner(req, due) {
                            self.stats.refused += 1;
                            return;
                        }
                        self.stats.forwarded += 1;
                        self.push(due, Item::Onion(packet));
                    }
                    Ok(PeeledLayer::Deliver(payload)) => self.deliver(&payload, ctx),
                    Err(_) => self.stats.refused += 1,
                }
            }
            Item::Routed { mut waits, sealed } => {
                if waits.is_empty() {
                    ctx.work(WORK_PEEL_LAYER, 1);
                    self.stats.peeled_layers += 1;
                    match self.suite.open_box(&sealed) {
                        Ok(payload) => self.deliver(&payload, ctx),
                        Err(_) => self.stats.refused += 1,
                    }
                } else {
                    let wait = waits.remove(0);
                    self.stats.forwarded += 1;
                    self.push(arrive + u32::from(wait), Item::Routed { waits, sealed });
                }
            }
        }
    }

    /// A flooded item (§4.2, §5.1): kept and forwarded every round while its
    /// TTL lasts, and opened if it is for this node — every node tries,
    /// as only the addressee can tell.
    fn on_flood(
        &mut self,
        arrive: u32,
        id: u64,
        ttl: u32,
        gather: bool,
        sealed: std::sync::Arc<S::Packet>,
        ctx: &mut NodeContext<'_, TremelNode<S>>,
    ) {
        let all = self.all_rounds();
        let Some(run) = self.running.as_mut() else {
            return;
        };
        if ttl == 0 || !run.seen_floods.insert(id) {
            return;
        }
        // The sender sent it in round `arrive − 1` with `ttl` rounds left.
        let end = (arrive - 1).saturating_add(ttl).min(all);
        if end > arrive {
            run.floods.push(HeldFlood {
                id,
                end,
                gather,
                sealed: sealed.clone(),
            });
        }
        ctx.work(WORK_PEEL_LAYER, 1);
        self.stats.peeled_layers += 1;
        match self.suite.peel_onion(&sealed) {
            // The Gather's copy: the proxy's layer.
            Ok(PeeledLayer::Deliver(payload)) if gather => self.deliver(&payload, ctx),
            // The Scatter's copy: this node is the relay (and perhaps the
            // proxy too, in a group too small for another relay).
            Ok(PeeledLayer::Forward { packet, .. }) if !gather => {
                ctx.work(WORK_PEEL_LAYER, 1);
                self.stats.peeled_layers += 1;
                match self.suite.peel_onion(&packet) {
                    Ok(PeeledLayer::Deliver(payload)) => self.deliver(&payload, ctx),
                    _ => {
                        if let Some(run) = self.running.as_mut() {
                            run.relayed.push(packet);
                        }
                    }
                }
            }
            _ => {}
        }
    }

    fn deliver(&mut self, payload: &[u8], ctx: &mut NodeContext<'_, TremelNode<S>>) {
        if self.params.variant == Variant::Byzantine {
            self.deliver_signed(payload, ctx);
            return;
        }
        match decode::<Tuple>(payload) {
            Ok(t) => self.accept_tuple(t, ctx),
            Err(_) => self.stats.refused += 1,
        }
    }

    /// A tuple arrived for this node as a proxy: held once; echoed at once
    /// if the second phase has begun.
    fn accept_tuple(&mut self, t: Tuple, ctx: &mut NodeContext<'_, TremelNode<S>>) {
        let groups = self.params.groups() as usize;
        let first = self.first_rounds();
        let Some(run) = self.running.as_mut() else {
            return;
        };
        if t.query != run.req.number
            || t.proxies.len() != groups
            || t.proxies.get(self.group as usize) != Some(&self.id)
            || t.record.len() < run.req.spec.fields_needed()
            || run.aggregating
        {
            self.stats.refused += 1;
            return;
        }
        if run.held.contains_key(&t.id) {
            return;
        }
        let id = t.id;
        run.held.insert(id, (t, false));
        self.stats.tuples_held += 1;
        let next = run.next_round;
        if next > first && self.params.variant == Variant::Basic {
            self.echo(id, next, ctx);
        }
    }

    fn on_partial(
        &mut self,
        from: NodeId,
        p: GroupPartial,
        ctx: &mut NodeContext<'_, TremelNode<S>>,
    ) {
        let Some(run) = self.running.as_mut() else {
            return;
        };
        if p.group != self.group
            || !self.place.children.contains(&from.0)
            || !run.req.spec.fits(&p.partial)
            || run.reported
        {
            self.stats.refused += 1;
            return;
        }
        run.children.insert(from.0, p);
        if run.aggregating && run.children.len() == self.place.children.len() {
            self.report(ctx);
        }
    }

    fn start_aggregate(&mut self, ctx: &mut NodeContext<'_, TremelNode<S>>) {
        let Some(run) = self.running.as_mut() else {
            return;
        };
        run.aggregating = true;
        if run.children.len() == self.place.children.len() {
            self.report(ctx);
        } else {
            let at = ctx.now().plus(Time(
                self.params
                    .level_timeout
                    .0
                    .saturating_mul(u64::from(self.place.height)),
            ));
            let query = run.req.number;
            ctx.set_timer(at, TremelTimer::LevelDeadline { query });
        }
    }

    /// Sends this subtree's aggregate to the parent, or to the owner.
    fn report(&mut self, ctx: &mut NodeContext<'_, TremelNode<S>>) {
        let Some(run) = self.running.as_mut() else {
            return;
        };
        if run.reported || !run.aggregating {
            return;
        }
        run.reported = true;
        let spec = &run.req.spec;
        let mut partial = spec.empty();
        let mut count = 0u64;
        let used: Vec<&Tuple> = if self.params.variant == Variant::Byzantine {
            run.bft.used()
        } else {
            run.held.values().map(|(t, _)| t).collect()
        };
        for t in used {
            if !spec.in_range_within(&t.record, run.req.noise.as_ref()) {
                continue;
            }
            if let Ok(p) = spec.of_record(&t.record) {
                spec.merge(&mut partial, &p);
                count += 1;
            }
        }
        let mut complete = run.children.len() == self.place.children.len();
        for c in run.children.values() {
            spec.merge(&mut partial, &c.partial);
            count = count.saturating_add(c.count);
            complete &= c.complete;
        }
        let gp = GroupPartial {
            query: run.req.number,
            group: self.group,
            partial,
            count,
            complete,
        };
        match self.place.parent {
            Some(parent) => self.send(parent, TremelMessage::Partial(gp), ctx),
            None => ctx.send(self.params.owner(), TremelMessage::Result(gp)),
        }
    }
}
