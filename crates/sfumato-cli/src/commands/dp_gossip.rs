//! `sfumato dp gossip-exchanges`: how many gossip exchanges make a gossip
//! sum (ε, δ)-probabilistically private (Chiaroscuro App. B, Theorem 3), or,
//! with `--exchanges`, which δ a given number of exchanges reaches
//! (footnote 11).

use serde::Serialize;
use sfumato_dp::gossip::{self, GossipParameters};

use crate::cli::GossipArgs;
use crate::error::CliError;
use crate::output::{Output, number};

/// The inputs, echoed in the JSON document.
#[derive(Serialize)]
struct Inputs {
    e_max: f64,
    variance: f64,
    iterations: u64,
    population: u64,
    length: u64,
}

/// `--delta D`: the exchanges needed.
#[derive(Serialize)]
struct Needed {
    exchanges: u64,
    delta: f64,
    iota: f64,
    delta_atom: f64,
    atoms: u64,
    #[serde(flatten)]
    inputs: Inputs,
}

/// `--exchanges K`: the confidence reached.
#[derive(Serialize)]
struct Reached {
    exchanges: u64,
    delta_after: f64,
    /// 1 − δ, computed without cancellation (δ itself often rounds to 1).
    one_minus_delta: f64,
    iota_after: f64,
    atoms: u64,
    #[serde(flatten)]
    inputs: Inputs,
}

/// Runs `sfumato dp gossip-exchanges`.
pub(crate) fn run(args: &GossipArgs, out: &mut Output) -> Result<(), CliError> {
    let params = GossipParameters {
        population: args.population,
        variance: args.variance,
        e_max: args.e_max,
    };
    let inputs = Inputs {
        e_max: args.e_max,
        variance: args.variance,
        iterations: args.iterations,
        population: args.population,
        length: args.length,
    };
    let atoms = gossip::atoms(args.iterations, args.length)?;
    match (args.delta, args.exchanges) {
        (Some(delta), None) => {
            let exchanges =
                gossip::exchanges_for_delta(&params, delta, args.iterations, args.length)?;
            let report = Needed {
                exchanges,
                delta,
                iota: gossip::iota(delta, args.iterations, args.length)?,
                delta_atom: gossip::delta_atom(delta, args.iterations, args.length)?,
                atoms,
                inputs,
            };
            if out.is_json() {
                out.json(&report)
            } else {
                out.line(report.exchanges)
            }
        }
        (None, Some(exchanges)) => {
            let delta_after =
                gossip::delta_after(&params, exchanges, args.iterations, args.length)?;
            let iota_after = params.iota_after(exchanges)?;
            // δ = (1 − ι)^atoms, so 1 − δ = −expm1(atoms · ln(1 − ι)).
            let one_minus_delta = -(atoms as f64 * (-iota_after).ln_1p()).exp_m1();
            let report = Reached {
                exchanges,
                delta_after,
                one_minus_delta,
                iota_after,
                atoms,
                inputs,
            };
            if out.is_json() {
                out.json(&report)
            } else {
                out.line(format_args!("delta: {}", number(report.delta_after)))?;
                out.line(format_args!(
                    "1 - delta: {}",
                    number(report.one_minus_delta)
                ))?;
                out.line(format_args!("iota: {}", number(report.iota_after)))
            }
        }
        _ => Err(CliError::usage(
            "give exactly one of --delta and --exchanges",
        )),
    }
}
