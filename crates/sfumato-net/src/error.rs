//! The network runtime's errors.

use thiserror::Error;

/// What can go wrong in the network runtime.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum NetError {
    /// A frame on a channel is malformed.
    #[error("bad frame: {0}")]
    Frame(String),
    /// The deployment directory or a key file is unusable.
    #[error("deployment: {0}")]
    Directory(String),
    /// TLS configuration or handshake.
    #[error("TLS: {0}")]
    Tls(String),
    /// The durable store.
    #[error("store {path}: {reason}")]
    Store {
        /// The database file.
        path: String,
        /// What failed.
        reason: String,
    },
    /// A socket or file.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// A node's state or message could not be encoded or restored.
    #[error("node {node}: {reason}")]
    Node {
        /// The node.
        node: u32,
        /// What failed.
        reason: String,
    },
    /// OS randomness is unavailable.
    #[error("OS randomness: {0}")]
    Randomness(String),
}

impl NetError {
    /// An I/O error with what was being done.
    pub fn io(context: impl Into<String>, source: std::io::Error) -> NetError {
        NetError::Io {
            context: context.into(),
            source,
        }
    }
}

/// The runtime's result type.
pub type Result<T> = core::result::Result<T, NetError>;
