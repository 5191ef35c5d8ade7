//! The system owner (Tremel §2, §4.3): it broadcasts numbered queries and
//! takes, of the results the groups' leaders send, the one with the most
//! contributions.
//!
//! # Choosing a result
//!
//! The paper's owner accepts the result with the most contributions and
//! waits a fixed timeout after each result rather than for all `t + 1`
//! (§4.3). With crashes at arbitrary times that rule alone can pick a
//! group that lost an honest tuple with a crashed member but gained more
//! tuples of meters that crashed half-way through their Shuffle (§6.1's
//! argument assumes a crashed meter's tuple reaches all its proxies or
//! none). So each result also says whether every member of the group
//! reported in time (`complete`), and the owner takes the result with the
//! most contributions **among complete groups**, falling back to all groups
//! only if none is complete (the answer says so). With at most `t` crashed
//! nodes, at least one of the `t + 1` groups has none and is complete.
//!
//! # Call order
//!
//! `start` sets a timer per planned query; each sends the request to every
//! client, then the owner waits for results (`Result` messages from the
//! leaders), deciding when every group has answered, `result_timeout`
//! after the last result, or at the query's deadline.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sfumato_overlay::DeterministicOverlay;

use crate::context::NodeContext;
use crate::node::{NodeId, Time};
use crate::tremel::messages::{GroupPartial, QueryRequest, TremelMessage};
use crate::tremel::node::{TremelEvent, TremelNode, TremelTimer};
use crate::tremel::onions::{OnionSuite, work};
use crate::tremel::params::{TremelParams, Variant};
use crate::tremel::query::{Partial, QuerySpec};
use crate::tremel::setup::OwnerDesk;

/// A query the owner will ask.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlannedQuery {
    /// When it is broadcast.
    pub at: Time,
    /// Which window of their records meters contribute.
    pub window: u32,
    /// What to compute.
    pub spec: QuerySpec,
    /// Byzantine variant: the noise meters add.
    #[serde(default)]
    pub noise: Option<crate::tremel::noise::NoisePlan>,
}

/// The owner's answer to one query.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueryAnswer {
    /// The query number (1, 2, …).
    pub number: u64,
    /// The window asked for.
    pub window: u32,
    /// When the request was broadcast.
    pub asked_at: Time,
    /// When the owner decided.
    pub answered_at: Time,
    /// The accepted aggregate, if any group answered.
    pub partial: Option<Partial>,
    /// Its number of contributions.
    pub count: u64,
    /// The group whose result was accepted.
    pub group: Option<u32>,
    /// Whether that group was complete.
    pub complete: bool,
    /// Groups that answered.
    pub groups_heard: u32,
    /// Groups whose result equals the accepted one.
    pub groups_agreeing: u32,
    /// Byzantine variant: tuples the owner signed for this query.
    #[serde(default)]
    pub signed: u64,
    /// Byzantine variant: signature requests refused (a second one from a
    /// meter, or too late).
    #[serde(default)]
    pub sign_refused: u64,
}

#[derive(Clone, Debug)]
struct Asked {
    req: QueryRequest,
    asked_at: Time,
    results: BTreeMap<u32, GroupPartial>,
    decided: bool,
    signed: u64,
    sign_refused: u64,
}

/// The owner.
#[derive(Clone, Debug)]
pub struct Owner {
    params: std::sync::Arc<TremelParams>,
    overlay: DeterministicOverlay,
    plan: Vec<PlannedQuery>,
    /// Time between a request and its round 0.
    setup: Time,
    next_first_round: u64,
    asked: BTreeMap<u64, Asked>,
    /// Byzantine variant: the desk that signs blinded tuples.
    desk: Option<OwnerDesk>,
}

impl Owner {
    /// An owner that asks `plan`'s queries, each announced `setup` before
    /// its round 0 (enough for the request to arrive and the tuples to be
    /// sealed).
    pub fn new(
        params: std::sync::Arc<TremelParams>,
        overlay: DeterministicOverlay,
        plan: Vec<PlannedQuery>,
        setup: Time,
    ) -> Owner {
        Owner {
            params,
            overlay,
            plan,
            setup,
            next_first_round: 0,
            asked: BTreeMap::new(),
            desk: None,
        }
    }

    /// With the Byzantine variant's signing desk.
    pub fn with_desk(mut self, desk: OwnerDesk) -> Owner {
        self.desk = Some(desk);
        self
    }

    pub(crate) fn on_start<S: OnionSuite>(&mut self, ctx: &mut NodeContext<'_, TremelNode<S>>) {
        for (index, q) in self.plan.iter().enumerate() {
            ctx.set_timer(
                q.at,
                TremelTimer::Ask {
                    index: index as u32,
                },
            );
        }
    }

    pub(crate) fn on_timer<S: OnionSuite>(
        &mut self,
        now: Time,
        timer: TremelTimer,
        ctx: &mut NodeContext<'_, TremelNode<S>>,
    ) {
        match timer {
            TremelTimer::Ask { index } => self.ask::<S>(now, index, ctx),
            TremelTimer::OwnerWait { query, heard }
                if self
                    .asked
                    .get(&query)
                    .is_some_and(|a| a.results.len() as u32 == heard) =>
            {
                self.decide::<S>(now, query, ctx);
            }
            TremelTimer::OwnerDeadline { query } => self.decide::<S>(now, query, ctx),
            _ => {}
        }
    }

    fn ask<S: OnionSuite>(
        &mut self,
        now: Time,
        index: u32,
        ctx: &mut NodeContext<'_, TremelNode<S>>,
    ) {
        let Some(q) = self.plan.get(index as usize) else {
            return;
        };
        let req = QueryRequest {
            number: u64::from(index) + 1,
            window: q.window,
            spec: q.spec.clone(),
            start: now.plus(self.setup),
            first_round: self.next_first_round,
            noise: q.noise.clone(),
        };
        self.next_first_round = (self.next_first_round
            + u64::from(self.params.overlay_rounds(&self.overlay)))
            % (self.params.n - 1);
        for i in 0..self.params.n as u32 {
            ctx.send(NodeId(i), TremelMessage::Query(req.clone()));
        }
        ctx.set_timer(
            req.start.plus(self.params.query_duration(&self.overlay)),
            TremelTimer::OwnerDeadline { query: req.number },
        );
        self.asked.insert(
            req.number,
            Asked {
                req,
                asked_at: now,
                results: BTreeMap::new(),
                decided: false,
                signed: 0,
                sign_refused: 0,
            },
        );
        if let Some(desk) = self.desk.as_mut() {
            desk.forget_before(req_number_floor(&self.asked));
        }
    }

    pub(crate) fn on_message<S: OnionSuite>(
        &mut self,
        now: Time,
        from: NodeId,
        msg: TremelMessage<S::Packet>,
        ctx: &mut NodeContext<'_, TremelNode<S>>,
    ) {
        let gp = match msg {
            TremelMessage::Result(gp) => gp,
            TremelMessage::SignRequest { query, request } => {
                self.on_sign_request::<S>(now, from, query, &request, ctx);
                return;
            }
            _ => return,
        };
        let groups = self.params.groups();
        let Some(asked) = self.asked.get_mut(&gp.query) else {
            return;
        };
        let leader = self.params.group_members(gp.group).end.wrapping_sub(1);
        if asked.decided
            || gp.group >= groups
            || from != NodeId(leader)
            || !asked.req.spec.fits(&gp.partial)
        {
            return;
        }
        let query = gp.query;
        asked.results.entry(gp.group).or_insert(gp);
        let heard = asked.results.len() as u32;
        let byzantine = self.params.variant == Variant::Byzantine;
        if heard == groups || (byzantine && majority(&asked.results, self.params.t).is_some()) {
            self.decide::<S>(now, query, ctx);
        } else {
            ctx.set_timer(
                now.plus(self.params.result_timeout),
                TremelTimer::OwnerWait { query, heard },
            );
        }
    }

    fn decide<S: OnionSuite>(
        &mut self,
        now: Time,
        query: u64,
        ctx: &mut NodeContext<'_, TremelNode<S>>,
    ) {
        let Some(asked) = self.asked.get_mut(&query) else {
            return;
        };
        if asked.decided {
            return;
        }
        asked.decided = true;
        let any_complete = asked.results.values().any(|r| r.complete);
        // Byzantine: the result t + 1 groups sent. Otherwise the most
        // contributions among complete groups (else all); ties to the
        // lowest group.
        let best = if self.params.variant == Variant::Byzantine {
            majority(&asked.results, self.params.t)
        } else {
            asked
                .results
                .values()
                .filter(|r| r.complete || !any_complete)
                .max_by(|a, b| a.count.cmp(&b.count).then(b.group.cmp(&a.group)))
        };
        let answer = QueryAnswer {
            number: query,
            window: asked.req.window,
            asked_at: asked.asked_at,
            answered_at: now,
            partial: best.map(|b| b.partial.clone()),
            count: best.map_or(0, |b| b.count),
            group: best.map(|b| b.group),
            complete: best.is_some_and(|b| b.complete),
            groups_heard: asked.results.len() as u32,
            groups_agreeing: best.map_or(0, |b| {
                asked
                    .results
                    .values()
                    .filter(|r| r.partial == b.partial && r.count == b.count)
                    .count() as u32
            }),
            signed: asked.signed,
            sign_refused: asked.sign_refused,
        };
        ctx.report(TremelEvent::Answered(answer));
    }
}

impl Owner {
    /// Setup (§5.2): signs one blinded tuple per meter and query, before
    /// the query's round 0.
    fn on_sign_request<S: OnionSuite>(
        &mut self,
        now: Time,
        from: NodeId,
        query: u64,
        request: &[u8],
        ctx: &mut NodeContext<'_, TremelNode<S>>,
    ) {
        let Some(desk) = self.desk.as_mut() else {
            return;
        };
        let Some(asked) = self.asked.get_mut(&query) else {
            return;
        };
        if u64::from(from.0) >= self.params.n || asked.decided || now >= asked.req.start {
            asked.sign_refused += 1;
            return;
        }
        ctx.work(work::OWNER_SIGN, 1);
        match desk.sign(ctx.rng(), from.0, query, request) {
            Ok(signature) => {
                asked.signed += 1;
                ctx.send(from, TremelMessage::SignReply { query, signature });
            }
            Err(_) => asked.sign_refused += 1,
        }
    }
}

/// The result at least `t + 1` groups sent (Byzantine variant, §5.2): at
/// most `t` groups hold a faulty node, so it is the correct groups'.
fn majority(results: &BTreeMap<u32, GroupPartial>, t: u32) -> Option<&GroupPartial> {
    results.values().find(|r| {
        results
            .values()
            .filter(|o| o.partial == r.partial && o.count == r.count)
            .count()
            > t as usize
    })
}

/// The oldest query still worth signing for: the owner forgets the desk's
/// records of decided queries older than the undecided ones.
fn req_number_floor(asked: &BTreeMap<u64, Asked>) -> u64 {
    asked
        .iter()
        .find(|(_, a)| !a.decided)
        .map_or(0, |(n, _)| *n)
}
