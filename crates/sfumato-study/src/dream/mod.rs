//! DREAM studies (Ács & Castelluccia 2011).
//!
//! * [`data`] — households from a trace file or the generator;
//! * [`plan`] — clusters, node ids, λ(t) and the schedule;
//! * [`simulate`] — the plan in the simulator;
//! * [`network`] — the plan as a real deployment: a directory of hosts
//!   and keys, hosts that run its nodes, and the supplier's published
//!   slots read back from its store.

pub mod data;
pub mod network;
pub mod plan;
pub mod simulate;

pub use data::Households;
pub use plan::{Deployment, DreamPlan, Timing, lambdas, random_clusters};
pub use simulate::{Outcome, RoleTraffic, Traffic, deploy};
