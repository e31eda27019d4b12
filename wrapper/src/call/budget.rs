//! A call's settings (the client's, with the call's overrides) and the clock of its deadline: how
//! long the next attempt may take, and whether a wait would pass the deadline.

use std::time::{Duration, Instant};

use crate::client::Client;
use crate::error::{TimeoutError, ValidationError};
use crate::retry::RetryPolicy;
use crate::transport::AttemptSettings;

/// A call's own timeout, retry policy and deadline, overriding the client's.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Overrides {
    pub timeout: Option<Duration>,
    pub retry: Option<RetryPolicy>,
    pub deadline: Option<Duration>,
}

/// The settings one call runs with, and the clock of its deadline.
#[derive(Debug, Clone)]
pub(crate) struct Budget {
    pub retry: RetryPolicy,
    timeout: Duration,
    /// The timeout the reqwest client applies to every request by itself, if known.
    http_timeout: Option<Duration>,
    deadline: Option<(Instant, Duration)>,
    started: Instant,
}

impl Budget {
    /// The client's settings with the call's overrides, starting now.
    pub fn start(client: &Client, overrides: Overrides) -> Result<Self, ValidationError> {
        let inner = &client.inner;
        let budget = Self::starting_at(
            Instant::now(),
            overrides.timeout.unwrap_or(inner.timeout),
            overrides.retry.unwrap_or(inner.retry),
            overrides.deadline.or(inner.deadline),
        )?;
        Ok(budget.with_http_timeout(inner.http_timeout))
    }

    /// Says which timeout the reqwest client already applies to every request (see
    /// [`AttemptSettings::timeout_on_request`]).
    fn with_http_timeout(mut self, http_timeout: Option<Duration>) -> Self {
        self.http_timeout = http_timeout;
        self
    }

    /// The settings as resolved, with the deadline counted from `started`.
    fn starting_at(
        started: Instant,
        timeout: Duration,
        retry: RetryPolicy,
        deadline: Option<Duration>,
    ) -> Result<Self, ValidationError> {
        if timeout.is_zero() {
            return Err(ValidationError::new("timeout", "must be greater than zero"));
        }
        if deadline.is_some_and(|d| d.is_zero()) {
            return Err(ValidationError::new(
                "deadline",
                "must be greater than zero",
            ));
        }
        Ok(Self {
            retry,
            timeout,
            http_timeout: None,
            deadline: deadline.map(|d| (started + d, d)),
            started,
        })
    }

    /// What is left of the deadline (`None`: no deadline). The clock is read only when there is
    /// a deadline to count down.
    pub(super) fn remaining(&self) -> Option<Duration> {
        self.remaining_with(Instant::now)
    }

    /// What is left of the deadline, with `now` read only when there is one.
    fn remaining_with(&self, now: impl FnOnce() -> Instant) -> Option<Duration> {
        self.deadline
            .map(|(at, _)| at.saturating_duration_since(now()))
    }

    /// The next attempt's timeout: the call's, or what is left of the deadline when that is less.
    pub(super) fn attempt(&self) -> AttemptSettings {
        self.attempt_within(self.remaining())
    }

    /// [`Self::attempt`] with `remaining` (from [`Self::remaining`]) as what is left.
    fn attempt_within(&self, remaining: Option<Duration>) -> AttemptSettings {
        let (timeout, bounded_by_deadline) = match (remaining, self.deadline) {
            // Never zero: a zero timeout would fail before the request is even built.
            (Some(left), Some((_, length))) if left < self.timeout => {
                (left.max(Duration::from_millis(1)), Some(length))
            }
            _ => (self.timeout, None),
        };
        AttemptSettings {
            dry_run: false,
            timeout: Some(timeout),
            bounded_by_deadline,
            timeout_on_request: self.http_timeout != Some(timeout),
        }
    }

    /// The error of a call whose deadline passed before its next attempt could start.
    pub(super) fn deadline_passed(&self) -> TimeoutError {
        let length = self.deadline.map_or(Duration::ZERO, |(_, d)| d);
        TimeoutError::deadline(length, false)
    }

    /// How long the call has run.
    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    impl Budget {
        /// What is left of the deadline at `now`.
        fn remaining_at(&self, now: Instant) -> Option<Duration> {
            self.remaining_with(|| now)
        }

        /// The attempt settings at `now`.
        fn attempt_at(&self, now: Instant) -> AttemptSettings {
            self.attempt_within(self.remaining_at(now))
        }
    }

    const SECOND: Duration = Duration::from_secs(1);

    #[test]
    fn zero_timeout_or_deadline_is_refused_by_name() {
        let now = Instant::now();
        let err = Budget::starting_at(now, Duration::ZERO, RetryPolicy::default(), None)
            .expect_err("zero timeout");
        assert_eq!(err.field(), "timeout");
        let err = Budget::starting_at(now, SECOND, RetryPolicy::default(), Some(Duration::ZERO))
            .expect_err("zero deadline");
        assert_eq!(err.field(), "deadline");
    }

    #[test]
    fn an_attempt_gets_the_call_timeout_until_the_deadline_is_nearer() {
        let start = Instant::now();
        let budget =
            Budget::starting_at(start, 2 * SECOND, RetryPolicy::default(), Some(5 * SECOND))
                .expect("valid");

        let early = budget.attempt_at(start + SECOND);
        assert_eq!(early.timeout, Some(2 * SECOND));
        assert_eq!(early.bounded_by_deadline, None);

        let late = budget.attempt_at(start + 4 * SECOND);
        assert_eq!(late.timeout, Some(SECOND));
        assert_eq!(late.bounded_by_deadline, Some(5 * SECOND));

        // Past the deadline the attempt still gets a timeout that can fire, not zero.
        let past = budget.attempt_at(start + 6 * SECOND);
        assert_eq!(past.timeout, Some(Duration::from_millis(1)));
        assert!(early.timeout_on_request && late.timeout_on_request && past.timeout_on_request);
        assert_eq!(
            budget.remaining_at(start + 6 * SECOND),
            Some(Duration::ZERO)
        );
    }

    #[test]
    fn the_timeout_goes_on_the_request_unless_the_http_client_applies_the_same_one() {
        let start = Instant::now();
        let budget =
            Budget::starting_at(start, 2 * SECOND, RetryPolicy::default(), Some(5 * SECOND))
                .expect("valid")
                .with_http_timeout(Some(2 * SECOND));
        let early = budget.attempt_at(start + SECOND);
        assert_eq!(early.timeout, Some(2 * SECOND));
        assert!(
            !early.timeout_on_request,
            "the reqwest client applies 2 s itself"
        );
        // Nearer the deadline the attempt's timeout is shorter than the client's: on the request.
        let late = budget.attempt_at(start + 4 * SECOND);
        assert_eq!(late.timeout, Some(SECOND));
        assert!(late.timeout_on_request);
        // A call's own timeout differs from the client's: on the request.
        let own = Budget::starting_at(start, 3 * SECOND, RetryPolicy::default(), None)
            .expect("valid")
            .with_http_timeout(Some(2 * SECOND));
        assert!(own.attempt_at(start).timeout_on_request);
    }

    #[test]
    fn without_a_deadline_nothing_remains_to_count() {
        let start = Instant::now();
        let budget =
            Budget::starting_at(start, SECOND, RetryPolicy::default(), None).expect("valid");
        assert_eq!(budget.remaining_at(start + 1000 * SECOND), None);
        assert_eq!(budget.attempt_at(start).timeout, Some(SECOND));
        assert!(!budget.deadline_passed().maybe_sent());
    }
}
