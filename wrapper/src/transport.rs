//! One attempt of a call: the generated client with this crate's hooks plugged in, which stamp,
//! sign and record each request exactly as it is sent.

use std::sync::{Arc, Mutex, PoisonError};

use reqwest::header::{CONTENT_TYPE, HeaderName, HeaderValue};
use tencent_meeting_openapi::hooks::{HookError, Hooks, RequestHooks};

use crate::client::ClientInner;
use crate::credentials::Mode;
use crate::prepared::PreparedRequest;
use crate::signing::{SigningParams, sign_with};

/// The response header third parties report as carrying a trace id.
pub(crate) const TRACE_HEADER: &str = "x-tc-trace";

/// The message of the hook error that stops a dry run before anything is sent.
const DRY_RUN: &str = "dry run: request prepared, not sent";

/// What one attempt sent and saw.
#[derive(Debug, Default, Clone)]
pub(crate) struct AttemptRecord {
    pub nonce: u64,
    pub status: Option<u16>,
    pub trace_id: Option<String>,
    pub prepared: Option<PreparedRequest>,
}

/// The hooks of one attempt.
pub(crate) struct AttemptHooks {
    client: Arc<ClientInner>,
    dry_run: bool,
    record: Mutex<AttemptRecord>,
}

impl AttemptHooks {
    /// The generated client for one attempt, and the record its hooks fill in. The generated
    /// client is a thin handle: the connection pool is shared.
    pub fn attempt(
        client: &Arc<ClientInner>,
        dry_run: bool,
    ) -> (tencent_meeting_openapi::Client, Arc<AttemptHooks>) {
        let hooks = Arc::new(AttemptHooks {
            client: Arc::clone(client),
            dry_run,
            record: Mutex::new(AttemptRecord::default()),
        });
        let api = tencent_meeting_openapi::Client::new_with_client(
            &client.base_url,
            client.http.clone(),
            Hooks::new(hooks.clone() as Arc<dyn RequestHooks>),
        );
        (api, hooks)
    }

    /// What the attempt recorded.
    pub fn record(&self) -> AttemptRecord {
        self.record
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Whether `message` (from progenitor's `Error::Custom`) is the dry-run stop.
    pub fn is_dry_run_stop(message: &str) -> bool {
        message == DRY_RUN
    }
}

impl RequestHooks for AttemptHooks {
    fn before_send(&self, request: &mut reqwest::Request) -> Result<(), HookError> {
        let now = self.client.clock.now_unix_millis();
        let timestamp = now / 1000;
        let nonce = self.client.nonces.next(now);
        let signed = stamp(&self.client, request, timestamp, nonce);
        let mut record = self.record.lock().unwrap_or_else(PoisonError::into_inner);
        record.nonce = nonce;
        if self.dry_run {
            record.prepared = Some(PreparedRequest::from_request(request, signed));
            return Err(HookError(DRY_RUN.to_string()));
        }
        Ok(())
    }

    fn after_send(&self, outcome: &reqwest::Result<reqwest::Response>) {
        if let Ok(response) = outcome {
            let mut record = self.record.lock().unwrap_or_else(PoisonError::into_inner);
            record.status = Some(response.status().as_u16());
            record.trace_id = trace_id(response.headers());
        }
    }
}

/// The trace id of an answer, when it has one.
pub(crate) fn trace_id(headers: &reqwest::header::HeaderMap) -> Option<String> {
    headers
        .get(TRACE_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

/// Adds the authentication headers to `request` and, in enterprise mode, signs it over its
/// path, query and body exactly as they will be sent. Returns the signature and string to sign.
fn stamp(
    client: &ClientInner,
    request: &mut reqwest::Request,
    timestamp: u64,
    nonce: u64,
) -> Option<crate::signing::Signed> {
    let headers = request.headers_mut();
    // progenitor adds an `api-version` header the service does not document: send only what it does.
    headers.remove("api-version");
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.insert(X_TC_TIMESTAMP, HeaderValue::from(timestamp));
    headers.insert(X_TC_NONCE, HeaderValue::from(nonce));
    match &client.credentials.0 {
        Mode::OAuth2(o) => {
            let headers = request.headers_mut();
            // Both checked to be valid header values when the credentials were made.
            if let Some(v) = o.access_token_header() {
                headers.insert(ACCESSTOKEN, v);
            }
            if let Ok(v) = HeaderValue::from_str(&o.open_id) {
                headers.insert(OPENID, v);
            }
            None
        }
        Mode::Enterprise(e) => {
            let url = request.url();
            let uri = match url.query() {
                Some(q) => format!("{}?{q}", url.path()),
                None => url.path().to_string(),
            };
            let body = request
                .body()
                .and_then(|b| b.as_bytes())
                .unwrap_or_default();
            let method = request.method().as_str().to_string();
            let signed = sign_with(
                &SigningParams {
                    method: &method,
                    uri: &uri,
                    body,
                    secret_id: &e.secret_id,
                    timestamp,
                    nonce,
                },
                e.signing_key(),
            );
            let headers = request.headers_mut();
            if let Ok(v) = HeaderValue::from_str(&e.secret_id) {
                headers.insert(X_TC_KEY, v);
            }
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
