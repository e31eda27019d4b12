//! The attempt loop: each attempt waits for the rate limiter, runs the `before_send` hook before
//! the first request leaves, sends (signed afresh by the hooks), and reads its answer; a failure
//! goes to `retry_decision` and is retried or ends the call. What the loop reports is an
//! [`Outcome`], which each operation turns into its own result.

use std::future::Future;
use std::time::{Instant, SystemTime};

use tracing::Instrument as _;

use super::budget::Budget;
use super::retry_decision::{Next, Standing, after_failure};
use super::trace::{AttemptLog, call_span};
use crate::before_send::BeforeSend;
use crate::client::{Client, ClientInner};
use crate::error::{ApiError, BeforeSendError, Error, OutcomeUnknown, TransportError};
use crate::rate_limit::RateLimiter;
use crate::response::{Answer, Failure, GeneratedError, empty_success, map_error};
use crate::transport::run_attempt;

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

/// Waits for the rate limiter's turn, within what is left of the deadline. The error ends the
/// call with nothing sent by this attempt: a limiter's refusal is not retried here, as it has
/// waited as long as it would.
async fn wait_for_turn(limiter: &dyn RateLimiter, budget: &Budget) -> Result<(), Error> {
    let granted = match budget.remaining() {
        Some(left) => match tokio::time::timeout(left, limiter.acquire()).await {
            Ok(granted) => granted,
            Err(_) => return Err(budget.deadline_passed().into()),
        },
        None => limiter.acquire().await,
    };
    granted.map_err(|e| {
        TransportError::new(
            format!("not sent: the rate limiter gave no turn: {e}"),
            false,
        )
        .with_source(e)
        .into()
    })
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
        send: F,
        already_done: impl Fn(&ApiError) -> bool,
        before_send: Option<&BeforeSend>,
    ) -> Attempted<T>
    where
        T: Answer,
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, GeneratedError>>,
    {
        let span = call_span(operation, meeting_id);
        // Without a span the loop is awaited as it is: wrapping it in `Instrumented` would move
        // its ~2.5 KB future once more on every call.
        if span.is_none() {
            attempts(&self.inner, budget, send, already_done, before_send).await
        } else {
            attempts(&self.inner, budget, send, already_done, before_send)
                .instrument(span)
                .await
        }
    }
}

/// The attempt loop of [`Client::attempt`].
async fn attempts<T, F, Fut>(
    inner: &ClientInner,
    budget: &Budget,
    mut send: F,
    already_done: impl Fn(&ApiError) -> bool,
    before_send: Option<&BeforeSend>,
) -> Attempted<T>
where
    T: Answer,
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, GeneratedError>>,
{
    let mut outcome_unknown = false;
    let mut attempt = 0;
    let mut first_sent = None;
    loop {
        attempt += 1;
        if let Some(limiter) = &inner.rate_limiter
            && let Err(error) = wait_for_turn(limiter.as_ref(), budget).await
        {
            return Attempted {
                outcome: Outcome::Failed {
                    error,
                    outcome_unknown,
                },
                attempts: attempt - 1,
                first_sent,
            };
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
        let result = match result {
            Ok(value) => value.check(&record),
            // The documented empty success body, which the generated client fails to
            // decode as JSON, is answered without the boxed mapping.
            Err(e) => match empty_success::<T>(&e, &record) {
                Some(value) => Ok(value),
                // Boxed: it is about 1 KB and only failures need it.
                None => match Box::pin(map_error::<T>(e, &record)).await {
                    Failure::Empty(value) => Ok(value),
                    // Only dry-run hooks stop a request, and they are not used here.
                    Failure::DryRunStop => Err(TransportError::new(
                        "the request was stopped before it was sent",
                        false,
                    )
                    .into()),
                    Failure::Error(e) => Err(e),
                },
            },
        };
        let mut log = AttemptLog {
            attempt,
            status: record.status.unwrap_or(0),
            api_code: 0,
            trace_id: record.trace_id.as_deref().unwrap_or(""),
            started,
        };
        let error = match result {
            Ok(value) => {
                log.answered(record.nonce);
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
        log.api_code = error.api().map_or(0, ApiError::code);
        let error = match error {
            Error::Api(api) if outcome_unknown && already_done(&api) => {
                log.already_done(&api);
                return Attempted {
                    outcome: Outcome::AlreadyDoneAfterUnknown(api),
                    attempts: attempt,
                    first_sent,
                };
            }
            other => other,
        };
        outcome_unknown |= error.maybe_applied();
        let standing = Standing {
            attempt,
            retry: &budget.retry,
            remaining: budget.remaining(),
            rate_limit_window: inner.rate_limit_window,
        };
        match after_failure(&error, standing, inner.stamper.clock.as_ref()) {
            Next::GiveUp(why) => {
                log.gave_up(why.reason(), outcome_unknown, &error);
                return Attempted {
                    outcome: Outcome::Failed {
                        error,
                        outcome_unknown,
                    },
                    attempts: attempt,
                    first_sent,
                };
            }
            Next::Retry(delay) => {
                log.retrying(delay, &error);
                tokio::time::sleep(delay).await;
            }
        }
    }
}
