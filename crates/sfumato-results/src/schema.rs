//! The store's tables, and how a file is recognised as a store: SQLite's
//! `application_id` is [`APPLICATION_ID`] and `user_version` is
//! [`VERSION`].

use rusqlite::Connection;

use crate::error::{Result, ResultsError};

/// `PRAGMA application_id` of a results store: "SFRS".
pub const APPLICATION_ID: i64 = 0x5346_5253;

/// The schema version this build writes and reads.
pub const VERSION: i64 = 1;

/// The tables. Figures the dashboard draws are rows; each run also keeps
/// its parameters and full report as JSON.
pub const TABLES: &str = "
CREATE TABLE runs (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('cluster', 'dream', 'query')),
    label TEXT NOT NULL,
    created_unix INTEGER NOT NULL,
    seed INTEGER NOT NULL,
    insecure INTEGER NOT NULL,
    params TEXT NOT NULL,
    report TEXT NOT NULL
);
CREATE TABLE iterations (
    run INTEGER NOT NULL REFERENCES runs(id),
    iteration INTEGER NOT NULL,
    epsilon REAL,
    inertia_before REAL,
    inertia_after REAL,
    PRIMARY KEY (run, iteration)
);
CREATE TABLE centroids (
    run INTEGER NOT NULL REFERENCES runs(id),
    iteration INTEGER NOT NULL,
    stage TEXT NOT NULL CHECK (stage IN ('before_noise', 'after_noise')),
    idx INTEGER NOT NULL,
    vals TEXT NOT NULL,
    PRIMARY KEY (run, iteration, stage, idx)
);
CREATE TABLE timings (
    run INTEGER NOT NULL REFERENCES runs(id),
    operation TEXT NOT NULL,
    key_bits INTEGER NOT NULL,
    iteration INTEGER NOT NULL,
    micros_per_participant REAL NOT NULL,
    measured INTEGER NOT NULL,
    PRIMARY KEY (run, operation, key_bits, iteration)
);
CREATE TABLE traffic (
    run INTEGER NOT NULL REFERENCES runs(id),
    key_bits INTEGER NOT NULL,
    bytes_per_participant REAL NOT NULL,
    messages_per_participant REAL NOT NULL,
    PRIMARY KEY (run, key_bits)
);
CREATE TABLE series (
    run INTEGER NOT NULL REFERENCES runs(id),
    participant INTEGER NOT NULL,
    vals TEXT NOT NULL,
    PRIMARY KEY (run, participant)
);
CREATE TABLE slots (
    run INTEGER NOT NULL REFERENCES runs(id),
    slot INTEGER NOT NULL,
    published REAL,
    truth REAL NOT NULL,
    reporting INTEGER,
    PRIMARY KEY (run, slot)
);
CREATE TABLE answers (
    run INTEGER NOT NULL REFERENCES runs(id),
    number INTEGER NOT NULL,
    window INTEGER NOT NULL,
    answer TEXT NOT NULL,
    truth TEXT NOT NULL,
    latency_ms REAL NOT NULL,
    PRIMARY KEY (run, number)
);
";

/// The file's `application_id`; a file that is not SQLite is foreign.
fn application_id(conn: &Connection, path: &str) -> Result<i64> {
    conn.query_row("PRAGMA application_id", [], |r| r.get(0))
        .map_err(|e| match e {
            rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::NotADatabase => {
                ResultsError::Foreign {
                    path: path.to_string(),
                    why: "not an SQLite database".to_string(),
                }
            }
            e => ResultsError::Sqlite(e),
        })
}

/// Checks that `conn`, whose `application_id` is `app`, is a store of the
/// version this build reads. `path` names it in errors.
fn check(conn: &Connection, path: &str, app: i64) -> Result<()> {
    if app != APPLICATION_ID {
        return Err(ResultsError::Foreign {
            path: path.to_string(),
            why: "another application's SQLite database".to_string(),
        });
    }
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if version != VERSION {
        return Err(ResultsError::Version {
            path: path.to_string(),
            found: version,
            supported: VERSION,
        });
    }
    Ok(())
}

/// Checks that `conn` is a store (of a version this build reads), for
/// reading only.
pub fn verify(conn: &Connection, path: &str) -> Result<()> {
    let app = application_id(conn, path)?;
    check(conn, path, app)
}

/// Makes `conn` a store if it is a new, empty database; checks that it is
/// one (of a version this build reads) otherwise. `path` names it in
/// errors.
pub fn prepare(conn: &Connection, path: &str) -> Result<()> {
    let app = application_id(conn, path)?;
    let tables: i64 = conn.query_row(
        "SELECT count(*) FROM sqlite_master WHERE type = 'table'",
        [],
        |r| r.get(0),
    )?;
    if app == 0 && tables == 0 {
        conn.execute_batch(&format!(
            "BEGIN; {TABLES} PRAGMA application_id = {APPLICATION_ID}; PRAGMA user_version = {VERSION}; COMMIT;"
        ))?;
        return Ok(());
    }
    check(conn, path, app)
}
