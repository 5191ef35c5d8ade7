//! `sfumato sim push-sum` and `sim push-pull`: gossip averaging or
//! summation through the simulator, with the nodes' largest relative error
//! per round.

use serde_json::json;
use sfumato_protocol::gossip::{GossipConfig, Mass, PushPull, PushSum};
use sfumato_protocol::{NodeId, NodeRng, Time};
use sfumato_sim::probes::{ErrorSummary, EstimateError};
use sfumato_sim::{Faults, LatencyModel, Mode, Sample, SimReport, run};

use crate::cli_sim::{AggregateArg, GossipArgs, ModeArg};
use crate::commands::sim_runtime::{config, describe_workers, progress};
use crate::error::CliError;
use crate::output::{Output, human_bytes};

/// Which gossip protocol.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Protocol {
    /// Kempe et al.'s push-sum.
    PushSum,
    /// Jelasity et al.'s push-pull.
    PushPull,
}

impl Protocol {
    fn name(self) -> &'static str {
        match self {
            Protocol::PushSum => "push-sum",
            Protocol::PushPull => "push-pull",
        }
    }
}

/// Node i's value: `(i · 2654435761 mod 1000) / 10`, spread over [0, 100).
pub(crate) fn value(i: u32) -> f64 {
    ((u64::from(i) * 2_654_435_761) % 1000) as f64 / 10.0
}

/// Runs the command.
pub(crate) fn run_gossip(
    protocol: Protocol,
    args: &GossipArgs,
    out: &mut Output,
) -> Result<(), CliError> {
    let n = args.nodes;
    let total: f64 = (0..n).map(value).sum();
    let target = match args.aggregate {
        AggregateArg::Average => total / f64::from(n),
        AggregateArg::Sum => total,
    };
    let sampling = args.peers.sampling(args.view_size);
    let (mode, period) = match args.mode {
        ModeArg::Rounds => (
            Mode::Rounds {
                rounds: u64::from(args.rounds),
                round_length: args.period,
            },
            args.period,
        ),
        ModeArg::Time => {
            if args.period.0 < args.tick.0 {
                return Err(CliError::usage("--period must be at least one --tick"));
            }
            // Room for the last exchanges to land: 2 ms + 4 ms + 6σ, twice.
            let slack = 2 * (6_000 + 6 * args.latency_sd.0);
            (
                Mode::VirtualTime {
                    tick: args.tick,
                    until: Time(args.period.0 * u64::from(args.rounds) + slack),
                    latency: LatencyModel::tremel(args.latency_sd),
                    sample_every: args.period,
                },
                args.period,
            )
        }
    };
    let faults = Faults {
        crash_probability: args.crash,
        crash_period: period,
        churn: args.churn,
        loss: args.loss,
        ..Faults::none()
    };
    let config = config(&args.runtime, n, mode, faults)?;
    let gossip = GossipConfig::new(n, sampling, period, args.rounds)?;
    let aggregate = args.aggregate;
    let initial = move |id: NodeId| Mass {
        s: value(id.0),
        w: match aggregate {
            AggregateArg::Average => 1.0,
            AggregateArg::Sum if id.0 == 0 => 1.0,
            AggregateArg::Sum => 0.0,
        },
    };
    let bar = progress(&args.runtime, protocol.name(), config.mode.last_tick() + 1);
    let callback = bar.as_ref().map(|(_, f)| f.clone());
    let report = match protocol {
        Protocol::PushSum => run(
            &config,
            move |id, rng: &mut NodeRng| PushSum::new(id, initial(id), &gossip, rng),
            EstimateError::new(target, PushSum::estimate as fn(&PushSum) -> Option<f64>),
            callback,
        )?,
        Protocol::PushPull => run(
            &config,
            move |id, rng: &mut NodeRng| PushPull::new(id, initial(id), &gossip, rng),
            EstimateError::new(target, PushPull::estimate as fn(&PushPull) -> Option<f64>),
            callback,
        )?,
    };
    if let Some((bar, _)) = &bar {
        bar.finish();
    }
    let Some(report) = report else {
        eprintln!(
            "process {} finished; process 0 prints the report",
            args.runtime.process.unwrap_or(0)
        );
        return Ok(());
    };
    print(protocol, args, &config, target, &report, out)
}

fn print(
    protocol: Protocol,
    args: &GossipArgs,
    config: &sfumato_sim::SimConfig,
    target: f64,
    report: &SimReport<ErrorSummary, ()>,
    out: &mut Output,
) -> Result<(), CliError> {
    let shown: Vec<&Sample<ErrorSummary>> = report
        .samples
        .iter()
        .enumerate()
        .filter(|(k, _)| (*k as u64).is_multiple_of(args.every) || *k + 1 == report.samples.len())
        .map(|(_, s)| s)
        .collect();
    let m = &report.metrics;
    let mode = match args.mode {
        ModeArg::Rounds => "round",
        ModeArg::Time => "time",
    };
    if out.is_json() {
        let rows: Vec<_> = shown
            .iter()
            .map(|s| {
                json!({
                    "round": s.tick,
                    "time_ms": s.time.as_millis_f64(),
                    "max_relative_error": s.summary.max_relative_error,
                    "live_nodes": s.summary.observed,
                    "without_estimate": s.summary.without_estimate,
                })
            })
            .collect();
        return out.json(&json!({
            "command": format!("sim {}", protocol.name()),
            "nodes": args.nodes,
            "rounds": args.rounds,
            "mode": mode,
            "seed": args.runtime.seed,
            "target": target,
            "samples": rows,
            "metrics": m,
            "run": report.run,
        }));
    }
    out.line(format_args!(
        "{}: {} nodes, {} rounds, {mode} mode, seed {}, {}; target {target:.6}",
        protocol.name(),
        args.nodes,
        args.rounds,
        args.runtime.seed,
        describe_workers(config)
    ))?;
    let unit = if args.mode == ModeArg::Time {
        "time"
    } else {
        "round"
    };
    out.line(format_args!("{unit:>10}  max rel. error  without estimate"))?;
    for s in shown {
        let at = if args.mode == ModeArg::Time {
            format!("{:.0} ms", s.time.as_millis_f64())
        } else {
            s.tick.to_string()
        };
        out.line(format_args!(
            "{at:>10}  {:>14.3e}  {:>16}",
            s.summary.max_relative_error, s.summary.without_estimate
        ))?;
    }
    out.line(format_args!(
        "messages per node: min {}, mean {:.1}, max {}; bytes per node: mean {:.0}",
        m.messages_sent.min, m.messages_sent.mean, m.messages_sent.max, m.bytes_sent.mean
    ))?;
    if m.lost + m.undeliverable + m.crashed + m.dropped_at_crashed > 0 {
        out.line(format_args!(
            "faults: {} lost, {} undeliverable (churn), {} crashed nodes, {} messages to crashed nodes",
            m.lost, m.undeliverable, m.crashed, m.dropped_at_crashed
        ))?;
    }
    out.line(format_args!(
        "simulated time {:.3} s; wall {:.2} s; peak memory {}",
        m.completion_time.as_millis_f64() / 1000.0,
        report.run.wall_seconds,
        human_bytes(report.run.peak_memory_bytes)
    ))
}
