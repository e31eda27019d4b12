//! The optional client-side rate limit, shared by a client and its clones: requests evenly
//! spaced on a fixed schedule.

use std::num::NonZeroU32;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::time::Instant;

/// `requests` per `window`, evenly spaced: one request every `window / requests`, with no burst.
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
#[derive(Clone, Debug)]
pub(crate) struct RateLimit(Arc<Schedule>);

#[derive(Debug)]
struct Schedule {
    period: Duration,
    /// The first slot not yet reserved.
    next: Mutex<Option<Instant>>,
}

impl RateLimit {
    pub fn per(requests: NonZeroU32, window: Duration) -> Self {
        Self(Arc::new(Schedule {
            period: window / requests.get(),
            next: Mutex::new(None),
        }))
    }

    /// Reserves the next slot and waits for it. A caller that stops waiting gives its slot up
    /// unused, which only makes later requests safer.
    pub async fn acquire(&self) {
        let slot = self.reserve(Instant::now());
        tokio::time::sleep_until(slot).await;
    }

    /// The slot for a request that asks at `now`.
    fn reserve(&self, now: Instant) -> Instant {
        let mut next = self.0.next.lock().unwrap_or_else(PoisonError::into_inner);
        let slot = next.map_or(now, |next| next.max(now));
        *next = Some(slot + self.0.period);
        slot
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spaces_requests_evenly_from_when_they_ask() {
        // 120 a minute: one every 500 ms, and never two at once.
        let limit = RateLimit::per(
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
