//! Truthful outcomes, on a real socket: what counts as success, and what a call reports after an
//! attempt whose fate is unknown (a timeout) followed by each kind of later answer.

mod common;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::scripted::{Scripted, Step};
use tencent_meeting::{
    ApiErrorKind, Client, Credentials, Dismissed, Error, Evidence, Instance, MeetingStatus,
    Operator, RetryPolicy,
};

/// The attempt timeout; a "late" answer comes well after it.
const TIMEOUT: Duration = Duration::from_millis(300);
const LATE: Duration = Duration::from_secs(2);

fn client(base_url: &str, attempts: u32) -> Client {
    Client::builder()
        .base_url(base_url)
        .credentials(Credentials::enterprise("200000001", "AKIDEXAMPLE", "secret").expect("creds"))
        .timeout(TIMEOUT)
        .retry(
            RetryPolicy::default()
                .max_attempts(attempts)
                .base_delay(Duration::from_millis(5)),
        )
        .rate_limit_window(Duration::from_millis(200))
        .build()
        .expect("client")
}

async fn dismiss(client: &Client) -> Result<Dismissed, Error> {
    client
        .dismiss_meeting("7567173273889276131")
        .operator(Operator::user_id("alice"))
        .instance(Instance::Pc)
        .reason_code(1)
        .send()
        .await
}

/// A look-up answer with one meeting in `status`.
fn looked_up(status: &str) -> Step {
    Step::answer(
        200,
        &format!(
            r#"{{"meeting_number":1,"meeting_info_list":[{{"meeting_id":"7567173273889276131","type":0,"meeting_type":0,"status":"{status}"}}]}}"#
        ),
    )
}

#[tokio::test]
async fn success_is_an_empty_body_or_an_empty_object_and_nothing_else() {
    for body in ["", "  \r\n", "{}", " {} "] {
        let server = Scripted::start(vec![Step::answer(200, body)]).await;
        let done = dismiss(&client(&server.base_url, 1))
            .await
            .unwrap_or_else(|e| panic!("{body:?} is a success: {e}"));
        assert!(
            matches!(done.evidence(), Evidence::Answered { status: 200, .. }),
            "{body:?}"
        );
    }
    // Anything else is not the service's success, and may follow its work (a proxy's page in
    // its place): the outcome is unknown.
    for body in ["<html>ok</html>", "OK", "[1,2]", "null", r#"{"ok":true}"#] {
        let server = Scripted::start(vec![Step::answer(200, body)]).await;
        match dismiss(&client(&server.base_url, 3)).await {
            Err(Error::OutcomeUnknown(u)) => match u.last() {
                Error::Decode(d) => {
                    assert_eq!(d.status(), 200);
                    assert!(
                        d.to_string().contains("may not be the Tencent Meeting API"),
                        "{d}"
                    );
                }
                other => panic!("{body:?}: expected a decode error last, got {other:?}"),
            },
            other => panic!("{body:?}: expected an unknown outcome, got {other:?}"),
        }
        assert_eq!(server.requests().len(), 1, "{body:?} is not retried");
    }
    // A 200 carrying error_info is the error it says.
    let server = Scripted::start(vec![Step::answer(
        200,
        r#"{"error_info":{"error_code":9003,"message":"no such meeting"}}"#,
    )])
    .await;
    match dismiss(&client(&server.base_url, 3)).await {
        Err(Error::Api(e)) => assert_eq!((e.status(), e.code()), (200, 9003)),
        other => panic!("expected 9003, got {other:?}"),
    }
    // Another 2xx is not the documented success either.
    let server = Scripted::start(vec![Step::answer(204, "")]).await;
    assert!(matches!(
        dismiss(&client(&server.base_url, 1)).await,
        Err(Error::OutcomeUnknown(u)) if matches!(u.last(), Error::Decode(d) if d.status() == 204)
    ));
}

#[tokio::test]
async fn a_timeout_then_already_ended_is_done_only_when_a_look_up_shows_it_ended() {
    let server = Scripted::start(vec![
        Step::late(LATE),
        Step::error(13603),
        looked_up("MEETING_STATE_ENDED"),
    ])
    .await;
    let done = dismiss(&client(&server.base_url, 3))
        .await
        .expect("confirmed by look-up");
    assert_eq!(done.attempts(), 2);
    match done.evidence() {
        Evidence::LookedUp {
            status,
            trace_id,
            looked_up,
            ..
        } => {
            assert_eq!(*status, 400);
            assert_eq!(trace_id.as_deref(), Some("scripted-400"));
            assert_eq!(looked_up, &MeetingStatus::Ended);
        }
        other => panic!("expected look-up evidence, got {other:?}"),
    }
    let requests = server.requests();
    assert_eq!(requests.len(), 3);
    assert!(requests[2].is_lookup());

    // The look-up shows it still in progress: the 13603 is not believed.
    let server = Scripted::start(vec![
        Step::late(LATE),
        Step::error(13603),
        looked_up("MEETING_STATE_STARTED"),
    ])
    .await;
    let e = dismiss(&client(&server.base_url, 3))
        .await
        .expect_err("not shown done");
    assert!(e.maybe_applied(), "{e:?}");
    assert!(
        matches!(&e, Error::OutcomeUnknown(u) if u.attempts() == 2 && u.last().api_kind() == Some(ApiErrorKind::AlreadyEnded)),
        "{e:?}"
    );

    // The look-up fails: still unknown, and the look-up's failure is the last error.
    let server = Scripted::start(vec![
        Step::late(LATE),
        Step::error(13603),
        Step::error(190303),
    ])
    .await;
    let e = dismiss(&client(&server.base_url, 3))
        .await
        .expect_err("unknown");
    assert!(
        matches!(&e, Error::OutcomeUnknown(u) if u.last().api().is_some_and(|a| a.code() == 190303)),
        "{e:?}"
    );
}

#[tokio::test]
async fn a_timeout_then_any_failure_leaves_the_outcome_unknown() {
    let cases: Vec<(&str, Vec<Step>)> = vec![
        ("a closed connection", vec![Step::late(LATE), Step::Close]),
        ("960000", vec![Step::late(LATE), Step::error(960000)]),
        ("no permission", vec![Step::late(LATE), Step::error(9042)]),
        (
            "the per-minute quota twice",
            vec![Step::late(LATE), Step::error(190310), Step::error(190310)],
        ),
        (
            "an HTML 502",
            vec![
                Step::late(LATE),
                Step::answer(502, "<html>bad gateway</html>"),
            ],
        ),
    ];
    for (what, steps) in cases {
        let attempts = steps.len() as u32;
        let server = Scripted::start(steps).await;
        let e = dismiss(&client(&server.base_url, attempts))
            .await
            .expect_err(what);
        match &e {
            Error::OutcomeUnknown(u) => assert_eq!(u.attempts(), attempts, "{what}"),
            other => panic!("{what}: expected an unknown outcome, got {other:?}"),
        }
        assert!(e.maybe_applied(), "{what}");
        assert_eq!(server.requests().len(), attempts as usize, "{what}");
    }

    // A timeout then a refused connection: the server is gone, and the first attempt's fate is
    // still unknown.
    let server = Scripted::start(vec![Step::late(LATE)]).await;
    let base_url = server.base_url.clone();
    let client = client(&base_url, 2);
    let call = tokio::spawn(async move { dismiss(&client).await });
    while server.requests().is_empty() {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    drop(server);
    let e = call.await.expect("joined").expect_err("unknown");
    assert!(
        matches!(&e, Error::OutcomeUnknown(u) if matches!(u.last(), Error::Transport(_) | Error::Timeout(_))),
        "{e:?}"
    );
}

#[tokio::test]
async fn without_an_unknown_attempt_the_answers_are_what_they_say() {
    // "Already ended" at once: the meeting had ended before this call; nothing is claimed.
    let server = Scripted::start(vec![Step::error(13603)]).await;
    let e = dismiss(&client(&server.base_url, 3))
        .await
        .expect_err("already ended");
    assert_eq!(e.api_kind(), Some(ApiErrorKind::AlreadyEnded));
    assert!(!e.maybe_applied());
    assert_eq!(server.requests().len(), 1, "13603 is not retried");

    // The per-day quota is never retried.
    let server = Scripted::start(vec![Step::error(190311)]).await;
    let e = dismiss(&client(&server.base_url, 3))
        .await
        .expect_err("per-day quota");
    assert_eq!(e.api_kind(), Some(ApiErrorKind::RateLimitedPerDay));
    assert_eq!(server.requests().len(), 1);

    // A timeout then a success: the retry's own answer shows it done.
    let server = Scripted::start(vec![Step::late(LATE), Step::answer(200, "")]).await;
    let done = dismiss(&client(&server.base_url, 3))
        .await
        .expect("answered");
    assert_eq!(done.attempts(), 2);
    assert!(matches!(done.evidence(), Evidence::Answered { .. }));
}

#[tokio::test]
async fn every_attempt_is_stamped_afresh_by_the_system_clock() {
    let server = Scripted::start(vec![
        Step::answer(500, r#"{"error_info":{"error_code":960000,"message":"x"}}"#),
        Step::late(LATE),
        Step::answer(200, ""),
    ])
    .await;
    let before = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default();
    dismiss(&client(&server.base_url, 3))
        .await
        .expect("third attempt");
    let after = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default();
    let requests = server.requests();
    assert_eq!(requests.len(), 3);
    let mut nonces = Vec::new();
    for request in &requests {
        let timestamp: u64 = request
            .header("x-tc-timestamp")
            .and_then(|t| t.parse().ok())
            .expect("a timestamp");
        assert!(before <= timestamp && timestamp <= after, "{timestamp}");
        let nonce: u64 = request
            .header("x-tc-nonce")
            .and_then(|n| n.parse().ok())
            .expect("a nonce");
        // The SDK form: milliseconds of the same clock, times a million, plus a random part.
        assert!(
            nonce / 1_000_000 / 1000 >= before && nonce / 1_000_000 / 1000 <= after,
            "{nonce}"
        );
        nonces.push(nonce);
    }
    nonces.sort_unstable();
    nonces.dedup();
    assert_eq!(nonces.len(), 3, "every attempt has its own nonce");
}

/// A look-up answer with one meeting described by `fields` (JSON members).
fn meeting(fields: &str) -> Step {
    Step::answer(
        200,
        &format!(
            r#"{{"meeting_number":1,"meeting_info_list":[{{"meeting_id":"7567173273889276131",{fields}}}]}}"#
        ),
    )
}

#[tokio::test]
async fn the_look_up_tolerates_what_is_new_and_fails_safe_on_what_is_missing() {
    // An unknown state and type decode; the state is kept as sent, the kind counts as one-time.
    let server = Scripted::start(vec![meeting(
        r#""type":9,"meeting_type":7,"status":"MEETING_STATE_PAUSED""#,
    )])
    .await;
    let found = client(&server.base_url, 1)
        .get_meeting("7567173273889276131")
        .operator(Operator::user_id("alice"))
        .instance(Instance::Pc)
        .send()
        .await
        .expect("decodes");
    assert_eq!(
        found.status(),
        Some(&MeetingStatus::Unknown("MEETING_STATE_PAUSED".into()))
    );
    assert_eq!(found.kind(), tencent_meeting::MeetingKind::OneTime);
    assert_eq!(
        (found.raw_type(), found.raw_meeting_type()),
        (Some(9), Some(7))
    );
    // And a dismiss that looks it up is refused as not in progress, naming the state.
    let server = Scripted::start(vec![meeting(
        r#""type":0,"meeting_type":0,"status":"MEETING_STATE_PAUSED""#,
    )])
    .await;
    let e = client(&server.base_url, 1)
        .dismiss_meeting("7567173273889276131")
        .operator(Operator::user_id("alice"))
        .instance(Instance::Pc)
        .reason_code(1)
        .lookup()
        .send()
        .await
        .expect_err("not in progress");
    assert!(e.to_string().contains("MEETING_STATE_PAUSED"), "{e}");
    assert_eq!(server.requests().len(), 1, "the dismiss was not sent");

    // A recurring meeting that does not say how many sub-meetings remain, but has more: reclaiming
    // its code is refused.
    for fields in [
        r#""type":0,"meeting_type":1,"status":"MEETING_STATE_STARTED","has_more_sub_meeting":1"#,
        r#""type":0,"meeting_type":1,"status":"MEETING_STATE_STARTED""#,
    ] {
        let server = Scripted::start(vec![meeting(fields)]).await;
        let e = client(&server.base_url, 1)
            .dismiss_meeting("7567173273889276131")
            .operator(Operator::user_id("alice"))
            .instance(Instance::Pc)
            .reason_code(1)
            .retrieve_code(true)
            .lookup()
            .send()
            .await
            .expect_err("refused");
        assert!(
            matches!(
                &e,
                Error::Refused(tencent_meeting::Refusal::SubMeetingsRemain {
                    remaining: None,
                    ..
                })
            ),
            "{fields}: {e:?}"
        );
        assert_eq!(server.requests().len(), 1, "the dismiss was not sent");
    }
    // Without the count, the complete list and the current sub-meeting tell it: the last one is
    // current, so none remain, and the code may be reclaimed.
    let server = Scripted::start(vec![
        meeting(
            r#""type":0,"meeting_type":1,"status":"MEETING_STATE_STARTED","has_more_sub_meeting":0,"current_sub_meeting_id":"1700086400","sub_meetings":[{"sub_meeting_id":"1700000000","status":0},{"sub_meeting_id":"1700086400","status":0}]"#,
        ),
        Step::answer(200, ""),
    ])
    .await;
    let done = client(&server.base_url, 1)
        .dismiss_meeting("7567173273889276131")
        .operator(Operator::user_id("alice"))
        .instance(Instance::Pc)
        .reason_code(1)
        .retrieve_code(true)
        .lookup()
        .send()
        .await
        .expect("the last sub-meeting");
    assert_eq!(
        done.kind(),
        Some(tencent_meeting::MeetingKind::recurring(Some(0)))
    );
    assert!(done.retrieve_code());
}

/// A recurring meeting's look-up answer naming `current` as its sub-meeting in progress.
fn recurring_meeting(current: &str) -> Step {
    meeting(&format!(
        r#""type":0,"meeting_type":1,"status":"MEETING_STATE_STARTED","remain_sub_meetings":1,"current_sub_meeting_id":"{current}","sub_meetings":[{{"sub_meeting_id":"1700000000","status":0}},{{"sub_meeting_id":"1700086400","status":0}}]"#
    ))
}

#[tokio::test]
async fn a_looked_up_recurring_meetings_dismiss_records_the_sub_meeting_it_ended() {
    let looked_up_dismiss = |base_url: String| async move {
        client(&base_url, 1)
            .dismiss_meeting("7567173273889276131")
            .operator(Operator::user_id("alice"))
            .instance(Instance::Pc)
            .reason_code(1)
            .lookup()
            .send()
            .await
    };
    // The look-up names the sub-meeting in progress: the dismiss ended that one.
    let server =
        Scripted::start(vec![recurring_meeting("1700000000"), Step::answer(200, "")]).await;
    let done = looked_up_dismiss(server.base_url.clone())
        .await
        .expect("dismissed");
    assert_eq!(done.sub_meeting_id(), Some("1700000000"));
    let server =
        Scripted::start(vec![recurring_meeting("1700086400"), Step::answer(200, "")]).await;
    let later = looked_up_dismiss(server.base_url.clone())
        .await
        .expect("dismissed");
    assert_eq!(later.sub_meeting_id(), Some("1700086400"));

    // A one-time meeting has no sub-meeting, even when the answer names one; nor does a dismiss
    // that did not look the meeting up.
    let server = Scripted::start(vec![
        meeting(
            r#""type":0,"meeting_type":0,"status":"MEETING_STATE_STARTED","current_sub_meeting_id":"1700000000""#,
        ),
        Step::answer(200, ""),
    ])
    .await;
    let one_time = looked_up_dismiss(server.base_url.clone())
        .await
        .expect("dismissed");
    assert_eq!(one_time.sub_meeting_id(), None);
    let server = Scripted::start(vec![Step::answer(200, "")]).await;
    let unlooked = dismiss(&client(&server.base_url, 1))
        .await
        .expect("dismissed");
    assert_eq!(unlooked.sub_meeting_id(), None);

    // The sub-meeting the look-up named is the one whose end confirms the dismiss.
    #[cfg(feature = "webhook")]
    {
        use tencent_meeting::webhook::sender::MeetingEndNotice;
        use tencent_meeting::webhook::{Event, NotThisDismiss, event::parse_event};
        let end_of = |sub: &str| {
            let mut notice = MeetingEndNotice::new("t", "7567173273889276131", i64::MAX / 2);
            notice.sub_meeting_id = Some(sub.to_string());
            match parse_event(&notice.to_json()).expect("an event").remove(0) {
                Event::MeetingEnd(end) => end,
                other => panic!("{other:?}"),
            }
        };
        assert!(matches!(
            done.clone().confirmed_by(&end_of("1700086400")),
            Err(NotThisDismiss::OtherSubMeeting { .. })
        ));
        let confirmed = done
            .confirmed_by(&end_of("1700000000"))
            .expect("its own sub-meeting's end");
        assert_eq!(
            confirmed.event().and_then(|e| e.sub_meeting_id()),
            Some("1700000000")
        );
    }
}

/// What a gateway answers in the service's place after forwarding the request.
const GATEWAY_504: &str = "<html><head><title>504 Gateway Time-out</title></head><body><center><h1>504 Gateway Time-out</h1></center><hr><center>nginx</center></body></html>";
const PROXY_200: &str = "<html><body>Request accepted by the proxy.</body></html>";

#[tokio::test]
async fn a_gateways_answer_after_forwarding_leaves_the_outcome_unknown() {
    // Every attempt answered by the gateway: nothing showed whether the dismiss took effect.
    let server = Scripted::start(vec![
        Step::answer(504, GATEWAY_504),
        Step::answer(504, GATEWAY_504),
        Step::answer(504, GATEWAY_504),
    ])
    .await;
    let e = dismiss(&client(&server.base_url, 3))
        .await
        .expect_err("unknown");
    assert!(e.maybe_applied(), "{e:?}");
    assert!(
        matches!(&e, Error::OutcomeUnknown(u) if u.attempts() == 3 && matches!(u.last(), Error::Decode(d) if d.status() == 504)),
        "{e:?}"
    );

    // A 200 that is not the service's success: the same.
    let server = Scripted::start(vec![Step::answer(200, PROXY_200)]).await;
    let e = dismiss(&client(&server.base_url, 3))
        .await
        .expect_err("unknown");
    assert!(
        matches!(&e, Error::OutcomeUnknown(u) if matches!(u.last(), Error::Decode(d) if d.status() == 200)),
        "{e:?}"
    );
    assert_eq!(server.requests().len(), 1, "a 2xx page is not retried");

    // The gateway answered for the service, and the retry finds the meeting ended: only a
    // look-up settles it.
    for first in [Step::answer(504, GATEWAY_504), Step::answer(200, PROXY_200)] {
        let server = Scripted::start(vec![
            first.clone(),
            Step::error(13603),
            looked_up("MEETING_STATE_ENDED"),
        ])
        .await;
        let result = dismiss(&client(&server.base_url, 3)).await;
        if matches!(first, Step::Answer { status: 200, .. }) {
            // Not retried: unknown, and never "already ended".
            let e = result.expect_err("unknown");
            assert!(matches!(e, Error::OutcomeUnknown(_)), "{e:?}");
            continue;
        }
        let done = result.expect("confirmed by the look-up");
        assert!(
            matches!(
                done.evidence(),
                Evidence::LookedUp {
                    looked_up: MeetingStatus::Ended,
                    ..
                }
            ),
            "{done:?}"
        );
        assert_eq!(server.requests().len(), 3);

        // ... and a look-up that does not show it ended leaves it unknown.
        let server = Scripted::start(vec![
            Step::answer(504, GATEWAY_504),
            Step::error(13603),
            looked_up("MEETING_STATE_STARTED"),
        ])
        .await;
        let e = dismiss(&client(&server.base_url, 3))
            .await
            .expect_err("unknown");
        assert!(matches!(e, Error::OutcomeUnknown(_)), "{e:?}");
    }
}

#[tokio::test]
async fn a_gateways_refusal_and_redirect_and_the_services_own_errors_applied_nothing() {
    // A gateway's 4xx (it did not forward), a 3xx (redirects are not followed), and the
    // service's own JSON 5xx: none of them may have applied the dismiss.
    for (step, status) in [
        (Step::answer(404, "<html>404 Not Found</html>"), 404),
        (
            Step::answer(413, "<html>413 Request Entity Too Large</html>"),
            413,
        ),
        (
            Step::answer(429, r#"{"message":"API rate limit exceeded"}"#),
            429,
        ),
        (Step::answer(301, ""), 301),
    ] {
        let server = Scripted::start(vec![step]).await;
        let e = dismiss(&client(&server.base_url, 3))
            .await
            .expect_err("refused");
        assert!(!e.maybe_applied(), "{status}: {e:?}");
        assert!(
            matches!(&e, Error::Decode(d) if d.status() == status),
            "{status}: {e:?}"
        );
    }
    let server = Scripted::start(vec![
        Step::answer(
            500,
            r#"{"error_info":{"error_code":960000,"message":"internal"}}"#,
        ),
        Step::error(13603),
    ])
    .await;
    let e = dismiss(&client(&server.base_url, 3))
        .await
        .expect_err("already ended");
    assert_eq!(e.api_kind(), Some(ApiErrorKind::AlreadyEnded), "{e:?}");
    assert!(!e.maybe_applied());

    // A refused connection sent nothing.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    drop(listener);
    let e = dismiss(&client(&format!("http://{addr}"), 1))
        .await
        .expect_err("refused");
    assert!(!e.maybe_applied(), "{e:?}");
    assert!(matches!(e, Error::Transport(_)), "{e:?}");
    // The message carries the cause, not only reqwest's "error sending request".
    assert!(
        e.to_string().to_lowercase().contains("connection refused"),
        "{e}"
    );
}

#[tokio::test]
async fn a_look_up_that_lists_no_meeting_is_the_services_not_found() {
    // The same shape as a dismiss of a missing meeting: 9003, with this answer's status.
    for body in [
        r#"{"meeting_number":0,"meeting_info_list":[]}"#,
        r#"{"meeting_number":1,"meeting_info_list":[]}"#,
    ] {
        let server = Scripted::start(vec![Step::answer(200, body)]).await;
        let e = client(&server.base_url, 1)
            .get_meeting("7567173273889276131")
            .operator(Operator::user_id("alice"))
            .instance(Instance::Pc)
            .send()
            .await
            .expect_err("no meeting");
        match &e {
            Error::Api(a) => {
                assert_eq!((a.status(), a.code()), (200, 9003), "{body}");
                assert_eq!(a.kind(), ApiErrorKind::NotFound);
                assert_eq!(a.trace_id(), Some("scripted-200"));
            }
            other => panic!("{body}: expected 9003, got {other:?}"),
        }
        assert!(!e.to_string().contains("not found"), "{e}");
    }
    // An empty 200 is no look-up answer at all (only a dismiss takes it as success).
    let server = Scripted::start(vec![Step::answer(200, "")]).await;
    let e = client(&server.base_url, 1)
        .get_meeting("7567173273889276131")
        .operator(Operator::user_id("alice"))
        .instance(Instance::Pc)
        .send()
        .await
        .expect_err("not an answer");
    assert!(matches!(&e, Error::Decode(d) if d.status() == 200), "{e:?}");
}

#[tokio::test]
async fn the_before_send_hook_runs_once_when_the_request_is_about_to_leave() {
    use std::sync::{Arc, Mutex};
    use std::time::Instant;

    // Once per call, retries included, and the send time is taken after it.
    let server = Scripted::start(vec![Step::late(LATE), Step::answer(200, "")]).await;
    let runs = Arc::new(Mutex::new(Vec::new()));
    let hook_runs = Arc::clone(&runs);
    let before = SystemTime::now();
    let done = client(&server.base_url, 3)
        .dismiss_meeting("7567173273889276131")
        .operator(Operator::user_id("alice"))
        .instance(Instance::Pc)
        .reason_code(1)
        .before_send(move || {
            let runs = Arc::clone(&hook_runs);
            async move {
                runs.lock().expect("lock").push(SystemTime::now());
                Ok::<(), String>(())
            }
        })
        .send()
        .await
        .expect("answered");
    let runs = runs.lock().expect("lock").clone();
    assert_eq!(runs.len(), 1, "retries do not run it again");
    assert!(
        before <= runs[0] && runs[0] <= done.sent_at(),
        "{runs:?} {done:?}"
    );
    assert!(done.sent_at() <= SystemTime::now());

    // A failing hook: nothing is sent, and the error says so.
    let server = Scripted::start(vec![Step::answer(200, "")]).await;
    let e = dismiss_with_hook(&client(&server.base_url, 3), || async {
        Err::<(), _>("the journal is full".to_string())
    })
    .await
    .expect_err("not sent");
    assert!(matches!(&e, Error::BeforeSend(_)), "{e:?}");
    assert!(!e.maybe_applied());
    assert_eq!(e.attempts(), 0);
    assert!(e.to_string().contains("the journal is full"), "{e}");
    assert!(server.requests().is_empty(), "nothing left");

    // It runs after the rate limiter's wait, not before: the second call of a 1-per-2-s limit
    // runs it only once its slot came.
    let server = Scripted::start(vec![Step::answer(200, ""), Step::answer(200, "")]).await;
    let paced = Client::builder()
        .base_url(&server.base_url)
        .credentials(Credentials::enterprise("200000001", "AKIDEXAMPLE", "secret").expect("creds"))
        .rate_limit(std::num::NonZeroU32::MIN)
        .rate_limit_window(Duration::from_secs(2))
        .build()
        .expect("client");
    dismiss(&paced).await.expect("first");
    let started = Instant::now();
    let ran_at = Arc::new(Mutex::new(None));
    let hook_ran_at = Arc::clone(&ran_at);
    dismiss_with_hook(&paced, move || {
        let ran_at = Arc::clone(&hook_ran_at);
        async move {
            *ran_at.lock().expect("lock") = Some(Instant::now());
            Ok::<(), String>(())
        }
    })
    .await
    .expect("second");
    let waited = ran_at.lock().expect("lock").map(|t| t - started);
    assert!(
        waited.is_some_and(|w| w >= Duration::from_secs(1)),
        "the hook ran {waited:?} into the pacing wait"
    );
}

async fn dismiss_with_hook<F, Fut>(client: &Client, hook: F) -> Result<Dismissed, Error>
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = Result<(), String>> + Send + 'static,
{
    client
        .dismiss_meeting("7567173273889276131")
        .operator(Operator::user_id("alice"))
        .instance(Instance::Pc)
        .reason_code(1)
        .before_send(hook)
        .send()
        .await
}
