//! Recurring meetings as the service runs them: a dismiss by the master ID ends the current
//! sub-meeting and leaves the later ones scheduled, and the look-up says so consistently.

use tencent_meeting::MeetingStatus;
use tencent_meeting::{Client, Dismissed, Error, Instance, Operator};
use tencent_meeting_sim::{MeetingSpec, SimError, Simulator, codes};

use crate::common::*;

async fn dismiss_master(
    client: &Client,
    id: &str,
    retrieve_code: bool,
) -> Result<Dismissed, Error> {
    let call = client
        .dismiss_meeting(id)
        .operator(Operator::user_id(ALICE))
        .instance(Instance::Pc)
        .reason_code(1);
    if retrieve_code {
        call.force_retrieve_code().send().await
    } else {
        call.send().await
    }
}

/// The IDs of the look-up's `sub_meetings`, in order.
fn listed(info: &serde_json::Value) -> Vec<String> {
    info["sub_meetings"]
        .as_array()
        .map(|subs| {
            subs.iter()
                .map(|s| s["sub_meeting_id"].as_str().unwrap_or_default().to_string())
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn each_dismiss_ends_one_sub_meeting_and_schedules_the_next() {
    let sim = sim().await;
    let client = client(&sim, enterprise(&sim));
    let master = create(
        &sim,
        MeetingSpec::new(ALICE).recurring(["1700000000", "1700086400", "1700172800"], 2),
    );
    let info = lookup_json(&sim, &master).await;
    assert_eq!(info["status"], "MEETING_STATE_STARTED");
    assert_eq!(info["current_sub_meeting_id"], "1700000000");
    assert_eq!(
        (
            info["remain_sub_meetings"].clone(),
            info["has_more_sub_meeting"].clone()
        ),
        (2.into(), 0.into())
    );
    assert_eq!(listed(&info), ["1700000000", "1700086400", "1700172800"]);

    dismiss_master(&client, &master, false)
        .await
        .expect("the first sub-meeting ends");
    let info = lookup_json(&sim, &master).await;
    assert_eq!(info["status"], "MEETING_STATE_INIT");
    assert_eq!(info["current_sub_meeting_id"], "1700086400");
    assert_eq!(info["remain_sub_meetings"], 1);
    assert_eq!(info["has_more_sub_meeting"], 0);
    assert_eq!(listed(&info), ["1700086400", "1700172800"]);
    assert!(
        info["sub_meetings"]
            .as_array()
            .is_some_and(|subs| subs.iter().all(|s| s["status"] == 0)),
        "{info}"
    );
    let m = view(&sim, &master);
    assert_eq!(m.past_sub_meetings.len(), 1);
    assert!(!m.code_reclaimed && !m.sub_meetings_blocked);

    // Not started yet: "not started" (9003), not "already ended".
    match dismiss_master(&client, &master, false).await {
        Err(Error::Api(e)) => {
            assert_eq!(e.code(), codes::NOT_STARTED);
            assert!(e.message().contains("1700086400"), "{e}");
        }
        other => panic!("expected 9003, got {other:?}"),
    }
    // Its host starts it; a dismiss ends it and the last one is next.
    sim.start_meeting(&master)
        .expect("the next sub-meeting starts");
    assert_eq!(
        lookup_json(&sim, &master).await["status"],
        "MEETING_STATE_STARTED"
    );
    dismiss_master(&client, &master, false)
        .await
        .expect("the second ends");
    let info = lookup_json(&sim, &master).await;
    assert_eq!(
        (
            info["status"].clone(),
            info["current_sub_meeting_id"].clone(),
            info["remain_sub_meetings"].clone()
        ),
        ("MEETING_STATE_INIT".into(), "1700172800".into(), 0.into())
    );
    assert_eq!(listed(&info), ["1700172800"]);

    // The last one: with none to come, reclaiming the code harms nothing, and the series ends.
    sim.start_meeting(&master)
        .expect("the last sub-meeting starts");
    dismiss_master(&client, &master, true)
        .await
        .expect("the last ends");
    let info = lookup_json(&sim, &master).await;
    assert_eq!(info["status"], "MEETING_STATE_ENDED");
    assert_eq!(info["remain_sub_meetings"], 0);
    assert_eq!(info["has_more_sub_meeting"], 0);
    assert!(info.get("current_sub_meeting_id").is_none(), "{info}");
    assert_eq!(listed(&info), Vec::<String>::new());
    let m = view(&sim, &master);
    assert_eq!((m.dismiss_count, m.past_sub_meetings.len()), (3, 3));
    assert!(m.code_reclaimed && !m.sub_meetings_blocked);
    assert_eq!(
        api_code(dismiss_master(&client, &master, false).await),
        codes::ALREADY_ENDED
    );
    assert!(matches!(
        sim.start_meeting(&master),
        Err(SimError::NotStartable {
            status: MeetingStatus::Ended,
            ..
        })
    ));
    // Every sub-meeting ID, held or not, stays a sub-meeting ID.
    assert_eq!(
        api_code(dismiss_master(&client, "1700000000", false).await),
        codes::MEETING_ID_ERROR
    );
}

#[tokio::test]
async fn reclaiming_the_code_blocks_the_later_sub_meetings() {
    let sim = sim().await;
    let client = client(&sim, enterprise(&sim));
    let master = create(
        &sim,
        MeetingSpec::new(ALICE).recurring(["1700000000", "1700086400", "1700172800"], 2),
    );
    dismiss_master(&client, &master, true)
        .await
        .expect("accepted, as the service does");
    // The code is gone: the meeting is recycled, the later sub-meetings still listed and
    // counted, but none can start and a dismiss finds it over.
    let info = lookup_json(&sim, &master).await;
    assert_eq!(info["status"], "MEETING_STATE_RECYCLED");
    assert_eq!(info["current_sub_meeting_id"], "1700086400");
    assert_eq!(info["remain_sub_meetings"], 1);
    assert_eq!(listed(&info), ["1700086400", "1700172800"]);
    let m = view(&sim, &master);
    assert!(m.code_reclaimed && m.sub_meetings_blocked);
    assert!(matches!(
        sim.start_meeting(&master),
        Err(SimError::NotStartable {
            status: MeetingStatus::Recycled,
            ..
        })
    ));
    assert_eq!(
        admin_post(&sim, &format!("/_sim/meetings/{master}/start"), "")
            .await
            .status,
        409
    );
    assert_eq!(
        api_code(dismiss_master(&client, &master, false).await),
        codes::ALREADY_ENDED
    );
    assert_eq!(view(&sim, &master).dismiss_count, 1);
}

#[tokio::test]
async fn sub_meetings_beyond_the_list_show_as_has_more() {
    let sim = sim().await;
    let client = client(&sim, enterprise(&sim));
    // Two listed, three to come after the current one: one is not listed.
    let master = create(
        &sim,
        MeetingSpec::new(ALICE).recurring(["1700000000", "1700086400"], 3),
    );
    let info = lookup_json(&sim, &master).await;
    assert_eq!(info["has_more_sub_meeting"], 1);
    assert_eq!(info["remain_sub_meetings"], 3);
    assert_eq!(listed(&info).len(), 2);
    // The listed ones are used up first; then the unlisted ones come into the list, one at a
    // time, with generated sub-meeting IDs (10 digits: a shorter ID space than meeting IDs).
    let mut seen = Vec::new();
    for (remaining, has_more) in [(2, 1), (1, 1), (0, 0)] {
        dismiss_master(&client, &master, false)
            .await
            .expect("ended");
        sim.start_meeting(&master).expect("started");
        let info = lookup_json(&sim, &master).await;
        assert_eq!(info["remain_sub_meetings"], remaining, "{info}");
        assert_eq!(info["has_more_sub_meeting"], has_more, "{info}");
        let next = listed(&info);
        assert_eq!(next.len(), 1, "{info}");
        assert_eq!(info["current_sub_meeting_id"], next[0].as_str());
        seen.push(next[0].clone());
    }
    assert_eq!(seen[0], "1700086400");
    for generated in &seen[1..] {
        assert!(generated.len() == 10 && generated != &master, "{seen:?}");
    }
    assert_ne!(seen[1], seen[2]);
}

#[tokio::test]
async fn the_count_can_be_left_out_of_the_look_up() {
    let sim = sim().await;
    let master = create(
        &sim,
        MeetingSpec::new(ALICE)
            .recurring(["1700000000", "1700086400"], 1)
            .without_remain_sub_meetings(),
    );
    let info = lookup_json(&sim, &master).await;
    assert!(info.get("remain_sub_meetings").is_none(), "{info}");
    // What a client must use instead is there and consistent.
    assert_eq!(info["has_more_sub_meeting"], 0);
    assert_eq!(info["current_sub_meeting_id"], "1700000000");
    assert_eq!(listed(&info), ["1700000000", "1700086400"]);
    // The simulator still knows the truth.
    assert_eq!(view(&sim, &master).remain_sub_meetings, 1);

    // Over the admin API too, with the count to come unsaid and some unlisted.
    let created = admin_post(
        &sim,
        "/_sim/meetings",
        r#"{"creator_userid":"alice","meeting_type":1,"omit_remain_sub_meetings":true,
            "sub_meetings":[{"sub_meeting_id":"1800000000"}],"remain_sub_meetings":4}"#,
    )
    .await;
    let id = created.json()["meeting_id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let info = lookup_json(&sim, &id).await;
    assert!(info.get("remain_sub_meetings").is_none(), "{info}");
    assert_eq!(info["has_more_sub_meeting"], 1);
}

#[tokio::test]
async fn inconsistent_recurring_specs_are_refused_naming_the_field() {
    let sim = sim().await;
    for (spec, field) in [
        (
            MeetingSpec::new(ALICE).recurring(["1", "2", "3"], 1),
            "remain_sub_meetings",
        ),
        (
            MeetingSpec::new(ALICE)
                .recurring(["1", "2"], 1)
                .current_sub_meeting("9"),
            "current_sub_meeting_id",
        ),
        (
            MeetingSpec::new(ALICE).recurring(["1"], 5_000),
            "remain_sub_meetings",
        ),
        (
            MeetingSpec::new(ALICE).without_remain_sub_meetings(),
            "recurring",
        ),
        (
            MeetingSpec::new(ALICE).creator_id_type(3),
            "creator_id_type",
        ),
    ] {
        match sim.create_meeting(spec) {
            Err(SimError::InvalidMeeting(m)) => assert!(m.contains(field), "{m}"),
            other => panic!("expected an invalid meeting naming {field}, got {other:?}"),
        }
    }
    // A current sub-meeting later in the list: those before it were held.
    let master = create(
        &sim,
        MeetingSpec::new(ALICE)
            .recurring(["11", "12", "13"], 1)
            .current_sub_meeting("12"),
    );
    let info = lookup_json(&sim, &master).await;
    assert_eq!(listed(&info), ["12", "13"]);
    assert_eq!(view(&sim, &master).past_sub_meetings.len(), 1);
}

#[tokio::test]
async fn a_scheduled_meeting_is_started_over_the_admin_api() {
    let sim: Simulator = sim().await;
    let id = create(&sim, MeetingSpec::new(ALICE).status(MeetingStatus::Init));
    let started = admin_post(&sim, &format!("/_sim/meetings/{id}/start"), "").await;
    assert_eq!(started.status, 200);
    assert_eq!(started.json()["status"], "MEETING_STATE_STARTED");
    let again = admin_post(&sim, &format!("/_sim/meetings/{id}/start"), "").await;
    assert_eq!(again.status, 409);
    assert!(
        again.json()["error"]
            .as_str()
            .is_some_and(|e| e.contains("MEETING_STATE_STARTED")),
        "{:?}",
        again.json()
    );
    assert_eq!(
        admin_post(&sim, "/_sim/meetings/1/start", "").await.status,
        404
    );
}
