//! The shared event store: [`PgEventStore`].

use std::collections::HashSet;
use std::future::Future;
use std::time::SystemTime;

use serde_json::Value;
use tencent_meeting::webhook::event::{Event, parse_event};
use tencent_meeting::webhook::store::{Appended, EventKey, EventStore};
use tokio_postgres::Row;

use crate::{Database, Error};

/// The channel each stored event's `seq` is announced on (`NOTIFY`), at commit.
pub(crate) const CHANNEL: &str = "tencent_meeting_events";

/// The columns an event is read back from.
pub(crate) const COLUMNS: &str = "seq, stored_at, body";

/// An [`EventStore`] in PostgreSQL, for any number of receivers on one database: each event is
/// a row whose unique key is its [`EventKey`], inserted with `ON CONFLICT DO NOTHING`, so a
/// redelivery to any replica is stored once.
///
/// A delivery is one statement (its events, then a `NOTIFY` per new row for the
/// [`PgEventFeed`](crate::PgEventFeed)s), committed before [`append`](EventStore::append)
/// returns `Ok`: the receiver answers 200 only for what is committed. A copy of an event that
/// another receiver is inserting at the same moment waits for that transaction (PostgreSQL's
/// unique index does), so it is `Duplicate` only once the other copy is committed, and stored
/// here if the other rolled back. An event repeated within one delivery is one occurrence
/// (one key) and stored once. With the database away or slow, `append` fails within the
/// database timeout and the receiver answers 500; the platform delivers again.
#[derive(Debug, Clone)]
pub struct PgEventStore {
    db: Database,
}

/// An event as stored, with where and when.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct StoredEvent {
    /// The row's number: the order events were stored in (not necessarily committed in).
    pub seq: i64,
    /// The server's clock when the row was written.
    pub stored_at: SystemTime,
    /// The event.
    pub event: Event,
}

impl PgEventStore {
    /// The store in `db`.
    pub fn new(db: &Database) -> Self {
        Self { db: db.clone() }
    }

    /// The events stored at or after `since` (the server's clock), in storage order.
    pub async fn stored_since(&self, since: SystemTime) -> Result<Vec<StoredEvent>, Error> {
        self.db
            .within(async {
                let client = self.db.client().await?;
                let rows = client
                    .query(
                        &format!(
                            "SELECT {COLUMNS} FROM tencent_meeting_events \
                             WHERE stored_at >= $1 ORDER BY seq"
                        ),
                        &[&since],
                    )
                    .await?;
                Ok(rows.iter().filter_map(stored_event).collect())
            })
            .await
    }

    async fn insert(&self, events: Vec<Event>) -> Result<Appended, Error> {
        let keys: Vec<EventKey> = events.iter().map(EventKey::of).collect();
        let mut columns = Columns::default();
        let mut seen = HashSet::new();
        for (event, key) in events.iter().zip(&keys) {
            if !seen.insert(key.as_str()) {
                continue;
            }
            columns.key.push(key.as_str().to_string());
            columns.event.push(event.name().to_string());
            columns.trace_id.push(event.trace_id().map(str::to_string));
            columns
                .meeting_id
                .push(meeting_id(event).map(str::to_string));
            columns
                .body
                .push(serde_json::to_value(event).unwrap_or(Value::Null));
        }
        let stored: HashSet<String> = self
            .db
            .within(async {
                let client = self.db.client().await?;
                let rows = client
                    .query(
                        // One statement, so one transaction: the rows and their notifications
                        // commit together, or neither does.
                        "WITH new AS (
                             INSERT INTO tencent_meeting_events
                                 (key, event, trace_id, meeting_id, body)
                             SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[],
                                                  $5::jsonb[])
                             ON CONFLICT (key) DO NOTHING
                             RETURNING seq, key
                         )
                         SELECT key, pg_notify($6, seq::text) FROM new",
                        &[
                            &columns.key,
                            &columns.event,
                            &columns.trace_id,
                            &columns.meeting_id,
                            &columns.body,
                            &CHANNEL,
                        ],
                    )
                    .await?;
                Ok(rows.iter().map(|row| row.get(0)).collect())
            })
            .await?;
        let mut first = HashSet::new();
        let new: Vec<Event> = events
            .into_iter()
            .zip(&keys)
            .filter(|(_, key)| stored.contains(key.as_str()) && first.insert(key.as_str()))
            .map(|(event, _)| event)
            .collect();
        Ok(if new.is_empty() {
            Appended::Duplicate
        } else {
            Appended::New(new)
        })
    }
}

impl EventStore for PgEventStore {
    type Error = Error;

    fn append(&self, events: Vec<Event>) -> impl Future<Output = Result<Appended, Error>> + Send {
        self.insert(events)
    }
}

/// The statement's parameters, one array per column.
#[derive(Default)]
struct Columns {
    key: Vec<String>,
    event: Vec<String>,
    trace_id: Vec<Option<String>>,
    meeting_id: Vec<Option<String>>,
    body: Vec<Value>,
}

/// The meeting an event is about, when it is a meeting's event.
fn meeting_id(event: &Event) -> Option<&str> {
    match event {
        Event::MeetingEnd(end) => Some(end.meeting().meeting_id()),
        Event::MeetingStarted(started) => Some(started.meeting().meeting_id()),
        _ => None,
    }
}

/// A row of [`COLUMNS`] read back into an event: its body is what `Event` serialises, one
/// payload entry, parsed again as a delivery of one entry. `None` (with a warning) for a row
/// that is not such a body, which only a hand-made row can be.
pub(crate) fn stored_event(row: &Row) -> Option<StoredEvent> {
    let seq: i64 = row.get(0);
    let body: Value = row.get(2);
    let delivery = serde_json::json!({
        "event": body.get("event"),
        "trace_id": body.get("trace_id"),
        "payload": [body.get("payload")],
    });
    let event = serde_json::to_vec(&delivery)
        .ok()
        .and_then(|bytes| parse_event(&bytes).ok())
        .and_then(|mut events| events.pop());
    if event.is_none() {
        tracing::warn!(seq, "a stored event could not be read back; skipped");
    }
    Some(StoredEvent {
        seq,
        stored_at: row.get(1),
        event: event?,
    })
}
