//! End-to-end tests of `sfumato cluster …`.

mod common;
use common::{bad, json, ok, s, scratch};

const PLAIN: [&str; 16] = [
    "cluster",
    "run",
    "--synthetic",
    "points2d",
    "--participants",
    "600",
    "--k",
    "8",
    "--epsilon",
    "200",
    "--iterations",
    "3",
    "--encryption",
    "insecure-plaintext",
    "--seed",
    "5",
];

#[test]
fn the_stand_in_clusters_like_lloyd_with_little_noise_and_replays() {
    let v = json(&PLAIN);
    assert_eq!(v["secure"], false);
    assert_eq!(v["encryption"], "insecure-plaintext");
    assert_eq!(v["participants"], 600);
    let its = v["iterations"].as_array().unwrap();
    assert_eq!(its.len(), 3, "{v}");
    for it in its {
        assert_eq!(it["participants_with_result"], 600, "{it}");
        assert_eq!(it["results"], 1);
    }
    let best = &v["best_intra"];
    let (ours, lloyd) = (
        best["chiaroscuro"].as_f64().unwrap(),
        best["lloyd"].as_f64().unwrap(),
    );
    assert!(ours <= lloyd * 1.10, "{ours} vs Lloyd {lloyd}");
    assert_eq!(v["exchanges"]["errors"], 0);
    // The same seed replays, with two workers.
    let mut two = PLAIN.to_vec();
    two.extend(["--workers", "2"]);
    let again = json(&two);
    assert_eq!(again["iterations"], v["iterations"]);
    assert_eq!(again["metrics"], v["metrics"]);
}

#[test]
fn newscast_views_and_churn_still_reach_everyone() {
    let mut args = PLAIN.to_vec();
    args.extend(["--peers", "newscast", "--churn", "0.2"]);
    let v = json(&args);
    assert!(v["peers"].as_str().unwrap().contains("Newscast"), "{v}");
    for it in v["iterations"].as_array().unwrap() {
        assert_eq!(it["participants_with_result"], 600, "{it}");
    }
    assert_eq!(v["exchanges"]["errors"], 0);
}

#[test]
fn every_output_of_the_stand_in_says_it_is_insecure() {
    let mut args = PLAIN.to_vec();
    args.push("--quiet");
    let text = ok(&args);
    assert!(text.contains("INSECURE plaintext stand-in"), "{text}");
    assert!(text.trim_end().ends_with("nothing was encrypted"), "{text}");
}

/// One iteration on `participants` NUMED-like series: k = 2, ε = 500, a
/// committee of 3 with τ = 2, then `extra`.
fn small_numed(participants: &str, seed: &str, extra: &[&str]) -> serde_json::Value {
    let mut args = vec![
        "cluster",
        "run",
        "--synthetic",
        "numed",
        "--participants",
        participants,
        "--k",
        "2",
        "--epsilon",
        "500",
        "--iterations",
        "1",
        "--committee",
        "3",
        "--threshold",
        "2",
        "--seed",
        seed,
    ];
    args.extend(extra);
    json(&args)
}

#[test]
fn real_encryption_runs_on_a_small_population() {
    let v = small_numed("40", "2", &["--key-bits", "256"]);
    assert_eq!(v["secure"], true);
    assert_eq!(v["key_bits"], 256);
    let it = &v["iterations"][0];
    assert_eq!(it["participants_with_result"], 40, "{v}");
    assert!(it["centroids_out"].as_u64().unwrap() >= 1, "{v}");
}

#[test]
fn packed_real_encryption_gives_the_stand_in_centroids() {
    let run = |extra: &[&str]| small_numed("30", "3", extra);
    let packed = run(&["--key-bits", "512", "--packing"]);
    let plain = run(&["--encryption", "insecure-plaintext"]);
    assert_eq!(packed["packing"], true, "{packed}");
    assert_eq!(plain["secure"], false);
    let (a, b) = (&packed["iterations"][0], &plain["iterations"][0]);
    assert_eq!(a["participants_with_result"], 30, "{packed}");
    // The same exchanges, none refused for the packing's headroom.
    assert_eq!(packed["exchanges"], plain["exchanges"]);
    assert_eq!(packed["exchanges"]["too_deep"], 0);
    let deepest = packed["exchanges"]["deepest"].as_u64().unwrap();
    assert!(deepest > 0 && deepest <= packed["depth_allowed"].as_u64().unwrap());
    // Only the 3 key holders combine partial decryptions.
    assert!(
        (1..=3).contains(&packed["decryptions"].as_u64().unwrap()),
        "{packed}"
    );
    // The published centroids are the same: so are the inertias they give.
    assert_eq!(a["centroids_out"], b["centroids_out"], "{a} {b}");
    for key in ["intra_after", "inter_after"] {
        let (x, y) = (a[key].as_f64().unwrap(), b[key].as_f64().unwrap());
        assert!((x - y).abs() < 1e-9 * y.abs().max(1.0), "{key}: {x} {y}");
    }
}

#[test]
fn a_csv_is_clipped_to_its_declared_range_and_centroids_are_written() {
    let dir = scratch("cluster-csv");
    let data = dir.join("series.csv");
    let mut text = String::from("a,b,c\n");
    for i in 0..120 {
        let base = if i % 2 == 0 { 10.0 } else { 70.0 };
        text.push_str(&format!(
            "{},{},{}\n",
            base,
            base + 1.0,
            base + f64::from(i % 5)
        ));
    }
    text.push_str("10,200,10\n"); // 200 is clipped to 100
    std::fs::write(&data, text).unwrap();
    let out = dir.join("centroids.csv");
    let v = json(&[
        "cluster",
        "run",
        "--input",
        s(&data),
        "--range",
        "0,100",
        "--k",
        "2",
        "--epsilon",
        "1000",
        "--iterations",
        "2",
        "--smoothing",
        "0",
        "--encryption",
        "insecure-plaintext",
        "--centroids-out",
        s(&out),
    ]);
    assert_eq!(v["participants"], 121);
    assert_eq!(v["clipped_values"], 1);
    let written = std::fs::read_to_string(&out).unwrap();
    let rows: Vec<&str> = written.lines().collect();
    assert!(!rows.is_empty() && rows.len() <= 2, "{written}");
    assert!(rows.iter().all(|r| r.split(',').count() == 3));
    bad(
        &["cluster", "run", "--input", s(&data), "--k", "2"],
        "--range",
    );
    bad(
        &[
            "cluster",
            "run",
            "--input",
            s(&data),
            "--range",
            "5,1",
            "--k",
            "2",
        ],
        "--range",
    );
}

#[test]
fn bad_arguments_are_one_line_errors() {
    let base = [
        "cluster",
        "run",
        "--synthetic",
        "cer",
        "--participants",
        "50",
    ];
    for (extra, needle) in [
        (vec!["--churn", "1.5"], "--churn"),
        (vec!["--committee", "3", "--threshold", "5"], "--threshold"),
        (vec!["--smoothing", "2"], "--smoothing"),
        (vec!["--epsilon", "0"], "--epsilon"),
        (vec!["--epsilon", "x"], "epsilon"),
        (vec!["--committee", "80"], "committee"),
        (
            vec!["--encryption", "insecure-plaintext", "--packing"],
            "--packing",
        ),
    ] {
        let mut args = base.to_vec();
        args.extend(extra);
        bad(&args, needle);
    }
    bad(&["cluster", "run", "--k", "2"], "required");
}

/// The real-data path end to end: a public real format (the CER smart-meter
/// file's `ID DAYCODE KWH`, half-hourly kWh) → `traces import` (hourly
/// daily profiles, clipped) → `traces replicate` (App. D's jittered copies)
/// → `cluster run --input` with DP initialisation. The fixture
/// `tests/data/cer_12_meters.txt` was made for this test: 12 meters in
/// three behaviours (an evening peak, morning and evening peaks, high all
/// day), 5 days each, ±10 % noise.
#[test]
fn real_format_profiles_are_imported_replicated_and_clustered() {
    let dir = scratch("cluster-real");
    let fixture = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/cer_12_meters.txt");
    let daily = dir.join("daily.csv");
    let population = dir.join("population.csv");
    ok(&[
        "traces",
        "import",
        "--format",
        "cer",
        fixture,
        "--out",
        s(&daily),
        "--clip",
        "0:8",
    ]);
    ok(&[
        "traces",
        "replicate",
        s(&daily),
        "--copies",
        "20",
        "--jitter",
        "0.05",
        "--out",
        s(&population),
    ]);
    let run = |extra: &[&str]| {
        let mut args = vec![
            "cluster",
            "run",
            "--input",
            s(&population),
            "--range",
            "0,8",
            "--k",
            "3",
            "--epsilon",
            "5",
            "--iterations",
            "4",
            "--encryption",
            "insecure-plaintext",
        ];
        args.extend_from_slice(extra);
        json(&args)
    };
    let v = run(&[]);
    assert_eq!(v["participants"], 1200);
    assert_eq!(v["secure"], false);
    assert!(v["init"].as_str().unwrap().starts_with("DP initialisation"));
    // Iteration 1 is the DP initialisation: one centroid in, k out.
    let its = v["iterations"].as_array().unwrap();
    assert_eq!(its[0]["centroids_in"], 1);
    assert_eq!(its[0]["centroids_out"], 3);
    // The budget is within ε: the initialisation's 5 %, then GREEDY's
    // 1 − 2⁻⁴ of the remaining 95 % over 4 iterations.
    let spent: f64 = v["budgets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e.as_f64().unwrap())
        .sum();
    assert!(
        (spent - (0.25 + 4.75 * 15.0 / 16.0)).abs() < 1e-9,
        "{spent}"
    );
    // The result keeps at least half the centroids and most of the
    // structure, and beats the centralized DP k-means (diffprivlib's).
    let result = &v["result"];
    assert!(result["centroids"].as_u64().unwrap() >= 2, "{result}");
    let intra = result["intra"].as_f64().unwrap();
    let full = v["full_inertia"].as_f64().unwrap();
    assert!(intra < 0.2 * full, "{intra} of {full}");
    assert!(intra < v["dp_lloyd"]["intra"].as_f64().unwrap(), "{v}");
    assert!(v["kmeans_pp"]["intra"].as_f64().unwrap() <= intra);
    // The same seed replays.
    assert_eq!(run(&[])["result"], v["result"]);
    // A data-independent start in the range is still available.
    let r = run(&["--init", "range"]);
    assert_eq!(r["iterations"][0]["centroids_in"], 3);
}

#[test]
fn options_that_do_not_fit_the_data_are_one_line_errors() {
    bad(
        &[
            "cluster",
            "run",
            "--synthetic",
            "cer",
            "--participants",
            "100",
            "--range",
            "0,80",
            "--encryption",
            "insecure-plaintext",
        ],
        "--range applies to --input only",
    );
    let dir = scratch("cluster-init-errors");
    let data = dir.join("series.csv");
    std::fs::write(&data, "1,2\n3,4\n5,6\n").unwrap();
    let base = [
        "cluster",
        "run",
        "--input",
        s(&data),
        "--range",
        "0,10",
        "--k",
        "2",
        "--encryption",
        "insecure-plaintext",
    ];
    fn with<'a>(base: &[&'a str], extra: &[&'a str]) -> Vec<&'a str> {
        let mut a = base.to_vec();
        a.extend_from_slice(extra);
        a
    }
    bad(
        &with(&base, &["--init", "generator"]),
        "--init generator needs --synthetic",
    );
    bad(&with(&base, &["--init-budget", "1.5"]), "--init-budget");
    bad(&with(&base, &["--stop-noise", "0"]), "--stop-noise");
    bad(&with(&base, &["--stop-noise", "maybe"]), "--stop-noise");
    // `off` runs every iteration.
    let v = json(&with(&base, &["--stop-noise", "off", "--iterations", "2"]));
    assert_eq!(v["stop_noise"], serde_json::Value::Null);
}
