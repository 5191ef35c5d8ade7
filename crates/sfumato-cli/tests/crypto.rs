//! End-to-end tests of `sfumato crypto …` as a user runs it.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

mod common;
use common::{bad, ok, s, scratch, sfumato};

fn save(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn a_committee_decrypts_a_homomorphic_sum() {
    let dir = scratch("crypto-flow");
    let keys = dir.join("keys");
    ok(&[
        "crypto",
        "keygen",
        "--bits",
        "512",
        "--committee",
        "5",
        "--threshold",
        "3",
        "--out",
        s(&keys),
        "--seed",
        "3",
    ]);
    for f in ["private.json", "share-1.json", "share-5.json"] {
        let mode = std::fs::metadata(keys.join(f))
            .unwrap()
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode, 0o600, "{f} is readable by others");
    }
    let public: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(keys.join("public.json")).unwrap()).unwrap();
    assert!(public["n"].is_string() && public["s"] == 1 && public["committee"] == 5);
    // Keys are never overwritten.
    bad(
        &[
            "crypto",
            "keygen",
            "--bits",
            "512",
            "--out",
            s(&keys),
            "--seed",
            "3",
        ],
        "already exists",
    );

    let pk = keys.join("public.json");
    let values = [40i64, -2, 1_000_000];
    let cts: Vec<PathBuf> = values
        .iter()
        .enumerate()
        .map(|(i, v)| {
            save(
                &dir,
                &format!("c{i}.json"),
                &ok(&[
                    "crypto",
                    "encrypt",
                    "--public-key",
                    s(&pk),
                    "--value",
                    &v.to_string(),
                ]),
            )
        })
        .collect();
    let sum = save(
        &dir,
        "sum.json",
        &ok(&[
            "crypto",
            "add",
            "--public-key",
            s(&pk),
            s(&cts[0]),
            s(&cts[1]),
            s(&cts[2]),
        ]),
    );
    assert_eq!(
        ok(&[
            "crypto",
            "decrypt",
            "--private-key",
            s(&keys.join("private.json")),
            "--ciphertext",
            s(&sum)
        ])
        .trim(),
        "1000038"
    );
    let signed: serde_json::Value = serde_json::from_str(&ok(&[
        "--json",
        "crypto",
        "decrypt",
        "--private-key",
        s(&keys.join("private.json")),
        "--ciphertext",
        s(&cts[1]),
    ]))
    .unwrap();
    assert_eq!(signed["signed"], "-2");

    let partial = |i: u32| {
        save(
            &dir,
            &format!("p{i}.json"),
            &ok(&[
                "crypto",
                "partial-decrypt",
                "--share",
                s(&keys.join(format!("share-{i}.json"))),
                "--ciphertext",
                s(&sum),
            ]),
        )
    };
    let (p2, p4, p5) = (partial(2), partial(4), partial(5));
    assert_eq!(
        ok(&[
            "crypto",
            "combine",
            "--public-key",
            s(&pk),
            s(&p2),
            s(&p4),
            s(&p5)
        ])
        .trim(),
        "1000038"
    );
    bad(
        &["crypto", "combine", "--public-key", s(&pk), s(&p2), s(&p4)],
        "not enough",
    );

    // A tampered partial is caught by its proof and its holder is named.
    let mut doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&p4).unwrap()).unwrap();
    let c: String = doc["c"].as_str().unwrap().to_string();
    let last = c.chars().last().unwrap();
    let flipped = format!(
        "{}{}",
        &c[..c.len() - 1],
        if last == '1' { '3' } else { '1' }
    );
    doc["c"] = serde_json::Value::String(flipped);
    let forged = save(&dir, "forged.json", &doc.to_string());
    bad(
        &[
            "crypto",
            "combine",
            "--public-key",
            s(&pk),
            s(&p2),
            s(&forged),
            s(&p5),
        ],
        "key holder 4",
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn malformed_keys_and_ciphertexts_are_refused_clearly() {
    let dir = scratch("crypto-bad");
    let keys = dir.join("k");
    ok(&[
        "crypto",
        "keygen",
        "--bits",
        "256",
        "--out",
        s(&keys),
        "--seed",
        "1",
    ]);
    let pk = keys.join("public.json");
    let other = dir.join("k2");
    ok(&[
        "crypto",
        "keygen",
        "--bits",
        "256",
        "--out",
        s(&other),
        "--seed",
        "2",
    ]);
    let foreign = save(
        &dir,
        "foreign.json",
        &ok(&[
            "crypto",
            "encrypt",
            "--public-key",
            s(&other.join("public.json")),
            "--value",
            "5",
        ]),
    );
    let garbage = save(&dir, "garbage.json", "{\"c\": \"12abc\"}");
    let huge = save(
        &dir,
        "huge.json",
        &format!("{{\"c\": \"{}\"}}", "9".repeat(400)),
    );
    let notjson = save(&dir, "notjson.json", "hello");
    let small = save(&dir, "small.json", "{\"n\": \"15\", \"s\": 1}");
    for (args, needle) in [
        (
            vec![
                "crypto",
                "add",
                "--public-key",
                s(&pk),
                s(&garbage),
                s(&garbage),
            ],
            "garbage.json",
        ),
        (
            vec!["crypto", "add", "--public-key", s(&pk), s(&huge), s(&huge)],
            "range",
        ),
        (
            vec![
                "crypto",
                "decrypt",
                "--private-key",
                s(&keys.join("private.json")),
                "--ciphertext",
                s(&notjson),
            ],
            "notjson.json",
        ),
        (
            vec![
                "crypto",
                "encrypt",
                "--public-key",
                s(&small),
                "--value",
                "1",
            ],
            "small.json",
        ),
        (
            vec![
                "crypto",
                "encrypt",
                "--public-key",
                s(&pk),
                "--value",
                "1.5",
            ],
            "--value",
        ),
        (
            vec![
                "crypto",
                "encrypt",
                "--public-key",
                s(&dir.join("missing.json")),
                "--value",
                "1",
            ],
            "missing.json",
        ),
        (
            vec![
                "crypto",
                "keygen",
                "--bits",
                "255",
                "--out",
                s(&dir.join("x")),
            ],
            "even",
        ),
        (
            vec![
                "crypto",
                "keygen",
                "--committee",
                "3",
                "--threshold",
                "4",
                "--out",
                s(&dir.join("y")),
            ],
            "threshold",
        ),
    ] {
        bad(&args, needle);
    }
    // A ciphertext of another key either fails validation or decrypts to
    // garbage; with a 256-bit key it is almost always out of range.
    let out = sfumato(&[
        "crypto",
        "decrypt",
        "--private-key",
        s(&keys.join("private.json")),
        "--ciphertext",
        s(&foreign),
    ]);
    assert!(!String::from_utf8_lossy(&out.stderr).contains("panicked"));
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn bench_prints_rates_next_to_the_naive_reference() {
    let doc: serde_json::Value = serde_json::from_str(&ok(&[
        "--json",
        "crypto",
        "bench",
        "--bits",
        "256",
        "--committee",
        "3",
        "--seconds",
        "0.01",
    ]))
    .unwrap();
    let rows = doc["rows"].as_array().unwrap();
    assert!(rows.len() >= 8);
    assert!(
        rows.iter()
            .all(|r| r["ops_per_second"].as_f64().unwrap() > 0.0)
    );
    assert!(
        rows.iter()
            .any(|r| r["naive_ops_per_second"].as_f64().is_some())
    );
}
