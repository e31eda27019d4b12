//! Which `meeting.end` confirms a dismiss: the one implementation of the rules, used by
//! [`crate::Dismissed::confirmed_by`] and by the waiter ([`super::MeetingEndWatch::confirm`]).
//!
//! A `meeting.end` of the same meeting is not enough: a redelivered end from an hour ago, or a
//! type-3 end ("empty before its scheduled end", not final) arriving while the dismiss is in
//! flight, is not this dismiss's doing. An end confirms a dismiss only when
//!
//! - it is of the dismissed meeting;
//! - its `meeting_end_type` is one a dismiss causes: by default only 0 (主动结束会议, "ended by
//!   the host or the dismiss API"). The webhook facts rate the link between a dismiss and type 0
//!   **medium** (the event page says what type 0 means; no source shows a dismiss's own event),
//!   so the set is configurable ([`ConfirmationRules::end_types`]);
//! - its `operate_time` is not before the dismiss's request left
//!   ([`crate::Dismissed::sent_at`]) less a clock skew between our clock and the service's
//!   ([`DEFAULT_CLOCK_SKEW`], 5 s, configurable). An end without `operate_time` cannot show
//!   that, and does not confirm;
//! - its sub-meeting is the dismissed one, when both are known.

use std::time::{Duration, UNIX_EPOCH};

use crate::dismissed::{Dismissed, EventConfirmation};

use super::event::{MeetingEnd, MeetingEndType};

/// How far the service's clock may be behind ours before an end that followed our dismiss
/// looks older than it: an `operate_time` up to this long before the request left still
/// confirms it.
pub const DEFAULT_CLOCK_SKEW: Duration = Duration::from_secs(5);

/// The rules by which a `meeting.end` confirms a dismiss (see the module docs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfirmationRules {
    end_types: Vec<i32>,
    clock_skew: Duration,
}

impl Default for ConfirmationRules {
    /// End type 0 only, and [`DEFAULT_CLOCK_SKEW`].
    fn default() -> Self {
        Self {
            end_types: vec![MeetingEndType::Dismissed.code()],
            clock_skew: DEFAULT_CLOCK_SKEW,
        }
    }
}

/// Why a `meeting.end` does not confirm a dismiss.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NotThisDismiss {
    /// The end of another meeting.
    #[error("the meeting.end is for meeting {event}, not the dismissed {dismissed}")]
    #[non_exhaustive]
    OtherMeeting {
        /// The dismissed meeting.
        dismissed: String,
        /// The event's meeting.
        event: String,
    },
    /// An end type a dismiss does not cause (e.g. 3, "empty before its scheduled end").
    #[error("the meeting.end's end type {} is not one a dismiss causes", end_type.map_or_else(|| "(none)".to_string(), |t| t.to_string()))]
    #[non_exhaustive]
    EndType {
        /// `meeting_end_type` as sent, if it was.
        end_type: Option<i32>,
    },
    /// The end happened before the dismiss's request left (allowing the clock skew), or has no
    /// `operate_time` to show it did not: an earlier end, perhaps redelivered.
    #[error("the meeting.end's operate_time ({}) is before the dismiss was sent ({sent_at_ms} ms, less the clock skew)", operate_time_ms.map_or_else(|| "none".to_string(), |t| format!("{t} ms")))]
    #[non_exhaustive]
    BeforeSend {
        /// `operate_time` in unix milliseconds, if the event had one.
        operate_time_ms: Option<i64>,
        /// When the dismiss's request left, in unix milliseconds.
        sent_at_ms: i64,
    },
    /// The end of another sub-meeting of the recurring meeting.
    #[error("the meeting.end is for sub-meeting {event}, not the dismissed {dismissed}")]
    #[non_exhaustive]
    OtherSubMeeting {
        /// The dismissed sub-meeting.
        dismissed: String,
        /// The event's sub-meeting.
        event: String,
    },
}

impl ConfirmationRules {
    /// The end types that confirm a dismiss, instead of only 0 (an empty set: none does).
    #[must_use]
    pub fn end_types(mut self, end_types: impl IntoIterator<Item = MeetingEndType>) -> Self {
        self.end_types = end_types.into_iter().map(MeetingEndType::code).collect();
        self
    }

    /// How far before the request left an end's `operate_time` may be, instead of
    /// [`DEFAULT_CLOCK_SKEW`].
    #[must_use]
    pub fn clock_skew(mut self, clock_skew: Duration) -> Self {
        self.clock_skew = clock_skew;
        self
    }

    /// Whether `end` is `dismissed`'s end; if not, why not.
    pub fn check(&self, dismissed: &Dismissed, end: &MeetingEnd) -> Result<(), NotThisDismiss> {
        let meeting = end.meeting();
        if meeting.meeting_id() != dismissed.meeting_id() {
            return Err(NotThisDismiss::OtherMeeting {
                dismissed: dismissed.meeting_id().to_string(),
                event: meeting.meeting_id().to_string(),
            });
        }
        let end_type = end.end_type().map(MeetingEndType::code);
        if !end_type.is_some_and(|t| self.end_types.contains(&t)) {
            return Err(NotThisDismiss::EndType { end_type });
        }
        let sent_at_ms = unix_millis(dismissed.sent_at());
        let earliest = sent_at_ms.saturating_sub(duration_millis(self.clock_skew));
        let operate_time_ms = end.operate_time_ms();
        if operate_time_ms.is_none_or(|t| t < earliest) {
            return Err(NotThisDismiss::BeforeSend {
                operate_time_ms,
                sent_at_ms,
            });
        }
        if let (Some(dismissed_sub), Some(event_sub)) =
            (dismissed.sub_meeting_id(), meeting.sub_meeting_id())
            && dismissed_sub != event_sub
        {
            return Err(NotThisDismiss::OtherSubMeeting {
                dismissed: dismissed_sub.to_string(),
                event: event_sub.to_string(),
            });
        }
        Ok(())
    }

    /// `dismissed`, confirmed by `end` when it is its end ([`Self::check`]).
    pub fn confirm(
        &self,
        dismissed: Dismissed,
        end: &MeetingEnd,
    ) -> Result<Dismissed, NotThisDismiss> {
        self.check(&dismissed, end)?;
        Ok(dismissed.with_event(EventConfirmation::of(end)))
    }
}

/// `time` in unix milliseconds (negative before 1970).
fn unix_millis(time: std::time::SystemTime) -> i64 {
    match time.duration_since(UNIX_EPOCH) {
        Ok(after) => duration_millis(after),
        Err(before) => -duration_millis(before.duration()),
    }
}

fn duration_millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::webhook::event::{Event, parse_event};

    const SENT_MS: u64 = 1_700_000_000_000;

    fn dismissed() -> Dismissed {
        Dismissed::answered("1").with_sent_at(UNIX_EPOCH + Duration::from_millis(SENT_MS))
    }

    fn end(
        meeting_id: &str,
        sub: Option<&str>,
        end_type: Option<i32>,
        at: Option<i64>,
    ) -> MeetingEnd {
        let sub = sub
            .map(|s| format!(",\"sub_meeting_id\":\"{s}\""))
            .unwrap_or_default();
        let end_type = end_type
            .map(|t| format!("\"meeting_end_type\":{t},"))
            .unwrap_or_default();
        let at = at
            .map(|t| format!("\"operate_time\":{t},"))
            .unwrap_or_default();
        let text = format!(
            r#"{{"event":"meeting.end","trace_id":"t","payload":[{{{at}{end_type}"meeting_info":{{"meeting_id":"{meeting_id}"{sub}}}}}]}}"#
        );
        match parse_event(text.as_bytes()).expect("an event").remove(0) {
            Event::MeetingEnd(end) => end,
            other => panic!("{other:?}"),
        }
    }

    const SENT: i64 = SENT_MS as i64;

    #[test]
    fn only_this_dismisss_end_confirms_it() {
        let rules = ConfirmationRules::default();
        let ok = |e: &MeetingEnd| rules.check(&dismissed(), e);
        assert_eq!(ok(&end("1", None, Some(0), Some(SENT + 1))), Ok(()));
        assert_eq!(ok(&end("1", None, Some(0), Some(SENT))), Ok(()));
        // Within the clock skew, and just past it.
        assert_eq!(ok(&end("1", None, Some(0), Some(SENT - 5_000))), Ok(()));
        assert_eq!(
            ok(&end("1", None, Some(0), Some(SENT - 5_001))),
            Err(NotThisDismiss::BeforeSend {
                operate_time_ms: Some(SENT - 5_001),
                sent_at_ms: SENT
            })
        );
        // An hour old, or undated.
        assert!(matches!(
            ok(&end("1", None, Some(0), Some(SENT - 3_600_000))),
            Err(NotThisDismiss::BeforeSend { .. })
        ));
        assert!(matches!(
            ok(&end("1", None, Some(0), None)),
            Err(NotThisDismiss::BeforeSend {
                operate_time_ms: None,
                ..
            })
        ));
        // Another end type, or none.
        assert_eq!(
            ok(&end("1", None, Some(3), Some(SENT + 1))),
            Err(NotThisDismiss::EndType { end_type: Some(3) })
        );
        assert_eq!(
            ok(&end("1", None, None, Some(SENT + 1))),
            Err(NotThisDismiss::EndType { end_type: None })
        );
        // Another meeting.
        assert!(matches!(
            ok(&end("2", None, Some(0), Some(SENT + 1))),
            Err(NotThisDismiss::OtherMeeting { .. })
        ));
    }

    #[test]
    fn sub_meetings_must_match_when_both_are_known() {
        let rules = ConfirmationRules::default();
        let of_s1 = dismissed().with_sub_meeting_id("s1");
        let at = Some(SENT + 1);
        assert_eq!(
            rules.check(&of_s1, &end("1", Some("s1"), Some(0), at)),
            Ok(())
        );
        assert_eq!(
            rules.check(&of_s1, &end("1", Some("s2"), Some(0), at)),
            Err(NotThisDismiss::OtherSubMeeting {
                dismissed: "s1".into(),
                event: "s2".into()
            })
        );
        assert_eq!(rules.check(&of_s1, &end("1", None, Some(0), at)), Ok(()));
        assert_eq!(
            rules.check(&dismissed(), &end("1", Some("s2"), Some(0), at)),
            Ok(())
        );
    }

    #[test]
    fn the_rules_are_configurable() {
        let late = end("1", None, Some(2), Some(SENT - 20_000));
        assert!(
            ConfirmationRules::default()
                .check(&dismissed(), &late)
                .is_err()
        );
        let rules = ConfirmationRules::default()
            .end_types([
                MeetingEndType::Dismissed,
                MeetingEndType::EmptyAfterScheduledEnd,
            ])
            .clock_skew(Duration::from_secs(30));
        assert_eq!(rules.check(&dismissed(), &late), Ok(()));
        let none = ConfirmationRules::default().end_types([]);
        assert!(
            none.check(&dismissed(), &end("1", None, Some(0), Some(SENT)))
                .is_err()
        );
    }

    #[test]
    fn confirmed_by_applies_the_default_rules_and_says_which_event() {
        let stale = end("1", None, Some(0), Some(SENT - 3_600_000));
        assert!(dismissed().confirmed_by(&stale).is_err());
        let own = end("1", Some("s1"), Some(0), Some(SENT + 10));
        let confirmed = dismissed().confirmed_by(&own).expect("its end");
        let event = confirmed.event().expect("the event");
        assert_eq!(event.trace_id(), Some("t"));
        assert_eq!(event.end_type_code(), Some(0));
        assert_eq!(event.operate_time_ms(), Some(SENT + 10));
        assert_eq!(event.sub_meeting_id(), Some("s1"));
    }

    #[test]
    fn times_before_1970_and_far_future_do_not_overflow() {
        assert_eq!(unix_millis(UNIX_EPOCH - Duration::from_millis(5)), -5);
        assert_eq!(duration_millis(Duration::MAX), i64::MAX);
    }
}
