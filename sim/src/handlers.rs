//! The service's rules for the two endpoints, applied to an authenticated caller and validated
//! parameters: `POST /v1/meetings/{id}/dismiss` and `GET /v1/meetings/{id}`.

use serde::Serialize;

use crate::api_error::{ApiError, codes};
use crate::auth::Caller;
use crate::lifecycle::Dismissal;
use tencent_meeting::MeetingStatus;

use crate::meeting::{DismissRecord, MeetingView, SubMeeting};
use crate::params::{DismissParams, LookupParams, Operator};
use crate::state::{MS_OPEN_ID, MeetingStore, OPEN_ID, USERID};

/// Dismisses the meeting `meeting_id`, checking and changing it under its lock, so a meeting
/// (or a recurring meeting's sub-meeting) ends at most once however many requests race.
///
/// In order: an OAuth2.0 caller acts only as itself (9042); unknown ID (9003) or sub-meeting ID
/// (9002, naming the master ID); an OAuth2.0 caller on a meeting not created through OAuth2.0
/// (9042); not the creator, by ID and kind of ID (9042); cancelled (9007); ended or recycled
/// (13603); not started (9003).
pub(crate) fn dismiss(
    store: &MeetingStore,
    caller: &Caller,
    meeting_id: &str,
    params: &DismissParams,
) -> Result<Dismissal, ApiError> {
    check_oauth_operator(caller, &params.operator)?;
    let via_oauth = matches!(caller, Caller::OAuth { .. });
    // The `userid` form names a userid for enterprise callers, the open id for OAuth2.0 ones.
    let operator_type = params
        .operator
        .id_type
        .unwrap_or(if via_oauth { OPEN_ID } else { USERID });
    let outcome = store.update(meeting_id, |m| {
        if via_oauth && !m.created_via_oauth {
            return Err(ApiError::new(
                codes::NO_PERMISSION,
                "OAuth2.0 callers may only dismiss meetings created through OAuth2.0",
            ));
        }
        if params.operator.id != m.creator_userid {
            return Err(ApiError::new(
                codes::NO_PERMISSION,
                "no permission: only the meeting's creator can dismiss it",
            ));
        }
        if operator_type != m.creator_id_type {
            return Err(ApiError::new(
                codes::NO_PERMISSION,
                format!(
                    "no permission: only the meeting's creator can dismiss it (the operator is {}, a different user than the creator's {})",
                    id_kind(operator_type),
                    id_kind(m.creator_id_type)
                ),
            ));
        }
        check_in_progress(m)?;
        // The service always reclaims a quick meeting's code, whatever retrieve_code says.
        let code_reclaimed = params.retrieve_code == 1 || m.is_quick();
        let record = DismissRecord {
            operator: params.operator.id.clone(),
            operator_id_type: params.operator.id_type,
            via_oauth,
            instanceid: params.instanceid,
            reason_code: params.reason_code,
            reason_detail: params.reason_detail.clone(),
            force_dismiss_meeting: params.force_dismiss_meeting,
            retrieve_code: params.retrieve_code,
        };
        Ok(m.end(record, code_reclaimed))
    });
    match outcome {
        Some(result) => result,
        None => Err(match store.master_of(meeting_id) {
            Some(master) => ApiError::new(
                codes::MEETING_ID_ERROR,
                format!(
                    "meeting id error: {meeting_id} is a sub-meeting of recurring meeting {master}; dismiss it by the master meeting ID {master}"
                ),
            ),
            None => not_found(meeting_id),
        }),
    }
}

/// How an `operator_id_type` reads in a message.
fn id_kind(id_type: i32) -> &'static str {
    match id_type {
        USERID => "a userid",
        OPEN_ID => "an open_id",
        MS_OPEN_ID => "an ms_open_id",
        _ => "an ID of another kind",
    }
}

/// Looks the meeting up; a sub-meeting ID answers its master meeting (whose `meeting_id`
/// differs from the ID asked for). Answers the JSON body.
pub(crate) fn lookup(
    store: &MeetingStore,
    caller: &Caller,
    meeting_id: &str,
    params: &LookupParams,
) -> Result<Vec<u8>, ApiError> {
    check_oauth_operator(caller, &params.operator)?;
    let meeting = store
        .get(meeting_id)
        .or_else(|| {
            store
                .master_of(meeting_id)
                .and_then(|master| store.get(&master))
        })
        .ok_or_else(|| not_found(meeting_id))?;
    let answer = LookupAnswer {
        meeting_number: 1,
        meeting_info_list: [MeetingInfo::from(&meeting)],
    };
    serde_json::to_vec(&answer).map_err(|e| {
        ApiError::new(
            codes::NETWORK_960000,
            format!("could not encode the answer: {e}"),
        )
    })
}

/// An OAuth2.0 caller acts only as its own open id: as `userid`, or `operator_id` with
/// `operator_id_type` 2.
fn check_oauth_operator(caller: &Caller, operator: &Operator) -> Result<(), ApiError> {
    if let Caller::OAuth { open_id, .. } = caller {
        let as_self = operator.id == *open_id && matches!(operator.id_type, None | Some(2));
        if !as_self {
            return Err(ApiError::new(
                codes::NO_PERMISSION,
                "with OAuth2.0 the operator must be the caller's own open id (userid, or operator_id with operator_id_type 2)",
            ));
        }
    }
    Ok(())
}

/// Only a meeting in progress can be dismissed. The codes for the other states are choices
/// (see the crate docs): 9007 cancelled, 13603 ended or recycled, 9003 not started.
fn check_in_progress(m: &MeetingView) -> Result<(), ApiError> {
    let id = &m.meeting_id;
    let (code, message) = match &m.status {
        MeetingStatus::Started => return Ok(()),
        // The one meaning of "ended" (`MeetingStatus::is_over`): answered 13603.
        over if over.is_over() => (
            codes::ALREADY_ENDED,
            if *over == MeetingStatus::Recycled {
                format!("meeting {id} already ended: its meeting code was reclaimed")
            } else {
                format!("meeting {id} already ended")
            },
        ),
        MeetingStatus::Cancelled => (
            codes::MEETING_CANCELLED,
            format!("meeting {id} was cancelled"),
        ),
        MeetingStatus::Init => match &m.current_sub_meeting_id {
            Some(sub) if m.is_recurring() => (
                codes::NOT_STARTED,
                format!(
                    "meeting {id} is not in progress: its next sub-meeting {sub} has not started (MEETING_STATE_INIT)"
                ),
            ),
            _ => (
                codes::NOT_STARTED,
                format!("meeting {id} is not in progress: it has not started (MEETING_STATE_INIT)"),
            ),
        },
        MeetingStatus::Null => (
            codes::NOT_STARTED,
            format!("meeting {id} is not in progress: it never started (MEETING_STATE_NULL)"),
        ),
        // Creation refuses states the service does not document; a new one the client crate
        // learns is not one a meeting can be dismissed in either.
        other => (
            codes::NOT_STARTED,
            format!("meeting {id} is not a valid meeting ({other})"),
        ),
    };
    Err(ApiError::new(code, message))
}

fn not_found(meeting_id: &str) -> ApiError {
    ApiError::new(
        codes::MEETING_NOT_FOUND,
        format!("meeting {meeting_id} does not exist"),
    )
}

#[derive(Serialize)]
struct LookupAnswer<'a> {
    meeting_number: u32,
    meeting_info_list: [MeetingInfo<'a>; 1],
}

/// One `meeting_info_list` entry. The sub-meeting fields are sent for recurring meetings only.
#[derive(Serialize)]
struct MeetingInfo<'a> {
    meeting_id: &'a str,
    meeting_code: &'a str,
    subject: &'a str,
    #[serde(rename = "type")]
    meeting_kind: i32,
    meeting_type: i32,
    status: &'a MeetingStatus,
    start_time: &'a str,
    end_time: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    sub_meetings: Option<&'a [SubMeeting]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    has_more_sub_meeting: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    remain_sub_meetings: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    current_sub_meeting_id: Option<&'a str>,
}

impl<'a> From<&'a MeetingView> for MeetingInfo<'a> {
    fn from(m: &'a MeetingView) -> Self {
        let recurring = m.is_recurring();
        Self {
            meeting_id: &m.meeting_id,
            meeting_code: &m.meeting_code,
            subject: &m.subject,
            meeting_kind: m.meeting_kind,
            meeting_type: m.meeting_type,
            status: &m.status,
            start_time: &m.start_time,
            end_time: &m.end_time,
            sub_meetings: recurring.then_some(m.sub_meetings.as_slice()),
            has_more_sub_meeting: recurring.then_some(m.has_more_sub_meeting),
            remain_sub_meetings: (recurring && !m.omit_remain_sub_meetings)
                .then_some(m.remain_sub_meetings),
            current_sub_meeting_id: m.current_sub_meeting_id.as_deref().filter(|_| recurring),
        }
    }
}
