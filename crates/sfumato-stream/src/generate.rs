//! A seeded generator of realistic DEBS 2014 smart-plug streams.
//!
//! The challenge's world is 40 houses of several households each, about
//! 2,000 plugs in all, every plug reporting its load (W) every second and its
//! cumulative work (kWh) now and then. Here each plug is one appliance (or
//! the lighting) of a household drawn by `sfumato-traces`' bottom-up
//! generator, whose minute-resolution profiles give the plug's power.
//!
//! **World.** Trace households 0, 1, 2, … are dealt to houses in order.
//! House `h` (0-based) takes successive households while that brings the
//! number of plugs dealt so far closer to its cumulative target
//! `round(plugs · (h + 1) / houses)`, and always at least one household; so
//! each house gets about `plugs / houses` plugs and the total is within half
//! a household's plugs of `plugs` (exactly `plugs` is not possible in
//! general). Each owned appliance of a household, then its lighting, becomes
//! one plug: plug ids count from 0 within the household, household ids from
//! 0 within the house.
//!
//! **Events.** At second `s` of the stream (timestamp `start + s`), plug `g`
//! (its index in [`PlugStream::plugs`], ordered by house, household, plug)
//! reports
//!
//! * if `s` is a *work second* (`s % work_every == 0`), a work event: the
//!   energy of its minute profile from the stream start to this second,
//!   kWh, rounded to 0.001;
//! * a load event: its minute's power `kWh · 60,000` W times a jitter
//!   `1 + 0.01·u`, `u ∈ [−1, 1)` a hash of (seed, `g`, timestamp), rounded
//!   to 0.001 W; a plug drawing nothing reports exactly 0.
//!
//! Events come in timestamp order, within a second by plug, work before load.
//!
//! **Ids.** With `P` plugs in the world and `W(s) = ⌈s / work_every⌉` work
//! seconds before second `s`, second `s` starts at id `P·(s + W(s))`; within
//! it plug `g`'s work event is `2g` and its load event `2g + 1` on a work
//! second, its load event `g` otherwise ([`PlugStream::event_id`]). A shard
//! ([`PlugStream::houses`]) therefore generates its houses' events with
//! their ids in the whole stream, and the shards together are the whole
//! stream.
//!
//! **Memory.** A household-day's profiles are drawn when the stream reaches
//! that day, and only the current day is kept: about 6 KB a plug, however
//! long the stream.

use std::ops::Range;

use sfumato_traces::Date;
use sfumato_traces::Resolution;
use sfumato_traces::generator::{Generator, GeneratorOptions, Household, LIGHTING};
use sfumato_traces::model::Model;

use crate::error::{Result, StreamError};
use crate::event::{Event, PlugKey, Property};
use crate::mix::splitmix64;

/// Seconds in a day.
const DAY: u64 = 86_400;
/// Minutes in a day: the length of a day's profile.
const MINUTES: usize = 1_440;
/// W per (kWh per minute).
const W_PER_KWH_MINUTE: f64 = 60_000.0;

/// What stream to generate.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct StreamConfig {
    /// Seed of the households, their days, the weather and the jitter.
    pub seed: u64,
    /// Number of houses (the challenge: 40).
    pub houses: u32,
    /// Target number of plugs in all houses (the challenge: about 2,000).
    pub plugs: u32,
    /// First timestamp, Unix seconds; a multiple of 86,400 (a UTC midnight).
    pub start: u32,
    /// Length of the stream, seconds.
    pub seconds: u64,
    /// One work event per plug every this many seconds (a load event every
    /// second).
    pub work_every: u32,
}

impl Default for StreamConfig {
    /// 40 houses, 2,000 plugs, one day from 2013-09-01T00:00:00Z (the
    /// challenge's first day), work every minute, seed 0.
    fn default() -> Self {
        StreamConfig {
            seed: 0,
            houses: 40,
            plugs: 2_000,
            start: 1_377_993_600,
            seconds: DAY,
            work_every: 60,
        }
    }
}

impl StreamConfig {
    /// Checks the parameters: at least one house, at least as many plugs as
    /// houses, at least one second, a start at midnight, `work_every ≥ 1`
    /// and every timestamp within `u32`.
    pub fn validate(&self) -> Result<()> {
        if self.houses == 0 {
            return Err(StreamError::invalid("houses", "must be at least 1"));
        }
        if self.plugs < self.houses {
            return Err(StreamError::invalid(
                "plugs",
                format!(
                    "must be at least the number of houses ({}), got {}",
                    self.houses, self.plugs
                ),
            ));
        }
        if self.seconds == 0 {
            return Err(StreamError::invalid("seconds", "must be at least 1"));
        }
        if !u64::from(self.start).is_multiple_of(DAY) {
            return Err(StreamError::invalid(
                "start",
                format!(
                    "must be a multiple of 86400 (midnight UTC), got {}",
                    self.start
                ),
            ));
        }
        if self.work_every == 0 {
            return Err(StreamError::invalid("work_every", "must be at least 1"));
        }
        if u64::from(self.start).saturating_add(self.seconds) > u64::from(u32::MAX) + 1 {
            return Err(StreamError::invalid(
                "seconds",
                format!(
                    "the stream must end by timestamp {} (u32), but {} + {} seconds goes beyond",
                    u32::MAX,
                    self.start,
                    self.seconds
                ),
            ));
        }
        Ok(())
    }

    /// Whether second `s` of the stream carries work events.
    fn is_work_second(&self, s: u64) -> bool {
        s.is_multiple_of(u64::from(self.work_every))
    }

    /// Work seconds in `[0, s)`.
    fn work_seconds_before(&self, s: u64) -> u64 {
        s.div_ceil(u64::from(self.work_every))
    }
}

/// One plug of the world.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlugInfo {
    /// House, household and plug id.
    pub key: PlugKey,
    /// The appliance type (a name of the traces model) or `lighting`.
    pub appliance: String,
    /// The household's index in the traces generator.
    pub trace_household: u64,
}

/// A household whose plugs this stream generates.
#[derive(Debug)]
struct Member {
    household: Household,
    /// Its first plug, as an index into the stream's own plugs.
    first: usize,
    /// Its number of plugs (owned appliances + lighting).
    plugs: usize,
}

/// A generator of the stream of a [`StreamConfig`], whole
/// ([`PlugStream::new`]) or for a range of houses ([`PlugStream::houses`]).
#[derive(Debug)]
pub struct PlugStream {
    config: StreamConfig,
    generator: Generator,
    /// 1970-01-01.
    epoch: Date,
    /// Every plug of the world, ordered by key.
    plugs: Vec<PlugInfo>,
    /// The shard's houses.
    house_range: Range<u32>,
    /// The shard's plugs, as indices into `plugs`.
    plug_range: Range<usize>,
    /// The shard's households.
    members: Vec<Member>,
    /// Next second to emit (from the start).
    second: u64,
    /// Next event within that second, counting the shard's events only.
    pos: usize,
    /// The day (from the start) whose profiles `load_w` holds.
    day: Option<u64>,
    /// `[shard plug · 1440 + minute]`: the day's power, W.
    load_w: Vec<f32>,
    /// Per shard plug: kWh from the stream start to the current minute.
    work_kwh: Vec<f64>,
}

impl PlugStream {
    /// The whole stream of `config`.
    pub fn new(config: &StreamConfig) -> Result<Self> {
        PlugStream::houses(config, 0..config.houses)
    }

    /// The events of houses `range` only (a shard for a parallel source),
    /// with their ids in the whole stream.
    pub fn houses(config: &StreamConfig, range: Range<u32>) -> Result<Self> {
        config.validate()?;
        if range.start > range.end || range.end > config.houses {
            return Err(StreamError::invalid(
                "houses",
                format!(
                    "range {}..{} is not within the {} houses",
                    range.start, range.end, config.houses
                ),
            ));
        }
        let model = Model::builtin().map_err(|e| StreamError::invalid("model", e.to_string()))?;
        let options = GeneratorOptions {
            resolution: Resolution::MINUTE,
            per_appliance: true,
            ..GeneratorOptions::default()
        };
        let generator = Generator::new(model, options, config.seed)
            .map_err(|e| StreamError::invalid("generator", e.to_string()))?;
        let epoch = Date::from_ymd(1970, 1, 1)
            .map_err(|e| StreamError::invalid("calendar", e.to_string()))?;

        let mut plugs = Vec::new();
        let mut members = Vec::new();
        // The shard's plugs: from its first household's first plug to its
        // last household's last (houses are contiguous in `plugs`).
        let mut plug_range: Option<Range<usize>> = None;
        let mut next = 0u64;
        let mut pending = generator.household(next);
        let houses = u64::from(config.houses);
        for house in 0..config.houses {
            let target = (u64::from(config.plugs) * (u64::from(house) + 1) + houses / 2) / houses;
            let mut household_id = 0u32;
            loop {
                let n = pending.appliances.len() + 1;
                let have = plugs.len() as u64;
                let closer = have < target && 2 * (target - have) > n as u64;
                if household_id > 0 && !closer {
                    break;
                }
                let first = plugs.len();
                let names = pending
                    .appliances
                    .iter()
                    .map(|a| {
                        generator
                            .model()
                            .appliances
                            .get(a.index)
                            .map_or("appliance", |spec| spec.name())
                    })
                    .chain([LIGHTING]);
                for (plug, name) in (0u32..).zip(names) {
                    plugs.push(PlugInfo {
                        key: PlugKey {
                            house,
                            household: household_id,
                            plug,
                        },
                        appliance: name.to_string(),
                        trace_household: pending.index,
                    });
                }
                next += 1;
                let household = std::mem::replace(&mut pending, generator.household(next));
                if range.contains(&house) {
                    let start = plug_range.as_ref().map_or(first, |r| r.start);
                    plug_range = Some(start..first + n);
                    members.push(Member {
                        household,
                        first: 0,
                        plugs: n,
                    });
                }
                household_id += 1;
            }
        }
        let plug_range = plug_range.unwrap_or(0..0);
        let mut first = 0;
        for m in &mut members {
            m.first = first;
            first += m.plugs;
        }
        let shard = plug_range.len();
        Ok(PlugStream {
            config: config.clone(),
            generator,
            epoch,
            plugs,
            house_range: range,
            plug_range,
            members,
            second: 0,
            pos: 0,
            day: None,
            load_w: vec![0.0; shard * MINUTES],
            work_kwh: vec![0.0; shard],
        })
    }

    /// The configuration.
    pub fn config(&self) -> &StreamConfig {
        &self.config
    }

    /// Every plug of the world, ordered by (house, household, plug); a
    /// plug's position here is its index `g` in the id formula.
    pub fn plugs(&self) -> &[PlugInfo] {
        &self.plugs
    }

    /// The number of plugs in the world (close to, not exactly, the target).
    pub fn plug_count(&self) -> usize {
        self.plugs.len()
    }

    /// The houses this stream generates.
    pub fn house_range(&self) -> Range<u32> {
        self.house_range.clone()
    }

    /// The plugs this stream generates, as a range of [`PlugStream::plugs`].
    pub fn plug_range(&self) -> Range<usize> {
        self.plug_range.clone()
    }

    /// The number of events of the whole stream (all houses).
    pub fn total_events(&self) -> u64 {
        self.second_start_id(self.config.seconds)
    }

    /// The number of events this stream (shard) generates in all.
    pub fn shard_events(&self) -> u64 {
        let shard = self.plug_range.len() as u64;
        let s = self.config.seconds;
        shard * (s + self.config.work_seconds_before(s))
    }

    /// Whether every event has been generated.
    pub fn is_done(&self) -> bool {
        self.second >= self.config.seconds
    }

    /// The id, in the whole stream, of plug `plug`'s (an index into
    /// [`PlugStream::plugs`]) `property` event at second `second` from the
    /// start; `None` if there is no such event (no such plug or second, or
    /// work on a second that is not a work second).
    pub fn event_id(&self, second: u64, plug: usize, property: Property) -> Option<u64> {
        if second >= self.config.seconds || plug >= self.plugs.len() {
            return None;
        }
        let base = self.second_start_id(second);
        let g = plug as u64;
        match (self.config.is_work_second(second), property) {
            (true, Property::Work) => Some(base + 2 * g),
            (true, Property::Load) => Some(base + 2 * g + 1),
            (false, Property::Load) => Some(base + g),
            (false, Property::Work) => None,
        }
    }

    /// The id of the first event of second `s`: `P·(s + W(s))`.
    fn second_start_id(&self, s: u64) -> u64 {
        self.plugs.len() as u64 * (s + self.config.work_seconds_before(s))
    }

    /// Appends the next events, at most `max`, to `out` and returns how many;
    /// 0 once the stream is over.
    pub fn fill(&mut self, out: &mut Vec<Event>, max: usize) -> usize {
        let shard = self.plug_range.len();
        if shard == 0 {
            self.second = self.config.seconds;
            return 0;
        }
        out.reserve(max.min(1 << 20));
        let mut written = 0;
        while written < max && self.second < self.config.seconds {
            if self.pos == 0 {
                self.begin_second();
            }
            let work = self.config.is_work_second(self.second);
            let per_second = if work { 2 * shard } else { shard };
            let take = (per_second - self.pos).min(max - written);
            self.emit(out, self.pos..self.pos + take, work);
            written += take;
            self.pos += take;
            if self.pos == per_second {
                self.pos = 0;
                self.second += 1;
            }
        }
        written
    }

    /// Before the first event of second `self.second`: closes the past
    /// minute into the cumulative work, and draws the day if it is new.
    fn begin_second(&mut self) {
        let s = self.second;
        if s > 0 && s.is_multiple_of(60) && self.day.is_some() {
            let past = ((s - 1) % DAY / 60) as usize;
            for (i, work) in self.work_kwh.iter_mut().enumerate() {
                *work += f64::from(self.load_w[i * MINUTES + past]) / W_PER_KWH_MINUTE;
            }
        }
        let day = s / DAY;
        if self.day != Some(day) {
            self.load_day(day);
        }
    }

    /// Draws day `day` (from the start) of every household of the shard.
    fn load_day(&mut self, day: u64) {
        let days = (u64::from(self.config.start) / DAY + day) as i32;
        let date = self.epoch.add_days(days);
        let weather = self.generator.weather(date);
        for m in &self.members {
            let profiles = self.generator.day(&m.household, date, &weather);
            for p in 0..m.plugs {
                let row = &mut self.load_w[(m.first + p) * MINUTES..(m.first + p + 1) * MINUTES];
                // Row 0 is the household's total; then appliances, lighting.
                let values = profiles.get(p + 1).map_or(&[][..], |d| &d.values[..]);
                for (minute, w) in row.iter_mut().enumerate() {
                    let kwh = values.get(minute).copied().unwrap_or(0.0);
                    *w = (kwh.max(0.0) * W_PER_KWH_MINUTE) as f32;
                }
            }
        }
        self.day = Some(day);
    }

    /// Emits events `range` of the current second (positions among the
    /// shard's events of that second).
    fn emit(&self, out: &mut Vec<Event>, range: Range<usize>, work: bool) {
        let s = self.second;
        let timestamp = (u64::from(self.config.start) + s) as u32;
        let minute = (s % DAY / 60) as usize;
        let fraction = (s % 60) as f64 / 60.0;
        let shift = u32::from(work);
        let first_id = self.second_start_id(s) + ((self.plug_range.start as u64) << shift);
        let seed = self.config.seed;
        for k in range {
            let i = k >> shift;
            let g = self.plug_range.start + i;
            let info = &self.plugs[g];
            let w = self.load_w[i * MINUTES + minute];
            let (property, value) = if work && k & 1 == 0 {
                let kwh = self.work_kwh[i] + f64::from(w) / W_PER_KWH_MINUTE * fraction;
                (Property::Work, round3(kwh))
            } else if w == 0.0 {
                (Property::Load, 0.0)
            } else {
                let u = unit(seed, g as u64, timestamp);
                (Property::Load, round3(f64::from(w) * (1.0 + 0.01 * u)))
            };
            out.push(Event {
                id: first_id + k as u64,
                timestamp,
                value,
                property,
                plug: info.key.plug,
                household: info.key.household,
                house: info.key.house,
            });
        }
    }
}

/// `x` rounded to 0.001, as `f32`.
fn round3(x: f64) -> f32 {
    ((x * 1000.0).round() / 1000.0) as f32
}

/// A uniform number in `[−1, 1)` from (seed, plug, timestamp).
fn unit(seed: u64, plug: u64, timestamp: u32) -> f64 {
    let h = splitmix64(seed ^ splitmix64((plug << 32) | u64::from(timestamp)));
    (h >> 11) as f64 * (2.0 / (1u64 << 53) as f64) - 1.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small(seconds: u64) -> StreamConfig {
        StreamConfig {
            seed: 7,
            houses: 3,
            plugs: 60,
            seconds,
            work_every: 7,
            ..StreamConfig::default()
        }
    }

    fn all(stream: &mut PlugStream) -> Vec<Event> {
        let mut out = Vec::new();
        while stream.fill(&mut out, 1_000) > 0 {}
        out
    }

    #[test]
    fn default_world_has_about_2000_plugs_in_40_houses() {
        let stream = PlugStream::new(&StreamConfig::default()).expect("valid");
        let n = stream.plug_count();
        assert!((1_900..=2_100).contains(&n), "{n} plugs");
        let houses: std::collections::BTreeSet<u32> =
            stream.plugs().iter().map(|p| p.key.house).collect();
        assert_eq!(houses.len(), 40);
        assert!(stream.plugs().windows(2).all(|w| w[0].key < w[1].key));
        assert!(stream.plugs().iter().any(|p| p.appliance == LIGHTING));
        assert!(stream.plugs().iter().any(|p| p.appliance != LIGHTING));
        for h in 0..40 {
            let in_house = stream.plugs().iter().filter(|p| p.key.house == h).count();
            assert!((15..=90).contains(&in_house), "house {h}: {in_house}");
        }
    }

    #[test]
    fn validate_rejects_bad_configs() {
        let ok = StreamConfig::default();
        assert!(ok.validate().is_ok());
        let bad = [
            StreamConfig {
                houses: 0,
                ..ok.clone()
            },
            StreamConfig {
                plugs: 39,
                ..ok.clone()
            },
            StreamConfig {
                seconds: 0,
                ..ok.clone()
            },
            StreamConfig {
                start: ok.start + 1,
                ..ok.clone()
            },
            StreamConfig {
                work_every: 0,
                ..ok.clone()
            },
            StreamConfig {
                seconds: u64::from(u32::MAX),
                ..ok.clone()
            },
            StreamConfig {
                seconds: u64::MAX,
                ..ok.clone()
            },
        ];
        for c in bad {
            assert!(c.validate().is_err(), "{c:?}");
            assert!(PlugStream::new(&c).is_err(), "{c:?}");
        }
        let last_second = StreamConfig {
            start: 4_294_944_000, // the last midnight within u32
            seconds: u64::from(u32::MAX) + 1 - 4_294_944_000,
            ..ok.clone()
        };
        assert!(last_second.validate().is_ok());
        assert!(PlugStream::houses(&ok, 3..41).is_err());
    }

    #[test]
    fn deterministic_per_seed() {
        let a = all(&mut PlugStream::new(&small(120)).expect("valid"));
        let b = all(&mut PlugStream::new(&small(120)).expect("valid"));
        assert_eq!(a, b);
        let other = StreamConfig {
            seed: 8,
            ..small(120)
        };
        let c = all(&mut PlugStream::new(&other).expect("valid"));
        assert_ne!(a, c);
    }

    #[test]
    fn ids_are_consecutive_and_order_is_time_plug_property() {
        let mut stream = PlugStream::new(&small(100)).expect("valid");
        let p = stream.plug_count() as u64;
        let total = stream.total_events();
        assert_eq!(total, p * (100 + 15)); // work at 0, 7, …, 98
        let events = all(&mut stream);
        assert_eq!(events.len() as u64, total);
        assert!(events.iter().enumerate().all(|(i, e)| e.id == i as u64));
        let key = |e: &Event| (e.timestamp, e.plug_key(), e.property);
        assert!(events.windows(2).all(|w| key(&w[0]) < key(&w[1])));
        let works = events.iter().filter(|e| e.property == Property::Work);
        assert!(
            works
                .clone()
                .all(|e| (e.timestamp - 1_377_993_600) % 7 == 0)
        );
        assert_eq!(works.count() as u64, p * 15);
        assert!(stream.is_done());
        assert_eq!(stream.fill(&mut Vec::new(), 10), 0);
    }

    #[test]
    fn event_id_matches_the_stream() {
        let mut stream = PlugStream::new(&small(30)).expect("valid");
        let events = all(&mut stream);
        for e in &events {
            let g = stream
                .plugs()
                .iter()
                .position(|p| p.key == e.plug_key())
                .expect("known plug");
            let s = u64::from(e.timestamp - stream.config().start);
            assert_eq!(stream.event_id(s, g, e.property), Some(e.id));
        }
        assert_eq!(stream.event_id(1, 0, Property::Work), None);
        assert_eq!(stream.event_id(30, 0, Property::Load), None);
    }

    #[test]
    fn sharded_streams_make_the_whole_stream() {
        let config = small(75);
        let whole = all(&mut PlugStream::new(&config).expect("valid"));
        let mut union = Vec::new();
        let mut counted = 0;
        for range in [0..1, 1..1, 1..3] {
            let mut shard = PlugStream::houses(&config, range).expect("valid");
            counted += shard.shard_events();
            // Odd batch sizes split seconds in the middle.
            while shard.fill(&mut union, 37) > 0 {}
        }
        assert_eq!(counted, whole.len() as u64);
        union.sort_by_key(|e| e.id);
        assert_eq!(union, whole);
    }

    #[test]
    fn values_are_finite_and_non_negative_and_work_is_cumulative() {
        let config = StreamConfig {
            seconds: 2 * DAY + 3_600,
            work_every: 60,
            ..small(0)
        };
        let mut stream = PlugStream::new(&config).expect("valid");
        let n = stream.plug_count();
        let mut last_work = vec![0.0f32; n];
        let mut load_sum = vec![0.0f64; n];
        let mut out = Vec::new();
        let mut zero_loads = 0u64;
        let mut plug_index = std::collections::HashMap::new();
        for (g, p) in stream.plugs().iter().enumerate() {
            plug_index.insert(p.key, g);
        }
        loop {
            out.clear();
            if stream.fill(&mut out, 100_000) == 0 {
                break;
            }
            for e in &out {
                assert!(e.value.is_finite() && e.value >= 0.0, "{e:?}");
                let g = plug_index[&e.plug_key()];
                match e.property {
                    Property::Work => {
                        assert!(e.value >= last_work[g], "{e:?} after {}", last_work[g]);
                        if e.timestamp == config.start {
                            assert_eq!(e.value, 0.0);
                        }
                        last_work[g] = e.value;
                    }
                    Property::Load => {
                        zero_loads += u64::from(e.value == 0.0);
                        load_sum[g] += f64::from(e.value);
                    }
                }
            }
        }
        // The last work reading (second 2·86400 + 3540) matches the loads
        // summed up to it, within the jitter and rounding.
        let energy: f64 = load_sum.iter().sum::<f64>() / 3_600_000.0;
        let work: f64 = last_work.iter().map(|&w| f64::from(w)).sum();
        assert!(work > 1.0, "{work} kWh");
        assert!((energy - work).abs() < 0.02 * work, "{energy} vs {work}");
        assert!(zero_loads > 0);
    }

    #[test]
    fn evenings_draw_more_than_nights() {
        let config = StreamConfig {
            seed: 11,
            houses: 4,
            plugs: 200,
            seconds: 5 * DAY,
            work_every: 3_600,
            ..StreamConfig::default()
        };
        let mut stream = PlugStream::new(&config).expect("valid");
        let (mut evening, mut night) = (0.0f64, 0.0f64);
        let mut out = Vec::new();
        loop {
            out.clear();
            if stream.fill(&mut out, 1 << 18) == 0 {
                break;
            }
            for e in out.iter().filter(|e| e.property == Property::Load) {
                match (u64::from(e.timestamp) % DAY) / 3_600 {
                    19 => evening += f64::from(e.value),
                    4 => night += f64::from(e.value),
                    _ => {}
                }
            }
        }
        assert!(evening > 1.5 * night, "19:00 {evening} vs 04:00 {night}");
    }

    #[test]
    fn zero_load_stays_zero_and_jitter_is_small() {
        let mut stream = PlugStream::new(&small(60)).expect("valid");
        let events = all(&mut stream);
        // Within a minute, a plug's loads differ by the jitter only.
        let mut by_plug: std::collections::HashMap<PlugKey, Vec<f32>> = Default::default();
        for e in events.iter().filter(|e| e.property == Property::Load) {
            by_plug.entry(e.plug_key()).or_default().push(e.value);
        }
        for loads in by_plug.values() {
            assert_eq!(loads.len(), 60);
            let (lo, hi) = loads
                .iter()
                .fold((f32::MAX, 0.0f32), |(lo, hi), &v| (lo.min(v), hi.max(v)));
            if lo == 0.0 {
                assert_eq!(hi, 0.0);
            } else {
                assert!(hi <= lo * 1.021 + 0.002, "{lo}..{hi}");
            }
        }
    }

    #[test]
    fn unit_is_in_range_and_centred() {
        let mut sum = 0.0;
        for t in 0..100_000u32 {
            let u = unit(3, u64::from(t % 17), t);
            assert!((-1.0..1.0).contains(&u));
            sum += u;
        }
        assert!((sum / 100_000.0).abs() < 0.02);
    }
}
