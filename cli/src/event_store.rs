//! The event store of `events listen`: an append-only file of JSON lines, one line per delivery,
//! fsynced before the delivery is acknowledged.
//!
//! - **Durable before 200.** A delivery's line is written and `fdatasync`ed before
//!   [`EventStore::append`] returns; the receiver answers 200 only after that. Concurrent
//!   deliveries share one write and one sync (group commit), so durability costs one sync per
//!   batch, not per event.
//! - **One line per delivery**, so a delivery is stored whole or not at all: a crash mid-write
//!   leaves a torn last line, which was never acknowledged, and [`EventStore::open`] cuts it off.
//! - **Duplicates dropped across restarts**, by two keys rebuilt from the file at start: the
//!   delivery's `trace_id` (a redelivery keeps it), and for `meeting.end` the occurrence
//!   `(meeting_id, sub_meeting_id, meeting_end_type, operate_time)` — the same end delivered
//!   again under another `trace_id`. Not `(meeting_id, sub_meeting_id, end_type)` alone: a
//!   meeting whose code was kept can be rejoined and end again the same way, and that second end
//!   is a new fact. Several ends of one meeting with different end types are all kept (each is
//!   what the platform says happened); collapsing them into "the meeting ended" is the waiter's
//!   job, not the log's.
//!
//! Line format: `{"trace_id": …, "received_at_ms": …, "events": [{"event", "trace_id", "payload"}, …]}`.

use std::collections::HashSet;
use std::fs::{File, OpenOptions};
use std::io::{self, BufRead as _, BufReader, Seek as _, SeekFrom, Write as _};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use tencent_meeting::clock::{Clock as _, SystemClock};
use tencent_meeting::webhook::Event;
use tokio::sync::{mpsc, oneshot};

/// How many deliveries one write and sync may carry at most.
const MAX_BATCH: usize = 256;

/// One stored line.
#[derive(Serialize, Deserialize)]
struct Record {
    trace_id: Option<String>,
    received_at_ms: u64,
    events: Vec<Value>,
}

/// What [`EventStore::append`] did.
#[derive(Debug, PartialEq)]
pub enum Appended {
    /// Stored and synced: these events (a delivery's, minus duplicates) are new.
    New(Vec<Event>),
    /// Every event was stored before: nothing written.
    Duplicate,
}

/// The store, shared by the receiver's requests. The file is owned by one writer thread.
#[derive(Clone)]
pub struct EventStore {
    jobs: mpsc::Sender<Job>,
    path: Arc<PathBuf>,
}

struct Job {
    events: Vec<Event>,
    reply: oneshot::Sender<io::Result<Appended>>,
}

/// What opening found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Opened {
    /// Deliveries already stored.
    pub deliveries: usize,
    /// Bytes of a torn last line cut off (a write that was never acknowledged).
    pub torn_bytes: u64,
}

impl EventStore {
    /// Opens (or creates) the store at `path`, rebuilds the duplicate keys from it, cuts off a
    /// torn last line, and starts the writer thread.
    pub fn open(path: &Path) -> io::Result<(Self, Opened)> {
        let created = !path.exists();
        let mut file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(path)?;
        if created {
            // The new file's name must survive a crash too.
            sync_parent(path)?;
        }
        let mut seen = Seen::default();
        let (deliveries, good_len) = load(&file, path, &mut seen)?;
        let len = file.metadata()?.len();
        let torn_bytes = len - good_len;
        if torn_bytes > 0 {
            file.set_len(good_len)?;
            file.sync_data()?;
        }
        file.seek(SeekFrom::End(0))?;
        let (jobs, rx) = mpsc::channel(4 * MAX_BATCH);
        let writer = Writer {
            file,
            len: good_len,
            seen,
            broken: None,
        };
        std::thread::Builder::new()
            .name("event-store".into())
            .spawn(move || writer.run(rx))?;
        Ok((
            Self {
                jobs,
                path: Arc::new(path.to_path_buf()),
            },
            Opened {
                deliveries,
                torn_bytes,
            },
        ))
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Stores one delivery's events durably, dropping those stored before. Returns once the
    /// write is synced (or failed: then nothing of the delivery is stored).
    pub async fn append(&self, events: Vec<Event>) -> io::Result<Appended> {
        let (reply, answer) = oneshot::channel();
        self.jobs
            .send(Job { events, reply })
            .await
            .map_err(|_| io::Error::other("the event store has stopped"))?;
        answer
            .await
            .map_err(|_| io::Error::other("the event store has stopped"))?
    }
}

fn sync_parent(path: &Path) -> io::Result<()> {
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    File::open(parent)?.sync_all()
}

/// The duplicate keys.
#[derive(Default)]
struct Seen {
    trace_ids: HashSet<String>,
    occurrences: HashSet<String>,
}

impl Seen {
    fn contains(&self, event: &Value) -> bool {
        key_of(event, "trace_id").is_some_and(|t| self.trace_ids.contains(&t))
            || occurrence(event).is_some_and(|o| self.occurrences.contains(&o))
    }

    fn insert(&mut self, event: &Value) {
        if let Some(t) = key_of(event, "trace_id") {
            self.trace_ids.insert(t);
        }
        if let Some(o) = occurrence(event) {
            self.occurrences.insert(o);
        }
    }
}

fn key_of(event: &Value, field: &str) -> Option<String> {
    event.get(field).and_then(Value::as_str).map(str::to_string)
}

/// The occurrence key of a stored `meeting.end` line (see the module): computed from the JSON
/// as stored, so the same function serves appends and the rebuild at start.
fn occurrence(event: &Value) -> Option<String> {
    if event.get("event").and_then(Value::as_str) != Some("meeting.end") {
        return None;
    }
    let payload = event.get("payload")?;
    let info = payload.get("meeting_info")?;
    let text = |v: Option<&Value>| v.map(Value::to_string).unwrap_or_default();
    Some(format!(
        "{}|{}|{}|{}",
        text(info.get("meeting_id")),
        text(info.get("sub_meeting_id")),
        text(payload.get("meeting_end_type")),
        text(payload.get("operate_time")),
    ))
}

/// Reads every complete line; returns (deliveries, length of the good prefix). A bad line
/// that is not the last one means the file is not ours (or damaged): refused.
fn load(file: &File, path: &Path, seen: &mut Seen) -> io::Result<(usize, u64)> {
    let mut reader = BufReader::new(file);
    let mut line = Vec::new();
    let (mut deliveries, mut good_len, mut line_no) = (0, 0u64, 0usize);
    loop {
        line.clear();
        let read = reader.read_until(b'\n', &mut line)?;
        if read == 0 {
            break;
        }
        line_no += 1;
        if line.last() != Some(&b'\n') {
            // A last line without its newline: a write cut short, never acknowledged (the
            // newline is part of the same write, and the sync comes after it).
            break;
        }
        match serde_json::from_slice::<Record>(&line) {
            Ok(record) => {
                for event in &record.events {
                    seen.insert(event);
                }
                deliveries += 1;
                good_len += read as u64;
            }
            Err(e) => {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!(
                        "{}:{line_no}: not an event store line ({e}); refusing to append to it",
                        path.display()
                    ),
                ));
            }
        }
    }
    Ok((deliveries, good_len))
}

struct Writer {
    file: File,
    /// The length of the file's good prefix.
    len: u64,
    seen: Seen,
    /// Set when a failed write could not be undone: every later append fails.
    broken: Option<String>,
}

impl Writer {
    fn run(mut self, mut jobs: mpsc::Receiver<Job>) {
        while let Some(first) = jobs.blocking_recv() {
            let mut batch = vec![first];
            while batch.len() < MAX_BATCH {
                match jobs.try_recv() {
                    Ok(job) => batch.push(job),
                    Err(_) => break,
                }
            }
            self.commit(batch);
        }
    }

    /// Writes the batch's new deliveries in one write and one sync, then answers every job.
    fn commit(&mut self, batch: Vec<Job>) {
        let now = SystemClock.now_unix_millis();
        let mut buffer = Vec::new();
        // Keys of this batch, so two copies in one batch are caught too.
        let mut pending = Seen::default();
        let mut outcomes = Vec::with_capacity(batch.len());
        for job in &batch {
            let lines: Vec<Value> = job
                .events
                .iter()
                .map(|e| serde_json::to_value(e).unwrap_or(Value::Null))
                .collect();
            let fresh: Vec<usize> = (0..lines.len())
                .filter(|&i| !self.seen.contains(&lines[i]) && !pending.contains(&lines[i]))
                .collect();
            if fresh.is_empty() {
                outcomes.push(None);
                continue;
            }
            let record = Record {
                trace_id: job
                    .events
                    .first()
                    .and_then(|e| e.trace_id())
                    .map(str::to_string),
                received_at_ms: now,
                events: fresh.iter().map(|&i| lines[i].clone()).collect(),
            };
            for line in &record.events {
                pending.insert(line);
            }
            // Values, strings and numbers only: serialising cannot fail.
            if serde_json::to_writer(&mut buffer, &record).is_err() {
                outcomes.push(None);
                continue;
            }
            buffer.push(b'\n');
            outcomes.push(Some(fresh));
        }
        let written = if buffer.is_empty() {
            Ok(())
        } else {
            self.write(&buffer)
        };
        if written.is_ok() {
            self.seen.trace_ids.extend(pending.trace_ids);
            self.seen.occurrences.extend(pending.occurrences);
        }
        for (job, outcome) in batch.into_iter().zip(outcomes) {
            let answer = match (&written, outcome) {
                (_, None) => Ok(Appended::Duplicate),
                (Ok(()), Some(fresh)) => Ok(Appended::New(
                    job.events
                        .into_iter()
                        .enumerate()
                        .filter(|(i, _)| fresh.contains(i))
                        .map(|(_, e)| e)
                        .collect(),
                )),
                (Err(e), Some(_)) => Err(io::Error::new(e.kind(), e.to_string())),
            };
            // A request that went away no longer waits for its answer.
            let _ = job.reply.send(answer);
        }
    }

    fn write(&mut self, buffer: &[u8]) -> io::Result<()> {
        if let Some(why) = &self.broken {
            return Err(io::Error::other(format!(
                "the event store is unusable: {why}"
            )));
        }
        let result = self
            .file
            .write_all(buffer)
            .and_then(|()| self.file.sync_data());
        match result {
            Ok(()) => {
                self.len += buffer.len() as u64;
                Ok(())
            }
            Err(e) => {
                // Undo a partial write, so the next line starts on a line of its own.
                let undone = self
                    .file
                    .set_len(self.len)
                    .and_then(|()| self.file.sync_data());
                if let Err(undo) = undone {
                    self.broken = Some(format!("{e}, then {undo} while undoing it"));
                }
                Err(e)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use tencent_meeting::webhook::event::parse_event;

    use super::*;

    fn end(trace: &str, meeting: &str, end_type: i32, time: i64) -> Vec<Event> {
        let text = format!(
            r#"{{"event":"meeting.end","trace_id":"{trace}","payload":[{{"operate_time":{time},"meeting_end_type":{end_type},"meeting_info":{{"meeting_id":"{meeting}"}}}}]}}"#
        );
        parse_event(text.as_bytes()).expect("an event")
    }

    fn temp(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("event-store-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        dir.join("events.jsonl")
    }

    #[tokio::test]
    async fn duplicates_are_dropped_across_restarts() {
        let path = temp("dup");
        let (store, opened) = EventStore::open(&path).expect("opens");
        assert_eq!(opened.deliveries, 0);
        assert!(
            matches!(store.append(end("t1", "1", 0, 5)).await, Ok(Appended::New(e)) if e.len() == 1)
        );
        assert_eq!(
            store.append(end("t1", "1", 0, 5)).await.ok(),
            Some(Appended::Duplicate)
        );
        // The same occurrence under another trace id.
        assert_eq!(
            store.append(end("t2", "1", 0, 5)).await.ok(),
            Some(Appended::Duplicate)
        );
        // Another end type, or the same type later (a rejoined meeting): new facts.
        assert!(matches!(
            store.append(end("t3", "1", 2, 5)).await,
            Ok(Appended::New(_))
        ));
        assert!(matches!(
            store.append(end("t4", "1", 0, 9)).await,
            Ok(Appended::New(_))
        ));
        drop(store);
        let (store, opened) = EventStore::open(&path).expect("reopens");
        assert_eq!(
            opened,
            Opened {
                deliveries: 3,
                torn_bytes: 0
            }
        );
        assert_eq!(
            store.append(end("t1", "1", 0, 5)).await.ok(),
            Some(Appended::Duplicate)
        );
        assert_eq!(
            store.append(end("t9", "1", 2, 5)).await.ok(),
            Some(Appended::Duplicate)
        );
        let text = std::fs::read_to_string(&path).expect("read");
        assert_eq!(text.lines().count(), 3);
    }

    #[tokio::test]
    async fn a_torn_last_line_is_cut_off_and_a_bad_line_refused() {
        let path = temp("torn");
        let (store, _) = EventStore::open(&path).expect("opens");
        assert!(matches!(
            store.append(end("t1", "1", 0, 5)).await,
            Ok(Appended::New(_))
        ));
        drop(store);
        let good = std::fs::read(&path).expect("read");
        let mut torn = good.clone();
        torn.extend_from_slice(br#"{"trace_id":"t2","received_at_ms":1,"ev"#);
        std::fs::write(&path, &torn).expect("write");
        let (store, opened) = EventStore::open(&path).expect("reopens");
        assert_eq!(opened.deliveries, 1);
        assert_eq!(opened.torn_bytes, (torn.len() - good.len()) as u64);
        assert!(matches!(
            store.append(end("t2", "2", 0, 5)).await,
            Ok(Appended::New(_))
        ));
        drop(store);
        let text = std::fs::read_to_string(&path).expect("read");
        assert_eq!(text.lines().count(), 2);
        for line in text.lines() {
            serde_json::from_str::<Value>(line).expect("every line is whole");
        }
        std::fs::write(&path, b"garbage\n{}\n").expect("write");
        let refused = EventStore::open(&path).err().expect("refused");
        assert!(
            refused.to_string().contains(":1: not an event store line"),
            "{refused}"
        );
    }

    #[tokio::test]
    async fn concurrent_deliveries_are_all_stored_once() {
        let path = temp("concurrent");
        let (store, _) = EventStore::open(&path).expect("opens");
        let mut tasks = Vec::new();
        for i in 0..200 {
            let store = store.clone();
            // Every delivery twice: exactly one of the two is new.
            tasks.push(tokio::spawn(async move {
                let a = store
                    .append(end(&format!("t{i}"), &i.to_string(), 0, 1))
                    .await;
                let b = store
                    .append(end(&format!("t{i}"), &i.to_string(), 0, 1))
                    .await;
                (a.ok(), b.ok())
            }));
        }
        let mut new = 0;
        for task in tasks {
            let (a, b) = task.await.expect("joins");
            new += [a, b]
                .iter()
                .filter(|x| matches!(x, Some(Appended::New(_))))
                .count();
        }
        assert_eq!(new, 200);
        let text = std::fs::read_to_string(&path).expect("read");
        assert_eq!(text.lines().count(), 200);
    }
}
