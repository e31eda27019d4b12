//! The raw baseline of the `raw` path: the dismiss the wrapper sends, built by hand on one
//! `reqwest::Client` configured as the wrapper configures its own, signed with the wrapper's
//! `signing::sign_with` and a key prepared once, the 200's body read and checked. The load
//! test's baseline (`loadtest/src/raw.rs`) in short, so that the guard can count both sides.

use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue};
use tencent_meeting::clock::{Clock as _, NonceSource, SystemClock};
use tencent_meeting::signing::{SigningKey, SigningParams, sign_with};
use tencent_meeting::{DEFAULT_CONNECT_TIMEOUT, DEFAULT_TIMEOUT};

const X_TC_TIMESTAMP: HeaderName = HeaderName::from_static("x-tc-timestamp");
const X_TC_NONCE: HeaderName = HeaderName::from_static("x-tc-nonce");
const X_TC_KEY: HeaderName = HeaderName::from_static("x-tc-key");
const X_TC_SIGNATURE: HeaderName = HeaderName::from_static("x-tc-signature");
const X_TC_REGISTERED: HeaderName = HeaderName::from_static("x-tc-registered");
const APPID: HeaderName = HeaderName::from_static("appid");

/// One hand-made client.
pub struct RawClient {
    http: reqwest::Client,
    base_url: String,
    app_id: HeaderValue,
    secret_id: String,
    secret_id_header: HeaderValue,
    key: SigningKey,
    nonces: NonceSource,
}

/// The dismiss body in the generated client's field order (its fields sorted by name).
#[derive(serde::Serialize)]
struct DismissBody<'a> {
    force_dismiss_meeting: i32,
    instanceid: i32,
    reason_code: i32,
    retrieve_code: i32,
    userid: &'a str,
}

impl RawClient {
    /// A client for `base_url` with the wrapper's timeouts, user agent, title-cased header names
    /// and redirect policy.
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
            .map_err(|e| format!("reqwest client: {e}"))?;
        Ok(Self {
            http,
            base_url: base_url.to_string(),
            app_id: HeaderValue::from_str(app_id).map_err(|e| format!("AppId: {e}"))?,
            secret_id: secret_id.to_string(),
            secret_id_header: HeaderValue::from_str(secret_id)
                .map_err(|e| format!("SecretId: {e}"))?,
            key: SigningKey::new(secret_key),
            nonces: NonceSource::new(),
        })
    }

    /// The body bytes of a dismiss by `userid` from a PC, reason 1.
    pub fn body(userid: &str) -> Result<Vec<u8>, String> {
        serde_json::to_vec(&DismissBody {
            force_dismiss_meeting: 1,
            instanceid: 1,
            reason_code: 1,
            retrieve_code: 0,
            userid,
        })
        .map_err(|e| e.to_string())
    }

    /// Builds, signs and sends one dismiss; `Ok` on a 200 with an empty body or `{}`.
    pub async fn dismiss(&self, meeting_id: &str, userid: &str) -> Result<(), String> {
        let body = Self::body(userid)?;
        let uri = format!("/v1/meetings/{meeting_id}/dismiss");
        let now = SystemClock.now_unix_millis();
        let timestamp = now / 1000;
        let nonce = self.nonces.next(now);
        let signed = sign_with(
            &SigningParams {
                method: "POST",
                uri: &uri,
                body: &body,
                secret_id: &self.secret_id,
                timestamp,
                nonce,
            },
            &self.key,
        );
        let mut headers = HeaderMap::with_capacity(8);
        headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        headers.insert(X_TC_TIMESTAMP, HeaderValue::from(timestamp));
        headers.insert(X_TC_NONCE, HeaderValue::from(nonce));
        headers.insert(X_TC_KEY, self.secret_id_header.clone());
        let signature =
            HeaderValue::from_str(&signed.signature).map_err(|e| format!("signature: {e}"))?;
        headers.insert(X_TC_SIGNATURE, signature);
        headers.insert(APPID, self.app_id.clone());
        headers.insert(X_TC_REGISTERED, HeaderValue::from_static("1"));
        let response = self
            .http
            .post(format!("{}{uri}", self.base_url))
            .headers(headers)
            .body(body)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        let status = response.status();
        let bytes = response.bytes().await.map_err(|e| e.to_string())?;
        let trimmed = bytes.trim_ascii();
        if status == 200 && (trimmed.is_empty() || trimmed == b"{}") {
            Ok(())
        } else {
            Err(format!(
                "answered {status}: {:?}",
                String::from_utf8_lossy(&bytes)
            ))
        }
    }
}
