//! `GET /v1/meetings/{meetingId}`: what kind of meeting an ID names, and whether it is running.

use std::time::Duration;

use tencent_meeting_openapi::types;

use crate::call::{Budget, Call, Identity, Outcome, Overrides, final_error};
use crate::client::Client;
use crate::error::{ApiError, Error};
use crate::instance::Instance;
use crate::kind::MeetingKind;
use crate::operator::Operator;
use crate::retry::RetryPolicy;
use crate::status::MeetingStatus;

/// The service's code for a meeting that does not exist.
const NOT_FOUND: i64 = 9003;

/// A look-up, configured by chained calls and run by [`GetMeeting::send`].
#[derive(Debug, Clone)]
#[must_use = "a look-up does nothing until .send() is awaited"]
pub struct GetMeeting {
    client: Client,
    meeting_id: String,
    identity: Identity,
    overrides: Overrides,
}

/// A meeting as the look-up reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Meeting {
    meeting_id: Option<String>,
    meeting_code: Option<String>,
    subject: Option<String>,
    kind: MeetingKind,
    status: Option<MeetingStatus>,
    current_sub_meeting_id: Option<String>,
    type_: Option<i32>,
    meeting_type: Option<i32>,
}

impl Meeting {
    fn from_info(info: types::MeetingInfo) -> Self {
        let kind = if info.type_ == Some(1) {
            MeetingKind::Quick
        } else if info.meeting_type == Some(1) {
            MeetingKind::recurring(remaining_sub_meetings(&info))
        } else {
            MeetingKind::OneTime
        };
        Self {
            meeting_id: info.meeting_id,
            meeting_code: info.meeting_code,
            subject: info.subject,
            kind,
            status: info.status.map(|s| MeetingStatus::from_service(&s)),
            current_sub_meeting_id: info.current_sub_meeting_id,
            type_: info.type_,
            meeting_type: info.meeting_type,
        }
    }

    /// The meeting ID the service reports; for a recurring meeting, the master ID. It differs from
    /// the ID looked up when that was a sub-meeting ID.
    pub fn meeting_id(&self) -> Option<&str> {
        self.meeting_id.as_deref()
    }

    /// The meeting code participants dial in with.
    pub fn meeting_code(&self) -> Option<&str> {
        self.meeting_code.as_deref()
    }

    /// The subject.
    pub fn subject(&self) -> Option<&str> {
        self.subject.as_deref()
    }

    /// One-time, quick or recurring, from `type` and `meeting_type`. Kinds the dismiss rules do
    /// not distinguish (webinar, personal meeting ID, values this crate does not know) count as
    /// one-time; [`Self::raw_type`] and [`Self::raw_meeting_type`] keep what the service sent.
    pub fn kind(&self) -> MeetingKind {
        self.kind
    }

    /// The state, when the service reported one.
    pub fn status(&self) -> Option<&MeetingStatus> {
        self.status.as_ref()
    }

    /// The sub-meeting in progress or next, for a recurring meeting.
    pub fn current_sub_meeting_id(&self) -> Option<&str> {
        self.current_sub_meeting_id.as_deref()
    }

    /// `type` as sent: 0 scheduled, 1 quick.
    pub fn raw_type(&self) -> Option<i32> {
        self.type_
    }

    /// `meeting_type` as sent: 0 one-time, 1 recurring, 2 WeChat-exclusive, 3 Rooms screen-cast,
    /// 5 personal meeting ID, 6 webinar.
    pub fn raw_meeting_type(&self) -> Option<i32> {
        self.meeting_type
    }

    /// Whether the meeting is in progress (the only state it can be dismissed in).
    pub fn in_progress(&self) -> bool {
        self.status == Some(MeetingStatus::Started)
    }

    /// Whether the meeting has ended: its state is over ([`MeetingStatus::is_over`]:
    /// `MEETING_STATE_ENDED` or `_RECYCLED`); for a recurring meeting also `_INIT`, its state
    /// between sub-meetings once one has been dismissed. `_NULL` is not (never started).
    pub fn has_ended(&self) -> bool {
        match &self.status {
            Some(MeetingStatus::Init) => matches!(self.kind, MeetingKind::Recurring { .. }),
            Some(status) => status.is_over(),
            None => false,
        }
    }
}

/// How many sub-meetings of a recurring meeting are still to come: `remain_sub_meetings` when
/// the service sent it; otherwise counted from `sub_meetings` after the current one, when the
/// list is complete (`has_more_sub_meeting` 0) and names the current one; else unknown.
fn remaining_sub_meetings(info: &types::MeetingInfo) -> Option<u32> {
    if let Some(n) = info.remain_sub_meetings {
        return Some(n.max(0) as u32);
    }
    if info.has_more_sub_meeting != Some(0) {
        return None;
    }
    let current = info.current_sub_meeting_id.as_deref()?;
    let position = info
        .sub_meetings
        .iter()
        .position(|s| s.sub_meeting_id.as_deref() == Some(current))?;
    let after = info.sub_meetings[position + 1..]
        .iter()
        .filter(|s| s.status != Some(1)) // 1: deleted
        .count();
    u32::try_from(after).ok()
}

impl GetMeeting {
    pub(crate) fn new(client: Client, meeting_id: String) -> Self {
        Self {
            client,
            meeting_id,
            identity: Identity::default(),
            overrides: Overrides::default(),
        }
    }

    /// Who looks the meeting up. With OAuth2.0 credentials it defaults to the open id.
    pub fn operator(mut self, operator: Operator) -> Self {
        self.identity.set_operator(operator);
        self
    }

    /// The operator's device type.
    pub fn instance(mut self, instance: Instance) -> Self {
        self.identity.set_instance(Ok(instance));
        self
    }

    /// The operator's device type as a raw `instanceid`, checked when the call is sent.
    pub fn instance_id(mut self, instanceid: i32) -> Self {
        self.identity.set_instance(Instance::try_from(instanceid));
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

    /// The most this call may take, attempts and waits included, instead of the client's.
    pub fn deadline(mut self, deadline: Duration) -> Self {
        self.overrides.deadline = Some(deadline);
        self
    }

    /// Looks the meeting up. The look-up is read-only, so every retryable failure is retried.
    pub async fn send(self) -> Result<Meeting, Error> {
        let Self {
            client,
            meeting_id,
            identity,
            overrides,
        } = self;
        let budget = Budget::start(&client, overrides)?;
        let credentials = client.credentials();
        let call = Call::new(credentials.open_id(), meeting_id, identity)?;
        lookup(&client, &call, &budget).await
    }
}

/// Runs the look-up for a validated call, within `budget`.
pub(crate) async fn lookup(
    client: &Client,
    call: &Call,
    budget: &Budget,
) -> Result<Meeting, Error> {
    let attempted = client
        .attempt(
            "get_meeting",
            call.meeting_id.as_str(),
            budget,
            || async move {
                let api = client.api();
                let request = api
                    .get_meeting()
                    .meeting_id(call.meeting_id.clone())
                    .instanceid(i32::from(call.instance));
                let request = match call.operator.operator_id_type() {
                    None => request.userid(call.operator.id()),
                    Some(kind) => request
                        .operator_id(call.operator.id())
                        .operator_id_type(kind),
                };
                request.send().await.map(|rv| rv.into_inner())
            },
            |_| false,
            None,
        )
        .await;
    let found = match attempted.outcome {
        Outcome::Answered { value, answer } => (value, answer),
        // A look-up changes nothing, so an attempt's unknown outcome does not matter.
        Outcome::Failed { error, .. } => {
            return Err(final_error(error, attempted.attempts, false, budget));
        }
        Outcome::AlreadyDoneAfterUnknown(api) => {
            return Err(final_error(api.into(), attempted.attempts, false, budget));
        }
    };
    let (found, answer) = found;
    match found.meeting_info_list.into_iter().next() {
        Some(info) => Ok(Meeting::from_info(info)),
        // One shape for a missing meeting, whoever found it missing: the service's own code for
        // it, with this answer's status and trace id.
        None => {
            let mut missing = ApiError::new(
                answer.status,
                NOT_FOUND,
                format!(
                    "the look-up of meeting {} listed no meeting",
                    call.meeting_id.as_str()
                ),
            );
            missing.trace_id = answer.trace_id;
            Err(final_error(
                missing.into(),
                attempted.attempts,
                false,
                budget,
            ))
        }
    }
}
