//! A call whose effect is in doubt.

use std::fmt;

use super::Error;

/// An attempt may have taken effect — its request was written, and what came back was not the
/// service's own answer (none in time, a cut answer, a gateway's 5xx page, a 2xx that is not a
/// success body: see [`Error::maybe_applied`]) — and nothing since showed whether it did.
///
/// For a dismiss: the meeting may or may not have been ended. Find out with a look-up
/// ([`crate::Client::get_meeting`]: `MEETING_STATE_STARTED` means it still runs), or by waiting
/// for its `meeting.end` event.
#[derive(Debug)]
pub struct OutcomeUnknown {
    pub(crate) attempts: u32,
    pub(crate) last: Box<Error>,
}

impl OutcomeUnknown {
    /// A call of `attempts` attempts whose last failure was `last`. For tests of code that
    /// handles this crate's errors; the client makes its own.
    pub fn new(attempts: u32, last: Error) -> Self {
        Self {
            attempts,
            last: Box::new(last),
        }
    }

    /// How many attempts the call made.
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// The failure that ended the call: the last attempt's (or, when the call tried to confirm
    /// the outcome with a look-up, the look-up's).
    pub fn last(&self) -> &Error {
        &self.last
    }
}

impl fmt::Display for OutcomeUnknown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "outcome unknown after {} attempt(s): a request may have reached the service, and no answer showed whether it took effect (last: {}); look the meeting up to find out",
            self.attempts, self.last
        )
    }
}

impl std::error::Error for OutcomeUnknown {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(self.last.as_ref())
    }
}
