//! `--store FILE`: a run of `cluster run`, `dream run` or `query run`
//! recorded in the results store (`sfumato_results`), with its report and
//! the figures the dashboard draws.

use std::path::Path;

use rand_chacha::ChaCha20Rng;
use rand_core::{Rng, SeedableRng};
use serde_json::Value;
use sfumato_protocol::chiaroscuro::{ChiaroscuroParams, lloyd_step};
use sfumato_results::{
    AnswerRecord, IterationRecord, Kind, NewRun, RunId, SeriesRecord, SlotRecord, Store,
    TimingRecord, TrafficRecord,
};
use sfumato_sim::chiaroscuro::ChiaroscuroSummary;

use crate::cli_cluster::{ClusterRunArgs, EncryptionArg};
use crate::commands::cluster_run::{Data, IterationRow};
use crate::error::CliError;
use crate::output::Output;

/// The participant whose series "What can Bob do" shows (Chiaroscuro
/// demo, paper 003).
pub(crate) const BOB: u32 = 213;

/// How many participants' series a cluster run keeps (Bob's besides).
pub(crate) const SAMPLED: usize = 16;

/// Opens (or creates) the store before a run, so that a bad `--store`
/// fails at once rather than after the run.
pub(crate) fn check(path: Option<&std::path::PathBuf>) -> Result<(), CliError> {
    if let Some(p) = path {
        Store::open(p)?;
    }
    Ok(())
}

/// After a run's report document `doc` is built: with `--json`, prints it
/// with the id of the run recorded (if any) and returns `true` (the
/// command is done); otherwise says where the run was recorded and
/// returns `false` (the text report follows).
pub(crate) fn announce(
    out: &mut Output,
    mut doc: Value,
    stored: Option<(RunId, &Path)>,
) -> Result<bool, CliError> {
    if out.is_json() {
        if let (Some((id, _)), Some(o)) = (stored, doc.as_object_mut()) {
            o.insert("stored_run".into(), serde_json::json!(id));
        }
        out.json(&doc)?;
        return Ok(true);
    }
    if let Some((id, path)) = stored {
        out.line(format!("recorded as run {id} in {}", path.display()))?;
    }
    Ok(false)
}

/// Seconds since the Unix epoch, for the record (the CLI reads the clock;
/// protocol code never does).
fn now_unix() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// The value of `key` in a JSON object, or null.
fn field(doc: &Value, key: &str) -> Value {
    doc.get(key).cloned().unwrap_or(Value::Null)
}

/// Sampled participants: `SAMPLED` drawn from the seed, and Bob.
fn sample(rows: &[Vec<f64>], seed: u64) -> Vec<SeriesRecord> {
    let mut ids: Vec<u32> = Vec::new();
    let mut rng = ChaCha20Rng::seed_from_u64(seed ^ 0x5A3B_1E5D);
    let n = rows.len() as u64;
    while ids.len() < SAMPLED.min(rows.len()) {
        let id = (rng.next_u64() % n) as u32;
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    if (BOB as usize) < rows.len() && !ids.contains(&BOB) {
        ids.push(BOB);
    }
    ids.sort_unstable();
    ids.into_iter()
        .map(|i| SeriesRecord {
            participant: i,
            values: rows[i as usize].clone(),
        })
        .collect()
}

/// Records a Chiaroscuro run: per iteration the exact means of the
/// clusters the entering centroids induce (before noise) and the
/// published ones (after), with the inertia; the run's CPU time and
/// traffic per participant for its key size; sampled participants' series.
pub(crate) fn cluster(
    path: &Path,
    args: &ClusterRunArgs,
    d: &Data,
    p: &ChiaroscuroParams,
    s: &ChiaroscuroSummary,
    rows: &[IterationRow],
    doc: &Value,
) -> Result<RunId, CliError> {
    let secure = args.encryption == EncryptionArg::DamgardJurik;
    let key_bits = if secure { args.key_bits } else { 0 };
    let label = format!(
        "{}: {} participants, k = {}, ε = {}, {:?}, SMA {} ({:?}){}",
        d.name,
        p.population,
        args.k,
        args.epsilon,
        args.strategy,
        args.smoothing,
        p.quality.smoothing,
        if secure {
            format!(", {key_bits}-bit keys")
        } else {
            ", INSECURE plaintext".into()
        }
    );
    let params = serde_json::json!({
        "data": d.name,
        "participants": p.population,
        "length": p.length,
        "range": [p.range.0, p.range.1],
        "k": args.k,
        "epsilon": args.epsilon,
        "delta": args.delta,
        "strategy": format!("{:?}", args.strategy),
        "smoothing": format!("{:?}", p.quality.smoothing),
        "encryption": field(doc, "encryption"),
        "key_bits": key_bits,
        "seed": args.runtime.seed,
    });
    let mut run = NewRun::new(Kind::Cluster, label, args.runtime.seed, params, doc.clone());
    run.created_unix = now_unix();
    run.insecure = !secure;
    let mut centroids = d.initial.clone();
    for (row, seen) in rows.iter().zip(&s.iterations) {
        let after = seen
            .result
            .as_ref()
            .map(|r| r.centroids.clone())
            .unwrap_or_default();
        run.iterations.push(IterationRecord {
            iteration: row.iteration,
            epsilon: Some(row.epsilon),
            inertia_before: Some(row.intra_before),
            inertia_after: row.intra_after,
            centroids_before: lloyd_step(&d.set.rows, &centroids),
            centroids_after: after.clone(),
        });
        if after.is_empty() {
            break;
        }
        centroids = after;
    }
    let participants = f64::from(p.population.max(1));
    if let Some(cpu) = doc.get("cpu_seconds").and_then(Value::as_f64) {
        run.timings.push(TimingRecord {
            operation: "total".into(),
            key_bits,
            iteration: 0,
            micros_per_participant: cpu * 1e6 / participants,
            measured: true,
        });
    }
    run.traffic.push(TrafficRecord {
        key_bits,
        bytes_per_participant: s.bytes as f64 / participants,
        messages_per_participant: s.messages as f64 / participants,
    });
    run.series = sample(&d.set.rows, args.runtime.seed);
    Ok(Store::open(path)?.record(&run)?)
}

/// Records a DREAM run: per slot `(slot, published kWh, true kWh,
/// clusters that published)`.
pub(crate) fn dream(
    path: &Path,
    p: &crate::commands::dream_run::ReportParams,
    slots: &[(u32, Option<f64>, f64, u64)],
    doc: &Value,
) -> Result<RunId, CliError> {
    let label = format!(
        "{} households, clusters of {} (M = {}), ε = {}, failures {}",
        field(doc, "households"),
        p.cluster_size,
        p.tolerate,
        p.epsilon,
        p.fail_rate
    );
    let params = serde_json::json!({
        "households": field(doc, "households"),
        "cluster_size": p.cluster_size,
        "tolerate": p.tolerate,
        "epsilon": p.epsilon,
        "sensitivity_wh": p.sensitivity,
        "unit_wh": p.unit_wh,
        "fail_rate": p.fail_rate,
        "seed": p.seed,
    });
    let mut run = NewRun::new(Kind::Dream, label, p.seed, params, doc.clone());
    run.created_unix = now_unix();
    run.slots = slots
        .iter()
        .map(|(slot, published, truth, clusters)| SlotRecord {
            slot: *slot,
            published: *published,
            truth: *truth,
            reporting: Some(*clusters),
        })
        .collect();
    Ok(Store::open(path)?.record(&run)?)
}

/// Records a Tremel run: each answer beside the truth over the live
/// meters, with its latency.
pub(crate) fn query(
    path: &Path,
    args: &crate::cli_query::QueryRunArgs,
    s: &sfumato_study::tremel::QueryStudy,
    o: &sfumato_study::tremel::QueryOutcome,
    doc: &Value,
) -> Result<RunId, CliError> {
    let d = &s.deployment;
    let label = format!(
        "{} meters, {} protocol, t = {}, {} queries{}",
        d.meters,
        d.variant.name(),
        o.t,
        o.rows.len(),
        if args.network {
            ", over the network"
        } else {
            ""
        }
    );
    let params = serde_json::json!({
        "meters": d.meters,
        "variant": d.variant.name(),
        "t": o.t,
        "aggregates": s.spec.aggregates,
        "ranges": s.spec.ranges,
        "filter": s.spec.filter,
        "queries": s.queries,
        "privacy": d.privacy,
        "seed": d.seed,
        "network": args.network,
    });
    let mut run = NewRun::new(Kind::Query, label, d.seed, params, doc.clone());
    run.created_unix = now_unix();
    run.insecure = o.insecure;
    run.answers = o
        .rows
        .iter()
        .map(|r| -> Result<AnswerRecord, CliError> {
            Ok(AnswerRecord {
                number: r.answer.number,
                window: r.answer.window,
                answer: serde_json::to_value(&r.answer)?,
                truth: serde_json::to_value(&r.truth_live)?,
                latency_ms: r.latency().as_millis_f64(),
            })
        })
        .collect::<Result<Vec<_>, CliError>>()?;
    Ok(Store::open(path)?.record(&run)?)
}
