//! `sfumato dream run`: DREAM on households in the simulator — per slot
//! the true total, the published noisy total, the error (DREAM Def. 2) and
//! the clusters whose slot could not be decrypted.

use serde_json::json;
use sfumato_dp::Epsilon;
use sfumato_protocol::dream::{PrivacyLedger, SlotStatus};
use sfumato_traces::Resolution;

use crate::cli_dream::DreamRunArgs;
use crate::error::CliError;
use crate::output::{Output, ReportExtra, human_bytes};
use sfumato_study::dream::data::{Households, generate, read};
use sfumato_study::dream::{Deployment, Outcome, deploy};

/// One slot over all clusters.
struct SlotRow {
    slot: usize,
    true_wh: i64,
    published_wh: i64,
    /// True total of the clusters that published.
    covered_wh: i64,
    published: usize,
    undecryptable: usize,
}

/// Runs the command.
pub(crate) fn run(args: &DreamRunArgs, out: &mut Output) -> Result<(), CliError> {
    crate::commands::store_run::check(args.store.as_ref())?;
    if !(0.0..=1.0).contains(&args.fail_rate) {
        return Err(CliError::usage(format!(
            "--fail-rate {} is not a probability",
            args.fail_rate
        )));
    }
    if args.study.tolerate >= args.study.cluster_size {
        return Err(CliError::usage(format!(
            "--tolerate {} must be below --cluster-size {}",
            args.study.tolerate, args.study.cluster_size
        )));
    }
    let epsilon = Epsilon::parse(&args.study.epsilon)?;
    if epsilon.is_zero() {
        return Err(CliError::usage("--epsilon must be positive"));
    }
    let h: Households = match (&args.study.input, args.study.households) {
        (Some(path), _) => read(path)?,
        (None, Some(n)) => generate(n, args.study.slot.parse::<Resolution>()?, args.study.seed)?,
        (None, None) => return Err(CliError::usage("give --input or --households")),
    }
    .in_units(args.study.unit_wh);
    let slots = args.slots.unwrap_or(h.slots());
    if slots == 0 || slots > h.slots() {
        return Err(CliError::usage(format!(
            "--slots must be between 1 and {}",
            h.slots()
        )));
    }
    let d = Deployment {
        cluster_size: args.study.cluster_size,
        tolerate: args.study.tolerate,
        epsilon,
        sensitivity: args.study.sensitivity,
        unit_wh: args.study.unit_wh,
        partners: args.study.partners,
        noise: args.study.noise.into(),
        fail_rate: args.fail_rate,
        seed: args.study.seed,
        workers: args.workers as usize,
        slots,
    };
    let o = deploy(&h, &d)?;
    report(&ReportParams::of_run(args), &h, &o, slots, None, out)
}

/// What the report says of the run's parameters.
pub(crate) struct ReportParams {
    pub(crate) cluster_size: u32,
    pub(crate) tolerate: u32,
    pub(crate) epsilon: String,
    pub(crate) sensitivity: Option<u64>,
    pub(crate) unit_wh: u64,
    pub(crate) fail_rate: f64,
    pub(crate) seed: u64,
    /// The results store to record the run in.
    pub(crate) store: Option<std::path::PathBuf>,
}

impl ReportParams {
    /// The parameters of `dream run`.
    pub(crate) fn of_run(a: &DreamRunArgs) -> ReportParams {
        ReportParams {
            cluster_size: a.study.cluster_size,
            tolerate: a.study.tolerate,
            epsilon: a.study.epsilon.clone(),
            sensitivity: a.study.sensitivity,
            unit_wh: a.study.unit_wh,
            fail_rate: a.fail_rate,
            seed: a.study.seed,
            store: a.store.clone(),
        }
    }
}

/// Prints the per-slot report of outcome `o` of households `h` over
/// `slots` slots.
pub(crate) fn report(
    p: &ReportParams,
    h: &Households,
    o: &Outcome,
    slots: usize,
    extra: Option<ReportExtra>,
    out: &mut Output,
) -> Result<(), CliError> {
    let rows = rows(h, o, slots);
    print(p, h, o, &rows, extra, out)
}

fn rows(h: &Households, o: &Outcome, slots: usize) -> Vec<SlotRow> {
    (0..slots)
        .map(|t| {
            let mut r = SlotRow {
                slot: t,
                true_wh: 0,
                published_wh: 0,
                covered_wh: 0,
                published: 0,
                undecryptable: 0,
            };
            for (members, outcomes) in o.clusters.iter().zip(&o.slots) {
                let truth = h.cluster_total(members, t);
                r.true_wh += truth;
                match outcomes.get(t).and_then(|s| s.published) {
                    Some(v) => {
                        r.published += 1;
                        r.published_wh += v;
                        r.covered_wh += truth;
                    }
                    None => r.undecryptable += 1,
                }
            }
            r
        })
        .collect()
}

/// DREAM Def. 2: |X − X̂| / (X + 1), X in Wh.
fn error(r: &SlotRow) -> Option<f64> {
    (r.published > 0)
        .then(|| (r.published_wh - r.covered_wh).abs() as f64 / (r.covered_wh as f64 + 1.0))
}

/// Calls `f(household, its cluster's λ(t) in units)` for every household
/// that was clustered.
fn each_household<F>(
    h: &Households,
    o: &Outcome,
    slots: usize,
    p: &ReportParams,
    mut f: F,
) -> Result<(), CliError>
where
    F: FnMut(usize, &[f64]),
{
    let epsilon = Epsilon::parse(&p.epsilon)?;
    for members in &o.clusters {
        let lambdas: Vec<f64> =
            sfumato_study::dream::lambdas(h, members, &epsilon, p.sensitivity, p.unit_wh, slots)?
                .iter()
                .map(|l| l.value)
                .collect();
        for i in members {
            f(*i, &lambdas);
        }
    }
    Ok(())
}

/// The ledger of `readings` under `lambdas`, and its worst window of `s`.
fn worst_window(readings: impl Iterator<Item = f64>, lambdas: &[f64], s: usize) -> f64 {
    let mut ledger = PrivacyLedger::new();
    for (x, l) in readings.zip(lambdas) {
        ledger.record(x, *l);
    }
    ledger
        .windows(s.min(lambdas.len()))
        .into_iter()
        .fold(0.0, f64::max)
}

/// Each household's privacy ledger (DREAM §7.3): ε(t) = X_t / λ(t) per
/// slot, and for s = 1, 3, 24 and the whole run the mean and largest (over
/// households) of its worst window of s slots.
fn ledgers(
    h: &Households,
    o: &Outcome,
    slots: usize,
    p: &ReportParams,
) -> Result<Vec<(usize, f64, f64)>, CliError> {
    let mut windows: Vec<(usize, f64, f64)> = [1usize, 3, 24, slots]
        .into_iter()
        .filter(|s| *s <= slots)
        .map(|s| (s, 0.0, 0.0))
        .collect();
    windows.dedup_by_key(|w| w.0);
    let mut households = 0u64;
    each_household(h, o, slots, p, |i, lambdas| {
        households += 1;
        for w in windows.iter_mut() {
            let worst = worst_window(h.totals[i].iter().map(|x| *x as f64), lambdas, w.0);
            w.1 += worst;
            w.2 = w.2.max(worst);
        }
    })?;
    for w in windows.iter_mut() {
        w.1 /= households.max(1) as f64;
    }
    Ok(windows)
}

/// Per appliance (when the households carry a breakdown): the mean over
/// the households that own it of their worst ε_s, for s = 3 and s = 24.
fn appliance_ledgers(
    h: &Households,
    o: &Outcome,
    slots: usize,
    p: &ReportParams,
) -> Result<Vec<(String, u64, f64, f64)>, CliError> {
    let mut acc: std::collections::BTreeMap<String, (u64, f64, f64)> = Default::default();
    each_household(h, o, slots, p, |i, lambdas| {
        for (name, wh) in h.appliances.get(i).into_iter().flatten() {
            let e = acc.entry(name.clone()).or_default();
            e.0 += 1;
            e.1 += worst_window(wh.iter().copied(), lambdas, 3);
            e.2 += worst_window(wh.iter().copied(), lambdas, 24);
        }
    })?;
    Ok(acc
        .into_iter()
        .map(|(name, (n, a, b))| (name, n, a / n.max(1) as f64, b / n.max(1) as f64))
        .collect())
}

fn print(
    p: &ReportParams,
    h: &Households,
    o: &Outcome,
    rows: &[SlotRow],
    extra: Option<ReportExtra>,
    out: &mut Output,
) -> Result<(), CliError> {
    let errors: Vec<f64> = rows.iter().filter_map(error).collect();
    let mean_error = errors.iter().sum::<f64>() / errors.len().max(1) as f64;
    let (cluster_error, _, _) = o.cluster_error(h);
    // kWh per unit.
    let kwh = p.unit_wh as f64 / 1000.0;
    let ledger = ledgers(h, o, rows.len(), p)?;
    let appliances = appliance_ledgers(h, o, rows.len(), p)?;
    let mut by_status: std::collections::BTreeMap<&'static str, u64> = Default::default();
    for s in o.slots.iter().flatten() {
        let name = match s.status {
            SlotStatus::Published => "published",
            SlotStatus::MissingWithoutRecovery => "missing meter, no recovery (M = 0)",
            SlotStatus::TooManyMissing => "more than M missing",
            SlotStatus::Refused => "refused by a meter",
            SlotStatus::SecondRoundIncomplete => "second round incomplete",
        };
        *by_status.entry(name).or_default() += 1;
    }
    let minutes = h.resolution.minutes();
    let t = &o.traffic;
    let doc = {
        let per_slot: Vec<_> = rows
            .iter()
            .map(|r| {
                json!({
                    "slot": r.slot,
                    "minute": r.slot as u64 * u64::from(minutes),
                    "true_kwh": r.true_wh as f64 * kwh,
                    "published_kwh": r.published_wh as f64 * kwh,
                    "published_clusters_true_kwh": r.covered_wh as f64 * kwh,
                    "error": error(r),
                    "published_clusters": r.published,
                    "undecryptable_clusters": r.undecryptable,
                })
            })
            .collect();
        let mut doc = json!({
            "command": extra.as_ref().map_or("dream run", |e| e.command),
            "households": h.totals.len(),
            "clusters": o.clusters.len(),
            "cluster_size": p.cluster_size,
            "tolerate": p.tolerate,
            "epsilon": p.epsilon,
            "sensitivity_wh": p.sensitivity,
            "fail_rate": p.fail_rate,
            "seed": p.seed,
            "slots": per_slot,
            "mean_error": mean_error,
            "mean_cluster_error": cluster_error,
            "appliance_ledger": appliances.iter().map(|(name, owners, s3, s24)| json!({ "appliance": name, "households": owners, "mean_worst_epsilon_3": s3, "mean_worst_epsilon_24": s24 })).collect::<Vec<_>>(),
            "privacy_ledger": ledger.iter().map(|(s, mean, max)| json!({ "slots": s, "mean_worst_epsilon": mean, "max_worst_epsilon": max })).collect::<Vec<_>>(),
            "cluster_slots": by_status,
            "traffic": t,
            "run": o.run,
        });
        if let (Some(e), Some(map)) = (extra.as_ref(), doc.as_object_mut()) {
            map.extend(e.json.clone());
        }
        doc
    };
    let stored = match &p.store {
        Some(path) => {
            let slots: Vec<(u32, Option<f64>, f64, u64)> = rows
                .iter()
                .map(|r| {
                    (
                        r.slot as u32,
                        (r.published > 0).then_some(r.published_wh as f64 * kwh),
                        r.true_wh as f64 * kwh,
                        r.published as u64,
                    )
                })
                .collect();
            Some(crate::commands::store_run::dream(path, p, &slots, &doc)?)
        }
        None => None,
    };
    if crate::commands::store_run::announce(out, doc, stored.zip(p.store.as_deref()))? {
        return Ok(());
    }
    let left_out = h.totals.len() - o.clusters.len() * p.cluster_size as usize;
    out.line(format_args!(
        "DREAM: {} households in {} clusters of {} (M = {}, ε = {}, {}){}; {}-minute slots, seed {}",
        h.totals.len(),
        o.clusters.len(),
        p.cluster_size,
        p.tolerate,
        p.epsilon,
        match p.sensitivity {
            Some(d) => format!("Δ = {d} Wh"),
            None => "λ(t) = cluster max / ε".to_string(),
        },
        if left_out > 0 { format!(" ({left_out} left out)") } else { String::new() },
        minutes,
        p.seed
    ))?;
    out.line(" slot   time    true kWh  published kWh    error  undecryptable")?;
    for r in rows {
        let m = r.slot as u32 * minutes;
        out.line(format_args!(
            "{:>5}  {:02}:{:02}  {:>10.3}  {:>13.3}  {:>7}  {:>13}",
            r.slot,
            m / 60 % 24,
            m % 60,
            r.true_wh as f64 * kwh,
            r.published_wh as f64 * kwh,
            error(r).map_or("—".to_string(), |e| format!("{e:.4}")),
            r.undecryptable
        ))?;
    }
    out.line(format_args!(
        "mean error: {mean_error:.4} on the sum of the published clusters, {cluster_error:.4} per cluster (DREAM Def. 2; Table 1's quantity)"
    ))?;
    for (s, mean, max) in &ledger {
        out.line(format_args!(
            "privacy ledger, worst {s} consecutive slot(s): ε_s mean {mean:.2}, largest {max:.2} over households"
        ))?;
    }
    if !appliances.is_empty() {
        out.line("per appliance, mean over owners of the worst ε_s (s = 3, s = 24):")?;
        for (name, owners, s3, s24) in &appliances {
            out.line(format_args!(
                "  {name:<24} {owners:>6} households  {s3:>6.3}  {s24:>6.3}"
            ))?;
        }
    }
    for (status, count) in &by_status {
        out.line(format_args!("cluster-slots {status}: {count}"))?;
    }
    out.line(format_args!(
        "per meter: {:.1} messages, {} sent on average; per supplier: {:.1} messages, {}",
        t.meters.mean_messages(),
        human_bytes(t.meters.mean_bytes() as u64),
        t.suppliers.mean_messages(),
        human_bytes(t.suppliers.mean_bytes() as u64)
    ))?;
    if let Some(e) = extra {
        for l in e.lines {
            out.line(l)?;
        }
        return Ok(());
    }
    out.line(format_args!(
        "wall {:.2} s; peak memory {}",
        o.run.wall_seconds,
        human_bytes(o.run.peak_memory_bytes)
    ))
}
