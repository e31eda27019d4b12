//! Constructors that make a [`Dismissed`] without a call, for test doubles and the tests of code
//! that uses this crate. Feature `test-util` only: a `Dismissed` is the crate's word that a
//! meeting ended, so a release build can only get one from a call (a success answer, or "already
//! ended" confirmed by a look-up), never make one.

use std::time::SystemTime;

use super::{Dismissed, Evidence};
use crate::error::ApiError;
use crate::kind::MeetingKind;
use crate::status::MeetingStatus;

#[cfg_attr(docsrs, doc(cfg(feature = "test-util")))]
impl Dismissed {
    /// A meeting the service answered as dismissed, in one attempt with HTTP 200 and
    /// `retrieve_code` 0, its request sent now: what a test double answers (see
    /// [`crate::testing`]); the client makes its own from the service's answer. Adjust it with
    /// the `with_*` methods. Feature `test-util` only, so that a release build cannot make a
    /// `Dismissed` no call showed.
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
            sent_at: SystemTime::now(),
            sub_meeting_id: None,
            event: None,
        }
    }

    /// With the time its (first) request left, by the system clock.
    pub fn with_sent_at(mut self, sent_at: SystemTime) -> Self {
        self.sent_at = sent_at;
        self
    }

    /// With the sub-meeting it ended (a recurring meeting's, when known).
    pub fn with_sub_meeting_id(mut self, sub_meeting_id: impl Into<String>) -> Self {
        self.sub_meeting_id = Some(sub_meeting_id.into());
        self
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

    /// As if a look-up had confirmed it after an attempt whose outcome was unknown (see
    /// [`Evidence::LookedUp`]): `already_ended` is the later attempt's "already ended" answer
    /// (13603, as the test scripts it: its HTTP status and trace id are kept), `looked_up` the
    /// state the look-up reported.
    pub fn with_looked_up(mut self, already_ended: &ApiError, looked_up: MeetingStatus) -> Self {
        self.evidence = Evidence::LookedUp {
            status: already_ended.status(),
            trace_id: already_ended.trace_id().map(str::to_string),
            looked_up,
        };
        self
    }
}
