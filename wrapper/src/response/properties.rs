//! Property tests of error-body parsing: whatever the bytes, it never panics and only ever
//! yields `Api` (the documented shape, exactly) or `Decode`.

use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError};
use serde_json::{Map, Value};

use super::body_error;
use crate::error::{ApiErrorKind, Error};

const CASES: u32 = 256;

fn config() -> Config {
    Config {
        cases: CASES,
        // Failures are reported with their minimal input; no regression files are written into
        // the source tree.
        failure_persistence: None,
        ..Config::default()
    }
}

/// The client's parsing of an error answer, without a trace id.
fn parse_error_body(status: u16, body: &[u8]) -> Error {
    body_error(status, body, None)
}

/// Any JSON value, nested a little.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("JSON has no NaN or infinity", |f| f.is_finite())
            .prop_map(Value::from),
        ".{0,20}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-z_]{1,12}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// A value for one field of `error_info`: often the right type, often not.
fn field_value() -> impl Strategy<Value = Option<Value>> {
    prop_oneof![
        1 => Just(None),
        2 => any::<i64>().prop_map(|n| Some(Value::from(n))),
        1 => (i64::MAX as u64 + 1..=u64::MAX).prop_map(|n| Some(Value::from(n))),
        1 => (-1e6f64..1e6).prop_map(|f| Some(Value::from(f))),
        2 => "\\PC{0,30}".prop_map(|s| Some(Value::String(s))),
        1 => "-?[0-9]{1,6}".prop_map(|s| Some(Value::String(s))),
        1 => json_value().prop_map(Some),
    ]
}

/// Keys that are not the fields of the documented shape.
fn extra_key() -> impl Strategy<Value = String> {
    "[a-z_]{1,14}".prop_filter("not a documented key", |k| {
        !matches!(
            k.as_str(),
            "error_info" | "error_code" | "message" | "new_error_code"
        )
    })
}

/// `{"error_info": {...}}` with each field present or not, of a random type, and extra keys.
fn near_miss() -> impl Strategy<Value = Value> {
    let info = prop_oneof![
        4 => (
            field_value(),
            field_value(),
            field_value(),
            prop::collection::btree_map(extra_key(), json_value(), 0..3),
        )
            .prop_map(|(code, message, new_code, extra)| {
                let mut info: Map<String, Value> = extra.into_iter().collect();
                for (key, value) in [("error_code", code), ("message", message), ("new_error_code", new_code)] {
                    if let Some(value) = value {
                        info.insert(key.to_string(), value);
                    }
                }
                Value::Object(info)
            }),
        // Not an object at all (arrays left out: serde reads a struct from a sequence too).
        1 => prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            ".{0,10}".prop_map(Value::String),
        ],
    ];
    (
        info,
        prop::collection::btree_map(extra_key(), json_value(), 0..3),
        any::<bool>(),
    )
        .prop_map(|(info, extra, present)| {
            let mut top: Map<String, Value> = extra.into_iter().collect();
            if present {
                top.insert("error_info".to_string(), info);
            }
            Value::Object(top)
        })
}

/// The oracle for an object-shaped body: the `(code, message, new_code)` it must parse to, or
/// `None` when it must be a `Decode`.
fn documented_shape(body: &Value) -> Option<(i64, String, Option<i64>)> {
    let info = body.get("error_info")?.as_object()?;
    let code = info.get("error_code")?.as_i64()?;
    let message = info.get("message")?.as_str()?.to_string();
    let new_code = match info.get("new_error_code") {
        None | Some(Value::Null) => None,
        Some(v) => Some(v.as_i64()?),
    };
    Some((code, message, new_code))
}

/// What every answer of `parse_error_body` must satisfy, whatever the bytes.
fn check_any_body(status: u16, body: &[u8], error: &Error) -> Result<(), TestCaseError> {
    match error {
        Error::Api(e) => {
            prop_assert_eq!(e.status(), status);
            prop_assert_eq!(e.kind(), ApiErrorKind::from_code(e.code()));
            prop_assert!(e.trace_id().is_none());
        }
        Error::Decode(e) => {
            prop_assert_eq!(e.status(), status);
            prop_assert_eq!(e.not_json(), serde_json::from_slice::<Value>(body).is_err());
            prop_assert!(
                e.snippet().chars().count() <= 200,
                "snippet too long: {}",
                e.snippet().len()
            );
            prop_assert!(String::from_utf8_lossy(body).starts_with(e.snippet()));
            prop_assert!(e.trace_id().is_none());
        }
        other => prop_assert!(false, "neither Api nor Decode: {other:?}"),
    }
    Ok(())
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn error_body_of_arbitrary_bytes_is_api_or_decode(
        status in 300u16..=599,
        body in prop::collection::vec(any::<u8>(), 0..600),
    ) {
        let error = parse_error_body(status, &body);
        check_any_body(status, &body, &error)?;
    }

    #[test]
    fn error_body_of_arbitrary_json_is_api_or_decode(status in 300u16..=599, value in json_value()) {
        let body = serde_json::to_vec(&value).expect("a Value serialises");
        let error = parse_error_body(status, &body);
        check_any_body(status, &body, &error)?;
        if !value.is_array() {
            prop_assert_eq!(matches!(error, Error::Api(_)), documented_shape(&value).is_some());
        }
    }

    #[test]
    fn error_body_near_misses_decode_unless_exactly_documented(
        status in 300u16..=599,
        value in near_miss(),
        pretty in any::<bool>(),
    ) {
        let body = if pretty {
            serde_json::to_vec_pretty(&value)
        } else {
            serde_json::to_vec(&value)
        }
        .expect("a Value serialises");
        let error = parse_error_body(status, &body);
        check_any_body(status, &body, &error)?;
        match (documented_shape(&value), &error) {
            (Some((code, message, new_code)), Error::Api(e)) => {
                prop_assert_eq!(e.code(), code);
                prop_assert_eq!(e.message(), message.as_str());
                prop_assert_eq!(e.new_code(), new_code);
            }
            (None, Error::Decode(e)) => prop_assert!(!e.not_json(), "valid JSON flagged not_json"),
            (expected, got) => prop_assert!(false, "oracle says {expected:?}, parser says {got:?}"),
        }
    }

    #[test]
    fn documented_error_body_is_api_with_its_code_and_message(
        status in 300u16..=599,
        code in any::<i64>(),
        message in any::<String>(),
        new_code in prop::option::of(any::<i64>()),
        message_first in any::<bool>(),
    ) {
        let message_json = serde_json::to_string(&message).expect("a string serialises");
        let new_code_json = new_code.map(|n| format!(",\"new_error_code\":{n}")).unwrap_or_default();
        let body = if message_first {
            format!(r#"{{"error_info":{{"message":{message_json},"error_code":{code}{new_code_json}}}}}"#)
        } else {
            format!(r#"{{ "error_info" : {{ "error_code" : {code} , "message" : {message_json}{new_code_json} }} }}"#)
        };
        match parse_error_body(status, body.as_bytes()) {
            Error::Api(e) => {
                prop_assert_eq!(e.status(), status);
                prop_assert_eq!(e.code(), code);
                prop_assert_eq!(e.message(), message.as_str());
                prop_assert_eq!(e.new_code(), new_code);
                prop_assert_eq!(e.kind(), ApiErrorKind::from_code(code));
                prop_assert!(e.trace_id().is_none());
            }
            other => prop_assert!(false, "expected Api for {body}, got {other:?}"),
        }
    }
}
