//! Which failures are retried, how often, and how long to wait between attempts.

use std::time::Duration;

/// Bounded retries with exponential backoff and jitter.
///
/// Only failures that a second attempt can fix are retried (see [`crate::Error::is_retryable`]);
/// every attempt is signed afresh with a new timestamp and nonce. A request refused for the
/// per-minute quota (190310) is retried when the next quota window begins instead
/// ([`ClientBuilder::rate_limit_window`](crate::ClientBuilder::rate_limit_window)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    max_attempts: u32,
    base_delay: Duration,
    max_delay: Duration,
}

impl Default for RetryPolicy {
    /// 3 attempts, waits drawn from [100 ms, 200 ms] then [200 ms, 400 ms], never above 5 s.
    fn default() -> Self {
        Self {
            max_attempts: 3,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(5),
        }
    }
}

impl RetryPolicy {
    /// No retries: one attempt.
    pub fn none() -> Self {
        Self {
            max_attempts: 1,
            ..Self::default()
        }
    }

    /// At most `max_attempts` attempts in all (at least 1).
    pub fn max_attempts(mut self, max_attempts: u32) -> Self {
        self.max_attempts = max_attempts.max(1);
        self
    }

    /// The nominal wait before the first retry; it doubles for each later one.
    pub fn base_delay(mut self, base_delay: Duration) -> Self {
        self.base_delay = base_delay;
        self
    }

    /// The cap on any one wait.
    pub fn max_delay(mut self, max_delay: Duration) -> Self {
        self.max_delay = max_delay;
        self
    }

    /// How many attempts are made at most.
    pub fn attempts(&self) -> u32 {
        self.max_attempts
    }

    /// The bounds of the wait after failed attempt `attempt` (1-based): `[nominal / 2, nominal]`
    /// where `nominal = min(max_delay, base_delay * 2^(attempt - 1))`.
    pub fn delay_bounds(&self, attempt: u32) -> (Duration, Duration) {
        let factor = 1u32 << attempt.saturating_sub(1).min(20);
        let nominal = self.base_delay.saturating_mul(factor).min(self.max_delay);
        (nominal / 2, nominal)
    }

    /// The wait after failed attempt `attempt`: "equal jitter", uniform in [`Self::delay_bounds`],
    /// so clients that failed together do not retry together.
    pub fn delay(&self, attempt: u32) -> Duration {
        let (low, high) = self.delay_bounds(attempt);
        if high <= low {
            return low;
        }
        let span = (high - low).as_nanos() as u64;
        low + Duration::from_nanos(rand::random_range(0..=span))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_grow_and_stay_in_bounds() {
        let p = RetryPolicy::default();
        assert_eq!(
            p.delay_bounds(1),
            (Duration::from_millis(100), Duration::from_millis(200))
        );
        assert_eq!(
            p.delay_bounds(2),
            (Duration::from_millis(200), Duration::from_millis(400))
        );
        assert_eq!(
            p.delay_bounds(30),
            (Duration::from_millis(2500), Duration::from_secs(5))
        );
        for attempt in 1..10 {
            let (low, high) = p.delay_bounds(attempt);
            for _ in 0..100 {
                let d = p.delay(attempt);
                assert!(low <= d && d <= high, "{d:?} outside [{low:?}, {high:?}]");
            }
        }
        assert_eq!(RetryPolicy::default().max_attempts(0).attempts(), 1);
    }
}
