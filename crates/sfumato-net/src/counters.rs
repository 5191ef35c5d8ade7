//! What a host saw: traffic, and everything it rejected.

use std::sync::atomic::{AtomicU64, Ordering};

use serde::{Deserialize, Serialize};

/// Live counters, shared by a host's tasks.
#[derive(Debug, Default)]
pub struct Counters {
    frames_in: AtomicU64,
    bytes_in: AtomicU64,
    frames_out: AtomicU64,
    bytes_out: AtomicU64,
    rejected_peers: AtomicU64,
    forged_senders: AtomicU64,
    replays: AtomicU64,
    malformed: AtomicU64,
    undeliverable: AtomicU64,
    connections_in: AtomicU64,
    connections_out: AtomicU64,
    failed_connections: AtomicU64,
}

/// The counters at one moment.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CounterSnapshot {
    /// Frames received and handed to nodes.
    pub frames_in: u64,
    /// Their bytes (frame headers included, TLS excluded).
    pub bytes_in: u64,
    /// Frames sent.
    pub frames_out: u64,
    /// Their bytes.
    pub bytes_out: u64,
    /// TLS handshakes refused because the peer's certificate is not in the
    /// directory (or is not the node the server name asked for).
    pub rejected_peers: u64,
    /// Frames whose sender or receiver is not the channel's authenticated
    /// one.
    pub forged_senders: u64,
    /// Frames whose (incarnation, number) is not after the channel's last.
    pub replays: u64,
    /// Frames or payloads that do not decode.
    pub malformed: u64,
    /// Messages returned to their sender as undeliverable.
    pub undeliverable: u64,
    /// Channels accepted.
    pub connections_in: u64,
    /// Channels opened.
    pub connections_out: u64,
    /// Attempts to open a channel that failed.
    pub failed_connections: u64,
}

macro_rules! bump {
    ($($name:ident),*) => {
        impl Counters {
            $(
                #[doc = concat!("Adds `n` to `", stringify!($name), "`.")]
                pub fn $name(&self, n: u64) {
                    self.$name.fetch_add(n, Ordering::Relaxed);
                }
            )*

            /// The current values.
            pub fn snapshot(&self) -> CounterSnapshot {
                CounterSnapshot {
                    $($name: self.$name.load(Ordering::Relaxed),)*
                }
            }
        }

        impl CounterSnapshot {
            /// The sum of two hosts' counters.
            pub fn merged(&self, o: &CounterSnapshot) -> CounterSnapshot {
                CounterSnapshot {
                    $($name: self.$name + o.$name,)*
                }
            }
        }
    };
}

bump!(
    frames_in,
    bytes_in,
    frames_out,
    bytes_out,
    rejected_peers,
    forged_senders,
    replays,
    malformed,
    undeliverable,
    connections_in,
    connections_out,
    failed_connections
);

impl CounterSnapshot {
    /// Everything rejected as an attack or a fault of the peer.
    pub fn rejected(&self) -> u64 {
        self.rejected_peers + self.forged_senders + self.replays + self.malformed
    }
}
