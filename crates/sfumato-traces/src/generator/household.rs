//! A household's lasting attributes: residents, owned appliances, bulbs.

use rand_core::Rng;

use crate::model::params::ApplianceKind;
use crate::model::{MAX_RESIDENTS, Model, ResidentType};

use super::GeneratorOptions;
use super::occupancy::Resident;
use super::rng::{bernoulli, normal, spread, uniform};

/// One appliance a household owns.
#[derive(Clone, Copy, Debug)]
pub struct OwnedAppliance {
    /// Index into [`Model::appliances`].
    pub index: usize,
    /// This unit's power relative to the type's (models differ).
    pub power_factor: f64,
    /// Starts per minute per unit of activity (`kind = "activity"`), set
    /// by calibration and the household's intensity.
    pub rate: f64,
    /// Start offset of a night-storage window, minutes.
    pub offset_minutes: f64,
}

/// A household.
#[derive(Clone, Debug)]
pub struct Household {
    /// Its index in the population.
    pub index: u64,
    /// Its residents (1–5).
    pub residents: Vec<Resident>,
    /// How heavily it uses appliances, relative to its size's average.
    pub intensity: f64,
    /// Scale of its always-on and standby load.
    pub standby_factor: f64,
    /// The appliances it owns.
    pub appliances: Vec<OwnedAppliance>,
    /// Power of each bulb, W.
    pub bulbs: Vec<f64>,
    /// Sun elevation below which it needs light, degrees.
    pub dark_elevation: f64,
}

impl Household {
    /// Number of residents.
    pub fn size(&self) -> usize {
        self.residents.len()
    }

    /// Draws household `index` from its own stream; `rates[size-1][appliance]`
    /// are the calibrated start rates of an average household of each size.
    pub(crate) fn draw<R: Rng + ?Sized>(
        r: &mut R,
        index: u64,
        model: &Model,
        options: &GeneratorOptions,
        rates: &[Vec<f64>; MAX_RESIDENTS],
    ) -> Household {
        let u = uniform(r);
        let size = model
            .size_cdf
            .iter()
            .position(|&c| u < c)
            .unwrap_or(MAX_RESIDENTS - 1)
            + 1;
        let size = options.residents.map_or(size, usize::from);
        let occ = &model.occupancy;
        let household_shift = occ.household_shift_sd * normal(r) / 60.0;
        let residents = (0..size)
            .map(|i| {
                let kind = if i >= 2 {
                    ResidentType::Child
                } else if bernoulli(r, model.adult_worker_share) {
                    ResidentType::Worker
                } else {
                    ResidentType::Home
                };
                Resident {
                    kind,
                    shift_hours: household_shift + occ.resident_shift_sd * normal(r) / 60.0,
                }
            })
            .collect();
        let intensity = spread(r, model.intensity_spread);
        let standby_factor = spread(r, model.standby_spread);
        let mut appliances = Vec::new();
        for (index, spec) in model.appliances.iter().enumerate() {
            let p = &spec.params;
            // Draw for every type, owned or not, so that asking for HVAC does
            // not change which other appliances a household owns.
            let owned = bernoulli(r, p.ownership);
            let power_factor = spread(r, 0.12);
            let offset_minutes = 30.0 * uniform(r);
            if !owned || (p.hvac && !options.hvac) {
                continue;
            }
            let rate = match p.kind {
                ApplianceKind::Activity => {
                    rates[size - 1].get(index).copied().unwrap_or(0.0) * intensity
                }
                _ => 0.0,
            };
            appliances.push(OwnedAppliance {
                index,
                power_factor,
                rate,
                offset_minutes,
            });
        }
        let l = &model.lighting;
        let n_bulbs = (l.bulbs_mean + l.bulbs_sd * normal(r)).round().max(3.0) as usize;
        let share_total: f64 = l.bulb_types.iter().map(|b| b[0]).sum();
        let bulbs = (0..n_bulbs)
            .map(|_| {
                let mut u = uniform(r) * share_total;
                for [share, watts] in &l.bulb_types {
                    if u < *share {
                        return *watts;
                    }
                    u -= share;
                }
                l.bulb_types.last().map_or(0.0, |b| b[1])
            })
            .collect();
        let dark_elevation = l.dark_elevation_mean + l.dark_elevation_sd * normal(r);
        Household {
            index,
            residents,
            intensity,
            standby_factor,
            appliances,
            bulbs,
            dark_elevation,
        }
    }
}
