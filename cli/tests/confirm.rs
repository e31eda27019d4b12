//! `dismiss --confirm-by-event`: the CLI as a process runs an event receiver, the simulator
//! delivers each dismissed meeting's `meeting.end` to it, and each meeting is reported confirmed
//! by its event — or, when no event comes within `--wait`, dismissed but not confirmed (exit 6).

mod common;

use std::io::{BufRead as _, BufReader, Write as _};
use std::process::{Child, Stdio};
use std::time::Duration;

use common::receiver::{KEY, TOKEN, post};
use common::{IDENTITY, Sim, json_lines, tempdir};
use serde_json::Value;
use tencent_meeting_sim::{Faults, WebhookSubscription};

/// Starts `dismiss --from - --confirm-by-event` and returns it with the URL its receiver
/// announced on stderr.
fn start_confirming(sim: &Sim, extra: &[&str]) -> (Child, String) {
    let mut child = sim
        .spawnable()
        .args(["dismiss", "--from", "-", "--output", "json"])
        .args(IDENTITY)
        .args(["--confirm-by-event", "--listen", "127.0.0.1:0"])
        .args(["--listen-path", "/events"])
        .args(extra)
        .env("TENCENT_MEETING_WEBHOOK_TOKEN", TOKEN)
        .env("TENCENT_MEETING_WEBHOOK_AES_KEY", KEY)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the CLI starts");
    let stderr = child.stderr.take().expect("stderr");
    let mut lines = BufReader::new(stderr).lines();
    let url = loop {
        let line = lines
            .next()
            .and_then(Result::ok)
            .expect("the CLI announces its receiver");
        if let Some(url) = line.strip_prefix("listening for meeting.end events on ") {
            break url.to_string();
        }
    };
    // Keep draining stderr so the CLI never blocks on it.
    std::thread::spawn(move || lines.for_each(drop));
    (child, url)
}

fn feed_and_wait(mut child: Child, ids: &[String]) -> (Option<i32>, Vec<Value>) {
    {
        let mut stdin = child.stdin.take().expect("stdin");
        for id in ids {
            writeln!(stdin, "{id}").expect("write an ID");
        }
    }
    let output = child.wait_with_output().expect("the CLI finishes");
    (output.status.code(), json_lines(&output))
}

#[test]
fn each_meeting_is_confirmed_by_its_meeting_end_event() {
    let sim = Sim::start();
    let ids = sim.meetings(3);
    let dir = tempdir();
    let journal = dir.join("journal.jsonl");
    let (child, url) = start_confirming(
        &sim,
        &["--wait", "20", "--journal", &journal.to_string_lossy()],
    );
    // The platform's subscription points at the CLI's receiver (verified with its GET check).
    sim.block_on(
        sim.sim()
            .subscribe_webhook(WebhookSubscription::new(&url, TOKEN).aes_key(KEY)),
    )
    .expect("the receiver answers the URL check");
    let (code, lines) = feed_and_wait(child, &ids);
    assert_eq!(code, Some(0), "{lines:?}");
    let records: Vec<&Value> = lines
        .iter()
        .filter(|l| l.get("meeting_id").is_some())
        .collect();
    assert_eq!(records.len(), 3);
    for record in records {
        assert_eq!(record["status"], "done", "{record}");
        let event = &record["event"];
        assert!(event["trace_id"].is_string(), "{record}");
        assert_eq!(event["meeting_end_type"], 0, "ended by a dismiss: {record}");
    }
    for id in &ids {
        assert_eq!(sim.dismiss_count(id), 1);
    }
    // The journal keeps the confirmations.
    let kept = std::fs::read_to_string(&journal).expect("the journal");
    let confirmed = kept
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|r| r["status"] == "done" && r["event"]["trace_id"].is_string())
        .count();
    assert_eq!(confirmed, 3, "{kept}");
}

#[test]
fn a_dismiss_whose_event_never_comes_is_not_confirmed_and_exits_6() {
    let sim = Sim::start();
    let ids = sim.meetings(1);
    // Nobody subscribed the receiver: the dismiss goes through, no event arrives.
    let (child, _url) = start_confirming(&sim, &["--wait", "1"]);
    let (code, lines) = feed_and_wait(child, &ids);
    assert_eq!(code, Some(6), "{lines:?}");
    let record = &lines[0];
    assert_eq!(record["status"], "not_confirmed", "{record}");
    assert_eq!(record["event_not_seen_within_s"], 1.0);
    assert!(record["event"].is_null());
    assert_eq!(
        sim.dismiss_count(&ids[0]),
        1,
        "the dismiss itself went through"
    );
}

#[test]
fn listen_without_confirm_by_event_is_refused() {
    let sim = Sim::start();
    let out = sim
        .cli()
        .args(["dismiss", "1"])
        .args(IDENTITY)
        .args(["--listen", "127.0.0.1:0"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--confirm-by-event"));
}

/// Posts `plaintext` to the CLI's receiver at `url`, sealed with `token` and the key, as the
/// platform delivers; returns the HTTP status.
fn deliver(sim: &Sim, url: &str, token: &str, plaintext: &[u8]) -> u16 {
    use tencent_meeting::webhook::Webhook;
    let webhook = Webhook::new(token, Some(KEY)).expect("a webhook");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    let sealed = webhook.seal_event(plaintext, &now.to_string(), "58209741");
    sim.block_on(post(&reqwest::Client::new(), url, &sealed))
        .unwrap_or(0)
}

/// Starts a confirming run whose dismiss of `id` is committed and then answered `late`, and
/// returns once the dismiss is in flight (committed, answer pending).
fn dismiss_in_flight(sim: &Sim, id: &str, extra: &[&str]) -> (Child, String) {
    sim.faults(Faults::none().latency_after_dismiss(Duration::from_millis(2500)));
    let (mut child, url) = start_confirming(sim, extra);
    {
        let mut stdin = child.stdin.take().expect("stdin");
        writeln!(stdin, "{id}").expect("write the ID");
    }
    common::wait_until(Duration::from_secs(20), "the dismiss is committed", || {
        sim.dismiss_count(id) == 1
    });
    (child, url)
}

#[test]
fn an_old_end_and_a_type_3_end_delivered_during_the_dismiss_do_not_confirm_it() {
    use tencent_meeting::webhook::MeetingEndType;
    use tencent_meeting::webhook::sender::MeetingEndNotice;

    let sim = Sim::start();
    let id = sim.meetings(1).remove(0);
    // Nobody subscribed the simulator: the only events are the two below, correctly signed.
    let (child, url) = dismiss_in_flight(&sim, &id, &["--wait", "2"]);
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64);
    let hour_old = MeetingEndNotice::new("an-hour-ago", &id, now_ms - 3_600_000);
    let mut empty = MeetingEndNotice::new("empty-before-end", &id, now_ms);
    empty.end_type = MeetingEndType::EmptyBeforeScheduledEnd;
    for notice in [&hour_old, &hour_old, &empty] {
        assert_eq!(deliver(&sim, &url, TOKEN, &notice.to_json()), 200);
    }
    let output = child.wait_with_output().expect("the CLI finishes");
    let lines = json_lines(&output);
    assert_eq!(output.status.code(), Some(6), "{lines:?}");
    let record = &lines[0];
    assert_eq!(record["status"], "not_confirmed", "{record}");
    assert_eq!(record["confirmed_by"], "answer", "{record}");
    assert!(record["event"].is_null(), "{record}");
    let ignored = &record["events_ignored"];
    assert_eq!(
        (
            ignored["before_send"].as_u64(),
            ignored["redelivered"].as_u64(),
            ignored["end_type"].as_u64()
        ),
        (Some(1), Some(1), Some(1)),
        "{record}"
    );
    assert_eq!(sim.dismiss_count(&id), 1);
}

#[test]
fn confirm_end_types_and_confirm_skew_widen_the_rules_and_only_as_far_as_given() {
    use tencent_meeting::webhook::MeetingEndType;
    use tencent_meeting::webhook::sender::MeetingEndNotice;

    let sim = Sim::start();
    let id = sim.meetings(1).remove(0);
    let (child, url) = dismiss_in_flight(
        &sim,
        &id,
        &[
            "--wait",
            "10",
            "--confirm-end-types",
            "0,3",
            "--confirm-skew",
            "60",
        ],
    );
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64);
    let notice = |trace: &str, end_type, ago_ms: i64| {
        let mut n = MeetingEndNotice::new(trace, &id, now_ms - ago_ms);
        n.end_type = end_type;
        n
    };
    // Outside the widened rules: an end type not listed, and an end older than the skew.
    let type_2 = notice("type-2", MeetingEndType::EmptyAfterScheduledEnd, 0);
    let too_old = notice("too-old", MeetingEndType::EmptyBeforeScheduledEnd, 90_000);
    // Inside them only: type 3 (not in the default set), 30 s before the dismiss left (more
    // than the default 5 s of skew).
    let widened = notice("widened", MeetingEndType::EmptyBeforeScheduledEnd, 30_000);
    for n in [&type_2, &too_old, &widened] {
        assert_eq!(deliver(&sim, &url, TOKEN, &n.to_json()), 200);
    }
    let output = child.wait_with_output().expect("the CLI finishes");
    let lines = json_lines(&output);
    assert_eq!(output.status.code(), Some(0), "{lines:?}");
    let record = &lines[0];
    assert_eq!(record["status"], "done", "{record}");
    assert_eq!(record["confirmed_by"], "event", "{record}");
    assert_eq!(record["event"]["trace_id"], "widened", "{record}");
    assert_eq!(record["event"]["meeting_end_type"], 3, "{record}");
    assert_eq!(sim.dismiss_count(&id), 1);
}

#[test]
fn confirmation_rule_flags_are_refused_without_confirm_by_event_or_out_of_range() {
    let sim = Sim::start();
    let id = sim.meetings(1).remove(0);
    for (flags, names) in [
        (&["--confirm-skew", "10"][..], "--confirm-skew"),
        (&["--confirm-end-types", "0,3"][..], "--confirm-end-types"),
        (
            &[
                "--confirm-by-event",
                "--listen",
                "127.0.0.1:0",
                "--confirm-end-types",
                "0,-1",
            ][..],
            "--confirm-end-types",
        ),
        (
            &[
                "--confirm-by-event",
                "--listen",
                "127.0.0.1:0",
                "--confirm-skew=-5",
            ][..],
            "--confirm-skew",
        ),
    ] {
        let out = sim
            .cli()
            .args(["dismiss", &id])
            .args(IDENTITY)
            .args(flags)
            .output()
            .expect("runs");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{flags:?}: {stderr}");
        assert!(stderr.contains(names), "{flags:?}: {stderr}");
        assert_eq!(sim.dismiss_count(&id), 0);
    }
}

#[test]
fn deliveries_refused_during_the_wait_are_counted_and_the_message_names_the_token() {
    let sim = Sim::start();
    let id = sim.meetings(1).remove(0);
    sim.faults(Faults::none());
    let mut child = sim
        .spawnable()
        .args(["dismiss", "--from", "-"])
        .args(IDENTITY)
        .args(["--confirm-by-event", "--listen", "127.0.0.1:0"])
        .args(["--listen-path", "/events", "--wait", "2"])
        .env("TENCENT_MEETING_WEBHOOK_TOKEN", TOKEN)
        .env("TENCENT_MEETING_WEBHOOK_AES_KEY", KEY)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the CLI starts");
    let url = announced_url(&mut child);
    sim.faults(Faults::none().latency_after_dismiss(Duration::from_millis(1500)));
    {
        let mut stdin = child.stdin.take().expect("stdin");
        writeln!(stdin, "{id}").expect("write the ID");
    }
    common::wait_until(Duration::from_secs(20), "the dismiss is committed", || {
        sim.dismiss_count(&id) == 1
    });
    // The subscription's token is not the one the CLI was given: every delivery is refused.
    let own_end = tencent_meeting::webhook::sender::MeetingEndNotice::new("own", &id, i64::MAX / 2);
    for _ in 0..2 {
        assert_eq!(
            deliver(&sim, &url, "Zz9yXx8wVv7uTt6sRr5qQq4pP", &own_end.to_json()),
            401
        );
    }
    let output = child.wait_with_output().expect("the CLI finishes");
    assert_eq!(output.status.code(), Some(6));
    let text = common::stdout_of(&output);
    assert!(
        text.contains("2 delivery(ies) to --listen were refused")
            && text.contains("check TENCENT_MEETING_WEBHOOK_TOKEN")
            && !text.contains("check the event subscription's URL reaches"),
        "{text}"
    );
}

/// Reads the CLI's stderr until it announces its receiver; keeps draining it after.
fn announced_url(child: &mut Child) -> String {
    let stderr = child.stderr.take().expect("stderr");
    let mut lines = BufReader::new(stderr).lines();
    let url = loop {
        let line = lines
            .next()
            .and_then(Result::ok)
            .expect("the CLI announces its receiver");
        if let Some(url) = line.strip_prefix("listening for meeting.end events on ") {
            break url.to_string();
        }
    };
    std::thread::spawn(move || lines.for_each(drop));
    url
}
