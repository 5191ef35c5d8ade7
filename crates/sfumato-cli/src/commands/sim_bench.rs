//! `sfumato sim bench`: push-sum on the timely runtime with W workers
//! against a plain single-threaded loop over the same nodes, in the same
//! run (issue 5's overhead target: below 1.5× at one worker). Both must
//! produce the same report; the command checks that too.

use serde_json::json;
use sfumato_protocol::gossip::{GossipConfig, Mass, PeerSampling, PushSum};
use sfumato_protocol::{NodeId, NodeRng, Time};
use sfumato_sim::plain::run_plain;
use sfumato_sim::probes::EstimateError;
use sfumato_sim::{SimConfig, run};

use crate::cli_sim::SimBenchArgs;
use crate::commands::sim_gossip::value;
use crate::error::CliError;
use crate::output::{Output, human_bytes};

/// Runs the command.
pub(crate) fn run_bench(args: &SimBenchArgs, out: &mut Output) -> Result<(), CliError> {
    let n = args.nodes;
    let target = (0..n).map(value).sum::<f64>() / f64::from(n);
    let gossip = GossipConfig::new(
        n,
        PeerSampling::Uniform,
        Time::from_millis(1000),
        args.rounds,
    )?;
    let make = move |id: NodeId, rng: &mut NodeRng| {
        PushSum::new(
            id,
            Mass {
                s: value(id.0),
                w: 1.0,
            },
            &gossip,
            rng,
        )
    };
    let probe = EstimateError::new(target, PushSum::estimate as fn(&PushSum) -> Option<f64>);
    let mut config = SimConfig::rounds(args.seed, n, u64::from(args.rounds));
    let messages = f64::from(n) * f64::from(args.rounds);
    let mut rows = Vec::new();
    let plain = if args.no_plain {
        None
    } else {
        let r = run_plain(&config, make, probe)?;
        rows.push((
            "plain loop".to_string(),
            r.run.wall_seconds,
            r.run.peak_memory_bytes,
        ));
        Some(r)
    };
    let mut agree = true;
    let mut one_worker = None;
    for &w in &args.workers {
        config.workers = w as usize;
        let Some(r) = run(&config, make, probe, None)? else {
            continue;
        };
        if let Some(p) = &plain {
            agree &= r.same_outcome(p);
        }
        if w == 1 {
            one_worker = Some(r.run.wall_seconds);
        }
        rows.push((
            format!("timely, {w} worker{}", if w == 1 { "" } else { "s" }),
            r.run.wall_seconds,
            r.run.peak_memory_bytes,
        ));
    }
    let overhead = match (&plain, one_worker) {
        (Some(p), Some(t)) => Some(t / p.run.wall_seconds),
        _ => None,
    };
    if out.is_json() {
        let runs: Vec<_> = rows
            .iter()
            .map(|(what, secs, mem)| json!({ "runner": what, "wall_seconds": secs, "messages_per_second": messages / secs, "peak_memory_bytes": mem }))
            .collect();
        return out.json(&json!({
            "command": "sim bench",
            "nodes": n,
            "rounds": args.rounds,
            "runs": runs,
            "overhead_at_one_worker": overhead,
            "same_outcome_as_plain_loop": plain.as_ref().map(|_| agree),
        }));
    }
    out.line(format_args!(
        "push-sum, {n} nodes × {} rounds (round mode, uniform peers)",
        args.rounds
    ))?;
    out.line(format!(
        "{:<20} {:>10} {:>16} {:>12}",
        "runner", "wall (s)", "messages/s", "peak memory"
    ))?;
    for (what, secs, mem) in &rows {
        out.line(format_args!(
            "{what:<20} {secs:>10.2} {:>16.0} {:>12}",
            messages / secs,
            human_bytes(*mem)
        ))?;
    }
    if let Some(o) = overhead {
        out.line(format_args!(
            "overhead of the runtime at 1 worker: {o:.2}× the plain loop"
        ))?;
    }
    if plain.is_some() {
        out.line(if agree {
            "every run produced the plain loop's report exactly"
        } else {
            "MISMATCH: a run's report differs from the plain loop's"
        })?;
    }
    Ok(())
}
