//! The `tencent-meeting` binary as a process, against a simulator on a real loopback socket.

mod common;

use std::io::{BufRead as _, BufReader, Write as _};
use std::process::{Command as StdCommand, Stdio};

use assert_cmd::Command;
use common::{CREATOR, Sim, bare, records_and_summary, stderr_of, stdout_of, tempdir};
use tencent_meeting_sim::{
    DEMO_ACCESS_TOKEN, DEMO_APP_ID, DEMO_OPEN_ID, DEMO_SECRET_ID, DEMO_SECRET_KEY, MeetingSpec,
};

#[test]
fn dismiss_succeeds_with_exit_0_in_text_and_json() {
    let sim = Sim::start();
    let id = sim.meeting(MeetingSpec::new(CREATOR).quick());
    let out = sim
        .cli()
        .args([
            "dismiss",
            &id,
            "--userid",
            CREATOR,
            "--instance",
            "pc",
            "--reason-code",
            "1",
            "--kind",
            "quick",
        ])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert!(
        stdout_of(&out).contains(&format!("dismissed meeting {id} (quick)")),
        "{}",
        stdout_of(&out)
    );
    assert!(stdout_of(&out).contains("retrieve_code raised to 1"));
    assert!(
        sim.sim()
            .meeting(&id)
            .is_some_and(|m| m.dismiss_count == 1 && m.code_reclaimed)
    );

    let id = sim.meeting(MeetingSpec::new(CREATOR));
    let out = sim
        .cli()
        .args([
            "dismiss",
            &id,
            "--operator-id",
            CREATOR,
            "--operator-id-type",
            "userid",
        ])
        .args([
            "--instance",
            "33",
            "--reason-code",
            "-7",
            "--reason-detail",
            "结束会议",
            "--lookup",
            "--output",
            "json",
        ])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let json: serde_json::Value =
        serde_json::from_str(stdout_of(&out).trim()).expect("one JSON object");
    assert_eq!(json["ok"], true);
    assert_eq!(json["meeting_id"], id.as_str());
    assert_eq!(json["kind"], "one-time");
    let record = sim
        .sim()
        .meeting(&id)
        .and_then(|m| m.last_dismiss)
        .expect("dismissed");
    assert_eq!((record.instanceid, record.reason_code), (33, -7));
    assert_eq!(record.reason_detail.as_deref(), Some("结束会议"));
}

#[test]
fn oauth2_credentials_from_the_environment() {
    let sim = Sim::start();
    let id = sim.meeting(MeetingSpec::new(DEMO_OPEN_ID).created_via_oauth());
    let out = bare()
        .env("TENCENT_MEETING_ACCESS_TOKEN", DEMO_ACCESS_TOKEN)
        .env("TENCENT_MEETING_OPEN_ID", DEMO_OPEN_ID)
        .args([
            "dismiss",
            &id,
            "--instance",
            "web",
            "--reason-code",
            "1",
            "--base-url",
            sim.sim().base_url(),
        ])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert!(sim.sim().meeting(&id).is_some_and(|m| m.dismiss_count == 1));
    assert!(
        !stdout_of(&out).contains(DEMO_ACCESS_TOKEN)
            && !stderr_of(&out).contains(DEMO_ACCESS_TOKEN)
    );
}

#[test]
fn dry_run_prints_the_request_and_sends_nothing() {
    let sim = Sim::start();
    let id = sim.meeting(MeetingSpec::new(CREATOR));
    let out = sim
        .cli()
        .args([
            "dismiss",
            &id,
            "--userid",
            CREATOR,
            "--instance",
            "pc",
            "--reason-code",
            "3",
            "--dry-run",
        ])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let text = stdout_of(&out);
    assert!(text.contains("curl -X POST"), "{text}");
    assert!(
        text.contains(&format!("/v1/meetings/{id}/dismiss")),
        "{text}"
    );
    assert!(
        text.contains(&format!("POST\nX-TC-Key={DEMO_SECRET_ID}&X-TC-Nonce=")),
        "{text}"
    );
    assert!(!text.contains(DEMO_SECRET_KEY), "never a secret: {text}");
    assert_eq!(sim.requests(), 0, "a dry run sends nothing");

    let out = bare()
        .env("TENCENT_MEETING_ACCESS_TOKEN", "TOKEN-SECRET-VALUE")
        .env("TENCENT_MEETING_OPEN_ID", "oid")
        .args([
            "dismiss",
            "1",
            "--instance",
            "pc",
            "--reason-code",
            "3",
            "--dry-run",
            "--output",
            "json",
        ])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert!(
        !stdout_of(&out).contains("TOKEN-SECRET-VALUE"),
        "{}",
        stdout_of(&out)
    );
    let json: serde_json::Value = serde_json::from_str(stdout_of(&out).trim()).expect("JSON");
    assert_eq!(
        json["headers"]["accesstoken"],
        "$TENCENT_MEETING_ACCESS_TOKEN"
    );
}

#[test]
fn sign_reproduces_every_official_vector() {
    let text = include_str!("../../wrapper/tests/data/signatures.json");
    let file: serde_json::Value = serde_json::from_str(text).expect("vectors");
    let vectors = file["vectors"].as_array().expect("array");
    assert!(!vectors.is_empty());
    for v in vectors {
        let s = |k: &str| {
            v[k].as_str()
                .map(str::to_string)
                .unwrap_or_else(|| v[k].to_string())
        };
        let out = bare()
            .args([
                "sign",
                "-v",
                "--secret-id",
                &s("secret_id"),
                "--timestamp",
                &s("timestamp"),
            ])
            .args([
                "--nonce",
                &s("nonce"),
                "--method",
                &s("method"),
                "--uri",
                &s("uri"),
                "--body",
                &s("body"),
            ])
            .env("TENCENT_MEETING_SECRET_KEY", s("secret_key"))
            .output()
            .expect("runs");
        assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
        let stdout = stdout_of(&out);
        assert_eq!(
            stdout.lines().last(),
            Some(s("signature").as_str()),
            "vector {}",
            s("name")
        );
        assert!(
            stdout.contains(&s("string_to_sign")),
            "-v prints the string to sign: {stdout}"
        );
    }
    // --body-file gives the same signature as --body.
    let dir = tempdir();
    let body = dir.join("body.json");
    std::fs::write(&body, r#"{"a":1}"#).expect("write");
    let sign = |extra: &[&str]| {
        let out = bare()
            .args([
                "sign",
                "--secret-id",
                "id",
                "--secret-key",
                "k",
                "--timestamp",
                "1",
                "--nonce",
                "2",
            ])
            .args(["--method", "POST", "--uri", "/x"])
            .args(extra)
            .output()
            .expect("runs");
        stdout_of(&out)
    };
    assert_eq!(
        sign(&["--body", r#"{"a":1}"#]),
        sign(&["--body-file", &body.to_string_lossy()])
    );
}

#[test]
fn batch_reports_each_id_and_exits_non_zero_when_one_fails() {
    let sim = Sim::start();
    let good: Vec<String> = (0..3)
        .map(|_| sim.meeting(MeetingSpec::new(CREATOR)))
        .collect();
    let not_mine = sim.meeting(MeetingSpec::new("bob"));
    let dir = tempdir();
    let file = dir.join("ids.txt");
    let mut f = std::fs::File::create(&file).expect("file");
    writeln!(
        f,
        "# meetings to end\n{}\n\n{}  # bob's\n{}\n{}",
        good[0], not_mine, good[1], good[2]
    )
    .expect("write");
    drop(f);
    let out = sim
        .cli()
        .args([
            "dismiss",
            "--from",
            &file.to_string_lossy(),
            "--userid",
            CREATOR,
            "--instance",
            "pc",
        ])
        .args([
            "--reason-code",
            "1",
            "--concurrency",
            "2",
            "--rate-limit",
            "6000",
            "--output",
            "json",
        ])
        .output()
        .expect("runs");
    assert_eq!(
        out.status.code(),
        Some(1),
        "an API error fails the batch: {}",
        stderr_of(&out)
    );
    let (lines, summary) = records_and_summary(&out);
    assert_eq!(lines.len(), 4, "one line per id");
    let failed: Vec<_> = lines.iter().filter(|l| l["ok"] == false).collect();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0]["meeting_id"], not_mine.as_str());
    assert_eq!(failed[0]["status"], "failed");
    assert_eq!(failed[0]["line"], 4, "per-ID errors carry the line number");
    assert_eq!(failed[0]["error"]["code"], 9042);
    assert_eq!(
        (summary["done"].as_u64(), summary["failed"].as_u64()),
        (Some(3), Some(1))
    );
    assert_eq!(summary["exit_code"], 1);
    assert!(
        stderr_of(&out).contains("summary: 4 meeting(s): 3 dismissed, 1 failed"),
        "{}",
        stderr_of(&out)
    );
    for id in &good {
        assert!(
            sim.sim().meeting(id).is_some_and(|m| m.dismiss_count == 1),
            "{id}"
        );
    }
}

#[test]
fn exit_codes() {
    let sim = Sim::start();
    let id = sim.meeting(MeetingSpec::new(CREATOR));
    let dismiss = |cmd: &mut Command, args: &[&str]| -> std::process::Output {
        cmd.arg("dismiss").args(args).output().expect("runs")
    };
    // 1: an API error, with its code and trace id in plain words.
    let out = dismiss(
        &mut sim.cli(),
        &[
            &id,
            "--userid",
            "mallory",
            "--instance",
            "pc",
            "--reason-code",
            "1",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr_of(&out).contains("9042") && stderr_of(&out).contains("trace id"),
        "{}",
        stderr_of(&out)
    );

    let before = sim.requests();
    // 2: usage and validation errors, with nothing sent.
    for args in [
        vec![
            "12ab",
            "--userid",
            CREATOR,
            "--instance",
            "pc",
            "--reason-code",
            "1",
        ],
        vec![
            &id,
            "--userid",
            " ",
            "--instance",
            "pc",
            "--reason-code",
            "1",
        ],
        vec![
            &id,
            "--userid",
            CREATOR,
            "--instance",
            "11",
            "--reason-code",
            "1",
        ],
        vec![&id, "--userid", CREATOR, "--instance", "pc"],
        vec![
            &id,
            "--userid",
            CREATOR,
            "--operator-id",
            "x",
            "--operator-id-type",
            "userid",
            "--instance",
            "pc",
            "--reason-code",
            "1",
        ],
        vec![
            &id,
            "--userid",
            CREATOR,
            "--instance",
            "pc",
            "--reason-code",
            "1",
            "--kind",
            "recurring",
            "--remaining-sub-meetings",
            "2",
            "--retrieve-code",
        ],
        vec![
            &id,
            "--userid",
            CREATOR,
            "--instance",
            "pc",
            "--reason-code",
            "1",
            "--base-url",
            "http://example.com",
        ],
        vec![
            "--userid",
            CREATOR,
            "--instance",
            "pc",
            "--reason-code",
            "1",
        ],
    ] {
        let out = dismiss(&mut sim.cli(), &args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr_of(&out));
        assert!(!stderr_of(&out).is_empty(), "{args:?} says why");
    }
    let out = dismiss(
        &mut bare(),
        &[
            &id,
            "--userid",
            CREATOR,
            "--instance",
            "pc",
            "--reason-code",
            "1",
        ],
    );
    assert_eq!(out.status.code(), Some(2), "no credentials");
    assert!(
        stderr_of(&out).contains("TENCENT_MEETING_SECRET_KEY"),
        "{}",
        stderr_of(&out)
    );
    assert_eq!(sim.requests(), before, "nothing was sent for bad input");

    // 3: transport errors (nobody listens on the port).
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("port");
    let out = dismiss(
        &mut sim.cli(),
        &[
            &id,
            "--userid",
            CREATOR,
            "--instance",
            "pc",
            "--reason-code",
            "1",
            "--attempts",
            "1",
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "the refused calls left it running: {}",
        stderr_of(&out)
    );
    let out = sim
        .cli()
        .env(
            "TENCENT_MEETING_BASE_URL",
            format!("http://127.0.0.1:{port}"),
        )
        .args([
            "dismiss",
            "1",
            "--userid",
            CREATOR,
            "--instance",
            "pc",
            "--reason-code",
            "1",
            "--attempts",
            "1",
        ])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(3), "{}", stderr_of(&out));
}

#[test]
fn sim_subcommand_serves_seeded_meetings_until_killed() {
    let dir = tempdir();
    let seed = dir.join("seed.json");
    std::fs::write(
        &seed,
        r#"[{"meeting_id": "15434747088712431484", "creator_userid": "alice", "type": 1}]"#,
    )
    .expect("seed");
    let mut child = StdCommand::new(assert_cmd::cargo::cargo_bin("tencent-meeting"))
        .args([
            "sim",
            "--addr",
            "127.0.0.1:0",
            "--seed",
            &seed.to_string_lossy(),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("sim starts");
    let mut first = String::new();
    if let Some(stdout) = child.stdout.take() {
        let _ = BufReader::new(stdout).read_line(&mut first);
    }
    let base_url = first.trim().to_string();
    assert!(base_url.starts_with("http://127.0.0.1:"), "{base_url:?}");
    let out = bare()
        .env("TENCENT_MEETING_APP_ID", DEMO_APP_ID)
        .env("TENCENT_MEETING_SECRET_ID", DEMO_SECRET_ID)
        .env("TENCENT_MEETING_SECRET_KEY", DEMO_SECRET_KEY)
        .args([
            "dismiss",
            "15434747088712431484",
            "--userid",
            "alice",
            "--instance",
            "pc",
            "--reason-code",
            "1",
        ])
        .args(["--lookup", "--base-url", &base_url])
        .output()
        .expect("runs");
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert!(
        stdout_of(&out).contains("(quick); meeting code reclaimed"),
        "{}",
        stdout_of(&out)
    );
}

#[test]
fn demo_exits_0() {
    let out = bare().arg("demo").output().expect("runs");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout_of(&out),
        stderr_of(&out)
    );
    let text = stdout_of(&out);
    for shown in [
        "retrieve_code raised to 1",
        "dismiss it by its master meeting ID",
        "add --force-retrieve-code",
        "200003",
        "9042",
        "unknown (the CLI exits 4",
        "a look-up finds out: MEETING_STATE_ENDED",
        "a retry found the meeting already ended, and a look-up shows it MEETING_STATE_ENDED",
        "already ended, and not by this call",
    ] {
        assert!(text.contains(shown), "the demo shows {shown:?}: {text}");
    }
}

#[test]
fn sim_subcommand_enforces_the_rate_limits_it_is_given() {
    let dir = tempdir();
    let seed = dir.join("seed.json");
    std::fs::write(
        &seed,
        r#"[{"meeting_id": "7567173273889276131", "creator_userid": "alice"},
            {"meeting_id": "7567173273889276132", "creator_userid": "alice"}]"#,
    )
    .expect("seed");
    let mut child = StdCommand::new(assert_cmd::cargo::cargo_bin("tencent-meeting"))
        .args([
            "sim",
            "--addr",
            "127.0.0.1:0",
            "--seed",
            &seed.to_string_lossy(),
        ])
        .args([
            "--rate-limit",
            "1",
            "--rate-limit-window",
            "3600",
            "--daily-limit",
            "off",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("sim starts");
    let mut lines = Vec::new();
    if let Some(stdout) = child.stdout.take() {
        let mut reader = BufReader::new(stdout);
        // The base URL, the credentials, then the rate limits in force.
        while !lines.iter().any(|l: &String| l.starts_with("rate limits:")) {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                break;
            }
            lines.push(line);
        }
    }
    let dismiss = |id: &str| {
        bare()
            .env("TENCENT_MEETING_APP_ID", DEMO_APP_ID)
            .env("TENCENT_MEETING_SECRET_ID", DEMO_SECRET_ID)
            .env("TENCENT_MEETING_SECRET_KEY", DEMO_SECRET_KEY)
            .args(["dismiss", id, "--userid", "alice", "--instance", "pc"])
            .args(["--reason-code", "1", "--attempts", "1"])
            .args(["--base-url", lines.first().map_or("", |l| l.trim())])
            .output()
            .expect("runs")
    };
    let first = dismiss("7567173273889276131");
    let second = dismiss("7567173273889276132");
    let _ = child.kill();
    let _ = child.wait();
    let banner = lines.concat();
    assert!(
        banner.contains("1 requests per 3600 s (190310) and no daily limit"),
        "{banner}"
    );
    assert_eq!(first.status.code(), Some(0), "{}", stderr_of(&first));
    assert_ne!(second.status.code(), Some(0));
    assert!(
        format!("{}{}", stdout_of(&second), stderr_of(&second)).contains("190310"),
        "{}",
        stderr_of(&second)
    );
    // A window must last a second at least; a limit must be a number, 0 or off.
    for bad in [
        ["--rate-limit-window", "0"],
        ["--rate-limit", "many"],
        ["--daily-limit", "1.5"],
    ] {
        let out = bare().arg("sim").args(bad).output().expect("runs");
        assert_eq!(out.status.code(), Some(2), "{bad:?}: {}", stderr_of(&out));
        assert!(stderr_of(&out).contains(bad[0]), "{}", stderr_of(&out));
    }
}
