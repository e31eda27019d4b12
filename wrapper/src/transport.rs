//! The hooks the generated client calls on every request: they stamp, sign and record each
//! request exactly as it is sent.
//!
//! A client builds its generated client once, with one [`Stamper`]; what an attempt saw is
//! recorded in its own [`AttemptFuture`], which sets a scoped thread-local to that record around
//! each poll of the generated call.

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use reqwest::header::{CONTENT_TYPE, HeaderName, HeaderValue};
use tencent_meeting_openapi::hooks::{HookError, RequestHooks};

use crate::clock::{Clock, NonceSource};
use crate::credentials::{Credentials, Mode, ProvideCredentials};
use crate::prepared::PreparedRequest;
use crate::signing::{SigningParams, sign_with};

/// The response header third parties report as carrying a trace id.
pub(crate) const TRACE_HEADER: HeaderName = HeaderName::from_static("x-tc-trace");

/// The message of the hook error that stops a dry run before anything is sent.
const DRY_RUN: &str = "dry run: request prepared, not sent";

/// What one attempt sent and saw.
#[derive(Debug, Default)]
pub(crate) struct AttemptRecord {
    /// The nonce it was stamped with (0: the hooks did not run, so nothing was sent).
    pub nonce: u64,
    pub status: Option<u16>,
    pub trace_id: Option<String>,
    /// The timeout the request was given.
    pub timeout: Option<Duration>,
    /// The call's deadline, when what remained of it was the request's timeout.
    pub bounded_by_deadline: Option<Duration>,
    // Boxed: only a dry run has one, and the record is part of every attempt's future.
    pub prepared: Option<Box<PreparedRequest>>,
}

/// One attempt in flight: how to run it, and what it recorded so far.
#[derive(Debug, Default)]
struct Attempt {
    dry_run: bool,
    /// See [`AttemptSettings::timeout_on_request`].
    timeout_on_request: bool,
    record: AttemptRecord,
}

/// How one attempt runs: its timeout, and whether it is a dry run.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct AttemptSettings {
    pub dry_run: bool,
    pub timeout: Option<Duration>,
    pub bounded_by_deadline: Option<Duration>,
    /// Whether the hooks put `timeout` on the request. Not when the reqwest client applies the
    /// same timeout to every request by itself (it is the client's own and was built with it):
    /// reqwest then arms the same total timeout, and setting it per request would allocate the
    /// request's extension map and a boxed value on every attempt.
    pub timeout_on_request: bool,
}

scoped_tls::scoped_thread_local! {
    // The attempt in flight on this thread, set by `AttemptFuture` around each poll of its call:
    // the hooks run synchronously inside those polls. Only a pointer is set and restored per
    // poll; the record itself stays in the future (no lock, no allocation, no copy).
    static ATTEMPT: RefCell<Attempt>
}

pin_project_lite::pin_project! {
    /// One generated call run as an attempt: the call, and the record its hooks write while it
    /// is polled, held inline (not boxed: allocating progenitor's ~2 KB request future would
    /// cost more than moving it into place once).
    pub(crate) struct AttemptFuture<F: Future> {
        #[pin]
        call: F,
        attempt: RefCell<Attempt>,
    }
}

impl<F: Future> Future for AttemptFuture<F> {
    type Output = (F::Output, AttemptRecord);

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let call = this.call;
        let output = ready!(ATTEMPT.set(this.attempt, || call.poll(cx)));
        let record = std::mem::take(&mut this.attempt.get_mut().record);
        Poll::Ready((output, record))
    }
}

/// Runs one generated call as an attempt and returns its outcome with what the hooks recorded.
/// The hooks give the request the settings' timeout; with `dry_run`, they prepare the request
/// and stop it before it is sent.
pub(crate) fn run_attempt<F: Future>(settings: AttemptSettings, call: F) -> AttemptFuture<F> {
    AttemptFuture {
        call,
        attempt: RefCell::new(Attempt {
            dry_run: settings.dry_run,
            timeout_on_request: settings.timeout_on_request,
            record: AttemptRecord {
                timeout: settings.timeout,
                bounded_by_deadline: settings.bounded_by_deadline,
                ..AttemptRecord::default()
            },
        }),
    }
}

/// Whether `message` (from progenitor's `Error::Custom`) is the dry-run stop.
pub(crate) fn is_dry_run_stop(message: &str) -> bool {
    message == DRY_RUN
}

/// Stamps every request of one client with a fresh timestamp and nonce and its credentials'
/// headers, signing it in enterprise mode.
pub(crate) struct Stamper {
    pub credentials: Arc<dyn ProvideCredentials>,
    pub clock: Arc<dyn Clock>,
    pub nonces: NonceSource,
}

impl RequestHooks for Stamper {
    fn before_send(&self, request: &mut reqwest::Request) -> Result<(), HookError> {
        let now = self.clock.now_unix_millis();
        let nonce = self.nonces.next(now);
        let signed = stamp(&self.credentials.credentials(), request, now / 1000, nonce);
        let stop = with_attempt(|attempt| {
            attempt.record.nonce = nonce;
            if attempt.timeout_on_request
                && let Some(timeout) = attempt.record.timeout
            {
                *request.timeout_mut() = Some(timeout);
            }
            if attempt.dry_run {
                attempt.record.prepared =
                    Some(Box::new(PreparedRequest::from_request(request, signed)));
            }
            attempt.dry_run
        });
        match stop {
            Some(true) => Err(HookError(DRY_RUN.to_string())),
            _ => Ok(()),
        }
    }

    fn after_send(&self, outcome: &reqwest::Result<reqwest::Response>) {
        if let Ok(response) = outcome {
            with_attempt(|attempt| {
                attempt.record.status = Some(response.status().as_u16());
                attempt.record.trace_id = trace_id(response.headers());
            });
        }
    }
}

/// Runs `f` on the attempt in flight, if the hooks run inside one (a generated call made
/// outside [`run_attempt`] has none: it is stamped and signed all the same).
fn with_attempt<R>(f: impl FnOnce(&mut Attempt) -> R) -> Option<R> {
    ATTEMPT
        .is_set()
        .then(|| ATTEMPT.with(|attempt| f(&mut attempt.borrow_mut())))
}

/// The trace id of an answer, when it has one.
pub(crate) fn trace_id(headers: &reqwest::header::HeaderMap) -> Option<String> {
    headers
        .get(&TRACE_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

/// Adds the authentication headers to `request` and, in enterprise mode, signs it over its
/// path, query and body exactly as they will be sent. Returns the signature and string to sign.
fn stamp(
    credentials: &Credentials,
    request: &mut reqwest::Request,
    timestamp: u64,
    nonce: u64,
) -> Option<crate::signing::Signed> {
    let headers = request.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.insert(X_TC_TIMESTAMP, HeaderValue::from(timestamp));
    headers.insert(X_TC_NONCE, HeaderValue::from(nonce));
    match credentials.0.as_ref() {
        Mode::OAuth2(o) => {
            let headers = request.headers_mut();
            // Checked to be a valid header value when the credentials were made.
            if let Some(v) = o.access_token_header() {
                headers.insert(ACCESSTOKEN, v);
            }
            headers.insert(OPENID, o.open_id_header.clone());
            None
        }
        Mode::Enterprise(e) => {
            // The path and query exactly as they will go on the request line.
            let uri = &request.url()[url::Position::BeforePath..url::Position::AfterQuery];
            let body = request
                .body()
                .and_then(|b| b.as_bytes())
                .unwrap_or_default();
            let signed = sign_with(
                &SigningParams {
                    method: request.method().as_str(),
                    uri,
                    body,
                    secret_id: &e.secret_id,
                    timestamp,
                    nonce,
                },
                e.signing_key(),
            );
            let headers = request.headers_mut();
            headers.insert(X_TC_KEY, e.secret_id_header.clone());
            if let Ok(v) = HeaderValue::from_str(&signed.signature) {
                headers.insert(X_TC_SIGNATURE, v);
            }
            headers.insert(APPID, e.app_id.clone());
            if let Some(sdk_id) = &e.sdk_id {
                headers.insert(SDKID, sdk_id.clone());
            }
            headers.insert(X_TC_REGISTERED, HeaderValue::from_static("1"));
            Some(signed)
        }
    }
}

// The headers the service documents, spelled `X-TC-Key`, `AppId`, … in its documentation. `http`
// stores names in lower case (HTTP/2 requires it on the wire) and HTTP peers compare them
// case-insensitively; the official Go SDK sends Go-canonicalised names (`Appid`), which the
// service accepts.
const X_TC_TIMESTAMP: HeaderName = HeaderName::from_static("x-tc-timestamp");
const X_TC_NONCE: HeaderName = HeaderName::from_static("x-tc-nonce");
const X_TC_KEY: HeaderName = HeaderName::from_static("x-tc-key");
const X_TC_SIGNATURE: HeaderName = HeaderName::from_static("x-tc-signature");
const X_TC_REGISTERED: HeaderName = HeaderName::from_static("x-tc-registered");
const APPID: HeaderName = HeaderName::from_static("appid");
const SDKID: HeaderName = HeaderName::from_static("sdkid");
const ACCESSTOKEN: HeaderName = HeaderName::from_static("accesstoken");
const OPENID: HeaderName = HeaderName::from_static("openid");
