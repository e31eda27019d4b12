//! What counts as each operation's answer, and how everything else the generated client returns
//! maps onto this crate's [`Error`].

use std::time::Duration;

use tencent_meeting_openapi::types::{
    DismissSuccess, ErrorInfo, ErrorResponse, MeetingQueryResponse,
};

use crate::error::{ApiError, DecodeError, Error, TimeoutError, TransportError, ValidationError};
use crate::transport::{AttemptRecord, trace_id};

pub(crate) type GeneratedError = tencent_meeting_openapi::Error<ErrorResponse>;

/// An operation's success answer, as the generated client decodes it.
pub(crate) trait Answer: Sized {
    /// The answer an empty (or all-whitespace) HTTP 200 body stands for, if the operation has one.
    fn from_empty_body() -> Option<Self>;

    /// Checks a decoded 200 answer: one that carries `error_info`, or is not the operation's
    /// answer at all, is an error.
    fn check(self, record: &AttemptRecord) -> Result<Self, Error>;
}

/// A dismiss succeeds with an empty body or `{}`; `DismissSuccess` admits nothing else.
impl Answer for DismissSuccess {
    fn from_empty_body() -> Option<Self> {
        Some(DismissSuccess {})
    }

    fn check(self, _record: &AttemptRecord) -> Result<Self, Error> {
        Ok(self)
    }
}

impl Answer for MeetingQueryResponse {
    fn from_empty_body() -> Option<Self> {
        None
    }

    fn check(self, record: &AttemptRecord) -> Result<Self, Error> {
        let status = record.status.unwrap_or(200);
        if let Some(info) = self.error_info {
            return Err(api_error(status, info, record.trace_id.clone()).into());
        }
        if self.meeting_number.is_none() && self.meeting_info_list.is_empty() {
            // Decoded (every field is optional), but not a look-up answer: `{}`, `{"ok":1}`, …
            let body = serde_json::to_vec(&self).unwrap_or_default();
            return Err(DecodeError::new(status, &body)
                .with_trace_id(record.trace_id.clone())
                .into());
        }
        Ok(self)
    }
}

/// A failed generated call, mapped.
pub(crate) enum Failure<T> {
    /// An empty HTTP 200 body, which the operation takes as its success answer.
    Empty(T),
    /// The dry-run hook stopped the request before it was sent.
    DryRunStop,
    /// A real error.
    Error(Error),
}

/// The operation's success answer when `error` is the generated client failing to decode an
/// empty (or all-whitespace) HTTP 200 body and the operation takes that body as success
/// ([`Answer::from_empty_body`]); `None` for anything else.
///
/// The attempt loop asks this before [`map_error`]: the empty body is the dismiss's documented
/// answer, so every usual success passes here, and this needs neither `map_error`'s boxed future
/// (about 1 KB allocated and moved into place per call) nor an await.
pub(crate) fn empty_success<T: Answer>(
    error: &GeneratedError,
    record: &AttemptRecord,
) -> Option<T> {
    match error {
        GeneratedError::InvalidResponsePayload(bytes, _)
            if record.status == Some(200) && bytes.iter().all(u8::is_ascii_whitespace) =>
        {
            T::from_empty_body()
        }
        _ => None,
    }
}

/// Maps what the generated client returned for one attempt.
pub(crate) async fn map_error<T: Answer>(
    error: GeneratedError,
    record: &AttemptRecord,
) -> Failure<T> {
    if let Some(answer) = empty_success(&error, record) {
        return Failure::Empty(answer);
    }
    let status = record.status.unwrap_or(0);
    let error = match error {
        GeneratedError::ErrorResponse(rv) => {
            let trace_id = trace_id(rv.headers()).or_else(|| record.trace_id.clone());
            api_error(rv.status().as_u16(), rv.into_inner().error_info, trace_id).into()
        }
        GeneratedError::InvalidResponsePayload(bytes, _) => {
            body_error(status, &bytes, record.trace_id.clone())
        }
        GeneratedError::UnexpectedResponse(response) => {
            let status = response.status().as_u16();
            let trace = trace_id(response.headers());
            match response.bytes().await {
                Ok(bytes) => body_error(status, &bytes, trace),
                Err(e) => transport_error(e, true, record),
            }
        }
        GeneratedError::CommunicationError(e) => {
            let maybe_sent = !e.is_connect() && !e.is_builder();
            transport_error(e, maybe_sent, record)
        }
        GeneratedError::ResponseBodyError(e) => transport_error(e, true, record),
        GeneratedError::InvalidUpgrade(e) => transport_error(e, true, record),
        GeneratedError::InvalidRequest(message) => ValidationError::new("request", message).into(),
        GeneratedError::Custom(message) => {
            if crate::transport::is_dry_run_stop(&message) {
                return Failure::DryRunStop;
            }
            TransportError::new(message, false).into()
        }
    };
    Failure::Error(error)
}

/// The error for a documented error body.
pub(crate) fn api_error(status: u16, info: ErrorInfo, trace_id: Option<String>) -> ApiError {
    let mut error = ApiError::new(status, info.error_code, info.message);
    error.new_code = info.new_error_code;
    error.trace_id = trace_id;
    error
}

/// A body that is not the operation's answer: the documented error shape whatever the status
/// (a 200 carrying `error_info` included), or a decode error.
fn body_error(status: u16, body: &[u8], trace_id: Option<String>) -> Error {
    match serde_json::from_slice::<ErrorResponse>(body) {
        Ok(parsed) => api_error(status, parsed.error_info, trace_id).into(),
        Err(_) => DecodeError::new(status, body)
            .with_trace_id(trace_id)
            .into(),
    }
}

fn transport_error(e: reqwest::Error, maybe_sent: bool, record: &AttemptRecord) -> Error {
    if e.is_timeout() {
        let after = record.timeout.unwrap_or(Duration::ZERO);
        // A connect timeout fired before anything was written.
        let maybe_sent = maybe_sent && !e.is_connect();
        return match record.bounded_by_deadline {
            Some(deadline) => TimeoutError::deadline(deadline, maybe_sent).into(),
            None => TimeoutError::attempt(after, maybe_sent).into(),
        };
    }
    TransportError::new(error_chain(&e), maybe_sent)
        .with_source(e)
        .into()
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

#[cfg(test)]
mod properties;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_bodies_map_to_api_errors_and_anything_else_to_decode_errors() {
        let api = body_error(
            200,
            br#"{"error_info":{"error_code":9003,"message":"no such meeting"}}"#,
            None,
        );
        assert!(matches!(&api, Error::Api(e) if e.code() == 9003 && e.status() == 200));
        for body in [
            &b"<html>502</html>"[..],
            b"OK",
            b"[1,2]",
            b"",
            b"{\"ok\":1}",
        ] {
            let e = body_error(200, body, None);
            assert!(
                matches!(e, Error::Decode(_)),
                "{:?}",
                String::from_utf8_lossy(body)
            );
        }
    }

    #[test]
    fn a_look_up_answer_needs_its_list_and_no_error_info() {
        let record = AttemptRecord {
            status: Some(200),
            ..AttemptRecord::default()
        };
        let empty: MeetingQueryResponse = serde_json::from_str("{}").unwrap_or_default();
        assert!(matches!(empty.check(&record), Err(Error::Decode(_))));
        let error: Result<MeetingQueryResponse, _> =
            serde_json::from_str(r#"{"error_info":{"error_code":9003,"message":"x"}}"#);
        assert!(matches!(
            error.map(|e| e.check(&record)),
            Ok(Err(Error::Api(e))) if e.code() == 9003
        ));
        let ok: Result<MeetingQueryResponse, _> =
            serde_json::from_str(r#"{"meeting_number":0,"meeting_info_list":[]}"#);
        assert!(matches!(ok.map(|r| r.check(&record)), Ok(Ok(_))));
    }
}
