//! `POST /v1/meetings/{meetingId}/dismiss`: the call this crate exists for.

use std::time::Duration;

use tencent_meeting_openapi::types;

use crate::call::{Budget, Call, Identity, Outcome, Overrides, final_error};
use crate::client::Client;
use crate::dismissed::{Dismissed, Evidence};
use crate::error::{ApiError, Error, OutcomeUnknown, Refusal, ValidationError};
use crate::instance::Instance;
use crate::kind::MeetingKind;
use crate::lookup::{Meeting, lookup};
use crate::operator::Operator;
use crate::prepared::PreparedRequest;
use crate::retry::RetryPolicy;
use crate::status::MeetingStatus;

/// The longest `reason_detail` accepted, in characters. The service documents no bound; the spec
/// sets this one.
pub const REASON_DETAIL_MAX_CHARS: usize = 1024;

/// The code the service answers when the meeting has already ended.
const ALREADY_ENDED: i64 = 13603;

/// A dismiss call, configured by chained calls and run by [`DismissMeeting::send`].
///
/// Defaults follow the dismiss page: `force_dismiss_meeting` 1, `retrieve_code` 0.
#[derive(Debug, Clone)]
#[must_use = "a dismiss call does nothing until .send() is awaited"]
pub struct DismissMeeting {
    client: Client,
    meeting_id: String,
    identity: Identity,
    reason_code: Option<i32>,
    reason_detail: Option<String>,
    force: bool,
    retrieve_code: bool,
    force_retrieve_code: bool,
    kind: Option<MeetingKind>,
    lookup: bool,
    overrides: Overrides,
}

/// A validated dismiss, ready to send.
struct Planned {
    call: Call,
    reason_code: i32,
    body: types::DismissMeetingRequest,
    kind: Option<MeetingKind>,
    retrieve_code: bool,
    retrieve_code_overridden: bool,
}

impl DismissMeeting {
    pub(crate) fn new(client: Client, meeting_id: String) -> Self {
        Self {
            client,
            meeting_id,
            identity: Identity::default(),
            reason_code: None,
            reason_detail: None,
            force: true,
            retrieve_code: false,
            force_retrieve_code: false,
            kind: None,
            lookup: false,
            overrides: Overrides::default(),
        }
    }

    /// Who dismisses the meeting: its creator. Exactly one identity per request; with OAuth2.0
    /// credentials it defaults to the credentials' open id.
    pub fn operator(mut self, operator: Operator) -> Self {
        self.identity.set_operator(operator);
        self
    }

    /// The operator's device type (`instanceid`). Required.
    pub fn instance(mut self, instance: Instance) -> Self {
        self.identity.set_instance(Ok(instance));
        self
    }

    /// The device type as a raw `instanceid`, checked against the 16 documented values when the
    /// call is sent.
    pub fn instance_id(mut self, instanceid: i32) -> Self {
        self.identity.set_instance(Instance::try_from(instanceid));
        self
    }

    /// A reason code of your choosing (`reason_code`). Required.
    pub fn reason_code(mut self, reason_code: i32) -> Self {
        self.reason_code = Some(reason_code);
        self
    }

    /// A free-text reason (`reason_detail`), at most [`REASON_DETAIL_MAX_CHARS`] characters.
    pub fn reason_detail(mut self, reason_detail: impl Into<String>) -> Self {
        self.reason_detail = Some(reason_detail.into());
        self
    }

    /// Whether to end the meeting even with participants inside (`force_dismiss_meeting`,
    /// default true).
    pub fn force(mut self, force: bool) -> Self {
        self.force = force;
        self
    }

    /// Whether to reclaim the meeting code so nobody can rejoin (`retrieve_code`, default false).
    /// Always true for a quick meeting; refused for a recurring meeting with sub-meetings to come
    /// unless [`Self::force_retrieve_code`] is also called.
    pub fn retrieve_code(mut self, retrieve_code: bool) -> Self {
        self.retrieve_code = retrieve_code;
        self
    }

    /// Reclaims the code even of a recurring meeting with sub-meetings to come, which then
    /// cannot run. Implies `retrieve_code(true)`.
    pub fn force_retrieve_code(mut self) -> Self {
        self.retrieve_code = true;
        self.force_retrieve_code = true;
        self
    }

    /// The kind of meeting, if you know it, so its rules apply without a look-up.
    pub fn kind(mut self, kind: MeetingKind) -> Self {
        self.kind = Some(kind);
        self
    }

    /// Looks the meeting up first (`GET /v1/meetings/{id}`) and applies the rules its kind and
    /// status call for: a sub-meeting ID or a meeting not in progress is refused without sending
    /// the dismiss. Overrides [`Self::kind`].
    pub fn lookup(mut self) -> Self {
        self.lookup = true;
        self
    }

    /// This call's timeout of one attempt, instead of the client's.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.overrides.timeout = Some(timeout);
        self
    }

    /// This call's retry policy, instead of the client's.
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.overrides.retry = Some(retry);
        self
    }

    /// The most this call may take, look-ups, attempts and waits included, instead of the
    /// client's deadline. An attempt still in flight when it passes ends as a timeout (with its
    /// outcome unknown when the request was sent), never by dropping the call.
    pub fn deadline(mut self, deadline: Duration) -> Self {
        self.overrides.deadline = Some(deadline);
        self
    }

    /// Validates and sends the dismiss, retrying what the retry policy allows.
    ///
    /// `Ok` only with evidence that the meeting ended ([`Dismissed::evidence`]). When an attempt
    /// may have reached the service unanswered and nothing since showed the outcome, the error is
    /// [`Error::OutcomeUnknown`].
    pub async fn send(mut self) -> Result<Dismissed, Error> {
        let budget = Budget::start(&self.client, self.overrides)?;
        let call = self.take_call()?;
        let kind = if self.lookup {
            // Boxed: only some calls look up, and the look-up's future is large.
            let meeting = Box::pin(lookup(&self.client, &call, &budget)).await?;
            check_looked_up(call.meeting_id.as_str(), &meeting)?;
            Some(meeting.kind())
        } else {
            self.kind
        };
        let planned = self.plan(call, kind)?;
        let client = &self.client;
        let meeting_id = &planned.call.meeting_id;
        // The body `plan` built and checked goes out with the first attempt; a retry builds it
        // again from the same checked parts, so the usual single attempt copies nothing.
        let mut first_body = Some(planned.body);
        let rebuild_body = || {
            build_body(
                &planned.call,
                planned.reason_code,
                self.reason_detail.as_deref(),
                self.force,
                planned.retrieve_code,
            )
        };
        let attempted = client
            .attempt(
                "dismiss_meeting",
                meeting_id.as_str(),
                &budget,
                || {
                    let body = first_body.take().map_or_else(rebuild_body, Ok);
                    async move {
                        let body = body.map_err(|e| {
                            tencent_meeting_openapi::Error::InvalidRequest(e.to_string())
                        })?;
                        client
                            .api()
                            .dismiss_meeting()
                            .meeting_id(meeting_id.clone())
                            .body(body)
                            .send()
                            .await
                            .map(|rv| rv.into_inner())
                    }
                },
                |api| api.code() == ALREADY_ENDED,
            )
            .await;
        let attempts = attempted.attempts;
        let evidence = match attempted.outcome {
            Outcome::Answered { answer, .. } => Evidence::Answered {
                status: answer.status,
                trace_id: answer.trace_id,
            },
            Outcome::AlreadyDoneAfterUnknown(already_ended) => {
                Box::pin(confirm_by_lookup(
                    client,
                    &planned.call,
                    &budget,
                    already_ended,
                    attempts,
                ))
                .await?
            }
            Outcome::Failed {
                error,
                outcome_unknown,
            } => return Err(final_error(error, attempts, outcome_unknown, &budget)),
        };
        Ok(Dismissed::new(
            planned.call.meeting_id.into(),
            planned.kind,
            planned.retrieve_code,
            planned.retrieve_code_overridden,
            attempts,
            evidence,
        ))
    }

    /// Validates, stamps and signs the dismiss exactly as [`Self::send`] would, and returns the
    /// request without sending anything. A look-up cannot be part of a dry run: give the kind.
    pub async fn prepare(mut self) -> Result<PreparedRequest, Error> {
        if self.lookup {
            return Err(ValidationError::new(
                "lookup",
                "a dry run sends nothing, so it cannot look the meeting up; give .kind() instead",
            )
            .into());
        }
        let call = self.take_call()?;
        let planned = self.plan(call, self.kind)?;
        let meeting_id = planned.call.meeting_id;
        let body = planned.body;
        let client = &self.client;
        client
            .prepare(|| async move {
                client
                    .api()
                    .dismiss_meeting()
                    .meeting_id(meeting_id)
                    .body(body)
                    .send()
                    .await
                    .map(|rv| rv.into_inner())
            })
            .await
    }

    /// Validates the meeting ID and identity, moving them into the call (`send` and `prepare`
    /// consume the builder, so nothing is copied).
    fn take_call(&mut self) -> Result<Call, Error> {
        let credentials = self.client.credentials();
        Ok(Call::new(
            credentials.open_id(),
            std::mem::take(&mut self.meeting_id),
            std::mem::take(&mut self.identity),
        )?)
    }

    /// Validates the rest of the input, applies the kind's rules and builds the body.
    fn plan(&self, call: Call, kind: Option<MeetingKind>) -> Result<Planned, Error> {
        let reason_code = self.reason_code.ok_or_else(|| {
            ValidationError::new(
                "reason_code",
                "is required: .reason_code(n), a code of your choosing",
            )
        })?;
        if let Some(detail) = &self.reason_detail
            && detail.chars().count() > REASON_DETAIL_MAX_CHARS
        {
            return Err(ValidationError::new(
                "reason_detail",
                format!("must be at most {REASON_DETAIL_MAX_CHARS} characters"),
            )
            .into());
        }
        let (retrieve_code, retrieve_code_overridden) = match kind {
            Some(MeetingKind::Quick) => (true, !self.retrieve_code),
            Some(MeetingKind::Recurring {
                remaining_sub_meetings,
                ..
            }) if self.retrieve_code
                && !self.force_retrieve_code
                && remaining_sub_meetings != Some(0) =>
            {
                return Err(Refusal::sub_meetings_remain(remaining_sub_meetings).into());
            }
            _ => (self.retrieve_code, false),
        };
        let body = build_body(
            &call,
            reason_code,
            self.reason_detail.as_deref(),
            self.force,
            retrieve_code,
        )?;
        Ok(Planned {
            call,
            reason_code,
            body,
            kind,
            retrieve_code,
            retrieve_code_overridden,
        })
    }
}

/// Refuses a look-up result that names another (master) meeting or a meeting not in progress.
fn check_looked_up(meeting_id: &str, meeting: &Meeting) -> Result<(), Refusal> {
    if meeting.meeting_id() != Some(meeting_id) {
        return Err(Refusal::sub_meeting_id(
            meeting_id,
            meeting.meeting_id().map(str::to_string),
        ));
    }
    if !meeting.in_progress() {
        return Err(Refusal::not_in_progress(
            meeting_id,
            meeting
                .status()
                .map_or_else(|| "unknown".to_string(), |s| s.to_string()),
        ));
    }
    Ok(())
}

/// After an attempt whose outcome was unknown, the service answered "already ended": looks the
/// meeting up, and takes the dismiss as done only when the look-up shows the meeting ended.
/// Anything else leaves the outcome unknown.
async fn confirm_by_lookup(
    client: &Client,
    call: &Call,
    budget: &Budget,
    already_ended: ApiError,
    attempts: u32,
) -> Result<Evidence, Error> {
    let unknown = |last: Error| -> Error { OutcomeUnknown::new(attempts, last).into() };
    match lookup(client, call, budget).await {
        Ok(meeting) if meeting.has_ended() => {
            let looked_up = meeting.status().cloned().unwrap_or(MeetingStatus::Ended);
            tracing::info!(
                target: crate::call::ATTEMPT_TARGET,
                status = %looked_up,
                "the look-up confirms the meeting ended"
            );
            Ok(Evidence::LookedUp {
                status: already_ended.status(),
                trace_id: already_ended.trace_id().map(str::to_string),
                looked_up,
            })
        }
        Ok(meeting) => {
            tracing::info!(
                target: crate::call::ATTEMPT_TARGET,
                status = %meeting.status().map_or("none", |s| s.as_str()),
                "the look-up does not show the meeting ended; its outcome stays unknown"
            );
            Err(unknown(
                Error::from(already_ended).after_attempts(attempts, budget.elapsed()),
            ))
        }
        Err(e) => Err(unknown(e)),
    }
}

/// The generated body type, from validated parts. Its own checks (the spec's constraints) cannot
/// fail after ours, but are mapped rather than assumed.
fn build_body(
    call: &Call,
    reason_code: i32,
    reason_detail: Option<&str>,
    force: bool,
    retrieve_code: bool,
) -> Result<types::DismissMeetingRequest, Error> {
    let generated = |field: &'static str| {
        move |e: types::error::ConversionError| ValidationError::new(field, e.to_string())
    };
    let (userid, operator_id, operator_id_type) = match call.operator.operator_id_type() {
        None => (
            Some(
                types::DismissMeetingRequestUserid::try_from(call.operator.id())
                    .map_err(generated("userid"))?,
            ),
            None,
            None,
        ),
        Some(kind) => (
            None,
            Some(
                types::DismissMeetingRequestOperatorId::try_from(call.operator.id())
                    .map_err(generated("operator_id"))?,
            ),
            Some(types::OperatorIdType::try_from(kind).map_err(generated("operator_id_type"))?),
        ),
    };
    Ok(types::DismissMeetingRequest {
        userid,
        operator_id,
        operator_id_type,
        instanceid: types::InstanceId::try_from(i32::from(call.instance))
            .map_err(generated("instanceid"))?,
        reason_code,
        reason_detail: reason_detail
            .map(types::DismissMeetingRequestReasonDetail::try_from)
            .transpose()
            .map_err(generated("reason_detail"))?,
        force_dismiss_meeting: types::DismissMeetingRequestForceDismissMeeting::try_from(
            i32::from(force),
        )
        .map_err(generated("force_dismiss_meeting"))?,
        retrieve_code: types::DismissMeetingRequestRetrieveCode::try_from(i32::from(retrieve_code))
            .map_err(generated("retrieve_code"))?,
    })
}
