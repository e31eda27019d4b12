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

use serde::Serialize;
use serde_json::Value;
use tencent_meeting_openapi::types;

use raw::RawEntry;

mod parse;
#[cfg(test)]
mod properties;
mod raw;

pub use parse::parse_event;

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
            Self::MeetingEnd(e) => e.raw(),
            Self::MeetingStarted(e) => e.raw(),
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
    raw: RawEntry,
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
        self.raw.value()
    }
}

/// A `meeting.started` occurrence (会议开始).
#[derive(Debug, Clone, PartialEq)]
pub struct MeetingStarted {
    trace_id: Option<String>,
    payload: types::MeetingStartedPayload,
    raw: RawEntry,
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
        self.raw.value()
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
