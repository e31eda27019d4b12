//! A dismiss that is known to have taken effect, and the evidence that shows it.

use std::time::SystemTime;

use crate::kind::MeetingKind;
use crate::status::MeetingStatus;

// Constructors that make a `Dismissed` without a call: only for tests, so that a release build
// cannot forge evidence.
#[cfg(any(test, feature = "test-util"))]
mod forged;

/// How the client knows a meeting ended. A dismiss is reported done only with evidence.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Evidence {
    /// The service answered the dismiss with success (HTTP 200, an empty body or `{}`).
    #[non_exhaustive]
    Answered {
        /// The HTTP status of the answer.
        status: u16,
        /// The answer's `X-Tc-Trace` header, when present.
        trace_id: Option<String>,
    },
    /// An attempt may have taken effect without the service's answer (no answer after the
    /// request was written, or a gateway's page in its place: see
    /// [`crate::Error::maybe_applied`]); a later attempt was answered "already ended" (13603),
    /// and a look-up then showed the meeting over ([`crate::Meeting::has_ended`]). The meeting
    /// ended; that this call ended it is likely but not shown (the host could have ended it in
    /// between).
    #[non_exhaustive]
    LookedUp {
        /// The HTTP status of the "already ended" answer.
        status: u16,
        /// The trace id of the "already ended" answer, when present.
        trace_id: Option<String>,
        /// The state the look-up reported.
        looked_up: MeetingStatus,
    },
}

/// The verified `meeting.end` event that confirmed a dismiss: evidence, independent of the
/// dismiss call, that the meeting ended — this dismiss's end, by the rules of
/// `webhook::ConfirmationRules` (its end type, not before the request left, its sub-meeting).
// `confirmed_by` exists only with `webhook`: a build without it names it without a link.
#[cfg_attr(
    feature = "webhook",
    doc = "See [`Dismissed::confirmed_by`] (feature `webhook`)."
)]
#[cfg_attr(
    not(feature = "webhook"),
    doc = "See `Dismissed::confirmed_by` (feature `webhook`)."
)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventConfirmation {
    trace_id: Option<String>,
    end_type: Option<i32>,
    operate_time_ms: Option<i64>,
    sub_meeting_id: Option<String>,
}

impl EventConfirmation {
    #[cfg(feature = "webhook")]
    pub(crate) fn of(end: &crate::webhook::MeetingEnd) -> Self {
        Self {
            trace_id: end.trace_id().map(str::to_string),
            end_type: end.end_type().map(|t| t.code()),
            operate_time_ms: end.operate_time_ms(),
            sub_meeting_id: end.meeting().sub_meeting_id().map(str::to_string),
        }
    }

    /// The event's `trace_id`, its unique id.
    pub fn trace_id(&self) -> Option<&str> {
        self.trace_id.as_deref()
    }

    /// `meeting_end_type` as sent: 0 ended by the host or a dismiss, 1–3 ended by emptiness and
    /// time (see `webhook::MeetingEndType`).
    pub fn end_type_code(&self) -> Option<i32> {
        self.end_type
    }

    /// When the meeting ended, in unix milliseconds (`operate_time`).
    pub fn operate_time_ms(&self) -> Option<i64> {
        self.operate_time_ms
    }

    /// The sub-meeting that ended, for a recurring meeting.
    pub fn sub_meeting_id(&self) -> Option<&str> {
        self.sub_meeting_id.as_deref()
    }
}

/// A dismissed meeting: what was sent, and the evidence that it ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dismissed {
    meeting_id: String,
    kind: Option<MeetingKind>,
    retrieve_code: bool,
    retrieve_code_overridden: bool,
    attempts: u32,
    evidence: Evidence,
    sent_at: SystemTime,
    sub_meeting_id: Option<String>,
    event: Option<EventConfirmation>,
}

impl Dismissed {
    pub(crate) fn new(
        meeting_id: String,
        kind: Option<MeetingKind>,
        retrieve_code: bool,
        retrieve_code_overridden: bool,
        attempts: u32,
        evidence: Evidence,
        sent_at: SystemTime,
    ) -> Self {
        Self {
            meeting_id,
            kind,
            retrieve_code,
            retrieve_code_overridden,
            attempts,
            evidence,
            sent_at,
            sub_meeting_id: None,
            event: None,
        }
    }

    /// With the sub-meeting it ended, when the look-up named one.
    pub(crate) fn of_sub_meeting(mut self, sub_meeting_id: Option<String>) -> Self {
        self.sub_meeting_id = sub_meeting_id;
        self
    }

    /// The meeting ID that was dismissed.
    pub fn meeting_id(&self) -> &str {
        &self.meeting_id
    }

    /// The kind of meeting, when given or looked up.
    pub fn kind(&self) -> Option<MeetingKind> {
        self.kind
    }

    /// Whether `retrieve_code` was sent as 1 (the code is reclaimed; nobody can rejoin).
    ///
    /// When `false` and the kind is unknown, the service still reclaims a quick meeting's code.
    pub fn retrieve_code(&self) -> bool {
        self.retrieve_code
    }

    /// Whether `retrieve_code` was raised to 1 because the meeting is a quick meeting, whose code
    /// the service always reclaims.
    pub fn retrieve_code_overridden(&self) -> bool {
        self.retrieve_code_overridden
    }

    /// How many attempts were made.
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// What shows the meeting ended.
    pub fn evidence(&self) -> &Evidence {
        &self.evidence
    }

    /// When the dismiss's first request left, by the system clock (wall-clock time, to compare
    /// with an event's `operate_time`).
    pub fn sent_at(&self) -> SystemTime {
        self.sent_at
    }

    /// The sub-meeting the dismiss ended, for a recurring meeting when known (the look-up's
    /// current sub-meeting, with `.lookup()`).
    pub fn sub_meeting_id(&self) -> Option<&str> {
        self.sub_meeting_id.as_deref()
    }

    // `confirmed_by` exists only with `webhook`: a build without it names it without a link.
    #[cfg_attr(
        feature = "webhook",
        doc = "The `meeting.end` event that confirmed the end, once [`Self::confirmed_by`] was given one."
    )]
    #[cfg_attr(
        not(feature = "webhook"),
        doc = "The `meeting.end` event that confirmed the end, once `confirmed_by` (feature `webhook`) was given one."
    )]
    pub fn event(&self) -> Option<&EventConfirmation> {
        self.event.as_ref()
    }

    /// Upgrades this result with a verified `meeting.end` that is this dismiss's end, by the
    /// default [`crate::webhook::ConfirmationRules`]: of this meeting, of end type 0, with an
    /// `operate_time` not before the request left (less the rules' clock skew), and of this
    /// sub-meeting when both are known. Any other end is refused and says why. The waiter
    /// applies the same rules ([`crate::webhook::MeetingEndWatch::confirm`]); other rules:
    /// [`crate::webhook::ConfirmationRules::confirm`].
    #[cfg(feature = "webhook")]
    pub fn confirmed_by(
        self,
        end: &crate::webhook::MeetingEnd,
    ) -> Result<Self, crate::webhook::NotThisDismiss> {
        crate::webhook::ConfirmationRules::default().confirm(self, end)
    }

    /// With the event that confirmed it; the rules were checked by the caller.
    #[cfg(feature = "webhook")]
    pub(crate) fn with_event(mut self, event: EventConfirmation) -> Self {
        self.event = Some(event);
        self
    }

    /// The trace id of the dismiss answer that showed it done (the success answer, or the
    /// "already ended" answer a look-up then confirmed), when it had one.
    pub fn trace_id(&self) -> Option<&str> {
        match &self.evidence {
            Evidence::Answered { trace_id, .. } | Evidence::LookedUp { trace_id, .. } => {
                trace_id.as_deref()
            }
        }
    }
}
