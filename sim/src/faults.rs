//! Fault injection: latency, dropped connections, 5xx answers, HTML 502 pages, truncated bodies
//! and rate limiting, as shares drawn from a seedable RNG or as "fail the next N requests".
//!
//! Faults apply to API requests only (never to `/_sim/`). Every failure but `truncated` answers
//! instead of handling the request, so nothing changes; `truncated` handles the request (a
//! dismiss is committed) and then cuts the answer short.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng as _, SeedableRng as _};
use serde::{Deserialize, Serialize};

/// A way to fail one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum FailureKind {
    /// Close the connection without any answer.
    #[serde(rename = "drop")]
    Drop,
    /// HTTP 500 with error code 41 (network error inside the service).
    #[serde(rename = "code_41")]
    Code41,
    /// HTTP 500 with error code 960000 (network error inside the service).
    #[serde(rename = "code_960000")]
    Code960000,
    /// HTTP 502 with an HTML page, as a proxy in front of the service answers.
    #[serde(rename = "html_502")]
    Html502,
    /// HTTP 400 with error code 190310 (per-minute rate limit).
    #[serde(rename = "rate_limit")]
    RateLimit,
    /// Handle the request, then send an answer whose `Content-Length` promises more bytes than
    /// are sent, and close the connection.
    #[serde(rename = "truncated")]
    Truncated,
}

impl FailureKind {
    /// The JSON name, e.g. `code_960000`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Drop => "drop",
            Self::Code41 => "code_41",
            Self::Code960000 => "code_960000",
            Self::Html502 => "html_502",
            Self::RateLimit => "rate_limit",
            Self::Truncated => "truncated",
        }
    }
}

/// "Fail the next `count` API requests with `with`".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FailNext {
    /// How many requests.
    pub count: u32,
    /// How they fail.
    pub with: FailureKind,
}

/// The fault knobs (builder [`crate::SimulatorBuilder::faults`], handle
/// [`crate::Simulator::set_faults`], admin `POST /_sim/faults`). Every field is optional in JSON;
/// setting faults replaces all knobs at once.
///
/// ```json
/// {"latency_ms": 0, "latency_after_dismiss_ms": 0,
///  "drop_share": 0.0, "error_5xx_share": 0.0, "html_502_share": 0.0, "truncated_share": 0.0,
///  "rate_limit_per_minute": null, "seed": 42,
///  "fail_next": [{"count": 2, "with": "code_960000"}]}
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Faults {
    /// Delay before handling each API request, in milliseconds.
    pub latency_ms: u64,
    /// Delay after a successful dismiss and before answering, in milliseconds: the dismiss is
    /// committed, then the answer is late (a client timeout fires after the meeting ended).
    /// Refused dismisses are answered at once.
    pub latency_after_dismiss_ms: u64,
    /// Share of API requests whose connection is dropped without an answer (0 to 1).
    pub drop_share: f64,
    /// Share answered HTTP 500 with code 41 or 960000 (half each, drawn from the RNG).
    pub error_5xx_share: f64,
    /// Share answered with an HTML 502 page.
    pub html_502_share: f64,
    /// Share handled and then answered with a truncated body.
    pub truncated_share: f64,
    /// Per-minute request limit per application (AppId, or OAuth2.0 token), counted over
    /// authenticated requests; beyond it requests get 190310. `None` for no limit.
    pub rate_limit_per_minute: Option<u32>,
    /// Reseeds the RNG the shares are drawn from, so a run can be repeated exactly. `None`
    /// keeps the RNG as it is.
    pub seed: Option<u64>,
    /// Deterministic failures, used up in order before any share is drawn.
    pub fail_next: Vec<FailNext>,
}

impl Faults {
    /// No faults.
    pub fn none() -> Self {
        Self::default()
    }

    /// Fails the next `count` requests with `with` (after any already queued).
    pub fn fail_next(mut self, count: u32, with: FailureKind) -> Self {
        self.fail_next.push(FailNext { count, with });
        self
    }

    /// Delays every API request by `latency` before handling it.
    pub fn latency(mut self, latency: Duration) -> Self {
        self.latency_ms = duration_ms(latency);
        self
    }

    /// Delays the answer to every successful dismiss by `latency` after it was committed.
    pub fn latency_after_dismiss(mut self, latency: Duration) -> Self {
        self.latency_after_dismiss_ms = duration_ms(latency);
        self
    }

    /// Limits each application to `per_minute` requests a minute (190310 beyond).
    pub fn rate_limit_per_minute(mut self, per_minute: u32) -> Self {
        self.rate_limit_per_minute = Some(per_minute);
        self
    }

    /// Sets the seed of the RNG the shares are drawn from.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = Some(seed);
        self
    }

    /// Checks that every share lies in [0, 1] and that they add up to at most 1.
    pub fn validate(&self) -> Result<(), String> {
        let shares = [
            ("drop_share", self.drop_share),
            ("error_5xx_share", self.error_5xx_share),
            ("html_502_share", self.html_502_share),
            ("truncated_share", self.truncated_share),
        ];
        for (name, share) in shares {
            if !(0.0..=1.0).contains(&share) {
                return Err(format!("{name} must lie in [0, 1], got {share}"));
            }
        }
        let total: f64 = shares.iter().map(|(_, s)| s).sum();
        if total > 1.0 + 1e-9 {
            return Err(format!("the shares add up to {total}, more than 1"));
        }
        Ok(())
    }

    fn is_active(&self) -> bool {
        self.latency_ms > 0
            || self.latency_after_dismiss_ms > 0
            || self.drop_share > 0.0
            || self.error_5xx_share > 0.0
            || self.html_502_share > 0.0
            || self.truncated_share > 0.0
            || self.rate_limit_per_minute.is_some()
            || self.fail_next.iter().any(|f| f.count > 0)
    }
}

fn duration_ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// What the faults decided for one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Plan {
    pub latency: Duration,
    pub latency_after_dismiss: Duration,
    pub failure: Option<FailureKind>,
    pub rate_limit_per_minute: Option<u32>,
}

/// The knobs in force and the RNG shares are drawn from.
#[derive(Debug)]
pub(crate) struct FaultState {
    /// A fast path: when no knob is set, requests do not take the lock.
    active: AtomicBool,
    inner: Mutex<Inner>,
}

#[derive(Debug)]
struct Inner {
    faults: Faults,
    rng: StdRng,
}

impl FaultState {
    pub fn new(faults: Faults, seed: u64) -> Self {
        let state = Self {
            active: AtomicBool::new(false),
            inner: Mutex::new(Inner {
                faults: Faults::none(),
                rng: StdRng::seed_from_u64(seed),
            }),
        };
        state.set(faults);
        state
    }

    /// Replaces the knobs (reseeding the RNG when `faults.seed` is set).
    pub fn set(&self, faults: Faults) {
        let mut inner = self.lock();
        if let Some(seed) = faults.seed {
            inner.rng = StdRng::seed_from_u64(seed);
        }
        self.active.store(faults.is_active(), Ordering::Release);
        inner.faults = faults;
    }

    /// The knobs in force, with what is left of `fail_next`.
    pub fn current(&self) -> Faults {
        self.lock().faults.clone()
    }

    /// Decides the fate of one API request.
    pub fn plan(&self) -> Plan {
        if !self.active.load(Ordering::Acquire) {
            return Plan::default();
        }
        let mut inner = self.lock();
        let Inner { faults, rng } = &mut *inner;
        let mut plan = Plan {
            latency: Duration::from_millis(faults.latency_ms),
            latency_after_dismiss: Duration::from_millis(faults.latency_after_dismiss_ms),
            failure: None,
            rate_limit_per_minute: faults.rate_limit_per_minute,
        };
        if let Some(next) = faults.fail_next.iter_mut().find(|f| f.count > 0) {
            next.count -= 1;
            plan.failure = Some(next.with);
            faults.fail_next.retain(|f| f.count > 0);
        } else {
            let shares = faults.drop_share
                + faults.error_5xx_share
                + faults.html_502_share
                + faults.truncated_share;
            if shares > 0.0 {
                let draw: f64 = rng.random();
                // Code41 stands for "a 5xx" here; which code is drawn below.
                let buckets = [
                    (faults.drop_share, FailureKind::Drop),
                    (faults.error_5xx_share, FailureKind::Code41),
                    (faults.html_502_share, FailureKind::Html502),
                    (faults.truncated_share, FailureKind::Truncated),
                ];
                let mut bound = 0.0;
                for (share, kind) in buckets {
                    bound += share;
                    if draw < bound {
                        plan.failure = Some(kind);
                        break;
                    }
                }
                if plan.failure == Some(FailureKind::Code41) && rng.random_bool(0.5) {
                    plan.failure = Some(FailureKind::Code960000);
                }
            }
        }
        self.active.store(faults.is_active(), Ordering::Release);
        plan
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_faults_plan_nothing() {
        let state = FaultState::new(Faults::none(), 1);
        for _ in 0..100 {
            assert_eq!(state.plan(), Plan::default());
        }
    }

    #[test]
    fn fail_next_is_used_up_in_order() {
        let state = FaultState::new(
            Faults::none()
                .fail_next(2, FailureKind::Drop)
                .fail_next(1, FailureKind::Html502),
            1,
        );
        let seen: Vec<_> = (0..5).map(|_| state.plan().failure).collect();
        assert_eq!(
            seen,
            [
                Some(FailureKind::Drop),
                Some(FailureKind::Drop),
                Some(FailureKind::Html502),
                None,
                None
            ]
        );
        assert!(state.current().fail_next.is_empty());
    }

    #[test]
    fn shares_are_deterministic_for_a_seed_and_roughly_right() {
        let faults = Faults {
            drop_share: 0.1,
            error_5xx_share: 0.2,
            html_502_share: 0.1,
            seed: Some(7),
            ..Faults::none()
        };
        let run = || {
            let state = FaultState::new(faults.clone(), 0);
            (0..10_000)
                .map(|_| state.plan().failure)
                .collect::<Vec<_>>()
        };
        let a = run();
        assert_eq!(a, run(), "same seed, same sequence");
        let count = |k: FailureKind| a.iter().filter(|f| **f == Some(k)).count();
        let five = count(FailureKind::Code41) + count(FailureKind::Code960000);
        assert!(
            (800..1200).contains(&count(FailureKind::Drop)),
            "{}",
            count(FailureKind::Drop)
        );
        assert!((1700..2300).contains(&five), "{five}");
        assert!(count(FailureKind::Code41) > 0 && count(FailureKind::Code960000) > 0);
        assert!((800..1200).contains(&count(FailureKind::Html502)));
        assert_eq!(count(FailureKind::Truncated), 0);
    }

    #[test]
    fn shares_are_validated() {
        assert!(
            Faults {
                drop_share: -0.1,
                ..Faults::none()
            }
            .validate()
            .is_err()
        );
        assert!(
            Faults {
                html_502_share: 1.5,
                ..Faults::none()
            }
            .validate()
            .is_err()
        );
        assert!(
            Faults {
                drop_share: 0.6,
                error_5xx_share: 0.6,
                ..Faults::none()
            }
            .validate()
            .is_err()
        );
        assert!(
            Faults {
                drop_share: 0.5,
                error_5xx_share: 0.5,
                ..Faults::none()
            }
            .validate()
            .is_ok()
        );
    }

    #[test]
    fn json_names_are_stable() {
        let faults: Faults = serde_json::from_str(
            r#"{"fail_next":[{"count":1,"with":"code_960000"},{"count":2,"with":"rate_limit"}],"latency_ms":5}"#,
        )
        .unwrap_or_default();
        assert_eq!(faults.latency_ms, 5);
        assert_eq!(faults.fail_next.len(), 2);
        assert_eq!(faults.fail_next[0].with, FailureKind::Code960000);
        assert!(serde_json::from_str::<Faults>(r#"{"latency":5}"#).is_err());
    }
}
