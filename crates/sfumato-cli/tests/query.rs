//! `sfumato query …` end to end: answers beside the truth in the simulator
//! (with failures, several aggregates, real onions), over the network on
//! loopback, Figure 5, and bad input.

mod common;

use common::{bad, json_report, ok};

#[test]
fn a_query_in_the_simulator_equals_the_truth_with_real_onions() {
    let r = json_report(&[
        "query",
        "run",
        "--meters",
        "59",
        "--t",
        "3",
        "--hvac",
        "--queries",
        "2",
        "--aggregate",
        "sum:total,sum:dsm,count,min:total,max:total,histogram:total:10/50/100",
    ]);
    assert_eq!(r["runtime"], "simulator");
    assert_eq!(r["insecure"], false);
    assert_eq!(r["exact_answers"], 2);
    let q = &r["queries"][0];
    assert_eq!(q["exact"], true);
    assert_eq!(q["answer"]["count"], 59);
    assert_eq!(q["answer"]["groups_agreeing"], 4);
    assert_eq!(q["answer"]["partial"], q["truth_all_meters"]);
}

#[test]
fn failed_meters_are_left_out_and_every_live_one_counted() {
    let r = json_report(&[
        "query",
        "run",
        "--meters",
        "101",
        "--t",
        "5",
        "--fail",
        "5",
        "--crash",
        "17@400ms",
        "--insecure-plaintext",
        "--costs",
        "measured",
    ]);
    assert_eq!(r["insecure"], true);
    assert_eq!(r["failed"].as_array().unwrap().len(), 6);
    let q = &r["queries"][0];
    let live = q["live_meters"].as_u64().unwrap();
    let count = q["answer"]["count"].as_u64().unwrap();
    // Every live meter is counted; the crashed one may be too (it crashed
    // after sending its tuple).
    assert!(
        count >= live && count <= live + 1,
        "{count} for {live} live meters"
    );
    assert_eq!(q["answer"]["complete"], true);
    // The human report says the stand-in ran.
    let text = ok(&[
        "query",
        "run",
        "--meters",
        "29",
        "--t",
        "2",
        "--insecure-plaintext",
    ]);
    assert!(text.contains("INSECURE plaintext stand-in"), "{text}");
}

#[test]
fn range_clauses_and_filters_leave_the_right_meters_out() {
    // Half-hour energy above 40 Wh is out of range; only even-looking ids
    // are asked.
    let r = json_report(&[
        "query",
        "run",
        "--meters",
        "59",
        "--t",
        "3",
        "--insecure-plaintext",
        "--range",
        "total:0:40",
        "--filter",
        "ids:0/2/4/6/8/10/12/14/16/18/20/22/24",
    ]);
    let q = &r["queries"][0];
    assert_eq!(q["exact"], true, "{q}");
    let count = q["answer"]["count"].as_u64().unwrap();
    assert!(count > 0 && count < 13, "{count}");
    assert_eq!(q["answer"]["partial"], q["truth_all_meters"]);
    bad(
        &["query", "run", "--meters", "59", "--range", "total:9:1"],
        "lo",
    );
    bad(
        &["query", "run", "--meters", "59", "--filter", "ids:x"],
        "meter id",
    );
}

#[test]
fn the_high_failure_protocol_answers_despite_a_tenth_failed() {
    let r = json_report(&[
        "query",
        "run",
        "--meters",
        "61",
        "--variant",
        "high-failure",
        "--t",
        "6",
        "--fail",
        "6",
    ]);
    let q = &r["queries"][0];
    assert_eq!(q["answer"]["count"], q["live_meters"]);
    assert_eq!(r["variant"], "high-failure");
}

#[test]
fn figure_5_answers_every_half_hour_exactly() {
    let r = json_report(&["query", "experiment", "--figure", "5"]);
    assert_eq!(r["exact_windows"], 48);
    assert_eq!(r["rows"].as_array().unwrap().len(), 48);
}

#[test]
fn a_query_over_the_network_equals_the_simulator_s_truth() {
    let r = json_report(&[
        "query",
        "run",
        "--meters",
        "29",
        "--t",
        "2",
        "--network",
        "--hosts",
        "3",
        "--round",
        "100ms",
        "--setup",
        "1s",
    ]);
    assert_eq!(r["runtime"], "network");
    assert_eq!(r["exact_answers"], 1);
    assert_eq!(r["queries"][0]["answer"]["count"], 29);
}

#[test]
fn the_bft_variant_over_the_network_agrees_with_the_clamped_truth() {
    let r = json_report(&[
        "query",
        "run",
        "--meters",
        "29",
        "--t",
        "2",
        "--variant",
        "bft",
        "--range",
        "total:0:100",
        "--aggregate",
        "sum:total,count",
        "--network",
        "--hosts",
        "3",
        "--round",
        "100ms",
        "--setup",
        "1s",
    ]);
    assert_eq!(r["runtime"], "network");
    assert_eq!(r["variant"], "bft");
    let q = &r["queries"][0];
    assert_eq!(q["exact"], true, "{q}");
    assert_eq!(q["answer"]["signed"], 29);
    assert!(q["answer"]["groups_agreeing"].as_u64().unwrap() >= 3);
    bad(
        &[
            "query",
            "run",
            "--meters",
            "29",
            "--variant",
            "bft",
            "--network",
            "--byzantine",
            "drop",
        ],
        "simulator's adversaries",
    );
}

#[test]
fn bad_input_is_one_clear_line() {
    bad(
        &["query", "run", "--meters", "59", "--aggregate", "avg:total"],
        "not an aggregate",
    );
    bad(
        &[
            "query",
            "run",
            "--meters",
            "59",
            "--aggregate",
            "sum:kitchen",
        ],
        "not a field",
    );
    bad(
        &["query", "run", "--meters", "59", "--t", "59"],
        "aggregation groups",
    );
    bad(
        &["query", "run", "--meters", "59", "--queries", "49"],
        "queries",
    );
    bad(
        &["query", "run", "--meters", "59", "--crash", "x@1s"],
        "NODE@TIME",
    );
    bad(
        &["query", "run", "--meters", "59", "--fail", "59"],
        "failed nodes",
    );
    bad(
        &[
            "query",
            "run",
            "--meters",
            "59",
            "--queries",
            "2",
            "--every",
            "100ms",
        ],
        "overlap",
    );
    bad(
        &[
            "query",
            "run",
            "--meters",
            "59",
            "--network",
            "--insecure-plaintext",
        ],
        "simulator's",
    );
    bad(&["query", "run", "--meters", "59", "--window", "7m"], "");
}

#[test]
fn the_bft_variant_outvotes_liars_filters_polluters_and_keeps_a_ledger() {
    let args = |extra: &[&'static str]| {
        let mut a = vec![
            "query",
            "run",
            "--meters",
            "59",
            "--t",
            "2",
            "--variant",
            "bft",
            "--range",
            "total:0:200",
            "--aggregate",
            "sum:total,count",
            "--byzantine",
            "extreme",
            "--byzantine",
            "lying-leader",
        ];
        a.extend_from_slice(extra);
        a
    };
    // Exact (no noise), real RSA blind signatures and Ed25519.
    let r = json_report(&args(&[]));
    assert_eq!(r["variant"], "bft");
    assert_eq!(r["byzantine"].as_array().unwrap().len(), 2);
    let q = &r["queries"][0];
    // The polluting meter is filtered out; every other counts, with its
    // value clamped into the range; the lying leader is outvoted.
    assert_eq!(q["answer"]["count"], 58);
    assert!(q["answer"]["groups_agreeing"].as_u64().unwrap() >= 3);
    assert!(r["traffic"]["polluted"].as_u64().unwrap() > 0);
    assert!(r["privacy_ledger"].is_null());
    // With noise: a ledger, and a filtered query is allowed.
    let r = json_report(&args(&[
        "--epsilon",
        "0.5",
        "--epsilon-record",
        "1",
        "--filter",
        "ids:1/2/3",
        "--insecure-plaintext",
    ]));
    assert_eq!(r["insecure"], true);
    assert_eq!(r["privacy_ledger"]["per_query"], "1.5");
    // Every meter sends a tuple (the filter's excluded ones zeros with
    // noise, which the polluting meter, not selected, does too).
    assert_eq!(r["queries"][0]["answer"]["count"], 59);
    bad(
        &[
            "query",
            "run",
            "--meters",
            "59",
            "--variant",
            "bft",
            "--filter",
            "ids:1",
        ],
        "only with noise",
    );
    bad(
        &["query", "run", "--meters", "59", "--epsilon", "1"],
        "--variant bft",
    );
    bad(
        &["query", "run", "--meters", "59", "--byzantine", "drop"],
        "bft variant",
    );
    bad(
        &[
            "query",
            "run",
            "--meters",
            "59",
            "--variant",
            "bft",
            "--byzantine",
            "sneaky",
        ],
        "not an attack",
    );
    bad(
        &[
            "query",
            "run",
            "--meters",
            "59",
            "--variant",
            "bft",
            "--t",
            "2",
            "--byzantine",
            "drop:3",
        ],
        "exceed t",
    );
}
