//! The outputs as the challenge's files.
//!
//! Query 1 (DEBS 2014): one stream per slice length and level —
//! `q1-house-<m>min.csv` with `ts,house_id,predicted_load` and
//! `q1-plug-<m>min.csv` with `ts,house_id,household_id,plug_id,predicted_load`,
//! where `ts` is the start of the slice forecast. Query 2: `q2-1h.csv` and
//! `q2-24h.csv` with `ts_start,ts_stop,house_id,percentage`. No header
//! lines; loads in W and percentages with three decimals; rows in the
//! canonical order (time made, then slice, then house and plug).

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::error::{Result, StreamError};
use crate::processor::Outputs;
use crate::q1::{SLICE_MINUTES, Target};
use crate::q2::WINDOWS;

/// The output files of one run.
pub struct OutputFiles {
    dir: PathBuf,
    house: Vec<BufWriter<File>>,
    plug: Vec<BufWriter<File>>,
    outliers: Vec<BufWriter<File>>,
}

impl std::fmt::Debug for OutputFiles {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OutputFiles")
            .field("dir", &self.dir)
            .finish()
    }
}

fn create(dir: &Path, name: String) -> Result<BufWriter<File>> {
    let path = dir.join(name);
    File::create(&path)
        .map(|f| BufWriter::with_capacity(1 << 20, f))
        .map_err(|e| StreamError::io(format!("cannot create {}", path.display()), e))
}

impl OutputFiles {
    /// Creates the directory (if needed) and the files in it.
    pub fn create(dir: &Path) -> Result<Self> {
        std::fs::create_dir_all(dir)
            .map_err(|e| StreamError::io(format!("cannot create {}", dir.display()), e))?;
        Ok(OutputFiles {
            dir: dir.to_path_buf(),
            house: SLICE_MINUTES
                .iter()
                .map(|m| create(dir, format!("q1-house-{m}min.csv")))
                .collect::<Result<_>>()?,
            plug: SLICE_MINUTES
                .iter()
                .map(|m| create(dir, format!("q1-plug-{m}min.csv")))
                .collect::<Result<_>>()?,
            outliers: ["1h", "24h"]
                .iter()
                .map(|w| create(dir, format!("q2-{w}.csv")))
                .collect::<Result<_>>()?,
        })
    }

    /// The names of the files, in the directory.
    pub fn names() -> Vec<String> {
        let mut v: Vec<String> = Vec::new();
        for level in ["house", "plug"] {
            for m in SLICE_MINUTES {
                v.push(format!("q1-{level}-{m}min.csv"));
            }
        }
        v.push("q2-1h.csv".into());
        v.push("q2-24h.csv".into());
        v
    }

    /// Appends `outputs` (sorted canonically by the caller).
    pub fn write(&mut self, outputs: &Outputs) -> Result<()> {
        let err = |e| StreamError::io("cannot write an output file", e);
        for f in &outputs.forecasts {
            let Some(i) = SLICE_MINUTES.iter().position(|&m| m == f.slice_minutes) else {
                continue;
            };
            match f.target {
                Target::House(h) => {
                    writeln!(self.house[i], "{},{},{:.3}", f.ts, h, f.predicted_load)
                }
                Target::Plug(p) => writeln!(
                    self.plug[i],
                    "{},{},{},{},{:.3}",
                    f.ts, p.house, p.household, p.plug, f.predicted_load
                ),
            }
            .map_err(err)?;
        }
        for o in &outputs.outliers {
            let i = usize::from(o.window != WINDOWS[0]);
            writeln!(
                self.outliers[i],
                "{},{},{},{:.3}",
                o.ts_start, o.ts_stop, o.house, o.percentage
            )
            .map_err(err)?;
        }
        Ok(())
    }

    /// Flushes every file.
    pub fn finish(&mut self) -> Result<()> {
        for f in self
            .house
            .iter_mut()
            .chain(self.plug.iter_mut())
            .chain(self.outliers.iter_mut())
        {
            f.flush()
                .map_err(|e| StreamError::io("cannot write an output file", e))?;
        }
        Ok(())
    }
}
