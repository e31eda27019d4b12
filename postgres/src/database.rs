//! The connection pool every part of the crate shares, and the timeout on each of its reads.

use std::future::Future;
use std::str::FromStr as _;
use std::sync::Arc;
use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Object, Pool, RecyclingMethod, Runtime};

use crate::Error;
use crate::schema;

/// The default limit on one database operation (a connection included).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
/// The default number of pooled connections.
pub const DEFAULT_MAX_CONNECTIONS: usize = 8;

/// A PostgreSQL database holding the shared state of several replicas: a pool of connections,
/// its schema migrated. Cheap to clone (clones share the pool).
///
/// ```no_run
/// # async fn run() -> Result<(), tencent_meeting_postgres::Error> {
/// let db = tencent_meeting_postgres::Database::connect("postgres://app@db.internal/meetings").await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Database {
    pool: Pool,
    config: Arc<tokio_postgres::Config>,
    timeout: Duration,
}

impl std::fmt::Debug for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Not the config: it may hold a password.
        f.debug_struct("Database")
            .field("hosts", &self.config.get_hosts())
            .field("dbname", &self.config.get_dbname())
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

/// Configures a [`Database`] before connecting.
#[derive(Clone)]
pub struct DatabaseBuilder {
    url: String,
    password: Option<String>,
    timeout: Duration,
    max_connections: usize,
}

impl std::fmt::Debug for DatabaseBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Not the URL nor the password.
        f.debug_struct("DatabaseBuilder")
            .field("timeout", &self.timeout)
            .field("max_connections", &self.max_connections)
            .finish_non_exhaustive()
    }
}

impl Database {
    /// Connects to the database at `url` (`postgres://user:password@host:port/dbname?…`, or
    /// the `key=value` form libpq takes) with the defaults, and migrates its schema. Fails when
    /// the database cannot be reached now: a replica that starts without its database should
    /// say so at once, not at its first event.
    pub async fn connect(url: &str) -> Result<Database, Error> {
        Self::builder(url).connect().await
    }

    /// A builder, to change the defaults first.
    pub fn builder(url: impl Into<String>) -> DatabaseBuilder {
        DatabaseBuilder {
            url: url.into(),
            password: None,
            timeout: DEFAULT_TIMEOUT,
            max_connections: DEFAULT_MAX_CONNECTIONS,
        }
    }

    /// A pooled connection, within the timeout.
    pub(crate) async fn client(&self) -> Result<Object, Error> {
        self.within(async { Ok(self.pool.get().await?) }).await
    }

    /// Runs `operation` within the database timeout.
    pub(crate) async fn within<T>(
        &self,
        operation: impl Future<Output = Result<T, Error>>,
    ) -> Result<T, Error> {
        tokio::time::timeout(self.timeout, operation)
            .await
            .unwrap_or(Err(Error::Timeout(self.timeout)))
    }

    /// The connection settings (for a connection outside the pool).
    pub(crate) fn config(&self) -> &tokio_postgres::Config {
        &self.config
    }

    /// The limit on one database operation.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }
}

impl DatabaseBuilder {
    /// The limit on each database operation, a new connection included (default 10 s). When
    /// it passes, the operation fails with [`Error::Timeout`].
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout.max(Duration::from_millis(1));
        self
    }

    /// The password, when the URL has none: kept out of the URL, which a command line shows
    /// to every user of the machine (`ps`). A URL's own password wins.
    pub fn password(mut self, password: impl Into<String>) -> Self {
        self.password = Some(password.into());
        self
    }

    /// How many connections the pool keeps at most (default 8).
    pub fn max_connections(mut self, max: usize) -> Self {
        self.max_connections = max.max(1);
        self
    }

    /// Connects, and migrates the schema to this build's version.
    pub async fn connect(self) -> Result<Database, Error> {
        let mut config =
            tokio_postgres::Config::from_str(&self.url).map_err(|e| Error::Url(Arc::new(e)))?;
        if let Some(password) = &self.password
            && config.get_password().is_none()
        {
            config.password(password);
        }
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(self.timeout);
        }
        if config.get_application_name().is_none() {
            config.application_name("tencent-meeting");
        }
        // The server gives up a statement when the client has: no work outlives its caller,
        // and a row is committed within the timeout of its insert or not at all (the feed's
        // catch-up margin counts on it).
        let timeout_ms = self.timeout.as_millis().max(1);
        let options = match config.get_options() {
            Some(options) => format!("{options} -c statement_timeout={timeout_ms}"),
            None => format!("-c statement_timeout={timeout_ms}"),
        };
        config.options(&options);
        let manager = Manager::from_config(
            config.clone(),
            tokio_postgres::NoTls,
            ManagerConfig {
                // Only a closed connection is dropped on reuse; a query on a broken one fails
                // and the pool forgets it then.
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(self.max_connections)
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(self.timeout))
            .create_timeout(Some(self.timeout))
            .recycle_timeout(Some(self.timeout))
            .build()
            .map_err(|e| Error::unavailable(format!("could not build the pool: {e}")))?;
        let db = Database {
            pool,
            config: Arc::new(config),
            timeout: self.timeout,
        };
        let mut client = db.client().await?;
        db.within(async { schema::migrate(&mut client).await.map(drop) })
            .await?;
        Ok(db)
    }
}
