//! Errors of the stream processor: one clear sentence each, never a panic.

use thiserror::Error;

/// What went wrong.
#[derive(Debug, Error)]
pub enum StreamError {
    /// A line of an input file is not a DEBS 2014 event.
    #[error("{source_name}, line {line}: {message}")]
    Input {
        /// The file (or "input").
        source_name: String,
        /// 1-based line number.
        line: u64,
        /// What is wrong with it.
        message: String,
    },
    /// A parameter is out of range.
    #[error("{what}: {message}")]
    Invalid {
        /// The parameter.
        what: &'static str,
        /// Why.
        message: String,
    },
    /// Reading or writing a file failed.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The cause.
        source: std::io::Error,
    },
    /// Sealed data did not open (altered, or the wrong key).
    #[error("enclave: {0}")]
    Sealed(String),
    /// A live migration could not complete (the replica's outputs differed).
    #[error("migration: {0}")]
    Migration(String),
    /// The timely runtime failed.
    #[error("runtime: {0}")]
    Runtime(String),
}

impl StreamError {
    /// An out-of-range parameter.
    pub fn invalid(what: &'static str, message: impl Into<String>) -> Self {
        StreamError::Invalid {
            what,
            message: message.into(),
        }
    }

    /// An I/O failure while doing `context`.
    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        StreamError::Io {
            context: context.into(),
            source,
        }
    }
}

/// The crate's result type.
pub type Result<T> = std::result::Result<T, StreamError>;
