//! The admin API of event subscriptions, under `/_sim/webhooks`:
//!
//! - `GET /_sim/webhooks`: `{"subscriptions": [...], "faults": {...}, "stats": {...}}`
//!   (subscriptions without their Token or key);
//! - `POST /_sim/webhooks` with a [`WebhookSubscription`]: verifies the URL as the platform does,
//!   then subscribes; 502 when the verification fails, 400 when the subscription is invalid;
//! - `DELETE /_sim/webhooks`: removes every subscription;
//! - `GET /_sim/webhooks/faults`, `POST /_sim/webhooks/faults` with [`WebhookFaults`].

use bytes::Bytes;
use http::{Method, StatusCode};
use serde_json::json;

use super::{WebhookFaults, WebhookSubscription};
use crate::body::{self, SimResponse};
use crate::error::SimError;
use crate::service::{App, read_body};

/// Answers a request under `/_sim/webhooks`; `rest` is the path after it.
pub(crate) async fn handle<B>(app: &App, method: &Method, rest: &[&str], request: B) -> SimResponse
where
    B: http_body::Body<Data = Bytes>,
    B::Error: std::error::Error + Send + Sync + 'static,
{
    let webhooks = &app.webhooks;
    match (method, rest) {
        (&Method::GET, []) => body::json_value(
            StatusCode::OK,
            &json!({
                "subscriptions": webhooks.subscriptions(),
                "faults": webhooks.faults(),
                "stats": webhooks.stats(),
            }),
        ),
        (&Method::POST, []) => {
            let bytes = match read_body(request, app.max_admin_body_bytes).await {
                Ok(bytes) => bytes,
                Err(e) => return error(e.status, e.message),
            };
            let subscription: WebhookSubscription = match serde_json::from_slice(&bytes) {
                Ok(s) => s,
                Err(e) => {
                    return error(
                        StatusCode::BAD_REQUEST,
                        format!("invalid subscription: {e}"),
                    );
                }
            };
            let url = subscription.url.clone();
            match webhooks.subscribe(subscription).await {
                Ok(()) => body::json_value(StatusCode::OK, &json!({ "subscribed": url })),
                Err(e @ SimError::WebhookVerification { .. }) => {
                    error(StatusCode::BAD_GATEWAY, e.to_string())
                }
                Err(e) => error(StatusCode::BAD_REQUEST, e.to_string()),
            }
        }
        (&Method::DELETE, []) => {
            webhooks.unsubscribe_all();
            body::json_value(StatusCode::OK, &json!({ "subscriptions": [] }))
        }
        (&Method::GET, ["faults"]) => body::json_value(StatusCode::OK, &webhooks.faults()),
        (&Method::POST, ["faults"]) => {
            let bytes = match read_body(request, app.max_admin_body_bytes).await {
                Ok(bytes) => bytes,
                Err(e) => return error(e.status, e.message),
            };
            let faults = serde_json::from_slice::<WebhookFaults>(&bytes)
                .map_err(|e| SimError::InvalidWebhook(format!("invalid faults: {e}")))
                .and_then(|faults| webhooks.set_faults(faults));
            match faults {
                Ok(()) => body::json_value(StatusCode::OK, &webhooks.faults()),
                Err(e) => error(StatusCode::BAD_REQUEST, e.to_string()),
            }
        }
        (_, [] | ["faults"]) => error(StatusCode::METHOD_NOT_ALLOWED, "method not allowed"),
        _ => error(
            StatusCode::NOT_FOUND,
            "unknown admin path: /_sim/webhooks, /_sim/webhooks/faults",
        ),
    }
}

fn error(status: StatusCode, message: impl Into<String>) -> SimResponse {
    body::json_value(status, &json!({ "error": message.into() }))
}
