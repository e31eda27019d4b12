//! What became of one meeting ID: the statuses a user reads (`done`, `already_ended`,
//! `failed`, `unknown`, `skipped`), with what shows each.

use tencent_meeting::webhook::NotSeen;
use tencent_meeting::{ApiErrorKind, Dismissed, Error, MeetingStatus, PreparedRequest};

use crate::dismiss::journal::Prior;
use crate::outcome::Exit;

/// The outcome of one ID.
#[derive(Debug)]
pub enum Outcome {
    /// The meeting ended, and something showed it.
    Done(Done),
    /// `--confirm-by-event`: the dismiss went through (the client's evidence), but its own
    /// `meeting.end` was not seen within the wait (what was seen or refused instead, in
    /// `NotSeen`).
    NotConfirmed(Box<Dismissed>, Box<NotSeen>),
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
    /// An earlier run's dismiss was in doubt (journal), and a look-up now shows the meeting
    /// over: it ended, perhaps by that dismiss (nothing shows who ended it).
    LookedUp(MeetingStatus),
}

/// What shows a meeting had already ended.
#[derive(Debug)]
pub enum Ended {
    /// The dismiss was answered 13603, and no attempt before it was in doubt.
    Answered(Box<Error>),
    /// `--lookup` found the meeting over, so the dismiss was not sent.
    LookedUp(MeetingStatus),
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
        if let Error::BeforeSend(e) = &error {
            // The only before-send hook the CLI sets writes the journal's "sending" line.
            return Ok(Self::Failed(Failure::Journal(e.hook_error().to_string())));
        }
        if has_ended(&error) {
            return if in_doubt {
                Err(Box::new(error))
            } else {
                Ok(Self::AlreadyEnded(match error {
                    Error::Refused(refusal) => {
                        Ended::LookedUp(refusal.status().cloned().unwrap_or(MeetingStatus::Ended))
                    }
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

/// Whether the error says the meeting had ended before this call: 13603 (not after an attempt
/// that may have taken effect: then the client confirms it itself, or returns
/// `OutcomeUnknown`), or a `--lookup` that found it over ([`MeetingStatus::is_over`]).
fn has_ended(error: &Error) -> bool {
    match error {
        Error::Api(api) => api.kind() == ApiErrorKind::AlreadyEnded,
        Error::Refused(refusal) => refusal.status().is_some_and(MeetingStatus::is_over),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tencent_meeting::{ApiError, BeforeSendError, OutcomeUnknown, Refusal, TimeoutError};

    #[test]
    fn a_failed_sending_line_is_a_journal_failure() {
        let e = Error::from(BeforeSendError::new("disk full"));
        let outcome = Outcome::of_error(e, false).ok();
        assert!(
            matches!(&outcome, Some(Outcome::Failed(Failure::Journal(m))) if m == "disk full"),
            "{outcome:?}"
        );
        assert_eq!(outcome.map(|o| o.exit()), Some(Exit::Incomplete));
    }

    #[test]
    fn already_ended_is_its_own_status_unless_an_earlier_dismiss_is_in_doubt() {
        let ended = || Error::from(ApiError::new(400, 13603, "ended"));
        let outcome = Outcome::of_error(ended(), false).ok();
        assert_eq!(outcome.map(|o| o.status()), Some("already_ended"));
        assert!(Outcome::of_error(ended(), true).is_err(), "to be confirmed");
        for (status, expected) in [
            (MeetingStatus::Ended, "already_ended"),
            (MeetingStatus::Recycled, "already_ended"),
            (MeetingStatus::Init, "failed"),
            // Never started: not over (the simulator answers its dismiss 9003).
            (MeetingStatus::Null, "failed"),
        ] {
            let refused = Error::from(Refusal::not_in_progress("1", Some(status.clone())));
            let outcome = Outcome::of_error(refused, false).ok();
            assert_eq!(outcome.map(|o| o.status()), Some(expected), "{status}");
        }
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
