//! Long CSV: round trips, grouping, slot-length inference, gaps, errors.

use std::path::Path;

use sfumato_traces::io::{
    ImportReport, LongReadOptions, LongReader, LongWriteOptions, MissingPolicy, write_long,
};
use sfumato_traces::{DayProfile, Resolution, TracesError};

fn profile(
    household: &str,
    date: &str,
    appliance: Option<&str>,
    resolution: Resolution,
    seed: u64,
) -> DayProfile {
    let n = resolution.slots_per_day();
    DayProfile {
        household: household.to_owned(),
        date: Some(date.parse().unwrap()),
        residents: None,
        appliance: appliance.map(str::to_owned),
        resolution,
        values: (0..n)
            .map(|i| ((i as u64 * 7919 + seed * 104_729) % 1000) as f64 / 1234.0)
            .collect(),
    }
}

fn read_with(text: &str, options: LongReadOptions) -> (Vec<DayProfile>, ImportReport) {
    let mut r = LongReader::new(text.as_bytes(), "mem.csv", options).unwrap();
    let days = r.by_ref().collect::<Result<Vec<_>, _>>().unwrap();
    (days, r.report().clone())
}

fn read(text: &str) -> Vec<DayProfile> {
    read_with(text, LongReadOptions::default()).0
}

fn read_err(text: &str) -> (u64, String) {
    let r = LongReader::new(
        text.as_bytes(),
        Path::new("in/long.csv"),
        LongReadOptions::default(),
    )
    .and_then(|r| r.collect::<Result<Vec<_>, _>>());
    match r {
        Err(TracesError::Malformed { path, line, reason }) => {
            assert_eq!(path, Path::new("in/long.csv"));
            (line, reason)
        }
        other => panic!("expected a malformed-file error, got {other:?}"),
    }
}

fn write(days: &[DayProfile], options: LongWriteOptions) -> String {
    let mut out = Vec::new();
    write_long(&mut out, options, days).unwrap();
    String::from_utf8(out).unwrap()
}

#[test]
fn round_trip_without_appliances() {
    let r = Resolution::from_minutes(15).unwrap();
    let days = vec![
        profile("1", "2024-03-30", None, r, 1),
        profile("1", "2024-03-31", None, r, 2),
        profile("2", "2024-03-30", None, r, 3),
    ];
    let text = write(&days, LongWriteOptions::default());
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("household,timestamp,kwh"));
    assert!(lines.next().unwrap().starts_with("1,2024-03-30T00:00,"));
    assert_eq!(text.lines().count(), 1 + 3 * 96);
    let (back, report) = read_with(&text, LongReadOptions::default());
    assert_eq!(report.days_read, 3);
    assert_eq!(report.rows_read, 3 * 96);
    assert_eq!(back.len(), 3);
    for (a, b) in days.iter().zip(&back) {
        assert_eq!(
            (&a.household, a.date, b.resolution),
            (&b.household, b.date, r)
        );
        for (x, y) in a.values.iter().zip(&b.values) {
            assert!((x - y).abs() <= 0.5e-4 + 1e-12);
        }
    }
}

#[test]
fn round_trip_with_appliances_and_residents_is_exact() {
    let h = Resolution::HOUR;
    let mut days = vec![
        profile("a", "2024-03-01", None, h, 1),
        profile("a", "2024-03-01", Some("fridge"), h, 2),
        profile("a", "2024-03-02", None, h, 3),
        profile("a", "2024-03-02", Some("fridge"), h, 4),
        profile("b,c", "2024-03-01", Some("total"), h, 5),
    ];
    for d in &mut days {
        d.residents = Some(3);
    }
    let options = LongWriteOptions {
        decimals: None,
        appliance: Some(true),
        residents: Some(true),
    };
    let text = write(&days, options);
    assert!(text.starts_with("household,timestamp,kwh,appliance,residents\n"));
    assert_eq!(read(&text), days);
}

#[test]
fn infers_slot_length_and_accepts_timestamp_variants() {
    // Half-hourly, space separator, seconds, columns in another order.
    let mut text = String::from("kwh,timestamp,household\n");
    for i in 0..48 {
        text.push_str(&format!(
            "0.5,2024-01-01 {:02}:{:02}:00,m\n",
            i / 2,
            i % 2 * 30
        ));
    }
    let p = read(&text);
    assert_eq!(p.len(), 1);
    assert_eq!(p[0].resolution.minutes(), 30);
    assert_eq!(p[0].total_kwh(), 24.0);

    // Headerless with an appliance column.
    let mut text = String::new();
    for h in 0..24 {
        text.push_str(&format!("m,2024-01-01T{h:02}:00,1,oven\n"));
    }
    let p = read(&text);
    assert_eq!(p[0].appliance.as_deref(), Some("oven"));
    assert_eq!(p[0].resolution, Resolution::HOUR);

    // One row per day: daily values.
    let text = "household,timestamp,kwh\na,2024-01-01T00:00,7\na,2024-01-02T00:00,8\n";
    let p = read(text);
    assert_eq!(p.len(), 2);
    assert_eq!(p[1].resolution.minutes(), 1440);
    assert_eq!(p[1].values, [8.0]);

    // A one-row day first does not fix the grid: the next day, hourly, does
    // (and the one-row day is then incomplete).
    let mut text = String::from("household,timestamp,kwh\na,2024-01-01T00:00,7\n");
    for h in 0..24 {
        text.push_str(&format!("b,2024-01-01T{h:02}:00,1\n"));
    }
    let (p, report) = read_with(&text, LongReadOptions::default());
    assert_eq!(p.len(), 1);
    assert_eq!(p[0].household, "b");
    assert_eq!(p[0].resolution, Resolution::HOUR);
    assert_eq!(report.days_dropped_incomplete, 1);
}

fn hourly_rows(household: &str, date: &str, skip: &[u32]) -> String {
    let mut s = String::new();
    for m in (0..1440).step_by(10) {
        if !skip.contains(&m) {
            s.push_str(&format!(
                "{household},{date}T{:02}:{:02},{}\n",
                m / 60,
                m % 60,
                0.1
            ));
        }
    }
    s
}

#[test]
fn missing_slots_scale_up_an_hour_or_drop_the_day() {
    let header = "household,timestamp,kwh\n";
    // Day 1 complete; day 2 misses 1 of 6 slots at 08:00 (5/6 ≥ 0.75:
    // scaled); day 3 misses 2 of 6 at 13:00 (4/6 < 0.75: dropped).
    let text = format!(
        "{header}{}{}{}",
        hourly_rows("h", "2024-01-01", &[]),
        hourly_rows("h", "2024-01-02", &[8 * 60 + 20]),
        hourly_rows("h", "2024-01-03", &[13 * 60, 13 * 60 + 50]),
    );
    let (days, report) = read_with(&text, LongReadOptions::default());
    assert_eq!(days.len(), 2);
    assert_eq!(report.days_read, 3);
    assert_eq!(report.days_dropped_incomplete, 1);
    assert_eq!(report.hours_scaled, 1);
    assert_eq!(report.samples_missing, 3);
    let r10 = Resolution::from_minutes(10).unwrap();
    assert_eq!(days[1].resolution, r10);
    // The filled slot has the mean of the hour's present slots.
    assert!((days[1].values[8 * 6 + 2] - 0.1).abs() < 1e-12);
    assert!((days[1].total_kwh() - 14.4).abs() < 1e-9);

    // With a lower threshold the third day is kept, its hour scaled.
    let (days, report) = read_with(
        &text,
        LongReadOptions {
            resolution: Some(r10),
            missing: MissingPolicy::new(0.5).unwrap(),
        },
    );
    assert_eq!(days.len(), 3);
    assert_eq!(report.hours_scaled, 2);

    // Rows that start late leave the first hours empty: dropped.
    let text = format!("{header}h,2024-01-01T00:00,1\nh,2024-01-01T12:00,1\n");
    let (days, report) = read_with(
        &text,
        LongReadOptions {
            resolution: Some(Resolution::HOUR),
            ..Default::default()
        },
    );
    assert!(days.is_empty());
    assert_eq!(report.days_dropped_incomplete, 1);
    assert_eq!(report.samples_missing, 22);
}

#[test]
fn errors_name_file_and_line() {
    let h = "household,timestamp,kwh\n";
    let cases: Vec<(String, u64, &str)> = vec![
        // Non-contiguous household-day: a@01-01 interrupted by b.
        (
            format!("{h}a,2024-01-01T00:00,1\nb,2024-01-01T00:00,1\na,2024-01-01T01:00,1\n"),
            4,
            "not contiguous",
        ),
        // Days out of order.
        (
            format!("{h}a,2024-01-02T00:00,1\na,2024-01-01T00:00,1\n"),
            3,
            "not in date order",
        ),
        // Time going backwards.
        (
            format!("{h}a,2024-01-01T02:00,1\na,2024-01-01T01:00,1\n"),
            3,
            "not in time order",
        ),
        // Duplicate slot.
        (
            format!("{h}a,2024-01-01T02:00,1\na,2024-01-01T02:00,2\n"),
            3,
            "duplicate slot",
        ),
        // Ragged, non-number, NaN, empty.
        (format!("{h}a,2024-01-01T00:00\n"), 2, "ragged"),
        (
            format!("{h}a,2024-01-01T00:00,1\na,2024-01-01T01:00,x\n"),
            3,
            "not a number",
        ),
        (format!("{h}a,2024-01-01T00:00,NaN\n"), 2, "finite"),
        (format!("{h}a,2024-01-01T00:00,\n"), 2, "empty"),
        // Bad dates and times.
        (format!("{h}a,2024-13-01T00:00,1\n"), 2, "timestamp"),
        (format!("{h}a,2024-01-01T24:00,1\n"), 2, "time"),
        (format!("{h}a,2024-01-01T10:00:30,1\n"), 2, "seconds"),
        (format!("{h}a,2024-01-01,1\n"), 2, "timestamp"),
        // Off the inferred grid (hourly from the first day).
        (
            format!("{h}a,2024-01-01T00:00,1\na,2024-01-01T01:00,1\nb,2024-01-01T00:30,1\n"),
            4,
            "grid",
        ),
        (
            format!(
                "{h}a,2024-01-01T00:00,1\na,2024-01-01T01:00,1\nb,2024-01-01T00:00,1\nb,2024-01-01T00:30,1\n"
            ),
            5,
            "grid",
        ),
        // Headers.
        (
            "household,timestamp,kwh,power\n".to_owned(),
            1,
            "unknown header column `power`",
        ),
        ("household,timestamp\n".to_owned(), 1, "no `kwh` column"),
        (
            "household,kwh,timestamp,kwh\n".to_owned(),
            1,
            "duplicate column",
        ),
        (
            "a,2024-01-01T00:00,1,x,y\n".to_owned(),
            1,
            "without a header",
        ),
        (
            format!("{h}\n\n,2024-01-01T00:00,1\n"),
            4,
            "empty household",
        ),
        (
            "household,timestamp,kwh,residents\na,2024-01-01T00:00,1,2\na,2024-01-01T01:00,1,3\n"
                .to_owned(),
            3,
            "residents",
        ),
    ];
    for (text, line, want) in cases {
        let (got, reason) = read_err(&text);
        assert_eq!(got, line, "{text}: {reason}");
        assert!(reason.contains(want), "{text}: {reason}");
    }
}

#[test]
fn a_fixed_resolution_checks_the_first_rows_too() {
    let text = "household,timestamp,kwh\na,2024-01-01T00:10,1\n";
    let r = LongReader::new(
        text.as_bytes(),
        "x.csv",
        LongReadOptions {
            resolution: Some(Resolution::HOUR),
            ..Default::default()
        },
    )
    .unwrap()
    .collect::<Result<Vec<_>, _>>();
    assert!(
        matches!(r, Err(TracesError::Malformed { line: 2, .. })),
        "{r:?}"
    );
}

#[test]
fn writer_refuses_profiles_without_date_or_of_another_resolution() {
    let h = Resolution::HOUR;
    let mut p = profile("a", "2024-01-01", None, h, 1);
    let mut out = Vec::new();
    let mut w = sfumato_traces::io::LongWriter::new(&mut out, LongWriteOptions::default()).unwrap();
    w.write(&p).unwrap();
    p.date = None;
    assert!(w.write(&p).is_err());
    let q = profile("a", "2024-01-02", None, Resolution::MINUTE, 1);
    assert!(w.write(&q).is_err());
    let q = profile("a", "2024-01-02", Some("fridge"), h, 1);
    assert!(w.write(&q).is_err());
    assert_eq!(w.rows(), 24);
    w.finish().unwrap();
}

#[test]
fn open_long_names_the_file() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/long_interleaved.csv");
    let r = sfumato_traces::io::open_long(&path, LongReadOptions::default())
        .unwrap()
        .collect::<Result<Vec<_>, _>>();
    match r {
        Err(e @ TracesError::Malformed { .. }) => {
            let s = e.to_string();
            assert!(s.contains("long_interleaved.csv:5:"), "{s}");
            assert!(s.contains("not contiguous"), "{s}");
        }
        other => panic!("{other:?}"),
    }
}
