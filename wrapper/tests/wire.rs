//! What the client puts on the wire, asserted byte for byte against httpmock: header names and
//! values, body bytes, and a signature recomputed from what the server received.

mod common;

use std::sync::Arc;

use common::{Log, Received, received, recorder};
use httpmock::prelude::*;
use tencent_meeting::clock::FixedClock;
use tencent_meeting::{
    ApiErrorKind, Client, Credentials, Error, Instance, MeetingKind, MeetingStatus, Operator,
    Refusal, RetryPolicy,
};

const APP_ID: &str = "200000001";
const SECRET_ID: &str = "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE";
const SECRET_KEY: &str = "Gu5t9xGARNpq86cd98joQYCN3EXAMPLEKEY";
const NOW_MILLIS: u64 = 1_716_000_000_123;

fn enterprise() -> Credentials {
    Credentials::enterprise(APP_ID, SECRET_ID, SECRET_KEY).expect("valid credentials")
}

fn client(server: &MockServer, credentials: Credentials, retry: RetryPolicy) -> Client {
    Client::builder()
        .base_url(server.base_url())
        .credentials(credentials)
        .clock(Arc::new(FixedClock(NOW_MILLIS)))
        .retry(retry.base_delay(std::time::Duration::from_millis(5)))
        // The per-minute quota (190310) waits for the next window, by the client's (fixed)
        // clock: a short window keeps the tests quick.
        .rate_limit_window(std::time::Duration::from_millis(50))
        .timeout(std::time::Duration::from_secs(5))
        .build()
        .expect("client")
}

#[tokio::test]
async fn enterprise_dismiss_sends_exact_headers_body_and_a_valid_signature() {
    let server = MockServer::start_async().await;
    let log = Log::default();
    let mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/v1/meetings/7567173273889276131/dismiss")
                .is_true(recorder(&log));
            then.status(200);
        })
        .await;
    let dismissed = client(&server, enterprise(), RetryPolicy::none())
        .dismiss_meeting("7567173273889276131")
        .operator(Operator::user_id("test1"))
        .instance(Instance::Pc)
        .reason_code(3)
        .reason_detail("结束会议")
        .retrieve_code(true)
        .send()
        .await
        .expect("dismissed");
    assert_eq!(mock.calls_async().await, 1);
    assert_eq!(dismissed.attempts(), 1);
    assert!(dismissed.retrieve_code() && !dismissed.retrieve_code_overridden());

    let reqs = received(&log);
    let req = &reqs[0];
    assert_eq!(
        String::from_utf8_lossy(&req.body),
        r#"{"force_dismiss_meeting":1,"instanceid":1,"reason_code":3,"reason_detail":"结束会议","retrieve_code":1,"userid":"test1"}"#
    );
    assert_eq!(req.header("content-type"), Some("application/json"));
    assert_eq!(req.header("x-tc-key"), Some(SECRET_ID));
    assert_eq!(req.header("x-tc-timestamp"), Some("1716000000"));
    assert_eq!(
        req.nonce() / 1_000_000,
        NOW_MILLIS,
        "nonce = millis * 1e6 + random"
    );
    assert_eq!(req.header("appid"), Some(APP_ID));
    assert_eq!(req.header("x-tc-registered"), Some("1"));
    assert_eq!(
        req.header("sdkid"),
        None,
        "no SdkId unless one was assigned"
    );
    assert_eq!(req.header("api-version"), None, "only documented headers");
    assert_eq!(req.header("x-tc-signature").map(str::len), Some(88));
    assert!(req.signature_verifies(SECRET_KEY));
    assert!(!req.signature_verifies("another key"));
}

#[tokio::test]
async fn operator_form_and_sdk_id() {
    let server = MockServer::start_async().await;
    let log = Log::default();
    server
        .mock_async(|when, then| {
            when.any_request().is_true(recorder(&log));
            then.status(200).body("{}");
        })
        .await;
    let credentials = enterprise().with_sdk_id("19000000001").expect("sdk id");
    client(&server, credentials, RetryPolicy::none())
        .dismiss_meeting("15434747088712431484")
        .operator(Operator::operator_user_id("tester"))
        .instance(Instance::Pc)
        .reason_code(1)
        .reason_detail("会议提前结束")
        .send()
        .await
        .expect("`{}` is success too");
    let req = &received(&log)[0];
    // The same bytes as the official SDK's vector "dismiss-operator-form-chinese".
    assert_eq!(
        String::from_utf8_lossy(&req.body),
        r#"{"force_dismiss_meeting":1,"instanceid":1,"operator_id":"tester","operator_id_type":1,"reason_code":1,"reason_detail":"会议提前结束","retrieve_code":0}"#
    );
    assert_eq!(req.header("sdkid"), Some("19000000001"));
    assert!(req.signature_verifies(SECRET_KEY));
}

#[tokio::test]
async fn oauth2_sends_token_headers_and_no_signature() {
    let server = MockServer::start_async().await;
    let log = Log::default();
    server
        .mock_async(|when, then| {
            when.any_request().is_true(recorder(&log));
            then.status(200);
        })
        .await;
    let credentials = Credentials::oauth2("ACCESS-TOKEN-1", "open-id-1").expect("oauth");
    client(&server, credentials, RetryPolicy::none())
        .dismiss_meeting("1234")
        .instance(Instance::Web)
        .reason_code(0)
        .send()
        .await
        .expect("dismissed");
    let req = &received(&log)[0];
    assert_eq!(req.header("accesstoken"), Some("ACCESS-TOKEN-1"));
    assert_eq!(req.header("openid"), Some("open-id-1"));
    assert_eq!(req.header("x-tc-timestamp"), Some("1716000000"));
    assert!(req.header("x-tc-nonce").is_some());
    for absent in [
        "x-tc-signature",
        "x-tc-key",
        "appid",
        "sdkid",
        "x-tc-registered",
    ] {
        assert_eq!(
            req.header(absent),
            None,
            "{absent} must not be sent in OAuth2.0 mode"
        );
    }
    // The operator defaults to the credentials' open id, in the operator_id form (type 2).
    assert_eq!(
        String::from_utf8_lossy(&req.body),
        r#"{"force_dismiss_meeting":1,"instanceid":5,"operator_id":"open-id-1","operator_id_type":2,"reason_code":0,"retrieve_code":0}"#
    );
}

#[tokio::test]
async fn lookup_signs_the_query_as_sent() {
    let server = MockServer::start_async().await;
    let log = Log::default();
    server
        .mock_async(|when, then| {
            when.method(GET).is_true(recorder(&log));
            then.status(200).header("content-type", "application/json").body(
                r#"{"meeting_number":1,"meeting_info_list":[{"meeting_id":"15434747088712431484","type":0,"meeting_type":1,"status":"MEETING_STATE_STARTED","remain_sub_meetings":2,"an_unknown_field":{"x":1}}]}"#,
            );
        })
        .await;
    let meeting = client(&server, enterprise(), RetryPolicy::none())
        .get_meeting("15434747088712431484")
        .operator(Operator::operator_user_id("te st+1"))
        .instance(Instance::Pc)
        .send()
        .await
        .expect("meeting");
    assert_eq!(meeting.kind(), MeetingKind::recurring(Some(2)));
    assert!(meeting.in_progress());
    let req = &received(&log)[0];
    assert!(
        req.uri.starts_with("/v1/meetings/15434747088712431484?"),
        "{}",
        req.uri
    );
    assert!(
        req.uri.contains("operator_id=te+st%2B1") || req.uri.contains("operator_id=te%20st%2B1"),
        "{}",
        req.uri
    );
    assert!(req.body.is_empty());
    assert!(
        req.signature_verifies(SECRET_KEY),
        "signed over {}",
        req.uri
    );
}

#[tokio::test]
async fn every_error_shape_maps_to_a_typed_error() {
    struct Case {
        status: u16,
        body: &'static str,
        check: fn(&Error) -> bool,
    }
    let cases = [
        Case {
            status: 400,
            body: r#"{"error_info":{"error_code":9042,"new_error_code":9042,"message":"no permission"}}"#,
            check: |e| {
                matches!(e, Error::Api(a) if a.status() == 400
                    && a.code() == 9042
                    && a.new_code() == Some(9042)
                    && a.kind() == ApiErrorKind::NoPermission
                    && a.trace_id() == Some("trace-1"))
            },
        },
        Case {
            status: 400,
            body: r#"{"error_info":{"error_code":200003,"message":"sig"}}"#,
            check: |e| {
                matches!(e, Error::Api(a) if a.code() == 200003
                    && a.new_code().is_none()
                    && a.kind() == ApiErrorKind::Signature)
            },
        },
        Case {
            status: 500,
            body: "<html><body>502 Bad Gateway</body></html>",
            // A gateway's page in the service's place: the dismiss may have taken effect.
            check: |e| {
                matches!(e, Error::OutcomeUnknown(u)
                    if matches!(u.last(), Error::Decode(d) if d.status() == 500 && d.not_json()))
            },
        },
        Case {
            status: 400,
            body: "{}",
            check: |e| matches!(e, Error::Decode(d) if d.status() == 400 && !d.not_json()),
        },
        Case {
            status: 400,
            body: "",
            check: |e| matches!(e, Error::Decode(d) if d.status() == 400 && d.not_json()),
        },
        Case {
            status: 302,
            body: "",
            check: |e| matches!(e, Error::Decode(d) if d.status() == 302),
        },
    ];
    for case in cases {
        let server = MockServer::start_async().await;
        let mock = server
            .mock_async(|when, then| {
                when.any_request();
                then.status(case.status)
                    .header("X-Tc-Trace", "trace-1")
                    .body(case.body);
            })
            .await;
        let err = client(&server, enterprise(), RetryPolicy::default())
            .dismiss_meeting("1")
            .operator(Operator::user_id("u"))
            .instance(Instance::Pc)
            .reason_code(1)
            .send()
            .await
            .expect_err("an error");
        assert!(
            (case.check)(&err),
            "HTTP {} {:?} gave {err:?}",
            case.status,
            case.body
        );
        assert_eq!(mock.calls_async().await, 1, "not retryable: {err}");
        assert_eq!(err.trace_id(), Some("trace-1"), "{err:?}");
    }
}

#[tokio::test]
async fn retryable_failures_are_retried_with_fresh_nonces() {
    for (status, body, content_type) in [
        (
            500,
            r#"{"error_info":{"error_code":960000,"message":"net"}}"#,
            "application/json",
        ),
        (
            500,
            r#"{"error_info":{"error_code":41,"message":"net"}}"#,
            "application/json",
        ),
        (
            500,
            r#"{"error_info":{"error_code":13001,"message":"cache"}}"#,
            "application/json",
        ),
        (
            400,
            r#"{"error_info":{"error_code":190310,"message":"rate"}}"#,
            "application/json",
        ),
        (502, "<html>Bad Gateway</html>", "text/html"),
        (503, "", "text/plain"),
        (504, "gateway timeout", "text/plain"),
    ] {
        let server = MockServer::start_async().await;
        let log = Log::default();
        let mock = server
            .mock_async(|when, then| {
                when.any_request().is_true(recorder(&log));
                then.status(status)
                    .header("content-type", content_type)
                    .body(body);
            })
            .await;
        let err = client(&server, enterprise(), RetryPolicy::default())
            .dismiss_meeting("1")
            .operator(Operator::user_id("u"))
            .instance(Instance::Pc)
            .reason_code(1)
            .reason_detail("结束")
            .send()
            .await
            .expect_err("fails every time");
        assert!(err.is_retryable(), "{err:?}");
        assert_eq!(mock.calls_async().await, 3, "HTTP {status} {body}");
        // The first attempt sends the body built when the call was checked; retries build it
        // again, and must send the very same bytes.
        let bodies: Vec<Vec<u8>> = received(&log).into_iter().map(|r| r.body).collect();
        assert_eq!(
            bodies,
            vec![
                r#"{"force_dismiss_meeting":1,"instanceid":1,"reason_code":1,"reason_detail":"结束","retrieve_code":0,"userid":"u"}"#
                    .as_bytes()
                    .to_vec();
                3
            ],
            "HTTP {status} {body}"
        );
        let mut nonces: Vec<u64> = received(&log).iter().map(Received::nonce).collect();
        nonces.dedup();
        assert_eq!(nonces.len(), 3, "each attempt signs afresh: {nonces:?}");
        assert!(
            received(&log)
                .iter()
                .all(|r| r.signature_verifies(SECRET_KEY))
        );
    }
}

#[tokio::test]
async fn a_timeout_is_retried_and_reported_as_outcome_unknown() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.any_request();
            then.status(200)
                .delay(std::time::Duration::from_millis(600));
        })
        .await;
    let client = Client::builder()
        .base_url(server.base_url())
        .credentials(enterprise())
        .timeout(std::time::Duration::from_millis(100))
        .retry(
            RetryPolicy::default()
                .max_attempts(2)
                .base_delay(std::time::Duration::from_millis(5)),
        )
        .build()
        .expect("client");
    let err = client
        .dismiss_meeting("1")
        .operator(Operator::user_id("u"))
        .instance(Instance::Pc)
        .reason_code(1)
        .send()
        .await
        .expect_err("times out");
    // Both requests reached the server and got no answer in time: the meeting may have ended.
    match &err {
        Error::OutcomeUnknown(u) => {
            assert_eq!(u.attempts(), 2);
            assert!(
                matches!(u.last(), Error::Timeout(t) if t.maybe_sent() && t.attempts() == 2),
                "{err:?}"
            );
        }
        other => panic!("expected OutcomeUnknown, got {other:?}"),
    }
    assert!(err.maybe_applied());
    assert!(err.to_string().contains("look the meeting up"), "{err}");
    assert_eq!(mock.calls_async().await, 2);
}

#[tokio::test]
async fn a_connection_refused_is_a_transport_error_after_all_attempts() {
    // Bind and drop a listener to get a port nobody listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("port");
    let client = Client::builder()
        .base_url(format!("http://127.0.0.1:{port}"))
        .credentials(enterprise())
        .retry(RetryPolicy::default().base_delay(std::time::Duration::from_millis(1)))
        .build()
        .expect("client");
    let err = client
        .dismiss_meeting("1")
        .operator(Operator::user_id("u"))
        .instance(Instance::Pc)
        .reason_code(1)
        .send()
        .await
        .expect_err("refused");
    assert!(
        matches!(&err, Error::Transport(t) if !t.maybe_sent()) && !err.maybe_applied(),
        "{err:?}"
    );
}

/// Every invalid input is refused with the field and rule, and nothing reaches the server.
#[tokio::test]
async fn invalid_input_sends_nothing() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.any_request();
            then.status(200);
        })
        .await;
    let ent = client(&server, enterprise(), RetryPolicy::none());
    let oauth = client(
        &server,
        Credentials::oauth2("tok", "my-open-id").expect("oauth"),
        RetryPolicy::none(),
    );
    let base = |c: &Client, id: &str| {
        c.dismiss_meeting(id)
            .operator(Operator::user_id("u"))
            .instance(Instance::Pc)
            .reason_code(1)
    };
    let cases: Vec<(tencent_meeting::DismissMeeting, &str)> = vec![
        (base(&ent, ""), "meeting_id"),
        (base(&ent, "12a4"), "meeting_id"),
        (base(&ent, " 1234"), "meeting_id"),
        (base(&ent, "-1"), "meeting_id"),
        (base(&ent, &"9".repeat(33)), "meeting_id"),
        (
            base(&ent, "1").operator(Operator::open_id("other")),
            "operator",
        ),
        (
            ent.dismiss_meeting("1")
                .instance(Instance::Pc)
                .reason_code(1),
            "operator",
        ),
        (
            ent.dismiss_meeting("1")
                .operator(Operator::user_id(""))
                .instance(Instance::Pc)
                .reason_code(1),
            "userid",
        ),
        (
            ent.dismiss_meeting("1")
                .operator(Operator::operator_user_id(" \t "))
                .instance(Instance::Pc)
                .reason_code(1),
            "operator_id",
        ),
        (
            ent.dismiss_meeting("1")
                .operator(Operator::user_id("a\u{0}b"))
                .instance(Instance::Pc)
                .reason_code(1),
            "userid",
        ),
        (
            ent.dismiss_meeting("1")
                .operator(Operator::user_id("a\nb"))
                .instance(Instance::Pc)
                .reason_code(1),
            "userid",
        ),
        (base(&ent, "1").instance_id(11), "instanceid"),
        (base(&ent, "1").instance_id(0), "instanceid"),
        (
            ent.dismiss_meeting("1")
                .operator(Operator::user_id("u"))
                .reason_code(1),
            "instanceid",
        ),
        (
            ent.dismiss_meeting("1")
                .operator(Operator::user_id("u"))
                .instance(Instance::Pc),
            "reason_code",
        ),
        (
            base(&ent, "1").reason_detail("长".repeat(1025)),
            "reason_detail",
        ),
        (
            oauth
                .dismiss_meeting("1")
                .operator(Operator::user_id("someone-else"))
                .instance(Instance::Pc)
                .reason_code(1),
            "userid",
        ),
        (
            oauth
                .dismiss_meeting("1")
                .operator(Operator::operator_user_id("my-open-id"))
                .instance(Instance::Pc)
                .reason_code(1),
            "operator_id",
        ),
        (
            oauth
                .dismiss_meeting("1")
                .operator(Operator::ms_open_id("my-open-id"))
                .instance(Instance::Pc)
                .reason_code(1),
            "operator_id",
        ),
    ];
    for (call, field) in cases {
        match call.send().await {
            Err(Error::Validation(v)) => {
                assert_eq!(v.field(), field, "{v}");
                assert!(!v.rule().is_empty());
            }
            other => panic!("expected a validation error on {field}, got {other:?}"),
        }
    }
    // The longest reason accepted is exactly at the bound.
    let ok = base(&ent, "1")
        .reason_detail("长".repeat(1024))
        .prepare()
        .await;
    assert!(ok.is_ok(), "{ok:?}");
    assert_eq!(
        mock.calls_async().await,
        0,
        "no request may leave for invalid input"
    );
}

#[tokio::test]
async fn meeting_kind_rules() {
    let server = MockServer::start_async().await;
    let log = Log::default();
    let mock = server
        .mock_async(|when, then| {
            when.any_request().is_true(recorder(&log));
            then.status(200);
        })
        .await;
    let c = client(&server, enterprise(), RetryPolicy::none());
    let base = || {
        c.dismiss_meeting("1")
            .operator(Operator::user_id("u"))
            .instance(Instance::Pc)
            .reason_code(1)
    };

    // Quick: retrieve_code is raised to 1, and the result says so.
    let quick = base().kind(MeetingKind::Quick).send().await.expect("quick");
    assert!(quick.retrieve_code() && quick.retrieve_code_overridden());
    assert!(String::from_utf8_lossy(&received(&log)[0].body).contains(r#""retrieve_code":1"#));

    // Recurring with sub-meetings to come: reclaiming the code is refused unless forced.
    let recurring = MeetingKind::recurring(Some(2));
    let refused = base().kind(recurring).retrieve_code(true).send().await;
    assert!(
        matches!(
            refused,
            Err(Error::Refused(Refusal::SubMeetingsRemain {
                remaining: Some(2),
                ..
            }))
        ),
        "{refused:?}"
    );
    assert_eq!(mock.calls_async().await, 1, "the refused call sent nothing");
    let kept = base().kind(recurring).send().await.expect("keeps the code");
    assert!(!kept.retrieve_code());
    let forced = base()
        .kind(recurring)
        .force_retrieve_code()
        .send()
        .await
        .expect("forced");
    assert!(forced.retrieve_code());
    let last = base()
        .kind(MeetingKind::recurring(Some(0)))
        .retrieve_code(true)
        .send()
        .await
        .expect("no sub-meetings left");
    assert!(last.retrieve_code());
    assert_eq!(mock.calls_async().await, 4);
}

#[tokio::test]
async fn lookup_refuses_sub_meetings_and_meetings_not_in_progress() {
    for (info, expect) in [
        (
            r#"{"meeting_id":"15434747088712431484","type":0,"meeting_type":1,"status":"MEETING_STATE_STARTED"}"#,
            "sub",
        ),
        (
            r#"{"meeting_id":"1700000000","type":0,"meeting_type":0,"status":"MEETING_STATE_ENDED"}"#,
            "ended",
        ),
    ] {
        let server = MockServer::start_async().await;
        server
            .mock_async(|when, then| {
                when.method(GET);
                then.status(200).body(format!(
                    r#"{{"meeting_number":1,"meeting_info_list":[{info}]}}"#
                ));
            })
            .await;
        let dismiss = server
            .mock_async(|when, then| {
                when.method(POST);
                then.status(200);
            })
            .await;
        let err = client(&server, enterprise(), RetryPolicy::none())
            .dismiss_meeting("1700000000")
            .operator(Operator::user_id("u"))
            .instance(Instance::Pc)
            .reason_code(1)
            .lookup()
            .send()
            .await
            .expect_err("refused");
        match (expect, &err) {
            (
                "sub",
                Error::Refused(Refusal::SubMeetingId {
                    given, master_id, ..
                }),
            ) => {
                assert_eq!(given, "1700000000");
                assert_eq!(master_id.as_deref(), Some("15434747088712431484"));
                assert!(err.to_string().contains("15434747088712431484"), "{err}");
            }
            ("ended", Error::Refused(Refusal::NotInProgress { status, .. })) => {
                assert_eq!(status.as_ref(), Some(&MeetingStatus::Ended));
            }
            _ => panic!("{expect}: got {err:?}"),
        }
        assert_eq!(dismiss.calls_async().await, 0, "the dismiss was not sent");
    }
}

#[tokio::test]
async fn prepare_returns_the_exact_request_without_sending() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.any_request();
            then.status(200);
        })
        .await;
    let prepared = client(&server, enterprise(), RetryPolicy::none())
        .dismiss_meeting("7567173273889276131")
        .operator(Operator::user_id("test1"))
        .instance(Instance::Pc)
        .reason_code(3)
        .prepare()
        .await
        .expect("prepared");
    assert_eq!(mock.calls_async().await, 0);
    assert_eq!(prepared.method, "POST");
    assert!(
        prepared
            .url
            .ends_with("/v1/meetings/7567173273889276131/dismiss")
    );
    let sts = prepared.string_to_sign.clone().expect("string to sign");
    assert!(
        sts.starts_with("POST\nX-TC-Key=AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE&X-TC-Nonce="),
        "{sts}"
    );
    assert!(sts.ends_with(&String::from_utf8_lossy(&prepared.body).into_owned()));
    let curl = prepared.to_curl(|name| format!("$REDACTED_{name}"));
    assert!(curl.contains("x-tc-signature: "), "{curl}");
    assert!(!curl.contains(SECRET_KEY));

    let oauth = client(
        &server,
        Credentials::oauth2("SECRET-TOKEN", "oid").expect("oauth"),
        RetryPolicy::none(),
    )
    .dismiss_meeting("1")
    .instance(Instance::Pc)
    .reason_code(3)
    .prepare()
    .await
    .expect("prepared");
    let curl = oauth.to_curl(|_| "$TOKEN".to_string());
    assert!(!curl.contains("SECRET-TOKEN"), "{curl}");
    assert!(!format!("{oauth:?}").contains("SECRET-TOKEN"));
    assert!(curl.contains(r#"-H "accesstoken: $TOKEN""#), "{curl}");
}
