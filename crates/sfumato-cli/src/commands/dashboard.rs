//! `sfumato dashboard`: serves a results store's runs in a browser
//! (`sfumato_web`); with no store, records the Chiaroscuro demonstrator's
//! scenarios first (paper 003: 600 participants, NUMED-like and CER-like
//! series, ε × smoothing × strategy), with a DREAM and a Tremel run, so
//! that one command shows something real.

use std::path::{Path, PathBuf};

use clap::Parser;
use sfumato_results::{Store, TimingRecord, TrafficRecord};

use crate::cli::Cli;
use crate::cli_results::DashboardArgs;
use crate::commands::cluster_costs::{UnitCostsArgs, UnitMeans, unit_means};
use crate::error::CliError;
use crate::output::Output;

/// The demo's cluster scenarios: data, ε, strategy, smoothing window. Six
/// iterations each, with the stop rule off, so that the slider shows the
/// noise taking over as the budget thins.
const SCENARIOS: [(&str, &str, &str, &str); 8] = [
    ("numed", "0.69", "greedy", "0.2"),
    ("numed", "0.69", "uniform-fast", "0"),
    ("numed", "3", "greedy", "0.2"),
    ("numed", "3", "uniform-fast", "0"),
    ("cer", "0.69", "greedy", "0.2"),
    ("cer", "0.69", "uniform-fast", "0"),
    ("cer", "3", "greedy", "0.2"),
    ("cer", "3", "uniform-fast", "0"),
];

/// Runs one `sfumato …` command line in this process, its output
/// discarded.
fn run_quietly(args: &[String]) -> Result<(), CliError> {
    let cli =
        Cli::try_parse_from(std::iter::once("sfumato".to_string()).chain(args.iter().cloned()))
            .map_err(|e| CliError::usage(e.to_string()))?;
    let mut sink = Output::sink();
    crate::commands::run(&cli.command, &mut sink)
}

/// Records the demo's scenarios into `path` (a new store), saying what it
/// does on stderr.
pub(crate) fn record_defaults(path: &Path, key_sizes: &[u32]) -> Result<(), CliError> {
    if path.exists() {
        return Err(CliError::usage(format!(
            "{} exists: give it with --store, or choose another --record-to",
            path.display()
        )));
    }
    let store = path.display().to_string();
    for (i, (data, eps, strategy, smoothing)) in SCENARIOS.iter().enumerate() {
        eprintln!(
            "recording scenario {}/{}: {data}, ε = {eps}, {strategy}, smoothing {smoothing}",
            i + 1,
            SCENARIOS.len()
        );
        let args: Vec<String> = [
            "cluster",
            "run",
            "--synthetic",
            data,
            "--participants",
            "600",
            "--k",
            "10",
            "--epsilon",
            eps,
            "--strategy",
            strategy,
            "--smoothing",
            smoothing,
            "--iterations",
            "6",
            "--stop-noise",
            "off",
            "--encryption",
            "insecure-plaintext",
            "--seed",
            "1",
            "--quiet",
            "--store",
            &store,
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        run_quietly(&args)?;
    }
    eprintln!("recording a DREAM run and a Tremel run");
    run_quietly(
        &[
            "dream",
            "run",
            "--households",
            "200",
            "--cluster-size",
            "50",
            "--tolerate",
            "5",
            "--epsilon",
            "1",
            "--slots",
            "48",
            "--store",
            &store,
        ]
        .map(String::from),
    )?;
    run_quietly(
        &[
            "query",
            "run",
            "--meters",
            "101",
            "--queries",
            "4",
            "--every",
            "30m",
            "--hvac",
            "--insecure-plaintext",
            "--store",
            &store,
        ]
        .map(String::from),
    )?;
    measure_timings(path, key_sizes)
}

/// Measures threshold Damgård–Jurik's operations on one set of 10 means
/// of 24 values at each key size (as `cluster costs --figure 5` does), and
/// gives every cluster run of the store, per key size:
///
/// * the measured unit times (`… one set of 10 means`, iteration 0);
/// * per iteration, each participant's time to **encrypt** its set, to
///   **add** the sets of its epidemic-sum exchanges, and its share of the
///   key holders' partial **decryptions**: the measured time per value
///   times the values of that iteration's set (`centroids × (n + 1)`), times
///   the exchanges per participant and iteration the run counted, or times
///   committee / participants (not measured end to end: `measured` false);
/// * the traffic per participant had the run's sets been encrypted: its
///   bytes with each value's 8 bytes replaced by a ciphertext's (estimated).
fn measure_timings(path: &Path, key_sizes: &[u32]) -> Result<(), CliError> {
    let mut units = Vec::new();
    for &bits in key_sizes {
        eprintln!(
            "measuring encryption, sums and decryption with {bits}-bit keys{}",
            if bits >= 2048 {
                " (generating the key takes a minute or two)"
            } else {
                ""
            }
        );
        units.push((
            bits,
            unit_means(&UnitCostsArgs {
                means: 10,
                measures: 24,
                key_bits: bits,
                committee: 10,
                threshold: 3,
                repeat: 3,
                seed: 1,
                threads: 1,
            })?,
        ));
    }
    let mut store = Store::open(path)?;
    let ids: Vec<i64> = store
        .runs()?
        .into_iter()
        .filter(|r| r.kind == sfumato_results::Kind::Cluster)
        .map(|r| r.id)
        .collect();
    for id in ids {
        let report = store.run(id)?.run.report;
        let (timings, traffic) = per_iteration(&report, &units);
        store.add_figures(id, &timings, &traffic)?;
    }
    Ok(())
}

/// The timings and traffic of a cluster run's `report` at each measured
/// key size (see [`measure_timings`]).
fn per_iteration(
    report: &serde_json::Value,
    units: &[(u32, UnitMeans)],
) -> (Vec<TimingRecord>, Vec<TrafficRecord>) {
    let num = |v: &serde_json::Value| v.as_f64().unwrap_or(0.0);
    let participants = num(&report["participants"]).max(1.0);
    let length = num(&report["length"]);
    let committee = num(&report["committee"]);
    let rows = report["iterations"].as_array().cloned().unwrap_or_default();
    let n_it = rows.len().max(1) as f64;
    let exchanges = num(&report["exchanges"]["sum_exchanges"]) / participants / n_it;
    let mut timings = Vec::new();
    let mut traffic = Vec::new();
    for (bits, u) in units {
        let per_value = |op: &str| {
            u.ops
                .iter()
                .find(|(k, _)| *k == op)
                .map_or(0.0, |(_, s)| s * 1e6 / u.values.max(1) as f64)
        };
        for (op, s) in &u.ops {
            timings.push(TimingRecord {
                operation: format!("{op} (one set of 10 means)"),
                key_bits: *bits,
                iteration: 0,
                micros_per_participant: s * 1e6,
                measured: true,
            });
        }
        for row in &rows {
            let it = num(&row["iteration"]) as u32 + 1;
            let values = num(&row["centroids_in"]) * (length + 1.0);
            for (op, micros) in [
                ("encrypt", per_value("encrypt") * values),
                ("add", per_value("add") * values * exchanges),
                (
                    "decrypt",
                    per_value("partial_decrypt") * values * committee / participants,
                ),
            ] {
                timings.push(TimingRecord {
                    operation: op.to_string(),
                    key_bits: *bits,
                    iteration: it,
                    micros_per_participant: micros,
                    measured: false,
                });
            }
        }
        let ratio = u.set_fixed_bytes as f64 / u.plaintext_set_bytes.max(1) as f64;
        traffic.push(TrafficRecord {
            key_bits: *bits,
            bytes_per_participant: num(&report["bytes_per_participant"]) * ratio,
            messages_per_participant: num(&report["messages_per_participant"]),
        });
    }
    (timings, traffic)
}

/// Runs the command.
pub(crate) fn run(args: &DashboardArgs, out: &mut Output) -> Result<(), CliError> {
    let store: PathBuf = match &args.store {
        Some(p) => p.clone(),
        None => {
            let path = args.record_to.clone().unwrap_or_else(|| {
                std::env::temp_dir()
                    .join(format!("sfumato-dashboard-{}.sqlite", std::process::id()))
            });
            record_defaults(&path, &args.key_sizes)?;
            out.line(format!(
                "recorded the demo's scenarios in {}",
                path.display()
            ))?;
            path
        }
    };
    // A bad store fails here, not on the first page.
    let runs = Store::open_read_only(&store)?.runs()?;
    if args.record_only {
        return out.line(format!("{} runs in {}", runs.len(), store.display()));
    }
    if !args.addr.ip().is_loopback() {
        eprintln!(
            "warning: serving on {}, beyond this machine: the dashboard has no authentication",
            args.addr
        );
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| CliError::Runtime(format!("cannot start the server: {e}")))?;
    let name = store.display().to_string();
    let count = runs.len();
    rt.block_on(sfumato_web::serve(args.addr, store, move |addr| {
        use std::io::Write;
        println!("dashboard: http://{addr}/ ({count} runs from {name}); Ctrl-C stops it");
        let _ = std::io::stdout().flush();
    }))
    .map_err(|e| CliError::usage(format!("cannot serve on {}: {e}", args.addr)))
}
