//! `sfumato query experiment`: Tremel §7.3's figures, with the paper's
//! values or shape beside ours.

use serde_json::json;
use sfumato_protocol::tremel::{Echo, PartialValue, Variant};
use sfumato_study::tremel::Crypto;
use sfumato_study::tremel::experiment::{
    ScalePoint, ScaleSetup, figure5, onion_costs, scale_point,
};

use crate::cli_query::{FigureArg, QueryExperimentArgs};
use crate::error::CliError;
use crate::output::{Output, grouped, human_bytes};

/// Runs the command.
pub(crate) fn run(args: &QueryExperimentArgs, out: &mut Output) -> Result<(), CliError> {
    match args.figure {
        FigureArg::Five => fig5(args, out),
        FigureArg::Six | FigureArg::Seven => fig67(args, out),
        FigureArg::HighFailure => high_failure(args, out),
    }
}

fn kwh(v: Option<&PartialValue>) -> f64 {
    match v {
        Some(PartialValue::Sum(s)) => *s as f64 / 1000.0,
        _ => f64::NAN,
    }
}

fn fig5(args: &QueryExperimentArgs, out: &mut Output) -> Result<(), CliError> {
    let crypto = if args.real_onions {
        Crypto::Real
    } else {
        Crypto::InsecurePlaintext
    };
    let (_, o) = figure5(args.seed, crypto, args.workers as usize)?;
    let exact = o
        .rows
        .iter()
        .filter(|r| r.answer.partial.as_ref() == Some(&r.truth))
        .count();
    if out.is_json() {
        return out.json(&json!({
            "command": "query experiment",
            "figure": "5",
            "insecure": o.insecure,
            "meters": 1019,
            "t": o.t,
            "rows": o.rows,
            "exact_windows": exact,
            "traffic": o.traffic,
            "run": o.run,
        }));
    }
    out.line(
        "Tremel Fig. 5: 1,019 meters with air conditioners and furnace fans (a US summer weekday),",
    )?;
    out.line(format!(
        "a query every half hour for the energy since the last one, total and DSM (heating and cooling); t = {}",
        o.t
    ))?;
    out.line(format!(
        "onions: {}",
        if o.insecure {
            "INSECURE plaintext stand-in (same routes and answers; --real-onions for X25519)"
        } else {
            "X25519 + ChaCha20-Poly1305"
        }
    ))?;
    out.line("")?;
    out.line(format!(
        "{:>5}  {:>14}  {:>14}  {:>12}  {:>12}  {:>6}",
        "time", "true kWh", "query kWh", "true DSM", "query DSM", "count"
    ))?;
    for r in &o.rows {
        let p = r.answer.partial.as_ref();
        let w = r.answer.window;
        out.line(format!(
            "{:02}:{:02}  {:>14}  {:>14}  {:>12}  {:>12}  {:>6}",
            w / 2,
            (w % 2) * 30,
            grouped(kwh(r.truth.0.first()), 3),
            grouped(kwh(p.and_then(|p| p.0.first())), 3),
            grouped(kwh(r.truth.0.get(1)), 3),
            grouped(kwh(p.and_then(|p| p.0.get(1))), 3),
            r.answer.count
        ))?;
    }
    out.line("")?;
    out.line(format!(
        "ours:  {exact} of {} half-hours answered exactly (the query equals the meters' true total and DSM energy)",
        o.rows.len()
    ))?;
    out.line("paper: the bars (query results, shiftable and not) meet the black line (true consumption) in every half-hour")
}

fn row(p: &ScalePoint) -> String {
    format!(
        "{:>8}  {:>8}  {:>3}  {:>6}  {:>8}  {:>11}  {:>9}  {:>12}  {:>9}  {:>11}  {:>6.1} s  {:>8}  {:>7.0}  {:>5}",
        p.meters,
        p.n,
        p.t,
        p.failed,
        match (p.variant, p.echo) {
            (Variant::Byzantine, _) => "bft",
            (_, Echo::Direct) => "direct",
            (_, Echo::Overlay) => "overlay",
        },
        format!("{:.0} ms", p.latency.as_millis_f64()),
        human_bytes(p.bytes_per_meter as u64),
        format!("{:.0}", p.items_per_meter),
        format!("{:.0} ms", p.cpu_per_meter.as_millis_f64()),
        format!("{}/{}", p.count, p.live),
        p.wall_seconds,
        human_bytes(p.peak_memory_bytes),
        p.public_key_ops_per_meter,
        p.log2_n_squared
    )
}

fn fig67(args: &QueryExperimentArgs, out: &mut Output) -> Result<(), CliError> {
    let mut points = Vec::new();
    let mut costs = None;
    for &meters in &args.sizes {
        if !(11..=20_000_000).contains(&meters) {
            return Err(CliError::usage(format!(
                "--sizes: {meters} is not 11 to 20,000,000"
            )));
        }
        let runs: &[(Variant, Echo)] = if args.bft {
            &[(Variant::Byzantine, Echo::Direct)]
        } else {
            &[
                (Variant::Basic, Echo::Overlay),
                (Variant::Basic, Echo::Direct),
            ]
        };
        for &(variant, echo) in runs {
            let setup = ScaleSetup {
                variant,
                echo,
                t: None,
                fail_share: None,
                round: args.round,
                seed: args.seed,
                workers: args.workers as usize,
                charge_costs: true,
            };
            let c = onion_costs(meters, &setup)?;
            costs.get_or_insert(c);
            for failures in [false, true] {
                points.push(scale_point(meters, failures, &setup, &c)?);
            }
        }
    }
    if out.is_json() {
        return out.json(&json!({
            "command": "query experiment",
            "figure": if args.figure == FigureArg::Six { "6" } else { "7" },
            "round_ms": args.round.as_millis_f64(),
            "onion_costs": costs,
            "points": points,
        }));
    }
    out.line(format!(
        "Tremel Figs. 6 and 7: one query (sum, count), t = ⌈log₂ n⌉, without and with t nodes failed from the start; {} rounds",
        args.round
    ))?;
    if let Some(c) = &costs {
        out.line(format!(
            "CPU charged from measurements on this machine: {} per onion layer sealed, {} peeled ({}-byte packets); onions are the stand-in, so the simulation scales",
            c.seal_layer, c.peel_layer, c.packet_bytes
        ))?;
        if let Some(b) = &c.byzantine {
            out.line(format!(
                "bft: Ed25519 {} to sign, {} to verify; RSA-2048 blind signature {} at the owner, {} to check, {} to blind and unblind; X25519 pair key {} (the simulation runs the INSECURE stand-ins and charges these measured costs)",
                b.sign, b.verify, b.owner_sign, b.tuple_verify, b.blind, b.pair_key
            ))?;
        }
    }
    out.line(
        "echo 'overlay' is the paper's protocol; 'direct' is sfumato's default (docs/tremel.md)",
    )?;
    out.line("")?;
    out.line(format!(
        "{:>8}  {:>8}  {:>3}  {:>6}  {:>8}  {:>11}  {:>9}  {:>12}  {:>9}  {:>11}  {:>8}  {:>8}  {:>7}  {:>5}",
        "meters",
        "n",
        "t",
        "failed",
        "echo",
        "latency",
        "sent",
        "items (1 kB)",
        "onion CPU",
        "count/live",
        "wall",
        "memory",
        "pk ops",
        "log²n"
    ))?;
    for p in &points {
        out.line(row(p))?;
    }
    out.line("")?;
    out.line("paper, Fig. 6: queries complete in a few seconds even for large networks; failures, and their timeouts,")?;
    out.line("       cost far more time than size (its rounds wait for late partners; ours run on a shared clock)")?;
    out.line("paper, Fig. 7: data per meter grows with t = ⌈log₂ n⌉, only logarithmically, at 1 kB a tuple message;")?;
    out.line("       failures slightly lower it (failed meters contribute nothing)")?;
    out.line("pk ops: public-key operations per meter (onion layers, signatures, checks); Tremel §7.1: O(log² n)")
}

fn high_failure(args: &QueryExperimentArgs, out: &mut Output) -> Result<(), CliError> {
    let meters = 797;
    let setup = ScaleSetup {
        variant: Variant::HighFailure,
        echo: Echo::Direct,
        t: Some(80),
        fail_share: Some(0.1),
        round: args.round,
        seed: args.seed,
        workers: args.workers as usize,
        // Every node tries to open every flood: charged, the nodes fall
        // seconds behind the rounds; the CPU is reported instead.
        charge_costs: false,
    };
    let costs = onion_costs(meters, &setup)?;
    let points = [
        scale_point(meters, false, &setup, &costs)?,
        scale_point(meters, true, &setup, &costs)?,
    ];
    if out.is_json() {
        return out.json(&json!({
            "command": "query experiment",
            "figure": "high-failure",
            "round_ms": args.round.as_millis_f64(),
            "onion_costs": costs,
            "points": points,
            "paper_seconds": [1.3, 8.1],
        }));
    }
    out.line(format!(
        "Tremel §7.3, high-failure protocol (Scatter/Gather by flooding): 797 meters, t = 80 (0.1 n), {} rounds",
        args.round
    ))?;
    out.line(format!(
        "CPU not charged (reported): {} per layer sealed, {} per layer peeled or tried; every node tries every flooded onion",
        costs.seal_layer, costs.peel_layer
    ))?;
    out.line("")?;
    for (p, paper) in points.iter().zip(["1.3 s", "8.1 s"]) {
        out.line(format!(
            "{:>3} failed: query in {:.2} s (paper {paper}); {} sent per meter, {:.0} items; {}/{} counted; onion CPU {:.1} s per meter; simulated in {:.0} s, {}",
            p.failed,
            p.latency.as_millis_f64() / 1000.0,
            human_bytes(p.bytes_per_meter as u64),
            p.items_per_meter,
            p.count,
            p.live,
            p.cpu_per_meter.as_millis_f64() / 1000.0,
            p.wall_seconds,
            human_bytes(p.peak_memory_bytes)
        ))?;
    }
    out.line(format!(
        "the paper's rounds wait for the partner's message (2–10 ms links); ours are {} on a shared clock: {} rounds",
        args.round,
        points.first().map_or(0.0, |p| (p.latency.as_millis_f64() - 100.0) / args.round.as_millis_f64()).round()
    ))
}
