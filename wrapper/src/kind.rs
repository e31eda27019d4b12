//! What kind of meeting is being dismissed, which decides the rules that apply.

/// The kind of meeting, given by the caller or found by the look-up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MeetingKind {
    /// A scheduled one-time meeting (or a kind the dismiss rules do not distinguish: webinar,
    /// personal meeting ID, …).
    OneTime,
    /// A quick meeting (快速会议): the service always reclaims its code, so `retrieve_code` is
    /// sent as 1.
    Quick,
    /// A recurring meeting, dismissed by its master ID. While sub-meetings remain its code must
    /// be kept (`retrieve_code` 0), or they cannot run.
    ///
    /// Build it with [`MeetingKind::recurring`]: the variant may gain fields, so it cannot be
    /// written as a literal outside this crate; match it with `MeetingKind::Recurring { .. }`.
    #[non_exhaustive]
    Recurring {
        /// How many sub-meetings are still to come; `None` when not known, which the rules
        /// treat as "some".
        remaining_sub_meetings: Option<u32>,
    },
}

impl MeetingKind {
    /// A recurring meeting with `remaining_sub_meetings` still to come (`None`: not known).
    pub fn recurring(remaining_sub_meetings: Option<u32>) -> Self {
        Self::Recurring {
            remaining_sub_meetings,
        }
    }

    /// Whether sub-meetings may still be to come: a recurring meeting with a remaining count
    /// other than a known 0.
    pub fn may_have_sub_meetings_to_come(&self) -> bool {
        matches!(self, Self::Recurring { remaining_sub_meetings } if *remaining_sub_meetings != Some(0))
    }
}
