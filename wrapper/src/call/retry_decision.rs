//! After a failed attempt: retry, and after how long, or give up, and why. A pure decision over
//! the error, the attempt count, the policy and what is left of the deadline; the loop in
//! `attempts.rs` acts on it.

use std::time::Duration;

use crate::clock::Clock;
use crate::error::{Error, PER_MINUTE_LIMIT};
use crate::rate_limit::until_next_window;
use crate::retry::RetryPolicy;

/// What the call does after a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Next {
    /// Wait this long, then send again (signed afresh).
    Retry(Duration),
    /// Stop; the reason is logged with the attempt.
    GiveUp(GiveUp),
}

/// Why a failed call stops.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum GiveUp {
    /// A second attempt cannot help ([`Error::is_retryable`]).
    NotRetryable,
    /// The retry policy's attempts are spent.
    NoAttemptsLeft,
    /// The wait would reach the call's deadline.
    DeadlineTooNear,
}

impl GiveUp {
    /// The words the attempt's log event uses.
    pub(super) fn reason(self) -> &'static str {
        match self {
            GiveUp::NotRetryable => "not retryable",
            GiveUp::NoAttemptsLeft => "no attempts left",
            GiveUp::DeadlineTooNear => "the deadline is too near",
        }
    }
}

/// Where a call stands when an attempt has failed.
#[derive(Debug, Clone, Copy)]
pub(super) struct Standing<'a> {
    /// The attempt that failed (1-based).
    pub attempt: u32,
    pub retry: &'a RetryPolicy,
    /// What is left of the call's deadline (`None`: no deadline).
    pub remaining: Option<Duration>,
    /// The length of the per-minute quota's window.
    pub rate_limit_window: Duration,
}

/// Whether and when to retry after `error`. The per-minute quota (190310) is retried when the next
/// window begins by `clock` (the client's, which the service's windows are aligned with), not
/// after the policy's backoff, which would only be refused again.
pub(super) fn after_failure(error: &Error, standing: Standing<'_>, clock: &dyn Clock) -> Next {
    if !error.is_retryable() {
        return Next::GiveUp(GiveUp::NotRetryable);
    }
    if standing.attempt >= standing.retry.attempts() {
        return Next::GiveUp(GiveUp::NoAttemptsLeft);
    }
    let delay = match error {
        Error::Api(api) if api.code() == PER_MINUTE_LIMIT => {
            until_next_window(standing.rate_limit_window, clock.now_unix_millis())
        }
        _ => standing.retry.delay(standing.attempt),
    };
    if standing.remaining.is_some_and(|left| left <= delay) {
        return Next::GiveUp(GiveUp::DeadlineTooNear);
    }
    Next::Retry(delay)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::FixedClock;
    use crate::error::{ApiError, TransportError, ValidationError};

    const MINUTE: Duration = Duration::from_secs(60);

    fn standing(attempt: u32, retry: &RetryPolicy, remaining: Option<Duration>) -> Standing<'_> {
        Standing {
            attempt,
            retry,
            remaining,
            rate_limit_window: MINUTE,
        }
    }

    fn refused_connection() -> Error {
        TransportError::new("connection refused", false).into()
    }

    #[test]
    fn what_a_retry_cannot_fix_is_not_retried() {
        let retry = RetryPolicy::default();
        let clock = FixedClock(0);
        for error in [
            Error::from(ValidationError::new("meeting_id", "bad")),
            ApiError::new(400, 9003, "no such meeting").into(),
        ] {
            assert_eq!(
                after_failure(&error, standing(1, &retry, None), &clock),
                Next::GiveUp(GiveUp::NotRetryable),
                "{error}"
            );
        }
    }

    #[test]
    fn a_retryable_failure_waits_the_policy_backoff_until_attempts_run_out() {
        let retry = RetryPolicy::default().max_attempts(3);
        let clock = FixedClock(0);
        for attempt in 1..3 {
            let (low, high) = retry.delay_bounds(attempt);
            match after_failure(
                &refused_connection(),
                standing(attempt, &retry, None),
                &clock,
            ) {
                Next::Retry(delay) => assert!(low <= delay && delay <= high, "{delay:?}"),
                other => panic!("attempt {attempt}: {other:?}"),
            }
        }
        assert_eq!(
            after_failure(&refused_connection(), standing(3, &retry, None), &clock),
            Next::GiveUp(GiveUp::NoAttemptsLeft)
        );
    }

    #[test]
    fn the_per_minute_quota_is_retried_when_the_next_window_begins() {
        let retry = RetryPolicy::default();
        // 45 s into a minute: the next window begins in 15 s (plus at most 1 s of jitter), far
        // beyond the policy's backoff.
        let clock = FixedClock(1_700_000_040_000 + 45_000);
        let quota = ApiError::new(200, PER_MINUTE_LIMIT, "too many requests").into();
        match after_failure(&quota, standing(1, &retry, None), &clock) {
            Next::Retry(delay) => assert!(
                Duration::from_secs(15) <= delay && delay <= Duration::from_secs(16),
                "{delay:?}"
            ),
            other => panic!("{other:?}"),
        }
        // With 10 s left of the deadline, that wait is not worth starting.
        assert_eq!(
            after_failure(
                &quota,
                standing(1, &retry, Some(Duration::from_secs(10))),
                &clock
            ),
            Next::GiveUp(GiveUp::DeadlineTooNear)
        );
    }

    #[test]
    fn a_wait_that_reaches_the_deadline_gives_up() {
        let retry = RetryPolicy::default()
            .base_delay(Duration::from_secs(2))
            .max_delay(Duration::from_secs(2));
        let clock = FixedClock(0);
        // The wait is 1 s to 2 s: 1 s left is not enough, 3 s is.
        assert_eq!(
            after_failure(
                &refused_connection(),
                standing(1, &retry, Some(Duration::from_secs(1))),
                &clock
            ),
            Next::GiveUp(GiveUp::DeadlineTooNear)
        );
        assert!(matches!(
            after_failure(
                &refused_connection(),
                standing(1, &retry, Some(Duration::from_secs(3))),
                &clock
            ),
            Next::Retry(_)
        ));
    }
}
