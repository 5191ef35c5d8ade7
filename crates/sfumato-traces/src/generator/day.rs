//! One household-day: occupancy, then every owned appliance and the
//! lighting, written into a day sink (energy per slot).
//!
//! Activity-driven appliances start as a non-homogeneous Bernoulli process
//! in continuous time: within each 10-minute step the start hazard per
//! minute is `rate × activity(step) × √(active occupants)`, zero when nobody
//! is active. The next start is found by drawing one standard exponential
//! and walking the steps' cumulative hazard, so a day costs one pass over
//! 144 steps per appliance plus a few draws per start, whatever the output
//! resolution.

use rand_chacha::ChaCha8Rng;
use rand_core::Rng;

use crate::model::params::ApplianceKind;
use crate::model::{Model, STEP_MINUTES, STEPS_PER_DAY};

use super::household::{Household, OwnedAppliance};
use super::occupancy::active_occupants;
use super::rng::{exp1, lognormal, uniform};
use super::sink::DaySink;
use super::weather::DayWeather;

const STEP: f64 = STEP_MINUTES as f64;
const DAY: f64 = STEP * STEPS_PER_DAY as f64;

/// What every load of the day sees.
struct Day<'a> {
    model: &'a Model,
    weather: &'a DayWeather,
    weekend: bool,
    /// Active occupants per step.
    active: [u8; STEPS_PER_DAY],
    /// √active per step.
    sharing: [f64; STEPS_PER_DAY],
    /// Minute at which the active spell containing each step ends (the
    /// step's own start if nobody is active in it).
    active_until: [f64; STEPS_PER_DAY],
}

/// Simulates one day of `household` into `sink`; returns the active
/// occupants per step.
///
/// Occupancy draws from stream 0 of `r`; appliance `i` of the model from
/// stream `i + 1` and lighting from the stream after the last appliance's,
/// each from its start: owning (or not) one appliance never changes how
/// another is used.
pub(crate) fn simulate_day(
    r: &mut ChaCha8Rng,
    model: &Model,
    household: &Household,
    weather: &DayWeather,
    weekend: bool,
    sink: &mut DaySink,
) -> [u8; STEPS_PER_DAY] {
    let active = active_occupants(r, model, &household.residents, weekend);
    let mut sharing = [0.0; STEPS_PER_DAY];
    let mut active_until = [0.0; STEPS_PER_DAY];
    let mut until = DAY;
    for k in (0..STEPS_PER_DAY).rev() {
        sharing[k] = f64::from(active[k]).sqrt();
        if active[k] == 0 {
            until = k as f64 * STEP;
        }
        active_until[k] = until;
    }
    let day = Day {
        model,
        weather,
        weekend,
        active,
        sharing,
        active_until,
    };
    for owned in &household.appliances {
        r.set_stream(owned.index as u64 + 1);
        r.set_word_pos(0);
        appliance(r, &day, household, owned, sink);
    }
    r.set_stream(model.appliances.len() as u64 + 1);
    r.set_word_pos(0);
    lighting(r, &day, household, sink);
    active
}

fn step_of(minute: f64) -> usize {
    ((minute / STEP) as usize).min(STEPS_PER_DAY - 1)
}

fn appliance<R: Rng + ?Sized>(
    r: &mut R,
    day: &Day<'_>,
    h: &Household,
    owned: &OwnedAppliance,
    sink: &mut DaySink,
) {
    let spec = &day.model.appliances[owned.index];
    let p = &spec.params;
    let part = owned.index;
    let power = p.power * owned.power_factor;
    match p.kind {
        ApplianceKind::Always => sink.add_constant(part, power * h.standby_factor),
        ApplianceKind::Activity => {
            let standby = p.standby * h.standby_factor;
            sink.add_constant(part, standby);
            let Some(activity) = spec.activity else {
                return;
            };
            let profile = &day.model.activities[activity];
            let profile = if day.weekend {
                &profile.weekend
            } else {
                &profile.weekday
            };
            let mut rate = [0.0; STEPS_PER_DAY];
            for k in 0..STEPS_PER_DAY {
                rate[k] = owned.rate * profile[k] * day.sharing[k];
            }
            let mut t = 0.0;
            while let Some(start) = next_start(r, &rate, t) {
                let start = start.floor();
                let stretch = lognormal(r, 1.0, p.duration_spread);
                let cap = if p.stops_when_inactive {
                    day.active_until[step_of(start)].max(start + 1.0)
                } else {
                    DAY
                };
                let mut at = start;
                for &(minutes, watts) in &spec.phases {
                    let end = (at + minutes * stretch).min(cap);
                    sink.add(part, at, end, watts * owned.power_factor - standby);
                    at = end;
                    if at >= cap {
                        break;
                    }
                }
                t = at + p.restart_delay.max(1.0);
            }
        }
        ApplianceKind::Cold => {
            // A compressor cycle in progress at midnight: random phase.
            let warm = 1.0 + 0.015 * (day.weather.mean_temp - 10.0);
            let period = p.on * warm + p.off;
            let mut t = -uniform(r) * period;
            while t < DAY {
                // ±10 % uniform jitter on each on and off spell.
                let on = p.on * warm * (0.9 + 0.2 * uniform(r));
                let off = p.off * (0.9 + 0.2 * uniform(r));
                sink.add(part, t, t + on, power);
                t += on + off;
            }
        }
        ApplianceKind::Storage => {
            let need = ((p.setpoint - day.weather.mean_temp) / (p.setpoint - p.design_temp))
                .clamp(0.0, 1.0);
            if need > 0.0 {
                let start = p.window_start * 60.0 + owned.offset_minutes;
                let hours = need * p.window_hours;
                sink.add(part, start, start + hours * 60.0, power);
            }
        }
        ApplianceKind::Heating | ApplianceKind::Fan | ApplianceKind::Cooling => {
            for k in 0..STEPS_PER_DAY {
                let someone = day.active[k] > 0;
                if p.stops_when_inactive && !someone {
                    continue;
                }
                let temp = day.weather.temp[k];
                let duty = match p.kind {
                    // Direct heating warms occupied rooms only.
                    ApplianceKind::Heating if !someone => 0.0,
                    ApplianceKind::Heating | ApplianceKind::Fan => {
                        // Thermostat set back 3 °C when nobody is active.
                        let set = if someone {
                            p.setpoint
                        } else {
                            p.setpoint - 3.0
                        };
                        (set - temp) / (p.setpoint - p.full_duty_below)
                    }
                    _ => {
                        let set = if someone {
                            p.setpoint
                        } else {
                            p.setpoint + 3.0
                        };
                        (temp - set) / (p.full_duty_above - p.setpoint)
                    }
                };
                let duty = duty.clamp(0.0, 1.0) * p.max_duty;
                if duty > 0.0 {
                    let on = duty * STEP;
                    let start = k as f64 * STEP + uniform(r) * (STEP - on);
                    sink.add(part, start, start + on, power);
                }
            }
        }
    }
}

/// The next start at or after minute `t` of a process with per-minute
/// hazard `rate[step]`, or `None` if there is none before midnight.
fn next_start<R: Rng + ?Sized>(r: &mut R, rate: &[f64; STEPS_PER_DAY], mut t: f64) -> Option<f64> {
    let mut e = exp1(r);
    let mut k = (t / STEP) as usize;
    while k < STEPS_PER_DAY {
        let end = (k + 1) as f64 * STEP;
        let h = rate[k];
        let mass = h * (end - t);
        if mass >= e {
            return Some(t + e / h);
        }
        e -= mass;
        t = end;
        k += 1;
    }
    None
}

fn lighting<R: Rng + ?Sized>(r: &mut R, day: &Day<'_>, h: &Household, sink: &mut DaySink) {
    let l = &day.model.lighting;
    if h.bulbs.is_empty() {
        return;
    }
    let threshold = h.dark_elevation
        + if day.weather.overcast {
            l.overcast_shift
        } else {
            0.0
        };
    // Lights are wanted while it is dark and someone is active; a spell of
    // that ends when either stops.
    let mut rate = [0.0; STEPS_PER_DAY];
    let mut until = [0.0; STEPS_PER_DAY];
    let mut end = DAY;
    for k in (0..STEPS_PER_DAY).rev() {
        let wanted = day.active[k] > 0 && day.weather.sun_elevation[k] < threshold;
        if wanted {
            rate[k] = l.switch_on_rate * f64::from(day.active[k]).powf(l.sharing);
        } else {
            end = k as f64 * STEP;
        }
        until[k] = end;
    }
    let part = day.model.appliances.len();
    let mut t = 0.0;
    while let Some(start) = next_start(r, &rate, t) {
        let bulb = h.bulbs[((uniform(r) * h.bulbs.len() as f64) as usize).min(h.bulbs.len() - 1)];
        let stop =
            (start + lognormal(r, l.duration_median, l.duration_sigma)).min(until[step_of(start)]);
        sink.add(part, start, stop, bulb);
        // Switch-ons are independent: several bulbs can be on at once.
        t = start;
    }
}
