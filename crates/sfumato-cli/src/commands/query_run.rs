//! `sfumato query run`: Tremel's crash-tolerant queries over generated
//! meters in the simulator — each answer beside the truth.

use serde_json::json;
use sfumato_protocol::tremel::{Echo, PartialValue, QuerySpec, Variant};
use sfumato_protocol::{NodeId, Time};
use sfumato_study::tremel::adversary::Attack;
use sfumato_study::tremel::costs::{OnionCosts, measure, measure_byzantine};
use sfumato_study::tremel::data::{MeterRecords, generate};
use sfumato_study::tremel::privacy::Privacy;
use sfumato_study::tremel::{
    Crypto, Deployment, QueryOutcome, QueryStudy, parse_filter, parse_ranges, parse_spec,
    run as run_study,
};
use sfumato_traces::Resolution;

use crate::cli_query::{CostsArg, EchoArg, QueryDeploymentArgs, QueryRunArgs, VariantArg};
use crate::error::CliError;
use crate::output::{Output, grouped, human_bytes};

/// `30m`, `2h`, `20ms`, `1s`, `250us`.
pub(crate) fn long_duration(s: &str) -> Result<Time, CliError> {
    let minutes = |n: &str, scale: u64| {
        n.trim()
            .parse::<u64>()
            .ok()
            .map(|m| Time::from_millis(m.saturating_mul(scale)))
    };
    let t = if let Some(n) = s.strip_suffix('h') {
        minutes(n, 3_600_000)
    } else if let (Some(n), false) = (s.strip_suffix('m'), s.ends_with("ms")) {
        minutes(n, 60_000)
    } else {
        sfumato_sim::parse_duration(s)
    };
    t.ok_or_else(|| CliError::usage(format!("`{s}` is not a duration such as 30m, 20ms or 1s")))
}

/// The deployment, the query and the meters' records of `a`, with the
/// simulator's timing or, `network`, real hosts'.
pub(crate) fn deployment(
    a: &QueryDeploymentArgs,
    crypto: Crypto,
    network: bool,
) -> Result<(Deployment, QuerySpec, MeterRecords), CliError> {
    let ranges = match &a.range {
        Some(r) => parse_ranges(r)?,
        None => Vec::new(),
    };
    let filter = a.filter.as_deref().map(parse_filter).transpose()?;
    let spec = parse_spec(&a.aggregate)?.with(ranges, filter)?;
    let window: Resolution = a.window.parse()?;
    let records = generate(a.meters, window, a.hvac, &a.climate, a.seed)?;
    let mut d = Deployment::new(a.meters, a.seed);
    d.t = a.t;
    d.variant = match a.variant {
        VariantArg::Basic => Variant::Basic,
        VariantArg::HighFailure => Variant::HighFailure,
        VariantArg::Bft => Variant::Byzantine,
    };
    d.privacy = match (&a.epsilon, &a.epsilon_record) {
        (Some(e), rec) => Some(Privacy::new(e, rec.as_deref().unwrap_or(e))?),
        (None, Some(_)) => {
            return Err(CliError::usage("--epsilon-record needs --epsilon"));
        }
        (None, None) => None,
    };
    if d.privacy.is_some() && d.variant != Variant::Byzantine {
        return Err(CliError::usage(
            "--epsilon adds Tremel §6.6's noise, which belongs to --variant bft",
        ));
    }
    d.echo = match a.echo {
        EchoArg::Direct => Echo::Direct,
        EchoArg::Overlay => Echo::Overlay,
    };
    let (round, result, setup) = if network {
        (150, 500, 2000)
    } else {
        (20, 50, 100)
    };
    d.round_length = a.round.unwrap_or(Time::from_millis(round));
    d.level_timeout = a.level_timeout.unwrap_or(d.round_length);
    d.result_timeout = a.result_timeout.unwrap_or(Time::from_millis(result));
    d.setup = a.setup.unwrap_or(Time::from_millis(setup));
    d.crypto = crypto;
    Ok((d, spec, records))
}

/// `NODE@TIME`.
fn crash(s: &str) -> Result<(NodeId, Time), CliError> {
    let bad = || CliError::usage(format!("--crash {s}: expected NODE@TIME, such as 17@350ms"));
    let (node, at) = s.split_once('@').ok_or_else(bad)?;
    let node: u32 = node.trim().parse().map_err(|_| bad())?;
    Ok((NodeId(node), long_duration(at.trim())?))
}

/// Runs the command.
pub(crate) fn run(args: &QueryRunArgs, out: &mut Output) -> Result<(), CliError> {
    crate::commands::store_run::check(args.store.as_ref())?;
    let crypto = if args.insecure_plaintext {
        Crypto::InsecurePlaintext
    } else {
        Crypto::Real
    };
    if args.network
        && (args.insecure_plaintext || args.costs != CostsArg::None || args.workers != 1)
    {
        return Err(CliError::usage(
            "--network runs real onions on real CPUs: --insecure-plaintext, --costs and --workers are the simulator's",
        ));
    }
    let (d, spec, records) = deployment(&args.deployment, crypto, args.network)?;
    let every = match &args.every {
        Some(e) => long_duration(e)?,
        None => Time::from_millis(u64::from(records.window_minutes) * 60_000),
    };
    let crashes = args
        .crash
        .iter()
        .map(|c| crash(c))
        .collect::<Result<Vec<_>, _>>()?;
    let costs = match args.costs {
        CostsArg::None => None,
        CostsArg::Measured => {
            let mut c = measure(&d.formats(records.fields())?, 20)?;
            if d.variant == Variant::Byzantine {
                c.byzantine = Some(measure_byzantine(20)?);
            }
            Some(c)
        }
    };
    let byzantine = args
        .byzantine
        .iter()
        .map(|b| {
            let (name, k) = match b.split_once(':') {
                Some((n, k)) => (
                    n,
                    k.trim().parse::<u32>().map_err(|_| {
                        CliError::usage(format!("--byzantine {b}: K must be a whole number"))
                    })?,
                ),
                None => (b.as_str(), 1),
            };
            Ok((Attack::parse(name)?, k))
        })
        .collect::<Result<Vec<_>, CliError>>()?;
    if args.network && !byzantine.is_empty() {
        return Err(CliError::usage(
            "--byzantine nodes are the simulator's adversaries; over the network every host runs the protocol as written",
        ));
    }
    for (node, _) in &crashes {
        if u64::from(node.0) > args.deployment.meters * 2 {
            return Err(CliError::usage(format!("--crash: no node {}", node.0)));
        }
    }
    if args.network && (!crashes.is_empty() || args.fail > 0) {
        return Err(CliError::usage(
            "--fail and --crash are the simulator's; over the network, kill hosts instead (sfumato net up --kill)",
        ));
    }
    let study = QueryStudy {
        deployment: d,
        spec,
        queries: args.queries,
        every,
        fail_at_start: args.fail,
        crashes,
        costs,
        workers: args.workers as usize,
        byzantine,
    };
    if args.network {
        return crate::commands::query_net::run(args, &study, &records, out);
    }
    let o = run_study(&study, &records)?;
    report(args, &study, &o, costs.as_ref(), out)
}

/// One value of a partial, for humans (sums and bounds in kWh where the
/// field is energy).
fn show(v: &PartialValue) -> String {
    match v {
        PartialValue::Sum(s) => format!("{} kWh", grouped(*s as f64 / 1000.0, 3)),
        PartialValue::Count(c) => c.to_string(),
        PartialValue::Min(m) | PartialValue::Max(m) => {
            m.map_or("-".into(), |x| format!("{} Wh", grouped(x as f64, 0)))
        }
        PartialValue::Histogram(h) => format!("{h:?}"),
    }
}

pub(crate) fn report(
    args: &QueryRunArgs,
    s: &QueryStudy,
    o: &QueryOutcome,
    costs: Option<&OnionCosts>,
    out: &mut Output,
) -> Result<(), CliError> {
    let exact = o
        .rows
        .iter()
        .filter(|r| r.answer.partial.as_ref() == Some(&r.truth_live))
        .count();
    let meters = args.deployment.meters;
    let queries = o.rows.len().max(1) as f64;
    let doc = json!({
            "command": "query run",
            "runtime": if args.network { "network" } else { "simulator" },
            "hosts": if args.network { Some(args.hosts) } else { None },
            "crypto": if o.insecure { "INSECURE plaintext stand-in (simulation only)" } else { "x25519-chacha20poly1305 onions" },
            "insecure": o.insecure,
            "meters": meters,
            "size": o.size,
            "t": o.t,
            "variant": s.deployment.variant.name(),
            "echo": s.deployment.echo.name(),
            "rounds_per_query": o.rounds,
            "round_ms": s.deployment.round_length.as_millis_f64(),
            "failed": o.failed,
            "onion_costs": costs,
            "queries": o.rows.iter().map(|r| json!({
                "window": r.answer.window,
                "answer": r.answer,
                "latency_ms": r.latency().as_millis_f64(),
                "truth_all_meters": r.truth,
                "truth_live_meters": r.truth_live,
                "live_meters": r.live_meters,
                "exact": r.answer.partial.as_ref() == Some(&r.truth_live),
                "noise": r.noise,
            })).collect::<Vec<_>>(),
            "exact_answers": exact,
            "byzantine": o.byzantine,
            "privacy_ledger": o.ledger,
            "traffic": o.traffic,
            "bytes_per_meter_per_query": o.traffic.mean_bytes() / queries,
            "run": o.run,
    });
    let stored = match &args.store {
        Some(path) => Some(crate::commands::store_run::query(path, args, s, o, &doc)?),
        None => None,
    };
    if crate::commands::store_run::announce(out, doc, stored.zip(args.store.as_deref()))? {
        return Ok(());
    }
    out.line(format!(
        "Tremel queries {}: {} protocol, {} echo, {} meters on an overlay of n = {} ({} spare ids), t = {}, {} groups",
        if args.network {
            "over the network"
        } else {
            "in the simulator"
        },
        s.deployment.variant.name(),
        if s.deployment.variant == Variant::Byzantine {
            "no (agreement instead of)"
        } else {
            s.deployment.echo.name()
        },
        meters,
        o.size.size,
        o.size.spare,
        o.t,
        if s.deployment.variant == Variant::Byzantine {
            2 * o.t + 1
        } else {
            o.t + 1
        }
    ))?;
    if s.deployment.variant == Variant::Byzantine {
        out.line(format!(
            "bft: owner blind-signs one tuple per meter ({}), {} agreement rounds, signed messages ({})",
            if o.insecure {
                "INSECURE stand-in hash"
            } else {
                "RSA-2048, RFC 9474"
            },
            o.t + 1,
            if o.insecure {
                "INSECURE stand-in tags"
            } else {
                "Ed25519"
            }
        ))?;
        if !o.byzantine.is_empty() {
            let list: Vec<String> = o
                .byzantine
                .iter()
                .map(|(id, a)| format!("{} ({})", id.0, a.name()))
                .collect();
            out.line(format!("Byzantine nodes: {}", list.join(", ")))?;
        }
        match &o.ledger {
            Some(l) => out.line(format!(
                "privacy: each query spends ε = ε_sum + ε_rec = {} of every household's budget; {} over {} queries (answers are noisy: \"true\" is the clamped truth)",
                l.per_query,
                l.spent,
                l.charges.len()
            ))?,
            None => out.line(
                "no noise (--epsilon not given): exact answers; Byzantine proxies glimpse anonymous raw records (§6.4)",
            )?,
        }
        out.line(format!(
            "honest nodes refused {} messages or tuples and filtered {} out-of-range tuples",
            o.traffic.stats.refused, o.traffic.stats.polluted
        ))?;
    }
    out.line(format!(
        "{} overlay rounds of {} a query; onions: {}",
        o.rounds,
        s.deployment.round_length,
        if o.insecure {
            "INSECURE plaintext stand-in (simulation only: nothing was encrypted)"
        } else {
            "X25519 + ChaCha20-Poly1305, real"
        }
    ))?;
    if !s.spec.ranges.is_empty() || s.spec.filter.is_some() {
        out.line(format!(
            "range clauses {:?}; meters selected by {:?} (count/live counts only meters selected and in range)",
            s.spec.ranges, s.spec.filter
        ))?;
    }
    if let Some(c) = costs {
        out.line(format!(
            "charged CPU: {} per layer sealed, {} per layer peeled (measured now, {}-byte packets)",
            c.seal_layer, c.peel_layer, c.packet_bytes
        ))?;
    }
    if !o.failed.is_empty() {
        out.line(format!("{} nodes failed or crashed", o.failed.len()))?;
    }
    out.line("")?;
    let names: Vec<String> = s
        .spec
        .aggregates
        .iter()
        .map(|a| format!("{a:?}").to_lowercase())
        .collect();
    out.line(format!(
        "{:>6}  {:>10}  {:>11}  {:>8}  {}",
        "window",
        "latency",
        "count/live",
        "groups",
        names.join(" | ")
    ))?;
    for r in &o.rows {
        let values: Vec<String> = match &r.answer.partial {
            Some(p) => {
                p.0.iter()
                    .zip(&r.truth_live.0)
                    .map(|(a, t)| {
                        if a == t {
                            show(a)
                        } else {
                            format!("{} (true {})", show(a), show(t))
                        }
                    })
                    .collect()
            }
            None => vec!["no answer".into()],
        };
        out.line(format!(
            "{:>6}  {:>10}  {:>11}  {:>8}  {}",
            r.answer.window,
            format!("{:.1} ms", r.latency().as_millis_f64()),
            format!("{}/{}", r.answer.count, r.live_meters),
            format!("{}/{}", r.answer.groups_agreeing, r.answer.groups_heard),
            values.join(" | ")
        ))?;
    }
    out.line("")?;
    let short = o
        .rows
        .iter()
        .filter(|r| r.answer.count < r.live_meters)
        .count();
    for r in &o.rows {
        if let Some(n) = &r.noise {
            out.line(format!(
                "window {}: noise {} Wh on field {} (λ_sum = {:.0} Wh, {} unpaired pair terms of λ_rec = {:.0} Wh: expected sd {:.0} Wh)",
                r.answer.window,
                n.observed.map_or("?".into(), |o| o.to_string()),
                n.field,
                n.sum_scale,
                n.unpaired_terms,
                n.record_scale,
                n.expected_sd
            ))?;
        }
    }
    if s.deployment.variant == Variant::Byzantine {
        let agreed = o
            .rows
            .iter()
            .filter(|r| r.answer.groups_agreeing > o.t)
            .count();
        out.line(format!(
            "{agreed} of {} answers sent by at least t + 1 = {} agreeing groups; {exact} equal the clamped truth exactly{}",
            o.rows.len(),
            o.t + 1,
            if o.ledger.is_some() {
                " (answers carry noise)"
            } else {
                " (the others differ by Byzantine meters' values, counted or filtered)"
            }
        ))?;
    } else {
        out.line(format!(
            "{exact} of {} answers equal the live meters' truth exactly{}",
            o.rows.len(),
            match (o.rows.len() - exact, short) {
                (0, _) => String::new(),
                (_, 0) => "; the others also count meters that crashed after sending".to_string(),
                (_, s) => format!("; {s} count fewer than the live meters: values were lost"),
            }
        ))?;
    }
    out.line(format!(
        "sent per meter and query: {} on average{}; {} items relayed; {} multicasts without node-disjoint paths",
        human_bytes((o.traffic.mean_bytes() / queries) as u64),
        if args.network {
            String::new()
        } else {
            format!(", {} at most over the run", human_bytes(o.traffic.max_bytes))
        },
        o.traffic.stats.forwarded,
        o.traffic.stats.overlapping_multicasts
    ))?;
    if args.network {
        return Ok(());
    }
    out.line(format!(
        "simulated with {} worker(s) in {:.1} s, peak memory {}",
        o.run.workers,
        o.run.wall_seconds,
        human_bytes(o.run.peak_memory_bytes)
    ))
}
