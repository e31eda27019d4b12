//! Every fault knob and the outcome a client sees.

use std::sync::Arc;
use std::time::Duration;

use tencent_meeting::MeetingStatus;
use tencent_meeting::clock::SystemClock;
use tencent_meeting::{Error, Evidence, Instance, Operator, RetryPolicy};
use tencent_meeting_sim::{
    ApiFailure, FailNext, FailureKind, Faults, MeetingSpec, Simulator, codes,
};

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
async fn an_html_502_leaves_the_outcome_unknown() {
    let sim =
        start(Simulator::builder().faults(Faults::none().fail_next(1, FailureKind::Html502))).await;
    let id = create(&sim, MeetingSpec::new(ALICE));
    let result = dismiss_as(
        &client(&sim, enterprise(&sim)),
        &id,
        Operator::user_id(ALICE),
    )
    .await;
    // A gateway's page says nothing of whether the service acted (here it did not: this fault
    // answers instead of handling), so the client cannot say "failed".
    match result {
        Err(Error::OutcomeUnknown(u)) => match u.last() {
            Error::Decode(d) => {
                assert_eq!(d.status(), 502);
                assert!(d.not_json());
                assert!(d.snippet().contains("502 Bad Gateway"), "{d}");
            }
            other => panic!("expected a decode error last, got {other:?}"),
        },
        other => panic!("expected an unknown outcome, got {other:?}"),
    }
    assert_eq!(sim.stats().faults.get("html_502"), Some(&1));
    assert_eq!(view(&sim, &id).status, MeetingStatus::Started);
}

#[tokio::test]
async fn an_injected_rate_limit_answers_190310() {
    let sim =
        start(Simulator::builder().faults(Faults::none().fail_next(1, FailureKind::RateLimit)))
            .await;
    let id = create(&sim, MeetingSpec::new(ALICE));
    let client = client(&sim, enterprise(&sim));
    match dismiss_as(&client, &id, Operator::user_id(ALICE)).await {
        Err(Error::Api(e)) => assert_eq!((e.status(), e.code()), (400, codes::RATE_LIMITED)),
        other => panic!("expected 190310, got {other:?}"),
    }
    assert_eq!(view(&sim, &id).status, MeetingStatus::Started);
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

/// The `(status, code, new_code, message)` of an API error.
fn api_error(result: Result<tencent_meeting::Dismissed, Error>) -> (u16, i64, Option<i64>, String) {
    match result {
        Err(Error::Api(e)) => (e.status(), e.code(), e.new_code(), e.message().to_string()),
        other => panic!("expected an API error, got {other:?}"),
    }
}

#[tokio::test]
async fn any_code_is_injected_with_the_status_the_service_gives_it() {
    let sim = sim().await;
    sim.set_faults(
        Faults::none()
            .fail_next(1, FailureKind::api(codes::DAILY_LIMIT))
            .fail_next(1, FailureKind::api(13001))
            .fail_next(1, ApiFailure::new(9042).message("you shall not pass")),
    )
    .expect("valid");
    let id = create(&sim, MeetingSpec::new(ALICE));
    let client = client(&sim, enterprise(&sim));
    let dismiss = || dismiss_as(&client, &id, Operator::user_id(ALICE));
    let (status, code, new_code, message) = api_error(dismiss().await);
    assert_eq!((status, code, new_code), (400, 190311, Some(190311)));
    assert!(message.contains("daily"), "{message}");
    // A failure inside the service is a 500, as the service answers 13001.
    let (status, code, new_code, message) = api_error(dismiss().await);
    assert_eq!((status, code, new_code), (500, 13001, Some(13001)));
    assert!(message.contains("cache"), "{message}");
    let (status, code, _, message) = api_error(dismiss().await);
    assert_eq!(
        (status, code, message.as_str()),
        (400, 9042, "you shall not pass")
    );
    // Injected answers handle nothing.
    assert_eq!(view(&sim, &id).status, MeetingStatus::Started);
    dismiss().await.expect("the faults are used up");
    let stats = sim.stats();
    assert_eq!(stats.faults.get("api"), Some(&3));
    assert_eq!(stats.errors_by_code.get(&13001), Some(&1));
}

#[tokio::test]
async fn an_injected_status_and_new_code_are_sent_as_given() {
    let sim = sim().await;
    sim.set_faults(
        Faults::none()
            .fail_next(1, ApiFailure::new(13001).status(503))
            .fail_next(1, ApiFailure::new(9042).new_code(10009042)),
    )
    .expect("valid");
    let id = create(&sim, MeetingSpec::new(ALICE));
    let client = client(&sim, enterprise(&sim));
    let (status, code, new_code, _) =
        api_error(dismiss_as(&client, &id, Operator::user_id(ALICE)).await);
    assert_eq!((status, code, new_code), (503, 13001, Some(13001)));
    let (status, code, new_code, _) =
        api_error(dismiss_as(&client, &id, Operator::user_id(ALICE)).await);
    assert_eq!((status, code, new_code), (400, 9042, Some(10009042)));
}

#[tokio::test]
async fn an_injected_error_can_leave_new_error_code_out() {
    let sim = sim().await;
    sim.set_faults(Faults::none().fail_next(2, ApiFailure::new(190311).without_new_code()))
        .expect("valid");
    let id = create(&sim, MeetingSpec::new(ALICE));
    let client = client(&sim, enterprise(&sim));
    let (status, code, new_code, _) =
        api_error(dismiss_as(&client, &id, Operator::user_id(ALICE)).await);
    assert_eq!((status, code, new_code), (400, 190311, None));
    // On the wire: JSON (no HTML), and no new_error_code at all.
    let raw = signed(
        &sim,
        "POST",
        &format!("/v1/meetings/{id}/dismiss"),
        br#"{"userid":"alice","instanceid":1,"reason_code":1}"#,
    )
    .await;
    assert_eq!(raw.status, 400);
    assert_eq!(
        raw.headers
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("application/json")
    );
    let info = &raw.json()["error_info"];
    assert_eq!(info["error_code"], 190311);
    assert!(info.get("new_error_code").is_none(), "{info}");
    assert!(!raw.trace().is_empty());
}

#[tokio::test]
async fn a_bare_status_and_an_error_inside_200_are_injected_raw() {
    let sim = sim().await;
    sim.set_faults(
        Faults::none()
            .fail_next(1, FailureKind::Status(503))
            .fail_next(1, ApiFailure::new(9003).status(200)),
    )
    .expect("valid");
    let id = create(&sim, MeetingSpec::new(ALICE));
    let uri = format!("/v1/meetings/{id}/dismiss");
    let body = br#"{"userid":"alice","instanceid":1,"reason_code":1}"#;
    // Only a status: no JSON, no HTML.
    let raw = signed(&sim, "POST", &uri, body).await;
    assert_eq!(raw.status, 503);
    assert!(raw.body.is_empty(), "{:?}", raw.body);
    assert!(raw.headers.get("content-type").is_none());
    // HTTP 200 carrying error_info: a success status that is not a success.
    let raw = signed(&sim, "POST", &uri, body).await;
    assert_eq!(raw.status, 200);
    assert_eq!(raw.json()["error_info"]["error_code"], 9003);
    assert_eq!(view(&sim, &id).status, MeetingStatus::Started);
    assert_eq!(sim.stats().faults.get("status"), Some(&1));
    // A status no answer can carry, or one that would read as success, is refused.
    for bad in [
        FailureKind::Status(204),
        ApiFailure::new(1).status(700).into(),
    ] {
        assert!(matches!(
            sim.set_faults(Faults::none().fail_next(1, bad)),
            Err(tencent_meeting_sim::SimError::InvalidFaults(_))
        ));
    }
}

#[tokio::test]
async fn an_injection_can_wait_for_one_operation_and_one_meeting() {
    let sim = sim().await;
    let target = create(&sim, MeetingSpec::new(ALICE));
    let other = create(&sim, MeetingSpec::new(ALICE));
    sim.set_faults(
        Faults::none().fail_next_when(
            FailNext::new(1, FailureKind::api(9042))
                .dismiss_only()
                .meeting(&target),
        ),
    )
    .expect("valid");
    let client = client(&sim, enterprise(&sim));
    // A look-up of the target and a dismiss of another meeting pass it by.
    client
        .get_meeting(&target)
        .operator(Operator::user_id(ALICE))
        .instance(Instance::Pc)
        .send()
        .await
        .expect("not a dismiss");
    dismiss_as(&client, &other, Operator::user_id(ALICE))
        .await
        .expect("not the target");
    assert_eq!(
        api_code(dismiss_as(&client, &target, Operator::user_id(ALICE)).await),
        9042
    );
    dismiss_as(&client, &target, Operator::user_id(ALICE))
        .await
        .expect("used up");
}

#[tokio::test]
async fn any_error_is_injected_over_the_admin_api() {
    let sim = sim().await;
    let id = create(&sim, MeetingSpec::new(ALICE));
    let set = admin_post(
        &sim,
        "/_sim/faults",
        &format!(
            r#"{{"fail_next":[{{"count":1,"with":{{"api":{{"code":190311,"new_code":null}}}},"operation":"dismiss","meeting_id":"{id}"}},
                             {{"count":1,"with":{{"status":502}}}}]}}"#
        ),
    )
    .await;
    assert_eq!(set.status, 200, "{:?}", set.json());
    assert_eq!(set.json()["fail_next"][0]["with"]["api"]["code"], 190311);
    let client = client(&sim, enterprise(&sim));
    let (status, code, new_code, _) =
        api_error(dismiss_as(&client, &id, Operator::user_id(ALICE)).await);
    assert_eq!((status, code, new_code), (400, 190311, None));
    let raw = signed(
        &sim,
        "GET",
        &format!("/v1/meetings/{id}?userid=alice&instanceid=1"),
        b"",
    )
    .await;
    assert_eq!((raw.status, raw.body.len()), (502, 0));
    for bad in [
        r#"{"fail_next":[{"count":1,"with":{"api":{}}}]}"#,
        r#"{"fail_next":[{"count":1,"with":{"api":{"code":1,"status":99}}}]}"#,
        r#"{"fail_next":[{"count":1,"with":"drop","operation":"cancel"}]}"#,
    ] {
        assert_eq!(
            admin_post(&sim, "/_sim/faults", bad).await.status,
            400,
            "{bad}"
        );
    }
}
