//! `sfumato net cluster`: Chiaroscuro's participants as real hosts on
//! loopback, with real threshold Damgård–Jurik, reported as `cluster run`
//! reports a simulation.

use serde_json::json;
use sfumato_protocol::Time;
use sfumato_sim::RunInfo;
use sfumato_sim::report::Metrics;
use sfumato_study::chiaroscuro::network::{ClusterNetStudy, create, merge};
use sfumato_study::up::{UpOptions, up as bring_up};

use crate::cli_cluster::EncryptionArg;
use crate::cli_net::NetClusterArgs;
use crate::commands::cluster_run::{Simulated, data, plan, report};
use crate::commands::net::{INSECURE, frames_line, temp_dir};
use crate::error::CliError;
use crate::output::{Output, ReportExtra};

/// Runs the command.
pub(crate) fn run(args: &NetClusterArgs, out: &mut Output) -> Result<(), CliError> {
    let r = &args.run;
    if r.encryption == EncryptionArg::InsecurePlaintext {
        return Err(CliError::usage(
            "the network runtime encrypts for real: --encryption insecure-plaintext is the simulator's only",
        ));
    }
    if r.packing || r.short_exponents {
        return Err(CliError::usage(
            "--packing and --short-exponents are not available over the network yet",
        ));
    }
    if r.churn > 0.0 || r.iteration_churn > 0.0 || r.runtime.processes.is_some() {
        return Err(CliError::usage(
            "--churn, --iteration-churn and --processes are the simulator's; a network run has real processes (--hosts)",
        ));
    }
    let d = data(r)?;
    let mut plan = plan(r, &d)?;
    plan.params.period = Time::from_millis(args.period_ms);
    plan.params.validate()?;
    let dir = args.dir.clone().unwrap_or_else(temp_dir);
    let study = ClusterNetStudy {
        name: dir
            .file_name()
            .map_or("sfumato".into(), |n| n.to_string_lossy().into_owned()),
        params: plan.params.clone(),
        committee: plan.committee,
        threshold: plan.threshold,
        key_bits: r.key_bits,
        hosts: args.hosts,
    };
    if !r.runtime.quiet {
        eprintln!(
            "generating and dealing a {}-bit threshold key ({} holders, τ = {})…",
            r.key_bits, plan.committee, plan.threshold
        );
    }
    let dep = create(&dir, &study, &d.set.rows, args.insecure_test_seed)?;
    if !r.runtime.quiet {
        eprintln!(
            "sfumato net cluster: {} participants on {} hosts in {}, {} iterations, about {:.0} s",
            study.params.population,
            study.hosts,
            dep.dir.display(),
            study.params.max_iterations(),
            (args.start_in_ms as f64 + study.end().as_millis_f64()) / 1000.0
        );
    }
    let program = std::env::current_exe()
        .map_err(|e| CliError::Runtime(format!("finding the sfumato binary: {e}")))?;
    let up = bring_up(
        &dep.dir,
        study.hosts,
        study.end(),
        &UpOptions {
            program,
            start_in_ms: args.start_in_ms,
            insecure_test_seed: args.insecure_test_seed,
            audit: false,
            faults: Vec::new(),
        },
    )?;
    let merged = merge(&up.hosts)?;
    let handler_seconds = up.hosts.iter().map(|h| h.facts.handler_micros).sum::<u64>() as f64 / 1e6;
    let counters = up
        .hosts
        .iter()
        .fold(sfumato_net::CounterSnapshot::default(), |a, h| {
            a.merged(&h.facts.counters)
        });
    let insecure = up.hosts.iter().any(|h| h.facts.insecure_test_seed);
    let participants = f64::from(study.params.population);
    let sim = Simulated {
        summary: merged.summary,
        metrics: Metrics::default(),
        run: RunInfo {
            workers: 1,
            processes: study.hosts as usize,
            wall_seconds: up.wall_seconds,
            peak_memory_bytes: 0,
        },
        cpu_seconds: handler_seconds,
        decryptions: merged.decryptions,
    };
    let workers = format!("{} hosts (OS processes) over TLS on loopback", study.hosts);
    let mut lines = vec![
        format!(
            "network: {workers}; gossip periods of {} ms; {} iterations in {:.1} s of wall time",
            args.period_ms,
            sim.summary.iterations.len(),
            up.wall_seconds
        ),
        format!(
            "handlers: {handler_seconds:.1} s of CPU in all, {:.3} s per participant; key holders that refused to decrypt: {}",
            handler_seconds / participants,
            merged.refusals
        ),
        frames_line(&counters),
    ];
    if insecure {
        lines.push(INSECURE.to_string());
    }
    let mut extra = serde_json::Map::new();
    extra.insert("dir".into(), json!(dep.dir));
    extra.insert("hosts".into(), json!(study.hosts));
    extra.insert("period_ms".into(), json!(args.period_ms));
    extra.insert("counters".into(), json!(counters));
    extra.insert("refusals".into(), json!(merged.refusals));
    extra.insert("insecure_test_seed".into(), json!(insecure));
    report(
        r,
        &d,
        &plan,
        &sim,
        up.wall_seconds,
        &workers,
        Some(ReportExtra {
            command: "net cluster",
            json: extra,
            lines,
        }),
        out,
    )
}
