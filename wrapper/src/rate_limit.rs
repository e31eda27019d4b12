//! Client-side rate limiting: the [`RateLimiter`] trait every request waits on, and [`Pacer`],
//! the in-process implementation (requests evenly spaced on a fixed schedule, shared by a client
//! and its clones). A limiter shared by several processes (the service's quota is per app, not
//! per process) implements the same trait: `tencent-meeting-postgres` has one. And the service's
//! quota window, which a request refused for the quota (190310) waits for the next of.

use std::fmt;
use std::future::Future;
use std::num::NonZeroU32;
use std::pin::Pin;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use tokio::time::Instant;

/// Decides when each request may leave. A [`Client`](crate::Client) with a limiter
/// ([`ClientBuilder::rate_limiter`](crate::ClientBuilder::rate_limiter)) waits on
/// [`acquire`](Self::acquire) before every attempt (look-ups and retries too), and sends only
/// once it returned `Ok`.
///
/// **Fail safe.** A limiter that cannot tell whether a request is within the quota (its shared
/// state is unreachable) keeps waiting or returns an error; it never lets a request through on
/// a guess. An error ends the call with an [`Error::Transport`](crate::Error::Transport) that
/// says nothing was sent; a caller that stops waiting (a deadline, a dropped future) gives up
/// its turn, which only makes later requests safer.
///
/// ```
/// use std::future::Future;
/// use std::pin::Pin;
/// use tencent_meeting::{RateLimiter, RateLimiterError};
///
/// /// Lets every request through: for a test against a server without a quota.
/// #[derive(Debug)]
/// struct Unlimited;
///
/// impl RateLimiter for Unlimited {
///     fn acquire(&self) -> Pin<Box<dyn Future<Output = Result<(), RateLimiterError>> + Send + '_>> {
///         Box::pin(async { Ok(()) })
///     }
/// }
/// ```
pub trait RateLimiter: Send + Sync + fmt::Debug + 'static {
    /// Waits until one more request may be sent, and counts it as sent.
    fn acquire(&self) -> Pin<Box<dyn Future<Output = Result<(), RateLimiterError>> + Send + '_>>;
}

/// A [`RateLimiter`] could not grant a request its turn (it could not reach the state it
/// shares with other senders, say): the request was not sent.
#[derive(Debug)]
pub struct RateLimiterError {
    message: String,
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl RateLimiterError {
    /// A failure described by `message`.
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            source: None,
        }
    }

    /// The same, with the error that caused it.
    #[must_use]
    pub fn with_source(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.source = Some(Box::new(source));
        self
    }

    /// What failed, in words.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for RateLimiterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for RateLimiterError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

/// `requests` per `window`, evenly spaced: one request every `window / requests`, with no
/// burst, in this process. [`ClientBuilder::rate_limit`](crate::ClientBuilder::rate_limit)
/// makes one; build one yourself to share it between clients of one app.
///
/// No burst, because the service counts its quota in fixed windows (300 a minute): a burst on
/// top of the steady rate can put more than a window's share into one window and draw 190310.
/// Evenly spaced, any `requests + 1` consecutive requests span at least `window`, so no window
/// of that length, wherever it starts, holds more than `requests` of them.
///
/// Each request reserves its slot when it asks: the slot after the last one reserved, or now if
/// that has passed. A check-and-retry limiter (governor's GCRA with a burst of one) counts from
/// when a waiter wakes instead, so every late wake-up (timer ticks are a millisecond) pushes all
/// later requests back; over a long batch that adds up to a measurable share of its time. Here
/// a late wake-up delays only its own request.
#[derive(Debug)]
pub struct Pacer {
    period: Duration,
    /// The first slot not yet reserved.
    next: Mutex<Option<Instant>>,
}

impl Pacer {
    /// `requests` per `window`, evenly spaced. A zero window is taken as one nanosecond.
    pub fn per(requests: NonZeroU32, window: Duration) -> Self {
        Self {
            period: window / requests.get(),
            next: Mutex::new(None),
        }
    }

    /// The time between two requests: `window / requests`.
    pub fn period(&self) -> Duration {
        self.period
    }

    /// The slot for a request that asks at `now`.
    fn reserve(&self, now: Instant) -> Instant {
        let mut next = self.next.lock().unwrap_or_else(PoisonError::into_inner);
        let slot = next.map_or(now, |next| next.max(now));
        *next = Some(slot + self.period);
        slot
    }
}

impl RateLimiter for Pacer {
    /// Reserves the next slot and waits for it. Never fails.
    fn acquire(&self) -> Pin<Box<dyn Future<Output = Result<(), RateLimiterError>> + Send + '_>> {
        let slot = self.reserve(Instant::now());
        Box::pin(async move {
            tokio::time::sleep_until(slot).await;
            Ok(())
        })
    }
}

/// The wait, at `now_unix_millis` on the client's clock, until the next quota window of length
/// `window` begins (the service's windows are aligned to its clock's minutes), plus up to a
/// tenth of a window (at most 1 s) of jitter, so that clients refused together do not all retry
/// at the same instant.
pub(crate) fn until_next_window(window: Duration, now_unix_millis: u64) -> Duration {
    let window = u64::try_from(window.as_millis()).unwrap_or(u64::MAX).max(1);
    let into_window = now_unix_millis % window;
    let jitter = (window / 10).min(1000);
    Duration::from_millis(window - into_window + rand::random_range(0..=jitter))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rate_limited_retry_waits_for_the_next_window() {
        // 45 s into a minute: 15 s to go, plus up to 1 s of jitter.
        let minute = Duration::from_secs(60);
        let d = until_next_window(minute, 1_700_000_040_000 + 45_000);
        assert!(
            d >= Duration::from_secs(15) && d <= Duration::from_secs(16),
            "{d:?}"
        );
        let d = until_next_window(Duration::from_secs(2), 1_000);
        assert!(
            d >= Duration::from_secs(1) && d <= Duration::from_millis(1200),
            "{d:?}"
        );
    }

    #[test]
    fn spaces_requests_evenly_from_when_they_ask() {
        // 120 a minute: one every 500 ms, and never two at once.
        let limit = Pacer::per(
            NonZeroU32::new(120).unwrap_or(NonZeroU32::MIN),
            Duration::from_secs(60),
        );
        let start = Instant::now();
        let ms = |slot: Instant| slot.duration_since(start).as_millis();
        assert_eq!(ms(limit.reserve(start)), 0);
        assert_eq!(
            ms(limit.reserve(start)),
            500,
            "a second request waits its turn"
        );
        assert_eq!(ms(limit.reserve(start)), 1000);
        // Asking late (a waiter woken late) does not move the slots reserved after it...
        assert_eq!(ms(limit.reserve(start + Duration::from_millis(1200))), 1500);
        // ...and after a pause the schedule starts again from now, with no burst saved up.
        let later = start + Duration::from_secs(10);
        assert_eq!(ms(limit.reserve(later)), 10_000);
        assert_eq!(ms(limit.reserve(later)), 10_500);
    }
}
