//! Failures to exchange a request and its answer: transport, timeouts, undecodable answers.

use std::fmt;
use std::time::Duration;

use super::{attempts_suffix, trace_suffix};

/// The longest body snippet kept in a [`DecodeError`].
const SNIPPET_CHARS: usize = 200;

/// The request could not be sent, or the answer could not be read (connection refused or reset,
/// TLS, a truncated body).
#[derive(Debug)]
pub struct TransportError {
    pub(crate) message: String,
    pub(crate) maybe_sent: bool,
    pub(crate) source: Option<Box<dyn std::error::Error + Send + Sync>>,
    pub(crate) attempts: u32,
}

impl TransportError {
    /// A transport failure described by `message`; `maybe_sent` when the request may have
    /// reached the service. For tests of code that handles this crate's errors.
    pub fn new(message: impl Into<String>, maybe_sent: bool) -> Self {
        Self {
            message: message.into(),
            maybe_sent,
            source: None,
            attempts: 1,
        }
    }

    pub(crate) fn with_source(
        mut self,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        self.source = Some(Box::new(source));
        self
    }

    /// What failed, in words.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Whether the request may have reached the service (the connection was open and the
    /// request written, or being written, when it failed).
    pub fn maybe_sent(&self) -> bool {
        self.maybe_sent
    }

    /// How many attempts the call had made when this failure ended it.
    pub fn attempts(&self) -> u32 {
        self.attempts
    }
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "transport error: {}{}",
            self.message,
            attempts_suffix(self.attempts)
        )
    }
}

impl std::error::Error for TransportError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

/// No answer came in time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimeoutError {
    pub(crate) after: Duration,
    pub(crate) deadline: bool,
    pub(crate) maybe_sent: bool,
    pub(crate) attempts: u32,
    pub(crate) elapsed: Option<Duration>,
}

impl TimeoutError {
    /// An attempt that got no answer within `after`, before its request was sent (a connect
    /// timeout). For tests of code that handles this crate's errors.
    pub fn new(after: Duration) -> Self {
        Self {
            after,
            deadline: false,
            maybe_sent: false,
            attempts: 1,
            elapsed: None,
        }
    }

    pub(crate) fn attempt(after: Duration, maybe_sent: bool) -> Self {
        Self {
            maybe_sent,
            ..Self::new(after)
        }
    }

    pub(crate) fn deadline(deadline: Duration, maybe_sent: bool) -> Self {
        Self {
            deadline: true,
            ..Self::attempt(deadline, maybe_sent)
        }
    }

    /// The time that ran out: one attempt's timeout, or the call's deadline.
    pub fn after(&self) -> Duration {
        self.after
    }

    /// Whether the call's overall deadline ran out (rather than one attempt's timeout).
    pub fn is_deadline(&self) -> bool {
        self.deadline
    }

    /// Whether the timed-out request may have reached the service.
    pub fn maybe_sent(&self) -> bool {
        self.maybe_sent
    }

    /// How many attempts the call had made.
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// How long the whole call took, attempts and waits included, when known.
    pub fn elapsed(&self) -> Option<Duration> {
        self.elapsed
    }
}

impl fmt::Display for TimeoutError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.deadline {
            write!(f, "the call's deadline of {:?} passed", self.after)?;
        } else {
            write!(f, "no answer within {:?}", self.after)?;
        }
        match (self.attempts, self.elapsed) {
            (n, Some(elapsed)) if n > 1 => write!(
                f,
                " (attempt {n}; {:.1} s since the call began)",
                elapsed.as_secs_f64()
            ),
            _ => Ok(()),
        }
    }
}

impl std::error::Error for TimeoutError {}

/// The server answered something other than the service's documented answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError {
    pub(crate) status: u16,
    pub(crate) snippet: String,
    pub(crate) not_json: bool,
    pub(crate) trace_id: Option<String>,
    pub(crate) attempts: u32,
}

impl DecodeError {
    /// HTTP `status` with `body`, which is not an answer of the service. For tests of code that
    /// handles this crate's errors; the client makes its own.
    pub fn new(status: u16, body: &[u8]) -> Self {
        Self {
            status,
            snippet: String::from_utf8_lossy(body)
                .chars()
                .take(SNIPPET_CHARS)
                .collect(),
            not_json: serde_json::from_slice::<serde::de::IgnoredAny>(body).is_err(),
            trace_id: None,
            attempts: 1,
        }
    }

    pub(crate) fn with_trace_id(mut self, trace_id: Option<String>) -> Self {
        self.trace_id = trace_id;
        self
    }

    /// The HTTP status.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The start of the body, for diagnosis.
    pub fn snippet(&self) -> &str {
        &self.snippet
    }

    /// Whether the body was empty or not JSON at all (rather than JSON of another shape).
    pub fn not_json(&self) -> bool {
        self.not_json
    }

    /// The `X-Tc-Trace` header of the answer, when present.
    pub fn trace_id(&self) -> Option<&str> {
        self.trace_id.as_deref()
    }

    /// How many attempts the call had made.
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// A gateway's error page (502, 503, 504 without JSON) is worth another attempt.
    pub(crate) fn is_retryable(&self) -> bool {
        self.not_json && matches!(self.status, 502..=504)
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if (200..300).contains(&self.status) {
            write!(
                f,
                "HTTP {} with a body that is not the service's answer ({:?}): the server may not be the Tencent Meeting API (check the base URL)",
                self.status, self.snippet
            )?;
        } else {
            write!(
                f,
                "HTTP {} with an undecodable body: {:?}",
                self.status, self.snippet
            )?;
        }
        write!(
            f,
            "{}{}",
            attempts_suffix(self.attempts),
            trace_suffix(self.trace_id())
        )
    }
}

impl std::error::Error for DecodeError {}
