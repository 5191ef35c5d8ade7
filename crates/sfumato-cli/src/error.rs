//! What a command can fail with, and the exit code each failure gets.

use std::fmt;
use std::io;
use std::process::ExitCode;

use sfumato_crypto::CryptoError;
use sfumato_dp::DpError;
use sfumato_traces::TracesError;

/// Exit code for bad arguments or parameters (clap's convention).
pub(crate) const EXIT_USAGE: u8 = 2;

/// Exit code for failing to write the output.
pub(crate) const EXIT_IO: u8 = 1;

/// A command's failure.
#[derive(Debug)]
pub(crate) enum CliError {
    /// Arguments that clap accepted but that do not go together.
    Usage(String),
    /// A parameter `sfumato-dp` refused.
    Dp(DpError),
    /// `sfumato-traces` refused a parameter or could not read or write a
    /// file.
    Traces(TracesError),
    /// `sfumato-crypto` refused a key, value or contribution.
    Crypto(CryptoError),
    /// The simulator refused a parameter, or its runtime failed (a cluster
    /// process that could not connect).
    Sim(sfumato_sim::SimError),
    /// Writing the output failed (a closed pipe is not reported, see
    /// [`CliError::exit_code`]).
    Io(io::Error),
    /// A file, a socket or a host process failed (the network runtime).
    Runtime(String),
}

impl CliError {
    /// Shorthand for [`CliError::Usage`].
    pub(crate) fn usage(message: impl Into<String>) -> Self {
        CliError::Usage(message.into())
    }

    /// Whether the reader of our stdout went away: not a failure, the reader
    /// simply had enough (`sfumato dp sample … | head -1`).
    pub(crate) fn is_closed_pipe(&self) -> bool {
        matches!(self, CliError::Io(e) if e.kind() == io::ErrorKind::BrokenPipe)
    }

    /// The process exit code: 0 for a closed pipe, 2 for bad input, 1 for
    /// other output failures.
    pub(crate) fn exit_code(&self) -> ExitCode {
        match self {
            _ if self.is_closed_pipe() => ExitCode::SUCCESS,
            CliError::Usage(_) | CliError::Dp(_) => ExitCode::from(EXIT_USAGE),
            // A file that cannot be opened or written is an I/O failure;
            // bad parameters and malformed content are bad input.
            CliError::Traces(TracesError::Io { .. }) => ExitCode::from(EXIT_IO),
            CliError::Traces(_) | CliError::Crypto(_) => ExitCode::from(EXIT_USAGE),
            CliError::Sim(sfumato_sim::SimError::Runtime(_)) => ExitCode::from(EXIT_IO),
            CliError::Sim(_) => ExitCode::from(EXIT_USAGE),
            CliError::Io(_) | CliError::Runtime(_) => ExitCode::from(EXIT_IO),
        }
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CliError::Usage(message) => f.write_str(message),
            CliError::Dp(e) => write!(f, "{e}"),
            CliError::Traces(e) => write!(f, "{e}"),
            CliError::Crypto(e) => write!(f, "{e}"),
            CliError::Sim(e) => write!(f, "{e}"),
            CliError::Io(e) => write!(f, "cannot write the output: {e}"),
            CliError::Runtime(e) => f.write_str(e),
        }
    }
}

impl From<sfumato_study::StudyError> for CliError {
    fn from(e: sfumato_study::StudyError) -> Self {
        use sfumato_study::StudyError as S;
        match e {
            S::Usage(m) => CliError::Usage(m),
            S::Dp(e) => CliError::Dp(e),
            S::Traces(e) => CliError::Traces(e),
            S::Sim(e) => CliError::Sim(e),
            S::Crypto(e) => CliError::Crypto(e),
            S::Protocol(e) => CliError::Usage(e.to_string()),
            S::Net(sfumato_net::NetError::Directory(m)) => {
                CliError::Usage(format!("deployment: {m}"))
            }
            other => CliError::Runtime(other.to_string()),
        }
    }
}

impl From<sfumato_stream::StreamError> for CliError {
    fn from(e: sfumato_stream::StreamError) -> Self {
        use sfumato_stream::StreamError as S;
        match e {
            S::Input { .. } | S::Invalid { .. } => CliError::Usage(e.to_string()),
            other => CliError::Runtime(other.to_string()),
        }
    }
}

impl From<sfumato_results::ResultsError> for CliError {
    fn from(e: sfumato_results::ResultsError) -> Self {
        CliError::Usage(e.to_string())
    }
}

impl From<DpError> for CliError {
    fn from(e: DpError) -> Self {
        CliError::Dp(e)
    }
}

impl From<sfumato_overlay::OverlayError> for CliError {
    fn from(e: sfumato_overlay::OverlayError) -> Self {
        CliError::Usage(e.to_string())
    }
}

impl From<sfumato_sim::SimError> for CliError {
    fn from(e: sfumato_sim::SimError) -> Self {
        CliError::Sim(e)
    }
}

impl From<sfumato_protocol::ProtocolError> for CliError {
    fn from(e: sfumato_protocol::ProtocolError) -> Self {
        CliError::Usage(e.to_string())
    }
}

impl From<CryptoError> for CliError {
    fn from(e: CryptoError) -> Self {
        CliError::Crypto(e)
    }
}

impl From<TracesError> for CliError {
    fn from(e: TracesError) -> Self {
        CliError::Traces(e)
    }
}

impl From<io::Error> for CliError {
    fn from(e: io::Error) -> Self {
        CliError::Io(e)
    }
}

impl From<serde_json::Error> for CliError {
    /// serde_json wraps the writer's I/O errors; unwrapping them keeps a closed
    /// pipe recognisable.
    fn from(e: serde_json::Error) -> Self {
        CliError::Io(io::Error::from(e))
    }
}
