//! End-to-end tests of Chiaroscuro's latency and churn figures:
//! `sfumato cluster costs --figure 4a|4b|3b` and `cluster run
//! --iteration-churn` (Fig. 3(a)), on small populations.

mod common;
use common::{bad, json, ok};
use serde_json::Value;

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

#[test]
fn fig4a_messages_grow_with_the_population_and_the_precision() {
    let v = json(&[
        "cluster",
        "costs",
        "--figure",
        "4a",
        "--populations",
        "200,3000",
        "--e-max",
        "1,0.001",
        "--seed",
        "3",
    ]);
    assert_eq!(v["figure"], "4a");
    assert_eq!(v["secure"], false);
    assert_eq!(v["encryption"], "insecure-plaintext");
    let rows = v["eesum"].as_array().unwrap();
    assert_eq!(rows.len(), 4, "{v}");
    let measured = |p: u64, e: f64| -> (f64, f64) {
        let r = rows
            .iter()
            .find(|r| r["population"] == p && f(&r["e_max"]) == e)
            .unwrap();
        // Reached within the simulated periods, with a finite error there.
        assert!(
            r["measured_periods"].is_u64(),
            "e_max {e} never reached: {r}"
        );
        (
            f(&r["measured_messages_per_participant"]),
            f(&r["messages_per_participant"]),
        )
    };
    let (small_loose, small_loose_sched) = measured(200, 1.0);
    let (small_tight, _) = measured(200, 0.001);
    let (big_loose, big_loose_sched) = measured(3000, 1.0);
    let (big_tight, _) = measured(3000, 0.001);
    assert!(small_tight > small_loose, "{rows:?}");
    assert!(big_tight > big_loose, "{rows:?}");
    assert!(
        big_loose > small_loose && big_tight > small_tight,
        "{rows:?}"
    );
    // Theorem 3's schedule also grows with the population.
    assert!(big_loose_sched > small_loose_sched);
    // About two messages per participant and period (a request, and a
    // reply or refusal).
    for r in rows {
        let per_period = f(&r["messages_per_participant"]) / f(&r["periods"]);
        assert!((1.7..=2.3).contains(&per_period), "{r}");
    }
    let d = v["dissemination"].as_array().unwrap();
    assert_eq!(d.len(), 2);
    for r in d {
        assert_eq!(r["lost_replies"], 0);
        assert_eq!(r["errors"], 0);
        let id = f(&r["smallest_id_everywhere_periods"]);
        let values = f(&r["correction_everywhere_periods"]);
        assert!(
            id >= 1.0 && values >= id && values <= f(&r["periods"]),
            "{r}"
        );
    }
    assert!(
        f(&d[1]["smallest_id_everywhere_messages_per_participant"])
            >= f(&d[0]["smallest_id_everywhere_messages_per_participant"])
    );
    // The text output says which scheme ran.
    let text = ok(&[
        "cluster",
        "costs",
        "--figure",
        "4a",
        "--populations",
        "100",
        "--e-max",
        "1",
        "--quiet",
    ]);
    assert!(text.contains("INSECURE plaintext stand-in"), "{text}");
    assert!(text.contains("Fig. 4(a)"), "{text}");
}

#[test]
fn fig4b_messages_grow_with_the_threshold() {
    let v = json(&[
        "cluster",
        "costs",
        "--figure",
        "4b",
        "--populations",
        "600",
        "--tau-fractions",
        "0.002,0.05,0.2",
    ]);
    let rows = v["decryption"].as_array().unwrap();
    assert_eq!(rows.len(), 3, "{v}");
    let mut last = 0.0;
    for (r, tau) in rows.iter().zip([1, 30, 120]) {
        assert_eq!(r["tau"], tau, "{r}");
        assert_eq!(r["committee"], 600);
        assert_eq!(r["results"], 1, "{r}");
        assert_eq!(r["participants_with_result"], 600, "{r}");
        assert_eq!(r["errors"], 0);
        assert_eq!(r["refused_decryptions"], 0);
        let m = f(&r["everyone_decrypted_messages_per_participant"]);
        assert!(m > last, "{rows:?}");
        last = m;
    }
}

#[test]
fn fig3b_error_under_churn_is_small_and_finite() {
    let v = json(&[
        "cluster",
        "costs",
        "--figure",
        "3b",
        "--populations",
        "1000",
        "--churn",
        "0,0.5",
    ]);
    let rows = v["churn"].as_array().unwrap();
    assert_eq!(rows.len(), 2);
    for r in rows {
        let m = f(&r["messages_per_participant"]);
        assert!((90.0..=110.0).contains(&m), "{r}");
        for key in ["max_relative_error_counter", "max_relative_error_sums"] {
            let e = f(&r[key]);
            assert!(e.is_finite() && (0.0..0.05).contains(&e), "{key}: {r}");
        }
        assert_eq!(r["lost_replies"], 0);
    }
    // Churn costs exchanges, so precision.
    assert!(
        f(&rows[1]["completed_exchanges_per_participant"])
            < f(&rows[0]["completed_exchanges_per_participant"])
    );
    assert!(f(&rows[1]["max_relative_error_counter"]) > f(&rows[0]["max_relative_error_counter"]));
}

#[test]
fn iteration_churn_leaves_series_out_and_everyone_resynchronises() {
    let v = json(&[
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
        "--iteration-churn",
        "0.3",
        "--seed",
        "5",
    ]);
    assert_eq!(f(&v["iteration_churn"]), 0.3);
    // n_ν is a lower bound on the connected participants.
    let n_nu = v["noise_shares"].as_u64().unwrap();
    assert!(n_nu < 420 && n_nu > 300, "{n_nu}");
    for it in v["iterations"].as_array().unwrap() {
        assert_eq!(it["participants_with_result"], 600, "{it}");
        assert_eq!(it["results"], 1, "{it}");
        // The counter saw about 70 % of the participants.
        let seen = f(&it["participants_estimate"]);
        assert!((360.0..=480.0).contains(&seen), "{it}");
    }
    assert_eq!(v["exchanges"]["errors"], 0);
}

#[test]
fn figure_options_are_checked_with_one_line_errors() {
    let costs = ["cluster", "costs"];
    for (extra, needle) in [
        (
            vec!["--figure", "4a", "--means", "3"],
            "--means does not apply to --figure 4a",
        ),
        (
            vec!["--workers", "2"],
            "--workers does not apply to --figure 5",
        ),
        (vec!["--populations", "100"], "--populations does not apply"),
        (
            vec!["--figure", "3b", "--e-max", "1"],
            "--e-max does not apply to --figure 3b",
        ),
        (
            vec!["--figure", "4b", "--churn", "0.1"],
            "--churn does not apply",
        ),
        (
            vec!["--figure", "4a", "--populations", "1"],
            "--populations",
        ),
        (vec!["--figure", "4a", "--populations", "10,x"], "`x`"),
        (
            vec!["--figure", "4a", "--populations", "100", "--e-max", "0,1"],
            "--e-max",
        ),
        (
            vec!["--figure", "4a", "--populations", "100", "--e-max", "100"],
            "not below",
        ),
        (
            vec!["--figure", "4a", "--populations", "100", "--delta", "1"],
            "--delta",
        ),
        (
            vec![
                "--figure",
                "4b",
                "--populations",
                "100",
                "--tau-fractions",
                "2",
            ],
            "--tau-fractions",
        ),
        (
            vec![
                "--figure",
                "4b",
                "--populations",
                "100",
                "--committee",
                "5",
                "--tau-fractions",
                "0.1",
            ],
            "--committee",
        ),
        (
            vec![
                "--figure",
                "4b",
                "--populations",
                "100",
                "--committee",
                "500",
            ],
            "--committee",
        ),
        (
            vec!["--figure", "3b", "--populations", "100", "--churn", "1"],
            "--churn",
        ),
    ] {
        let mut args = costs.to_vec();
        args.extend(extra);
        bad(&args, needle);
    }
    let run = [
        "cluster",
        "run",
        "--synthetic",
        "cer",
        "--participants",
        "50",
        "--iteration-churn",
        "1",
    ];
    bad(&run, "--iteration-churn");
}
