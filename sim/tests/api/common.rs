//! Helpers the integration tests share: simulators, wrapper clients, raw signed requests.

#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use tencent_meeting::clock::{Clock, SystemClock};
use tencent_meeting::signing::{SigningParams, sign};
use tencent_meeting::{Client, Credentials, Error, Instance, Operator, RetryPolicy};
use tencent_meeting_sim::{MeetingSpec, MeetingView, SimCredentials, Simulator, SimulatorBuilder};

/// The creator of the meetings the tests make.
pub const ALICE: &str = "alice";

pub async fn start(builder: SimulatorBuilder) -> Simulator {
    builder.start().await.expect("the simulator starts")
}

pub async fn sim() -> Simulator {
    start(Simulator::builder()).await
}

/// Enterprise credentials matching the simulator's (with its SdkId, if any).
pub fn enterprise(sim: &Simulator) -> Credentials {
    Credentials::try_from(sim.credentials()).expect("valid credentials")
}

/// OAuth2.0 credentials for the demo token.
pub fn oauth() -> Credentials {
    Credentials::oauth2(
        tencent_meeting_sim::DEMO_ACCESS_TOKEN,
        tencent_meeting_sim::DEMO_OPEN_ID,
    )
    .expect("valid credentials")
}

/// A single-attempt client against the simulator.
pub fn client(sim: &Simulator, credentials: Credentials) -> Client {
    client_with(
        sim,
        credentials,
        Arc::new(SystemClock),
        RetryPolicy::none(),
        Duration::from_secs(10),
    )
}

pub fn client_with(
    sim: &Simulator,
    credentials: Credentials,
    clock: Arc<dyn Clock>,
    retry: RetryPolicy,
    timeout: Duration,
) -> Client {
    Client::builder()
        .base_url(sim.base_url())
        .credentials(credentials)
        .retry(retry)
        .clock(clock)
        .timeout(timeout)
        .build()
        .expect("the client builds")
}

/// Dismisses `id` as `operator` from a PC with reason 1.
pub async fn dismiss_as(
    client: &Client,
    id: &str,
    operator: Operator,
) -> Result<tencent_meeting::Dismissed, Error> {
    client
        .dismiss_meeting(id)
        .operator(operator)
        .instance(Instance::Pc)
        .reason_code(1)
        .send()
        .await
}

/// Creates a meeting on `sim` and returns its ID.
pub fn create(sim: &Simulator, spec: MeetingSpec) -> String {
    sim.create_meeting(spec).expect("the meeting is created")
}

pub fn view(sim: &Simulator, id: &str) -> MeetingView {
    sim.meeting(id).expect("the meeting exists")
}

/// The API code of an error, or a panic naming what came instead.
pub fn api_code(result: Result<impl std::fmt::Debug, Error>) -> i64 {
    match result {
        Err(Error::Api(e)) => e.code(),
        other => panic!("expected an API error, got {other:?}"),
    }
}

pub fn now_secs() -> u64 {
    SystemClock.now_unix_millis() / 1000
}

/// A raw request's answer.
#[derive(Debug)]
pub struct Raw {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Vec<u8>,
}

impl Raw {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", String::from_utf8_lossy(&self.body)))
    }

    pub fn code(&self) -> i64 {
        self.json()["error_info"]["error_code"]
            .as_i64()
            .unwrap_or(0)
    }

    pub fn trace(&self) -> String {
        self.headers
            .get("x-tc-trace")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    }
}

/// The enterprise headers for a request signed with `creds`.
pub fn signed_headers(
    creds: &SimCredentials,
    method: &str,
    uri: &str,
    body: &[u8],
    timestamp: u64,
    nonce: u64,
) -> Vec<(&'static str, String)> {
    let signed = sign(
        &SigningParams {
            method,
            uri,
            body,
            secret_id: &creds.secret_id,
            timestamp,
            nonce,
        },
        &creds.secret_key,
    );
    let mut headers = vec![
        ("Content-Type", "application/json".to_string()),
        ("X-TC-Key", creds.secret_id.clone()),
        ("X-TC-Timestamp", timestamp.to_string()),
        ("X-TC-Nonce", nonce.to_string()),
        ("X-TC-Signature", signed.signature),
        ("AppId", creds.app_id.clone()),
        ("X-TC-Registered", "1".to_string()),
    ];
    if let Some(sdk) = &creds.sdk_id {
        headers.push(("SdkId", sdk.clone()));
    }
    headers
}

/// Sends a request as given (no retries, no redirects) and reads the whole answer.
pub async fn send_raw(
    sim: &Simulator,
    method: &str,
    uri: &str,
    headers: &[(&str, String)],
    body: &[u8],
) -> Raw {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("reqwest builds");
    let method = reqwest::Method::from_bytes(method.as_bytes()).expect("a method");
    let mut request = http
        .request(method, format!("{}{uri}", sim.base_url()))
        .body(body.to_vec());
    for (name, value) in headers {
        request = request.header(*name, value);
    }
    let response = request.send().await.expect("the simulator answers");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response.bytes().await.expect("the whole body").to_vec();
    Raw {
        status,
        headers,
        body,
    }
}

/// A freshly signed enterprise request with the simulator's own credentials.
pub async fn signed(sim: &Simulator, method: &str, uri: &str, body: &[u8]) -> Raw {
    let nonce = rand_nonce();
    let headers = signed_headers(sim.credentials(), method, uri, body, now_secs(), nonce);
    send_raw(sim, method, uri, &headers, body).await
}

/// A nonce no other request of the test run uses.
pub fn rand_nonce() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(1);
    SystemClock.now_unix_millis() * 1_000_000 + NEXT.fetch_add(1, Ordering::Relaxed) % 1_000_000
}

/// `GET` on the admin API.
pub async fn admin_get(sim: &Simulator, path: &str) -> Raw {
    send_raw(sim, "GET", path, &[], b"").await
}

/// `POST` JSON on the admin API.
pub async fn admin_post(sim: &Simulator, path: &str, json: &str) -> Raw {
    send_raw(
        sim,
        "POST",
        path,
        &[("Content-Type", "application/json".to_string())],
        json.as_bytes(),
    )
    .await
}

/// A clock a test moves by hand, shared by the simulator and its clients so both agree.
#[derive(Debug)]
pub struct SteppedClock(std::sync::atomic::AtomicU64);

impl SteppedClock {
    /// A clock at `unix_millis`.
    pub fn at(unix_millis: u64) -> Arc<Self> {
        Arc::new(Self(std::sync::atomic::AtomicU64::new(unix_millis)))
    }

    /// Moves the clock forward.
    pub fn advance(&self, by: Duration) {
        self.0.fetch_add(
            u64::try_from(by.as_millis()).expect("a short step"),
            std::sync::atomic::Ordering::SeqCst,
        );
    }
}

impl Clock for SteppedClock {
    fn now_unix_millis(&self) -> u64 {
        self.0.load(std::sync::atomic::Ordering::SeqCst)
    }
}

/// A raw, signed look-up of `id` as `alice`, answering the one `meeting_info_list` entry.
pub async fn lookup_json(sim: &Simulator, id: &str) -> serde_json::Value {
    let raw = signed(
        sim,
        "GET",
        &format!("/v1/meetings/{id}?userid=alice&instanceid=1"),
        b"",
    )
    .await;
    assert_eq!(raw.status, 200, "{:?}", String::from_utf8_lossy(&raw.body));
    let json = raw.json();
    assert_eq!(json["meeting_number"], 1);
    json["meeting_info_list"][0].clone()
}
