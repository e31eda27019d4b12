//! [`MemoryEventStore`]: events in a `Vec`, for tests, examples and receivers that keep nothing.

use std::collections::HashSet;
use std::convert::Infallible;
use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};

use super::{Appended, EventKey, EventStore};
use crate::webhook::event::Event;

/// An [`EventStore`] in memory: deduplicated like any store, lost when the process ends, and
/// never forgetting (it grows with every new event). Cheap to clone; clones share the events.
#[derive(Debug, Clone, Default)]
pub struct MemoryEventStore {
    inner: Arc<Mutex<Memory>>,
}

#[derive(Debug, Default)]
struct Memory {
    keys: HashSet<EventKey>,
    events: Vec<Event>,
}

impl MemoryEventStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// The events stored, in the order they were stored.
    pub fn events(&self) -> Vec<Event> {
        self.lock().events.clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Memory> {
        // Nothing panics while holding the lock; were it poisoned, the data is still whole.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl EventStore for MemoryEventStore {
    type Error = Infallible;

    fn append(
        &self,
        events: Vec<Event>,
    ) -> impl Future<Output = Result<Appended, Infallible>> + Send {
        let mut memory = self.lock();
        let keys: Vec<EventKey> = events.iter().map(EventKey::of).collect();
        // Compared with what was stored before, not with each other: one delivery.
        let fresh: Vec<bool> = keys.iter().map(|k| !memory.keys.contains(k)).collect();
        let new: Vec<Event> = events
            .into_iter()
            .zip(&fresh)
            .filter_map(|(event, &fresh)| fresh.then_some(event))
            .collect();
        let appended = if new.is_empty() {
            Appended::Duplicate
        } else {
            memory.keys.extend(keys);
            memory.events.extend(new.iter().cloned());
            Appended::New(new)
        };
        drop(memory);
        std::future::ready(Ok(appended))
    }
}
