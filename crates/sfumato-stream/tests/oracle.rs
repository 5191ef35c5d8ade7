//! The query state against brute force: Query 1 and Query 2 recomputed
//! from the raw events by their definitions (sorting whole windows, summing
//! whole slices) on a sparse random stream over three days, so that slices
//! close, days repeat, and both windows slide — and compared with the
//! reference's outputs bit for bit.

use std::collections::BTreeMap;

use sfumato_stream::event::{Event, PlugKey, Property};
use sfumato_stream::median::to_milliwatts;
use sfumato_stream::processor::Outputs;
use sfumato_stream::q1::{EMIT_EVERY, Forecast, SLICE_MINUTES, Target};
use sfumato_stream::q2::{Outlier, WINDOWS};
use sfumato_stream::reference::run_reference;

fn splitmix(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D1_049B_B133_111E);
    z ^ (z >> 31)
}

/// 2 houses × 2 households × 3 plugs, about 600 readings per plug at
/// random seconds over three days, loads from a few levels (ties) with
/// three decimals; a work reading now and then.
fn events(seed: u64) -> Vec<Event> {
    let mut s = seed;
    let start = 1_377_993_600u32;
    let mut raw = Vec::new();
    for house in 0..2 {
        for household in 0..2 {
            for plug in 0..3 {
                for _ in 0..600 {
                    let ts = start + (splitmix(&mut s) % (3 * 86_400)) as u32;
                    let level = [0.0, 5.5, 60.0, 61.25, 2000.0][(splitmix(&mut s) % 5) as usize];
                    let jitter = (splitmix(&mut s) % 1000) as f32 / 1000.0;
                    let work = splitmix(&mut s).is_multiple_of(10);
                    raw.push((ts, house, household, plug, level + jitter, work));
                }
            }
        }
    }
    raw.sort_by_key(|r| (r.0, r.1, r.2, r.3));
    raw.into_iter()
        .enumerate()
        .map(|(i, (ts, house, household, plug, value, work))| Event {
            id: i as u64,
            timestamp: ts,
            value,
            property: if work { Property::Work } else { Property::Load },
            plug,
            household,
            house,
        })
        .collect()
}

fn median_f32(mut v: Vec<f32>) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f32::total_cmp);
    let n = v.len();
    Some((f64::from(v[(n - 1) / 2]) + f64::from(v[n / 2])) / 2.0)
}

/// `(avgLoad(s_i) + median of earlier days) / 2`, or the average alone.
fn forecast(average: f64, past: Vec<f32>) -> f64 {
    match median_f32(past) {
        Some(m) => (average + m) / 2.0,
        None => average,
    }
}

fn median_mw(mut v: Vec<u32>) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_unstable();
    let n = v.len();
    Some((f64::from(v[(n - 1) / 2]) + f64::from(v[n / 2])) / 2000.0)
}

/// Average load of `readings` (time-ordered) with `lo <= ts < hi`.
fn average(readings: &[(u32, f64)], lo: u64, hi: u64) -> Option<f64> {
    let first = readings.partition_point(|r| u64::from(r.0) < lo);
    let last = readings.partition_point(|r| u64::from(r.0) < hi);
    let (mut sum, mut n) = (0.0, 0u32);
    for &(_, v) in &readings[first..last.max(first)] {
        sum += v;
        n += 1;
    }
    (n > 0).then(|| sum / f64::from(n))
}

fn brute_q1(loads: &[Event]) -> Vec<Forecast> {
    let mut out = Vec::new();
    let houses: Vec<u32> = {
        let mut h: Vec<u32> = loads.iter().map(|e| e.house).collect();
        h.dedup();
        h.sort_unstable();
        h.dedup();
        h
    };
    for house in houses {
        let mine: Vec<&Event> = loads.iter().filter(|e| e.house == house).collect();
        // Each plug's readings, in processing order.
        let mut plugs: BTreeMap<PlugKey, Vec<(u32, f64)>> = BTreeMap::new();
        let mut times: Vec<u32> = Vec::new();
        for e in &mine {
            times.push(e.timestamp);
        }
        times.dedup();
        let mut prev: Option<u32> = None;
        let mut seen = 0;
        for &t in &times {
            if let Some(p) = prev {
                // Instants E in (p, t], from the readings before E.
                let mut at = (p / EMIT_EVERY + 1) * EMIT_EVERY;
                while at <= t {
                    for minutes in SLICE_MINUTES {
                        let len = u64::from(minutes) * 60;
                        let k = 86_400 / len;
                        let slice = (u64::from(at) - 1) / len;
                        let ts = ((slice + 2) * len) as u32;
                        let mut house_avg: Option<f64> = None;
                        let mut house_history: BTreeMap<u64, f64> = BTreeMap::new();
                        for (key, readings) in &plugs {
                            let avg = average(readings, slice * len, u64::from(at));
                            // Earlier days' same slot: whole slices, stored as f32.
                            let mut past = Vec::new();
                            let mut j = (slice + 2).checked_sub(k);
                            while let Some(s) = j {
                                if (s + 1) * len <= u64::from(readings[0].0) {
                                    break; // before the plug's first reading
                                }
                                if let Some(a) = average(readings, s * len, (s + 1) * len) {
                                    past.push(a as f32);
                                    *house_history.entry(s).or_insert(0.0) += a;
                                }
                                j = s.checked_sub(k);
                            }
                            if let Some(a) = avg {
                                *house_avg.get_or_insert(0.0) += a;
                                let p = forecast(a, past);
                                out.push(Forecast {
                                    at,
                                    slice_minutes: minutes,
                                    ts,
                                    target: Target::Plug(*key),
                                    predicted_load: p,
                                });
                            }
                        }
                        if let Some(a) = house_avg {
                            let past: Vec<f32> =
                                house_history.values().map(|&v| v as f32).collect();
                            let p = forecast(a, past);
                            out.push(Forecast {
                                at,
                                slice_minutes: minutes,
                                ts,
                                target: Target::House(house),
                                predicted_load: p,
                            });
                        }
                    }
                    at += EMIT_EVERY;
                }
            }
            while seen < mine.len() && mine[seen].timestamp == t {
                let e = mine[seen];
                plugs
                    .entry(e.plug_key())
                    .or_default()
                    .push((t, f64::from(e.value)));
                seen += 1;
            }
            prev = Some(t);
        }
    }
    out
}

fn brute_q2(loads: &[Event]) -> Vec<Outlier> {
    let mut out = Vec::new();
    let mut last: BTreeMap<(u32, u32), f64> = BTreeMap::new();
    let mut seconds: Vec<u32> = loads.iter().map(|e| e.timestamp).collect();
    seconds.dedup();
    for &t in &seconds {
        // Every reading up to t, and those inside the window (t − W, t].
        let upto = &loads[..loads.partition_point(|e| e.timestamp <= t)];
        for window in WINDOWS {
            let from = upto
                .partition_point(|e| u64::from(e.timestamp) + u64::from(window) <= u64::from(t));
            let inside = &upto[from..];
            let global = median_mw(inside.iter().map(|e| to_milliwatts(e.value)).collect());
            let Some(g) = global else { continue };
            let mut per_plug: BTreeMap<PlugKey, Vec<u32>> = BTreeMap::new();
            for e in upto {
                per_plug.entry(e.plug_key()).or_default();
            }
            for e in inside {
                per_plug
                    .entry(e.plug_key())
                    .or_default()
                    .push(to_milliwatts(e.value));
            }
            let mut houses: BTreeMap<u32, (u32, u32)> = BTreeMap::new();
            for (key, values) in per_plug {
                let counts = houses.entry(key.house).or_insert((0, 0));
                if let Some(m) = median_mw(values) {
                    counts.1 += 1;
                    if m > g {
                        counts.0 += 1;
                    }
                }
            }
            for (house, (above, reporting)) in houses {
                if reporting == 0 {
                    continue;
                }
                let p = 100.0 * f64::from(above) / f64::from(reporting);
                if last.get(&(house, window)) != Some(&p) {
                    last.insert((house, window), p);
                    out.push(Outlier {
                        window,
                        ts_start: t.saturating_sub(window),
                        ts_stop: t,
                        house,
                        percentage: p,
                    });
                }
            }
        }
    }
    out
}

#[test]
fn both_queries_equal_their_definitions_computed_by_brute_force() {
    let events = events(42);
    let loads: Vec<Event> = events
        .iter()
        .copied()
        .filter(|e| e.property == Property::Load)
        .collect();
    let mut got = Outputs::default();
    run_reference(
        &mut events.into_iter(),
        &mut |o| {
            got.append(o);
            Ok(())
        },
        &mut |_| {},
    )
    .unwrap();
    got.sort();
    let mut expected = Outputs {
        forecasts: brute_q1(&loads),
        outliers: brute_q2(&loads),
    };
    expected.sort();
    assert!(
        expected.forecasts.len() > 50_000,
        "{}",
        expected.forecasts.len()
    );
    assert!(expected.outliers.len() > 100, "{}", expected.outliers.len());
    assert!(
        expected
            .outliers
            .iter()
            .any(|o| o.window == 86_400 && o.ts_stop > 1_377_993_600 + 86_400)
    );
    assert_eq!(got.outliers, expected.outliers);
    assert_eq!(got.forecasts.len(), expected.forecasts.len());
    for (g, e) in got.forecasts.iter().zip(&expected.forecasts) {
        assert_eq!(g, e);
    }
}
