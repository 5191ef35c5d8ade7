//! Population statistics on a small population computed by hand.

use std::path::Path;

use sfumato_traces::io::{LongWriteOptions, WideWriteOptions, write_long, write_wide};
use sfumato_traces::stats::{PopulationStats, StatsReport, stats_of_reader};
use sfumato_traces::{DayProfile, Resolution, TracesError};

fn half_hourly(
    household: &str,
    date: &str,
    residents: Option<u8>,
    appliance: Option<&str>,
    slot: impl Fn(usize) -> f64,
) -> DayProfile {
    DayProfile {
        household: household.into(),
        date: Some(date.parse().unwrap()),
        residents,
        appliance: appliance.map(str::to_owned),
        resolution: Resolution::from_minutes(30).unwrap(),
        values: (0..48).map(slot).collect(),
    }
}

/// Hourly energies (kWh) split over two half-hours: `(first, second)`.
fn split(hourly: impl Fn(usize) -> (f64, f64)) -> impl Fn(usize) -> f64 {
    move |s| {
        let (a, b) = hourly(s / 2);
        if s % 2 == 0 { a } else { b }
    }
}

/// The population:
///
/// * H1, 1 resident, two days: 0.5 kWh every hour but 19:00, which has 2.0
///   (1.5 + 0.5) on day 1 and 1.0 on day 2. Totals 13.5 and 12.5.
/// * H2, 2 residents: 1.0 kWh an hour, 0.2 at 02–05, 3.0 at 19:00; total
///   23.6. Breakdown: fridge 0.05 per half-hour (2.4 kWh), kettle 1.2 kWh
///   at 07:00.
/// * H3, 2 residents, appliance `total`: 0.25 kWh every hour; 6.0.
/// * H4, residents unknown: 0.5 kWh every hour; 12.0.
fn population() -> Vec<DayProfile> {
    vec![
        half_hourly(
            "H1",
            "2024-01-01",
            Some(1),
            None,
            split(|h| if h == 19 { (1.5, 0.5) } else { (0.25, 0.25) }),
        ),
        half_hourly(
            "H1",
            "2024-01-02",
            Some(1),
            None,
            split(|h| if h == 19 { (0.5, 0.5) } else { (0.25, 0.25) }),
        ),
        half_hourly(
            "H2",
            "2024-01-01",
            Some(2),
            None,
            split(|h| match h {
                2..=4 => (0.1, 0.1),
                19 => (1.5, 1.5),
                _ => (0.5, 0.5),
            }),
        ),
        half_hourly("H2", "2024-01-01", Some(2), Some("fridge"), |_| 0.05),
        half_hourly("H2", "2024-01-01", Some(2), Some("kettle"), |s| {
            if s == 14 { 1.2 } else { 0.0 }
        }),
        half_hourly("H3", "2024-01-01", Some(2), Some("total"), |_| 0.125),
        half_hourly("H4", "2024-01-01", None, None, |_| 0.25),
    ]
}

fn close(a: f64, b: f64) {
    assert!((a - b).abs() < 1e-9, "{a} vs {b}");
}

fn check(r: &StatsReport) {
    assert_eq!(r.resolution_minutes, 30);
    assert_eq!((r.households, r.household_days), (4, 5));
    close(r.mean_daily_kwh, 67.6 / 5.0);

    let sizes: Vec<(&str, u64, u64)> = r
        .by_size
        .iter()
        .map(|s| (s.residents.as_str(), s.households, s.household_days))
        .collect();
    assert_eq!(
        sizes,
        [("1", 1, 2), ("2", 2, 2), ("unknown", 1, 1), ("all", 4, 5)]
    );
    // Annual equivalents: H1 13 × 365.25 = 4748.25, H2 23.6 × 365.25 =
    // 8619.9, H3 6 × 365.25 = 2191.5, H4 12 × 365.25 = 4383.
    let one = &r.by_size[0].annual_kwh;
    close(one.mean, 4748.25);
    close(one.min, 4748.25);
    close(one.max, 4748.25);
    let two = &r.by_size[1].annual_kwh;
    close(two.mean, 5405.7);
    close(two.min, 2191.5);
    close(two.p10, 2191.5 + 0.1 * 6428.4);
    close(two.p50, 5405.7);
    close(two.p90, 2191.5 + 0.9 * 6428.4);
    close(two.max, 8619.9);
    close(r.by_size[2].annual_kwh.mean, 4383.0);
    let all = &r.by_size[3].annual_kwh;
    close(all.mean, (4748.25 + 8619.9 + 2191.5 + 4383.0) / 4.0);
    close(all.p50, (4383.0 + 4748.25) / 2.0);
    close(all.p10, 2191.5 + 0.3 * (4383.0 - 2191.5));
    close(all.p90, 4748.25 + 0.7 * (8619.9 - 4748.25));

    // Mean shape: (0.5 + 0.5 + 1.0 + 0.25 + 0.5) / 5 = 0.55 kW in most
    // hours, (0.5 + 0.5 + 0.2 + 0.25 + 0.5) / 5 = 0.39 at 02–05 and
    // (2 + 1 + 3 + 0.25 + 0.5) / 5 = 1.35 at 19:00.
    assert_eq!(r.hourly_mean_kw.len(), 24);
    for (h, &kw) in r.hourly_mean_kw.iter().enumerate() {
        let want = match h {
            2..=4 => 0.39,
            19 => 1.35,
            _ => 0.55,
        };
        close(kw, want);
        close(r.hourly_share[h], want / 13.52);
    }
    close(r.hourly_share.iter().sum(), 1.0);
    assert_eq!(r.peak.hour, 19);
    close(r.peak.mean_kw, 1.35);
    // Daily maxima in kW (half-hour kWh × 2): 3, 1, 3, 0.25, 0.5.
    close(r.peak.mean_daily_max_kw, 7.75 / 5.0);
    close(r.base_load.night_mean_kw, 0.39);
    // Daily minima: 0.5, 0.5, 0.2, 0.25, 0.5.
    close(r.base_load.mean_daily_min_kw, 1.95 / 5.0);

    let apps: Vec<&str> = r.appliances.iter().map(|a| a.appliance.as_str()).collect();
    assert_eq!(apps, ["fridge", "kettle"]);
    close(r.appliances[0].kwh, 2.4);
    close(r.appliances[0].share, 2.4 / 67.6);
    close(r.appliances[1].share, 1.2 / 67.6);
    close(r.unattributed_share.unwrap(), 1.0 - 3.6 / 67.6);
}

#[test]
fn hand_computed_population() {
    let mut s = PopulationStats::new();
    for p in population() {
        s.add(&p).unwrap();
    }
    assert_eq!(s.household_days(), 5);
    let r = s.finish().unwrap();
    check(&r);

    let text = r.to_string();
    assert!(
        text.contains("4 households, 5 household-days, 30-minute slots"),
        "{text}"
    );
    assert!(text.contains("peak: 19:00 at 1.350 kW"), "{text}");
    let table: Vec<&str> = text
        .lines()
        .filter(|l| l.trim_start().starts_with(['1', '2', 'u', 'a']))
        .collect();
    assert!(table.len() >= 4, "{text}");
    // Right-aligned columns end at the same place.
    let header = text
        .lines()
        .find(|l| l.contains("residents  households"))
        .unwrap();
    let row_all = text
        .lines()
        .find(|l| l.trim_start().starts_with("all "))
        .unwrap();
    assert_eq!(header.len(), row_all.len(), "{text}");
    assert!(text.contains("fridge") && text.contains("(unattributed)"));

    let json = serde_json::to_value(&r).unwrap();
    assert_eq!(json["peak"]["hour"], 19);
    assert_eq!(json["by_size"][0]["residents"], "1");
    assert_eq!(json["hourly_mean_kw"].as_array().unwrap().len(), 24);
}

#[test]
fn same_figures_from_wide_and_long_files() {
    let days = population();
    let mut wide = Vec::new();
    let options = WideWriteOptions {
        decimals: None,
        appliance: Some(true),
        ..WideWriteOptions::default()
    };
    write_wide(&mut wide, days[0].resolution, options, &days).unwrap();
    let from_wide = stats_of_reader(wide.as_slice(), "pop.csv").unwrap();
    check(&from_wide);

    let mut long = b"\n".to_vec();
    let options = LongWriteOptions {
        decimals: None,
        appliance: Some(true),
        residents: Some(true),
    };
    write_long(&mut long, options, &days).unwrap();
    let from_long = stats_of_reader(long.as_slice(), "pop-long.csv").unwrap();
    check(&from_long);
    assert_eq!(from_long.days_dropped_incomplete, 0);
}

#[test]
fn refuses_inconsistent_populations() {
    let days = population();
    let err = |ps: &[&DayProfile]| {
        let mut s = PopulationStats::new();
        for p in ps {
            s.add(p)?;
        }
        s.finish().map(|_| ())
    };
    // H1 comes back after H2.
    let e = err(&[&days[0], &days[2], &days[1]]).unwrap_err();
    assert!(e.to_string().contains("contiguous"), "{e}");
    // A repeated day.
    assert!(err(&[&days[0], &days[0]]).is_err());
    // Residents change.
    let mut other = days[1].clone();
    other.residents = Some(3);
    assert!(err(&[&days[0], &other]).is_err());
    // Mixed resolutions; slots that do not divide an hour.
    let mut hourly = days[6].clone();
    hourly.household = "H5".into();
    hourly.resolution = Resolution::HOUR;
    hourly.values.truncate(24);
    assert!(
        err(&[&days[0], &hourly])
            .unwrap_err()
            .to_string()
            .contains("one resolution")
    );
    let mut odd = hourly.clone();
    odd.resolution = Resolution::from_minutes(45).unwrap();
    odd.values.truncate(32);
    assert!(err(&[&odd]).is_err());
    // Only breakdowns, or nothing at all.
    assert!(err(&[&days[3]]).is_err());
    assert!(err(&[]).is_err());

    // From a file, the error names the line.
    let mut wide = Vec::new();
    write_wide(
        &mut wide,
        days[0].resolution,
        WideWriteOptions::default(),
        [&days[0], &days[2], &days[1]],
    )
    .unwrap();
    match stats_of_reader(wide.as_slice(), Path::new("pop.csv")) {
        Err(TracesError::Malformed { line: 4, path, .. }) => assert_eq!(path, Path::new("pop.csv")),
        other => panic!("{other:?}"),
    }
    let mut long = Vec::new();
    write_long(
        &mut long,
        LongWriteOptions::default(),
        [&days[0], &days[2], &days[1]],
    )
    .unwrap();
    match stats_of_reader(long.as_slice(), Path::new("pop.csv")) {
        Err(e @ TracesError::Malformed { .. }) => {
            assert!(e.to_string().starts_with("pop.csv:98: "), "{e}");
        }
        other => panic!("{other:?}"),
    }
}
