//! The replay cache: which (caller, timestamp, nonce) triples were seen in the last 5 minutes.
//!
//! Bounded and pruned by age: each entry expires a window after the later of when it was seen
//! and its own timestamp (a request timestamped in the future stays replayable until its
//! timestamp is itself out of the window). Sharded so concurrent requests rarely contend.

use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, PoisonError};

/// How many independently locked shards the cache has.
const SHARDS: usize = 16;

/// What identifies a request for replay detection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct ReplayKey {
    /// Which credential sent it (an index the authenticator assigns).
    pub caller: u32,
    /// `X-TC-Timestamp`, unix seconds.
    pub timestamp: u64,
    /// `X-TC-Nonce`.
    pub nonce: u64,
}

#[derive(Debug, Default)]
struct Shard {
    /// Each key and the unix millisecond at which it expires.
    expiry: HashMap<ReplayKey, u64>,
    /// Keys in insertion order with the expiry they were inserted with, for pruning.
    order: VecDeque<(u64, ReplayKey)>,
}

impl Shard {
    /// Drops entries that expired at or before `now_ms`. Entries are inserted in time order, so
    /// the front is roughly the oldest; one whose timestamp lay in the future may hold later
    /// ones back a little, which only keeps them longer than needed (bounded by the window).
    fn prune(&mut self, now_ms: u64) {
        while let Some(&(expires, key)) = self.order.front() {
            if expires > now_ms {
                break;
            }
            self.order.pop_front();
            self.forget(key, expires);
        }
    }

    /// Removes `key` unless it was inserted again later (with another expiry).
    fn forget(&mut self, key: ReplayKey, expires: u64) {
        if self.expiry.get(&key) == Some(&expires) {
            self.expiry.remove(&key);
        }
    }
}

/// Remembers recent requests; see the module documentation.
#[derive(Debug)]
pub(crate) struct ReplayCache {
    shards: Box<[Mutex<Shard>]>,
    window_ms: u64,
    capacity_per_shard: usize,
}

impl ReplayCache {
    /// A cache that remembers requests for `window_ms` and holds at most about `capacity`
    /// entries. When full, the oldest entries are evicted early: a replay of them would then be
    /// accepted, so the capacity should exceed what the window sees at full load.
    pub fn new(window_ms: u64, capacity: usize) -> Self {
        let shards = (0..SHARDS).map(|_| Mutex::new(Shard::default())).collect();
        Self {
            shards,
            window_ms,
            capacity_per_shard: capacity.div_ceil(SHARDS).max(1),
        }
    }

    /// Records `key` as seen at `now_ms`. Returns `false` when it was already seen and has not
    /// expired (a replay), `true` otherwise.
    pub fn check_and_insert(&self, key: ReplayKey, now_ms: u64) -> bool {
        // In bounds: `shard_of` is taken modulo the number of shards.
        let index = shard_of(&key);
        let mut shard = self.shards[index]
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        shard.prune(now_ms);
        if shard
            .expiry
            .get(&key)
            .is_some_and(|&expires| expires > now_ms)
        {
            return false;
        }
        while shard.expiry.len() >= self.capacity_per_shard {
            match shard.order.pop_front() {
                Some((expires, old)) => shard.forget(old, expires),
                None => break,
            }
        }
        let expires = now_ms
            .max(key.timestamp.saturating_mul(1000))
            .saturating_add(self.window_ms);
        shard.expiry.insert(key, expires);
        shard.order.push_back((expires, key));
        true
    }

    /// How many entries are held.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|s| {
                s.lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .expiry
                    .len()
            })
            .sum()
    }
}

fn shard_of(key: &ReplayKey) -> usize {
    // Nonces end in random digits, so their low bits spread the load.
    let mixed = key.nonce ^ key.timestamp.rotate_left(32) ^ u64::from(key.caller);
    (mixed % SHARDS as u64) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    const WINDOW: u64 = 300_000;

    fn key(timestamp: u64, nonce: u64) -> ReplayKey {
        ReplayKey {
            caller: 0,
            timestamp,
            nonce,
        }
    }

    #[test]
    fn a_second_sighting_within_the_window_is_a_replay() {
        let cache = ReplayCache::new(WINDOW, 1000);
        let now = 1_700_000_000_000;
        assert!(cache.check_and_insert(key(1_700_000_000, 7), now));
        assert!(!cache.check_and_insert(key(1_700_000_000, 7), now + 1));
        assert!(!cache.check_and_insert(key(1_700_000_000, 7), now + WINDOW - 1));
        // Another nonce, timestamp or caller is another request.
        assert!(cache.check_and_insert(key(1_700_000_000, 8), now));
        assert!(cache.check_and_insert(key(1_700_000_001, 7), now));
        assert!(cache.check_and_insert(
            ReplayKey {
                caller: 1,
                ..key(1_700_000_000, 7)
            },
            now
        ));
    }

    #[test]
    fn entries_are_pruned_once_the_window_has_passed() {
        let cache = ReplayCache::new(WINDOW, 100_000);
        let start = 1_700_000_000_000;
        for nonce in 0..1000 {
            assert!(cache.check_and_insert(key(start / 1000, nonce), start));
        }
        assert_eq!(cache.len(), 1000);
        // Past the window every shard prunes what it holds as soon as it is touched.
        let later = start + WINDOW;
        for nonce in 0..1000 {
            assert!(cache.check_and_insert(key(later / 1000, 10_000 + nonce), later));
        }
        assert_eq!(
            cache.len(),
            1000,
            "the old entries were pruned, the new ones kept"
        );
        // And an old key may be used again once expired (its timestamp would be refused anyway).
        assert!(cache.check_and_insert(key(start / 1000, 3), later));
    }

    #[test]
    fn a_future_timestamp_keeps_its_entry_until_the_timestamp_expires() {
        let cache = ReplayCache::new(WINDOW, 1000);
        let now = 1_700_000_000_000;
        let future_ts = (now + 200_000) / 1000;
        assert!(cache.check_and_insert(key(future_ts, 1), now));
        // Seen-time plus the window has passed, but the timestamp is still acceptable.
        assert!(!cache.check_and_insert(key(future_ts, 1), now + WINDOW + 1));
        assert!(cache.check_and_insert(key(future_ts, 1), now + 200_000 + WINDOW));
    }

    #[test]
    fn capacity_bounds_the_cache_by_evicting_the_oldest() {
        let cache = ReplayCache::new(WINDOW, SHARDS * 4);
        let now = 1_700_000_000_000;
        for nonce in 0..10_000 {
            cache.check_and_insert(key(now / 1000, nonce), now);
        }
        assert!(cache.len() <= SHARDS * 4, "{}", cache.len());
        // The newest entries are still remembered.
        assert!(!cache.check_and_insert(key(now / 1000, 9_999), now));
    }
}
