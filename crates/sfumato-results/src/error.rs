//! The results store's errors.

/// What can go wrong with a store.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ResultsError {
    /// The file is not a sfumato results store (another SQLite file, or
    /// not SQLite at all).
    #[error("{path}: not a sfumato results store ({why})")]
    Foreign {
        /// The file.
        path: String,
        /// What gave it away.
        why: String,
    },
    /// A store written by a newer sfumato.
    #[error("{path}: results store version {found}; this sfumato reads version {supported}")]
    Version {
        /// The file.
        path: String,
        /// The store's version.
        found: i64,
        /// The version this build reads.
        supported: i64,
    },
    /// No run with this id.
    #[error("no run {0} in the store")]
    UnknownRun(i64),
    /// A run that cannot be recorded as given.
    #[error("{0}")]
    Invalid(String),
    /// SQLite failed (a corrupt file, a full disk, a locked database).
    #[error("results store: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// A stored document does not parse.
    #[error("results store: a stored document is malformed: {0}")]
    Json(#[from] serde_json::Error),
}

/// The store's result type.
pub type Result<T> = std::result::Result<T, ResultsError>;
