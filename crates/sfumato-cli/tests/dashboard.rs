//! `sfumato dashboard`: records the demo's scenarios, serves a store on
//! localhost, and refuses a bad store in one clear line.

mod common;
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};

use common::{bad, ok, s, scratch};

#[test]
fn the_demo_s_scenarios_are_recorded_and_served() {
    let dir = scratch("dashboard");
    let store = dir.join("demo.sqlite");
    let out = ok(&[
        "dashboard",
        "--record-only",
        "--record-to",
        s(&store),
        "--key-sizes",
        "512",
    ]);
    assert!(out.contains("10 runs"), "{out}");
    let list = ok(&["results", "list", "--store", s(&store)]);
    let clusters = list
        .lines()
        .filter(|l| l.split_whitespace().nth(1) == Some("cluster"));
    assert_eq!(clusters.count(), 8, "{list}");
    // Recording into an existing file is refused, and the file kept.
    bad(
        &["dashboard", "--record-only", "--record-to", s(&store)],
        "exists",
    );
    // Served on a free port of localhost.
    let mut child = Command::new(env!("CARGO_BIN_EXE_sfumato"))
        .args(["dashboard", "--store", s(&store), "--addr", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line
        .split("http://")
        .nth(1)
        .and_then(|r| r.split('/').next())
        .unwrap_or_else(|| panic!("no address in {line:?}"))
        .to_string();
    assert!(addr.starts_with("127.0.0.1:"), "{addr}");
    let get = |path: &str| {
        let mut tcp = std::net::TcpStream::connect(&addr).unwrap();
        write!(
            tcp,
            "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut body = String::new();
        tcp.read_to_string(&mut body).unwrap();
        body
    };
    let index = get("/");
    assert!(index.starts_with("HTTP/1.1 200"), "{index}");
    assert!(index.contains("NUMED-like") && index.contains("CER-like"));
    let run = get("/run/1");
    assert!(run.contains("id=\"bob\"") && run.contains("id=\"timings\""));
    assert!(run.contains("512"), "the measured timings are shown");
    assert!(get("/run/99").starts_with("HTTP/1.1 404"));
    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
fn a_bad_store_is_one_clear_line() {
    let dir = scratch("dashboard-bad");
    let text = dir.join("notes.txt");
    std::fs::write(&text, "hello\n".repeat(500)).unwrap();
    bad(
        &["dashboard", "--store", s(&text), "--addr", "127.0.0.1:0"],
        "not a sfumato results store",
    );
    bad(
        &["dashboard", "--store", s(&dir.join("none.sqlite"))],
        "no such file",
    );
}
