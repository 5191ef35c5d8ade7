//! Wide CSV: round trips, header forms, and errors that name file and line.

use std::path::Path;

use sfumato_traces::io::{WideReader, WideWriteOptions, WideWriter, write_wide};
use sfumato_traces::{Date, DayProfile, Resolution, TracesError};

fn profile(
    household: &str,
    date: Option<&str>,
    residents: Option<u8>,
    appliance: Option<&str>,
    resolution: Resolution,
    seed: u64,
) -> DayProfile {
    // A deterministic, irregular day.
    let mut x = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    let values = (0..resolution.slots_per_day())
        .map(|_| {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (x >> 40) as f64 / (1u64 << 24) as f64 * 0.7
        })
        .collect();
    DayProfile {
        household: household.to_owned(),
        date: date.map(|d| d.parse().unwrap()),
        residents,
        appliance: appliance.map(str::to_owned),
        resolution,
        values,
    }
}

fn write(profiles: &[DayProfile], options: WideWriteOptions) -> String {
    let mut out = Vec::new();
    write_wide(&mut out, profiles[0].resolution, options, profiles).unwrap();
    String::from_utf8(out).unwrap()
}

fn read(text: &str) -> Vec<DayProfile> {
    WideReader::new(text.as_bytes(), "mem.csv")
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

fn read_err(text: &str) -> (u64, String) {
    let r = WideReader::new(text.as_bytes(), Path::new("dir/bad.csv"))
        .and_then(|r| r.collect::<Result<Vec<_>, _>>());
    match r {
        Err(TracesError::Malformed { path, line, reason }) => {
            assert_eq!(path, Path::new("dir/bad.csv"));
            let shown = TracesError::malformed(&path, line, reason.clone()).to_string();
            assert!(
                shown.starts_with(&format!("dir/bad.csv:{line}: ")),
                "{shown}"
            );
            (line, reason)
        }
        other => panic!("expected a malformed-file error, got {other:?}"),
    }
}

fn assert_close(a: &[DayProfile], b: &[DayProfile], tol: f64) {
    assert_eq!(a.len(), b.len());
    for (x, y) in a.iter().zip(b) {
        assert_eq!(
            (
                &x.household,
                x.date,
                x.residents,
                &x.appliance,
                x.resolution
            ),
            (
                &y.household,
                y.date,
                y.residents,
                &y.appliance,
                y.resolution
            )
        );
        assert_eq!(x.values.len(), y.values.len());
        for (u, v) in x.values.iter().zip(&y.values) {
            assert!((u - v).abs() <= tol, "{u} vs {v}");
        }
    }
}

#[test]
fn round_trip_without_appliances() {
    let r10 = Resolution::from_minutes(10).unwrap();
    let days = vec![
        profile("0", Some("2024-03-01"), Some(2), None, r10, 1),
        profile("0", Some("2024-03-02"), Some(2), None, r10, 2),
        profile("house, \"north\"", Some("2024-03-01"), None, None, r10, 3),
    ];
    let text = write(&days, WideWriteOptions::default());
    let header = text.lines().next().unwrap();
    assert!(header.starts_with("household,date,residents,00:00,00:10,"));
    assert!(header.ends_with(",23:50"));
    assert!(!header.contains("appliance"));
    let back = read(&text);
    assert_close(&days, &back, 0.5e-4 + 1e-12);
    // Values are written with at most 4 decimals.
    let row = text.lines().nth(1).unwrap();
    assert!(
        row.split(',')
            .skip(3)
            .all(|v| v.split('.').nth(1).is_none_or(|f| f.len() <= 4))
    );
}

#[test]
fn round_trip_with_appliances_is_exact_in_shortest_form() {
    let h = Resolution::HOUR;
    let days = vec![
        profile("a", Some("2024-03-01"), Some(3), None, h, 1),
        profile("a", Some("2024-03-01"), Some(3), Some("fridge"), h, 2),
        profile(
            "a",
            Some("2024-03-01"),
            Some(3),
            Some("washing machine"),
            h,
            3,
        ),
        profile("b", Some("2024-03-01"), Some(1), Some("total"), h, 4),
    ];
    let options = WideWriteOptions {
        decimals: None,
        appliance: Some(true),
        ..WideWriteOptions::default()
    };
    let text = write(&days, options);
    assert!(text.starts_with("household,date,residents,appliance,00:00,01:00,"));
    assert_eq!(read(&text), days);
}

#[test]
fn writer_refuses_what_the_header_cannot_hold() {
    let h = Resolution::HOUR;
    let mut w = WideWriter::new(Vec::new(), h, WideWriteOptions::default()).unwrap();
    w.write(&profile("a", None, None, None, h, 1)).unwrap();
    let e = w.write(&profile("a", None, None, Some("fridge"), h, 1));
    assert!(
        matches!(e, Err(TracesError::InvalidParameter { .. })),
        "{e:?}"
    );
    let e = w.write(&profile("a", None, None, None, Resolution::MINUTE, 1));
    assert!(
        matches!(e, Err(TracesError::InvalidParameter { .. })),
        "{e:?}"
    );
    let mut bad = profile("a", None, None, None, h, 1);
    bad.values[3] = f64::NAN;
    assert!(w.write(&bad).is_err());
    bad.values.pop();
    assert!(w.write(&bad).is_err());
    assert_eq!(w.rows(), 1);
    let text = String::from_utf8(w.finish().unwrap()).unwrap();
    assert_eq!(text.lines().count(), 2);
    assert!(
        WideWriter::new(
            Vec::new(),
            h,
            WideWriteOptions {
                decimals: Some(13),
                ..Default::default()
            }
        )
        .is_err()
    );
}

#[test]
fn empty_writer_writes_a_header() {
    let mut out = Vec::new();
    let rows = write_wide(&mut out, Resolution::HOUR, WideWriteOptions::default(), &[]).unwrap();
    assert_eq!(rows, 0);
    let text = String::from_utf8(out).unwrap();
    assert_eq!(text.lines().count(), 1);
    assert!(read(&text).is_empty());
}

#[test]
fn reads_numbered_and_headerless_files() {
    let values: Vec<String> = (1..=24).map(|i| format!("{}", i as f64 / 10.0)).collect();
    let names: Vec<String> = (1..=24).map(|i| format!("h{i}")).collect();
    let text = format!("id,{}\nm1,{}\n", names.join(","), values.join(","));
    let p = read(&text);
    assert_eq!(p.len(), 1);
    assert_eq!(p[0].household, "m1");
    assert_eq!(p[0].resolution, Resolution::HOUR);
    assert_eq!(p[0].values[23], 2.4);

    // Numbered from 0, 48 columns: half-hours; CRLF and a BOM.
    let names: Vec<String> = (0..48).map(|i| i.to_string()).collect();
    let ones = vec!["1"; 48].join(",");
    let text = format!("\u{feff}meter,{}\r\n\r\n7,{ones}\r\n", names.join(","));
    let p = read(&text);
    assert_eq!(p[0].resolution.minutes(), 30);
    assert_eq!(p[0].household, "7");

    // Headerless: numeric and non-numeric ids, 96 values.
    let ones = vec!["0.5"; 96].join(",");
    let text = format!("1002,{ones}\nflat 3,{ones}\n");
    let p = read(&text);
    assert_eq!(p.len(), 2);
    assert_eq!(p[0].household, "1002");
    assert_eq!(p[1].household, "flat 3");
    assert_eq!(p[1].resolution.minutes(), 15);
    assert_eq!(p[1].total_kwh(), 48.0);
    assert_eq!(p[0].date, None);

    // Optional columns in another order, empty date/residents.
    let text = "household,residents,date,00:00,12:00\nx,,,1,2\ny,4,2023-12-31,3,4\n";
    let p = read(text);
    assert_eq!(p[0].resolution.minutes(), 720);
    assert_eq!((p[0].residents, p[0].date), (None, None));
    assert_eq!(p[1].residents, Some(4));
    assert_eq!(p[1].date, Some(Date::from_ymd(2023, 12, 31).unwrap()));
}

fn hourly_header() -> String {
    let slots: Vec<String> = (0..24).map(|h| format!("{h:02}:00")).collect();
    format!("household,date,{}", slots.join(","))
}

fn row(id: &str, date: &str, values: &[&str]) -> String {
    format!("{id},{date},{}", values.join(","))
}

#[test]
fn errors_name_file_and_line() {
    let h = hourly_header();
    let ok = vec!["0.1"; 24];
    let good = row("a", "2024-01-01", &ok);

    // Ragged row (line 3; blank line 2 counts).
    let short = row("a", "2024-01-02", &ok[..23]);
    let (line, reason) = read_err(&format!("{h}\n\n{short}\n"));
    assert_eq!(line, 3);
    assert!(reason.contains("ragged"), "{reason}");

    // Non-number, NaN, empty value, infinite value.
    for (bad, what) in [
        ("abc", "not a number"),
        ("NaN", "finite"),
        ("", "empty"),
        ("inf", "finite"),
    ] {
        let mut v = ok.clone();
        v[5] = bad;
        let (line, reason) = read_err(&format!("{h}\n{good}\n{}\n", row("a", "2024-01-02", &v)));
        assert_eq!(line, 3, "{bad}");
        assert!(
            reason.contains(what) && reason.contains("05:00"),
            "{reason}"
        );
    }

    // Bad dates.
    for d in ["2024-02-30", "01/02/2024", "2024-1-1"] {
        let (line, reason) = read_err(&format!("{h}\n{}\n", row("a", d, &ok)));
        assert_eq!(line, 2, "{d}");
        assert!(reason.contains("date"), "{reason}");
    }

    // Bad residents.
    let text = "household,residents,00:00,12:00\na,0,1,2\n";
    assert_eq!(read_err(text).0, 2);
    let text = "household,residents,00:00,12:00\na,2.5,1,2\n";
    assert_eq!(read_err(text).0, 2);

    // Quoting errors.
    let (line, _) = read_err(&format!("{h}\n\"a,2024-01-01,{}\n", ok.join(",")));
    assert_eq!(line, 2);

    // Not UTF-8.
    let bytes = b"household,00:00\na,1\nb,\xff\n";
    match WideReader::new(&bytes[..], "bin.csv").and_then(|r| r.collect::<Result<Vec<_>, _>>()) {
        Err(TracesError::Malformed {
            line: 3, reason, ..
        }) => assert!(reason.contains("UTF-8")),
        other => panic!("{other:?}"),
    }

    // Empty household id.
    assert_eq!(
        read_err(&format!("{h}\n{}\n", row("", "2024-01-01", &ok))).0,
        2
    );
}

#[test]
fn header_errors() {
    let cases = [
        // Unknown column among HH:MM slots.
        (
            "household,date,00:00,06:00,kwh,18:00",
            "unknown header column `kwh`",
        ),
        // Slot columns not evenly spaced.
        ("household,00:00,06:00,11:00,18:00", "should be `12:00`"),
        // Not starting at 00:00.
        ("household,06:00,12:00,18:00,00:00", "should be `00:00`"),
        // Duplicate slot.
        (
            "household,00:00,06:00,06:00,18:00",
            "duplicate slot column `06:00`",
        ),
        // Count does not divide the day.
        (
            "household,00:00,01:00,02:00,03:00,04:00,05:00,06:00",
            "7 slot columns",
        ),
        // Numbered columns that are not consecutive or share no prefix.
        ("id,h1,h2,h4,h5", "unknown header column `h4`"),
        ("id,h1,h2,x3,h4", "unknown header column `x3`"),
        ("id,h2,h3,h4,h5", "unknown header column `h2`"),
        ("id,h1,h2,h2,h3", "duplicate"),
        ("id,foo,bar", "unknown header column `foo`"),
        // Duplicate meta column; no slots.
        ("household,date,date,00:00", "duplicate column"),
        ("household,date", "no slot columns"),
        (",00:00,12:00", "no name"),
    ];
    for (header, want) in cases {
        let (line, reason) = read_err(&format!("{header}\n"));
        assert_eq!(line, 1, "{header}");
        assert!(reason.contains(want), "{header}: {reason}");
    }
    let (line, reason) = read_err("\n\n");
    assert_eq!(line, 2);
    assert!(reason.contains("empty"), "{reason}");
    // Headerless with a count that does not divide the day.
    let (line, _) = read_err("a,1,2,3,4,5,6,7\n");
    assert_eq!(line, 1);
}

#[test]
fn open_names_the_real_file() {
    let dir = std::env::temp_dir().join(format!("sfumato-io-wide-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("days.csv");
    std::fs::write(
        &path,
        format!(
            "{}\n{}\n",
            hourly_header(),
            row("a", "2024-01-01", &["x"; 24])
        ),
    )
    .unwrap();
    match sfumato_traces::io::open_wide(&path).unwrap().next() {
        Some(Err(TracesError::Malformed {
            path: p, line: 2, ..
        })) => assert_eq!(p, path),
        other => panic!("{other:?}"),
    }
    let missing = dir.join("absent.csv");
    assert!(matches!(
        sfumato_traces::io::open_wide(&missing),
        Err(TracesError::Io { .. })
    ));
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Writer speed, not a test: run with
/// `cargo test -p sfumato-traces --test io_wide -- --ignored --nocapture`.
#[test]
#[ignore]
fn writer_speed() {
    let r = Resolution::from_minutes(10).unwrap();
    let days: Vec<DayProfile> = (0..1000)
        .map(|i| profile(&i.to_string(), Some("2024-03-01"), Some(2), None, r, i))
        .collect();
    let reps = 24_000_000 / (days.len() * 144);
    let start = std::time::Instant::now();
    let mut bytes = 0;
    for _ in 0..reps {
        let mut w = WideWriter::new(std::io::sink(), r, WideWriteOptions::default()).unwrap();
        for d in &days {
            w.write(d).unwrap();
        }
        bytes += w.rows();
        w.finish().unwrap();
    }
    let secs = start.elapsed().as_secs_f64();
    let n = (reps * days.len() * 144) as f64;
    println!(
        "wide writer: {n} values ({bytes} rows) in {secs:.2} s = {:.1} M values/s",
        n / secs / 1e6
    );
    let mut text = Vec::new();
    write_wide(&mut text, r, WideWriteOptions::default(), &days).unwrap();
    let start = std::time::Instant::now();
    let mut count = 0;
    for _ in 0..reps {
        for p in WideReader::new(text.as_slice(), "mem").unwrap() {
            count += p.unwrap().values.len();
        }
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "wide reader: {count} values in {secs:.2} s = {:.1} M values/s",
        count as f64 / secs / 1e6
    );
}
