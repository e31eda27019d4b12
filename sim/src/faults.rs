//! Fault injection: latency, dropped connections, any error answer (the service's JSON error
//! with any code and status, 5xx codes 41 and 960000, a bare HTTP status), HTML 502 pages and
//! truncated bodies, as shares drawn from a seedable RNG or as "fail the next N requests"
//! (optionally only dismisses or look-ups, or only one meeting ID).
//!
//! Faults apply to API requests only (never to `/_sim/`). Every failure but `truncated`,
//! `html_504_after_commit` and `proxy_200_after_commit` answers instead of handling the request,
//! so nothing changes; those three handle the request (a dismiss is committed) and then lose the
//! service's answer: cut short, or replaced by a gateway's HTML 504 or a proxy's HTML 200 page,
//! as a gateway in front of the service answers when it gave up waiting after forwarding.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng as _, SeedableRng as _};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A way to fail one request.
///
/// In JSON a unit kind is its name (`"drop"`, `"code_960000"`, …); the others are objects:
/// `{"api": {"code": 190311}}` ([`ApiFailure`]) and `{"status": 503}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
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
    /// The service's error answer with any code, HTTP status, `new_error_code` and message:
    /// rehearse 190311, 13001, 9042, … without a mock server.
    #[serde(rename = "api")]
    Api(ApiFailure),
    /// Only an HTTP status (300 to 599), with an empty body: neither the service's JSON nor a
    /// proxy's HTML.
    #[serde(rename = "status")]
    Status(u16),
    /// Handle the request (a dismiss is committed), then answer a gateway's HTML `504 Gateway
    /// Time-out` in the service's place.
    #[serde(rename = "html_504_after_commit")]
    Html504AfterCommit,
    /// Handle the request (a dismiss is committed), then answer HTTP 200 with a proxy's HTML
    /// page in the service's place.
    #[serde(rename = "proxy_200_after_commit")]
    Proxy200AfterCommit,
}

impl FailureKind {
    /// The service's error answer with `code`, its usual HTTP status and message, and `code`
    /// as `new_error_code` too. Shorthand for `ApiFailure::new(code).into()`.
    pub fn api(code: i64) -> Self {
        Self::Api(ApiFailure::new(code))
    }

    /// The name faults are counted under in [`crate::Stats::faults`], e.g. `code_960000`,
    /// `api`, `status`.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Drop => "drop",
            Self::Code41 => "code_41",
            Self::Code960000 => "code_960000",
            Self::Html502 => "html_502",
            Self::RateLimit => "rate_limit",
            Self::Truncated => "truncated",
            Self::Api(_) => "api",
            Self::Status(_) => "status",
            Self::Html504AfterCommit => "html_504_after_commit",
            Self::Proxy200AfterCommit => "proxy_200_after_commit",
        }
    }

    /// Whether this failure handles the request first (a dismiss is committed) and only then
    /// loses or replaces the service's answer.
    pub fn handles_first(&self) -> bool {
        matches!(
            self,
            Self::Truncated | Self::Html504AfterCommit | Self::Proxy200AfterCommit
        )
    }

    fn validate(&self) -> Result<(), String> {
        match self {
            Self::Api(api) => api.validate(),
            Self::Status(status) if !(300..=599).contains(status) => Err(format!(
                "status must lie in 300..=599 (an empty 2xx would read as success), got {status}"
            )),
            _ => Ok(()),
        }
    }
}

impl From<ApiFailure> for FailureKind {
    fn from(api: ApiFailure) -> Self {
        Self::Api(api)
    }
}

/// An injected error answer in the service's shape:
/// `{"error_info": {"error_code", "new_error_code", "message"}}`.
///
/// Only `code` is required. By default the HTTP status is the one the service answers the code
/// with (500 for 41, 960000, 13001 and 190308; 400 for the rest), `new_error_code` repeats the
/// code, and the message says what the code means.
///
/// ```
/// use tencent_meeting_sim::{ApiFailure, FailureKind, Faults};
///
/// // JSON: {"api": {"code": 13001, "new_code": null, "message": "cache write failed"}}
/// let cache = ApiFailure::new(13001).without_new_code().message("cache write failed");
/// let faults = Faults::none()
///     .fail_next(2, cache)
///     .fail_next(1, FailureKind::api(190311))
///     .fail_next(1, ApiFailure::new(9042).status(403).new_code(10009042));
/// assert_eq!(faults.fail_next.len(), 3);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiFailure {
    /// `error_code`.
    pub code: i64,
    /// The HTTP status, 200 to 599 (200: an error inside a success status). Default: the
    /// service's for the code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// `new_error_code`. In JSON: absent repeats the code, `null` leaves it out of the body, a
    /// number sends that number.
    #[serde(default, skip_serializing_if = "NewCode::is_same_as_code")]
    pub new_code: NewCode,
    /// The message. Default: what the service's error table says the code means.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

impl ApiFailure {
    /// An error answer with `code` and every default.
    pub fn new(code: i64) -> Self {
        Self {
            code,
            status: None,
            new_code: NewCode::SameAsCode,
            message: None,
        }
    }

    /// Answers with this HTTP status instead of the service's for the code.
    pub fn status(mut self, status: u16) -> Self {
        self.status = Some(status);
        self
    }

    /// Sends this `new_error_code` instead of repeating the code.
    pub fn new_code(mut self, new_code: i64) -> Self {
        self.new_code = NewCode::Code(new_code);
        self
    }

    /// Leaves `new_error_code` out of the body, as the service sometimes does.
    pub fn without_new_code(mut self) -> Self {
        self.new_code = NewCode::Omitted;
        self
    }

    /// Sends this message.
    pub fn message(mut self, message: impl Into<String>) -> Self {
        self.message = Some(message.into());
        self
    }

    fn validate(&self) -> Result<(), String> {
        match self.status {
            Some(status) if !(200..=599).contains(&status) => {
                Err(format!("api.status must lie in 200..=599, got {status}"))
            }
            _ => Ok(()),
        }
    }
}

/// What an [`ApiFailure`] sends as `new_error_code`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum NewCode {
    /// The same number as `error_code` (JSON: the field absent).
    #[default]
    SameAsCode,
    /// No `new_error_code` in the body (JSON: `null`).
    Omitted,
    /// This number (JSON: the number).
    Code(i64),
}

impl NewCode {
    /// The `new_error_code` sent with `code`, if any.
    pub fn resolve(self, code: i64) -> Option<i64> {
        match self {
            Self::SameAsCode => Some(code),
            Self::Omitted => None,
            Self::Code(n) => Some(n),
        }
    }

    fn is_same_as_code(&self) -> bool {
        *self == Self::SameAsCode
    }
}

impl Serialize for NewCode {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            // Skipped by the field's attribute; a number is what the field means.
            Self::SameAsCode | Self::Omitted => serializer.serialize_none(),
            Self::Code(n) => serializer.serialize_i64(*n),
        }
    }
}

impl<'de> Deserialize<'de> for NewCode {
    /// `null` is [`NewCode::Omitted`], a number [`NewCode::Code`]; an absent field takes the
    /// default, [`NewCode::SameAsCode`].
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(match Option::<i64>::deserialize(deserializer)? {
            None => Self::Omitted,
            Some(n) => Self::Code(n),
        })
    }
}

/// Which API operation a [`FailNext`] applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Operation {
    /// `POST /v1/meetings/{meetingId}/dismiss`.
    #[serde(rename = "dismiss")]
    Dismiss,
    /// `GET /v1/meetings/{meetingId}`.
    #[serde(rename = "lookup")]
    Lookup,
}

/// "Fail the next `count` API requests with `with`", optionally only those of one operation
/// or for one meeting ID (as it appears in the path). Requests it does not match pass it by.
///
/// ```json
/// {"count": 1, "with": {"api": {"code": 9042}}, "operation": "dismiss", "meeting_id": "123"}
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FailNext {
    /// How many requests.
    pub count: u32,
    /// How they fail.
    pub with: FailureKind,
    /// Only requests of this operation (default: any).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operation: Option<Operation>,
    /// Only requests for this meeting ID, as sent in the path (default: any).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meeting_id: Option<String>,
}

impl FailNext {
    /// The next `count` requests of any operation and meeting fail `with`.
    pub fn new(count: u32, with: impl Into<FailureKind>) -> Self {
        Self {
            count,
            with: with.into(),
            operation: None,
            meeting_id: None,
        }
    }

    /// Only dismisses.
    pub fn dismiss_only(mut self) -> Self {
        self.operation = Some(Operation::Dismiss);
        self
    }

    /// Only look-ups.
    pub fn lookup_only(mut self) -> Self {
        self.operation = Some(Operation::Lookup);
        self
    }

    /// Only requests for `meeting_id`.
    pub fn meeting(mut self, meeting_id: impl Into<String>) -> Self {
        self.meeting_id = Some(meeting_id.into());
        self
    }

    fn matches(&self, target: &Target<'_>) -> bool {
        self.count > 0
            && self.operation.is_none_or(|op| target.operation == Some(op))
            && self
                .meeting_id
                .as_deref()
                .is_none_or(|id| target.meeting_id == Some(id))
    }
}

/// The fault knobs (builder [`crate::SimulatorBuilder::faults`], handle
/// [`crate::Simulator::set_faults`], admin `POST /_sim/faults`). Every field is optional in JSON;
/// setting faults replaces all knobs at once.
///
/// ```json
/// {"latency_ms": 0, "latency_after_dismiss_ms": 0,
///  "drop_share": 0.0, "error_5xx_share": 0.0, "html_502_share": 0.0, "truncated_share": 0.0,
///  "seed": 42,
///  "fail_next": [{"count": 2, "with": "code_960000"},
///                {"count": 1, "with": {"api": {"code": 190311}}, "operation": "dismiss"}]}
/// ```
///
/// The request quotas (190310, 190311) are not faults: see [`crate::RateLimits`].
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
    /// Reseeds the RNG the shares are drawn from, so a run can be repeated exactly. `None`
    /// keeps the RNG as it is.
    pub seed: Option<u64>,
    /// Deterministic failures: each request takes the first entry that matches it, before any
    /// share is drawn.
    pub fail_next: Vec<FailNext>,
}

impl Faults {
    /// No faults.
    pub fn none() -> Self {
        Self::default()
    }

    /// Fails the next `count` requests with `with` (after any already queued).
    pub fn fail_next(self, count: u32, with: impl Into<FailureKind>) -> Self {
        self.fail_next_when(FailNext::new(count, with))
    }

    /// Queues `rule`, e.g. `FailNext::new(1, FailureKind::api(9042)).dismiss_only()`.
    pub fn fail_next_when(mut self, rule: FailNext) -> Self {
        self.fail_next.push(rule);
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

    /// Sets the seed of the RNG the shares are drawn from.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = Some(seed);
        self
    }

    /// Checks that every share lies in [0, 1], that they add up to at most 1, and that every
    /// injected status is one an answer can carry.
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
        for (i, rule) in self.fail_next.iter().enumerate() {
            rule.with
                .validate()
                .map_err(|e| format!("fail_next[{i}].with: {e}"))?;
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
            || self.fail_next.iter().any(|f| f.count > 0)
    }
}

fn duration_ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// What a request is, as far as [`FailNext`] scopes go.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Target<'a> {
    pub operation: Option<Operation>,
    pub meeting_id: Option<&'a str>,
}

/// What the faults decided for one request.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Plan {
    pub latency: Duration,
    pub latency_after_dismiss: Duration,
    pub failure: Option<FailureKind>,
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
    pub fn plan(&self, target: &Target<'_>) -> Plan {
        if !self.active.load(Ordering::Acquire) {
            return Plan::default();
        }
        let mut inner = self.lock();
        let Inner { faults, rng } = &mut *inner;
        let mut plan = Plan {
            latency: Duration::from_millis(faults.latency_ms),
            latency_after_dismiss: Duration::from_millis(faults.latency_after_dismiss_ms),
            failure: None,
        };
        if let Some(next) = faults.fail_next.iter_mut().find(|f| f.matches(target)) {
            next.count -= 1;
            plan.failure = Some(next.with.clone());
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
            assert_eq!(state.plan(&Target::default()), Plan::default());
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
        let seen: Vec<_> = (0..5)
            .map(|_| state.plan(&Target::default()).failure)
            .collect();
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
                .map(|_| state.plan(&Target::default()).failure)
                .collect::<Vec<_>>()
        };
        let a = run();
        assert_eq!(a, run(), "same seed, same sequence");
        let count = |k: FailureKind| a.iter().filter(|f| **f == Some(k.clone())).count();
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
        let after_commit: Faults = serde_json::from_str(
            r#"{"fail_next":[{"count":1,"with":"html_504_after_commit"},{"count":9,"with":"proxy_200_after_commit","operation":"dismiss"}]}"#,
        )
        .unwrap_or_default();
        assert_eq!(
            after_commit
                .fail_next
                .iter()
                .map(|f| (f.with.name(), f.with.handles_first()))
                .collect::<Vec<_>>(),
            [
                ("html_504_after_commit", true),
                ("proxy_200_after_commit", true)
            ]
        );
        assert!(!FailureKind::Html502.handles_first());
    }

    #[test]
    fn api_failures_read_every_new_code_form() {
        let faults: Faults = serde_json::from_str(
            r#"{"fail_next":[
                {"count":1,"with":{"api":{"code":190311}}},
                {"count":1,"with":{"api":{"code":13001,"new_code":null,"status":503}}},
                {"count":1,"with":{"api":{"code":9042,"new_code":10009042,"message":"no"}}},
                {"count":1,"with":{"status":503}}
            ]}"#,
        )
        .unwrap_or_default();
        let with: Vec<_> = faults.fail_next.iter().map(|f| f.with.clone()).collect();
        assert_eq!(
            with,
            [
                FailureKind::api(190311),
                ApiFailure::new(13001).without_new_code().status(503).into(),
                ApiFailure::new(9042)
                    .new_code(10009042)
                    .message("no")
                    .into(),
                FailureKind::Status(503),
            ]
        );
        // And back: the same JSON forms.
        let json = serde_json::to_value(&faults).unwrap_or_default();
        assert_eq!(
            json["fail_next"][0]["with"],
            serde_json::json!({"api": {"code": 190311}})
        );
        assert_eq!(
            json["fail_next"][1]["with"]["api"]["new_code"],
            serde_json::Value::Null
        );
        assert!(
            json["fail_next"][1]["with"]["api"]
                .get("new_code")
                .is_some()
        );
        assert_eq!(json["fail_next"][2]["with"]["api"]["new_code"], 10009042);
        assert_eq!(
            json["fail_next"][3]["with"],
            serde_json::json!({"status": 503})
        );
        assert!(
            serde_json::from_str::<FailNext>(r#"{"count":1,"with":{"api":{"cod":1}}}"#).is_err()
        );
    }

    #[test]
    fn injected_statuses_are_validated() {
        for bad in [
            FailureKind::Status(200),
            FailureKind::Status(600),
            ApiFailure::new(1).status(99).into(),
        ] {
            assert!(Faults::none().fail_next(1, bad).validate().is_err());
        }
        for good in [
            FailureKind::Status(503),
            ApiFailure::new(190310).status(200).into(),
        ] {
            assert!(Faults::none().fail_next(1, good).validate().is_ok());
        }
    }

    #[test]
    fn scoped_rules_wait_for_their_request() {
        let state = FaultState::new(
            Faults::none()
                .fail_next_when(
                    FailNext::new(1, FailureKind::Drop)
                        .dismiss_only()
                        .meeting("7"),
                )
                .fail_next_when(FailNext::new(1, FailureKind::Html502).lookup_only()),
            1,
        );
        let dismiss = |id| Target {
            operation: Some(Operation::Dismiss),
            meeting_id: Some(id),
        };
        let lookup = Target {
            operation: Some(Operation::Lookup),
            meeting_id: Some("7"),
        };
        assert_eq!(state.plan(&dismiss("8")).failure, None);
        assert_eq!(state.plan(&Target::default()).failure, None);
        assert_eq!(state.plan(&lookup).failure, Some(FailureKind::Html502));
        assert_eq!(state.plan(&lookup).failure, None);
        assert_eq!(state.plan(&dismiss("7")).failure, Some(FailureKind::Drop));
        assert_eq!(state.plan(&dismiss("7")).failure, None);
        assert!(state.current().fail_next.is_empty());
    }
}
