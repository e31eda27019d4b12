//! §2 and §6: an unknown outcome has its own exit code and status and says how to find out;
//! the CLI speaks in flags and environment variables, refuses flags it would ignore, and
//! asserts nothing it does not know.

mod common;

use std::time::Duration;

use common::{CREATOR, IDENTITY, Sim, bare, stderr_of, stdout_of};
use tencent_meeting_sim::{DEMO_ACCESS_TOKEN, DEMO_OPEN_ID, Faults, MeetingSpec};

#[test]
fn an_unknown_outcome_exits_4_says_unknown_and_how_to_find_out() {
    let sim = Sim::start();
    let id = sim.meeting(MeetingSpec::new(CREATOR));
    // Committed, then answered after the client gave up: nothing shows whether it ended.
    sim.faults(Faults::none().latency_after_dismiss(Duration::from_millis(800)));
    let dismiss = |extra: &[&str]| {
        sim.cli()
            .args(["dismiss", &id])
            .args(IDENTITY)
            .args(["--timeout", "0.3", "--attempts", "1"])
            .args(extra)
            .output()
            .expect("runs")
    };
    let out = dismiss(&["--output", "json"]);
    assert_eq!(out.status.code(), Some(4), "{}", stderr_of(&out));
    let record: serde_json::Value = serde_json::from_str(stdout_of(&out).trim()).expect("JSON");
    assert_eq!(record["status"], "unknown");
    assert_eq!(record["ok"], false);
    assert_eq!(record["error"]["maybe_applied"], true);
    let find_out = format!(
        "tencent-meeting dismiss {id} --userid {CREATOR} --instance pc --reason-code 1 --lookup"
    );
    assert!(
        record["to_find_out"]
            .as_str()
            .is_some_and(|s| s.starts_with(&find_out)),
        "{record}"
    );
    // In text, on stderr, in the CLI's words.
    let id2 = sim.meeting(MeetingSpec::new(CREATOR));
    let out = sim
        .cli()
        .args(["dismiss", &id2])
        .args(IDENTITY)
        .args(["--timeout", "0.3", "--attempts", "1"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(4));
    let text = stderr_of(&out);
    assert!(text.starts_with("error: unknown: meeting"), "{text}");
    assert!(
        text.contains("outcome unknown after 1 attempt(s)"),
        "{text}"
    );
    assert!(
        text.contains("To find out: tencent-meeting dismiss"),
        "{text}"
    );

    // The command it suggests answers the question: the meeting has ended.
    sim.faults(Faults::none());
    let args: Vec<String> = find_out
        .split_whitespace()
        .skip(1)
        .map(str::to_string)
        .collect();
    let out = sim.cli().args(&args).output().expect("runs");
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert!(
        stdout_of(&out).contains(&format!(
            "meeting {id} had already ended (the look-up says MEETING_STATE_ENDED)"
        )),
        "{}",
        stdout_of(&out)
    );
    assert_eq!(sim.dismiss_count(&id), 1);

    // With a retry, the client itself settles it: the retry is told "already ended", and a
    // look-up confirms it; the CLI says so.
    let id3 = sim.meeting(MeetingSpec::new(CREATOR));
    sim.faults(Faults::none().latency_after_dismiss(Duration::from_millis(800)));
    let out = sim
        .cli()
        .args(["dismiss", &id3])
        .args(IDENTITY)
        .args(["--timeout", "0.3", "--attempts", "2"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert!(
        stdout_of(&out).contains(
            "a retry found the meeting already ended, and a look-up shows it MEETING_STATE_ENDED"
        ),
        "{}",
        stdout_of(&out)
    );
}

#[test]
fn flags_that_would_be_ignored_are_refused_and_nothing_is_sent() {
    let sim = Sim::start();
    let id = sim.meeting(MeetingSpec::new(CREATOR));
    for (extra, named) in [
        (
            vec!["--remaining-sub-meetings", "2"],
            "--remaining-sub-meetings applies only to --kind recurring",
        ),
        (
            vec!["--kind", "quick", "--remaining-sub-meetings", "2"],
            "--remaining-sub-meetings applies only to --kind recurring",
        ),
        (vec!["--operator-id-type", "userid"], "--operator-id"),
        (vec!["--attempts", "0"], "--attempts"),
        (
            vec!["--concurrency", "4"],
            "--concurrency applies only to a batch",
        ),
        (vec!["--dry-run", "--journal", "j.jsonl"], "--journal"),
        (vec!["--dry-run", "--lookup"], "--lookup"),
    ] {
        let out = sim
            .cli()
            .args(["dismiss", &id])
            .args(IDENTITY)
            .args(&extra)
            .output()
            .expect("runs");
        assert_eq!(out.status.code(), Some(2), "{extra:?}: {}", stderr_of(&out));
        assert!(
            stderr_of(&out).contains(named),
            "{extra:?}: {}",
            stderr_of(&out)
        );
    }
    assert_eq!(sim.requests(), 0);
}

#[test]
fn messages_name_flags_and_variables_not_methods() {
    let sim = Sim::start();
    let recurring =
        sim.meeting(MeetingSpec::new(CREATOR).recurring(["1700000001", "1700000002"], 1));
    let out = sim
        .cli()
        .args(["dismiss", &recurring])
        .args(IDENTITY)
        .args(["--kind", "recurring", "--retrieve-code"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let text = stderr_of(&out);
    assert!(text.contains("add --force-retrieve-code"), "{text}");
    assert!(
        !text.contains("()") && !text.contains(".force_retrieve_code"),
        "{text}"
    );

    // OAuth2.0 acting as someone else: the variable that decides it is named.
    let out = bare()
        .env("TENCENT_MEETING_ACCESS_TOKEN", DEMO_ACCESS_TOKEN)
        .env("TENCENT_MEETING_OPEN_ID", DEMO_OPEN_ID)
        .env("TENCENT_MEETING_BASE_URL", sim.sim().base_url())
        .args([
            "dismiss",
            &recurring,
            "--userid",
            "someone-else",
            "--instance",
            "pc",
        ])
        .args(["--reason-code", "1"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let text = stderr_of(&out);
    assert!(
        text.contains("invalid --userid") && text.contains("TENCENT_MEETING_OPEN_ID"),
        "{text}"
    );
    assert!(!text.contains("Operator::"), "{text}");
    assert_eq!(sim.requests(), 0);

    // A missing credential is named; both sets at once are refused, naming them.
    let out = bare()
        .env("TENCENT_MEETING_APP_ID", "1")
        .env("TENCENT_MEETING_SECRET_ID", "id")
        .args(["dismiss", "1"])
        .args(IDENTITY)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr_of(&out).contains("TENCENT_MEETING_SECRET_KEY is not set"),
        "{}",
        stderr_of(&out)
    );
    let out = sim
        .cli()
        .env("TENCENT_MEETING_ACCESS_TOKEN", DEMO_ACCESS_TOKEN)
        .args(["dismiss", "1"])
        .args(IDENTITY)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let text = stderr_of(&out);
    assert!(
        text.contains("both enterprise (")
            && text.contains("TENCENT_MEETING_SECRET_KEY")
            && text.contains("OAuth2.0 (TENCENT_MEETING_ACCESS_TOKEN)"),
        "{text}"
    );

    // `dismiss --help` lists the environment.
    let out = bare().args(["dismiss", "--help"]).output().expect("runs");
    let help = stdout_of(&out);
    for var in [
        "TENCENT_MEETING_APP_ID",
        "TENCENT_MEETING_SECRET_ID",
        "TENCENT_MEETING_SECRET_KEY",
        "TENCENT_MEETING_SDK_ID",
        "TENCENT_MEETING_ACCESS_TOKEN",
        "TENCENT_MEETING_OPEN_ID",
        "TENCENT_MEETING_BASE_URL",
    ] {
        assert!(help.contains(var), "{var} in --help: {help}");
    }
    assert!(help.contains("Exit codes"), "{help}");
}

#[test]
fn without_a_kind_it_says_what_was_sent_not_what_it_does_not_know() {
    let sim = Sim::start();
    let quick = sim.meeting(MeetingSpec::new(CREATOR).quick());
    let out = sim
        .cli()
        .args(["dismiss", &quick])
        .args(IDENTITY)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let text = stdout_of(&out);
    assert!(
        text.contains("sent retrieve_code 0 (the code is kept, unless it is a quick meeting: the service reclaims those anyway)"),
        "{text}"
    );
    assert!(!text.contains("meeting code kept"), "{text}");
    assert!(
        sim.view(&quick).code_reclaimed,
        "the service did reclaim it"
    );
}

#[test]
fn sign_takes_the_secret_key_from_the_environment_or_standard_input() {
    let sign = |cmd: &mut assert_cmd::Command, extra: &[&str]| {
        let out = cmd
            .args(["sign", "--secret-id", "AKID", "--timestamp", "1700000000"])
            .args(extra)
            .args([
                "--nonce",
                "42",
                "--method",
                "POST",
                "--uri",
                "/v1/meetings/1/dismiss",
            ])
            .args(["--body", "{}"])
            .output()
            .expect("runs");
        assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
        stdout_of(&out)
    };
    let from_env = sign(bare().env("TENCENT_MEETING_SECRET_KEY", "the-key"), &[]);
    let from_stdin = sign(bare().write_stdin("the-key\n"), &["--secret-key-stdin"]);
    let from_flag = sign(&mut bare(), &["--secret-key", "the-key"]);
    assert_eq!(from_env, from_flag);
    assert_eq!(from_stdin, from_flag);
    let out = bare()
        .args([
            "sign",
            "--secret-id",
            "AKID",
            "--timestamp",
            "1",
            "--nonce",
            "2",
        ])
        .args(["--method", "POST", "--uri", "/x"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr_of(&out).contains("TENCENT_MEETING_SECRET_KEY"),
        "{}",
        stderr_of(&out)
    );
}
