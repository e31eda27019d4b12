//! Authentication in both modes: every credential error, the timestamp window and replays.

use std::sync::Arc;
use std::time::Duration;

use tencent_meeting::MeetingStatus;
use tencent_meeting::clock::{Clock, FixedClock, SystemClock};
use tencent_meeting::{Credentials, Operator, RetryPolicy};
use tencent_meeting_sim::{MeetingSpec, SimCredentials, Simulator, codes};

use crate::common::*;

#[tokio::test]
async fn a_wrong_secret_key_is_200003() {
    let sim = sim().await;
    let id = create(&sim, MeetingSpec::new(ALICE));
    let c = sim.credentials();
    let wrong =
        Credentials::enterprise(&c.app_id, &c.secret_id, "not-the-secret-key").expect("valid");
    let result = dismiss_as(&client(&sim, wrong), &id, Operator::user_id(ALICE)).await;
    assert_eq!(api_code(result), codes::SIGNATURE);
    assert_eq!(view(&sim, &id).status, MeetingStatus::Started);
}

#[tokio::test]
async fn unknown_app_id_or_secret_id_is_190303() {
    let sim = sim().await;
    let id = create(&sim, MeetingSpec::new(ALICE));
    let c = sim.credentials();
    for creds in [
        Credentials::enterprise("999999999", &c.secret_id, &c.secret_key),
        Credentials::enterprise(&c.app_id, "AKIDunknown", &c.secret_key),
    ] {
        let result = dismiss_as(
            &client(&sim, creds.expect("valid")),
            &id,
            Operator::user_id(ALICE),
        )
        .await;
        assert_eq!(api_code(result), codes::CREDENTIALS);
    }
}

#[tokio::test]
async fn the_sdk_id_must_be_exactly_the_configured_one() {
    let with_sdk = start(Simulator::builder().sdk_id(Some("200000002".into()))).await;
    let id = create(&with_sdk, MeetingSpec::new(ALICE));
    let c = with_sdk.credentials().clone();
    let base = || Credentials::enterprise(&c.app_id, &c.secret_id, &c.secret_key).expect("valid");
    let wrong = base().with_sdk_id("200000003").expect("valid");
    assert_eq!(
        api_code(dismiss_as(&client(&with_sdk, wrong), &id, Operator::user_id(ALICE)).await),
        codes::CREDENTIALS
    );
    assert_eq!(
        api_code(dismiss_as(&client(&with_sdk, base()), &id, Operator::user_id(ALICE)).await),
        codes::CREDENTIALS
    );
    let right = base().with_sdk_id("200000002").expect("valid");
    dismiss_as(&client(&with_sdk, right), &id, Operator::user_id(ALICE))
        .await
        .expect("dismissed");

    // Without a configured SdkId, any SdkId sent is wrong.
    let without = sim().await;
    let id = create(&without, MeetingSpec::new(ALICE));
    let sent = enterprise(&without)
        .with_sdk_id("200000002")
        .expect("valid");
    assert_eq!(
        api_code(dismiss_as(&client(&without, sent), &id, Operator::user_id(ALICE)).await),
        codes::CREDENTIALS
    );
}

#[tokio::test]
async fn bad_oauth_credentials_are_190303() {
    let sim = sim().await;
    let id = create(
        &sim,
        MeetingSpec::new(tencent_meeting_sim::DEMO_OPEN_ID).created_via_oauth(),
    );
    let unknown_token =
        Credentials::oauth2("not-a-token", tencent_meeting_sim::DEMO_OPEN_ID).expect("valid");
    let result = dismiss_as(
        &client(&sim, unknown_token),
        &id,
        Operator::open_id(tencent_meeting_sim::DEMO_OPEN_ID),
    )
    .await;
    assert_eq!(api_code(result), codes::CREDENTIALS);
    let wrong_open_id =
        Credentials::oauth2(tencent_meeting_sim::DEMO_ACCESS_TOKEN, "someone-else").expect("valid");
    let result = dismiss_as(
        &client(&sim, wrong_open_id),
        &id,
        Operator::open_id("someone-else"),
    )
    .await;
    assert_eq!(api_code(result), codes::CREDENTIALS);
    assert_eq!(view(&sim, &id).status, MeetingStatus::Started);
}

#[tokio::test]
async fn oauth_callers_dismiss_only_oauth_meetings_as_themselves() {
    let sim = sim().await;
    let open_id = tencent_meeting_sim::DEMO_OPEN_ID;
    let client = client(&sim, oauth());
    // Their own OAuth meeting: as operator_id type 2 (the default) and as userid.
    let mine = create(&sim, MeetingSpec::new(open_id).created_via_oauth());
    client
        .dismiss_meeting(&mine)
        .instance(tencent_meeting::Instance::Web)
        .reason_code(1)
        .send()
        .await
        .expect("dismissed");
    let m = view(&sim, &mine);
    assert_eq!(m.status, MeetingStatus::Ended);
    assert!(
        m.last_dismiss
            .is_some_and(|d| d.via_oauth && d.operator_id_type == Some(2))
    );
    let mine_too = create(&sim, MeetingSpec::new(open_id).created_via_oauth());
    dismiss_as(&client, &mine_too, Operator::user_id(open_id))
        .await
        .expect("dismissed");

    // A meeting created with enterprise credentials, even by the same identity: 9042.
    let enterprise_made = create(&sim, MeetingSpec::new(open_id));
    let result = dismiss_as(&client, &enterprise_made, Operator::open_id(open_id)).await;
    assert_eq!(api_code(result), codes::NO_PERMISSION);

    // Acting as someone else (sent raw: the wrapper refuses it before sending).
    let theirs = create(&sim, MeetingSpec::new(ALICE).created_via_oauth());
    let body = br#"{"userid":"alice","instanceid":1,"reason_code":1}"#;
    let headers = vec![
        (
            "AccessToken",
            tencent_meeting_sim::DEMO_ACCESS_TOKEN.to_string(),
        ),
        ("OpenId", open_id.to_string()),
        ("X-TC-Timestamp", now_secs().to_string()),
        ("X-TC-Nonce", rand_nonce().to_string()),
        ("Content-Type", "application/json".to_string()),
    ];
    let raw = send_raw(
        &sim,
        "POST",
        &format!("/v1/meetings/{theirs}/dismiss"),
        &headers,
        body,
    )
    .await;
    assert_eq!((raw.status, raw.code()), (400, codes::NO_PERMISSION));
    assert_eq!(view(&sim, &theirs).status, MeetingStatus::Started);
}

#[tokio::test]
async fn a_skewed_client_clock_is_190300() {
    let sim = sim().await;
    let id = create(&sim, MeetingSpec::new(ALICE));
    let now = SystemClock.now_unix_millis();
    for skewed in [now - 10 * 60_000, now + 10 * 60_000] {
        let client = client_with(
            &sim,
            enterprise(&sim),
            Arc::new(FixedClock(skewed)),
            RetryPolicy::none(),
            Duration::from_secs(10),
        );
        let result = dismiss_as(&client, &id, Operator::user_id(ALICE)).await;
        assert_eq!(api_code(result), codes::TIMESTAMP_SKEW);
    }
    // OAuth2.0 requests carry a timestamp too.
    let oauth_meeting = create(
        &sim,
        MeetingSpec::new(tencent_meeting_sim::DEMO_OPEN_ID).created_via_oauth(),
    );
    let client = client_with(
        &sim,
        oauth(),
        Arc::new(FixedClock(now - 10 * 60_000)),
        RetryPolicy::none(),
        Duration::from_secs(10),
    );
    let result = client
        .dismiss_meeting(&oauth_meeting)
        .instance(tencent_meeting::Instance::Pc)
        .reason_code(1)
        .send()
        .await;
    assert_eq!(api_code(result), codes::TIMESTAMP_SKEW);
}

#[tokio::test]
async fn the_simulator_clock_is_injectable() {
    // Both clocks pinned at the same instant long ago: accepted, since they agree.
    let instant = 1_500_000_000_000;
    let sim = start(Simulator::builder().clock(Arc::new(FixedClock(instant)))).await;
    let id = create(&sim, MeetingSpec::new(ALICE));
    assert_eq!(view(&sim, &id).start_time, "1500000000");
    let pinned = client_with(
        &sim,
        enterprise(&sim),
        Arc::new(FixedClock(instant + 299_000)),
        RetryPolicy::none(),
        Duration::from_secs(10),
    );
    dismiss_as(&pinned, &id, Operator::user_id(ALICE))
        .await
        .expect("within the window");
    // The real clock is far off the simulator's.
    let other = create(&sim, MeetingSpec::new(ALICE));
    let result = dismiss_as(
        &client(&sim, enterprise(&sim)),
        &other,
        Operator::user_id(ALICE),
    )
    .await;
    assert_eq!(api_code(result), codes::TIMESTAMP_SKEW);
}

#[tokio::test]
async fn the_same_signed_request_twice_is_a_replay_190301() {
    let sim = sim().await;
    let id = create(&sim, MeetingSpec::new(ALICE));
    let other = create(&sim, MeetingSpec::new(ALICE));
    let body = br#"{"userid":"alice","instanceid":1,"reason_code":1}"#;
    let uri = format!("/v1/meetings/{id}/dismiss");
    let (ts, nonce) = (now_secs(), rand_nonce());
    let headers = signed_headers(sim.credentials(), "POST", &uri, body, ts, nonce);
    let first = send_raw(&sim, "POST", &uri, &headers, body).await;
    assert_eq!(first.status, 200);
    let second = send_raw(&sim, "POST", &uri, &headers, body).await;
    assert_eq!((second.status, second.code()), (400, codes::REPLAY));
    // The same timestamp and nonce on another, validly signed request is a replay too; a fresh
    // nonce is fine.
    let uri2 = format!("/v1/meetings/{other}/dismiss");
    let reused = signed_headers(sim.credentials(), "POST", &uri2, body, ts, nonce);
    assert_eq!(
        send_raw(&sim, "POST", &uri2, &reused, body).await.code(),
        codes::REPLAY
    );
    let fresh = signed_headers(sim.credentials(), "POST", &uri2, body, ts, rand_nonce());
    assert_eq!(
        send_raw(&sim, "POST", &uri2, &fresh, body).await.status,
        200
    );
    assert_eq!(view(&sim, &id).dismiss_count, 1);
    assert_eq!(sim.stats().errors_by_code.get(&codes::REPLAY), Some(&2));
}

#[tokio::test]
async fn missing_or_malformed_auth_headers_are_refused() {
    let sim = sim().await;
    let id = create(&sim, MeetingSpec::new(ALICE));
    let uri = format!("/v1/meetings/{id}/dismiss");
    let body = br#"{"userid":"alice","instanceid":1,"reason_code":1}"#;
    let full = signed_headers(
        sim.credentials(),
        "POST",
        &uri,
        body,
        now_secs(),
        rand_nonce(),
    );
    let without = |name: &str| -> Vec<(&'static str, String)> {
        full.iter().filter(|(n, _)| *n != name).cloned().collect()
    };
    for (headers, code) in [
        (Vec::new(), codes::CREDENTIALS),
        (without("AppId"), codes::CREDENTIALS),
        (without("X-TC-Key"), codes::CREDENTIALS),
        (without("X-TC-Signature"), codes::SIGNATURE),
        (without("X-TC-Timestamp"), codes::INVALID_PARAMETER),
        (without("X-TC-Nonce"), codes::INVALID_PARAMETER),
    ] {
        let raw = send_raw(&sim, "POST", &uri, &headers, body).await;
        assert_eq!((raw.status, raw.code()), (400, code), "{headers:?}");
    }
    let mut bad_ts = without("X-TC-Timestamp");
    bad_ts.push(("X-TC-Timestamp", "yesterday".to_string()));
    let raw = send_raw(&sim, "POST", &uri, &bad_ts, body).await;
    assert_eq!(raw.code(), codes::INVALID_PARAMETER);
    assert!(
        raw.json()["error_info"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("X-TC-Timestamp")
    );
    assert_eq!(view(&sim, &id).status, MeetingStatus::Started);
}

#[tokio::test]
async fn configured_credentials_replace_the_demo_ones() {
    let creds = SimCredentials::enterprise("300000001", "AKIDother", "other-key")
        .with_oauth_token("tok", "oid");
    let sim = start(Simulator::builder().credentials(creds.clone())).await;
    let id = create(&sim, MeetingSpec::new(ALICE));
    let demo = Credentials::enterprise(
        tencent_meeting_sim::DEMO_APP_ID,
        tencent_meeting_sim::DEMO_SECRET_ID,
        tencent_meeting_sim::DEMO_SECRET_KEY,
    )
    .expect("valid");
    assert_eq!(
        api_code(dismiss_as(&client(&sim, demo), &id, Operator::user_id(ALICE)).await),
        codes::CREDENTIALS
    );
    let mine = Credentials::enterprise("300000001", "AKIDother", "other-key").expect("valid");
    dismiss_as(&client(&sim, mine), &id, Operator::user_id(ALICE))
        .await
        .expect("dismissed");
    assert_eq!(sim.credentials(), &creds);
}
