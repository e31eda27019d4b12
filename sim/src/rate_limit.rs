//! The per-minute request limit per application (error 190310), as fixed windows of the
//! simulator clock's minutes: simple and deterministic for tests.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

/// Counts requests per application and minute.
#[derive(Debug, Default)]
pub(crate) struct RateLimiter {
    /// Application → (minute number, requests counted in it).
    windows: Mutex<HashMap<String, (u64, u32)>>,
}

impl RateLimiter {
    /// Counts one request of `app` at `now_ms`; `false` when it is beyond `per_minute`.
    pub fn allow(&self, app: &str, per_minute: u32, now_ms: u64) -> bool {
        let minute = now_ms / 60_000;
        let mut windows = self.windows.lock().unwrap_or_else(PoisonError::into_inner);
        // Only one minute per application is kept, so the map holds one entry per application.
        let window = windows.entry(app.to_string()).or_insert((minute, 0));
        if window.0 != minute {
            *window = (minute, 0);
        }
        if window.1 >= per_minute {
            return false;
        }
        window.1 += 1;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_per_app_and_minute() {
        let limiter = RateLimiter::default();
        let t = 28_333_334 * 60_000 + 40_000; // 40 s into a minute
        assert!(limiter.allow("a", 2, t));
        assert!(limiter.allow("a", 2, t + 1));
        assert!(!limiter.allow("a", 2, t + 2));
        assert!(
            limiter.allow("b", 2, t + 2),
            "another app has its own count"
        );
        assert!(
            limiter.allow("a", 2, t + 20_000),
            "the next minute starts afresh"
        );
        assert!(!limiter.allow("z", 0, t), "a zero limit refuses everything");
    }
}
