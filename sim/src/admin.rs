//! The admin API under `/_sim/`: no authentication, no faults, not counted in the stats.
//!
//! - `POST /_sim/meetings`: create a meeting from a [`MeetingSpec`] (or an array of them);
//!   answers `{"meeting_id": "..."}` (or `{"meeting_ids": [...]}`).
//! - `GET /_sim/meetings`: every meeting, as [`MeetingView`]s.
//! - `GET /_sim/meetings/{id}`: one [`MeetingView`].
//! - `POST /_sim/meetings/{id}/start`: starts a scheduled meeting (a recurring meeting's current
//!   sub-meeting); answers the [`MeetingView`], 409 when it cannot start.
//! - `GET /_sim/stats`: the [`Stats`].
//! - `GET /_sim/faults`, `POST /_sim/faults`: read or replace the [`Faults`].
//! - `GET /_sim/rate-limits`, `POST /_sim/rate-limits`: read or replace the [`RateLimits`]
//!   (replacing them starts counting afresh).
//! - `/_sim/webhooks`: event subscriptions (see `webhooks/admin.rs`).
//!
//! Errors answer `{"error": "..."}` with 400 (bad input), 404 (unknown meeting or path), 405 or
//! 409 (a meeting with that ID exists, or one that cannot be started).
//!
//! [`MeetingView`]: crate::MeetingView
//! [`Stats`]: crate::Stats
//! [`RateLimits`]: crate::RateLimits

use bytes::Bytes;
use http::{Method, Request, StatusCode};
use serde::Deserialize;
use serde_json::json;

use crate::body::{self, SimResponse};
use crate::error::SimError;
use crate::faults::Faults;
use crate::meeting::MeetingSpec;
use crate::rate_limit::RateLimits;
use crate::service::{App, read_body};

/// Answers an admin request.
pub(crate) async fn handle<B>(app: &App, request: Request<B>) -> SimResponse
where
    B: http_body::Body<Data = Bytes>,
    B::Error: std::error::Error + Send + Sync + 'static,
{
    let (parts, request_body) = request.into_parts();
    let path = parts.uri.path().trim_end_matches('/');
    let segments: Vec<&str> = path.split('/').skip(2).collect();
    match (&parts.method, segments.as_slice()) {
        (method, ["webhooks", rest @ ..]) => {
            crate::webhooks::admin(app, method, rest, request_body).await
        }
        (&Method::GET, ["meetings"]) => body::json_value(StatusCode::OK, &app.store.list()),
        (&Method::POST, ["meetings"]) => match read(app, request_body).await {
            Ok(bytes) => create(app, &bytes),
            Err(response) => response,
        },
        (&Method::GET, ["meetings", id]) => match app.store.get(id) {
            Some(meeting) => body::json_value(StatusCode::OK, &meeting),
            None => error(StatusCode::NOT_FOUND, format!("no meeting {id}")),
        },
        (&Method::POST, ["meetings", id, "start"]) => match app.store.start(id) {
            Ok(meeting) => body::json_value(StatusCode::OK, &meeting),
            Err(e) => sim_error(&e),
        },
        (&Method::GET, ["stats"]) => body::json_value(StatusCode::OK, &app.stats.snapshot()),
        (&Method::GET, ["faults"]) => body::json_value(StatusCode::OK, &app.faults.current()),
        (&Method::POST, ["faults"]) => match read(app, request_body).await {
            Ok(bytes) => set_faults(app, &bytes),
            Err(response) => response,
        },
        (&Method::GET, ["rate-limits"]) => body::json_value(StatusCode::OK, &app.limiter.limits()),
        (&Method::POST, ["rate-limits"]) => match read(app, request_body).await {
            Ok(bytes) => set_rate_limits(app, &bytes),
            Err(response) => response,
        },
        (
            _,
            ["meetings"]
            | ["meetings", _]
            | ["meetings", _, "start"]
            | ["stats"]
            | ["faults"]
            | ["rate-limits"],
        ) => error(StatusCode::METHOD_NOT_ALLOWED, "method not allowed"),
        _ => error(
            StatusCode::NOT_FOUND,
            "unknown admin path: /_sim/meetings, /_sim/meetings/{id}, /_sim/meetings/{id}/start, /_sim/stats, /_sim/faults, /_sim/rate-limits, /_sim/webhooks",
        ),
    }
}

async fn read<B>(app: &App, request_body: B) -> Result<Bytes, SimResponse>
where
    B: http_body::Body<Data = Bytes>,
    B::Error: std::error::Error + Send + Sync + 'static,
{
    read_body(request_body, app.max_admin_body_bytes)
        .await
        .map_err(|e| error(e.status, e.message))
}

/// One meeting or an array of them.
#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(Box<MeetingSpec>),
    Many(Vec<MeetingSpec>),
}

fn create(app: &App, bytes: &[u8]) -> SimResponse {
    let specs = match serde_json::from_slice::<OneOrMany>(bytes) {
        Ok(specs) => specs,
        Err(_) => {
            // The untagged error says nothing useful; the single form's error names the field.
            let detail = match serde_json::from_slice::<MeetingSpec>(bytes) {
                Err(e) => e.to_string(),
                Ok(_) => "expected a meeting object or an array of them".to_string(),
            };
            return error(
                StatusCode::BAD_REQUEST,
                format!("invalid meeting: {detail}"),
            );
        }
    };
    let now = app.now_secs();
    match specs {
        OneOrMany::One(spec) => match app.store.create(*spec, now) {
            Ok(id) => body::json_value(StatusCode::OK, &json!({ "meeting_id": id })),
            Err(e) => sim_error(&e),
        },
        OneOrMany::Many(specs) => {
            let mut ids = Vec::with_capacity(specs.len());
            for spec in specs {
                match app.store.create(spec, now) {
                    Ok(id) => ids.push(id),
                    Err(e) => return sim_error(&e),
                }
            }
            body::json_value(StatusCode::OK, &json!({ "meeting_ids": ids }))
        }
    }
}

fn set_faults(app: &App, bytes: &[u8]) -> SimResponse {
    let faults = match serde_json::from_slice::<Faults>(bytes) {
        Ok(faults) => faults,
        Err(e) => return error(StatusCode::BAD_REQUEST, format!("invalid faults: {e}")),
    };
    if let Err(e) = faults.validate() {
        return error(StatusCode::BAD_REQUEST, format!("invalid faults: {e}"));
    }
    app.faults.set(faults);
    body::json_value(StatusCode::OK, &app.faults.current())
}

fn set_rate_limits(app: &App, bytes: &[u8]) -> SimResponse {
    let limits = match serde_json::from_slice::<RateLimits>(bytes) {
        Ok(limits) => limits,
        Err(e) => return error(StatusCode::BAD_REQUEST, format!("invalid rate limits: {e}")),
    };
    if let Err(e) = limits.validate() {
        return error(StatusCode::BAD_REQUEST, format!("invalid rate limits: {e}"));
    }
    app.limiter.set(limits);
    body::json_value(StatusCode::OK, &app.limiter.limits())
}

fn sim_error(e: &SimError) -> SimResponse {
    let status = match e {
        SimError::DuplicateMeeting(_) | SimError::NotStartable { .. } => StatusCode::CONFLICT,
        SimError::UnknownMeeting(_) => StatusCode::NOT_FOUND,
        _ => StatusCode::BAD_REQUEST,
    };
    error(status, e.to_string())
}

fn error(status: StatusCode, message: impl Into<String>) -> SimResponse {
    body::json_value(status, &json!({ "error": message.into() }))
}
