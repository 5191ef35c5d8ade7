//! sfumato's dashboard: the Chiaroscuro demonstrator (paper 003) and the
//! results of DREAM and Tremel runs, served over HTTP from a results store
//! (`sfumato_results`).
//!
//! * [`assets`] — the vendored chart library (uPlot, pinned by SHA-256) and
//!   the dashboard's own script and style, served by the dashboard itself;
//! * [`views`] — the pages: the scenario picker, and a page per run;
//! * [`data`] — what the charts draw, from a run: the closest published
//!   centroid of a participant, the profiles closest to a window of Bob's
//!   series, the CSV and JSON downloads;
//! * [`server`] — the routes, and serving them on an address (localhost by
//!   default).

pub mod assets;
pub mod data;
pub mod html;
pub mod server;
pub mod views;

pub use server::{router, serve};
