//! Tremel et al.'s anonymous, crash-tolerant queries as a study: plan a
//! deployment from meters' records ([`data`], [`plan`]) and run it in the simulator
//! ([`simulate`]).

pub mod adversary;
pub mod costs;
pub mod data;
pub mod experiment;
pub mod network;
pub mod plan;
pub mod privacy;
pub mod simulate;
pub mod study;

pub use plan::{Crypto, Deployment, TremelPlan, simulated_key};
pub use simulate::{ClientTraffic, SimOptions, SimOutcome, simulate};
pub use study::{
    QueryOutcome, QueryRow, QueryStudy, parse_filter, parse_ranges, parse_spec, plan, rows, run,
};
