//! Reading a delivery's plaintext into its events: the documented shape straight from the
//! bytes, anything else through a `serde_json::Value` so that nothing authentic is lost.

use std::borrow::Cow;

use serde::Deserialize as _;
use serde_json::Value;
use serde_json::value::RawValue;
use tencent_meeting_openapi::types;

use super::{Event, MEETING_END, MEETING_STARTED, MeetingEnd, MeetingStarted, RawEntry};
use crate::webhook::error::WebhookError;

/// Decodes the plaintext of a delivery into its events (at least one).
///
/// The plaintext must be a JSON object with a string `event`; anything else is
/// [`WebhookError::Malformed`]. Should the whole plaintext not parse, the prefix ending at the
/// last `}` is tried (the encryption page's `msg + $key` formula leaves room for a suffix that
/// no known delivery has; a warning is logged when it happens).
pub fn parse_event(plaintext: &[u8]) -> Result<Vec<Event>, WebhookError> {
    match parse_documented(plaintext) {
        Some(events) => Ok(events),
        None => parse_tolerant(plaintext),
    }
}

/// The envelope of a delivery in its documented shape, borrowed from the plaintext: each
/// `payload` entry stays as its JSON text until it is read into its own type.
#[derive(serde::Deserialize)]
struct Envelope<'a> {
    #[serde(borrow)]
    event: Cow<'a, str>,
    #[serde(borrow, default)]
    payload: Vec<&'a RawValue>,
    #[serde(borrow, default)]
    trace_id: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    unique_sequence: Option<Cow<'a, str>>,
}

/// The usual delivery, read once, straight from the bytes: the envelope borrowed, each entry
/// into its payload type. `None` for anything else (no entries, an entry that is not an object
/// or not in its documented shape, bytes after the JSON, duplicate keys, …), which
/// [`parse_tolerant`] then decodes as it always did: this path only saves the work, it never
/// decides differently (a test compares the two on generated events).
fn parse_documented(plaintext: &[u8]) -> Option<Vec<Event>> {
    let envelope: Envelope<'_> = serde_json::from_slice(plaintext).ok()?;
    if envelope.payload.is_empty() {
        return None;
    }
    let trace_id = envelope
        .trace_id
        .or(envelope.unique_sequence)
        .map(Cow::into_owned);
    envelope
        .payload
        .iter()
        .map(|entry| documented_entry(&envelope.event, trace_id.clone(), entry))
        .collect()
}

fn documented_entry(name: &str, trace_id: Option<String>, entry: &RawValue) -> Option<Event> {
    let json = entry.get();
    // The generated envelope holds objects only.
    if !json.starts_with('{') {
        return None;
    }
    Some(match name {
        MEETING_END => Event::MeetingEnd(MeetingEnd {
            trace_id,
            payload: serde_json::from_str(json).ok()?,
            raw: RawEntry::from_text(entry)?,
        }),
        MEETING_STARTED => Event::MeetingStarted(MeetingStarted {
            trace_id,
            payload: serde_json::from_str(json).ok()?,
            raw: RawEntry::from_text(entry)?,
        }),
        _ => Event::Other {
            event: name.to_string(),
            trace_id,
            raw: serde_json::from_str(json).ok()?,
        },
    })
}

/// Any JSON object with a string `event`, read into a `Value` first so that an event of any
/// shape is kept.
pub(super) fn parse_tolerant(plaintext: &[u8]) -> Result<Vec<Event>, WebhookError> {
    let value = parse_json(plaintext)?;
    let Some(name) = value.get("event").and_then(Value::as_str) else {
        return Err(WebhookError::Malformed(
            "the decoded event is not a JSON object with a string `event`".to_string(),
        ));
    };
    let name = name.to_string();
    let envelope = match types::WebhookEvent::deserialize(&value) {
        Ok(envelope) => envelope,
        Err(e) => {
            tracing::warn!(event = %name, error = %e, "event envelope not in its documented shape; kept untyped");
            let trace_id = value
                .get("trace_id")
                .or_else(|| value.get("unique_sequence"))
                .and_then(Value::as_str)
                .map(str::to_string);
            return Ok(vec![Event::Other {
                event: name,
                trace_id,
                raw: value,
            }]);
        }
    };
    let trace_id = envelope.trace_id.or(envelope.unique_sequence);
    if envelope.payload.is_empty() {
        return Ok(vec![Event::Other {
            event: name,
            trace_id,
            raw: value,
        }]);
    }
    Ok(envelope
        .payload
        .into_iter()
        .map(|entry| typed(&name, trace_id.clone(), Value::Object(entry)))
        .collect())
}

fn typed(name: &str, trace_id: Option<String>, raw: Value) -> Event {
    let mismatch = match name {
        MEETING_END => match types::MeetingEndPayload::deserialize(&raw) {
            Ok(payload) => {
                return Event::MeetingEnd(MeetingEnd {
                    trace_id,
                    payload,
                    raw: RawEntry::from_value(raw),
                });
            }
            Err(e) => Some(e),
        },
        MEETING_STARTED => match types::MeetingStartedPayload::deserialize(&raw) {
            Ok(payload) => {
                return Event::MeetingStarted(MeetingStarted {
                    trace_id,
                    payload,
                    raw: RawEntry::from_value(raw),
                });
            }
            Err(e) => Some(e),
        },
        _ => None,
    };
    if let Some(e) = mismatch {
        tracing::warn!(event = %name, error = %e, "payload entry not in its documented shape; kept untyped");
    }
    Event::Other {
        event: name.to_string(),
        trace_id,
        raw,
    }
}

fn parse_json(plaintext: &[u8]) -> Result<Value, WebhookError> {
    match serde_json::from_slice::<Value>(plaintext) {
        Ok(value) => Ok(value),
        Err(whole) => {
            let prefix = plaintext
                .iter()
                .rposition(|&b| b == b'}')
                .map(|end| &plaintext[..=end])
                .filter(|prefix| prefix.len() < plaintext.len());
            if let Some(prefix) = prefix
                && let Ok(value) = serde_json::from_slice::<Value>(prefix)
            {
                tracing::warn!(
                    ignored_bytes = plaintext.len() - prefix.len(),
                    "the decoded event had bytes after its JSON; they were ignored"
                );
                return Ok(value);
            }
            Err(WebhookError::Malformed(format!(
                "the decoded event is not JSON: {whole}"
            )))
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::webhook::event::{CreateMode, MeetingEndType, MeetingType};

    fn meeting_end_json() -> Value {
        json!({
            "event": "meeting.end",
            "trace_id": "e7aa65dd-f7e6-4b62-912c-2035173b34a9",
            "payload": [{
                "operate_time": 1609239664000_i64,
                "operator": {"userid": "tester", "instance_id": "2", "new_field": 1},
                "meeting_end_type": 0,
                "meeting_info": {
                    "meeting_id": "13339451618278424869",
                    "meeting_code": "530812452",
                    "subject": "Weekly sync",
                    "creator": {"userid": "tester"},
                    "meeting_type": 1,
                    "sub_meeting_id": "1609239600",
                    "start_time": 1609239600,
                    "end_time": 1609243200,
                    "meeting_create_mode": 1,
                    "meeting_create_from": 6,
                    "media_set_type": 0
                },
                "unknown": {"nested": [1, 2]}
            }]
        })
    }

    #[test]
    fn a_meeting_end_is_typed_with_every_documented_field() {
        let events = parse_event(meeting_end_json().to_string().as_bytes()).expect("parses");
        assert_eq!(events.len(), 1);
        let end = events[0].as_meeting_end().expect("a meeting.end");
        assert_eq!(end.trace_id(), Some("e7aa65dd-f7e6-4b62-912c-2035173b34a9"));
        assert_eq!(end.operate_time_ms(), Some(1609239664000));
        assert_eq!(end.end_type(), Some(MeetingEndType::Dismissed));
        let meeting = end.meeting();
        // Above i64::MAX: kept as the string it is.
        assert_eq!(meeting.meeting_id(), "13339451618278424869");
        assert_eq!(meeting.meeting_code(), Some("530812452"));
        assert_eq!(meeting.subject(), Some("Weekly sync"));
        assert_eq!(meeting.sub_meeting_id(), Some("1609239600"));
        assert_eq!(meeting.meeting_type(), Some(MeetingType::Recurring));
        assert_eq!(meeting.create_mode(), Some(CreateMode::Quick));
        assert_eq!(meeting.create_from(), Some(6));
        assert_eq!(meeting.start_time(), Some(1609239600));
        assert_eq!(meeting.end_time(), Some(1609243200));
        assert_eq!(meeting.creator().and_then(|c| c.userid()), Some("tester"));
        let operator = end.operator().expect("an operator");
        assert_eq!(operator.userid(), Some("tester"));
        assert_eq!(operator.instance_id(), Some("2"));
        assert_eq!(operator.open_id(), None);
        // The raw entry keeps the unknown fields.
        assert_eq!(end.raw()["unknown"]["nested"][1], 2);
        assert_eq!(events[0].name(), "meeting.end");
    }

    #[test]
    fn the_documented_shape_is_read_without_a_value_first() {
        let text = meeting_end_json().to_string();
        let direct = parse_documented(text.as_bytes()).expect("the direct path takes it");
        assert_eq!(Ok(direct), parse_tolerant(text.as_bytes()));
        let started = json!({"event": "meeting.started", "trace_id": "t", "payload": [{"operate_time": 1, "meeting_info": {"meeting_id": "42"}}]});
        assert!(parse_documented(started.to_string().as_bytes()).is_some());
    }

    #[test]
    fn unknown_codes_are_kept() {
        let mut value = meeting_end_json();
        value["payload"][0]["meeting_end_type"] = json!(7);
        value["payload"][0]["meeting_info"]["meeting_type"] = json!(3);
        value["payload"][0]["meeting_info"]["meeting_create_mode"] = json!(9);
        let events = parse_event(value.to_string().as_bytes()).expect("parses");
        let end = events[0].as_meeting_end().expect("still a meeting.end");
        assert_eq!(end.end_type(), Some(MeetingEndType::Unknown(7)));
        assert_eq!(end.end_type().map(MeetingEndType::code), Some(7));
        assert_eq!(end.meeting().meeting_type(), Some(MeetingType::Unknown(3)));
        assert_eq!(end.meeting().create_mode(), Some(CreateMode::Unknown(9)));
        for code in 0..4 {
            assert_eq!(MeetingEndType::from_code(code).code(), code);
        }
    }

    #[test]
    fn every_payload_entry_is_an_event_with_the_delivery_trace_id() {
        let mut value = meeting_end_json();
        let mut second = value["payload"][0].clone();
        second["meeting_info"]["meeting_id"] = json!("2");
        second["meeting_end_type"] = json!(2);
        value["payload"]
            .as_array_mut()
            .expect("an array")
            .push(second);
        let events = parse_event(value.to_string().as_bytes()).expect("parses");
        let ids: Vec<_> = events
            .iter()
            .filter_map(Event::as_meeting_end)
            .map(|e| (e.meeting().meeting_id(), e.end_type(), e.trace_id()))
            .collect();
        let trace = Some("e7aa65dd-f7e6-4b62-912c-2035173b34a9");
        assert_eq!(
            ids,
            [
                (
                    "13339451618278424869",
                    Some(MeetingEndType::Dismissed),
                    trace
                ),
                ("2", Some(MeetingEndType::EmptyAfterScheduledEnd), trace)
            ]
        );
    }

    #[test]
    fn meeting_started_is_typed() {
        let value = json!({
            "event": "meeting.started",
            "trace_id": "t",
            "payload": [{"operate_time": 1, "meeting_info": {"meeting_id": "42"}}]
        });
        let events = parse_event(value.to_string().as_bytes()).expect("parses");
        let Event::MeetingStarted(started) = &events[0] else {
            panic!("{events:?}")
        };
        assert_eq!(started.meeting().meeting_id(), "42");
        assert_eq!(started.operate_time_ms(), Some(1));
        assert!(started.operator().is_none());
    }

    #[test]
    fn unknown_events_and_odd_shapes_are_kept_untyped() {
        // The signature page's own example: the 2020 format (unique_sequence, string times).
        let old = r#"{"event":"meeting.created","unique_sequence":"f20096ee","payload":[{"operate_time":"2020-12-29 17:41:06","meeting_info":{"meeting_id":"6058890385480921052"}}]}"#;
        let events = parse_event(old.as_bytes()).expect("parses");
        assert!(
            matches!(&events[..], [Event::Other { event, trace_id: Some(t), .. }] if event == "meeting.created" && t == "f20096ee"),
            "{events:?}"
        );
        // A meeting.end whose entry does not match the schema: kept, not refused.
        let odd = r#"{"event":"meeting.end","trace_id":"t","payload":[{"operate_time":"yesterday","meeting_info":{"meeting_id":"1"}}]}"#;
        let events = parse_event(odd.as_bytes()).expect("parses");
        assert!(
            matches!(&events[..], [Event::Other { event, raw, .. }] if event == "meeting.end" && raw["operate_time"] == "yesterday"),
            "{events:?}"
        );
        // No payload entries, or a payload that is not an array: one event, the whole JSON.
        for text in [
            r#"{"event":"meeting.end","trace_id":"t"}"#,
            r#"{"event":"meeting.end","trace_id":"t","payload":[]}"#,
            r#"{"event":"meeting.end","trace_id":"t","payload":{"a":1}}"#,
        ] {
            let events = parse_event(text.as_bytes()).expect(text);
            assert!(
                matches!(&events[..], [Event::Other { trace_id: Some(t), raw, .. }] if t == "t" && raw["event"] == "meeting.end"),
                "{text}: {events:?}"
            );
        }
    }

    #[test]
    fn not_an_event_is_malformed() {
        for text in [
            &b""[..],
            b"not json",
            b"[]",
            b"{}",
            b"{\"event\":1}",
            b"\xff\xfe",
            b"{\"event\":\"meeting.end\"",
        ] {
            assert!(
                matches!(parse_event(text), Err(WebhookError::Malformed(_))),
                "{text:?}"
            );
        }
    }

    #[test]
    fn bytes_after_the_json_are_ignored() {
        let text = br#"{"event":"x.y","trace_id":"t"}APPID123"#;
        let events = parse_event(text).expect("the prefix parses");
        assert_eq!(events[0].name(), "x.y");
    }

    #[test]
    fn serializes_as_one_line_per_event() {
        let events = parse_event(meeting_end_json().to_string().as_bytes()).expect("parses");
        let line = serde_json::to_value(&events[0]).expect("serializes");
        assert_eq!(line["event"], "meeting.end");
        assert_eq!(line["trace_id"], "e7aa65dd-f7e6-4b62-912c-2035173b34a9");
        assert_eq!(
            line["payload"]["meeting_info"]["meeting_id"],
            "13339451618278424869"
        );
    }
}
