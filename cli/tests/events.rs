//! `tencent-meeting events listen` as a process: what it acknowledges survives `kill -9`,
//! duplicates are dropped across restarts, and bad deliveries store and print nothing.

mod common;

use std::io::{BufRead as _, BufReader, Write as _};
use std::process::{Command, Stdio};
use std::time::Duration;

use common::receiver::{
    KEY, Listener, Mode, TOKEN, connect, meeting_end, post, post_body, post_head,
    read_until_closed, runtime, store_path, trace_ids,
};
use tencent_meeting::webhook::Webhook;
use tencent_meeting::webhook::sender::MeetingEndNotice;

/// Every delivery here is in AES mode.
const MODE: Mode = Mode::Aes;

#[test]
fn acknowledged_events_survive_kill_9_and_duplicates_are_dropped_after_restart() {
    let store = store_path("kill9");
    let rt = runtime();
    let http = reqwest::Client::new();
    let listener = Listener::start(&store, MODE, &[]);
    assert!(listener.banner.contains("AES mode"), "{}", listener.banner);
    let url = listener.url.clone();

    // 40 deliveries at once; the listener is killed with SIGKILL as soon as the 10th 200 arrives,
    // while the others are in flight.
    let acknowledged: Vec<usize> = rt.block_on(async {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        for i in 0..40 {
            let (http, url, tx) = (http.clone(), url.clone(), tx.clone());
            tokio::spawn(async move {
                let sealed = meeting_end(MODE, i);
                let status = post(&http, &url, &sealed).await;
                let _ = tx.send((i, status));
            });
        }
        drop(tx);
        let mut acknowledged = Vec::new();
        let mut killer = Some(listener);
        while let Some((i, status)) = rx.recv().await {
            if status == Ok(200) {
                acknowledged.push(i);
                if acknowledged.len() == 10
                    && let Some(listener) = killer.take()
                {
                    listener.kill_9();
                }
            }
        }
        acknowledged
    });
    assert!(acknowledged.len() >= 10, "{acknowledged:?}");
    eprintln!("acknowledged before the kill: {}", acknowledged.len());

    // Every acknowledged delivery is in the store, each once.
    let after_kill = trace_ids(&store);
    for i in &acknowledged {
        let trace = format!("trace-{i}");
        assert_eq!(
            after_kill.iter().filter(|t| **t == trace).count(),
            1,
            "{trace} was acknowledged: it must be stored exactly once ({after_kill:?})"
        );
    }

    // Restarted on the same store: redeliveries are acknowledged and dropped, new ones stored.
    let listener = Listener::start(&store, MODE, &[]);
    // The port is bound before the store's index is read (cli/tests/store.rs checks the count
    // it reports once ready); deliveries wait for the index.
    assert!(
        listener.banner.contains("reading its index"),
        "{}",
        listener.banner
    );
    rt.block_on(async {
        for i in &acknowledged {
            let sealed = meeting_end(MODE, *i);
            assert_eq!(post(&http, &listener.url, &sealed).await, Ok(200));
        }
        let fresh = meeting_end(MODE, 1000);
        assert_eq!(post(&http, &listener.url, &fresh).await, Ok(200));
    });
    // The only line printed is the new delivery's: the duplicates were not printed again.
    let line = listener.next_line().expect("a line for the new delivery");
    let event: serde_json::Value = serde_json::from_str(&line).expect("a JSON line");
    assert_eq!(event["event"], "meeting.end");
    assert_eq!(event["trace_id"], "trace-1000");
    assert_eq!(event["payload"]["meeting_info"]["meeting_id"], "2000");
    let final_store = trace_ids(&store);
    assert_eq!(final_store.len(), after_kill.len() + 1, "{final_store:?}");
    listener.kill_9();
}

#[test]
fn bad_deliveries_store_and_print_nothing() {
    let store = store_path("bad");
    let rt = runtime();
    let http = reqwest::Client::new();
    let listener = Listener::start(&store, MODE, &[]);
    let good = meeting_end(MODE, 1);
    let mut wrong_signature = good.clone();
    wrong_signature.headers.signature = "0".repeat(40);
    let foreign = Webhook::new(TOKEN, Some("ZYXWVUTSRQPONMLKJIHGFEDCBAzyxwvutsrqponmlkj"))
        .expect("valid")
        .seal_event(b"{\"event\":\"meeting.end\"}", "1700000000123", "1");
    rt.block_on(async {
        let url = &listener.url;
        assert_eq!(
            post_body(&http, url, &wrong_signature, good.body.clone()).await,
            Ok(401)
        );
        assert_eq!(post(&http, url, &foreign).await, Ok(400));
        assert_eq!(
            post_body(&http, url, &good, b"not json".to_vec()).await,
            Ok(400)
        );
        // The URL check still answers.
        let check = MODE.webhook().seal_url_check("hello", "1700000000123", "9");
        let answer = http
            .get(format!("{url}?{}", check.query))
            .headers(check.header_map())
            .send()
            .await
            .expect("answered");
        assert_eq!(answer.status().as_u16(), 200);
        assert_eq!(answer.text().await.expect("body"), "hello");
    });
    // Last: a declared length over the limit is answered 413 before any of the body is read, and
    // the connection closed. Over a raw socket, not reqwest: a client still writing a body the
    // listener has refused can have its write cut (EPIPE) before it reads the 413, and reqwest
    // then reports the write's error instead of the answer.
    let mut huge = connect(&listener.addr);
    huge.write_all(post_head(MODE, 1, 2 * 1024 * 1024 + 12).as_bytes())
        .expect("sent");
    let huge_got = read_until_closed(&mut huge).expect("the huge post is closed");
    assert!(huge_got.starts_with("HTTP/1.1 413"), "{huge_got:?}");
    assert!(trace_ids(&store).is_empty(), "nothing stored");
    assert!(
        listener
            .lines
            .recv_timeout(Duration::from_millis(300))
            .is_err(),
        "nothing printed"
    );
}

/// With `--max-age`, a delivery signed too long ago is refused (401) and not stored; one signed
/// now is taken.
#[test]
fn max_age_refuses_stale_deliveries() {
    let store = store_path("stale");
    let rt = runtime();
    let http = reqwest::Client::new();
    let listener = Listener::start(&store, MODE, &["--max-age", "300"]);
    let notice = MeetingEndNotice::new("fresh", "1", 1).to_json();
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_millis()
        .to_string();
    let stale = MODE.webhook().seal_event(&notice, "1700000000123", "1");
    let fresh = MODE.webhook().seal_event(&notice, &now_ms, "2");
    rt.block_on(async {
        assert_eq!(post(&http, &listener.url, &stale).await, Ok(401));
        assert!(trace_ids(&store).is_empty());
        assert_eq!(post(&http, &listener.url, &fresh).await, Ok(200));
    });
    assert_eq!(trace_ids(&store), ["fresh"]);
}

#[test]
fn missing_or_bad_secrets_and_urls_are_usage_errors() {
    let (no_token, bad_key) = (store_path("no-token"), store_path("bad-key"));
    let out = Command::new(assert_cmd::cargo::cargo_bin("tencent-meeting"))
        .args(["events", "listen", "--addr", "127.0.0.1:0", "--store"])
        .arg(&no_token)
        .env_remove("TENCENT_MEETING_WEBHOOK_TOKEN")
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("TENCENT_MEETING_WEBHOOK_TOKEN"), "{stderr}");
    let out = Command::new(assert_cmd::cargo::cargo_bin("tencent-meeting"))
        .args(["events", "listen", "--addr", "127.0.0.1:0", "--store"])
        .arg(&bad_key)
        .env("TENCENT_MEETING_WEBHOOK_TOKEN", TOKEN)
        .env("TENCENT_MEETING_WEBHOOK_AES_KEY", "too-short")
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("EncodingAESKey: must be 43"), "{stderr}");
    // The simulator: a subscription without a Token, or a URL that fails its verification.
    let sim = |token: Option<&str>| {
        let mut command = Command::new(assert_cmd::cargo::cargo_bin("tencent-meeting"));
        command
            .args([
                "sim",
                "--addr",
                "127.0.0.1:0",
                "--webhook-url",
                "http://127.0.0.1:9/x",
            ])
            .env_remove("TENCENT_MEETING_WEBHOOK_TOKEN")
            .env_remove("TENCENT_MEETING_WEBHOOK_AES_KEY");
        if let Some(token) = token {
            command.env("TENCENT_MEETING_WEBHOOK_TOKEN", token);
        }
        command.output().expect("runs")
    };
    for (token, words) in [(None, "--webhook-token"), (Some(TOKEN), "URL verification")] {
        let out = sim(token);
        assert_eq!(out.status.code(), Some(2));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(words), "{stderr}");
    }
}

/// The whole path as processes: `sim --webhook-url` verifies the listener's URL at start; a
/// `dismiss` through the CLI ends a meeting on it; the listener stores and prints the
/// `meeting.end` it received.
#[test]
fn the_simulator_process_delivers_meeting_end_to_the_listener_process() {
    use tencent_meeting_sim::{DEMO_APP_ID, DEMO_SECRET_ID, DEMO_SECRET_KEY};

    let store = store_path("sim");
    let listener = Listener::start(&store, MODE, &[]);
    let mut sim = Command::new(assert_cmd::cargo::cargo_bin("tencent-meeting"))
        .args([
            "sim",
            "--addr",
            "127.0.0.1:0",
            "--webhook-url",
            &listener.url,
        ])
        .env("TENCENT_MEETING_WEBHOOK_TOKEN", TOKEN)
        .env("TENCENT_MEETING_WEBHOOK_AES_KEY", KEY)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the simulator starts");
    let mut lines = BufReader::new(sim.stdout.take().expect("stdout")).lines();
    let base_url = lines
        .next()
        .and_then(Result::ok)
        .unwrap_or_default()
        .trim()
        .to_string();
    assert!(base_url.starts_with("http://127.0.0.1:"), "{base_url:?}");
    let mut banner = Vec::new();
    for line in lines.by_ref().map_while(Result::ok) {
        let last = line.starts_with("serving until");
        banner.push(line);
        if last {
            break;
        }
    }
    assert!(
        banner
            .iter()
            .any(|l| l.contains("webhooks: meeting.end to") && l.contains("AES mode")),
        "{banner:?}"
    );

    let rt = runtime();
    let id = rt.block_on(async {
        let created: serde_json::Value = reqwest::Client::new()
            .post(format!("{base_url}/_sim/meetings"))
            .json(&serde_json::json!({"creator_userid": "alice"}))
            .send()
            .await
            .expect("answered")
            .json()
            .await
            .expect("JSON");
        created["meeting_id"]
            .as_str()
            .expect("a meeting id")
            .to_string()
    });
    let dismissed = Command::new(assert_cmd::cargo::cargo_bin("tencent-meeting"))
        .env("TENCENT_MEETING_APP_ID", DEMO_APP_ID)
        .env("TENCENT_MEETING_SECRET_ID", DEMO_SECRET_ID)
        .env("TENCENT_MEETING_SECRET_KEY", DEMO_SECRET_KEY)
        .args([
            "dismiss",
            &id,
            "--userid",
            "alice",
            "--instance",
            "pc",
            "--reason-code",
            "1",
        ])
        .args(["--base-url", &base_url])
        .output()
        .expect("runs");
    assert_eq!(
        dismissed.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&dismissed.stderr)
    );
    let line = listener.next_line().expect("the meeting.end is printed");
    let _ = sim.kill();
    let _ = sim.wait();
    let event: serde_json::Value = serde_json::from_str(&line).expect("a JSON line");
    assert_eq!(event["event"], "meeting.end");
    assert_eq!(event["payload"]["meeting_info"]["meeting_id"], id.as_str());
    assert_eq!(event["payload"]["meeting_end_type"], 0);
    assert_eq!(event["payload"]["operator"]["userid"], "alice");
    assert_eq!(trace_ids(&store).len(), 1);
}
