//! The raw baseline client: the dismiss the wrapper sends, built by hand on one
//! `reqwest::Client` configured as the wrapper configures its own, signed with the wrapper's
//! `signing::sign_with` and a key prepared once (as the wrapper prepares it once per client), the
//! 200's body read and checked.
//!
//! One file, two users: the load test (`mod raw_client` here) and the perf guard's driver
//! (`perf/src/main.rs` includes this file by path); both also sign their generated-client-alone
//! path (`perf/src/generated_client.rs`) with its `RawSigner` on its `http_client()`. Both
//! ratios the 0.95 goal is stated in (client CPU in the load test, instructions in the guard) are
//! then measured against the same code; two copies had drifted apart once (title-cased header
//! names). It depends only on what both crates
//! have: the wrapper's default items, reqwest, serde and serde_json (no anyhow, no simulator).

use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue};
use serde::Serialize;
use tencent_meeting::clock::{Clock as _, NonceSource, SystemClock};
use tencent_meeting::signing::{SigningKey, SigningParams, sign_with};
use tencent_meeting::{DEFAULT_CONNECT_TIMEOUT, DEFAULT_TIMEOUT};

/// The wrapper's default `User-Agent`; the crates share the workspace version, and the load
/// test's wire check confirms the two are equal.
const USER_AGENT: &str = concat!("tencent-meeting-rs/", env!("CARGO_PKG_VERSION"));

const X_TC_TIMESTAMP: HeaderName = HeaderName::from_static("x-tc-timestamp");
const X_TC_NONCE: HeaderName = HeaderName::from_static("x-tc-nonce");
const X_TC_KEY: HeaderName = HeaderName::from_static("x-tc-key");
const X_TC_SIGNATURE: HeaderName = HeaderName::from_static("x-tc-signature");
const X_TC_REGISTERED: HeaderName = HeaderName::from_static("x-tc-registered");
const APPID: HeaderName = HeaderName::from_static("appid");

/// The dismiss body, field for field in the order the generated client serialises it (its
/// fields sorted by name); both users compare the bytes with the wrapper's before measuring.
struct DismissBody<'a> {
    force_dismiss_meeting: i32,
    instanceid: i32,
    reason_code: i32,
    retrieve_code: i32,
    userid: &'a str,
}

// By hand rather than derived: the load test depends on serde without its `derive` feature.
impl Serialize for DismissBody<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct as _;
        let mut s = serializer.serialize_struct("DismissBody", 5)?;
        s.serialize_field("force_dismiss_meeting", &self.force_dismiss_meeting)?;
        s.serialize_field("instanceid", &self.instanceid)?;
        s.serialize_field("reason_code", &self.reason_code)?;
        s.serialize_field("retrieve_code", &self.retrieve_code)?;
        s.serialize_field("userid", self.userid)?;
        s.end()
    }
}

/// The `reqwest::Client` the wrapper builds for itself: the same timeouts, user agent,
/// title-cased header names and redirect policy, default pool settings.
pub fn http_client() -> Result<reqwest::Client, String> {
    reqwest::Client::builder()
        .timeout(DEFAULT_TIMEOUT)
        .connect_timeout(DEFAULT_CONNECT_TIMEOUT)
        .user_agent(USER_AGENT)
        .http1_title_case_headers()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| format!("building the raw reqwest client: {e}"))
}

/// What a request is stamped and signed with: enterprise credentials, the SecretKey's HMAC state
/// prepared once (as the wrapper prepares it once per client), a nonce source of the wrapper's
/// kind. The raw client's, and the perf guard's generated client's request hook.
pub struct RawSigner {
    app_id: HeaderValue,
    secret_id: String,
    secret_id_header: HeaderValue,
    key: SigningKey,
    nonces: NonceSource,
}

/// One request's stamp: its timestamp, nonce and signature.
pub struct Stamp {
    timestamp: u64,
    nonce: u64,
    signature: HeaderValue,
}

impl RawSigner {
    pub fn new(app_id: &str, secret_id: &str, secret_key: &str) -> Result<Self, String> {
        Ok(Self {
            app_id: HeaderValue::from_str(app_id).map_err(|e| format!("AppId as a header: {e}"))?,
            secret_id: secret_id.to_string(),
            secret_id_header: HeaderValue::from_str(secret_id)
                .map_err(|e| format!("SecretId as a header: {e}"))?,
            key: SigningKey::new(secret_key),
            nonces: NonceSource::new(),
        })
    }

    /// Stamps a request now and signs its method, path (with query) and body exactly as sent.
    pub fn sign(&self, method: &str, uri: &str, body: &[u8]) -> Result<Stamp, String> {
        let now = SystemClock.now_unix_millis();
        let timestamp = now / 1000;
        let nonce = self.nonces.next(now);
        let signed = sign_with(
            &SigningParams {
                method,
                uri,
                body,
                secret_id: &self.secret_id,
                timestamp,
                nonce,
            },
            &self.key,
        );
        let signature = HeaderValue::from_str(&signed.signature)
            .map_err(|e| format!("signature header: {e}"))?;
        Ok(Stamp {
            timestamp,
            nonce,
            signature,
        })
    }

    /// Adds `stamp` and the credentials' headers to `headers`, in the wrapper's order.
    pub fn put(&self, stamp: Stamp, headers: &mut HeaderMap) {
        headers.insert(X_TC_TIMESTAMP, HeaderValue::from(stamp.timestamp));
        headers.insert(X_TC_NONCE, HeaderValue::from(stamp.nonce));
        headers.insert(X_TC_KEY, self.secret_id_header.clone());
        headers.insert(X_TC_SIGNATURE, stamp.signature);
        headers.insert(APPID, self.app_id.clone());
        headers.insert(X_TC_REGISTERED, HeaderValue::from_static("1"));
    }
}

/// A hand-made client: one `reqwest::Client` with the wrapper's settings and a [`RawSigner`].
pub struct RawClient {
    http: reqwest::Client,
    base_url: String,
    signer: RawSigner,
}

/// What one raw dismiss came back with.
pub enum RawOutcome {
    /// HTTP 200 with the service's success body (empty, or `{}`).
    Ok,
    /// Another status, or a 200 with another body, with the API code when the body had one.
    Status(u16, Option<i64>),
    /// No answer, or the request could not be made.
    Transport(String),
}

impl RawClient {
    /// A client for `base_url` built as the wrapper builds its own (see [`http_client`]).
    pub fn new(
        base_url: &str,
        app_id: &str,
        secret_id: &str,
        secret_key: &str,
    ) -> Result<Self, String> {
        Ok(Self {
            http: http_client()?,
            base_url: base_url.trim_end_matches('/').to_string(),
            signer: RawSigner::new(app_id, secret_id, secret_key)?,
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
        .map_err(|e| format!("serialising the dismiss body: {e}"))
    }

    /// Builds, signs and sends one dismiss by `userid`, as the wrapper's transport hook does it:
    /// stamp, sign the path and body exactly as sent, and add the headers in the wrapper's order.
    pub async fn dismiss(&self, meeting_id: &str, userid: &str) -> RawOutcome {
        let body = match Self::body(userid) {
            Ok(body) => body,
            Err(e) => return RawOutcome::Transport(e),
        };
        let uri = format!("/v1/meetings/{meeting_id}/dismiss");
        let stamp = match self.signer.sign("POST", &uri, &body) {
            Ok(stamp) => stamp,
            Err(e) => return RawOutcome::Transport(e),
        };
        let mut headers = HeaderMap::with_capacity(8);
        headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        self.signer.put(stamp, &mut headers);
        let sent = self
            .http
            .post(format!("{}{uri}", self.base_url))
            .headers(headers)
            .body(body)
            .send()
            .await;
        let response = match sent {
            Ok(response) => response,
            Err(e) => return RawOutcome::Transport(e.to_string()),
        };
        let status = response.status().as_u16();
        // A 200 is a success only with an empty body or `{}` (issue 10): read and check it, as
        // the wrapper does.
        match response.bytes().await {
            Ok(bytes) if status == 200 && is_success_body(&bytes) => RawOutcome::Ok,
            Ok(bytes) => RawOutcome::Status(
                status,
                serde_json::from_slice::<serde_json::Value>(&bytes)
                    .ok()
                    .and_then(|v| v["error_info"]["error_code"].as_i64()),
            ),
            Err(_) if status != 200 => RawOutcome::Status(status, None),
            Err(e) => RawOutcome::Transport(e.to_string()),
        }
    }
}

/// The service's success answer: an empty body (whitespace allowed) or `{}`.
fn is_success_body(body: &[u8]) -> bool {
    let trimmed = body.trim_ascii();
    trimmed.is_empty() || trimmed == b"{}"
}
