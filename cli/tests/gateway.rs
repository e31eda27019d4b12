//! A gateway in front of the service loses the service's answer after the service acted: an HTML
//! 504 or a proxy's 200 page in its place, on the first attempt only or on every attempt. The
//! CLI, as a user runs it, must end `done` (a look-up showed it) or `unknown` (exit 4) — never
//! `failed` nor `already_ended` — single or batch, with or without `--journal`, and the
//! meeting is dismissed exactly once.

mod common;

use std::process::Output;

use common::{IDENTITY, Sim, id_file, records_and_summary, stderr_of, tempdir};
use serde_json::Value;
use tencent_meeting_sim::{FailNext, FailureKind, Faults};

/// The gateway's faults: the first dismiss attempt of each meeting, or every dismiss attempt.
fn gateway(kind: &FailureKind, every_attempt: bool, ids: &[String]) -> Faults {
    if every_attempt {
        return Faults::none().fail_next_when(FailNext::new(1000, kind.clone()).dismiss_only());
    }
    ids.iter().fold(Faults::none(), |faults, id| {
        faults.fail_next_when(FailNext::new(1, kind.clone()).dismiss_only().meeting(id))
    })
}

fn records(out: &Output, single: bool) -> Vec<Value> {
    if single {
        common::json_lines(out)
            .into_iter()
            .filter(|l| l.get("meeting_id").is_some())
            .collect()
    } else {
        records_and_summary(out).0
    }
}

#[test]
fn a_gateways_page_after_the_service_acted_ends_done_or_unknown_never_failed() {
    let sim = Sim::start();
    for kind in [
        FailureKind::Html504AfterCommit,
        FailureKind::Proxy200AfterCommit,
    ] {
        for every_attempt in [false, true] {
            for single in [true, false] {
                for journaled in [false, true] {
                    let case = format!(
                        "{} {} {} {}",
                        kind.name(),
                        if every_attempt {
                            "every attempt"
                        } else {
                            "first attempt"
                        },
                        if single { "single" } else { "batch" },
                        if journaled { "journal" } else { "no journal" }
                    );
                    let ids = sim.meetings(if single { 1 } else { 3 });
                    sim.faults(gateway(&kind, every_attempt, &ids));
                    let dir = tempdir();
                    let journal = dir.join("journal.jsonl");
                    let mut cli = sim.cli();
                    cli.arg("dismiss");
                    if single {
                        cli.arg(&ids[0]);
                    } else {
                        cli.args(["--from", &id_file(&dir, "ids.txt", &ids).to_string_lossy()]);
                    }
                    cli.args(IDENTITY)
                        .args(["--output", "json", "--attempts", "3"]);
                    if journaled {
                        cli.args(["--journal", &journal.to_string_lossy()]);
                    }
                    let out = cli.output().expect("runs");
                    let records = records(&out, single);
                    assert_eq!(records.len(), ids.len(), "{case}: {}", stderr_of(&out));
                    let mut unknown = false;
                    for record in &records {
                        match record["status"].as_str() {
                            Some("done") => {
                                assert_eq!(record["confirmed_by"], "look-up", "{case}: {record}")
                            }
                            Some("unknown") => {
                                unknown = true;
                                assert_eq!(record["error"]["exit_code"], 4, "{case}: {record}");
                                assert_eq!(record["error"]["maybe_applied"], true, "{case}");
                            }
                            _ => panic!("{case}: never failed nor already ended: {record}"),
                        }
                    }
                    let expected_exit = if unknown { 4 } else { 0 };
                    assert_eq!(out.status.code(), Some(expected_exit), "{case}");
                    for id in &ids {
                        assert_eq!(sim.dismiss_count(id), 1, "{case}: dismissed once");
                    }
                    // A 504 on the first attempt only is retried, and the retry's "already
                    // ended" is settled by a look-up.
                    if kind == FailureKind::Html504AfterCommit && !every_attempt {
                        assert!(!unknown, "{case}: settled by the look-up");
                    }
                    if every_attempt {
                        assert!(unknown, "{case}: nothing can settle it");
                    }
                    // With a journal, running again settles what was unknown: the look-up shows
                    // each meeting over, ended perhaps by the earlier run; nothing is sent again.
                    if journaled && unknown {
                        sim.faults(Faults::none());
                        let before = sim.stats().dismiss_requests;
                        let out = cli.output().expect("runs again");
                        assert_eq!(out.status.code(), Some(0), "{case}: {}", stderr_of(&out));
                        for record in self::records(&out, single) {
                            if record["status"] == "skipped" {
                                continue;
                            }
                            assert_eq!(record["status"], "done", "{case}: {record}");
                            assert_eq!(record["confirmed_by"], "look-up", "{case}: {record}");
                        }
                        assert_eq!(sim.stats().dismiss_requests, before, "{case}: none sent");
                    }
                }
            }
        }
    }
}

/// A journal that left an ID in doubt ("sending" with no outcome), as a crash leaves it.
fn in_doubt_journal(id: &str) -> common::TestFile {
    let journal = common::TestFile::new("cli-journal", "journal.jsonl");
    std::fs::write(
        &journal,
        format!("{{\"meeting_id\":\"{id}\",\"line\":1,\"status\":\"sending\"}}\n"),
    )
    .expect("write the journal");
    journal
}

#[test]
fn an_id_in_doubt_is_reported_as_the_look_up_shows_it() {
    use tencent_meeting::MeetingStatus;
    use tencent_meeting_sim::MeetingSpec;

    let sim = Sim::start();
    // Never started (MEETING_STATE_NULL): not over, so not "done" — nobody dismissed it. The
    // dismiss is sent and the service says why it cannot be.
    let never_started = sim.meeting(MeetingSpec::new(common::CREATOR).status(MeetingStatus::Null));
    let journal = in_doubt_journal(&never_started);
    let out = sim
        .cli()
        .args(["dismiss", &never_started])
        .args(IDENTITY)
        .args(["--journal", &journal.to_string_lossy(), "--output", "json"])
        .output()
        .expect("runs");
    let record = &common::json_lines(&out)[0];
    assert_eq!(record["status"], "failed", "{record}");
    assert_eq!(record["error"]["code"], 9003, "{record}");
    assert_eq!(sim.dismiss_count(&never_started), 0);

    // Over: reported as what the look-up shows (ended, perhaps by the earlier run), not as a
    // dismiss answered.
    let ended = sim.meeting(MeetingSpec::new(common::CREATOR).status(MeetingStatus::Ended));
    let journal = in_doubt_journal(&ended);
    let out = sim
        .cli()
        .args(["dismiss", &ended])
        .args(IDENTITY)
        .args(["--journal", &journal.to_string_lossy()])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let text = common::stdout_of(&out);
    assert!(
        text.contains(&format!(
            "meeting {ended} has ended (a look-up says MEETING_STATE_ENDED)"
        )) && text.contains("perhaps that dismiss ended it")
            && !text.contains("dismissed meeting"),
        "{text}"
    );
}
