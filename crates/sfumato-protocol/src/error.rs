//! The crate's one error type.

use thiserror::Error;

/// Everything that can go wrong in `sfumato-protocol`.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ProtocolError {
    /// A parameter is outside its domain.
    #[error("invalid parameter `{name}`: {reason}")]
    InvalidParameter {
        /// Name of the parameter as the user sees it.
        name: &'static str,
        /// Why it was refused.
        reason: String,
    },
    /// Bytes that do not decode as the expected message.
    #[error("malformed message: {0}")]
    Malformed(String),
}

impl ProtocolError {
    /// Shorthand for [`ProtocolError::InvalidParameter`].
    pub fn invalid(name: &'static str, reason: impl Into<String>) -> Self {
        ProtocolError::InvalidParameter {
            name,
            reason: reason.into(),
        }
    }
}

/// Result alias for this crate.
pub type Result<T> = core::result::Result<T, ProtocolError>;
