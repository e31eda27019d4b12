//! Response bodies and the answers built from them: empty, JSON, the service's error body, a
//! proxy's HTML 502 page, a gateway's HTML 504 and a proxy's 200 page, and truncated answers.

use std::convert::Infallible;
use std::future::Future as _;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::header::{CONTENT_LENGTH, CONTENT_TYPE, HeaderValue};
use http::{Response, StatusCode};
use http_body::{Body, Frame, SizeHint};

use crate::api_error::ApiError;

/// A response body: whole, or cut short of the `Content-Length` its answer promises.
#[derive(Debug)]
pub(crate) enum SimBody {
    /// The bytes, sent whole.
    Full(Option<Bytes>),
    /// Part of a longer answer; see [`Truncated`].
    Truncated(Truncated),
}

/// The bytes sent of a longer answer. Its size is reported as unknown, so hyper keeps the
/// promised `Content-Length` header. After the bytes the body stalls briefly, so hyper flushes
/// the head and the bytes, then ends; hyper finds it short and closes the connection.
#[derive(Debug)]
pub(crate) struct Truncated {
    sent: Option<Bytes>,
    stall: Option<Pin<Box<tokio::time::Sleep>>>,
}

/// How long a truncated body stalls before it ends: long enough for hyper to flush.
const TRUNCATED_STALL: std::time::Duration = std::time::Duration::from_millis(20);

impl Body for SimBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        match self.get_mut() {
            SimBody::Full(slot) => Poll::Ready(
                slot.take()
                    .filter(|b| !b.is_empty())
                    .map(|b| Ok(Frame::data(b))),
            ),
            SimBody::Truncated(t) => {
                if let Some(bytes) = t.sent.take().filter(|b| !b.is_empty()) {
                    return Poll::Ready(Some(Ok(Frame::data(bytes))));
                }
                let stall = t
                    .stall
                    .get_or_insert_with(|| Box::pin(tokio::time::sleep(TRUNCATED_STALL)));
                match stall.as_mut().poll(cx) {
                    Poll::Pending => Poll::Pending,
                    Poll::Ready(()) => Poll::Ready(None),
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        match self {
            SimBody::Full(slot) => slot.as_ref().is_none_or(Bytes::is_empty),
            SimBody::Truncated(_) => false,
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            SimBody::Full(slot) => {
                SizeHint::with_exact(slot.as_ref().map_or(0, |b| b.len() as u64))
            }
            SimBody::Truncated(_) => SizeHint::default(),
        }
    }
}

/// An answer.
pub(crate) type SimResponse = Response<SimBody>;

/// An answer with `body`; `content_type` is omitted for an empty body.
pub(crate) fn response(
    status: StatusCode,
    content_type: &'static str,
    body: impl Into<Bytes>,
) -> SimResponse {
    let body = body.into();
    let mut response = Response::new(SimBody::Full(Some(body.clone())));
    *response.status_mut() = status;
    if !body.is_empty() {
        response
            .headers_mut()
            .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    }
    response
}

/// A JSON answer.
pub(crate) fn json(status: StatusCode, body: impl Into<Bytes>) -> SimResponse {
    response(status, "application/json", body)
}

/// A JSON answer of a serialisable value.
pub(crate) fn json_value<T: serde::Serialize>(status: StatusCode, value: &T) -> SimResponse {
    match serde_json::to_vec(value) {
        Ok(body) => json(status, body),
        Err(e) => error(&ApiError::new(
            960000,
            format!("could not encode the answer: {e}"),
        )),
    }
}

/// The service's error answer.
pub(crate) fn error(e: &ApiError) -> SimResponse {
    json(e.status, e.body())
}

/// The page a proxy (nginx) in front of the service answers when the service is unreachable.
pub(crate) fn html_502() -> SimResponse {
    response(
        StatusCode::BAD_GATEWAY,
        "text/html",
        "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n",
    )
}

/// The page a gateway (nginx) answers when the service took longer than its upstream timeout:
/// the request was forwarded, and perhaps acted on.
pub(crate) fn html_504() -> SimResponse {
    response(
        StatusCode::GATEWAY_TIMEOUT,
        "text/html",
        "<html>\r\n<head><title>504 Gateway Time-out</title></head>\r\n<body>\r\n<center><h1>504 Gateway Time-out</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n",
    )
}

/// A page a proxy answers with HTTP 200 in the service's place (an interstitial, a captive
/// portal): not the service's success.
pub(crate) fn proxy_page_200() -> SimResponse {
    response(
        StatusCode::OK,
        "text/html",
        "<html><head><title>Request received</title></head><body><p>Your request has been received by the proxy.</p></body></html>\r\n",
    )
}

/// `response` with a `Content-Length` promising more bytes than are sent: half its body is sent
/// (none of an empty one) against a length 32 bytes longer than the whole.
pub(crate) fn truncate(response: SimResponse) -> SimResponse {
    let (mut parts, body) = response.into_parts();
    let whole = match body {
        SimBody::Full(bytes) => bytes.unwrap_or_default(),
        SimBody::Truncated(t) => t.sent.unwrap_or_default(),
    };
    let promised = whole.len() + 32;
    let sent = whole.slice(..whole.len() / 2);
    parts
        .headers
        .insert(CONTENT_LENGTH, HeaderValue::from(promised));
    let body = Truncated {
        sent: Some(sent),
        stall: None,
    };
    Response::from_parts(parts, SimBody::Truncated(body))
}
