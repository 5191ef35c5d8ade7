//! sfumato's results store: the runs of `cluster run`, `dream run` and
//! `query run` in one embedded SQLite file, which the dashboard reads
//! (ARCHITECTURE.md, "Data, results, interfaces"; the Chiaroscuro
//! demonstrator, paper 003).
//!
//! * [`schema`] — the tables, and how a file is recognised as a store;
//! * [`record`] — what a run writes: its parameters and full report, and
//!   the figures the dashboard draws (per-iteration centroids before and
//!   after noise, inertia, timings by operation and key size, traffic,
//!   sampled participants' series, DREAM slots, Tremel answers);
//! * [`store`] — opening a store, writing a run in one transaction,
//!   reading runs back.

pub mod error;
pub mod record;
pub mod schema;
pub mod store;

pub use error::{Result, ResultsError};
pub use record::{
    AnswerRecord, CentroidStage, IterationRecord, Kind, NewRun, SeriesRecord, SlotRecord,
    TimingRecord, TrafficRecord,
};
pub use store::{RunId, RunRecord, RunSummary, Store};
