//! The one HTTP server of the CLI's event receivers (`events listen`, `demo`, `dismiss
//! --listen`): hyper's HTTP/1 connection with the axum router as its service, because a
//! receiver faces strangers and `axum::serve` has no timeouts.
//!
//! What it bounds, each a flag of `events listen` ([`Limits`]):
//! - **Request head**: complete within `header_timeout` of the connection opening, or of its
//!   first byte after an answer (a header sent a byte a second is closed).
//! - **Keep-alive**: a connection with nothing sent since its last answer is closed after
//!   `idle_timeout`.
//! - **Body**: complete within `body_timeout` of the head (the platform gives a delivery 3 s
//!   in all); otherwise 408 and the connection is closed (a `Content-Length` with no body).
//! - **Open connections**: at most `max_connections`. One over it closes the connection that
//!   has been longest idle, sending its head, or sending its body (nothing of it is stored
//!   yet): the ones a flood or a slow sender is made of, so an honest sender, the newest, is
//!   served; only when every connection's request is being handled (its body whole) is the
//!   newcomer answered 503 and closed. Connections are never left in the kernel's backlog,
//!   where honest senders would starve behind a flood.
//! - **Shutdown**: on the signal, no new connection; requests in progress get up to
//!   `shutdown_timeout` to be answered, then every connection is dropped and `serve` returns,
//!   whatever the clients do.

use std::collections::HashMap;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderValue, Request, Response, StatusCode, header};
use http_body::{Body as HttpBody, Frame, SizeHint};
use http_body_util::BodyExt as _;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore, watch};
use tokio::task::JoinSet;
use tokio::time::{Instant, Sleep};
use tower_service::Service as _;

/// The server's timeouts and limits; [`Limits::default`] gives the documented defaults.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// A request's head must be whole within this long of the connection opening, or of the
    /// head's first byte after an answer.
    pub header_timeout: Duration,
    /// A request's body must be whole within this long of its head.
    pub body_timeout: Duration,
    /// A connection with nothing sent since its last answer is closed after this long.
    pub idle_timeout: Duration,
    /// Connections open at once at most.
    pub max_connections: usize,
    /// After the shutdown signal, how long requests in progress get before every connection
    /// is dropped.
    pub shutdown_timeout: Duration,
}

/// `--header-timeout`'s default: a head is a few hundred bytes; the platform sends it at once.
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(3);
/// `--body-timeout`'s default: the platform's budget for a whole delivery.
pub const BODY_TIMEOUT: Duration = Duration::from_secs(3);
/// `--idle-timeout`'s default.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(15);
/// `--shutdown-timeout`'s default.
pub const SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(5);
/// Descriptors kept for everything but connections (the store, stdio, the runtime's own)
/// when `--max-connections` is derived from the descriptor limit.
pub const RESERVED_DESCRIPTORS: u64 = 64;

impl Default for Limits {
    fn default() -> Self {
        Self {
            header_timeout: HEADER_TIMEOUT,
            body_timeout: BODY_TIMEOUT,
            idle_timeout: IDLE_TIMEOUT,
            max_connections: default_max_connections(),
            shutdown_timeout: SHUTDOWN_TIMEOUT,
        }
    }
}

/// The process's open-descriptor limit (soft) less [`RESERVED_DESCRIPTORS`], at least 1: more
/// connections than that would make `accept` fail for everyone.
pub fn default_max_connections() -> usize {
    let soft = nix::sys::resource::getrlimit(nix::sys::resource::Resource::RLIMIT_NOFILE)
        .map_or(1024, |(soft, _hard)| soft);
    usize::try_from(soft.saturating_sub(RESERVED_DESCRIPTORS).max(1)).unwrap_or(usize::MAX)
}

/// Waits for Ctrl-C (SIGINT) or SIGTERM (what supervisors send); says which.
pub async fn shutdown_signal() -> &'static str {
    use tokio::signal::unix::{SignalKind, signal};
    let mut interrupt = signal(SignalKind::interrupt()).ok();
    let mut terminate = signal(SignalKind::terminate()).ok();
    tokio::select! {
        Some(()) = recv(interrupt.as_mut()) => "interrupted",
        Some(()) = recv(terminate.as_mut()) => "terminated",
        else => std::future::pending().await,
    }
}

async fn recv(signal: Option<&mut tokio::signal::unix::Signal>) -> Option<()> {
    match signal {
        Some(signal) => signal.recv().await,
        None => std::future::pending().await,
    }
}

/// Serves `app` on `listener` within `limits` until `shutdown` completes, then for at most
/// `limits.shutdown_timeout` more.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: Limits,
    shutdown: impl Future<Output = ()>,
) {
    let registry = Arc::new(Registry::default());
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let (stop, stopped) = watch::channel(false);
    let mut connections = JoinSet::new();
    let started = Instant::now();
    let mut accept_failures: u64 = 0;
    tokio::pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => accepted,
            // Reap finished connections as we go, so the set does not grow with history.
            Some(_) = connections.join_next(), if !connections.is_empty() => continue,
        };
        let stream = match accepted {
            Ok((stream, _)) => stream,
            Err(e) => {
                // Out of descriptors (EMFILE/ENFILE) or a connection reset before it was
                // accepted: make room and go on; never a busy loop, never an exit.
                accept_failures += 1;
                if accept_failures.is_power_of_two() {
                    eprintln!(
                        "warning: could not accept a connection ({accept_failures} so far): {e}"
                    );
                }
                registry.evict_oldest_waiting();
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        // Waiting for a closed connection's slot must not hold up the shutdown's bound.
        let slot = tokio::select! {
            () = &mut shutdown => break,
            slot = take_slot(&slots, &registry) => slot,
        };
        let Some(slot) = slot else {
            refuse_busy(&stream);
            continue;
        };
        let tracked = registry.insert(started);
        connections.spawn(serve_connection(
            stream,
            app.clone(),
            limits,
            Arc::clone(&registry),
            tracked,
            stopped.clone(),
            slot,
        ));
    }
    drop(listener);
    let _ = stop.send(true);
    let drained = tokio::time::timeout(limits.shutdown_timeout, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        tracing::info!(
            left = connections.len(),
            "shutdown: dropping connections still open"
        );
        connections.shutdown().await;
    }
}

/// A slot for one more connection: a free one, or the one freed by closing the connection
/// that has waited longest without a request in progress. The slot is released only once that
/// connection's socket is closed, so open sockets never outnumber the slots (descriptors stay
/// under the limit however fast a flood comes). None: every connection's request is being
/// handled.
async fn take_slot(slots: &Arc<Semaphore>, registry: &Registry) -> Option<OwnedSemaphorePermit> {
    if let Ok(slot) = Arc::clone(slots).try_acquire_owned() {
        return Some(slot);
    }
    if !registry.evict_oldest_waiting() {
        return None;
    }
    // The evicted connection's task closes its socket as soon as it runs; a second is far
    // more than that takes, and bounds what a stuck task could cost the accept loop.
    tokio::time::timeout(Duration::from_secs(1), Arc::clone(slots).acquire_owned())
        .await
        .ok()
        .and_then(Result::ok)
}

/// Answers 503 to a connection over the limit when none can make room, without reading it
/// (a try: a full socket buffer just gets the close).
fn refuse_busy(stream: &TcpStream) {
    const BUSY: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\nconnection: close\r\n\
        retry-after: 1\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: 38\r\n\r\n\
        too many connections; try again later\n";
    let _ = stream.try_write(BUSY);
}

/// Where a connection is in its request cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
enum Phase {
    /// Answered its last request, nothing of the next received: `idle_timeout` runs.
    Idle = 0,
    /// New, or some of a head received: `header_timeout` runs.
    Head = 1,
    /// A request's head is in, its body is being read (its own deadline runs): nothing of it
    /// can have been stored yet.
    Body = 2,
    /// A request's body is whole and its handler may be storing it: never cut short.
    Handling = 3,
}

/// One connection as the accept loop and its task both see it.
struct Tracked {
    id: u64,
    phase: AtomicU8,
    /// Milliseconds after the server started when `phase` began.
    since_ms: AtomicU64,
    started: Instant,
    /// Wakes the connection's task: its phase changed, or it is evicted.
    changed: Notify,
    evicted: AtomicBool,
}

impl Tracked {
    fn phase(&self) -> Phase {
        match self.phase.load(Ordering::Acquire) {
            0 => Phase::Idle,
            1 => Phase::Head,
            2 => Phase::Body,
            _ => Phase::Handling,
        }
    }

    fn set(&self, phase: Phase) {
        let now = u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.since_ms.store(now, Ordering::Release);
        self.phase.store(phase as u8, Ordering::Release);
        self.changed.notify_one();
    }

    /// When the current phase must be over, if it has a deadline.
    fn deadline(&self, limits: &Limits) -> Option<Instant> {
        let since = self.started + Duration::from_millis(self.since_ms.load(Ordering::Acquire));
        match self.phase() {
            Phase::Idle => Some(since + limits.idle_timeout),
            Phase::Head => Some(since + limits.header_timeout),
            Phase::Body | Phase::Handling => None,
        }
    }
}

/// The open connections.
#[derive(Default)]
struct Registry {
    open: Mutex<HashMap<u64, Arc<Tracked>>>,
    next_id: AtomicU64,
}

impl Registry {
    fn insert(&self, started: Instant) -> Arc<Tracked> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let tracked = Arc::new(Tracked {
            id,
            phase: AtomicU8::new(Phase::Head as u8),
            since_ms: AtomicU64::new(0),
            started,
            changed: Notify::new(),
            evicted: AtomicBool::new(false),
        });
        tracked.set(Phase::Head);
        if let Ok(mut open) = self.open.lock() {
            open.insert(id, Arc::clone(&tracked));
        }
        tracked
    }

    fn remove(&self, id: u64) {
        if let Ok(mut open) = self.open.lock() {
            open.remove(&id);
        }
    }

    /// Closes the connection that has been longest in its phase without its request being
    /// handled: idle, sending its head, or sending its body (none of which is stored yet).
    /// Oldest first, whatever the phase: an honest sender is the newest, a flood's or a slow
    /// sender's connections the oldest. False when every connection's request is being
    /// handled. It leaves the registry at once, so it is not chosen twice.
    fn evict_oldest_waiting(&self) -> bool {
        let Ok(mut open) = self.open.lock() else {
            return false;
        };
        let oldest = open
            .values()
            .filter(|t| t.phase() != Phase::Handling)
            .min_by_key(|t| t.since_ms.load(Ordering::Acquire))
            .map(|t| t.id);
        match oldest.and_then(|id| open.remove(&id)) {
            Some(tracked) => {
                tracked.evicted.store(true, Ordering::Release);
                tracked.changed.notify_one();
                true
            }
            None => false,
        }
    }
}

async fn serve_connection(
    stream: TcpStream,
    app: Router,
    limits: Limits,
    registry: Arc<Registry>,
    tracked: Arc<Tracked>,
    stopped: watch::Receiver<bool>,
    slot: OwnedSemaphorePermit,
) {
    serve_until_done(stream, app, limits, &tracked, stopped).await;
    registry.remove(tracked.id);
    // Only now is the socket closed: the slot goes back.
    drop(slot);
}

async fn serve_until_done(
    stream: TcpStream,
    app: Router,
    limits: Limits,
    tracked: &Arc<Tracked>,
    mut stopped: watch::Receiver<bool>,
) {
    let _ = stream.set_nodelay(true);
    let io = TokioIo::new(Watched {
        stream,
        tracked: Arc::clone(tracked),
    });
    let on_request = Arc::clone(tracked);
    let service = hyper::service::service_fn(move |request: Request<Incoming>| {
        // A request without a body (the URL check) is whole as soon as its head is.
        on_request.set(if request.body().is_end_stream() {
            Phase::Handling
        } else {
            Phase::Body
        });
        let mut app = app.clone();
        let answered = Arc::clone(&on_request);
        let body_timeout = limits.body_timeout;
        let reading = Arc::clone(&on_request);
        async move {
            let timed_out = Arc::new(AtomicBool::new(false));
            let request = request.map(|body| {
                Body::new(DeadlineBody::new(
                    body,
                    body_timeout,
                    Arc::clone(&timed_out),
                    reading,
                ))
            });
            let mut response = match app.call(request).await {
                Ok(response) => response,
                Err(never) => match never {},
            };
            if timed_out.load(Ordering::Acquire) {
                // The handler could only say the body was unreadable: say why (408), and close,
                // since the rest of the body may still come.
                *response.status_mut() = StatusCode::REQUEST_TIMEOUT;
                response
                    .headers_mut()
                    .insert(header::CONNECTION, HeaderValue::from_static("close"));
            }
            // The connection waits again once the answer is written (its body dropped).
            let done = IdleWhenDropped(answered);
            let response: Response<Body> = response.map(|body| {
                Body::new(body.map_frame(move |frame| {
                    let _ = &done;
                    frame
                }))
            });
            Ok::<_, std::convert::Infallible>(response)
        }
    });
    let connection = hyper::server::conn::http1::Builder::new()
        .header_read_timeout(None)
        .serve_connection(io, service);
    tokio::pin!(connection);
    let mut shutting_down = false;
    loop {
        if tracked.evicted.load(Ordering::Acquire) {
            break;
        }
        let deadline = tracked.deadline(&limits);
        tokio::select! {
            _ = connection.as_mut() => break,
            () = tracked.changed.notified() => {}
            () = sleep_until(deadline) => {
                if tracked.deadline(&limits).is_some_and(|d| d <= Instant::now()) {
                    tracing::debug!(phase = ?tracked.phase(), "closing a connection that timed out");
                    break;
                }
            }
            changed = stopped.changed(), if !shutting_down => {
                shutting_down = true;
                if changed.is_ok() {
                    connection.as_mut().graceful_shutdown();
                }
            }
        }
    }
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}

/// Marks its connection idle when the answer's body is dropped (written, or the connection
/// gone).
struct IdleWhenDropped(Arc<Tracked>);

impl Drop for IdleWhenDropped {
    fn drop(&mut self) {
        if matches!(self.0.phase(), Phase::Body | Phase::Handling) {
            self.0.set(Phase::Idle);
        }
    }
}

/// The connection's socket, noting when an idle connection starts sending a head.
struct Watched {
    stream: TcpStream,
    tracked: Arc<Tracked>,
}

impl AsyncRead for Watched {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.stream).poll_read(cx, buf);
        if buf.filled().len() > before && self.tracked.phase() == Phase::Idle {
            self.tracked.set(Phase::Head);
        }
        polled
    }
}

impl AsyncWrite for Watched {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }
}

/// A request body that fails with [`io::ErrorKind::TimedOut`] if it is not whole by its
/// deadline (the answer is then made 408), and moves its connection to
/// [`Phase::Handling`] once it is whole.
struct DeadlineBody {
    inner: Incoming,
    deadline: Pin<Box<Sleep>>,
    timeout: Duration,
    timed_out: Arc<AtomicBool>,
    tracked: Arc<Tracked>,
}

impl DeadlineBody {
    fn new(
        inner: Incoming,
        timeout: Duration,
        timed_out: Arc<AtomicBool>,
        tracked: Arc<Tracked>,
    ) -> Self {
        Self {
            inner,
            deadline: Box::pin(tokio::time::sleep(timeout)),
            timeout,
            timed_out,
            tracked,
        }
    }

    fn whole(&self) {
        if self.tracked.phase() == Phase::Body {
            self.tracked.set(Phase::Handling);
        }
    }
}

impl HttpBody for DeadlineBody {
    type Data = hyper::body::Bytes;
    type Error = Box<dyn std::error::Error + Send + Sync>;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        if let Poll::Ready(frame) = Pin::new(&mut self.inner).poll_frame(cx) {
            if frame.is_none() || self.inner.is_end_stream() {
                self.whole();
            }
            return Poll::Ready(frame.map(|f| f.map_err(Into::into)));
        }
        if self.deadline.as_mut().poll(cx).is_ready() {
            self.timed_out.store(true, Ordering::Release);
            let message = format!("the body did not arrive within {:?}", self.timeout);
            return Poll::Ready(Some(Err(
                io::Error::new(io::ErrorKind::TimedOut, message).into()
            )));
        }
        Poll::Pending
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use tokio::time::Instant;

    use super::{Phase, Registry, Tracked};

    /// A connection in `phase` since `since_ms` after the server started.
    fn open(registry: &Registry, started: Instant, phase: Phase, since_ms: u64) -> Arc<Tracked> {
        let tracked = registry.insert(started);
        tracked.set(phase);
        tracked
            .since_ms
            .store(since_ms, std::sync::atomic::Ordering::Release);
        tracked
    }

    #[tokio::test]
    async fn eviction_takes_the_longest_in_its_phase_never_one_being_handled() {
        let registry = Registry::default();
        let started = Instant::now();
        let handled = open(&registry, started, Phase::Handling, 0);
        let new_head = open(&registry, started, Phase::Head, 900);
        let old_body = open(&registry, started, Phase::Body, 100);
        let idle = open(&registry, started, Phase::Idle, 500);
        let evicted = |t: &Arc<Tracked>| t.evicted.load(std::sync::atomic::Ordering::Acquire);
        assert!(registry.evict_oldest_waiting());
        assert!(evicted(&old_body), "the body sent slowest goes first");
        assert!(registry.evict_oldest_waiting());
        assert!(evicted(&idle));
        assert!(
            !evicted(&new_head),
            "the newest, an honest sender's, goes last"
        );
        assert!(registry.evict_oldest_waiting());
        assert!(evicted(&new_head));
        // Only a request being handled is left: nothing to evict (the newcomer gets 503).
        assert!(!registry.evict_oldest_waiting());
        assert!(!evicted(&handled));
    }
}
