//! A data set from a CSV file: one row per participant, one column per
//! value (the layout ARCHITECTURE.md gives for time series in and out).
//!
//! * Fields are separated by commas (double quotes as in
//!   [`crate::io::wide`]); white space around a field is ignored.
//! * The first non-blank line is a header, and skipped, when none of its
//!   fields reads as a number. A first line mixing numbers and text is
//!   data, and its text an error: a typo in the first participant's row
//!   must not silently drop that participant.
//! * A header naming `household`, `id`, `meter` or `meter_id`, `date`,
//!   `residents` or `appliance` columns (case-insensitive) marks the wide
//!   daily-profile layout `sfumato traces import` writes
//!   ([`crate::io::wide`]): those columns are skipped and the others are
//!   the values. A row with a non-empty `appliance` is an error (cluster
//!   household totals, not appliances).
//! * Blank lines are ignored. Every row must have as many values as the
//!   first row (and as the header, when there is one).
//! * Every value must be a finite number; a value outside the declared
//!   range is clipped to it and counted in [`Dataset::clipped`].
//!
//! Every error names the file and the line.

use std::fs::File;
use std::io::BufReader;
use std::path::Path;

use crate::error::{Result, TracesError};
use crate::io::text::{Lines, parse_value, split_csv};
use crate::synthetic::{Dataset, clip};

/// Reads the rows of `path`, clipping every value to `range = (lo, hi)`
/// (finite, `lo < hi`). No labels.
pub fn from_csv(path: &Path, range: (f64, f64)) -> Result<Dataset> {
    let (lo, hi) = range;
    if !lo.is_finite() || !hi.is_finite() {
        return Err(TracesError::invalid(
            "range",
            format!("bounds {lo}:{hi} must be finite numbers"),
        ));
    }
    if lo >= hi {
        return Err(TracesError::invalid(
            "range",
            format!("lower bound {lo} is not below upper bound {hi}"),
        ));
    }
    let file = File::open(path).map_err(|e| TracesError::io(path, e))?;
    let mut lines = Lines::new(BufReader::new(file), path.to_path_buf());
    let mut rows: Vec<Vec<f64>> = Vec::new();
    let mut clipped = 0;
    // The expected width and the line that fixed it.
    let mut width: Option<(usize, u64, &str)> = None;
    let mut first = true;
    // Metadata columns of the wide daily-profile layout, and the appliance
    // column's index.
    let mut skip: Vec<bool> = Vec::new();
    let mut appliance: Option<usize> = None;
    while lines.advance_nonblank()? {
        let fields = split_csv(lines.text()).map_err(|reason| lines.err(reason))?;
        if first {
            first = false;
            if fields.iter().all(|f| f.parse::<f64>().is_err()) {
                width = Some((fields.len(), lines.line(), "the header"));
                skip = fields.iter().map(|f| is_metadata(f)).collect();
                appliance = fields
                    .iter()
                    .position(|f| f.trim().eq_ignore_ascii_case("appliance"));
                if skip.iter().all(|s| *s) {
                    return Err(lines.err("the header names no value column"));
                }
                continue;
            }
        }
        if let Some(a) = appliance
            && fields.get(a).is_some_and(|f| !f.trim().is_empty())
        {
            return Err(lines.err(format!(
                "a per-appliance row (`{}`): cluster household totals only",
                fields[a].trim()
            )));
        }
        match width {
            Some((n, line, what)) if n != fields.len() => {
                return Err(lines.err(format!(
                    "{} values, but {what} on line {line} has {n}",
                    fields.len()
                )));
            }
            Some(_) => {}
            None => width = Some((fields.len(), lines.line(), "the first row")),
        }
        let row = fields
            .iter()
            .enumerate()
            .filter(|(i, _)| !skip.get(*i).copied().unwrap_or(false))
            .map(|(i, f)| {
                parse_value(f)
                    .map(|v| clip(v, lo, hi, &mut clipped))
                    .map_err(|reason| lines.err(format!("value {}: {reason}", i + 1)))
            })
            .collect::<Result<Vec<f64>>>()?;
        rows.push(row);
    }
    if rows.is_empty() {
        return Err(lines.err("no data rows"));
    }
    Ok(Dataset {
        rows,
        range,
        clipped,
        labels: None,
    })
}

/// Whether a header field names a metadata column of the wide layout.
fn is_metadata(field: &str) -> bool {
    let f = field.trim().to_ascii_lowercase();
    matches!(
        f.as_str(),
        "household" | "id" | "meter" | "meter_id" | "date" | "residents" | "appliance"
    )
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    /// A file in this test run's own temporary directory.
    fn file(name: &str, text: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("sfumato-synthetic-csv-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    fn error(name: &str, text: &str) -> String {
        from_csv(&file(name, text), (0.0, 80.0))
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn reads_rows_with_or_without_a_header() {
        let d = from_csv(&file("plain.csv", "1,2,3\n4.5, 5 ,6\n"), (0.0, 80.0)).unwrap();
        assert_eq!(d.rows, vec![vec![1.0, 2.0, 3.0], vec![4.5, 5.0, 6.0]]);
        assert_eq!((d.range, d.clipped, d.labels), ((0.0, 80.0), 0, None));
        let text = "\u{feff}h0,h1,\"h,2\"\r\n\r\n1,2,3\r\n\n  \n7,8,9\r\n";
        let d = from_csv(&file("header.csv", text), (0.0, 80.0)).unwrap();
        assert_eq!(d.rows, vec![vec![1.0, 2.0, 3.0], vec![7.0, 8.0, 9.0]]);
        // No trailing newline, one column.
        let d = from_csv(&file("one.csv", "value\n3\n-1"), (0.0, 2.0)).unwrap();
        assert_eq!(d.rows, vec![vec![2.0], vec![0.0]]);
        assert_eq!(d.clipped, 2);
    }

    #[test]
    fn reads_the_wide_daily_profiles_traces_import_writes() {
        let text =
            "household,date,00:00,01:00,02:00\nuci,2007-01-01,1.5,2,3\n\"h 2\",2007-01-02,4,5,90\n";
        let d = from_csv(&file("wide.csv", text), (0.0, 80.0)).unwrap();
        assert_eq!(d.rows, vec![vec![1.5, 2.0, 3.0], vec![4.0, 5.0, 80.0]]);
        assert_eq!(d.clipped, 1);
        let text = "household,date,residents,appliance,00:00,12:00\nh,2007-01-01,2,,1,2\n";
        let d = from_csv(&file("wide-meta.csv", text), (0.0, 80.0)).unwrap();
        assert_eq!(d.rows, vec![vec![1.0, 2.0]]);
        let e = error(
            "appliance.csv",
            "household,appliance,00:00,12:00\nh,,1,2\nh,fridge,1,2\n",
        );
        assert!(
            e.ends_with(
                "appliance.csv:3: a per-appliance row (`fridge`): cluster household totals only"
            ),
            "{e}"
        );
        let e = error("meta-only.csv", "household,date\nh,2007-01-01\n");
        assert!(e.ends_with("the header names no value column"), "{e}");
    }

    #[test]
    fn clips_and_counts() {
        let d = from_csv(&file("clip.csv", "-5,10,100\n1e3,79.9,0\n"), (0.0, 80.0)).unwrap();
        assert_eq!(d.rows, vec![vec![0.0, 10.0, 80.0], vec![80.0, 79.9, 0.0]]);
        assert_eq!(d.clipped, 3);
    }

    #[test]
    fn errors_name_the_file_and_line() {
        let e = error("ragged.csv", "a,b\n1,2\n\n3,4,5\n");
        assert!(
            e.ends_with("ragged.csv:4: 3 values, but the header on line 1 has 2"),
            "{e}"
        );
        let e = error("ragged2.csv", "1,2\n3\n");
        assert!(
            e.ends_with("ragged2.csv:2: 1 values, but the first row on line 1 has 2"),
            "{e}"
        );
        let e = error("nan.csv", "1,2\n3,NaN\n");
        assert!(
            e.ends_with("nan.csv:2: value 2: `NaN` is not a finite number"),
            "{e}"
        );
        let e = error("inf.csv", "inf,2\n");
        assert!(
            e.ends_with("inf.csv:1: value 1: `inf` is not a finite number"),
            "{e}"
        );
        let e = error("typo.csv", "1,x,3\n");
        assert!(
            e.ends_with("typo.csv:1: value 2: `x` is not a number"),
            "{e}"
        );
        let e = error("empty-field.csv", "1,,3\n");
        assert!(e.contains("empty-field.csv:1: value 2: empty value"), "{e}");
        let e = error("quote.csv", "1,\"2\n");
        assert!(e.contains("quote.csv:1: "), "{e}");
        for (name, text) in [
            ("empty.csv", ""),
            ("blank.csv", "\n \n"),
            ("only-header.csv", "a,b\n"),
        ] {
            let e = error(name, text);
            assert!(e.ends_with("no data rows"), "{e}");
        }
        let missing = std::env::temp_dir().join("sfumato-synthetic-csv-no-such-file.csv");
        assert!(matches!(
            from_csv(&missing, (0.0, 1.0)),
            Err(TracesError::Io { .. })
        ));
        let ok = file("ok.csv", "1\n");
        for range in [
            (1.0, 1.0),
            (2.0, 1.0),
            (f64::NAN, 1.0),
            (0.0, f64::INFINITY),
        ] {
            assert!(matches!(
                from_csv(&ok, range),
                Err(TracesError::InvalidParameter { name: "range", .. })
            ));
        }
        let bytes = file("binary.csv", "");
        std::fs::write(&bytes, [b'1', b',', 0xff, b'\n']).unwrap();
        assert!(error_of(&bytes).contains("binary.csv:1: the line is not UTF-8 text"));
    }

    fn error_of(path: &Path) -> String {
        from_csv(path, (0.0, 80.0)).unwrap_err().to_string()
    }
}
