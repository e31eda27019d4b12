//! A receiver to mount in an axum (tower) server: the thin framework layer over
//! [`Webhook`]. Feature `webhook-axum`.
//!
//! - `GET` (URL verification at set-up, and heartbeats ever after): 200 with the bare plaintext.
//! - `POST` (events): the handler is called with the delivery's events; 200
//!   `successfully received callback` once it returns `Ok`, 500 when it returns `Err` (the
//!   platform delivers again). So a handler that stores the events durably before returning
//!   gives at-least-once storage.
//! - 401 for a missing or wrong signature, 400 for a signed body that does not decode or
//!   cannot be read, 413 for a body over [`MAX_BODY_BYTES`] (at once when its
//!   `Content-Length` says so), 405 for other methods. Nothing reaches the handler unless its
//!   signature checked out.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use tencent_meeting::webhook::{axum::Receiver, Event, Webhook};
//!
//! let webhook = Webhook::new("Ab3dEf6hIj9kLm2nOp5qRs8tU", Some("abcdefghijklmnopqrstuvwxyzABCDEFG1234567890"))?;
//! let receiver = Receiver::new(webhook, |events: Vec<Event>| async move {
//!     println!("{events:?}");
//!     Ok::<_, std::convert::Infallible>(())
//! });
//! let app = axum::Router::new().route("/tencent-meeting/events", receiver.into_method_router());
//! axum::serve(tokio::net::TcpListener::bind("0.0.0.0:8080").await?, app).await?;
//! # Ok(()) }
//! ```
//!
//! `axum::serve`, as above, has no timeouts and no connection cap: a receiver the internet can
//! reach should be served with deadlines for the head and the body and a cap below the
//! descriptor limit (hyper's `http1::Builder::serve_connection` with the router as its service,
//! as `tencent-meeting events listen` does), or one idle connection per descriptor stops it.

use std::fmt;
use std::future::Future;
use std::sync::Arc;

use ::axum::body::{Body, HttpBody as _};
use ::axum::extract::RawQuery;
use ::axum::http::{HeaderMap, StatusCode, header};
use ::axum::response::{IntoResponse, Response};
use ::axum::routing::{MethodRouter, get};
use http_body_util::{BodyExt as _, LengthLimitError, Limited};

use super::config::Webhook;
use super::event::Event;
use super::store::EventStore;
use super::waiter::MeetingEndWaiter;

/// The largest body accepted by default (1 MiB); larger ones get 413.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;
/// What a POST is answered with once the handler succeeded (what known receivers answer).
pub const RECEIVED: &str = "successfully received callback";

/// What the receiver calls with each verified delivery's events. Any
/// `Fn(Vec<Event>) -> impl Future<Output = Result<(), E>>` is one.
pub trait EventHandler: Send + Sync + 'static {
    /// Why the events could not be handled (the delivery is then answered 500).
    type Error: fmt::Display + Send;

    /// Handles one delivery's events (at least one). Return `Ok` only once they are safe: the
    /// platform is then told they were received and will not send them again.
    fn handle(&self, events: Vec<Event>) -> impl Future<Output = Result<(), Self::Error>> + Send;
}

impl<F, Fut, E> EventHandler for F
where
    F: Fn(Vec<Event>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), E>> + Send,
    E: fmt::Display + Send,
{
    type Error = E;

    fn handle(&self, events: Vec<Event>) -> impl Future<Output = Result<(), E>> + Send {
        self(events)
    }
}

/// The handler of [`Receiver::storing`]: appends each delivery to an [`EventStore`], so the
/// delivery is answered 200 only once the store kept it (a duplicate included: it was kept
/// before), and 500 when the store failed.
#[derive(Debug, Clone)]
pub struct StoreHandler<S>(S);

impl<S> StoreHandler<S> {
    /// The store.
    pub fn store(&self) -> &S {
        &self.0
    }
}

impl<S: EventStore> EventHandler for StoreHandler<S> {
    type Error = S::Error;

    async fn handle(&self, events: Vec<Event>) -> Result<(), S::Error> {
        self.0.append(events).await.map(|_| ())
    }
}

/// The receiver: a [`Webhook`], a handler, and optionally a [`MeetingEndWaiter`] to feed.
pub struct Receiver<H> {
    webhook: Webhook,
    handler: H,
    waiter: Option<MeetingEndWaiter>,
    max_body_bytes: usize,
}

impl<H> fmt::Debug for Receiver<H> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Receiver")
            .field("webhook", &self.webhook)
            .field("waiter", &self.waiter.is_some())
            .field("max_body_bytes", &self.max_body_bytes)
            .finish()
    }
}

impl<S: EventStore> Receiver<StoreHandler<S>> {
    /// A receiver that appends every verified delivery to `store` (any [`EventStore`]: memory,
    /// file, PostgreSQL) and answers 200 once the store kept it.
    pub fn storing(webhook: Webhook, store: S) -> Self {
        Self::new(webhook, StoreHandler(store))
    }
}

impl<H: EventHandler> Receiver<H> {
    /// A receiver calling `handler` with every verified delivery.
    pub fn new(webhook: Webhook, handler: H) -> Self {
        Self {
            webhook,
            handler,
            waiter: None,
            max_body_bytes: MAX_BODY_BYTES,
        }
    }

    /// Also publishes each delivery's `meeting.end` events to `waiter`, after the handler
    /// returned `Ok` (so what a wait sees was acknowledged).
    #[must_use]
    pub fn feed(mut self, waiter: MeetingEndWaiter) -> Self {
        self.waiter = Some(waiter);
        self
    }

    /// The largest body accepted (default [`MAX_BODY_BYTES`]).
    #[must_use]
    pub fn max_body_bytes(mut self, bytes: usize) -> Self {
        self.max_body_bytes = bytes;
        self
    }

    /// GET and POST handlers, to mount with `Router::route(path, …)`.
    pub fn into_method_router<S>(self) -> MethodRouter<S>
    where
        S: Clone + Send + Sync + 'static,
    {
        let shared = Arc::new(self);
        let on_get = Arc::clone(&shared);
        get(
            move |headers: HeaderMap, RawQuery(query): RawQuery| async move {
                on_get.verify_url(&headers, query.as_deref().unwrap_or(""))
            },
        )
        .post(move |headers: HeaderMap, body: Body| async move {
            shared.deliver(&headers, body).await
        })
    }

    /// A router serving the receiver at `/`.
    pub fn into_router(self) -> ::axum::Router {
        ::axum::Router::new().route("/", self.into_method_router())
    }

    fn verify_url(&self, headers: &HeaderMap, query: &str) -> Response {
        match self.webhook.verify_url(headers, query) {
            Ok(plaintext) => text(StatusCode::OK, plaintext),
            Err(e) => {
                tracing::info!(error = %e, "URL check refused");
                refuse(e.http_status(), e.to_string())
            }
        }
    }

    async fn deliver(&self, headers: &HeaderMap, body: Body) -> Response {
        // A declared length over the limit is refused before anything is read: waiting for a
        // `Content-Length: 100000000000` would only hold the connection.
        if body.size_hint().lower() > self.max_body_bytes as u64 {
            tracing::info!(limit = self.max_body_bytes, "event refused: body too large");
            return text(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("the body is larger than {} bytes", self.max_body_bytes),
            );
        }
        let bytes = match Limited::new(body, self.max_body_bytes).collect().await {
            Ok(collected) => collected.to_bytes(),
            Err(e) if e.downcast_ref::<LengthLimitError>().is_some() => {
                tracing::info!(limit = self.max_body_bytes, "event refused: body too large");
                return text(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    format!("the body is larger than {} bytes", self.max_body_bytes),
                );
            }
            Err(e) => {
                return text(
                    StatusCode::BAD_REQUEST,
                    format!("the body could not be read: {e}"),
                );
            }
        };
        let events = match self.webhook.verify_and_parse(headers, &bytes) {
            Ok(events) => events,
            Err(e) => {
                tracing::info!(error = %e, "event refused");
                if let Some(waiter) = &self.waiter {
                    waiter.refused(&e);
                }
                return refuse(e.http_status(), e.to_string());
            }
        };
        let ends: Vec<Event> = match &self.waiter {
            Some(_) => events
                .iter()
                .filter(|e| e.as_meeting_end().is_some())
                .cloned()
                .collect(),
            None => Vec::new(),
        };
        match self.handler.handle(events).await {
            Ok(()) => {
                if let Some(waiter) = &self.waiter {
                    waiter.publish(&ends);
                }
                text(StatusCode::OK, RECEIVED)
            }
            Err(e) => {
                tracing::warn!(error = %e, "event handler failed; the platform will deliver again");
                text(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    format!("not received: {e}"),
                )
            }
        }
    }
}

fn refuse(status: u16, message: String) -> Response {
    text(
        StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST),
        message,
    )
}

fn text(status: StatusCode, body: impl Into<String>) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        body.into(),
    )
        .into_response()
}
