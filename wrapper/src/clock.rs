//! Time and nonces: injectable so tests can pin them, and unique so no two requests collide.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// A source of the current time. The default is the system clock; tests inject a fixed one.
pub trait Clock: Send + Sync + fmt::Debug {
    /// Milliseconds since the unix epoch.
    fn now_unix_millis(&self) -> u64;
}

/// The system clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_unix_millis(&self) -> u64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0)
    }
}

/// A clock that always reads the same instant (for tests and reproducible dry runs).
#[derive(Debug, Clone, Copy)]
pub struct FixedClock(pub u64);

impl Clock for FixedClock {
    fn now_unix_millis(&self) -> u64 {
        self.0
    }
}

/// Makes nonces of the official SDKs' form, `unix_millis * 1_000_000 + random(0..1_000_000)`,
/// and guarantees that one source never hands out the same nonce twice, from any thread: a
/// candidate not above the last nonce issued is bumped past it.
///
/// The client uses one per [`crate::Client`]; it is public for signing requests yourself with
/// [`crate::signing::sign`] (another HTTP stack, a load test's baseline).
#[derive(Debug, Default)]
pub struct NonceSource {
    last: AtomicU64,
}

impl NonceSource {
    /// A new source.
    pub fn new() -> Self {
        Self::default()
    }

    /// The next nonce for a request made at `unix_millis`.
    pub fn next(&self, unix_millis: u64) -> u64 {
        let candidate = unix_millis
            .saturating_mul(1_000_000)
            .saturating_add(rand::random_range(0..1_000_000))
            .max(1);
        let mut issued = candidate;
        // `fetch_update` only fails when the closure returns None, which it never does.
        let _ = self
            .last
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |last| {
                issued = if candidate > last {
                    candidate
                } else {
                    last.wrapping_add(1).max(1)
                };
                Some(issued)
            });
        issued
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;
    use std::sync::Arc;

    #[test]
    fn nonces_have_the_sdk_form() {
        let n = NonceSource::new().next(1_700_000_000_123);
        assert_eq!(n / 1_000_000, 1_700_000_000_123);
    }

    #[test]
    fn nonces_are_unique_across_threads_even_with_a_frozen_clock() {
        let source = Arc::new(NonceSource::new());
        let handles: Vec<_> = (0..8)
            .map(|_| {
                let source = Arc::clone(&source);
                std::thread::spawn(move || (0..5000).map(|_| source.next(1)).collect::<Vec<_>>())
            })
            .collect();
        let mut seen = HashSet::new();
        for h in handles {
            for n in h.join().unwrap_or_default() {
                assert!(seen.insert(n), "nonce {n} issued twice");
            }
        }
        assert_eq!(seen.len(), 40_000);
    }
}
