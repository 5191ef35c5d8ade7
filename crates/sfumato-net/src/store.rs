//! Durable state in SQLite (bundled; no server): a host's node
//! identities, each node's snapshot with its RNG position and pending
//! timers, the events its nodes reported, and optionally an audit log of
//! every message they sent.
//!
//! The host writes a batch of handler calls in one transaction and only
//! then lets their messages leave (write-ahead): a process killed at any
//! instant restarts from a state that has sent at most what the store
//! says, so a restarted meter never sends a second, differently noised
//! reading for a slot and a restarted supplier never settles a slot twice.
//! The file holds secrets: it is created readable by its owner only.

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OptionalExtension, params};
use sfumato_protocol::NodeId;
use zeroize::Zeroizing;

use crate::error::{NetError, Result};
use crate::identity::NodeIdentity;

/// The schema's version, kept in `meta`.
pub const SCHEMA_VERSION: i64 = 1;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS identities (node INTEGER PRIMARY KEY, key BLOB NOT NULL, certificate BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS nodes (node INTEGER PRIMARY KEY, state BLOB NOT NULL, rng_position INTEGER NOT NULL, timers BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS events (node INTEGER NOT NULL, seq INTEGER NOT NULL, time INTEGER NOT NULL, incarnation INTEGER NOT NULL, event TEXT NOT NULL, PRIMARY KEY (node, seq));
CREATE TABLE IF NOT EXISTS outbox (node INTEGER NOT NULL, seq INTEGER NOT NULL, dest INTEGER NOT NULL, time INTEGER NOT NULL, incarnation INTEGER NOT NULL, message BLOB NOT NULL, PRIMARY KEY (node, seq));
";

/// A node as the store last saw it.
pub struct SavedNode {
    /// The node.
    pub node: NodeId,
    /// Its snapshot (secret).
    pub state: Zeroizing<Vec<u8>>,
    /// Its RNG word position.
    pub rng_position: u64,
    /// Its pending timers, encoded by the host.
    pub timers: Vec<u8>,
}

/// An event as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredEvent {
    /// The node that reported it.
    pub node: NodeId,
    /// Its number among the node's events.
    pub seq: u64,
    /// When, in µs since the deployment's time zero.
    pub time: u64,
    /// The host's incarnation that reported it.
    pub incarnation: u64,
    /// The event, JSON.
    pub event: String,
}

/// A sent message as the audit log keeps it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SentMessage {
    /// The sender.
    pub node: NodeId,
    /// Its number among the sender's messages.
    pub seq: u64,
    /// The receiver.
    pub dest: NodeId,
    /// When, in µs since time zero.
    pub time: u64,
    /// The sender host's incarnation.
    pub incarnation: u64,
    /// The encoded message.
    pub message: Vec<u8>,
}

/// What one batch of handler calls changed.
#[derive(Default)]
pub struct Batch {
    /// Nodes to save.
    pub nodes: Vec<SavedNode>,
    /// Events to add.
    pub events: Vec<StoredEvent>,
    /// Messages to log.
    pub sent: Vec<SentMessage>,
}

impl Batch {
    /// Whether there is nothing to write.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty() && self.events.is_empty() && self.sent.is_empty()
    }
}

/// A host's store.
pub struct Store {
    conn: Connection,
    path: PathBuf,
}

impl core::fmt::Debug for Store {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish()
    }
}

fn u(x: i64) -> u64 {
    x.max(0) as u64
}

impl Store {
    /// Opens (creating if needed) the store in `path`. Errors: a file that
    /// is not SQLite, or a database that is not an sfumato store.
    pub fn open(path: &Path) -> Result<Store> {
        let existed = path.exists();
        let conn = Connection::open(path).map_err(|e| store_err(path, e))?;
        let s = Store {
            conn,
            path: path.to_path_buf(),
        };
        #[cfg(unix)]
        if !existed {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
                .map_err(|e| NetError::io(format!("protecting {}", path.display()), e))?;
        }
        let foreign: i64 = s
            .conn
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name NOT IN ('meta', 'identities', 'nodes', 'events', 'outbox')",
                [],
                |r| r.get(0),
            )
            .map_err(|e| s.err(e))?;
        if foreign > 0 {
            return Err(NetError::Store {
                path: path.display().to_string(),
                reason: "not an sfumato node store (it has other tables)".into(),
            });
        }
        s.conn
            .execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;")
            .map_err(|e| s.err(e))?;
        s.conn.execute_batch(SCHEMA).map_err(|e| s.err(e))?;
        match s.meta_i64("schema")? {
            None => s.put_meta_i64("schema", SCHEMA_VERSION)?,
            Some(SCHEMA_VERSION) => {}
            Some(v) => {
                return Err(NetError::Store {
                    path: path.display().to_string(),
                    reason: format!("schema version {v}, this build reads {SCHEMA_VERSION}"),
                });
            }
        }
        Ok(s)
    }

    fn err(&self, e: rusqlite::Error) -> NetError {
        store_err(&self.path, e)
    }

    /// A number kept under `key`.
    pub fn meta_i64(&self, key: &str) -> Result<Option<i64>> {
        self.conn
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()
            .map_err(|e| self.err(e))
    }

    /// Keeps `value` under `key`.
    pub fn put_meta_i64(&self, key: &str, value: i64) -> Result<()> {
        self.conn
            .execute(
                "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                params![key, value],
            )
            .map(|_| ())
            .map_err(|e| self.err(e))
    }

    /// Bytes kept under `key` (secret material of the host's nodes, such
    /// as a key share: the store is owner-only).
    pub fn meta_blob(&self, key: &str) -> Result<Option<Zeroizing<Vec<u8>>>> {
        self.conn
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| {
                r.get::<_, Vec<u8>>(0)
            })
            .optional()
            .map(|v| v.map(Zeroizing::new))
            .map_err(|e| self.err(e))
    }

    /// Keeps `value` under `key`.
    pub fn put_meta_blob(&self, key: &str, value: &[u8]) -> Result<()> {
        self.conn
            .execute(
                "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                params![key, value],
            )
            .map(|_| ())
            .map_err(|e| self.err(e))
    }

    /// The host's next incarnation: 1 on first start, one more at every
    /// restart.
    pub fn next_incarnation(&mut self) -> Result<u64> {
        let tx = self
            .conn
            .transaction()
            .map_err(|e| store_err(&self.path, e))?;
        let n: i64 = tx
            .query_row(
                "SELECT value FROM meta WHERE key = 'incarnation'",
                [],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| store_err(&self.path, e))?
            .unwrap_or(0)
            + 1;
        tx.execute(
            "INSERT INTO meta (key, value) VALUES ('incarnation', ?1) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            [n],
        )
        .map_err(|e| store_err(&self.path, e))?;
        tx.commit().map_err(|e| store_err(&self.path, e))?;
        Ok(u(n))
    }

    /// Stores node identities (replacing any of the same node).
    pub fn put_identities(&mut self, identities: &[NodeIdentity]) -> Result<()> {
        let tx = self
            .conn
            .transaction()
            .map_err(|e| store_err(&self.path, e))?;
        for i in identities {
            tx.execute(
                "INSERT OR REPLACE INTO identities (node, key, certificate) VALUES (?1, ?2, ?3)",
                params![i.id.0, i.key_pkcs8(), i.certificate],
            )
            .map_err(|e| store_err(&self.path, e))?;
        }
        tx.commit().map_err(|e| store_err(&self.path, e))
    }

    /// The stored identities, by node.
    pub fn identities(&self) -> Result<Vec<NodeIdentity>> {
        self.rows(
            "SELECT node, key, certificate FROM identities ORDER BY node",
            |r| {
                Ok((
                    r.get::<_, u32>(0)?,
                    Zeroizing::new(r.get::<_, Vec<u8>>(1)?),
                    r.get::<_, Vec<u8>>(2)?,
                ))
            },
        )?
        .into_iter()
        .map(|(id, key, cert)| NodeIdentity::from_parts(NodeId(id), &key, &cert))
        .collect()
    }

    /// Every saved node.
    pub fn saved_nodes(&self) -> Result<Vec<SavedNode>> {
        self.rows(
            "SELECT node, state, rng_position, timers FROM nodes ORDER BY node",
            |r| {
                Ok(SavedNode {
                    node: NodeId(r.get(0)?),
                    state: Zeroizing::new(r.get(1)?),
                    rng_position: u(r.get(2)?),
                    timers: r.get(3)?,
                })
            },
        )
    }

    /// Writes `batch` in one transaction.
    pub fn commit(&mut self, batch: &Batch) -> Result<()> {
        if batch.is_empty() {
            return Ok(());
        }
        let path = self.path.clone();
        let e = |e: rusqlite::Error| store_err(&path, e);
        let tx = self.conn.transaction().map_err(e)?;
        {
            let mut put = tx
                .prepare_cached("INSERT OR REPLACE INTO nodes (node, state, rng_position, timers) VALUES (?1, ?2, ?3, ?4)")
                .map_err(e)?;
            for n in &batch.nodes {
                put.execute(params![
                    n.node.0,
                    &n.state[..],
                    n.rng_position as i64,
                    n.timers
                ])
                .map_err(e)?;
            }
            let mut ev = tx
                .prepare_cached("INSERT OR REPLACE INTO events (node, seq, time, incarnation, event) VALUES (?1, ?2, ?3, ?4, ?5)")
                .map_err(e)?;
            for x in &batch.events {
                ev.execute(params![
                    x.node.0,
                    x.seq as i64,
                    x.time as i64,
                    x.incarnation as i64,
                    x.event
                ])
                .map_err(e)?;
            }
            let mut sent = tx
                .prepare_cached("INSERT OR REPLACE INTO outbox (node, seq, dest, time, incarnation, message) VALUES (?1, ?2, ?3, ?4, ?5, ?6)")
                .map_err(e)?;
            for m in &batch.sent {
                sent.execute(params![
                    m.node.0,
                    m.seq as i64,
                    m.dest.0,
                    m.time as i64,
                    m.incarnation as i64,
                    m.message
                ])
                .map_err(e)?;
            }
        }
        tx.commit().map_err(e)
    }

    /// Every row of `sql` (no parameters), mapped by `row`.
    fn rows<T>(
        &self,
        sql: &str,
        row: impl FnMut(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
    ) -> Result<Vec<T>> {
        let mut st = self.conn.prepare(sql).map_err(|e| self.err(e))?;
        let rows = st.query_map([], row).map_err(|e| self.err(e))?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| self.err(e))
    }

    /// Every stored event, by node and number.
    pub fn events(&self) -> Result<Vec<StoredEvent>> {
        self.rows(
            "SELECT node, seq, time, incarnation, event FROM events ORDER BY node, seq",
            |r| {
                Ok(StoredEvent {
                    node: NodeId(r.get(0)?),
                    seq: u(r.get(1)?),
                    time: u(r.get(2)?),
                    incarnation: u(r.get(3)?),
                    event: r.get(4)?,
                })
            },
        )
    }

    /// The number of events each node has stored (the next event's number).
    pub fn event_counts(&self) -> Result<Vec<(NodeId, u64)>> {
        self.rows("SELECT node, max(seq) + 1 FROM events GROUP BY node", |r| {
            Ok((NodeId(r.get(0)?), u(r.get(1)?)))
        })
    }

    /// The number of messages each node has logged.
    pub fn sent_counts(&self) -> Result<Vec<(NodeId, u64)>> {
        self.rows("SELECT node, max(seq) + 1 FROM outbox GROUP BY node", |r| {
            Ok((NodeId(r.get(0)?), u(r.get(1)?)))
        })
    }

    /// The audit log of sent messages, by sender and number.
    pub fn sent(&self) -> Result<Vec<SentMessage>> {
        self.rows(
            "SELECT node, seq, dest, time, incarnation, message FROM outbox ORDER BY node, seq",
            |r| {
                Ok(SentMessage {
                    node: NodeId(r.get(0)?),
                    seq: u(r.get(1)?),
                    dest: NodeId(r.get(2)?),
                    time: u(r.get(3)?),
                    incarnation: u(r.get(4)?),
                    message: r.get(5)?,
                })
            },
        )
    }
}

fn store_err(path: &Path, e: rusqlite::Error) -> NetError {
    NetError::Store {
        path: path.display().to_string(),
        reason: e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tmp(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("sfumato-store-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir.join("s.sqlite")
    }

    #[test]
    fn state_survives_reopening_and_incarnations_grow() {
        let p = tmp("reopen");
        let id = NodeIdentity::generate(NodeId(4)).unwrap();
        {
            let mut s = Store::open(&p).unwrap();
            assert_eq!(s.next_incarnation().unwrap(), 1);
            s.put_identities(std::slice::from_ref(&id)).unwrap();
            let mut b = Batch::default();
            b.nodes.push(SavedNode {
                node: NodeId(4),
                state: Zeroizing::new(vec![1, 2]),
                rng_position: 32,
                timers: vec![9],
            });
            b.events.push(StoredEvent {
                node: NodeId(4),
                seq: 0,
                time: 5,
                incarnation: 1,
                event: "{}".into(),
            });
            s.commit(&b).unwrap();
        }
        let mut s = Store::open(&p).unwrap();
        assert_eq!(s.next_incarnation().unwrap(), 2);
        assert_eq!(s.identities().unwrap()[0].certificate, id.certificate);
        let n = &s.saved_nodes().unwrap()[0];
        assert_eq!(
            (&n.state[..], n.rng_position, &n.timers[..]),
            (&[1u8, 2][..], 32, &[9u8][..])
        );
        assert_eq!(s.events().unwrap().len(), 1);
        assert_eq!(s.event_counts().unwrap(), vec![(NodeId(4), 1)]);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                std::fs::metadata(&p).unwrap().permissions().mode() & 0o777,
                0o600
            );
        }
    }

    #[test]
    fn foreign_and_corrupt_files_are_refused() {
        let p = tmp("foreign");
        {
            let c = Connection::open(&p).unwrap();
            c.execute_batch("CREATE TABLE runs (id INTEGER)").unwrap();
        }
        let e = Store::open(&p).unwrap_err().to_string();
        assert!(e.contains("not an sfumato node store"), "{e}");
        let q = tmp("corrupt");
        std::fs::write(
            &q,
            b"this is not a database, just text that goes on for a while....",
        )
        .unwrap();
        assert!(Store::open(&q).is_err());
    }
}
