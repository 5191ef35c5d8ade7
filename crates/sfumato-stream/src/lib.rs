//! Elastic, secure stream processing of smart-plug events: StreamMine3G
//! (paper 004) running the DEBS 2014 Grand Challenge's queries on timely
//! dataflow.
//!
//! * [`event`], [`csv`] and [`generate`] — the challenge's events, its CSV
//!   format, and a seeded generator of realistic plug streams built on
//!   `sfumato-traces`' appliance model;
pub mod csv;
pub mod error;
pub mod event;
pub mod generate;

pub use error::{Result, StreamError};
pub use event::{Event, PlugKey, Property};
pub mod bench;
pub mod dataflow;
pub mod enclave;
pub mod files;
pub mod median;
pub mod migration;
mod mix;
pub mod processor;
pub mod q1;
pub mod q2;
pub mod reference;
pub mod source;
pub mod study;
pub mod window_log;
pub mod wire;
