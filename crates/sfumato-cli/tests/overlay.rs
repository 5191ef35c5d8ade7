//! End-to-end tests of `sfumato overlay …`.

mod common;
use common::{bad, ok};

#[test]
fn primes_and_gaps() {
    assert_eq!(
        ok(&["overlay", "primes", "--max", "100"])
            .split_whitespace()
            .collect::<Vec<_>>(),
        [
            "3", "5", "11", "13", "19", "29", "37", "53", "59", "61", "67", "83"
        ]
    );
    assert_eq!(
        ok(&["overlay", "primes", "--max", "1000000", "--count"]).trim(),
        "29341"
    );
    let gaps = ok(&["overlay", "gaps", "--max", "1000"]);
    let mut lines = gaps.lines();
    assert_eq!(lines.next(), Some("gap\tcount"));
    let total: u64 = lines
        .map(|l| l.split('\t').nth(1).unwrap().parse::<u64>().unwrap())
        .sum();
    let count: u64 = ok(&["overlay", "primes", "--max", "1000", "--count"])
        .trim()
        .parse()
        .unwrap();
    assert_eq!(total, count - 1);
    let doc: serde_json::Value = serde_json::from_str(&ok(&[
        "--json", "overlay", "primes", "--max", "20", "--count",
    ]))
    .unwrap();
    assert_eq!(doc["count"], 5); // 3, 5, 11, 13, 19
    bad(&["overlay", "primes", "--max", "1000000000"], "--max");
}
