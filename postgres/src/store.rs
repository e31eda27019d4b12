//! The shared event store: [`PgEventStore`].

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::sync::{Arc, OnceLock};
use std::time::SystemTime;

use serde_json::Value;
use tencent_meeting::webhook::Event;
use tencent_meeting::webhook::event::parse_event;
use tencent_meeting::webhook::store::{Appended, EventKey, EventStore};
use tokio::sync::{Mutex, mpsc, oneshot};
use tokio_postgres::Row;

use crate::{Database, Error};

/// The channel each stored event's `seq` is announced on (`NOTIFY`), at commit.
pub(crate) const CHANNEL: &str = "tencent_meeting_events";

/// The columns an event is read back from.
pub(crate) const COLUMNS: &str = "seq, stored_at, body";

/// The most deliveries committed in one transaction.
const MAX_GROUP: usize = 256;
/// How many groups are written at once, each on a connection of the pool.
const WRITERS: usize = 4;
/// How many deliveries may wait for a writer; `append` then waits for room (within its timeout).
const QUEUE: usize = 1024;

/// An [`EventStore`] in PostgreSQL, for any number of receivers on one database: each event is
/// a row whose unique key is its [`EventKey`], inserted with `ON CONFLICT DO NOTHING`, so a
/// redelivery to any replica is stored once.
///
/// **Group commit.** The deliveries waiting at a moment are written together: one statement
/// (their events, in key order, then a `NOTIFY` per new row for the
/// [`PgEventFeed`](crate::PgEventFeed)s), one transaction, one commit, by one of a few writer
/// tasks. [`append`](EventStore::append) returns `Ok` only once that transaction committed,
/// so the receiver answers 200 only for what is committed; if it fails, every delivery of the
/// group gets the error (and a 500: the platform delivers again). One commit per group, not per
/// delivery, because each commit waits for the disk, and a transaction that notifies holds a
/// lock, global to the database, until it has committed.
///
/// A copy of an event that another receiver is inserting at the same moment waits for that
/// transaction (PostgreSQL's unique index does), so it is `Duplicate` only once the other copy
/// is committed, and stored here if the other rolled back; rows go in key order, so two groups
/// never wait on each other. An event repeated within one delivery, or within one group, is one
/// occurrence (one key) and stored once: by the first delivery that holds it. With the database
/// away or slow, `append` fails within twice the database timeout (a wait for a writer, then the
/// statement).
#[derive(Debug, Clone)]
pub struct PgEventStore {
    db: Database,
    /// The writers' queue, started by the first `append` (they need the caller's runtime).
    queue: Arc<OnceLock<mpsc::Sender<Job>>>,
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

/// One delivery waiting for a writer.
struct Job {
    events: Vec<Event>,
    reply: oneshot::Sender<Result<Appended, Error>>,
}

impl PgEventStore {
    /// The store in `db`.
    pub fn new(db: &Database) -> Self {
        Self {
            db: db.clone(),
            queue: Arc::new(OnceLock::new()),
        }
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

    async fn store(&self, events: Vec<Event>) -> Result<Appended, Error> {
        if events.is_empty() {
            return Ok(Appended::Duplicate);
        }
        let queue = self.queue.get_or_init(|| start_writers(&self.db)).clone();
        let limit = self.db.timeout() * 2;
        let stopped = || Error::unavailable("the store's writers stopped");
        tokio::time::timeout(limit, async {
            let (reply, answer) = oneshot::channel();
            queue
                .send(Job { events, reply })
                .await
                .map_err(|_| stopped())?;
            answer.await.map_err(|_| stopped())?
        })
        .await
        .unwrap_or(Err(Error::Timeout(limit)))
    }
}

impl EventStore for PgEventStore {
    type Error = Error;

    fn append(&self, events: Vec<Event>) -> impl Future<Output = Result<Appended, Error>> + Send {
        self.store(events)
    }
}

/// Starts the writers; returns their queue. They stop when every store that shares it is gone.
fn start_writers(db: &Database) -> mpsc::Sender<Job> {
    let (queue, jobs) = mpsc::channel(QUEUE);
    let jobs = Arc::new(Mutex::new(jobs));
    for _ in 0..WRITERS {
        let (db, jobs) = (db.clone(), jobs.clone());
        tokio::spawn(async move {
            loop {
                // One writer at a time takes what is waiting; the others write meanwhile.
                let group = {
                    let mut jobs = jobs.lock().await;
                    let Some(first) = jobs.recv().await else {
                        return;
                    };
                    let mut group = vec![first];
                    while group.len() < MAX_GROUP {
                        match jobs.try_recv() {
                            Ok(job) => group.push(job),
                            Err(_) => break,
                        }
                    }
                    group
                };
                write_group(&db, group).await;
            }
        });
    }
    queue
}

/// Writes a group of deliveries in one transaction and answers each.
async fn write_group(db: &Database, group: Vec<Job>) {
    // Each key's row comes from the first delivery of the group that holds it.
    let mut owner: HashMap<String, usize> = HashMap::new();
    let mut rows: Vec<(String, &Event)> = Vec::new();
    let keys: Vec<Vec<EventKey>> = group
        .iter()
        .map(|job| job.events.iter().map(EventKey::of).collect())
        .collect();
    for (i, (job, keys)) in group.iter().zip(&keys).enumerate() {
        for (event, key) in job.events.iter().zip(keys) {
            if !owner.contains_key(key.as_str()) {
                owner.insert(key.as_str().to_string(), i);
                rows.push((key.as_str().to_string(), event));
            }
        }
    }
    // In key order: concurrent groups lock their keys in the same order, never in a cycle.
    rows.sort_by(|a, b| a.0.cmp(&b.0));
    let mut columns = Columns::default();
    for (key, event) in rows {
        columns.key.push(key);
        columns.event.push(event.name().to_string());
        columns.trace_id.push(event.trace_id().map(str::to_string));
        columns
            .meeting_id
            .push(meeting_id(event).map(str::to_string));
        columns
            .body
            .push(serde_json::to_value(event).unwrap_or(Value::Null));
    }
    let stored = db
        .within(async {
            let client = db.client().await?;
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
            Ok(rows
                .iter()
                .map(|row| row.get::<_, String>(0))
                .collect::<HashSet<String>>())
        })
        .await;
    for (i, (job, keys)) in group.into_iter().zip(keys).enumerate() {
        let answer = match &stored {
            Err(e) => Err(e.clone()),
            Ok(stored) => {
                let mut first = HashSet::new();
                let new: Vec<Event> = job
                    .events
                    .into_iter()
                    .zip(&keys)
                    .filter(|(_, key)| {
                        stored.contains(key.as_str())
                            && owner.get(key.as_str()) == Some(&i)
                            && first.insert(key.as_str())
                    })
                    .map(|(event, _)| event)
                    .collect();
                Ok(if new.is_empty() {
                    Appended::Duplicate
                } else {
                    Appended::New(new)
                })
            }
        };
        // A caller that stopped waiting (its request was dropped) is not answered.
        let _ = job.reply.send(answer);
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
