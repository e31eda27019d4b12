//! `GET /v1/meetings/{meetingId}`: what kind of meeting an ID names, and whether it is running.

use tencent_meeting_openapi::types;

use crate::call::{Call, Identity};
use crate::client::Client;
use crate::error::Error;
use crate::instance::Instance;
use crate::kind::MeetingKind;
use crate::operator::Operator;

pub use tencent_meeting_openapi::types::MeetingStatus;

/// A look-up, configured by chained calls and run by [`GetMeeting::send`].
#[derive(Debug, Clone)]
#[must_use = "a look-up does nothing until .send() is awaited"]
pub struct GetMeeting {
    client: Client,
    meeting_id: String,
    identity: Identity,
}

/// A meeting as the look-up reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct Meeting {
    /// The meeting ID the service reports; for a recurring meeting, the master ID. It differs from
    /// the ID looked up when that was a sub-meeting ID.
    pub meeting_id: Option<String>,
    /// The meeting code participants dial in with.
    pub meeting_code: Option<String>,
    /// The subject.
    pub subject: Option<String>,
    /// One-time, quick or recurring, from `type` and `meeting_type`. Kinds the dismiss rules do
    /// not distinguish (webinar, personal meeting ID, …) count as one-time.
    pub kind: MeetingKind,
    /// The status; `MEETING_STATE_STARTED` is in progress.
    pub status: Option<MeetingStatus>,
    /// The sub-meeting in progress or next, for a recurring meeting.
    pub current_sub_meeting_id: Option<String>,
    /// Everything the service sent that the client decodes.
    pub raw: types::MeetingInfo,
}

impl Meeting {
    fn from_info(info: types::MeetingInfo) -> Self {
        let kind = if info.type_.as_ref().map(|t| **t) == Some(1) {
            MeetingKind::Quick
        } else if info.meeting_type == Some(1) {
            MeetingKind::Recurring {
                remaining_sub_meetings: info
                    .remain_sub_meetings
                    .map(|n| n.max(0) as u32)
                    .unwrap_or(0),
            }
        } else {
            MeetingKind::OneTime
        };
        Self {
            meeting_id: info.meeting_id.clone(),
            meeting_code: info.meeting_code.clone(),
            subject: info.subject.clone(),
            kind,
            status: info.status,
            current_sub_meeting_id: info.current_sub_meeting_id.clone(),
            raw: info,
        }
    }

    /// Whether the meeting is in progress (the only state it can be dismissed in).
    pub fn in_progress(&self) -> bool {
        self.status == Some(MeetingStatus::MeetingStateStarted)
    }
}

impl GetMeeting {
    pub(crate) fn new(client: Client, meeting_id: String) -> Self {
        Self {
            client,
            meeting_id,
            identity: Identity::default(),
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

    /// Looks the meeting up. The look-up is read-only, so every retryable failure is retried.
    pub async fn send(self) -> Result<Meeting, Error> {
        let Self {
            client,
            meeting_id,
            identity,
        } = self;
        let call = Call::new(&client, meeting_id, identity)?;
        lookup(&client, &call).await
    }
}

/// Runs the look-up for a validated call.
pub(crate) async fn lookup(client: &Client, call: &Call) -> Result<Meeting, Error> {
    let found = client
        .with_retries("get_meeting", call.meeting_id.as_str(), || async move {
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
        })
        .await?;
    let info = found
        .value
        .meeting_info_list
        .into_iter()
        .next()
        .ok_or_else(|| crate::error::Refusal::NotFound {
            meeting_id: call.meeting_id.to_string(),
        })?;
    Ok(Meeting::from_info(info))
}
