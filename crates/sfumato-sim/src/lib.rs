//! sfumato's simulator: the real protocol nodes of `sfumato-protocol`, at
//! population scale, on timely dataflow (ARCHITECTURE.md, "Runtimes").
//!
//! * [`config`] — population, round or virtual-time clock, latency model,
//!   faults (crashes, churn, loss), CPU-cost model, cluster;
//! * [`run`] — the timely runtime: one shard of nodes per worker, messages
//!   exchanged by receiver, one timestamp per tick, W threads in one
//!   process or several processes on one or several hosts;
//! * [`plain`] — a plain single-threaded loop over the same nodes in round
//!   mode, the reference the runtime's results and overhead are compared
//!   with;
//! * [`byzantine`] — the hook for adversarial wrappers around a node;
//! * [`chiaroscuro`], [`chiaroscuro_phases`] — probes of Chiaroscuro runs,
//!   and a wrapper that counts a participant's messages by phase and can
//!   disconnect it for whole iterations (Chiaroscuro §6.3.2, §6.4);
//! * [`report`] — probes, metrics and the report.
//!
//! A run replays bit for bit from its seed whatever the number of workers
//! or processes (see the processing order in the `shard` module).

pub mod byzantine;
pub mod chiaroscuro;
pub mod chiaroscuro_phases;
mod cluster;
pub mod config;
pub mod error;
mod hash;
pub mod memory;
pub mod plain;
pub mod probes;
pub mod report;
mod runner;
mod shard;

pub use cluster::CONNECT_TIMEOUT;
pub use config::{Cluster, CostModel, Faults, LatencyModel, Mode, SimConfig, parse_duration};
pub use error::{Result, SimError};
pub use report::{
    EventRecord, Metrics, NoProbe, NodeStats, Probe, Progress, ProgressFn, ReportOf, RunInfo,
    Sample, SimReport, Spread,
};
pub use runner::{allocators, run};
