//! Line reading, field splitting, number parsing and number formatting
//! shared by the readers and writers.

use std::borrow::Cow;
use std::io::{BufRead, ErrorKind, Read};
use std::path::{Path, PathBuf};

use crate::calendar::Date;
use crate::error::{Result, TracesError};

/// Longest line any reader accepts (a wide row of 1,440 one-minute values
/// with long ids is under 30 KB).
pub(crate) const MAX_LINE_BYTES: usize = 1 << 20;

/// Reads a text file line by line, keeping the 1-based number of the last
/// line read so that every error can name it.
pub(crate) struct Lines<R> {
    inner: R,
    path: PathBuf,
    line: u64,
    text: String,
    start: usize,
}

impl<R: BufRead> Lines<R> {
    pub(crate) fn new(inner: R, path: PathBuf) -> Self {
        Lines {
            inner,
            path,
            line: 0,
            text: String::new(),
            start: 0,
        }
    }

    /// Reads the next line; `false` at the end of the input. The line,
    /// without its terminator (and without a byte-order mark on line 1), is
    /// then [`Lines::text`].
    pub(crate) fn advance(&mut self) -> Result<bool> {
        self.text.clear();
        self.start = 0;
        // At most one byte past the limit is read, so a huge line costs
        // bounded memory before it is refused.
        match (&mut self.inner)
            .take(MAX_LINE_BYTES as u64 + 1)
            .read_line(&mut self.text)
        {
            Ok(0) => Ok(false),
            Ok(_) => {
                self.line += 1;
                if self.text.len() > MAX_LINE_BYTES {
                    self.text.clear();
                    return Err(self.err(format!("line longer than {} MiB", MAX_LINE_BYTES >> 20)));
                }
                if self.text.ends_with('\n') {
                    self.text.pop();
                    if self.text.ends_with('\r') {
                        self.text.pop();
                    }
                }
                if self.line == 1 && self.text.starts_with('\u{feff}') {
                    self.start = '\u{feff}'.len_utf8();
                }
                Ok(true)
            }
            Err(e) if e.kind() == ErrorKind::InvalidData => {
                self.line += 1;
                Err(self.err("the line is not UTF-8 text"))
            }
            Err(e) => Err(TracesError::io(&self.path, e)),
        }
    }

    /// Reads lines until one that is not blank; `false` at the end.
    pub(crate) fn advance_nonblank(&mut self) -> Result<bool> {
        while self.advance()? {
            if !self.text().trim().is_empty() {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// The last line read.
    pub(crate) fn text(&self) -> &str {
        self.text.get(self.start..).unwrap_or("")
    }

    /// The 1-based number of the last line read (0 before the first).
    pub(crate) fn line(&self) -> u64 {
        self.line
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// A [`TracesError::Malformed`] at the last line read (line 1 for an
    /// empty input).
    pub(crate) fn err(&self, reason: impl Into<String>) -> TracesError {
        TracesError::malformed(&self.path, self.line.max(1), reason)
    }
}

/// Splits one CSV line on commas. Unquoted fields are trimmed of ASCII
/// white space;
/// a field in double quotes keeps its content verbatim with `""` read as
/// `"` (a quoted field cannot span lines).
pub(crate) fn split_csv(line: &str) -> core::result::Result<Vec<Cow<'_, str>>, String> {
    if !line.contains('"') {
        return Ok(line
            .split(',')
            .map(|f| Cow::Borrowed(f.trim_ascii()))
            .collect());
    }
    let mut out = Vec::new();
    let mut rest = line;
    loop {
        let trimmed = rest.trim_ascii_start();
        if let Some(body) = trimmed.strip_prefix('"') {
            let mut value = String::new();
            let mut chars = body.char_indices();
            let after;
            loop {
                match chars.next() {
                    None => return Err("a quoted field is not closed on its line".into()),
                    Some((i, '"')) => {
                        if body[i + 1..].starts_with('"') {
                            value.push('"');
                            chars.next();
                        } else {
                            after = &body[i + 1..];
                            break;
                        }
                    }
                    Some((_, c)) => value.push(c),
                }
            }
            out.push(Cow::Owned(value));
            let after = after.trim_ascii_start();
            if after.is_empty() {
                return Ok(out);
            }
            match after.strip_prefix(',') {
                Some(r) => rest = r,
                None => return Err("text after a closing quote".into()),
            }
        } else {
            match rest.find(',') {
                Some(i) => {
                    let field = &rest[..i];
                    if field.contains('"') {
                        return Err("a quote inside an unquoted field".into());
                    }
                    out.push(Cow::Borrowed(field.trim_ascii()));
                    rest = &rest[i + 1..];
                }
                None => {
                    if rest.contains('"') {
                        return Err("a quote inside an unquoted field".into());
                    }
                    out.push(Cow::Borrowed(rest.trim_ascii()));
                    return Ok(out);
                }
            }
        }
    }
}

/// Appends `field` to a CSV line, quoting it when a reader would otherwise
/// split or trim it. Line breaks cannot be written.
pub(crate) fn push_csv_field(out: &mut Vec<u8>, field: &str, what: &'static str) -> Result<()> {
    if field.contains(['\n', '\r']) {
        return Err(TracesError::invalid(
            what,
            format!("{field:?} contains a line break"),
        ));
    }
    let needs_quotes = field.contains([',', '"'])
        || field.starts_with(char::is_whitespace)
        || field.ends_with(char::is_whitespace);
    if needs_quotes {
        out.push(b'"');
        for b in field.bytes() {
            if b == b'"' {
                out.push(b'"');
            }
            out.push(b);
        }
        out.push(b'"');
    } else {
        out.extend_from_slice(field.as_bytes());
    }
    Ok(())
}

/// Reads a finite number; empty fields and `NaN`/`inf` are refused.
pub(crate) fn parse_value(s: &str) -> core::result::Result<f64, String> {
    if s.is_empty() {
        return Err("empty value (missing values are not allowed here)".into());
    }
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(v),
        Ok(_) => Err(format!("`{s}` is not a finite number")),
        Err(_) => Err(format!("`{s}` is not a number")),
    }
}

/// `HH:MM` or `H:MM` (also `HH:MM:00`) to minutes since midnight.
pub(crate) fn parse_hhmm(s: &str) -> Option<u32> {
    let mut parts = s.split(':');
    let h = parts.next()?;
    let m = parts.next()?;
    if let Some(sec) = parts.next()
        && sec != "00"
    {
        return None;
    }
    if parts.next().is_some() {
        return None;
    }
    let h = small_digits(h, 1, 2)?;
    let m = small_digits(m, 2, 2)?;
    (h < 24 && m < 60).then_some(h * 60 + m)
}

/// `s` as a number if it is `min..=max` ASCII digits.
pub(crate) fn small_digits(s: &str, min: usize, max: usize) -> Option<u32> {
    if s.len() < min || s.len() > max || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// `YYYY-MM-DDTHH:MM`, with a space allowed for `T` and an optional `:00`.
pub(crate) fn parse_timestamp(s: &str) -> core::result::Result<(Date, u32), String> {
    let bad = || format!("`{s}` is not a timestamp YYYY-MM-DDTHH:MM");
    if !s.is_ascii() || (s.len() != 16 && s.len() != 19) {
        return Err(bad());
    }
    let b = s.as_bytes();
    if b.get(10) != Some(&b'T') && b.get(10) != Some(&b' ') {
        return Err(bad());
    }
    let date: Date = s[..10]
        .parse()
        .map_err(|e: TracesError| format!("{}: {e}", bad()))?;
    let time = &s[11..];
    if time.len() != 5 && time.len() != 8 {
        return Err(bad());
    }
    match parse_hhmm(time) {
        Some(m) if time.as_bytes().get(2) == Some(&b':') => Ok((date, m)),
        _ => Err(format!(
            "`{s}` has no valid time HH:MM (seconds, if any, must be 00)"
        )),
    }
}

/// How values are written: a fixed number of decimals (trailing zeros
/// dropped) or the shortest text that reads back exactly.
#[derive(Clone, Copy, Debug)]
pub(crate) struct NumberFormat {
    decimals: Option<u8>,
    scale: f64,
    scale_int: u64,
}

/// The largest number of decimals a writer accepts.
pub(crate) const MAX_DECIMALS: u8 = 12;

impl NumberFormat {
    pub(crate) fn new(decimals: Option<u8>) -> Result<Self> {
        match decimals {
            Some(d) if d > MAX_DECIMALS => Err(TracesError::invalid(
                "decimals",
                format!("{d} is more than {MAX_DECIMALS}"),
            )),
            Some(d) => Ok(NumberFormat {
                decimals,
                scale: 10f64.powi(i32::from(d)),
                scale_int: 10u64.pow(u32::from(d)),
            }),
            None => Ok(NumberFormat {
                decimals,
                scale: 1.0,
                scale_int: 1,
            }),
        }
    }

    /// Appends `v` (finite) to `out`.
    pub(crate) fn push(&self, out: &mut Vec<u8>, v: f64) {
        use std::io::Write as _;
        let Some(d) = self.decimals else {
            let _ = write!(out, "{}", if v == 0.0 { 0.0 } else { v });
            return;
        };
        // Round half away from zero; a cast is much faster than `round`.
        let x = v * self.scale;
        let x = if x.abs() < 1e15 {
            (x + 0.5f64.copysign(x)) as i64 as f64
        } else {
            x
        };
        if x.abs() >= 1e15 || x.is_nan() {
            // Too large for the integer path: let `fmt` round it.
            let start = out.len();
            let _ = write!(out, "{:.*}", usize::from(d), v);
            trim_fraction(out, start);
            return;
        }
        if x == 0.0 {
            out.push(b'0');
            return;
        }
        // Build the text right to left on the stack, then copy it once.
        let mut buf = [0u8; 40];
        let mut i = buf.len();
        let n = x.abs() as u64;
        let mut int = n / self.scale_int;
        let mut frac = n % self.scale_int;
        if frac != 0 {
            let mut digits = usize::from(d);
            while frac.is_multiple_of(10) {
                frac /= 10;
                digits -= 1;
            }
            for _ in 0..digits {
                i -= 1;
                buf[i] = b'0' + (frac % 10) as u8;
                frac /= 10;
            }
            i -= 1;
            buf[i] = b'.';
        }
        loop {
            i -= 1;
            buf[i] = b'0' + (int % 10) as u8;
            int /= 10;
            if int == 0 {
                break;
            }
        }
        if x < 0.0 {
            i -= 1;
            buf[i] = b'-';
        }
        out.extend_from_slice(&buf[i..]);
    }
}

/// Drops trailing zeros of a decimal fraction written from `start` on.
fn trim_fraction(out: &mut Vec<u8>, start: usize) {
    if out[start..].contains(&b'.') {
        while out.last() == Some(&b'0') {
            out.pop();
        }
        if out.last() == Some(&b'.') {
            out.pop();
        }
    }
}

pub(crate) fn push_u64(out: &mut Vec<u8>, mut n: u64) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&buf[i..]);
}

/// The file name without its extension, for a default household id.
pub(crate) fn file_stem(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "household".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fmt(v: f64, d: Option<u8>) -> String {
        let mut out = Vec::new();
        NumberFormat::new(d).unwrap().push(&mut out, v);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn formats_numbers() {
        assert_eq!(fmt(0.0, Some(4)), "0");
        assert_eq!(fmt(-0.0, Some(4)), "0");
        assert_eq!(fmt(0.00004, Some(4)), "0");
        assert_eq!(fmt(0.00005, Some(4)), "0.0001");
        assert_eq!(fmt(0.1, Some(4)), "0.1");
        assert_eq!(fmt(1.23456, Some(4)), "1.2346");
        assert_eq!(fmt(-2.5, Some(4)), "-2.5");
        assert_eq!(fmt(-0.0123, Some(4)), "-0.0123");
        assert_eq!(fmt(12.0, Some(0)), "12");
        assert_eq!(fmt(1e300, Some(2)).len(), 301);
        assert_eq!(fmt(1.5e16, Some(4)), "15000000000000000");
        assert_eq!(fmt(0.1 + 0.2, None), "0.30000000000000004");
        assert_eq!(fmt(-0.0, None), "0");
        for v in [0.0305, 7.00009, 123.45678, 1e-5, 0.99995] {
            let s = fmt(v, Some(4));
            assert!(
                (s.parse::<f64>().unwrap() - v).abs() <= 0.5e-4 + 1e-12,
                "{v} {s}"
            );
        }
        assert!(NumberFormat::new(Some(13)).is_err());
    }

    #[test]
    fn splits_csv() {
        let f = split_csv(" a , b,c").unwrap();
        assert_eq!(f, ["a", "b", "c"]);
        let f = split_csv(r#""a,b", "say ""hi""" ,,x"#).unwrap();
        assert_eq!(f, ["a,b", "say \"hi\"", "", "x"]);
        assert!(split_csv(r#""open"#).is_err());
        assert!(split_csv(r#""a"b"#).is_err());
        assert!(split_csv(r#"a"b,c"#).is_err());
        assert_eq!(split_csv("").unwrap(), [""]);
    }

    #[test]
    fn parses_times() {
        assert_eq!(parse_hhmm("00:00"), Some(0));
        assert_eq!(parse_hhmm("9:30"), Some(570));
        assert_eq!(parse_hhmm("23:59:00"), Some(1439));
        assert_eq!(parse_hhmm("24:00"), None);
        assert_eq!(parse_hhmm("12:60"), None);
        assert_eq!(parse_hhmm("12:5"), None);
        assert_eq!(parse_hhmm("h1"), None);
        assert_eq!(parse_hhmm("+1:00"), None);
        let (d, m) = parse_timestamp("2024-03-01T13:10").unwrap();
        assert_eq!((d.to_string().as_str(), m), ("2024-03-01", 790));
        assert!(parse_timestamp("2024-03-01 13:10:00").is_ok());
        for s in [
            "2024-03-01T13:10:30",
            "2024-03-01X13:10",
            "2024-02-30T13:10",
            "2024-03-01T1:10",
            "2024-03-01T13:10:",
            "2024-03-01T13-10",
            "é024-03-01T13:10",
        ] {
            assert!(parse_timestamp(s).is_err(), "{s}");
        }
    }
}
