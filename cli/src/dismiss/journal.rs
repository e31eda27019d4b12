//! `--journal FILE`: a write-ahead record of a batch, one JSON line per event, each fsynced
//! before it counts.
//!
//! Before a dismiss is sent, a `"status": "sending"` line for its ID; when its outcome is known,
//! the outcome's own record (the same object `--output json` prints). After a crash (even
//! `kill -9`) an ID's last line says what to do on the next run: `done` or `already_ended`:
//! skip it; `failed`: nothing was applied, try again; `sending` or `unknown`: the dismiss may
//! have ended the meeting, so look it up first. Lines are appended by one writer thread that
//! commits whatever is waiting with one write and one `fdatasync` (group commit), so concurrent
//! calls share the cost of a sync. The file is the shared [`AppendLog`]: created `0600` with its
//! directory synced, locked against a second run, a failed write cut back off, and a last line
//! cut short (by a crash, or by the file being cut) removed at open and reported.

use std::path::{Path, PathBuf};

use serde_json::Value;
use tokio::sync::{mpsc, oneshot};

use crate::append_log::{self, AppendLog, Committer, OpenError};
use crate::dismiss::id_map::IdMap;

/// How many lines one write and sync may carry at most.
const MAX_BATCH: usize = 256;

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
        let mut history = IdMap::default();
        let opened = AppendLog::open(path, |_, line| read_record(line, &mut history));
        let (log, recovered) = opened.map_err(|e| match e {
            OpenError::Locked => named(&"cannot lock it: is another run using this journal?"),
            OpenError::BadLine(number, why) => {
                named(&format!("line {number} is not a journal record ({why})"))
            }
            other => named(&other),
        })?;
        if recovered.torn_bytes > 0 {
            eprintln!(
                "warning: {} ended in a cut line: {} bytes of a record that may have been \
                 acknowledged were lost (a crash during a write leaves the same cut line \
                 unacknowledged); each ID is handled as its last whole line says",
                path.display(),
                recovered.torn_bytes
            );
        }
        let writer = JournalWriter { log, broken: None };
        let appends =
            append_log::spawn_writer("journal", MAX_BATCH, writer).map_err(|e| named(&e))?;
        Ok((
            Self {
                appends,
                path: path.to_path_buf(),
            },
            History(history),
        ))
    }

    /// Appends `record` as one line and returns once it is on disk (written and fdatasynced).
    pub async fn append(&self, record: &Value) -> Result<(), String> {
        let mut line = record.to_string().into_bytes();
        line.push(b'\n');
        let (synced, done) = oneshot::channel();
        self.appends
            .send(Append { line, synced })
            .await
            .map_err(|_| "the journal's writer stopped".to_string())?;
        done.await
            .map_err(|_| "the journal's writer stopped".to_string())?
            .map_err(|e| format!("journal {}: {e}", self.path.display()))
    }
}

/// Records one line's status for its ID (a later line wins).
fn read_record(line: &[u8], history: &mut IdMap<Prior>) -> Result<(), String> {
    let record: Value = serde_json::from_slice(line).map_err(|e| e.to_string())?;
    let (Some(id), Some(status)) = (
        record.get("meeting_id").and_then(Value::as_str),
        record.get("status").and_then(Value::as_str),
    ) else {
        return Err("no meeting_id or status".to_string());
    };
    history.insert(id, Prior::of(status));
    Ok(())
}

/// The journal's writer thread: a batch of lines with one write and one fdatasync, then each line
/// acknowledged. After a failure every later append fails too, even when the failed write was
/// undone: the batch stops at the first unrecorded outcome (exit 5), and a later run settles it.
struct JournalWriter {
    log: AppendLog,
    broken: Option<String>,
}

impl Committer<Append> for JournalWriter {
    fn commit(&mut self, batch: Vec<Append>) {
        let result = match &self.broken {
            Some(e) => Err(e.clone()),
            None => {
                let bytes: Vec<u8> = batch.iter().flat_map(|a| a.line.iter().copied()).collect();
                self.log.append(&bytes).map_err(|e| e.to_string())
            }
        };
        if let Err(e) = &result {
            self.broken = Some(e.clone());
        }
        for append in batch {
            let _ = append.synced.send(result.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use std::fs::OpenOptions;
    use std::io::Write as _;

    use super::*;
    use serde_json::json;

    #[test]
    fn only_a_regular_file_is_a_journal() {
        for path in ["/dev/zero", "/dev/null"] {
            let err = Journal::open(Path::new(path)).err().expect(path);
            assert_eq!(err, format!("journal {path}: not a regular file"));
        }
    }

    fn temp(name: &str) -> crate::test_dir::TestFile {
        crate::test_dir::TestFile::new(&format!("journal-{name}"), "journal.jsonl")
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
