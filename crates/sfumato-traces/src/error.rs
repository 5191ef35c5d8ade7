//! The crate's one error type.

use std::path::PathBuf;

use thiserror::Error;

/// Everything that can go wrong in `sfumato-traces`.
///
/// Bad parameters, unreadable files and malformed content are different
/// variants; a malformed file always names the file and the line.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum TracesError {
    /// A parameter is outside its domain (zero households, a slot length
    /// that does not divide a day, …).
    #[error("invalid parameter `{name}`: {reason}")]
    InvalidParameter {
        /// Name of the parameter as the user sees it.
        name: &'static str,
        /// Why it was refused.
        reason: String,
    },
    /// A file could not be opened, read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// A file's content is malformed at a given line (1-based).
    #[error("{}:{line}: {reason}", path.display())]
    Malformed {
        /// The file.
        path: PathBuf,
        /// The 1-based line number.
        line: u64,
        /// What is wrong with it.
        reason: String,
    },
    /// A household-day assembled from several lines of a file is malformed
    /// (formats such as CER gather a day from lines anywhere in the file).
    #[error("{}: household {household}, {date}: {reason}", path.display())]
    MalformedDay {
        /// The file.
        path: PathBuf,
        /// The household's id.
        household: String,
        /// The day.
        date: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The model's parameter file is inconsistent.
    #[error("model parameters: {0}")]
    Model(String),
}

impl TracesError {
    /// Shorthand for [`TracesError::InvalidParameter`].
    pub fn invalid(name: &'static str, reason: impl Into<String>) -> Self {
        TracesError::InvalidParameter {
            name,
            reason: reason.into(),
        }
    }

    /// Shorthand for [`TracesError::Malformed`].
    pub fn malformed(path: impl Into<PathBuf>, line: u64, reason: impl Into<String>) -> Self {
        TracesError::Malformed {
            path: path.into(),
            line,
            reason: reason.into(),
        }
    }

    /// Shorthand for [`TracesError::Io`].
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        TracesError::Io {
            path: path.into(),
            source,
        }
    }
}

/// Result alias for this crate.
pub type Result<T> = core::result::Result<T, TracesError>;
