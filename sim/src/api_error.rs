//! The service's error answers: the codes the simulator uses and the `error_info` body.

use http::StatusCode;
use serde::Serialize;

/// The error codes the simulator answers with, from the service's error table (see the facts
/// file). Every one is sent as both `error_code` and `new_error_code`.
pub mod codes {
    /// `X-TC-Signature` does not verify.
    pub const SIGNATURE: i64 = 200003;
    /// `X-TC-Timestamp` is more than 5 minutes off the simulator's clock.
    pub const TIMESTAMP_SKEW: i64 = 190300;
    /// The same timestamp and nonce were seen within the last 5 minutes.
    pub const REPLAY: i64 = 190301;
    /// Unknown AppId, X-TC-Key or OAuth2.0 token, a wrong SdkId, or missing credentials.
    pub const CREDENTIALS: i64 = 190303;
    /// A parameter (body field, query parameter or header value) is invalid.
    pub const INVALID_PARAMETER: i64 = 190004;
    /// Meeting ID error: the simulator answers it for a sub-meeting ID sent to dismiss.
    pub const MEETING_ID_ERROR: i64 = 9002;
    /// The meeting does not exist.
    pub const MEETING_NOT_FOUND: i64 = 9003;
    /// A dismiss of a meeting that has not started, or never did (`MEETING_STATE_INIT`,
    /// `MEETING_STATE_NULL`, `MEETING_STATE_INVALID`): there is no meeting in progress to end.
    /// The same number as [`MEETING_NOT_FOUND`]; the message says which. The service's code for
    /// this is not documented (see the crate docs' choices).
    pub const NOT_STARTED: i64 = 9003;
    /// The meeting was cancelled.
    pub const MEETING_CANCELLED: i64 = 9007;
    /// No permission: not the creator, or an OAuth2.0 caller on a meeting not created through
    /// OAuth2.0, or an OAuth2.0 caller acting as someone else.
    pub const NO_PERMISSION: i64 = 9042;
    /// The meeting already ended (`MEETING_STATE_ENDED`), or its code was reclaimed
    /// (`MEETING_STATE_RECYCLED`). Seen for "already ended" on cancel; unverified for dismiss.
    pub const ALREADY_ENDED: i64 = 13603;
    /// A network error inside the service (a fault the simulator injects).
    pub const NETWORK_41: i64 = 41;
    /// A network error inside the service (a fault the simulator injects).
    pub const NETWORK_960000: i64 = 960000;
    /// The per-minute request limit of an application was reached (per window when the
    /// simulator's window is not a minute: [`crate::RateLimits`]).
    pub const RATE_LIMITED: i64 = 190310;
    /// The daily request limit of an application was reached.
    pub const DAILY_LIMIT: i64 = 190311;
}

/// An error answer: HTTP status, code, new code and message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ApiError {
    pub code: i64,
    /// `new_error_code`; `None` leaves it out of the body (the service sometimes does).
    pub new_code: Option<i64>,
    pub message: String,
    pub status: StatusCode,
}

/// The HTTP status the service answers `code` with: 500 for failures inside the service, 400
/// for everything else (as the facts file says the service does).
pub(crate) fn status_of(code: i64) -> StatusCode {
    match code {
        codes::NETWORK_41 | codes::NETWORK_960000 | 13001 | 190308 => {
            StatusCode::INTERNAL_SERVER_ERROR
        }
        _ => StatusCode::BAD_REQUEST,
    }
}

/// What the service's error table says `code` means, for messages of injected errors.
pub(crate) fn meaning_of(code: i64) -> &'static str {
    match code {
        200003 => "signature verification failed",
        190300 => "timestamp more than 5 minutes off",
        190301 => "replayed timestamp and nonce",
        190303 => "AppId, X-TC-Key, SdkId or OAuth2.0 token invalid",
        190004 => "invalid parameter",
        190001 => "user not registered",
        9002 => "meeting id or TinyId error",
        9003 => "meeting does not exist",
        9007 => "meeting cancelled",
        9042 => "no permission",
        13603 => "meeting already ended",
        41 | 960000 => "network error, please retry",
        13001 => "cache write failed",
        190308 => "tinyID lookup failed",
        190310 => "too many requests this minute, please retry later",
        190311 => "daily request limit reached, please retry tomorrow",
        _ => "error injected by the simulator",
    }
}

impl ApiError {
    /// An error with the status its code calls for ([`status_of`]), sending the code as both
    /// `error_code` and `new_error_code`.
    pub fn new(code: i64, message: impl Into<String>) -> Self {
        Self {
            code,
            new_code: Some(code),
            message: message.into(),
            status: status_of(code),
        }
    }

    /// The same error answered with another HTTP status (unknown routes, oversized bodies).
    pub fn with_status(mut self, status: StatusCode) -> Self {
        self.status = status;
        self
    }

    /// `190004` naming the offending field.
    pub fn invalid(field: &str, rule: impl std::fmt::Display) -> Self {
        Self::new(
            codes::INVALID_PARAMETER,
            format!("invalid parameter {field}: {rule}"),
        )
    }

    /// The JSON body: `{"error_info": {"error_code", "new_error_code", "message"}}`, without
    /// `new_error_code` when `new_code` is `None`.
    pub fn body(&self) -> Vec<u8> {
        #[derive(Serialize)]
        struct Body<'a> {
            error_info: Info<'a>,
        }
        #[derive(Serialize)]
        struct Info<'a> {
            error_code: i64,
            #[serde(skip_serializing_if = "Option::is_none")]
            new_error_code: Option<i64>,
            message: &'a str,
        }
        let body = Body {
            error_info: Info {
                error_code: self.code,
                new_error_code: self.new_code,
                message: &self.message,
            },
        };
        // Serialising plain integers and a string cannot fail.
        serde_json::to_vec(&body).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_errors_are_500_and_request_errors_400() {
        assert_eq!(ApiError::new(codes::NETWORK_41, "x").status, 500);
        assert_eq!(ApiError::new(codes::NETWORK_960000, "x").status, 500);
        for code in [
            200003, 190300, 190301, 190303, 190004, 9002, 9003, 9007, 9042, 13603, 190310, 190311,
        ] {
            assert_eq!(ApiError::new(code, "x").status, 400, "{code}");
        }
    }

    #[test]
    fn body_has_the_documented_shape() {
        let body = ApiError::new(9003, "meeting \"1\" does not exist").body();
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
        assert_eq!(v["error_info"]["error_code"], 9003);
        assert_eq!(v["error_info"]["new_error_code"], 9003);
        assert_eq!(v["error_info"]["message"], "meeting \"1\" does not exist");
        let without = ApiError {
            new_code: None,
            ..ApiError::new(190311, "x")
        };
        let v: serde_json::Value = serde_json::from_slice(&without.body()).unwrap_or_default();
        assert_eq!(v["error_info"]["error_code"], 190311);
        assert!(v["error_info"].get("new_error_code").is_none(), "{v}");
    }
}
