//! Test doubles as a user's own tests meet them: code written against `impl Dismisser`, run on a
//! `FakeDismisser` that validates like the client, records, and answers as scripted.

use tencent_meeting::testing::FakeDismisser;
use tencent_meeting::{
    ApiError, Client, Dismissed, Dismisser, Error, Evidence, Instance, MeetingKind, MeetingStatus,
    Operator, OutcomeUnknown, Refusal, TimeoutError,
};

/// A user's function: ends a meeting and says what to tell a person.
async fn end(dismisser: &impl Dismisser, id: &str, kind: MeetingKind) -> String {
    let result = dismisser
        .dismiss_meeting(id)
        .operator(Operator::user_id("bot"))
        .instance(Instance::Pc)
        .reason_code(2)
        .kind(kind)
        .retrieve_code(true)
        .send()
        .await;
    match result {
        Ok(d) if matches!(d.evidence(), Evidence::LookedUp { .. }) => "ended (checked)".into(),
        Ok(_) => "ended".into(),
        Err(e) if e.maybe_applied() => "maybe ended: checking".into(),
        Err(Error::Refused(_)) => "not sent".into(),
        Err(e) => format!("failed: {e}"),
    }
}

#[tokio::test]
async fn a_fake_applies_the_clients_rules_and_records_what_would_be_sent() {
    let fake = FakeDismisser::new();
    assert_eq!(end(&fake, "1", MeetingKind::Quick).await, "ended");
    // A recurring meeting whose remaining sub-meetings are unknown keeps its code: refused, and
    // nothing recorded as sent.
    assert_eq!(
        end(&fake, "2", MeetingKind::recurring(None)).await,
        "not sent"
    );
    let calls = fake.calls();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].meeting_id(), "1");
    assert!(calls[0].retrieve_code());
    assert_eq!(calls[0].reason_code(), 2);
    // Invalid input fails as the client would, before anything is "sent".
    let invalid = fake
        .dismiss_meeting("not digits")
        .operator(Operator::user_id("bot"))
        .instance(Instance::Pc)
        .reason_code(1)
        .send()
        .await;
    assert!(
        matches!(&invalid, Err(Error::Validation(v)) if v.field() == "meeting_id"),
        "{invalid:?}"
    );
    assert_eq!(fake.calls().len(), 1);
}

#[tokio::test]
async fn a_fake_answers_with_any_outcome_the_user_scripts() {
    let unknown = FakeDismisser::responding(|_| {
        Err(OutcomeUnknown::new(
            3,
            TimeoutError::new(std::time::Duration::from_secs(10)).into(),
        )
        .into())
    });
    assert_eq!(
        end(&unknown, "1", MeetingKind::OneTime).await,
        "maybe ended: checking"
    );
    let refused = FakeDismisser::responding(|_| Err(ApiError::new(400, 9042, "不是创建者").into()));
    assert_eq!(
        end(&refused, "1", MeetingKind::OneTime).await,
        "failed: no permission (error 9042, HTTP 400): 不是创建者"
    );
    let checked = FakeDismisser::responding(|planned| {
        let already_ended = ApiError::new(400, 13603, "meeting already ended").with_trace_id("t-2");
        Ok(planned
            .answered()
            .with_looked_up(&already_ended, MeetingStatus::Ended))
    });
    assert_eq!(
        end(&checked, "1", MeetingKind::OneTime).await,
        "ended (checked)"
    );
    // The "already ended" answer's own status and trace id, not invented ones.
    let looked_up = checked
        .dismiss_meeting("1")
        .operator(Operator::user_id("bot"))
        .instance(Instance::Pc)
        .reason_code(2)
        .send()
        .await
        .expect("scripted success");
    assert!(matches!(
        looked_up.evidence(),
        Evidence::LookedUp {
            status: 400,
            looked_up: MeetingStatus::Ended,
            ..
        }
    ));
    assert_eq!(looked_up.trace_id(), Some("t-2"));
    let custom = Dismissed::answered("9")
        .with_attempts(2)
        .with_trace_id("t-9");
    assert_eq!((custom.attempts(), custom.trace_id()), (2, Some("t-9")));
    let refusal: Error = Refusal::sub_meetings_remain(Some(2)).into();
    assert!(
        refusal.to_string().contains("2 sub-meeting(s)"),
        "{refusal}"
    );
}

#[tokio::test]
async fn an_oauth2_fake_checks_the_operator_like_the_client() {
    let fake = FakeDismisser::new().with_oauth2_open_id("open-1");
    let done = fake
        .dismiss_meeting("5")
        .instance(Instance::Web)
        .reason_code(1)
        .send()
        .await
        .expect("the open id is the default operator");
    assert_eq!(done.meeting_id(), "5");
    assert_eq!(fake.calls()[0].operator(), &Operator::open_id("open-1"));
    let other = fake
        .dismiss_meeting("5")
        .operator(Operator::user_id("someone-else"))
        .instance(Instance::Web)
        .reason_code(1)
        .send()
        .await;
    assert!(matches!(other, Err(Error::Validation(_))), "{other:?}");
}

/// The same user code compiles against the real client.
#[allow(dead_code)]
async fn the_real_client_is_a_dismisser(client: &Client) -> String {
    end(client, "1", MeetingKind::OneTime).await
}
