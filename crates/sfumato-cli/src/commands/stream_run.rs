//! `sfumato stream run`: Query 1 and Query 2 over a stream, on the
//! dataflow (or the reference), optionally sealed and with a migration.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::json;
use sfumato_stream::dataflow::{DataflowConfig, DataflowReport};
use sfumato_stream::processor::Digest;
use sfumato_stream::q1::{Accuracy, ErrorSums, SLICE_MINUTES};
use sfumato_stream::reference::{ReferenceReport, RunCounts};
use sfumato_stream::study::{self, Input, MigrationSpec};

use crate::cli_stream::StreamRunArgs;
use crate::commands::sim_runtime;
use crate::commands::stream_generate::world;
use crate::error::CliError;
use crate::output::{Output, grouped};
use crate::progress::Progress;

/// A new output directory, written beside the target and renamed into
/// place only when the run succeeded.
struct OutDir {
    target: PathBuf,
    partial: PathBuf,
}

impl OutDir {
    fn new(target: &Path) -> Result<Self, CliError> {
        if target.exists() {
            let empty = std::fs::read_dir(target).is_ok_and(|mut d| d.next().is_none());
            if !empty {
                return Err(CliError::usage(format!(
                    "--out {} exists and is not an empty directory: give a new one",
                    target.display()
                )));
            }
        }
        let mut name = target.as_os_str().to_os_string();
        name.push(format!(".partial-{}", std::process::id()));
        Ok(OutDir {
            target: target.to_path_buf(),
            partial: PathBuf::from(name),
        })
    }

    /// Writes the run's report beside the outputs (so the files carry
    /// what produced them, the enclave stand-in included).
    fn write_report(&self, value: &serde_json::Value) -> Result<(), CliError> {
        let path = self.partial.join("report.json");
        let text =
            serde_json::to_string_pretty(value).map_err(|e| CliError::Runtime(e.to_string()))?;
        std::fs::write(&path, text)
            .map_err(|e| CliError::Runtime(format!("cannot write {}: {e}", path.display())))
    }

    fn commit(self) -> Result<(), CliError> {
        if self.target.exists() {
            std::fs::remove_dir(&self.target).map_err(|e| {
                CliError::Runtime(format!("cannot replace {}: {e}", self.target.display()))
            })?;
        }
        std::fs::rename(&self.partial, &self.target).map_err(|e| {
            CliError::Runtime(format!(
                "cannot move the outputs to {}: {e}",
                self.target.display()
            ))
        })
    }
}

impl Drop for OutDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.partial);
    }
}

fn input(args: &StreamRunArgs) -> Result<(Input, String), CliError> {
    match &args.input {
        Some(path) => {
            std::fs::File::open(path)
                .map_err(|e| CliError::usage(format!("cannot open {}: {e}", path.display())))?;
            Ok((
                Input::Csv(path.clone()),
                format!("{} (DEBS 2014 CSV)", path.display()),
            ))
        }
        None => {
            let c = world(&args.world, args.runtime.seed)?;
            let d = format!(
                "generated: {} houses, ~{} plugs, {} s from {}, seed {}",
                c.houses, c.plugs, c.seconds, c.start, c.seed
            );
            Ok((Input::Generate(c), d))
        }
    }
}

/// Runs `sfumato stream run`.
pub(crate) fn run(args: &StreamRunArgs, out: &mut Output) -> Result<(), CliError> {
    let (input, described) = input(args)?;
    let first_process = args.runtime.process.is_none_or(|p| p == 0);
    let dir = match (&args.out, first_process) {
        (Some(d), true) => Some(OutDir::new(d)?),
        _ => None,
    };
    let total = input.total_events();
    let bar = (!args.runtime.quiet && first_process).then(|| {
        Arc::new(match total {
            Some(t) => Progress::new("events", t),
            None => Progress::counter("events"),
        })
    });
    if args.reference {
        let b = bar.clone();
        let report = study::run_reference(
            &input,
            dir.as_ref().map(|d| d.partial.as_path()),
            &mut |n| {
                if let Some(b) = &b {
                    b.set(n);
                }
            },
        )?;
        if let Some(b) = &bar {
            b.finish();
        }
        let value = reference_json(&report, &described, args.out.as_deref());
        if let Some(d) = dir {
            d.write_report(&value)?;
            d.commit()?;
        }
        if out.is_json() {
            return out.json(&value);
        }
        return print_reference(&report, &described, args.out.as_deref(), out);
    }
    if args.epc_mb == 0 {
        return Err(CliError::usage("--epc-mb must be at least 1"));
    }
    let cluster = sim_runtime::cluster(&args.runtime)?;
    let processes = cluster.as_ref().map_or(1, |c| c.addresses.len());
    let migration = match &args.migrate {
        Some(spec) => {
            let spec: MigrationSpec = spec.parse()?;
            Some(spec.plan(input.start()?, args.epoch_seconds))
        }
        None => None,
    };
    if let Some(r) = args.rate.filter(|r| !(r.is_finite() && *r > 0.0)) {
        return Err(CliError::usage(format!(
            "--rate must be positive (got {r})"
        )));
    }
    let config = DataflowConfig {
        workers: args.runtime.workers as usize,
        cluster,
        epoch_seconds: args.epoch_seconds,
        encrypt: args.encrypt,
        seed: args.runtime.seed,
        epc_bytes: (args.epc_mb as usize).saturating_mul(1 << 20),
        migration,
        initial_workers: args.initial_workers.map(|n| n as usize),
        rate: args.rate,
        ..Default::default()
    };
    let b = bar.clone();
    let progress: Option<sfumato_stream::dataflow::ProgressSink> =
        b.map(|b| Arc::new(move |n| b.set(n)) as _);
    let report = study::run_dataflow(
        &input,
        &config,
        dir.as_ref().map(|d| d.partial.as_path()),
        progress,
    )?;
    if let Some(b) = &bar {
        b.finish();
    }
    let Some(report) = report else {
        if !out.is_json() {
            out.line(format!(
                "process {} of {processes} done (process 0 prints the report)",
                args.runtime.process.unwrap_or(0)
            ))?;
        }
        return Ok(());
    };
    let value = dataflow_json(&report, &described, args.out.as_deref())?;
    if let Some(d) = dir {
        d.write_report(&value)?;
        d.commit()?;
    }
    if out.is_json() {
        return out.json(&value);
    }
    print_dataflow(&report, &described, args.out.as_deref(), out)
}

fn rate(events: u64, seconds: f64) -> String {
    grouped(events as f64 / seconds.max(1e-9), 0)
}

fn accuracy_json(a: &Accuracy) -> serde_json::Value {
    let level = |sums: &[ErrorSums; 5]| -> Vec<serde_json::Value> {
        sums.iter()
            .zip(SLICE_MINUTES)
            .map(|(s, m)| {
                let n = s.n.max(1) as f64;
                let wape = |e: f64| if s.actual > 0.0 { e / s.actual } else { f64::NAN };
                json!({
                    "slice_minutes": m,
                    "n": s.n,
                    "mae_w": {"forecast": s.forecast / n, "seasonal_naive": s.seasonal_naive / n, "persistence": s.persistence / n},
                    "wape": {"forecast": wape(s.forecast), "seasonal_naive": wape(s.seasonal_naive), "persistence": wape(s.persistence)},
                })
            })
            .collect()
    };
    json!({"house": level(&a.house), "plug": level(&a.plug)})
}

fn print_accuracy(a: &Accuracy, out: &mut Output) -> Result<(), CliError> {
    if a.house.iter().chain(&a.plug).all(|s| s.n == 0) {
        return out.line(
            "Query 1 accuracy: nothing scored yet (a forecast is scored beside seasonal naive, which needs a day of history)",
        );
    }
    out.line("Query 1 accuracy (forecast made at a slice's end vs the slice it forecasts; MAE in W, WAPE):")?;
    out.line(format!(
        "  {:<6} {:>5} {:>9}  {:>17}  {:>17}  {:>17}",
        "level", "slice", "scored", "forecast", "seasonal naive", "persistence"
    ))?;
    for (name, sums) in [("house", &a.house), ("plug", &a.plug)] {
        for (s, m) in sums.iter().zip(SLICE_MINUTES) {
            if s.n == 0 {
                out.line(format!(
                    "  {name:<6} {:>4}m {:>9}  (needs a day of history)",
                    m, 0
                ))?;
                continue;
            }
            let n = s.n as f64;
            let cell = |e: f64| format!("{:>8.2} {:>7.1}%", e / n, 100.0 * e / s.actual.max(1e-12));
            out.line(format!(
                "  {name:<6} {:>4}m {:>9}  {}  {}  {}",
                m,
                grouped(n, 0),
                cell(s.forecast),
                cell(s.seasonal_naive),
                cell(s.persistence)
            ))?;
        }
    }
    Ok(())
}

fn reference_json(r: &ReferenceReport, input: &str, dir: Option<&Path>) -> serde_json::Value {
    json!({
        "runtime": "reference (single thread)",
        "input": input,
        "counts": r.counts,
        "digest": r.digest,
        "events_per_second": r.counts.events as f64 / r.wall_seconds.max(1e-9),
        "wall_seconds": r.wall_seconds,
        "accuracy": accuracy_json(&r.accuracy),
        "out": dir.map(|d| d.display().to_string()),
    })
}

fn dataflow_json(
    r: &DataflowReport,
    input: &str,
    dir: Option<&Path>,
) -> Result<serde_json::Value, CliError> {
    let mut v = serde_json::to_value(r).map_err(|e| CliError::Runtime(e.to_string()))?;
    if let Some(o) = v.as_object_mut() {
        o.insert("runtime".into(), json!("timely dataflow"));
        o.insert("input".into(), json!(input));
        o.insert(
            "events_per_second".into(),
            json!(r.counts.events as f64 / r.wall_seconds.max(1e-9)),
        );
        o.insert("accuracy".into(), accuracy_json(&r.accuracy));
        o.insert("out".into(), json!(dir.map(|d| d.display().to_string())));
    }
    Ok(v)
}

/// What both runtimes report first: events, rate, outputs.
fn print_counts(
    counts: &RunCounts,
    digest: &Digest,
    wall_seconds: f64,
    out: &mut Output,
) -> Result<(), CliError> {
    out.line(format!(
        "events {} (loads {}, work {}, late {}) in {:.2} s: {} events/s",
        grouped(counts.events as f64, 0),
        grouped(counts.loads as f64, 0),
        grouped(counts.work as f64, 0),
        grouped(counts.late as f64, 0),
        wall_seconds,
        rate(counts.events, wall_seconds)
    ))?;
    out.line(format!(
        "Query 1: {} forecasts; Query 2: {} outlier changes; output digest {}",
        grouped(digest.forecasts as f64, 0),
        grouped(digest.outliers as f64, 0),
        digest.to_hex()
    ))
}

fn print_reference(
    r: &ReferenceReport,
    input: &str,
    dir: Option<&Path>,
    out: &mut Output,
) -> Result<(), CliError> {
    out.line(format!(
        "sfumato stream run — the single-threaded reference; input {input}"
    ))?;
    print_counts(&r.counts, &r.digest, r.wall_seconds, out)?;
    print_accuracy(&r.accuracy, out)?;
    if let Some(d) = dir {
        out.line(format!("outputs written to {}", d.display()))?;
    }
    Ok(())
}

fn print_dataflow(
    r: &DataflowReport,
    input: &str,
    dir: Option<&Path>,
    out: &mut Output,
) -> Result<(), CliError> {
    out.line(format!(
        "sfumato stream run — timely dataflow, {} worker{} × {} process{}; input {input}",
        r.workers,
        if r.workers == 1 { "" } else { "s" },
        r.processes,
        if r.processes == 1 { "" } else { "es" }
    ))?;
    print_counts(&r.counts, &r.digest, r.wall_seconds, out)?;
    match &r.enclave {
        Some(name) => out.line(format!(
            "sealed with the {name}: {:.1} MB sealed, EPC {:.0} MB per worker, peak state {:.1} MB, pages evicted {} and restored {}",
            r.sealed_bytes as f64 / 1e6,
            r.epc_budget_bytes as f64 / 1048576.0,
            r.peak_state_bytes as f64 / 1e6,
            r.paging.evicted,
            r.paging.restored
        ))?,
        None => out.line(format!(
            "not encrypted (--encrypt seals every edge and evicted state); peak state {:.1} MB",
            r.peak_state_bytes as f64 / 1e6
        ))?,
    }
    if let Some(m) = &r.migration
        && let Some(p) = &m.plan
        && m.houses_moved == 0
    {
        out.line(format!(
            "migration: nothing moved — no house of {}..{} held by another worker had state before epoch {} (is SECONDS within the stream?)",
            p.houses.start, p.houses.end, p.snapshot
        ))?;
    } else if let Some(m) = &r.migration
        && let Some(p) = &m.plan
    {
        out.line(format!(
                "migration: houses {}..{} → worker {} (duplicated from epoch {}, snapshot at {}, switch at {}): houses moved {}, snapshot {:.1} kB, {} duplicates dropped, {} replica outputs compared — {}",
                p.houses.start,
                p.houses.end,
                p.to,
                p.duplicate,
                p.snapshot,
                p.switch,
                m.houses_moved,
                m.snapshot_bytes as f64 / 1e3,
                grouped(m.duplicates_dropped as f64, 0),
                grouped(m.replica_outputs_compared as f64, 0),
                if m.replica_outputs_compared == 0 {
                    "nothing to compare (no events for the range between snapshot and switch)"
                } else if m.agreed {
                    "all equal"
                } else {
                    "DIFFERENT"
                }
            ))?;
    }
    let l = &r.latency;
    out.line(format!(
        "latency per epoch: steady median {:.3} s, p99 {:.3} s (n {}){}",
        l.steady.median,
        l.steady.p99,
        l.steady.epochs,
        if l.migration.epochs > 0 {
            format!(
                "; during the migration median {:.3} s, p99 {:.3} s (n {})",
                l.migration.median, l.migration.p99, l.migration.epochs
            )
        } else {
            String::new()
        }
    ))?;
    print_accuracy(&r.accuracy, out)?;
    if let Some(d) = dir {
        out.line(format!("outputs written to {}", d.display()))?;
    }
    Ok(())
}
