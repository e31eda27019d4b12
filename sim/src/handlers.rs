//! The service's rules for the two endpoints, applied to an authenticated caller and validated
//! parameters: `POST /v1/meetings/{id}/dismiss` and `GET /v1/meetings/{id}`.

use serde::Serialize;

use crate::api_error::{ApiError, codes};
use crate::auth::Caller;
use crate::meeting::{DismissRecord, MeetingStatus, MeetingView, SubMeeting};
use crate::params::{DismissParams, LookupParams, Operator};
use crate::state::MeetingStore;

/// How a dismiss changed a meeting (for logs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Dismissal {
    pub code_reclaimed: bool,
    pub sub_meetings_blocked: bool,
}

/// Dismisses the meeting `meeting_id`, checking and changing it under its lock, so a meeting
/// ends at most once however many requests race.
///
/// In order: an OAuth2.0 caller acts only as itself (9042); unknown ID (9003) or sub-meeting ID
/// (9002, naming the master ID); an OAuth2.0 caller on a meeting not created through OAuth2.0
/// (9042); not the creator (9042); cancelled (9007); any other state but started (13603).
pub(crate) fn dismiss(
    store: &MeetingStore,
    caller: &Caller,
    meeting_id: &str,
    params: &DismissParams,
) -> Result<Dismissal, ApiError> {
    check_oauth_operator(caller, &params.operator)?;
    let via_oauth = matches!(caller, Caller::OAuth { .. });
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
        check_in_progress(m)?;
        // The service always reclaims a quick meeting's code, whatever retrieve_code says.
        let code_reclaimed = params.retrieve_code == 1 || m.is_quick();
        // The page: reclaiming a recurring meeting's code while sub-meetings remain stops them
        // from running. The service accepts it; the simulator records the damage.
        let sub_meetings_blocked = m.is_recurring() && code_reclaimed && m.remain_sub_meetings > 0;
        m.status = MeetingStatus::Ended;
        m.code_reclaimed = code_reclaimed;
        m.sub_meetings_blocked = sub_meetings_blocked;
        m.dismiss_count += 1;
        m.last_dismiss = Some(DismissRecord {
            operator: params.operator.id.clone(),
            operator_id_type: params.operator.id_type,
            via_oauth,
            instanceid: params.instanceid,
            reason_code: params.reason_code,
            reason_detail: params.reason_detail.clone(),
            force_dismiss_meeting: params.force_dismiss_meeting,
            retrieve_code: params.retrieve_code,
        });
        Ok(Dismissal {
            code_reclaimed,
            sub_meetings_blocked,
        })
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

fn check_in_progress(m: &MeetingView) -> Result<(), ApiError> {
    match m.status {
        MeetingStatus::Started => Ok(()),
        MeetingStatus::Cancelled => Err(ApiError::new(
            codes::MEETING_CANCELLED,
            format!("meeting {} was cancelled", m.meeting_id),
        )),
        other => Err(ApiError::new(
            codes::NOT_IN_PROGRESS,
            format!(
                "meeting {} already ended or is not in progress (status {other})",
                m.meeting_id
            ),
        )),
    }
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
    status: MeetingStatus,
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
            status: m.status,
            start_time: &m.start_time,
            end_time: &m.end_time,
            sub_meetings: recurring.then_some(m.sub_meetings.as_slice()),
            has_more_sub_meeting: recurring.then_some(m.has_more_sub_meeting),
            remain_sub_meetings: recurring.then_some(m.remain_sub_meetings),
            current_sub_meeting_id: m.current_sub_meeting_id.as_deref().filter(|_| recurring),
        }
    }
}
