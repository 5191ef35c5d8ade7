//! The crate's one error type.

use thiserror::Error;

/// Everything that can go wrong in `sfumato-sim`.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum SimError {
    /// A parameter is outside its domain.
    #[error("invalid parameter `{name}`: {reason}")]
    InvalidParameter {
        /// Name of the parameter as the user sees it.
        name: &'static str,
        /// Why it was refused.
        reason: String,
    },
    /// Timely could not set up or run the workers (for example a process
    /// of a cluster could not connect to the others).
    #[error("simulation runtime: {0}")]
    Runtime(String),
}

impl SimError {
    /// Shorthand for [`SimError::InvalidParameter`].
    pub fn invalid(name: &'static str, reason: impl Into<String>) -> Self {
        SimError::InvalidParameter {
            name,
            reason: reason.into(),
        }
    }
}

/// Result alias for this crate.
pub type Result<T> = core::result::Result<T, SimError>;
