//! The one error type of the crate, with kinds a program can act on.
//!
//! Every kind is its own type with accessors (no public fields, so each can grow) and a public
//! constructor, so that tests of code using this crate can make any error without a server.

mod api;
mod config;
mod refusal;
mod transport;
mod unknown;
mod validation;

use std::time::Duration;

pub use api::{ApiError, ApiErrorKind};
pub(crate) use api::{PER_MINUTE_LIMIT, code_is_retryable};
pub use config::ConfigError;
pub use refusal::Refusal;
pub use transport::{DecodeError, TimeoutError, TransportError};
pub use unknown::OutcomeUnknown;
pub use validation::ValidationError;

/// Everything that can go wrong with a call.
///
/// [`Error::maybe_applied`] answers the question that matters after a failed dismiss: could the
/// meeting have been ended anyway? Only [`Error::OutcomeUnknown`] says yes.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The input was refused before any byte was sent.
    #[error(transparent)]
    Validation(#[from] ValidationError),

    /// A rule of the dismiss page refused the call (found from the kind you gave or the look-up);
    /// the dismiss request was not sent.
    #[error(transparent)]
    Refused(#[from] Refusal),

    /// The service answered with an error body (`error_info`), whatever the HTTP status.
    #[error(transparent)]
    Api(#[from] ApiError),

    /// The request could not be sent, or its answer could not be read, and no attempt's outcome
    /// is in doubt (see [`Error::OutcomeUnknown`] for when one is).
    #[error(transparent)]
    Transport(#[from] TransportError),

    /// No answer came in time, and no attempt's outcome is in doubt: the time ran out before a
    /// request was sent (the call's deadline, or a connect timeout).
    #[error(transparent)]
    Timeout(#[from] TimeoutError),

    /// The server answered something that is not the service's documented answer: an HTML 502
    /// page, a 200 with a body that is neither empty nor `{}`, … — perhaps not the Tencent
    /// Meeting API at all (check the base URL).
    #[error(transparent)]
    Decode(#[from] DecodeError),

    /// An attempt may have reached the service (a timeout or a reset after the request was
    /// written, a truncated answer) and nothing since showed whether it took effect: the meeting
    /// may or may not have been ended. Look the meeting up to find out.
    #[error(transparent)]
    OutcomeUnknown(#[from] OutcomeUnknown),
}

impl Error {
    /// Whether the call may have taken effect although it failed: `true` only for
    /// [`Error::OutcomeUnknown`]. Every other error means the service did not apply the call
    /// (or, for a look-up, that nothing was changed anyway).
    pub fn maybe_applied(&self) -> bool {
        matches!(self, Error::OutcomeUnknown(_))
    }

    /// Whether sending the same call again (signed afresh) could succeed: transport failures,
    /// timeouts, 502/503/504 without a JSON body, and API codes 41, 960000, 13001 and 190310.
    /// For [`Error::OutcomeUnknown`], whether its last error is.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Validation(_) | Error::Refused(_) => false,
            Error::Api(e) => code_is_retryable(e.code()),
            Error::Transport(_) | Error::Timeout(_) => true,
            Error::Decode(e) => e.is_retryable(),
            Error::OutcomeUnknown(e) => e.last().is_retryable(),
        }
    }

    /// How many attempts the call made (0 when it was refused before sending).
    pub fn attempts(&self) -> u32 {
        match self {
            Error::Validation(_) | Error::Refused(_) => 0,
            Error::Api(e) => e.attempts(),
            Error::Transport(e) => e.attempts(),
            Error::Timeout(e) => e.attempts(),
            Error::Decode(e) => e.attempts(),
            Error::OutcomeUnknown(e) => e.attempts(),
        }
    }

    /// The API error, for an [`Error::Api`] (or the last error of an [`Error::OutcomeUnknown`]).
    pub fn api(&self) -> Option<&ApiError> {
        match self {
            Error::Api(e) => Some(e),
            Error::OutcomeUnknown(e) => e.last().api(),
            _ => None,
        }
    }

    /// The API error kind, for an [`Error::Api`] (or the last error of an
    /// [`Error::OutcomeUnknown`]).
    pub fn api_kind(&self) -> Option<ApiErrorKind> {
        self.api().map(ApiError::kind)
    }

    /// The validation error, for an [`Error::Validation`].
    pub fn validation(&self) -> Option<&ValidationError> {
        match self {
            Error::Validation(e) => Some(e),
            _ => None,
        }
    }

    /// The trace id the service sent with its last answer, when there was one.
    pub fn trace_id(&self) -> Option<&str> {
        match self {
            Error::Api(e) => e.trace_id(),
            Error::Decode(e) => e.trace_id(),
            Error::OutcomeUnknown(e) => e.last().trace_id(),
            _ => None,
        }
    }

    /// Whether this attempt's request may have reached the service without an answer read.
    pub(crate) fn attempt_outcome_unknown(&self) -> bool {
        match self {
            Error::Timeout(e) => e.maybe_sent(),
            Error::Transport(e) => e.maybe_sent(),
            _ => false,
        }
    }

    /// Records how many attempts the call had made when this error ended it, and how long the
    /// call took.
    pub(crate) fn after_attempts(mut self, attempts: u32, elapsed: Duration) -> Self {
        match &mut self {
            Error::Api(e) => e.attempts = attempts,
            Error::Transport(e) => e.attempts = attempts,
            Error::Timeout(e) => {
                e.attempts = attempts;
                e.elapsed = Some(elapsed);
            }
            Error::Decode(e) => e.attempts = attempts,
            Error::Validation(_) | Error::Refused(_) | Error::OutcomeUnknown(_) => {}
        }
        self
    }
}

/// ` (after N attempts)` when a call made more than one.
fn attempts_suffix(attempts: u32) -> String {
    if attempts > 1 {
        format!(" (after {attempts} attempts)")
    } else {
        String::new()
    }
}

/// `; trace id T` when the answer had one.
fn trace_suffix(trace_id: Option<&str>) -> String {
    match trace_id {
        Some(t) => format!("; trace id {t}"),
        None => String::new(),
    }
}
