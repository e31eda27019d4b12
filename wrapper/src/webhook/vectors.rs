//! The shared webhook vectors (`shared/vectors/webhook.json`, vendored in `tests/data/`),
//! reproduced through the public functions.

use http::{HeaderMap, HeaderValue};
use serde::Deserialize;

use super::cipher::AesKey;
use super::event::Event;
use super::url_check::check_str_from_query;
use super::{Webhook, signature};

const VENDORED: &str = include_str!("../../tests/data/webhook.json");

#[derive(Deserialize)]
struct SignatureVector {
    name: String,
    token: String,
    timestamp: String,
    nonce: String,
    data: String,
    sorted_concat_prefix: String,
    expected_signature: String,
    decoded_data_utf8: String,
}

#[derive(Deserialize)]
struct UrlCheckVector {
    name: String,
    token: String,
    encoding_aes_key: String,
    aes_key_hex: String,
    iv_hex: String,
    request: UrlCheckRequest,
    check_str_decoded: String,
    expected_plaintext: String,
    expected_response: ExpectedResponse,
}

#[derive(Deserialize)]
struct UrlCheckRequest {
    method: String,
    query_raw: String,
    headers: std::collections::BTreeMap<String, String>,
}

#[derive(Deserialize)]
struct ExpectedResponse {
    status: u16,
    body: String,
}

fn vector<T: serde::de::DeserializeOwned>(name: &str) -> T {
    let all: Vec<serde_json::Value> = match serde_json::from_str(VENDORED) {
        Ok(all) => all,
        Err(e) => panic!("webhook.json does not parse: {e}"),
    };
    let Some(found) = all.into_iter().find(|v| v["name"] == name) else {
        panic!("no vector {name} in webhook.json")
    };
    match serde_json::from_value(found) {
        Ok(v) => v,
        Err(e) => panic!("vector {name} does not have the expected fields: {e}"),
    }
}

fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (name, value) in pairs {
        let name = http::HeaderName::from_bytes(name.as_bytes()).expect("a header name");
        map.insert(name, HeaderValue::from_str(value).expect("a header value"));
    }
    map
}

#[test]
fn sig_official_signature_and_plain_data() {
    let v: SignatureVector = vector("sig-official");
    assert_eq!(v.name, "sig-official");
    let sorted = signature::sorted_parts(&v.token, &v.timestamp, &v.nonce, &v.data).concat();
    assert!(sorted.starts_with(&v.sorted_concat_prefix), "{sorted}");
    assert_eq!(
        signature::sign(&v.token, &v.timestamp, &v.nonce, &v.data),
        v.expected_signature
    );
    assert!(signature::verify(
        &v.token,
        &v.timestamp,
        &v.nonce,
        &v.data,
        &v.expected_signature
    ));
    // With `=` padding added, the signature no longer matches: data is signed as received.
    let padded = format!("{}==", v.data);
    assert!(!signature::verify(
        &v.token,
        &v.timestamp,
        &v.nonce,
        &padded,
        &v.expected_signature
    ));

    // The whole delivery in plain mode: verified, decoded (no `=`), parsed.
    let webhook = Webhook::new(v.token.as_str(), None).expect("the vector's token");
    let plaintext = webhook
        .cipher()
        .decode(&v.data)
        .expect("base64 without padding");
    assert_eq!(String::from_utf8_lossy(&plaintext), v.decoded_data_utf8);
    let body = serde_json::json!({ "data": v.data }).to_string();
    let events = webhook
        .verify_and_parse(
            &headers(&[
                ("timestamp", &v.timestamp),
                ("nonce", &v.nonce),
                ("signature", &v.expected_signature),
            ]),
            body.as_bytes(),
        )
        .expect("the official example verifies");
    // `meeting.created`, 2020 format: untyped, its unique_sequence as the trace id.
    let [
        Event::Other {
            event,
            trace_id,
            raw,
            ..
        },
    ] = &events[..]
    else {
        panic!("{events:?}")
    };
    assert_eq!(event, "meeting.created");
    assert_eq!(
        trace_id.as_deref(),
        Some("f20096ee-8ac8-4df2-a7de-0574649f211b")
    );
    assert_eq!(raw["meeting_info"]["meeting_id"], "6058890385480921052");
}

#[test]
fn get_check_str_url_verification() {
    let v: UrlCheckVector = vector("get-check-str");
    assert_eq!(v.name, "get-check-str");
    assert_eq!(v.request.method, "GET");
    let key = AesKey::from_encoding_aes_key(&v.encoding_aes_key).expect("the vector's key");
    assert_eq!(hex::encode(key.as_bytes()), v.aes_key_hex);
    assert_eq!(hex::encode(key.iv()), v.iv_hex);
    assert_eq!(
        check_str_from_query(&v.request.query_raw).as_deref(),
        Ok(v.check_str_decoded.as_str())
    );
    let webhook =
        Webhook::new(v.token.as_str(), Some(&v.encoding_aes_key)).expect("the vector's secrets");
    let pairs: Vec<(&str, &str)> = v
        .request
        .headers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let answer = webhook
        .verify_url(&headers(&pairs), &v.request.query_raw)
        .expect("the vector verifies");
    assert_eq!(answer, v.expected_plaintext);
    assert_eq!(v.expected_response.status, 200);
    assert_eq!(answer, v.expected_response.body);
}

/// The vendored copy must be the shared one, so that every shared vector is reproduced.
#[test]
fn vendored_vectors_match_the_shared_ones() {
    crate::vendored::assert_matches_shared("webhook.json", VENDORED);
}
