//! Chiaroscuro (Allard et al., SIGMOD 2015): private k-means over
//! massively distributed time series, as sans-IO participants.
//!
//! * [`params`] — the public parameters and the schedule of an iteration;
//! * [`additive`] — the additively homomorphic scheme (Damgård–Jurik, or a
//!   loudly named insecure stand-in for huge simulations);
//! * [`eesum`] — the Diptych's encrypted means and EESum's update (Alg. 2);
//! * [`decryption`] — epidemic threshold decryption (§4.2.3) and what an
//!   iteration publishes;
//! * [`participant`] — Alg. 1 and Alg. 3 as a node;
//! * [`kmeans`], [`perturbed`] — the centralized baselines and oracles of
//!   the evaluation (§6): Lloyd's k-means, Def. 1's inertia, the
//!   centralized perturbed k-means; [`dplloyd`] — diffprivlib's DP k-means
//!   (Su et al.'s DPLloyd), the centralized DP baseline;
//! * [`baselines`] — what a run is measured against, computed once for
//!   every front end;
//! * [`quality`] — what keeps clusters alive under noise: the budget split
//!   between sums and counts, DP initialisation, adaptive smoothing and
//!   the noise-aware stop (§5).

pub mod additive;
pub mod baselines;
pub mod decryption;
pub mod dplloyd;
pub mod eesum;
pub mod kmeans;
pub mod messages;
pub mod packing;
pub mod params;
pub mod participant;
pub mod perturbed;
pub mod quality;

pub use additive::{
    AdditiveScheme, DamgardJurik, DjPartial, DjVector, InsecureKeyShare, InsecurePlaintext,
    InsecurePlaintextVector,
};
pub use baselines::{BaselineIteration, Baselines, KMEANS_PP_RESTARTS, baselines, lloyd_baseline};
pub use decryption::{DecryptionState, Published, Summary};
pub use dplloyd::{DpLloyd, dp_lloyd};
pub use eesum::EncryptedMeans;
pub use kmeans::{Inertia, assign, distance2, inertia, kmeans_pp, lloyd_step, means, nearest};
pub use messages::{ChiaroscuroMessage, Correction};
pub use params::{ChiaroscuroParams, Phase, Step, WEIGHT_ORIGIN};
pub use participant::{ChiaroscuroEvent, Participant, ParticipantStats, Shared, Status, StepTimer};
pub use perturbed::{
    IterationReport, PublishedMeans, perturbed_kmeans, perturbed_mean, publish_means, smooth,
    stop_after,
};
pub use quality::{DpInit, Quality, SmoothingMode, adaptive_smooth, noise_overwhelms, sum_share};
