//! Where a receiver keeps the events it acknowledges: the [`EventStore`] trait, the one
//! definition of an event's identity ([`EventKey`]), and an in-memory store
//! ([`MemoryEventStore`]) for tests and examples.
//!
//! tower-sessions style: this crate defines the trait; each backend sits beside it — memory
//! here, an append-only file in the CLI (`tencent-meeting events listen --store PATH`), PostgreSQL
//! in `tencent-meeting-postgres` (for several replicas: they share a database, not files). The
//! axum `Receiver` (`webhook::axum`, feature `webhook-axum`) takes any store with
//! `Receiver::storing` and answers 200 only once the store said the delivery is kept.
//!
//! ```
//! # async fn run() {
//! use tencent_meeting::webhook::store::{Appended, EventStore as _, MemoryEventStore};
//! # let events = tencent_meeting::webhook::event::parse_event(
//! #     br#"{"event":"meeting.end","trace_id":"t1","payload":[{"operate_time":1,"meeting_end_type":0,"meeting_info":{"meeting_id":"1"}}]}"#,
//! # ).unwrap();
//!
//! let store = MemoryEventStore::new();
//! assert!(matches!(store.append(events.clone()).await, Ok(Appended::New(_))));
//! // The platform delivers again (its answer was lost): recognised, not kept twice.
//! assert!(matches!(store.append(events).await, Ok(Appended::Duplicate)));
//! assert_eq!(store.events().len(), 1);
//! # }
//! ```

mod key;
mod memory;

use std::future::Future;
use std::sync::Arc;

use super::event::Event;

pub use key::EventKey;
pub use memory::MemoryEventStore;

/// What [`EventStore::append`] did with a delivery.
#[derive(Debug, Clone, PartialEq)]
pub enum Appended {
    /// These events (the delivery's, in order, minus those already stored) are now stored.
    New(Vec<Event>),
    /// Every event of the delivery was stored before: nothing was written.
    Duplicate,
}

/// A durable home for the events a receiver acknowledges, deduplicated by [`EventKey`].
///
/// The contract every store keeps, and the receiver relies on (it answers 200 on `Ok`, after
/// which the platform does not deliver again):
///
/// - **`Ok` means kept.** When `append` returns `Ok`, each of the delivery's events is stored
///   (as durably as the store gets: synced to disk, committed), by this call
///   ([`Appended::New`]) or an earlier one ([`Appended::Duplicate`]). An error means this call
///   stored nothing; the receiver answers 500 and the platform delivers again.
/// - **Never acknowledge what is not stored.** A copy of an event that another call is storing
///   at the same moment (the platform retrying while the first attempt is still being written)
///   is not `Duplicate` until that store succeeded: it waits for it and shares its result, or
///   stores the event itself.
/// - **Deduplicated by [`EventKey::of`]**, the one definition of an event's identity, whatever
///   the store. Events of one call are not compared with each other (they are one delivery).
pub trait EventStore: Send + Sync + 'static {
    /// Why a delivery could not be stored.
    type Error: std::error::Error + Send + Sync + 'static;

    /// Stores the delivery's events that are not stored yet (see the trait's contract).
    fn append(
        &self,
        events: Vec<Event>,
    ) -> impl Future<Output = Result<Appended, Self::Error>> + Send;
}

impl<S: EventStore> EventStore for Arc<S> {
    type Error = S::Error;

    fn append(
        &self,
        events: Vec<Event>,
    ) -> impl Future<Output = Result<Appended, Self::Error>> + Send {
        S::append(self, events)
    }
}
