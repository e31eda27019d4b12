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

/// A dismissed meeting: what was sent, and the evidence that it ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dismissed {
    meeting_id: String,
    kind: Option<MeetingKind>,
    retrieve_code: bool,
    retrieve_code_overridden: bool,
    attempts: u32,
    evidence: Evidence,
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
