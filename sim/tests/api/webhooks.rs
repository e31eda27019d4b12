//! Events: a dismiss on the simulator reaches the client crate's axum receiver as a verified
//! `meeting.end`, and a `MeetingEndWaiter` fed by the receiver sees it — the path a
//! "confirmed by event" dismiss takes, in process, over real sockets. Also: the subscription's
//! URL check, retries while the receiver fails, giving up, duplicates, reordering, heartbeats
//! and the admin endpoints.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tencent_meeting::webhook::axum::Receiver;
use tencent_meeting::webhook::{
    CreateMode, Event, MeetingEndFilter, MeetingEndType, MeetingEndWaiter, MeetingType, Webhook,
};
use tencent_meeting::{Dismissed, Operator};
use tencent_meeting_sim::{
    MeetingSpec, SimError, Simulator, WebhookFaults, WebhookStats, WebhookSubscription,
};

use crate::common::*;

const TOKEN: &str = "Ab3dEf6hIj9kLm2nOp5qRs8tU";
const KEY: &str = "abcdefghijklmnopqrstuvwxyzABCDEFG1234567890";

/// The library's receiver on 127.0.0.1, recording each delivery's events; it answers 500 to the
/// first `fail_first` deliveries.
struct Subscriber {
    url: String,
    deliveries: Arc<Mutex<Vec<Vec<Event>>>>,
    waiter: MeetingEndWaiter,
}

impl Subscriber {
    async fn start(key: Option<&str>, fail_first: usize) -> Self {
        let webhook = Webhook::new(TOKEN, key).expect("valid");
        let deliveries = Arc::new(Mutex::new(Vec::new()));
        let failures = Arc::new(Mutex::new(fail_first));
        let waiter = MeetingEndWaiter::new();
        let sink = Arc::clone(&deliveries);
        let receiver = Receiver::new(webhook, move |events: Vec<Event>| {
            let (sink, failures) = (Arc::clone(&sink), Arc::clone(&failures));
            async move {
                let mut left = failures.lock().expect("lock");
                if *left > 0 {
                    *left -= 1;
                    return Err("failing on purpose");
                }
                sink.lock().expect("lock").push(events);
                Ok(())
            }
        })
        .feed(waiter.clone());
        let app = axum::Router::new().route("/events", receiver.into_method_router());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self {
            url: format!("http://{addr}/events"),
            deliveries,
            waiter,
        }
    }

    fn subscription(&self, key: Option<&str>) -> WebhookSubscription {
        let sub = WebhookSubscription::new(&self.url, TOKEN).retries(
            6,
            Duration::from_millis(20),
            Duration::from_millis(100),
        );
        match key {
            Some(key) => sub.aes_key(key),
            None => sub,
        }
    }

    /// The trace ids received, in arrival order.
    fn trace_ids(&self) -> Vec<String> {
        self.deliveries
            .lock()
            .expect("lock")
            .iter()
            .flatten()
            .filter_map(|e| e.trace_id().map(str::to_string))
            .collect()
    }

    fn meeting_ids(&self) -> Vec<String> {
        self.deliveries
            .lock()
            .expect("lock")
            .iter()
            .flatten()
            .filter_map(|e| {
                e.as_meeting_end()
                    .map(|m| m.meeting().meeting_id().to_string())
            })
            .collect()
    }
}

/// Polls the simulator until `done` holds for its webhook stats (at most 10 s).
async fn until(sim: &Simulator, done: impl Fn(&WebhookStats) -> bool) -> WebhookStats {
    for _ in 0..1000 {
        let stats = sim.webhook_stats();
        if done(&stats) {
            return stats;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("webhook stats never got there: {:?}", sim.webhook_stats());
}

#[tokio::test]
async fn a_dismiss_is_confirmed_by_a_verified_meeting_end_in_both_modes() {
    for key in [Some(KEY), None] {
        let subscriber = Subscriber::start(key, 0).await;
        let sim = start(Simulator::builder().webhook(subscriber.subscription(key))).await;
        assert_eq!(sim.webhook_stats().verifications, 1, "verified at start");
        let id = create(&sim, MeetingSpec::new(ALICE).quick());
        // Watch before the dismiss, so an event faster than the dismiss's answer is not missed.
        let watch = subscriber
            .waiter
            .watch(MeetingEndFilter::meeting(&id).end_type(MeetingEndType::Dismissed));
        let dismissed = dismiss_as(
            &client(&sim, enterprise(&sim)),
            &id,
            Operator::user_id(ALICE),
        )
        .await
        .expect("dismissed");
        assert!(
            dismissed.event().is_none(),
            "not confirmed before the event"
        );
        let end = watch
            .wait(Duration::from_secs(10))
            .await
            .expect("the meeting.end arrives");
        assert_eq!(end.meeting().meeting_id(), id);
        // The result, upgraded: the meeting was seen to end.
        let confirmed = dismissed.confirmed_by(&end).expect("the same meeting");
        let event = confirmed.event().expect("confirmed by the event");
        assert_eq!(event.trace_id(), end.trace_id());
        assert_eq!(event.end_type_code(), Some(0));
        assert!(event.operate_time_ms().is_some());
        // Another meeting's end confirms nothing.
        let other = Dismissed::answered("1");
        assert!(other.confirmed_by(&end).is_err());
        assert_eq!(end.end_type(), Some(MeetingEndType::Dismissed));
        assert_eq!(end.meeting().create_mode(), Some(CreateMode::Quick));
        assert_eq!(end.meeting().meeting_type(), Some(MeetingType::OneTime));
        assert_eq!(end.meeting().create_from(), Some(6));
        let view = sim.meeting(&id).expect("the meeting");
        assert_eq!(
            end.meeting().meeting_code(),
            Some(view.meeting_code.as_str())
        );
        let operator = end.operator().expect("the operator");
        assert_eq!(operator.userid(), Some(ALICE));
        assert_eq!(operator.instance_id(), Some("1"));
        assert!(end.trace_id().is_some_and(|t| t.len() == 36));
        let stats = until(&sim, |s| s.pending == 0).await;
        assert_eq!((stats.events, stats.delivered, stats.attempts), (1, 1, 1));
    }
}

#[tokio::test]
async fn a_recurring_meeting_s_end_names_the_sub_meeting() {
    let subscriber = Subscriber::start(Some(KEY), 0).await;
    let sim = start(Simulator::builder().webhook(subscriber.subscription(Some(KEY)))).await;
    let master = create(
        &sim,
        MeetingSpec::new(ALICE).recurring(["1700000000", "1700086400"], 1),
    );
    let watch = subscriber
        .waiter
        .watch(MeetingEndFilter::meeting(&master).sub_meeting("1700000000"));
    dismiss_as(
        &client(&sim, enterprise(&sim)),
        &master,
        Operator::user_id(ALICE),
    )
    .await
    .expect("dismissed");
    let end = watch.wait(Duration::from_secs(10)).await.expect("seen");
    assert_eq!(end.meeting().sub_meeting_id(), Some("1700000000"));
    assert_eq!(end.meeting().meeting_type(), Some(MeetingType::Recurring));
}

#[tokio::test]
async fn a_url_that_fails_verification_is_not_subscribed() {
    // The receiver knows another Token: it answers 401 to the verification GET.
    let subscriber = Subscriber::start(Some(KEY), 0).await;
    let wrong = WebhookSubscription::new(&subscriber.url, "OtherToken123").aes_key(KEY);
    let e = Simulator::builder()
        .webhook(wrong.clone())
        .start()
        .await
        .expect_err("refused");
    assert!(
        matches!(&e, SimError::WebhookVerification { reason, .. } if reason.contains("401")),
        "{e}"
    );
    // Over the admin API: 502 with the reason, and nothing subscribed.
    let sim = sim().await;
    let http = reqwest::Client::new();
    let answer = http
        .post(format!("{}/_sim/webhooks", sim.base_url()))
        .json(&wrong)
        .send()
        .await
        .expect("answered");
    assert_eq!(answer.status().as_u16(), 502);
    let body: serde_json::Value = answer.json().await.expect("JSON");
    assert!(
        body["error"]
            .as_str()
            .is_some_and(|e| e.contains("verification")),
        "{body}"
    );
    // Nobody listening at all: refused too, and said so (not "no answer within 3s", which
    // would send the user looking for a slow receiver).
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
        listener.local_addr().expect("its address").port()
    };
    let nobody = WebhookSubscription::new(format!("http://127.0.0.1:{closed}/events"), TOKEN);
    match sim.subscribe_webhook(nobody).await {
        Err(SimError::WebhookVerification { reason, .. }) => assert!(
            reason.contains("could not connect")
                && reason.contains("refused")
                && !reason.contains("within"),
            "{reason}"
        ),
        other => panic!("{other:?}"),
    }
    // Unverified, it is taken as is (a receiver that starts later).
    let later = WebhookSubscription::new("http://127.0.0.1:9/events", TOKEN).unverified();
    sim.subscribe_webhook(later).await.expect("subscribed");
    let listed: serde_json::Value = http
        .get(format!("{}/_sim/webhooks", sim.base_url()))
        .send()
        .await
        .expect("answered")
        .json()
        .await
        .expect("JSON");
    assert_eq!(listed["subscriptions"].as_array().map(Vec::len), Some(1));
    assert!(
        !listed.to_string().contains(TOKEN),
        "secrets are not shown: {listed}"
    );
}

#[tokio::test]
async fn delivery_is_retried_while_the_receiver_fails_and_confirmed_only_after() {
    let subscriber = Subscriber::start(Some(KEY), 3).await;
    let sim = start(Simulator::builder().webhook(subscriber.subscription(Some(KEY)))).await;
    let id = create(&sim, MeetingSpec::new(ALICE));
    let watch = subscriber.waiter.watch(MeetingEndFilter::meeting(&id));
    dismiss_as(
        &client(&sim, enterprise(&sim)),
        &id,
        Operator::user_id(ALICE),
    )
    .await
    .expect("dismissed");
    watch.wait(Duration::from_secs(10)).await.expect("seen");
    let stats = until(&sim, |s| s.pending == 0).await;
    assert_eq!(
        (stats.attempts, stats.failed_attempts, stats.delivered),
        (4, 3, 1)
    );
    assert_eq!(subscriber.meeting_ids(), [id]);
}

#[tokio::test]
async fn delivery_gives_up_after_its_last_attempt() {
    let subscriber = Subscriber::start(None, usize::MAX).await;
    let sub = subscriber.subscription(None).unverified().retries(
        3,
        Duration::from_millis(10),
        Duration::from_millis(20),
    );
    let sim = start(Simulator::builder().webhook(sub)).await;
    let id = create(&sim, MeetingSpec::new(ALICE));
    dismiss_as(
        &client(&sim, enterprise(&sim)),
        &id,
        Operator::user_id(ALICE),
    )
    .await
    .expect("dismissed");
    let stats = until(&sim, |s| s.pending == 0).await;
    assert_eq!((stats.attempts, stats.given_up, stats.delivered), (3, 1, 0));
    assert!(
        subscriber
            .waiter
            .recent(&MeetingEndFilter::meeting(&id))
            .is_none()
    );
}

#[tokio::test]
async fn duplicates_carry_the_same_trace_id_and_jitter_reorders() {
    let subscriber = Subscriber::start(Some(KEY), 0).await;
    let sim = start(Simulator::builder().webhook(subscriber.subscription(Some(KEY)))).await;
    sim.set_webhook_faults(WebhookFaults {
        duplicate_share: 1.0,
        ..WebhookFaults::none()
    })
    .expect("valid");
    let client = client(&sim, enterprise(&sim));
    let id = create(&sim, MeetingSpec::new(ALICE));
    dismiss_as(&client, &id, Operator::user_id(ALICE))
        .await
        .expect("dismissed");
    let stats = until(&sim, |s| s.pending == 0).await;
    assert_eq!((stats.events, stats.duplicates, stats.delivered), (1, 1, 2));
    let traces = subscriber.trace_ids();
    assert_eq!(traces.len(), 2);
    assert_eq!(traces[0], traces[1], "a duplicate is the same event");

    // Twenty dismisses in order; random delays of up to 400 ms let them overtake each other.
    subscriber.deliveries.lock().expect("lock").clear();
    sim.set_webhook_faults(WebhookFaults {
        reorder_jitter_ms: 400,
        ..WebhookFaults::none()
    })
    .expect("valid");
    let mut order = Vec::new();
    for _ in 0..20 {
        let id = create(&sim, MeetingSpec::new(ALICE));
        dismiss_as(&client, &id, Operator::user_id(ALICE))
            .await
            .expect("dismissed");
        order.push(id);
    }
    until(&sim, |s| s.pending == 0).await;
    let arrived = subscriber.meeting_ids();
    assert_eq!(
        arrived.iter().collect::<BTreeSet<_>>(),
        order.iter().collect::<BTreeSet<_>>(),
        "every event arrives"
    );
    assert_ne!(arrived, order, "at least two overtook each other");
    assert!(
        sim.set_webhook_faults(WebhookFaults {
            duplicate_share: 2.0,
            ..WebhookFaults::none()
        })
        .is_err()
    );
}

#[tokio::test]
async fn heartbeats_keep_checking_the_url() {
    let subscriber = Subscriber::start(Some(KEY), 0).await;
    let sub = subscriber
        .subscription(Some(KEY))
        .heartbeat(Duration::from_millis(30));
    let sim = start(Simulator::builder().webhook(sub)).await;
    let stats = until(&sim, |s| s.verifications >= 4).await;
    assert_eq!(stats.failed_verifications, 0);
}

#[tokio::test]
async fn the_admin_api_subscribes_sets_faults_and_unsubscribes() {
    let subscriber = Subscriber::start(None, 0).await;
    let sim = sim().await;
    let http = reqwest::Client::new();
    let base = format!("{}/_sim/webhooks", sim.base_url());
    let answer = http
        .post(&base)
        .json(&serde_json::json!({"url": subscriber.url, "token": TOKEN}))
        .send()
        .await
        .expect("answered");
    assert_eq!(answer.status().as_u16(), 200);
    let faults = http
        .post(format!("{base}/faults"))
        .json(&serde_json::json!({"delay_ms": 5}))
        .send()
        .await
        .expect("answered");
    assert_eq!(faults.status().as_u16(), 200);
    assert_eq!(sim.webhook_faults().delay_ms, 5);
    let bad = http
        .post(format!("{base}/faults"))
        .json(&serde_json::json!({"duplicate_share": -1}))
        .send()
        .await
        .expect("answered");
    assert_eq!(bad.status().as_u16(), 400);
    let unknown_field = http
        .post(&base)
        .json(&serde_json::json!({"url": subscriber.url, "token": TOKEN, "tokne": 1}))
        .send()
        .await
        .expect("answered");
    assert_eq!(unknown_field.status().as_u16(), 400);

    let id = create(&sim, MeetingSpec::new(ALICE));
    dismiss_as(
        &client(&sim, enterprise(&sim)),
        &id,
        Operator::user_id(ALICE),
    )
    .await
    .expect("dismissed");
    until(&sim, |s| s.delivered == 1).await;

    let deleted = http.delete(&base).send().await.expect("answered");
    assert_eq!(deleted.status().as_u16(), 200);
    let id = create(&sim, MeetingSpec::new(ALICE));
    dismiss_as(
        &client(&sim, enterprise(&sim)),
        &id,
        Operator::user_id(ALICE),
    )
    .await
    .expect("dismissed");
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(sim.webhook_stats().events, 1, "no subscription, no event");
}
