//! Household electricity load traces for sfumato.
//!
//! Every experiment in DREAM §7, Tremel §7.3 and Chiaroscuro §6 runs on
//! household electricity time series. This crate provides
//!
//! * a bottom-up **generator** ([`generator`]) in the spirit of Richardson et
//!   al. 2010 — the model DREAM extended (§7.1): an occupancy Markov chain in
//!   10-minute steps, 33+ appliance types triggered by occupants' activities,
//!   lighting driven by occupancy and daylight, optional heating and cooling
//!   (Tremel §7.3) — at 1-minute resolution, deterministic per seed and
//!   household index, with its parameters in a data file of the crate
//!   (`data/model.toml`);
//! * **readers and writers** ([`io`]) for wide and long CSV, the UCI
//!   "Individual household electric power consumption" file and CER-trial
//!   files, and the `daily-profiles` transform of Chiaroscuro §6;
//! * population **statistics** ([`stats`]).
//!
//! Values are energy per slot in kWh ([`DayProfile`]).

pub mod atomic;
pub mod calendar;
pub mod error;
pub mod io;
pub mod record;
pub mod resolution;
pub mod stats;
pub mod synthetic;

pub use calendar::{Date, Weekday};
pub use error::{Result, TracesError};
pub use record::{DayProfile, TOTAL};
pub use resolution::Resolution;
pub mod generator;
pub mod model;
