//! §5: batches lose nothing. The CLI as a process against a simulator on loopback, stopped with
//! real signals.

mod common;

use std::io::Write as _;
use std::process::{Child, Output, Stdio};
use std::time::Duration;

use common::{
    CREATOR, IDENTITY, Sim, id_file, json_lines, records_and_summary, signal, stderr_of, stdout_of,
    tempdir, wait_until,
};
use nix::sys::signal::Signal;
use serde_json::Value;
use tencent_meeting_sim::{Faults, MeetingSpec};

/// Spawns a batch over `ids` (JSON output, no client rate limit).
fn spawn_batch(sim: &Sim, file: &std::path::Path, extra: &[&str]) -> Child {
    sim.spawnable()
        .args(["dismiss", "--from", &file.to_string_lossy()])
        .args(IDENTITY)
        .args(["--rate-limit", "off", "--output", "json"])
        .args(extra)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the CLI starts")
}

fn finish(child: Child) -> Output {
    child.wait_with_output().expect("the CLI exits")
}

#[test]
fn the_first_signal_stops_the_intake_and_reports_every_call_in_flight() {
    for (name, sig) in [("SIGINT", Signal::SIGINT), ("SIGTERM", Signal::SIGTERM)] {
        let sim = Sim::start();
        let ids = sim.meetings(24);
        // Each dismiss is committed at once and answered 400 ms later: when the signal comes,
        // meetings have ended on the server whose answers are still on their way.
        sim.faults(Faults::none().latency_after_dismiss(Duration::from_millis(400)));
        let dir = tempdir();
        let file = id_file(&dir, "ids.txt", &ids);
        let child = spawn_batch(&sim, &file, &["--concurrency", "8"]);
        wait_until(Duration::from_secs(20), "8 dismisses in flight", || {
            sim.stats().dismissals >= 8
        });
        signal(&child, sig);
        let out = finish(child);
        assert_eq!(out.status.code(), Some(130), "{name}: {}", stderr_of(&out));
        let (records, summary) = records_and_summary(&out);
        let ended: Vec<&String> = ids.iter().filter(|id| sim.dismiss_count(id) == 1).collect();
        assert!(
            ended.len() < ids.len(),
            "{name}: no new IDs after the signal"
        );
        // Every meeting that ended on the server is reported done, and nothing else is reported.
        for id in &ended {
            let record = records
                .iter()
                .find(|r| r["meeting_id"] == id.as_str())
                .unwrap_or_else(|| panic!("{name}: {id} ended on the server but was not reported"));
            assert_eq!(record["status"], "done", "{name}: {record}");
        }
        assert_eq!(records.len(), ended.len(), "{name}: {records:?}");
        assert_eq!(summary["interrupted"], true);
        assert_eq!(summary["aborted"], false);
        assert_eq!(summary["done"].as_u64(), Some(ended.len() as u64));
        assert!(
            stderr_of(&out).contains("interrupted: no new IDs were taken"),
            "{name}: {}",
            stderr_of(&out)
        );
    }
}

#[test]
fn a_second_signal_abandons_the_calls_in_flight_as_unknown_and_the_journal_settles_them() {
    let sim = Sim::start();
    let ids = sim.meetings(6);
    // Committed at once, answered only after 1.5 s: the second signal comes long before.
    sim.faults(Faults::none().latency_after_dismiss(Duration::from_millis(1500)));
    let dir = tempdir();
    let file = id_file(&dir, "ids.txt", &ids);
    let journal = dir.join("journal.jsonl");
    let child = spawn_batch(
        &sim,
        &file,
        &[
            "--concurrency",
            "4",
            "--journal",
            &journal.to_string_lossy(),
        ],
    );
    wait_until(Duration::from_secs(20), "4 dismisses in flight", || {
        sim.stats().dismissals >= 4
    });
    // The first signal starts the drain; the next ones (sent until it exits, as a signal sent
    // before the first is handled could merge with it) abandon it.
    signal(&child, Signal::SIGINT);
    let mut child = child;
    let mut exited = None;
    for _ in 0..200 {
        std::thread::sleep(Duration::from_millis(50));
        if let Ok(Some(status)) = child.try_wait() {
            exited = Some(status);
            break;
        }
        signal(&child, Signal::SIGINT);
    }
    assert!(exited.is_some(), "the second signal ends the run");
    let out = finish(child);
    assert_eq!(out.status.code(), Some(130), "{}", stderr_of(&out));
    let (records, summary) = records_and_summary(&out);
    assert_eq!(
        records.len(),
        4,
        "the calls in flight are listed: {records:?}"
    );
    for record in &records {
        assert_eq!(record["status"], "unknown", "{record}");
        assert_eq!(record["error"]["kind"], "aborted", "{record}");
        assert!(
            record["to_find_out"]
                .as_str()
                .is_some_and(|s| s.contains("--journal")),
            "{record}"
        );
    }
    assert_eq!(summary["aborted"], true);
    assert_eq!(summary["unknown"], 4);
    // They did end on the server: unknown was the honest answer. Running the same batch again
    // with the journal settles them by look-up and dismisses the two never taken.
    sim.faults(Faults::none());
    let out = finish(spawn_batch(
        &sim,
        &file,
        &[
            "--concurrency",
            "4",
            "--journal",
            &journal.to_string_lossy(),
        ],
    ));
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let (records, summary) = records_and_summary(&out);
    let by_look_up = records
        .iter()
        .filter(|r| r["status"] == "done" && r["confirmed_by"] == "look-up")
        .count();
    assert_eq!(by_look_up, 4, "{records:?}");
    assert_eq!(summary["done"], 6);
    for id in &ids {
        assert_eq!(sim.dismiss_count(id), 1, "{id}");
    }
}

#[test]
fn a_read_error_mid_file_drains_the_calls_in_flight_and_reports_them() {
    let sim = Sim::start();
    let ids = sim.meetings(6);
    sim.faults(Faults::none().latency_after_dismiss(Duration::from_millis(300)));
    let dir = tempdir();
    let file = dir.join("ids.txt");
    let mut bytes = Vec::new();
    for id in &ids[..4] {
        bytes.extend_from_slice(format!("{id}\n").as_bytes());
    }
    bytes.extend_from_slice(b"\xff\xfe garbage\n");
    for id in &ids[4..] {
        bytes.extend_from_slice(format!("{id}\n").as_bytes());
    }
    std::fs::write(&file, bytes).expect("write");
    let out = finish(spawn_batch(&sim, &file, &["--concurrency", "8"]));
    assert_eq!(out.status.code(), Some(5), "{}", stderr_of(&out));
    let (records, summary) = records_and_summary(&out);
    assert_eq!(records.len(), 4, "{records:?}");
    assert!(records.iter().all(|r| r["status"] == "done"), "{records:?}");
    for id in &ids[..4] {
        assert_eq!(sim.dismiss_count(id), 1);
    }
    for id in &ids[4..] {
        assert_eq!(sim.dismiss_count(id), 0, "nothing after the error is sent");
    }
    let stderr = stderr_of(&out);
    assert!(stderr.contains("at line 5"), "{stderr}");
    assert!(stderr.contains("stopped reading"), "{stderr}");
    assert!(!stderr.contains("nothing sent"), "{stderr}");
    assert!(
        summary["input_error"]
            .as_str()
            .is_some_and(|e| e.contains("line 5")),
        "{summary}"
    );
}

#[test]
fn already_ended_is_its_own_status_repeats_are_skipped_and_errors_carry_their_line() {
    let sim = Sim::start();
    let ids = sim.meetings(2);
    let ended = sim.meeting(MeetingSpec::new(CREATOR));
    // End it first, as a host would.
    let out = sim
        .cli()
        .args(["dismiss", &ended])
        .args(IDENTITY)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));

    let dir = tempdir();
    let file = dir.join("ids.txt");
    std::fs::write(
        &file,
        format!(
            "{}\n# a comment\n{ended}\n{}\n{}  # again\n",
            ids[0], ids[1], ids[0]
        ),
    )
    .expect("write");
    let run = |output: &str| {
        sim.cli()
            .args(["dismiss", "--from", &file.to_string_lossy()])
            .args(IDENTITY)
            .args(["--output", output])
            .output()
            .expect("runs")
    };
    let out = run("json");
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let (records, summary) = records_and_summary(&out);
    let of =
        |id: &str| -> Vec<&Value> { records.iter().filter(|r| r["meeting_id"] == id).collect() };
    let already = of(&ended);
    assert_eq!(already.len(), 1);
    assert_eq!(already[0]["status"], "already_ended");
    assert_eq!(already[0]["ok"], true);
    assert_eq!(already[0]["line"], 3);
    assert_eq!(already[0]["answer"]["code"], 13603);
    let repeats = of(&ids[0]);
    assert_eq!(repeats.len(), 2);
    let repeat = repeats
        .iter()
        .find(|r| r["status"] == "skipped")
        .expect("the repeat is skipped");
    assert_eq!(repeat["reason"], "duplicate");
    assert_eq!(
        (repeat["line"].as_u64(), repeat["first_line"].as_u64()),
        (Some(5), Some(1))
    );
    assert!(
        stderr_of(&out).contains(&format!(
            "warning: line 5: meeting {} repeats line 1: skipped",
            ids[0]
        )),
        "{}",
        stderr_of(&out)
    );
    assert_eq!(
        (
            summary["done"].as_u64(),
            summary["already_ended"].as_u64(),
            summary["duplicates"].as_u64()
        ),
        (Some(2), Some(1), Some(1))
    );
    assert_eq!(sim.dismiss_count(&ids[0]), 1, "a repeated ID is sent once");

    // In text, with an ID the client refuses: the error names its line; the exit code is the
    // worst outcome's (2: refused before sending).
    std::fs::write(&file, format!("{ended}\n12ab\n")).expect("write");
    let out = run("text");
    assert_eq!(out.status.code(), Some(2), "{}", stderr_of(&out));
    let text = stdout_of(&out);
    assert!(
        text.contains(&format!("line 1: meeting {ended} had already ended")),
        "{text}"
    );
    assert!(
        text.contains("line 2: failed: meeting 12ab: invalid meeting ID"),
        "{text}"
    );
    assert!(
        stderr_of(&out).contains("summary: 2 meeting(s): 0 dismissed, 1 already ended, 1 failed"),
        "{}",
        stderr_of(&out)
    );
}

#[test]
fn standard_input_is_streamed_without_a_counting_pass() {
    let sim = Sim::start();
    let ids = sim.meetings(2);
    let mut child = sim
        .spawnable()
        .args(["dismiss", "--from", "-"])
        .args(IDENTITY)
        .args(["--output", "json"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starts");
    let mut stdin = child.stdin.take().expect("stdin");
    writeln!(stdin, "{}", ids[0]).expect("write");
    stdin.flush().expect("flush");
    // Dismissed while standard input is still open: nothing waits for its end.
    wait_until(Duration::from_secs(20), "the first ID dismissed", || {
        sim.dismiss_count(&ids[0]) == 1
    });
    writeln!(stdin, "{}", ids[1]).expect("write");
    drop(stdin);
    let out = finish(child);
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 3, "two records and the summary: {lines:?}");
    assert_eq!(lines[1]["line"], 2);
    assert_eq!(sim.dismiss_count(&ids[1]), 1);
    assert!(
        !stderr_of(&out).contains("meetings,"),
        "no progress bar when stderr is not a terminal: {}",
        stderr_of(&out)
    );
}

#[test]
fn a_single_id_is_a_batch_of_one_a_signal_waits_for_its_answer_and_the_journal_keeps_it() {
    let sim = Sim::start();
    let id = sim.meeting(MeetingSpec::new(CREATOR));
    sim.faults(Faults::none().latency_after_dismiss(Duration::from_millis(400)));
    let dir = tempdir();
    let journal = dir.join("one.jsonl");
    let child = sim
        .spawnable()
        .args(["dismiss", &id])
        .args(IDENTITY)
        .args(["--journal", &journal.to_string_lossy(), "--output", "json"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starts");
    wait_until(Duration::from_secs(20), "the dismiss committed", || {
        sim.dismiss_count(&id) == 1
    });
    signal(&child, Signal::SIGINT);
    let out = finish(child);
    assert_eq!(out.status.code(), Some(130), "{}", stderr_of(&out));
    let lines = json_lines(&out);
    assert_eq!(
        lines.len(),
        1,
        "one record, no summary for one ID: {lines:?}"
    );
    assert_eq!(lines[0]["status"], "done");
    assert!(
        stderr_of(&out).contains("interrupted: no new IDs were taken"),
        "{}",
        stderr_of(&out)
    );
    let kept = std::fs::read_to_string(&journal).expect("journal");
    let statuses: Vec<String> = kept
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .map(|r| r["status"].as_str().unwrap_or("").to_string())
        .collect();
    assert_eq!(statuses, ["sending", "done"], "{kept}");
    // Run again: done in the journal, nothing sent.
    sim.faults(Faults::none());
    let before = sim.requests();
    let out = sim
        .cli()
        .args(["dismiss", &id])
        .args(IDENTITY)
        .args(["--journal", &journal.to_string_lossy()])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert!(
        stdout_of(&out).contains("is done in the journal: skipped"),
        "{}",
        stdout_of(&out)
    );
    assert_eq!(sim.requests(), before);
}

#[test]
fn a_closed_stdout_stops_the_intake_and_the_journal_keeps_what_was_in_flight() {
    use std::io::BufRead as _;
    let sim = Sim::start();
    let ids = sim.meetings(12);
    sim.faults(Faults::none().latency_after_dismiss(Duration::from_millis(150)));
    let dir = tempdir();
    let file = id_file(&dir, "ids.txt", &ids);
    let journal = dir.join("journal.jsonl");
    let mut child = spawn_batch(
        &sim,
        &file,
        &[
            "--concurrency",
            "2",
            "--journal",
            &journal.to_string_lossy(),
        ],
    );
    // Read one outcome, then close the pipe, as `| head -1` would.
    let mut first = String::new();
    let mut stdout = std::io::BufReader::new(child.stdout.take().expect("stdout"));
    stdout.read_line(&mut first).expect("a first line");
    drop(stdout);
    let out = finish(child);
    assert_eq!(out.status.code(), Some(5), "{}", stderr_of(&out));
    let stderr = stderr_of(&out);
    assert!(stderr.contains("cannot write to stdout"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    // Nothing known is lost: the journal has a `done` for exactly the meetings that ended.
    let kept = std::fs::read_to_string(&journal).expect("journal");
    let done: Vec<String> = kept
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|r| r["status"] == "done")
        .map(|r| r["meeting_id"].as_str().unwrap_or("").to_string())
        .collect();
    let ended: Vec<String> = ids
        .iter()
        .filter(|id| sim.dismiss_count(id) == 1)
        .cloned()
        .collect();
    let mut sorted = done.clone();
    sorted.sort();
    let mut expected = ended.clone();
    expected.sort();
    assert_eq!(sorted, expected, "{kept}");
    assert!(ended.len() < ids.len(), "no new IDs after stdout closed");
}
