//! What every Chiaroscuro participant of a run agrees on (Alg. 1's
//! "Req."): the k-means parameters, the privacy parameters, the epidemic
//! parameters, and the schedule of an iteration's three epidemic phases.
//!
//! **Schedule.** Alg. 3 runs EESum for n_e exchanges, then the noise
//! correction's dissemination, then the epidemic decryption, each phase
//! stopping after a fixed number of exchanges. Here a participant gossips
//! once per `period` (at its own random offset within the period) and
//! counts phases in periods: iteration i's EESum takes `exchanges`
//! periods, its dissemination `dissemination` periods, its decryption
//! `decryption` periods. Participants therefore need loosely synchronised
//! clocks (to within a period) — the paper's "late participants simply
//! synchronize on the latest iteration" is realised by refusing exchanges
//! across phases rather than by a global barrier.

use serde::{Deserialize, Serialize};
use sfumato_dp::gossip::compensation_factor;

use crate::chiaroscuro::quality::{Quality, sum_share};
use crate::dream::NoiseKind;
use crate::error::{ProtocolError, Result};
use crate::gossip::PeerSampling;
use crate::node::{NodeId, Time};

/// The participant holding the initial unit weight of every epidemic sum
/// (push-sum's sum convention: the estimate of a sum is value / weight,
/// and the weights sum to one). Whoever publishes the run's parameters.
pub const WEIGHT_ORIGIN: NodeId = NodeId(0);

/// Gossip periods per exchange of Theorem 3's model, measured: in
/// Jelasity's cycles every node initiates one exchange atomically; here an
/// initiator is refused while its partner is in another exchange (about
/// one request in six), and the error of the averages falls by about 0.63
/// per period against 0.55 per cycle (see `sfumato-sim/tests/chiaroscuro.rs`).
pub const PERIODS_PER_EXCHANGE: f64 = 1.3;

/// The EESum periods that give `n_e` exchanges of Theorem 3 when a
/// fraction `churn` of messages does not reach its receiver.
pub fn periods_for_exchanges(n_e: u64, churn: f64) -> u32 {
    let success = (1.0 - churn).clamp(0.05, 1.0);
    (n_e as f64 * PERIODS_PER_EXCHANGE / success)
        .ceil()
        .min(f64::from(u32::MAX)) as u32
}

/// A run's public parameters.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChiaroscuroParams {
    /// Participants (ids 0..population).
    pub population: u32,
    /// The series length n.
    pub length: usize,
    /// The declared range [d_min, d_max] of every value (Def. 4).
    pub range: (f64, f64),
    /// The initial centroids C_init (Alg. 1), public.
    pub initial: Vec<Vec<f64>>,
    /// ε_i of each iteration (§5.1); its length is n_it^max.
    pub budgets: Vec<f64>,
    /// Convergence threshold θ on the largest distance a centroid moved
    /// (§4.2.4); 0 never converges early.
    pub theta: f64,
    /// SMA window as a fraction of n (§5.2, Table 2: 0.2); `None`: none.
    pub smoothing: Option<f64>,
    /// EESum exchanges per participant n_e (Theorem 3).
    pub exchanges: u32,
    /// Periods of the correction's dissemination.
    pub dissemination: u32,
    /// Periods of the epidemic decryption.
    pub decryption: u32,
    /// One gossip period.
    pub period: Time,
    /// n_ν: the number of noise shares each Laplace variable is the sum of
    /// (§4.2.2: a lower bound on the participants).
    pub noise_shares: u64,
    /// The approximation error e_max the gossip sums are run for; Lemma 2
    /// compensates the noise for it.
    pub e_max: f64,
    /// Values are encrypted as fixed-point integers with this many
    /// fractional bits.
    pub fixed_point_bits: u32,
    /// Key holders: participants 0..committee hold key shares 1..=committee.
    pub committee: u32,
    /// The noise shares' distribution.
    pub noise: NoiseKind,
    /// How participants choose exchange partners.
    pub sampling: PeerSampling,
    /// DP initialisation, smoothing mode and the noise-aware stop (§5).
    #[serde(default)]
    pub quality: Quality,
}

/// A phase of an iteration (Alg. 3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Phase {
    /// EESum of the perturbed encrypted means (§4.2.1, §4.2.2).
    Sum,
    /// Dissemination of the smallest-identifier correction (§4.2.2).
    Correction,
    /// Epidemic decryption (§4.2.3).
    Decryption,
}

/// Where a participant's gossip step falls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Step {
    /// The iteration (0-based).
    pub iteration: u32,
    /// The phase.
    pub phase: Phase,
    /// The period within the phase (0-based).
    pub index: u32,
}

impl ChiaroscuroParams {
    /// Checks the parameters; nodes built from checked parameters cannot
    /// fail.
    pub fn validate(&self) -> Result<()> {
        let bad = |what: &'static str, why: String| Err(ProtocolError::invalid(what, why));
        if self.population < 2 {
            return bad("population", "at least 2 participants".into());
        }
        if self.length == 0 {
            return bad("length", "series need at least one value".into());
        }
        let (lo, hi) = self.range;
        if !(lo.is_finite() && hi.is_finite() && lo < hi) {
            return bad("range", format!("[{lo}, {hi}] is not a finite range"));
        }
        if self.initial.is_empty() {
            return bad("k", "at least one initial centroid".into());
        }
        if let Some(c) = self.initial.iter().find(|c| c.len() != self.length) {
            return bad(
                "initial centroids",
                format!(
                    "a centroid of {} values for series of {}",
                    c.len(),
                    self.length
                ),
            );
        }
        if self.budgets.is_empty() {
            return bad("iterations", "at least one iteration".into());
        }
        if let Some(e) = self.budgets.iter().find(|e| !(e.is_finite() && **e > 0.0)) {
            return bad("budget", format!("ε_i = {e} is not positive"));
        }
        if !(self.theta.is_finite() && self.theta >= 0.0) {
            return bad("theta", format!("{} is not a distance", self.theta));
        }
        if let Some(s) = self.smoothing
            && !(0.0..=1.0).contains(&s)
        {
            return bad("smoothing", format!("{s} is not a fraction in [0, 1]"));
        }
        if self.exchanges == 0 || self.dissemination == 0 || self.decryption == 0 {
            return bad("exchanges", "every phase needs at least one period".into());
        }
        if self.period.0 == 0 {
            return bad("period", "must be positive".into());
        }
        if self.noise_shares == 0 {
            return bad("noise shares", "n_ν must be at least 1".into());
        }
        compensation_factor(self.e_max)
            .map_err(|e| ProtocolError::invalid("e-max", e.to_string()))?;
        if !(4..=40).contains(&self.fixed_point_bits) {
            return bad(
                "fixed point",
                format!("{} fractional bits (4 to 40)", self.fixed_point_bits),
            );
        }
        if let Some(init) = &self.quality.init {
            if self.initial.len() != 1 {
                return bad(
                    "initial centroids",
                    format!(
                        "DP initialisation starts from one centroid, not {}",
                        self.initial.len()
                    ),
                );
            }
            if init.k == 0 || !(init.radius.is_finite() && init.radius > 0.0) {
                return bad(
                    "initialisation",
                    format!("k = {}, radius {} (both positive)", init.k, init.radius),
                );
            }
            if self.budgets.len() < 2 {
                return bad(
                    "iterations",
                    "DP initialisation needs at least one iteration after it".into(),
                );
            }
        }
        if let Some(r) = self.quality.stop_noise
            && !(r.is_finite() && r > 0.0)
        {
            return bad("stop ratio", format!("{r} is not positive"));
        }
        if self.committee == 0 || self.committee > self.population {
            return bad(
                "committee",
                format!(
                    "{} key holders among {} participants",
                    self.committee, self.population
                ),
            );
        }
        Ok(())
    }

    /// k, the largest number of centroids of the run: the initial ones,
    /// or with DP initialisation the k it expands the mean into.
    pub fn k(&self) -> usize {
        self.quality.init.map_or(0, |i| i.k).max(self.initial.len())
    }

    /// Periods per iteration.
    pub fn periods_per_iteration(&self) -> u32 {
        self.exchanges + self.dissemination + self.decryption
    }

    /// n_it^max.
    pub fn max_iterations(&self) -> u32 {
        self.budgets.len() as u32
    }

    /// Gossip step `s` (0-based, counted in periods from the start).
    pub fn step(&self, s: u64) -> Step {
        let per = u64::from(self.periods_per_iteration());
        let iteration = (s / per) as u32;
        let r = (s % per) as u32;
        let (phase, index) = if r < self.exchanges {
            (Phase::Sum, r)
        } else if r < self.exchanges + self.dissemination {
            (Phase::Correction, r - self.exchanges)
        } else {
            (Phase::Decryption, r - self.exchanges - self.dissemination)
        };
        Step {
            iteration,
            phase,
            index,
        }
    }

    /// The time at which a run of `iterations` iterations is over for every
    /// participant (the last period plus one for the final local step).
    pub fn end(&self, iterations: u32) -> Time {
        let periods = u64::from(iterations) * u64::from(self.periods_per_iteration()) + 2;
        Time(periods.saturating_mul(self.period.0))
    }

    /// The Def. 4 sensitivity of a cluster's sum series: n·max(|d_min|, |d_max|).
    pub fn sum_sensitivity(&self) -> f64 {
        self.length as f64 * self.range.0.abs().max(self.range.1.abs())
    }

    /// Iteration i's Laplace scales (sum series, count), in real units:
    /// ε_i is split between the sums and the counts after Su et al. 2016
    /// ([`sum_share`]: 93 % to the sums at n = 24); Lemma 2 raises the
    /// sensitivity by (1 + e_max) and compensates the gossip error by
    /// 1 + e_max/(1 − e_max).
    pub fn noise_scales(&self, iteration: u32) -> Option<(f64, f64)> {
        let eps = *self.budgets.get(iteration as usize)?;
        let comp = compensation_factor(self.e_max).ok()?;
        let share = sum_share(self.length);
        let grow = (1.0 + self.e_max) * comp;
        Some((
            grow * self.sum_sensitivity() / (eps * share),
            grow * 1.0 / (eps * (1.0 - share)),
        ))
    }

    /// Whether iteration `i` is the DP initialisation's (it publishes the
    /// mean of all series, expanded into k centroids).
    pub fn is_init_iteration(&self, i: u32) -> bool {
        i == 0 && self.quality.init.is_some()
    }

    /// One fixed-point unit: 2^fixed_point_bits.
    pub fn unit(&self) -> f64 {
        f64::from(2u32).powi(self.fixed_point_bits as i32)
    }

    /// How many values a participant's vector holds at most: k·(n+1).
    pub fn vector_len(&self) -> usize {
        self.k() * (self.length + 1)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Small valid parameters for tests.
    pub(crate) fn small() -> ChiaroscuroParams {
        ChiaroscuroParams {
            population: 60,
            length: 4,
            range: (0.0, 10.0),
            initial: vec![vec![1.0; 4], vec![9.0; 4]],
            budgets: vec![1.0, 1.0],
            theta: 0.0,
            smoothing: None,
            exchanges: 20,
            dissemination: 10,
            decryption: 20,
            period: Time::from_millis(100),
            noise_shares: 60,
            e_max: 1e-6,
            fixed_point_bits: 16,
            committee: 5,
            noise: NoiseKind::Discrete,
            sampling: PeerSampling::Uniform,
            quality: Quality::default(),
        }
    }

    #[test]
    fn steps_walk_through_the_phases() {
        let p = small();
        p.validate().unwrap();
        assert_eq!(p.step(0).phase, Phase::Sum);
        assert_eq!(p.step(19).index, 19);
        assert_eq!(p.step(20).phase, Phase::Correction);
        assert_eq!(p.step(30).phase, Phase::Decryption);
        let s = p.step(50);
        assert_eq!((s.iteration, s.phase, s.index), (1, Phase::Sum, 0));
        assert_eq!(p.vector_len(), 10);
    }

    #[test]
    fn bad_parameters_are_refused() {
        for f in [
            (|p: &mut ChiaroscuroParams| p.population = 1) as fn(&mut ChiaroscuroParams),
            |p| p.range = (3.0, 3.0),
            |p| p.initial[1].pop().map(drop).unwrap_or(()),
            |p| p.budgets = vec![],
            |p| p.budgets[0] = -1.0,
            |p| p.exchanges = 0,
            |p| p.committee = 61,
            |p| p.e_max = 1.0,
            |p| p.smoothing = Some(2.0),
        ] {
            let mut p = small();
            f(&mut p);
            assert!(p.validate().is_err(), "{p:?}");
        }
    }
}
