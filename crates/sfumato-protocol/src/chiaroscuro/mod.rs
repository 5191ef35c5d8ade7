//! Chiaroscuro (Allard et al., SIGMOD 2015): private k-means over
//! massively distributed time series. In progress (issue 7): so far the
//! centralized k-means, the inertia measures of Def. 1 and the
//! centralized perturbed k-means that the evaluation compares the
//! distributed protocol with.

pub mod additive;
pub mod kmeans;
pub mod perturbed;

pub use additive::{AdditiveScheme, DamgardJurik, InsecurePlaintext, InsecurePlaintextValue};
pub use kmeans::{Inertia, assign, inertia, lloyd_step, means};
pub use perturbed::{IterationReport, Perturbation, perturbed_kmeans, smooth};
