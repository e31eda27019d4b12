//! The direct path for the documented shape ([`parse::parse_event`]) must decide exactly as the
//! tolerant path it shortcuts ([`parse::parse_tolerant`]): the same events or the same error, on
//! deliveries generated around the documented shape and off it (odd types, non-object entries,
//! duplicate keys, escapes, whitespace, bytes after the JSON, numbers and escapes a `Value`
//! refuses in fields the payload types do not read).

use proptest::prelude::*;
use proptest::test_runner::Config;
use serde_json::{Map, Value, json};

use super::parse;

fn config() -> Config {
    Config {
        cases: 512,
        failure_persistence: None,
        ..Config::default()
    }
}

/// A string or, now and then, something that is not one.
fn text_or_odd(text: &'static str) -> impl Strategy<Value = Option<Value>> {
    prop_oneof![
        24 => Just(Some(Value::from(text))),
        3 => Just(None),
        1 => Just(Some(Value::Null)),
        1 => any::<i64>().prop_map(|n| Some(Value::from(n))),
        1 => Just(Some(Value::from("a/b\\u00e9\"c"))),
    ]
}

/// A number or, now and then, something that is not one.
fn number_or_odd() -> impl Strategy<Value = Option<Value>> {
    prop_oneof![
        24 => any::<i64>().prop_map(|n| Some(Value::from(n))),
        3 => Just(None),
        1 => Just(Some(Value::Null)),
        1 => Just(Some(Value::from("2020-12-29 17:41:06"))),
        1 => Just(Some(json!(1.5))),
        1 => Just(Some(json!(u64::MAX))),
    ]
}

fn insert(map: &mut Map<String, Value>, key: &str, value: Option<Value>) {
    if let Some(value) = value {
        map.insert(key.to_string(), value);
    }
}

/// A `payload` entry: an object near `MeetingEndPayload` / `MeetingStartedPayload`, or not.
fn entry() -> impl Strategy<Value = Value> {
    let user = (text_or_odd("tester"), text_or_odd("2")).prop_map(|(userid, instance)| {
        let mut user = Map::new();
        insert(&mut user, "userid", userid);
        insert(&mut user, "instance_id", instance);
        Value::Object(user)
    });
    let object = (
        number_or_odd(),
        number_or_odd(),
        text_or_odd("13339451618278424869"),
        text_or_odd("530812452"),
        number_or_odd(),
        proptest::option::of(user),
        any::<bool>(),
    )
        .prop_map(
            |(operate_time, end_type, meeting_id, code, meeting_type, operator, extra)| {
                let mut info = Map::new();
                insert(&mut info, "meeting_id", meeting_id);
                insert(&mut info, "meeting_code", code);
                insert(&mut info, "meeting_type", meeting_type);
                let mut entry = Map::new();
                insert(&mut entry, "operate_time", operate_time);
                insert(&mut entry, "meeting_end_type", end_type);
                insert(&mut entry, "operator", operator);
                entry.insert("meeting_info".into(), Value::Object(info));
                if extra {
                    entry.insert("unknown".into(), json!({"nested": [1, "x", null]}));
                }
                Value::Object(entry)
            },
        );
    prop_oneof![
        24 => object,
        1 => Just(json!([1, 2])),
        1 => Just(json!("entry")),
        1 => Just(Value::Null),
    ]
}

/// A decoded delivery: an envelope near `WebhookEvent`, then written out in one of several ways.
fn delivery() -> impl Strategy<Value = Vec<u8>> {
    let envelope = (
        prop_oneof![
            4 => Just(Some(Value::from("meeting.end"))),
            2 => Just(Some(Value::from("meeting.started"))),
            1 => Just(Some(Value::from("recording.completed"))),
            1 => Just(Some(Value::from(7))),
            1 => Just(None),
        ],
        prop_oneof![
            6 => proptest::collection::vec(entry(), 0..3).prop_map(|v| Some(Value::from(v))),
            1 => Just(None),
            1 => Just(Some(json!({"a": 1}))),
        ],
        text_or_odd("e7aa65dd-f7e6-4b62-912c-2035173b34a9"),
        proptest::option::of(Just(Value::from("f20096ee"))),
    )
        .prop_map(|(event, payload, trace_id, unique_sequence)| {
            let mut map = Map::new();
            insert(&mut map, "event", event);
            insert(&mut map, "payload", payload);
            insert(&mut map, "trace_id", trace_id);
            insert(&mut map, "unique_sequence", unique_sequence);
            Value::Object(map)
        });
    (envelope, 0..8u8).prop_map(|(value, form)| match form {
        // Pretty-printed, with newlines and indentation inside the entries.
        1 => serde_json::to_vec_pretty(&value).unwrap_or_default(),
        // Bytes after the JSON (the encryption page's `msg + $key` leaves room for them).
        2 => {
            let mut text = serde_json::to_vec(&value).unwrap_or_default();
            text.extend_from_slice(b"APPID123");
            text
        }
        // A key given twice, inside the first entry or in the envelope.
        3 => serde_json::to_string(&value)
            .unwrap_or_default()
            .replacen(
                "\"meeting_info\":",
                "\"meeting_info\":{},\"meeting_info\":",
                1,
            )
            .into_bytes(),
        4 => serde_json::to_string(&value)
            .unwrap_or_default()
            .replacen("{\"event\":", "{\"event\":\"meeting.end\",\"event\":", 1)
            .into_bytes(),
        // Slashes escaped, as some JSON encoders write them.
        5 => serde_json::to_string(&value)
            .unwrap_or_default()
            .replace('/', "\\/")
            .into_bytes(),
        // What a `Value` refuses and the skipping of unknown fields lets through.
        6 => serde_json::to_string(&value)
            .unwrap_or_default()
            .replacen("\"meeting_info\":", "\"big\":1e400,\"meeting_info\":", 1)
            .into_bytes(),
        7 => serde_json::to_string(&value)
            .unwrap_or_default()
            .replacen(
                "\"meeting_info\":",
                "\"odd\":\"\\ud800\",\"meeting_info\":",
                1,
            )
            .into_bytes(),
        _ => serde_json::to_vec(&value).unwrap_or_default(),
    })
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn the_direct_path_decides_as_the_tolerant_one(text in delivery()) {
        prop_assert_eq!(parse::parse_event(&text), parse::parse_tolerant(&text));
    }
}
