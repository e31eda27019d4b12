//! Waiting for the `meeting.end` of one meeting, with a deadline, from the events a receiver
//! acknowledged: what turns "the service accepted the dismiss" into "the meeting was seen to end".
//!
//! A receiver feeds a [`MeetingEndWaiter`] ([`MeetingEndWaiter::publish`]; the axum receiver does
//! it after the handler succeeded). To never miss an event that arrives before the wait starts,
//! [`watch`](MeetingEndWaiter::watch) before sending the dismiss, then
//! [`wait`](MeetingEndWatch::wait) — or, to confirm a dismiss,
//! [`confirm`](MeetingEndWatch::confirm), which takes only that dismiss's own end (the
//! [`ConfirmationRules`]) and counts what it ignored. [`MeetingEndWaiter::wait_for`] also looks
//! at the ends seen recently, for callers that could not watch first.
//!
//! Redeliveries are deduplicated by the one identity of an event, [`EventKey`] (the event
//! store's): a wait takes an end at most once and counts its copies as redelivered, and the
//! waiter remembers each end once. A receiver that refuses a delivery tells the waiter
//! ([`MeetingEndWaiter::refused`]; the axum receiver does), so that a wait that saw nothing can
//! say that deliveries came and were refused, and why.
//!
//! ```
//! # async fn run() {
//! use std::time::Duration;
//! use tencent_meeting::webhook::{MeetingEndFilter, MeetingEndWaiter};
//!
//! let waiter = MeetingEndWaiter::new();
//! let watch = waiter.watch(MeetingEndFilter::meeting("7567173273889276131"));
//! // ... dismiss the meeting; the receiver publishes the events it acknowledges ...
//! match watch.wait(Duration::from_secs(30)).await {
//!     Ok(end) => println!("ended at {:?}", end.operate_time_ms()),
//!     Err(not_seen) => println!("{not_seen}"),
//! }
//! # }
//! ```

use std::collections::{HashMap, HashSet, VecDeque};
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::sync::mpsc;

use super::confirmation::{ConfirmationRules, NotThisDismiss};
use super::error::WebhookError;
use super::event::{Event, MeetingEnd, MeetingEndType};
use super::store::EventKey;
use crate::dismissed::{Dismissed, EventConfirmation};

/// How many recent ends [`MeetingEndWaiter::new`] remembers.
pub const DEFAULT_MEMORY: usize = 1024;

/// Which `meeting.end` to wait for: a meeting, optionally one sub-meeting of it, optionally one
/// end type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeetingEndFilter {
    meeting_id: String,
    sub_meeting_id: Option<String>,
    end_type: Option<MeetingEndType>,
}

impl MeetingEndFilter {
    /// Any end of `meeting_id` (for a recurring meeting: of any of its sub-meetings).
    pub fn meeting(meeting_id: impl Into<String>) -> Self {
        Self {
            meeting_id: meeting_id.into(),
            sub_meeting_id: None,
            end_type: None,
        }
    }

    /// Only the end of this sub-meeting.
    #[must_use]
    pub fn sub_meeting(mut self, sub_meeting_id: impl Into<String>) -> Self {
        self.sub_meeting_id = Some(sub_meeting_id.into());
        self
    }

    /// Only ends of this type (e.g. [`MeetingEndType::Dismissed`]).
    #[must_use]
    pub fn end_type(mut self, end_type: MeetingEndType) -> Self {
        self.end_type = Some(end_type);
        self
    }

    /// The meeting ID waited for.
    pub fn meeting_id(&self) -> &str {
        &self.meeting_id
    }

    /// Whether `end` is one this filter waits for.
    pub fn matches(&self, end: &MeetingEnd) -> bool {
        let meeting = end.meeting();
        meeting.meeting_id() == self.meeting_id
            && self
                .sub_meeting_id
                .as_deref()
                .is_none_or(|sub| meeting.sub_meeting_id() == Some(sub))
            && self.end_type.is_none_or(|t| end.end_type() == Some(t))
    }
}

/// The ends of the meeting waited for that a wait saw and did not take, by reason.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct IgnoredEnds {
    redelivered: u32,
    end_type: u32,
    before_send: u32,
    other_sub_meeting: u32,
    other_meeting: u32,
}

impl IgnoredEnds {
    /// Copies of an end already seen.
    pub fn redelivered(&self) -> u32 {
        self.redelivered
    }

    /// Ends of a type a dismiss does not cause ([`NotThisDismiss::EndType`]).
    pub fn end_type(&self) -> u32 {
        self.end_type
    }

    /// Ends from before the dismiss was sent, or undated ([`NotThisDismiss::BeforeSend`]).
    pub fn before_send(&self) -> u32 {
        self.before_send
    }

    /// Ends of another sub-meeting ([`NotThisDismiss::OtherSubMeeting`]).
    pub fn other_sub_meeting(&self) -> u32 {
        self.other_sub_meeting
    }

    /// Ends of another meeting ([`NotThisDismiss::OtherMeeting`]: a filter wider than the
    /// dismissed meeting).
    pub fn other_meeting(&self) -> u32 {
        self.other_meeting
    }

    /// All of them.
    pub fn total(&self) -> u32 {
        self.redelivered
            + self.end_type
            + self.before_send
            + self.other_sub_meeting
            + self.other_meeting
    }

    fn count(&mut self, why: &NotThisDismiss) {
        let counter = match why {
            NotThisDismiss::EndType { .. } => &mut self.end_type,
            NotThisDismiss::BeforeSend { .. } => &mut self.before_send,
            NotThisDismiss::OtherSubMeeting { .. } => &mut self.other_sub_meeting,
            NotThisDismiss::OtherMeeting { .. } => &mut self.other_meeting,
        };
        *counter += 1;
    }
}

impl fmt::Display for IgnoredEnds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = [
            (self.redelivered, "redelivered"),
            (self.end_type, "of an end type a dismiss does not cause"),
            (self.before_send, "from before the dismiss was sent"),
            (self.other_sub_meeting, "of another sub-meeting"),
            (self.other_meeting, "of another meeting"),
        ]
        .into_iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, why)| format!("{n} {why}"))
        .collect();
        f.write_str(&parts.join(", "))
    }
}

/// Deliveries the receiver refused (as forged or undecodable), by reason.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RefusedDeliveries {
    signature: u32,
    undecryptable: u32,
    other: u32,
}

impl RefusedDeliveries {
    /// Refused because the signature did not match: the receiver's token is not the
    /// subscription's (or the request was altered).
    pub fn signature(&self) -> u32 {
        self.signature
    }

    /// Refused because the data did not decrypt: the receiver's EncodingAESKey is not the
    /// subscription's.
    pub fn undecryptable(&self) -> u32 {
        self.undecryptable
    }

    /// Refused for another reason (a missing header, a stale timestamp, a malformed event).
    pub fn other(&self) -> u32 {
        self.other
    }

    /// All of them.
    pub fn total(&self) -> u32 {
        self.signature + self.undecryptable + self.other
    }

    fn since(&self, earlier: &Self) -> Self {
        Self {
            signature: self.signature.saturating_sub(earlier.signature),
            undecryptable: self.undecryptable.saturating_sub(earlier.undecryptable),
            other: self.other.saturating_sub(earlier.other),
        }
    }
}

/// No matching `meeting.end` was seen in time.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("no meeting.end seen for meeting {meeting_id}{} within {waited:?}{}{}",
    sub_meeting_id.as_deref().map(|s| format!(" (sub-meeting {s})")).unwrap_or_default(),
    if ignored.total() > 0 { format!("; ignored {} end(s): {ignored}", ignored.total()) } else { String::new() },
    if refused.total() > 0 { format!("; {} delivery(ies) refused while waiting", refused.total()) } else { String::new() })]
pub struct NotSeen {
    meeting_id: String,
    sub_meeting_id: Option<String>,
    waited: Duration,
    ignored: IgnoredEnds,
    refused: RefusedDeliveries,
}

impl NotSeen {
    /// The meeting waited for.
    pub fn meeting_id(&self) -> &str {
        &self.meeting_id
    }

    /// The sub-meeting waited for, if any.
    pub fn sub_meeting_id(&self) -> Option<&str> {
        self.sub_meeting_id.as_deref()
    }

    /// How long it waited.
    pub fn waited(&self) -> Duration {
        self.waited
    }

    /// The ends of the meeting that arrived and were not taken, by reason.
    pub fn ignored(&self) -> &IgnoredEnds {
        &self.ignored
    }

    /// The deliveries the receiver refused while this wait was on, by reason.
    pub fn refused(&self) -> &RefusedDeliveries {
        &self.refused
    }
}

/// A registry of waits, fed with acknowledged events. Cheap to clone (shared).
#[derive(Debug, Clone)]
pub struct MeetingEndWaiter {
    registry: Arc<Mutex<Registry>>,
}

#[derive(Debug)]
struct Registry {
    next_id: u64,
    /// Waits by meeting ID.
    waiting: HashMap<String, Vec<Waiting>>,
    /// The latest ends, oldest first, each once.
    recent: VecDeque<(EventKey, MeetingEnd)>,
    memory: usize,
    /// Every delivery refused so far.
    refused: RefusedDeliveries,
}

#[derive(Debug)]
struct Waiting {
    id: u64,
    filter: MeetingEndFilter,
    tx: mpsc::UnboundedSender<(EventKey, MeetingEnd)>,
}

impl Default for MeetingEndWaiter {
    fn default() -> Self {
        Self::new()
    }
}

impl MeetingEndWaiter {
    /// A registry remembering the last [`DEFAULT_MEMORY`] ends.
    pub fn new() -> Self {
        Self::with_memory(DEFAULT_MEMORY)
    }

    /// A registry remembering the last `memory` ends (0: none).
    pub fn with_memory(memory: usize) -> Self {
        Self {
            registry: Arc::new(Mutex::new(Registry {
                next_id: 0,
                waiting: HashMap::new(),
                recent: VecDeque::with_capacity(memory.min(DEFAULT_MEMORY)),
                memory,
                refused: RefusedDeliveries::default(),
            })),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Registry> {
        // Nothing here can leave the registry half-changed; a panic elsewhere does not matter.
        self.registry.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Hands the `meeting.end` events among `events` to the waits of their meeting that they
    /// match, and remembers them. Call it with events that were acknowledged (stored, if the
    /// receiver stores). An end already remembered (a redelivery: the same [`EventKey`]) is
    /// remembered once; the waits see it again and count it as redelivered.
    pub fn publish(&self, events: &[Event]) {
        let mut registry = self.lock();
        for event in events {
            let Some(end) = event.as_meeting_end() else {
                continue;
            };
            let key = EventKey::of(event);
            let id = end.meeting().meeting_id();
            if let Some(waits) = registry.waiting.get_mut(id) {
                // A wait given up on has dropped its receiver; nothing to do then.
                for wait in waits.iter().filter(|w| w.filter.matches(end)) {
                    let _ = wait.tx.send((key.clone(), end.clone()));
                }
            }
            if registry.memory == 0 {
                continue;
            }
            if registry.recent.iter().any(|(k, _)| *k == key) {
                continue;
            }
            if registry.recent.len() == registry.memory {
                registry.recent.pop_front();
            }
            registry.recent.push_back((key, end.clone()));
        }
    }

    /// Counts a delivery the receiver refused (as forged or undecodable), for the waits on now
    /// to report ([`NotSeen::refused`]).
    pub fn refused(&self, error: &WebhookError) {
        let mut registry = self.lock();
        let counter = match error {
            WebhookError::BadSignature => &mut registry.refused.signature,
            WebhookError::Decrypt(_) => &mut registry.refused.undecryptable,
            _ => &mut registry.refused.other,
        };
        *counter += 1;
    }

    /// Starts watching for a matching end published from now on.
    pub fn watch(&self, filter: MeetingEndFilter) -> MeetingEndWatch {
        let (tx, rx) = mpsc::unbounded_channel();
        let mut registry = self.lock();
        let id = registry.next_id;
        registry.next_id += 1;
        registry
            .waiting
            .entry(filter.meeting_id.clone())
            .or_default()
            .push(Waiting {
                id,
                filter: filter.clone(),
                tx,
            });
        MeetingEndWatch {
            id,
            filter,
            rx,
            refused_before: registry.refused,
            registry: Arc::clone(&self.registry),
        }
    }

    /// The latest remembered end matching `filter`.
    pub fn recent(&self, filter: &MeetingEndFilter) -> Option<MeetingEnd> {
        self.lock()
            .recent
            .iter()
            .rev()
            .map(|(_, end)| end)
            .find(|end| filter.matches(end))
            .cloned()
    }

    /// A remembered matching end at once, or the next one published within `timeout`. A
    /// remembered end may be an earlier end of the same meeting (one restarted since): prefer
    /// [`watch`](Self::watch) before the dismiss, and [`MeetingEndWatch::confirm`], when that
    /// matters.
    pub async fn wait_for(
        &self,
        filter: MeetingEndFilter,
        timeout: Duration,
    ) -> Result<MeetingEnd, NotSeen> {
        // Watch first, then look back: an end published in between is caught by one or the other.
        let watch = self.watch(filter);
        if let Some(end) = self.recent(&watch.filter) {
            return Ok(end);
        }
        watch.wait(timeout).await
    }
}

/// One wait, registered by [`MeetingEndWaiter::watch`]. Dropping it unregisters it.
#[derive(Debug)]
pub struct MeetingEndWatch {
    id: u64,
    filter: MeetingEndFilter,
    rx: mpsc::UnboundedReceiver<(EventKey, MeetingEnd)>,
    refused_before: RefusedDeliveries,
    registry: Arc<Mutex<Registry>>,
}

impl MeetingEndWatch {
    /// What this watch waits for.
    pub fn filter(&self) -> &MeetingEndFilter {
        &self.filter
    }

    /// The first matching end, or [`NotSeen`] once `timeout` has passed.
    pub async fn wait(self, timeout: Duration) -> Result<MeetingEnd, NotSeen> {
        self.take_first(timeout, |_| Ok(())).await
    }

    /// `dismissed`, confirmed by its own end (by `rules`: see [`ConfirmationRules`]), or
    /// [`NotSeen`] once `timeout` has passed, counting the ends it ignored and why. Watch before
    /// sending the dismiss: its end can come before its answer.
    pub async fn confirm(
        self,
        dismissed: &Dismissed,
        rules: &ConfirmationRules,
        timeout: Duration,
    ) -> Result<Dismissed, NotSeen> {
        let end = self
            .take_first(timeout, |end| rules.check(dismissed, end))
            .await?;
        // Checked by the very rules above.
        Ok(dismissed.clone().with_event(EventConfirmation::of(&end)))
    }

    /// The first end, not seen before by this watch, that `take` accepts.
    async fn take_first(
        mut self,
        timeout: Duration,
        take: impl Fn(&MeetingEnd) -> Result<(), NotThisDismiss>,
    ) -> Result<MeetingEnd, NotSeen> {
        let mut seen = HashSet::new();
        let mut ignored = IgnoredEnds::default();
        let waited = tokio::time::timeout(timeout, async {
            // `None` never comes while this watch is registered (the sender lives in it).
            while let Some((key, end)) = self.rx.recv().await {
                if !seen.insert(key) {
                    ignored.redelivered += 1;
                    tracing::info!(
                        trace_id = end.trace_id(),
                        "meeting.end ignored: redelivered"
                    );
                    continue;
                }
                match take(&end) {
                    Ok(()) => return Some(end),
                    Err(why) => {
                        tracing::info!(trace_id = end.trace_id(), "meeting.end ignored: {why}");
                        ignored.count(&why);
                    }
                }
            }
            None
        })
        .await;
        if let Ok(Some(end)) = waited {
            return Ok(end);
        }
        let refused = {
            let registry = self.registry.lock().unwrap_or_else(PoisonError::into_inner);
            registry.refused.since(&self.refused_before)
        };
        Err(NotSeen {
            meeting_id: self.filter.meeting_id.clone(),
            sub_meeting_id: self.filter.sub_meeting_id.clone(),
            waited: timeout,
            ignored,
            refused,
        })
    }
}

impl Drop for MeetingEndWatch {
    fn drop(&mut self) {
        let mut registry = self.registry.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(waits) = registry.waiting.get_mut(&self.filter.meeting_id) {
            waits.retain(|w| w.id != self.id);
            if waits.is_empty() {
                registry.waiting.remove(&self.filter.meeting_id);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::webhook::event::parse_event;
    use crate::webhook::{ConfirmationRules, NotThisDismiss};

    fn end(meeting_id: &str, sub: Option<&str>, end_type: i32) -> Vec<Event> {
        let sub = sub
            .map(|s| format!(",\"sub_meeting_id\":\"{s}\""))
            .unwrap_or_default();
        let text = format!(
            r#"{{"event":"meeting.end","trace_id":"t-{meeting_id}-{end_type}","payload":[{{"meeting_end_type":{end_type},"meeting_info":{{"meeting_id":"{meeting_id}"{sub}}}}}]}}"#
        );
        parse_event(text.as_bytes()).expect("an event")
    }

    #[tokio::test]
    async fn a_watch_sees_only_its_meeting() {
        let waiter = MeetingEndWaiter::new();
        let watch = waiter.watch(MeetingEndFilter::meeting("1"));
        assert_eq!(watch.filter().meeting_id(), "1");
        waiter.publish(&end("2", None, 0));
        let publisher = waiter.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(20)).await;
            publisher.publish(&end("1", None, 0));
        });
        let seen = watch.wait(Duration::from_secs(5)).await.expect("seen");
        assert_eq!(seen.meeting().meeting_id(), "1");
        assert!(waiter.lock().waiting.is_empty(), "the wait is unregistered");
    }

    #[tokio::test]
    async fn sub_meeting_and_end_type_filters() {
        let waiter = MeetingEndWaiter::new();
        let watch = waiter.watch(
            MeetingEndFilter::meeting("1")
                .sub_meeting("s2")
                .end_type(MeetingEndType::Dismissed),
        );
        waiter.publish(&end("1", Some("s1"), 0));
        waiter.publish(&end("1", Some("s2"), 3));
        waiter.publish(&end("1", None, 0));
        waiter.publish(&end("1", Some("s2"), 0));
        let seen = watch.wait(Duration::from_secs(5)).await.expect("seen");
        assert_eq!(seen.trace_id(), Some("t-1-0"));
        assert_eq!(seen.meeting().sub_meeting_id(), Some("s2"));
    }

    #[tokio::test(start_paused = true)]
    async fn nothing_seen_is_not_seen() {
        let waiter = MeetingEndWaiter::new();
        waiter.publish(&end("1", None, 0));
        let e = waiter
            .watch(MeetingEndFilter::meeting("1").sub_meeting("9"))
            .wait(Duration::from_secs(30))
            .await
            .expect_err("not seen");
        assert_eq!(
            e.to_string(),
            "no meeting.end seen for meeting 1 (sub-meeting 9) within 30s"
        );
        assert_eq!(
            (e.meeting_id(), e.sub_meeting_id(), e.waited()),
            ("1", Some("9"), Duration::from_secs(30))
        );
        // A dropped watch leaves nothing behind.
        assert!(waiter.lock().waiting.is_empty());
    }

    #[tokio::test(start_paused = true)]
    async fn wait_for_looks_back_at_recent_ends() {
        let waiter = MeetingEndWaiter::with_memory(2);
        waiter.publish(&end("1", None, 0));
        let seen = waiter
            .wait_for(MeetingEndFilter::meeting("1"), Duration::from_secs(1))
            .await
            .expect("remembered");
        assert_eq!(seen.meeting().meeting_id(), "1");
        waiter.publish(&end("2", None, 0));
        waiter.publish(&end("3", None, 0));
        // Only the last two are remembered.
        assert!(waiter.recent(&MeetingEndFilter::meeting("1")).is_none());
        assert!(waiter.recent(&MeetingEndFilter::meeting("3")).is_some());
    }

    fn timed_end(trace: Option<&str>, end_type: i32, operate_time_ms: i64) -> Vec<Event> {
        let trace = trace
            .map(|t| format!(r#""trace_id":"{t}","#))
            .unwrap_or_default();
        let text = format!(
            r#"{{"event":"meeting.end",{trace}"payload":[{{"operate_time":{operate_time_ms},"meeting_end_type":{end_type},"meeting_info":{{"meeting_id":"1"}}}}]}}"#
        );
        parse_event(text.as_bytes()).expect("an event")
    }

    fn unix_ms(t: std::time::SystemTime) -> i64 {
        t.duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64)
    }

    #[tokio::test(start_paused = true)]
    async fn confirm_takes_only_this_dismisss_end_and_counts_the_rest() {
        let waiter = MeetingEndWaiter::new();
        let dismissed = Dismissed::answered("1");
        let sent = unix_ms(dismissed.sent_at());
        let watch = waiter.watch(MeetingEndFilter::meeting("1"));
        // An hour-old end, redelivered; a type-3 end; an end of another meeting; then its own,
        // twice.
        waiter.publish(&timed_end(Some("old"), 0, sent - 3_600_000));
        waiter.publish(&timed_end(Some("old"), 0, sent - 3_600_000));
        waiter.publish(&timed_end(Some("empty"), 3, sent + 10));
        waiter.publish(&end("2", None, 0));
        waiter.publish(&timed_end(Some("own"), 0, sent + 20));
        let confirmed = watch
            .confirm(
                &dismissed,
                &ConfirmationRules::default(),
                Duration::from_secs(5),
            )
            .await
            .expect("its own end");
        let event = confirmed.event().expect("confirmed by an event");
        assert_eq!(event.trace_id(), Some("own"));
        assert_eq!(event.operate_time_ms(), Some(sent + 20));

        // Without its own end: not seen, and what was ignored is counted by reason.
        let watch = waiter.watch(MeetingEndFilter::meeting("1"));
        waiter.publish(&timed_end(Some("old"), 0, sent - 3_600_000));
        waiter.publish(&timed_end(Some("old"), 0, sent - 3_600_000));
        waiter.publish(&timed_end(Some("older"), 0, sent - 7_200_000));
        waiter.publish(&timed_end(Some("empty"), 3, sent + 10));
        waiter.publish(&timed_end(None, 3, sent + 10));
        waiter.publish(&timed_end(None, 3, sent + 10));
        waiter.publish(&timed_end(Some("scheduled"), 2, sent + 20));
        waiter.publish(&timed_end(Some("last-left"), 1, sent + 30));
        let not_seen = watch
            .confirm(
                &dismissed,
                &ConfirmationRules::default(),
                Duration::from_secs(5),
            )
            .await
            .expect_err("not its end");
        let ignored = *not_seen.ignored();
        // The type-3 end without a trace id is the same occurrence as the one with it.
        // Counts that differ by reason, so that no count can stand in for another.
        assert_eq!(ignored.redelivered(), 3, "{ignored:?}");
        assert_eq!(ignored.before_send(), 2, "{ignored:?}");
        assert_eq!(ignored.end_type(), 3, "{ignored:?}");
        assert_eq!(ignored.other_sub_meeting(), 0);
        assert_eq!(ignored.other_meeting(), 0);
        assert_eq!(ignored.total(), 8);
        assert_eq!(not_seen.meeting_id(), "1");
        assert_eq!(not_seen.sub_meeting_id(), None);
        assert_eq!(not_seen.waited(), Duration::from_secs(5));
        assert_eq!(
            not_seen.to_string(),
            "no meeting.end seen for meeting 1 within 5s; ignored 8 end(s): 3 redelivered, 3 of an end type a dismiss does not cause, 2 from before the dismiss was sent"
        );
    }

    #[test]
    fn ignored_ends_are_counted_under_their_reason() {
        let mut ignored = IgnoredEnds::default();
        ignored.count(&NotThisDismiss::OtherSubMeeting {
            dismissed: "a".into(),
            event: "b".into(),
        });
        ignored.count(&NotThisDismiss::OtherMeeting {
            dismissed: "1".into(),
            event: "2".into(),
        });
        ignored.count(&NotThisDismiss::OtherMeeting {
            dismissed: "1".into(),
            event: "3".into(),
        });
        assert_eq!(
            (ignored.other_sub_meeting(), ignored.other_meeting()),
            (1, 2)
        );
        assert_eq!(ignored.total(), 3);
        assert_eq!(
            ignored.to_string(),
            "1 of another sub-meeting, 2 of another meeting"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn refused_deliveries_during_a_wait_are_reported_by_reason() {
        let waiter = MeetingEndWaiter::new();
        // Before the wait: not this wait's.
        waiter.refused(&WebhookError::BadSignature);
        let watch = waiter.watch(MeetingEndFilter::meeting("1"));
        waiter.refused(&WebhookError::BadSignature);
        waiter.refused(&WebhookError::BadSignature);
        // Counts that differ by reason, so that no count can stand in for another.
        for _ in 0..3 {
            waiter.refused(&WebhookError::Decrypt(
                crate::webhook::cipher::DecryptError::Padding,
            ));
        }
        for _ in 0..4 {
            waiter.refused(&WebhookError::MissingHeader("signature"));
        }
        let not_seen = watch.wait(Duration::from_secs(1)).await.expect_err("none");
        let refused = *not_seen.refused();
        assert_eq!(
            (
                refused.signature(),
                refused.undecryptable(),
                refused.other()
            ),
            (2, 3, 4)
        );
        assert_eq!(refused.total(), 9);
        assert!(
            not_seen
                .to_string()
                .ends_with("; 9 delivery(ies) refused while waiting"),
            "{not_seen}"
        );
        assert_eq!(
            RefusedDeliveries::default().since(&refused),
            RefusedDeliveries::default(),
            "never below zero"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn each_watch_is_its_own_and_dropping_one_keeps_the_others() {
        let waiter = MeetingEndWaiter::new();
        let first = waiter.watch(MeetingEndFilter::meeting("1"));
        let second = waiter.watch(MeetingEndFilter::meeting("1"));
        let third = waiter.watch(MeetingEndFilter::meeting("1"));
        drop(second);
        assert_eq!(waiter.lock().waiting.get("1").map(Vec::len), Some(2));
        waiter.publish(&end("1", None, 0));
        assert!(first.wait(Duration::from_secs(1)).await.is_ok());
        assert!(third.wait(Duration::from_secs(1)).await.is_ok());
        assert!(waiter.lock().waiting.is_empty());
    }

    #[test]
    fn the_memory_keeps_each_end_once_and_forgets_the_oldest() {
        let waiter = MeetingEndWaiter::with_memory(2);
        waiter.publish(&end("1", None, 0));
        // A redelivery takes no room.
        waiter.publish(&end("1", None, 0));
        waiter.publish(&end("2", None, 0));
        assert!(waiter.recent(&MeetingEndFilter::meeting("1")).is_some());
        assert_eq!(waiter.lock().recent.len(), 2);
        waiter.publish(&end("3", None, 0));
        assert!(waiter.recent(&MeetingEndFilter::meeting("1")).is_none());
        assert!(waiter.recent(&MeetingEndFilter::meeting("2")).is_some());
        let none = MeetingEndWaiter::with_memory(0);
        none.publish(&end("1", None, 0));
        assert!(none.recent(&MeetingEndFilter::meeting("1")).is_none());
    }

    #[tokio::test(start_paused = true)]
    async fn copies_are_recognised_by_the_event_stores_key() {
        let waiter = MeetingEndWaiter::new();
        let dismissed = Dismissed::answered("1");
        let sent = unix_ms(dismissed.sent_at());
        let watch = waiter.watch(MeetingEndFilter::meeting("1"));
        // The same occurrence under two trace ids is one end (EventKey), and so is a copy
        // without a trace id.
        waiter.publish(&timed_end(Some("a"), 3, sent + 1));
        waiter.publish(&timed_end(Some("b"), 3, sent + 1));
        waiter.publish(&timed_end(None, 3, sent + 1));
        waiter.publish(&timed_end(None, 3, sent + 2));
        let not_seen = watch
            .confirm(
                &dismissed,
                &ConfirmationRules::default(),
                Duration::from_secs(1),
            )
            .await
            .expect_err("type 3");
        assert_eq!(
            (
                not_seen.ignored().redelivered(),
                not_seen.ignored().end_type()
            ),
            (2, 2)
        );
        assert_eq!(waiter.lock().recent.len(), 2);
    }
}
