//! The crate's one error type.

use thiserror::Error;

/// Everything that can go wrong in `sfumato-dp`.
///
/// Bad input (a malformed or out-of-range parameter) and an attempt to overspend
/// a privacy budget are different variants so callers can react differently.
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum DpError {
    /// A parameter is outside its domain (e.g. a negative scale, zero parties).
    #[error("invalid parameter `{name}`: {reason}")]
    InvalidParameter {
        /// Name of the parameter as the user sees it.
        name: &'static str,
        /// Why it was refused.
        reason: String,
    },
    /// A number given as text could not be read.
    #[error("cannot read `{text}` as {expected}")]
    Parse {
        /// The offending text.
        text: String,
        /// What was expected, e.g. "a positive decimal number".
        expected: &'static str,
    },
    /// A charge would push the spent privacy budget over the total.
    #[error(
        "privacy budget exceeded: charging ε = {requested} leaves only ε = {remaining} of {total}"
    )]
    BudgetExceeded {
        /// The charge that was refused (decimal rendering).
        requested: String,
        /// What is left (decimal rendering).
        remaining: String,
        /// The total budget (decimal rendering).
        total: String,
    },
    /// The probabilistic-DP confidence would fall below its floor (Chiaroscuro Def. 3).
    #[error("probabilistic-DP confidence exhausted: δ would fall to {would_be} < floor {floor}")]
    DeltaExhausted {
        /// The product of δs after the refused charge.
        would_be: f64,
        /// The floor set when the accountant was made.
        floor: f64,
    },
}

impl DpError {
    /// Shorthand for [`DpError::InvalidParameter`].
    pub(crate) fn invalid(name: &'static str, reason: impl Into<String>) -> Self {
        DpError::InvalidParameter {
            name,
            reason: reason.into(),
        }
    }
}

/// Result alias for this crate.
pub type Result<T> = core::result::Result<T, DpError>;
