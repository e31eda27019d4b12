//! Runs a dismiss on a [`Client`]: the optional look-up, the attempts, and the look-up that
//! confirms an "already ended" answer after an attempt whose outcome was unknown.

use std::time::SystemTime;

use crate::call::{Budget, Call, Outcome, final_error};
use crate::client::Client;
use crate::dismissed::{Dismissed, Evidence};
use crate::error::{ApiError, Error, OutcomeUnknown, Refusal};
use crate::kind::MeetingKind;
use crate::lookup::{Meeting, lookup};
use crate::prepared::PreparedRequest;
use crate::status::MeetingStatus;

use super::request::DismissRequest;

/// The code the service answers when the meeting has already ended.
const ALREADY_ENDED: i64 = 13603;

/// Validates, looks up when asked, plans and sends `request` on `client`.
///
/// Takes the client by value so that the future is the caller's `send()` future itself.
pub(crate) async fn dismiss(client: Client, request: DismissRequest) -> Result<Dismissed, Error> {
    let client = &client;
    let budget = Budget::start(client, request.overrides)?;
    let credentials = client.credentials();
    let validated = request.validate(credentials.open_id())?;
    let mut sub_meeting_id = None;
    let kind = if validated.lookup {
        // Boxed: only some calls look up, and the look-up's future is large.
        let meeting = Box::pin(lookup(client, &validated.call, &budget)).await?;
        check_looked_up(validated.call.meeting_id.as_str(), &meeting)?;
        if matches!(meeting.kind(), MeetingKind::Recurring { .. }) {
            sub_meeting_id = meeting.current_sub_meeting_id().map(str::to_string);
        }
        Some(meeting.kind())
    } else {
        validated.kind
    };
    let before_send = validated.before_send.clone();
    let planned = validated.plan(kind)?;
    let meeting_id = &planned.call.meeting_id;
    // The body built and checked here goes out with the first attempt; a retry builds it again
    // from the same checked plan, so the usual single attempt copies nothing.
    let mut first_body = Some(planned.body()?);
    let attempted = client
        .attempt(
            "dismiss_meeting",
            meeting_id.as_str(),
            &budget,
            || {
                let body = first_body.take().map_or_else(|| planned.body(), Ok);
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
            before_send.as_ref(),
        )
        .await;
    let attempts = attempted.attempts;
    // Set whenever an attempt left, which every outcome but a failure needs.
    let sent_at = attempted.first_sent.unwrap_or_else(SystemTime::now);
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
    let dismissed = Dismissed::new(
        // The checked ID itself, not a copy: the plan is not needed any more.
        String::from(planned.call.meeting_id),
        planned.kind,
        planned.retrieve_code,
        planned.retrieve_code_overridden,
        attempts,
        evidence,
        sent_at,
    );
    Ok(dismissed.of_sub_meeting(sub_meeting_id))
}

/// Validates, stamps and signs `request` exactly as [`dismiss`] would, without sending it.
pub(crate) async fn prepare(
    client: &Client,
    request: DismissRequest,
) -> Result<PreparedRequest, Error> {
    let credentials = client.credentials();
    let validated = request.validate(credentials.open_id())?;
    let kind = validated.kind;
    let planned = validated.plan(kind)?;
    let body = planned.body()?;
    let meeting_id = planned.call.meeting_id.clone();
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
            meeting.status().cloned(),
        ));
    }
    Ok(())
}

/// After an attempt that may have taken effect, the service answered "already ended": looks the
/// meeting up, and takes the dismiss as done only when the look-up shows the meeting ended
/// ([`Meeting::has_ended`]). Anything else leaves the outcome unknown.
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
