//! The UCI household reader: hourly means, `?` values, the missing-values
//! policy, errors.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use sfumato_traces::io::{MissingPolicy, UciOptions, UciReader, open_uci};
use sfumato_traces::{Date, DayProfile, Resolution, TracesError};

const HEADER: &str = "Date;Time;Global_active_power;Global_reactive_power;Voltage;Global_intensity;Sub_metering_1;Sub_metering_2;Sub_metering_3";

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/uci_sample.txt")
}

fn read(text: &str, options: UciOptions) -> (Vec<DayProfile>, sfumato_traces::io::ImportReport) {
    let mut r = UciReader::new(text.as_bytes(), "dir/power.txt", options).unwrap();
    let days = r.by_ref().collect::<Result<Vec<_>, _>>().unwrap();
    (days, r.report().clone())
}

fn row(d: u32, minute: u32, power: &str) -> String {
    format!(
        "{d}/1/2007;{:02}:{:02}:00;{power};0.1;240.0;5.0;0.0;0.0;1.0\n",
        minute / 60,
        minute % 60
    )
}

#[test]
fn fixture_with_a_low_threshold() {
    // Two rows per hour (2 of 60 minutes ≥ 3 %): every hour is scaled from
    // the mean of its present minutes. 16/12 has rows in one hour only and
    // 18/12 has one present minute at 10:00: both are dropped.
    let options = UciOptions {
        missing: MissingPolicy::new(0.03).unwrap(),
        ..UciOptions::default()
    };
    let mut r = open_uci(fixture(), options).unwrap();
    let days: Vec<DayProfile> = r.by_ref().collect::<Result<_, _>>().unwrap();
    assert_eq!(days.len(), 1);
    let d = &days[0];
    assert_eq!(d.household, "uci_sample");
    assert_eq!(d.date, Some(Date::from_ymd(2006, 12, 17).unwrap()));
    assert_eq!(d.resolution, Resolution::HOUR);
    for (h, v) in d.values.iter().enumerate() {
        // Rows at :00 (1.0 + h/10 kW) and :30 (0.2 kW more).
        let want = 1.1 + h as f64 / 10.0;
        assert!((v - want).abs() < 1e-9, "hour {h}: {v} vs {want}");
    }
    let rep = r.report();
    assert_eq!(rep.rows_read, 3 + 49 + 49);
    assert_eq!(rep.days_read, 3);
    assert_eq!(rep.days_dropped_incomplete, 2);
    assert_eq!(rep.hours_scaled, 24);
    assert_eq!(rep.samples_missing, 1437 + (1440 - 48) + (1440 - 47));

    // With the default policy nothing survives.
    let (days, rep) = read(
        &std::fs::read_to_string(fixture()).unwrap(),
        UciOptions::default(),
    );
    assert!(days.is_empty());
    assert_eq!(rep.days_dropped_incomplete, 3);
}

#[test]
fn default_policy_scales_hours_and_drops_days() {
    let mut text = format!("{HEADER}\n");
    // 1/1/2007: 1.2 kW all day except hour 5: 10 minutes `?`, the others 2.4 kW.
    for m in 0..1440 {
        let p = match m {
            300..310 => "?".to_owned(),
            310..360 => "2.4".to_owned(),
            _ => "1.2".to_owned(),
        };
        text.push_str(&row(1, m, &p));
    }
    // 2/1/2007: hour 13 has 16 minutes `?` (44 < 45 present): dropped.
    for m in 0..1440 {
        text.push_str(&row(
            2,
            m,
            if (780..796).contains(&m) { "?" } else { "0.6" },
        ));
    }
    // 3/1/2007: hour 7 has 15 `?` (45 present: kept, scaled) and hour 20 has
    // 15 minutes without a row; the rest is 0.9 kW except 07:30-07:59 at 1.5.
    for m in 0..1440 {
        if (1200..1215).contains(&m) {
            continue;
        }
        let p = match m {
            420..435 => "?",
            450..480 => "1.5",
            _ => "0.9",
        };
        text.push_str(&row(3, m, p));
    }
    let (days, rep) = read(
        &text,
        UciOptions {
            household: Some("uci".into()),
            residents: Some(2),
            ..UciOptions::default()
        },
    );
    assert_eq!(days.len(), 2);
    assert_eq!(rep.days_read, 3);
    assert_eq!(rep.days_written, 0, "the reader does not write");
    assert_eq!(rep.days_dropped_incomplete, 1);
    assert_eq!(rep.hours_scaled, 3);
    assert_eq!(rep.samples_missing, 10 + 16 + 15 + 15);
    assert_eq!(rep.rows_read, 1440 * 3 - 15);

    let a = &days[0];
    assert_eq!((a.household.as_str(), a.residents), ("uci", Some(2)));
    assert!((a.values[5] - 2.4).abs() < 1e-9, "{}", a.values[5]);
    assert!((a.values[4] - 1.2).abs() < 1e-9);
    assert!((a.total_kwh() - (23.0 * 1.2 + 2.4)).abs() < 1e-9);

    let c = &days[1];
    assert_eq!(c.date, Some(Date::from_ymd(2007, 1, 3).unwrap()));
    // Hour 7: present 15 min at 0.9 and 30 min at 1.5 kW: mean 1.3 kW.
    assert!((c.values[7] - 1.3).abs() < 1e-9, "{}", c.values[7]);
    assert!((c.values[20] - 0.9).abs() < 1e-9);
}

fn err(text: &str) -> (u64, String) {
    let r = UciReader::new(text.as_bytes(), "dir/power.txt", UciOptions::default())
        .and_then(|r| r.collect::<Result<Vec<_>, _>>());
    match r {
        Err(TracesError::Malformed { path, line, reason }) => {
            assert_eq!(path, Path::new("dir/power.txt"));
            (line, reason)
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn errors_name_file_and_line() {
    let h = format!("{HEADER}\n");
    let ok = row(1, 0, "1.0");
    let cases: Vec<(String, u64, &str)> = vec![
        ("Date;Time;Power\n".to_owned(), 1, "unknown header"),
        (format!("{h}{ok}1/1/2007;00:01:00;1.0;0.1\n"), 3, "ragged"),
        (
            format!("{h}{ok}{}", row(1, 1, "1,5")),
            3,
            "Global_active_power",
        ),
        (
            format!("{h}{ok}1/1/2007;00:01:00;1.0;0.1;x;5.0;0.0;0.0;1.0\n"),
            3,
            "Voltage",
        ),
        (
            format!("{h}31/2/2007;00:00:00;1.0;0.1;240;5.0;0.0;0.0;1.0\n"),
            2,
            "has no day 31",
        ),
        (
            format!("{h}2007-01-01;00:00:00;1.0;0.1;240;5.0;0.0;0.0;1.0\n"),
            2,
            "not a date",
        ),
        (
            format!("{h}1/1/2007;24:00:00;1.0;0.1;240;5.0;0.0;0.0;1.0\n"),
            2,
            "not a time",
        ),
        (
            format!("{h}1/1/2007;10:5:00;1.0;0.1;240;5.0;0.0;0.0;1.0\n"),
            2,
            "not a time",
        ),
        (format!("{h}{ok}{ok}"), 3, "duplicate slot"),
        (
            format!("{h}{}{}", row(1, 5, "1"), row(1, 4, "1")),
            3,
            "time order",
        ),
        (
            format!("{h}{}{}", row(2, 5, "1"), row(1, 6, "1")),
            3,
            "time order",
        ),
        ("".to_owned(), 1, "empty file"),
    ];
    for (text, line, want) in cases {
        let (got, reason) = err(&text);
        assert_eq!(got, line, "{reason}");
        assert!(reason.contains(want), "{reason}");
    }
}

#[test]
fn headerless_input_and_padding() {
    let mut text = String::new();
    for m in 0..1440 {
        let _ = writeln!(
            text,
            "05/01/2007;{:02}:{:02}:00;0.600;0.1;240.0;5.0;0.0;0.0;1.0",
            m / 60,
            m % 60
        );
    }
    let (days, _) = read(&text, UciOptions::default());
    assert_eq!(days.len(), 1);
    assert_eq!(days[0].household, "power");
    assert!((days[0].total_kwh() - 14.4).abs() < 1e-9);
}
