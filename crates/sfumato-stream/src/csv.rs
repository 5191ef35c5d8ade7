//! The DEBS 2014 Grand Challenge's CSV format.
//!
//! One event a line, seven comma-separated fields and no header:
//!
//! ```text
//! id,timestamp,value,property,plug_id,household_id,house_id
//! 0,1377986401,68.451,0,11,0,0
//! ```
//!
//! `id` is a `u64`; `timestamp`, `plug_id`, `household_id` and `house_id`
//! are `u32`; `value` is a finite, non-negative decimal (kWh for work, W for
//! load) and `property` is `0` (work) or `1` (load). The reader also accepts
//! one optional header line starting with `id` as the first line, blank lines,
//! CRLF line ends and spaces around fields; anything else is a
//! [`StreamError::Input`] naming the line, the field and the offending text.
//!
//! The reader is built for throughput: one reused line buffer, fields split
//! by hand over bytes, integers parsed by hand, only the value going through
//! [`str::parse::<f32>`].

use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;

use crate::error::{Result, StreamError};
use crate::event::{Event, Property};

/// The challenge's field names, in file order.
const FIELDS: [&str; 7] = [
    "id",
    "timestamp",
    "value",
    "property",
    "plug_id",
    "household_id",
    "house_id",
];

/// How much of a bad field an error message quotes.
const QUOTE_MAX: usize = 40;

/// Reads DEBS 2014 events from a buffered reader, as an iterator or in
/// batches ([`CsvReader::read_batch`], the fast path).
///
/// Line numbers in errors are 1-based and count every line, blank or header
/// included. After a bad line the reader carries on with the next one; after
/// an I/O error it stops.
#[derive(Debug)]
pub struct CsvReader<R: BufRead> {
    reader: R,
    source_name: String,
    line: u64,
    buf: Vec<u8>,
    done: bool,
}

impl<R: BufRead> CsvReader<R> {
    /// A reader of `reader`; `source_name` (a file name, or "input") is
    /// quoted in errors.
    pub fn new(reader: R, source_name: impl Into<String>) -> Self {
        CsvReader {
            reader,
            source_name: source_name.into(),
            line: 0,
            buf: Vec::with_capacity(128),
            done: false,
        }
    }

    /// The source name given to [`CsvReader::new`].
    pub fn source_name(&self) -> &str {
        &self.source_name
    }

    /// The number of lines read so far (the line of the last event or error).
    pub fn line(&self) -> u64 {
        self.line
    }

    /// Appends up to `max` events to `out` and returns how many; 0 means the
    /// input is exhausted (or `max` is 0).
    ///
    /// On a bad line it returns the error; the events read before it in this
    /// call stay appended to `out`, and the next call resumes after the bad
    /// line.
    pub fn read_batch(&mut self, out: &mut Vec<Event>, max: usize) -> Result<usize> {
        let mut n = 0;
        while n < max {
            match self.next_event()? {
                Some(e) => {
                    out.push(e);
                    n += 1;
                }
                None => break,
            }
        }
        Ok(n)
    }

    /// The next event, `None` at the end of the input.
    fn next_event(&mut self) -> Result<Option<Event>> {
        loop {
            if self.done {
                return Ok(None);
            }
            self.buf.clear();
            let read = match self.reader.read_until(b'\n', &mut self.buf) {
                Ok(read) => read,
                Err(e) => {
                    self.done = true;
                    return Err(StreamError::io(
                        format!("reading {}, line {}", self.source_name, self.line + 1),
                        e,
                    ));
                }
            };
            if read == 0 {
                self.done = true;
                return Ok(None);
            }
            self.line += 1;
            let mut text: &[u8] = &self.buf;
            if self.line == 1 {
                text = text.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(text);
            }
            let text = trim(text);
            if text.is_empty() {
                continue;
            }
            if self.line == 1 && text.starts_with(b"id") {
                continue;
            }
            return match parse_line(text) {
                Ok(e) => Ok(Some(e)),
                Err(message) => Err(StreamError::Input {
                    source_name: self.source_name.clone(),
                    line: self.line,
                    message,
                }),
            };
        }
    }
}

impl<R: BufRead> Iterator for CsvReader<R> {
    type Item = Result<Event>;

    fn next(&mut self) -> Option<Result<Event>> {
        self.next_event().transpose()
    }
}

/// Reads every event of the file at `path`.
pub fn read_file(path: &Path) -> Result<Vec<Event>> {
    let file =
        File::open(path).map_err(|e| StreamError::io(format!("opening {}", path.display()), e))?;
    let mut reader = CsvReader::new(
        BufReader::with_capacity(1 << 16, file),
        path.display().to_string(),
    );
    let mut out = Vec::new();
    while reader.read_batch(&mut out, 1 << 16)? > 0 {}
    Ok(out)
}

/// Writes `e` as one line of the challenge's format, the value with three
/// decimals as in the challenge's files.
pub fn write_event<W: Write>(w: &mut W, e: &Event) -> std::io::Result<()> {
    writeln!(
        w,
        "{},{},{:.3},{},{},{},{}",
        e.id,
        e.timestamp,
        e.value,
        e.property.code(),
        e.plug,
        e.household,
        e.house
    )
}

/// `s` without leading and trailing spaces, tabs, CR and LF.
fn trim(s: &[u8]) -> &[u8] {
    let is_space = |b: &u8| matches!(b, b' ' | b'\t' | b'\r' | b'\n');
    let start = s.iter().position(|b| !is_space(b)).unwrap_or(s.len());
    let end = s
        .iter()
        .rposition(|b| !is_space(b))
        .map_or(start, |i| i + 1);
    &s[start..end]
}

/// Parses one non-blank line; the error is the message of a
/// [`StreamError::Input`].
fn parse_line(text: &[u8]) -> std::result::Result<Event, String> {
    let mut fields: [&[u8]; 7] = [&[]; 7];
    let mut count = 0;
    for field in text.split(|&b| b == b',') {
        if count < fields.len() {
            fields[count] = trim(field);
        }
        count += 1;
    }
    if count != fields.len() {
        return Err(format!(
            "expected 7 fields ({}), found {count}",
            FIELDS.join(",")
        ));
    }
    let id = parse_uint(fields[0], u64::MAX).map_err(|why| bad_field(0, fields[0], why))?;
    let timestamp = parse_u32(1, fields[1])?;
    let value = parse_value(fields[2])?;
    let code = parse_uint(fields[3], 1).map_err(|_| bad_field(3, fields[3], "must be 0 or 1"))?;
    let property = match Property::from_code(code as u8) {
        Some(p) => p,
        None => return Err(bad_field(3, fields[3], "must be 0 or 1")),
    };
    Ok(Event {
        id,
        timestamp,
        value,
        property,
        plug: parse_u32(4, fields[4])?,
        household: parse_u32(5, fields[5])?,
        house: parse_u32(6, fields[6])?,
    })
}

/// Field `index` as a `u32`.
fn parse_u32(index: usize, field: &[u8]) -> std::result::Result<u32, String> {
    parse_uint(field, u64::from(u32::MAX))
        .map(|v| v as u32)
        .map_err(|why| bad_field(index, field, why))
}

/// A decimal integer of at most `max`, digits only.
fn parse_uint(field: &[u8], max: u64) -> std::result::Result<u64, &'static str> {
    if field.is_empty() {
        return Err("is empty");
    }
    let mut v: u64 = 0;
    for &b in field {
        let d = b.wrapping_sub(b'0');
        if d > 9 {
            return Err("is not a non-negative integer");
        }
        v = match v.checked_mul(10).and_then(|v| v.checked_add(u64::from(d))) {
            Some(v) if v <= max => v,
            _ => return Err("is out of range"),
        };
    }
    Ok(v)
}

/// The value field: a finite, non-negative decimal.
fn parse_value(field: &[u8]) -> std::result::Result<f32, String> {
    let text = std::str::from_utf8(field).map_err(|_| bad_field(2, field, "is not a number"))?;
    let v: f32 = text
        .parse()
        .map_err(|_| bad_field(2, field, "is not a number"))?;
    if !v.is_finite() {
        return Err(bad_field(2, field, "is not finite"));
    }
    if v < 0.0 {
        return Err(bad_field(2, field, "is negative"));
    }
    Ok(v)
}

/// "field 3 (value) `abc` is not a number".
fn bad_field(index: usize, field: &[u8], why: &str) -> String {
    let text = String::from_utf8_lossy(field);
    let quoted: String = if text.chars().count() > QUOTE_MAX {
        text.chars().take(QUOTE_MAX).chain("…".chars()).collect()
    } else {
        text.into_owned()
    };
    format!(
        "field {} ({}) `{quoted}` {why}",
        index + 1,
        FIELDS.get(index).copied().unwrap_or("?")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all(text: &str) -> Result<Vec<Event>> {
        CsvReader::new(text.as_bytes(), "test").collect()
    }

    fn input_error(text: &str) -> (u64, String) {
        match read_all(text) {
            Err(StreamError::Input {
                source_name,
                line,
                message,
            }) => {
                assert_eq!(source_name, "test");
                (line, message)
            }
            other => panic!("expected an input error, got {other:?}"),
        }
    }

    #[test]
    fn reads_the_challenge_format() {
        let events = read_all("0,1377986401,68.451,0,11,0,0\n1,1377986401,19.927,1,11,0,0\n")
            .expect("valid input");
        assert_eq!(
            events,
            vec![
                Event {
                    id: 0,
                    timestamp: 1_377_986_401,
                    value: 68.451,
                    property: Property::Work,
                    plug: 11,
                    household: 0,
                    house: 0,
                },
                Event {
                    id: 1,
                    timestamp: 1_377_986_401,
                    value: 19.927,
                    property: Property::Load,
                    plug: 11,
                    household: 0,
                    house: 0,
                },
            ]
        );
    }

    #[test]
    fn accepts_header_blank_lines_crlf_and_no_final_newline() {
        let text = "id,timestamp,value,property,plug_id,household_id,house_id\r\n\r\n\
                    5,10,1.5,1,2,3,4\r\n\n6,11,0,0,2,3,4";
        let events = read_all(text).expect("valid input");
        assert_eq!(events.len(), 2);
        assert_eq!(events[0].id, 5);
        assert_eq!(events[1].value, 0.0);
        assert_eq!(events[1].house, 4);
    }

    #[test]
    fn header_only_on_the_first_line() {
        let (line, message) = input_error("0,1,1.0,1,0,0,0\nid,timestamp\n");
        assert_eq!(line, 2);
        assert!(message.contains("expected 7 fields"), "{message}");
    }

    #[test]
    fn rejects_bad_lines_with_field_and_text() {
        let cases = [
            ("1,2,3\n", "expected 7 fields"),
            ("1,2,3,1,0,0,0,9\n", "found 8"),
            ("x,2,3.0,1,0,0,0\n", "field 1 (id) `x`"),
            ("1,2,abc,1,0,0,0\n", "field 3 (value) `abc` is not a number"),
            ("1,2,-1.5,1,0,0,0\n", "`-1.5` is negative"),
            ("1,2,inf,1,0,0,0\n", "`inf` is not finite"),
            ("1,2,NaN,1,0,0,0\n", "`NaN` is not finite"),
            ("1,2,3.0,2,0,0,0\n", "field 4 (property) `2` must be 0 or 1"),
            ("1,2,3.0,01x,0,0,0\n", "field 4 (property)"),
            (
                "1,4294967296,3.0,1,0,0,0\n",
                "field 2 (timestamp) `4294967296` is out of range",
            ),
            ("1,2,3.0,1,4294967296,0,0\n", "field 5 (plug_id)"),
            ("1,2,3.0,1,0,99999999999,0\n", "field 6 (household_id)"),
            ("1,2,3.0,1,0,0,-1\n", "field 7 (house_id) `-1`"),
            (
                "1,2,3.0,1,0,0,7abc\n",
                "`7abc` is not a non-negative integer",
            ),
            ("1,2,3.0x,1,0,0,7\n", "`3.0x` is not a number"),
            ("99999999999999999999,2,3,1,0,0,0\n", "field 1 (id)"),
            ("1,,3,1,0,0,0\n", "field 2 (timestamp) `` is empty"),
        ];
        for (text, expected) in cases {
            let (line, message) = input_error(text);
            assert_eq!(line, 1, "{text}");
            assert!(message.contains(expected), "{text}: {message}");
        }
    }

    #[test]
    fn long_bad_text_is_truncated_and_non_utf8_is_safe() {
        let long = "9".repeat(200);
        let (_, message) = input_error(&format!("{long},1,1,1,0,0,0\n"));
        assert!(message.len() < 120, "{message}");
        let bytes: &[u8] = b"1,2,\xff\xfe,1,0,0,0\n";
        let err = CsvReader::new(bytes, "bin")
            .next()
            .expect("one item")
            .expect_err("bad value");
        assert!(err.to_string().contains("line 1"), "{err}");
    }

    #[test]
    fn carries_on_after_a_bad_line() {
        let items: Vec<_> = CsvReader::new("1,2,3,1,0,0,0\nbad\n2,3,4,0,0,0,0\n".as_bytes(), "t")
            .map(|r| r.map(|e| e.id))
            .collect();
        assert_eq!(items.len(), 3);
        assert_eq!(items[0].as_ref().ok(), Some(&1));
        assert!(items[1].is_err());
        assert_eq!(items[2].as_ref().ok(), Some(&2));
    }

    #[test]
    fn read_batch_in_pieces() {
        let mut text = String::new();
        for i in 0..25u64 {
            text.push_str(&format!("{i},{},{}.5,1,{},0,0\n", 1000 + i, i, i % 3));
        }
        let mut reader = CsvReader::new(text.as_bytes(), "t");
        let mut out = Vec::new();
        let mut sizes = Vec::new();
        loop {
            let n = reader.read_batch(&mut out, 10).expect("valid");
            sizes.push(n);
            if n == 0 {
                break;
            }
        }
        assert_eq!(sizes, vec![10, 10, 5, 0]);
        assert_eq!(reader.read_batch(&mut out, 10).expect("end"), 0);
        assert!(out.iter().enumerate().all(|(i, e)| e.id == i as u64));
        assert_eq!(out[24].value, 24.5);
    }

    #[test]
    fn write_then_read_round_trips() {
        let events = [
            Event {
                id: 7,
                timestamp: u32::MAX,
                value: 12_345.678,
                property: Property::Work,
                plug: u32::MAX,
                household: 1,
                house: 39,
            },
            Event {
                id: u64::MAX,
                timestamp: 0,
                value: 0.001,
                property: Property::Load,
                plug: 0,
                household: 0,
                house: 0,
            },
        ];
        let mut bytes = Vec::new();
        for e in &events {
            write_event(&mut bytes, e).expect("write to memory");
        }
        let text = String::from_utf8(bytes.clone()).expect("ascii");
        assert!(text.starts_with("7,4294967295,12345.678,0,4294967295,1,39\n"));
        let back: Vec<Event> = CsvReader::new(&bytes[..], "t")
            .collect::<Result<_>>()
            .expect("valid");
        assert_eq!(back, events);
    }

    #[test]
    fn generated_stream_round_trips() {
        use crate::generate::{PlugStream, StreamConfig};
        let config = StreamConfig {
            houses: 2,
            plugs: 40,
            seconds: 180,
            ..StreamConfig::default()
        };
        let mut stream = PlugStream::new(&config).expect("valid config");
        let mut events = Vec::new();
        while stream.fill(&mut events, 1000) > 0 {}
        assert!(!events.is_empty());
        let mut bytes = Vec::new();
        for e in &events {
            write_event(&mut bytes, e).expect("write to memory");
        }
        let mut back = Vec::new();
        let mut reader = CsvReader::new(&bytes[..], "t");
        while reader.read_batch(&mut back, 777).expect("valid") > 0 {}
        assert_eq!(back, events);
    }

    #[test]
    fn read_file_reads_and_reports_missing_files() {
        let dir = std::env::temp_dir().join(format!("sfumato-stream-csv-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join("events.csv");
        std::fs::write(&path, "0,1377986401,68.451,0,11,0,0\n").expect("write");
        let events = read_file(&path).expect("valid file");
        assert_eq!(events.len(), 1);
        let missing = dir.join("missing.csv");
        assert!(matches!(read_file(&missing), Err(StreamError::Io { .. })));
        std::fs::remove_dir_all(&dir).ok();
    }
}
