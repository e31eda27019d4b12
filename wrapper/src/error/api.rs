//! An error answered by the service (`error_info`), and what its code means.

use std::fmt;

use super::{attempts_suffix, trace_suffix};

/// The per-minute rate limit's code.
pub(crate) const PER_MINUTE_LIMIT: i64 = 190310;

/// The service answered with an error body: `{"error_info": {"error_code", "new_error_code",
/// "message"}}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub(crate) status: u16,
    pub(crate) code: i64,
    pub(crate) new_code: Option<i64>,
    pub(crate) message: String,
    pub(crate) trace_id: Option<String>,
    pub(crate) attempts: u32,
}

impl ApiError {
    /// An error the service could answer: HTTP `status`, `error_code` and `message`. For tests of
    /// code that handles this crate's errors; the client makes its own.
    pub fn new(status: u16, code: i64, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            new_code: None,
            message: message.into(),
            trace_id: None,
            attempts: 1,
        }
    }

    /// With `new_error_code`.
    pub fn with_new_code(mut self, new_code: i64) -> Self {
        self.new_code = Some(new_code);
        self
    }

    /// With the trace id of the answer.
    pub fn with_trace_id(mut self, trace_id: impl Into<String>) -> Self {
        self.trace_id = Some(trace_id.into());
        self
    }

    /// The HTTP status.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// `error_info.error_code`.
    pub fn code(&self) -> i64 {
        self.code
    }

    /// `error_info.new_error_code`, when present.
    pub fn new_code(&self) -> Option<i64> {
        self.new_code
    }

    /// `error_info.message`, as the service wrote it (often in Chinese).
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The `X-Tc-Trace` header of the answer, when present.
    pub fn trace_id(&self) -> Option<&str> {
        self.trace_id.as_deref()
    }

    /// What the code means.
    pub fn kind(&self) -> ApiErrorKind {
        ApiErrorKind::from_code(self.code)
    }

    /// How many attempts the call had made when this answer ended it.
    pub fn attempts(&self) -> u32 {
        self.attempts
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = self.kind();
        write!(f, "{kind} (error {}", self.code)?;
        if let Some(new_code) = self.new_code.filter(|n| *n != self.code) {
            write!(f, ", new error {new_code}")?;
        }
        write!(f, ", HTTP {})", self.status)?;
        // The service's own words, unless they only repeat what the kind already said.
        let message = self.message.trim();
        if !message.is_empty() && !message.eq_ignore_ascii_case(&kind.to_string()) {
            write!(f, ": {message}")?;
        }
        write!(
            f,
            "{}{}",
            attempts_suffix(self.attempts),
            trace_suffix(self.trace_id())
        )
    }
}

impl std::error::Error for ApiError {}

/// What an API error code means. Codes from the service's error table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ApiErrorKind {
    /// 200003: the signature did not verify.
    Signature,
    /// 190300: the timestamp is more than 5 minutes off the server's clock.
    TimestampSkew,
    /// 190301: the same timestamp and nonce were seen before.
    Replay,
    /// 190303: the AppId, X-TC-Key, SdkId or OAuth2.0 token is invalid.
    Credentials,
    /// 190004: a parameter is invalid.
    InvalidParameter,
    /// 190001: the user is not registered.
    UserNotRegistered,
    /// 9002: the meeting ID (or TinyId) is wrong, e.g. a sub-meeting ID given where the master
    /// meeting ID is needed.
    InvalidMeetingId,
    /// 9003: no meeting in progress under this ID. The service's error table says "the
    /// meeting does not exist"; the simulator also answers it for a meeting that has not started
    /// (`MEETING_STATE_INIT`, `_NULL`), as the service is believed to: the message says which.
    NotFound,
    /// 9007: the meeting was cancelled.
    Cancelled,
    /// 13603: the meeting has already ended (seen on cancel; unverified for dismiss).
    AlreadyEnded,
    /// 9042: no permission (not the creator or host).
    NoPermission,
    /// 190310: the application's per-minute quota is spent; the next minute allows again.
    RateLimitedPerMinute,
    /// 190311: the application's per-day quota is spent; retrying today cannot help.
    RateLimitedPerDay,
    /// 41, 960000, 13001, 190308: a failure inside the service.
    Internal,
    /// Any other code.
    Other,
}

impl ApiErrorKind {
    /// The kind of an `error_code`.
    pub fn from_code(code: i64) -> Self {
        match code {
            200003 => Self::Signature,
            190300 => Self::TimestampSkew,
            190301 => Self::Replay,
            190303 => Self::Credentials,
            190004 => Self::InvalidParameter,
            190001 => Self::UserNotRegistered,
            9002 => Self::InvalidMeetingId,
            9003 => Self::NotFound,
            9007 => Self::Cancelled,
            13603 => Self::AlreadyEnded,
            9042 => Self::NoPermission,
            PER_MINUTE_LIMIT => Self::RateLimitedPerMinute,
            190311 => Self::RateLimitedPerDay,
            41 | 960000 | 13001 | 190308 => Self::Internal,
            _ => Self::Other,
        }
    }
}

/// Whether an API code is worth retrying: 41, 960000, 13001 and 190310 (in the next minute).
pub(crate) fn code_is_retryable(code: i64) -> bool {
    matches!(code, 41 | 960000 | 13001 | PER_MINUTE_LIMIT)
}

impl fmt::Display for ApiErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Signature => "signature verification failed",
            Self::TimestampSkew => "timestamp more than 5 minutes off",
            Self::Replay => "replayed timestamp and nonce",
            Self::Credentials => "invalid credentials",
            Self::InvalidParameter => "invalid parameter",
            Self::UserNotRegistered => "user not registered",
            Self::InvalidMeetingId => "invalid meeting ID (a sub-meeting ID?)",
            // Not "not found": the same code answers a meeting that has not started.
            Self::NotFound => "no meeting in progress under this ID",
            Self::Cancelled => "meeting cancelled",
            Self::AlreadyEnded => "meeting already ended",
            Self::NoPermission => "no permission",
            Self::RateLimitedPerMinute => "per-minute rate limit reached",
            Self::RateLimitedPerDay => "per-day rate limit reached",
            Self::Internal => "service error",
            Self::Other => "API error",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retryable_codes_are_exactly_the_documented_ones() {
        for code in [41, 960000, 13001, 190310] {
            assert!(code_is_retryable(code), "{code}");
        }
        for code in [
            200003, 190300, 190301, 190303, 190004, 9003, 9042, 13603, 190311, 1,
        ] {
            assert!(!code_is_retryable(code), "{code}");
        }
    }

    #[test]
    fn the_message_does_not_repeat_the_kind() {
        let e = ApiError::new(400, 200003, "signature verification failed");
        assert_eq!(
            e.to_string(),
            "signature verification failed (error 200003, HTTP 400)"
        );
        let e = ApiError::new(400, 9042, "不是会议创建者")
            .with_new_code(9042)
            .with_trace_id("t-1");
        assert_eq!(
            e.to_string(),
            "no permission (error 9042, HTTP 400): 不是会议创建者; trace id t-1"
        );
    }

    #[test]
    fn each_rate_limit_has_its_own_kind() {
        assert_eq!(
            ApiErrorKind::from_code(190310),
            ApiErrorKind::RateLimitedPerMinute
        );
        assert_eq!(
            ApiErrorKind::from_code(190311),
            ApiErrorKind::RateLimitedPerDay
        );
        assert_eq!(
            ApiErrorKind::from_code(9002),
            ApiErrorKind::InvalidMeetingId
        );
    }
}
