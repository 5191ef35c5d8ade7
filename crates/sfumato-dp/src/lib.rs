//! # sfumato-dp — noise and privacy budgets
//!
//! The differential-privacy layer shared by sfumato's protocols:
//!
//! | module | what | paper |
//! |---|---|---|
//! | [`continuous`] | Laplace(λ); gamma noise shares G₁(N,λ) − G₂(N,λ) | DREAM Lemma 1, Chiaroscuro Def. 5 |
//! | [`exact`] | exact Bernoulli, geometric, discrete Laplace; Pólya shares summing exactly to discrete Laplace | Canonne–Kamath–Steinke 2020; `docs/noise.md` |
//! | [`calibrate`] | λ = Δ/ε; vector-sum sensitivity; noise for N − M parties | DREAM Thm. 1, §6; Chiaroscuro Def. 4 |
//! | [`budget`] | exact ε, GREEDY / GREEDY_FLOOR / UNIFORM_FAST, accountant | Chiaroscuro §5.1, Def. 3 |
//! | [`gossip`] | δ_atom, Theorem 3's n_e, Lemma 2's compensation | Chiaroscuro App. B |
//! | [`error_metric`] | relative error, Theorem 2 bounds | DREAM Def. 2, Thm. 2 |
//! | [`goodness_of_fit`] | KS and χ² tests used to check the samplers | — |
//!
//! Every sampler takes a caller-supplied [`rand_core::CryptoRng`] and never
//! reads a clock or OS randomness, so a seeded RNG replays bit for bit.
//!
//! ```
//! use rand_chacha::ChaCha20Rng;
//! use rand_core::SeedableRng;
//! use sfumato_dp::{ExactScale, NoiseSampler, PolyaShare};
//!
//! // 100 meters each add a share; together they add discrete Laplace(20).
//! let share = PolyaShare::new(100, ExactScale::parse("20").unwrap()).unwrap();
//! let mut rng = ChaCha20Rng::seed_from_u64(7);
//! let total: i64 = (0..100).map(|_| share.sample(&mut rng)).sum();
//! # let _ = total;
//! ```

pub mod budget;
pub mod calibrate;
pub mod continuous;
pub mod error;
pub mod error_metric;
pub mod exact;
pub mod goodness_of_fit;
pub mod gossip;
pub mod mechanism;
pub mod rational;
pub mod sampler;

pub use budget::{Accountant, BudgetStrategy, Epsilon};
pub use calibrate::FailureTolerance;
pub use continuous::{GammaShare, Laplace};
pub use error::{DpError, Result};
pub use exact::{DiscreteLaplace, Geometric, NegativeBinomial, PolyaShare};
pub use mechanism::{AggregateNoise, Mechanism, Noise};
pub use rational::ExactScale;
pub use sampler::NoiseSampler;
