//! The app's quota, shared by every sender: [`PgRateLimiter`].

use std::future::Future;
use std::num::NonZeroU32;
use std::pin::Pin;
use std::time::Duration;

use tencent_meeting::{RateLimiter, RateLimiterError};
use tokio::time::Instant;

use crate::{Database, Error};

/// How long [`PgRateLimiter`] keeps trying while the database is unreachable, by default.
pub const DEFAULT_PATIENCE: Duration = Duration::from_secs(30);

/// The longest pause between two tries while the database is unreachable.
const MAX_RETRY_DELAY: Duration = Duration::from_secs(1);

/// A [`RateLimiter`] shared by every process that sends with one app's credentials: each
/// request reserves its slot in the database, so that every process sending with one app's credentials, together, sends at
/// most `requests` per `window`: one request every `window / requests`, evenly spaced, with no
/// burst, as [`tencent_meeting::Pacer`] does in one process.
///
/// GCRA on one row per app: the row holds the app's next free slot. A request takes the later
/// of that slot and now, and moves the row one period on, in one statement (the row lock
/// orders concurrent senders); it then waits until its slot. Times are the database server's
/// clock, so senders on machines whose clocks disagree share one schedule; a request's wait is
/// measured from when the server answered, so network delays only make it later.
///
/// **Fail safe.** While the database cannot be reached, a request keeps trying (with backoff)
/// for the [`patience`](Self::patience) (default 30 s), then fails with a
/// [`RateLimiterError`]: the client's call ends without sending anything. A request never goes
/// out without its slot. A slot reserved whose answer was lost (the connection dropped after the
/// commit) is wasted, not reused.
///
/// ```no_run
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// use std::num::NonZeroU32;
/// use std::sync::Arc;
/// use std::time::Duration;
/// use tencent_meeting::{Client, Credentials};
/// use tencent_meeting_postgres::{Database, PgRateLimiter};
///
/// let db = Database::connect("postgres://app@db.internal/meetings").await?;
/// // The service allows 300 a minute per app: every replica shares them.
/// let quota = PgRateLimiter::new(&db, "200000001", NonZeroU32::new(300).unwrap(), Duration::from_secs(60));
/// let client = Client::builder()
///     .credentials(Credentials::enterprise("200000001", "AKIDEXAMPLE", "secret-key")?)
///     .rate_limiter(Arc::new(quota))
///     .build()?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct PgRateLimiter {
    db: Database,
    app: String,
    period: Duration,
    patience: Duration,
}

impl PgRateLimiter {
    /// `requests` per `window` for the app `app` (the key of its row: the app ID, so that every
    /// sender of one app shares it), on `db`. A zero window is taken as one nanosecond.
    pub fn new(
        db: &Database,
        app: impl Into<String>,
        requests: NonZeroU32,
        window: Duration,
    ) -> Self {
        Self {
            db: db.clone(),
            app: app.into(),
            period: (window / requests.get()).max(Duration::from_nanos(1)),
            patience: DEFAULT_PATIENCE,
        }
    }

    /// How long a request keeps trying while the database is unreachable before it fails
    /// (default 30 s); zero: fail at the first error.
    #[must_use]
    pub fn patience(mut self, patience: Duration) -> Self {
        self.patience = patience;
        self
    }

    /// The time between two requests of the app: `window / requests`.
    pub fn period(&self) -> Duration {
        self.period
    }

    /// The app whose row this limiter reserves in.
    pub fn app(&self) -> &str {
        &self.app
    }

    /// Reserves the app's next slot; returns how long to wait for it (zero if it is now).
    pub async fn reserve(&self) -> Result<Duration, Error> {
        let period_us = self.period.as_secs_f64() * 1e6;
        self.db
            .within(async {
                let client = self.db.client().await?;
                let row = client
                    .query_one(
                        // `now` once, so that the row and the answer agree on it.
                        "WITH now AS (SELECT clock_timestamp() AS t)
                         INSERT INTO tencent_meeting_quota AS q (app, next_slot)
                         SELECT $1, now.t + $2::float8 * interval '1 microsecond' FROM now
                         ON CONFLICT (app) DO UPDATE
                         SET next_slot = greatest(q.next_slot, (SELECT t FROM now))
                                         + $2::float8 * interval '1 microsecond'
                         RETURNING extract(epoch FROM q.next_slot - (SELECT t FROM now))::float8
                                   * 1000000 - $2::float8",
                        &[&self.app, &period_us],
                    )
                    .await?;
                let wait_us: f64 = row.get(0);
                Ok(Duration::from_secs_f64(wait_us.max(0.0) / 1e6))
            })
            .await
    }
}

impl RateLimiter for PgRateLimiter {
    /// Reserves the app's next slot in the database and waits for it; keeps trying while the
    /// database is unreachable, for the patience, then fails.
    fn acquire(&self) -> Pin<Box<dyn Future<Output = Result<(), RateLimiterError>> + Send + '_>> {
        Box::pin(async move {
            let give_up = Instant::now() + self.patience;
            let mut delay = Duration::from_millis(50);
            loop {
                match self.reserve().await {
                    Ok(wait) => {
                        tokio::time::sleep(wait).await;
                        return Ok(());
                    }
                    Err(e) if e.is_transient() && Instant::now() < give_up => {
                        tracing::warn!(app = %self.app, error = %e, "the shared quota is unreachable; trying again");
                        // The last try at the end of the patience, not before.
                        tokio::time::sleep(
                            delay.min(give_up.saturating_duration_since(Instant::now())),
                        )
                        .await;
                        delay = (delay * 2).min(MAX_RETRY_DELAY);
                    }
                    Err(e) => {
                        return Err(RateLimiterError::new(format!(
                            "the shared quota in PostgreSQL could not be reached for {:?}: {e}",
                            self.patience
                        ))
                        .with_source(e));
                    }
                }
            }
        })
    }
}
