//! Opening a store, writing a run in one transaction, reading runs back.

use std::collections::BTreeMap;
use std::path::Path;

use rusqlite::{Connection, OpenFlags, params};
use serde::{Deserialize, Serialize};

use crate::error::{Result, ResultsError};
use crate::record::{
    AnswerRecord, CentroidStage, IterationRecord, Kind, NewRun, SeriesRecord, SlotRecord,
    TimingRecord, TrafficRecord,
};
use crate::schema;

/// A run's id in its store.
pub type RunId = i64;

/// A run in the list.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunSummary {
    /// Its id.
    pub id: RunId,
    /// Which command.
    pub kind: Kind,
    /// Its label.
    pub label: String,
    /// When it was recorded (seconds since the Unix epoch).
    pub created_unix: i64,
    /// Its seed.
    pub seed: u64,
    /// Whether an insecure stand-in ran.
    pub insecure: bool,
}

/// A run, whole.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    /// Its id.
    pub id: RunId,
    /// What was recorded.
    pub run: NewRun,
}

/// A results store.
#[derive(Debug)]
pub struct Store {
    conn: Connection,
}

fn finite(what: &str, x: f64) -> Result<f64> {
    if x.is_finite() {
        Ok(x)
    } else {
        Err(ResultsError::Invalid(format!(
            "{what} is not a finite number"
        )))
    }
}

fn finite_opt(what: &str, x: Option<f64>) -> Result<Option<f64>> {
    x.map(|v| finite(what, v)).transpose()
}

fn finite_vec(what: &str, v: &[f64]) -> Result<String> {
    for x in v {
        finite(what, *x)?;
    }
    Ok(serde_json::to_string(v)?)
}

/// Writes timing and traffic rows of run `id` with `verb` (`INSERT`, or
/// `INSERT OR REPLACE` to update figures measured later).
fn insert_figures(
    tx: &rusqlite::Transaction<'_>,
    verb: &str,
    id: RunId,
    timings: &[TimingRecord],
    traffic: &[TrafficRecord],
) -> Result<()> {
    for t in timings {
        tx.execute(
            &format!(
                "{verb} INTO timings (run, operation, key_bits, iteration, micros_per_participant, measured)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
            ),
            params![
                id,
                t.operation,
                t.key_bits,
                t.iteration,
                finite("a timing", t.micros_per_participant)?,
                t.measured,
            ],
        )?;
    }
    for t in traffic {
        tx.execute(
            &format!(
                "{verb} INTO traffic (run, key_bits, bytes_per_participant, messages_per_participant)
                 VALUES (?1, ?2, ?3, ?4)"
            ),
            params![
                id,
                t.key_bits,
                finite("traffic", t.bytes_per_participant)?,
                finite("traffic", t.messages_per_participant)?,
            ],
        )?;
    }
    Ok(())
}

impl Store {
    /// Opens the store at `path`, creating it if the file does not exist
    /// (or is an empty database). Another application's SQLite file, a file
    /// that is not SQLite, or a newer store's version is refused.
    pub fn open(path: &Path) -> Result<Store> {
        let name = path.display().to_string();
        let conn = Connection::open(path)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        schema::prepare(&conn, &name)?;
        Ok(Store { conn })
    }

    /// Opens an existing store read-only (the dashboard's view).
    pub fn open_read_only(path: &Path) -> Result<Store> {
        let name = path.display().to_string();
        if !path.is_file() {
            return Err(ResultsError::Foreign {
                path: name,
                why: "no such file".into(),
            });
        }
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        schema::verify(&conn, &name)?;
        Ok(Store { conn })
    }

    /// Records `run` in one transaction: all of it, or nothing.
    pub fn record(&mut self, run: &NewRun) -> Result<RunId> {
        let tx = self.conn.transaction()?;
        tx.execute(
            "INSERT INTO runs (kind, label, created_unix, seed, insecure, params, report)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                run.kind.name(),
                run.label,
                run.created_unix,
                run.seed as i64,
                run.insecure,
                serde_json::to_string(&run.params)?,
                serde_json::to_string(&run.report)?,
            ],
        )?;
        let id = tx.last_insert_rowid();
        for it in &run.iterations {
            tx.execute(
                "INSERT INTO iterations (run, iteration, epsilon, inertia_before, inertia_after)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![
                    id,
                    it.iteration,
                    finite_opt("ε", it.epsilon)?,
                    finite_opt("an inertia", it.inertia_before)?,
                    finite_opt("an inertia", it.inertia_after)?,
                ],
            )?;
            for (stage, cs) in [
                (CentroidStage::BeforeNoise, &it.centroids_before),
                (CentroidStage::AfterNoise, &it.centroids_after),
            ] {
                for (i, c) in cs.iter().enumerate() {
                    tx.execute(
                        "INSERT INTO centroids (run, iteration, stage, idx, vals)
                         VALUES (?1, ?2, ?3, ?4, ?5)",
                        params![
                            id,
                            it.iteration,
                            stage.name(),
                            i as i64,
                            finite_vec("a centroid", c)?
                        ],
                    )?;
                }
            }
        }
        insert_figures(&tx, "INSERT", id, &run.timings, &run.traffic)?;
        for s in &run.series {
            tx.execute(
                "INSERT INTO series (run, participant, vals) VALUES (?1, ?2, ?3)",
                params![id, s.participant, finite_vec("a series", &s.values)?],
            )?;
        }
        for s in &run.slots {
            tx.execute(
                "INSERT INTO slots (run, slot, published, truth, reporting) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![
                    id,
                    s.slot,
                    finite_opt("a published total", s.published)?,
                    finite("a true total", s.truth)?,
                    s.reporting.map(|r| r as i64),
                ],
            )?;
        }
        for a in &run.answers {
            tx.execute(
                "INSERT INTO answers (run, number, window, answer, truth, latency_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    id,
                    a.number as i64,
                    a.window,
                    serde_json::to_string(&a.answer)?,
                    serde_json::to_string(&a.truth)?,
                    finite("a latency", a.latency_ms)?,
                ],
            )?;
        }
        tx.commit()?;
        Ok(id)
    }

    /// Adds figures measured after run `id` was recorded (the dashboard's
    /// timings and traffic per key size), in one transaction; a timing or
    /// traffic row of the same key replaces the old one.
    pub fn add_figures(
        &mut self,
        id: RunId,
        timings: &[TimingRecord],
        traffic: &[TrafficRecord],
    ) -> Result<()> {
        let tx = self.conn.transaction()?;
        let exists: i64 = tx.query_row("SELECT count(*) FROM runs WHERE id = ?1", [id], |r| {
            r.get(0)
        })?;
        if exists == 0 {
            return Err(ResultsError::UnknownRun(id));
        }
        insert_figures(&tx, "INSERT OR REPLACE", id, timings, traffic)?;
        tx.commit()?;
        Ok(())
    }

    /// Every run, newest first.
    pub fn runs(&self) -> Result<Vec<RunSummary>> {
        let mut st = self.conn.prepare(
            "SELECT id, kind, label, created_unix, seed, insecure FROM runs ORDER BY id DESC",
        )?;
        let rows = st.query_map([], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, i64>(3)?,
                r.get::<_, i64>(4)?,
                r.get::<_, bool>(5)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (id, kind, label, created_unix, seed, insecure) = row?;
            out.push(RunSummary {
                id,
                kind: Kind::parse(&kind)
                    .ok_or_else(|| ResultsError::Invalid(format!("run {id} has kind `{kind}`")))?,
                label,
                created_unix,
                seed: seed as u64,
                insecure,
            });
        }
        Ok(out)
    }

    /// Run `id`, whole.
    pub fn run(&self, id: RunId) -> Result<RunRecord> {
        let head = self.conn.query_row(
            "SELECT kind, label, created_unix, seed, insecure, params, report FROM runs WHERE id = ?1",
            [id],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, i64>(2)?,
                    r.get::<_, i64>(3)?,
                    r.get::<_, bool>(4)?,
                    r.get::<_, String>(5)?,
                    r.get::<_, String>(6)?,
                ))
            },
        );
        let (kind, label, created_unix, seed, insecure, params, report) = match head {
            Ok(h) => h,
            Err(rusqlite::Error::QueryReturnedNoRows) => return Err(ResultsError::UnknownRun(id)),
            Err(e) => return Err(e.into()),
        };
        let kind = Kind::parse(&kind)
            .ok_or_else(|| ResultsError::Invalid(format!("run {id} has kind `{kind}`")))?;
        let mut run = NewRun::new(
            kind,
            label,
            seed as u64,
            serde_json::from_str(&params)?,
            serde_json::from_str(&report)?,
        );
        run.created_unix = created_unix;
        run.insecure = insecure;
        run.iterations = self.iterations(id)?;
        run.timings = self.timings(id)?;
        run.traffic = self.traffic(id)?;
        run.series = self.series(id)?;
        run.slots = self.slots(id)?;
        run.answers = self.answers(id)?;
        Ok(RunRecord { id, run })
    }

    fn iterations(&self, id: RunId) -> Result<Vec<IterationRecord>> {
        let mut st = self.conn.prepare(
            "SELECT iteration, epsilon, inertia_before, inertia_after FROM iterations
             WHERE run = ?1 ORDER BY iteration",
        )?;
        let mut its: BTreeMap<u32, IterationRecord> = BTreeMap::new();
        for row in st.query_map([id], |r| {
            Ok(IterationRecord {
                iteration: r.get(0)?,
                epsilon: r.get(1)?,
                inertia_before: r.get(2)?,
                inertia_after: r.get(3)?,
                centroids_before: Vec::new(),
                centroids_after: Vec::new(),
            })
        })? {
            let it = row?;
            its.insert(it.iteration, it);
        }
        let mut st = self.conn.prepare(
            "SELECT iteration, stage, vals FROM centroids WHERE run = ?1 ORDER BY iteration, stage, idx",
        )?;
        for row in st.query_map([id], |r| {
            Ok((
                r.get::<_, u32>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
            ))
        })? {
            let (i, stage, vals) = row?;
            let values: Vec<f64> = serde_json::from_str(&vals)?;
            let it = its.entry(i).or_insert_with(|| IterationRecord {
                iteration: i,
                ..IterationRecord::default()
            });
            if stage == CentroidStage::BeforeNoise.name() {
                it.centroids_before.push(values);
            } else {
                it.centroids_after.push(values);
            }
        }
        Ok(its.into_values().collect())
    }

    fn timings(&self, id: RunId) -> Result<Vec<TimingRecord>> {
        let mut st = self.conn.prepare(
            "SELECT operation, key_bits, iteration, micros_per_participant, measured FROM timings
             WHERE run = ?1 ORDER BY key_bits, operation, iteration",
        )?;
        let rows = st.query_map([id], |r| {
            Ok(TimingRecord {
                operation: r.get(0)?,
                key_bits: r.get(1)?,
                iteration: r.get(2)?,
                micros_per_participant: r.get(3)?,
                measured: r.get(4)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    fn traffic(&self, id: RunId) -> Result<Vec<TrafficRecord>> {
        let mut st = self.conn.prepare(
            "SELECT key_bits, bytes_per_participant, messages_per_participant FROM traffic
             WHERE run = ?1 ORDER BY key_bits",
        )?;
        let rows = st.query_map([id], |r| {
            Ok(TrafficRecord {
                key_bits: r.get(0)?,
                bytes_per_participant: r.get(1)?,
                messages_per_participant: r.get(2)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    fn series(&self, id: RunId) -> Result<Vec<SeriesRecord>> {
        let mut st = self
            .conn
            .prepare("SELECT participant, vals FROM series WHERE run = ?1 ORDER BY participant")?;
        let rows = st.query_map([id], |r| Ok((r.get::<_, u32>(0)?, r.get::<_, String>(1)?)))?;
        let mut out = Vec::new();
        for row in rows {
            let (participant, vals) = row?;
            out.push(SeriesRecord {
                participant,
                values: serde_json::from_str(&vals)?,
            });
        }
        Ok(out)
    }

    fn slots(&self, id: RunId) -> Result<Vec<SlotRecord>> {
        let mut st = self.conn.prepare(
            "SELECT slot, published, truth, reporting FROM slots WHERE run = ?1 ORDER BY slot",
        )?;
        let rows = st.query_map([id], |r| {
            Ok(SlotRecord {
                slot: r.get(0)?,
                published: r.get(1)?,
                truth: r.get(2)?,
                reporting: r.get::<_, Option<i64>>(3)?.map(|x| x as u64),
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    fn answers(&self, id: RunId) -> Result<Vec<AnswerRecord>> {
        let mut st = self.conn.prepare(
            "SELECT number, window, answer, truth, latency_ms FROM answers WHERE run = ?1 ORDER BY number",
        )?;
        let rows = st.query_map([id], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, u32>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, f64>(4)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (number, window, answer, truth, latency_ms) = row?;
            out.push(AnswerRecord {
                number: number as u64,
                window,
                answer: serde_json::from_str(&answer)?,
                truth: serde_json::from_str(&truth)?,
                latency_ms,
            });
        }
        Ok(out)
    }
}
