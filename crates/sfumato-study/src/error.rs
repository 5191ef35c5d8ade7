//! The study layer's errors.

use thiserror::Error;

/// What can go wrong planning or running a study.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum StudyError {
    /// The request does not make sense (one line for the user).
    #[error("{0}")]
    Usage(String),
    /// Privacy parameters.
    #[error(transparent)]
    Dp(#[from] sfumato_dp::DpError),
    /// Trace files or the generator.
    #[error(transparent)]
    Traces(#[from] sfumato_traces::TracesError),
    /// Keys and ciphertexts.
    #[error(transparent)]
    Crypto(#[from] sfumato_crypto::CryptoError),
    /// Protocol parameters.
    #[error(transparent)]
    Protocol(#[from] sfumato_protocol::ProtocolError),
    /// The simulator.
    #[error(transparent)]
    Sim(#[from] sfumato_sim::SimError),
    /// The network runtime.
    #[error(transparent)]
    Net(#[from] sfumato_net::NetError),
    /// A file.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The error.
        #[source]
        source: std::io::Error,
    },
}

impl StudyError {
    /// A usage error.
    pub fn usage(message: impl Into<String>) -> StudyError {
        StudyError::Usage(message.into())
    }

    /// An I/O error with context.
    pub fn io(context: impl Into<String>, source: std::io::Error) -> StudyError {
        StudyError::Io {
            context: context.into(),
            source,
        }
    }
}

/// The study layer's result type.
pub type Result<T> = core::result::Result<T, StudyError>;
