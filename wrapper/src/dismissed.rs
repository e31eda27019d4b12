//! A dismiss that is known to have taken effect, and the evidence that shows it.

use crate::kind::MeetingKind;
use crate::status::MeetingStatus;

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
    /// An attempt's outcome was unknown (no answer after the request was sent); a later attempt
    /// was answered "already ended" (13603), and a look-up then showed the meeting no longer in
    /// progress. The meeting ended; that this call ended it is likely but not shown (the host
    /// could have ended it in between).
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

/// A verified `meeting.end` event of the dismissed meeting: evidence, independent of the dismiss
/// call, that the meeting ended. See [`Dismissed::confirmed_by`] (feature `webhook`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventConfirmation {
    trace_id: Option<String>,
    end_type: Option<i32>,
    operate_time_ms: Option<i64>,
    sub_meeting_id: Option<String>,
}

impl EventConfirmation {
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

/// The event given to [`Dismissed::confirmed_by`] is the end of another meeting.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "the meeting.end is for meeting {event_meeting_id}, not the dismissed {dismissed_meeting_id}"
)]
pub struct NotThisMeeting {
    dismissed_meeting_id: String,
    event_meeting_id: String,
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
    event: Option<EventConfirmation>,
}

impl Dismissed {
    /// A meeting the service answered as dismissed, in one attempt with HTTP 200 and
    /// `retrieve_code` 0. For tests of code that uses this crate (see [`crate::testing`]); the
    /// client makes its own. Adjust it with the `with_*` methods.
    pub fn answered(meeting_id: impl Into<String>) -> Self {
        Self {
            meeting_id: meeting_id.into(),
            kind: None,
            retrieve_code: false,
            retrieve_code_overridden: false,
            attempts: 1,
            evidence: Evidence::Answered {
                status: 200,
                trace_id: None,
            },
            event: None,
        }
    }

    pub(crate) fn new(
        meeting_id: String,
        kind: Option<MeetingKind>,
        retrieve_code: bool,
        retrieve_code_overridden: bool,
        attempts: u32,
        evidence: Evidence,
    ) -> Self {
        Self {
            meeting_id,
            kind,
            retrieve_code,
            retrieve_code_overridden,
            attempts,
            evidence,
            event: None,
        }
    }

    /// With the meeting kind given or looked up.
    pub fn with_kind(mut self, kind: MeetingKind) -> Self {
        self.kind = Some(kind);
        self
    }

    /// With `retrieve_code` as sent, and whether the quick-meeting rule raised it.
    pub fn with_retrieve_code(mut self, retrieve_code: bool, overridden: bool) -> Self {
        self.retrieve_code = retrieve_code;
        self.retrieve_code_overridden = overridden;
        self
    }

    /// With how many attempts the call made.
    pub fn with_attempts(mut self, attempts: u32) -> Self {
        self.attempts = attempts;
        self
    }

    /// With the trace id of the success answer.
    pub fn with_trace_id(mut self, trace_id: impl Into<String>) -> Self {
        if let Evidence::Answered { trace_id: t, .. } = &mut self.evidence {
            *t = Some(trace_id.into());
        }
        self
    }

    /// As if confirmed by a look-up after an unknown attempt (see [`Evidence::LookedUp`]).
    pub fn with_looked_up(mut self, looked_up: MeetingStatus) -> Self {
        self.evidence = Evidence::LookedUp {
            status: 400,
            trace_id: None,
            looked_up,
        };
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

    /// The `meeting.end` event that confirmed the end, once [`Self::confirmed_by`] was given one.
    pub fn event(&self) -> Option<&EventConfirmation> {
        self.event.as_ref()
    }

    /// Upgrades this result with a verified `meeting.end` of the same meeting (from a
    /// [`crate::webhook::MeetingEndWaiter`] watched before the dismiss was sent): the meeting was
    /// seen to end, not only the dismiss accepted. An end of another meeting is refused.
    #[cfg(feature = "webhook")]
    pub fn confirmed_by(
        mut self,
        end: &crate::webhook::MeetingEnd,
    ) -> Result<Self, NotThisMeeting> {
        let meeting = end.meeting();
        if meeting.meeting_id() != self.meeting_id {
            return Err(NotThisMeeting {
                dismissed_meeting_id: self.meeting_id,
                event_meeting_id: meeting.meeting_id().to_string(),
            });
        }
        self.event = Some(EventConfirmation {
            trace_id: end.trace_id().map(str::to_string),
            end_type: end.end_type().map(|t| t.code()),
            operate_time_ms: end.operate_time_ms(),
            sub_meeting_id: meeting.sub_meeting_id().map(str::to_string),
        });
        Ok(self)
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
