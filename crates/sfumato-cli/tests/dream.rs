//! End-to-end tests of `sfumato dream …`.

mod common;
use common::{bad, json_report, ok, s, scratch};

#[test]
fn run_publishes_noisy_totals_close_to_the_truth() {
    let v = json_report(&[
        "dream",
        "run",
        "--households",
        "120",
        "--cluster-size",
        "40",
        "--tolerate",
        "4",
        "--epsilon",
        "1",
        "--fail-rate",
        "0.05",
        "--seed",
        "3",
        "--slots",
        "12",
    ]);
    assert_eq!(v["clusters"], 3);
    let slots = v["slots"].as_array().unwrap();
    assert_eq!(slots.len(), 12);
    let published = v["cluster_slots"]["published"].as_u64().unwrap();
    assert!(published >= 30, "{v}");
    // ε = 1 with λ = the cluster max: errors of a few tens of percent at
    // night for clusters of 40 (DREAM Table 1: 0.118 for 100 over a day).
    let e = v["mean_cluster_error"].as_f64().unwrap();
    assert!(e > 0.01 && e < 1.0, "{e}");
    // Per meter: its key, then a reading and a second-round answer per slot.
    let meters = &v["traffic"]["meters"];
    assert_eq!(meters["nodes"], 120);
    let per_meter = meters["messages"].as_f64().unwrap() / 120.0;
    assert!((20.0..=25.0).contains(&per_meter), "{per_meter}");
    // The same seed replays exactly, with another worker count.
    let again = json_report(&[
        "dream",
        "run",
        "--households",
        "120",
        "--cluster-size",
        "40",
        "--tolerate",
        "4",
        "--epsilon",
        "1",
        "--fail-rate",
        "0.05",
        "--seed",
        "3",
        "--slots",
        "12",
        "--workers",
        "2",
    ]);
    assert_eq!(again["slots"], v["slots"]);
}

#[test]
fn run_reads_a_trace_file_and_reports_undecryptable_slots_without_recovery() {
    let dir = scratch("dream-run");
    let file = dir.join("day.csv");
    ok(&[
        "traces",
        "generate",
        "--households",
        "60",
        "--resolution",
        "30m",
        "--seed",
        "2",
        "--out",
        s(&file),
    ]);
    let v = json_report(&[
        "dream",
        "run",
        "--input",
        s(&file),
        "--cluster-size",
        "30",
        "--tolerate",
        "0",
        "--epsilon",
        "0.5",
        "--sensitivity",
        "3000",
        "--fail-rate",
        "0.1",
        "--seed",
        "1",
        "--noise",
        "gamma",
    ]);
    assert_eq!(v["slots"].as_array().unwrap().len(), 48);
    // With M = 0 a single missing meter makes a slot undecryptable: with
    // 30 meters failing 10% of the time almost every slot is lost.
    let lost = v["cluster_slots"]["missing meter, no recovery (M = 0)"]
        .as_u64()
        .unwrap();
    assert!(lost > 80, "{v}");
}

#[test]
fn readings_can_be_quantised_to_coarser_units() {
    let base = [
        "dream",
        "run",
        "--households",
        "100",
        "--cluster-size",
        "50",
        "--epsilon",
        "1",
        "--sensitivity",
        "5000",
        "--slots",
        "6",
        "--seed",
        "4",
    ];
    let wh = json_report(&base);
    let mut coarse_args = base.to_vec();
    coarse_args.extend(["--unit-wh", "10"]);
    let coarse = json_report(&coarse_args);
    for (a, b) in wh["slots"]
        .as_array()
        .unwrap()
        .iter()
        .zip(coarse["slots"].as_array().unwrap())
    {
        let (ta, tb) = (
            a["true_kwh"].as_f64().unwrap(),
            b["true_kwh"].as_f64().unwrap(),
        );
        // 100 readings, each rounded to the nearest 10 Wh: at most 0.5 kWh apart.
        assert!((ta - tb).abs() <= 0.5, "{ta} {tb}");
    }
}

#[test]
fn experiment_tables_print_ours_beside_the_papers() {
    let v = json_report(&[
        "dream",
        "experiment",
        "--table",
        "1",
        "--households",
        "1000",
        "--clusters",
        "20",
    ]);
    let rows = v["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 20);
    let first = &rows[0];
    assert_eq!(first["n"], 100);
    assert_eq!(first["paper_mean"], 0.118);
    let mean = first["mean"].as_f64().unwrap();
    assert!((0.05..0.25).contains(&mean), "{mean}");
    // Error falls with N and rises with α.
    let at = |n: u64, a: f64| {
        rows.iter()
            .find(|r| r["n"] == n && r["alpha"].as_f64() == Some(a))
            .unwrap()["mean"]
            .as_f64()
            .unwrap()
    };
    assert!(at(1000, 0.0) < at(100, 0.0));
    assert!(at(100, 0.5) > at(100, 0.0));
    let t3 = json_report(&["dream", "experiment", "--table", "3", "--households", "300"]);
    assert_eq!(t3["rows"].as_array().unwrap().len(), 11);
    let fig = json_report(&[
        "dream",
        "experiment",
        "--table",
        "fig2",
        "--households",
        "200",
    ]);
    assert_eq!(fig["points"].as_array().unwrap().len(), 144);
    let text = ok(&[
        "dream",
        "experiment",
        "--table",
        "2",
        "--households",
        "1000",
    ]);
    assert!(text.contains("[ 2.34±0.40]"), "{text}");
}

#[test]
fn bad_arguments_are_one_line_errors() {
    bad(
        &[
            "dream",
            "run",
            "--households",
            "100",
            "--cluster-size",
            "10",
            "--tolerate",
            "10",
            "--epsilon",
            "1",
        ],
        "--tolerate",
    );
    bad(
        &[
            "dream",
            "run",
            "--households",
            "100",
            "--cluster-size",
            "10",
            "--epsilon",
            "0",
        ],
        "epsilon",
    );
    bad(
        &[
            "dream",
            "run",
            "--households",
            "100",
            "--cluster-size",
            "10",
            "--epsilon",
            "1",
            "--fail-rate",
            "2",
        ],
        "fail-rate",
    );
    bad(
        &[
            "dream",
            "run",
            "--households",
            "5",
            "--cluster-size",
            "10",
            "--epsilon",
            "1",
        ],
        "cluster",
    );
    bad(
        &["dream", "run", "--cluster-size", "10", "--epsilon", "1"],
        "--households",
    );
    bad(&["dream", "experiment", "--table", "4"], "4");
}
