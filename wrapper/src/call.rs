//! What every call shares: the operator identity and its validation, per-call settings, and the
//! attempt loop with retries, rate limiting, deadlines and tracing.

use std::future::Future;
use std::time::{Duration, Instant, SystemTime};

use tencent_meeting_openapi::meeting_id::{MeetingId, MeetingIdError};
use tracing::Instrument as _;

use crate::before_send::BeforeSend;
use crate::client::Client;
use crate::error::{
    ApiError, BeforeSendError, Error, OutcomeUnknown, PER_MINUTE_LIMIT, TimeoutError,
    TransportError, ValidationError,
};
use crate::instance::Instance;
use crate::operator::Operator;
use crate::prepared::PreparedRequest;
use crate::rate_limit::RateLimiterError;
use crate::response::{Answer, Failure, GeneratedError, map_error};
use crate::retry::RetryPolicy;
use crate::transport::{AttemptSettings, run_attempt};

/// The longest operator ID accepted. The service documents none; IDs are short tokens.
const OPERATOR_ID_MAX: usize = 256;

/// The target of the one event each attempt logs.
pub(crate) const ATTEMPT_TARGET: &str = "tencent_meeting::attempt";

/// The operator and device as the caller set them, checked when the call is sent.
#[derive(Debug, Clone, Default)]
pub(crate) struct Identity {
    operator: Option<Operator>,
    second_operator: Option<Operator>,
    instance: Option<Result<Instance, ValidationError>>,
}

impl Identity {
    pub fn set_operator(&mut self, operator: Operator) {
        match &self.operator {
            Some(first) if *first != operator => self.second_operator = Some(operator),
            _ => self.operator = Some(operator),
        }
    }

    pub fn set_instance(&mut self, instance: Result<Instance, ValidationError>) {
        self.instance = Some(instance);
    }
}

/// A call's own timeout, retry policy and deadline, overriding the client's.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Overrides {
    pub timeout: Option<Duration>,
    pub retry: Option<RetryPolicy>,
    pub deadline: Option<Duration>,
}

/// The validated parts every call sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Call {
    /// Checked once here; the generated builder takes it as it is.
    pub meeting_id: MeetingId,
    pub operator: Operator,
    pub instance: Instance,
}

impl Call {
    /// Validates the meeting ID, the operator (against the credentials) and the device type. Takes
    /// the caller's values rather than copying them: a call sends what its builder was given.
    pub fn new(
        open_id: Option<&str>,
        meeting_id: String,
        identity: Identity,
    ) -> Result<Self, ValidationError> {
        let meeting_id = check_meeting_id(meeting_id)?;
        if let (Some(a), Some(b)) = (&identity.operator, &identity.second_operator) {
            return Err(ValidationError::new(
                "operator",
                format!(
                    "exactly one identity per request, but two were given ({} {:?} and {} {:?})",
                    a.field(),
                    a.id(),
                    b.field(),
                    b.id()
                ),
            ));
        }
        let operator = match (identity.operator, open_id) {
            (Some(op), _) => op,
            (None, Some(open_id)) => Operator::open_id(open_id),
            (None, None) => {
                return Err(ValidationError::new(
                    "operator",
                    "is required: .operator(Operator::user_id(..)) or another Operator",
                ));
            }
        };
        check_operator_id(&operator)?;
        if let Some(open_id) = open_id {
            let acts_as_open_id =
                matches!(&operator, Operator::UserId(id) | Operator::OpenId(id) if id == open_id);
            if !acts_as_open_id {
                return Err(ValidationError::new(
                    operator.field(),
                    "with OAuth2.0 credentials the operator must be the credentials' open id (as Operator::open_id or Operator::user_id)",
                ));
            }
        }
        let instance = match identity.instance {
            Some(Ok(instance)) => instance,
            Some(Err(e)) => return Err(e),
            None => {
                return Err(ValidationError::new(
                    "instanceid",
                    "is required: .instance(Instance::Pc) or another device type",
                ));
            }
        };
        Ok(Self {
            meeting_id,
            operator,
            instance,
        })
    }
}

/// Takes the meeting ID as the generated client's `MeetingId` (so the builder does not check it
/// again), or says which of the spec's rules it breaks under the `meeting_id` field.
fn check_meeting_id(id: String) -> Result<MeetingId, ValidationError> {
    MeetingId::take(id).map_err(|(rule, id)| match rule {
        MeetingIdError::NotDigits => {
            ValidationError::new("meeting_id", format!("{rule}, got {id:?}"))
        }
        MeetingIdError::Empty | MeetingIdError::TooLong => {
            ValidationError::new("meeting_id", rule.to_string())
        }
    })
}

fn check_operator_id(operator: &Operator) -> Result<(), ValidationError> {
    let field = operator.field();
    let id = operator.id();
    if id.trim().is_empty() {
        return Err(ValidationError::new(
            field,
            "must not be empty or whitespace only",
        ));
    }
    if id.chars().any(char::is_control) {
        return Err(ValidationError::new(
            field,
            "must not contain control characters",
        ));
    }
    if id.chars().count() > OPERATOR_ID_MAX {
        return Err(ValidationError::new(
            field,
            format!("must be at most {OPERATOR_ID_MAX} characters"),
        ));
    }
    Ok(())
}

/// The settings one call runs with, and the clock of its deadline.
#[derive(Debug, Clone)]
pub(crate) struct Budget {
    pub retry: RetryPolicy,
    timeout: Duration,
    deadline: Option<(Instant, Duration)>,
    started: Instant,
}

impl Budget {
    /// The client's settings with the call's overrides, starting now.
    pub fn start(client: &Client, overrides: Overrides) -> Result<Self, ValidationError> {
        let inner = &client.inner;
        let timeout = overrides.timeout.unwrap_or(inner.timeout);
        if timeout.is_zero() {
            return Err(ValidationError::new("timeout", "must be greater than zero"));
        }
        let deadline = overrides.deadline.or(inner.deadline);
        if deadline.is_some_and(|d| d.is_zero()) {
            return Err(ValidationError::new(
                "deadline",
                "must be greater than zero",
            ));
        }
        let started = Instant::now();
        Ok(Self {
            retry: overrides.retry.unwrap_or(inner.retry),
            timeout,
            deadline: deadline.map(|d| (started + d, d)),
            started,
        })
    }

    /// What is left of the deadline (`None`: no deadline).
    fn remaining(&self) -> Option<Duration> {
        self.deadline
            .map(|(at, _)| at.saturating_duration_since(Instant::now()))
    }

    /// Whether waiting `delay` would pass the deadline.
    fn cannot_wait(&self, delay: Duration) -> bool {
        self.remaining().is_some_and(|left| left <= delay)
    }

    /// The next attempt's timeout: the call's, or what is left of the deadline when that is less.
    fn attempt(&self) -> AttemptSettings {
        match (self.remaining(), self.deadline) {
            (Some(left), Some((_, length))) if left < self.timeout => AttemptSettings {
                dry_run: false,
                timeout: Some(left.max(Duration::from_millis(1))),
                bounded_by_deadline: Some(length),
            },
            _ => AttemptSettings {
                dry_run: false,
                timeout: Some(self.timeout),
                bounded_by_deadline: None,
            },
        }
    }

    fn deadline_passed(&self) -> TimeoutError {
        let length = self.deadline.map_or(Duration::ZERO, |(_, d)| d);
        TimeoutError::deadline(length, false)
    }

    /// How long the call has run.
    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }
}

/// The success answer of an attempt: its HTTP status and trace id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Answered {
    pub status: u16,
    pub trace_id: Option<String>,
}

/// How a call's attempts ended.
#[derive(Debug)]
pub(crate) enum Outcome<T> {
    /// An attempt was answered with success.
    Answered { value: T, answer: Answered },
    /// After an attempt that may have taken effect, a later one was refused with an error that
    /// the call's `already_done` recognises (13603 for a dismiss): perhaps the earlier one's work.
    AlreadyDoneAfterUnknown(ApiError),
    /// The call failed. `outcome_unknown`: some attempt may have taken effect
    /// ([`Error::maybe_applied`]).
    Failed { error: Error, outcome_unknown: bool },
}

/// A call's outcome, with how many attempts it made.
#[derive(Debug)]
pub(crate) struct Attempted<T> {
    pub outcome: Outcome<T>,
    pub attempts: u32,
    /// When the first attempt's request left (by the system clock), if one did.
    pub first_sent: Option<SystemTime>,
}

/// The final error of a call that failed after `attempts` attempts.
pub(crate) fn final_error(
    error: Error,
    attempts: u32,
    outcome_unknown: bool,
    budget: &Budget,
) -> Error {
    let error = error.after_attempts(attempts, budget.elapsed());
    if outcome_unknown {
        OutcomeUnknown::new(attempts, error).into()
    } else {
        error
    }
}

type GeneratedResult<T> = Result<T, GeneratedError>;

/// Why an attempt did not get its turn from the rate limiter.
enum RateLimitWait {
    /// The call's deadline passed while it waited.
    DeadlinePassed,
    /// The limiter refused (it could not tell whether the request is within the quota).
    Refused(RateLimiterError),
}

impl Client {
    /// Runs `send` until it succeeds, fails for good, or the retry policy's attempts or the
    /// deadline are spent. Each attempt waits for the rate limiter and is signed afresh by the
    /// hooks. An error for which `already_done` holds, seen after an attempt that may have taken
    /// effect ([`Error::maybe_applied`]), ends the attempts as
    /// [`Outcome::AlreadyDoneAfterUnknown`]. `before_send` runs once, right before the first
    /// request leaves (after the rate limiter); when it fails, nothing is sent.
    pub(crate) async fn attempt<T, F, Fut>(
        &self,
        operation: &'static str,
        meeting_id: &str,
        budget: &Budget,
        mut send: F,
        already_done: impl Fn(&ApiError) -> bool,
        before_send: Option<&BeforeSend>,
    ) -> Attempted<T>
    where
        T: Answer,
        F: FnMut() -> Fut,
        Fut: Future<Output = GeneratedResult<T>>,
    {
        let inner = &self.inner;
        let span = tracing::info_span!("tencent_meeting", operation, meeting_id);
        let attempts = async {
            let max_attempts = budget.retry.attempts();
            let mut outcome_unknown = false;
            let mut attempt = 0;
            let mut first_sent = None;
            loop {
                attempt += 1;
                if let Some(limiter) = &inner.rate_limiter {
                    let acquired = match budget.remaining() {
                        Some(left) => match tokio::time::timeout(left, limiter.acquire()).await {
                            Ok(granted) => granted.map_err(RateLimitWait::Refused),
                            Err(_) => Err(RateLimitWait::DeadlinePassed),
                        },
                        None => limiter.acquire().await.map_err(RateLimitWait::Refused),
                    };
                    if let Err(failed) = acquired {
                        let error = match failed {
                            RateLimitWait::DeadlinePassed => budget.deadline_passed().into(),
                            // Not retried here: the limiter has waited as long as it would.
                            RateLimitWait::Refused(e) => TransportError::new(
                                format!("not sent: the rate limiter gave no turn: {e}"),
                                false,
                            )
                            .with_source(e)
                            .into(),
                        };
                        return Attempted {
                            outcome: Outcome::Failed {
                                error,
                                outcome_unknown,
                            },
                            attempts: attempt - 1,
                            first_sent,
                        };
                    }
                }
                if attempt == 1 {
                    if let Some(hook) = before_send
                        && let Err(e) = hook.run().await
                    {
                        return Attempted {
                            outcome: Outcome::Failed {
                                error: BeforeSendError::new(e).into(),
                                outcome_unknown: false,
                            },
                            attempts: 0,
                            first_sent: None,
                        };
                    }
                    first_sent = Some(SystemTime::now());
                }
                let started = Instant::now();
                let (result, record) = run_attempt(budget.attempt(), send()).await;
                let error = match result {
                    Ok(value) => value.check(&record),
                    // Boxed: it is about 1 KB and only failures need it.
                    Err(e) => match Box::pin(map_error::<T>(e, &record)).await {
                        Failure::Empty(value) => Ok(value),
                        // Only dry-run hooks stop a request, and they are not used here.
                        Failure::DryRunStop => Err(TransportError::new(
                            "the request was stopped before it was sent",
                            false,
                        )
                        .into()),
                        Failure::Error(e) => Err(e),
                    },
                };
                let elapsed_ms = started.elapsed().as_millis() as u64;
                let status = record.status.unwrap_or(0);
                let trace_id = record.trace_id.as_deref().unwrap_or("");
                let error = match error {
                    Ok(value) => {
                        tracing::debug!(
                            target: ATTEMPT_TARGET,
                            attempt,
                            status,
                            trace_id,
                            nonce = record.nonce,
                            elapsed_ms,
                            "answered"
                        );
                        return Attempted {
                            outcome: Outcome::Answered {
                                value,
                                answer: Answered {
                                    status: record.status.unwrap_or(200),
                                    trace_id: record.trace_id,
                                },
                            },
                            attempts: attempt,
                            first_sent,
                        };
                    }
                    Err(error) => error,
                };
                let api_code = error.api().map_or(0, ApiError::code);
                let error = match error {
                    Error::Api(api) if outcome_unknown && already_done(&api) => {
                        tracing::info!(
                            target: ATTEMPT_TARGET,
                            attempt,
                            status,
                            api_code,
                            trace_id,
                            elapsed_ms,
                            "an earlier attempt's outcome was unknown; this one finds the work already done: {api}"
                        );
                        return Attempted {
                            outcome: Outcome::AlreadyDoneAfterUnknown(api),
                            attempts: attempt,
                            first_sent,
                        };
                    }
                    other => other,
                };
                outcome_unknown |= error.maybe_applied();
                let delay = self.retry_delay(&budget.retry, attempt, &error);
                let give_up = match delay {
                    None => Some("not retryable"),
                    Some(_) if attempt >= max_attempts => Some("no attempts left"),
                    Some(delay) if budget.cannot_wait(delay) => Some("the deadline is too near"),
                    Some(_) => None,
                };
                if let Some(reason) = give_up {
                    tracing::info!(
                        target: ATTEMPT_TARGET,
                        attempt,
                        status,
                        api_code,
                        trace_id,
                        elapsed_ms,
                        outcome_unknown,
                        "failed ({reason}): {error}"
                    );
                    return Attempted {
                        outcome: Outcome::Failed {
                            error,
                            outcome_unknown,
                        },
                        attempts: attempt,
                        first_sent,
                    };
                }
                let delay = delay.unwrap_or_default();
                tracing::info!(
                    target: ATTEMPT_TARGET,
                    attempt,
                    status,
                    api_code,
                    trace_id,
                    elapsed_ms,
                    retry_in_ms = delay.as_millis() as u64,
                    "failed, retrying: {error}"
                );
                tokio::time::sleep(delay).await;
            }
        };
        // Entering a disabled span on every poll still costs a `log` check: when nothing listens,
        // the attempts run in no span at all. (One future either way, so it is stored once.)
        let polled_in = if span.is_disabled() {
            tracing::Span::none()
        } else {
            span.clone()
        };
        attempts.instrument(polled_in).await
    }

    /// How long to wait before retrying after `error` on attempt `attempt`; `None` when a retry
    /// cannot help. The per-minute quota (190310) is retried when the next minute (the policy's
    /// rate-limit window, by the client's clock) begins, not sooner.
    fn retry_delay(&self, retry: &RetryPolicy, attempt: u32, error: &Error) -> Option<Duration> {
        if !error.is_retryable() {
            return None;
        }
        match error {
            Error::Api(api) if api.code() == PER_MINUTE_LIMIT => {
                Some(crate::rate_limit::until_next_window(
                    self.inner.rate_limit_window,
                    self.inner.stamper.clock.now_unix_millis(),
                ))
            }
            _ => Some(retry.delay(attempt)),
        }
    }

    /// Builds, stamps and signs one request exactly as an attempt would, and returns it unsent.
    pub(crate) async fn prepare<T, F, Fut>(&self, send: F) -> Result<PreparedRequest, Error>
    where
        T: Answer,
        F: FnOnce() -> Fut,
        Fut: Future<Output = GeneratedResult<T>>,
    {
        let settings = AttemptSettings {
            dry_run: true,
            ..AttemptSettings::default()
        };
        let (result, mut record) = run_attempt(settings, send()).await;
        if let Some(prepared) = record.prepared.take() {
            return Ok(*prepared);
        }
        // The dry-run hook stops every request it prepares, so only a failure before the hook
        // ran (the generated client refusing a value) ends up here.
        if let Err(e) = result
            && let Failure::Error(e) = map_error::<T>(e, &record).await
        {
            return Err(e);
        }
        Err(TransportError::new("the request was not prepared", false).into())
    }
}
