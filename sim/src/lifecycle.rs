//! How a meeting changes state: a dismiss ends it, and the admin API starts a scheduled one.
//!
//! A recurring meeting's dismiss ends only its current sub-meeting: the next one becomes
//! current, scheduled (`MEETING_STATE_INIT`), and `remain_sub_meetings` counts one fewer. When
//! the dismiss also reclaimed the code, the later sub-meetings can never run: the meeting shows
//! `MEETING_STATE_RECYCLED`, with them still listed. After the last sub-meeting it is ended.

use tencent_meeting::MeetingStatus;

use crate::meeting::{DismissRecord, MeetingView};

/// What a committed dismiss changed: what anything that follows a dismiss (stats, logs, a
/// webhook) needs to know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Dismissal {
    /// The meeting dismissed (a recurring meeting's master ID).
    pub meeting_id: String,
    /// The sub-meeting that ended, for a recurring meeting.
    pub sub_meeting_id: Option<String>,
    /// Whether the code was reclaimed (`retrieve_code` 1, or any quick meeting).
    pub code_reclaimed: bool,
    /// Whether reclaiming the code stopped later sub-meetings from running.
    pub sub_meetings_blocked: bool,
    /// The meeting's state afterwards.
    pub status: MeetingStatus,
}

impl MeetingView {
    /// Ends the meeting, or a recurring meeting's current sub-meeting. The caller has checked
    /// that it is in progress and that the operator may end it.
    pub(crate) fn end(&mut self, record: DismissRecord, code_reclaimed: bool) -> Dismissal {
        self.dismiss_count += 1;
        self.last_dismiss = Some(record);
        self.code_reclaimed = code_reclaimed;
        let mut ended_sub_meeting = None;
        if self.is_recurring() && !self.sub_meetings.is_empty() {
            let more_to_come = self.remain_sub_meetings > 0;
            let current = self.sub_meetings.remove(0);
            ended_sub_meeting = Some(current.sub_meeting_id.clone());
            self.past_sub_meetings.push(current);
            if more_to_come {
                self.advance_to_next_sub_meeting();
                // The page: reclaiming the code while sub-meetings remain stops them from
                // running. The service accepts it; the simulator shows the damage.
                self.sub_meetings_blocked = code_reclaimed;
                self.status = if code_reclaimed {
                    MeetingStatus::Recycled
                } else {
                    MeetingStatus::Init
                };
            } else {
                self.past_sub_meetings.append(&mut self.sub_meetings);
                self.status = MeetingStatus::Ended;
            }
            self.refresh_sub_meeting_counts();
        } else {
            self.status = MeetingStatus::Ended;
        }
        Dismissal {
            meeting_id: self.meeting_id.clone(),
            sub_meeting_id: ended_sub_meeting,
            code_reclaimed,
            sub_meetings_blocked: self.sub_meetings_blocked,
            status: self.status.clone(),
        }
    }

    /// Starts a scheduled meeting (a recurring meeting's current sub-meeting); `Err` with the
    /// state it is in when that is not `MEETING_STATE_INIT`, or when its code was reclaimed.
    pub(crate) fn start(&mut self) -> Result<(), MeetingStatus> {
        if self.status != MeetingStatus::Init || self.sub_meetings_blocked {
            return Err(self.status.clone());
        }
        self.status = MeetingStatus::Started;
        Ok(())
    }

    /// Brings the next sub-meeting that is not deleted to the front of `sub_meetings`, passing
    /// deleted ones over, and taking an unlisted one when the listed ones are used up.
    fn advance_to_next_sub_meeting(&mut self) {
        loop {
            match self.sub_meetings.first() {
                Some(next) if next.status == 0 => return,
                Some(_) => {
                    let deleted = self.sub_meetings.remove(0);
                    self.past_sub_meetings.push(deleted);
                }
                None if !self.unlisted_sub_meetings.is_empty() => {
                    let next = self.unlisted_sub_meetings.remove(0);
                    self.sub_meetings.push(next);
                }
                None => return,
            }
        }
    }

    /// Recomputes `current_sub_meeting_id`, `remain_sub_meetings` and `has_more_sub_meeting`
    /// from the lists, so the look-up never contradicts itself.
    pub(crate) fn refresh_sub_meeting_counts(&mut self) {
        self.current_sub_meeting_id = self.sub_meetings.first().map(|s| s.sub_meeting_id.clone());
        let listed_after = self.sub_meetings.iter().skip(1).filter(|s| s.status == 0);
        let to_come = listed_after.count() + self.unlisted_sub_meetings.len();
        self.remain_sub_meetings = u32::try_from(to_come).unwrap_or(u32::MAX);
        self.has_more_sub_meeting = i32::from(!self.unlisted_sub_meetings.is_empty());
    }
}
