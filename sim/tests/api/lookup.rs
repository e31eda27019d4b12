//! The look-up endpoint, alone and as the wrapper's `.lookup()` uses it.

use tencent_meeting::{Error, Instance, MeetingKind, MeetingStatus, Operator, Refusal};
use tencent_meeting_sim::{MeetingSpec, codes};

use crate::common::*;

#[tokio::test]
async fn looks_up_one_time_quick_and_recurring_meetings() {
    let sim = sim().await;
    let client = client(&sim, enterprise(&sim));
    let one_time = create(
        &sim,
        MeetingSpec::new(ALICE)
            .subject("Plan")
            .meeting_code("806146667"),
    );
    let m = client
        .get_meeting(&one_time)
        .operator(Operator::user_id(ALICE))
        .instance(Instance::Pc)
        .send()
        .await
        .expect("found");
    assert_eq!(m.meeting_id(), Some(one_time.as_str()));
    assert_eq!(m.meeting_code(), Some("806146667"));
    assert_eq!(m.subject(), Some("Plan"));
    assert_eq!(m.kind(), MeetingKind::OneTime);
    assert!(m.in_progress());

    let quick = create(
        &sim,
        MeetingSpec::new(ALICE).quick().status(MeetingStatus::Ended),
    );
    let m = client
        .get_meeting(&quick)
        .operator(Operator::operator_user_id(ALICE))
        .instance(Instance::Ios)
        .send()
        .await
        .expect("found");
    assert_eq!(m.kind(), MeetingKind::Quick);
    assert_eq!(m.status(), Some(&MeetingStatus::Ended));

    let master = create(
        &sim,
        MeetingSpec::new(ALICE).recurring(["1700000000", "1700086400", "1700172800"], 2),
    );
    let m = client
        .get_meeting(&master)
        .operator(Operator::user_id(ALICE))
        .instance(Instance::Pc)
        .send()
        .await
        .expect("found");
    assert_eq!(m.kind(), MeetingKind::recurring(Some(2)));
    assert_eq!(m.current_sub_meeting_id(), Some("1700000000"));
}

#[tokio::test]
async fn a_sub_meeting_id_answers_the_master_meeting() {
    let sim = sim().await;
    let master = create(
        &sim,
        MeetingSpec::new(ALICE).recurring(["1700000000", "1700086400"], 1),
    );
    let raw = signed(
        &sim,
        "GET",
        "/v1/meetings/1700086400?userid=alice&instanceid=1",
        b"",
    )
    .await;
    assert_eq!(raw.status, 200);
    let json = raw.json();
    assert_eq!(json["meeting_number"], 1);
    let info = &json["meeting_info_list"][0];
    assert_eq!(info["meeting_id"], master.as_str());
    assert_eq!(info["meeting_type"], 1);
    assert_eq!(info["type"], 0);
    assert_eq!(info["status"], "MEETING_STATE_STARTED");
    assert_eq!(info["remain_sub_meetings"], 1);
    assert_eq!(info["has_more_sub_meeting"], 0);
    assert_eq!(info["sub_meetings"][1]["sub_meeting_id"], "1700086400");
    assert!(info["start_time"].is_string() && info["end_time"].is_string());
}

#[tokio::test]
async fn unknown_is_9003_and_bad_queries_190004() {
    let sim = sim().await;
    let client = client(&sim, enterprise(&sim));
    let result = client
        .get_meeting("123456789")
        .operator(Operator::user_id(ALICE))
        .instance(Instance::Pc)
        .send()
        .await;
    assert_eq!(api_code(result), codes::MEETING_NOT_FOUND);
    let id = create(&sim, MeetingSpec::new(ALICE));
    for query in [
        "?userid=alice",
        "?instanceid=1",
        "?userid=alice&instanceid=99",
        "?userid=alice&instanceid=1&x=1",
    ] {
        let raw = signed(&sim, "GET", &format!("/v1/meetings/{id}{query}"), b"").await;
        assert_eq!(
            (raw.status, raw.code()),
            (400, codes::INVALID_PARAMETER),
            "{query}"
        );
    }
}

#[tokio::test]
async fn the_query_is_signed_exactly_as_sent() {
    let sim = sim().await;
    let id = create(&sim, MeetingSpec::new("a+b c"));
    // The wrapper percent-encodes the operator; the simulator verifies over the raw query.
    let client = client(&sim, enterprise(&sim));
    let m = client
        .get_meeting(&id)
        .operator(Operator::operator_user_id("a+b c"))
        .instance(Instance::Pc)
        .send()
        .await
        .expect("the raw query verifies");
    assert_eq!(m.meeting_id(), Some(id.as_str()));
    // Signed over a decoded form instead, it does not.
    let uri = format!("/v1/meetings/{id}?operator_id=a%2Bb%20c&operator_id_type=1&instanceid=1");
    let decoded = format!("/v1/meetings/{id}?operator_id=a+b c&operator_id_type=1&instanceid=1");
    let headers = signed_headers(
        sim.credentials(),
        "GET",
        &decoded,
        b"",
        now_secs(),
        rand_nonce(),
    );
    let raw = send_raw(&sim, "GET", &uri, &headers, b"").await;
    assert_eq!(raw.code(), codes::SIGNATURE);
    let headers = signed_headers(
        sim.credentials(),
        "GET",
        &uri,
        b"",
        now_secs(),
        rand_nonce(),
    );
    assert_eq!(send_raw(&sim, "GET", &uri, &headers, b"").await.status, 200);
}

#[tokio::test]
async fn the_wrapper_refuses_a_sub_meeting_id_after_its_lookup() {
    let sim = sim().await;
    let master = create(
        &sim,
        MeetingSpec::new(ALICE).recurring(["1700000000", "1700086400"], 1),
    );
    let client = client(&sim, enterprise(&sim));
    let result = client
        .dismiss_meeting("1700086400")
        .operator(Operator::user_id(ALICE))
        .instance(Instance::Pc)
        .reason_code(1)
        .lookup()
        .send()
        .await;
    match result {
        Err(Error::Refused(Refusal::SubMeetingId {
            given, master_id, ..
        })) => {
            assert_eq!(given, "1700086400");
            assert_eq!(master_id.as_deref(), Some(master.as_str()));
        }
        other => panic!("expected a refusal naming the master, got {other:?}"),
    }
    let stats = sim.stats();
    assert_eq!(
        (stats.lookup_requests, stats.dismiss_requests),
        (1, 0),
        "no dismiss reached the simulator"
    );
    assert_eq!(view(&sim, &master).status, MeetingStatus::Started);
}

#[tokio::test]
async fn the_wrapper_applies_the_looked_up_kind() {
    let sim = sim().await;
    let client = client(&sim, enterprise(&sim));
    let quick = create(&sim, MeetingSpec::new(ALICE).quick());
    let done = client
        .dismiss_meeting(&quick)
        .operator(Operator::user_id(ALICE))
        .instance(Instance::Pc)
        .reason_code(1)
        .lookup()
        .send()
        .await
        .expect("dismissed");
    assert_eq!(done.kind(), Some(MeetingKind::Quick));
    assert!(done.retrieve_code_overridden());
    assert!(view(&sim, &quick).code_reclaimed);

    let ended = create(&sim, MeetingSpec::new(ALICE).status(MeetingStatus::Ended));
    let result = client
        .dismiss_meeting(&ended)
        .operator(Operator::user_id(ALICE))
        .instance(Instance::Pc)
        .reason_code(1)
        .lookup()
        .send()
        .await;
    assert!(
        matches!(result, Err(Error::Refused(Refusal::NotInProgress { .. }))),
        "{result:?}"
    );
    assert_eq!(
        sim.stats().dismiss_requests,
        1,
        "only the quick meeting's dismiss was sent"
    );
}
