//! Who is at home and awake: a Markov chain in 10-minute steps
//! (after Richardson et al. 2010, who fit theirs to time-use data).
//!
//! Each resident is in one of three states — away, at home asleep, at home
//! and active — and follows a time-inhomogeneous chain built so that its
//! marginal distribution at every step is exactly the *target* of the
//! resident's routine (wake, leave, return, bed times, softened, and shifted
//! for the household and the resident):
//!
//! * with probability `refresh` the next state is drawn afresh from the next
//!   step's target (short absences, waking at night);
//! * otherwise the resident keeps its state with probability
//!   `min(1, π'(s)/π(s))`, and those who leave a shrinking state move to the
//!   growing states in proportion to their growth.
//!
//! The second move carries π to π' exactly (mass leaving each shrinking
//! state equals mass arriving in each growing one), so each step maps the
//! target to the next target while changing as few residents as possible:
//! routines stay persistent (one wake-up, one departure) rather than
//! flickering. A household's residents share its routine shift, which
//! correlates them. The output is the number of *active occupants* per step.

use rand_core::Rng;

use crate::model::params::OccupancyParams;
use crate::model::{Model, ResidentType, STEPS_PER_DAY};

use super::rng::uniform;

/// Index of "at home and active" in a state distribution
/// `[away, asleep, active]`.
const ACTIVE: usize = 2;

/// One resident of a household.
#[derive(Clone, Copy, Debug)]
pub struct Resident {
    /// What the resident does on weekdays.
    pub kind: ResidentType,
    /// Shift of the routine in hours (household's plus own).
    pub shift_hours: f64,
}

/// Draws a state from a distribution.
fn draw(p: &[f64; 3], u: f64) -> usize {
    if u < p[0] {
        0
    } else if u < p[0] + p[1] {
        1
    } else {
        2
    }
}

/// One step of the chain from state `s`, target `from` to target `to`.
fn step<R: Rng + ?Sized>(
    r: &mut R,
    refresh: f64,
    s: usize,
    from: &[f64; 3],
    to: &[f64; 3],
) -> usize {
    if uniform(r) < refresh {
        return draw(to, uniform(r));
    }
    if from[s] <= to[s] || uniform(r) * from[s] < to[s] {
        return s;
    }
    // Leave `s` for a growing state, in proportion to its growth.
    let growth = [0, 1, 2].map(|j| (to[j] - from[j]).max(0.0));
    let total: f64 = growth.iter().sum();
    if total <= 0.0 {
        return s;
    }
    let u = uniform(r) * total;
    if u < growth[0] {
        0
    } else if u < growth[0] + growth[1] {
        1
    } else {
        2
    }
}

/// Active occupants at each step of one day.
pub fn active_occupants<R: Rng + ?Sized>(
    r: &mut R,
    model: &Model,
    residents: &[Resident],
    weekend: bool,
) -> [u8; STEPS_PER_DAY] {
    let occ: &OccupancyParams = &model.occupancy;
    let mut active = [0u8; STEPS_PER_DAY];
    for res in residents {
        let at = |k: usize| {
            model.occupancy_target(res.kind, weekend, (k as f64 + 0.5) / 6.0 - res.shift_hours)
        };
        let mut from = at(0);
        let mut s = draw(&from, uniform(r));
        active[0] += u8::from(s == ACTIVE);
        for slot in active.iter_mut().skip(1).enumerate() {
            let to = at(slot.0 + 1);
            s = step(r, occ.refresh, s, &from, &to);
            *slot.1 += u8::from(s == ACTIVE);
            from = to;
        }
    }
    active
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generator::rng::{Stream, stream};

    #[test]
    fn the_chain_keeps_the_target_marginals() {
        let m = Model::builtin().unwrap();
        let res = [Resident {
            kind: ResidentType::Worker,
            shift_hours: 0.0,
        }];
        let mut r = stream(9, Stream::Calibration, 0, 0);
        let days = 20_000;
        let mut count = [0u32; STEPS_PER_DAY];
        for _ in 0..days {
            let a = active_occupants(&mut r, &m, &res, false);
            for k in 0..STEPS_PER_DAY {
                count[k] += u32::from(a[k]);
            }
        }
        for k in (0..STEPS_PER_DAY).step_by(6) {
            let want =
                m.occupancy_target(ResidentType::Worker, false, (k as f64 + 0.5) / 6.0)[ACTIVE];
            let got = f64::from(count[k]) / days as f64;
            // Binomial sd at most 0.0035; 5 sd.
            assert!((got - want).abs() < 0.018, "step {k}: {got} vs {want}");
        }
    }

    #[test]
    fn workers_are_out_on_weekday_afternoons_and_asleep_at_night() {
        let m = Model::builtin().unwrap();
        let res = [Resident {
            kind: ResidentType::Worker,
            shift_hours: 0.0,
        }; 2];
        let mut r = stream(10, Stream::Calibration, 0, 0);
        let (mut night, mut afternoon, mut evening) = (0u32, 0u32, 0u32);
        for _ in 0..2_000 {
            let a = active_occupants(&mut r, &m, &res, false);
            night += u32::from(a[18]); // 03:00
            afternoon += u32::from(a[84]); // 14:00
            evening += u32::from(a[120]); // 20:00
        }
        assert!(
            night < 200 && afternoon < evening / 2,
            "{night} {afternoon} {evening}"
        );
    }

    #[test]
    fn persistence_one_wake_up_a_day() {
        let m = Model::builtin().unwrap();
        let res = [Resident {
            kind: ResidentType::Home,
            shift_hours: 0.0,
        }];
        let mut r = stream(11, Stream::Calibration, 0, 0);
        let mut switches = 0;
        let days = 1_000;
        for _ in 0..days {
            let a = active_occupants(&mut r, &m, &res, false);
            switches += a.windows(2).filter(|w| w[0] != w[1]).count();
        }
        // Waking, going to bed, an outing or two, and a few refreshes.
        let per_day = switches as f64 / days as f64;
        assert!((2.0..10.0).contains(&per_day), "{per_day}");
    }
}
