//! End-to-end tests of `sfumato stream …`: generate a DEBS 2014 stream,
//! run both queries on the dataflow (sealed, with a migration, on two
//! processes) and on the reference, and get the same files; bad input is
//! one clear line.

mod common;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::{bad, json, ok, s, scratch, wait_all};

fn read_dir(dir: &std::path::Path) -> Vec<(String, String)> {
    let mut files: Vec<(String, String)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read_to_string(e.path()).unwrap(),
            )
        })
        .collect();
    files.sort();
    files
}

#[test]
fn generate_then_run_sealed_with_a_migration_equals_the_reference() {
    let dir = scratch("stream-run");
    let csv = dir.join("plugs.csv");
    let g = json(&[
        "stream",
        "generate",
        "--hours",
        "1",
        "--houses",
        "4",
        "--plugs",
        "150",
        "--seed",
        "3",
        "--out",
        s(&csv),
    ]);
    assert_eq!(g["houses"], 4);
    let text = std::fs::read_to_string(&csv).unwrap();
    assert_eq!(text.lines().count() as u64, g["events"].as_u64().unwrap());
    assert_eq!(text.lines().next().unwrap().split(',').count(), 7);

    let reference_dir = dir.join("reference");
    let r = json(&[
        "stream",
        "run",
        "--input",
        s(&csv),
        "--reference",
        "--out",
        s(&reference_dir),
    ]);
    assert_eq!(r["runtime"], "reference (single thread)");
    let dataflow_dir = dir.join("dataflow");
    let d = json(&[
        "stream",
        "run",
        "--input",
        s(&csv),
        "--workers",
        "2",
        "--encrypt",
        "--migrate",
        "0..2:1@1500",
        "--epoch-seconds",
        "300",
        "--out",
        s(&dataflow_dir),
    ]);
    assert_eq!(d["digest"], r["digest"]);
    assert_eq!(d["counts"]["events"], g["events"]);
    assert!(
        d["enclave"]
            .as_str()
            .unwrap()
            .starts_with("INSECURE SOFTWARE ENCLAVE")
    );
    assert_eq!(d["migration"]["agreed"], true);
    assert!(d["migration"]["replica_outputs_compared"].as_u64().unwrap() > 100);
    assert!(d["latency"]["migration"]["epochs"].as_u64().unwrap() >= 1);
    // The outputs carry the report of the run that made them, the
    // enclave stand-in named.
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dataflow_dir.join("report.json")).unwrap())
            .unwrap();
    assert_eq!(report["enclave"], d["enclave"]);
    std::fs::remove_file(dataflow_dir.join("report.json")).unwrap();
    std::fs::remove_file(reference_dir.join("report.json")).unwrap();
    let files = read_dir(&dataflow_dir);
    assert_eq!(files.len(), 12);
    assert_eq!(files, read_dir(&reference_dir));
    let house = files
        .iter()
        .find(|(n, _)| n == "q1-house-5min.csv")
        .unwrap();
    let first = house.1.lines().next().unwrap();
    assert_eq!(first.split(',').count(), 3, "{first}");
    let q2 = files.iter().find(|(n, _)| n == "q2-1h.csv").unwrap();
    assert_eq!(q2.1.lines().next().unwrap().split(',').count(), 4);

    // The text report says what ran.
    let text = ok(&["stream", "run", "--input", s(&csv), "--encrypt", "--quiet"]);
    assert!(text.contains("INSECURE SOFTWARE ENCLAVE"), "{text}");
    assert!(
        text.contains(
            r["digest"]["sum"]
                .as_u64()
                .map(|d| format!("{d:016x}"))
                .unwrap()
                .as_str()
        )
    );
}

#[test]
fn two_processes_give_the_one_process_outputs() {
    let listeners: Vec<_> = (0..2)
        .map(|_| std::net::TcpListener::bind("127.0.0.1:0").unwrap())
        .collect();
    let ports: Vec<u16> = listeners
        .iter()
        .map(|l| l.local_addr().unwrap().port())
        .collect();
    drop(listeners);
    let dir = scratch("stream-cluster");
    let hosts = dir.join("hosts");
    std::fs::write(
        &hosts,
        ports
            .iter()
            .map(|p| format!("127.0.0.1:{p}\n"))
            .collect::<String>(),
    )
    .unwrap();
    let common = [
        "stream",
        "run",
        "--hours",
        "0.5",
        "--houses",
        "6",
        "--plugs",
        "120",
        "--encrypt",
        "--migrate",
        "0..3:3@900",
        "--json",
        "--quiet",
        "--processes",
        "2",
        "--hostfile",
        s(&hosts),
        "--workers",
        "2",
    ];
    let children: Vec<_> = (0..2)
        .map(|p| {
            let index = p.to_string();
            let mut args = common.to_vec();
            args.extend(["--process", &index]);
            Command::new(env!("CARGO_BIN_EXE_sfumato"))
                .args(&args)
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let outputs = wait_all(children, Duration::from_secs(120));
    assert!(outputs[1].stdout.is_empty());
    let cluster: serde_json::Value = serde_json::from_slice(&outputs[0].stdout).unwrap();
    assert_eq!(cluster["processes"], 2);
    assert_eq!(cluster["migration"]["agreed"], true);
    let single = json(&[
        "stream",
        "run",
        "--hours",
        "0.5",
        "--houses",
        "6",
        "--plugs",
        "120",
        "--reference",
    ]);
    assert_eq!(cluster["digest"], single["digest"]);
}

#[test]
fn bad_input_is_one_clear_line_and_loses_nothing() {
    let dir = scratch("stream-bad");
    let csv = dir.join("bad.csv");
    std::fs::write(&csv, "0,1377993600,1.5,1,0,0,0\n1,1377993601,x,1,0,0,0\n").unwrap();
    bad(&["stream", "run", "--input", s(&csv), "--quiet"], "line 2");
    bad(
        &[
            "stream",
            "run",
            "--input",
            s(&csv),
            "--reference",
            "--quiet",
        ],
        "line 2",
    );
    bad(
        &[
            "stream",
            "run",
            "--input",
            s(&dir.join("none.csv")),
            "--quiet",
        ],
        "none.csv",
    );
    bad(
        &[
            "stream",
            "run",
            "--hours",
            "0.1",
            "--migrate",
            "0..2:5@60",
            "--quiet",
        ],
        "worker 5",
    );
    bad(
        &[
            "stream",
            "run",
            "--hours",
            "0.1",
            "--migrate",
            "2..0:1@60",
            "--quiet",
        ],
        "migrate",
    );
    bad(
        &[
            "stream",
            "run",
            "--hours",
            "0.1",
            "--workers",
            "2",
            "--initial-workers",
            "3",
            "--quiet",
        ],
        "initial workers",
    );
    bad(&["stream", "run", "--hours", "0", "--quiet"], "--hours");
    bad(
        &[
            "stream", "run", "--hours", "0.1", "--houses", "0", "--quiet",
        ],
        "houses",
    );
    bad(
        &[
            "stream",
            "generate",
            "--hours",
            "0.1",
            "--plugs",
            "0",
            "--out",
            s(&dir.join("x.csv")),
        ],
        "plugs",
    );
    // A failed run leaves an existing output file or directory as it was.
    let out = dir.join("keep");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("mine.txt"), "mine").unwrap();
    bad(
        &[
            "stream",
            "run",
            "--hours",
            "0.1",
            "--out",
            s(&out),
            "--quiet",
        ],
        "not an empty directory",
    );
    assert_eq!(
        std::fs::read_to_string(out.join("mine.txt")).unwrap(),
        "mine"
    );
    let fresh = dir.join("fresh");
    bad(
        &[
            "stream",
            "run",
            "--input",
            s(&csv),
            "--out",
            s(&fresh),
            "--quiet",
        ],
        "line 2",
    );
    assert!(!fresh.exists());
    assert!(
        std::fs::read_dir(&dir).unwrap().all(|e| !e
            .unwrap()
            .file_name()
            .to_string_lossy()
            .contains("partial"))
    );
}

#[test]
fn bench_reports_every_row_with_equal_outputs() {
    let v = json(&[
        "stream",
        "bench",
        "--hours",
        "0.25",
        "--houses",
        "4",
        "--plugs",
        "100",
        "--workers",
        "2",
    ]);
    let rows = v["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 5);
    assert!(rows.iter().all(|r| r["outputs_equal"] == true));
    assert!(
        rows.iter()
            .all(|r| r["events_per_second"].as_f64().unwrap() > 0.0)
    );
    assert!(v["seal_megabytes_per_second"].as_f64().unwrap() > 0.0);
}
