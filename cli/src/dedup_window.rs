//! [`DedupWindow`]: the file event store's duplicate index, bounded by time: the key digests of
//! the events stored in the last `window` (72 h by default), by the hour they were stored.
//!
//! The platform redelivers an unacknowledged event for hours, not months, so an index of every
//! event ever stored only costs memory (16 bytes and a hash slot per event, forever). An event
//! older than the window that comes again is stored (and printed) again: the safe side, since a
//! store must never drop what it did not keep.

use std::collections::{HashSet, VecDeque};
use std::time::Duration;

const HOUR_MS: u64 = 3_600_000;

/// Key digests of the events stored within the window, in hourly buckets, oldest first.
pub struct DedupWindow {
    window_ms: u64,
    buckets: VecDeque<(u64, HashSet<[u8; 16]>)>,
}

impl DedupWindow {
    /// An empty index remembering events for `window`.
    pub fn new(window: Duration) -> Self {
        Self {
            window_ms: u64::try_from(window.as_millis()).unwrap_or(u64::MAX),
            buckets: VecDeque::new(),
        }
    }

    /// Whether an event stored at `stored_ms` is still inside the window at `now_ms`.
    pub fn keeps(&self, stored_ms: u64, now_ms: u64) -> bool {
        stored_ms.saturating_add(self.window_ms) >= now_ms
    }

    /// Whether `digest` was stored within the window.
    pub fn contains(&self, digest: &[u8; 16]) -> bool {
        self.buckets.iter().any(|(_, keys)| keys.contains(digest))
    }

    /// Records `digest` as stored at `stored_ms`. A time earlier than the newest bucket (the
    /// clock went back) goes into the newest bucket: kept longer, never shorter.
    pub fn insert(&mut self, stored_ms: u64, digest: [u8; 16]) {
        let hour = stored_ms / HOUR_MS;
        match self.buckets.back_mut() {
            Some((newest, keys)) if *newest >= hour => {
                keys.insert(digest);
            }
            _ => self.buckets.push_back((hour, HashSet::from([digest]))),
        }
    }

    /// Forgets the buckets whose every event is older than the window at `now_ms`.
    pub fn expire(&mut self, now_ms: u64) {
        while let Some((hour, _)) = self.buckets.front() {
            let newest_possible = hour.saturating_mul(HOUR_MS).saturating_add(HOUR_MS - 1);
            if self.keeps(newest_possible, now_ms) {
                break;
            }
            self.buckets.pop_front();
        }
    }

    /// How many digests it holds.
    pub fn len(&self) -> usize {
        self.buckets.iter().map(|(_, keys)| keys.len()).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_event_is_remembered_for_the_window_and_then_forgotten() {
        let hours = |h: u64| h * HOUR_MS;
        let mut index = DedupWindow::new(Duration::from_secs(72 * 3600));
        let t0 = hours(1_000) + 123;
        index.insert(t0, [1; 16]);
        index.insert(t0 + hours(1), [2; 16]);
        // A clock that went back: kept with the newest.
        index.insert(t0 - hours(5), [3; 16]);
        index.expire(t0 + hours(72));
        assert!(index.contains(&[1; 16]) && index.contains(&[2; 16]) && index.contains(&[3; 16]));
        // The first hour's bucket is wholly older than the window an hour later.
        index.expire(t0 + hours(73));
        assert!(!index.contains(&[1; 16]));
        assert!(index.contains(&[2; 16]) && index.contains(&[3; 16]));
        assert_eq!(index.len(), 2);
        index.expire(t0 + hours(75));
        assert_eq!(index.len(), 0);
        assert!(index.keeps(t0, t0 + hours(72)));
        assert!(!index.keeps(t0, t0 + hours(72) + 1));
    }
}
