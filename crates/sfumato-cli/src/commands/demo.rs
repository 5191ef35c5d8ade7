//! `sfumato demo`: distributed noise at work on a neighbourhood of smart
//! meters.
//!
//! The demo is a list of [`SECTIONS`]. Each section computes its figures
//! from the shared [`Scenario`] and its own random stream, and returns text
//! for humans and a JSON value for `--json`. To extend the demo, write a
//! function with the [`SectionFn`] signature and add it to the list with a
//! new stream number: the other sections' numbers do not change.

use std::io::Write;

use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use serde_json::{Map, Value, json};
use sfumato_dp::calibrate::{self, FailureTolerance};
use sfumato_dp::continuous::laplace_cdf;
use sfumato_dp::error_metric::{ErrorSummary, relative_error, theorem2_bounds};
use sfumato_dp::goodness_of_fit::{FitOutcome, chi_square_test, ks_test};
use sfumato_dp::rational::parse_rational;
use sfumato_dp::{AggregateNoise, DiscreteLaplace, Epsilon, ExactScale, Mechanism, Noise};

use crate::cli::DemoArgs;
use crate::error::CliError;
use crate::output::{Output, exact_scale, grouped, percent, signed};

/// Largest half-hour reading of one meter, in Wh: the sensitivity Δ of the
/// slot's sum (one household joining or leaving moves it at most this much).
const MAX_READING_WH: u64 = 2_000;

/// The privacy budget of one slot.
const EPSILON: &str = "1";

/// Mean reading per meter in the example slot, in Wh.
const MEAN_READING_WH: f64 = 1_234.567;

/// Failure fractions α the failures section compares (DREAM §6, Table 1).
const ALPHAS: [f64; 2] = [0.0, 0.1];

/// p-values below this are flagged: the draws would not fit their target.
const FIT_ALPHA: f64 = 1e-3;

/// Everything the sections share.
struct Scenario {
    seed: u64,
    meters: u64,
    draws: u64,
    epsilon: Epsilon,
    /// λ = Δ/ε, rounded up (continuous mechanisms).
    lambda: f64,
    /// τ = Δ/ε exactly, as text every mechanism reads.
    scale_text: String,
    /// The exact aggregate X of the example slot, in Wh.
    aggregate_wh: f64,
}

impl Scenario {
    fn new(args: &DemoArgs) -> Result<Self, CliError> {
        let epsilon = Epsilon::parse(EPSILON)?;
        let sensitivity = MAX_READING_WH as f64;
        let lambda = calibrate::laplace_scale(sensitivity, epsilon.to_f64_down())?;
        let tau = calibrate::exact_scale(&parse_rational(&MAX_READING_WH.to_string())?, &epsilon)?;
        Ok(Scenario {
            seed: args.seed.seed,
            meters: args.meters,
            draws: args.draws,
            epsilon,
            lambda,
            scale_text: exact_scale(&tau),
            aggregate_wh: (args.meters as f64 * MEAN_READING_WH).round(),
        })
    }

    /// Standard deviation of the target noise, √2·λ.
    fn noise_std(&self) -> f64 {
        std::f64::consts::SQRT_2 * self.lambda
    }
}

/// What one section produced.
struct Section {
    /// Text lines for humans (indented by the caller).
    lines: Vec<String>,
    /// The same figures for `--json`.
    json: Value,
}

/// A section's body: figures from the scenario and a random stream.
type SectionFn = fn(&Scenario, &mut ChaCha20Rng) -> Result<Section, CliError>;

/// One entry of the demo.
struct SectionSpec {
    /// Key of the section in the JSON document.
    key: &'static str,
    /// Heading in the text output.
    title: &'static str,
    /// ChaCha20 stream of the section's randomness (unique per section).
    stream: u64,
    /// The body.
    run: SectionFn,
}

/// The demo, in order.
const SECTIONS: &[SectionSpec] = &[
    SectionSpec {
        key: "scenario",
        title: "Scenario",
        stream: 0,
        run: scenario,
    },
    SectionSpec {
        key: "noise",
        title: "Shares add up to the right noise",
        stream: 1,
        run: noise,
    },
    SectionSpec {
        key: "slot",
        title: "One slot, published",
        stream: 2,
        run: slot,
    },
    SectionSpec {
        key: "failures",
        title: "Tolerating meters that fail to report (DREAM §6, Thm. 2)",
        stream: 3,
        run: failures,
    },
    SectionSpec {
        key: "next",
        title: "Try next",
        stream: 4,
        run: next_steps,
    },
];

/// Runs `sfumato demo`.
pub(crate) fn run(args: &DemoArgs, out: &mut Output) -> Result<(), CliError> {
    let scenario = Scenario::new(args)?;
    let mut doc = Map::new();
    doc.insert("command".into(), json!("demo"));
    doc.insert("seed".into(), json!(scenario.seed));
    if !out.is_json() {
        out.line(format_args!(
            "sfumato demo: distributed differential-privacy noise (seed {})",
            scenario.seed
        ))?;
    }
    for spec in SECTIONS {
        let mut rng = ChaCha20Rng::seed_from_u64(scenario.seed);
        rng.set_stream(spec.stream);
        let section = (spec.run)(&scenario, &mut rng)?;
        if out.is_json() {
            doc.insert(spec.key.into(), section.json);
        } else {
            out.line("")?;
            out.line(format_args!("== {} ==", spec.title))?;
            for line in &section.lines {
                if line.is_empty() {
                    out.line("")?;
                } else {
                    out.line(format_args!("  {line}"))?;
                }
            }
            // Show each section as soon as it is ready.
            out.writer().flush()?;
        }
    }
    if out.is_json() {
        out.json(&Value::Object(doc))?;
    }
    Ok(())
}

/// The neighbourhood and its calibration.
fn scenario(sc: &Scenario, _rng: &mut ChaCha20Rng) -> Result<Section, CliError> {
    let lines = vec![
        format!(
            "{} smart meters report their consumption for one half-hour slot.",
            grouped(sc.meters as f64, 0)
        ),
        format!(
            "A reading is at most {} Wh, so one household moves the slot's total by at",
            grouped(MAX_READING_WH as f64, 0)
        ),
        format!(
            "most Δ = {} Wh. For ε = {} the total needs Laplace noise of scale",
            grouped(MAX_READING_WH as f64, 0),
            sc.epsilon
        ),
        format!(
            "λ = Δ/ε = {} Wh (DREAM Thm. 1), standard deviation √2·λ = {} Wh.",
            grouped(sc.lambda, 0),
            grouped(sc.noise_std(), 1)
        ),
        "Nobody adds it centrally: each meter adds a share of it, and only the sum".into(),
        "of all shares is ever seen (gamma shares: DREAM Lemma 1; Pólya shares:".into(),
        "exact integers for sums modulo m).".into(),
    ];
    let json = json!({
        "meters": sc.meters,
        "max_reading_wh": MAX_READING_WH,
        "sensitivity_wh": MAX_READING_WH,
        "epsilon": sc.epsilon.exact_string(),
        "scale_wh": sc.lambda,
        "exact_scale": sc.scale_text,
        "noise_std_wh": sc.noise_std(),
    });
    Ok(Section { lines, json })
}

/// A mechanism's draws against its target distribution.
fn fit(sc: &Scenario, mechanism: Mechanism, samples: &[Noise]) -> Result<FitOutcome, CliError> {
    if mechanism.is_exact() {
        let target = DiscreteLaplace::new(ExactScale::parse(&sc.scale_text)?);
        let ints: Vec<i64> = samples
            .iter()
            .filter_map(|s| match s {
                Noise::Integer(k) => Some(*k),
                Noise::Real(_) => None,
            })
            .collect();
        Ok(chi_square_test(&ints, |k| target.pmf(k)))
    } else {
        let mut reals: Vec<f64> = samples.iter().map(|s| s.as_f64()).collect();
        Ok(ks_test(&mut reals, |x| laplace_cdf(x, sc.lambda)))
    }
}

/// Central draws and sums of shares, side by side, against their target.
fn noise(sc: &Scenario, rng: &mut ChaCha20Rng) -> Result<Section, CliError> {
    let mut lines = vec![
        format!(
            "{} noisy aggregates per mechanism; the share mechanisms sum {} shares each.",
            grouped(sc.draws as f64, 0),
            grouped(sc.meters as f64, 0)
        ),
        String::new(),
        format!(
            "{:<17} {:>6} {:>9} {:>9} {:>9} {:>10}  {:<4} {:>8}",
            "mechanism", "shares", "mean", "std", "expected", "one share", "fit", "p-value"
        ),
    ];
    let mut rows = Vec::new();
    let mut share_std = f64::NAN;
    for mechanism in Mechanism::ALL {
        let parties = if mechanism.is_distributed() {
            sc.meters
        } else {
            1
        };
        let aggregate = AggregateNoise::new(mechanism, &sc.scale_text, parties)?;
        let samples: Vec<Noise> = (0..sc.draws).map(|_| aggregate.draw(rng)).collect();
        let stats: ErrorSummary = samples.iter().map(|s| s.as_f64()).collect();
        let outcome = fit(sc, mechanism, &samples)?;
        let test = if mechanism.is_exact() { "χ²" } else { "KS" };
        let verdict = if outcome.p_value >= FIT_ALPHA {
            ""
        } else {
            "  (poor fit)"
        };
        let one_share = aggregate.share_variance().sqrt();
        if mechanism == Mechanism::GammaShares {
            share_std = one_share;
        }
        lines.push(format!(
            "{:<17} {:>6} {:>9} {:>9} {:>9} {:>10}  {:<4} {:>8.3}{verdict}",
            mechanism.name(),
            grouped(parties as f64, 0),
            grouped(stats.mean(), 1),
            grouped(stats.std_dev(), 1),
            grouped(aggregate.variance().sqrt(), 1),
            grouped(one_share, 1),
            test,
            outcome.p_value,
        ));
        rows.push(json!({
            "mechanism": mechanism.name(),
            "parties": parties,
            "draws": sc.draws,
            "mean": stats.mean(),
            "std": stats.std_dev(),
            "expected_std": aggregate.variance().sqrt(),
            "share_std": one_share,
            "test": if mechanism.is_exact() { "chi-square" } else { "kolmogorov-smirnov" },
            "statistic": outcome.statistic,
            "p_value": outcome.p_value,
        }));
    }
    lines.extend([
        String::new(),
        format!(
            "One meter's share has a standard deviation of {} Wh, 1/√{} of the total:",
            grouped(share_std, 1),
            sc.meters
        ),
        format!(
            "alone it is far too little to hide a reading of up to {} Wh. Summed over",
            grouped(MAX_READING_WH as f64, 0)
        ),
        format!(
            "all {} meters, the shares make exactly the noise ε = {} needs.",
            grouped(sc.meters as f64, 0),
            sc.epsilon
        ),
        "p-value: the draws tested against Laplace(λ) (Kolmogorov–Smirnov) or discrete".into(),
        format!("Laplace(τ) (Pearson χ²); above {FIT_ALPHA} they are consistent with it."),
    ]);
    let json = json!({ "rows": rows, "share_std_wh": share_std });
    Ok(Section { lines, json })
}

/// One slot's true total, noised by each distributed mechanism.
fn slot(sc: &Scenario, rng: &mut ChaCha20Rng) -> Result<Section, CliError> {
    let x = sc.aggregate_wh;
    let mut lines = vec![
        format!("true total X = {} Wh", grouped(x, 0)),
        String::new(),
        format!(
            "{:<14} {:>12} {:>16} {:>15}",
            "mechanism", "noise (Wh)", "published (Wh)", "relative error"
        ),
    ];
    let mut draws = Vec::new();
    for mechanism in [Mechanism::GammaShares, Mechanism::PolyaShares] {
        let aggregate = AggregateNoise::new(mechanism, &sc.scale_text, sc.meters)?;
        let noise = aggregate.draw(rng);
        let decimals = if mechanism.is_exact() { 0 } else { 1 };
        let published = x + noise.as_f64();
        let error = relative_error(x, published);
        lines.push(format!(
            "{:<14} {:>12} {:>16} {:>15}",
            mechanism.name(),
            signed(noise.as_f64(), decimals),
            grouped(published, decimals),
            percent(error, 3)
        ));
        draws.push(json!({
            "mechanism": mechanism.name(),
            "noise": noise.as_f64(),
            "published": published,
            "relative_error": error,
        }));
    }
    let (mu, sigma) = theorem2_bounds(0.0, sc.lambda, x)?;
    lines.extend([
        String::new(),
        "Relative error |X − published| / (X + 1) is DREAM's utility measure (Def. 2);".into(),
        format!(
            "Thm. 2 expects μ = {} on average, with deviation σ = {}.",
            percent(mu, 3),
            percent(sigma, 3)
        ),
    ]);
    let json = json!({
        "aggregate_wh": x,
        "draws": draws,
        "theorem2": { "alpha": 0.0, "mu": mu, "sigma": sigma },
    });
    Ok(Section { lines, json })
}

/// Thm. 2's expected error against the error measured over many slots, for
/// shares calibrated to tolerate a fraction α of failures.
fn failures(sc: &Scenario, rng: &mut ChaCha20Rng) -> Result<Section, CliError> {
    let x = sc.aggregate_wh;
    let mut lines = vec![
        "If up to M of the N meters may fail, each draws its share for N − M parties:".into(),
        "the noise is enough while N − M report, and a little more when all N do.".into(),
        format!(
            "Measured over {} slots where all {} meters report:",
            grouped(sc.draws as f64, 0),
            grouped(sc.meters as f64, 0)
        ),
        String::new(),
        format!(
            "{:<5} {:>5} {:>10} {:>11} {:>11} {:>11} {:>11}",
            "α", "M", "shares for", "μ (Thm. 2)", "μ measured", "σ (Thm. 2)", "σ measured"
        ),
    ];
    let mut rows = Vec::new();
    let mut previous = None;
    for alpha in ALPHAS {
        let tolerance = FailureTolerance::from_fraction(sc.meters, alpha)?;
        // With few meters, several α round to the same M.
        if previous.replace(tolerance.max_failures()) == Some(tolerance.max_failures()) {
            continue;
        }
        let share = AggregateNoise::new(
            Mechanism::GammaShares,
            &sc.scale_text,
            tolerance.share_parties(),
        )?;
        let measured: ErrorSummary = (0..sc.draws)
            .map(|_| {
                let noise: f64 = (0..sc.meters).map(|_| share.draw_share(rng).as_f64()).sum();
                relative_error(x, x + noise)
            })
            .collect();
        let (mu, sigma) = theorem2_bounds(tolerance.alpha(), sc.lambda, x)?;
        lines.push(format!(
            "{:<5} {:>5} {:>10} {:>11} {:>11} {:>11} {:>11}",
            tolerance.alpha(),
            tolerance.max_failures(),
            grouped(tolerance.share_parties() as f64, 0),
            percent(mu, 3),
            percent(measured.mean(), 3),
            percent(sigma, 3),
            percent(measured.std_dev(), 3),
        ));
        rows.push(json!({
            "alpha": tolerance.alpha(),
            "max_failures": tolerance.max_failures(),
            "share_parties": tolerance.share_parties(),
            "mu": mu,
            "sigma": sigma,
            "measured_mu": measured.mean(),
            "measured_sigma": measured.std_dev(),
        }));
    }
    let json = json!({ "aggregate_wh": x, "slots": sc.draws, "rows": rows });
    Ok(Section { lines, json })
}

/// Commands to explore further.
fn next_steps(sc: &Scenario, _rng: &mut ChaCha20Rng) -> Result<Section, CliError> {
    let commands = vec![
        format!(
            "sfumato dp sample --mechanism polya-shares --scale {} --parties {} --count 5",
            sc.scale_text,
            sc.meters
        ),
        format!(
            "sfumato dp calibrate --sensitivity {MAX_READING_WH} --epsilon {EPSILON} --parties {} --max-failures {}",
            sc.meters,
            sc.meters / 10
        ),
        "sfumato dp budget --epsilon 0.69 --strategy greedy-floor --iterations 8".to_string(),
        "sfumato dp gossip-exchanges --delta 0.995 --e-max 1e-12 --variance 1 --iterations 10 --population 1000000 --length 24".to_string(),
        "sfumato dp sample --help".to_string(),
    ];
    let json = json!({ "commands": commands });
    Ok(Section {
        lines: commands,
        json,
    })
}
