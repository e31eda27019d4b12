//! What users plug in and set per call, seen on a real socket: their own `reqwest::Client`,
//! refreshed credentials, the header spelling on the wire, deadlines, per-call settings, the
//! signing hook for the generated client, one tracing event per attempt, and a rate limiter of
//! their own.

mod common;

use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use common::scripted::{Scripted, Step};
use tencent_meeting::signing::{SigningParams, verify};
use tencent_meeting::{
    Client, Credentials, Error, Instance, Operator, RateLimiter, RateLimiterError, RequestSigner,
    RetryPolicy, SharedCredentials,
};

const SECRET_KEY: &str = "secret";

fn enterprise() -> Credentials {
    Credentials::enterprise("200000001", "AKIDEXAMPLE", SECRET_KEY).expect("credentials")
}

fn dismiss(client: &Client) -> tencent_meeting::DismissMeeting {
    client
        .dismiss_meeting("7567173273889276131")
        .operator(Operator::user_id("alice"))
        .instance(Instance::Pc)
        .reason_code(1)
}

#[tokio::test]
async fn header_names_go_out_title_cased_as_the_go_sdk_sends_them() {
    let server = Scripted::start(vec![Step::answer(200, "")]).await;
    let client = Client::builder()
        .base_url(&server.base_url)
        .credentials(enterprise().with_sdk_id("1400000001").expect("sdk id"))
        .build()
        .expect("client");
    dismiss(&client).send().await.expect("dismissed");
    let request = &server.requests()[0];
    let names: Vec<&str> = request
        .header_lines
        .iter()
        .filter_map(|l| l.split_once(':').map(|(n, _)| n))
        .collect();
    for expected in [
        "Content-Type",
        "X-Tc-Key",
        "X-Tc-Timestamp",
        "X-Tc-Nonce",
        "X-Tc-Signature",
        "Appid",
        "Sdkid",
        "X-Tc-Registered",
    ] {
        assert!(
            names.contains(&expected),
            "{expected} not on the wire: {names:?}"
        );
    }
    assert!(!names.iter().any(|n| n.eq_ignore_ascii_case("api-version")));
}

/// The future `send()` returns can be spawned as it is: it is `Send` and owns what it needs,
/// so the caller's client may be dropped before it runs.
#[tokio::test]
async fn the_send_future_is_spawned_as_a_task_of_its_own() {
    let server = Scripted::start(vec![Step::answer(200, "")]).await;
    let client = Client::builder()
        .base_url(&server.base_url)
        .credentials(enterprise())
        .build()
        .expect("client");
    let task = tokio::spawn(dismiss(&client).send());
    drop(client);
    let dismissed = task.await.expect("the task joins").expect("dismissed");
    assert_eq!(dismissed.meeting_id(), "7567173273889276131");
    assert_eq!(server.requests().len(), 1);
}

/// Calls in flight together on one thread each keep their own attempt record: the status and
/// trace ID each one reports are those of its own answer, whatever order the answers come in.
/// The successes' bodies come after a pause, so each of those calls has recorded its answer's
/// head and waits while the others run their hooks.
#[tokio::test(flavor = "current_thread")]
async fn calls_in_flight_on_one_thread_each_report_their_own_answer() {
    let steps = (0..16)
        .map(|i| {
            if i % 2 == 0 {
                Step::SplitAnswer {
                    pause: Duration::from_millis(50),
                }
            } else {
                Step::error(9003)
            }
        })
        .collect();
    let server = Scripted::start(steps).await;
    let client = Client::builder()
        .base_url(&server.base_url)
        .credentials(enterprise())
        .retry(RetryPolicy::none())
        .build()
        .expect("client");
    let mut calls = tokio::task::JoinSet::new();
    for _ in 0..16 {
        calls.spawn(dismiss(&client).send());
    }
    let (mut answered, mut refused) = (0, 0);
    while let Some(joined) = calls.join_next().await {
        match joined.expect("the task joins") {
            Ok(dismissed) => {
                assert_eq!(dismissed.trace_id(), Some("scripted-200"));
                answered += 1;
            }
            Err(e) => {
                let api = e.api().expect("the service's refusal");
                assert_eq!((api.status(), api.code()), (400, 9003), "{e}");
                assert_eq!(e.trace_id(), Some("scripted-400"), "{e}");
                refused += 1;
            }
        }
    }
    assert_eq!((answered, refused), (8, 8));
}

#[tokio::test]
async fn a_users_own_reqwest_client_carries_the_requests() {
    let server = Scripted::start(vec![Step::answer(200, "")]).await;
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        "x-corporate-proxy",
        "tag-1".parse().expect("a header value"),
    );
    let http = reqwest::Client::builder()
        .default_headers(headers)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("reqwest client");
    let client = Client::builder()
        .base_url(&server.base_url)
        .credentials(enterprise())
        .http_client(http)
        .build()
        .expect("client");
    dismiss(&client).send().await.expect("dismissed");
    let request = &server.requests()[0];
    assert_eq!(request.header("x-corporate-proxy"), Some("tag-1"));
    assert!(request.header("x-tc-signature").is_some(), "still signed");
}

#[tokio::test]
async fn a_refreshed_access_token_is_sent_from_the_next_request_on_the_same_client() {
    let server = Scripted::start(vec![Step::answer(200, ""), Step::answer(200, "")]).await;
    let shared = SharedCredentials::new(Credentials::oauth2("token-1", "open-1").expect("oauth"));
    let client = Client::builder()
        .base_url(&server.base_url)
        .credentials_provider(Arc::new(shared.clone()))
        .build()
        .expect("client");
    let dismiss_as_open_id = || {
        client
            .dismiss_meeting("1")
            .instance(Instance::Pc)
            .reason_code(1)
            .send()
    };
    dismiss_as_open_id().await.expect("first");
    shared.set(Credentials::oauth2("token-2", "open-1").expect("oauth"));
    dismiss_as_open_id().await.expect("second");
    let requests = server.requests();
    assert_eq!(requests[0].header("accesstoken"), Some("token-1"));
    assert_eq!(requests[1].header("accesstoken"), Some("token-2"));
}

#[tokio::test]
async fn a_deadline_ends_an_attempt_in_flight_as_a_timeout_with_its_outcome_unknown() {
    let server = Scripted::start(vec![Step::late(Duration::from_secs(5))]).await;
    let client = Client::builder()
        .base_url(&server.base_url)
        .credentials(enterprise())
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client");
    let e = dismiss(&client)
        .deadline(Duration::from_millis(300))
        .send()
        .await
        .expect_err("the deadline passes");
    match &e {
        Error::OutcomeUnknown(u) => assert!(
            matches!(u.last(), Error::Timeout(t) if t.is_deadline() && t.after() == Duration::from_millis(300)),
            "{u:?}"
        ),
        other => panic!("expected an unknown outcome, got {other:?}"),
    }
}

#[tokio::test]
async fn a_deadline_too_near_for_the_next_retry_ends_the_call_with_the_last_answer() {
    let server = Scripted::start(vec![Step::error(960000), Step::answer(200, "")]).await;
    let client = Client::builder()
        .base_url(&server.base_url)
        .credentials(enterprise())
        .retry(RetryPolicy::default().base_delay(Duration::from_secs(4)))
        .deadline(Duration::from_millis(500))
        .build()
        .expect("client");
    let e = dismiss(&client).send().await.expect_err("no time to retry");
    assert!(
        matches!(&e, Error::Api(a) if a.code() == 960000 && a.attempts() == 1),
        "{e:?}"
    );
    assert_eq!(server.requests().len(), 1);
}

/// Grants `grants` turns, counting every request for one, then refuses.
#[derive(Debug)]
struct Turns {
    grants: usize,
    asked: Mutex<usize>,
}

impl RateLimiter for Turns {
    fn acquire(
        &self,
    ) -> std::pin::Pin<Box<dyn Future<Output = Result<(), RateLimiterError>> + Send + '_>> {
        let mut asked = self.asked.lock().unwrap_or_else(PoisonError::into_inner);
        *asked += 1;
        let granted = *asked <= self.grants;
        Box::pin(async move {
            if granted {
                Ok(())
            } else {
                Err(RateLimiterError::new("the shared quota is unreachable"))
            }
        })
    }
}

#[tokio::test]
async fn a_rate_limiter_of_ones_own_is_asked_before_every_attempt_and_a_refusal_sends_nothing() {
    let server = Scripted::start(vec![Step::error(960000), Step::answer(200, "")]).await;
    let turns = Arc::new(Turns {
        grants: 2,
        asked: Mutex::new(0),
    });
    let client = Client::builder()
        .base_url(&server.base_url)
        .credentials(enterprise())
        .retry(RetryPolicy::default().base_delay(Duration::from_millis(1)))
        .rate_limiter(turns.clone())
        .build()
        .expect("client");
    // A retried call asks once per attempt.
    dismiss(&client)
        .send()
        .await
        .expect("dismissed on the retry");
    assert_eq!(*turns.asked.lock().expect("lock"), 2);
    assert_eq!(server.requests().len(), 2);
    // Refused: the call fails at once, says nothing was sent, and nothing was.
    let e = dismiss(&client).send().await.expect_err("refused");
    match &e {
        Error::Transport(t) => {
            assert!(!t.maybe_sent() && !e.maybe_applied(), "{e:?}");
            assert!(t.message().contains("shared quota is unreachable"), "{t}");
        }
        other => panic!("expected a transport error, got {other:?}"),
    }
    assert_eq!(*turns.asked.lock().expect("lock"), 3, "not retried");
    assert_eq!(server.requests().len(), 2, "nothing sent");
}

#[tokio::test]
async fn a_call_overrides_the_clients_timeout_and_retry_policy() {
    let server = Scripted::start(vec![
        Step::late(Duration::from_secs(2)),
        Step::answer(200, ""),
    ])
    .await;
    let client = Client::builder()
        .base_url(&server.base_url)
        .credentials(enterprise())
        .timeout(Duration::from_secs(30))
        .retry(RetryPolicy::default().max_attempts(5))
        .build()
        .expect("client");
    let e = dismiss(&client)
        .timeout(Duration::from_millis(200))
        .retry(RetryPolicy::none())
        .send()
        .await
        .expect_err("one short attempt");
    assert!(
        matches!(&e, Error::OutcomeUnknown(u) if u.attempts() == 1
            && matches!(u.last(), Error::Timeout(t) if t.after() == Duration::from_millis(200))),
        "{e:?}"
    );
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn the_signing_hook_signs_the_generated_clients_requests() {
    let server = Scripted::start(vec![Step::answer(200, "{}")]).await;
    let signer = RequestSigner::new(enterprise());
    let api = tencent_meeting_openapi::Client::new_with_client(
        &server.base_url,
        reqwest::Client::new(),
        signer.hooks(),
    );
    use tencent_meeting_openapi::types;
    let body = types::DismissMeetingRequest::builder()
        .userid(Some(
            types::DismissMeetingRequestUserid::try_from("alice").expect("a userid"),
        ))
        .instanceid(types::InstanceId::try_from(1).expect("an instance"))
        .reason_code(1)
        .force_dismiss_meeting(
            types::DismissMeetingRequestForceDismissMeeting::try_from(1).expect("0 or 1"),
        )
        .retrieve_code(types::DismissMeetingRequestRetrieveCode::try_from(0).expect("0 or 1"));
    api.dismiss_meeting()
        .meeting_id("7567173273889276131")
        .body(body)
        .send()
        .await
        .expect("answered");
    let request = &server.requests()[0];
    let header = |name: &str| request.header(name).expect(name);
    let uri = request
        .request_line
        .split(' ')
        .nth(1)
        .expect("a request target");
    assert!(verify(
        &SigningParams {
            method: "POST",
            uri,
            body: &request.body,
            secret_id: header("x-tc-key"),
            timestamp: header("x-tc-timestamp").parse().expect("timestamp"),
            nonce: header("x-tc-nonce").parse().expect("nonce"),
        },
        SECRET_KEY,
        header("x-tc-signature"),
    ));
}

/// The events a tracing subscriber saw: (target, fields as `name=value`). Spans are recorded
/// as events of target `span:NAME` when they are created, and each event's fields end with
/// `in_span=NAME` for every span it was logged in.
type Events = Arc<Mutex<Vec<(String, Vec<String>)>>>;

struct Collect(Events);

struct Fields(Vec<String>);

impl tracing::field::Visit for Fields {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        self.0.push(format!("{}={value:?}", field.name()));
    }
}

impl<S> tracing_subscriber::Layer<S> for Collect
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
{
    fn on_new_span(
        &self,
        attrs: &tracing::span::Attributes<'_>,
        _: &tracing::span::Id,
        _: tracing_subscriber::layer::Context<'_, S>,
    ) {
        let mut fields = Fields(Vec::new());
        attrs.record(&mut fields);
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push((format!("span:{}", attrs.metadata().name()), fields.0));
    }

    fn on_event(&self, event: &tracing::Event<'_>, ctx: tracing_subscriber::layer::Context<'_, S>) {
        let mut fields = Fields(Vec::new());
        event.record(&mut fields);
        if let Some(scope) = ctx.event_scope(event) {
            fields
                .0
                .extend(scope.map(|span| format!("in_span={}", span.name())));
        }
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push((event.metadata().target().to_string(), fields.0));
    }
}

#[tokio::test(flavor = "current_thread")]
async fn each_attempt_logs_one_event_under_the_documented_target() {
    use tracing_subscriber::layer::SubscriberExt as _;

    let server = Scripted::start(vec![
        Step::error(960000),
        Step::error(960000),
        Step::answer(200, ""),
    ])
    .await;
    let client = Client::builder()
        .base_url(&server.base_url)
        .credentials(enterprise())
        .retry(RetryPolicy::default().base_delay(Duration::from_millis(5)))
        .build()
        .expect("client");
    let events = Events::default();
    let subscriber = tracing_subscriber::registry().with(Collect(Arc::clone(&events)));
    let _guard = tracing::subscriber::set_default(subscriber);
    dismiss(&client).send().await.expect("third attempt");
    let events = events
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clone();
    let attempts: Vec<&Vec<String>> = events
        .iter()
        .filter(|(target, _)| target == "tencent_meeting::attempt")
        .map(|(_, fields)| fields)
        .collect();
    assert_eq!(attempts.len(), 3, "{events:?}");
    for (i, fields) in attempts.iter().enumerate() {
        let attempt = format!("attempt={}", i + 1);
        assert_eq!(
            fields.iter().filter(|f| f.starts_with("attempt=")).count(),
            1,
            "{fields:?}"
        );
        assert!(fields.contains(&attempt), "{fields:?}");
    }
    assert!(attempts[0].contains(&"api_code=960000".to_string()));
    assert!(attempts[2].contains(&"status=200".to_string()));
    // Each attempt is logged inside the call's span, which names the operation and meeting.
    for fields in &attempts {
        assert!(
            fields.contains(&"in_span=tencent_meeting".to_string()),
            "{fields:?}"
        );
    }
    let spans: Vec<&Vec<String>> = events
        .iter()
        .filter(|(target, _)| target == "span:tencent_meeting")
        .map(|(_, fields)| fields)
        .collect();
    assert_eq!(
        spans,
        [&vec![
            "operation=\"dismiss_meeting\"".to_string(),
            "meeting_id=\"7567173273889276131\"".to_string(),
        ]],
        "{events:?}"
    );
}
