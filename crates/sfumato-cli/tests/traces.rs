//! End-to-end tests of `sfumato traces …` as a user runs it.

use std::path::Path;

mod common;
use common::{bad, ok, s, scratch};

fn rows(path: &Path) -> Vec<Vec<String>> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect()
}

fn fixture(name: &str) -> String {
    format!(
        "{}/../sfumato-traces/tests/data/{name}",
        env!("CARGO_MANIFEST_DIR")
    )
}

#[test]
fn generate_writes_what_it_says_and_replays() {
    let dir = scratch("traces-generate");
    let a = dir.join("a.csv");
    let text = ok(&[
        "traces",
        "generate",
        "--households",
        "12",
        "--days",
        "2",
        "--resolution",
        "30m",
        "--seed",
        "5",
        "--out",
        s(&a),
    ]);
    assert!(
        text.contains("12 households") && text.contains("24 rows"),
        "{text}"
    );
    let r = rows(&a);
    assert_eq!(r.len(), 25);
    assert_eq!(&r[0][..4], ["household", "date", "residents", "00:00"]);
    assert_eq!(r[0].len(), 3 + 48);
    assert_eq!(&r[1][..2], ["0", "2024-01-01"]);
    assert_eq!(&r[2][..2], ["0", "2024-01-02"]);
    for row in &r[1..] {
        let residents: u8 = row[2].parse().unwrap();
        assert!((1..=5).contains(&residents));
        assert!(row[3..].iter().all(|v| v.parse::<f64>().unwrap() >= 0.0));
    }
    // The same seed replays byte for byte; another seed differs.
    let b = dir.join("b.csv");
    ok(&[
        "traces",
        "generate",
        "--households",
        "12",
        "--days",
        "2",
        "--resolution",
        "30m",
        "--seed",
        "5",
        "--out",
        s(&b),
    ]);
    assert_eq!(std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
    ok(&[
        "traces",
        "generate",
        "--households",
        "12",
        "--days",
        "2",
        "--resolution",
        "30m",
        "--seed",
        "6",
        "--out",
        s(&b),
    ]);
    assert_ne!(std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
    // A shard of households 4–6 is the same rows, whatever the threads.
    ok(&[
        "traces",
        "generate",
        "--households",
        "3",
        "--first-household",
        "4",
        "--days",
        "2",
        "--resolution",
        "30m",
        "--seed",
        "5",
        "--threads",
        "1",
        "--out",
        s(&b),
    ]);
    assert_eq!(rows(&b)[1..], r[9..15]);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn per_appliance_rows_sum_to_the_total() {
    let dir = scratch("traces-appliances");
    let a = dir.join("a.csv");
    ok(&[
        "traces",
        "generate",
        "--households",
        "6",
        "--resolution",
        "1h",
        "--per-appliance",
        "--decimals",
        "12",
        "--out",
        s(&a),
    ]);
    let r = rows(&a);
    assert_eq!(r[0][3], "appliance");
    let mut i = 1;
    let mut totals = 0;
    while i < r.len() {
        assert_eq!(r[i][3], "total");
        let total: Vec<f64> = r[i][4..].iter().map(|v| v.parse().unwrap()).collect();
        let mut sum = vec![0.0; total.len()];
        i += 1;
        while i < r.len() && r[i][3] != "total" {
            for (s, v) in sum.iter_mut().zip(&r[i][4..]) {
                *s += v.parse::<f64>().unwrap();
            }
            i += 1;
        }
        for (t, s) in total.iter().zip(&sum) {
            assert!((t - s).abs() < 1e-9, "{t} vs {s}");
        }
        totals += 1;
    }
    assert_eq!(totals, 6);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn stats_reports_sizes_shape_and_appliances() {
    let dir = scratch("traces-stats");
    let a = dir.join("a.csv");
    ok(&[
        "traces",
        "generate",
        "--households",
        "40",
        "--days",
        "3",
        "--per-appliance",
        "--out",
        s(&a),
    ]);
    let text = ok(&["traces", "stats", s(&a)]);
    for needle in [
        "residents",
        "mean daily shape",
        "peak",
        "base load",
        "fridge_freezer",
        "lighting",
    ] {
        assert!(text.contains(needle), "stats lacks {needle}:\n{text}");
    }
    let doc: serde_json::Value =
        serde_json::from_str(&ok(&["--json", "traces", "stats", s(&a)])).unwrap();
    assert_eq!(doc["households"], 40);
    assert_eq!(doc["household_days"], 120);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn import_turns_cer_into_daily_profiles() {
    let dir = scratch("traces-import");
    let out = dir.join("daily.csv");
    let doc: serde_json::Value = serde_json::from_str(&ok(&[
        "--json",
        "traces",
        "import",
        "--format",
        "cer",
        &fixture("cer_sample.txt"),
        "--out",
        s(&out),
        "--clip",
        "0:80",
    ]))
    .unwrap();
    assert_eq!(doc["report"]["days_written"], 4);
    assert_eq!(doc["report"]["days_dropped_incomplete"], 1);
    let r = rows(&out);
    assert_eq!(r.len(), 5);
    assert_eq!(r[0].len(), 2 + 24);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn bad_input_names_file_and_line_and_loses_nothing() {
    let dir = scratch("traces-bad");
    let bad_csv = dir.join("bad.csv");
    let header: String = (0..24).map(|h| format!(",{h:02}:00")).collect();
    let values = ",0.5".repeat(24);
    let write = |rows: &[String]| {
        std::fs::write(
            &bad_csv,
            format!("household,date{header}\n{}\n", rows.join("\n")),
        )
        .unwrap()
    };
    write(&[
        format!("1,2024-01-01{values}"),
        format!("2,2024-01-01{}", values.replacen("0.5", "abc", 1)),
    ]);
    bad(&["traces", "stats", s(&bad_csv)], "bad.csv:3");
    write(&[format!("1,2024-02-30{values}")]);
    bad(&["traces", "stats", s(&bad_csv)], "bad.csv:2");
    write(&[
        format!("1,2024-02-03{values}"),
        format!("2,2024-02-03{}", &values[4..]),
    ]);
    bad(&["traces", "stats", s(&bad_csv)], "bad.csv:3");

    // A failed import leaves an existing output as it was, even its own input.
    let keep = dir.join("keep.csv");
    std::fs::write(&keep, "precious\n").unwrap();
    bad(
        &[
            "traces",
            "import",
            "--format",
            "cer",
            s(&keep),
            "--out",
            s(&keep),
        ],
        "is the input file",
    );
    let other = dir.join("other.csv");
    bad(
        &[
            "traces",
            "import",
            "--format",
            "cer",
            s(&keep),
            "--out",
            s(&other),
        ],
        "no data rows",
    );
    assert!(!other.exists());
    assert_eq!(std::fs::read_to_string(&keep).unwrap(), "precious\n");
    bad(
        &[
            "traces",
            "import",
            "--format",
            "uci-household",
            &fixture("cer_sample.txt"),
            "--out",
            s(&keep),
        ],
        "cer_sample.txt:1",
    );
    assert_eq!(std::fs::read_to_string(&keep).unwrap(), "precious\n");
    assert_eq!(
        std::fs::read_dir(&dir).unwrap().count(),
        2,
        "a temporary file was left behind"
    );

    for (args, needle) in [
        (
            vec![
                "traces",
                "generate",
                "--households",
                "3",
                "--resolution",
                "7m",
            ],
            "7 min",
        ),
        (
            vec![
                "traces",
                "generate",
                "--households",
                "3",
                "--start-date",
                "2024-13-01",
            ],
            "month 13",
        ),
        (
            vec![
                "traces",
                "generate",
                "--households",
                "3",
                "--climate",
                "mars",
            ],
            "mars",
        ),
        (
            vec!["traces", "generate", "--households", "0"],
            "households",
        ),
        (
            vec!["traces", "import", "--format", "cer", "x", "--clip", "5:1"],
            "clip",
        ),
        (
            vec![
                "traces",
                "import",
                "--format",
                "cer",
                "x",
                "--min-present",
                "0",
            ],
            "min-present",
        ),
    ] {
        let mut args = args;
        let out = dir.join("never.csv");
        args.extend(["--out", s(&out)]);
        bad(&args, needle);
        assert!(!out.exists());
    }
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn demo_generates_its_households() {
    let doc: serde_json::Value = serde_json::from_str(&ok(&[
        "--json", "demo", "--meters", "200", "--draws", "100",
    ]))
    .unwrap();
    let h = &doc["households"];
    let sizes: u64 = h["households_by_residents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap())
        .sum();
    assert_eq!(sizes, 200);
    let x = h["aggregate_wh"].as_f64().unwrap();
    assert!(x > 200.0 * 50.0 && x < 200.0 * 2_000.0, "{x}");
    assert_eq!(doc["slot"]["aggregate_wh"].as_f64().unwrap(), x);
}
