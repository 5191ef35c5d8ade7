//! Tremel et al.'s anonymous, crash-tolerant queries as a study: plan a
//! deployment from meters' records ([`plan`]) and run it in the simulator
//! ([`simulate`]).

pub mod plan;
pub mod simulate;

pub use plan::{Crypto, Deployment, TremelPlan, simulated_key};
pub use simulate::{ClientTraffic, SimOptions, SimOutcome, simulate};
