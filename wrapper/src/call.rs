//! What every call shares: the operator identity, its validation, and the attempt loop with
//! retries, rate limiting and tracing.

use std::future::Future;

use tencent_meeting_openapi::meeting_id::{MeetingId, MeetingIdError};
use tencent_meeting_openapi::types::{ErrorResponse, MeetingQueryResponse};
use tracing::Instrument as _;

use crate::client::Client;
use crate::error::{Error, ValidationError};
use crate::instance::Instance;
use crate::operator::Operator;
use crate::prepared::PreparedRequest;
use crate::response::{Failure, map_error};
use crate::transport::run_attempt;

/// The longest operator ID accepted. The service documents none; IDs are short tokens.
const OPERATOR_ID_MAX: usize = 256;

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

/// The validated parts every call sends.
#[derive(Debug, Clone)]
pub(crate) struct Call {
    /// Checked once here; the generated builder takes it as it is.
    pub meeting_id: MeetingId,
    pub operator: Operator,
    pub instance: Instance,
}

impl Call {
    /// Validates the meeting ID, the operator (against the credentials) and the device type. Takes
    /// the caller's values rather than copying them: a call sends what its builder was given.
    pub fn new(client: &Client, meeting_id: String, identity: Identity) -> Result<Self, Error> {
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
            )
            .into());
        }
        let open_id = client.credentials().open_id();
        let operator = match (identity.operator, open_id) {
            (Some(op), _) => op,
            (None, Some(open_id)) => Operator::open_id(open_id),
            (None, None) => {
                return Err(ValidationError::new(
                    "operator",
                    "is required: .operator(Operator::user_id(..)) or another Operator",
                )
                .into());
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
                )
                .into());
            }
        }
        let instance = match identity.instance {
            Some(Ok(instance)) => instance,
            Some(Err(e)) => return Err(e.into()),
            None => {
                return Err(ValidationError::new(
                    "instanceid",
                    "is required: .instance(Instance::Pc) or another device type",
                )
                .into());
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

/// A successful call.
#[derive(Debug)]
pub(crate) struct Success<T> {
    pub value: T,
    pub status: u16,
    pub trace_id: Option<String>,
    pub attempts: u32,
    pub confirmed_on_retry: bool,
}

/// What an operation's success looks like when the status is a 2xx the spec does not list.
pub(crate) trait Expected: Sized {
    fn from_other_success(status: u16) -> Result<Self, Error>;
}

impl Expected for () {
    fn from_other_success(_status: u16) -> Result<Self, Error> {
        Ok(())
    }
}

impl Expected for MeetingQueryResponse {
    fn from_other_success(status: u16) -> Result<Self, Error> {
        Err(Error::Decode {
            status,
            snippet: String::new(),
            not_json: true,
            trace_id: None,
        })
    }
}

type GeneratedResult<T> = Result<T, tencent_meeting_openapi::Error<ErrorResponse>>;

impl Client {
    /// Runs `send` until it succeeds, fails for good, or the retry policy's attempts are spent.
    /// Each attempt waits for the rate limiter and is signed afresh by the hooks.
    pub(crate) async fn with_retries<T, F, Fut>(
        &self,
        operation: &'static str,
        meeting_id: &str,
        send: F,
    ) -> Result<Success<T>, Error>
    where
        T: Expected,
        F: FnMut() -> Fut,
        Fut: Future<Output = GeneratedResult<T>>,
    {
        self.with_retries_confirming(operation, meeting_id, send, |_| false)
            .await
    }

    /// [`Self::with_retries`], where an error for which `already_done` holds, seen after an
    /// attempt whose outcome is unknown, means that attempt succeeded.
    pub(crate) async fn with_retries_confirming<T, F, Fut>(
        &self,
        operation: &'static str,
        meeting_id: &str,
        mut send: F,
        already_done: impl Fn(&Error) -> bool,
    ) -> Result<Success<T>, Error>
    where
        T: Expected,
        F: FnMut() -> Fut,
        Fut: Future<Output = GeneratedResult<T>>,
    {
        let inner = &self.inner;
        let span = tracing::info_span!(
            "tencent_meeting",
            operation,
            meeting_id,
            attempt = tracing::field::Empty,
            status = tracing::field::Empty,
            api_code = tracing::field::Empty,
            trace_id = tracing::field::Empty,
        );
        let attempts = async {
            let max_attempts = inner.retry.attempts();
            let mut outcome_unknown = false;
            let mut attempt = 0;
            loop {
                attempt += 1;
                if let Some(limit) = &inner.rate_limit {
                    limit.acquire().await;
                }
                span.record("attempt", attempt);
                let (result, record) = run_attempt(false, send()).await;
                if let Some(status) = record.status {
                    span.record("status", status);
                }
                if let Some(trace) = &record.trace_id {
                    span.record("trace_id", trace.as_str());
                }
                let error = match result {
                    Ok(value) => {
                        tracing::debug!(attempt, nonce = record.nonce, "succeeded");
                        return Ok(Success {
                            value,
                            status: record.status.unwrap_or(200),
                            trace_id: record.trace_id,
                            attempts: attempt,
                            confirmed_on_retry: false,
                        });
                    }
                    // Boxed: it is about 1 KB and only failures need it.
                    Err(e) => match Box::pin(map_error(e, &record, inner.timeout)).await {
                        Failure::OtherSuccess { status } => {
                            return T::from_other_success(status).map(|value| Success {
                                value,
                                status,
                                trace_id: record.trace_id,
                                attempts: attempt,
                                confirmed_on_retry: false,
                            });
                        }
                        // Only dry-run hooks stop a request, and they are not used here.
                        Failure::DryRunStop => Error::Transport {
                            message: "the request was stopped before it was sent".to_string(),
                            maybe_sent: false,
                            source: None,
                        },
                        Failure::Error(e) => e,
                    },
                };
                if let Error::Api { code, .. } = &error {
                    span.record("api_code", code);
                }
                if outcome_unknown && already_done(&error) {
                    tracing::info!(
                        attempt,
                        "an earlier attempt's outcome was unknown; this one reports it done"
                    );
                    return Ok(Success {
                        value: T::from_other_success(record.status.unwrap_or(200))?,
                        status: record.status.unwrap_or(200),
                        trace_id: record.trace_id,
                        attempts: attempt,
                        confirmed_on_retry: true,
                    });
                }
                outcome_unknown |= error.outcome_unknown();
                if !error.is_retryable() || attempt >= max_attempts {
                    tracing::debug!(attempt, error = %error, "failed");
                    return Err(error);
                }
                let delay = inner.retry.delay(attempt);
                tracing::info!(attempt, error = %error, ?delay, "retrying");
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

    /// Builds, stamps and signs one request exactly as an attempt would, and returns it unsent.
    pub(crate) async fn prepare<T, F, Fut>(&self, send: F) -> Result<PreparedRequest, Error>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = GeneratedResult<T>>,
    {
        let (result, mut record) = run_attempt(true, send()).await;
        if let Some(prepared) = record.prepared.take() {
            return Ok(*prepared);
        }
        // The dry-run hook stops every request it prepares, so only a failure before the hook
        // ran (the generated client refusing a value) ends up here.
        let message = match result {
            Ok(_) => "the request was not prepared".to_string(),
            Err(e) => match map_error(e, &record, self.inner.timeout).await {
                Failure::Error(e) => return Err(e),
                _ => "the request was not prepared".to_string(),
            },
        };
        Err(Error::Transport {
            message,
            maybe_sent: false,
            source: None,
        })
    }
}
