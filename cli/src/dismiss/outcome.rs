//! What became of one meeting ID: the statuses a user reads (`done`, `already_ended`,
//! `failed`, `unknown`, `skipped`), with what shows each.

use tencent_meeting::{ApiErrorKind, Dismissed, Error, MeetingStatus, PreparedRequest, Refusal};

use crate::dismiss::journal::Prior;
use crate::outcome::Exit;

/// The outcome of one ID.
#[derive(Debug)]
pub enum Outcome {
    /// The meeting ended, and something showed it.
    Done(Done),
    /// `--confirm-by-event`: the dismiss went through (the client's evidence), but its
    /// `meeting.end` was not seen within the wait.
    NotConfirmed(Box<Dismissed>, std::time::Duration),
    /// The meeting had already ended before this call (13603 on a call with no unknown attempt,
    /// or a look-up before the dismiss): not a failure, and not this run's doing.
    AlreadyEnded(Ended),
    /// Nothing was applied.
    Failed(Failure),
    /// The meeting may or may not have ended.
    Unknown(Unknown),
    /// Not sent again.
    Skipped(Skip),
    /// A dry run: the request, unsent.
    Prepared(Box<PreparedRequest>),
}

/// What shows a meeting ended.
#[derive(Debug)]
pub enum Done {
    /// The client's evidence: the service's success answer, or "already ended" after an
    /// unknown attempt confirmed by a look-up.
    Dismissed(Box<Dismissed>),
    /// An earlier dismiss's outcome was unknown (journal), and a look-up now shows the meeting
    /// ended.
    LookedUp(MeetingStatus),
}

/// What shows a meeting had already ended.
#[derive(Debug)]
pub enum Ended {
    /// The dismiss was answered 13603, and no attempt before it was in doubt.
    Answered(Box<Error>),
    /// `--lookup` found the meeting ended, so the dismiss was not sent.
    LookedUp(String),
}

/// Why nothing was applied.
#[derive(Debug)]
pub enum Failure {
    /// The call failed, and no attempt of it may have reached the service unanswered.
    Call(Box<Error>),
    /// The journal could not record that the dismiss was about to be sent, so it was not sent.
    Journal(String),
}

/// Why the outcome is not known.
#[derive(Debug)]
pub enum Unknown {
    /// An attempt may have reached the service, and nothing since showed its fate.
    Call(Box<Error>),
    /// An earlier run's dismiss is in doubt (journal), and the look-up to settle it failed.
    LookUp(Box<Error>),
    /// An earlier run's dismiss is in doubt (journal), the dismiss sent now was answered
    /// "already ended", and no look-up showed the meeting ended.
    NotConfirmed(Box<Error>),
    /// A second Ctrl-C stopped the run while the call was in flight.
    Aborted,
}

/// Why an ID was not sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Skip {
    /// The ID appeared before, on this line (`None`: the command line).
    Duplicate(Option<u64>),
    /// The journal records it as done or already ended.
    Journal(Prior),
}

impl Outcome {
    /// The status a user reads, as JSON spells it.
    pub fn status(&self) -> &'static str {
        match self {
            Self::Done(_) => "done",
            Self::NotConfirmed(..) => "not_confirmed",
            Self::AlreadyEnded(_) => "already_ended",
            Self::Failed(_) => "failed",
            Self::Unknown(_) => "unknown",
            Self::Skipped(_) => "skipped",
            Self::Prepared(_) => "prepared",
        }
    }

    /// Whether the journal keeps this outcome (skips are not new, and dry runs send nothing).
    pub fn journaled(&self) -> bool {
        !matches!(self, Self::Skipped(_) | Self::Prepared(_))
    }

    /// The exit code this outcome calls for.
    pub fn exit(&self) -> Exit {
        match self {
            Self::Done(_) | Self::AlreadyEnded(_) | Self::Skipped(_) | Self::Prepared(_) => {
                Exit::Ok
            }
            Self::Failed(Failure::Call(e)) => Exit::of(e),
            Self::Failed(Failure::Journal(_)) => Exit::Incomplete,
            Self::NotConfirmed(..) => Exit::NotConfirmed,
            Self::Unknown(_) => Exit::Unknown,
        }
    }

    /// The outcome of a dismiss call's error. `in_doubt`: an earlier run's dismiss of this ID
    /// may have taken effect, so "already ended" may be ours and is not taken at its word.
    pub fn of_error(error: Error, in_doubt: bool) -> Result<Self, Box<Error>> {
        if has_ended(&error) {
            return if in_doubt {
                Err(Box::new(error))
            } else {
                Ok(Self::AlreadyEnded(match error {
                    Error::Refused(refusal) => Ended::LookedUp(refused_status(&refusal)),
                    other => Ended::Answered(Box::new(other)),
                }))
            };
        }
        Ok(if error.maybe_applied() {
            Self::Unknown(Unknown::Call(Box::new(error)))
        } else {
            Self::Failed(Failure::Call(Box::new(error)))
        })
    }
}

/// Whether the error says the meeting had ended before this call: 13603 (not after an unknown
/// attempt: then the client confirms it itself, or returns `OutcomeUnknown`), or a `--lookup`
/// that found it ended.
fn has_ended(error: &Error) -> bool {
    match error {
        Error::Api(api) => api.kind() == ApiErrorKind::AlreadyEnded,
        Error::Refused(refusal) => matches!(
            MeetingStatus::from_service(&refused_status(refusal)),
            MeetingStatus::Ended | MeetingStatus::Recycled
        ),
        _ => false,
    }
}

fn refused_status(refusal: &Refusal) -> String {
    match refusal {
        Refusal::NotInProgress { status, .. } => status.clone(),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tencent_meeting::{ApiError, OutcomeUnknown, TimeoutError};

    #[test]
    fn already_ended_is_its_own_status_unless_an_earlier_dismiss_is_in_doubt() {
        let ended = || Error::from(ApiError::new(400, 13603, "ended"));
        let outcome = Outcome::of_error(ended(), false).ok();
        assert_eq!(outcome.map(|o| o.status()), Some("already_ended"));
        assert!(Outcome::of_error(ended(), true).is_err(), "to be confirmed");
        let looked_up = Error::from(Refusal::not_in_progress("1", "MEETING_STATE_ENDED"));
        let outcome = Outcome::of_error(looked_up, false).ok();
        assert_eq!(outcome.map(|o| o.status()), Some("already_ended"));
        let not_started = Error::from(Refusal::not_in_progress("1", "MEETING_STATE_INIT"));
        let outcome = Outcome::of_error(not_started, false).ok();
        assert_eq!(outcome.map(|o| o.status()), Some("failed"));
    }

    #[test]
    fn an_error_that_may_have_applied_is_unknown() {
        let unknown = Error::from(OutcomeUnknown::new(
            3,
            TimeoutError::new(std::time::Duration::from_secs(1)).into(),
        ));
        let outcome = Outcome::of_error(unknown, false).ok();
        assert_eq!(outcome.as_ref().map(|o| o.status()), Some("unknown"));
        assert_eq!(outcome.map(|o| o.exit()), Some(Exit::Unknown));
        let failed = Error::from(ApiError::new(400, 9042, "no"));
        let outcome = Outcome::of_error(failed, true).ok();
        assert_eq!(outcome.map(|o| o.exit()), Some(Exit::Api));
    }
}
