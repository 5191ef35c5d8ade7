//! End-to-end tests of the `sfumato` binary: outputs, exit codes, JSON, and
//! behaviour on a closed pipe.

use std::io::{BufRead, BufReader};
use std::process::{Command, Output, Stdio};

/// Runs `sfumato` with `args` and returns its output.
fn sfumato(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sfumato"))
        .args(args)
        .output()
        .expect("the sfumato binary runs")
}

/// Stdout of a successful run, as text.
fn ok_stdout(args: &[&str]) -> String {
    let out = sfumato(args);
    assert!(
        out.status.success(),
        "{args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stderr.is_empty(), "{args:?} wrote to stderr");
    String::from_utf8(out.stdout).expect("stdout is UTF-8")
}

/// Stdout of a successful `--json` run, parsed.
fn ok_json(args: &[&str]) -> serde_json::Value {
    let mut with_json = vec!["--json"];
    with_json.extend_from_slice(args);
    let text = ok_stdout(&with_json);
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{args:?}: {e}: {text}"))
}

/// Checks a usage error: exit code 2, one line on stderr starting with
/// `error:`, nothing on stdout.
fn assert_usage_error(args: &[&str]) {
    let out = sfumato(args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
    assert!(out.stdout.is_empty(), "{args:?} wrote to stdout");
    assert!(stderr.starts_with("error:"), "{args:?}: {stderr}");
    assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr}");
    assert!(stderr.ends_with('\n'), "{args:?}: {stderr}");
    assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
}

/// Chiaroscuro App. B's worked example: n_e = 47.
const GOSSIP_EXAMPLE: [&str; 14] = [
    "dp",
    "gossip-exchanges",
    "--delta",
    "0.995",
    "--e-max",
    "1e-12",
    "--variance",
    "1",
    "--iterations",
    "10",
    "--population",
    "1000000",
    "--length",
    "24",
];

fn gossip_example() -> Vec<&'static str> {
    GOSSIP_EXAMPLE.to_vec()
}

#[test]
fn gossip_appendix_b_example_prints_47() {
    assert_eq!(ok_stdout(&gossip_example()), "47\n");
    let doc = ok_json(&gossip_example());
    assert_eq!(doc["exchanges"], 47);
    assert_eq!(doc["atoms"], 480);
    let iota = doc["iota"].as_f64().unwrap();
    assert!((iota - 1.0443e-5).abs() < 1e-8, "{iota}");
}

#[test]
fn gossip_exchanges_reports_delta_reached() {
    let args = [
        "dp",
        "gossip-exchanges",
        "--exchanges",
        "100",
        "--e-max",
        "1e-9",
        "--variance",
        "1",
        "--iterations",
        "10",
        "--population",
        "1000000",
        "--length",
        "24",
    ];
    let text = ok_stdout(&args);
    assert!(text.contains("delta: "), "{text}");
    assert!(text.contains("iota: "), "{text}");
    let doc = ok_json(&args);
    let iota = doc["iota_after"].as_f64().unwrap();
    assert!((1.5e-51..2.5e-51).contains(&iota), "{iota}");
    let gap = doc["one_minus_delta"].as_f64().unwrap();
    assert!(gap > 0.0 && gap < 1e-40, "{gap}");
}

#[test]
fn gossip_delta_and_exchanges_are_exclusive() {
    let mut both = gossip_example();
    both.extend(["--exchanges", "3"]);
    assert_usage_error(&both);
    let neither: Vec<&str> = gossip_example()
        .into_iter()
        .filter(|a| *a != "--delta" && *a != "0.995")
        .collect();
    assert_usage_error(&neither);
}

fn sample(mechanism: &str, scale: &str, parties: &str, count: &str, seed: &str) -> Vec<String> {
    let text = ok_stdout(&[
        "dp",
        "sample",
        "--mechanism",
        mechanism,
        "--scale",
        scale,
        "--parties",
        parties,
        "--count",
        count,
        "--seed",
        seed,
    ]);
    text.lines().map(str::to_string).collect()
}

#[test]
fn sample_prints_k_lines_and_replays() {
    for (mechanism, parties) in [
        ("laplace", "1"),
        ("gamma-shares", "50"),
        ("discrete-laplace", "1"),
        ("polya-shares", "50"),
    ] {
        let a = sample(mechanism, "1920/0.69", parties, "25", "7");
        assert_eq!(a.len(), 25, "{mechanism}");
        assert_eq!(
            a,
            sample(mechanism, "1920/0.69", parties, "25", "7"),
            "{mechanism}"
        );
        assert_ne!(
            a,
            sample(mechanism, "1920/0.69", parties, "25", "8"),
            "{mechanism}"
        );
        for line in &a {
            if mechanism == "discrete-laplace" || mechanism == "polya-shares" {
                line.parse::<i64>()
                    .unwrap_or_else(|e| panic!("{mechanism}: {line}: {e}"));
            } else {
                let x: f64 = line
                    .parse()
                    .unwrap_or_else(|e| panic!("{mechanism}: {line}: {e}"));
                assert!(x.is_finite());
            }
        }
    }
}

#[test]
fn sample_defaults_to_ten() {
    let text = ok_stdout(&["dp", "sample", "--mechanism", "laplace", "--scale", "0.5"]);
    assert_eq!(text.lines().count(), 10);
}

#[test]
fn sample_json_matches_text() {
    let args = [
        "dp",
        "sample",
        "--mechanism",
        "polya-shares",
        "--scale",
        "20",
        "--parties",
        "10",
        "--count",
        "6",
        "--seed",
        "3",
    ];
    let text = ok_stdout(&args);
    let doc = ok_json(&args);
    assert_eq!(doc["mechanism"], "polya-shares");
    assert_eq!(doc["scale"], "20");
    assert_eq!(doc["parties"], 10);
    assert_eq!(doc["seed"], 3);
    let from_json: Vec<String> = doc["samples"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_i64().unwrap().to_string())
        .collect();
    let from_text: Vec<String> = text.lines().map(str::to_string).collect();
    assert_eq!(from_json, from_text);
}

#[test]
fn budget_greedy_halves() {
    let text = ok_stdout(&[
        "dp",
        "budget",
        "--epsilon",
        "0.69",
        "--strategy",
        "greedy",
        "--iterations",
        "4",
    ]);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines,
        [
            "1\t0.345",
            "2\t0.1725",
            "3\t0.08625",
            "4\t0.043125",
            "total\t0.646875"
        ]
    );
}

#[test]
fn budget_uniform_fast_thirds_sum_to_one() {
    let args = [
        "dp",
        "budget",
        "--epsilon",
        "1",
        "--strategy",
        "uniform-fast",
        "--iterations",
        "3",
    ];
    let text = ok_stdout(&args);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 4);
    for line in &lines[..3] {
        assert!(line.ends_with("\t1/3"), "{line}");
    }
    assert_eq!(lines[3], "total\t1");
    let doc = ok_json(&args);
    assert_eq!(doc["strategy"], "UNIFORM_FAST(3)");
    assert_eq!(doc["iterations"][0]["exact"], "1/3");
    assert_eq!(doc["total"]["exact"], "1");
}

#[test]
fn budget_greedy_floor_defaults_to_four() {
    let args = [
        "dp",
        "budget",
        "--epsilon",
        "0.69",
        "--strategy",
        "greedy-floor",
        "--iterations",
        "5",
    ];
    let doc = ok_json(&args);
    assert_eq!(doc["strategy"], "GREEDY_FLOOR(4)");
    assert_eq!(doc["epsilon"], "0.69");
    assert_eq!(doc["iterations"][0]["exact"], "0.08625");
    assert_eq!(doc["iterations"][4]["exact"], "0.043125");
    assert_usage_error(&[
        "dp",
        "budget",
        "--epsilon",
        "1",
        "--strategy",
        "greedy",
        "--floor",
        "2",
        "--iterations",
        "3",
    ]);
}

#[test]
fn calibrate_cer_vector_sum() {
    let args = [
        "dp",
        "calibrate",
        "--length",
        "24",
        "--dmin",
        "0",
        "--dmax",
        "80",
        "--epsilon",
        "0.69",
    ];
    let text = ok_stdout(&args);
    assert!(text.contains("sensitivity: 1920\n"), "{text}");
    assert!(text.contains("exact scale: 64000/23\n"), "{text}");
    let doc = ok_json(&args);
    assert_eq!(doc["sensitivity"], 1920.0);
    assert_eq!(doc["exact_scale"], "64000/23");
    let scale = doc["scale"].as_f64().unwrap();
    assert!((1920.0 / 0.69..2782.6087).contains(&scale), "{scale}");
}

#[test]
fn calibrate_failure_tolerance() {
    let args = [
        "dp",
        "calibrate",
        "--sensitivity",
        "2000",
        "--epsilon",
        "1",
        "--parties",
        "1000",
        "--max-failures",
        "100",
    ];
    let text = ok_stdout(&args);
    assert!(text.contains("scale: 2000\n"), "{text}");
    assert!(text.contains("share parties: 900\n"), "{text}");
    assert!(text.contains("alpha: 0.1\n"), "{text}");
    let doc = ok_json(&args);
    assert_eq!(doc["failure_tolerance"]["share_parties"], 900);
}

#[test]
fn bad_arguments_give_one_line_and_exit_2() {
    let cases: &[&[&str]] = &[
        &["dp", "sample", "--mechanism", "laplace", "--scale", "-1"],
        &["dp", "sample", "--mechanism", "gauss", "--scale", "1"],
        &["dp", "sample", "--mechanism", "laplace", "--scale", "x"],
        &[
            "dp",
            "sample",
            "--mechanism",
            "laplace",
            "--scale",
            "1",
            "--count",
            "abc",
        ],
        &[
            "dp",
            "sample",
            "--mechanism",
            "laplace",
            "--scale",
            "1",
            "--count",
            "0",
        ],
        &[
            "dp",
            "sample",
            "--mechanism",
            "laplace",
            "--scale",
            "1",
            "--parties",
            "3",
        ],
        &[
            "dp",
            "sample",
            "--mechanism",
            "polya-shares",
            "--scale",
            "1e13",
        ],
        &[
            "dp",
            "sample",
            "--mechanism",
            "laplace",
            "--scale",
            "1",
            "--bogus",
        ],
        &["dp", "budget", "--strategy", "greedy", "--iterations", "4"],
        &[
            "dp",
            "budget",
            "--epsilon",
            "-1",
            "--strategy",
            "greedy",
            "--iterations",
            "4",
        ],
        &[
            "dp",
            "budget",
            "--epsilon",
            "1",
            "--strategy",
            "greedy-floor",
            "--floor",
            "0",
            "--iterations",
            "4",
        ],
        &["dp", "calibrate", "--sensitivity", "1", "--epsilon", "0"],
        &[
            "dp",
            "budget",
            "--epsilon",
            "0",
            "--strategy",
            "greedy",
            "--iterations",
            "4",
        ],
        &["dp", "calibrate", "--epsilon", "1"],
        &[
            "dp",
            "calibrate",
            "--length",
            "3",
            "--dmin",
            "0",
            "--dmax",
            "0",
            "--epsilon",
            "1",
        ],
        &[
            "dp",
            "calibrate",
            "--sensitivity",
            "1",
            "--epsilon",
            "1",
            "--parties",
            "3",
            "--max-failures",
            "3",
        ],
        &[
            "dp",
            "gossip-exchanges",
            "--delta",
            "1.5",
            "--e-max",
            "1e-12",
            "--variance",
            "1",
            "--iterations",
            "10",
            "--population",
            "10",
            "--length",
            "24",
        ],
        &["demo", "--meters", "0"],
        &["dp"],
        &[],
        &["frobnicate"],
    ];
    for args in cases {
        assert_usage_error(args);
    }
}

#[test]
fn help_and_version_succeed() {
    for args in [
        &["--help"][..],
        &["--version"],
        &["dp", "--help"],
        &["dp", "sample", "--help"],
        &["dp", "gossip-exchanges", "--help"],
        &["dp", "budget", "--help"],
        &["dp", "calibrate", "--help"],
        &["demo", "--help"],
        &["help", "dp"],
    ] {
        let text = ok_stdout(args);
        assert!(!text.is_empty(), "{args:?}");
    }
    assert!(ok_stdout(&["--version"]).starts_with("sfumato "));
}

#[test]
fn demo_runs() {
    let text = ok_stdout(&["demo"]);
    for needle in [
        "gamma-shares",
        "polya-shares",
        "p-value",
        "sfumato dp sample --help",
    ] {
        assert!(text.contains(needle), "missing {needle}");
    }
}

#[test]
fn demo_json_is_one_document_and_replays() {
    let args = ["demo", "--meters", "50", "--draws", "200", "--seed", "9"];
    let doc = ok_json(&args);
    assert_eq!(doc["seed"], 9);
    let rows = doc["noise"]["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 4);
    for row in rows {
        let p = row["p_value"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&p));
    }
    assert_eq!(doc, ok_json(&args));
}

#[test]
fn closed_pipe_is_not_an_error() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_sfumato"))
        .args([
            "dp",
            "sample",
            "--mechanism",
            "laplace",
            "--scale",
            "1",
            "--count",
            "10000000",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the sfumato binary runs");
    let stdout = child.stdout.take().unwrap();
    let mut first = String::new();
    BufReader::new(stdout).read_line(&mut first).unwrap();
    assert!(first.trim().parse::<f64>().is_ok(), "{first}");
    // The reader (and the pipe) is dropped here.
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(stderr.is_empty(), "{stderr}");
    assert_eq!(out.status.code(), Some(0));
}
