//! `sfumato dream experiment`: DREAM §7 on generated traces (3,000
//! households, 10-minute slots, λ(t) = max_i X_t^i, ε = 1 per slot as the
//! paper assumes), with the paper's values printed beside ours.
//!
//! * Table 1 — the error μ = E|noise| / (X_t + 1) averaged over the slots
//!   of a cluster, then mean and deviation over random clusters. With N
//!   meters adding shares calibrated for N − M parties the noise is a
//!   difference of two Gamma(N/(N − M), λ) variables, whose expected
//!   absolute value is 2λ / B(1/2, 1/(1 − α)) (DREAM Thm. 2, which holds
//!   with equality here), so μ(t) is exact, not sampled — as in the paper.
//! * Table 2 — a household's ε_s: the sum of ε(t) = X_t / λ(t) over s
//!   consecutive slots (§7.3), for its worst window of the day, then mean
//!   and deviation over households, for a random partition into clusters
//!   of N.
//! * Table 3 — the same per appliance (N = 100), over the households that
//!   own it.
//! * Figure 2 — one household's readings and its noisy readings X_t plus
//!   one gamma share G₁(N, λ) − G₂(N, λ), N = 100.

use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use serde_json::json;
use sfumato_dp::error_metric::{ErrorSummary, theorem2_bounds};
use sfumato_dp::exact::uniform_below;
use sfumato_dp::{GammaShare, NoiseSampler};
use sfumato_traces::Resolution;

use crate::cli_dream::{DreamExperimentArgs, TableArg};
use crate::error::CliError;
use crate::output::Output;
use sfumato_study::dream::data::{Households, generate};
use sfumato_study::dream::random_clusters;

const SIZES: [usize; 5] = [100, 300, 500, 800, 1000];
const ALPHAS: [f64; 4] = [0.0, 0.1, 0.3, 0.5];
const WINDOWS: [usize; 4] = [3, 24, 48, 144];

/// DREAM Table 1: (mean, dev) by N (rows) and α (columns).
const PAPER_TABLE1: [[(f64, f64); 4]; 5] = [
    [
        (0.118, 0.021),
        (0.135, 0.023),
        (0.150, 0.026),
        (0.177, 0.032),
    ],
    [
        (0.047, 0.004),
        (0.050, 0.005),
        (0.054, 0.006),
        (0.070, 0.007),
    ],
    [
        (0.029, 0.002),
        (0.031, 0.002),
        (0.036, 0.002),
        (0.044, 0.003),
    ],
    [
        (0.019, 0.001),
        (0.020, 0.001),
        (0.023, 0.001),
        (0.028, 0.001),
    ],
    [
        (0.015, 0.0008),
        (0.016, 0.0008),
        (0.019, 0.001),
        (0.023, 0.001),
    ],
];

/// DREAM Table 2: (mean, dev) by N (rows) and s (columns).
const PAPER_TABLE2: [[(f64, f64); 4]; 5] = [
    [(2.34, 0.40), (9.05, 2.59), (14.18, 3.94), (26.24, 4.52)],
    [(2.02, 0.44), (7.60, 2.69), (11.81, 4.14), (20.95, 4.62)],
    [(1.87, 0.45), (7.04, 2.76), (10.90, 4.25), (19.01, 4.85)],
    [(1.76, 0.45), (6.64, 2.79), (10.27, 4.34), (17.56, 5.10)],
    [(1.67, 0.47), (6.35, 2.87), (9.83, 4.47), (16.55, 5.40)],
];

/// DREAM Table 3 rows: the paper's name, our appliances summed into it,
/// and its (mean, dev) for s = 3, 24, 48, 144.
/// (mean, dev) for s = 3, 24, 48, 144.
type Row4 = [(f64, f64); 4];

const PAPER_TABLE3: [(&str, &[&str], Row4); 11] = [
    (
        "Lighting",
        &["lighting"],
        [(0.91, 1.28), (2.68, 1.82), (3.63, 2.29), (4.89, 2.97)],
    ),
    (
        "Cassette / CD player",
        &["cd_player"],
        [(0.02, 0.04), (0.05, 0.05), (0.07, 0.05), (0.09, 0.07)],
    ),
    (
        "Vacuum",
        &["vacuum"],
        [(1.67, 7.59), (1.82, 7.58), (1.90, 7.60), (1.94, 7.63)],
    ),
    (
        "Personal computer",
        &["desktop_pc"],
        [(0.21, 0.32), (0.83, 0.49), (1.09, 0.58), (1.42, 0.83)],
    ),
    (
        "TV",
        &["tv_1", "tv_2", "tv_3"],
        [(0.15, 0.47), (0.37, 0.52), (0.45, 0.58), (0.50, 0.63)],
    ),
    (
        "Microwave",
        &["microwave"],
        [(1.13, 4.23), (1.26, 4.24), (1.29, 4.27), (1.31, 4.29)],
    ),
    (
        "Kettle",
        &["kettle"],
        [(0.55, 2.71), (0.72, 2.73), (0.83, 2.76), (1.02, 2.79)],
    ),
    (
        "Washing machine",
        &["washing_machine"],
        [(1.23, 1.43), (1.96, 1.63), (2.55, 1.76), (3.07, 2.07)],
    ),
    (
        "DESWH",
        &["storage_water_heater"],
        [(3.34, 14.01), (6.13, 14.06), (7.83, 14.23), (10.85, 14.57)],
    ),
    (
        "Storage heaters",
        &["storage_heaters"],
        [(3.22, 0.32), (20.20, 1.99), (30.45, 4.23), (30.45, 4.23)],
    ),
    (
        "Refrigerator",
        &["refrigerator"],
        [(0.44, 0.22), (1.06, 0.49), (1.40, 0.64), (1.92, 0.80)],
    ),
];

/// Runs the command.
pub(crate) fn run(args: &DreamExperimentArgs, out: &mut Output) -> Result<(), CliError> {
    let h = generate(args.households, "10m".parse::<Resolution>()?, args.seed)?;
    match args.table {
        TableArg::One => table1(args, &h, out),
        TableArg::Two => table2(args, &h, out),
        TableArg::Three => table3(args, &h, out),
        TableArg::Fig2 => fig2(args, &h, out),
    }
}

/// `count` random clusters of `n` households (each drawn independently,
/// without replacement within a cluster).
fn sampled_clusters(households: usize, n: usize, count: u32, seed: u64) -> Vec<Vec<usize>> {
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    (0..count)
        .map(|_| {
            let mut idx: Vec<usize> = (0..households).collect();
            for i in 0..n.min(households) {
                let j = i + uniform_below(&mut rng, (households - i) as u64) as usize;
                idx.swap(i, j);
            }
            idx.truncate(n.min(households));
            idx
        })
        .collect()
}

/// λ(t) = max_i X_t^i (ε = 1) of a cluster, at least 1 Wh.
fn cluster_lambda(h: &Households, members: &[usize], t: usize) -> f64 {
    members
        .iter()
        .map(|i| h.totals[*i][t])
        .max()
        .unwrap_or(0)
        .max(1) as f64
}

fn table1(args: &DreamExperimentArgs, h: &Households, out: &mut Output) -> Result<(), CliError> {
    let slots = h.slots();
    let mut ours = [[(0.0, 0.0); 4]; 5];
    for (r, &n) in SIZES.iter().enumerate() {
        let n = n.min(h.totals.len());
        let clusters = sampled_clusters(h.totals.len(), n, args.clusters, args.seed ^ n as u64);
        for (c, &alpha) in ALPHAS.iter().enumerate() {
            let mut over_clusters = ErrorSummary::new();
            for members in &clusters {
                let mut mean_t = 0.0;
                for t in 0..slots {
                    let total: u64 = members.iter().map(|i| h.totals[*i][t]).sum();
                    let (mu, _) =
                        theorem2_bounds(alpha, cluster_lambda(h, members, t), total as f64)?;
                    mean_t += mu;
                }
                over_clusters.push(mean_t / slots as f64);
            }
            ours[r][c] = (over_clusters.mean(), over_clusters.std_dev());
        }
    }
    if out.is_json() {
        let rows: Vec<_> = SIZES
            .iter()
            .enumerate()
            .flat_map(|(r, n)| {
                ALPHAS.iter().enumerate().map(move |(c, a)| {
                    json!({ "n": n, "alpha": a, "mean": ours[r][c].0, "dev": ours[r][c].1,
                            "paper_mean": PAPER_TABLE1[r][c].0, "paper_dev": PAPER_TABLE1[r][c].1 })
                })
            })
            .collect();
        return out.json(
            &json!({ "command": "dream experiment", "table": 1, "households": h.totals.len(),
            "clusters_per_size": args.clusters, "seed": args.seed, "rows": rows }),
        );
    }
    out.line(format_args!(
        "DREAM Table 1: error by cluster size N and α = M/N ({} households, {} random clusters per N, 10-minute slots, λ(t) = cluster max, ε = 1)",
        h.totals.len(),
        args.clusters
    ))?;
    out.line("  ours: mean ± dev   [paper: mean ± dev]")?;
    out.line(format_args!(
        "{:>5}  {}",
        "N",
        ALPHAS
            .map(|a| format!("{:^29}", format!("α = {a}")))
            .join("")
    ))?;
    for (r, n) in SIZES.iter().enumerate() {
        let cells: Vec<String> = (0..4)
            .map(|c| {
                format!(
                    "{:.3}±{:.4} [{:.3}±{:.4}] ",
                    ours[r][c].0, ours[r][c].1, PAPER_TABLE1[r][c].0, PAPER_TABLE1[r][c].1
                )
            })
            .collect();
        out.line(format_args!("{n:>5}  {}", cells.join("")))?;
    }
    Ok(())
}

/// The largest ε_s of any window of `s` consecutive slots: a household's
/// privacy over s slots is that of its worst window (a reading of the
/// paper's Table 2 — averaging over window starts gives per-slot costs that
/// do not depend on s, which its columns plainly do).
fn worst_window(eps: &[f64], s: usize) -> Option<f64> {
    if s == 0 || s > eps.len() {
        return None;
    }
    let mut sum: f64 = eps[..s].iter().sum();
    let mut worst = sum;
    for k in s..eps.len() {
        sum += eps[k] - eps[k - s];
        worst = worst.max(sum);
    }
    Some(worst)
}

fn table2(args: &DreamExperimentArgs, h: &Households, out: &mut Output) -> Result<(), CliError> {
    let slots = h.slots();
    let mut ours = [[(0.0, 0.0); 4]; 5];
    for (r, &n) in SIZES.iter().enumerate() {
        let clusters = random_clusters(h.totals.len(), n.min(h.totals.len()), args.seed ^ n as u64);
        let mut sums = [
            ErrorSummary::new(),
            ErrorSummary::new(),
            ErrorSummary::new(),
            ErrorSummary::new(),
        ];
        for members in &clusters {
            let lambdas: Vec<f64> = (0..slots).map(|t| cluster_lambda(h, members, t)).collect();
            for i in members {
                let eps: Vec<f64> = (0..slots)
                    .map(|t| h.totals[*i][t] as f64 / lambdas[t])
                    .collect();
                for (k, &s) in WINDOWS.iter().enumerate() {
                    if let Some(m) = worst_window(&eps, s) {
                        sums[k].push(m);
                    }
                }
            }
        }
        for k in 0..4 {
            ours[r][k] = (sums[k].mean(), sums[k].std_dev());
        }
    }
    if out.is_json() {
        let rows: Vec<_> = SIZES
            .iter()
            .enumerate()
            .flat_map(|(r, n)| {
                WINDOWS.iter().enumerate().map(move |(k, s)| {
                    json!({ "n": n, "s": s, "mean": ours[r][k].0, "dev": ours[r][k].1,
                            "paper_mean": PAPER_TABLE2[r][k].0, "paper_dev": PAPER_TABLE2[r][k].1 })
                })
            })
            .collect();
        return out.json(&json!({ "command": "dream experiment", "table": 2, "households": h.totals.len(), "seed": args.seed, "rows": rows }));
    }
    out.line(format_args!(
        "DREAM Table 2: households' ε_s over s slots by N ({} households, 10-minute slots, λ(t) = cluster max)",
        h.totals.len()
    ))?;
    out.line("  ours: mean ± dev   [paper: mean ± dev]")?;
    out.line(format_args!(
        "{:>5}  {}",
        "N",
        WINDOWS
            .map(|s| format!("{:^27}", format!("s = {s}")))
            .join("")
    ))?;
    for (r, n) in SIZES.iter().enumerate() {
        let cells: Vec<String> = (0..4)
            .map(|k| {
                format!(
                    "{:>5.2}±{:<4.2} [{:>5.2}±{:<4.2}]  ",
                    ours[r][k].0, ours[r][k].1, PAPER_TABLE2[r][k].0, PAPER_TABLE2[r][k].1
                )
            })
            .collect();
        out.line(format_args!("{n:>5}  {}", cells.join("")))?;
    }
    Ok(())
}

fn table3(args: &DreamExperimentArgs, h: &Households, out: &mut Output) -> Result<(), CliError> {
    let slots = h.slots();
    let clusters = random_clusters(h.totals.len(), 100.min(h.totals.len()), args.seed ^ 100);
    let mut rows = Vec::new();
    for (name, ours_names, paper) in PAPER_TABLE3 {
        let mut sums = [
            ErrorSummary::new(),
            ErrorSummary::new(),
            ErrorSummary::new(),
            ErrorSummary::new(),
        ];
        for members in &clusters {
            let lambdas: Vec<f64> = (0..slots).map(|t| cluster_lambda(h, members, t)).collect();
            for i in members {
                let parts: Vec<&Vec<f64>> = ours_names
                    .iter()
                    .filter_map(|a| h.appliances[*i].get(*a))
                    .collect();
                if parts.is_empty() {
                    continue;
                }
                let eps: Vec<f64> = (0..slots)
                    .map(|t| {
                        parts
                            .iter()
                            .map(|p| p.get(t).copied().unwrap_or(0.0))
                            .sum::<f64>()
                            / lambdas[t]
                    })
                    .collect();
                for (k, &s) in WINDOWS.iter().enumerate() {
                    if let Some(m) = worst_window(&eps, s) {
                        sums[k].push(m);
                    }
                }
            }
        }
        let owners = sums[0].count();
        rows.push((name, owners, sums.map(|s| (s.mean(), s.std_dev())), paper));
    }
    if out.is_json() {
        let rows: Vec<_> = rows
            .iter()
            .map(|(name, owners, ours, paper)| {
                json!({ "appliance": name, "households": owners,
                        "ours": WINDOWS.iter().zip(ours).map(|(s, (m, d))| json!({"s": s, "mean": m, "dev": d})).collect::<Vec<_>>(),
                        "paper": WINDOWS.iter().zip(paper).map(|(s, (m, d))| json!({"s": s, "mean": m, "dev": d})).collect::<Vec<_>>() })
            })
            .collect();
        return out.json(&json!({ "command": "dream experiment", "table": 3, "households": h.totals.len(), "cluster_size": 100, "seed": args.seed, "rows": rows }));
    }
    out.line(format_args!(
        "DREAM Table 3: appliances' ε_s over s slots, N = 100 ({} households; means over the households owning the appliance)",
        h.totals.len()
    ))?;
    out.line("  ours: mean ± dev   [paper: mean ± dev]")?;
    out.line(format_args!(
        "{:<22} {:>6}  {}",
        "appliance",
        "owners",
        WINDOWS
            .map(|s| format!("{:^26}", format!("s = {s}")))
            .join("")
    ))?;
    for (name, owners, ours, paper) in &rows {
        let cells: Vec<String> = (0..4)
            .map(|k| {
                format!(
                    "{:>5.2}±{:<5.2}[{:>5.2}±{:<5.2}] ",
                    ours[k].0, ours[k].1, paper[k].0, paper[k].1
                )
            })
            .collect();
        out.line(format_args!("{name:<22} {owners:>6}  {}", cells.join("")))?;
    }
    Ok(())
}

fn fig2(args: &DreamExperimentArgs, h: &Households, out: &mut Output) -> Result<(), CliError> {
    let slots = h.slots();
    let members = &random_clusters(h.totals.len(), 100.min(h.totals.len()), args.seed ^ 100)[0];
    let household = members[0];
    let mut rng = ChaCha20Rng::seed_from_u64(args.seed);
    let points: Vec<(usize, u64, f64)> = (0..slots)
        .map(|t| {
            let lambda = cluster_lambda(h, members, t);
            let share = GammaShare::new(100, lambda)
                .map(|g| g.sample(&mut rng))
                .unwrap_or(0.0);
            (
                t,
                h.totals[household][t],
                h.totals[household][t] as f64 + share,
            )
        })
        .collect();
    if out.is_json() {
        let rows: Vec<_> = points
            .iter()
            .map(|(t, x, noisy)| json!({ "slot": t, "minute": t * 10, "original_wh": x, "noisy_wh": noisy }))
            .collect();
        return out.json(&json!({ "command": "dream experiment", "figure": 2, "household": household, "cluster_size": 100, "seed": args.seed, "points": rows }));
    }
    out.line(format_args!(
        "DREAM Figure 2: household {household}'s readings and noisy readings (one gamma share, N = 100, λ(t) = cluster max), Wh per 10 minutes"
    ))?;
    out.line("slot  time   original      noisy")?;
    for (t, x, noisy) in points {
        out.line(format_args!(
            "{t:>4}  {:02}:{:02} {x:>9} {noisy:>10.1}",
            t * 10 / 60,
            t * 10 % 60
        ))?;
    }
    Ok(())
}
