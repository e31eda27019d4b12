//! One request, start to finish: routing, faults, reading the body, authentication, rate
//! limiting, the endpoint's rules, and the trace id every answer carries.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::Bytes;
use http::header::HeaderValue;
use http::{Method, Request, StatusCode};
use http_body_util::{BodyExt as _, LengthLimitError, Limited};
use tencent_meeting::clock::Clock;

use crate::api_error::{self, ApiError, codes};
use crate::auth::{Authenticator, RequestParts};
use crate::body::{self, SimResponse};
use crate::faults::{FailureKind, FaultState, Operation, Target};
use crate::handlers;
use crate::lifecycle::Dismissal;
use crate::params::{DismissParams, LookupParams};
use crate::rate_limit::RateLimiter;
use crate::replay::ReplayCache;
use crate::state::MeetingStore;
use crate::stats::{Endpoint, StatsCollector};

/// The header every answer carries a unique trace id in.
pub(crate) const TRACE_HEADER: &str = "x-tc-trace";

/// Everything the requests share.
#[derive(Debug)]
pub(crate) struct App {
    pub auth: Authenticator,
    pub clock: Arc<dyn Clock>,
    pub store: MeetingStore,
    pub replay: ReplayCache,
    pub faults: FaultState,
    pub limiter: RateLimiter,
    pub stats: StatsCollector,
    /// Answer a successful dismiss with `{}` instead of an empty body.
    pub empty_object_success: bool,
    /// The largest API request body read; larger ones get HTTP 413.
    pub max_body_bytes: usize,
    /// The largest admin request body read.
    pub max_admin_body_bytes: usize,
    pub traces: TraceIds,
    /// Event subscriptions, told of every committed dismiss.
    pub webhooks: crate::webhooks::Webhooks,
}

impl App {
    /// The simulator clock, in unix seconds.
    pub fn now_secs(&self) -> u64 {
        self.clock.now_unix_millis() / 1000
    }
}

/// Unique trace ids: a random prefix per simulator and a counter.
#[derive(Debug)]
pub(crate) struct TraceIds {
    prefix: u32,
    next: AtomicU64,
}

impl TraceIds {
    pub fn new() -> Self {
        Self {
            prefix: rand::random(),
            next: AtomicU64::new(1),
        }
    }

    fn next(&self) -> HeaderValue {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        // Hex digits and a dash are always a valid header value.
        HeaderValue::from_str(&format!("sim-{:08x}-{n:010}", self.prefix))
            .unwrap_or_else(|_| HeaderValue::from_static("sim"))
    }
}

/// Returned instead of an answer to make hyper close the connection without answering.
#[derive(Debug)]
pub(crate) struct DropConnection;

impl fmt::Display for DropConnection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("connection dropped by fault injection")
    }
}

impl std::error::Error for DropConnection {}

/// Which API endpoint a request is for.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Route {
    Dismiss(String),
    Lookup(String),
    MethodNotAllowed,
    NotFound,
}

impl Route {
    fn of(method: &Method, path: &str) -> Self {
        let Some(rest) = path.strip_prefix("/v1/meetings/") else {
            return Route::NotFound;
        };
        let (id, dismiss) = match rest.strip_suffix("/dismiss") {
            Some(id) => (id, true),
            None => (rest, false),
        };
        if id.is_empty() || id.contains('/') {
            return Route::NotFound;
        }
        match (dismiss, method) {
            (true, &Method::POST) => Route::Dismiss(id.to_string()),
            (false, &Method::GET) => Route::Lookup(id.to_string()),
            _ => Route::MethodNotAllowed,
        }
    }

    /// What fault rules scoped to an operation or a meeting ID see of it.
    fn target(&self) -> Target<'_> {
        match self {
            Route::Dismiss(id) => Target {
                operation: Some(Operation::Dismiss),
                meeting_id: Some(id),
            },
            Route::Lookup(id) => Target {
                operation: Some(Operation::Lookup),
                meeting_id: Some(id),
            },
            Route::MethodNotAllowed | Route::NotFound => Target::default(),
        }
    }

    fn endpoint(&self) -> Endpoint {
        match self {
            Route::Dismiss(_) => Endpoint::Dismiss,
            Route::Lookup(_) => Endpoint::Lookup,
            Route::MethodNotAllowed | Route::NotFound => Endpoint::Other,
        }
    }
}

/// Answers one request (admin or API), or drops the connection when a fault says so.
pub(crate) async fn serve<B>(
    app: Arc<App>,
    request: Request<B>,
) -> Result<SimResponse, DropConnection>
where
    B: http_body::Body<Data = Bytes>,
    B::Error: std::error::Error + Send + Sync + 'static,
{
    let path = request.uri().path();
    let mut response = if path == "/_sim" || path.starts_with("/_sim/") {
        crate::admin::handle(&app, request).await
    } else {
        api(&app, request).await?
    };
    response
        .headers_mut()
        .insert(TRACE_HEADER, app.traces.next());
    Ok(response)
}

/// An API request: faults first, then the endpoint.
async fn api<B>(app: &App, request: Request<B>) -> Result<SimResponse, DropConnection>
where
    B: http_body::Body<Data = Bytes>,
    B::Error: std::error::Error + Send + Sync + 'static,
{
    let route = Route::of(request.method(), request.uri().path());
    app.stats.request(route.endpoint());
    let plan = app.faults.plan(&route.target());
    if !plan.latency.is_zero() {
        tokio::time::sleep(plan.latency).await;
    }
    if let Some(kind) = &plan.failure
        && let Some(response) = injected(app, kind, &route)?
    {
        return Ok(response);
    }
    let is_dismiss = matches!(route, Route::Dismiss(_));
    let result = handle(app, route, request).await;
    let committed = is_dismiss && result.is_ok();
    let response = match result {
        Ok(response) => response,
        Err(error) => {
            tracing::debug!(code = error.code, message = %error.message, "error answer");
            app.stats.error(error.code);
            body::error(&error)
        }
    };
    if committed && !plan.latency_after_dismiss.is_zero() {
        // The dismiss is committed; only the answer is late. Refusals (e.g. a retry finding
        // the meeting ended) are not delayed, so a client can confirm what happened.
        tokio::time::sleep(plan.latency_after_dismiss).await;
    }
    match &plan.failure {
        Some(kind @ FailureKind::Truncated) => {
            app.stats.fault(kind);
            Ok(body::truncate(response))
        }
        Some(kind @ FailureKind::Html504AfterCommit) => {
            app.stats.fault(kind);
            Ok(body::html_504())
        }
        Some(kind @ FailureKind::Proxy200AfterCommit) => {
            app.stats.fault(kind);
            Ok(body::proxy_page_200())
        }
        _ => Ok(response),
    }
}

/// The answer an injected failure gives instead of handling the request (`None` for the
/// failures that handle it first: [`FailureKind::handles_first`]), or the connection dropped.
fn injected(
    app: &App,
    kind: &FailureKind,
    route: &Route,
) -> Result<Option<SimResponse>, DropConnection> {
    let error = match kind {
        FailureKind::Truncated
        | FailureKind::Html504AfterCommit
        | FailureKind::Proxy200AfterCommit => return Ok(None),
        FailureKind::Drop => {
            app.stats.fault(kind);
            tracing::debug!(?route, "fault: dropping the connection");
            return Err(DropConnection);
        }
        FailureKind::Html502 => {
            app.stats.fault(kind);
            return Ok(Some(body::html_502()));
        }
        FailureKind::Status(status) => {
            app.stats.fault(kind);
            // Validated to lie in 300..=599 when the faults were set.
            let status = StatusCode::from_u16(*status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            return Ok(Some(body::response(status, "text/plain", Bytes::new())));
        }
        FailureKind::Code41 => ApiError::new(codes::NETWORK_41, "network error, please retry"),
        FailureKind::Code960000 => ApiError::new(
            codes::NETWORK_960000,
            "internal network error, please retry",
        ),
        FailureKind::RateLimit => ApiError::new(
            codes::RATE_LIMITED,
            "too many requests this minute, please retry later",
        ),
        FailureKind::Api(api) => ApiError {
            code: api.code,
            new_code: api.new_code.resolve(api.code),
            message: api
                .message
                .clone()
                .unwrap_or_else(|| api_error::meaning_of(api.code).to_string()),
            status: api
                .status
                .and_then(|s| StatusCode::from_u16(s).ok())
                .unwrap_or_else(|| api_error::status_of(api.code)),
        },
    };
    app.stats.fault(kind);
    app.stats.error(error.code);
    Ok(Some(body::error(&error)))
}

/// Reads, authenticates and handles an API request.
async fn handle<B>(app: &App, route: Route, request: Request<B>) -> Result<SimResponse, ApiError>
where
    B: http_body::Body<Data = Bytes>,
    B::Error: std::error::Error + Send + Sync + 'static,
{
    match route {
        Route::NotFound => {
            return Err(ApiError::new(codes::INVALID_PARAMETER, "no such API: the simulator serves POST /v1/meetings/{meetingId}/dismiss and GET /v1/meetings/{meetingId}")
                .with_status(StatusCode::NOT_FOUND));
        }
        Route::MethodNotAllowed => {
            return Err(
                ApiError::new(codes::INVALID_PARAMETER, "method not allowed on this path")
                    .with_status(StatusCode::METHOD_NOT_ALLOWED),
            );
        }
        Route::Dismiss(_) | Route::Lookup(_) => {}
    }
    let (parts, body) = request.into_parts();
    let body = read_body(body, app.max_body_bytes).await?;
    // The signature covers the path and query exactly as they came, undecoded.
    let uri = parts.uri.path_and_query().map_or("/", |pq| pq.as_str());
    let now = app.clock.now_unix_millis();
    let caller = app.auth.authenticate(
        &RequestParts {
            method: parts.method.as_str(),
            uri,
            headers: &parts.headers,
            body: &body,
        },
        now,
        &app.replay,
    )?;
    if let Some(window_start_ms) = app.limiter.check(caller.rate_key(), now)? {
        app.stats.admitted(window_start_ms);
    }
    match route {
        Route::Dismiss(id) => {
            let params = DismissParams::parse(&body)?;
            let done = handlers::dismiss(&app.store, &caller, &id, &params)?;
            committed(app, &done);
            let answer: &'static [u8] = if app.empty_object_success { b"{}" } else { b"" };
            Ok(body::json(StatusCode::OK, Bytes::from_static(answer)))
        }
        Route::Lookup(id) => {
            let params = LookupParams::parse(parts.uri.query())?;
            let answer = handlers::lookup(&app.store, &caller, &id, &params)?;
            Ok(body::json(StatusCode::OK, answer))
        }
        Route::MethodNotAllowed | Route::NotFound => {
            Err(ApiError::new(codes::INVALID_PARAMETER, "no such API"))
        }
    }
}

/// Everything that follows a committed dismiss, before it is answered: the one place to hook
/// what must see every meeting (or sub-meeting) a dismiss ended.
fn committed(app: &App, done: &Dismissal) {
    app.stats.dismissal();
    tracing::debug!(?done, "dismissed");
    app.webhooks
        .meeting_ended(done, app.store.get(&done.meeting_id).as_ref());
}

/// Reads a whole body of at most `limit` bytes (HTTP 413 beyond).
pub(crate) async fn read_body<B>(body: B, limit: usize) -> Result<Bytes, ApiError>
where
    B: http_body::Body<Data = Bytes>,
    B::Error: std::error::Error + Send + Sync + 'static,
{
    match Limited::new(body, limit).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) if e.downcast_ref::<LengthLimitError>().is_some() => Err(ApiError::invalid(
            "body",
            format!("is larger than {limit} bytes"),
        )
        .with_status(StatusCode::PAYLOAD_TOO_LARGE)),
        Err(e) => Err(ApiError::invalid("body", format!("could not be read: {e}"))),
    }
}

/// How long the server waits for open connections to finish when it shuts down.
pub(crate) const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes() {
        assert_eq!(
            Route::of(&Method::POST, "/v1/meetings/123/dismiss"),
            Route::Dismiss("123".into())
        );
        assert_eq!(
            Route::of(&Method::GET, "/v1/meetings/123"),
            Route::Lookup("123".into())
        );
        assert_eq!(
            Route::of(&Method::GET, "/v1/meetings/123/dismiss"),
            Route::MethodNotAllowed
        );
        assert_eq!(
            Route::of(&Method::POST, "/v1/meetings/123"),
            Route::MethodNotAllowed
        );
        assert_eq!(
            Route::of(&Method::POST, "/v1/meetings//dismiss"),
            Route::NotFound
        );
        assert_eq!(Route::of(&Method::GET, "/v1/meetings/"), Route::NotFound);
        assert_eq!(Route::of(&Method::GET, "/v1/meetings/1/2"), Route::NotFound);
        assert_eq!(Route::of(&Method::GET, "/v2/meetings/1"), Route::NotFound);
    }
}
