//! The typed httpmock mocks (feature `httpmock`), used as a user's test would: an httpmock
//! server set up through `MockServerExt`, and the generated client sending to it.

use httpmock::MockServer;
use tencent_meeting_openapi::hooks::Hooks;
use tencent_meeting_openapi::meeting_id::MeetingId;
use tencent_meeting_openapi::mock::MockServerExt;
use tencent_meeting_openapi::types::{
    self, DismissMeetingRequest, DismissSuccess, ErrorInfo, ErrorResponse, MeetingQueryResponse,
};
use tencent_meeting_openapi::{Client, Error};

fn meeting_id() -> MeetingId {
    "7567173273889276131".parse().expect("digits")
}

fn body() -> DismissMeetingRequest {
    DismissMeetingRequest::builder()
        .userid(Some("alice".parse().expect("a user id")))
        .instanceid(1)
        .reason_code(3)
        .try_into()
        .expect("a complete body")
}

fn client(server: &MockServer) -> Client {
    Client::new(&server.base_url(), Hooks::none())
}

#[tokio::test]
async fn a_dismiss_mock_matches_the_meeting_and_the_exact_body() {
    let server = MockServer::start_async().await;
    let dismissed = server.dismiss_meeting(|when, then| {
        when.meeting_id(&meeting_id()).body(&body());
        then.ok(&DismissSuccess {});
    });
    let other_meeting = server.dismiss_meeting(|when, then| {
        when.meeting_id(&"1".parse().expect("digits"));
        then.ok(&DismissSuccess {});
    });

    let answer = client(&server)
        .dismiss_meeting()
        .meeting_id(meeting_id())
        .body(body())
        .send()
        .await
        .expect("the mock answers 200 {}");

    assert_eq!(answer.status().as_u16(), 200);
    assert_eq!(answer.into_inner(), DismissSuccess {});
    dismissed.assert();
    other_meeting.assert_calls(0);
}

#[tokio::test]
async fn a_body_that_differs_does_not_match() {
    let server = MockServer::start_async().await;
    let mock = server.dismiss_meeting(|when, then| {
        when.meeting_id(&meeting_id()).body(&body());
        then.ok(&DismissSuccess {});
    });
    let mut other = body();
    other.reason_code = 4;

    let result = client(&server)
        .dismiss_meeting()
        .meeting_id(meeting_id())
        .body(other)
        .send()
        .await;

    // httpmock answers an unmatched request with 404 and no JSON body.
    assert!(result.is_err(), "{result:?}");
    mock.assert_calls(0);
}

#[tokio::test]
async fn an_error_answer_reaches_the_client_typed() {
    let server = MockServer::start_async().await;
    // Built as a user's test would, through the builders: a new optional property in the spec
    // leaves this unchanged.
    let error: ErrorResponse = ErrorResponse::builder()
        .error_info(
            ErrorInfo::builder()
                .error_code(9003)
                .new_error_code(Some(9003))
                .message("the meeting has not started".to_string()),
        )
        .try_into()
        .expect("a complete error answer");
    server.dismiss_meeting(|when, then| {
        when.meeting_id(&meeting_id());
        then.client_error(400, &error);
    });

    let result = client(&server)
        .dismiss_meeting()
        .meeting_id(meeting_id())
        .body(body())
        .send()
        .await;

    match result {
        Err(Error::ErrorResponse(answer)) => {
            assert_eq!(answer.status().as_u16(), 400);
            assert_eq!(answer.into_inner(), error);
        }
        other => panic!("expected the typed error answer, got {other:?}"),
    }
}

#[tokio::test]
async fn a_look_up_mock_matches_query_parameters_and_their_absence() {
    let server = MockServer::start_async().await;
    let answer: MeetingQueryResponse =
        serde_json::from_value(serde_json::json!({"meeting_number": 1, "meeting_info_list": []}))
            .expect("a look-up answer");
    let alice: types::GetMeetingUserid = "alice".parse().expect("a user id");
    let by_userid = server.get_meeting(|when, then| {
        when.meeting_id(&meeting_id())
            .instanceid(&types::InstanceId::try_from(1).expect("a device type"))
            .userid(&alice)
            .operator_id(None);
        then.ok(&answer);
    });

    let looked_up = client(&server)
        .get_meeting()
        .meeting_id(meeting_id())
        .instanceid(1)
        .userid(alice.clone())
        .send()
        .await
        .expect("the mock answers");

    assert_eq!(looked_up.into_inner(), answer);
    by_userid.assert();
}
