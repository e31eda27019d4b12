//! The URL-verification GET, as the platform sends it when a subscription is saved and, later,
//! as heartbeats: a random challenge, encoded and signed like an event's data, in `check_str`.
//! The receiver must answer HTTP 200 with exactly the challenge within 3 seconds.

use std::sync::Arc;
use std::time::Duration;

use tencent_meeting::clock::Clock;
use tokio::sync::watch;

use super::{Counters, Subscriber};

/// The platform's documented limit for the answer.
const ANSWER_WITHIN: Duration = Duration::from_secs(3);

/// Sends one verification GET; `Err` says why the subscriber failed it.
pub(super) async fn verify(
    http: &reqwest::Client,
    subscriber: &Subscriber,
    clock: &dyn Clock,
) -> Result<(), String> {
    let challenge = challenge();
    let timestamp = clock.now_unix_millis().to_string();
    let nonce = rand::random_range(10_000_000u32..100_000_000).to_string();
    let sealed = subscriber
        .webhook
        .seal_url_check(&challenge, &timestamp, &nonce);
    let url = &subscriber.subscription.url;
    let separator = if url.contains('?') { '&' } else { '?' };
    let response = http
        .get(format!("{url}{separator}{}", sealed.query))
        .headers(sealed.header_map())
        .timeout(ANSWER_WITHIN)
        .send()
        .await
        .map_err(|e| unanswered(&e))?;
    let status = response.status().as_u16();
    let body = response
        .text()
        .await
        .map_err(|e| format!("the answer could not be read: {e}"))?;
    if status != 200 {
        return Err(format!("answered HTTP {status}, not 200"));
    }
    if body != challenge {
        return Err(format!(
            "answered {body:?}, not the decoded check_str {challenge:?} (bare: no quotes, no newline)"
        ));
    }
    Ok(())
}

/// Why a verification GET got no answer, in the words of what happened: a refused or failed
/// connection is not a slow receiver.
fn unanswered(e: &reqwest::Error) -> String {
    // reqwest's own message is generic ("error sending request for url"); the cause is at the
    // bottom of the chain (e.g. "Connection refused (os error 111)").
    let mut cause: &dyn std::error::Error = e;
    while let Some(next) = cause.source() {
        cause = next;
    }
    if e.is_timeout() {
        format!("no answer within {ANSWER_WITHIN:?}")
    } else if e.is_connect() {
        format!("could not connect: {cause}")
    } else {
        format!("the request failed: {cause}")
    }
}

/// Repeats [`verify`] every `period` until the simulator stops; failures are counted.
pub(super) async fn heartbeats(
    http: reqwest::Client,
    subscriber: Arc<Subscriber>,
    period: Duration,
    clock: Arc<dyn Clock>,
    counters: Arc<Counters>,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        tokio::select! {
            () = tokio::time::sleep(period) => {}
            _ = stop.wait_for(|stop| *stop) => return,
        }
        Counters::add(&counters.verifications);
        if let Err(why) = verify(&http, &subscriber, clock.as_ref()).await {
            Counters::add(&counters.failed_verifications);
            tracing::warn!(url = %subscriber.subscription.url, %why, "heartbeat failed");
        }
    }
}

/// 16 random letters and digits, like the platform's challenges.
fn challenge() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    (0..16)
        .map(|_| char::from(ALPHABET[rand::random_range(0..ALPHABET.len())]))
        .collect()
}
