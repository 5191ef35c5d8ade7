//! End-to-end tests of `sfumato sim …`, including a three-process cluster
//! on loopback.

mod common;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::{bad, json, ok, s, scratch, wait_all};
use serde_json::Value;

/// The parts of a report a seed determines.
fn outcome(v: &Value) -> (Value, Value) {
    (v["samples"].clone(), v["metrics"].clone())
}

#[test]
fn push_sum_prints_falling_errors_and_replays_across_workers() {
    let args = [
        "sim", "push-sum", "--nodes", "20000", "--rounds", "30", "--seed", "5",
    ];
    let one = json(&args);
    let samples = one["samples"].as_array().unwrap();
    assert_eq!(samples.len(), 30);
    let first = samples[0]["max_relative_error"].as_f64().unwrap();
    let last = samples[29]["max_relative_error"].as_f64().unwrap();
    assert!(last < first / 100.0, "{first} → {last}");
    assert_eq!(one["metrics"]["messages_sent"]["max"], 30);
    let mut two_args = args.to_vec();
    two_args.extend(["--workers", "2"]);
    assert_eq!(outcome(&json(&two_args)), outcome(&one));
    // The text form has the table and the summary.
    let text = ok(&[
        "sim", "push-sum", "--nodes", "1000", "--rounds", "10", "--quiet", "--every", "3",
    ]);
    assert!(text.contains("max rel. error"), "{text}");
    assert!(
        text.contains("messages per node: min 10, mean 10.0, max 10"),
        "{text}"
    );
    // Rounds 0, 3, 6 and the last, 9.
    assert_eq!(
        text.lines()
            .filter(|l| l.trim_start().starts_with(char::is_numeric))
            .count(),
        4
    );
}

#[test]
fn push_pull_and_faults_in_virtual_time() {
    let v = json(&[
        "sim",
        "push-pull",
        "--nodes",
        "5000",
        "--rounds",
        "40",
        "--mode",
        "time",
        "--churn",
        "0.2",
        "--loss",
        "0.01",
        "--crash",
        "0.001",
        "--peers",
        "newscast",
        "--aggregate",
        "sum",
    ]);
    let m = &v["metrics"];
    assert!(m["undeliverable"].as_u64().unwrap() > 0);
    assert!(m["lost"].as_u64().unwrap() > 0);
    assert!(v["samples"].as_array().unwrap().len() > 40);
    assert!(m["completion_time"].as_u64().unwrap() > 400_000);
}

#[test]
fn broadcast_reaches_every_live_node_on_both_overlays() {
    for overlay in ["deterministic", "random"] {
        let v = json(&[
            "sim",
            "broadcast",
            "--overlay",
            overlay,
            "--nodes",
            "3000",
            "--fail",
            "0.2",
            "--seed",
            "3",
        ]);
        let rounds = v["rounds_to_all_live"].as_u64().unwrap();
        // ⌈log₂ 3000⌉ = 12 rounds at best; failures add a few.
        assert!((12..60).contains(&rounds), "{overlay}: {rounds}");
        let live = v["live_nodes"].as_u64().unwrap();
        assert!(live > 2_300 && live < 2_500, "{overlay}: {live}");
    }
    let v = json(&[
        "sim",
        "broadcast",
        "--overlay",
        "deterministic",
        "--nodes",
        "3000",
    ]);
    // 3000 is not suitable: the overlay is rounded up to 3011 (a prime with
    // 2 as a primitive root) and without failures the flood takes exactly
    // ⌈log₂ 3011⌉ = 12 rounds (Tremel Def. 4.2).
    assert_eq!(v["overlay_size"], 3011);
    assert_eq!(v["spare_ids"], 11);
    assert_eq!(v["rounds_to_all_live"], 12);
}

#[test]
fn bench_agrees_with_the_plain_loop() {
    let v: Value = serde_json::from_str(&ok(&[
        "sim",
        "bench",
        "--nodes",
        "5000",
        "--rounds",
        "10",
        "--workers",
        "1,2",
        "--json",
    ]))
    .unwrap();
    assert_eq!(v["same_outcome_as_plain_loop"], true);
    assert_eq!(v["runs"].as_array().unwrap().len(), 3);
}

#[test]
fn bad_arguments_are_one_line_errors() {
    bad(&["sim", "push-sum", "--nodes", "1"], "--nodes");
    bad(
        &["sim", "push-sum", "--nodes", "100", "--churn", "1.5"],
        "probability",
    );
    bad(
        &["sim", "push-sum", "--nodes", "100", "--period", "fast"],
        "duration",
    );
    bad(
        &["sim", "push-sum", "--nodes", "100", "--processes", "3"],
        "--process",
    );
    bad(
        &[
            "sim",
            "push-sum",
            "--nodes",
            "100",
            "--processes",
            "2",
            "--process",
            "2",
        ],
        "below",
    );
    bad(
        &[
            "sim", "push-sum", "--nodes", "100", "--mode", "time", "--period", "1us", "--tick",
            "1ms",
        ],
        "--period",
    );
    let dir = scratch("sim-hosts");
    let hosts = dir.join("hosts");
    std::fs::write(&hosts, "127.0.0.1:1\n").unwrap();
    bad(
        &[
            "sim",
            "push-sum",
            "--nodes",
            "100",
            "--processes",
            "2",
            "--process",
            "0",
            "--hostfile",
            s(&hosts),
        ],
        "lists 1 hosts",
    );
    std::fs::write(&hosts, "nohost\nnohost2\n").unwrap();
    bad(
        &[
            "sim",
            "push-sum",
            "--nodes",
            "100",
            "--processes",
            "2",
            "--process",
            "0",
            "--hostfile",
            s(&hosts),
        ],
        "host:port",
    );
    bad(
        &["sim", "broadcast", "--overlay", "ring", "--nodes", "100"],
        "ring",
    );
}

/// Three free loopback ports.
fn free_ports() -> Vec<u16> {
    let listeners: Vec<_> = (0..3)
        .map(|_| std::net::TcpListener::bind("127.0.0.1:0").unwrap())
        .collect();
    listeners
        .iter()
        .map(|l| l.local_addr().unwrap().port())
        .collect()
}

#[test]
fn three_processes_on_loopback_equal_one_process() {
    let dir = scratch("sim-cluster");
    let hosts = dir.join("hosts");
    let ports = free_ports();
    let list: String = ports.iter().map(|p| format!("127.0.0.1:{p}\n")).collect();
    std::fs::write(&hosts, list).unwrap();
    let common = [
        "sim",
        "push-sum",
        "--nodes",
        "30000",
        "--rounds",
        "20",
        "--seed",
        "9",
        "--churn",
        "0.1",
        "--json",
        "--quiet",
        "--processes",
        "3",
        "--hostfile",
        s(&hosts),
    ];
    let mut children = Vec::new();
    for p in 0..3 {
        let mut args: Vec<&str> = common.to_vec();
        let index = p.to_string();
        args.extend(["--process", &index]);
        children.push(
            Command::new(env!("CARGO_BIN_EXE_sfumato"))
                .args(&args)
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap(),
        );
    }
    let outputs = wait_all(children, Duration::from_secs(120));
    assert!(outputs[1].stdout.is_empty() && outputs[2].stdout.is_empty());
    let cluster: Value = serde_json::from_slice(&outputs[0].stdout).unwrap();
    assert_eq!(cluster["run"]["processes"], 3);
    let single = json(&[
        "sim", "push-sum", "--nodes", "30000", "--rounds", "20", "--seed", "9", "--churn", "0.1",
    ]);
    assert_eq!(outcome(&cluster), outcome(&single));
}
