//! The optional client-side rate limit: a token bucket shared by a client and its clones.

use std::num::NonZeroU32;
use std::sync::Arc;

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};

/// A token bucket refilled at `per_minute` a minute, holding one second's share (at least 1).
#[derive(Clone, Debug)]
pub(crate) struct RateLimit(Arc<DefaultDirectRateLimiter>);

impl RateLimit {
    pub fn per_minute(per_minute: NonZeroU32) -> Self {
        let burst = NonZeroU32::new(per_minute.get().div_ceil(60)).unwrap_or(NonZeroU32::MIN);
        Self(Arc::new(RateLimiter::direct(
            Quota::per_minute(per_minute).allow_burst(burst),
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
    fn holds_one_seconds_share_then_makes_callers_wait() {
        // 120 a minute: a bucket of 2, refilled every 500 ms.
        let limit = RateLimit::per_minute(NonZeroU32::new(120).unwrap_or(NonZeroU32::MIN));
        assert!(limit.0.check().is_ok());
        assert!(limit.0.check().is_ok());
        assert!(
            limit.0.check().is_err(),
            "a third request within the same instant must wait"
        );
        let small = RateLimit::per_minute(NonZeroU32::MIN);
        assert!(small.0.check().is_ok());
        assert!(small.0.check().is_err());
    }
}
