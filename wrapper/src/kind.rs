//! What kind of meeting is being dismissed, which decides the rules that apply.

/// The kind of meeting, given by the caller or found by the look-up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MeetingKind {
    /// A scheduled one-time meeting.
    OneTime,
    /// A quick meeting (快速会议): the service always reclaims its code, so `retrieve_code` is
    /// sent as 1.
    Quick,
    /// A recurring meeting, dismissed by its master ID. While sub-meetings remain its code must
    /// be kept (`retrieve_code` 0), or they cannot run.
    Recurring {
        /// How many sub-meetings are still to come.
        remaining_sub_meetings: u32,
    },
}
