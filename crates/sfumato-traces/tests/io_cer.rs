//! The CER reader: unsorted input, the 50-half-hour day, the missing-values
//! policy, errors.

use std::path::{Path, PathBuf};

use sfumato_traces::io::{CerOptions, MissingPolicy, open_cer, read_cer};
use sfumato_traces::{Date, DayProfile, Resolution, TracesError};

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/cer_sample.txt")
}

/// The fixture's values: half-hour k of a meter is 0.01 k + an offset
/// (1.000 for meter 1000, 1.002 for 1002, 0.5 for 999).
fn hour(h: usize, offset: f64) -> f64 {
    0.01 * (4 * h + 3) as f64 + 2.0 * offset
}

fn day(n: i32) -> Option<Date> {
    Some(Date::from_ymd(2009, 1, 1).unwrap().add_days(n - 1))
}

#[test]
fn unsorted_fixture_sorted_hourly_with_the_clock_change_day() {
    let mut days = open_cer(fixture(), CerOptions::default()).unwrap();
    assert_eq!(days.meters(), 3);
    let out: Vec<DayProfile> = days.by_ref().collect();
    let keys: Vec<(&str, Option<Date>)> =
        out.iter().map(|d| (d.household.as_str(), d.date)).collect();
    // Meter 999 first (numeric order); 1000's day 299 misses half-hour 17.
    assert_eq!(
        keys,
        [
            ("999", day(1)),
            ("1000", day(300)),
            ("1002", day(298)),
            ("1002", day(300)),
        ]
    );
    assert_eq!(day(298), Some(Date::from_ymd(2009, 10, 25).unwrap()));
    for d in &out {
        assert_eq!(d.resolution, Resolution::HOUR);
        assert_eq!(d.values.len(), 24);
    }
    for h in 0..24 {
        assert!((out[0].values[h] - hour(h, 0.5)).abs() < 1e-9);
        assert!((out[1].values[h] - hour(h, 1.0)).abs() < 1e-9);
        assert!((out[3].values[h] - hour(h, 1.002)).abs() < 1e-9);
    }
    // The autumn day: half-hours 49 and 50 fold into 23:00.
    let autumn = &out[2];
    for h in 0..23 {
        assert!((autumn.values[h] - hour(h, 1.002)).abs() < 1e-9);
    }
    let last = hour(23, 1.002) + (0.49 + 1.002) + (0.50 + 1.002);
    assert!(
        (autumn.values[23] - last).abs() < 1e-9,
        "{}",
        autumn.values[23]
    );
    assert!((last - 5.948).abs() < 1e-12);

    let rep = days.report();
    assert_eq!(rep.rows_read, 48 * 4 + 50 - 1);
    assert_eq!(rep.days_read, 5);
    assert_eq!(rep.days_dropped_incomplete, 1);
    assert_eq!(rep.hours_scaled, 0);
    assert_eq!(rep.samples_missing, 1);
}

#[test]
fn half_threshold_scales_the_half_missing_hour() {
    let options = CerOptions {
        missing: MissingPolicy::new(0.5).unwrap(),
    };
    let mut days = open_cer(fixture(), options).unwrap();
    let out: Vec<DayProfile> = days.by_ref().collect();
    assert_eq!(out.len(), 5);
    let d = &out[1];
    assert_eq!((d.household.as_str(), d.date), ("1000", day(299)));
    // Hour 8 = half-hours 17 (missing) and 18 (1.18): 2 × 1.18.
    assert!((d.values[8] - 2.36).abs() < 1e-9, "{}", d.values[8]);
    assert_eq!(days.report().hours_scaled, 1);
}

fn err(text: &str) -> (u64, String) {
    match read_cer(text.as_bytes(), "cer/File1.txt", CerOptions::default()) {
        Err(TracesError::Malformed { path, line, reason }) => {
            assert_eq!(path, Path::new("cer/File1.txt"));
            (line, reason)
        }
        Err(e) => panic!("{e}"),
        Ok(_) => panic!("accepted {text:?}"),
    }
}

#[test]
fn errors_name_file_and_line() {
    let cases = [
        ("1000 19501 0.1\n1000 19502\n", 2, "ragged"),
        ("1000 19501 0.1\n1000 19502 0.1 7\n", 2, "ragged"),
        ("1000 19501 0.1\n1000 19502 x\n", 2, "not a number"),
        ("1000 19501 0.1\n1000 19502 NaN\n", 2, "finite"),
        ("1000 19501 0.1\n1000 1950 0.1\n", 2, "day code"),
        ("1000 19551 0.1\n", 1, "day code"),
        ("1000 19500 0.1\n", 1, "day code"),
        ("1000 00001 0.1\n", 1, "day code"),
        ("1000 1950a 0.1\n", 1, "day code"),
        ("1000 19501 0.1\n\n1000 19501 0.2\n", 3, "duplicate slot"),
        // A header is tolerated on line 1 only.
        ("meter day kwh\nmeter day kwh\n", 2, "day code"),
    ];
    for (text, line, want) in cases {
        let (got, reason) = err(text);
        assert_eq!(got, line, "{text:?}: {reason}");
        assert!(reason.contains(want), "{text:?}: {reason}");
    }
    let days = read_cer("ID\tDAYTIME\tKWH\n".as_bytes(), "x", CerOptions::default()).unwrap();
    assert_eq!(days.count(), 0);
}
