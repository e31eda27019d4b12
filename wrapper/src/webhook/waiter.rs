//! Waiting for the `meeting.end` of one meeting, with a deadline, from the events a receiver
//! acknowledged: what turns "the service accepted the dismiss" into "the meeting was seen to end".
//!
//! A receiver feeds a [`MeetingEndWaiter`] ([`MeetingEndWaiter::publish`]; the axum receiver does
//! it after the handler succeeded). To never miss an event that arrives before the wait starts,
//! [`watch`](MeetingEndWaiter::watch) before sending the dismiss, then
//! [`wait`](MeetingEndWatch::wait). [`MeetingEndWaiter::wait_for`] also looks at the ends seen
//! recently, for callers that could not watch first.
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

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::sync::oneshot;

use super::event::{Event, MeetingEnd, MeetingEndType};

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

/// No matching `meeting.end` was seen in time.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("no meeting.end seen for meeting {meeting_id}{} within {waited:?}", sub_meeting_id.as_deref().map(|s| format!(" (sub-meeting {s})")).unwrap_or_default())]
pub struct NotSeen {
    meeting_id: String,
    sub_meeting_id: Option<String>,
    waited: Duration,
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
    /// The latest ends, oldest first.
    recent: VecDeque<MeetingEnd>,
    memory: usize,
}

#[derive(Debug)]
struct Waiting {
    id: u64,
    filter: MeetingEndFilter,
    tx: oneshot::Sender<MeetingEnd>,
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
            })),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Registry> {
        // Nothing here can leave the registry half-changed; a panic elsewhere does not matter.
        self.registry.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Hands the `meeting.end` events among `events` to the waits they match, and remembers
    /// them. Call it with events that were acknowledged (stored, if the receiver stores).
    pub fn publish(&self, events: &[Event]) {
        let mut registry = self.lock();
        for end in events.iter().filter_map(Event::as_meeting_end) {
            let id = end.meeting().meeting_id();
            if let Some(waits) = registry.waiting.get_mut(id) {
                let mut kept = Vec::with_capacity(waits.len());
                for wait in waits.drain(..) {
                    if wait.filter.matches(end) {
                        // A wait given up on has dropped its receiver; nothing to do then.
                        let _ = wait.tx.send(end.clone());
                    } else {
                        kept.push(wait);
                    }
                }
                *waits = kept;
                if waits.is_empty() {
                    registry.waiting.remove(id);
                }
            }
            if registry.memory > 0 {
                if registry.recent.len() == registry.memory {
                    registry.recent.pop_front();
                }
                registry.recent.push_back(end.clone());
            }
        }
    }

    /// Starts watching for a matching end published from now on.
    pub fn watch(&self, filter: MeetingEndFilter) -> MeetingEndWatch {
        let (tx, rx) = oneshot::channel();
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
            registry: Arc::clone(&self.registry),
        }
    }

    /// The latest remembered end matching `filter`.
    pub fn recent(&self, filter: &MeetingEndFilter) -> Option<MeetingEnd> {
        self.lock()
            .recent
            .iter()
            .rev()
            .find(|end| filter.matches(end))
            .cloned()
    }

    /// A remembered matching end at once, or the next one published within `timeout`. A
    /// remembered end may be an earlier end of the same meeting (one restarted since): prefer
    /// [`watch`](Self::watch) before the dismiss when that matters.
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
    rx: oneshot::Receiver<MeetingEnd>,
    registry: Arc<Mutex<Registry>>,
}

impl MeetingEndWatch {
    /// What this watch waits for.
    pub fn filter(&self) -> &MeetingEndFilter {
        &self.filter
    }

    /// The matching end, or [`NotSeen`] once `timeout` has passed.
    pub async fn wait(mut self, timeout: Duration) -> Result<MeetingEnd, NotSeen> {
        match tokio::time::timeout(timeout, &mut self.rx).await {
            Ok(Ok(end)) => Ok(end),
            // Elapsed, or (never while this watch lives) the sender gone.
            _ => Err(NotSeen {
                meeting_id: self.filter.meeting_id.clone(),
                sub_meeting_id: self.filter.sub_meeting_id.clone(),
                waited: timeout,
            }),
        }
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
}
