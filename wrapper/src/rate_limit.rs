//! The optional client-side rate limit, shared by a client and its clones.

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};

/// `requests` per `window`, evenly spaced: one request every `window / requests`, with no burst.
///
/// No burst, because the service counts its quota in fixed windows (300 a minute): any burst on
/// top of the steady rate can put more than the window's share into one window and draw 190310.
/// Evenly spaced, any `requests + 1` consecutive requests span at least `window`, so no window
/// of that length, wherever it starts, sees more than `requests` of them.
#[derive(Clone, Debug)]
pub(crate) struct RateLimit(Arc<DefaultDirectRateLimiter>);

impl RateLimit {
    pub fn per(requests: NonZeroU32, window: Duration) -> Self {
        let period = (window / requests.get()).max(Duration::from_nanos(1));
        // `with_period` only refuses a zero period, excluded above.
        let quota = Quota::with_period(period).unwrap_or_else(|| Quota::per_second(requests));
        Self(Arc::new(RateLimiter::direct(
            quota.allow_burst(NonZeroU32::MIN),
        )))
    }

    /// Waits for a token.
    pub async fn acquire(&self) {
        self.0.until_ready().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spaces_requests_evenly_without_a_burst() {
        // 120 a minute: one every 500 ms, and never two at once.
        let limit = RateLimit::per(
            NonZeroU32::new(120).unwrap_or(NonZeroU32::MIN),
            Duration::from_secs(60),
        );
        assert!(limit.0.check().is_ok());
        assert!(
            limit.0.check().is_err(),
            "a second request within the same instant must wait"
        );
        let small = RateLimit::per(NonZeroU32::MIN, Duration::from_secs(2));
        assert!(small.0.check().is_ok());
        assert!(small.0.check().is_err());
    }
}
