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
