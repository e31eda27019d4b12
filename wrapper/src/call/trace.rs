//! The one event each attempt logs (target [`ATTEMPT_TARGET`]) and the span a call runs in.
//! Kept apart so the fields every attempt reports are listed once: status, API code, trace id,
//! time taken, and what happens next.

use std::fmt::Display;
use std::time::{Duration, Instant};

use crate::error::ApiError;

/// The target of the one event each attempt logs.
pub(crate) const ATTEMPT_TARGET: &str = "tencent_meeting::attempt";

/// The span a call's attempts run in, or no span when nothing listens: entering a disabled span on
/// every poll still costs a `log` check.
pub(super) fn call_span(operation: &'static str, meeting_id: &str) -> tracing::Span {
    let span = tracing::info_span!("tencent_meeting", operation, meeting_id);
    if span.is_disabled() {
        tracing::Span::none()
    } else {
        span
    }
}

/// What every event about one attempt reports.
#[derive(Debug, Clone, Copy)]
pub(super) struct AttemptLog<'a> {
    pub attempt: u32,
    /// The HTTP status (0: no answer).
    pub status: u16,
    /// The API error code (0: none).
    pub api_code: i64,
    /// The `X-Tc-Trace` header ("" when absent).
    pub trace_id: &'a str,
    /// When the attempt started. Its duration is read from the clock only inside an event's
    /// fields, which are evaluated only when something listens.
    pub started: Instant,
}

impl AttemptLog<'_> {
    fn elapsed_ms(&self) -> u64 {
        u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    /// The attempt was answered with success.
    pub(super) fn answered(&self, nonce: u64) {
        tracing::debug!(
            target: ATTEMPT_TARGET,
            attempt = self.attempt,
            status = self.status,
            trace_id = self.trace_id,
            nonce,
            elapsed_ms = self.elapsed_ms(),
            "answered"
        );
    }

    /// After an attempt whose outcome was unknown, this one found the work already done.
    pub(super) fn already_done(&self, api: &ApiError) {
        tracing::info!(
            target: ATTEMPT_TARGET,
            attempt = self.attempt,
            status = self.status,
            api_code = self.api_code,
            trace_id = self.trace_id,
            elapsed_ms = self.elapsed_ms(),
            "an earlier attempt's outcome was unknown; this one finds the work already done: {api}"
        );
    }

    /// The attempt failed and the call stops.
    pub(super) fn gave_up(&self, reason: &str, outcome_unknown: bool, error: &dyn Display) {
        tracing::info!(
            target: ATTEMPT_TARGET,
            attempt = self.attempt,
            status = self.status,
            api_code = self.api_code,
            trace_id = self.trace_id,
            elapsed_ms = self.elapsed_ms(),
            outcome_unknown,
            "failed ({reason}): {error}"
        );
    }

    /// The attempt failed and another follows after `delay`.
    pub(super) fn retrying(&self, delay: Duration, error: &dyn Display) {
        tracing::info!(
            target: ATTEMPT_TARGET,
            attempt = self.attempt,
            status = self.status,
            api_code = self.api_code,
            trace_id = self.trace_id,
            elapsed_ms = self.elapsed_ms(),
            retry_in_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
            "failed, retrying: {error}"
        );
    }
}
