//! The file store of `events listen` as a process, as an operator meets it: created private, one
//! receiver per file, an event without a `trace_id` stored once, a write past `ulimit -f`
//! refused and undone, a store that cannot be made consistent again ending the process, and a
//! store cut short reported for what it may have lost; its segments: rotation losing nothing
//! across restarts, retention deleting only expired segments, and a single-file store from
//! before segments opening as the first one.

mod common;

use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::receiver::{
    Listener, Mode, deliver_each, listen_command, meeting_end, post, records, runtime, store_path,
};
use tencent_meeting::webhook::sender::SealedDelivery;

/// Every delivery here is in plain mode.
const MODE: Mode = Mode::Plain;

/// A delivery with no `trace_id` (nor an occurrence: not a meeting event).
fn untraced(x: usize) -> SealedDelivery {
    let plaintext =
        format!(r#"{{"event":"recording.completed","payload":[{{"record_file_id":"f{x}"}}]}}"#);
    MODE.webhook()
        .seal_event(plaintext.as_bytes(), "1700000000123", &x.to_string())
}

#[test]
fn the_store_is_private_and_an_event_without_a_trace_id_is_stored_once() {
    let store = store_path("untraced");
    let rt = runtime();
    let http = reqwest::Client::new();
    let listener = Listener::start(&store, MODE, &[]);
    let mode = std::fs::metadata(&store)
        .expect("created")
        .permissions()
        .mode();
    assert_eq!(
        mode & 0o777,
        0o600,
        "the store holds user IDs and subjects: {mode:o}"
    );
    rt.block_on(async {
        let first = untraced(1);
        // Eight copies at once (several share a group commit), then one more: all answered 200.
        let copies: Vec<_> = (0..8)
            .map(|_| {
                let (http, url, sealed) = (http.clone(), listener.url.clone(), first.clone());
                tokio::spawn(async move { post(&http, &url, &sealed).await })
            })
            .collect();
        for copy in copies {
            assert_eq!(copy.await.expect("joins"), Ok(200));
        }
        assert_eq!(post(&http, &listener.url, &first).await, Ok(200));
        // Another event without a trace id is another event.
        assert_eq!(post(&http, &listener.url, &untraced(2)).await, Ok(200));
    });
    let printed = listener.drain();
    assert_eq!(printed.len(), 2, "each event printed once: {printed:#?}");
    assert_eq!(records(&store).len(), 2, "each event stored once");
}

#[test]
fn a_second_receiver_on_the_same_store_refuses_to_start() {
    let store = store_path("two");
    let rt = runtime();
    let http = reqwest::Client::new();
    let first = Listener::start(&store, MODE, &[]);
    let Err((status, stderr)) = Listener::builder(&store).mode(MODE).spawn() else {
        panic!("a second receiver started on {}", store.display());
    };
    assert_eq!(status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(&*store.to_string_lossy())
            && stderr.contains("another `events listen` holds it"),
        "the message names the store and why: {stderr}"
    );
    // The first one is untouched.
    rt.block_on(async {
        assert_eq!(
            post(&http, &first.url, &meeting_end(MODE, 1)).await,
            Ok(200)
        );
    });
    assert_eq!(records(&store).len(), 1);
    first.kill_9();
    // Once the first has ended, the file is free.
    let again = Listener::start(&store, MODE, &[]);
    again.kill_9();
}

/// Under `ulimit -f`, a write past the limit fails with EFBIG (SIGXFSZ is ignored, it does not
/// kill the receiver): that delivery and a copy sent with it are answered 500, the part written
/// is cut off, and the receiver keeps answering. Restarted with room, it takes the delivery.
#[test]
fn a_write_past_the_file_size_limit_is_refused_and_undone() {
    let store = store_path("fsize");
    let rt = runtime();
    let http = reqwest::Client::new();
    let mut listener = Listener::builder(&store)
        .mode(MODE)
        .max_file_blocks(4)
        .start();
    let (acknowledged, refused) = rt.block_on(async {
        let mut acknowledged = Vec::new();
        for i in 0..100 {
            match post(&http, &listener.url, &meeting_end(MODE, i)).await {
                Ok(200) => acknowledged.push(i),
                Ok(500) => return (acknowledged, i),
                other => panic!("delivery {i}: {other:?}"),
            }
        }
        panic!("100 deliveries fitted under ulimit -f 4");
    });
    assert!(!acknowledged.is_empty(), "some deliveries fit");
    rt.block_on(async {
        // The refused one again, twice at once: both refused, neither acknowledged as a copy.
        let copies: Vec<_> = (0..2)
            .map(|_| {
                let (http, url) = (http.clone(), listener.url.clone());
                tokio::spawn(async move { post(&http, &url, &meeting_end(MODE, refused)).await })
            })
            .collect();
        for copy in copies {
            assert_eq!(copy.await.expect("joins"), Ok(500));
        }
    });
    assert_eq!(
        listener.child.try_wait().ok().flatten(),
        None,
        "still running: {}",
        listener.stderr()
    );
    let stored = records(&store);
    assert_eq!(
        stored.len(),
        acknowledged.len(),
        "exactly what was acknowledged, in whole lines"
    );
    for (record, i) in stored.iter().zip(&acknowledged) {
        assert_eq!(record["trace_id"], format!("trace-{i}"));
    }
    // The line is written before the 500 leaves; this side reads it from the pipe a little later.
    assert!(
        listener.wait_for_stderr("File too large"),
        "{}",
        listener.stderr()
    );
    listener.kill_9();

    let listener = Listener::start(&store, MODE, &[]);
    deliver_each(&rt, &http, &listener.url, MODE, [refused, acknowledged[0]]);
    assert_eq!(records(&store).len(), acknowledged.len() + 1);
}

/// A store cut in the middle of its last line (`truncate -s -40`) lost a record that may have
/// been acknowledged; the restart says so, cuts the rest of it off, and takes its redelivery.
#[test]
fn a_store_cut_mid_line_is_reported_as_a_possibly_acknowledged_loss() {
    let store = store_path("cut");
    let rt = runtime();
    let http = reqwest::Client::new();
    let listener = Listener::start(&store, MODE, &[]);
    deliver_each(&rt, &http, &listener.url, MODE, 0..3);
    listener.kill_9();
    let text = std::fs::read_to_string(&store).expect("the store");
    let last_line = text.lines().last().expect("three lines").len() as u64 + 1;
    let cut = Command::new("truncate")
        .args(["-s", "-40"])
        .arg(&store)
        .status()
        .expect("truncate runs");
    assert!(cut.success());
    let listener = Listener::start(&store, MODE, &[]);
    let stderr = listener.stderr();
    assert!(
        stderr.contains(&format!(
            "{} bytes of a record that may have been acknowledged were lost",
            last_line - 40
        )),
        "{stderr}"
    );
    assert!(!stderr.contains("unacknowledged write"), "{stderr}");
    assert!(
        stderr.contains(&format!("{} ended in a cut line", store.display())),
        "the segment is named: {stderr}"
    );
    assert!(
        listener.wait_for_stderr("ready: 2 deliveries read from 1 of the 1 segments"),
        "{}",
        listener.stderr()
    );
    deliver_each(&rt, &http, &listener.url, MODE, [2]);
    let stored = records(&store);
    assert_eq!(stored.len(), 3);
    assert_eq!(stored[2]["trace_id"], "trace-2");
}

/// A failed write whose undo fails too leaves the store's end unknown: the receiver says why and
/// exits non-zero (a supervisor restarts it) instead of answering 500 to everything. Made real
/// with an append-only file (`chattr +a`: it can grow but not be cut) under `ulimit -f`; skipped
/// where `chattr +a` is not allowed (it needs root and a filesystem that has the attribute).
#[test]
fn a_store_that_cannot_be_made_consistent_again_ends_the_receiver() {
    struct AppendOnly(PathBuf);
    impl Drop for AppendOnly {
        fn drop(&mut self) {
            let _ = Command::new("chattr").arg("-a").arg(&self.0).status();
        }
    }
    let store = store_path("stuck");
    std::fs::write(&store, b"").expect("create");
    let chattr = Command::new("chattr")
        .arg("+a")
        .arg(&store)
        .stderr(Stdio::null())
        .status();
    if !chattr.is_ok_and(|s| s.success()) {
        eprintln!("skipped: chattr +a is not allowed here");
        return;
    }
    let guard = AppendOnly(store.to_path_buf());
    let rt = runtime();
    let http = reqwest::Client::new();
    let mut listener = Listener::builder(&store)
        .mode(MODE)
        .max_file_blocks(4)
        .start();
    let acknowledged = rt.block_on(async {
        let mut acknowledged = 0;
        for i in 0..100 {
            match post(&http, &listener.url, &meeting_end(MODE, i)).await {
                Ok(200) => acknowledged += 1,
                // 500, or no answer: the process ended before it went out.
                _ => return acknowledged,
            }
        }
        panic!("100 deliveries fitted under ulimit -f 4");
    });
    let status = listener.wait_for_exit().expect("the receiver exits");
    assert_eq!(status.code(), Some(5), "{}", listener.stderr());
    // Written before the exit; read from the pipe by this side's thread a little later.
    listener.wait_for_stderr("Operation not permitted");
    let stderr = listener.stderr();
    assert!(
        stderr.contains("cannot be made consistent again")
            && stderr.contains("File too large")
            && stderr.contains("Operation not permitted")
            && stderr.contains(&*store.to_string_lossy()),
        "the reason, naming the store: {stderr}"
    );
    drop(guard);
    // Restarted (as a supervisor would), it recovers the file: what was acknowledged is kept.
    let listener = Listener::start(&store, MODE, &[]);
    assert_eq!(records(&store).len(), acknowledged);
    listener.kill_9();
}

/// A restart on a long history: the port is bound before the store's index is read (the
/// `ready` line comes after the banner, with the count), deliveries sent meanwhile wait for the
/// index, the index holds the events of the dedup window only, and a redelivery of one of those
/// is not stored again.
/// The time it takes is a benchmark's figure (BENCHMARKS.md), not this test's.
#[test]
fn a_restart_on_a_long_history_binds_first_and_keeps_every_key() {
    use std::io::Write as _;

    let store = store_path("long");
    let rt = runtime();
    let http = reqwest::Client::new();
    let listener = Listener::start(&store, MODE, &[]);
    deliver_each(&rt, &http, &listener.url, MODE, 0..3);
    listener.kill_9();
    // 100,000 older lines before the three real ones, each with a key of its own.
    let real = std::fs::read(&store).expect("the store");
    let mut file = std::io::BufWriter::new(std::fs::File::create(&store).expect("rewrite"));
    for i in 0..100_000u64 {
        writeln!(
            file,
            r#"{{"trace_id":"old-{i}","received_at_ms":1,"keys":["{i:032x}"],"events":[{{"event":"recording.completed","trace_id":"old-{i}","payload":{{"n":{i}}}}}]}}"#
        )
        .expect("write");
    }
    file.write_all(&real).expect("write");
    file.flush().expect("flush");
    drop(file);
    let listener = Listener::start(&store, MODE, &[]);
    // The three real ones again: duplicates, answered 200 and not stored; one new.
    deliver_each(&rt, &http, &listener.url, MODE, [0, 1, 2, 3]);
    assert!(
        listener.wait_for_stderr("ready: 100003 deliveries read from 1 of the 1 segments"),
        "{}",
        listener.stderr()
    );
    let stderr = listener.stderr();
    // The old lines were stored in 1970, outside --dedup-hours (72 by default): not in memory.
    assert!(
        stderr.contains("; 3 events within --dedup-hours remembered"),
        "{stderr}"
    );
    let banner = stderr.find("listening on").expect("a banner");
    assert!(banner < stderr.find("ready:").expect("ready"), "{stderr}");
    let printed = listener.drain();
    assert_eq!(printed.len(), 1, "only the new delivery: {printed:#?}");
    assert!(printed[0].contains("trace-3"), "{printed:?}");
    // The first record is from 1970, older than --segment-minutes: the new one starts PATH.1.
    assert_eq!(records(&store).len(), 100_003);
    assert_eq!(all_records(&store).len(), 100_004);
}

/// The segment files of the store `base` that exist, oldest first: `PATH`, then `PATH.N` by N.
fn segment_files(base: &Path) -> Vec<PathBuf> {
    let name = base
        .file_name()
        .and_then(|n| n.to_str())
        .expect("a name")
        .to_string();
    let dir = base.parent().expect("a directory");
    let mut numbered: Vec<(u64, PathBuf)> = std::fs::read_dir(dir)
        .expect("the directory")
        .map(|e| e.expect("an entry").path())
        .filter_map(|path| {
            let file = path.file_name()?.to_str()?.to_string();
            if file == name {
                return Some((0, path));
            }
            let n = file.strip_prefix(&format!("{name}."))?.parse().ok()?;
            Some((n, path))
        })
        .collect();
    numbered.sort();
    numbered.into_iter().map(|(_, p)| p).collect()
}

/// Every record of every segment, oldest first.
fn all_records(base: &Path) -> Vec<serde_json::Value> {
    segment_files(base)
        .iter()
        .flat_map(|p| records(p))
        .collect()
}

/// The `trace_id`s of the stored records, each as often as it is stored.
fn traces(base: &Path) -> Vec<String> {
    let mut traces: Vec<String> = all_records(base)
        .iter()
        .map(|r| r["trace_id"].as_str().unwrap_or_default().to_string())
        .collect();
    traces.sort();
    traces
}

/// With a rotation size of one record, every delivery starts a segment: nothing acknowledged
/// is lost across segments and restarts, every event is stored once, and a redelivery of any
/// of them (in any segment, after a restart) is still a duplicate within the window.
#[test]
fn rotation_keeps_every_acknowledged_event_once_across_segments_and_restarts() {
    let store = store_path("rotation");
    let rt = runtime();
    let http = reqwest::Client::new();
    let flags = ["--segment-bytes", "300"];
    let listener = Listener::start(&store, MODE, &flags);
    rt.block_on(async {
        for i in 0..12 {
            assert_eq!(
                post(&http, &listener.url, &meeting_end(MODE, i)).await,
                Ok(200)
            );
            // A redelivery right away: a duplicate across the segment just started.
            assert_eq!(
                post(&http, &listener.url, &meeting_end(MODE, i)).await,
                Ok(200)
            );
        }
    });
    assert_eq!(listener.drain().len(), 12, "each event printed once");
    listener.kill_9();
    let files = segment_files(&store);
    assert!(files.len() >= 6, "rotated: {files:?}");
    for file in &files {
        let mode = std::fs::metadata(file)
            .expect("a segment")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "{}: {mode:o}", file.display());
    }
    let expected: Vec<String> = {
        let mut t: Vec<String> = (0..12).map(|i| format!("trace-{i}")).collect();
        t.sort();
        t
    };
    assert_eq!(traces(&store), expected);
    let listener = Listener::start(&store, MODE, &flags);
    deliver_each(&rt, &http, &listener.url, MODE, 0..14);
    let printed = listener.drain();
    assert_eq!(printed.len(), 2, "only the two new events: {printed:#?}");
    assert!(
        listener.stderr().contains(&format!(
            "deliveries read from {n} of the {n} segments",
            n = files.len()
        )),
        "{}",
        listener.stderr()
    );
    listener.kill_9();
    let mut expected: Vec<String> = (0..14).map(|i| format!("trace-{i}")).collect();
    expected.sort();
    assert_eq!(traces(&store), expected);
}

/// The records a receiver stores for `meeting_end(MODE, i)`, `i` in `range`, as JSON values.
fn real_records(name: &str, range: std::ops::Range<usize>) -> Vec<serde_json::Value> {
    let store = store_path(name);
    let rt = runtime();
    let http = reqwest::Client::new();
    let listener = Listener::start(&store, MODE, &[]);
    deliver_each(&rt, &http, &listener.url, MODE, range);
    listener.kill_9();
    records(&store)
}

/// Writes `records` to `path`, each stored `hours_ago`.
fn write_aged(path: &Path, records: &[serde_json::Value], hours_ago: u64) {
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_millis() as u64;
    let text: String = records
        .iter()
        .map(|r| {
            let mut r = r.clone();
            r["received_at_ms"] = serde_json::Value::from(now_ms - hours_ago * 3_600_000);
            format!("{r}\n")
        })
        .collect();
    std::fs::write(path, text).expect("write");
}

/// Retention deletes the sealed segments whose last record is older than --retain-hours, and
/// only those; a restart reads only the segments that can hold events of the dedup window: an
/// event in a kept segment older than the window comes again and is stored again, one inside
/// it is a duplicate.
#[test]
fn retention_deletes_expired_segments_only_and_a_restart_reads_the_window_only() {
    let real = real_records("retention-src", 0..3);
    let store = store_path("retention");
    let numbered = |n: u64| PathBuf::from(format!("{}.{n}", store.display()));
    // PATH: 200 h old (past --retain-hours 150); PATH.1: 100 h old (kept, outside the 72 h
    // window); PATH.2: just now, the segment being appended to.
    write_aged(&store, &real[0..1], 200);
    write_aged(&numbered(1), &real[1..2], 100);
    write_aged(&numbered(2), &real[2..3], 0);
    let rt = runtime();
    let http = reqwest::Client::new();
    let listener = Listener::start(&store, MODE, &["--retain-hours", "150"]);
    assert!(
        listener.wait_for_stderr("ready: 1 deliveries read from 1 of the 2 segments"),
        "{}",
        listener.stderr()
    );
    assert!(!store.exists(), "the expired segment is deleted");
    assert!(
        numbered(1).exists() && numbered(2).exists(),
        "the others kept"
    );
    deliver_each(&rt, &http, &listener.url, MODE, [1, 2]);
    let printed = listener.drain();
    assert_eq!(
        printed.len(),
        1,
        "only the one older than the window: {printed:#?}"
    );
    assert!(printed[0].contains("trace-1"), "{printed:?}");
    listener.kill_9();
    assert_eq!(
        records(&numbered(1)).len(),
        1,
        "a sealed segment is never written"
    );
    assert_eq!(records(&numbered(2)).len(), 2);
    // Retention shorter than the window is refused: a restart could not remember the window.
    let output = listen_command(&store, MODE)
        .args(["--retain-hours", "24"])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    assert!(String::from_utf8_lossy(&output.stderr).contains("at least --dedup-hours"));
}

/// A store written before segments (one file, `PATH`) opens as its first segment: its events
/// are remembered, and a write once its first record is older than --segment-minutes starts
/// `PATH.1`, leaving `PATH` as it was.
#[test]
fn a_single_file_store_from_before_segments_opens_as_the_first_segment() {
    let real = real_records("legacy-src", 0..2);
    let store = store_path("legacy");
    write_aged(&store, &real, 2);
    let before = std::fs::read(&store).expect("the store");
    let rt = runtime();
    let http = reqwest::Client::new();
    let listener = Listener::start(&store, MODE, &[]);
    deliver_each(&rt, &http, &listener.url, MODE, [0, 1, 2]);
    let printed = listener.drain();
    assert_eq!(printed.len(), 1, "{printed:#?}");
    listener.kill_9();
    assert_eq!(
        std::fs::read(&store).expect("the store"),
        before,
        "sealed as it was"
    );
    let next = PathBuf::from(format!("{}.1", store.display()));
    let stored = records(&next);
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0]["trace_id"], "trace-2");
    let listener = Listener::start(&store, MODE, &[]);
    assert!(
        listener.wait_for_stderr("ready: 3 deliveries read from 2 of the 2 segments"),
        "{}",
        listener.stderr()
    );
}

/// A sealed segment cut short by something outside the receiver (it was whole when sealed):
/// the receiver starts, says what may have been lost and where, keeps the segment's whole lines,
/// and an event whose record was cut is stored again when it comes again (never dropped unkept).
#[test]
fn a_sealed_segment_cut_short_is_reported_and_the_store_goes_on() {
    let store = store_path("cut-sealed");
    let rt = runtime();
    let http = reqwest::Client::new();
    let flags = ["--segment-bytes", "100"];
    let listener = Listener::start(&store, MODE, &flags);
    deliver_each(&rt, &http, &listener.url, MODE, 0..3);
    listener.kill_9();
    let files = segment_files(&store);
    assert_eq!(files.len(), 3, "one record per segment: {files:?}");
    let len = std::fs::metadata(&files[1]).expect("a segment").len();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&files[1])
        .and_then(|f| f.set_len(len - 40))
        .expect("cut");
    let listener = Listener::start(&store, MODE, &flags);
    assert!(
        listener.wait_for_stderr("ready: 2 deliveries read from 3 of the 3 segments"),
        "{}",
        listener.stderr()
    );
    let stderr = listener.stderr();
    assert!(
        stderr.contains(&format!(
            "{} ends in a cut line: {} bytes of a record that may have been acknowledged were lost",
            files[1].display(),
            len - 40
        )),
        "{stderr}"
    );
    deliver_each(&rt, &http, &listener.url, MODE, 0..3);
    let printed = listener.drain();
    assert_eq!(printed.len(), 1, "only the cut one again: {printed:#?}");
    assert!(printed[0].contains("trace-1"), "{printed:?}");
}
