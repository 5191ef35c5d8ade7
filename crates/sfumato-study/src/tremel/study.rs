//! One query study, as `sfumato query run` runs it: meters' records, the
//! owner's queries, failures, the simulator, and each answer beside the
//! truth.

use rand_chacha::ChaCha8Rng;
use rand_core::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};
use sfumato_overlay::SizePlan;
use sfumato_protocol::tremel::{
    Aggregate, MeterFilter, PartialValue, PlannedQuery, QueryAnswer, QuerySpec, RangeClause,
    Variant,
};
use sfumato_protocol::{NodeId, Time};

use crate::error::{Result, StudyError};
use crate::tremel::adversary::Attack;
use crate::tremel::costs::OnionCosts;
use crate::tremel::data::MeterRecords;
use crate::tremel::plan::{Deployment, TremelPlan};
use crate::tremel::privacy::{Ledger, ledger};
use crate::tremel::simulate::{ClientTraffic, SimOptions, simulate};

/// Parses a list of aggregates: `sum:total`, `sum:dsm`, `count`,
/// `min:total`, `max:dsm`, `histogram:total:0/500/1000` (edges in Wh),
/// comma-separated. Fields are `total` (0) and `dsm` (1), or numbers.
pub fn parse_spec(text: &str) -> Result<QuerySpec> {
    let field = field_of;
    let mut out = Vec::new();
    for item in text.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let parts: Vec<&str> = item.split(':').collect();
        out.push(match parts.as_slice() {
            ["count"] => Aggregate::Count,
            ["sum", f] => Aggregate::Sum(field(f)?),
            ["min", f] => Aggregate::Min(field(f)?),
            ["max", f] => Aggregate::Max(field(f)?),
            ["histogram", f, edges] => Aggregate::Histogram {
                field: field(f)?,
                edges: edges
                    .split('/')
                    .map(|e| {
                        e.trim().parse::<i64>().map_err(|_| {
                            StudyError::usage(format!("`{e}` is not a histogram edge in Wh"))
                        })
                    })
                    .collect::<Result<Vec<_>>>()?,
            },
            _ => {
                return Err(StudyError::usage(format!(
                    "`{item}` is not an aggregate (sum:F, count, min:F, max:F, histogram:F:E1/E2/…)"
                )));
            }
        });
    }
    QuerySpec::new(out).map_err(|e| StudyError::usage(e.to_string()))
}

fn field_of(f: &str) -> Result<u16> {
    match f {
        "total" => Ok(0),
        "dsm" => Ok(1),
        n => n.parse::<u16>().map_err(|_| {
            StudyError::usage(format!("`{f}` is not a field (total, dsm, or a number)"))
        }),
    }
}

fn wh(x: &str) -> Result<i64> {
    x.trim()
        .parse::<i64>()
        .map_err(|_| StudyError::usage(format!("`{x}` is not a whole number of Wh")))
}

/// Parses range clauses (Tremel §6.4): `total:0:2500,dsm:0:1000`, in Wh.
pub fn parse_ranges(text: &str) -> Result<Vec<RangeClause>> {
    text.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(
            |item| match item.split(':').collect::<Vec<_>>().as_slice() {
                [f, lo, hi] => Ok(RangeClause {
                    field: field_of(f)?,
                    lo: wh(lo)?,
                    hi: wh(hi)?,
                }),
                _ => Err(StudyError::usage(format!(
                    "`{item}` is not a range FIELD:LO:HI"
                ))),
            },
        )
        .collect()
}

/// Parses a meter filter (Tremel §2.1's filtered queries): `ids:3/17/40`
/// or `FIELD:LO:HI` (the meters whose own value lies in the range).
pub fn parse_filter(text: &str) -> Result<MeterFilter> {
    match text.trim().split(':').collect::<Vec<_>>().as_slice() {
        ["ids", list] => {
            let mut ids = list
                .split('/')
                .map(|x| {
                    x.trim()
                        .parse::<u32>()
                        .map_err(|_| StudyError::usage(format!("`{x}` is not a meter id")))
                })
                .collect::<Result<Vec<u32>>>()?;
            ids.sort_unstable();
            ids.dedup();
            Ok(MeterFilter::Ids(ids))
        }
        [f, lo, hi] => Ok(MeterFilter::Field {
            field: field_of(f)?,
            lo: wh(lo)?,
            hi: wh(hi)?,
        }),
        _ => Err(StudyError::usage(format!(
            "`{text}` is not a filter (ids:A/B/C or FIELD:LO:HI)"
        ))),
    }
}

/// What to run.
#[derive(Clone, Debug)]
pub struct QueryStudy {
    /// The deployment.
    pub deployment: Deployment,
    /// What each query computes.
    pub spec: QuerySpec,
    /// Queries, one per window from the first.
    pub queries: u32,
    /// Time between two queries.
    pub every: Time,
    /// Nodes failed from the start, drawn from the seed (Tremel §7.3).
    pub fail_at_start: u32,
    /// Further crashes at chosen nodes and times.
    pub crashes: Vec<(NodeId, Time)>,
    /// Measured onion costs to charge (and to size the direct Echo by), or
    /// none: cryptography is free.
    pub costs: Option<OnionCosts>,
    /// Worker threads.
    pub workers: usize,
    /// Byzantine nodes (the bft variant): how many do each attack, drawn
    /// from the seed (lying leaders among the groups' leaders).
    pub byzantine: Vec<(Attack, u32)>,
}

/// One query's answer beside the truth.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct QueryRow {
    /// The owner's answer.
    pub answer: QueryAnswer,
    /// The query over every meter's record.
    pub truth: sfumato_protocol::tremel::Partial,
    /// The query over the meters that never failed.
    pub truth_live: sfumato_protocol::tremel::Partial,
    /// Meters that never failed.
    pub live_meters: u64,
    /// The bft variant with noise: what the answer's noise should be.
    #[serde(default)]
    pub noise: Option<NoiseReport>,
}

/// The noise an answer carries (the bft variant, docs/tremel-bft.md): the
/// honest aggregate shares, plus two unpaired `DLap(λ_rec)` terms for
/// each meter whose tuple is missing (crashed, filtered, or lost).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NoiseReport {
    /// The first summed field.
    pub field: u16,
    /// `λ_sum`.
    pub sum_scale: f64,
    /// `λ_rec`.
    pub record_scale: f64,
    /// Pair terms left unpaired, at most (two per missing meter).
    pub unpaired_terms: u64,
    /// The standard deviation of the noise they make together:
    /// `√(Var DLap(λ_sum) + k·Var DLap(λ_rec))`.
    pub expected_sd: f64,
    /// The answer's sum minus the clamped truth over all meters.
    pub observed: Option<i128>,
}

/// `Var DLap(λ) = 2e^{−1/λ} / (1 − e^{−1/λ})²`.
fn dlap_var(scale: f64) -> f64 {
    let q = (-1.0 / scale).exp();
    2.0 * q / ((1.0 - q) * (1.0 - q))
}

/// The noise report of `row` under `plan`.
pub fn noise_report(
    row: &QueryRow,
    plan: &sfumato_protocol::tremel::noise::NoisePlan,
    meters: u64,
) -> Option<NoiseReport> {
    let f = plan.fields.first()?;
    let (sum, rec) = (f.sum().ok()?.to_f64(), f.record().ok()?.to_f64());
    let missing = meters.saturating_sub(row.answer.count);
    let k = 2 * missing;
    let index = row
        .truth
        .0
        .iter()
        .zip(&row.answer.partial.as_ref()?.0)
        .position(|(t, _)| matches!(t, PartialValue::Sum(_)))?;
    let observed = match (&row.answer.partial.as_ref()?.0[index], &row.truth.0[index]) {
        (PartialValue::Sum(a), PartialValue::Sum(t)) => Some(a - t),
        _ => None,
    };
    Some(NoiseReport {
        field: f.field,
        sum_scale: sum,
        record_scale: rec,
        unpaired_terms: k,
        expected_sd: (dlap_var(sum) + k as f64 * dlap_var(rec)).sqrt(),
        observed,
    })
}

impl QueryRow {
    /// From broadcast to decision.
    pub fn latency(&self) -> Time {
        Time(
            self.answer
                .answered_at
                .0
                .saturating_sub(self.answer.asked_at.0),
        )
    }
}

/// What a study produced.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct QueryOutcome {
    /// The overlay's size plan.
    pub size: SizePlan,
    /// Failures tolerated.
    pub t: u32,
    /// Overlay rounds per query.
    pub rounds: u32,
    /// Per query.
    pub rows: Vec<QueryRow>,
    /// Nodes failed from the start or crashed.
    pub failed: Vec<(NodeId, Time)>,
    /// What the clients sent.
    pub traffic: ClientTraffic,
    /// Whether the insecure stand-in ran.
    pub insecure: bool,
    /// The Byzantine nodes and their attacks.
    pub byzantine: Vec<(NodeId, Attack)>,
    /// The privacy ledger (the bft variant with noise).
    pub ledger: Option<Ledger>,
    /// Execution facts.
    pub run: sfumato_sim::RunInfo,
}

/// Each answer beside the truth over all meters and over the meters not in
/// `failed`. With `clamp` (the bft variant) honest meters clamp their
/// values into the ranges rather than being left out.
pub fn rows(
    spec: &QuerySpec,
    records: &MeterRecords,
    answers: &[QueryAnswer],
    failed: &[(NodeId, Time)],
    clamp: bool,
) -> Vec<QueryRow> {
    let truth_of = |w: u32, keep: &dyn Fn(usize) -> bool| {
        let mut acc = spec.empty();
        for (i, m) in records.records.iter().enumerate() {
            if !keep(i) {
                continue;
            }
            let Some(r) = m.get(w as usize) else { continue };
            let mut r = r.clone();
            if clamp {
                for c in &spec.ranges {
                    if let Some(v) = r.get_mut(usize::from(c.field)) {
                        *v = (*v).clamp(c.lo, c.hi);
                    }
                }
            }
            if !spec.selects(i as u32, &r) || !spec.in_range(&r) {
                continue;
            }
            if let Ok(p) = spec.of_record(&r) {
                spec.merge(&mut acc, &p);
            }
        }
        acc
    };
    let is_live = |i: usize| !failed.iter().any(|(f, _)| f.index() == i);
    let live_meters = (0..records.records.len()).filter(|i| is_live(*i)).count() as u64;
    answers
        .iter()
        .map(|a| QueryRow {
            truth: truth_of(a.window, &|_| true),
            truth_live: truth_of(a.window, &is_live),
            live_meters,
            noise: None,
            answer: a.clone(),
        })
        .collect()
}

/// The deployment of `s` on `records`: its queries, one per window from
/// the first, every `s.every` (which must not let them overlap), and, with
/// measured costs, a direct Echo sized for them.
pub fn plan(s: &QueryStudy, records: &MeterRecords) -> Result<TremelPlan> {
    let windows = records.windows() as u32;
    if s.queries == 0 || s.queries > windows {
        return Err(StudyError::usage(format!(
            "1 to {windows} queries (one per window of the records)"
        )));
    }
    let queries: Vec<PlannedQuery> =
        TremelPlan::periodic_queries(Time::ZERO, s.every, s.queries, &s.spec);
    let mut d = s.deployment.clone();
    if let Some(c) = &s.costs {
        let t = d.params()?.1.t;
        match (&c.byzantine, d.variant) {
            (Some(b), Variant::Byzantine) => d.fit_byzantine(t, b),
            _ => d.fit_echo(t, c.seal_layer, c.peel_layer),
        }
    }
    let plan = TremelPlan::new(&d, records.records.clone(), queries)?;
    if s.every < plan.query_span() && s.queries > 1 {
        return Err(StudyError::usage(format!(
            "queries every {} overlap: one takes up to {}",
            s.every,
            plan.query_span()
        )));
    }
    Ok(plan)
}

/// Runs `s` on `records`.
pub fn run(s: &QueryStudy, records: &MeterRecords) -> Result<QueryOutcome> {
    let plan = plan(s, records)?;
    let n = plan.params.n;
    if u64::from(s.fail_at_start) >= n {
        return Err(StudyError::usage(format!(
            "{} failed nodes of {n}",
            s.fail_at_start
        )));
    }
    let mut rng = ChaCha8Rng::seed_from_u64(s.deployment.seed ^ 0x7AE1_FA11);
    let mut failed: Vec<(NodeId, Time)> = s.crashes.clone();
    while failed.len() < s.crashes.len() + s.fail_at_start as usize {
        let id = NodeId((rng.next_u64() % n) as u32);
        if !failed.iter().any(|(f, _)| *f == id) {
            failed.push((id, Time::ZERO));
        }
    }
    let byzantine = draw_byzantine(&plan, &s.byzantine, &failed, &mut rng)?;
    let bft_plan = plan.params.variant == Variant::Byzantine;
    let options = SimOptions {
        workers: s.workers,
        crashes: failed.clone(),
        costs: s.costs.map(|c| c.cost_model()).unwrap_or_default(),
        byzantine: byzantine.clone(),
        // The bft variant's many small operations (Ed25519 checks of 30 µs)
        // would each round up to a whole 100 µs tick of CPU.
        tick: if bft_plan && s.costs.is_some() {
            Time::from_micros(10)
        } else {
            SimOptions::default().tick
        },
        ..SimOptions::default()
    };
    let out = simulate(&plan, &options)?;
    let bft = plan.params.variant == Variant::Byzantine;
    let mut rows = rows(&s.spec, records, &out.answers, &failed, bft);
    for r in &mut rows {
        let noise = plan
            .queries
            .get((r.answer.number as usize).saturating_sub(1))
            .and_then(|q| q.noise.as_ref());
        if let Some(n) = noise {
            r.noise = noise_report(r, n, s.deployment.meters);
        }
    }
    let ledger = match &s.deployment.privacy {
        Some(p) if bft => {
            let asked: Vec<u64> = (1..=u64::from(s.queries)).collect();
            Some(ledger(p, &asked)?)
        }
        _ => None,
    };
    Ok(QueryOutcome {
        size: plan.size,
        t: plan.params.t,
        rounds: plan.params.overlay_rounds(&plan.overlay),
        rows,
        failed,
        traffic: out.traffic,
        insecure: out.crypto == crate::tremel::plan::Crypto::InsecurePlaintext,
        byzantine,
        ledger,
        run: out.run,
    })
}

/// Byzantine nodes for `wanted`, drawn from `rng` among the clients not
/// failed (lying leaders among the groups' leaders first).
pub fn draw_byzantine(
    plan: &TremelPlan,
    wanted: &[(Attack, u32)],
    failed: &[(NodeId, Time)],
    rng: &mut ChaCha8Rng,
) -> Result<Vec<(NodeId, Attack)>> {
    let n = plan.params.n;
    let total: u64 = wanted.iter().map(|(_, k)| u64::from(*k)).sum();
    if total == 0 {
        return Ok(Vec::new());
    }
    if plan.params.variant != Variant::Byzantine {
        return Err(StudyError::usage(
            "Byzantine nodes need the bft variant (--variant bft)",
        ));
    }
    if total + failed.len() as u64 > u64::from(plan.params.t) {
        return Err(StudyError::usage(format!(
            "{total} Byzantine and {} failed nodes exceed t = {}",
            failed.len(),
            plan.params.t
        )));
    }
    let mut out: Vec<(NodeId, Attack)> = Vec::new();
    let taken = |out: &[(NodeId, Attack)], id: NodeId| {
        out.iter().any(|(b, _)| *b == id) || failed.iter().any(|(f, _)| *f == id)
    };
    for (attack, k) in wanted {
        let mut left = *k;
        if *attack == Attack::LyingLeader {
            for g in 0..plan.params.groups() {
                let id = NodeId(plan.params.group_members(g).end - 1);
                if left > 0 && !taken(&out, id) {
                    out.push((id, *attack));
                    left -= 1;
                }
            }
        }
        while left > 0 {
            let id = NodeId((rng.next_u64() % n) as u32);
            if !taken(&out, id) {
                out.push((id, *attack));
                left -= 1;
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aggregates_parse_and_bad_ones_are_named() {
        let q = parse_spec("sum:total, sum:dsm,count,min:0,max:dsm,histogram:total:0/500/1000")
            .unwrap();
        assert_eq!(q.aggregates.len(), 6);
        assert_eq!(q.fields_needed(), 2);
        for bad in [
            "",
            "avg:total",
            "sum:kitchen",
            "histogram:total:5/1",
            "histogram:total:x",
        ] {
            assert!(parse_spec(bad).is_err(), "{bad}");
        }
    }
}
