//! Maps what the generated client returns onto this crate's [`Error`].

use std::time::Duration;

use tencent_meeting_openapi::types::ErrorResponse;

use crate::error::{ApiErrorKind, Error};
use crate::transport::{AttemptRecord, trace_id};

type GeneratedError = tencent_meeting_openapi::Error<ErrorResponse>;

/// The longest body snippet kept in a [`Error::Decode`].
const SNIPPET_CHARS: usize = 200;

/// A failed generated call, mapped.
pub(crate) enum Failure {
    /// A 2xx status the spec does not list (e.g. 204): the call succeeded.
    OtherSuccess { status: u16 },
    /// The dry-run hook stopped the request before it was sent.
    DryRunStop,
    /// A real error.
    Error(Error),
}

pub(crate) async fn map_error(
    error: GeneratedError,
    record: &AttemptRecord,
    timeout: Duration,
) -> Failure {
    let status = record.status.unwrap_or(0);
    let error = match error {
        GeneratedError::ErrorResponse(rv) => {
            let trace_id = trace_id(rv.headers()).or_else(|| record.trace_id.clone());
            api_error(rv.status().as_u16(), rv.into_inner(), trace_id)
        }
        GeneratedError::InvalidResponsePayload(bytes, _) => decode_error(status, &bytes, record),
        GeneratedError::UnexpectedResponse(response) => {
            let status = response.status().as_u16();
            if response.status().is_success() {
                return Failure::OtherSuccess { status };
            }
            let trace = trace_id(response.headers());
            match response.bytes().await {
                Ok(bytes) => match serde_json::from_slice::<ErrorResponse>(&bytes) {
                    Ok(body) => api_error(status, body, trace),
                    Err(_) => decode_error(status, &bytes, record),
                },
                Err(e) => transport_error(e, true, timeout),
            }
        }
        GeneratedError::CommunicationError(e) => {
            let maybe_sent = !e.is_connect() && !e.is_builder();
            transport_error(e, maybe_sent, timeout)
        }
        GeneratedError::ResponseBodyError(e) => transport_error(e, true, timeout),
        GeneratedError::InvalidUpgrade(e) => transport_error(e, true, timeout),
        GeneratedError::InvalidRequest(message) => {
            Error::Validation(crate::error::ValidationError::new("request", message))
        }
        GeneratedError::Custom(message) => {
            if crate::transport::is_dry_run_stop(&message) {
                return Failure::DryRunStop;
            }
            Error::Transport {
                message,
                maybe_sent: false,
                source: None,
            }
        }
    };
    Failure::Error(error)
}

/// The error for a documented error body.
pub(crate) fn api_error(status: u16, body: ErrorResponse, trace_id: Option<String>) -> Error {
    let info = body.error_info;
    Error::Api {
        status,
        code: info.error_code,
        new_code: info.new_error_code,
        message: info.message,
        trace_id,
        kind: ApiErrorKind::from_code(info.error_code),
    }
}

fn decode_error(status: u16, body: &[u8], record: &AttemptRecord) -> Error {
    let not_json = serde_json::from_slice::<serde_json::Value>(body).is_err();
    Error::Decode {
        status,
        snippet: String::from_utf8_lossy(body)
            .chars()
            .take(SNIPPET_CHARS)
            .collect(),
        not_json,
        trace_id: record.trace_id.clone(),
    }
}

fn transport_error(e: reqwest::Error, maybe_sent: bool, timeout: Duration) -> Error {
    if e.is_timeout() {
        return Error::Timeout { after: timeout };
    }
    Error::Transport {
        message: error_chain(&e),
        maybe_sent,
        source: Some(Box::new(e)),
    }
}

/// `e` and its sources, joined: reqwest's own message alone ("error sending request") hides the
/// cause.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut message = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        message.push_str(": ");
        message.push_str(&s.to_string());
        source = s.source();
    }
    message
}

/// Parses an error body the way the client does: `Api` for the documented shape, `Decode`
/// otherwise. Never panics, whatever the bytes.
pub fn parse_error_body(status: u16, body: &[u8]) -> Error {
    match serde_json::from_slice::<ErrorResponse>(body) {
        Ok(parsed) => api_error(status, parsed, None),
        Err(_) => decode_error(status, body, &AttemptRecord::default()),
    }
}
