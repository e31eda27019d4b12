//! The process's exit codes.

use std::process::ExitCode;

use tencent_meeting::Error;

/// The process exit codes. For `dismiss`, the code of the most serious outcome of any meeting
/// (see [`Exit::worse`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// 0: success (for `dismiss`: every meeting ended, now or before).
    Ok = 0,
    /// 1: the service answered with an error (nothing applied).
    Api = 1,
    /// 2: bad usage or input; nothing was sent for it.
    Usage = 2,
    /// 3: the request could not be sent or no answer came, and nothing was applied.
    Transport = 3,
    /// 4: the outcome is unknown: a request may have ended the meeting unanswered.
    Unknown = 4,
    /// 5: a batch stopped early because its input, its journal or stdout failed; the calls in
    /// flight were finished.
    Incomplete = 5,
    /// 6: with `--confirm-by-event`, a dismiss went through but its `meeting.end` was not seen
    /// within the wait.
    NotConfirmed = 6,
    /// 130: interrupted (SIGINT or SIGTERM), as a shell reports a process ended by SIGINT.
    Interrupted = 130,
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> ExitCode {
        ExitCode::from(exit as u8)
    }
}

impl Exit {
    /// The exit code an error calls for.
    pub fn of(error: &Error) -> Exit {
        match error {
            Error::Validation(_) | Error::Refused(_) => Exit::Usage,
            Error::Api(_) | Error::Decode(_) => Exit::Api,
            Error::Transport(_) | Error::Timeout(_) => Exit::Transport,
            Error::OutcomeUnknown(_) => Exit::Unknown,
            _ => Exit::Api,
        }
    }

    /// The more serious of two: interrupted > incomplete > unknown > transport > API >
    /// validation > not confirmed > success. An unknown outcome outranks every failure because it is the one a
    /// user must act on; an interruption outranks it because the batch did not finish.
    pub fn worse(self, other: Exit) -> Exit {
        let rank = |e: Exit| match e {
            Exit::Ok => 0,
            // The dismiss went through; only its event is missing.
            Exit::NotConfirmed => 1,
            Exit::Usage => 2,
            Exit::Api => 3,
            Exit::Transport => 4,
            Exit::Unknown => 5,
            Exit::Incomplete => 6,
            Exit::Interrupted => 7,
        };
        if rank(other) > rank(self) {
            other
        } else {
            self
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_most_serious_wins() {
        assert_eq!(Exit::Api.worse(Exit::Transport), Exit::Transport);
        assert_eq!(Exit::Transport.worse(Exit::Api), Exit::Transport);
        assert_eq!(Exit::Usage.worse(Exit::Api), Exit::Api);
        assert_eq!(Exit::Ok.worse(Exit::Usage), Exit::Usage);
        assert_eq!(Exit::Unknown.worse(Exit::Transport), Exit::Unknown);
        assert_eq!(Exit::Unknown.worse(Exit::Incomplete), Exit::Incomplete);
        assert_eq!(Exit::Interrupted.worse(Exit::Incomplete), Exit::Interrupted);
    }
}
