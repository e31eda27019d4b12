//! The service's request quotas per application: so many requests a window (300 a minute on the
//! service; 190310 beyond) and so many a day (200,000; 190311 beyond), counted in fixed windows
//! of the simulator clock: simple and deterministic for tests.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::api_error::{ApiError, codes};

/// The service's documented per-minute quota of a self-built application.
pub const DOCUMENTED_PER_MINUTE: u32 = 300;
/// The service's documented daily quota of a self-built application.
pub const DOCUMENTED_PER_DAY: u32 = 200_000;
/// The window the service counts [`DOCUMENTED_PER_MINUTE`] in: a minute.
pub const DOCUMENTED_WINDOW_SECS: u64 = 60;
/// The longest window [`RateLimits::validate`] accepts: a day (the daily quota counts the rest).
pub const MAX_WINDOW_SECS: u64 = 24 * 3600;

/// Days are counted from midnight in China Standard Time (UTC+8), where the service runs.
const DAY_OFFSET_MS: u64 = 8 * 3600 * 1000;
const DAY_MS: u64 = 24 * 3600 * 1000;

/// The request quotas per application (builder [`crate::SimulatorBuilder::rate_limits`], handle
/// [`crate::Simulator::set_rate_limits`], admin `POST /_sim/rate-limits`, CLI `--rate-limit`,
/// `--rate-limit-window`, `--daily-limit`).
///
/// The default is what the service documents: 300 requests a minute ([`codes::RATE_LIMITED`]
/// beyond) and 200,000 a day ([`codes::DAILY_LIMIT`] beyond). The service counts per minute;
/// a shorter window lets a test watch a client pace itself in seconds.
///
/// ```json
/// {"per_window": 300, "window_secs": 60, "per_day": 200000}
/// ```
///
/// Every field is optional in JSON (a missing one takes its default); `null` turns a limit off.
///
/// ```
/// use std::time::Duration;
/// use tencent_meeting_sim::RateLimits;
///
/// assert_eq!(RateLimits::default(), RateLimits::documented());
/// let fast = RateLimits::documented().per_window(5, Duration::from_secs(2));
/// assert_eq!((fast.per_window, fast.window_secs, fast.per_day), (Some(5), 2, Some(200_000)));
/// let none = RateLimits::unlimited();
/// assert_eq!((none.per_window, none.per_day), (None, None));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RateLimits {
    /// Requests per window and application; beyond them, 190310 until the next window. `None`:
    /// no limit.
    pub per_window: Option<u32>,
    /// The window's length in seconds, 1 to [`MAX_WINDOW_SECS`] (default 60, as the service).
    /// Windows are aligned to multiples of it on the simulator clock (with 60, the clock's
    /// minutes).
    pub window_secs: u64,
    /// Requests per day and application; beyond them, 190311 until the next day (midnight
    /// UTC+8 on the simulator clock). `None`: no limit.
    pub per_day: Option<u32>,
}

impl Default for RateLimits {
    /// [`RateLimits::documented`].
    fn default() -> Self {
        Self::documented()
    }
}

impl RateLimits {
    /// The service's quotas: 300 requests a minute and 200,000 a day per application.
    pub fn documented() -> Self {
        Self {
            per_window: Some(DOCUMENTED_PER_MINUTE),
            window_secs: DOCUMENTED_WINDOW_SECS,
            per_day: Some(DOCUMENTED_PER_DAY),
        }
    }

    /// No quota at all: for load tests and anything else that sends more than the service
    /// would take.
    pub fn unlimited() -> Self {
        Self {
            per_window: None,
            window_secs: DOCUMENTED_WINDOW_SECS,
            per_day: None,
        }
    }

    /// `requests` per `window` (whole seconds; a sub-second window counts as one second).
    pub fn per_window(mut self, requests: u32, window: Duration) -> Self {
        self.per_window = Some(requests);
        self.window_secs = window.as_secs().max(1);
        self
    }

    /// `requests` a minute, as the service counts.
    pub fn per_minute(self, requests: u32) -> Self {
        self.per_window(requests, Duration::from_secs(DOCUMENTED_WINDOW_SECS))
    }

    /// `requests` a day.
    pub fn per_day(mut self, requests: u32) -> Self {
        self.per_day = Some(requests);
        self
    }

    /// Checks that the window lasts from a second to a day ([`MAX_WINDOW_SECS`]) and that no
    /// limit is 0 (which would refuse every request: use `None` for no limit, or
    /// [`crate::FailureKind`] to refuse on purpose).
    pub fn validate(&self) -> Result<(), String> {
        if !(1..=MAX_WINDOW_SECS).contains(&self.window_secs) {
            return Err(format!(
                "window_secs must be from 1 to {MAX_WINDOW_SECS} (a day), got {}",
                self.window_secs
            ));
        }
        for (name, limit) in [("per_window", self.per_window), ("per_day", self.per_day)] {
            if limit == Some(0) {
                return Err(format!(
                    "{name} must be at least 1 (null for no limit), got 0"
                ));
            }
        }
        Ok(())
    }

    fn is_unlimited(&self) -> bool {
        self.per_window.is_none() && self.per_day.is_none()
    }

    /// A one-line description, e.g. for a CLI banner.
    pub fn describe(&self) -> String {
        let window = match self.per_window {
            Some(n) if self.window_secs == 60 => format!("{n} requests a minute (190310)"),
            Some(n) => format!("{n} requests per {} s (190310)", self.window_secs),
            None => "no per-window limit".to_string(),
        };
        let day = match self.per_day {
            Some(n) => format!("{n} a day (190311)"),
            None => "no daily limit".to_string(),
        };
        format!("{window} and {day} per application")
    }
}

/// Counts requests per application against the [`RateLimits`] in force.
#[derive(Debug)]
pub(crate) struct RateLimiter {
    /// A fast path: without limits (load tests), requests do not take the lock.
    unlimited: AtomicBool,
    inner: Mutex<Inner>,
}

#[derive(Debug)]
struct Inner {
    limits: RateLimits,
    /// Application → its counts. One entry per application: old windows are overwritten.
    counts: HashMap<String, Counts>,
}

#[derive(Debug, Clone, Copy, Default)]
struct Counts {
    window: u64,
    in_window: u32,
    day: u64,
    in_day: u32,
}

impl RateLimiter {
    pub fn new(limits: RateLimits) -> Self {
        Self {
            unlimited: AtomicBool::new(limits.is_unlimited()),
            inner: Mutex::new(Inner {
                limits,
                counts: HashMap::new(),
            }),
        }
    }

    /// The limits in force.
    pub fn limits(&self) -> RateLimits {
        self.lock().limits
    }

    /// Replaces the limits and forgets every count.
    pub fn set(&self, limits: RateLimits) {
        let mut inner = self.lock();
        inner.limits = limits;
        inner.counts.clear();
        self.unlimited
            .store(limits.is_unlimited(), Ordering::Release);
    }

    /// Counts one request of `app` at `now_ms`, or refuses it: 190311 when the day's quota is
    /// used up, else 190310 when the window's is. A refused request is not counted. `Ok` says
    /// when the window that counted it started (unix milliseconds), if a per-window limit is in
    /// force.
    pub fn check(&self, app: &str, now_ms: u64) -> Result<Option<u64>, ApiError> {
        if self.unlimited.load(Ordering::Acquire) {
            return Ok(None);
        }
        let mut inner = self.lock();
        let limits = inner.limits;
        if limits.is_unlimited() {
            return Ok(None);
        }
        // Saturating: limits that skipped `validate` must not panic the request (a window
        // beyond u64 milliseconds then counts as one window forever).
        let window_ms = limits.window_secs.max(1).saturating_mul(1000);
        let window = now_ms / window_ms;
        let day = (now_ms + DAY_OFFSET_MS) / DAY_MS;
        // Looked up before inserting, so the common case does not copy the key.
        if !inner.counts.contains_key(app) {
            inner.counts.insert(app.to_string(), Counts::default());
        }
        let Some(counts) = inner.counts.get_mut(app) else {
            return Ok(None);
        };
        if counts.day != day {
            *counts = Counts {
                day,
                ..Counts::default()
            };
        }
        if counts.window != window {
            counts.window = window;
            counts.in_window = 0;
        }
        if let Some(per_day) = limits.per_day
            && counts.in_day >= per_day
        {
            return Err(ApiError::new(
                codes::DAILY_LIMIT,
                format!(
                    "daily limit of {per_day} requests reached for this application, please retry tomorrow"
                ),
            ));
        }
        if let Some(per_window) = limits.per_window
            && counts.in_window >= per_window
        {
            let window = match limits.window_secs {
                60 => "a minute".to_string(),
                secs => format!("per {secs} s"),
            };
            return Err(ApiError::new(
                codes::RATE_LIMITED,
                format!(
                    "rate limit of {per_window} requests {window} reached for this application, please retry later"
                ),
            ));
        }
        counts.in_window += 1;
        counts.in_day += 1;
        Ok(limits.per_window.map(|_| window.saturating_mul(window_ms)))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(result: Result<Option<u64>, ApiError>) -> i64 {
        result.err().map_or(0, |e| e.code)
    }

    #[test]
    fn counts_per_app_and_window() {
        let limiter = RateLimiter::new(RateLimits::unlimited().per_minute(2));
        let t = 28_333_334 * 60_000 + 40_000; // 40 s into a minute
        assert!(limiter.check("a", t).is_ok());
        assert!(limiter.check("a", t + 1).is_ok());
        assert_eq!(code(limiter.check("a", t + 2)), codes::RATE_LIMITED);
        assert!(
            limiter.check("b", t + 2).is_ok(),
            "another app has its own count"
        );
        assert!(
            limiter.check("a", t + 20_000).is_ok(),
            "the next minute starts afresh"
        );
    }

    #[test]
    fn the_window_length_is_configurable() {
        let limiter =
            RateLimiter::new(RateLimits::unlimited().per_window(1, Duration::from_secs(2)));
        let t = 1_000_000_000_000; // a multiple of 2 s
        assert_eq!(
            limiter.check("a", t + 1),
            Ok(Some(t)),
            "the window it counted in"
        );
        assert_eq!(code(limiter.check("a", t + 1_999)), codes::RATE_LIMITED);
        assert_eq!(limiter.check("a", t + 3_999), Ok(Some(t + 2_000)));
        // Only a daily limit: no window counted it.
        let daily = RateLimiter::new(RateLimits::unlimited().per_day(5));
        assert_eq!(daily.check("a", t), Ok(None));
    }

    #[test]
    fn the_day_counts_every_window_and_resets_at_midnight_utc8() {
        let limiter = RateLimiter::new(RateLimits::documented().per_day(3));
        // 15:59:00 UTC is 23:59:00 in UTC+8: a minute before the day turns.
        let day_start_utc8 = 19_000 * DAY_MS - DAY_OFFSET_MS;
        let t = day_start_utc8 + DAY_MS - 60_000;
        for i in 0..3 {
            assert!(limiter.check("a", t + i * 10_000).is_ok());
        }
        // A new minute, but the same day: 190311, and it is checked before the minute.
        assert_eq!(code(limiter.check("a", t + 30_000)), codes::DAILY_LIMIT);
        assert!(limiter.check("a", t + 60_000).is_ok(), "a new day");
    }

    #[test]
    fn refused_requests_are_not_counted_and_set_forgets_counts() {
        let limiter = RateLimiter::new(RateLimits::unlimited().per_minute(1).per_day(2));
        let t = 60_000 * 1_000_000;
        assert!(limiter.check("a", t).is_ok());
        for _ in 0..5 {
            assert_eq!(code(limiter.check("a", t)), codes::RATE_LIMITED);
        }
        assert!(
            limiter.check("a", t + 60_000).is_ok(),
            "refusals left the day's count at 1"
        );
        limiter.set(RateLimits::unlimited().per_minute(1));
        assert!(
            limiter.check("a", t + 60_000).is_ok(),
            "counts were forgotten"
        );
        limiter.set(RateLimits::unlimited());
        for _ in 0..1000 {
            assert!(limiter.check("a", t + 60_000).is_ok());
        }
        limiter.set(RateLimits::unlimited().per_minute(1));
        assert!(limiter.check("a", t + 60_000).is_ok());
        assert_eq!(code(limiter.check("a", t + 60_000)), codes::RATE_LIMITED);
    }

    #[test]
    fn validation_names_the_field() {
        assert!(RateLimits::documented().validate().is_ok());
        assert!(RateLimits::unlimited().validate().is_ok());
        let zero_window = RateLimits {
            window_secs: 0,
            ..RateLimits::documented()
        };
        assert!(
            zero_window
                .validate()
                .is_err_and(|e| e.contains("window_secs"))
        );
        let zero = RateLimits::documented().per_day(0);
        assert!(zero.validate().is_err_and(|e| e.contains("per_day")));
        // Beyond a day (and so far beyond that its milliseconds overflow): refused, not a panic.
        for window_secs in [MAX_WINDOW_SECS + 1, 18_446_744_073_709_552, u64::MAX] {
            let long = RateLimits {
                window_secs,
                ..RateLimits::documented()
            };
            assert!(
                long.validate().is_err_and(|e| e.contains("window_secs")),
                "{window_secs}"
            );
            // Even unvalidated, counting does not overflow.
            let limiter = RateLimiter::new(long);
            assert!(limiter.check("a", 1_700_000_000_000).is_ok());
        }
        let a_day = RateLimits {
            window_secs: MAX_WINDOW_SECS,
            ..RateLimits::documented()
        };
        assert!(a_day.validate().is_ok());
    }

    #[test]
    fn json_fields_default_and_null_turns_a_limit_off() {
        let limits: RateLimits =
            serde_json::from_str(r#"{"per_window": 5, "window_secs": 2}"#).unwrap_or_default();
        assert_eq!(
            limits,
            RateLimits::documented().per_window(5, Duration::from_secs(2))
        );
        let off: RateLimits = serde_json::from_str(r#"{"per_day": null}"#).unwrap_or_default();
        assert_eq!(off.per_day, None);
        assert_eq!(off.per_window, Some(DOCUMENTED_PER_MINUTE));
        assert!(serde_json::from_str::<RateLimits>(r#"{"per_minute": 1}"#).is_err());
    }
}
