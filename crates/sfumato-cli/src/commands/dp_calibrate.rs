//! `sfumato dp calibrate`: the noise scale λ = Δ/ε for a query of
//! sensitivity Δ (DREAM Thm. 1), Δ optionally computed as the vector-sum
//! sensitivity of Chiaroscuro Def. 4, and the share calibration of DREAM §6
//! when some of N parties may fail to report.

use serde::Serialize;
use sfumato_dp::Epsilon;
use sfumato_dp::calibrate::{self, FailureTolerance};
use sfumato_dp::error_metric::theorem2_bounds;
use sfumato_dp::rational::{parse_rational, ratio_to_f64, ratio_to_f64_up};

use crate::cli::CalibrateArgs;
use crate::error::CliError;
use crate::output::{Output, exact_scale as exact_text, number};

/// The JSON document (and the source of the text lines).
#[derive(Serialize)]
struct Report {
    /// Δ, rounded up to an `f64`.
    sensitivity: f64,
    /// Δ exactly: a decimal, or a fraction when the decimal does not terminate.
    sensitivity_exact: String,
    /// ε exactly.
    epsilon: String,
    /// λ = Δ/ε rounded up: the continuous mechanisms' scale.
    scale: f64,
    /// τ = Δ/ε as the exact samplers take it, or `None` if out of their range.
    exact_scale: Option<String>,
    /// Why there is no exact scale.
    #[serde(skip_serializing_if = "Option::is_none")]
    exact_scale_error: Option<String>,
    /// With `--parties`: the share calibration.
    failure_tolerance: Option<Tolerance>,
}

/// DREAM §6 and Thm. 2 for N parties of which M may fail.
#[derive(Serialize)]
struct Tolerance {
    parties: u64,
    max_failures: u64,
    alpha: f64,
    /// N − M: the parties each share is drawn for.
    share_parties: u64,
    /// Standard deviation of one share (of Laplace(λ) noise).
    share_std: f64,
    /// E|noise| when all N parties report (Thm. 2's μ times x + 1).
    expected_abs_noise: f64,
    /// Standard deviation of |noise| when all N report (Thm. 2's σ times x + 1).
    abs_noise_std: f64,
}

/// Runs `sfumato dp calibrate`.
pub(crate) fn run(args: &CalibrateArgs, out: &mut Output) -> Result<(), CliError> {
    // Δ exactly, from --sensitivity or from --length/--dmin/--dmax.
    let exact = match (&args.sensitivity, args.length, &args.dmin, &args.dmax) {
        (Some(text), None, None, None) => parse_rational(text)?,
        (None, Some(n), Some(a), Some(b)) => {
            let (a, b) = (parse_rational(a)?, parse_rational(b)?);
            if a > b {
                return Err(CliError::usage("--dmin must not exceed --dmax"));
            }
            // The library checks the range (finite, not [0, 0]).
            calibrate::vector_sum_sensitivity(n, ratio_to_f64(&a), ratio_to_f64(&b))?;
            let zero = parse_rational("0")?;
            let (a, b) = (if a < zero { -a } else { a }, if b < zero { -b } else { b });
            a.max(b) * parse_rational(&n.to_string())?
        }
        _ => {
            return Err(CliError::usage(
                "give either --sensitivity, or --length with --dmin and --dmax",
            ));
        }
    };
    let sensitivity = ratio_to_f64_up(&exact);
    let sensitivity_exact = Epsilon::from_ratio(exact.clone())?.exact_string();
    let scale = calibrate::laplace_scale(sensitivity, args.epsilon.to_f64_down())?;
    let (exact_scale, exact_scale_error) = match calibrate::exact_scale(&exact, &args.epsilon) {
        Ok(s) => (Some(exact_text(&s)), None),
        Err(e) => (None, Some(e.to_string())),
    };
    let failure_tolerance = match args.parties {
        None => None,
        Some(parties) => {
            let tolerance = FailureTolerance::new(parties, args.max_failures.unwrap_or(0))?;
            // Aggregate x = 0 makes Thm. 2's λ/(x + 1) equal to λ: the figures are
            // then in the query's own units.
            let (mu, sigma) = theorem2_bounds(tolerance.alpha(), scale, 0.0)?;
            Some(Tolerance {
                parties,
                max_failures: tolerance.max_failures(),
                alpha: tolerance.alpha(),
                share_parties: tolerance.share_parties(),
                share_std: (2.0 / tolerance.share_parties() as f64).sqrt() * scale,
                expected_abs_noise: mu,
                abs_noise_std: sigma,
            })
        }
    };
    let report = Report {
        sensitivity,
        sensitivity_exact,
        epsilon: args.epsilon.exact_string(),
        scale,
        exact_scale,
        exact_scale_error,
        failure_tolerance,
    };
    if out.is_json() {
        return out.json(&report);
    }
    out.line(format_args!("sensitivity: {}", report.sensitivity_exact))?;
    out.line(format_args!("epsilon: {}", report.epsilon))?;
    out.line(format_args!("scale: {}", number(report.scale)))?;
    match (&report.exact_scale, &report.exact_scale_error) {
        (Some(s), _) => out.line(format_args!("exact scale: {s}"))?,
        (None, e) => out.line(format_args!(
            "exact scale: none ({})",
            e.as_deref().unwrap_or("out of range")
        ))?,
    }
    if let Some(t) = &report.failure_tolerance {
        out.line(format_args!("parties: {}", t.parties))?;
        out.line(format_args!("max failures: {}", t.max_failures))?;
        out.line(format_args!("alpha: {}", number(t.alpha)))?;
        out.line(format_args!("share parties: {}", t.share_parties))?;
        out.line(format_args!("share std: {}", number(t.share_std)))?;
        out.line(format_args!(
            "expected abs noise: {}",
            number(t.expected_abs_noise)
        ))?;
        out.line(format_args!("abs noise std: {}", number(t.abs_noise_std)))?;
    }
    Ok(())
}
