//! The request quotas as the service counts them: 300 a minute (190310) and 200,000 a day
//! (190311) per application by default, both configurable, and the window's length too. Each
//! test moves a clock the simulator and the client share, so nothing depends on timing.

use std::sync::Arc;
use std::time::Duration;

use tencent_meeting::clock::Clock;
use tencent_meeting::{Client, Error, Instance, Operator, RetryPolicy};
use tencent_meeting_sim::{MeetingSpec, RateLimits, SimError, Simulator, codes};

use crate::common::*;

const MINUTE_MS: u64 = 60_000;
const DAY_MS: u64 = 24 * 3_600_000;
/// Midnight in UTC+8, where the service's days begin, on some day in 2023.
const MIDNIGHT_UTC8_MS: u64 = 19_500 * DAY_MS - 8 * 3_600_000;

/// A simulator with `limits` and a single-attempt client, both on `clock`.
async fn rig(limits: RateLimits, clock: Arc<SteppedClock>) -> (Simulator, Client, String) {
    let sim = start(
        Simulator::builder()
            .clock(clock.clone())
            .rate_limits(limits),
    )
    .await;
    let client = client_with(
        &sim,
        enterprise(&sim),
        clock,
        RetryPolicy::none(),
        Duration::from_secs(10),
    );
    let id = create(&sim, MeetingSpec::new(ALICE));
    (sim, client, id)
}

/// One look-up: every API request counts against the quotas.
async fn look_up(client: &Client, id: &str) -> Result<(), Error> {
    client
        .get_meeting(id)
        .operator(Operator::user_id(ALICE))
        .instance(Instance::Pc)
        .send()
        .await
        .map(drop)
}

/// The `(status, code, new_code)` of a refusal, and its message.
fn refusal(result: Result<(), Error>) -> ((u16, i64, Option<i64>), String) {
    match result {
        Err(Error::Api(e)) => (
            (e.status(), e.code(), e.new_code()),
            e.message().to_string(),
        ),
        other => panic!("expected an API error, got {other:?}"),
    }
}

#[tokio::test]
async fn the_301st_request_in_a_minute_is_190310_and_the_next_minute_allows_again() {
    assert_eq!(
        Simulator::builder()
            .start()
            .await
            .map(|s| s.rate_limits())
            .ok(),
        Some(RateLimits::documented())
    );
    // 10 s into a minute: the whole run stays inside it.
    let clock = SteppedClock::at(28_000_000 * MINUTE_MS + 10_000);
    let (sim, client, id) = rig(RateLimits::default(), clock.clone()).await;
    for i in 0..300 {
        look_up(&client, &id)
            .await
            .unwrap_or_else(|e| panic!("request {} of 300: {e}", i + 1));
    }
    let (answer, message) = refusal(look_up(&client, &id).await);
    assert_eq!(
        answer,
        (400, codes::RATE_LIMITED, Some(codes::RATE_LIMITED))
    );
    assert!(message.contains("300"), "{message}");
    // A dismiss is refused too, and changes nothing.
    assert_eq!(
        api_code(dismiss_as(&client, &id, Operator::user_id(ALICE)).await),
        codes::RATE_LIMITED
    );
    assert_eq!(view(&sim, &id).dismiss_count, 0);
    clock.advance(Duration::from_secs(50));
    look_up(&client, &id).await.expect("a new minute");
    assert_eq!(
        sim.stats().errors_by_code.get(&codes::RATE_LIMITED),
        Some(&2)
    );
}

#[tokio::test]
async fn the_daily_limit_is_190311_in_the_same_shape_until_the_next_day() {
    // 23:58 in UTC+8.
    let clock = SteppedClock::at(MIDNIGHT_UTC8_MS + DAY_MS - 2 * MINUTE_MS);
    let (sim, client, id) = rig(RateLimits::documented().per_day(3), clock.clone()).await;
    for _ in 0..3 {
        look_up(&client, &id).await.expect("within the day's quota");
    }
    let (answer, message) = refusal(look_up(&client, &id).await);
    assert_eq!(answer, (400, codes::DAILY_LIMIT, Some(codes::DAILY_LIMIT)));
    assert!(message.contains("daily"), "{message}");
    // A new minute does not help: the day's quota is used up (190311, not 190310).
    clock.advance(Duration::from_secs(60));
    assert_eq!(refusal(look_up(&client, &id).await).0.1, codes::DAILY_LIMIT);
    // The raw answer has the same shape as any other error.
    let now = clock.now_unix_millis() / 1000;
    let uri = format!("/v1/meetings/{id}?userid=alice&instanceid=1");
    let headers = signed_headers(sim.credentials(), "GET", &uri, b"", now, rand_nonce());
    let raw = send_raw(&sim, "GET", &uri, &headers, b"").await;
    assert_eq!(raw.status, 400);
    let info = &raw.json()["error_info"];
    assert_eq!(info["error_code"], codes::DAILY_LIMIT);
    assert_eq!(info["new_error_code"], codes::DAILY_LIMIT);
    assert!(info["message"].is_string());
    // Midnight in UTC+8: a new day.
    clock.advance(Duration::from_secs(60));
    look_up(&client, &id).await.expect("a new day");
}

#[tokio::test]
async fn the_window_can_be_seconds_for_a_test() {
    let window = Duration::from_secs(2);
    let clock = SteppedClock::at(1_700_000_000_000); // a multiple of 2 s
    let limits = RateLimits::documented().per_window(2, window);
    let (_sim, client, id) = rig(limits, clock.clone()).await;
    look_up(&client, &id).await.expect("first");
    look_up(&client, &id).await.expect("second");
    let (answer, message) = refusal(look_up(&client, &id).await);
    assert_eq!(answer.1, codes::RATE_LIMITED);
    assert!(message.contains("per 2 s"), "{message}");
    clock.advance(Duration::from_millis(1_999));
    assert_eq!(
        refusal(look_up(&client, &id).await).0.1,
        codes::RATE_LIMITED
    );
    clock.advance(Duration::from_millis(1));
    look_up(&client, &id).await.expect("the next window");
}

#[tokio::test]
async fn each_application_is_counted_on_its_own() {
    let clock = SteppedClock::at(28_000_000 * MINUTE_MS + 1_000);
    let (sim, client, id) = rig(RateLimits::unlimited().per_minute(1), clock.clone()).await;
    look_up(&client, &id).await.expect("the app's one request");
    assert_eq!(
        refusal(look_up(&client, &id).await).0.1,
        codes::RATE_LIMITED
    );
    // An OAuth2.0 token is counted by itself.
    let oauth = sim
        .oauth_client_builder()
        .expect("the demo token")
        .retry(RetryPolicy::none())
        .build()
        .expect("a client");
    let mine = create(
        &sim,
        MeetingSpec::new(tencent_meeting_sim::DEMO_OPEN_ID).created_via_oauth(),
    );
    oauth
        .dismiss_meeting(&mine)
        .instance(Instance::Pc)
        .reason_code(1)
        .send()
        .await
        .expect("the token's own count");
}

#[tokio::test]
async fn limits_are_read_and_replaced_over_the_admin_api_and_the_handle() {
    let sim = sim().await;
    let now = admin_get(&sim, "/_sim/rate-limits").await;
    assert_eq!(now.status, 200);
    assert_eq!(
        now.json(),
        serde_json::json!({"per_window": 300, "window_secs": 60, "per_day": 200000})
    );
    let set = admin_post(
        &sim,
        "/_sim/rate-limits",
        r#"{"per_window": 1, "window_secs": 3600, "per_day": null}"#,
    )
    .await;
    assert_eq!(set.status, 200);
    assert_eq!(set.json()["per_day"], serde_json::Value::Null);
    assert_eq!(
        sim.rate_limits(),
        RateLimits {
            per_window: Some(1),
            window_secs: 3600,
            per_day: None
        }
    );
    let client = client(&sim, enterprise(&sim));
    let id = create(&sim, MeetingSpec::new(ALICE));
    look_up(&client, &id).await.expect("the hour's one request");
    assert_eq!(
        refusal(look_up(&client, &id).await).0.1,
        codes::RATE_LIMITED
    );
    // Replacing the limits starts counting afresh.
    sim.set_rate_limits(RateLimits::unlimited().per_window(1, Duration::from_secs(3600)))
        .expect("valid");
    look_up(&client, &id).await.expect("counted afresh");
    for bad in [
        r#"{"per_window": 0}"#,
        r#"{"window_secs": 0}"#,
        // Beyond a day; this one's milliseconds overflow u64 (every request panicked).
        r#"{"window_secs": 86401}"#,
        r#"{"window_secs": 18446744073709552}"#,
        r#"{"per_minute": 5}"#,
        r#"{"per_day": -1}"#,
        "[",
    ] {
        let raw = admin_post(&sim, "/_sim/rate-limits", bad).await;
        assert_eq!(raw.status, 400, "{bad}");
        assert!(raw.json()["error"].is_string(), "{bad}");
    }
    assert!(matches!(
        sim.set_rate_limits(RateLimits::documented().per_day(0)),
        Err(SimError::InvalidRateLimits(_))
    ));
    let refused = Simulator::builder()
        .rate_limits(RateLimits {
            window_secs: 0,
            ..RateLimits::documented()
        })
        .start()
        .await;
    assert!(matches!(refused, Err(SimError::InvalidRateLimits(m)) if m.contains("window_secs")));
}
