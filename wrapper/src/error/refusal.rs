//! A call that the dismiss page's rules refuse before the dismiss is sent.

/// A call the rules of the dismiss page refuse. The dismiss request was not sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Refusal {
    /// The ID is a sub-meeting of a recurring meeting; recurring meetings are dismissed by the
    /// master meeting ID.
    #[error(
        "{given} is a sub-meeting of a recurring meeting: dismiss it by the master meeting ID{}",
        master_hint(master_id.as_deref())
    )]
    #[non_exhaustive]
    SubMeetingId {
        /// The ID that was given.
        given: String,
        /// The master meeting ID, when the look-up returned one.
        master_id: Option<String>,
    },
    /// Reclaiming the code of a recurring meeting with sub-meetings to come (or an unknown number
    /// of them) would stop them from running.
    #[error(
        "retrieve_code = 1 would reclaim the code of a recurring meeting with {} still to come, and they could not run; keep retrieve_code 0, or force it (.force_retrieve_code()) if that is what you want",
        remaining_text(*remaining)
    )]
    #[non_exhaustive]
    SubMeetingsRemain {
        /// How many sub-meetings are still to come; `None` when the service did not say.
        remaining: Option<u32>,
    },
    /// Only a meeting in progress can be dismissed.
    #[error(
        "meeting {meeting_id} is not in progress (status {status}); only a meeting in progress can be dismissed"
    )]
    #[non_exhaustive]
    NotInProgress {
        /// The meeting ID.
        meeting_id: String,
        /// The status the look-up reported, as the service spells it.
        status: String,
    },
    /// The look-up found no meeting under this ID.
    #[error("the look-up of meeting {meeting_id} returned no meeting")]
    #[non_exhaustive]
    NotFound {
        /// The meeting ID.
        meeting_id: String,
    },
}

impl Refusal {
    /// [`Refusal::SubMeetingId`], for tests of code that handles this crate's errors.
    pub fn sub_meeting_id(given: impl Into<String>, master_id: Option<String>) -> Self {
        Self::SubMeetingId {
            given: given.into(),
            master_id,
        }
    }

    /// [`Refusal::SubMeetingsRemain`].
    pub fn sub_meetings_remain(remaining: Option<u32>) -> Self {
        Self::SubMeetingsRemain { remaining }
    }

    /// [`Refusal::NotInProgress`].
    pub fn not_in_progress(meeting_id: impl Into<String>, status: impl Into<String>) -> Self {
        Self::NotInProgress {
            meeting_id: meeting_id.into(),
            status: status.into(),
        }
    }

    /// [`Refusal::NotFound`].
    pub fn not_found(meeting_id: impl Into<String>) -> Self {
        Self::NotFound {
            meeting_id: meeting_id.into(),
        }
    }
}

fn master_hint(master_id: Option<&str>) -> String {
    match master_id {
        Some(id) => format!(" {id}"),
        None => " (the look-up returned none)".to_string(),
    }
}

fn remaining_text(remaining: Option<u32>) -> String {
    match remaining {
        Some(n) => format!("{n} sub-meeting(s)"),
        None => "sub-meetings (how many, the service did not say)".to_string(),
    }
}
