//! Writing results: a locked, buffered stdout, JSON documents, and number
//! formatting for humans.
//!
//! Nothing here panics on a closed pipe: every write returns the
//! `io::Error`, which the entry point treats as success when it is
//! `BrokenPipe`.

use std::fmt::Display;
use std::io::{self, BufWriter, Write};

use serde::Serialize;
use sfumato_dp::ExactScale;

use crate::error::CliError;

/// Where a command prints: stdout, buffered, in text or JSON mode.
pub(crate) struct Output {
    out: BufWriter<Box<dyn Write + Send>>,
    json: bool,
}

impl Output {
    /// Buffered stdout. Not locked for the whole run: timely's networking
    /// threads print to stdout while a cluster connects, and must not block.
    pub(crate) fn stdout(json: bool) -> Self {
        Output {
            out: BufWriter::new(Box::new(io::stdout())),
            json,
        }
    }

    /// An output that discards everything (a command run for its side
    /// effects, such as the dashboard's default scenarios).
    pub(crate) fn sink() -> Self {
        Output {
            out: BufWriter::new(Box::new(io::sink())),
            json: false,
        }
    }

    /// Whether `--json` was given: the command must print exactly one JSON
    /// document and nothing else.
    pub(crate) fn is_json(&self) -> bool {
        self.json
    }

    /// The underlying writer, for commands that stream.
    pub(crate) fn writer(&mut self) -> &mut impl Write {
        &mut self.out
    }

    /// Writes one line of text.
    pub(crate) fn line(&mut self, text: impl Display) -> Result<(), CliError> {
        writeln!(self.out, "{text}")?;
        Ok(())
    }

    /// Writes `value` as one JSON document followed by a newline.
    pub(crate) fn json<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), CliError> {
        serde_json::to_writer(&mut self.out, value)?;
        writeln!(self.out)?;
        Ok(())
    }

    /// Flushes what is buffered; call once at the end of a successful run.
    pub(crate) fn finish(mut self) -> Result<(), CliError> {
        self.out.flush()?;
        Ok(())
    }
}

/// A real number for humans: plain digits between 10⁻⁴ and 10¹⁵, scientific
/// notation outside (so `9.6e-49` does not print as fifty zeros). Shortest
/// digits that read back to the same `f64`.
pub(crate) fn number(x: f64) -> String {
    let a = x.abs();
    if x == 0.0 || !x.is_finite() || (1e-4..1e15).contains(&a) {
        format!("{x}")
    } else {
        format!("{x:e}")
    }
}

/// `x` rounded to `decimals` places with thousands separators:
/// `grouped(1234567.891, 1)` is `"1,234,567.9"`.
pub(crate) fn grouped(x: f64, decimals: usize) -> String {
    if !x.is_finite() {
        return format!("{x}");
    }
    let text = format!("{:.*}", decimals, x.abs());
    let (int, frac) = text.split_once('.').unwrap_or((&text, ""));
    let mut out = String::with_capacity(text.len() + text.len() / 3 + 1);
    if x < 0.0 && text.bytes().any(|b| b.is_ascii_digit() && b != b'0') {
        out.push('-');
    }
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if !frac.is_empty() {
        out.push('.');
        out.push_str(frac);
    }
    out
}

/// `x` with an explicit sign, grouped: `"+1,234.5"`, `"-12.0"`.
pub(crate) fn signed(x: f64, decimals: usize) -> String {
    let body = grouped(x, decimals);
    if body.starts_with('-') {
        body
    } else {
        format!("+{body}")
    }
}

/// A fraction as a percentage with `decimals` places: `percent(0.00162, 3)` is
/// `"0.162 %"`.
pub(crate) fn percent(x: f64, decimals: usize) -> String {
    format!("{:.*} %", decimals, 100.0 * x)
}

/// An exact scale as the samplers read it back: `t`, or `t/s`.
pub(crate) fn exact_scale(scale: &ExactScale) -> String {
    match scale.denominator() {
        1 => scale.numerator().to_string(),
        d => format!("{}/{d}", scale.numerator()),
    }
}

/// Human bytes: 1.2 GB, 340 MB, 12 kB, 312 B.
pub(crate) fn human_bytes(b: u64) -> String {
    let b = b as f64;
    if b >= 1e9 {
        format!("{:.2} GB", b / 1e9)
    } else if b >= 1e6 {
        format!("{:.0} MB", b / 1e6)
    } else if b >= 1e4 {
        format!("{:.0} kB", b / 1e3)
    } else {
        format!("{b:.0} B")
    }
}

/// What another runtime adds to a simulator command's report (`sfumato
/// net …`): its command name, fields merged into the JSON document, and
/// lines printed at the end in place of the simulator's run facts.
pub(crate) struct ReportExtra {
    pub(crate) command: &'static str,
    pub(crate) json: serde_json::Map<String, serde_json::Value>,
    pub(crate) lines: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_for_humans() {
        assert_eq!(number(47.0), "47");
        assert_eq!(number(0.995), "0.995");
        assert_eq!(number(9.6e-49), "9.6e-49");
        assert_eq!(number(0.0), "0");
        assert_eq!(grouped(1_234_567.891, 1), "1,234,567.9");
        assert_eq!(grouped(-1234.0, 0), "-1,234");
        assert_eq!(grouped(-0.01, 1), "0.0");
        assert_eq!(grouped(999.0, 0), "999");
        assert_eq!(signed(12.26, 1), "+12.3");
        assert_eq!(signed(-2101.0, 0), "-2,101");
        assert_eq!(percent(0.00162, 3), "0.162 %");
    }
}
