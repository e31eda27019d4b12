//! The `generated` path's client: the generated client alone, with a request hook that signs
//! and stamps each request as the raw baseline does (the same key prepared once, the same
//! headers), and nothing of the wrapper (no validation, plan, attempt record, task-local, span
//! or retry). Between `raw` and `dismiss`, it splits the wrapper's cost over a raw call into
//! what the generated client costs and what the wrapper adds to it.

use std::sync::Arc;

use reqwest::header::{HeaderName, HeaderValue};
use tencent_meeting::clock::{Clock as _, NonceSource, SystemClock};
use tencent_meeting::signing::{SigningKey, SigningParams, sign_with};
use tencent_meeting::{DEFAULT_CONNECT_TIMEOUT, DEFAULT_TIMEOUT};
use tencent_meeting_openapi::hooks::{HookError, Hooks, RequestHooks};
use tencent_meeting_openapi::meeting_id::MeetingId;
use tencent_meeting_openapi::{Client, Error, types};

const X_TC_TIMESTAMP: HeaderName = HeaderName::from_static("x-tc-timestamp");
const X_TC_NONCE: HeaderName = HeaderName::from_static("x-tc-nonce");
const X_TC_KEY: HeaderName = HeaderName::from_static("x-tc-key");
const X_TC_SIGNATURE: HeaderName = HeaderName::from_static("x-tc-signature");
const X_TC_REGISTERED: HeaderName = HeaderName::from_static("x-tc-registered");
const APPID: HeaderName = HeaderName::from_static("appid");

/// Signs as `raw_client::RawClient::dismiss` does, from inside the generated client's hook.
struct Signer {
    app_id: HeaderValue,
    secret_id: String,
    secret_id_header: HeaderValue,
    key: SigningKey,
    nonces: NonceSource,
}

impl RequestHooks for Signer {
    fn before_send(&self, request: &mut reqwest::Request) -> Result<(), HookError> {
        let now = SystemClock.now_unix_millis();
        let timestamp = now / 1000;
        let nonce = self.nonces.next(now);
        let body = request
            .body()
            .and_then(reqwest::Body::as_bytes)
            .unwrap_or_default();
        // The dismiss has no query: the path is what is signed.
        let signed = sign_with(
            &SigningParams {
                method: request.method().as_str(),
                uri: request.url().path(),
                body,
                secret_id: &self.secret_id,
                timestamp,
                nonce,
            },
            &self.key,
        );
        let signature =
            HeaderValue::from_str(&signed.signature).map_err(|e| HookError(e.to_string()))?;
        let headers = request.headers_mut();
        headers.insert(X_TC_TIMESTAMP, HeaderValue::from(timestamp));
        headers.insert(X_TC_NONCE, HeaderValue::from(nonce));
        headers.insert(X_TC_KEY, self.secret_id_header.clone());
        headers.insert(X_TC_SIGNATURE, signature);
        headers.insert(APPID, self.app_id.clone());
        headers.insert(X_TC_REGISTERED, HeaderValue::from_static("1"));
        Ok(())
    }
}

/// The generated client with the raw baseline's signer.
pub struct GeneratedClient(Client);

impl GeneratedClient {
    pub fn new(
        base_url: &str,
        app_id: &str,
        secret_id: &str,
        secret_key: &str,
    ) -> Result<Self, String> {
        let http = reqwest::Client::builder()
            .timeout(DEFAULT_TIMEOUT)
            .connect_timeout(DEFAULT_CONNECT_TIMEOUT)
            .user_agent(concat!("tencent-meeting-rs/", env!("CARGO_PKG_VERSION")))
            .http1_title_case_headers()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| format!("building the reqwest client: {e}"))?;
        let signer = Signer {
            app_id: HeaderValue::from_str(app_id).map_err(|e| format!("AppId: {e}"))?,
            secret_id: secret_id.to_string(),
            secret_id_header: HeaderValue::from_str(secret_id)
                .map_err(|e| format!("SecretId: {e}"))?,
            key: SigningKey::new(secret_key),
            nonces: NonceSource::new(),
        };
        Ok(Self(Client::new_with_client(
            base_url,
            http,
            Hooks::new(Arc::new(signer)),
        )))
    }

    /// The body [`Self::dismiss`] sends, serialised as the generated client does.
    pub fn body(userid: &str) -> Result<Vec<u8>, String> {
        let userid =
            types::DismissMeetingRequestUserid::try_from(userid).map_err(|e| e.to_string())?;
        let body = types::DismissMeetingRequest::try_from(fill(
            types::DismissMeetingRequest::builder(),
            userid,
        ))
        .map_err(|e| e.to_string())?;
        serde_json::to_vec(&body).map_err(|e| e.to_string())
    }

    /// One dismiss through the generated builders, its body filled in place (`body_map`), the
    /// raw baseline's body; an empty 200 (which the generated client fails to decode as JSON)
    /// or `{}` is success, as for the other two paths.
    pub async fn dismiss(&self, meeting_id: &str, userid: &str) -> Result<(), String> {
        let meeting_id = MeetingId::try_from(meeting_id).map_err(|e| e.to_string())?;
        let userid =
            types::DismissMeetingRequestUserid::try_from(userid).map_err(|e| e.to_string())?;
        let sent = self
            .0
            .dismiss_meeting()
            .meeting_id(meeting_id)
            .body_map(|body| fill(body, userid))
            .send()
            .await;
        match sent {
            Ok(_) => Ok(()),
            Err(Error::InvalidResponsePayload(bytes, _)) if bytes.trim_ascii().is_empty() => Ok(()),
            Err(e) => Err(e.to_string()),
        }
    }
}

/// The raw baseline's body (`force_dismiss_meeting` is the spec's default, 1).
fn fill(
    body: types::builder::DismissMeetingRequest,
    userid: types::DismissMeetingRequestUserid,
) -> types::builder::DismissMeetingRequest {
    body.userid(Some(userid))
        .instanceid(1)
        .reason_code(1)
        .retrieve_code(0)
}
