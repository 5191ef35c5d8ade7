//! `sfumato sim broadcast`: how many rounds a value takes to reach every
//! live node, on Tremel's deterministic overlay (flooding, Tremel §4.2) or
//! by random push gossip, with a fraction of the nodes failed (Tremel
//! Fig. 8).

use serde_json::json;
use sfumato_overlay::{DeterministicOverlay, SizePlan};
use sfumato_protocol::gossip::{
    Candidate, Dissemination, FloodMessage, GossipConfig, MinIdEpidemic, OverlayFlood, PeerSampling,
};
use sfumato_protocol::{NodeId, NodeRng, Time};
use sfumato_sim::probes::{CountSummary, CountWhere};
use sfumato_sim::{Faults, Mode, SimReport};

use crate::cli_sim::{BroadcastArgs, OverlayArg};
use crate::commands::sim_runtime::{config, describe_workers, progress};
use crate::error::CliError;
use crate::output::{Output, human_bytes};

/// The broadcast payload.
const PAYLOAD: u64 = 42;

/// One simulated round.
const ROUND: Time = Time::from_millis(1000);

/// Runs the command.
pub(crate) fn run(args: &BroadcastArgs, out: &mut Output) -> Result<(), CliError> {
    let rounds = args.max_rounds;
    let mode = Mode::Rounds {
        rounds: u64::from(rounds),
        round_length: ROUND,
    };
    let source = NodeId(0);
    let mut faults = Faults {
        failed_at_start: args.fail,
        spared: vec![source],
        ..Faults::none()
    };
    let bar = progress(&args.runtime, "broadcast", u64::from(rounds));
    let callback = bar.as_ref().map(|(_, f)| f.clone());
    let (population, spares, ttl, report) = match args.overlay {
        OverlayArg::Deterministic => {
            let plan = SizePlan::for_population(u64::from(args.nodes))?;
            let size = u32::try_from(plan.size)
                .map_err(|_| CliError::usage(format!("overlay size {} is too large", plan.size)))?;
            let overlay = DeterministicOverlay::new(plan.size)?;
            // Spare ids of the rounded-up overlay are failed nodes.
            faults.crashes = (args.nodes..size)
                .map(|id| (NodeId(id), Time::ZERO))
                .collect();
            let t = args.tolerate.unwrap_or(rounds);
            let ttl = OverlayFlood::initial_ttl(&overlay, t);
            let config = config(&args.runtime, size, mode, faults)?;
            let report = sfumato_sim::run(
                &config,
                move |id, _rng: &mut NodeRng| {
                    let start = (id == source).then_some(FloodMessage {
                        ttl,
                        payload: PAYLOAD,
                    });
                    OverlayFlood::new(overlay.clone(), ROUND, start)
                },
                CountWhere(|n: &OverlayFlood| n.informed_at().is_some()),
                callback,
            )?;
            (
                size,
                size - args.nodes,
                Some(ttl),
                report.map(|r| (config, r)),
            )
        }
        OverlayArg::Random => {
            let gossip = GossipConfig::new(args.nodes, PeerSampling::Uniform, ROUND, rounds)?;
            let config = config(&args.runtime, args.nodes, mode, faults)?;
            let report = sfumato_sim::run(
                &config,
                move |id, rng: &mut NodeRng| {
                    let proposal = (id == source).then_some(Candidate {
                        id: 0,
                        value: PAYLOAD,
                    });
                    MinIdEpidemic::new(id, proposal, Dissemination::Push, &gossip, rng)
                },
                CountWhere(|n: &MinIdEpidemic<u64>| n.informed_at().is_some()),
                callback,
            )?;
            (args.nodes, 0, None, report.map(|r| (config, r)))
        }
    };
    if let Some((bar, _)) = &bar {
        bar.finish();
    }
    let Some((config, report)) = report else {
        eprintln!(
            "process {} finished; process 0 prints the report",
            args.runtime.process.unwrap_or(0)
        );
        return Ok(());
    };
    print(args, &config, population, spares, ttl, &report, out)
}

/// The first round after which every live node has the value.
fn rounds_to_all(report: &SimReport<CountSummary, ()>) -> Option<u64> {
    report
        .samples
        .iter()
        .find(|s| s.summary.matching == s.summary.observed)
        .map(|s| s.tick)
}

fn print(
    args: &BroadcastArgs,
    config: &sfumato_sim::SimConfig,
    population: u32,
    spares: u32,
    ttl: Option<u32>,
    report: &SimReport<CountSummary, ()>,
    out: &mut Output,
) -> Result<(), CliError> {
    let done = rounds_to_all(report);
    let last = done.unwrap_or(u64::MAX);
    let rows: Vec<_> = report.samples.iter().filter(|s| s.tick <= last).collect();
    let m = &report.metrics;
    let overlay = match args.overlay {
        OverlayArg::Deterministic => "deterministic",
        OverlayArg::Random => "random",
    };
    let live = report.samples.first().map_or(0, |s| s.summary.observed);
    if out.is_json() {
        let per_round: Vec<_> = rows
            .iter()
            .map(|s| json!({ "round": s.tick, "informed": s.summary.matching, "live": s.summary.observed }))
            .collect();
        return out.json(&json!({
            "command": "sim broadcast",
            "overlay": overlay,
            "nodes": args.nodes,
            "overlay_size": population,
            "spare_ids": spares,
            "fail": args.fail,
            "seed": args.runtime.seed,
            "ttl": ttl,
            "live_nodes": live,
            "rounds_to_all_live": done,
            "per_round": per_round,
            "metrics": m,
            "run": report.run,
        }));
    }
    out.line(format_args!(
        "broadcast on the {overlay} overlay: {} nodes{}, failure probability {}, seed {}, {}",
        args.nodes,
        if spares > 0 {
            format!(" (overlay of {population}: {spares} spare ids treated as failed)")
        } else {
            String::new()
        },
        args.fail,
        args.runtime.seed,
        describe_workers(config)
    ))?;
    if let Some(ttl) = ttl {
        out.line(format_args!("flood TTL {ttl}"))?;
    }
    out.line("round  informed live nodes")?;
    for s in &rows {
        out.line(format_args!(
            "{:>5}  {:>10} / {} ({:.1}%)",
            s.tick,
            s.summary.matching,
            s.summary.observed,
            100.0 * s.summary.matching as f64 / s.summary.observed.max(1) as f64
        ))?;
    }
    match done {
        Some(r) => out.line(format_args!(
            "every live node ({live}) had the value after round {r}"
        ))?,
        None => out.line(format_args!(
            "not every live node had the value within {} rounds",
            args.max_rounds
        ))?,
    }
    out.line(format_args!(
        "messages per node: min {}, mean {:.1}, max {}; wall {:.2} s; peak memory {}",
        m.messages_sent.min,
        m.messages_sent.mean,
        m.messages_sent.max,
        report.run.wall_seconds,
        human_bytes(report.run.peak_memory_bytes)
    ))
}
