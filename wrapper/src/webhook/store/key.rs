//! [`EventKey`]: the one definition of "the same event", used by every store and the waiter.

use std::fmt;

use serde_json::Value;
use sha2::{Digest as _, Sha256};

use crate::webhook::event::Event;

/// The identity of an event, for deduplication: two events with equal keys are one occurrence
/// delivered twice.
///
/// In order of preference:
///
/// 1. **The occurrence**, for a `meeting.end` or `meeting.started` with an `operate_time`:
///    `(event, meeting_id, sub_meeting_id, meeting_end_type, operate_time)`. It catches a
///    redelivery whatever its `trace_id` (a new one included), and it is what makes an event
///    with no `trace_id` deduplicable at all. Not `(meeting_id, sub_meeting_id, end type)`
///    alone: a meeting whose code was kept can be rejoined and end again the same way, a new
///    fact at a new time; and ends of one meeting with different end types are each kept
///    (collapsing them into "the meeting ended" is a waiter's job, not a store's).
/// 2. **The delivery's `trace_id`** (or the older `unique_sequence`), documented as the event's
///    unique id, for any other event.
/// 3. **The content**: the event's name and a SHA-256 of its JSON as received, for an event with
///    neither (a redelivery sends the same JSON).
///
/// The text ([`as_str`](Self::as_str)) is a compact JSON array, e.g.
/// `["meeting.end","7567173273889276131",null,0,1700000000123]`, `["trace_id","e7aa65dd-…"]`,
/// `["content","recording.completed","<64 hex digits>"]`. It is **stable**: stores keep it (or its
/// [`digest`](Self::digest)) across versions, and a change would make them forget what they hold.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EventKey(String);

impl EventKey {
    /// The key of `event`.
    pub fn of(event: &Event) -> Self {
        let text = match event {
            Event::MeetingEnd(end) => end.operate_time_ms().map(|time| {
                let meeting = end.meeting();
                occurrence(
                    event.name(),
                    meeting.meeting_id(),
                    meeting.sub_meeting_id(),
                    end.end_type().map(|t| t.code()),
                    time,
                )
            }),
            Event::MeetingStarted(started) => started.operate_time_ms().map(|time| {
                let meeting = started.meeting();
                occurrence(
                    event.name(),
                    meeting.meeting_id(),
                    meeting.sub_meeting_id(),
                    None,
                    time,
                )
            }),
            Event::Other { .. } => None,
        };
        let text = text.unwrap_or_else(|| match event.trace_id() {
            Some(trace_id) => {
                Value::from(vec![Value::from("trace_id"), Value::from(trace_id)]).to_string()
            }
            None => Value::from(vec![
                Value::from("content"),
                Value::from(event.name()),
                Value::from(hex::encode(Sha256::digest(event.raw().to_string()))),
            ])
            .to_string(),
        });
        Self(text)
    }

    /// The key as text (see the type's documentation for its form).
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// 16 bytes standing for the key (the first half of the SHA-256 of its text), for a compact
    /// index: two different keys share a digest with a probability of about 2⁻⁶⁴ per pair.
    pub fn digest(&self) -> [u8; 16] {
        let full = Sha256::digest(self.0.as_bytes());
        let mut half = [0; 16];
        half.copy_from_slice(&full[..16]);
        half
    }
}

fn occurrence(
    event: &str,
    meeting_id: &str,
    sub_meeting_id: Option<&str>,
    end_type: Option<i32>,
    operate_time_ms: i64,
) -> String {
    Value::from(vec![
        Value::from(event),
        Value::from(meeting_id),
        sub_meeting_id.map_or(Value::Null, Value::from),
        end_type.map_or(Value::Null, Value::from),
        Value::from(operate_time_ms),
    ])
    .to_string()
}

impl fmt::Display for EventKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for EventKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("EventKey").field(&self.0).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::webhook::event::parse_event;

    fn key(plaintext: &str) -> EventKey {
        let events = parse_event(plaintext.as_bytes()).expect("an event");
        assert_eq!(events.len(), 1);
        EventKey::of(&events[0])
    }

    fn end(trace: &str, meeting: &str, sub: Option<&str>, end_type: i32, time: i64) -> String {
        let sub = sub.map_or(String::new(), |s| format!(r#","sub_meeting_id":"{s}""#));
        format!(
            r#"{{"event":"meeting.end","trace_id":"{trace}","payload":[{{"operate_time":{time},"meeting_end_type":{end_type},"meeting_info":{{"meeting_id":"{meeting}"{sub}}}}}]}}"#
        )
    }

    #[test]
    fn an_end_is_its_occurrence_whatever_its_trace_id() {
        let first = key(&end("t1", "1", None, 0, 5));
        assert_eq!(first.as_str(), r#"["meeting.end","1",null,0,5]"#);
        assert_eq!(first, key(&end("t2", "1", None, 0, 5)));
        // Each part of the occurrence tells two ends apart.
        for other in [
            end("t1", "2", None, 0, 5),
            end("t1", "1", Some("9"), 0, 5),
            end("t1", "1", None, 3, 5),
            end("t1", "1", None, 0, 6),
        ] {
            assert_ne!(first, key(&other), "{other}");
        }
    }

    #[test]
    fn without_an_occurrence_the_trace_id_then_the_content() {
        let started = r#"{"event":"meeting.started","payload":[{"operate_time":7,"meeting_info":{"meeting_id":"1"}}]}"#;
        assert_eq!(
            key(started).as_str(),
            r#"["meeting.started","1",null,null,7]"#
        );
        let traced = r#"{"event":"recording.completed","trace_id":"abc","payload":[{"x":1}]}"#;
        assert_eq!(key(traced).as_str(), r#"["trace_id","abc"]"#);
        let old = r#"{"event":"meeting.created","unique_sequence":"u1","payload":[{"x":1}]}"#;
        assert_eq!(key(old).as_str(), r#"["trace_id","u1"]"#);
        // No trace id: the same content is the same event, another content another.
        let bare = r#"{"event":"recording.completed","payload":[{"x":1}]}"#;
        assert!(
            key(bare)
                .as_str()
                .starts_with(r#"["content","recording.completed",""#)
        );
        assert_eq!(key(bare), key(bare));
        assert_ne!(
            key(bare),
            key(r#"{"event":"recording.completed","payload":[{"x":2}]}"#)
        );
        // An end without its time has no occurrence: its trace id.
        let timeless = r#"{"event":"meeting.end","trace_id":"t9","payload":[{"meeting_end_type":0,"meeting_info":{"meeting_id":"1"}}]}"#;
        assert_eq!(key(timeless).as_str(), r#"["trace_id","t9"]"#);
    }

    #[test]
    fn the_digest_is_the_first_half_of_the_texts_sha256() {
        let k = key(&end("t1", "1", None, 0, 5));
        let full = Sha256::digest(k.as_str().as_bytes());
        assert_eq!(k.digest()[..], full[..16]);
        assert_ne!(k.digest(), key(&end("t1", "1", None, 0, 6)).digest());
    }
}
