//! The daily-profiles transform and the import pipeline.

use std::path::{Path, PathBuf};

use sfumato_traces::io::{
    Clip, DailyProfiles, Format, ImportOptions, WideReader, import, import_file, import_to,
    to_hourly,
};
use sfumato_traces::{DayProfile, Resolution, TracesError};

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

fn day(minutes: u32, values: impl Fn(usize) -> f64) -> DayProfile {
    let r = Resolution::from_minutes(minutes).unwrap();
    DayProfile {
        household: "h".into(),
        date: Some("2024-06-01".parse().unwrap()),
        residents: Some(3),
        appliance: Some("fridge".into()),
        resolution: r,
        values: (0..r.slots_per_day()).map(values).collect(),
    }
}

#[test]
fn sums_to_hours() {
    // 10-minute slots: slot i holds i/100 kWh; hour h sums slots 6h..6h+5.
    let p = day(10, |i| i as f64 / 100.0);
    let h = to_hourly(&p).unwrap();
    assert_eq!(h.resolution, Resolution::HOUR);
    assert_eq!(h.values.len(), 24);
    for (k, v) in h.values.iter().enumerate() {
        let want: f64 = (6 * k..6 * k + 6).map(|i| i as f64 / 100.0).sum();
        assert!((v - want).abs() < 1e-12);
    }
    assert_eq!(
        (h.residents, h.appliance.as_deref()),
        (Some(3), Some("fridge"))
    );
    assert!((h.total_kwh() - p.total_kwh()).abs() < 1e-9);

    let minute = day(1, |_| 0.01);
    assert!(
        to_hourly(&minute)
            .unwrap()
            .values
            .iter()
            .all(|v| (v - 0.6).abs() < 1e-12)
    );
    let hourly = day(60, |i| i as f64);
    assert_eq!(to_hourly(&hourly).unwrap(), hourly);

    // Slots that do not divide an hour, or are longer.
    for m in [45, 120, 1440] {
        assert!(matches!(
            to_hourly(&day(m, |_| 1.0)),
            Err(TracesError::InvalidParameter { .. })
        ));
    }
    let mut short = day(30, |_| 1.0);
    short.values.pop();
    assert!(to_hourly(&short).is_err());
}

#[test]
fn clips_and_counts() {
    let clip: Clip = "0:2".parse().unwrap();
    assert_eq!((clip.min(), clip.max()), (0.0, 2.0));
    let mut t = DailyProfiles::new(Some(clip));
    // Quarter-hours of (h − 3) / 4 kWh: hour h holds h − 3 kWh, so hours
    // 0–2 are below 0 and hours 6–23 above 2.
    let p = day(15, |i| ((i / 4) as f64 - 3.0) / 4.0);
    let h = t.apply(&p).unwrap();
    assert_eq!(t.values_clipped(), 3 + 18);
    assert_eq!(h.values[0], 0.0);
    assert_eq!(h.values[4], 1.0);
    assert_eq!(h.values[23], 2.0);
    t.apply(&p).unwrap();
    assert_eq!((t.days(), t.values_clipped()), (2, 42));

    let mut none = DailyProfiles::new(None);
    none.apply(&p).unwrap();
    assert_eq!(none.values_clipped(), 0);

    let mut v = [-1.0, 0.0, 5.0, 80.0, 80.5];
    assert_eq!("0:80".parse::<Clip>().unwrap().apply(&mut v), 2);
    assert_eq!(v, [0.0, 0.0, 5.0, 80.0, 80.0]);
    assert_eq!("-1.5:10".parse::<Clip>().unwrap().to_string(), "-1.5:10");
}

#[test]
fn bad_clips_are_refused() {
    for s in [
        "80:0", "5:5", "a:1", "5", "0:inf", "NaN:1", "", "0:80:1", ":3",
    ] {
        match s.parse::<Clip>() {
            Err(TracesError::InvalidParameter { name: "clip", .. }) => {}
            other => panic!("{s}: {other:?}"),
        }
    }
    assert!(Clip::new(1.0, 0.0).is_err());
}

#[test]
fn formats_parse() {
    for f in Format::ALL {
        assert_eq!(f.name().parse::<Format>().unwrap(), f);
    }
    assert_eq!("long-csv".parse::<Format>().unwrap(), Format::LongCsv);
    assert!("wide".parse::<Format>().is_err());
}

#[test]
fn imports_cer_to_a_wide_file_with_clipping() {
    let dir = std::env::temp_dir().join(format!("sfumato-io-daily-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join("daily.csv");
    let options = ImportOptions {
        clip: Some("0:3".parse().unwrap()),
        ..ImportOptions::default()
    };
    let report = import_file(Format::Cer, &data("cer_sample.txt"), &out, &options).unwrap();
    assert_eq!(report.days_read, 5);
    assert_eq!(report.days_written, 4);
    assert_eq!(report.days_dropped_incomplete, 1);
    // Only the autumn day's 23:00 (5.948 kWh) exceeds 3.
    assert_eq!(report.values_clipped, 1);
    let text = std::fs::read_to_string(&out).unwrap();
    let mut lines = text.lines();
    assert!(
        lines
            .next()
            .unwrap()
            .starts_with("household,date,00:00,01:00,")
    );
    let autumn = lines.nth(2).unwrap();
    assert!(
        autumn.starts_with("1002,2009-10-25,2.034,2.074,"),
        "{autumn}"
    );
    assert!(autumn.ends_with(",2.914,3"), "{autumn}");
    let back: Vec<DayProfile> = WideReader::open(&out)
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(back.len(), 4);

    // A failed import leaves no output behind.
    let bad = dir.join("bad.txt");
    std::fs::write(&bad, "1000 19501 0.1\n1000 19501 0.1\n").unwrap();
    let out2 = dir.join("never.csv");
    let e = import_file(Format::Cer, &bad, &out2, &options).unwrap_err();
    assert!(e.to_string().contains("bad.txt:2:"), "{e}");
    assert!(!out2.exists());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn imports_uci_in_memory_and_to_a_writer() {
    let options = ImportOptions {
        missing: "3%".parse().unwrap(),
        household: Some("paris".into()),
        residents: Some(2),
        ..ImportOptions::default()
    };
    let (days, report) = import(Format::UciHousehold, &data("uci_sample.txt"), &options).unwrap();
    assert_eq!(days.len(), 1);
    assert_eq!(report.days_written, 1);
    assert_eq!(days[0].household, "paris");
    let mut out = Vec::new();
    let input = std::fs::read(data("uci_sample.txt")).unwrap();
    let r2 = import_to(
        Format::UciHousehold,
        input.as_slice(),
        Path::new("x.txt"),
        &mut out,
        &options,
    )
    .unwrap();
    assert_eq!(r2, report);
    let text = String::from_utf8(out).unwrap();
    assert!(text.starts_with("household,date,residents,00:00,"));
    assert!(
        text.lines()
            .nth(1)
            .unwrap()
            .starts_with("paris,2006-12-17,2,1.1,1.2,")
    );

    // Nothing kept: just the header.
    let mut out = Vec::new();
    let r = import_to(
        Format::UciHousehold,
        input.as_slice(),
        Path::new("x.txt"),
        &mut out,
        &ImportOptions::default(),
    )
    .unwrap();
    assert_eq!(r.days_written, 0);
    assert_eq!(String::from_utf8(out).unwrap().lines().count(), 1);
}

#[test]
fn imports_long_csv_with_appliances() {
    let mut text = String::from("household,timestamp,kwh,appliance,residents\n");
    for a in ["", "fridge"] {
        for s in 0..48 {
            text.push_str(&format!(
                "h1,2024-01-01T{:02}:{:02},0.25,{a},4\n",
                s / 2,
                s % 2 * 30
            ));
        }
    }
    let mut out = Vec::new();
    let report = import_to(
        Format::LongCsv,
        text.as_bytes(),
        Path::new("l.csv"),
        &mut out,
        &ImportOptions::default(),
    )
    .unwrap();
    assert_eq!((report.days_read, report.days_written), (2, 2));
    let text = String::from_utf8(out).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("household,date,residents,appliance,00:00,"));
    assert!(lines[1].starts_with("h1,2024-01-01,4,,0.5,0.5,"));
    assert!(lines[2].starts_with("h1,2024-01-01,4,fridge,0.5,"));
}
