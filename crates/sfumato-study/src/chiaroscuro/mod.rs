//! Chiaroscuro studies (Allard et al.).
//!
//! * [`network`] — a run as a real deployment: participants on hosts over
//!   TLS, with a threshold Damgård–Jurik key dealt to the committee.

pub mod network;
