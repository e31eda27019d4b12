//! Starting, running and stopping the simulator: the builder, the handle, and the accept loop.
//!
//! The server is hyper's HTTP/1 connection driven by our own accept loop, so a fault can close a
//! connection without answering (the service function returns an error) and a truncated body
//! breaks the connection it was sent on.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tencent_meeting::clock::{Clock, SystemClock};
use tencent_meeting::{Client, ClientBuilder, Credentials};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};

use crate::auth::Authenticator;
use crate::credentials::SimCredentials;
use crate::error::SimError;
use crate::faults::{FaultState, Faults};
use crate::meeting::{MeetingSpec, MeetingView};
use crate::rate_limit::{RateLimiter, RateLimits};
use crate::replay::ReplayCache;
use crate::service::{self, App, SHUTDOWN_GRACE, TraceIds};
use crate::state::MeetingStore;
use crate::stats::{Stats, StatsCollector};
use crate::webhooks::{WebhookSubscription, Webhooks};

/// How far `X-TC-Timestamp` may be from the simulator clock, and how long a timestamp and nonce
/// are remembered for replay detection: 5 minutes, as the service.
pub const TIMESTAMP_WINDOW: Duration = Duration::from_secs(300);
/// The default largest API request body (64 KiB); larger ones get HTTP 413.
pub const DEFAULT_MAX_BODY_BYTES: usize = 64 * 1024;
/// The default bound of the replay cache (entries). Far above what 5 minutes of a load test
/// sends; beyond it the oldest entries are evicted early.
pub const DEFAULT_REPLAY_CAPACITY: usize = 1_000_000;
/// The default seed of the RNG behind generated IDs and fault shares.
pub const DEFAULT_RNG_SEED: u64 = 0x5EED_7E4C_E47D_0001;
/// The largest admin request body (16 MiB: many meetings can be created at once).
const MAX_ADMIN_BODY_BYTES: usize = 16 * 1024 * 1024;

/// Configures and starts a [`Simulator`].
///
/// Defaults: listens on `127.0.0.1` on a free port, demo credentials
/// ([`SimCredentials::demo`]), system clock, empty success bodies, the service's rate limits
/// ([`RateLimits::documented`]: 300 requests a minute, 200,000 a day), no faults, no meetings.
#[derive(Debug)]
#[must_use = "the builder does nothing until .start() is awaited"]
pub struct SimulatorBuilder {
    addr: SocketAddr,
    credentials: SimCredentials,
    clock: Arc<dyn Clock>,
    empty_object_success: bool,
    faults: Faults,
    seed: Vec<MeetingSpec>,
    seed_files: Vec<PathBuf>,
    rng_seed: u64,
    max_body_bytes: usize,
    replay_capacity: usize,
    rate_limits: RateLimits,
    webhooks: Vec<WebhookSubscription>,
}

impl Default for SimulatorBuilder {
    fn default() -> Self {
        Self {
            addr: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            credentials: SimCredentials::demo(),
            clock: Arc::new(SystemClock),
            empty_object_success: false,
            faults: Faults::none(),
            seed: Vec::new(),
            seed_files: Vec::new(),
            rng_seed: DEFAULT_RNG_SEED,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            replay_capacity: DEFAULT_REPLAY_CAPACITY,
            rate_limits: RateLimits::documented(),
            webhooks: Vec::new(),
        }
    }
}

impl SimulatorBuilder {
    /// The address to listen on (default `127.0.0.1:0`, a free port).
    pub fn bind(mut self, addr: SocketAddr) -> Self {
        self.addr = addr;
        self
    }

    /// Listens on `127.0.0.1:port` (0 for a free port).
    pub fn port(mut self, port: u16) -> Self {
        self.addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        self
    }

    /// All the credentials at once (default [`SimCredentials::demo`]).
    pub fn credentials(mut self, credentials: SimCredentials) -> Self {
        self.credentials = credentials;
        self
    }

    /// The enterprise ID (`AppId`) accepted.
    pub fn app_id(mut self, app_id: impl Into<String>) -> Self {
        self.credentials.app_id = app_id.into();
        self
    }

    /// The `SdkId` enterprise requests must carry (`None`: they must carry none).
    pub fn sdk_id(mut self, sdk_id: Option<String>) -> Self {
        self.credentials.sdk_id = sdk_id;
        self
    }

    /// The SecretId (`X-TC-Key`) accepted.
    pub fn secret_id(mut self, secret_id: impl Into<String>) -> Self {
        self.credentials.secret_id = secret_id.into();
        self
    }

    /// The SecretKey requests must be signed with.
    pub fn secret_key(mut self, secret_key: impl Into<String>) -> Self {
        self.credentials.secret_key = secret_key.into();
        self
    }

    /// Accepts the OAuth2.0 `access_token` for the user `open_id` (in addition to those set).
    pub fn oauth_token(
        mut self,
        access_token: impl Into<String>,
        open_id: impl Into<String>,
    ) -> Self {
        self.credentials = self.credentials.with_oauth_token(access_token, open_id);
        self
    }

    /// The clock timestamps are checked against (default: the system clock).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Answers a successful dismiss with `{}` instead of the documented empty body (some
    /// deployments do; the official Python SDK needs it).
    pub fn empty_object_success(mut self, on: bool) -> Self {
        self.empty_object_success = on;
        self
    }

    /// The request quotas per application (default [`RateLimits::documented`], the service's:
    /// 300 a minute and 200,000 a day). Anything that sends more on purpose (a load test)
    /// passes [`RateLimits::unlimited`].
    pub fn rate_limits(mut self, limits: RateLimits) -> Self {
        self.rate_limits = limits;
        self
    }

    /// The fault knobs in force from the start.
    pub fn faults(mut self, faults: Faults) -> Self {
        self.faults = faults;
        self
    }

    /// Meetings to create at start (after those of the seed files).
    pub fn seed(mut self, meetings: Vec<MeetingSpec>) -> Self {
        self.seed.extend(meetings);
        self
    }

    /// A JSON file holding an array of meetings ([`MeetingSpec`]s) to create at start.
    pub fn seed_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.seed_files.push(path.into());
        self
    }

    /// The seed of the RNG behind generated IDs and codes and fault shares (default
    /// [`DEFAULT_RNG_SEED`]).
    pub fn rng_seed(mut self, seed: u64) -> Self {
        self.rng_seed = seed;
        self
    }

    /// The largest API request body accepted (default [`DEFAULT_MAX_BODY_BYTES`]).
    pub fn max_body_bytes(mut self, bytes: usize) -> Self {
        self.max_body_bytes = bytes;
        self
    }

    /// The bound of the replay cache (default [`DEFAULT_REPLAY_CAPACITY`]).
    pub fn replay_capacity(mut self, entries: usize) -> Self {
        self.replay_capacity = entries;
        self
    }

    /// Subscribes `subscription` to events once started: [`start`](Self::start) sends its
    /// verification GET (unless [`WebhookSubscription::unverified`]) and fails if the URL does
    /// not pass it, so its receiver must already listen.
    pub fn webhook(mut self, subscription: WebhookSubscription) -> Self {
        self.webhooks.push(subscription);
        self
    }

    /// Seeds the meetings, binds the socket and starts serving in the background of the current
    /// tokio runtime.
    pub async fn start(self) -> Result<Simulator, SimError> {
        self.faults.validate().map_err(SimError::InvalidFaults)?;
        let client_credentials = self
            .credentials
            .enterprise_credentials()
            .map_err(SimError::InvalidCredentials)?;
        let oauth2_credentials = self
            .credentials
            .oauth2_credentials()
            .map_err(SimError::InvalidCredentials)?;
        self.rate_limits
            .validate()
            .map_err(SimError::InvalidRateLimits)?;
        let window_ms = TIMESTAMP_WINDOW.as_millis() as u64;
        let app = Arc::new(App {
            auth: Authenticator::new(self.credentials.clone(), window_ms),
            clock: Arc::clone(&self.clock),
            store: MeetingStore::new(self.rng_seed),
            replay: ReplayCache::new(window_ms, self.replay_capacity),
            faults: FaultState::new(self.faults, self.rng_seed),
            limiter: RateLimiter::new(self.rate_limits),
            stats: StatsCollector::default(),
            empty_object_success: self.empty_object_success,
            max_body_bytes: self.max_body_bytes,
            max_admin_body_bytes: MAX_ADMIN_BODY_BYTES,
            traces: TraceIds::new(),
            webhooks: Webhooks::new(Arc::clone(&self.clock)),
        });
        let mut seed = Vec::new();
        for path in self.seed_files {
            let text = tokio::fs::read(&path)
                .await
                .map_err(|source| SimError::SeedRead {
                    path: path.clone(),
                    source,
                })?;
            let specs: Vec<MeetingSpec> = serde_json::from_slice(&text)
                .map_err(|source| SimError::SeedParse { path, source })?;
            seed.extend(specs);
        }
        seed.extend(self.seed);
        let now = app.now_secs();
        for spec in seed {
            app.store.create(spec, now)?;
        }
        let listener = TcpListener::bind(self.addr)
            .await
            .map_err(|source| SimError::Bind {
                addr: self.addr,
                source,
            })?;
        let addr = listener.local_addr().map_err(|source| SimError::Bind {
            addr: self.addr,
            source,
        })?;
        let (shutdown, shutdown_rx) = watch::channel(false);
        let task = tokio::spawn(accept_loop(listener, Arc::clone(&app), shutdown_rx));
        tracing::info!(%addr, meetings = app.store.len(), "simulator listening");
        let simulator = Simulator {
            addr,
            base_url: format!("http://{addr}"),
            credentials: self.credentials,
            client_credentials,
            oauth2_credentials,
            app,
            shutdown,
            task: Some(task),
        };
        // Served already, as the platform's console is; a failure drops (stops) the simulator.
        for subscription in self.webhooks {
            simulator.app.webhooks.subscribe(subscription).await?;
        }
        Ok(simulator)
    }
}

/// A running simulator. Stops when dropped, or with [`Simulator::shutdown`].
///
/// ```no_run
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// use tencent_meeting_sim::{MeetingSpec, Simulator};
///
/// let sim = Simulator::builder().start().await?;
/// let id = sim.create_meeting(MeetingSpec::new("alice"))?;
/// println!("dismiss {id} at {} with:\n{}", sim.base_url(), sim.credentials());
/// sim.run_until_ctrl_c().await?;
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct Simulator {
    addr: SocketAddr,
    base_url: String,
    credentials: SimCredentials,
    /// `credentials` as a client sends them, checked at start.
    client_credentials: Credentials,
    oauth2_credentials: Option<Credentials>,
    app: Arc<App>,
    shutdown: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
}

impl Simulator {
    /// What the requests share (for the other modules' `impl Simulator` blocks).
    pub(crate) fn app(&self) -> &App {
        &self.app
    }

    /// A builder with the defaults of [`SimulatorBuilder`].
    pub fn builder() -> SimulatorBuilder {
        SimulatorBuilder::default()
    }

    /// The base URL to point a client at, e.g. `http://127.0.0.1:40123`.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The address the simulator listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The credentials it accepts.
    pub fn credentials(&self) -> &SimCredentials {
        &self.credentials
    }

    /// A client builder pointed at this simulator, with its enterprise credentials (and SdkId,
    /// if one is required) and its clock; every other setting is the client's default. Set
    /// the retry policy, timeout, … as for the real service, then build.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use tencent_meeting::{Instance, Operator};
    /// use tencent_meeting_sim::{MeetingSpec, Simulator};
    ///
    /// let sim = Simulator::builder().start().await?;
    /// let id = sim.create_meeting(MeetingSpec::new("alice"))?;
    /// let client = sim.client_builder().build()?;
    /// client
    ///     .dismiss_meeting(&id)
    ///     .operator(Operator::user_id("alice"))
    ///     .instance(Instance::Pc)
    ///     .reason_code(1)
    ///     .send()
    ///     .await?;
    /// assert_eq!(sim.meeting(&id).map(|m| m.dismiss_count), Some(1));
    /// # Ok(()) }
    /// ```
    pub fn client_builder(&self) -> ClientBuilder {
        self.builder_with(self.client_credentials.clone())
    }

    /// A client builder pointed at this simulator with OAuth2.0 credentials: the first
    /// accepted access token (in token order; with the demo credentials,
    /// [`DEMO_ACCESS_TOKEN`](crate::DEMO_ACCESS_TOKEN) for
    /// [`DEMO_OPEN_ID`](crate::DEMO_OPEN_ID)). [`SimError::NoOAuthToken`] when it accepts none.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use tencent_meeting::Instance;
    /// use tencent_meeting_sim::{DEMO_OPEN_ID, MeetingSpec, Simulator};
    ///
    /// let sim = Simulator::builder().start().await?;
    /// // OAuth2.0 callers may only end meetings created through OAuth2.0, by their open id.
    /// let id = sim.create_meeting(MeetingSpec::new(DEMO_OPEN_ID).created_via_oauth())?;
    /// let client = sim.oauth_client_builder()?.build()?;
    /// // The operator defaults to the token's open id.
    /// client.dismiss_meeting(&id).instance(Instance::Pc).reason_code(1).send().await?;
    /// assert_eq!(sim.meeting(&id).map(|m| m.dismiss_count), Some(1));
    /// # Ok(()) }
    /// ```
    pub fn oauth_client_builder(&self) -> Result<ClientBuilder, SimError> {
        let credentials = self
            .oauth2_credentials
            .clone()
            .ok_or(SimError::NoOAuthToken)?;
        Ok(self.builder_with(credentials))
    }

    fn builder_with(&self, credentials: Credentials) -> ClientBuilder {
        Client::builder()
            .base_url(&self.base_url)
            .credentials(credentials)
            .clock(Arc::clone(&self.app.clock))
    }

    /// The meeting `id` as the simulator holds it.
    pub fn meeting(&self, id: &str) -> Option<MeetingView> {
        self.app.store.get(id)
    }

    /// Every meeting, sorted by ID.
    pub fn meetings(&self) -> Vec<MeetingView> {
        self.app.store.list()
    }

    /// Creates a meeting and returns its ID.
    pub fn create_meeting(&self, spec: MeetingSpec) -> Result<String, SimError> {
        self.app.store.create(spec, self.app.now_secs())
    }

    /// Starts the scheduled meeting `id` (`MEETING_STATE_INIT`; for a recurring meeting, its
    /// current sub-meeting), as its host joining would: it can then be dismissed. Returns the
    /// meeting as it now is. A meeting in any other state, or one whose code was reclaimed
    /// while sub-meetings remained, cannot be started ([`SimError::NotStartable`]).
    pub fn start_meeting(&self, id: &str) -> Result<MeetingView, SimError> {
        self.app.store.start(id)
    }

    /// The counters so far.
    pub fn stats(&self) -> Stats {
        self.app.stats.snapshot()
    }

    /// The fault knobs in force (with what is left of `fail_next`).
    pub fn faults(&self) -> Faults {
        self.app.faults.current()
    }

    /// Replaces the fault knobs.
    pub fn set_faults(&self, faults: Faults) -> Result<(), SimError> {
        faults.validate().map_err(SimError::InvalidFaults)?;
        self.app.faults.set(faults);
        Ok(())
    }

    /// The request quotas in force.
    pub fn rate_limits(&self) -> RateLimits {
        self.app.limiter.limits()
    }

    /// Replaces the request quotas and starts counting afresh.
    pub fn set_rate_limits(&self, limits: RateLimits) -> Result<(), SimError> {
        limits.validate().map_err(SimError::InvalidRateLimits)?;
        self.app.limiter.set(limits);
        Ok(())
    }

    /// A banner for a CLI to print at start: where the simulator listens, the credentials it
    /// accepts, and the admin endpoints.
    pub fn describe(&self) -> String {
        format!(
            "Tencent Meeting simulator listening on {url}\n\
             {credentials}\n\
             rate limits: {limits}\n\
             API:   POST {url}/v1/meetings/{{meetingId}}/dismiss, GET {url}/v1/meetings/{{meetingId}}\n\
             admin: POST/GET {url}/_sim/meetings, GET {url}/_sim/meetings/{{id}}, POST {url}/_sim/meetings/{{id}}/start, GET {url}/_sim/stats, GET/POST {url}/_sim/faults, GET/POST {url}/_sim/rate-limits",
            url = self.base_url,
            credentials = self.credentials,
            limits = self.rate_limits().describe(),
        )
    }

    /// Stops accepting connections, lets open ones finish (up to 5 s), and waits until the
    /// server has stopped.
    pub async fn shutdown(mut self) {
        let _ = self.shutdown.send(true);
        self.app.webhooks.stop();
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }

    /// Serves until Ctrl-C (SIGINT), then shuts down: what `tencent-meeting sim` runs.
    pub async fn run_until_ctrl_c(self) -> std::io::Result<()> {
        tokio::signal::ctrl_c().await?;
        tracing::info!("Ctrl-C: shutting down");
        self.shutdown().await;
        Ok(())
    }
}

impl Drop for Simulator {
    fn drop(&mut self) {
        // The accept loop sees this and stops on its own; nothing here blocks.
        let _ = self.shutdown.send(true);
        self.app.webhooks.stop();
    }
}

async fn accept_loop(listener: TcpListener, app: Arc<App>, mut shutdown: watch::Receiver<bool>) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            _ = stopped(&mut shutdown) => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _peer)) => {
                    connections.spawn(serve_connection(stream, Arc::clone(&app), shutdown.clone()));
                }
                Err(e) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    drop(listener);
    let drained = tokio::time::timeout(SHUTDOWN_GRACE, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        connections.abort_all();
    }
    tracing::info!("simulator stopped");
}

async fn serve_connection(stream: TcpStream, app: Arc<App>, mut shutdown: watch::Receiver<bool>) {
    // Answers are small; waiting to coalesce them only adds latency.
    let _ = stream.set_nodelay(true);
    let service = service_fn(move |request| service::serve(Arc::clone(&app), request));
    let connection = http1::Builder::new()
        .keep_alive(true)
        // A client may shut its write side after the request and still wait for the answer.
        .half_close(true)
        // `X-Tc-Trace`, `Content-Type`, … as the service spells them (HTTP/1 names are
        // case-insensitive, but people read them).
        .title_case_headers(true)
        .serve_connection(TokioIo::new(stream), service);
    tokio::pin!(connection);
    tokio::select! {
        result = connection.as_mut() => {
            if let Err(e) = result {
                tracing::debug!(error = %e, "connection closed with an error");
            }
        }
        _ = stopped(&mut shutdown) => {
            connection.as_mut().graceful_shutdown();
            let _ = connection.await;
        }
    }
}

/// Resolves once shutdown was asked for (at once if it already was). A closed channel counts:
/// the handle is gone.
async fn stopped(shutdown: &mut watch::Receiver<bool>) {
    // The guard `wait_for` returns must not live across later awaits, so it is dropped here.
    let _ = shutdown.wait_for(|stop| *stop).await;
}
