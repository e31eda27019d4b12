//! The one error type of the crate, with kinds a program can act on.

use std::fmt;
use std::time::Duration;

/// Everything that can go wrong with a call.
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

    /// The service answered with an error body.
    #[error(
        "API error {code} ({kind}) with HTTP {status}: {message}{}",
        trace_suffix(trace_id)
    )]
    Api {
        /// The HTTP status.
        status: u16,
        /// `error_info.error_code`.
        code: i64,
        /// `error_info.new_error_code`, when present.
        new_code: Option<i64>,
        /// `error_info.message`.
        message: String,
        /// The `X-Tc-Trace` response header, when present.
        trace_id: Option<String>,
        /// What the code means.
        kind: ApiErrorKind,
    },

    /// The request could not be sent or the answer could not be read (connection refused or
    /// reset, TLS, a truncated body).
    #[error("transport error: {message}")]
    Transport {
        /// What failed, in words.
        message: String,
        /// Whether the request may have reached the service (its outcome is unknown).
        maybe_sent: bool,
        /// The underlying error, when there is one.
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },

    /// No answer came within the timeout. The request may have reached the service.
    #[error("no answer within {after:?}")]
    Timeout {
        /// The timeout that fired.
        after: Duration,
    },

    /// The service (or a proxy in front of it) answered an error status with a body that is not
    /// the documented JSON, e.g. an HTML 502 page.
    #[error(
        "HTTP {status} with an undecodable body: {snippet:?}{}",
        trace_suffix(trace_id)
    )]
    Decode {
        /// The HTTP status.
        status: u16,
        /// The start of the body, for diagnosis.
        snippet: String,
        /// Whether the body was empty or not JSON at all (rather than JSON of another shape).
        not_json: bool,
        /// The `X-Tc-Trace` response header, when present.
        trace_id: Option<String>,
    },
}

fn trace_suffix(trace_id: &Option<String>) -> String {
    match trace_id {
        Some(t) => format!(" (trace id {t})"),
        None => String::new(),
    }
}

impl Error {
    /// Whether retrying the same request (signed afresh) could succeed: transport failures,
    /// timeouts, 502/503/504 without a JSON body, and API codes 41, 960000, 13001 and 190310.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Validation(_) | Error::Refused(_) => false,
            Error::Api { code, .. } => code_is_retryable(*code),
            Error::Transport { .. } | Error::Timeout { .. } => true,
            Error::Decode {
                status, not_json, ..
            } => *not_json && matches!(status, 502..=504),
        }
    }

    /// The API error kind, for an [`Error::Api`].
    pub fn api_kind(&self) -> Option<ApiErrorKind> {
        match self {
            Error::Api { kind, .. } => Some(*kind),
            _ => None,
        }
    }

    /// The trace id the service sent with its answer, when there was one.
    pub fn trace_id(&self) -> Option<&str> {
        match self {
            Error::Api { trace_id, .. } | Error::Decode { trace_id, .. } => trace_id.as_deref(),
            _ => None,
        }
    }

    /// Whether the request may have reached the service although no answer was read.
    pub(crate) fn outcome_unknown(&self) -> bool {
        match self {
            Error::Timeout { .. } => true,
            Error::Transport { maybe_sent, .. } => *maybe_sent,
            _ => false,
        }
    }
}

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
    /// 9002, 9003: the meeting ID is wrong or the meeting does not exist.
    NotFound,
    /// 9042: no permission (not the creator or host).
    NoPermission,
    /// 9007, 13603: the meeting is cancelled, already ended or otherwise not in progress.
    NotInProgress,
    /// 190310 (per minute, retryable) or 190311 (per day).
    RateLimited,
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
            9002 | 9003 => Self::NotFound,
            9042 => Self::NoPermission,
            9007 | 13603 => Self::NotInProgress,
            190310 | 190311 => Self::RateLimited,
            41 | 960000 | 13001 | 190308 => Self::Internal,
            _ => Self::Other,
        }
    }
}

/// Whether an API code is worth retrying: 41, 960000, 13001 and 190310.
pub(crate) fn code_is_retryable(code: i64) -> bool {
    matches!(code, 41 | 960000 | 13001 | 190310)
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
            Self::NotFound => "meeting not found",
            Self::NoPermission => "no permission",
            Self::NotInProgress => "meeting not in progress",
            Self::RateLimited => "rate limited",
            Self::Internal => "service error",
            Self::Other => "other error",
        })
    }
}

/// An input refused before sending: which field, and which rule it broke.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {field}: {rule}")]
pub struct ValidationError {
    /// The field, as named in the request (`meeting_id`, `operator_id`, `instanceid`, …).
    pub field: &'static str,
    /// The rule it broke, in words.
    pub rule: String,
}

impl ValidationError {
    /// A validation error for `field` breaking `rule`.
    pub fn new(field: &'static str, rule: impl Into<String>) -> Self {
        Self {
            field,
            rule: rule.into(),
        }
    }
}

/// A call the rules of the dismiss page refuse. Nothing was dismissed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Refusal {
    /// The ID is a sub-meeting of a recurring meeting; recurring meetings are dismissed by the
    /// master meeting ID.
    #[error(
        "{given} is a sub-meeting of a recurring meeting: dismiss it by the master meeting ID{}",
        master_hint(master_id)
    )]
    SubMeetingId {
        /// The ID that was given.
        given: String,
        /// The master meeting ID, when the look-up returned one.
        master_id: Option<String>,
    },
    /// Reclaiming the code of a recurring meeting with sub-meetings to come would stop them from
    /// running.
    #[error(
        "retrieve_code = 1 would reclaim the code of a recurring meeting with {remaining} sub-meeting(s) still to come, and they could not run; keep retrieve_code 0, or call .force_retrieve_code() if that is what you want"
    )]
    SubMeetingsRemain {
        /// How many sub-meetings are still to come.
        remaining: u32,
    },
    /// Only a meeting in progress can be dismissed.
    #[error(
        "meeting {meeting_id} is not in progress (status {status}); only a meeting in progress can be dismissed"
    )]
    NotInProgress {
        /// The meeting ID.
        meeting_id: String,
        /// The status the look-up reported.
        status: String,
    },
    /// The look-up found no meeting under this ID.
    #[error("the look-up of meeting {meeting_id} returned no meeting")]
    NotFound {
        /// The meeting ID.
        meeting_id: String,
    },
}

fn master_hint(master_id: &Option<String>) -> String {
    match master_id {
        Some(id) => format!(" {id}"),
        None => " (the look-up returned none)".to_string(),
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
}
