//! A call that the dismiss page's rules refuse before the dismiss is sent.

use crate::status::MeetingStatus;

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
    /// Only a meeting in progress can be dismissed. (A meeting the look-up did not find is not
    /// a refusal: it is the service's 9003, [`crate::ApiErrorKind::NotFound`], the same shape as
    /// when the dismiss itself finds it missing.)
    #[error(
        "meeting {meeting_id} is not in progress ({}); only a meeting in progress can be dismissed",
        status_text(status.as_ref())
    )]
    #[non_exhaustive]
    NotInProgress {
        /// The meeting ID.
        meeting_id: String,
        /// The status the look-up reported (`None`: it reported none). Whether it is over:
        /// [`MeetingStatus::is_over`].
        status: Option<MeetingStatus>,
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
    pub fn not_in_progress(meeting_id: impl Into<String>, status: Option<MeetingStatus>) -> Self {
        Self::NotInProgress {
            meeting_id: meeting_id.into(),
            status,
        }
    }

    /// The state of a meeting refused as not in progress, when the look-up reported one.
    pub fn status(&self) -> Option<&MeetingStatus> {
        match self {
            Self::NotInProgress { status, .. } => status.as_ref(),
            _ => None,
        }
    }
}

fn status_text(status: Option<&MeetingStatus>) -> String {
    match status {
        Some(status) => format!("status {status}"),
        None => "the look-up reported no status".to_string(),
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
