//! Counters of what the simulator saw and answered (admin `GET /_sim/stats`).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};

use serde::{Deserialize, Serialize};

use crate::faults::FailureKind;

/// A snapshot of the counters. Admin requests are not counted.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stats {
    /// API requests received (dismiss, look-up and unknown routes), faulted ones included.
    pub requests: u64,
    /// `POST /v1/meetings/{id}/dismiss` requests received.
    pub dismiss_requests: u64,
    /// `GET /v1/meetings/{id}` requests received.
    pub lookup_requests: u64,
    /// Meetings ended by a dismiss.
    pub dismissals: u64,
    /// Error answers by `error_code` (injected 5xx and rate-limit faults included).
    pub errors_by_code: BTreeMap<i64, u64>,
    /// Injected faults by kind (`drop`, `code_41`, `code_960000`, `html_502`, `rate_limit`,
    /// `truncated`, `api`, `status`: [`crate::FailureKind::name`]).
    pub faults: BTreeMap<String, u64>,
    /// While a per-window limit is in force: the requests it admitted in each window, by the
    /// window's start (unix milliseconds), all applications together; the latest 1,440 windows
    /// (a day of minutes). What a test of a client's pacing reads instead of a clock.
    #[serde(default)]
    pub admitted_by_window: BTreeMap<u64, u64>,
}

/// How many windows [`Stats::admitted_by_window`] keeps: a day of 1-minute windows, so a
/// long-running simulator's stats stay small.
pub(crate) const MAX_WINDOWS_KEPT: usize = 1440;

/// The live counters behind [`Stats`]. The hot path only touches atomics; the maps are locked
/// on errors and faults alone.
#[derive(Debug, Default)]
pub(crate) struct StatsCollector {
    requests: AtomicU64,
    dismiss_requests: AtomicU64,
    lookup_requests: AtomicU64,
    dismissals: AtomicU64,
    errors: Mutex<BTreeMap<i64, u64>>,
    faults: Mutex<BTreeMap<String, u64>>,
    windows: Mutex<BTreeMap<u64, u64>>,
}

/// Which endpoint a request is for, as counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Endpoint {
    Dismiss,
    Lookup,
    Other,
}

impl StatsCollector {
    pub fn request(&self, endpoint: Endpoint) {
        self.requests.fetch_add(1, Ordering::Relaxed);
        match endpoint {
            Endpoint::Dismiss => self.dismiss_requests.fetch_add(1, Ordering::Relaxed),
            Endpoint::Lookup => self.lookup_requests.fetch_add(1, Ordering::Relaxed),
            Endpoint::Other => 0,
        };
    }

    pub fn dismissal(&self) {
        self.dismissals.fetch_add(1, Ordering::Relaxed);
    }

    pub fn error(&self, code: i64) {
        *self
            .errors
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(code)
            .or_default() += 1;
    }

    pub fn fault(&self, kind: &FailureKind) {
        *self
            .faults
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(kind.name().to_string())
            .or_default() += 1;
    }

    /// One request admitted by the per-window limit in the window starting at `window_start_ms`.
    pub fn admitted(&self, window_start_ms: u64) {
        let mut windows = self.windows.lock().unwrap_or_else(PoisonError::into_inner);
        *windows.entry(window_start_ms).or_default() += 1;
        while windows.len() > MAX_WINDOWS_KEPT {
            windows.pop_first();
        }
    }

    pub fn snapshot(&self) -> Stats {
        Stats {
            requests: self.requests.load(Ordering::Relaxed),
            dismiss_requests: self.dismiss_requests.load(Ordering::Relaxed),
            lookup_requests: self.lookup_requests.load(Ordering::Relaxed),
            dismissals: self.dismissals.load(Ordering::Relaxed),
            errors_by_code: self
                .errors
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .clone(),
            faults: self
                .faults
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .clone(),
            admitted_by_window: self
                .windows
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admitted_requests_are_counted_by_window_and_only_the_latest_windows_kept() {
        let stats = StatsCollector::default();
        stats.admitted(2_000);
        stats.admitted(2_000);
        stats.admitted(4_000);
        assert_eq!(
            stats.snapshot().admitted_by_window,
            BTreeMap::from([(2_000, 2), (4_000, 1)])
        );
        for window in 0..MAX_WINDOWS_KEPT as u64 {
            stats.admitted(10_000 + window);
        }
        let kept = stats.snapshot().admitted_by_window;
        assert_eq!(kept.len(), MAX_WINDOWS_KEPT);
        assert_eq!(kept.first_key_value(), Some((&10_000, &1)));
    }
}
