//! Event subscriptions (事件订阅): the simulator sends `meeting.end` to a subscriber's URL when a
//! dismiss ends a meeting, signed (and, with an EncodingAESKey, encrypted) by the client crate's
//! own [`tencent_meeting::webhook`] functions, so the simulator cannot sign differently from what
//! the receiver checks.
//!
//! - **Subscribing** ([`SimulatorBuilder::webhook`](crate::SimulatorBuilder::webhook),
//!   [`Simulator::subscribe_webhook`](crate::Simulator::subscribe_webhook), admin
//!   `POST /_sim/webhooks`) sends the URL-verification GET as the platform does (a random
//!   challenge, encoded, signed, percent-encoded in `check_str`) and refuses the subscription
//!   unless the answer is HTTP 200 with exactly the challenge within 3 seconds. An optional
//!   heartbeat repeats that GET.
//! - **Delivery**: when a dismiss commits, one `meeting.end` (`meeting_end_type` 0, the
//!   dismissing operator, the meeting's ID, code, type, creation mode and, for a recurring
//!   meeting, the sub-meeting that ended) is POSTed to every subscription. At least once: any
//!   answer but 200, or none within the attempt timeout, is retried with exponential backoff
//!   and jitter, each attempt signed afresh (new `timestamp` and `nonce`, same `trace_id`),
//!   until the attempts run out.
//! - **Fault knobs** ([`WebhookFaults`], admin `POST /_sim/webhooks/faults`): duplicates (the
//!   same event delivered again, same `trace_id`), a delay before each delivery, and a random
//!   extra delay per delivery that lets later events overtake earlier ones (reordering).
//!
//! Where the platform is not documented (its retry schedule, its timeout, the heartbeat period),
//! the numbers are the simulator's own, and configurable.

mod admin;
mod delivery;
mod verification;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tencent_meeting::clock::Clock;
use tencent_meeting::webhook::Webhook;
use tencent_meeting::webhook::sender::MeetingEndNotice;
use tokio::sync::watch;

pub(crate) use admin::handle as admin;

use crate::error::SimError;
use crate::lifecycle::Dismissal;
use crate::meeting::MeetingView;

/// A subscription: where to send events and with which secrets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct WebhookSubscription {
    /// The subscriber's URL (`http://` or `https://`), e.g. `http://127.0.0.1:8080/events`.
    pub url: String,
    /// The Token (letters and digits).
    pub token: String,
    /// The EncodingAESKey (43 letters and digits); none for plain mode (base64 only).
    #[serde(default)]
    pub aes_key: Option<String>,
    /// Whether to send the URL-verification GET and refuse the subscription if it fails
    /// (default true, as the platform does).
    #[serde(default = "yes")]
    pub verify: bool,
    /// Attempts per delivery, the first included (default 8).
    #[serde(default = "default_attempts")]
    pub max_attempts: u32,
    /// The wait before the first retry, doubled each time (default 100 ms).
    #[serde(default = "default_backoff")]
    pub initial_backoff_ms: u64,
    /// The longest wait between attempts (default 5 s).
    #[serde(default = "default_max_backoff")]
    pub max_backoff_ms: u64,
    /// How long one attempt waits for its answer (default 3 s).
    #[serde(default = "default_timeout")]
    pub timeout_ms: u64,
    /// Repeat the verification GET this often, as the platform's heartbeats (default: never).
    #[serde(default)]
    pub heartbeat_ms: Option<u64>,
}

fn yes() -> bool {
    true
}
fn default_attempts() -> u32 {
    8
}
fn default_backoff() -> u64 {
    100
}
fn default_max_backoff() -> u64 {
    5_000
}
fn default_timeout() -> u64 {
    3_000
}

impl WebhookSubscription {
    /// A verified subscription of `url` with `token`, plain mode, default retries.
    pub fn new(url: impl Into<String>, token: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            token: token.into(),
            aes_key: None,
            verify: true,
            max_attempts: default_attempts(),
            initial_backoff_ms: default_backoff(),
            max_backoff_ms: default_max_backoff(),
            timeout_ms: default_timeout(),
            heartbeat_ms: None,
        }
    }

    /// Encrypts events with this EncodingAESKey.
    pub fn aes_key(mut self, key: impl Into<String>) -> Self {
        self.aes_key = Some(key.into());
        self
    }

    /// Skips the verification GET (for a receiver that starts later).
    pub fn unverified(mut self) -> Self {
        self.verify = false;
        self
    }

    /// The retry schedule: attempts per delivery and the first and longest backoff.
    pub fn retries(mut self, max_attempts: u32, initial: Duration, max: Duration) -> Self {
        self.max_attempts = max_attempts;
        self.initial_backoff_ms = initial.as_millis() as u64;
        self.max_backoff_ms = max.as_millis() as u64;
        self
    }

    /// How long one attempt waits for its answer.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout_ms = timeout.as_millis() as u64;
        self
    }

    /// Sends the verification GET again every `period`.
    pub fn heartbeat(mut self, period: Duration) -> Self {
        self.heartbeat_ms = Some(period.as_millis() as u64);
        self
    }

    /// The library's [`Webhook`] for these secrets, or why they are not valid.
    fn webhook(&self) -> Result<Webhook, SimError> {
        let scheme_ok = self.url.starts_with("http://") || self.url.starts_with("https://");
        if !scheme_ok {
            return Err(SimError::InvalidWebhook(format!(
                "url: must start with http:// or https://, got {:?}",
                self.url
            )));
        }
        if self.max_attempts == 0 {
            return Err(SimError::InvalidWebhook(
                "max_attempts: must be at least 1".into(),
            ));
        }
        if self.timeout_ms == 0 || self.heartbeat_ms == Some(0) {
            return Err(SimError::InvalidWebhook(
                "timeout_ms and heartbeat_ms: must be positive".into(),
            ));
        }
        Webhook::new(self.token.as_str(), self.aes_key.as_deref())
            .map_err(|e| SimError::InvalidWebhook(e.to_string()))
    }
}

/// Fault knobs of event delivery.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WebhookFaults {
    /// The share (0 to 1) of events delivered a second time after the first delivery, with the
    /// same `trace_id` (signed afresh).
    pub duplicate_share: f64,
    /// A delay before each event's first attempt, in milliseconds.
    pub delay_ms: u64,
    /// A random extra delay per event, 0 to this many milliseconds: events sent close together
    /// arrive in another order.
    pub reorder_jitter_ms: u64,
}

impl WebhookFaults {
    /// No faults.
    pub fn none() -> Self {
        Self::default()
    }

    fn validate(&self) -> Result<(), SimError> {
        if !(0.0..=1.0).contains(&self.duplicate_share) {
            return Err(SimError::InvalidWebhook(format!(
                "duplicate_share: must be within [0, 1], got {}",
                self.duplicate_share
            )));
        }
        Ok(())
    }
}

/// What event delivery did (admin `GET /_sim/webhooks`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookStats {
    /// Events created (one per subscription per committed dismiss; duplicates not counted).
    pub events: u64,
    /// POSTs sent (first attempts, retries and duplicates).
    pub attempts: u64,
    /// POSTs answered 200.
    pub delivered: u64,
    /// POSTs answered otherwise, or not at all.
    pub failed_attempts: u64,
    /// Duplicate deliveries started by [`WebhookFaults::duplicate_share`].
    pub duplicates: u64,
    /// Deliveries abandoned after their last attempt.
    pub given_up: u64,
    /// Deliveries still under way (waiting, sending or backing off).
    pub pending: u64,
    /// Verification GETs sent (subscriptions and heartbeats).
    pub verifications: u64,
    /// Verification GETs not answered with the challenge.
    pub failed_verifications: u64,
}

#[derive(Debug, Default)]
struct Counters {
    events: AtomicU64,
    attempts: AtomicU64,
    delivered: AtomicU64,
    failed_attempts: AtomicU64,
    duplicates: AtomicU64,
    given_up: AtomicU64,
    pending: AtomicU64,
    verifications: AtomicU64,
    failed_verifications: AtomicU64,
}

impl Counters {
    fn add(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    fn snapshot(&self) -> WebhookStats {
        let read = |c: &AtomicU64| c.load(Ordering::Relaxed);
        WebhookStats {
            events: read(&self.events),
            attempts: read(&self.attempts),
            delivered: read(&self.delivered),
            failed_attempts: read(&self.failed_attempts),
            duplicates: read(&self.duplicates),
            given_up: read(&self.given_up),
            pending: read(&self.pending),
            verifications: read(&self.verifications),
            failed_verifications: read(&self.failed_verifications),
        }
    }
}

/// One subscription with its library [`Webhook`].
#[derive(Debug)]
struct Subscriber {
    subscription: WebhookSubscription,
    webhook: Webhook,
}

/// The subscriptions and the deliveries under way.
#[derive(Debug)]
pub(crate) struct Webhooks {
    subscribers: RwLock<Vec<Arc<Subscriber>>>,
    faults: Mutex<WebhookFaults>,
    counters: Arc<Counters>,
    http: reqwest::Client,
    clock: Arc<dyn Clock>,
    stop: watch::Sender<bool>,
}

impl Webhooks {
    pub fn new(clock: Arc<dyn Clock>) -> Self {
        Self {
            subscribers: RwLock::new(Vec::new()),
            faults: Mutex::new(WebhookFaults::none()),
            counters: Arc::new(Counters::default()),
            // Loopback receivers in tests: no proxy from the environment in between.
            http: reqwest::Client::builder()
                .no_proxy()
                .build()
                .unwrap_or_default(),
            clock,
            stop: watch::channel(false).0,
        }
    }

    /// Verifies (unless told not to) and adds `subscription`, replacing one with the same URL.
    pub async fn subscribe(&self, subscription: WebhookSubscription) -> Result<(), SimError> {
        let webhook = subscription.webhook()?;
        let subscriber = Arc::new(Subscriber {
            subscription,
            webhook,
        });
        if subscriber.subscription.verify {
            Counters::add(&self.counters.verifications);
            if let Err(reason) =
                verification::verify(&self.http, &subscriber, self.clock.as_ref()).await
            {
                Counters::add(&self.counters.failed_verifications);
                return Err(SimError::WebhookVerification {
                    url: subscriber.subscription.url.clone(),
                    reason,
                });
            }
        }
        if let Some(period) = subscriber.subscription.heartbeat_ms {
            tokio::spawn(verification::heartbeats(
                self.http.clone(),
                Arc::clone(&subscriber),
                Duration::from_millis(period),
                Arc::clone(&self.clock),
                Arc::clone(&self.counters),
                self.stop.subscribe(),
            ));
        }
        let mut subscribers = self.write();
        subscribers.retain(|s| s.subscription.url != subscriber.subscription.url);
        subscribers.push(subscriber);
        Ok(())
    }

    /// Removes every subscription (deliveries under way go on).
    pub fn unsubscribe_all(&self) {
        self.write().clear();
    }

    /// The subscriptions, without their secrets.
    pub fn subscriptions(&self) -> Vec<serde_json::Value> {
        self.subscribers
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .map(|s| {
                let sub = &s.subscription;
                serde_json::json!({
                    "url": sub.url,
                    "mode": if sub.aes_key.is_some() { "aes" } else { "plain" },
                    "verify": sub.verify,
                    "max_attempts": sub.max_attempts,
                    "initial_backoff_ms": sub.initial_backoff_ms,
                    "max_backoff_ms": sub.max_backoff_ms,
                    "timeout_ms": sub.timeout_ms,
                    "heartbeat_ms": sub.heartbeat_ms,
                })
            })
            .collect()
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Vec<Arc<Subscriber>>> {
        self.subscribers
            .write()
            .unwrap_or_else(PoisonError::into_inner)
    }

    pub fn faults(&self) -> WebhookFaults {
        self.faults
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    pub fn set_faults(&self, faults: WebhookFaults) -> Result<(), SimError> {
        faults.validate()?;
        *self.faults.lock().unwrap_or_else(PoisonError::into_inner) = faults;
        Ok(())
    }

    pub fn stats(&self) -> WebhookStats {
        self.counters.snapshot()
    }

    /// Stops heartbeats and deliveries under way (the simulator is shutting down).
    pub fn stop(&self) {
        let _ = self.stop.send(true);
    }

    /// A dismiss committed: one `meeting.end` per subscription, sent in the background.
    /// `meeting` is the meeting as the dismiss left it.
    pub fn meeting_ended(&self, done: &Dismissal, meeting: Option<&MeetingView>) {
        let subscribers = self
            .subscribers
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        if subscribers.is_empty() {
            return;
        }
        let now_ms = self.clock.now_unix_millis();
        let faults = self.faults();
        for subscriber in subscribers {
            let plaintext = notice(done, meeting, now_ms).to_json();
            Counters::add(&self.counters.events);
            let duplicate = faults.duplicate_share > 0.0
                && rand::random_range(0.0..1.0) < faults.duplicate_share;
            let jitter = match faults.reorder_jitter_ms {
                0 => 0,
                max => rand::random_range(0..=max),
            };
            let delivery = delivery::Delivery {
                http: self.http.clone(),
                subscriber,
                plaintext,
                clock: Arc::clone(&self.clock),
                counters: Arc::clone(&self.counters),
                stop: self.stop.subscribe(),
            };
            Counters::add(&self.counters.pending);
            tokio::spawn(delivery.run(Duration::from_millis(faults.delay_ms + jitter), duplicate));
        }
    }
}

impl crate::Simulator {
    /// Verifies `subscription`'s URL (unless [`WebhookSubscription::unverified`]) and
    /// subscribes it to events, replacing a subscription of the same URL.
    pub async fn subscribe_webhook(
        &self,
        subscription: WebhookSubscription,
    ) -> Result<(), SimError> {
        self.app().webhooks.subscribe(subscription).await
    }

    /// Removes every event subscription.
    pub fn unsubscribe_webhooks(&self) {
        self.app().webhooks.unsubscribe_all();
    }

    /// What event delivery did so far.
    pub fn webhook_stats(&self) -> WebhookStats {
        self.app().webhooks.stats()
    }

    /// The delivery fault knobs in force.
    pub fn webhook_faults(&self) -> WebhookFaults {
        self.app().webhooks.faults()
    }

    /// Replaces the delivery fault knobs (for events created from now on).
    pub fn set_webhook_faults(&self, faults: WebhookFaults) -> Result<(), SimError> {
        self.app().webhooks.set_faults(faults)
    }
}

/// The `meeting.end` of a committed dismiss, in the documented shape.
fn notice(done: &Dismissal, meeting: Option<&MeetingView>, now_ms: u64) -> MeetingEndNotice {
    let mut notice = MeetingEndNotice::new(
        trace_id(),
        done.meeting_id.clone(),
        i64::try_from(now_ms).unwrap_or(i64::MAX),
    );
    notice.sub_meeting_id = done.sub_meeting_id.clone();
    // REST API: what the simulator's meetings are made with.
    notice.create_from = Some(6);
    if let Some(m) = meeting {
        notice.meeting_code = Some(m.meeting_code.clone());
        notice.subject = Some(m.subject.clone());
        notice.meeting_type = Some(m.meeting_type);
        notice.create_mode = Some(m.meeting_kind);
        notice.start_time = m.start_time.parse().ok();
        notice.end_time = m.end_time.parse().ok();
        notice.creator_userid = Some(m.creator_userid.clone());
        if let Some(dismiss) = &m.last_dismiss {
            // For OAuth2.0 applications `userid` carries the open id, as the page says.
            notice.operator_userid = Some(dismiss.operator.clone());
            notice.operator_instance_id = Some(dismiss.instanceid.to_string());
        }
    }
    notice
}

/// A random UUID-shaped trace id, as the platform's.
fn trace_id() -> String {
    let n: u128 = rand::random();
    let hex = format!("{n:032x}");
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subscriptions_are_checked_with_the_library_rules() {
        let bad = [
            WebhookSubscription::new("ftp://x", "token"),
            WebhookSubscription::new("http://x", "to ken"),
            WebhookSubscription::new("http://x", "token").aes_key("short"),
            WebhookSubscription::new("http://x", "token").retries(
                0,
                Duration::ZERO,
                Duration::ZERO,
            ),
        ];
        for sub in bad {
            assert!(
                matches!(sub.webhook(), Err(SimError::InvalidWebhook(_))),
                "{sub:?}"
            );
        }
        assert!(
            WebhookSubscription::new("http://x", "token")
                .webhook()
                .is_ok()
        );
        let parsed: WebhookSubscription =
            serde_json::from_str(r#"{"url":"http://x","token":"t"}"#).expect("defaults");
        assert_eq!(parsed, WebhookSubscription::new("http://x", "t"));
    }

    #[test]
    fn trace_ids_look_like_uuids() {
        let id = trace_id();
        assert_eq!(id.len(), 36);
        assert_eq!(id.matches('-').count(), 4);
        assert_ne!(id, trace_id());
    }

    #[test]
    fn faults_are_validated() {
        let faults = WebhookFaults {
            duplicate_share: 1.5,
            ..WebhookFaults::none()
        };
        assert!(faults.validate().is_err());
        assert!(WebhookFaults::none().validate().is_ok());
    }
}
