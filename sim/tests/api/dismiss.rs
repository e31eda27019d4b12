//! The dismiss endpoint's rules, through the wrapper and raw requests.

use tencent_meeting::MeetingStatus;
use tencent_meeting::{Error, Evidence, Instance, MeetingKind, Operator, Refusal};
use tencent_meeting_sim::{MeetingSpec, Simulator, codes};

use crate::common::*;

#[tokio::test]
async fn success_answers_an_empty_body_and_ends_the_meeting() {
    let sim = sim().await;
    let id = create(&sim, MeetingSpec::new(ALICE));
    let client = client(&sim, enterprise(&sim));
    let done = client
        .dismiss_meeting(&id)
        .operator(Operator::user_id(ALICE))
        .instance(Instance::Mac)
        .reason_code(3)
        .reason_detail("结束会议")
        .send()
        .await
        .expect("dismissed");
    assert!(
        matches!(done.evidence(), Evidence::Answered { status: 200, .. }),
        "{:?}",
        done.evidence()
    );
    assert_eq!(done.attempts(), 1);
    assert!(
        done.trace_id().is_some_and(|t| t.starts_with("sim-")),
        "{:?}",
        done.trace_id()
    );
    let m = view(&sim, &id);
    assert_eq!(m.status, MeetingStatus::Ended);
    assert_eq!(m.dismiss_count, 1);
    assert!(!m.code_reclaimed);
    let record = m.last_dismiss.expect("recorded");
    assert_eq!((record.instanceid, record.reason_code), (2, 3));
    assert_eq!(record.reason_detail.as_deref(), Some("结束会议"));
    assert_eq!((record.force_dismiss_meeting, record.retrieve_code), (1, 0));

    // The raw answer: HTTP 200, an empty body, a trace id.
    let other = create(&sim, MeetingSpec::new(ALICE));
    let raw = signed(
        &sim,
        "POST",
        &format!("/v1/meetings/{other}/dismiss"),
        br#"{"userid":"alice","instanceid":1,"reason_code":1}"#,
    )
    .await;
    assert_eq!(raw.status, 200);
    assert!(raw.body.is_empty(), "{:?}", raw.body);
    assert!(!raw.trace().is_empty());
    assert_eq!(sim.stats().dismissals, 2);
}

#[tokio::test]
async fn the_switch_answers_an_empty_object() {
    let sim = start(Simulator::builder().empty_object_success(true)).await;
    let id = create(&sim, MeetingSpec::new(ALICE));
    let client = client(&sim, enterprise(&sim));
    dismiss_as(&client, &id, Operator::user_id(ALICE))
        .await
        .expect("dismissed");
    let other = create(&sim, MeetingSpec::new(ALICE));
    let raw = signed(
        &sim,
        "POST",
        &format!("/v1/meetings/{other}/dismiss"),
        br#"{"operator_id":"alice","operator_id_type":1,"instanceid":1,"reason_code":1}"#,
    )
    .await;
    assert_eq!((raw.status, raw.body.as_slice()), (200, &b"{}"[..]));
    assert_eq!(view(&sim, &other).status, MeetingStatus::Ended);
}

#[tokio::test]
async fn the_operator_id_form_works_too() {
    let sim = sim().await;
    let id = create(&sim, MeetingSpec::new(ALICE));
    let client = client(&sim, enterprise(&sim));
    dismiss_as(&client, &id, Operator::operator_user_id(ALICE))
        .await
        .expect("dismissed");
    let record = view(&sim, &id).last_dismiss.expect("recorded");
    assert_eq!(record.operator_id_type, Some(1));
}

#[tokio::test]
async fn unknown_meeting_is_9003() {
    let sim = sim().await;
    let client = client(&sim, enterprise(&sim));
    let result = dismiss_as(&client, "15434747088712431484", Operator::user_id(ALICE)).await;
    assert_eq!(api_code(result), codes::MEETING_NOT_FOUND);
    assert_eq!(
        sim.stats().errors_by_code.get(&codes::MEETING_NOT_FOUND),
        Some(&1)
    );
}

#[tokio::test]
async fn only_the_creator_may_dismiss_9042() {
    let sim = sim().await;
    let id = create(&sim, MeetingSpec::new(ALICE));
    let client = client(&sim, enterprise(&sim));
    let result = dismiss_as(&client, &id, Operator::user_id("mallory")).await;
    match result {
        Err(Error::Api(e)) => {
            assert_eq!(
                (e.status(), e.code(), e.new_code()),
                (400, codes::NO_PERMISSION, Some(codes::NO_PERMISSION))
            );
            assert!(e.message().contains("creator"), "{e}");
            assert!(e.trace_id().is_some());
        }
        other => panic!("expected 9042, got {other:?}"),
    }
    assert_eq!(view(&sim, &id).status, MeetingStatus::Started);
}

#[tokio::test]
async fn a_sub_meeting_id_is_refused_naming_the_master_9002() {
    let sim = sim().await;
    let master = create(
        &sim,
        MeetingSpec::new(ALICE).recurring(["1700000000", "1700086400"], 1),
    );
    let client = client(&sim, enterprise(&sim));
    // Without .lookup() or .kind() the wrapper sends it; the simulator refuses.
    let result = dismiss_as(&client, "1700086400", Operator::user_id(ALICE)).await;
    match result {
        Err(Error::Api(e)) => {
            assert_eq!(e.code(), codes::MEETING_ID_ERROR);
            assert!(e.message().contains(&master), "{e}");
        }
        other => panic!("expected 9002, got {other:?}"),
    }
    assert_eq!(view(&sim, &master).status, MeetingStatus::Started);
}

#[tokio::test]
async fn a_meeting_not_started_answers_otherwise_than_one_ended() {
    let sim = sim().await;
    let client = client(&sim, enterprise(&sim));
    let cancelled = create(
        &sim,
        MeetingSpec::new(ALICE).status(MeetingStatus::Cancelled),
    );
    let result = dismiss_as(&client, &cancelled, Operator::user_id(ALICE)).await;
    assert_eq!(api_code(result), codes::MEETING_CANCELLED);
    // Over: ended, or its code reclaimed. "Already ended".
    for status in [MeetingStatus::Ended, MeetingStatus::Recycled] {
        let id = create(&sim, MeetingSpec::new(ALICE).status(status.clone()));
        let result = dismiss_as(&client, &id, Operator::user_id(ALICE)).await;
        assert_eq!(api_code(result), codes::ALREADY_ENDED, "{status}");
    }
    // Not started (or never): 9003, whose message says why; never "already ended", which a
    // client could take for done.
    for (status, says) in [
        (MeetingStatus::Init, "has not started"),
        (MeetingStatus::Null, "never started"),
        (MeetingStatus::Invalid, "not a valid meeting"),
    ] {
        let id = create(&sim, MeetingSpec::new(ALICE).status(status.clone()));
        match dismiss_as(&client, &id, Operator::user_id(ALICE)).await {
            Err(Error::Api(e)) => {
                assert_eq!(
                    (e.status(), e.code()),
                    (400, codes::NOT_STARTED),
                    "{status}"
                );
                let message = e.message();
                assert!(message.contains(says), "{status}: {message}");
                assert!(message.contains(status.as_str()), "{message}");
            }
            other => panic!("expected 9003 for {status}, got {other:?}"),
        }
        let m = view(&sim, &id);
        assert_eq!((m.status, m.dismiss_count), (status, 0));
    }
    // Once started, the scheduled one can be dismissed.
    let scheduled = create(&sim, MeetingSpec::new(ALICE).status(MeetingStatus::Init));
    let started = sim
        .start_meeting(&scheduled)
        .expect("a scheduled meeting starts");
    assert_eq!(started.status, MeetingStatus::Started);
    dismiss_as(&client, &scheduled, Operator::user_id(ALICE))
        .await
        .expect("dismissed once started");
}

#[tokio::test]
async fn operator_id_types_are_different_users() {
    let sim = sim().await;
    let client = client(&sim, enterprise(&sim));
    let by_userid = create(&sim, MeetingSpec::new(ALICE));
    let by_open_id = create(&sim, MeetingSpec::new(ALICE).creator_id_type(2));
    let by_ms_open_id = create(&sim, MeetingSpec::new(ALICE).creator_id_type(4));
    let as_open_id = Operator::open_id(ALICE);
    let as_ms_open_id = Operator::ms_open_id(ALICE);
    // Same ID, another kind of user: refused, naming both kinds.
    for (id, operator, operator_kind, creator_kind) in [
        (&by_userid, as_open_id.clone(), "an open_id", "a userid"),
        (
            &by_userid,
            as_ms_open_id.clone(),
            "an ms_open_id",
            "a userid",
        ),
        (
            &by_open_id,
            Operator::user_id(ALICE),
            "a userid",
            "an open_id",
        ),
        (
            &by_open_id,
            Operator::operator_user_id(ALICE),
            "a userid",
            "an open_id",
        ),
        (
            &by_open_id,
            as_ms_open_id.clone(),
            "an ms_open_id",
            "an open_id",
        ),
        (
            &by_ms_open_id,
            as_open_id.clone(),
            "an open_id",
            "an ms_open_id",
        ),
    ] {
        match dismiss_as(&client, id, operator).await {
            Err(Error::Api(e)) => {
                let message = e.message();
                assert_eq!(e.code(), codes::NO_PERMISSION);
                assert!(
                    message.contains(operator_kind) && message.contains(creator_kind),
                    "{message}"
                );
            }
            other => panic!("expected 9042, got {other:?}"),
        }
        assert_eq!(view(&sim, id).dismiss_count, 0);
    }
    // The same kind and ID: accepted.
    dismiss_as(&client, &by_userid, Operator::operator_user_id(ALICE))
        .await
        .expect("the userid");
    dismiss_as(&client, &by_open_id, as_open_id)
        .await
        .expect("the open_id");
    dismiss_as(&client, &by_ms_open_id, as_ms_open_id)
        .await
        .expect("the ms_open_id");
    let record = view(&sim, &by_open_id).last_dismiss.expect("recorded");
    assert_eq!(record.operator_id_type, Some(2));
}

#[tokio::test]
async fn a_second_dismiss_finds_the_meeting_ended() {
    let sim = sim().await;
    let id = create(&sim, MeetingSpec::new(ALICE));
    let client = client(&sim, enterprise(&sim));
    dismiss_as(&client, &id, Operator::user_id(ALICE))
        .await
        .expect("dismissed");
    let again = dismiss_as(&client, &id, Operator::user_id(ALICE)).await;
    assert_eq!(api_code(again), codes::ALREADY_ENDED);
    assert_eq!(view(&sim, &id).dismiss_count, 1);
}

#[tokio::test]
async fn a_quick_meeting_always_reclaims_its_code() {
    let sim = sim().await;
    let id = create(&sim, MeetingSpec::new(ALICE).quick());
    // Sent raw with retrieve_code 0: the service reclaims a quick meeting's code anyway.
    let raw = signed(
        &sim,
        "POST",
        &format!("/v1/meetings/{id}/dismiss"),
        br#"{"userid":"alice","instanceid":1,"reason_code":1,"retrieve_code":0}"#,
    )
    .await;
    assert_eq!(raw.status, 200, "{:?}", String::from_utf8_lossy(&raw.body));
    let m = view(&sim, &id);
    assert!(m.code_reclaimed);
    assert_eq!(m.last_dismiss.map(|d| d.retrieve_code), Some(0));

    // The wrapper, told the kind, sends retrieve_code 1 itself.
    let other = create(&sim, MeetingSpec::new(ALICE).quick());
    let client = client(&sim, enterprise(&sim));
    let done = client
        .dismiss_meeting(&other)
        .operator(Operator::user_id(ALICE))
        .instance(Instance::Pc)
        .reason_code(1)
        .kind(MeetingKind::Quick)
        .send()
        .await
        .expect("dismissed");
    assert!(done.retrieve_code() && done.retrieve_code_overridden());
    assert_eq!(
        view(&sim, &other).last_dismiss.map(|d| d.retrieve_code),
        Some(1)
    );
}

#[tokio::test]
async fn a_recurring_meeting_by_master_id_with_retrieve_code_0_keeps_its_code() {
    let sim = sim().await;
    let master = create(
        &sim,
        MeetingSpec::new(ALICE).recurring(["1700000000", "1700086400"], 1),
    );
    let client = client(&sim, enterprise(&sim));
    client
        .dismiss_meeting(&master)
        .operator(Operator::user_id(ALICE))
        .instance(Instance::Pc)
        .reason_code(1)
        .lookup()
        .send()
        .await
        .expect("dismissed");
    // The current sub-meeting ended; the next one is scheduled (see recurring.rs).
    let m = view(&sim, &master);
    assert_eq!(m.status, MeetingStatus::Init);
    assert_eq!(m.current_sub_meeting_id.as_deref(), Some("1700086400"));
    assert!(!m.code_reclaimed && !m.sub_meetings_blocked);
}

#[tokio::test]
async fn reclaiming_a_recurring_meetings_code_blocks_its_sub_meetings() {
    let sim = sim().await;
    let client = client(&sim, enterprise(&sim));
    // The wrapper refuses it after a look-up, and nothing is dismissed.
    let master = create(
        &sim,
        MeetingSpec::new(ALICE).recurring(["1700000000", "1700086400"], 1),
    );
    let refused = client
        .dismiss_meeting(&master)
        .operator(Operator::user_id(ALICE))
        .instance(Instance::Pc)
        .reason_code(1)
        .retrieve_code(true)
        .lookup()
        .send()
        .await;
    assert!(
        matches!(
            refused,
            Err(Error::Refused(Refusal::SubMeetingsRemain {
                remaining: Some(1),
                ..
            }))
        ),
        "{refused:?}"
    );
    assert_eq!(sim.stats().dismiss_requests, 0);
    // Forced through, the simulator does what the service does: accepts, and the damage shows.
    client
        .dismiss_meeting(&master)
        .operator(Operator::user_id(ALICE))
        .instance(Instance::Pc)
        .reason_code(1)
        .force_retrieve_code()
        .send()
        .await
        .expect("accepted, as the service does");
    let m = view(&sim, &master);
    assert!(m.code_reclaimed && m.sub_meetings_blocked);
    assert_eq!(m.status, MeetingStatus::Recycled);
}

#[tokio::test]
async fn invalid_bodies_are_190004_naming_the_field() {
    let sim = sim().await;
    let id = create(&sim, MeetingSpec::new(ALICE));
    let uri = format!("/v1/meetings/{id}/dismiss");
    for (body, field) in [
        (
            r#"{"userid":"alice","instanceid":11,"reason_code":1}"#,
            "instanceid",
        ),
        (r#"{"userid":"alice","instanceid":1}"#, "reason_code"),
        (
            r#"{"userid":"alice","instanceid":1,"reason_code":"1"}"#,
            "reason_code",
        ),
        (
            r#"{"userid":"alice","instanceid":1,"reason_code":1,"retrieve_code":2}"#,
            "retrieve_code",
        ),
        (
            r#"{"userid":"alice","instanceid":1,"reason_code":1,"force_dismiss_meeting":-1}"#,
            "force_dismiss_meeting",
        ),
        (
            r#"{"userid":"alice","operator_id":"alice","operator_id_type":1,"instanceid":1,"reason_code":1}"#,
            "userid",
        ),
        (
            r#"{"operator_id":"alice","operator_id_type":3,"instanceid":1,"reason_code":1}"#,
            "operator_id_type",
        ),
        (
            r#"{"userid":"alice","instanceid":1,"reason_code":1,"colour":"red"}"#,
            "colour",
        ),
        (
            r#"{"userid":"alice","instanceid":1,"reason_code":1"#,
            "body",
        ),
        ("", "body"),
    ] {
        let raw = signed(&sim, "POST", &uri, body.as_bytes()).await;
        assert_eq!(raw.status, 400, "{body}");
        assert_eq!(raw.code(), codes::INVALID_PARAMETER, "{body}");
        let message = raw.json()["error_info"]["message"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        assert!(message.contains(field), "{body}: {message}");
    }
    assert_eq!(view(&sim, &id).status, MeetingStatus::Started);
}

#[tokio::test]
async fn generated_ids_beyond_i64_work_end_to_end() {
    let sim = sim().await;
    let id = create(&sim, MeetingSpec::new(ALICE));
    assert!(
        id.parse::<i64>().is_err() && id.parse::<u64>().is_ok(),
        "{id}"
    );
    let client = client(&sim, enterprise(&sim));
    dismiss_as(&client, &id, Operator::user_id(ALICE))
        .await
        .expect("dismissed");
}
