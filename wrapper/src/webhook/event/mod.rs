//! Typed events, decoded from the plaintext of a delivery.
//!
//! The payload types are generated from the spec's `components.schemas` (`MeetingEndPayload`,
//! `EventMeetingInfo`, …); the types here hold them and expose them through accessors, so the
//! generated types never appear in this crate's API.
//!
//! **One [`Event`] per `payload` entry.** `payload` is an array, documented to hold one entry for
//! `meeting.started` and `meeting.end` and reserved for batching; each entry is a separate
//! occurrence with its own time and meeting, which is what a user matches on. The delivery (one
//! `trace_id`) is the unit of acknowledgement, so [`parse_event`] returns all of a delivery's
//! events together, and a receiver stores or refuses them together. Every event of a delivery
//! carries the delivery's `trace_id`.
//!
//! **Tolerance.** Unknown fields are ignored, unknown codes kept (`Unknown(n)`), and meeting IDs
//! stay strings. A signed delivery is never refused for its shape once it is a JSON object with
//! an `event` name: an event this crate does not type, a delivery without payload entries, or an
//! entry that does not match its documented schema (logged as a warning) becomes
//! [`Event::Other`] with the JSON kept, so nothing authentic is lost.

use serde::{Deserialize as _, Serialize};
use serde_json::Value;
use tencent_meeting_openapi::types;

use super::error::WebhookError;

/// The name of the "meeting ended" event.
pub const MEETING_END: &str = "meeting.end";
/// The name of the "meeting started" event.
pub const MEETING_STARTED: &str = "meeting.started";

/// One occurrence an event delivery reports.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Event {
    /// `meeting.end`: a meeting (or a sub-meeting) ended.
    MeetingEnd(MeetingEnd),
    /// `meeting.started`: a meeting started.
    MeetingStarted(MeetingStarted),
    /// Any other event, or one whose payload does not have its documented shape.
    #[non_exhaustive]
    Other {
        /// The event's name, e.g. `recording.completed`.
        event: String,
        /// The delivery's `trace_id` (or `unique_sequence`), if it has one.
        trace_id: Option<String>,
        /// The `payload` entry, or the whole decoded event when it has no payload entries.
        raw: Value,
    },
}

impl Event {
    /// The event's name (`meeting.end`, …).
    pub fn name(&self) -> &str {
        match self {
            Self::MeetingEnd(_) => MEETING_END,
            Self::MeetingStarted(_) => MEETING_STARTED,
            Self::Other { event, .. } => event,
        }
    }

    /// The delivery's unique id: `trace_id`, or `unique_sequence` in the older format. A
    /// redelivery carries the same one.
    pub fn trace_id(&self) -> Option<&str> {
        match self {
            Self::MeetingEnd(e) => e.trace_id.as_deref(),
            Self::MeetingStarted(e) => e.trace_id.as_deref(),
            Self::Other { trace_id, .. } => trace_id.as_deref(),
        }
    }

    /// The JSON of the occurrence as received: the `payload` entry (or, for [`Event::Other`]
    /// without entries, the whole decoded event).
    pub fn raw(&self) -> &Value {
        match self {
            Self::MeetingEnd(e) => &e.raw,
            Self::MeetingStarted(e) => &e.raw,
            Self::Other { raw, .. } => raw,
        }
    }

    /// The `meeting.end`, if this is one.
    pub fn as_meeting_end(&self) -> Option<&MeetingEnd> {
        match self {
            Self::MeetingEnd(e) => Some(e),
            _ => None,
        }
    }
}

/// As `{"event": …, "trace_id": …, "payload": <raw>}`: one JSON line per event.
impl Serialize for Event {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Line<'a> {
            event: &'a str,
            trace_id: Option<&'a str>,
            payload: &'a Value,
        }
        Line {
            event: self.name(),
            trace_id: self.trace_id(),
            payload: self.raw(),
        }
        .serialize(serializer)
    }
}

/// A `meeting.end` occurrence (会议结束).
#[derive(Debug, Clone, PartialEq)]
pub struct MeetingEnd {
    trace_id: Option<String>,
    payload: types::MeetingEndPayload,
    raw: Value,
}

impl MeetingEnd {
    /// The delivery's unique id (see [`Event::trace_id`]).
    pub fn trace_id(&self) -> Option<&str> {
        self.trace_id.as_deref()
    }

    /// When it ended, unix milliseconds (`operate_time`).
    pub fn operate_time_ms(&self) -> Option<i64> {
        self.payload.operate_time
    }

    /// Why it ended (`meeting_end_type`).
    pub fn end_type(&self) -> Option<MeetingEndType> {
        self.payload.meeting_end_type.map(MeetingEndType::from_code)
    }

    /// The meeting that ended.
    pub fn meeting(&self) -> EventMeeting<'_> {
        EventMeeting(&self.payload.meeting_info)
    }

    /// Who ended it, as far as the event says.
    pub fn operator(&self) -> Option<EventUser<'_>> {
        self.payload.operator.as_ref().map(EventUser)
    }

    /// The `payload` entry as received.
    pub fn raw(&self) -> &Value {
        &self.raw
    }
}

/// A `meeting.started` occurrence (会议开始).
#[derive(Debug, Clone, PartialEq)]
pub struct MeetingStarted {
    trace_id: Option<String>,
    payload: types::MeetingStartedPayload,
    raw: Value,
}

impl MeetingStarted {
    /// The delivery's unique id (see [`Event::trace_id`]).
    pub fn trace_id(&self) -> Option<&str> {
        self.trace_id.as_deref()
    }

    /// When it started, unix milliseconds (`operate_time`).
    pub fn operate_time_ms(&self) -> Option<i64> {
        self.payload.operate_time
    }

    /// The meeting that started.
    pub fn meeting(&self) -> EventMeeting<'_> {
        EventMeeting(&self.payload.meeting_info)
    }

    /// Who started it.
    pub fn operator(&self) -> Option<EventUser<'_>> {
        self.payload.operator.as_ref().map(EventUser)
    }

    /// The `payload` entry as received.
    pub fn raw(&self) -> &Value {
        &self.raw
    }
}

/// The meeting an event is about (`meeting_info`).
#[derive(Debug, Clone, Copy)]
pub struct EventMeeting<'a>(&'a types::EventMeetingInfo);

impl<'a> EventMeeting<'a> {
    /// The meeting ID, a decimal string that can exceed `i64`.
    pub fn meeting_id(&self) -> &'a str {
        &self.0.meeting_id
    }

    /// The meeting code.
    pub fn meeting_code(&self) -> Option<&'a str> {
        self.0.meeting_code.as_deref()
    }

    /// The subject.
    pub fn subject(&self) -> Option<&'a str> {
        self.0.subject.as_deref()
    }

    /// For a recurring meeting, the sub-meeting the event is about.
    pub fn sub_meeting_id(&self) -> Option<&'a str> {
        self.0.sub_meeting_id.as_deref()
    }

    /// The kind of meeting (`meeting_type`).
    pub fn meeting_type(&self) -> Option<MeetingType> {
        self.0.meeting_type.map(MeetingType::from_code)
    }

    /// Scheduled or quick (`meeting_create_mode`).
    pub fn create_mode(&self) -> Option<CreateMode> {
        self.0.meeting_create_mode.map(CreateMode::from_code)
    }

    /// Where the meeting was created (`meeting_create_from`: 1 client, 2 web, … 6 REST API).
    pub fn create_from(&self) -> Option<i32> {
        self.0.meeting_create_from
    }

    /// The meeting's start, unix seconds.
    pub fn start_time(&self) -> Option<i64> {
        self.0.start_time
    }

    /// The meeting's end, unix seconds.
    pub fn end_time(&self) -> Option<i64> {
        self.0.end_time
    }

    /// The sub-meeting's scheduled start, unix seconds.
    pub fn sub_meeting_start_time(&self) -> Option<i64> {
        self.0.sub_meeting_start_time
    }

    /// The sub-meeting's scheduled end, unix seconds.
    pub fn sub_meeting_end_time(&self) -> Option<i64> {
        self.0.sub_meeting_end_time
    }

    /// The meeting's creator.
    pub fn creator(&self) -> Option<EventUser<'a>> {
        self.0.creator.as_ref().map(EventUser)
    }
}

/// A user named by an event (operator or creator). Every field is optional.
#[derive(Debug, Clone, Copy)]
pub struct EventUser<'a>(&'a types::EventUser);

impl<'a> EventUser<'a> {
    /// The enterprise user ID (or the open id for OAuth2.0 applications, the rooms ID for Rooms).
    pub fn userid(&self) -> Option<&'a str> {
        self.0.userid.as_deref()
    }

    /// The open id.
    pub fn open_id(&self) -> Option<&'a str> {
        self.0.open_id.as_deref()
    }

    /// The Tencent Meeting-wide user id.
    pub fn uuid(&self) -> Option<&'a str> {
        self.0.uuid.as_deref()
    }

    /// The display name.
    pub fn user_name(&self) -> Option<&'a str> {
        self.0.user_name.as_deref()
    }

    /// The ms_open_id.
    pub fn ms_open_id(&self) -> Option<&'a str> {
        self.0.ms_open_id.as_deref()
    }

    /// The device type, a decimal string (`"1"` PC, …).
    pub fn instance_id(&self) -> Option<&'a str> {
        self.0.instance_id.as_deref()
    }
}

macro_rules! open_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $code:literal,)* }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $($(#[$vdoc])* $variant,)*
            /// A code this crate does not know.
            Unknown(i32),
        }

        impl $name {
            /// The variant for `code`; [`Self::Unknown`] for a code not listed.
            pub fn from_code(code: i32) -> Self {
                match code {
                    $($code => Self::$variant,)*
                    other => Self::Unknown(other),
                }
            }

            /// The code as sent.
            pub fn code(self) -> i32 {
                match self {
                    $(Self::$variant => $code,)*
                    Self::Unknown(code) => code,
                }
            }
        }
    };
}

open_enum! {
    /// Why a meeting ended (`meeting_end_type`). Open: an unknown code is kept.
    MeetingEndType {
        /// 0, 主动结束会议: the host ended it, or the dismiss API did.
        Dismissed = 0,
        /// 1: the last participant left after the scheduled end.
        LastLeftAfterScheduledEnd = 1,
        /// 2: the meeting was empty after the scheduled end.
        EmptyAfterScheduledEnd = 2,
        /// 3: the meeting was empty before the scheduled end; it can be joined again.
        EmptyBeforeScheduledEnd = 3,
    }
}

open_enum! {
    /// The kind of meeting (`meeting_type`). Open: an unknown code is kept (3, which older pages
    /// give for Rooms screen-casting, is `Unknown(3)`).
    MeetingType {
        /// 0: a one-time meeting.
        OneTime = 0,
        /// 1: a recurring meeting.
        Recurring = 1,
        /// 2: a WeChat-exclusive meeting.
        WeChatExclusive = 2,
        /// 4: Rooms screen-casting.
        RoomsScreenCast = 4,
        /// 5: a personal meeting ID meeting.
        PersonalMeetingId = 5,
        /// 6: a webinar.
        Webinar = 6,
    }
}

open_enum! {
    /// How the meeting was created (`meeting_create_mode`). Open: an unknown code is kept.
    CreateMode {
        /// 0: a scheduled meeting.
        Scheduled = 0,
        /// 1: a quick meeting (快速会议).
        Quick = 1,
    }
}

/// Decodes the plaintext of a delivery into its events (at least one).
///
/// The plaintext must be a JSON object with a string `event`; anything else is
/// [`WebhookError::Malformed`]. Should the whole plaintext not parse, the prefix ending at the
/// last `}` is tried (the encryption page's `msg + $key` formula leaves room for a suffix that
/// no known delivery has; a warning is logged when it happens).
pub fn parse_event(plaintext: &[u8]) -> Result<Vec<Event>, WebhookError> {
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
                    raw,
                });
            }
            Err(e) => Some(e),
        },
        MEETING_STARTED => match types::MeetingStartedPayload::deserialize(&raw) {
            Ok(payload) => {
                return Event::MeetingStarted(MeetingStarted {
                    trace_id,
                    payload,
                    raw,
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
