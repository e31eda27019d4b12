//! Property tests of the webhook protocol (feature `webhook`):
//! - AES encrypt → decrypt and plain encode → decode round-trip for any bytes and any key;
//! - sign → verify round-trips for any four values, and changing any one breaks it;
//! - a sealed delivery verifies and parses back for any meeting and either mode;
//! - arbitrary bytes, headers and queries never panic the verifier, the decoder or the parser,
//!   and a request whose signature does not check out is never parsed.

use http::{HeaderMap, HeaderName, HeaderValue};
use proptest::prelude::*;
use proptest::test_runner::Config;
use tencent_meeting::webhook::cipher::{self, pkcs7_unpad};
use tencent_meeting::webhook::event::parse_event;
use tencent_meeting::webhook::sender::MeetingEndNotice;
use tencent_meeting::webhook::{AesKey, Cipher, Event, Webhook, WebhookError, signature};

const TOKEN: &str = "Ab3dEf6hIj9kLm2nOp5qRs8tU";
const KEY: &str = "abcdefghijklmnopqrstuvwxyzABCDEFG1234567890";

fn config() -> Config {
    Config {
        cases: 256,
        failure_persistence: None,
        ..Config::default()
    }
}

/// A 43-character EncodingAESKey of letters and digits.
fn encoding_aes_key() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9]{43}"
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn aes_round_trips(key in any::<[u8; 32]>(), plaintext in proptest::collection::vec(any::<u8>(), 0..600)) {
        let key = AesKey::from_bytes(key);
        let data = cipher::encrypt(&key, &plaintext);
        prop_assert_eq!(cipher::decrypt(&key, &data), Ok(plaintext));
    }

    #[test]
    fn every_encoding_aes_key_works_and_round_trips(key in encoding_aes_key(), plaintext in ".{0,200}") {
        let cipher = Cipher::new(Some(&key)).expect("43 letters and digits are a key");
        prop_assert_eq!(cipher.decode(&cipher.encode(plaintext.as_bytes())), Ok(plaintext.clone().into_bytes()));
        let plain = Cipher::new(None).expect("plain");
        prop_assert_eq!(plain.decode(&plain.encode(plaintext.as_bytes())), Ok(plaintext.into_bytes()));
    }

    #[test]
    fn sign_verify_round_trips_and_any_change_breaks_it(
        token in "[a-zA-Z0-9]{1,40}",
        timestamp in "[0-9]{1,16}",
        nonce in "[0-9]{1,12}",
        data in "[A-Za-z0-9+/=]{0,200}",
        which in 0usize..4,
    ) {
        let good = signature::sign(&token, &timestamp, &nonce, &data);
        prop_assert_eq!(good.len(), 40);
        prop_assert!(signature::verify(&token, &timestamp, &nonce, &data, &good));
        let mut parts = [token, timestamp, nonce, data];
        parts[which].push('x');
        let [t, ts, n, d] = &parts;
        prop_assert!(!signature::verify(t, ts, n, d, &good));
    }

    #[test]
    fn sealed_deliveries_parse_back(
        meeting_id in "[0-9]{1,32}",
        sub in proptest::option::of("[0-9]{1,12}"),
        trace_id in "[a-f0-9-]{1,36}",
        operate_time in any::<i64>(),
        end_type in any::<i32>(),
        encrypted in any::<bool>(),
    ) {
        let webhook = Webhook::new(TOKEN, encrypted.then_some(KEY)).expect("valid");
        let mut notice = MeetingEndNotice::new(trace_id.clone(), meeting_id.clone(), operate_time);
        notice.sub_meeting_id = sub.clone();
        notice.end_type = tencent_meeting::webhook::MeetingEndType::from_code(end_type);
        let sealed = webhook.seal_event(&notice.to_json(), "1700000000123", "1");
        let events = webhook.verify_and_parse(&sealed.header_map(), &sealed.body).expect("verifies");
        prop_assert_eq!(events.len(), 1);
        let end = events[0].as_meeting_end().expect("a meeting.end");
        prop_assert_eq!(end.meeting().meeting_id(), meeting_id.as_str());
        prop_assert_eq!(end.meeting().sub_meeting_id(), sub.as_deref());
        prop_assert_eq!(end.trace_id(), Some(trace_id.as_str()));
        prop_assert_eq!(end.operate_time_ms(), Some(operate_time));
        prop_assert_eq!(end.end_type().map(|t| t.code()), Some(end_type));
    }

    #[test]
    fn arbitrary_bytes_never_panic_the_parser(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = parse_event(&bytes);
        let _ = pkcs7_unpad(&bytes);
        let key = AesKey::from_bytes([7; 32]);
        let _ = cipher::decrypt(&key, &String::from_utf8_lossy(&bytes));
        let _ = cipher::base64_decode(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn arbitrary_json_events_never_panic(event in json_event()) {
        let text = event.to_string();
        match parse_event(text.as_bytes()) {
            Ok(events) => prop_assert!(!events.is_empty()),
            Err(e) => prop_assert!(matches!(e, WebhookError::Malformed(_)), "{e}"),
        }
    }

    /// Whatever arrives, the verifier answers an error or events, never panics; and without the
    /// right signature it never gets as far as decoding.
    #[test]
    fn arbitrary_requests_never_panic_and_unsigned_ones_are_refused(
        body in proptest::collection::vec(any::<u8>(), 0..300),
        query in ".{0,100}",
        timestamp in proptest::option::of("[ -~]{0,20}"),
        nonce in proptest::option::of("[ -~]{0,20}"),
        signature in proptest::option::of("[ -~]{0,45}"),
        encrypted in any::<bool>(),
    ) {
        let webhook = Webhook::new(TOKEN, encrypted.then_some(KEY)).expect("valid");
        let mut headers = HeaderMap::new();
        for (name, value) in [("timestamp", &timestamp), ("nonce", &nonce), ("signature", &signature)] {
            if let Some(value) = value
                && let Ok(value) = HeaderValue::from_str(value)
            {
                headers.insert(HeaderName::from_static(name), value);
            }
        }
        for result in [
            webhook.verify_and_parse(&headers, &body).map(|_| ()),
            webhook.verify_url(&headers, &query).map(|_| ()),
        ] {
            if let Err(e) = result {
                // A random signature matching is a 2^-160 event: everything else is refused
                // before the data is decoded.
                prop_assert!(!matches!(e, WebhookError::Decrypt(_)), "{e}");
            }
        }
    }

    /// A body changed after signing is refused, whichever byte of `data` changed.
    #[test]
    fn tampered_data_is_refused(position in any::<prop::sample::Index>(), encrypted in any::<bool>()) {
        let webhook = Webhook::new(TOKEN, encrypted.then_some(KEY)).expect("valid");
        let notice = MeetingEndNotice::new("t", "1", 1);
        let sealed = webhook.seal_event(&notice.to_json(), "1700000000123", "1");
        let mut data = sealed.data.clone().into_bytes();
        let i = position.index(data.len());
        data[i] = if data[i] == b'A' { b'B' } else { b'A' };
        let body = format!("{{\"data\":\"{}\"}}", String::from_utf8_lossy(&data));
        prop_assert_eq!(
            webhook.verify_and_parse(&sealed.header_map(), body.as_bytes()).map(|e| e.len()),
            Err(WebhookError::BadSignature)
        );
    }
}

/// JSON values shaped loosely like events: objects with or without `event`, payloads of any
/// shape.
fn json_event() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        "[a-z_.]{0,12}".prop_map(serde_json::Value::from),
    ];
    let value = leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::from),
            proptest::collection::btree_map(
                prop_oneof![
                    Just("meeting_info".to_string()),
                    Just("meeting_id".to_string()),
                    Just("operate_time".to_string()),
                    "[a-z_]{1,8}"
                ],
                inner,
                0..4
            )
            .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    });
    (
        prop_oneof![
            Just(Some("meeting.end")),
            Just(Some("meeting.started")),
            Just(Some("x.y")),
            Just(None)
        ],
        value.clone(),
        value,
    )
        .prop_map(|(event, payload, trace)| {
            let mut map = serde_json::Map::new();
            if let Some(event) = event {
                map.insert("event".into(), event.into());
            }
            map.insert("payload".into(), payload);
            map.insert("trace_id".into(), trace);
            serde_json::Value::Object(map)
        })
}

#[test]
fn a_delivery_always_yields_at_least_one_event() {
    let events = parse_event(br#"{"event":"meeting.end","payload":[]}"#).expect("an event");
    assert!(matches!(&events[..], [Event::Other { .. }]));
}
