//! The raw baseline: the same dismiss request the wrapper sends, built by hand on one
//! `reqwest::Client` and signed with the wrapper's own `signing::sign_with` (a key prepared once,
//! as the wrapper prepares it once per client), and the checks that it
//! really is the same request.

use std::time::Duration;

use anyhow::{Context as _, Result, bail, ensure};
use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue};
use serde::Serialize;
use tencent_meeting::clock::{Clock as _, NonceSource, SystemClock};
use tencent_meeting::signing::{SigningKey, SigningParams, sign, sign_with};
use tencent_meeting::{Client, Credentials, DEFAULT_CONNECT_TIMEOUT, DEFAULT_TIMEOUT};
use tencent_meeting_sim::SimCredentials;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpListener;

use super::{OPERATOR, dismiss_call};

/// The wrapper's default `User-Agent`; both crates share the workspace version, and the wire
/// check below confirms it.
const USER_AGENT: &str = concat!("tencent-meeting-rs/", env!("CARGO_PKG_VERSION"));

/// The dismiss body, field for field in the order the generated client serialises it (its
/// fields sorted by name); the bytes are compared with the wrapper's before any measurement.
struct DismissBody<'a> {
    force_dismiss_meeting: i32,
    instanceid: i32,
    reason_code: i32,
    retrieve_code: i32,
    userid: &'a str,
}

// By hand rather than derived: xtask depends on serde without its `derive` feature.
impl Serialize for DismissBody<'_> {
    fn serialize<S: serde::Serializer>(
        &self,
        serializer: S,
    ) -> std::result::Result<S::Ok, S::Error> {
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

/// The headers whose values differ from request to request by design.
const PER_REQUEST: [&str; 3] = ["x-tc-timestamp", "x-tc-nonce", "x-tc-signature"];

/// A hand-made client: one `reqwest::Client` with the wrapper's settings, the simulator's
/// credentials, a prepared signing key and a nonce source of the wrapper's kind.
pub struct RawClient {
    http: reqwest::Client,
    base_url: String,
    app_id: HeaderValue,
    secret_id: String,
    secret_id_header: HeaderValue,
    /// The SecretKey's HMAC state, prepared once, as the wrapper prepares it once per client.
    key: SigningKey,
    nonces: NonceSource,
}

/// What one raw dismiss came back with.
pub enum RawOutcome {
    /// HTTP 200.
    Ok,
    /// Another status, with the API code when the body had one.
    Status(u16, Option<i64>),
    /// No answer.
    Transport(String),
}

impl RawClient {
    /// A client for `base_url` built as the wrapper builds its own: the same timeouts, user
    /// agent, title-cased header names and redirect policy, default pool settings.
    pub fn new(base_url: &str, creds: &SimCredentials) -> Result<Self> {
        let http = reqwest::Client::builder()
            .timeout(DEFAULT_TIMEOUT)
            .connect_timeout(DEFAULT_CONNECT_TIMEOUT)
            .user_agent(USER_AGENT)
            .http1_title_case_headers()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .context("building the raw reqwest client")?;
        Ok(Self {
            http,
            base_url: base_url.trim_end_matches('/').to_string(),
            app_id: HeaderValue::from_str(&creds.app_id).context("AppId as a header")?,
            secret_id: creds.secret_id.clone(),
            secret_id_header: HeaderValue::from_str(&creds.secret_id)
                .context("SecretId as a header")?,
            key: SigningKey::new(&creds.secret_key),
            nonces: NonceSource::new(),
        })
    }

    /// The body bytes for a dismiss by the load test's operator.
    pub fn body() -> Result<Vec<u8>> {
        serde_json::to_vec(&DismissBody {
            force_dismiss_meeting: 1,
            instanceid: 1,
            reason_code: 1,
            retrieve_code: 0,
            userid: OPERATOR,
        })
        .context("serialising the dismiss body")
    }

    /// Builds, signs and sends one dismiss, as the wrapper's transport hook does it: stamp,
    /// sign the path and body exactly as sent, and add the headers in the wrapper's order.
    pub async fn dismiss(&self, meeting_id: &str) -> RawOutcome {
        let body = match Self::body() {
            Ok(body) => body,
            Err(e) => return RawOutcome::Transport(e.to_string()),
        };
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
        match HeaderValue::from_str(&signed.signature) {
            Ok(v) => headers.insert(X_TC_SIGNATURE, v),
            Err(e) => return RawOutcome::Transport(format!("signature header: {e}")),
        };
        headers.insert(APPID, self.app_id.clone());
        headers.insert(X_TC_REGISTERED, HeaderValue::from_static("1"));
        let sent = self
            .http
            .post(format!("{}{uri}", self.base_url))
            .headers(headers)
            .body(body)
            .send()
            .await;
        match sent {
            // A 200 is a success only with an empty body or `{}` (issue 10): read and check it,
            // as the wrapper does.
            Ok(response) if response.status() == 200 => match response.bytes().await {
                Ok(bytes) if is_success_body(&bytes) => RawOutcome::Ok,
                Ok(bytes) => RawOutcome::Status(
                    200,
                    serde_json::from_slice::<serde_json::Value>(&bytes)
                        .ok()
                        .and_then(|v| v["error_info"]["error_code"].as_i64()),
                ),
                Err(e) => RawOutcome::Transport(e.to_string()),
            },
            Ok(response) => {
                let status = response.status().as_u16();
                let code = match response.bytes().await {
                    Ok(bytes) => serde_json::from_slice::<serde_json::Value>(&bytes)
                        .ok()
                        .and_then(|v| v["error_info"]["error_code"].as_i64()),
                    Err(_) => None,
                };
                RawOutcome::Status(status, code)
            }
            Err(e) => RawOutcome::Transport(e.to_string()),
        }
    }
}

const X_TC_TIMESTAMP: HeaderName = HeaderName::from_static("x-tc-timestamp");
const X_TC_NONCE: HeaderName = HeaderName::from_static("x-tc-nonce");
const X_TC_KEY: HeaderName = HeaderName::from_static("x-tc-key");
const X_TC_SIGNATURE: HeaderName = HeaderName::from_static("x-tc-signature");
const X_TC_REGISTERED: HeaderName = HeaderName::from_static("x-tc-registered");
const APPID: HeaderName = HeaderName::from_static("appid");

/// Checks that the raw baseline sends what the wrapper sends, and returns a one-line account:
///
/// 1. the wrapper's dry run (`prepare`) has the raw body bytes, and its signature is what
///    `signing::sign` computes from its own timestamp and nonce;
/// 2. on the wire (each side sends one dismiss to a listener on 127.0.0.1 that records the
///    bytes and answers 200), the request line, every header name and value in order, and the
///    body are identical, but for the timestamp, nonce and signature values.
pub async fn check_same_request(
    wrapper: &Client,
    creds: &SimCredentials,
    meeting_id: &str,
) -> Result<String> {
    // 1. The dry run.
    let prepared = dismiss_call(wrapper, meeting_id)
        .prepare()
        .await
        .context("the wrapper's dry run")?;
    let body = RawClient::body()?;
    ensure!(
        prepared.body == body,
        "the raw body {:?} differs from the wrapper's {:?}",
        String::from_utf8_lossy(&body),
        String::from_utf8_lossy(&prepared.body)
    );
    let header = |name: &str| {
        prepared
            .headers
            .iter()
            .find(|h| h.name == name)
            .and_then(|h| h.value.clone())
            .with_context(|| format!("the dry run has no {name} header"))
    };
    let timestamp: u64 = header("x-tc-timestamp")?.parse()?;
    let nonce: u64 = header("x-tc-nonce")?.parse()?;
    let uri = format!("/v1/meetings/{meeting_id}/dismiss");
    let resigned = sign(
        &SigningParams {
            method: "POST",
            uri: &uri,
            body: &body,
            secret_id: &creds.secret_id,
            timestamp,
            nonce,
        },
        &creds.secret_key,
    );
    ensure!(
        prepared.signature.as_deref() == Some(resigned.signature.as_str()),
        "signing::sign does not reproduce the wrapper's signature"
    );

    // 2. The wire.
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let base_url = format!("http://{}", listener.local_addr()?);
    let capture = tokio::spawn(async move {
        let mut requests = Vec::new();
        for _ in 0..2 {
            let (mut stream, _) = listener.accept().await?;
            let request = read_request(&mut stream).await?;
            stream
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
                .await?;
            requests.push(request);
        }
        anyhow::Ok(requests)
    });
    let wrapper_to_capture = Client::builder()
        .base_url(&base_url)
        .credentials(Credentials::enterprise(
            &creds.app_id,
            &creds.secret_id,
            &creds.secret_key,
        )?)
        .build()?;
    dismiss_call(&wrapper_to_capture, meeting_id)
        .send()
        .await
        .context("the wrapper's request to the capture listener")?;
    let raw = RawClient::new(&base_url, creds)?;
    match raw.dismiss(meeting_id).await {
        RawOutcome::Ok => {}
        RawOutcome::Status(s, _) => bail!("the capture listener answered {s} to the raw client"),
        RawOutcome::Transport(e) => bail!("the raw request to the capture listener: {e}"),
    }
    let requests = tokio::time::timeout(Duration::from_secs(10), capture)
        .await
        .context("the capture listener did not see both requests")???;
    let [wrapper_bytes, raw_bytes] = <[Vec<u8>; 2]>::try_from(requests)
        .map_err(|_| anyhow::anyhow!("the capture listener saw other than two requests"))?;
    let wrapper_masked = masked(&wrapper_bytes)?;
    let raw_masked = masked(&raw_bytes)?;
    if wrapper_masked != raw_masked {
        bail!(
            "the raw request differs from the wrapper's on the wire:\n--- wrapper\n{}\n--- raw\n{}",
            String::from_utf8_lossy(&wrapper_masked),
            String::from_utf8_lossy(&raw_masked)
        );
    }
    let head = String::from_utf8_lossy(&wrapper_masked);
    let names: Vec<&str> = head
        .lines()
        .skip(1)
        .take_while(|l| !l.is_empty())
        .filter_map(|l| l.split_once(':').map(|(n, _)| n))
        .collect();
    Ok(format!(
        "same request: body {} bytes identical to the dry run's, signature reproduced by signing::sign; on the wire the request line, {} headers in the same order ({}) and the body are byte-identical, but for the values of {}",
        body.len(),
        names.len(),
        names.join(", "),
        PER_REQUEST.join(", ")
    ))
}

/// Reads one HTTP/1.1 request with a `Content-Length` body (all these have one).
async fn read_request(stream: &mut tokio::net::TcpStream) -> Result<Vec<u8>> {
    let mut bytes = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let n = stream.read(&mut buf).await?;
        ensure!(n > 0, "the connection closed mid-request");
        bytes.extend_from_slice(&buf[..n]);
        if let Some(end) = find(&bytes, b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&bytes[..end]).to_ascii_lowercase();
            let length: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .map(|v| v.trim().parse())
                .transpose()?
                .unwrap_or(0);
            if bytes.len() >= end + 4 + length {
                return Ok(bytes);
            }
        }
        ensure!(bytes.len() < 1 << 20, "the request is too large");
    }
}

/// The request with the per-request header values replaced by `*` (and the capture port, which
/// is the same for both, left as it is).
fn masked(request: &[u8]) -> Result<Vec<u8>> {
    let end = find(request, b"\r\n\r\n").context("no end of head")?;
    let head = std::str::from_utf8(&request[..end]).context("the head is not UTF-8")?;
    let mut out = Vec::with_capacity(request.len());
    for line in head.split("\r\n") {
        let per_request = line.split_once(':').is_some_and(|(name, _)| {
            PER_REQUEST.contains(&name.trim().to_ascii_lowercase().as_str())
        });
        match line.split_once(':') {
            Some((name, _)) if per_request => {
                out.extend_from_slice(format!("{name}: *").as_bytes())
            }
            _ => out.extend_from_slice(line.as_bytes()),
        }
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(&request[end + 4..]);
    Ok(out)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// The service's success answer: an empty body (whitespace allowed) or `{}`.
fn is_success_body(body: &[u8]) -> bool {
    let trimmed = body.trim_ascii();
    trimmed.is_empty() || trimmed == b"{}"
}
