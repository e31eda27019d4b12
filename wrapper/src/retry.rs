//! Which failures are retried, how often, and how long to wait between attempts.

use std::time::Duration;

/// Bounded retries with exponential backoff and jitter.
///
/// Only failures that a second attempt can fix are retried (see [`crate::Error::is_retryable`]);
/// every attempt is signed afresh with a new timestamp and nonce.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    max_attempts: u32,
    base_delay: Duration,
    max_delay: Duration,
    rate_limit_window: Duration,
}

impl Default for RetryPolicy {
    /// 3 attempts, waits drawn from [100 ms, 200 ms] then [200 ms, 400 ms], never above 5 s; after
    /// the per-minute quota (190310), the next minute.
    fn default() -> Self {
        Self {
            max_attempts: 3,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(5),
            rate_limit_window: Duration::from_secs(60),
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

    /// The window the service counts its per-minute quota in (default one minute). After 190310
    /// a retry waits until the next window begins, by the client's clock, plus up to a tenth of
    /// a window (at most 1 s) of jitter. Shorter windows are for simulators.
    pub fn rate_limit_window(mut self, window: Duration) -> Self {
        self.rate_limit_window = window.max(Duration::from_millis(1));
        self
    }

    /// The wait, at `now_unix_millis`, until the next rate-limit window begins, with jitter.
    pub(crate) fn until_next_window(&self, now_unix_millis: u64) -> Duration {
        let window = self.rate_limit_window.as_millis().max(1) as u64;
        let into_window = now_unix_millis % window;
        let jitter = (window / 10).min(1000);
        Duration::from_millis(window - into_window + rand::random_range(0..=jitter))
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

    #[test]
    fn a_rate_limited_retry_waits_for_the_next_window() {
        let p = RetryPolicy::default();
        // 45 s into a minute: 15 s to go, plus up to 1 s of jitter.
        let d = p.until_next_window(1_700_000_040_000 + 45_000);
        assert!(
            d >= Duration::from_secs(15) && d <= Duration::from_secs(16),
            "{d:?}"
        );
        let p = p.rate_limit_window(Duration::from_secs(2));
        let d = p.until_next_window(1_000);
        assert!(
            d >= Duration::from_secs(1) && d <= Duration::from_millis(1200),
            "{d:?}"
        );
    }
}
