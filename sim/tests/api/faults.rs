//! Every fault knob and the outcome a client sees.

use std::sync::Arc;
use std::time::Duration;

use tencent_meeting::clock::{Clock, FixedClock, SystemClock};
use tencent_meeting::{Error, Evidence, Instance, Operator, RetryPolicy};
use tencent_meeting_sim::{FailureKind, Faults, MeetingSpec, MeetingStatus, Simulator, codes};

use crate::common::*;

/// Waits, boundedly, until the meeting has ended (the server commits before it answers late).
async fn ended_eventually(sim: &Simulator, id: &str) -> bool {
    for _ in 0..200 {
        if view(sim, id).status == MeetingStatus::Ended {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    false
}

#[tokio::test]
async fn latency_before_handling_makes_a_short_timeout_fire() {
    let sim =
        start(Simulator::builder().faults(Faults::none().latency(Duration::from_secs(3)))).await;
    let id = create(&sim, MeetingSpec::new(ALICE));
    let impatient = client_with(
        &sim,
        enterprise(&sim),
        Arc::new(SystemClock),
        RetryPolicy::none(),
        Duration::from_millis(200),
    );
    let result = dismiss_as(&impatient, &id, Operator::user_id(ALICE)).await;
    assert!(
        matches!(&result, Err(e @ Error::OutcomeUnknown(_)) if e.maybe_applied()),
        "{result:?}"
    );
    // A patient client gets its answer.
    sim.set_faults(Faults::none().latency(Duration::from_millis(50)))
        .expect("valid");
    let other = create(&sim, MeetingSpec::new(ALICE));
    dismiss_as(
        &client(&sim, enterprise(&sim)),
        &other,
        Operator::user_id(ALICE),
    )
    .await
    .expect("dismissed");
}

#[tokio::test]
async fn latency_after_a_dismiss_times_out_a_client_after_the_meeting_ended() {
    // The late answer comes far beyond the client's timeout; refusals come at once, well within.
    let sim = start(
        Simulator::builder().faults(Faults::none().latency_after_dismiss(Duration::from_secs(10))),
    )
    .await;
    let id = create(&sim, MeetingSpec::new(ALICE));
    let impatient = client_with(
        &sim,
        enterprise(&sim),
        Arc::new(SystemClock),
        RetryPolicy::none(),
        Duration::from_secs(1),
    );
    let result = dismiss_as(&impatient, &id, Operator::user_id(ALICE)).await;
    assert!(
        matches!(&result, Err(e @ Error::OutcomeUnknown(_)) if e.maybe_applied()),
        "{result:?}"
    );
    assert!(
        ended_eventually(&sim, &id).await,
        "the dismiss was committed before the late answer"
    );
    assert_eq!(view(&sim, &id).dismiss_count, 1);

    // With retries, the retry finds it ended (13603, answered at once) and the wrapper confirms
    // it with a look-up.
    let other = create(&sim, MeetingSpec::new(ALICE));
    let retrying = client_with(
        &sim,
        enterprise(&sim),
        Arc::new(SystemClock),
        RetryPolicy::default().base_delay(Duration::from_millis(10)),
        Duration::from_secs(1),
    );
    let done = dismiss_as(&retrying, &other, Operator::user_id(ALICE))
        .await
        .expect("confirmed by a look-up");
    assert!(
        matches!(done.evidence(), Evidence::LookedUp { .. }),
        "{:?}",
        done.evidence()
    );
    assert_eq!(done.attempts(), 2);
    assert_eq!(view(&sim, &other).dismiss_count, 1, "never dismissed twice");
}

#[tokio::test]
async fn a_dropped_connection_leaves_the_outcome_unknown_and_changes_nothing() {
    let sim =
        start(Simulator::builder().faults(Faults::none().fail_next(1, FailureKind::Drop))).await;
    let id = create(&sim, MeetingSpec::new(ALICE));
    let result = dismiss_as(
        &client(&sim, enterprise(&sim)),
        &id,
        Operator::user_id(ALICE),
    )
    .await;
    // The request was written before the connection closed: for all the client knows, the
    // meeting may have ended (here it did not).
    assert!(
        matches!(&result, Err(Error::OutcomeUnknown(u)) if matches!(u.last(), Error::Transport(t) if t.maybe_sent())),
        "{result:?}"
    );
    assert_eq!(view(&sim, &id).status, MeetingStatus::Started);
    assert_eq!(sim.stats().faults.get("drop"), Some(&1));
    // A retrying client gets through on the next attempt.
    sim.set_faults(Faults::none().fail_next(1, FailureKind::Drop))
        .expect("valid");
    let retrying = client_with(
        &sim,
        enterprise(&sim),
        Arc::new(SystemClock),
        RetryPolicy::default().base_delay(Duration::from_millis(10)),
        Duration::from_secs(10),
    );
    let done = dismiss_as(&retrying, &id, Operator::user_id(ALICE))
        .await
        .expect("dismissed");
    assert_eq!(done.attempts(), 2);
    assert!(matches!(done.evidence(), Evidence::Answered { .. }));
}

#[tokio::test]
async fn injected_5xx_answers_carry_codes_41_and_960000() {
    let sim = start(
        Simulator::builder().faults(
            Faults::none()
                .fail_next(1, FailureKind::Code41)
                .fail_next(1, FailureKind::Code960000),
        ),
    )
    .await;
    let id = create(&sim, MeetingSpec::new(ALICE));
    let client = client(&sim, enterprise(&sim));
    for expected in [codes::NETWORK_41, codes::NETWORK_960000] {
        match dismiss_as(&client, &id, Operator::user_id(ALICE)).await {
            Err(e @ Error::Api(_)) => {
                assert!(e.is_retryable());
                let Some(a) = e.api() else {
                    panic!("matched above")
                };
                assert_eq!((a.status(), a.code()), (500, expected));
            }
            other => panic!("expected {expected}, got {other:?}"),
        }
    }
    assert_eq!(view(&sim, &id).status, MeetingStatus::Started);
    dismiss_as(&client, &id, Operator::user_id(ALICE))
        .await
        .expect("the faults are used up");
}

#[tokio::test]
async fn an_html_502_is_a_decode_error() {
    let sim =
        start(Simulator::builder().faults(Faults::none().fail_next(1, FailureKind::Html502))).await;
    let id = create(&sim, MeetingSpec::new(ALICE));
    let result = dismiss_as(
        &client(&sim, enterprise(&sim)),
        &id,
        Operator::user_id(ALICE),
    )
    .await;
    match result {
        Err(Error::Decode(d)) => {
            assert_eq!(d.status(), 502);
            assert!(d.not_json());
            assert!(d.snippet().contains("502 Bad Gateway"), "{d}");
        }
        other => panic!("expected a decode error, got {other:?}"),
    }
    assert_eq!(sim.stats().faults.get("html_502"), Some(&1));
}

#[tokio::test]
async fn rate_limiting_answers_190310() {
    // Injected.
    let sim =
        start(Simulator::builder().faults(Faults::none().fail_next(1, FailureKind::RateLimit)))
            .await;
    let id = create(&sim, MeetingSpec::new(ALICE));
    let client = client(&sim, enterprise(&sim));
    match dismiss_as(&client, &id, Operator::user_id(ALICE)).await {
        Err(Error::Api(e)) => assert_eq!((e.status(), e.code()), (400, codes::RATE_LIMITED)),
        other => panic!("expected 190310, got {other:?}"),
    }

    // A per-minute limit, with both clocks pinned inside one minute.
    let instant = SystemClock.now_unix_millis() / 60_000 * 60_000 + 1_000;
    let clock = Arc::new(FixedClock(instant));
    let sim = start(
        Simulator::builder()
            .clock(clock.clone())
            .faults(Faults::none().rate_limit_per_minute(2)),
    )
    .await;
    let client = client_with(
        &sim,
        enterprise(&sim),
        clock,
        RetryPolicy::none(),
        Duration::from_secs(10),
    );
    let ids: Vec<_> = (0..3)
        .map(|_| create(&sim, MeetingSpec::new(ALICE)))
        .collect();
    dismiss_as(&client, &ids[0], Operator::user_id(ALICE))
        .await
        .expect("first");
    dismiss_as(&client, &ids[1], Operator::user_id(ALICE))
        .await
        .expect("second");
    assert_eq!(
        api_code(dismiss_as(&client, &ids[2], Operator::user_id(ALICE)).await),
        codes::RATE_LIMITED
    );
    assert_eq!(view(&sim, &ids[2]).status, MeetingStatus::Started);
    // OAuth2.0 tokens are counted on their own.
    let oauth_meeting = create(
        &sim,
        MeetingSpec::new(tencent_meeting_sim::DEMO_OPEN_ID).created_via_oauth(),
    );
    let oauth_client = client_with(
        &sim,
        oauth(),
        Arc::new(FixedClock(instant)),
        RetryPolicy::none(),
        Duration::from_secs(10),
    );
    oauth_client
        .dismiss_meeting(&oauth_meeting)
        .instance(Instance::Pc)
        .reason_code(1)
        .send()
        .await
        .expect("another application's count");
}

#[tokio::test]
async fn a_truncated_body_breaks_the_answer() {
    let sim =
        start(Simulator::builder().faults(Faults::none().fail_next(2, FailureKind::Truncated)))
            .await;
    let id = create(&sim, MeetingSpec::new(ALICE));
    // A look-up reads its body: the short body is a transport error.
    let client = client(&sim, enterprise(&sim));
    let result = client
        .get_meeting(&id)
        .operator(Operator::user_id(ALICE))
        .instance(Instance::Pc)
        .send()
        .await;
    assert!(
        matches!(&result, Err(Error::Transport(t)) if t.maybe_sent()),
        "{result:?}"
    );
    // Raw: the headers promise more than arrives.
    let raw_client = reqwest::Client::new();
    let uri = format!("/v1/meetings/{id}?userid=alice&instanceid=1");
    let mut request = raw_client.get(format!("{}{uri}", sim.base_url()));
    for (name, value) in signed_headers(
        sim.credentials(),
        "GET",
        &uri,
        b"",
        now_secs(),
        rand_nonce(),
    ) {
        request = request.header(name, value);
    }
    let response = request.send().await.expect("headers arrive");
    assert_eq!(response.status(), 200);
    let promised = response.content_length().unwrap_or(0);
    assert!(promised > 0);
    assert!(
        response.bytes().await.is_err(),
        "the body is cut short of {promised} bytes"
    );
    assert_eq!(sim.stats().faults.get("truncated"), Some(&2));

    // A truncated dismiss is committed: it is the answer that is cut.
    sim.set_faults(Faults::none().fail_next(1, FailureKind::Truncated))
        .expect("valid");
    let _ = dismiss_as(&client, &id, Operator::user_id(ALICE)).await;
    assert_eq!(view(&sim, &id).status, MeetingStatus::Ended);
}

#[tokio::test]
async fn shares_repeat_exactly_for_a_seed() {
    let sim = sim().await;
    let id = create(&sim, MeetingSpec::new(ALICE));
    let client = client(&sim, enterprise(&sim));
    let faults = Faults {
        drop_share: 0.2,
        error_5xx_share: 0.3,
        html_502_share: 0.2,
        seed: Some(42),
        ..Faults::none()
    };
    let mut runs = Vec::new();
    for _ in 0..2 {
        sim.set_faults(faults.clone()).expect("valid");
        let mut outcomes = Vec::new();
        for _ in 0..30 {
            let result = client
                .get_meeting(&id)
                .operator(Operator::user_id(ALICE))
                .instance(Instance::Pc)
                .send()
                .await;
            outcomes.push(match result {
                Ok(_) => "ok".to_string(),
                Err(Error::Api(e)) => e.code().to_string(),
                Err(Error::Decode(d)) => format!("decode {}", d.status()),
                Err(Error::Transport(_)) => "transport".to_string(),
                Err(other) => format!("{other}"),
            });
        }
        runs.push(outcomes);
    }
    assert_eq!(runs[0], runs[1]);
    for kind in ["ok", "transport", "decode 502"] {
        assert!(runs[0].iter().any(|o| o == kind), "{kind} in {:?}", runs[0]);
    }
    assert!(
        runs[0].iter().any(|o| o == "41" || o == "960000"),
        "{:?}",
        runs[0]
    );
}

#[tokio::test]
async fn faults_are_set_and_read_over_the_admin_api() {
    let sim = sim().await;
    let id = create(&sim, MeetingSpec::new(ALICE));
    let set = admin_post(
        &sim,
        "/_sim/faults",
        r#"{"fail_next":[{"count":2,"with":"code_960000"}],"latency_ms":1}"#,
    )
    .await;
    assert_eq!(set.status, 200);
    assert_eq!(set.json()["fail_next"][0]["count"], 2);
    let client = client(&sim, enterprise(&sim));
    assert_eq!(
        api_code(dismiss_as(&client, &id, Operator::user_id(ALICE)).await),
        codes::NETWORK_960000
    );
    let now = admin_get(&sim, "/_sim/faults").await.json();
    assert_eq!(now["fail_next"][0]["count"], 1);
    assert_eq!(now["latency_ms"], 1);
    for bad in [
        r#"{"drop_share":2}"#,
        r#"{"fail_next":[{"count":1,"with":"explode"}]}"#,
        r#"{"nonsense":1}"#,
        "not json",
    ] {
        let raw = admin_post(&sim, "/_sim/faults", bad).await;
        assert_eq!(raw.status, 400, "{bad}");
        assert!(raw.json()["error"].is_string());
    }
    assert!(
        sim.set_faults(Faults {
            drop_share: 0.7,
            html_502_share: 0.7,
            ..Faults::none()
        })
        .is_err()
    );
}
