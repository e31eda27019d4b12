//! Confirmation from any replica: [`PgEventFeed`] feeds a [`MeetingEndWaiter`] with the
//! `meeting.end` events every receiver stored in the database.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime};

use tencent_meeting::webhook::{Event, MeetingEndWaiter};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio_postgres::AsyncMessage;

use crate::store::{CHANNEL, COLUMNS, stored_event};
use crate::{Database, Error};

/// How far before the moment a connection was last known alive a catch-up reads: longer than
/// any receiver's insert can take between its `stored_at` and its commit (the database timeout,
/// 10 s by default), with room to spare.
pub const CATCH_UP_MARGIN: Duration = Duration::from_secs(60);

/// How often an idle feed checks that its connection is alive (a dead peer that sent no reset
/// would otherwise leave it waiting for notifications forever).
const KEEPALIVE: Duration = Duration::from_secs(5);

/// The most notifications held before the feed stops counting them and reads by time instead.
const QUEUE: usize = 4096;

/// Feeds a [`MeetingEndWaiter`] with every `meeting.end` any receiver stores in the database,
/// so that a dismiss sent by one process is confirmed by an event delivered to another. The
/// waiter's confirmation rules apply unchanged: the feed only publishes what was stored.
///
/// How nothing is missed: the feed `LISTEN`s on a connection of its own (the store `NOTIFY`s
/// each new row's number at commit) and reads the rows announced; every time it (re)connects,
/// once it listens, it also reads what was stored since it last knew its connection alive
/// (less [`CATCH_UP_MARGIN`]), so an event committed before the `LISTEN` or while it was
/// reconnecting is published too. An event may be published twice (the catch-up and its
/// notification overlap); the waiter takes it once. While the database is away the feed retries
/// with backoff, and the waits simply see nothing until it is back.
///
/// Dropping the feed stops it.
///
/// ```no_run
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// use std::time::Duration;
/// use tencent_meeting::webhook::{MeetingEndFilter, MeetingEndWaiter};
/// use tencent_meeting_postgres::{Database, PgEventFeed};
///
/// let db = Database::connect("postgres://app@db.internal/meetings").await?;
/// let waiter = MeetingEndWaiter::new();
/// let _feed = PgEventFeed::start(&db, waiter.clone()).await?; // listening once this returns
/// let watch = waiter.watch(MeetingEndFilter::meeting("7567173273889276131"));
/// // ... dismiss the meeting; any replica's receiver stores its meeting.end ...
/// let end = watch.wait(Duration::from_secs(30)).await?;
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct PgEventFeed {
    task: JoinHandle<()>,
}

impl PgEventFeed {
    /// Starts feeding `waiter` with what is stored from now on (and in the
    /// [`CATCH_UP_MARGIN`] before). Returns once the feed listens, so that a dismiss sent after
    /// it returns cannot have its event missed; fails if the database cannot be reached now.
    pub async fn start(db: &Database, waiter: MeetingEndWaiter) -> Result<PgEventFeed, Error> {
        let (ready_tx, ready_rx) = oneshot::channel();
        let feed = Feed {
            db: db.clone(),
            waiter,
            alive_at: None,
        };
        let task = tokio::spawn(feed.run(ready_tx));
        match ready_rx.await {
            Ok(Ok(())) => Ok(PgEventFeed { task }),
            Ok(Err(e)) => {
                task.abort();
                Err(e)
            }
            Err(_) => Err(Error::unavailable("the feed stopped before it listened")),
        }
    }
}

impl Drop for PgEventFeed {
    fn drop(&mut self) {
        self.task.abort();
    }
}

struct Feed {
    db: Database,
    waiter: MeetingEndWaiter,
    /// The server's clock when the feed last knew its connection alive.
    alive_at: Option<SystemTime>,
}

impl Feed {
    async fn run(mut self, ready: oneshot::Sender<Result<(), Error>>) {
        let mut ready = Some(ready);
        let mut delay = Duration::from_millis(50);
        loop {
            let alive_before = self.alive_at;
            let ended = self.listen(&mut ready).await;
            let Err(e) = ended;
            if self.alive_at != alive_before {
                // That connection worked for a while: a new outage starts its backoff afresh.
                delay = Duration::from_millis(50);
            }
            if let Some(ready) = ready.take() {
                let _ = ready.send(Err(e));
                return;
            }
            tracing::warn!(error = %e, "the event feed lost the database; reconnecting");
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(Duration::from_secs(2));
        }
    }

    /// One connection's life: listen, catch up, then read what is announced until the
    /// connection fails. Never returns `Ok`.
    async fn listen(
        &mut self,
        ready: &mut Option<oneshot::Sender<Result<(), Error>>>,
    ) -> Result<std::convert::Infallible, Error> {
        let (client, mut connection) = self
            .db
            .within(async { Ok(self.db.config().connect(tokio_postgres::NoTls).await?) })
            .await?;
        let (tx, mut announced) = mpsc::channel::<i64>(QUEUE);
        let overflowed = Arc::new(AtomicBool::new(false));
        let driver = {
            let overflowed = overflowed.clone();
            tokio::spawn(async move {
                while let Some(message) =
                    std::future::poll_fn(|cx| connection.poll_message(cx)).await
                {
                    match message {
                        Ok(AsyncMessage::Notification(n)) => {
                            let seq = n.payload().parse().unwrap_or(-1);
                            if tx.try_send(seq).is_err() {
                                overflowed.store(true, Ordering::Relaxed);
                            }
                        }
                        Ok(_) => {}
                        Err(e) => {
                            tracing::warn!(error = %e, "the event feed's connection failed");
                            break;
                        }
                    }
                }
            })
        };
        let _stop_driver = AbortOnDrop(driver);
        self.db
            .within(async { Ok(client.batch_execute(&format!("LISTEN {CHANNEL}")).await?) })
            .await?;
        // Listening: anything committed from now on is announced. Before it: read.
        self.catch_up(&client).await?;
        if let Some(ready) = ready.take() {
            let _ = ready.send(Ok(()));
        }
        loop {
            let first = match tokio::time::timeout(KEEPALIVE, announced.recv()).await {
                Ok(Some(seq)) => Some(seq),
                Ok(None) => return Err(Error::unavailable("the feed's connection closed")),
                Err(_) => None, // idle: check the connection below
            };
            if overflowed.swap(false, Ordering::Relaxed) {
                while announced.try_recv().is_ok() {}
                self.catch_up(&client).await?;
                continue;
            }
            let Some(first) = first else {
                self.note_alive(&client).await?;
                continue;
            };
            let mut seqs = BTreeSet::from([first]);
            while let Ok(seq) = announced.try_recv() {
                seqs.insert(seq);
            }
            let seqs: Vec<i64> = seqs.into_iter().collect();
            self.read(
                &client,
                &format!(
                    "SELECT {COLUMNS}, clock_timestamp() FROM tencent_meeting_events \
                     WHERE seq = ANY($1) AND event = 'meeting.end' ORDER BY seq"
                ),
                &[&seqs],
            )
            .await?;
        }
    }

    /// Reads and publishes what was stored since the connection was last known alive, less
    /// the margin (at the first connection: since now, less the margin).
    async fn catch_up(&mut self, client: &tokio_postgres::Client) -> Result<(), Error> {
        let alive_at = match self.alive_at {
            Some(at) => at,
            None => self.note_alive(client).await?,
        };
        let since = alive_at
            .checked_sub(CATCH_UP_MARGIN)
            .unwrap_or(SystemTime::UNIX_EPOCH);
        let query = format!(
            "SELECT {COLUMNS}, clock_timestamp() FROM tencent_meeting_events \
             WHERE stored_at >= $1 AND event = 'meeting.end' ORDER BY seq"
        );
        self.read(client, &query, &[&since]).await
    }

    /// Checks the connection; notes and returns the server's time.
    async fn note_alive(&mut self, client: &tokio_postgres::Client) -> Result<SystemTime, Error> {
        let now: SystemTime = self
            .db
            .within(async { Ok(client.query_one("SELECT clock_timestamp()", &[]).await?) })
            .await?
            .get(0);
        self.alive_at = Some(now);
        Ok(now)
    }

    /// Runs a query of [`COLUMNS`] followed by the server's time, publishes its events, and
    /// notes the time.
    async fn read(
        &mut self,
        client: &tokio_postgres::Client,
        query: &str,
        params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
    ) -> Result<(), Error> {
        let rows = self
            .db
            .within(async { Ok(client.query(query, params).await?) })
            .await?;
        let events: Vec<Event> = rows
            .iter()
            .filter_map(stored_event)
            .map(|stored| stored.event)
            .collect();
        if !events.is_empty() {
            self.waiter.publish(&events);
        }
        if let Some(now) = rows.last().map(|row| row.get::<_, SystemTime>(3)) {
            self.alive_at = Some(now);
        }
        Ok(())
    }
}

/// Aborts the task when dropped: a connection's driver ends with the connection's life.
struct AbortOnDrop(JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}
