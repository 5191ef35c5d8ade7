//! Exact samplers on the integers: only integer and rational arithmetic, so
//! the privacy proof holds for the numbers actually produced (no floating-point
//! tails, no rounding artefacts; Mironov CCS 2012 shows why that matters).

pub mod bernoulli;
pub mod discrete_laplace;
pub mod geometric;
pub mod polya;
pub mod uniform;

pub use bernoulli::{bernoulli_exp_neg, bernoulli_ratio};
pub use discrete_laplace::DiscreteLaplace;
pub use geometric::Geometric;
pub use polya::{NegativeBinomial, PolyaShare};
pub use uniform::{uniform_below, uniform_below_u128};
