//! The axum receiver over a real socket (feature `webhook-axum`): every status it answers, and
//! that nothing reaches the handler — or a waiter — unless it was signed, decoded and handled.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::StatusCode;
use tencent_meeting::webhook::axum::{RECEIVED, Receiver};
use tencent_meeting::webhook::cipher::{self, base64_encode};
use tencent_meeting::webhook::sender::{MeetingEndNotice, SealedDelivery};
use tencent_meeting::webhook::{AesKey, Event, MeetingEndFilter, MeetingEndWaiter, Webhook};

const TOKEN: &str = "Ab3dEf6hIj9kLm2nOp5qRs8tU";
const KEY: &str = "abcdefghijklmnopqrstuvwxyzABCDEFG1234567890";
const OTHER_KEY: &str = "ZYXWVUTSRQPONMLKJIHGFEDCBAzyxwvutsrqponmlkj";

/// A receiver on 127.0.0.1 whose handler records what it gets, and fails while `failing` is set.
struct Harness {
    url: String,
    http: reqwest::Client,
    received: Arc<Mutex<Vec<Event>>>,
    failing: Arc<Mutex<bool>>,
    waiter: MeetingEndWaiter,
    webhook: Webhook,
}

impl Harness {
    async fn start(key: Option<&str>) -> Self {
        let webhook = Webhook::new(TOKEN, key).expect("valid");
        let received = Arc::new(Mutex::new(Vec::new()));
        let failing = Arc::new(Mutex::new(false));
        let waiter = MeetingEndWaiter::new();
        let (sink, fail) = (Arc::clone(&received), Arc::clone(&failing));
        let receiver = Receiver::new(webhook.clone(), move |events: Vec<Event>| {
            let (sink, fail) = (Arc::clone(&sink), Arc::clone(&fail));
            async move {
                if *fail.lock().expect("lock") {
                    return Err("the store is down");
                }
                sink.lock().expect("lock").extend(events);
                Ok(())
            }
        })
        .feed(waiter.clone());
        let app = axum::Router::new().route("/events", receiver.into_method_router());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self {
            url: format!("http://{addr}/events"),
            http: reqwest::Client::new(),
            received,
            failing,
            waiter,
            webhook,
        }
    }

    async fn post(&self, sealed: &SealedDelivery) -> (StatusCode, String) {
        self.post_raw(sealed, sealed.body.clone()).await
    }

    async fn post_raw(&self, sealed: &SealedDelivery, body: Vec<u8>) -> (StatusCode, String) {
        let response = self
            .http
            .post(&self.url)
            .headers(sealed.header_map())
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .expect("answered");
        let status = response.status();
        (status, response.text().await.expect("a body"))
    }

    fn received(&self) -> usize {
        self.received.lock().expect("lock").len()
    }

    /// Seals `plaintext` signed over whatever `data` is (for tampering tests).
    fn signed_data(&self, data: String) -> SealedDelivery {
        let mut sealed = self.webhook.seal_event(b"{}", "1700000000123", "7");
        sealed.headers.signature = self.webhook.sign("1700000000123", "7", &data);
        sealed.body = serde_json::json!({ "data": data }).to_string().into_bytes();
        sealed.data = data;
        sealed
    }
}

fn notice(meeting_id: &str) -> Vec<u8> {
    MeetingEndNotice::new(format!("trace-{meeting_id}"), meeting_id, 1_700_000_000_000).to_json()
}

#[tokio::test]
async fn url_checks_and_heartbeats_answer_the_bare_plaintext() {
    let h = Harness::start(Some(KEY)).await;
    for nonce in ["1", "2", "3"] {
        let check = h
            .webhook
            .seal_url_check("cfBAepfJBd0Kh8oO", "1700000000123", nonce);
        let response = h
            .http
            .get(format!("{}?{}", h.url, check.query))
            .headers(check.header_map())
            .send()
            .await
            .expect("answered");
        assert_eq!(response.status(), StatusCode::OK);
        assert!(
            response.headers()["content-type"]
                .to_str()
                .is_ok_and(|t| t.starts_with("text/plain"))
        );
        assert_eq!(response.text().await.expect("body"), "cfBAepfJBd0Kh8oO");
    }
    // The shared vector, exactly as the platform sends it.
    let response = h
        .http
        .get(format!(
            "{}?check_str=zDfLuEaKhr%2BRXkTOT7gtV4MWk5JSqIuTjF28%2FqanE3c%3D",
            h.url
        ))
        .header("timestamp", "1700000000123")
        .header("nonce", "58209741")
        .header("signature", "63cc90212de2cc9d07172fbe62e2e9a2b7c5ee6e")
        .send()
        .await
        .expect("answered");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.text().await.expect("body"), "cfBAepfJBd0Kh8oO");
}

#[tokio::test]
async fn bad_url_checks_are_refused() {
    let h = Harness::start(Some(KEY)).await;
    let check = h.webhook.seal_url_check("challenge", "1700000000123", "1");
    let get = |query: String, headers: http::HeaderMap| {
        let request = h.http.get(format!("{}?{query}", h.url)).headers(headers);
        async move { request.send().await.expect("answered").status() }
    };
    let mut wrong = check.header_map();
    wrong.insert("signature", "0".repeat(40).parse().expect("value"));
    assert_eq!(
        get(check.query.clone(), wrong).await,
        StatusCode::UNAUTHORIZED
    );
    let mut missing = check.header_map();
    missing.remove("nonce");
    assert_eq!(
        get(check.query.clone(), missing).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        get("other=1".into(), check.header_map()).await,
        StatusCode::BAD_REQUEST
    );
    // Signed, but with a key other than ours: does not decrypt.
    let foreign = Webhook::new(TOKEN, Some(OTHER_KEY))
        .expect("valid")
        .seal_url_check("challenge", "1700000000123", "1");
    let status = get(foreign.query.clone(), foreign.header_map()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn a_verified_event_is_handled_answered_and_published() {
    let h = Harness::start(Some(KEY)).await;
    let watch = h
        .waiter
        .watch(MeetingEndFilter::meeting("13339451618278424869"));
    let sealed = h
        .webhook
        .seal_event(&notice("13339451618278424869"), "1700000000123", "1");
    assert_eq!(
        h.post(&sealed).await,
        (StatusCode::OK, RECEIVED.to_string())
    );
    assert_eq!(h.received(), 1);
    let end = watch.wait(Duration::from_secs(5)).await.expect("published");
    assert_eq!(end.trace_id(), Some("trace-13339451618278424869"));
    // An unknown event is authentic: handled (untyped), not refused, and it confirms nothing,
    // even when it names a meeting; nor does a meeting.end that does not have its schema's shape.
    let watch = h.waiter.watch(MeetingEndFilter::meeting("5"));
    for (nonce, plaintext) in [
        (
            "2",
            &br#"{"event":"recording.completed","trace_id":"r1","payload":[{"meeting_info":{"meeting_id":"5"}}]}"#[..],
        ),
        (
            "3",
            br#"{"event":"meeting.end","trace_id":"r2","payload":[{"meeting_info":{"meeting_id":5}}]}"#,
        ),
    ] {
        let sealed = h.webhook.seal_event(plaintext, "1700000000123", nonce);
        assert_eq!(h.post(&sealed).await.0, StatusCode::OK);
    }
    {
        let received = h.received.lock().expect("lock");
        assert!(
            matches!(&received[1], Event::Other { event, .. } if event == "recording.completed")
        );
        assert!(matches!(&received[2], Event::Other { event, .. } if event == "meeting.end"));
    }
    assert!(
        watch.wait(Duration::from_millis(100)).await.is_err(),
        "nothing confirmed"
    );
}

#[tokio::test]
async fn plain_mode_receives_base64_events() {
    let h = Harness::start(None).await;
    let sealed = h.webhook.seal_event(&notice("42"), "1700000000123", "1");
    assert_eq!(h.post(&sealed).await.0, StatusCode::OK);
    assert_eq!(h.received(), 1);
}

/// Issue §5: each bad input gets its status, and nothing reaches the handler or the waiter.
#[tokio::test]
async fn bad_deliveries_are_refused_and_nothing_is_handled() {
    let h = Harness::start(Some(KEY)).await;
    let watch = h.waiter.watch(MeetingEndFilter::meeting("1"));
    let good = h.webhook.seal_event(&notice("1"), "1700000000123", "1");
    let key = AesKey::from_encoding_aes_key(KEY).expect("key");

    let mut wrong_signature = good.clone();
    wrong_signature.headers.signature = h.webhook.sign("1700000000123", "1", "other");
    let mut missing_header = good.clone();
    missing_header.headers.timestamp = String::new();
    let mut stale_header = good.clone();
    stale_header.headers.timestamp = "1600000000000".into();
    let wrong_token = Webhook::new("WrongToken123", Some(KEY))
        .expect("valid")
        .seal_event(&notice("1"), "1700000000123", "1");
    // Re-signed after tampering (someone with the token but not the key): does not decrypt.
    let mut tampered = base64_decode(&good.data);
    tampered[5] ^= 0x40;
    let tampered = h.signed_data(base64_encode(&tampered));
    let wrong_key = {
        let foreign = Webhook::new(TOKEN, Some(OTHER_KEY)).expect("valid");
        foreign.seal_event(&notice("1"), "1700000000123", "1")
    };
    // Valid AES, but the last block's padding is wrong.
    let bad_padding = {
        // Whole blocks ending in `}` or a zero: neither is a pad length.
        let mut blocks = notice("1");
        blocks.resize(blocks.len().div_ceil(16) * 16, 0);
        h.signed_data(raw_aes(&key, &blocks))
    };
    let not_json = h.signed_data(cipher::encrypt(&key, b"not json at all"));
    let not_an_event = h.signed_data(cipher::encrypt(&key, b"[1,2,3]"));
    let not_base64 = h.signed_data("%%%not base64%%%".into());

    let cases: [(&str, &SealedDelivery, Option<Vec<u8>>, StatusCode); 11] = [
        (
            "wrong signature",
            &wrong_signature,
            None,
            StatusCode::UNAUTHORIZED,
        ),
        (
            "missing header",
            &missing_header,
            None,
            StatusCode::UNAUTHORIZED,
        ),
        ("wrong token", &wrong_token, None, StatusCode::UNAUTHORIZED),
        (
            "tampered ciphertext",
            &tampered,
            None,
            StatusCode::BAD_REQUEST,
        ),
        ("wrong key", &wrong_key, None, StatusCode::BAD_REQUEST),
        ("bad padding", &bad_padding, None, StatusCode::BAD_REQUEST),
        (
            "non-JSON plaintext",
            &not_json,
            None,
            StatusCode::BAD_REQUEST,
        ),
        ("not an event", &not_an_event, None, StatusCode::BAD_REQUEST),
        ("not base64", &not_base64, None, StatusCode::BAD_REQUEST),
        (
            "body not JSON",
            &good,
            Some(b"data=abc".to_vec()),
            StatusCode::BAD_REQUEST,
        ),
        (
            "huge body",
            &good,
            Some(format!("{{\"data\":\"{}\"}}", "A".repeat(1024 * 1024)).into_bytes()),
            StatusCode::PAYLOAD_TOO_LARGE,
        ),
    ];
    for (name, sealed, body, expected) in cases {
        let body = body.unwrap_or_else(|| sealed.body.clone());
        let (status, text) = h.post_raw(sealed, body).await;
        assert_eq!(status, expected, "{name}: {text}");
        assert!(!text.is_empty(), "{name}: a reason is given");
    }
    // The stale timestamp is accepted unless a window is configured (none is documented).
    let strict = Webhook::new(TOKEN, Some(KEY))
        .expect("valid")
        .max_age(Duration::from_secs(300));
    let e = strict
        .verify_and_parse(&stale_header.header_map(), &stale_header.body)
        .expect_err("stale");
    assert_eq!(e.http_status(), 401, "{e}");
    assert_eq!(h.received(), 0, "nothing reached the handler");
    let seen = watch.wait(Duration::from_millis(200)).await;
    assert!(seen.is_err(), "nothing was published: {seen:?}");
}

#[tokio::test]
async fn a_failing_handler_answers_500_and_confirms_nothing() {
    let h = Harness::start(Some(KEY)).await;
    let watch = h.waiter.watch(MeetingEndFilter::meeting("7"));
    *h.failing.lock().expect("lock") = true;
    let sealed = h.webhook.seal_event(&notice("7"), "1700000000123", "1");
    let (status, text) = h.post(&sealed).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(text.contains("the store is down"), "{text}");
    assert!(h.waiter.recent(&MeetingEndFilter::meeting("7")).is_none());
    // Redelivered once the handler works again: received and published.
    *h.failing.lock().expect("lock") = false;
    assert_eq!(h.post(&sealed).await.0, StatusCode::OK);
    assert!(watch.wait(Duration::from_secs(5)).await.is_ok());
}

#[tokio::test]
async fn other_methods_are_405() {
    let h = Harness::start(None).await;
    let status = h.http.put(&h.url).send().await.expect("answered").status();
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
}

fn base64_decode(data: &str) -> Vec<u8> {
    cipher::base64_decode(data).expect("base64")
}

/// AES-256-CBC of whole blocks, no padding added: to make bad padding on purpose.
fn raw_aes(key: &AesKey, blocks: &[u8]) -> String {
    use aes::Aes256;
    use cbc::cipher::block_padding::NoPadding;
    use cbc::cipher::{BlockEncryptMut as _, KeyIvInit as _};
    let encryptor = cbc::Encryptor::<Aes256>::new(key.as_bytes().into(), &key.iv().into());
    base64_encode(&encryptor.encrypt_padded_vec_mut::<NoPadding>(blocks))
}

#[tokio::test]
async fn a_storing_receiver_keeps_each_delivery_once_and_answers_a_redelivery_200() {
    use tencent_meeting::webhook::store::MemoryEventStore;

    let webhook = Webhook::new(TOKEN, Some(KEY)).expect("valid");
    let store = MemoryEventStore::new();
    let app = Receiver::storing(webhook.clone(), store.clone()).into_router();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}/", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, app).await });
    let http = reqwest::Client::new();
    let post = |sealed: SealedDelivery| {
        http.post(&url)
            .headers(sealed.header_map())
            .body(sealed.body)
            .send()
    };
    for nonce in ["1", "2"] {
        // The same delivery sealed afresh, as the platform's retry does.
        let sealed = webhook.seal_event(&notice("7"), "1700000000123", nonce);
        let response = post(sealed).await.expect("answered");
        assert_eq!(response.status(), StatusCode::OK);
    }
    let other = webhook.seal_event(&notice("8"), "1700000000123", "3");
    assert_eq!(
        post(other).await.expect("answered").status(),
        StatusCode::OK
    );
    let stored: Vec<String> = store
        .events()
        .iter()
        .filter_map(|e| {
            e.as_meeting_end()
                .map(|end| end.meeting().meeting_id().to_string())
        })
        .collect();
    assert_eq!(stored, ["7", "8"]);
}
