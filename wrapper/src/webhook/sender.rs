//! The platform's side: sealing an event or a URL check as Tencent Meeting sends it, with the
//! same [`signature`](super::signature) and [`cipher`](super::cipher) functions the receiving
//! side checks with. The simulator sends its events with these; tests build requests with them.
//!
//! ```
//! use tencent_meeting::webhook::{sender::MeetingEndNotice, Webhook};
//!
//! let webhook = Webhook::new("Ab3dEf6hIj9kLm2nOp5qRs8tU", Some("abcdefghijklmnopqrstuvwxyzABCDEFG1234567890"))?;
//! let notice = MeetingEndNotice::new("trace-1", "13339451618278424869", 1_700_000_000_000);
//! let sealed = webhook.seal_event(&notice.to_json(), "1700000000123", "58209741");
//! let events = webhook.verify_and_parse(&sealed.header_map(), &sealed.body)?;
//! assert_eq!(events[0].as_meeting_end().map(|e| e.meeting().meeting_id()), Some("13339451618278424869"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use http::{HeaderMap, HeaderValue};
use tencent_meeting_openapi::types;

use super::config::Webhook;
use super::event::{MEETING_END, MeetingEndType};
use super::headers::{NONCE, SIGNATURE, TIMESTAMP};
use super::url_check::query_for;

/// The signature headers of a sealed request.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SignedHeaders {
    /// `timestamp`.
    pub timestamp: String,
    /// `nonce`.
    pub nonce: String,
    /// `signature`.
    pub signature: String,
}

impl SignedHeaders {
    /// The three headers as an [`HeaderMap`]. A value that is not a valid header value (the
    /// caller's timestamp or nonce) is left out, which the receiver reports as missing.
    pub fn header_map(&self) -> HeaderMap {
        let mut map = HeaderMap::with_capacity(3);
        for (name, value) in [
            (TIMESTAMP, &self.timestamp),
            (NONCE, &self.nonce),
            (SIGNATURE, &self.signature),
        ] {
            if let Ok(value) = HeaderValue::from_str(value) {
                map.insert(name, value);
            }
        }
        map
    }
}

/// An event delivery, ready to POST with `Content-Type: application/json`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SealedDelivery {
    /// The signature headers.
    pub headers: SignedHeaders,
    /// The encoded event (`data`).
    pub data: String,
    /// The body, `{"data":"…"}`.
    pub body: Vec<u8>,
}

impl SealedDelivery {
    /// The signature headers as an [`HeaderMap`].
    pub fn header_map(&self) -> HeaderMap {
        self.headers.header_map()
    }
}

/// A URL check, ready to GET.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SealedUrlCheck {
    /// The signature headers.
    pub headers: SignedHeaders,
    /// The encoded challenge (`check_str`, before percent-encoding).
    pub check_str: String,
    /// The query string, `check_str=…` percent-encoded.
    pub query: String,
}

impl SealedUrlCheck {
    /// The signature headers as an [`HeaderMap`].
    pub fn header_map(&self) -> HeaderMap {
        self.headers.header_map()
    }
}

impl Webhook {
    /// Encodes (encrypts, with a key) and signs the event JSON `plaintext` as the platform does.
    pub fn seal_event(&self, plaintext: &[u8], timestamp: &str, nonce: &str) -> SealedDelivery {
        let data = self.cipher().encode(plaintext);
        let signature = self.sign(timestamp, nonce, &data);
        // Base64 needs no JSON escaping; `Value`'s Display escapes anyway and cannot fail.
        let body = format!("{{\"data\":{}}}", serde_json::Value::String(data.clone())).into_bytes();
        SealedDelivery {
            headers: SignedHeaders {
                timestamp: timestamp.to_string(),
                nonce: nonce.to_string(),
                signature,
            },
            data,
            body,
        }
    }

    /// Encodes and signs the URL-check `challenge`; the receiver must answer with it.
    pub fn seal_url_check(&self, challenge: &str, timestamp: &str, nonce: &str) -> SealedUrlCheck {
        let check_str = self.cipher().encode(challenge.as_bytes());
        let signature = self.sign(timestamp, nonce, &check_str);
        SealedUrlCheck {
            headers: SignedHeaders {
                timestamp: timestamp.to_string(),
                nonce: nonce.to_string(),
                signature,
            },
            query: query_for(&check_str),
            check_str,
        }
    }
}

/// A `meeting.end` event to send, in the documented shape (built from the spec's generated
/// types). Fields left `None` are omitted.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct MeetingEndNotice {
    /// The event's unique id; a redelivery keeps it.
    pub trace_id: String,
    /// The meeting ID.
    pub meeting_id: String,
    /// When it ended, unix milliseconds.
    pub operate_time_ms: i64,
    /// Why it ended (default [`MeetingEndType::Dismissed`]).
    pub end_type: MeetingEndType,
    /// The meeting code.
    pub meeting_code: Option<String>,
    /// The subject.
    pub subject: Option<String>,
    /// `meeting_type` (0 one-time, 1 recurring, …).
    pub meeting_type: Option<i32>,
    /// `meeting_create_mode` (0 scheduled, 1 quick).
    pub create_mode: Option<i32>,
    /// `meeting_create_from` (6 REST API, …).
    pub create_from: Option<i32>,
    /// For a recurring meeting, the sub-meeting that ended.
    pub sub_meeting_id: Option<String>,
    /// The meeting's start, unix seconds.
    pub start_time: Option<i64>,
    /// The meeting's end, unix seconds.
    pub end_time: Option<i64>,
    /// The creator's userid.
    pub creator_userid: Option<String>,
    /// The operator's userid.
    pub operator_userid: Option<String>,
    /// The operator's device type, as the decimal string the platform sends.
    pub operator_instance_id: Option<String>,
}

impl MeetingEndNotice {
    /// A `meeting.end` of type 0 (ended by the host or the dismiss API) with nothing else set.
    pub fn new(
        trace_id: impl Into<String>,
        meeting_id: impl Into<String>,
        operate_time_ms: i64,
    ) -> Self {
        Self {
            trace_id: trace_id.into(),
            meeting_id: meeting_id.into(),
            operate_time_ms,
            end_type: MeetingEndType::Dismissed,
            meeting_code: None,
            subject: None,
            meeting_type: None,
            create_mode: None,
            create_from: None,
            sub_meeting_id: None,
            start_time: None,
            end_time: None,
            creator_userid: None,
            operator_userid: None,
            operator_instance_id: None,
        }
    }

    /// One complete `meeting.end`: a recurring meeting's sub-meeting ended by its creator, with
    /// every field this type carries set (546 bytes of JSON). The one fixed input of the
    /// event benchmarks (criterion's `webhook` bench, the perf guard's event path), so that
    /// their times and instruction counts describe the same delivery.
    pub fn sample() -> Self {
        let creator = "tester00006ba5bab339858c13c930cca95684";
        Self {
            meeting_code: Some("530812452".into()),
            subject: Some("Weekly sync of the platform team".into()),
            meeting_type: Some(1),
            create_mode: Some(0),
            create_from: Some(6),
            sub_meeting_id: Some("1700000000".into()),
            start_time: Some(1_700_000_000),
            end_time: Some(1_700_003_600),
            creator_userid: Some(creator.into()),
            operator_userid: Some(creator.into()),
            operator_instance_id: Some("1".into()),
            ..Self::new(
                "e7aa65dd-f7e6-4b62-912c-2035173b34a9",
                "13339451618278424869",
                1_700_000_000_000,
            )
        }
    }

    /// The event's JSON, as the plaintext of a delivery.
    pub fn to_json(&self) -> Vec<u8> {
        // Through the generated builders, not struct literals: a property the spec adds as
        // optional to an event type is left unset and regenerating needs no change here.
        let user = |userid: &Option<String>, instance_id: &Option<String>| {
            (userid.is_some() || instance_id.is_some()).then(|| types::EventUser {
                userid: userid.clone(),
                instance_id: instance_id.clone(),
                ..Default::default()
            })
        };
        let meeting_info = types::EventMeetingInfo::builder()
            .meeting_id(self.meeting_id.clone())
            .meeting_code(self.meeting_code.clone())
            .subject(self.subject.clone())
            .creator(user(&self.creator_userid, &None))
            .meeting_type(self.meeting_type)
            .meeting_create_mode(self.create_mode)
            .meeting_create_from(self.create_from)
            .sub_meeting_id(self.sub_meeting_id.clone())
            .start_time(self.start_time)
            .end_time(self.end_time);
        let payload = types::MeetingEndPayload::builder()
            .meeting_end_type(Some(self.end_type.code()))
            .operate_time(Some(self.operate_time_ms))
            .operator(user(&self.operator_userid, &self.operator_instance_id))
            .meeting_info(meeting_info);
        let event = types::MeetingEndPayload::try_from(payload).and_then(|payload| {
            types::MeetingEndEvent::builder()
                .event(MEETING_END.to_string())
                .trace_id(Some(self.trace_id.clone()))
                .payload(vec![payload])
                .try_into()
        });
        let event: types::MeetingEndEvent = match event {
            Ok(event) => event,
            // Every required property is set above; a new one in the spec is reported by
            // `cargo xtask codegen` (and fails this module's tests) before it could get here.
            Err(e) => unreachable!("a meeting.end event sets every required property: {e}"),
        };
        match serde_json::to_vec(&event) {
            Ok(json) => json,
            // Strings, integers and options only: serialising cannot fail.
            Err(e) => unreachable!("a meeting.end event always serialises: {e}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::webhook::event::Event;

    const TOKEN: &str = "Ab3dEf6hIj9kLm2nOp5qRs8tU";
    const KEY: &str = "abcdefghijklmnopqrstuvwxyzABCDEFG1234567890";

    #[test]
    fn a_sealed_url_check_is_the_shared_vector() {
        let webhook = Webhook::new(TOKEN, Some(KEY)).expect("valid");
        let sealed = webhook.seal_url_check("cfBAepfJBd0Kh8oO", "1700000000123", "58209741");
        assert_eq!(
            sealed.query,
            "check_str=zDfLuEaKhr%2BRXkTOT7gtV4MWk5JSqIuTjF28%2FqanE3c%3D"
        );
        assert_eq!(
            sealed.headers.signature,
            "63cc90212de2cc9d07172fbe62e2e9a2b7c5ee6e"
        );
        assert_eq!(
            webhook.verify_url(&sealed.header_map(), &sealed.query),
            Ok("cfBAepfJBd0Kh8oO".to_string())
        );
    }

    #[test]
    fn a_sealed_notice_parses_back_in_both_modes() {
        for key in [Some(KEY), None] {
            let webhook = Webhook::new(TOKEN, key).expect("valid");
            let mut notice =
                MeetingEndNotice::new("t-1", "13339451618278424869", 1_700_000_000_000);
            notice.sub_meeting_id = Some("1700000000".into());
            notice.operator_userid = Some("alice".into());
            notice.operator_instance_id = Some("1".into());
            notice.create_mode = Some(1);
            let sealed = webhook.seal_event(&notice.to_json(), "1700000000123", "1");
            let events = webhook
                .verify_and_parse(&sealed.header_map(), &sealed.body)
                .expect("verifies");
            let [Event::MeetingEnd(end)] = &events[..] else {
                panic!("{events:?}")
            };
            assert_eq!(end.trace_id(), Some("t-1"));
            assert_eq!(end.end_type(), Some(MeetingEndType::Dismissed));
            assert_eq!(end.meeting().sub_meeting_id(), Some("1700000000"));
            assert_eq!(end.operator().and_then(|o| o.userid()), Some("alice"));
            assert_eq!(end.operate_time_ms(), Some(1_700_000_000_000));
            // Fields left unset are omitted, not sent as null.
            assert!(end.raw()["meeting_info"].get("subject").is_none());
        }
    }

    #[test]
    fn the_sample_carries_every_field_and_parses_back() {
        let webhook = Webhook::new(TOKEN, Some(KEY)).expect("valid");
        let sealed = webhook.seal_event(&MeetingEndNotice::sample().to_json(), "1", "2");
        let events = webhook
            .verify_and_parse(&sealed.header_map(), &sealed.body)
            .expect("verifies");
        let [Event::MeetingEnd(end)] = &events[..] else {
            panic!("{events:?}")
        };
        let meeting = end.meeting();
        assert_eq!(end.trace_id(), Some("e7aa65dd-f7e6-4b62-912c-2035173b34a9"));
        assert_eq!(meeting.meeting_id(), "13339451618278424869");
        assert_eq!(meeting.meeting_code(), Some("530812452"));
        assert_eq!(meeting.subject(), Some("Weekly sync of the platform team"));
        assert_eq!(meeting.sub_meeting_id(), Some("1700000000"));
        assert_eq!(meeting.create_from(), Some(6));
        assert_eq!(
            (meeting.start_time(), meeting.end_time()),
            (Some(1_700_000_000), Some(1_700_003_600))
        );
        assert_eq!(
            meeting.creator().and_then(|c| c.userid()),
            end.operator().and_then(|o| o.userid())
        );
        assert_eq!(end.operator().and_then(|o| o.instance_id()), Some("1"));
    }
}
