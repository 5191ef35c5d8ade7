//! sfumato's studies: the application logic that the command line, the
//! dashboard and the network runtime share — plan a study from
//! households, run it in either runtime, collect what it published.
//!
//! * [`dream`] — a DREAM deployment: households into clusters with their
//!   public plans ([`dream::plan`]), run in the simulator
//!   ([`dream::simulate`]) or as a real deployment of hosts over TLS
//!   ([`dream::network`]).

pub mod dream;
pub mod error;

pub use error::{Result, StudyError};
