//! `sfumato cluster costs --figure 4a|4b|3b`: Chiaroscuro's latency and
//! churn figures (§6.1.4, §6.1.5, §6.3.2, §6.4), measured on the real
//! protocol in the simulator.
//!
//! Every participant's local data is a single value equal to 1 (§6.1.4):
//! the protocol runs with k = 1 and series of length 1, so a participant's
//! means are two values (the sum of its cluster's series and its count),
//! both 1, plus its noise shares. Beside the encrypted sums, EESum carries
//! the participation counter (§4.2.2), a cleartext epidemic sum of ones
//! with exact integer arithmetic. Encryption is the insecure stand-in: it
//! runs the same protocol with the same messages as Damgård–Jurik, and its
//! "ciphertexts" can be read by the probe to measure the sums' errors.
//!
//! Every participant is wrapped in [`Watched`], which counts the messages
//! it sends by phase from their kind, and the run is sampled once per
//! gossip period ([`PhaseProbe`]).
//!
//! * **4a** (Fig. 4(a)): per population, one run whose EESum lasts long
//!   enough for the smallest e_max, followed by the correction's
//!   dissemination. The EESum's dynamics do not depend on e_max (only its
//!   length does), so each e_max is read off the same run: after Theorem
//!   3's n_e exchanges (`periods_for_exchanges` periods, as `cluster run`
//!   schedules them) — messages per participant and the largest error
//!   there — and at the first period where every participant's estimates
//!   of the sums are within e_max of the exact sums. For the
//!   dissemination: periods and messages until every participant holds the
//!   smallest identifier, and its computed correction.
//! * **4b** (Fig. 4(b)): per population and τ, a whole iteration with every
//!   participant a key holder (§4.2.3: "assigning one key-share to each
//!   participant"); periods and messages per participant of the epidemic
//!   decryption until every participant holds the decrypted result.
//! * **3b** (Fig. 3(b)): per population and churn (the probability that
//!   the peer of an exchange is disconnected), an EESum of `--periods`
//!   periods (about two messages per participant each); the largest
//!   relative error of the participants' estimates against the exact sums.
//!
//! The exact sums are the number of participants for the counter, and for
//! the encrypted sums (data and noise shares) their total, which EESum
//! conserves and which the probe reads one period after the EESum, when no
//! exchange is half done.

use std::sync::Arc;

use serde::Serialize;
use serde_json::{Value, json};
use sfumato_dp::gossip::{NEWSCAST_CONSTANT, iota};
use sfumato_protocol::chiaroscuro::params::periods_for_exchanges;
use sfumato_protocol::chiaroscuro::{
    ChiaroscuroEvent, ChiaroscuroParams, InsecureKeyShare, InsecurePlaintext, Participant, Shared,
};
use sfumato_protocol::dream::NoiseKind;
use sfumato_protocol::gossip::PeerSampling;
use sfumato_protocol::{NodeId, NodeRng, Time};
use sfumato_sim::chiaroscuro_phases::{PhaseProbe, PhaseSummary, Watched};
use sfumato_sim::{CostModel, Faults, LatencyModel, Mode, ProgressFn, SimConfig};

use crate::cli_sim::PeersArg;
use crate::commands::cluster_costs::{CostsArgs, FigureArg};
use crate::commands::cluster_run::{PERIOD, dissemination_periods};
use crate::error::CliError;
use crate::output::{Output, grouped};
use crate::progress::Progress;

/// The paper's ε = ln 2 (§6.1.3), one iteration: the noise shares the
/// participants add; it does not change the message counts.
const EPSILON: f64 = std::f64::consts::LN_2;
/// Theorem 3's data variance s²: App. B's example value (every value is 1
/// here, so the actual variance is 0 and the formula needs a bound).
const VARIANCE: f64 = 1.0;
/// The absolute error 4b's EESum is run for, so that the participation
/// counter is accurate when the key holders check it.
const DECRYPTION_E_MAX: f64 = 1e-3;
/// The largest population these figures simulate.
const MAX_POPULATION: u32 = 10_000_000;
/// Text for the stand-in.
const STAND_IN: &str =
    "INSECURE plaintext stand-in (nothing was encrypted; Damgård–Jurik runs the same messages)";

/// Theorem 3: `n_e = ⌈0.581 (ln n_p + ln s² + 2 ln(1/e_max) + ln(1/ι))⌉`,
/// for any e_max > 0 (the paper's Fig. 4(a) goes up to e_max = 1, which
/// [`sfumato_dp::gossip::GossipParameters`] refuses as a relative error).
pub(crate) fn theorem3(population: u32, e_max: f64, iota: f64) -> u64 {
    let x = NEWSCAST_CONSTANT
        * (f64::from(population).ln() + VARIANCE.ln() - 2.0 * e_max.ln() - iota.ln());
    x.ceil().max(1.0) as u64
}

/// The EESum periods 4a runs by default: enough for every participant to
/// estimate a sum of `population` ones within `e_max`. The weight of the
/// sum convention starts at one participant, so its relative error starts
/// at about `population` and must fall below `e_max / population`; the
/// error of an average falls by about 0.63 per period (`params.rs`), so
/// `ln(population² / e_max) / ln(1 / 0.63)` periods, with a margin.
pub(crate) fn default_horizon(population: u32, e_max: f64) -> u32 {
    let p = f64::from(population);
    let periods = (p * p / e_max).ln() / (1.0f64 / 0.63).ln();
    (1.25 * periods + 10.0).ceil().min(10_000.0) as u32
}

fn list<T: std::str::FromStr>(
    text: &str,
    flag: &str,
    ok: impl Fn(&T) -> bool,
    what: &str,
) -> Result<Vec<T>, CliError> {
    let mut out = Vec::new();
    for part in text.split(',') {
        let part = part.trim();
        match part.parse::<T>() {
            Ok(v) if ok(&v) => out.push(v),
            _ => {
                return Err(CliError::usage(format!("{flag}: `{part}` is not {what}")));
            }
        }
    }
    if out.is_empty() {
        return Err(CliError::usage(format!("{flag} is empty")));
    }
    Ok(out)
}

fn populations(args: &CostsArgs, default: &[u32]) -> Result<Vec<u32>, CliError> {
    match &args.populations {
        None => Ok(default.to_vec()),
        Some(t) => list(
            t,
            "--populations",
            |p: &u32| (2..=MAX_POPULATION).contains(p),
            "a population from 2 to 10,000,000",
        ),
    }
}

fn sampling(args: &CostsArgs) -> PeerSampling {
    args.peers
        .unwrap_or(PeersArg::Uniform)
        .sampling(PeerSampling::CHIAROSCURO_VIEW)
}

fn delta(args: &CostsArgs) -> Result<f64, CliError> {
    let d = args.delta.unwrap_or(0.995);
    if !(d > 0.0 && d < 1.0) {
        return Err(CliError::usage(format!("--delta {d} is not in (0, 1)")));
    }
    Ok(d)
}

/// The protocol's parameters for a population whose data are all 1.
struct Setup {
    population: u32,
    exchanges: u32,
    decryption: u32,
    committee: u32,
    threshold: u32,
    noise_shares: u64,
    /// Lemma 2's relative error (the noise's compensation).
    e_max: f64,
    sampling: PeerSampling,
    churn: f64,
}

impl Setup {
    fn params(&self) -> ChiaroscuroParams {
        ChiaroscuroParams {
            population: self.population,
            length: 1,
            range: (0.0, 1.0),
            initial: vec![vec![0.5]],
            budgets: vec![EPSILON],
            theta: 0.0,
            smoothing: None,
            exchanges: self.exchanges,
            dissemination: dissemination_periods(self.population),
            decryption: self.decryption,
            period: PERIOD,
            noise_shares: self.noise_shares,
            e_max: self.e_max,
            fixed_point_bits: 16,
            committee: self.committee,
            noise: NoiseKind::Discrete,
            sampling: self.sampling,
            quality: Default::default(),
        }
    }
}

/// A run sampled once per period.
struct Sampled {
    /// `periods[b]`: the probe at the start of period b (before its steps).
    periods: Vec<PhaseSummary>,
    refused_decryptions: u64,
    errors: u64,
    wall_seconds: f64,
}

impl Sampled {
    /// The sample at the start of period `b` (or the last one).
    fn at(&self, b: u32) -> &PhaseSummary {
        let i = (b as usize).min(self.periods.len().saturating_sub(1));
        &self.periods[i]
    }
}

/// Runs the protocol for `until` periods on participants whose data are 1.
fn simulate(
    setup: &Setup,
    until: u32,
    seed: u64,
    workers: u32,
    label: Option<String>,
) -> Result<Sampled, CliError> {
    let params = setup.params();
    let unit = params.unit();
    let shared = Shared::new(
        params,
        InsecurePlaintext {
            threshold: setup.threshold,
        },
    )?;
    let shares: Arc<Vec<Arc<InsecureKeyShare>>> = Arc::new(
        (1..=setup.committee)
            .map(|i| Arc::new(InsecureKeyShare(i)))
            .collect(),
    );
    let end = Time(u64::from(until) * PERIOD.0);
    let config = SimConfig {
        seed,
        nodes: setup.population,
        workers: workers as usize,
        mode: Mode::VirtualTime {
            tick: Time::from_millis(1),
            until: end,
            latency: LatencyModel::Fixed(Time::from_millis(1)),
            sample_every: PERIOD,
        },
        faults: Faults {
            churn: setup.churn,
            ..Faults::none()
        },
        costs: CostModel::free(),
        cluster: None,
    };
    config.validate()?;
    let bar = label.map(|l| Arc::new(Progress::new(&l, config.mode.last_tick() + 1)));
    let callback: Option<ProgressFn> = bar.clone().map(|b| {
        let f: ProgressFn = Arc::new(move |p| b.set(p.completed_ticks));
        f
    });
    let make = move |id: NodeId, rng: &mut NodeRng| {
        let share = shares.get(id.index()).cloned();
        let node = Participant::new(id, Arc::clone(&shared), vec![1.0], share, rng)
            .expect("parameters were checked and the series has the declared length");
        Watched::new(node, None)
    };
    let report = sfumato_sim::run(&config, make, PhaseProbe { unit }, callback)?;
    if let Some(b) = bar {
        b.finish();
    }
    let report = report.ok_or_else(|| CliError::usage("the simulation returned no report"))?;
    let ticks_per_period = PERIOD.0 / Time::from_millis(1).0;
    let periods: Vec<PhaseSummary> = report
        .samples
        .into_iter()
        .filter(|s| s.tick % ticks_per_period == 0)
        .map(|s| s.summary)
        .collect();
    if periods.len() != until as usize + 1 {
        return Err(CliError::usage(format!(
            "expected {} samples, the run gave {}",
            until + 1,
            periods.len()
        )));
    }
    let mut refused = 0;
    let mut errors = 0;
    for e in &report.events {
        match e.event {
            ChiaroscuroEvent::RefusedDecryption { .. } => refused += 1,
            ChiaroscuroEvent::Error { .. } => errors += 1,
            ChiaroscuroEvent::Decrypted { .. } => {}
        }
    }
    Ok(Sampled {
        periods,
        refused_decryptions: refused,
        errors,
        wall_seconds: report.run.wall_seconds,
    })
}

/// The largest error of any participant's estimates of the sums at a
/// sample: of the counter against the population, and of the encrypted
/// sums against their exact totals `exact` (∞ while some participant has
/// no estimate yet).
fn errors_at(s: &PhaseSummary, population: u32, exact: &[f64]) -> (f64, f64) {
    if s.without_weight > 0 || s.holding_means == 0 {
        return (f64::INFINITY, f64::INFINITY);
    }
    let counter = s
        .counter
        .map_or(f64::INFINITY, |b| b.max_error(f64::from(population)));
    let values = s
        .values
        .iter()
        .zip(exact)
        .map(|(b, x)| b.map_or(f64::INFINITY, |b| b.max_error(*x)))
        .fold(0.0, f64::max);
    (counter, values)
}

/// The exact totals of the encrypted sums, read where no exchange is half
/// done.
fn exact_totals(s: &PhaseSummary, unit: f64) -> Vec<f64> {
    (0..s.values_total.len())
        .filter_map(|j| s.total(j, unit))
        .collect()
}

fn per(count: u64, population: u32) -> f64 {
    count as f64 / f64::from(population)
}

fn progress_label(args: &CostsArgs, what: String) -> Option<String> {
    (!args.quiet).then_some(what)
}

/// Runs `--figure 4a`, `4b` or `3b`.
pub(crate) fn run(args: &CostsArgs, out: &mut Output) -> Result<(), CliError> {
    match args.figure {
        FigureArg::FourA => fig4a(args, out),
        FigureArg::FourB => fig4b(args, out),
        FigureArg::ThreeB => fig3b(args, out),
        FigureArg::Five => Err(CliError::usage("--figure 5 is not a simulation")),
    }
}

fn workers(args: &CostsArgs) -> u32 {
    args.workers.unwrap_or(1)
}

/// A figure's JSON report: what every figure states (the scheme, seed,
/// workers and peer sampling) followed by its own `fields`.
fn report(args: &CostsArgs, figure: &str, fields: Value) -> Value {
    let mut v = json!({
        "command": "cluster costs",
        "figure": figure,
        "encryption": "insecure-plaintext",
        "secure": false,
        "seed": args.seed,
        "workers": workers(args),
        "peers": format!("{:?}", sampling(args)),
    });
    if let (Some(v), Value::Object(fields)) = (v.as_object_mut(), fields) {
        v.extend(fields);
    }
    v
}

fn header(out: &mut Output, title: &str, args: &CostsArgs, extra: &str) -> Result<(), CliError> {
    out.line(title)?;
    out.line(
        "every participant's data is one value 1 (§6.1.4): k = 1, series of length 1; \
         ε = ln 2, exact Pólya noise shares",
    )?;
    out.line(format!("encryption: {STAND_IN}"))?;
    out.line(format!(
        "peers {:?}; gossip period 10 ms, latency 1 ms; seed {}; {} worker{}{extra}",
        sampling(args),
        args.seed,
        workers(args),
        if workers(args) == 1 { "" } else { "s" }
    ))?;
    out.line("")?;
    Ok(())
}

fn opt_periods(b: Option<u32>) -> String {
    b.map_or("—".to_string(), |b| b.to_string())
}

fn opt_num(x: Option<f64>, decimals: usize) -> String {
    x.map_or("—".to_string(), |x| grouped(x, decimals))
}

/// An error for tables: `∞` when some participant has no estimate.
fn err_text(x: f64) -> String {
    if x.is_finite() {
        format!("{x:.1e}")
    } else {
        "∞".to_string()
    }
}

fn finite(x: f64) -> Option<f64> {
    x.is_finite().then_some(x)
}

/// One e_max of one population (Fig. 4(a), EESum).
#[derive(Clone, Debug, Serialize)]
struct SumRow {
    population: u32,
    e_max: f64,
    n_e: u64,
    periods: u32,
    messages_per_participant: f64,
    completed_exchanges_per_participant: f64,
    max_error_counter: Option<f64>,
    max_error_sums: Option<f64>,
    measured_periods: Option<u32>,
    measured_messages_per_participant: Option<f64>,
}

/// One population's dissemination of the correction (Fig. 4(a)).
#[derive(Clone, Debug, Serialize)]
struct DisseminationRow {
    population: u32,
    periods: u32,
    messages_per_participant: f64,
    smallest_id_everywhere_periods: Option<u32>,
    smallest_id_everywhere_messages_per_participant: Option<f64>,
    correction_everywhere_periods: Option<u32>,
    correction_everywhere_messages_per_participant: Option<f64>,
    eesum_periods_simulated: u32,
    lost_replies: u64,
    errors: u64,
    wall_seconds: f64,
}

fn fig4a(args: &CostsArgs, out: &mut Output) -> Result<(), CliError> {
    let pops = populations(args, &[1_000, 10_000, 100_000])?;
    let e_maxes = match &args.e_max {
        None => vec![1.0, 0.1, 0.01, 0.001],
        Some(t) => list(
            t,
            "--e-max",
            |e: &f64| e.is_finite() && *e > 0.0,
            "a positive error",
        )?,
    };
    let delta = delta(args)?;
    let iota = iota(delta, 1, 1)?;
    let e_min = e_maxes.iter().copied().fold(f64::INFINITY, f64::min);
    let mut sums = Vec::new();
    let mut dissemination = Vec::new();
    for &p in &pops {
        if e_min >= f64::from(p) {
            return Err(CliError::usage(format!(
                "--e-max {e_min} is not below the sum of {p} ones"
            )));
        }
        let schedule: Vec<(f64, u64, u32)> = e_maxes
            .iter()
            .map(|&e| {
                let n_e = args.n_e.unwrap_or_else(|| theorem3(p, e, iota));
                (e, n_e, periods_for_exchanges(n_e, 0.0))
            })
            .collect();
        let longest = schedule.iter().map(|s| s.2).max().unwrap_or(1);
        let horizon = args
            .periods
            .unwrap_or_else(|| default_horizon(p, e_min).max(longest));
        let setup = Setup {
            population: p,
            exchanges: horizon,
            decryption: 1,
            committee: 1,
            threshold: 1,
            noise_shares: u64::from(p),
            e_max: e_min / f64::from(p),
            sampling: sampling(args),
            churn: 0.0,
        };
        let unit = setup.params().unit();
        let d = dissemination_periods(p);
        let until = horizon + d + 1;
        let run = simulate(
            &setup,
            until,
            args.seed,
            workers(args),
            progress_label(args, format!("Fig. 4(a), {p} participants")),
        )?;
        let exact = exact_totals(run.at(horizon + 1), unit);
        for (e, n_e, periods) in schedule {
            let (counter, sums_err) = if periods <= horizon {
                errors_at(run.at(periods), p, &exact)
            } else {
                (f64::NAN, f64::NAN)
            };
            let reached = (1..=horizon).find(|&b| {
                let (c, v) = errors_at(run.at(b), p, &exact);
                c <= e && v <= e
            });
            let s = run.at(periods.min(horizon));
            sums.push(SumRow {
                population: p,
                e_max: e,
                n_e,
                periods,
                messages_per_participant: per(s.by_phase.sum, p),
                completed_exchanges_per_participant: per(s.exchanges, p),
                max_error_counter: finite(counter),
                max_error_sums: finite(sums_err),
                measured_periods: reached,
                measured_messages_per_participant: reached.map(|b| per(run.at(b).by_phase.sum, p)),
            });
        }
        let all = |f: &dyn Fn(&PhaseSummary) -> bool| (horizon..=until).find(|&b| f(run.at(b)));
        let everywhere_id = all(&|s| s.correction.is_some_and(|c| c.holders == u64::from(p)));
        let everywhere_values =
            all(&|s| s.correction.is_some_and(|c| c.with_values == u64::from(p)));
        let last = run.at(until);
        dissemination.push(DisseminationRow {
            population: p,
            periods: d,
            messages_per_participant: per(last.by_phase.correction, p),
            smallest_id_everywhere_periods: everywhere_id.map(|b| b - horizon),
            smallest_id_everywhere_messages_per_participant: everywhere_id
                .map(|b| per(run.at(b).by_phase.correction, p)),
            correction_everywhere_periods: everywhere_values.map(|b| b - horizon),
            correction_everywhere_messages_per_participant: everywhere_values
                .map(|b| per(run.at(b).by_phase.correction, p)),
            eesum_periods_simulated: horizon,
            lost_replies: last.lost_replies,
            errors: run.errors + last.errors,
            wall_seconds: run.wall_seconds,
        });
    }
    if out.is_json() {
        return out.json(&report(
            args,
            "4a",
            json!({
                "delta": delta,
                "iota": iota,
                "variance": VARIANCE,
                "eesum": sums,
                "dissemination": dissemination,
            }),
        ));
    }
    header(
        out,
        "sfumato cluster costs --figure 4a (Chiaroscuro §6.3.2, Fig. 4(a)): messages per participant",
        args,
        &format!("; n_e from Theorem 3 with s² = {VARIANCE}, δ = {delta} (ι = {iota:.2e})"),
    )?;
    out.line(
        "EESum (messages: requests, replies and refusals sent, per participant; error: the largest \
         of any participant's estimates, counter = cleartext sum of ones, sums = encrypted sums)",
    )?;
    out.line(format!(
        "{:>9} {:>7} {:>5} {:>8} {:>9} {:>10} {:>9} {:>9} | {:>15} {:>9}",
        "P",
        "e_max",
        "n_e",
        "periods",
        "messages",
        "exchanges",
        "err ctr",
        "err sums",
        "periods to e_max",
        "messages"
    ))?;
    for r in &sums {
        out.line(format!(
            "{:>9} {:>7} {:>5} {:>8} {:>9.1} {:>10.1} {:>9} {:>9} | {:>15} {:>9}",
            grouped(f64::from(r.population), 0),
            r.e_max,
            r.n_e,
            r.periods,
            r.messages_per_participant,
            r.completed_exchanges_per_participant,
            r.max_error_counter.map_or("∞".into(), err_text),
            r.max_error_sums.map_or("∞".into(), err_text),
            opt_periods(r.measured_periods),
            opt_num(r.measured_messages_per_participant, 1),
        ))?;
    }
    out.line("")?;
    out.line(
        "Correction: smallest-identifier dissemination (messages sent per participant; periods \
         from the phase's start)",
    )?;
    out.line(format!(
        "{:>9} {:>8} {:>9} | {:>12} {:>9} | {:>14} {:>9} | {:>6} {:>8}",
        "P",
        "periods",
        "messages",
        "id to all",
        "messages",
        "values to all",
        "messages",
        "lost",
        "seconds"
    ))?;
    for r in &dissemination {
        out.line(format!(
            "{:>9} {:>8} {:>9.1} | {:>12} {:>9} | {:>14} {:>9} | {:>6} {:>8.1}",
            grouped(f64::from(r.population), 0),
            r.periods,
            r.messages_per_participant,
            opt_periods(r.smallest_id_everywhere_periods),
            opt_num(r.smallest_id_everywhere_messages_per_participant, 1),
            opt_periods(r.correction_everywhere_periods),
            opt_num(r.correction_everywhere_messages_per_participant, 1),
            r.lost_replies,
            r.wall_seconds,
        ))?;
    }
    out.line("")?;
    out.line(
        "\"periods to e_max\": the first period after which every participant's estimates are \
         within e_max (— : not within the periods simulated, see --periods)",
    )?;
    out.line(format!("WARNING: {STAND_IN}"))?;
    Ok(())
}

/// One τ of one population (Fig. 4(b)).
#[derive(Clone, Debug, Serialize)]
struct DecryptionRow {
    population: u32,
    tau_fraction: f64,
    tau: u32,
    committee: u32,
    periods: u32,
    schedule_periods: u32,
    everyone_decrypted_periods: Option<u32>,
    everyone_decrypted_messages_per_participant: Option<f64>,
    messages_per_participant: f64,
    results: usize,
    participants_with_result: u64,
    refused_decryptions: u64,
    errors: u64,
    wall_seconds: f64,
}

fn fig4b(args: &CostsArgs, out: &mut Output) -> Result<(), CliError> {
    let pops = populations(args, &[1_000, 10_000])?;
    let fractions = match &args.tau_fractions {
        None => vec![0.001, 0.01, 0.1],
        Some(t) => list(
            t,
            "--tau-fractions",
            |f: &f64| *f > 0.0 && *f <= 1.0,
            "a fraction in (0, 1]",
        )?,
    };
    let delta = delta(args)?;
    let iota = iota(delta, 1, 1)?;
    let mut rows = Vec::new();
    for &p in &pops {
        let committee = args.committee.unwrap_or(p);
        if committee > p {
            return Err(CliError::usage(format!(
                "--committee {committee} is more than the {p} participants"
            )));
        }
        let n_e = theorem3(p, DECRYPTION_E_MAX, iota);
        let exchanges = periods_for_exchanges(n_e, 0.0).max(default_horizon(p, DECRYPTION_E_MAX));
        let d = dissemination_periods(p);
        for &f in &fractions {
            let tau = ((f * f64::from(p)).round() as u32).max(1);
            if tau > committee {
                return Err(CliError::usage(format!(
                    "τ = {tau} ({f} of {p}) is more than the --committee of {committee}"
                )));
            }
            let schedule = d.saturating_add(tau.saturating_mul(4));
            let periods = args.periods.unwrap_or(schedule);
            let setup = Setup {
                population: p,
                exchanges,
                decryption: periods,
                committee,
                threshold: tau,
                noise_shares: (f64::from(p) * 0.99).floor().max(1.0) as u64,
                e_max: DECRYPTION_E_MAX / f64::from(p),
                sampling: sampling(args),
                churn: 0.0,
            };
            let start = exchanges + d;
            let until = start + periods + 2;
            let run = simulate(
                &setup,
                until,
                args.seed,
                workers(args),
                progress_label(args, format!("Fig. 4(b), {p} participants, τ = {tau}")),
            )?;
            let done = (start..=start + periods).find(|&b| run.at(b).decrypted == u64::from(p));
            let last = run.at(until);
            rows.push(DecryptionRow {
                population: p,
                tau_fraction: f,
                tau,
                committee,
                periods,
                schedule_periods: schedule,
                everyone_decrypted_periods: done.map(|b| b - start),
                everyone_decrypted_messages_per_participant: done
                    .map(|b| per(run.at(b).by_phase.decryption, p)),
                messages_per_participant: per(last.by_phase.decryption, p),
                results: last.results_by_root.len(),
                participants_with_result: last.results_by_root.values().sum(),
                refused_decryptions: run.refused_decryptions,
                errors: run.errors + last.errors,
                wall_seconds: run.wall_seconds,
            });
        }
    }
    if out.is_json() {
        return out.json(&report(args, "4b", json!({ "decryption": rows })));
    }
    header(
        out,
        "sfumato cluster costs --figure 4b (Chiaroscuro §6.3.2, Fig. 4(b)): epidemic decryption",
        args,
        "",
    )?;
    out.line(
        "messages: offers, requests and states sent per participant; periods from the phase's start",
    )?;
    out.line(format!(
        "{:>9} {:>7} {:>6} {:>9} {:>8} | {:>15} {:>9} | {:>9} {:>8} {:>7} {:>8}",
        "P",
        "τ/P",
        "τ",
        "holders",
        "periods",
        "all decrypted",
        "messages",
        "in phase",
        "results",
        "errors",
        "seconds"
    ))?;
    for r in &rows {
        out.line(format!(
            "{:>9} {:>6}% {:>6} {:>9} {:>8} | {:>15} {:>9} | {:>9.1} {:>8} {:>7} {:>8.1}",
            grouped(f64::from(r.population), 0),
            r.tau_fraction * 100.0,
            r.tau,
            grouped(f64::from(r.committee), 0),
            r.periods,
            opt_periods(r.everyone_decrypted_periods),
            opt_num(r.everyone_decrypted_messages_per_participant, 1),
            r.messages_per_participant,
            format!(
                "{}/{}",
                r.results,
                grouped(r.participants_with_result as f64, 0)
            ),
            r.errors + r.refused_decryptions,
            r.wall_seconds,
        ))?;
    }
    out.line("")?;
    out.line(
        "\"all decrypted\": the first period after which every participant holds a decrypted \
         result; \"in phase\": messages over the whole phase; \"results\": distinct results / \
         participants holding one at the end",
    )?;
    out.line(format!("WARNING: {STAND_IN}"))?;
    Ok(())
}

/// One churn level of one population (Fig. 3(b)).
#[derive(Clone, Debug, Serialize)]
struct ChurnRow {
    population: u32,
    churn: f64,
    periods: u32,
    messages_per_participant: f64,
    completed_exchanges_per_participant: f64,
    max_relative_error_counter: Option<f64>,
    max_relative_error_sums: Option<f64>,
    lost_replies: u64,
    errors: u64,
    wall_seconds: f64,
}

fn fig3b(args: &CostsArgs, out: &mut Output) -> Result<(), CliError> {
    let pops = populations(args, &[1_000, 10_000, 100_000])?;
    let churns = match &args.churn {
        None => vec![0.1, 0.25, 0.5],
        Some(t) => list(
            t,
            "--churn",
            |c: &f64| (0.0..1.0).contains(c),
            "a probability in [0, 1)",
        )?,
    };
    let periods = args.periods.unwrap_or(50);
    let mut rows = Vec::new();
    for &p in &pops {
        for &c in &churns {
            let setup = Setup {
                population: p,
                exchanges: periods,
                decryption: 1,
                committee: 1,
                threshold: 1,
                noise_shares: u64::from(p),
                e_max: 1e-3,
                sampling: sampling(args),
                churn: c,
            };
            let unit = setup.params().unit();
            let until = periods + 2;
            let run = simulate(
                &setup,
                until,
                args.seed,
                workers(args),
                progress_label(args, format!("Fig. 3(b), {p} participants, churn {c}")),
            )?;
            let s = run.at(periods + 1);
            let exact = exact_totals(s, unit);
            let (counter, sums) = errors_at(s, p, &exact);
            let smallest = exact.iter().map(|x| x.abs()).fold(f64::INFINITY, f64::min);
            rows.push(ChurnRow {
                population: p,
                churn: c,
                periods,
                messages_per_participant: per(s.by_phase.sum, p),
                completed_exchanges_per_participant: per(s.exchanges, p),
                max_relative_error_counter: finite(counter / f64::from(p)),
                max_relative_error_sums: finite(sums / smallest),
                lost_replies: s.lost_replies,
                errors: run.errors + s.errors,
                wall_seconds: run.wall_seconds,
            });
        }
    }
    if out.is_json() {
        return out.json(&report(args, "3b", json!({ "churn": rows })));
    }
    header(
        out,
        "sfumato cluster costs --figure 3b (Chiaroscuro §6.4, Fig. 3(b)): EESum's relative error under churn",
        args,
        "",
    )?;
    out.line(
        "churn: probability that the peer of an exchange is disconnected (§6.1.5); error: the \
         largest relative error of any participant's estimate after the EESum",
    )?;
    out.line(format!(
        "{:>9} {:>6} {:>8} {:>9} {:>10} {:>12} {:>12} {:>6} {:>8}",
        "P",
        "churn",
        "periods",
        "messages",
        "exchanges",
        "rel err ctr",
        "rel err sums",
        "lost",
        "seconds"
    ))?;
    for r in &rows {
        out.line(format!(
            "{:>9} {:>5}% {:>8} {:>9.1} {:>10.1} {:>12} {:>12} {:>6} {:>8.1}",
            grouped(f64::from(r.population), 0),
            r.churn * 100.0,
            r.periods,
            r.messages_per_participant,
            r.completed_exchanges_per_participant,
            r.max_relative_error_counter.map_or("∞".into(), err_text),
            r.max_relative_error_sums.map_or("∞".into(), err_text),
            r.lost_replies,
            r.wall_seconds,
        ))?;
    }
    out.line("")?;
    out.line(format!("WARNING: {STAND_IN}"))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use sfumato_dp::gossip::GossipParameters;

    #[test]
    fn theorem3_matches_the_library_below_one() {
        for (p, e) in [(1_000u32, 0.5), (100_000, 1e-3), (1_000_000, 1e-9)] {
            let lib = GossipParameters {
                population: u64::from(p),
                variance: VARIANCE,
                e_max: e,
            }
            .exchanges(1e-5)
            .unwrap();
            assert_eq!(theorem3(p, e, 1e-5), lib);
        }
        // e_max = 1 is allowed here, and needs fewer exchanges than 0.1.
        assert!(theorem3(1_000, 1.0, 1e-3) < theorem3(1_000, 0.1, 1e-3));
    }

    #[test]
    fn the_default_horizon_grows_with_the_population_and_precision() {
        assert!(default_horizon(1_000, 1e-3) < default_horizon(100_000, 1e-3));
        assert!(default_horizon(1_000, 1.0) < default_horizon(1_000, 1e-3));
        assert!(default_horizon(1_000, 1.0) > 10);
    }
}
