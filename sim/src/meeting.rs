//! Meetings as the admin API and the handle see them: what to create ([`MeetingSpec`]) and what
//! the simulator holds ([`MeetingView`]), in the shape of one `meeting_info_list` entry.

use serde::{Deserialize, Serialize};
use tencent_meeting::MeetingStatus;

/// One sub-meeting of a recurring meeting.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubMeeting {
    /// The sub-meeting ID (a shorter ID space than master IDs). Dismissing it is refused (9002).
    pub sub_meeting_id: String,
    /// 0 exists, 1 deleted.
    #[serde(default)]
    pub status: i32,
    /// Start time, unix seconds as a string.
    #[serde(default)]
    pub start_time: String,
    /// End time, unix seconds as a string.
    #[serde(default)]
    pub end_time: String,
}

impl SubMeeting {
    /// A sub-meeting that exists, with no times.
    pub fn new(sub_meeting_id: impl Into<String>) -> Self {
        Self {
            sub_meeting_id: sub_meeting_id.into(),
            ..Self::default()
        }
    }
}

/// A meeting to create (admin `POST /_sim/meetings`, [`crate::Simulator::create_meeting`], seed
/// files). Every field but `creator_userid` is optional.
///
/// A recurring meeting (`meeting_type` 1) lists its sub-meetings in order; the current one (in
/// progress, or next) is `current_sub_meeting_id`, by default the first not deleted, and those
/// listed before it were held already. `remain_sub_meetings` counts the sub-meetings still to
/// come after the current one: by default those listed after it; more than that makes the
/// simulator generate the rest, which the look-up leaves out of its list
/// (`has_more_sub_meeting` 1) until their turn comes.
///
/// ```
/// use tencent_meeting::MeetingStatus;
/// use tencent_meeting_sim::MeetingSpec;
///
/// let quick = MeetingSpec::new("alice").quick();
/// let recurring = MeetingSpec::new("bob").recurring(["1700000000", "1700086400"], 1);
/// // Ten more to come than listed; the look-up does not say how many remain.
/// let long = MeetingSpec::new("bob").recurring(["1800000000"], 10).without_remain_sub_meetings();
/// let ended = MeetingSpec::new("carol").id("15434747088712431484").status(MeetingStatus::Ended);
/// assert_eq!(ended.meeting_id.as_deref(), Some("15434747088712431484"));
/// // Created by the open_id "dave", not by a userid "dave".
/// let by_open_id = MeetingSpec::new("dave").creator_id_type(2);
/// # let _ = (quick, recurring, long, by_open_id);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MeetingSpec {
    /// The meeting ID, decimal digits. Generated when absent: 19 or 20 digits, always above
    /// `i64::MAX`, so a client that parses IDs as `i64` fails at once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meeting_id: Option<String>,
    /// Who created the meeting: the only identity allowed to dismiss it. For a meeting created
    /// through OAuth2.0, the creator's open id.
    pub creator_userid: String,
    /// What kind of ID `creator_userid` is, as `operator_id_type` numbers them: 1 userid, 2
    /// open_id, 4 ms_open_id. Default: 2 for a meeting created through OAuth2.0, else 1. Only
    /// an operator of the same kind and ID may dismiss it: the open_id "alice" is not the
    /// userid "alice".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub creator_id_type: Option<i32>,
    /// 0 scheduled, 1 quick meeting (快速会议).
    #[serde(rename = "type", default)]
    pub meeting_kind: i32,
    /// 0 one-time, 1 recurring, 2 WeChat-exclusive, 3 Rooms screen-cast, 5 personal meeting ID,
    /// 6 webinar.
    #[serde(default)]
    pub meeting_type: i32,
    /// The state (default in progress, `MEETING_STATE_STARTED`). A state the service does not
    /// document ([`MeetingStatus::Unknown`]) is refused.
    #[serde(default = "in_progress")]
    pub status: MeetingStatus,
    /// The subject (default "Simulated meeting").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// The meeting code (generated, 9 digits, when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meeting_code: Option<String>,
    /// Start time, unix seconds as a string (default: the simulator clock at creation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_time: Option<String>,
    /// End time, unix seconds as a string (default: an hour after the start).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_time: Option<String>,
    /// A recurring meeting's sub-meetings.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sub_meetings: Vec<SubMeeting>,
    /// How many sub-meetings are still to come after the current one (recurring meetings).
    /// Default: as many as are listed after it (not deleted). Those beyond the listed ones are
    /// generated (at most [`MAX_GENERATED_SUB_MEETINGS`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remain_sub_meetings: Option<u32>,
    /// The look-up leaves `remain_sub_meetings` out, as the service sometimes does: a client
    /// must then tell from `has_more_sub_meeting` and `sub_meetings`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub omit_remain_sub_meetings: bool,
    /// The sub-meeting in progress or next (default: the first listed that is not deleted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_sub_meeting_id: Option<String>,
    /// Whether the meeting was created through OAuth2.0: only such meetings may be dismissed by
    /// OAuth2.0 callers.
    #[serde(default)]
    pub created_via_oauth: bool,
}

fn in_progress() -> MeetingStatus {
    MeetingStatus::Started
}

impl Default for MeetingSpec {
    /// A scheduled one-time meeting in progress, with no creator (which creation refuses).
    fn default() -> Self {
        Self {
            meeting_id: None,
            creator_userid: String::new(),
            creator_id_type: None,
            meeting_kind: 0,
            meeting_type: 0,
            status: in_progress(),
            subject: None,
            meeting_code: None,
            start_time: None,
            end_time: None,
            sub_meetings: Vec::new(),
            remain_sub_meetings: None,
            omit_remain_sub_meetings: false,
            current_sub_meeting_id: None,
            created_via_oauth: false,
        }
    }
}

impl MeetingSpec {
    /// A scheduled one-time meeting in progress, created by `creator_userid`.
    pub fn new(creator_userid: impl Into<String>) -> Self {
        Self {
            creator_userid: creator_userid.into(),
            ..Self::default()
        }
    }

    /// Sets the meeting ID.
    pub fn id(mut self, meeting_id: impl Into<String>) -> Self {
        self.meeting_id = Some(meeting_id.into());
        self
    }

    /// Makes it a quick meeting (`type` 1), whose code is always reclaimed.
    pub fn quick(mut self) -> Self {
        self.meeting_kind = 1;
        self
    }

    /// Makes it a recurring meeting (`meeting_type` 1) with these sub-meeting IDs and
    /// `remain_sub_meetings` still to come.
    pub fn recurring<I, S>(mut self, sub_meeting_ids: I, remain_sub_meetings: u32) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.meeting_type = 1;
        self.sub_meetings = sub_meeting_ids.into_iter().map(SubMeeting::new).collect();
        self.remain_sub_meetings = Some(remain_sub_meetings);
        self
    }

    /// Sets the state.
    pub fn status(mut self, status: MeetingStatus) -> Self {
        self.status = status;
        self
    }

    /// Sets the subject.
    pub fn subject(mut self, subject: impl Into<String>) -> Self {
        self.subject = Some(subject.into());
        self
    }

    /// Sets the meeting code.
    pub fn meeting_code(mut self, code: impl Into<String>) -> Self {
        self.meeting_code = Some(code.into());
        self
    }

    /// Marks it as created through OAuth2.0 (set `creator_userid` to the creator's open id).
    pub fn created_via_oauth(mut self) -> Self {
        self.created_via_oauth = true;
        self
    }

    /// Says what kind of ID the creator's is: 1 userid, 2 open_id, 4 ms_open_id.
    pub fn creator_id_type(mut self, id_type: i32) -> Self {
        self.creator_id_type = Some(id_type);
        self
    }

    /// Makes the look-up leave `remain_sub_meetings` out, as the service sometimes does.
    pub fn without_remain_sub_meetings(mut self) -> Self {
        self.omit_remain_sub_meetings = true;
        self
    }

    /// Sets the current sub-meeting (those listed before it were held already).
    pub fn current_sub_meeting(mut self, sub_meeting_id: impl Into<String>) -> Self {
        self.current_sub_meeting_id = Some(sub_meeting_id.into());
        self
    }
}

/// The most sub-meetings the simulator generates for a [`MeetingSpec`] whose
/// `remain_sub_meetings` exceeds those it lists.
pub const MAX_GENERATED_SUB_MEETINGS: u32 = 1000;

/// How a meeting was dismissed: the request's parameters, as the simulator received them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DismissRecord {
    /// The operator ID (`userid` or `operator_id`).
    pub operator: String,
    /// `operator_id_type`, or `None` for the `userid` form.
    pub operator_id_type: Option<i32>,
    /// Whether the caller used OAuth2.0.
    pub via_oauth: bool,
    /// `instanceid`.
    pub instanceid: i32,
    /// `reason_code`.
    pub reason_code: i32,
    /// `reason_detail`.
    pub reason_detail: Option<String>,
    /// `force_dismiss_meeting` as received (1 when absent).
    pub force_dismiss_meeting: i32,
    /// `retrieve_code` as received (0 when absent).
    pub retrieve_code: i32,
}

/// A meeting as the simulator holds it (admin `GET /_sim/meetings/{id}`,
/// [`crate::Simulator::meeting`]): the `meeting_info_list` fields plus what tests observe.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MeetingView {
    /// The meeting ID (the master ID of a recurring meeting).
    pub meeting_id: String,
    /// The meeting code.
    pub meeting_code: String,
    /// The subject.
    pub subject: String,
    /// 0 scheduled, 1 quick.
    #[serde(rename = "type")]
    pub meeting_kind: i32,
    /// 0 one-time, 1 recurring, …
    pub meeting_type: i32,
    /// The state (the client crate's [`MeetingStatus`]: one type for both).
    pub status: MeetingStatus,
    /// Start time, unix seconds as a string.
    pub start_time: String,
    /// End time, unix seconds as a string.
    pub end_time: String,
    /// A recurring meeting's sub-meetings not held yet, as the look-up lists them: the current
    /// one first, then those listed after it.
    #[serde(default)]
    pub sub_meetings: Vec<SubMeeting>,
    /// Later sub-meetings the look-up leaves out of its list; one moves into `sub_meetings`
    /// when the listed ones are used up.
    #[serde(default)]
    pub unlisted_sub_meetings: Vec<SubMeeting>,
    /// Sub-meetings held (or, deleted, passed over), in order.
    #[serde(default)]
    pub past_sub_meetings: Vec<SubMeeting>,
    /// 1 while `unlisted_sub_meetings` is not empty: the look-up's list is not complete.
    #[serde(default)]
    pub has_more_sub_meeting: i32,
    /// How many sub-meetings are still to come after the current one, listed or not (deleted
    /// ones not counted).
    #[serde(default)]
    pub remain_sub_meetings: u32,
    /// Whether the look-up leaves `remain_sub_meetings` out.
    #[serde(default)]
    pub omit_remain_sub_meetings: bool,
    /// The sub-meeting in progress or next: the first of `sub_meetings`. `None` once the last
    /// one was held.
    #[serde(default)]
    pub current_sub_meeting_id: Option<String>,
    /// The creator, the only identity allowed to dismiss it.
    pub creator_userid: String,
    /// What kind of ID `creator_userid` is: 1 userid, 2 open_id, 4 ms_open_id.
    #[serde(default = "userid_type")]
    pub creator_id_type: i32,
    /// Whether it was created through OAuth2.0.
    pub created_via_oauth: bool,
    /// Whether its code was reclaimed by a dismiss (`retrieve_code` 1, or any quick meeting).
    pub code_reclaimed: bool,
    /// Whether a dismiss reclaimed the code of a recurring meeting with sub-meetings still to
    /// come, so they cannot run: the damage the client's validation prevents. The meeting then
    /// shows `MEETING_STATE_RECYCLED`, with the later sub-meetings still listed.
    pub sub_meetings_blocked: bool,
    /// How many dismisses it accepted: at most 1 for a one-time or quick meeting; for a
    /// recurring meeting, one per sub-meeting ended.
    pub dismiss_count: u32,
    /// The dismiss that ended it, if one did.
    #[serde(default)]
    pub last_dismiss: Option<DismissRecord>,
}

fn userid_type() -> i32 {
    1
}

impl MeetingView {
    /// Whether it is a quick meeting (`type` 1).
    pub fn is_quick(&self) -> bool {
        self.meeting_kind == 1
    }

    /// Whether it is a recurring meeting (`meeting_type` 1).
    pub fn is_recurring(&self) -> bool {
        self.meeting_type == 1
    }
}
