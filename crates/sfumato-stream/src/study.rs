//! Running the queries as a user asks: from the generator or a challenge
//! file, on the reference or the dataflow, writing the challenge's files —
//! what `sfumato stream run` and `bench` call.

use std::fs::File;
use std::io::BufReader;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};

use crate::csv::CsvReader;
use crate::dataflow::{DataflowConfig, OutputSink, ProgressSink, SourceFactory};
use crate::error::{Result, StreamError};
use crate::files::OutputFiles;
use crate::generate::{PlugStream, StreamConfig};
use crate::migration::MigrationPlan;
use crate::processor::Outputs;
use crate::source::EventSource;

/// Where the events come from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Input {
    /// The seeded generator.
    Generate(StreamConfig),
    /// A DEBS 2014 CSV file.
    Csv(PathBuf),
}

fn open_csv(path: &Path) -> Result<CsvReader<BufReader<File>>> {
    let f = File::open(path)
        .map_err(|e| StreamError::io(format!("cannot open {}", path.display()), e))?;
    Ok(CsvReader::new(
        BufReader::with_capacity(1 << 20, f),
        path.display().to_string(),
    ))
}

impl Input {
    /// One source over the whole input (for the reference).
    pub fn open(&self) -> Result<Box<dyn EventSource>> {
        match self {
            Input::Generate(c) => Ok(Box::new(PlugStream::new(c)?)),
            Input::Csv(p) => Ok(Box::new(open_csv(p)?)),
        }
    }

    /// Sources for the dataflow: with the generator every worker generates
    /// a contiguous share of the houses; a file is read by worker 0.
    pub fn sources(&self) -> Arc<SourceFactory> {
        let input = self.clone();
        Arc::new(move |index, workers| match &input {
            Input::Generate(c) => {
                let h = c.houses as usize;
                let range = (index * h / workers) as u32..((index + 1) * h / workers) as u32;
                Ok(Box::new(PlugStream::houses(c, range)?) as Box<dyn EventSource>)
            }
            Input::Csv(p) if index == 0 => Ok(Box::new(open_csv(p)?) as Box<dyn EventSource>),
            Input::Csv(_) => Ok(Box::new(Vec::new().into_iter()) as Box<dyn EventSource>),
        })
    }

    /// Events in the input, when known in advance (the generator).
    pub fn total_events(&self) -> Option<u64> {
        match self {
            Input::Generate(c) => PlugStream::new(c).ok().map(|s| s.total_events()),
            Input::Csv(_) => None,
        }
    }

    /// The first event's timestamp.
    pub fn start(&self) -> Result<u32> {
        match self {
            Input::Generate(c) => Ok(c.start),
            Input::Csv(p) => {
                let mut r = open_csv(p)?;
                match r.next() {
                    Some(e) => Ok(e?.timestamp),
                    None => Err(StreamError::invalid(
                        "input",
                        format!("{} has no events", p.display()),
                    )),
                }
            }
        }
    }
}

/// A migration as a user gives it: `FIRST..END:WORKER@SECONDS` — move
/// houses `FIRST..END` to worker `WORKER`, duplicating their events from
/// `SECONDS` after the stream's start.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MigrationSpec {
    /// Houses moved.
    pub houses: Range<u32>,
    /// The worker they move to (over all processes).
    pub to: u32,
    /// Seconds of event time after the start at which duplication starts.
    pub at_seconds: u64,
    /// Epochs both produce outputs before the switch.
    pub agree_epochs: u64,
}

impl std::str::FromStr for MigrationSpec {
    type Err = StreamError;

    fn from_str(s: &str) -> Result<Self> {
        let bad = || {
            StreamError::invalid(
                "migrate",
                format!("`{s}` is not FIRST..END:WORKER@SECONDS (e.g. 0..10:1@1800)"),
            )
        };
        let (range, rest) = s.split_once(':').ok_or_else(bad)?;
        let (to, at) = rest.split_once('@').ok_or_else(bad)?;
        let (a, b) = range.split_once("..").ok_or_else(bad)?;
        let houses = a.trim().parse().map_err(|_| bad())?..b.trim().parse().map_err(|_| bad())?;
        if houses.is_empty() {
            return Err(StreamError::invalid(
                "migrate",
                format!("`{s}`: the house range is empty"),
            ));
        }
        Ok(MigrationSpec {
            houses,
            to: to.trim().parse().map_err(|_| bad())?,
            at_seconds: at.trim().trim_end_matches('s').parse().map_err(|_| bad())?,
            agree_epochs: 2,
        })
    }
}

impl MigrationSpec {
    /// The plan in epochs for a stream starting at `start`.
    pub fn plan(&self, start: u32, epoch_seconds: u32) -> MigrationPlan {
        let duplicate = (u64::from(start) + self.at_seconds) / u64::from(epoch_seconds.max(1));
        MigrationPlan {
            houses: self.houses.clone(),
            to: self.to,
            duplicate,
            snapshot: duplicate + 1,
            switch: duplicate + 1 + self.agree_epochs.max(1),
        }
    }
}

/// A sink writing the challenge's files into `dir`, and the files (to
/// finish after the run).
pub fn file_sink(dir: &Path) -> Result<(OutputSink, Arc<Mutex<OutputFiles>>)> {
    let files = Arc::new(Mutex::new(OutputFiles::create(dir)?));
    let f = files.clone();
    let sink: OutputSink = Arc::new(Mutex::new(move |o: &mut Outputs| {
        f.lock()
            .map_err(|_| StreamError::Runtime("output files poisoned".into()))?
            .write(o)
    }));
    Ok((sink, files))
}

/// Flushes the files of [`file_sink`].
pub fn finish_files(files: &Arc<Mutex<OutputFiles>>) -> Result<()> {
    files
        .lock()
        .map_err(|_| StreamError::Runtime("output files poisoned".into()))?
        .finish()
}

/// Runs the dataflow over `input`; with `out`, writes the challenge's
/// files there.
pub fn run_dataflow(
    input: &Input,
    config: &DataflowConfig,
    out: Option<&Path>,
    progress: Option<ProgressSink>,
) -> Result<Option<crate::dataflow::DataflowReport>> {
    let files = out.map(file_sink).transpose()?;
    let report = crate::dataflow::run_dataflow(
        config,
        input.sources(),
        files.as_ref().map(|(s, _)| s.clone()),
        progress,
    )?;
    if let Some((_, f)) = &files {
        finish_files(f)?;
    }
    Ok(report)
}

/// Runs the reference over `input`; with `out`, writes the challenge's
/// files there.
pub fn run_reference(
    input: &Input,
    out: Option<&Path>,
    progress: &mut dyn FnMut(u64),
) -> Result<crate::reference::ReferenceReport> {
    let mut files = out.map(OutputFiles::create).transpose()?;
    let mut source = input.open()?;
    let report = crate::reference::run_reference(
        source.as_mut(),
        &mut |o| match files.as_mut() {
            Some(f) => f.write(o),
            None => Ok(()),
        },
        progress,
    )?;
    if let Some(f) = files.as_mut() {
        f.finish()?;
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migration_specs_parse_or_say_what_is_wrong() {
        let m: MigrationSpec = "0..10:1@1800".parse().unwrap();
        assert_eq!(m.houses, 0..10);
        assert_eq!(m.to, 1);
        assert_eq!(m.at_seconds, 1800);
        let p = m.plan(1_377_993_600, 60);
        assert_eq!(p.duplicate, (1_377_993_600 + 1800) / 60);
        assert_eq!((p.snapshot, p.switch), (p.duplicate + 1, p.duplicate + 3));
        for bad in ["", "0..10", "0..10:1", "a..b:1@5", "5..5:1@0", "0..3:x@1"] {
            let e = bad.parse::<MigrationSpec>().unwrap_err().to_string();
            assert!(e.starts_with("migrate:"), "{e}");
        }
    }
}
