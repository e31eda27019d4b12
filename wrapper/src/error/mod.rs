//! The one error type of the crate, with kinds a program can act on.
//!
//! Every kind is its own type with accessors (no public fields, so each can grow) and a public
//! constructor, so that tests of code using this crate can make any error without a server.

mod api;
mod before_send;
mod config;
mod refusal;
mod transport;
mod unknown;
mod validation;

use std::time::Duration;

pub use api::{ApiError, ApiErrorKind};
pub(crate) use api::{PER_MINUTE_LIMIT, code_is_retryable};
pub use before_send::BeforeSendError;
pub use config::ConfigError;
pub use refusal::Refusal;
pub use transport::{DecodeError, TimeoutError, TransportError};
pub use unknown::OutcomeUnknown;
pub use validation::ValidationError;

/// Everything that can go wrong with a call.
///
/// [`Error::maybe_applied`] answers the question that matters after a failed dismiss: could the
/// meeting have been ended anyway? For an error a dismiss returns, only
/// [`Error::OutcomeUnknown`] says yes; every other error a dismiss returns means the dismiss did
/// not take effect.
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

    /// The service answered with an error body (`error_info`), whatever the HTTP status; or a
    /// look-up's answer listed no meeting, which is reported as the service's code for a
    /// missing meeting (9003, [`ApiErrorKind::NotFound`]), so a missing meeting has one shape
    /// whether the look-up or the dismiss found it missing.
    #[error(transparent)]
    Api(#[from] ApiError),

    /// The request could not be sent (a refused connection, TLS), or, for a look-up, its answer
    /// could not be read. From a dismiss: nothing was written (one that was is
    /// [`Error::OutcomeUnknown`]).
    #[error(transparent)]
    Transport(#[from] TransportError),

    /// No answer came in time. From a dismiss: the time ran out before a request was written
    /// (the call's deadline, or a connect timeout); one that was is [`Error::OutcomeUnknown`].
    #[error(transparent)]
    Timeout(#[from] TimeoutError),

    /// Something other than the service answered, and not with one of its answers. From a
    /// dismiss: a 3xx or a 4xx without the service's `error_info` (a gateway's refusal or
    /// redirect, answered instead of forwarding: see [`Error::maybe_applied`]) — perhaps not
    /// the Tencent Meeting API at all (check the base URL). A 2xx that is not a success body
    /// and a 5xx page from a gateway may follow the service's work, so a dismiss reports them as
    /// [`Error::OutcomeUnknown`]; a look-up, which changes nothing, reports them here.
    #[error(transparent)]
    Decode(#[from] DecodeError),

    /// The call's before-send hook failed, so nothing was sent.
    #[error(transparent)]
    BeforeSend(#[from] BeforeSendError),

    /// An attempt may have reached the service, and what came back was not the service's own
    /// answer (no answer in time, a reset or truncated answer, a gateway's 5xx page or a 2xx
    /// that is not a success body), and nothing since showed whether it took effect: the
    /// meeting may or may not have been ended. A later "already ended" (13603) in the same call
    /// counts only when a look-up shows the meeting over ([`crate::Evidence::LookedUp`]). Look
    /// the meeting up to find out.
    #[error(transparent)]
    OutcomeUnknown(#[from] OutcomeUnknown),
}

impl Error {
    /// Whether the call may have taken effect although it failed: the one place that decides
    /// it, for a whole call's error and for each attempt's (the client's retry loop asks it too).
    ///
    /// `true` when a request may have reached the service and what came back is not the
    /// service's own answer:
    ///
    /// - [`Error::OutcomeUnknown`]: the client's verdict on a call with such an attempt;
    /// - a [`TransportError`] or [`TimeoutError`] after the request was (perhaps) written: a
    ///   reset, a cut or truncated answer, no answer in time;
    /// - a [`DecodeError`] with a 2xx status (a 200 that is not one of the success bodies: a
    ///   proxy's page) or a 5xx status without the service's JSON `error_info` (a gateway's
    ///   HTML 502/504): a gateway answered in the service's place, perhaps after the service
    ///   acted.
    ///
    /// `false` for everything else: [`Error::Validation`] and [`Error::Refused`] (nothing was
    /// sent), a refused connection or a connect timeout (nothing was written), [`Error::Api`]
    /// (the service's own answer, whatever its status), a [`DecodeError`] with a 3xx status
    /// (redirects are not followed; the service never redirects a call, so a 3xx comes from
    /// something in front of it that answered instead of forwarding) or a 4xx status (a
    /// gateway's own refusal — 404, 413, 429, … — which it answers instead of forwarding; the
    /// service's own 4xx carries `error_info` and is an [`Error::Api`]).
    ///
    /// A dismiss never returns a bare error for which this is `true`: the client wraps it in
    /// [`Error::OutcomeUnknown`], unless a later attempt settles the outcome (a success, or
    /// "already ended" confirmed by a look-up, [`crate::Evidence::LookedUp`]). A look-up
    /// changes nothing, so for its errors this says only whether its request may have arrived.
    pub fn maybe_applied(&self) -> bool {
        match self {
            Error::OutcomeUnknown(_) => true,
            Error::Transport(e) => e.maybe_sent(),
            Error::Timeout(e) => e.maybe_sent(),
            Error::Decode(e) => matches!(e.status(), 200..=299 | 500..=599),
            Error::Validation(_) | Error::Refused(_) | Error::Api(_) | Error::BeforeSend(_) => {
                false
            }
        }
    }

    /// Whether sending the same call again (signed afresh) could succeed: transport failures,
    /// timeouts, 502/503/504 without a JSON body, and API codes 41, 960000, 13001 and 190310.
    /// For [`Error::OutcomeUnknown`], whether its last error is.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Validation(_) | Error::Refused(_) | Error::BeforeSend(_) => false,
            Error::Api(e) => code_is_retryable(e.code()),
            Error::Transport(_) | Error::Timeout(_) => true,
            Error::Decode(e) => e.is_retryable(),
            Error::OutcomeUnknown(e) => e.last().is_retryable(),
        }
    }

    /// How many attempts the call made (0 when it was refused before sending).
    pub fn attempts(&self) -> u32 {
        match self {
            Error::Validation(_) | Error::Refused(_) | Error::BeforeSend(_) => 0,
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
            Error::Validation(_)
            | Error::Refused(_)
            | Error::BeforeSend(_)
            | Error::OutcomeUnknown(_) => {}
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
