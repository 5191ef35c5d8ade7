//! The crate's one error type.

use thiserror::Error;

/// Everything that can go wrong in `sfumato-overlay`.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum OverlayError {
    /// A parameter is outside its domain.
    #[error("invalid parameter `{name}`: {reason}")]
    InvalidParameter {
        /// Name of the parameter as the user sees it.
        name: &'static str,
        /// Why it was refused.
        reason: String,
    },
    /// No path to `receiver` with at least `min_nodes` nodes exists within
    /// `horizon` rounds (Tremel §4.2), avoiding the nodes the search had to
    /// avoid (other receivers and earlier paths of a multicast).
    #[error(
        "no path from node {sender} (round {round}) to node {receiver} with at least \
         {min_nodes} nodes within {horizon} rounds"
    )]
    NoPath {
        /// The sending node.
        sender: u64,
        /// The round the path was to start in.
        round: u64,
        /// The node that could not be reached.
        receiver: u64,
        /// The required number of nodes on the path.
        min_nodes: u32,
        /// The number of rounds searched: the caller's horizon, or 126 if
        /// that was longer.
        horizon: u64,
    },
    /// A path search stopped at its work limit (`work_limit` in
    /// [`crate::PathSearch`]) before it had covered its horizon: no path to
    /// `receiver` of fewer than `rounds` rounds qualifies, and not every
    /// longer one up to the horizon was examined.
    #[error(
        "search for a path from node {sender} to node {receiver} stopped at its work limit \
         ({work} steps): none of fewer than {rounds} rounds qualifies, longer ones up to \
         the horizon of {horizon} rounds were not all examined"
    )]
    SearchLimit {
        /// The sending node.
        sender: u64,
        /// The node that could not be reached.
        receiver: u64,
        /// Every path of fewer than this many rounds was examined.
        rounds: u64,
        /// The horizon the caller asked for.
        horizon: u64,
        /// The steps (path prefixes and candidate paths examined) taken.
        work: u64,
    },
}

impl OverlayError {
    /// Shorthand for [`OverlayError::InvalidParameter`].
    pub fn invalid(name: &'static str, reason: impl Into<String>) -> Self {
        OverlayError::InvalidParameter {
            name,
            reason: reason.into(),
        }
    }
}

/// Result alias for this crate.
pub type Result<T> = core::result::Result<T, OverlayError>;
