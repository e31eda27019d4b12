//! The admin API, seeding, shutdown, and requests that must never hurt the server.

use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::time::Duration;

use tencent_meeting::MeetingStatus;
use tencent_meeting::Operator;
use tencent_meeting_sim::{MeetingSpec, MeetingView, SimError, Simulator, Stats, codes};

use crate::common::*;

/// The README documents the admin JSON (the crate's page on crates.io): what it shows is what the
/// simulator takes, so nobody learns the field names from 400s.
#[tokio::test]
async fn the_readme_s_admin_json_creates_the_meetings_it_describes() {
    let readme = include_str!("../../README.md");
    let json = readme
        .split("```json\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("sim/README.md shows the admin API's meeting JSON");
    let sim = sim().await;
    let created = admin_post(&sim, "/_sim/meetings", json).await;
    assert_eq!(
        created.status,
        200,
        "{}",
        String::from_utf8_lossy(&created.body)
    );
    let ids: Vec<String> = created.json()["meeting_ids"]
        .as_array()
        .expect("meeting_ids")
        .iter()
        .map(|id| id.as_str().unwrap_or_default().to_string())
        .collect();
    let views: Vec<MeetingView> = ids.iter().map(|id| view(&sim, id)).collect();
    assert_eq!(views.len(), 5);
    assert!(!views[0].is_quick() && !views[0].is_recurring());
    assert!(views[1].is_quick(), "\"type\": 1 is a quick meeting");
    assert!(views[2].is_recurring(), "\"meeting_type\": 1 is recurring");
    assert_eq!(views[3].status, MeetingStatus::Init);
    assert_eq!(views[4].creator_id_type, 2);
    // The name a Rust user would guess is refused, and the error lists the right one.
    let guessed = admin_post(
        &sim,
        "/_sim/meetings",
        r#"{"creator_userid": "alice", "meeting_kind": 1}"#,
    )
    .await;
    assert_eq!(guessed.status, 400);
    let error = guessed.json()["error"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(
        error.contains("meeting_kind") && error.contains("`type`"),
        "{error}"
    );
}

#[tokio::test]
async fn meetings_are_created_and_read_over_http() {
    let sim = sim().await;
    let created = admin_post(
        &sim,
        "/_sim/meetings",
        r#"{"creator_userid":"alice","type":1,"subject":"Stand-up","created_via_oauth":false}"#,
    )
    .await;
    assert_eq!(created.status, 200);
    let id = created.json()["meeting_id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(
        matches!(id.len(), 19 | 20) && id.parse::<i64>().is_err(),
        "{id}"
    );
    let got = admin_get(&sim, &format!("/_sim/meetings/{id}")).await;
    assert_eq!(got.status, 200);
    assert!(!got.trace().is_empty());
    let m: MeetingView = serde_json::from_slice(&got.body).expect("a MeetingView");
    assert!(m.is_quick());
    assert_eq!(
        (m.subject.as_str(), m.status, m.dismiss_count),
        ("Stand-up", MeetingStatus::Started, 0)
    );
    let json = got.json();
    // The client crate's MeetingStatus, spelled as the service spells it.
    assert_eq!(json["status"], "MEETING_STATE_STARTED");
    for field in [
        "meeting_code",
        "type",
        "meeting_type",
        "start_time",
        "end_time",
        "code_reclaimed",
        "sub_meetings_blocked",
        "dismiss_count",
    ] {
        assert!(!json[field].is_null(), "{field} in {json}");
    }

    let recurring = admin_post(
        &sim,
        "/_sim/meetings",
        r#"{"meeting_id":"15434747088712431484","creator_userid":"bob","meeting_type":1,
            "sub_meetings":[{"sub_meeting_id":"1700000000","status":0,"start_time":"1700000000","end_time":"1700003600"}],
            "remain_sub_meetings":3,"current_sub_meeting_id":"1700000000","status":"MEETING_STATE_STARTED"}"#,
    )
    .await;
    assert_eq!(recurring.json()["meeting_id"], "15434747088712431484");
    let many = admin_post(
        &sim,
        "/_sim/meetings",
        r#"[{"creator_userid":"a"},{"creator_userid":"b"}]"#,
    )
    .await;
    assert_eq!(many.json()["meeting_ids"].as_array().map(Vec::len), Some(2));
    let all = admin_get(&sim, "/_sim/meetings").await.json();
    assert_eq!(all.as_array().map(Vec::len), Some(4));

    assert_eq!(
        admin_post(
            &sim,
            "/_sim/meetings",
            r#"{"meeting_id":"15434747088712431484","creator_userid":"x"}"#
        )
        .await
        .status,
        409
    );
    assert_eq!(
        admin_post(
            &sim,
            "/_sim/meetings",
            r#"{"meeting_id":"1700000000","creator_userid":"x"}"#
        )
        .await
        .status,
        409
    );
    for bad in [
        r#"{"subject":"no creator"}"#,
        r#"{"creator_userid":"a","colour":1}"#,
        r#"{"creator_userid":"a","status":"RUNNING"}"#,
        "{",
        r#"{"creator_userid":"a","meeting_id":"x1"}"#,
    ] {
        let raw = admin_post(&sim, "/_sim/meetings", bad).await;
        assert_eq!(raw.status, 400, "{bad}");
        assert!(raw.json()["error"].is_string(), "{bad}");
    }
    assert_eq!(admin_get(&sim, "/_sim/meetings/1").await.status, 404);
    assert_eq!(admin_get(&sim, "/_sim/nothing").await.status, 404);
    assert_eq!(
        send_raw(&sim, "DELETE", "/_sim/stats", &[], b"")
            .await
            .status,
        405
    );
    // Admin requests are not counted.
    assert_eq!(sim.stats().requests, 0);
}

#[tokio::test]
async fn stats_count_requests_dismissals_and_errors() {
    let sim = sim().await;
    let id = create(&sim, MeetingSpec::new(ALICE));
    let client = client(&sim, enterprise(&sim));
    dismiss_as(&client, &id, Operator::user_id(ALICE))
        .await
        .expect("dismissed");
    let _ = dismiss_as(&client, &id, Operator::user_id(ALICE)).await;
    let _ = dismiss_as(&client, "1", Operator::user_id(ALICE)).await;
    let stats: Stats =
        serde_json::from_slice(&admin_get(&sim, "/_sim/stats").await.body).expect("Stats");
    assert_eq!(stats, sim.stats());
    assert_eq!(
        (
            stats.requests,
            stats.dismiss_requests,
            stats.lookup_requests,
            stats.dismissals
        ),
        (3, 3, 0, 1)
    );
    assert_eq!(stats.errors_by_code.get(&codes::ALREADY_ENDED), Some(&1));
    assert_eq!(
        stats.errors_by_code.get(&codes::MEETING_NOT_FOUND),
        Some(&1)
    );
}

#[tokio::test]
async fn seeds_from_a_file_and_a_list() {
    let path = std::env::temp_dir().join(format!(
        "tm-sim-seed-{}-{}.json",
        std::process::id(),
        rand_nonce()
    ));
    std::fs::write(
        &path,
        r#"[{"meeting_id":"7567173273889276131","creator_userid":"test1"},
            {"meeting_id":"15434747088712431484","creator_userid":"bob","meeting_type":1,"remain_sub_meetings":2,
             "sub_meetings":[{"sub_meeting_id":"1700000000"}]}]"#,
    )
    .expect("the seed file is written");
    let sim = start(
        Simulator::builder()
            .seed_file(&path)
            .seed(vec![MeetingSpec::new("carol").id("42")]),
    )
    .await;
    let _ = std::fs::remove_file(&path);
    assert_eq!(sim.meetings().len(), 3);
    assert_eq!(view(&sim, "7567173273889276131").creator_userid, "test1");
    assert_eq!(view(&sim, "15434747088712431484").remain_sub_meetings, 2);
    assert_eq!(view(&sim, "42").creator_userid, "carol");
    dismiss_as(
        &client(&sim, enterprise(&sim)),
        "7567173273889276131",
        Operator::user_id("test1"),
    )
    .await
    .expect("a seeded meeting can be dismissed");

    let missing = Simulator::builder()
        .seed_file("/nonexistent/seed.json")
        .start()
        .await;
    assert!(
        matches!(missing, Err(SimError::SeedRead { .. })),
        "{missing:?}"
    );
    let bad = std::env::temp_dir().join(format!(
        "tm-sim-bad-{}-{}.json",
        std::process::id(),
        rand_nonce()
    ));
    std::fs::write(&bad, r#"{"creator_userid":"not an array"}"#).expect("written");
    let parsed = Simulator::builder().seed_file(&bad).start().await;
    let _ = std::fs::remove_file(&bad);
    assert!(
        matches!(parsed, Err(SimError::SeedParse { .. })),
        "{parsed:?}"
    );
    let dup = Simulator::builder()
        .seed(vec![
            MeetingSpec::new("a").id("1"),
            MeetingSpec::new("b").id("1"),
        ])
        .start()
        .await;
    assert!(matches!(dup, Err(SimError::DuplicateMeeting(_))), "{dup:?}");
}

#[tokio::test]
async fn hostile_requests_never_hurt_the_server() {
    let sim = sim().await;
    let id = create(&sim, MeetingSpec::new(ALICE));
    let uri = format!("/v1/meetings/{id}/dismiss");
    // Signed but malformed or non-UTF-8 bodies.
    for body in [
        &b"{\"userid\":"[..],
        b"\xff\xfe\x00garbage",
        b"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[",
    ] {
        let raw = signed(&sim, "POST", &uri, body).await;
        assert_eq!((raw.status, raw.code()), (400, codes::INVALID_PARAMETER));
    }
    // A huge body, over a raw socket: the simulator answers 413 after its limit (64 KiB) and
    // closes while the rest is still being written, and an HTTP client still writing may report
    // the broken pipe instead of the answer. `exchange` ignores the write error and reads.
    let answer = exchange_off_thread(
        &sim,
        signed_request(&sim, &uri, &vec![b' '; 2 * 1024 * 1024]),
    )
    .await;
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(
        answer.contains(&format!("{}", codes::INVALID_PARAMETER)),
        "{answer}"
    );
    // Unknown paths and methods.
    assert_eq!(signed(&sim, "GET", "/v1/users", b"").await.status, 404);
    assert_eq!(signed(&sim, "PUT", &uri, b"").await.status, 405);

    let addr = sim.addr();
    tokio::task::spawn_blocking(move || {
        // Non-UTF-8 header values, written on a raw socket in the documented header case.
        let mut request = format!("POST {uri} HTTP/1.1\r\nHost: x\r\nAppId: 200000001\r\nX-TC-Key: ").into_bytes();
        request.extend_from_slice(b"\xc3\x28\xff");
        request.extend_from_slice(b"\r\nX-TC-Timestamp: 1\r\nX-TC-Nonce: 1\r\nX-TC-Signature: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        let answer = exchange(addr, &request);
        assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
        assert!(answer.contains("190303"), "{answer}");
        assert!(answer.to_ascii_lowercase().contains("x-tc-trace: sim-"), "{answer}");
        // Garbage that is not HTTP at all, and a request cut off mid-headers.
        let _ = exchange(addr, b"\x00\x01\x02 not http at all\r\n\r\n");
        let _ = exchange(addr, b"POST /v1/meetings/1/dismiss HTTP/1.1\r\nContent-Le");
    })
    .await
    .expect("the raw socket checks ran");

    // Still serving.
    dismiss_as(
        &client(&sim, enterprise(&sim)),
        &id,
        Operator::user_id(ALICE),
    )
    .await
    .expect("still serving");
}

/// Sends `request` on a fresh connection and reads until the server closes it.
fn exchange(addr: std::net::SocketAddr, request: &[u8]) -> String {
    let mut stream = TcpStream::connect(addr).expect("connects");
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let _ = stream.set_write_timeout(Some(Duration::from_secs(10)));
    let _ = stream.write_all(request);
    let _ = stream.shutdown(std::net::Shutdown::Write);
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    String::from_utf8_lossy(&answer).into_owned()
}

/// [`exchange`] with the simulator, on a blocking thread (the simulator runs on this runtime).
async fn exchange_off_thread(sim: &Simulator, request: Vec<u8>) -> String {
    let addr = sim.addr();
    tokio::task::spawn_blocking(move || exchange(addr, &request))
        .await
        .expect("ran")
}

/// A signed `POST uri` with `body`, as bytes for [`exchange`], headers in the documented case.
fn signed_request(sim: &Simulator, uri: &str, body: &[u8]) -> Vec<u8> {
    let mut request = format!(
        "POST {uri} HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for (name, value) in signed_headers(
        sim.credentials(),
        "POST",
        uri,
        body,
        now_secs(),
        rand_nonce(),
    ) {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    let mut bytes = request.into_bytes();
    bytes.extend_from_slice(body);
    bytes
}

#[tokio::test]
async fn the_documented_header_case_is_accepted() {
    let sim = sim().await;
    let id = create(&sim, MeetingSpec::new(ALICE));
    let uri = format!("/v1/meetings/{id}/dismiss");
    let body = br#"{"userid":"alice","instanceid":1,"reason_code":1}"#;
    let answer = exchange_off_thread(&sim, signed_request(&sim, &uri, body)).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(
        answer.contains("\r\nX-Tc-Trace: sim-"),
        "spelled as documented: {answer}"
    );
    assert_eq!(view(&sim, &id).status, MeetingStatus::Ended);
}

#[tokio::test]
async fn trace_ids_are_unique() {
    let sim = sim().await;
    let mut seen = std::collections::HashSet::new();
    for _ in 0..20 {
        let raw = signed(&sim, "GET", "/v1/meetings/1?userid=a&instanceid=1", b"").await;
        assert!(seen.insert(raw.trace()), "{}", raw.trace());
    }
}

#[tokio::test]
async fn shutdown_and_drop_stop_the_server() {
    let stopped = sim().await;
    let addr = stopped.addr();
    assert_eq!(admin_get(&stopped, "/_sim/stats").await.status, 200);
    stopped.shutdown().await;
    assert!(
        tokio::net::TcpStream::connect(addr).await.is_err(),
        "nothing listens after shutdown"
    );

    let dropped = sim().await;
    let addr = dropped.addr();
    drop(dropped);
    let mut refused = false;
    for _ in 0..200 {
        if tokio::net::TcpStream::connect(addr).await.is_err() {
            refused = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(refused, "nothing listens once the handle is dropped");
}

#[tokio::test]
async fn describe_names_the_url_credentials_and_admin_api() {
    let sim = sim().await;
    let text = sim.describe();
    for part in [
        sim.base_url(),
        tencent_meeting_sim::DEMO_SECRET_KEY,
        tencent_meeting_sim::DEMO_ACCESS_TOKEN,
        "/_sim/faults",
    ] {
        assert!(text.contains(part), "{part} in {text}");
    }
}
