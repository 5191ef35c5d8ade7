//! Regression tests for bugs found in review: every refusal names where the
//! bad data is, nothing overflows silently, huge lines are refused cheaply,
//! and a failed commit leaves no temporary file.

use std::io::Cursor;
use std::path::Path;

use sfumato_traces::TracesError;
use sfumato_traces::atomic::AtomicFile;
use sfumato_traces::io::{Clip, Format, ImportOptions, import_to};
use sfumato_traces::stats::stats_of_reader;

fn import(format: Format, text: &str, clip: Option<Clip>) -> Result<Vec<u8>, TracesError> {
    let mut out = Vec::new();
    let options = ImportOptions {
        clip,
        ..ImportOptions::default()
    };
    import_to(
        format,
        Cursor::new(text.as_bytes().to_vec()),
        Path::new("in.txt"),
        &mut out,
        &options,
    )?;
    Ok(out)
}

fn cer_day(meter: u32, day: u32, value: impl Fn(u32) -> String) -> String {
    (1..=48)
        .map(|h| format!("{meter} {day:03}{h:02} {}\n", value(h)))
        .collect()
}

#[test]
fn overflowing_cer_sums_are_refused_naming_the_day_even_with_a_clip() {
    let text = cer_day(1000, 300, |h| {
        if h >= 47 {
            "1e308".into()
        } else {
            "0.5".into()
        }
    });
    for clip in [None, Some("0:80".parse().unwrap())] {
        let e = import(Format::Cer, &text, clip).unwrap_err().to_string();
        assert!(
            e.contains("in.txt") && e.contains("household 1000") && e.contains("2009-10-27"),
            "{e}"
        );
        assert!(e.contains("23:00"), "{e}");
    }
}

#[test]
fn long_files_that_cannot_be_summed_to_hours_name_the_line() {
    let text = "household,timestamp,kwh\n1,2024-01-01T00:00,1\n1,2024-01-02T00:00,2\n1,2024-01-03T00:00,3\n";
    let e = import(Format::LongCsv, text, None).unwrap_err();
    assert!(matches!(e, TracesError::Malformed { .. }), "{e}");
    assert!(e.to_string().starts_with("in.txt:"), "{e}");
}

#[test]
fn control_characters_in_ids_name_the_line() {
    let mut text = String::from("household,timestamp,kwh\n");
    for h in 0..24 {
        text.push_str(&format!("\"a\rb\",2024-01-01T{h:02}:00,0.1\n"));
    }
    let e = import(Format::LongCsv, &text, None).unwrap_err();
    assert!(e.to_string().starts_with("in.txt:"), "{e}");
}

#[test]
fn stats_recognise_long_files_however_their_header_is_written() {
    let body: String = (0..24)
        .map(|h| format!("h1,2024-01-01T{h:02}:00,0.5\n"))
        .collect();
    for header in [
        "household,timestamp,kwh\n",
        "\"household\",\"timestamp\",\"kwh\"\n",
        "\u{feff}household,timestamp,kwh\n",
        "\u{feff}\nhousehold,timestamp,kwh\n",
        "",
    ] {
        let text = format!("{header}{body}");
        let r = stats_of_reader(Cursor::new(text.into_bytes()), "s.csv");
        let r = r.unwrap_or_else(|e| panic!("{header:?}: {e}"));
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(json["household_days"], 1, "{header:?}");
    }
}

#[test]
fn huge_values_do_not_turn_statistics_into_nonsense() {
    let header: String = (0..24).map(|h| format!(",{h:02}:00")).collect();
    let row = |id: &str, v: &str| format!("{id},2024-01-01{}\n", format!(",{v}").repeat(24));
    let text = format!(
        "household,date{header}\n{}{}",
        row("a", "1e308"),
        row("b", "-1e308")
    );
    let e = stats_of_reader(Cursor::new(text.into_bytes()), "s.csv")
        .unwrap_err()
        .to_string();
    assert!(e.starts_with("s.csv:2:"), "{e}");
}

#[test]
fn a_huge_line_is_refused_without_reading_it_all() {
    let commas = ",".repeat(3 << 20);
    let text = format!("household,date,00:00\n1,2024-01-01,{commas}");
    let e = stats_of_reader(Cursor::new(text.into_bytes()), "s.csv")
        .unwrap_err()
        .to_string();
    assert!(e.contains("s.csv:2") && e.contains("longer than"), "{e}");
    let text = format!("household,timestamp,kwh\n1,2024-01-01T00:00,{commas}");
    let e = import(Format::LongCsv, &text, None)
        .unwrap_err()
        .to_string();
    assert!(e.contains("in.txt:2") && e.contains("longer than"), "{e}");
}

#[test]
fn a_commit_that_fails_leaves_no_temporary_file() {
    let dir = std::env::temp_dir().join(format!("sfumato-regress-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("target_is_a_dir")).unwrap();
    let mut f = AtomicFile::create(dir.join("target_is_a_dir")).unwrap();
    std::io::Write::write_all(&mut f, b"x").unwrap();
    assert!(f.commit().is_err());
    let left: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left.len(), 1, "{left:?}");
    std::fs::remove_dir_all(&dir).unwrap();
}
