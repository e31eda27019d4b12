//! §5: `--journal`. Running the same batch again skips what is done, retries what failed and
//! settles unknown outcomes by look-up; after `kill -9` at random points (a real
//! `tencent-meeting sim` process on the other side) every meeting is dismissed exactly once and
//! every ID ends with one outcome.

mod common;

use std::collections::HashMap;
use std::path::Path;
use std::process::{Output, Stdio};
use std::time::Duration;

use common::{
    CREATOR, IDENTITY, Sim, SimProcess, id_file, records_and_summary, stderr_of, tempdir,
};
use rand::{Rng as _, SeedableRng as _};
use serde_json::Value;
use tencent_meeting_sim::{ApiFailure, FailNext, FailureKind, Faults, MeetingSpec};

/// The journal's records, in order.
fn journal_records(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("journal line ({e}): {l}")))
        .collect()
}

#[test]
fn running_again_skips_what_is_done_retries_what_failed_and_settles_what_is_unknown() {
    let sim = Sim::start();
    let [committed, refused, dropped, fine, ended] =
        [(); 5].map(|()| sim.meeting(MeetingSpec::new(CREATOR)));
    // Ended before the batch, as a host would.
    let out = sim
        .cli()
        .args(["dismiss", &ended])
        .args(IDENTITY)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let dir = tempdir();
    let ids = [&committed, &refused, &dropped, &fine, &ended].map(|s| s.to_string());
    let file = id_file(&dir, "ids.txt", &ids);
    let journal = dir.join("journal.jsonl");
    let run = |file: &Path, extra: &[&str]| -> Output {
        sim.cli()
            .args(["dismiss", "--from", &file.to_string_lossy()])
            .args(IDENTITY)
            .args(["--journal", &journal.to_string_lossy(), "--output", "json"])
            .args(["--concurrency", "1", "--attempts", "1"])
            .args(extra)
            .output()
            .expect("runs")
    };
    // `fine` is dismissed by an earlier run with the same journal.
    let out = run(&id_file(&dir, "fine.txt", std::slice::from_ref(&fine)), &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    // Then the batch: `committed` ends on the server but its answer comes after the timeout
    // (unknown); `refused` is answered 190004 (failed, nothing applied); `dropped` loses its
    // connection before it is handled (unknown, not applied); `fine` is done in the journal;
    // `ended` had already ended (refusals are answered at once, only successes are slow).
    sim.faults(
        Faults::none()
            .latency_after_dismiss(Duration::from_millis(800))
            .fail_next_when(FailNext::new(1, ApiFailure::new(190004)).meeting(&refused))
            .fail_next_when(FailNext::new(1, FailureKind::Drop).meeting(&dropped)),
    );
    let out = run(&file, &["--timeout", "0.3"]);
    assert_eq!(
        out.status.code(),
        Some(4),
        "unknown outcomes: {}",
        stderr_of(&out)
    );
    let (records, _) = records_and_summary(&out);
    let status: HashMap<&str, &str> = records
        .iter()
        .map(|r| {
            (
                r["meeting_id"].as_str().unwrap_or(""),
                r["status"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(status[committed.as_str()], "unknown");
    assert_eq!(status[refused.as_str()], "failed");
    assert_eq!(status[dropped.as_str()], "unknown");
    assert_eq!(status[ended.as_str()], "already_ended");
    assert_eq!(sim.dismiss_count(&committed), 1, "it did end");
    assert_eq!(sim.dismiss_count(&dropped), 0, "it did not");

    // Second run, the same command: done and already ended are skipped, the failure is retried,
    // the unknowns are looked up: `committed` has ended (done, by look-up), `dropped` still runs
    // (dismissed now).
    sim.faults(Faults::none());
    let before = sim.stats();
    let out = run(&file, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let (records, summary) = records_and_summary(&out);
    let of = |id: &str| -> &Value {
        records
            .iter()
            .find(|r| r["meeting_id"] == id)
            .unwrap_or_else(|| panic!("{id} reported"))
    };
    assert_eq!(of(&committed)["status"], "done");
    assert_eq!(of(&committed)["confirmed_by"], "look-up");
    assert_eq!(of(&committed)["earlier_outcome"], "unknown");
    assert_eq!(of(&dropped)["status"], "done");
    assert_eq!(of(&dropped)["confirmed_by"], "answer");
    assert_eq!(of(&refused)["status"], "done");
    for (id, prior) in [(&fine, "done"), (&ended, "already_ended")] {
        assert_eq!(of(id)["status"], "skipped");
        assert_eq!(of(id)["journal_status"], prior);
    }
    assert_eq!(
        (summary["done"].as_u64(), summary["skipped"].as_u64()),
        (Some(3), Some(2))
    );
    let after = sim.stats();
    assert_eq!(
        after.dismiss_requests - before.dismiss_requests,
        2,
        "only `dropped` and `refused` were sent again"
    );
    for id in &ids {
        assert_eq!(sim.dismiss_count(id), 1, "{id}");
    }
    // A third run has nothing left to do.
    let out = run(&file, &[]);
    assert_eq!(out.status.code(), Some(0));
    let (_, summary) = records_and_summary(&out);
    assert_eq!(summary["skipped"], 5);
}

#[test]
fn after_kill_9_at_random_points_each_meeting_is_dismissed_once_and_each_id_has_one_outcome() {
    const ROUNDS: usize = 6;
    const MEETINGS: usize = 24;
    let seed = std::env::var("TM_KILL_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5eed_u64);
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let sim = SimProcess::start(&["--rate-limit", "off", "--daily-limit", "off"]);
    // Requests are handled a little late, and answers come a little after each dismiss is
    // committed: a kill finds calls before, in and after the service's commit point.
    sim.faults(
        &Faults::none()
            .latency(Duration::from_millis(5))
            .latency_after_dismiss(Duration::from_millis(15)),
    );
    let dir = tempdir();
    let (mut in_doubt, mut settled) = (0, 0);
    for round in 0..ROUNDS {
        let ids = sim.create(MEETINGS);
        let file = id_file(&dir, &format!("ids-{round}.txt"), &ids);
        let journal = dir.join(format!("journal-{round}.jsonl"));
        let batch = || {
            let mut cmd = sim.cli();
            cmd.args(["dismiss", "--from", &file.to_string_lossy()])
                .args(IDENTITY)
                .args(["--journal", &journal.to_string_lossy(), "--output", "json"])
                .args(["--concurrency", "4", "--rate-limit", "off"])
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped());
            cmd
        };
        let kills = rng.random_range(1..=3);
        for _ in 0..kills {
            let mut child = batch().spawn().expect("starts");
            std::thread::sleep(Duration::from_millis(rng.random_range(0..250)));
            let _ = child.kill(); // SIGKILL
            let _ = child.wait();
        }
        // What the kills left: IDs whose last line is `sending` (in doubt) or an outcome.
        let mut last: HashMap<String, String> = HashMap::new();
        for r in journal_records(&journal) {
            last.insert(
                r["meeting_id"].as_str().unwrap_or("").to_string(),
                r["status"].as_str().unwrap_or("").to_string(),
            );
        }
        in_doubt += last.values().filter(|s| *s == "sending").count();
        settled += last.len();
        let out = batch().output().expect("the last run finishes");
        assert_eq!(
            out.status.code(),
            Some(0),
            "seed {seed} round {round}: {}",
            stderr_of(&out)
        );
        // The last run reports every ID once, as done now or done before.
        let (records, _) = records_and_summary(&out);
        let mut reported: Vec<&str> = records
            .iter()
            .map(|r| r["meeting_id"].as_str().unwrap_or(""))
            .collect();
        reported.sort_unstable();
        let mut expected: Vec<&str> = ids.iter().map(String::as_str).collect();
        expected.sort_unstable();
        assert_eq!(reported, expected, "seed {seed} round {round}");
        for r in &records {
            let done_now = r["status"] == "done";
            let done_before = r["status"] == "skipped" && r["journal_status"] == "done";
            assert!(done_now || done_before, "seed {seed} round {round}: {r}");
        }
        // The journal holds exactly one final outcome per ID, `done` (never `already_ended`:
        // a dismiss of ours that a kill interrupted is settled by look-up as ours).
        let mut finals: HashMap<String, Vec<String>> = HashMap::new();
        for r in journal_records(&journal) {
            let status = r["status"].as_str().unwrap_or("").to_string();
            if status != "sending" && status != "unknown" {
                finals
                    .entry(r["meeting_id"].as_str().unwrap_or("").to_string())
                    .or_default()
                    .push(status);
            }
        }
        for id in &ids {
            assert_eq!(
                finals.get(id).map(Vec::as_slice),
                Some(&["done".to_string()][..]),
                "seed {seed} round {round}: {id}"
            );
            // Exactly once on the server.
            assert_eq!(
                sim.meeting(id).dismiss_count,
                1,
                "seed {seed} round {round}: {id}"
            );
        }
    }
    eprintln!(
        "seed {seed}: the kills left {in_doubt} ID(s) in doubt and {} with an outcome, of {}",
        settled - in_doubt,
        ROUNDS * MEETINGS
    );
    let stats = sim.stats();
    assert_eq!(
        stats.dismissals,
        (ROUNDS * MEETINGS) as u64,
        "no meeting dismissed twice: {stats:?}"
    );
}

#[test]
fn an_id_in_doubt_that_the_client_refuses_to_send_is_failed_not_unknown() {
    let sim = Sim::start();
    let dir = tempdir();
    let journal = dir.join("journal.jsonl");
    // A crash between the `sending` line and the refusal: nothing could have been sent.
    std::fs::write(
        &journal,
        "{\"meeting_id\":\"12ab\",\"line\":1,\"status\":\"sending\"}\n",
    )
    .expect("write");
    let out = sim
        .cli()
        .args(["dismiss", "12ab"])
        .args(IDENTITY)
        .args(["--journal", &journal.to_string_lossy(), "--output", "json"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2), "{}", stderr_of(&out));
    let record: Value = serde_json::from_str(common::stdout_of(&out).trim()).expect("one record");
    assert_eq!(record["status"], "failed");
    assert_eq!(record["error"]["kind"], "validation");
    assert_eq!(record["error"]["flag"], "meeting ID");
    assert_eq!(sim.requests(), 0);
}

/// A journal that stops taking writes (here the process's file size limit, which fails a write
/// with EFBIG as a full disk fails it with ENOSPC) stops the batch: nothing more is sent, what
/// was sent is reported, exit 5; the part of the failed write that fit is cut back off, so the
/// journal holds whole lines only. A later run with room settles the ID whose outcome went
/// unrecorded, and ends each meeting exactly once.
#[test]
fn a_journal_that_cannot_be_written_stops_the_batch_and_a_run_with_room_finishes_it() {
    use std::os::unix::process::CommandExt as _;

    let sim = Sim::start();
    let ids = sim.meetings(20);
    let dir = tempdir();
    let file = id_file(&dir, "ids.txt", &ids);
    let journal = dir.join("journal.jsonl");
    let mut cmd = sim.spawnable();
    cmd.args(["dismiss", "--from", &file.to_string_lossy()])
        .args(IDENTITY)
        .args(["--journal", &journal.to_string_lossy(), "--output", "json"])
        .args(["--concurrency", "1", "--rate-limit", "off"]);
    // SAFETY: between fork and exec only async-signal-safe calls (sigaction, setrlimit) run.
    unsafe {
        cmd.pre_exec(|| {
            use nix::sys::resource::{Resource, setrlimit};
            use nix::sys::signal::{SigHandler, Signal, signal};
            // Ignored, SIGXFSZ no longer kills the process: the write fails with EFBIG instead.
            signal(Signal::SIGXFSZ, SigHandler::SigIgn).map_err(std::io::Error::from)?;
            setrlimit(Resource::RLIMIT_FSIZE, 1_000, 1_000).map_err(std::io::Error::from)
        });
    }
    let out = cmd.output().expect("runs");
    let stderr = stderr_of(&out);
    assert_eq!(out.status.code(), Some(5), "{stderr}");
    assert!(
        stderr.contains(&*journal.to_string_lossy()) && stderr.contains("File too large"),
        "the error names the journal and what went wrong: {stderr}"
    );
    let (records, summary) = records_and_summary(&out);
    let reported_done: Vec<&str> = records
        .iter()
        .filter(|r| r["status"] == "done")
        .filter_map(|r| r["meeting_id"].as_str())
        .collect();
    // Every meeting that ended was reported, and no other.
    for id in &ids {
        assert_eq!(
            sim.dismiss_count(id),
            u32::from(reported_done.contains(&id.as_str())),
            "meeting {id}: dismissed if and only if reported done\n{records:#?}"
        );
    }
    assert!(
        !reported_done.is_empty() && reported_done.len() < ids.len(),
        "the batch stopped part-way: {summary}"
    );
    assert!(
        std::fs::metadata(&journal).expect("journal").len() <= 1_000,
        "nothing was written past the limit"
    );
    let text = std::fs::read_to_string(&journal).expect("journal");
    assert!(
        text.is_empty() || text.ends_with('\n'),
        "the failed write was cut back off: {text:?}"
    );

    // The same batch with room: it finishes, and no meeting ends twice.
    let out = sim
        .cli()
        .args(["dismiss", "--from", &file.to_string_lossy()])
        .args(IDENTITY)
        .args(["--journal", &journal.to_string_lossy(), "--output", "json"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    for id in &ids {
        assert_eq!(sim.dismiss_count(id), 1, "meeting {id} ended exactly once");
    }
    let last: HashMap<String, String> = journal_records(&journal)
        .iter()
        .filter_map(|r| {
            Some((
                r["meeting_id"].as_str()?.into(),
                r["status"].as_str()?.into(),
            ))
        })
        .collect();
    assert_eq!(last.len(), ids.len());
    assert!(
        last.values().all(|s| s == "done" || s == "already_ended"),
        "every ID has a final outcome in the journal: {last:?}"
    );
}

/// A new journal is private (`0600`: it holds meeting IDs and what happened to them) and its
/// directory is synced after the file is created, so the journal does not vanish in a power
/// loss that its synced lines survive. The directory sync is seen through `strace` (skipped
/// where there is none).
#[test]
fn a_new_journal_is_private_and_its_directory_synced() {
    use std::os::unix::fs::PermissionsExt as _;

    let sim = Sim::start();
    let id = sim.meeting(MeetingSpec::new(CREATOR));
    let dir = tempdir();
    let journal = dir.join("journal.jsonl");
    let trace = dir.join("strace.txt");
    let traced = std::process::Command::new("strace")
        .arg("-V")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    let mut cmd = sim.spawnable();
    let mut cmd = if traced {
        let mut strace = std::process::Command::new("strace");
        strace
            .args(["-f", "-qq", "-e", "trace=openat,fsync", "-o"])
            .arg(&trace)
            .arg(cmd.get_program())
            .args(cmd.get_args());
        for (key, value) in cmd.get_envs() {
            match value {
                Some(value) => strace.env(key, value),
                None => strace.env_remove(key),
            };
        }
        strace
    } else {
        eprintln!("skipped the directory sync check: no strace");
        std::mem::replace(&mut cmd, std::process::Command::new("true"))
    };
    let out = cmd
        .args(["dismiss", &id])
        .args(IDENTITY)
        .args(["--journal", &journal.to_string_lossy()])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let mode = std::fs::metadata(&journal)
        .expect("the journal")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600, "{mode:o}");
    if traced {
        let trace = std::fs::read_to_string(&trace).expect("the trace");
        // `openat(AT_FDCWD, "<dir>", O_RDONLY|O_CLOEXEC) = 7`, later `fsync(7) = 0`.
        let opened = format!("\"{}\", O_RDONLY", dir.display());
        let lines: Vec<&str> = trace.lines().collect();
        let synced = lines.iter().enumerate().any(|(n, line)| {
            line.contains(&opened)
                && line.rsplit("= ").next().is_some_and(|fd| {
                    let fd = fd.trim();
                    lines[n..].iter().any(|later| {
                        later.contains(&format!(" fsync({fd})")) && later.ends_with("= 0")
                    })
                })
        });
        assert!(synced, "the journal's directory was not synced:\n{trace}");
    }
}
