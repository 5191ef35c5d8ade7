//! Helpers shared by the end-to-end tests: run the binary, expect success
//! or a one-line usage error, and make scratch directories.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output};
use std::time::{Duration, Instant};

/// Runs `sfumato` with `args`.
pub(crate) fn sfumato(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sfumato"))
        .args(args)
        .output()
        .expect("the sfumato binary runs")
}

/// The JSON report of a run that must succeed (`--json --quiet` added).
pub(crate) fn json(args: &[&str]) -> serde_json::Value {
    let mut all = args.to_vec();
    all.extend(["--json", "--quiet"]);
    serde_json::from_str(&ok(&all)).expect("the report is JSON")
}

/// The JSON report of a run that must succeed (`--json` added, for
/// commands without `--quiet`).
pub(crate) fn json_report(args: &[&str]) -> serde_json::Value {
    let mut all = args.to_vec();
    all.push("--json");
    serde_json::from_str(&ok(&all)).expect("the report is JSON")
}

/// Stdout of a run that must succeed.
pub(crate) fn ok(args: &[&str]) -> String {
    let out = sfumato(args);
    assert!(
        out.status.success(),
        "{args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// A run that must fail with exit code 2 and one line `error: …` on stderr
/// containing `needle`, without panicking.
pub(crate) fn bad(args: &[&str], needle: &str) {
    let out = sfumato(args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
    assert!(
        stderr.starts_with("error:") && stderr.lines().count() == 1,
        "{args:?}: {stderr}"
    );
    assert!(stderr.contains(needle), "{args:?}: {stderr} lacks {needle}");
    assert!(!stderr.contains("panicked"));
}

/// A fresh directory for one test.
pub(crate) fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("sfumato-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A path as `&str`.
pub(crate) fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Waits for every child (killing all after `limit`) and returns their
/// outputs, each checked to have succeeded.
pub(crate) fn wait_all(mut children: Vec<Child>, limit: Duration) -> Vec<Output> {
    let started = Instant::now();
    while children.iter_mut().any(|c| c.try_wait().unwrap().is_none()) {
        if started.elapsed() > limit {
            for c in &mut children {
                let _ = c.kill();
            }
            panic!("the processes did not finish in {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let outputs: Vec<Output> = children
        .into_iter()
        .map(|c| c.wait_with_output().unwrap())
        .collect();
    for o in &outputs {
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    outputs
}
