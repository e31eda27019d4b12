//! The file event store of `events listen`: an [`AppendLog`] of JSON lines, one line per
//! delivery, fsynced before the delivery is acknowledged; the wrapper's
//! [`EventStore`](store::EventStore) over it.
//!
//! - **Durable before 200.** A delivery's line is written and `fdatasync`ed before `append`
//!   returns `Ok`; the receiver answers 200 only after that. Concurrent deliveries share one
//!   write and one sync (group commit), so durability costs one sync per batch, not per event.
//! - **Never acknowledges what it did not store.** A copy of an event that an earlier delivery of
//!   the same batch is writing gets that write's result: `Duplicate` once it is on disk, the same
//!   error if it failed (never `Duplicate` against keys still pending).
//! - **Duplicates dropped across restarts**, by [`EventKey`], the one identity of an event (its
//!   occurrence, else its `trace_id`, else its content: an event with no `trace_id` is
//!   deduplicated too). Each line keeps its events' key digests, so a restart rebuilds the index
//!   without parsing events; lines written before the keys were kept get them recomputed.
//! - **Bounded growth, fast restart**: the records are kept in segment files
//!   ([`segments`]): a new one is started when the current one passes
//!   [`Policy::max_bytes`](segments::Policy::max_bytes) or
//!   [`max_age`](segments::Policy::max_age), a sealed one is deleted once its last record is
//!   older than [`retain`](segments::Policy::retain), and a restart reads only the segments
//!   whose last record is inside the dedup window.
//! - **One receiver per store** (`PATH.lock`, held for the process's life), faults that end the
//!   process, and honest recovery: see [`AppendLog`].
//!
//! Line format: `{"trace_id": …, "received_at_ms": …, "keys": ["<32 hex>", …], "events":
//! [{"event", "trace_id", "payload"}, …]}`.

use std::collections::{HashSet, VecDeque};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use serde_json::value::RawValue;
use tencent_meeting::clock::{Clock as _, SystemClock};
use tencent_meeting::webhook::Event;
use tencent_meeting::webhook::event::parse_event;
use tencent_meeting::webhook::store::{self, Appended, EventKey};
use tokio::sync::{mpsc, oneshot, watch};

use crate::append_log::{self, AppendError, AppendLog, Committer, OpenError};
use crate::dedup_window::DedupWindow;
use crate::segments::{self, Policy};

/// How many deliveries one write and sync may carry at most.
const MAX_BATCH: usize = 256;

/// What the store does when it cannot be used any more (the file and why): a line that is not
/// the store's found while reading the index, or a failed write whose undo failed too.
/// `events listen` exits, so a supervisor restarts it, rather than answer 500 to everything.
pub type OnUnusable = fn(&Path, &str);

/// The index was read: what was read and how long it took.
#[derive(Debug, Clone, Copy)]
pub struct Loaded {
    /// Deliveries (lines) read.
    pub deliveries: u64,
    /// Segments read (those that may hold events of the dedup window).
    pub segments_read: usize,
    /// Segments the store has (after retention deleted the expired ones).
    pub segments: usize,
    /// Events remembered: those of the dedup window.
    pub remembered: usize,
    /// How long reading took.
    pub took: Duration,
}

/// One stored line.
#[derive(Serialize)]
struct Record<'a> {
    trace_id: Option<&'a str>,
    received_at_ms: u64,
    keys: Vec<String>,
    events: Vec<&'a Event>,
}

/// One stored line as read back at start: the keys, and the events only when the keys are
/// missing (a line from an older version).
#[derive(Deserialize)]
struct StoredLine<'a> {
    received_at_ms: u64,
    #[serde(default, borrow)]
    keys: Option<Vec<&'a str>>,
    #[serde(borrow)]
    events: Vec<&'a RawValue>,
}

/// The store, shared by the receiver's requests. The file is owned by one writer thread.
#[derive(Clone)]
pub struct FileEventStore {
    jobs: mpsc::Sender<Job>,
    path: Arc<PathBuf>,
    ready: watch::Receiver<Option<Loaded>>,
}

struct Job {
    events: Vec<Event>,
    reply: oneshot::Sender<io::Result<Appended>>,
}

/// What opening found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Opened {
    /// Bytes of a torn last line cut off (see [`append_log::Recovered::torn_bytes`]).
    pub torn_bytes: u64,
    /// The segment being appended to, the one a torn line is cut off (`PATH` or `PATH.N`).
    pub segment: PathBuf,
}

impl FileEventStore {
    /// Opens (or creates) the store at `path`, takes its lock, cuts off a torn last line, checks
    /// that its first line is the store's, and starts the writer thread, which reads the
    /// duplicate index before it takes the first delivery ([`ready`](Self::ready)). So this returns
    /// in the same time at any size, and the receiver can bind its port before the index is
    /// read. The error is a sentence for the user, naming the file.
    pub fn open(
        path: &Path,
        window: Duration,
        policy: Policy,
        on_unusable: OnUnusable,
    ) -> Result<(Self, Opened), String> {
        let named = |path: &Path, e: OpenError| match e {
            OpenError::Locked => format!(
                "the store {} is in use: another `events listen` holds it (one receiver per \
                 file; for several receivers use --store postgres://…)",
                path.display()
            ),
            OpenError::BadLine(n, why) => format!(
                "{}:{n}: not an event store line ({why}); refusing to append to it",
                path.display()
            ),
            other => format!("the store {}: {other}", path.display()),
        };
        // The whole store's lock first: nothing is listed, cut or created by a second receiver.
        let lock = segments::lock(path).map_err(|e| named(path, e))?;
        let mut numbers = segments::list(path).map_err(|e| named(path, e.into()))?;
        let active = numbers.pop().unwrap_or(0);
        let active_path = segments::path_of(path, active);
        let (log, torn_bytes) =
            AppendLog::open_unread(&active_path).map_err(|e| named(&active_path, e))?;
        // A file that is not a store at all is refused here, before the port is bound.
        log.read_lines(1, |_, line| {
            load_keys(line, &mut DedupWindow::new(window), 0)
        })
        .map_err(|e| named(&active_path, e))?;
        let (loaded, ready) = watch::channel(None);
        let writer = Writer {
            log,
            seen: DedupWindow::new(window),
            unusable: None,
            on_unusable,
            loaded,
            base: path.to_path_buf(),
            _lock: lock,
            policy,
            active,
            active_first_ms: None,
            active_last_ms: None,
            sealed: numbers
                .into_iter()
                .map(|number| Sealed {
                    number,
                    last_ms: None,
                })
                .collect(),
            rotation_warned: false,
        };
        let jobs = append_log::spawn_writer("event-store", MAX_BATCH, writer)
            .map_err(|e| format!("the store {}: {e}", path.display()))?;
        Ok((
            Self {
                jobs,
                path: Arc::new(path.to_path_buf()),
                ready,
            },
            Opened {
                torn_bytes,
                segment: active_path,
            },
        ))
    }

    /// The store's name (`--store PATH`; its segments are `PATH`, `PATH.1`, …).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Once the index is read: how many deliveries the file held and how long reading took
    /// (`None` if it could not be read: the store is unusable).
    pub async fn ready(&self) -> Option<Loaded> {
        let mut ready = self.ready.clone();
        ready.wait_for(Option::is_some).await.ok().and_then(|r| *r)
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

impl store::EventStore for FileEventStore {
    type Error = io::Error;

    fn append(
        &self,
        events: Vec<Event>,
    ) -> impl std::future::Future<Output = io::Result<Appended>> + Send {
        FileEventStore::append(self, events)
    }
}

/// A key digest as stored: 32 hex digits.
fn digest_text(key: &EventKey) -> String {
    hex::encode(key.digest())
}

/// Adds a stored line's key digests to `seen` if it was stored within its window at `now_ms`.
fn load_keys(line: &[u8], seen: &mut DedupWindow, now_ms: u64) -> Result<(), String> {
    let stored: StoredLine<'_> = serde_json::from_slice(line).map_err(|e| e.to_string())?;
    if !seen.keeps(stored.received_at_ms, now_ms) {
        return Ok(());
    }
    let at = stored.received_at_ms;
    match stored.keys {
        Some(keys) if keys.len() == stored.events.len() => {
            for key in keys {
                let mut digest = [0; 16];
                hex::decode_to_slice(key, &mut digest).map_err(|e| format!("key {key:?}: {e}"))?;
                seen.insert(at, digest);
            }
        }
        _ => {
            for event in stored.events {
                seen.insert(at, key_of_stored(event.get())?.digest());
            }
        }
    }
    Ok(())
}

/// The key of an event as an older version stored it (`{"event", "trace_id", "payload"}`, the
/// payload one entry): read back as the delivery it came from, so [`EventKey::of`] stays the
/// one definition.
fn key_of_stored(json: &str) -> Result<EventKey, String> {
    let mut line: Value = serde_json::from_str(json).map_err(|e| e.to_string())?;
    let payload = line
        .get_mut("payload")
        .map(Value::take)
        .ok_or("an event without its payload")?;
    line["payload"] = Value::Array(vec![payload]);
    let events = parse_event(line.to_string().as_bytes()).map_err(|e| e.to_string())?;
    events
        .first()
        .map(EventKey::of)
        .ok_or_else(|| "an event that reads as none".to_string())
}

/// A segment no longer written to.
struct Sealed {
    number: u64,
    /// Its last record's time (`None`: not known yet, or it has no readable last record; such a
    /// segment is read at start and never deleted).
    last_ms: Option<u64>,
}

struct Writer {
    /// The segment being appended to.
    log: AppendLog,
    /// The store's name: segments are named after it.
    base: PathBuf,
    /// `PATH.lock`, held for as long as the writer lives.
    _lock: nix::fcntl::Flock<std::fs::File>,
    policy: Policy,
    /// The number of the segment being appended to, and its first and last records' times.
    active: u64,
    active_first_ms: Option<u64>,
    active_last_ms: Option<u64>,
    /// The sealed segments, oldest first.
    sealed: VecDeque<Sealed>,
    /// Whether a failure to start a new segment was said already (it is retried at every write).
    rotation_warned: bool,
    /// The key digests of the events stored within the dedup window.
    seen: DedupWindow,
    /// Why nothing more is taken (the index could not be read, or the file's end is unknown).
    unusable: Option<String>,
    on_unusable: OnUnusable,
    /// Set once the index is read.
    loaded: watch::Sender<Option<Loaded>>,
}

impl Committer<Job> for Writer {
    /// Deletes the expired segments, then reads the duplicate index from the segments that may
    /// hold events of the dedup window, before the first delivery is taken.
    fn start(&mut self) {
        let started = Instant::now();
        let now = SystemClock.now_unix_millis();
        match self.load(now) {
            Ok((deliveries, segments_read)) => {
                let _ = self.loaded.send(Some(Loaded {
                    deliveries,
                    segments_read,
                    segments: self.sealed.len() + 1,
                    remembered: self.seen.len(),
                    took: started.elapsed(),
                }));
            }
            Err((path, e)) => {
                let why = match e {
                    OpenError::BadLine(n, why) => {
                        format!("{}:{n} is not an event store line ({why})", path.display())
                    }
                    other => format!(
                        "its index could not be read from {} ({other})",
                        path.display()
                    ),
                };
                (self.on_unusable)(&path, &why);
                self.unusable = Some(why);
            }
        }
    }

    fn commit(&mut self, batch: Vec<Job>) {
        Writer::commit(self, batch);
    }
}

/// What a job of a batch gets once the batch's write is done.
enum Pending {
    /// Every event was stored before this batch.
    Duplicate,
    /// Every event was stored before or is being written by an earlier job of this batch:
    /// `Duplicate` if that write succeeds, its error if not.
    CopyOfThisBatch,
    /// These events (by index) are written by this job.
    Writes(Vec<usize>),
}

impl Writer {
    /// Places every segment in time, deletes the expired ones, and reads those that may hold
    /// events of the window: how many lines and segments it read, or the file that failed.
    fn load(&mut self, now: u64) -> Result<(u64, usize), (PathBuf, OpenError)> {
        for sealed in &mut self.sealed {
            let path = segments::path_of(&self.base, sealed.number);
            sealed.last_ms = segments::last_time(&path).map_err(|e| (path, e.into()))?;
        }
        let active_path = self.log.path().to_path_buf();
        let at = |e: io::Error| (active_path.clone(), OpenError::from(e));
        self.active_first_ms = segments::first_time(&active_path).map_err(at)?;
        self.active_last_ms = segments::last_time(&active_path).map_err(at)?;
        // Nothing is read from a segment about to be deleted.
        self.expire_segments(now);
        let seen = &mut self.seen;
        let inside = |last: Option<u64>| last.is_none_or(|t| seen.keeps(t, now));
        let (mut lines, mut read) = (0, 0);
        let wanted: Vec<u64> = self
            .sealed
            .iter()
            .filter(|s| inside(s.last_ms))
            .map(|s| s.number)
            .collect();
        let active_wanted = inside(self.active_last_ms);
        for number in wanted {
            let path = segments::path_of(&self.base, number);
            let (whole, torn) = segments::read_lines(&path, |_, line| load_keys(line, seen, now))
                .map_err(|e| (path.clone(), e))?;
            if torn > 0 {
                eprintln!(
                    "warning: the sealed segment {} ends in a cut line: {torn} bytes of a record \
                     that may have been acknowledged were lost (something outside the receiver \
                     cut it); its whole lines are kept",
                    path.display()
                );
            }
            lines += whole;
            read += 1;
        }
        if active_wanted {
            lines += self
                .log
                .read_lines(u64::MAX, |_, line| load_keys(line, seen, now))
                .map_err(|e| (active_path.clone(), e))?;
            read += 1;
        }
        Ok((lines, read))
    }

    /// Seals the segment being appended to and starts the next one, if it is full or old
    /// enough (never an empty one). If the next one cannot be created, appending goes on in
    /// this one (said once): a store that grows beats refusing deliveries.
    fn rotate_if_due(&mut self, now: u64) {
        let size = self.log.len();
        let max_age_ms = u64::try_from(self.policy.max_age.as_millis()).unwrap_or(u64::MAX);
        let old = self
            .active_first_ms
            .is_some_and(|first| now.saturating_sub(first) >= max_age_ms);
        if size == 0 || (size < self.policy.max_bytes && !old) {
            return;
        }
        let next = self.active + 1;
        let path = segments::path_of(&self.base, next);
        // `open_unread` creates it 0600 and syncs the directory, so the new name is durable.
        match AppendLog::open_unread(&path) {
            Ok((log, _)) => {
                self.sealed.push_back(Sealed {
                    number: self.active,
                    last_ms: self.active_last_ms,
                });
                self.log = log;
                self.active = next;
                self.active_first_ms = None;
                self.active_last_ms = None;
            }
            Err(e) if !self.rotation_warned => {
                self.rotation_warned = true;
                eprintln!(
                    "warning: could not start the store segment {} ({e}); appending to {} \
                     meanwhile (retried at every write)",
                    path.display(),
                    self.log.path().display()
                );
            }
            Err(_) => {}
        }
    }

    /// Deletes the sealed segments whose last record is older than the retention, and syncs
    /// the directory so the deletion is durable. A segment that could not be deleted is said
    /// and forgotten until the next start.
    fn expire_segments(&mut self, now: u64) {
        let retain_ms = u64::try_from(self.policy.retain.as_millis()).unwrap_or(u64::MAX);
        let base = &self.base;
        let mut deleted = false;
        self.sealed.retain(|sealed| {
            let expired = sealed
                .last_ms
                .is_some_and(|last| last.saturating_add(retain_ms) < now);
            if !expired {
                return true;
            }
            let path = segments::path_of(base, sealed.number);
            match std::fs::remove_file(&path) {
                Ok(()) => deleted = true,
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => eprintln!(
                    "warning: could not delete the expired store segment {} ({e})",
                    path.display()
                ),
            }
            false
        });
        if deleted && let Err(e) = segments::sync_directory(base) {
            eprintln!(
                "warning: could not sync the directory of {} after deleting expired segments ({e})",
                base.display()
            );
        }
    }

    /// Writes the batch's new deliveries in one write and one sync, then answers every job.
    fn commit(&mut self, batch: Vec<Job>) {
        if let Some(why) = &self.unusable {
            for job in batch {
                let _ = job.reply.send(Err(io::Error::other(format!(
                    "the event store is unusable: {why}"
                ))));
            }
            return;
        }
        let now = SystemClock.now_unix_millis();
        self.seen.expire(now);
        self.expire_segments(now);
        let mut buffer = Vec::new();
        // Keys written by this batch, so two copies in one batch are caught too.
        let mut pending: HashSet<[u8; 16]> = HashSet::new();
        let mut plans = Vec::with_capacity(batch.len());
        for job in &batch {
            let keys: Vec<EventKey> = job.events.iter().map(EventKey::of).collect();
            let digests: Vec<[u8; 16]> = keys.iter().map(EventKey::digest).collect();
            let fresh: Vec<usize> = (0..digests.len())
                .filter(|&i| !self.seen.contains(&digests[i]) && !pending.contains(&digests[i]))
                .collect();
            if fresh.is_empty() {
                let copy = digests.iter().any(|d| pending.contains(d));
                plans.push(if copy {
                    Pending::CopyOfThisBatch
                } else {
                    Pending::Duplicate
                });
                continue;
            }
            let record = Record {
                trace_id: job.events.first().and_then(Event::trace_id),
                received_at_ms: now,
                keys: fresh.iter().map(|&i| digest_text(&keys[i])).collect(),
                events: fresh.iter().map(|&i| &job.events[i]).collect(),
            };
            // Strings, numbers and JSON values only: serialising cannot fail; were it to, the
            // delivery is refused (500, delivered again), never acknowledged unstored.
            if serde_json::to_writer(&mut buffer, &record).is_err() {
                plans.push(Pending::Writes(Vec::new()));
                continue;
            }
            buffer.push(b'\n');
            pending.extend(fresh.iter().map(|&i| digests[i]));
            plans.push(Pending::Writes(fresh));
        }
        let written = if buffer.is_empty() {
            Ok(())
        } else {
            self.rotate_if_due(now);
            self.log.append(&buffer)
        };
        if written.is_ok() && !buffer.is_empty() {
            self.active_first_ms.get_or_insert(now);
            self.active_last_ms = Some(now);
        }
        if written.is_ok() {
            for digest in pending {
                self.seen.insert(now, digest);
            }
        }
        for (job, plan) in batch.into_iter().zip(plans) {
            let answer = match (&written, plan) {
                (_, Pending::Duplicate) | (Ok(()), Pending::CopyOfThisBatch) => {
                    Ok(Appended::Duplicate)
                }
                (Ok(()), Pending::Writes(fresh)) if !fresh.is_empty() => Ok(Appended::New(
                    job.events
                        .into_iter()
                        .enumerate()
                        .filter(|(i, _)| fresh.contains(i))
                        .map(|(_, e)| e)
                        .collect(),
                )),
                (Ok(()), Pending::Writes(_)) => Err(io::Error::other(
                    "the delivery could not be written as JSON",
                )),
                (Err(AppendError::Failed(e)), _) => Err(io::Error::new(e.kind(), e.to_string())),
                (Err(e @ AppendError::Unrecoverable(_)), _) => Err(io::Error::other(e.to_string())),
            };
            // A request that went away no longer waits for its answer.
            let _ = job.reply.send(answer);
        }
        if let Err(AppendError::Unrecoverable(why)) = &written {
            let why = format!("it cannot be made consistent again ({why})");
            (self.on_unusable)(self.log.path(), &why);
            self.unusable = Some(why);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const WINDOW: Duration = Duration::from_secs(72 * 3600);

    fn unexpected(path: &Path, why: &str) {
        panic!("{}: unusable: {why}", path.display());
    }

    /// Waits until the last store's writer thread has let go of the lock (it does once every
    /// handle is dropped).
    fn wait_for_release(path: &Path) {
        use nix::fcntl::{Flock, FlockArg};
        for _ in 0..500 {
            let file = std::fs::File::open(path).expect("the store");
            if Flock::lock(file, FlockArg::LockExclusiveNonblock).is_ok() {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        panic!("{} stayed locked", path.display());
    }

    fn reopen(path: &Path) -> (FileEventStore, Opened) {
        wait_for_release(path);
        FileEventStore::open(path, WINDOW, Policy::DEFAULT, unexpected).expect("reopens")
    }

    fn end(trace: &str, meeting: &str, end_type: i32, time: i64) -> Vec<Event> {
        let text = format!(
            r#"{{"event":"meeting.end","trace_id":"{trace}","payload":[{{"operate_time":{time},"meeting_end_type":{end_type},"meeting_info":{{"meeting_id":"{meeting}"}}}}]}}"#
        );
        parse_event(text.as_bytes()).expect("an event")
    }

    fn temp(name: &str) -> crate::test_dir::TestFile {
        crate::test_dir::TestFile::new(&format!("event-store-{name}"), "events.jsonl")
    }

    #[tokio::test]
    async fn duplicates_are_dropped_across_restarts() {
        let path = temp("dup");
        let (store, _) =
            FileEventStore::open(&path, WINDOW, Policy::DEFAULT, unexpected).expect("opens");
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
        let (store, opened) = reopen(&path);
        assert_eq!(opened.torn_bytes, 0);
        assert_eq!(opened.segment, path.to_path_buf());
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
        let (store, _) =
            FileEventStore::open(&path, WINDOW, Policy::DEFAULT, unexpected).expect("opens");
        assert!(matches!(
            store.append(end("t1", "1", 0, 5)).await,
            Ok(Appended::New(_))
        ));
        drop(store);
        wait_for_release(&path);
        let good = std::fs::read(&path).expect("read");
        let mut torn = good.clone();
        torn.extend_from_slice(br#"{"trace_id":"t2","received_at_ms":1,"ev"#);
        std::fs::write(&path, &torn).expect("write");
        let (store, opened) = reopen(&path);
        assert_eq!(opened.torn_bytes, (torn.len() - good.len()) as u64);
        assert!(matches!(
            store.append(end("t2", "2", 0, 5)).await,
            Ok(Appended::New(_))
        ));
        drop(store);
        wait_for_release(&path);
        let text = std::fs::read_to_string(&path).expect("read");
        assert_eq!(text.lines().count(), 2);
        for line in text.lines() {
            serde_json::from_str::<Value>(line).expect("every line is whole");
        }
        std::fs::write(&path, b"garbage\n{}\n").expect("write");
        let refused = FileEventStore::open(&path, WINDOW, Policy::DEFAULT, unexpected)
            .err()
            .expect("refused");
        assert!(
            refused.to_string().contains(":1: not an event store line"),
            "{refused}"
        );
    }

    #[tokio::test]
    async fn concurrent_deliveries_are_all_stored_once() {
        let path = temp("concurrent");
        let (store, _) =
            FileEventStore::open(&path, WINDOW, Policy::DEFAULT, unexpected).expect("opens");
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

    fn bare_recording(x: u32) -> Vec<Event> {
        let text = format!(r#"{{"event":"recording.completed","payload":[{{"x":{x}}}]}}"#);
        parse_event(text.as_bytes()).expect("an event")
    }

    fn job(events: Vec<Event>) -> (Job, oneshot::Receiver<io::Result<Appended>>) {
        let (reply, answer) = oneshot::channel();
        (Job { events, reply }, answer)
    }

    /// Two copies of a delivery in one group commit whose write fails: both are refused. The
    /// second must not be `Duplicate` (200) against the first's keys, which never reached disk.
    #[test]
    fn a_copy_in_the_same_batch_gets_its_originals_result() {
        let path = temp("batch-copy");
        for fails in [true, false] {
            let _ = std::fs::remove_file(&path);
            let (log, _) = AppendLog::open(&path, |_, _| Ok(())).expect("opens");
            let log = if fails {
                // A real failed write(2): the log's descriptor cannot write.
                drop(log);
                AppendLog::open_read_only(&path).expect("opens")
            } else {
                log
            };
            let mut writer = Writer {
                log,
                seen: DedupWindow::new(WINDOW),
                unusable: None,
                on_unusable: unexpected,
                loaded: watch::channel(None).0,
                base: path.to_path_buf(),
                _lock: segments::lock(&path).expect("locks"),
                policy: Policy::DEFAULT,
                active: 0,
                active_first_ms: None,
                active_last_ms: None,
                sealed: VecDeque::new(),
                rotation_warned: false,
            };
            let (first, first_answer) = job(end("t1", "1", 0, 5));
            // The same end redelivered under another trace id, and with an event of its own.
            let (copy, copy_answer) = job(end("t2", "1", 0, 5));
            writer.commit(vec![first, copy]);
            let first = first_answer.blocking_recv().expect("answered");
            let copy = copy_answer.blocking_recv().expect("answered");
            if fails {
                assert!(first.is_err(), "{first:?}");
                assert!(copy.is_err(), "the copy shares the failed write: {copy:?}");
            } else {
                assert!(matches!(first, Ok(Appended::New(e)) if e.len() == 1));
                assert_eq!(copy.ok(), Some(Appended::Duplicate));
                assert_eq!(
                    std::fs::read_to_string(&path)
                        .expect("read")
                        .lines()
                        .count(),
                    1
                );
            }
        }
    }

    /// No `trace_id`: deduplicated by [`EventKey`] (here its content), also after a restart.
    #[tokio::test]
    async fn an_event_without_a_trace_id_is_stored_once() {
        let path = temp("no-trace");
        let (store, _) =
            FileEventStore::open(&path, WINDOW, Policy::DEFAULT, unexpected).expect("opens");
        assert!(matches!(
            store.append(bare_recording(1)).await,
            Ok(Appended::New(_))
        ));
        assert_eq!(
            store.append(bare_recording(1)).await.ok(),
            Some(Appended::Duplicate)
        );
        assert!(matches!(
            store.append(bare_recording(2)).await,
            Ok(Appended::New(_))
        ));
        drop(store);
        let (store, _) = reopen(&path);
        assert_eq!(
            store.append(bare_recording(1)).await.ok(),
            Some(Appended::Duplicate)
        );
    }

    /// Lines an older version wrote (no `keys`) are indexed by the same [`EventKey`].
    #[tokio::test]
    async fn lines_without_keys_are_indexed_by_the_same_key() {
        let path = temp("old-lines");
        let now = SystemClock.now_unix_millis();
        let old = [
            r#"{"trace_id":"t1","received_at_ms":NOW,"events":[{"event":"meeting.end","trace_id":"t1","payload":{"operate_time":5,"meeting_end_type":0,"meeting_info":{"meeting_id":"1"}}}]}"#,
            r#"{"trace_id":null,"received_at_ms":NOW,"events":[{"event":"recording.completed","trace_id":null,"payload":{"x":1}}]}"#,
        ]
        .map(|line| line.replace("NOW", &now.to_string()));
        std::fs::write(&path, format!("{}\n{}\n", old[0], old[1])).expect("write");
        let (store, _) =
            FileEventStore::open(&path, WINDOW, Policy::DEFAULT, unexpected).expect("opens");
        assert_eq!(
            store.append(end("t7", "1", 0, 5)).await.ok(),
            Some(Appended::Duplicate)
        );
        assert_eq!(
            store.append(bare_recording(1)).await.ok(),
            Some(Appended::Duplicate)
        );
    }

    /// An event stored longer ago than the window is not in the index: it comes again, it is
    /// stored again (never dropped unkept); one inside the window is a duplicate.
    #[tokio::test]
    async fn only_events_within_the_window_are_remembered_across_a_restart() {
        let path = temp("window");
        let (store, _) =
            FileEventStore::open(&path, WINDOW, Policy::DEFAULT, unexpected).expect("opens");
        for trace in ["t1", "t2"] {
            let meeting = &trace[1..];
            assert!(matches!(
                store.append(end(trace, meeting, 0, 5)).await,
                Ok(Appended::New(_))
            ));
        }
        drop(store);
        wait_for_release(&path);
        // The first line stored 73 hours ago.
        let text = std::fs::read_to_string(&path).expect("read");
        let mut lines: Vec<Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).expect("a line"))
            .collect();
        let long_ago = SystemClock.now_unix_millis() - 73 * 3_600_000;
        lines[0]["received_at_ms"] = Value::from(long_ago);
        let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
        std::fs::write(&path, text).expect("write");
        let (store, _) = reopen(&path);
        assert!(matches!(
            store.append(end("t1", "1", 0, 5)).await,
            Ok(Appended::New(_))
        ));
        assert_eq!(
            store.append(end("t2", "2", 0, 5)).await.ok(),
            Some(Appended::Duplicate)
        );
    }
}
