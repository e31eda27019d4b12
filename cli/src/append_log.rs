//! [`AppendLog`]: the one append-only file of JSON lines under both the event store of
//! `events listen` and the `--journal` of `dismiss`, so every rule about such a file is kept once:
//!
//! - **Private and durable from the start.** Created `0600` (it holds user IDs, meeting codes and
//!   subjects), and its directory synced after the creation, so the file's name survives a power
//!   loss as its lines do.
//! - **One writer.** An exclusive `flock` for as long as the log is open: a second process on
//!   the same file is refused at open ([`OpenError::Locked`]), never interleaved.
//! - **Whole lines only.** A write is synced (`fdatasync`) before it counts; a write or a sync
//!   that fails is undone by cutting the file back to the end of what this process had
//!   acknowledged, never below it. A log whose undo fails too (or that was cut shorter than
//!   what was acknowledged) is [`AppendError::Unrecoverable`]: its end is unknown, nothing more
//!   is appended, and its owner decides (the receiver exits so a supervisor restarts it).
//! - **Honest recovery.** A last line without its newline is cut off at open and reported as
//!   bytes of a record that *may have been acknowledged*: a crash during a write leaves the same
//!   torn line as a file cut short after the fact, and nothing in the file tells the two apart
//!   (see [`Recovered::torn_bytes`]).

use std::fmt;
use std::fs::{File, OpenOptions};
use std::io::{self, BufRead as _, BufReader, Write as _};
use std::os::unix::fs::{FileExt as _, OpenOptionsExt as _};
use std::path::{Path, PathBuf};

use nix::errno::Errno;
use nix::fcntl::{Flock, FlockArg};
use tokio::sync::mpsc;

/// An open, locked append-only file of lines.
pub struct AppendLog {
    file: Flock<File>,
    path: PathBuf,
    /// The end of what this process acknowledged (or found whole at open): an undo cuts back to
    /// here and never below.
    acknowledged: u64,
    /// Why the log cannot be appended to any more, once an undo failed.
    broken: Option<String>,
}

/// What [`AppendLog::open`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Recovered {
    /// Whole lines found.
    pub lines: u64,
    /// Bytes of a last line without its newline, cut off. They may be a write that was never
    /// acknowledged (a crash while writing) or the end of an acknowledged record (the file cut
    /// short after the fact: a disk, a copy, `truncate`). The log records no separate
    /// acknowledged length, which would cost a second synced write per commit, so it cannot
    /// tell; whoever reports it says "may have been acknowledged".
    pub torn_bytes: u64,
}

/// Why a log could not be opened.
#[derive(Debug)]
pub enum OpenError {
    /// Another process holds the log's lock (it is that log's one writer).
    Locked,
    /// Not a regular file (a device or a pipe cannot be cut back or synced).
    NotRegular,
    /// A whole line that its owner refused (1-based line number, and why): not this kind of log.
    BadLine(u64, String),
    /// Reading, creating, locking or syncing failed.
    Io(io::Error),
}

impl fmt::Display for OpenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Locked => f.write_str("another process holds its lock"),
            Self::NotRegular => f.write_str("not a regular file"),
            Self::BadLine(number, why) => write!(f, "line {number}: {why}"),
            Self::Io(e) => e.fmt(f),
        }
    }
}

impl From<io::Error> for OpenError {
    fn from(e: io::Error) -> Self {
        Self::Io(e)
    }
}

/// Why an append did not count.
#[derive(Debug)]
pub enum AppendError {
    /// The write or its sync failed and was undone: the log ends where it did before, and a
    /// later append may succeed (say, once the disk has room again).
    Failed(io::Error),
    /// The write failed and the log could not be brought back to its acknowledged end: nothing
    /// more is appended by this process.
    Unrecoverable(String),
}

impl fmt::Display for AppendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Failed(e) => e.fmt(f),
            Self::Unrecoverable(why) => write!(f, "unusable until restarted: {why}"),
        }
    }
}

impl AppendLog {
    /// Opens (or creates, `0600`) the log at `path`, takes its lock, hands every whole line to
    /// `line` (with its 1-based number; an `Err` refuses the file), and cuts off a torn last line.
    pub fn open(
        path: &Path,
        line: impl FnMut(u64, &[u8]) -> Result<(), String>,
    ) -> Result<(Self, Recovered), OpenError> {
        let (log, torn_bytes) = Self::open_unread(path)?;
        let lines = log.read_lines(u64::MAX, line)?;
        Ok((log, Recovered { lines, torn_bytes }))
    }

    /// Opens the log as [`open`](Self::open) does, but reads none of its lines: the torn last
    /// line is found from the end (and cut off; its length returned), so this takes the same
    /// time at any size. [`read_lines`](Self::read_lines) reads them, before the first append.
    pub fn open_unread(path: &Path) -> Result<(Self, u64), OpenError> {
        let (file, created) = open_or_create(path)?;
        if !file.metadata()?.is_file() {
            return Err(OpenError::NotRegular);
        }
        let file = Flock::lock(file, FlockArg::LockExclusiveNonblock).map_err(|(_, e)| {
            if e == Errno::EWOULDBLOCK {
                OpenError::Locked
            } else {
                OpenError::Io(e.into())
            }
        })?;
        if created {
            // The new file's name must survive a power loss too, not only its lines.
            sync_directory_of(path)?;
        }
        let len = file.metadata()?.len();
        let whole = end_of_last_line(&file, len)?;
        if whole < len {
            file.set_len(whole)?;
            file.sync_data()?;
        }
        Ok((
            Self {
                file,
                path: path.to_path_buf(),
                acknowledged: whole,
                broken: None,
            },
            len - whole,
        ))
    }

    /// Hands the first `max` whole lines found at open to `line` (1-based number, the line with
    /// its newline); returns how many it read. Call it before appending.
    pub fn read_lines(
        &self,
        max: u64,
        mut line: impl FnMut(u64, &[u8]) -> Result<(), String>,
    ) -> Result<u64, OpenError> {
        let mut reader = BufReader::with_capacity(
            1 << 16,
            Positioned {
                file: &self.file,
                at: 0,
                end: self.acknowledged,
            },
        );
        let (mut number, mut buf) = (0, Vec::new());
        while number < max {
            buf.clear();
            if reader.read_until(b'\n', &mut buf)? == 0 {
                break;
            }
            number += 1;
            if buf.last() != Some(&b'\n') {
                return Err(OpenError::BadLine(
                    number,
                    "cut short while being read: something else writes to the file".into(),
                ));
            }
            line(number, &buf).map_err(|why| OpenError::BadLine(number, why))?;
        }
        Ok(number)
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Its length: the end of what this process acknowledged (or found whole at open).
    pub fn len(&self) -> u64 {
        self.acknowledged
    }

    /// Appends `bytes` (whole lines) with one write and one `fdatasync`; `Ok` once they are on
    /// disk. On failure the log is cut back to where it was before (see [`AppendError`]).
    pub fn append(&mut self, bytes: &[u8]) -> Result<(), AppendError> {
        if let Some(why) = &self.broken {
            return Err(AppendError::Unrecoverable(why.clone()));
        }
        let written = (&*self.file)
            .write_all(bytes)
            .and_then(|()| self.file.sync_data());
        match written {
            Ok(()) => {
                self.acknowledged += bytes.len() as u64;
                Ok(())
            }
            Err(e) => match self.undo() {
                Ok(()) => Err(AppendError::Failed(e)),
                Err(undo) => {
                    let why = format!("{e}, then {undo} while cutting the failed write off");
                    self.broken = Some(why.clone());
                    Err(AppendError::Unrecoverable(why))
                }
            },
        }
    }

    /// Cuts a failed write off: back to the acknowledged end, never below it.
    fn undo(&mut self) -> Result<(), String> {
        let len = self.file.metadata().map_err(|e| e.to_string())?.len();
        if len < self.acknowledged {
            // Cut below what was acknowledged by something else: writing on would leave a hole,
            // and growing it back would invent bytes.
            return Err(format!(
                "the file is {len} bytes, shorter than the {} this process acknowledged: \
                 something else cut it",
                self.acknowledged
            ));
        }
        if len > self.acknowledged {
            self.file
                .set_len(self.acknowledged)
                .map_err(|e| e.to_string())?;
        }
        self.file.sync_data().map_err(|e| e.to_string())
    }
}

/// What the one writer thread of a log does.
pub trait Committer<J>: Send + 'static {
    /// Runs once on the writer thread before the first batch (jobs sent meanwhile wait).
    fn start(&mut self) {}

    /// Writes a batch of jobs (whatever was waiting) and answers each.
    fn commit(&mut self, batch: Vec<J>);
}

/// Starts the one writer thread of a log, named `name`: it takes the jobs waiting at a moment (at
/// most `max_batch`) and hands them to `committer` together, so concurrent appends share one
/// write and one sync (group commit). The thread ends when every sender is dropped.
pub fn spawn_writer<J: Send + 'static>(
    name: &str,
    max_batch: usize,
    mut committer: impl Committer<J>,
) -> io::Result<mpsc::Sender<J>> {
    let (jobs, mut queue) = mpsc::channel(4 * max_batch);
    std::thread::Builder::new()
        .name(name.to_string())
        .spawn(move || {
            committer.start();
            while let Some(first) = queue.blocking_recv() {
                let mut batch = vec![first];
                while batch.len() < max_batch {
                    match queue.try_recv() {
                        Ok(job) => batch.push(job),
                        Err(_) => break,
                    }
                }
                committer.commit(batch);
            }
        })?;
    Ok(jobs)
}

#[cfg(test)]
impl AppendLog {
    /// The log at `path` on a descriptor that cannot write: every append fails as a full disk
    /// makes it fail (a real `write(2)` error), and the undo succeeds.
    pub fn open_read_only(path: &Path) -> io::Result<Self> {
        let file = File::open(path)?;
        let acknowledged = file.metadata()?.len();
        let file = Flock::lock(file, FlockArg::LockExclusiveNonblock).map_err(|(_, e)| e)?;
        Ok(Self {
            file,
            path: path.to_path_buf(),
            acknowledged,
            broken: None,
        })
    }
}

/// The length of the file's whole lines: up to and with its last newline (0 if none), read
/// backwards from `len` in blocks.
fn end_of_last_line(file: &File, len: u64) -> io::Result<u64> {
    let mut block = vec![0; 1 << 16];
    let mut end = len;
    while end > 0 {
        let start = end.saturating_sub(block.len() as u64);
        let chunk = &mut block[..(end - start) as usize];
        file.read_exact_at(chunk, start)?;
        if let Some(at) = chunk.iter().rposition(|&b| b == b'\n') {
            return Ok(start + at as u64 + 1);
        }
        end = start;
    }
    Ok(0)
}

/// Reads a file from `at` up to `end` by position, leaving the descriptor's offset alone.
struct Positioned<'a> {
    file: &'a File,
    at: u64,
    end: u64,
}

impl io::Read for Positioned<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let room = usize::try_from(self.end - self.at).unwrap_or(usize::MAX);
        let want = buf.len().min(room);
        if want == 0 {
            return Ok(0);
        }
        let read = self.file.read_at(&mut buf[..want], self.at)?;
        self.at += read as u64;
        Ok(read)
    }
}

/// Creates the file `0600` (then `true`), or opens the one that is there, for reading and
/// appending.
fn open_or_create(path: &Path) -> io::Result<(File, bool)> {
    let mut options = OpenOptions::new();
    options.read(true).append(true);
    match options.clone().create_new(true).mode(0o600).open(path) {
        Ok(file) => Ok((file, true)),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok((options.open(path)?, false)),
        Err(e) => Err(e),
    }
}

fn sync_directory_of(path: &Path) -> io::Result<()> {
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    File::open(parent)?.sync_all()
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt as _;

    use super::*;

    fn temp(name: &str) -> crate::test_dir::TestFile {
        crate::test_dir::TestFile::new(&format!("append-log-{name}"), "log.jsonl")
    }

    fn accept(_: u64, _: &[u8]) -> Result<(), String> {
        Ok(())
    }

    #[test]
    fn created_private_and_locked_against_a_second_writer() {
        let path = temp("lock");
        let (mut log, recovered) = AppendLog::open(&path, accept).expect("opens");
        assert_eq!(recovered, Recovered::default());
        let mode = std::fs::metadata(&path).expect("file").permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{mode:o}");
        log.append(b"1\n").expect("appends");
        assert!(matches!(
            AppendLog::open(&path, accept),
            Err(OpenError::Locked)
        ));
        drop(log);
        let (_, recovered) = AppendLog::open(&path, accept).expect("the lock went with it");
        assert_eq!(recovered.lines, 1);
    }

    #[test]
    fn a_torn_last_line_is_cut_and_counted_and_a_refused_line_named() {
        let path = temp("torn");
        std::fs::write(&path, b"1\n22\n333").expect("write");
        let mut seen = Vec::new();
        let (mut log, recovered) = AppendLog::open(&path, |n, l| {
            seen.push((n, l.to_vec()));
            Ok(())
        })
        .expect("opens");
        assert_eq!(
            recovered,
            Recovered {
                lines: 2,
                torn_bytes: 3
            }
        );
        assert_eq!(seen, vec![(1, b"1\n".to_vec()), (2, b"22\n".to_vec())]);
        log.append(b"4\n").expect("appends");
        drop(log);
        assert_eq!(std::fs::read(&path).expect("read"), b"1\n22\n4\n");
        let refused = AppendLog::open(&path, |n, _| {
            if n == 2 {
                Err("not mine".into())
            } else {
                Ok(())
            }
        });
        assert!(
            matches!(&refused, Err(OpenError::BadLine(2, why)) if why == "not mine"),
            "{:?}",
            refused.err()
        );
        assert!(matches!(
            AppendLog::open(Path::new("/dev/null"), accept),
            Err(OpenError::NotRegular)
        ));
    }

    /// A file cut shorter than what was acknowledged cannot be undone to its acknowledged end:
    /// the log says so and appends nothing more, rather than writing after a hole.
    #[test]
    fn an_undo_never_cuts_below_the_acknowledged_end_nor_grows_the_file_back() {
        let path = temp("undo");
        let (mut log, _) = AppendLog::open(&path, accept).expect("opens");
        log.append(b"first\n").expect("appends");
        // A failed write: the log's own file descriptor, cut shorter by someone else.
        std::fs::OpenOptions::new()
            .write(true)
            .open(&path)
            .and_then(|f| f.set_len(3))
            .expect("cut");
        assert!(log.undo().is_err());
        assert_eq!(std::fs::metadata(&path).expect("file").len(), 3);
    }
}
