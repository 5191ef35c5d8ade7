//! sfumato's studies: the application logic that the command line, the
//! dashboard and the network runtime share — plan a study from
//! households, run it in either runtime, collect what it published.
//!
//! * [`dream`] — a DREAM deployment: households into clusters with their
//!   public plans ([`dream::plan`]), run in the simulator
//!   ([`dream::simulate`]) or as a real deployment of hosts over TLS
//!   ([`dream::network`]);
//! * [`chiaroscuro`] — a Chiaroscuro run as a real deployment with
//!   threshold Damgård–Jurik ([`chiaroscuro::network`]);
//! * [`tremel`] — Tremel et al.'s queries: a deployment planned from
//!   meters' records, run in the simulator;
//! * [`up`] — every host of a deployment as an OS process, with kills.

pub mod chiaroscuro;
pub mod dream;
pub mod error;
pub mod tremel;
pub mod up;

pub use error::{Result, StudyError};
