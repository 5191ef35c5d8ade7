//! Outdoor temperature and daylight for one date, shared by every household.
//!
//! Temperature: a seasonal cosine peaking on the climate's warmest day, a
//! random offset per date, and a diurnal cosine peaking at 15:00. Daylight:
//! the sun's elevation from its declination and hour angle at the climate's
//! latitude, with clock time shifted an hour in summer time (EU rule: last
//! Sunday of March to last Sunday of October).

use core::f64::consts::{PI, TAU};

use crate::calendar::{Date, Weekday};
use crate::model::STEPS_PER_DAY;
use crate::model::params::ClimateParams;

use super::rng::{Stream, bernoulli, normal, stream};

/// One date's weather.
#[derive(Clone, Debug)]
pub struct DayWeather {
    /// Mean outdoor temperature of the day, °C.
    pub mean_temp: f64,
    /// Outdoor temperature at the middle of each 10-minute step, °C.
    pub temp: [f64; STEPS_PER_DAY],
    /// Sun elevation at the middle of each step, degrees.
    pub sun_elevation: [f64; STEPS_PER_DAY],
    /// Whether the day is overcast (rooms need light earlier).
    pub overcast: bool,
}

/// The last Sunday of `month` (which has 31 days) in `year`.
fn last_sunday(year: i32, month: u32) -> Date {
    let mut d = Date::from_valid_ymd(year, month, 31);
    while d.weekday() != Weekday::Sunday {
        d = d.add_days(-1);
    }
    d
}

/// Whether clocks are an hour ahead on `date` (EU rule).
pub fn is_summer_time(date: Date) -> bool {
    let (year, _, _) = date.ymd();
    date >= last_sunday(year, 3) && date < last_sunday(year, 10)
}

impl DayWeather {
    /// The weather of `date` in `climate` for the run `seed`; `overcast_share`
    /// is the share of overcast days.
    pub fn new(seed: u64, date: Date, climate: &ClimateParams, overcast_share: f64) -> DayWeather {
        let mut r = stream(seed, Stream::Weather, date.days_since_epoch() as u64, 0);
        let doy = date.ordinal() as f64;
        let seasonal =
            climate.seasonal_amplitude * (TAU * (doy - climate.warmest_day) / 365.25).cos();
        let mean_temp = climate.mean_temp + seasonal + climate.daily_sd * normal(&mut r);
        let overcast = bernoulli(&mut r, overcast_share);
        let clock_shift = if climate.summer_time && is_summer_time(date) {
            1.0
        } else {
            0.0
        };
        let lat = climate.latitude.to_radians();
        let declination = (23.44f64).to_radians() * (TAU * (284.0 + doy) / 365.0).sin();
        let mut temp = [0.0; STEPS_PER_DAY];
        let mut sun_elevation = [0.0; STEPS_PER_DAY];
        for k in 0..STEPS_PER_DAY {
            let clock_hour = (k as f64 + 0.5) / 6.0;
            temp[k] =
                mean_temp + climate.diurnal_amplitude * (TAU * (clock_hour - 15.0) / 24.0).cos();
            let solar_hour = clock_hour - clock_shift;
            let hour_angle = (solar_hour - 12.0) * PI / 12.0;
            let sin_el =
                lat.sin() * declination.sin() + lat.cos() * declination.cos() * hour_angle.cos();
            sun_elevation[k] = sin_el.clamp(-1.0, 1.0).asin().to_degrees();
        }
        DayWeather {
            mean_temp,
            temp,
            sun_elevation,
            overcast,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Model;

    #[test]
    fn seasons_and_daylight() {
        let m = Model::builtin().unwrap();
        let uk = m.climate("uk").unwrap();
        let jan: Date = "2023-01-15".parse().unwrap();
        let jul: Date = "2023-07-15".parse().unwrap();
        let mean = |d: Date| {
            (0..200)
                .map(|s| DayWeather::new(s, d, uk, 0.5).mean_temp)
                .sum::<f64>()
                / 200.0
        };
        assert!(
            mean(jan) < 6.0 && mean(jul) > 14.0,
            "{} {}",
            mean(jan),
            mean(jul)
        );
        let daylight = |d: Date| {
            DayWeather::new(1, d, uk, 0.5)
                .sun_elevation
                .iter()
                .filter(|&&e| e > 0.0)
                .count()
        };
        // About 8 h of daylight in mid-January at 52.5°N, about 16 h in July.
        assert!((44..=52).contains(&daylight(jan)), "{}", daylight(jan));
        assert!((92..=100).contains(&daylight(jul)), "{}", daylight(jul));
        // Summer time moves solar noon to about 13:00 on the clock.
        let w = DayWeather::new(1, jul, uk, 0.5);
        let noon = (0..STEPS_PER_DAY)
            .max_by(|&a, &b| w.sun_elevation[a].total_cmp(&w.sun_elevation[b]))
            .unwrap();
        assert!((76..=80).contains(&noon), "{noon}");
        assert!(is_summer_time(jul) && !is_summer_time(jan));
        assert!(is_summer_time("2023-03-26".parse().unwrap()));
        assert!(!is_summer_time("2023-03-25".parse().unwrap()));
        assert!(!is_summer_time("2023-10-29".parse().unwrap()));
    }
}
