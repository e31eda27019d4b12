//! Sending one event to one subscriber, at least once: retries with backoff while the receiver
//! fails, each attempt sealed afresh by the client crate's `Webhook::seal_event`.

use std::sync::Arc;
use std::time::Duration;

use tencent_meeting::clock::Clock;
use tokio::sync::watch;

use super::{Counters, Subscriber};

/// One event on its way to one subscriber.
pub(super) struct Delivery {
    pub http: reqwest::Client,
    pub subscriber: Arc<Subscriber>,
    /// The event JSON (the same for every attempt and duplicate: one `trace_id`).
    pub plaintext: Vec<u8>,
    pub clock: Arc<dyn Clock>,
    pub counters: Arc<Counters>,
    pub stop: watch::Receiver<bool>,
}

impl Delivery {
    /// Waits `delay`, delivers, then (with `duplicate`) delivers the same event again.
    pub async fn run(mut self, delay: Duration, duplicate: bool) {
        if self.pause(delay).await {
            let delivered = self.deliver().await;
            if duplicate && delivered {
                Counters::add(&self.counters.duplicates);
                self.deliver().await;
            }
        }
        self.counters
            .pending
            .fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
    }

    /// Attempts until a 200 or the last attempt; returns whether it was delivered.
    async fn deliver(&mut self) -> bool {
        let subscriber = Arc::clone(&self.subscriber);
        let subscription = &subscriber.subscription;
        let mut backoff = Duration::from_millis(subscription.initial_backoff_ms);
        let max_backoff = Duration::from_millis(subscription.max_backoff_ms);
        for attempt in 1..=subscription.max_attempts {
            Counters::add(&self.counters.attempts);
            match self.attempt().await {
                Ok(()) => {
                    Counters::add(&self.counters.delivered);
                    return true;
                }
                Err(why) => {
                    Counters::add(&self.counters.failed_attempts);
                    tracing::debug!(url = %subscription.url, attempt, %why, "event delivery failed");
                }
            }
            if attempt == subscription.max_attempts {
                break;
            }
            // Full jitter keeps retries of many events from arriving in lockstep.
            let wait = backoff.mul_f64(0.5 + rand::random_range(0.0..0.5));
            if !self.pause(wait).await {
                return false;
            }
            backoff = (backoff * 2).min(max_backoff);
        }
        Counters::add(&self.counters.given_up);
        tracing::warn!(url = %subscription.url, attempts = subscription.max_attempts, "event delivery given up");
        false
    }

    async fn attempt(&self) -> Result<(), String> {
        let subscription = &self.subscriber.subscription;
        let timestamp = self.clock.now_unix_millis().to_string();
        let nonce = rand::random_range(10_000_000u32..100_000_000).to_string();
        let sealed = self
            .subscriber
            .webhook
            .seal_event(&self.plaintext, &timestamp, &nonce);
        let response = self
            .http
            .post(&subscription.url)
            .headers(sealed.header_map())
            .header(http::header::CONTENT_TYPE, "application/json")
            .body(sealed.body)
            .timeout(Duration::from_millis(subscription.timeout_ms))
            .send()
            .await
            .map_err(|e| e.to_string())?;
        match response.status().as_u16() {
            200 => Ok(()),
            status => Err(format!("HTTP {status}")),
        }
    }

    /// Sleeps `duration` unless the simulator stops first; returns whether to go on.
    async fn pause(&mut self, duration: Duration) -> bool {
        if duration.is_zero() {
            return !*self.stop.borrow();
        }
        let stopped = tokio::select! {
            () = tokio::time::sleep(duration) => false,
            _ = self.stop.wait_for(|stop| *stop) => true,
        };
        !stopped && !*self.stop.borrow()
    }
}
