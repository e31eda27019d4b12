//! `--journal FILE`: a write-ahead record of a batch, one JSON line per event, each fsynced
//! before it counts.
//!
//! Before a dismiss is sent, a `"status": "sending"` line for its ID; when its outcome is known,
//! the outcome's own record (the same object `--output json` prints). After a crash (even
//! `kill -9`) an ID's last line says what to do on the next run: `done` or `already_ended`:
//! skip it; `failed`: nothing was applied, try again; `sending` or `unknown`: the dismiss may
//! have ended the meeting, so look it up first. Lines are appended by one writer thread that
//! commits whatever is waiting with one write and one `fdatasync` (group commit), so concurrent
//! calls share the cost of a sync. A line cut short by a crash was never acknowledged, and is
//! cut off when the journal is opened again. An exclusive `flock` keeps two runs from sharing
//! one journal.

use std::fs::{File, OpenOptions};
use std::io::{self, BufRead as _, BufReader, Seek as _, SeekFrom, Write as _};
use std::path::{Path, PathBuf};
use std::sync::mpsc;

use nix::fcntl::{Flock, FlockArg};
use serde_json::Value;
use tokio::sync::oneshot;

use crate::dismiss::id_map::IdMap;

/// The status of the line written before a dismiss is sent.
pub const SENDING: &str = "sending";

/// What the journal says about an ID, from its last line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Prior {
    /// The meeting was dismissed (`done`).
    Done,
    /// The meeting had already ended (`already_ended`).
    AlreadyEnded,
    /// The dismiss failed and nothing was applied (`failed`): try again.
    Failed,
    /// A dismiss was sent or being sent and its outcome is not known (`sending`, `unknown`, or a
    /// status this version does not know): look the meeting up first.
    InDoubt,
}

impl Prior {
    fn of(status: &str) -> Self {
        match status {
            // The dismiss went through; only its event was not seen.
            "done" | "not_confirmed" => Self::Done,
            "already_ended" => Self::AlreadyEnded,
            "failed" => Self::Failed,
            _ => Self::InDoubt,
        }
    }

    /// The status as the journal spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Done => "done",
            Self::AlreadyEnded => "already_ended",
            Self::Failed => "failed",
            Self::InDoubt => "unknown",
        }
    }
}

/// What an earlier run recorded, by meeting ID.
#[derive(Debug, Default)]
pub struct History(IdMap<Prior>);

impl History {
    /// The last status recorded for `meeting_id`.
    pub fn prior(&self, meeting_id: &str) -> Option<Prior> {
        self.0.get(meeting_id).copied()
    }
}

/// An open journal. Cheap to clone; every clone appends through the one writer.
#[derive(Clone)]
pub struct Journal {
    appends: mpsc::Sender<Append>,
    path: PathBuf,
}

struct Append {
    line: Vec<u8>,
    synced: oneshot::Sender<Result<(), String>>,
}

impl Journal {
    /// Opens (or creates) the journal at `path`, locks it, reads what earlier runs recorded and
    /// cuts off a last line a crash left incomplete.
    pub fn open(path: &Path) -> Result<(Self, History), String> {
        let named = |e: &dyn std::fmt::Display| format!("journal {}: {e}", path.display());
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .map_err(|e| named(&e))?;
        // A device or a pipe cannot be cut back or fsynced, and /dev/zero would be read forever.
        if !file.metadata().map_err(|e| named(&e))?.is_file() {
            return Err(named(&"not a regular file"));
        }
        let mut file = Flock::lock(file, FlockArg::LockExclusiveNonblock).map_err(|(_, e)| {
            named(&format!(
                "cannot lock it ({e}): is another run using this journal?"
            ))
        })?;
        let (history, complete_len) = read_history(&file).map_err(|e| named(&e))?;
        file.set_len(complete_len).map_err(|e| named(&e))?;
        file.seek(SeekFrom::End(0)).map_err(|e| named(&e))?;
        let (appends, queue) = mpsc::channel();
        std::thread::Builder::new()
            .name("journal".to_string())
            .spawn(move || write_loop(file, queue))
            .map_err(|e| named(&e))?;
        Ok((
            Self {
                appends,
                path: path.to_path_buf(),
            },
            history,
        ))
    }

    /// Appends `record` as one line and returns once it is on disk (written and fdatasynced).
    pub async fn append(&self, record: &Value) -> Result<(), String> {
        let mut line = record.to_string().into_bytes();
        line.push(b'\n');
        let (synced, done) = oneshot::channel();
        self.appends
            .send(Append { line, synced })
            .map_err(|_| "the journal's writer stopped".to_string())?;
        done.await
            .map_err(|_| "the journal's writer stopped".to_string())?
            .map_err(|e| format!("journal {}: {e}", self.path.display()))
    }
}

/// Reads every complete line: the last status of each ID, and the length of the complete
/// lines (a crash can leave the last one cut short).
fn read_history(file: &File) -> Result<(History, u64), String> {
    let mut reader = BufReader::new(file);
    let (mut history, mut complete_len, mut number) = (IdMap::default(), 0u64, 0u64);
    let mut buf = Vec::new();
    loop {
        buf.clear();
        let read = reader
            .read_until(b'\n', &mut buf)
            .map_err(|e| e.to_string())?;
        if read == 0 || buf.last() != Some(&b'\n') {
            return Ok((History(history), complete_len));
        }
        number += 1;
        let record: Value = serde_json::from_slice(&buf)
            .map_err(|e| format!("line {number} is not a journal record ({e})"))?;
        let (Some(id), Some(status)) = (
            record.get("meeting_id").and_then(Value::as_str),
            record.get("status").and_then(Value::as_str),
        ) else {
            return Err(format!(
                "line {number} is not a journal record (no meeting_id or status)"
            ));
        };
        history.insert(id, Prior::of(status));
        complete_len += read as u64;
    }
}

/// Writes whatever is waiting with one write and one fdatasync, then acknowledges each line.
/// After a failure every later append fails too: a partly written line must not be followed.
fn write_loop(mut file: Flock<File>, queue: mpsc::Receiver<Append>) {
    let mut broken: Option<String> = None;
    while let Ok(first) = queue.recv() {
        let mut batch = vec![first];
        batch.extend(queue.try_iter());
        let result = match &broken {
            Some(e) => Err(e.clone()),
            None => {
                let bytes: Vec<u8> = batch.iter().flat_map(|a| a.line.iter().copied()).collect();
                file.write_all(&bytes)
                    .and_then(|()| file.sync_data())
                    .map_err(|e: io::Error| e.to_string())
            }
        };
        if let Err(e) = &result {
            broken = Some(e.clone());
        }
        for append in batch {
            let _ = append.synced.send(result.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn only_a_regular_file_is_a_journal() {
        for path in ["/dev/zero", "/dev/null"] {
            let err = Journal::open(Path::new(path)).err().expect(path);
            assert_eq!(err, format!("journal {path}: not a regular file"));
        }
    }

    fn temp(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("tm-journal-{}-{name}", std::process::id()));
        let _ = std::fs::remove_file(&dir);
        dir
    }

    #[tokio::test]
    async fn the_last_line_per_id_wins_and_a_cut_line_is_dropped() {
        let path = temp("history");
        {
            let (journal, history) = Journal::open(&path).expect("opens");
            assert_eq!(history.prior("1"), None);
            for (id, status) in [
                ("1", SENDING),
                ("1", "done"),
                ("2", SENDING),
                ("3", "failed"),
            ] {
                journal
                    .append(&json!({"meeting_id": id, "status": status}))
                    .await
                    .expect("appends");
            }
        }
        // A crash in the middle of a line.
        let mut file = OpenOptions::new().append(true).open(&path).expect("file");
        file.write_all(br#"{"meeting_id":"2","sta"#).expect("write");
        drop(file);
        // The writer thread of the first journal has let go of the lock once its sender dropped.
        let mut reopened = None;
        for _ in 0..100 {
            if let Ok(j) = Journal::open(&path) {
                reopened = Some(j);
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        let (journal, history) = reopened.expect("reopens");
        assert_eq!(history.prior("1"), Some(Prior::Done));
        assert_eq!(history.prior("2"), Some(Prior::InDoubt));
        assert_eq!(history.prior("3"), Some(Prior::Failed));
        journal
            .append(&json!({"meeting_id": "2", "status": "done"}))
            .await
            .expect("appends");
        let text = std::fs::read_to_string(&path).expect("read");
        assert!(
            text.ends_with("{\"meeting_id\":\"2\",\"status\":\"done\"}\n"),
            "{text}"
        );
        assert_eq!(text.lines().count(), 5, "the cut line is gone: {text}");
        assert!(
            Journal::open(&path).is_err(),
            "a second run cannot use the journal while the first holds it"
        );
        let _ = std::fs::remove_file(&path);
    }

    #[test]
    fn a_foreign_line_is_refused_with_its_number() {
        let path = temp("foreign");
        std::fs::write(&path, "{\"meeting_id\":\"1\",\"status\":\"done\"}\nhello\n")
            .expect("write");
        let err = Journal::open(&path).err().unwrap_or_default();
        assert!(err.contains("line 2 is not a journal record"), "{err}");
        let _ = std::fs::remove_file(&path);
    }
}
