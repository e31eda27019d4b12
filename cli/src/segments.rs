//! The segment files of the file event store: `--store PATH` names the store, whose records
//! live in `PATH` (segment 0: a store written before segments existed is simply its first
//! segment) and `PATH.1`, `PATH.2`, … (numbered in the order they were started; the highest is
//! the one being appended to), and whose lock is `PATH.lock`.
//!
//! Why files beside `PATH` rather than a directory: an existing single-file store opens as it
//! is, with nothing moved, and `--store` keeps naming the same thing. Why a lock file of its
//! own: the segment being appended to changes and old segments are deleted, but one receiver
//! must own the whole store for its whole life, so the lock is on a file that never changes.
//!
//! A segment is sealed once the next one is started and never written again, so its last
//! record's time is the newest time in it (the clock going back aside: see
//! [`DedupWindow::insert`](crate::dedup_window::DedupWindow::insert)): it decides whether a
//! restart reads the segment (any of its events may be inside the dedup window) and when
//! retention deletes it.

use std::fs::{File, OpenOptions};
use std::io::{self, BufRead as _, BufReader};
use std::os::unix::fs::{FileExt as _, OpenOptionsExt as _};
use std::path::{Path, PathBuf};
use std::time::Duration;

use nix::errno::Errno;
use nix::fcntl::{Flock, FlockArg};
use serde::Deserialize;

use crate::append_log::OpenError;

/// When the segment being appended to is sealed and a new one started, and when sealed
/// segments are deleted.
#[derive(Debug, Clone, Copy)]
pub struct Policy {
    /// Sealed once it holds at least this many bytes.
    pub max_bytes: u64,
    /// Sealed once its first record is this old.
    pub max_age: Duration,
    /// A sealed segment whose last record is older than this is deleted.
    pub retain: Duration,
}

impl Policy {
    /// 64 MiB or one hour per segment; one week kept (the flags' defaults).
    #[cfg(test)]
    pub const DEFAULT: Self = Self {
        max_bytes: 64 * 1024 * 1024,
        max_age: Duration::from_secs(3600),
        retain: Duration::from_secs(168 * 3600),
    };
}

/// The file of segment `number` of the store `base`.
pub fn path_of(base: &Path, number: u64) -> PathBuf {
    if number == 0 {
        return base.to_path_buf();
    }
    let mut name = base.as_os_str().to_owned();
    name.push(format!(".{number}"));
    PathBuf::from(name)
}

/// The numbers of the store's segments that exist, in order (empty for a new store).
pub fn list(base: &Path) -> io::Result<Vec<u64>> {
    let dir = directory_of(base);
    let Some(name) = base.file_name().and_then(|n| n.to_str()) else {
        return Err(io::Error::other("the store's name is not UTF-8"));
    };
    let prefix = format!("{name}.");
    let mut numbers = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let file_name = entry.file_name();
        let Some(entry_name) = file_name.to_str() else {
            continue;
        };
        if entry_name == name {
            numbers.push(0);
        } else if let Some(digits) = entry_name.strip_prefix(&prefix) {
            // Only `PATH.<digits>` with no leading zero: `PATH.lock` and other files are not
            // segments, and one number has one name.
            let canonical = !digits.is_empty()
                && !digits.starts_with('0')
                && digits.bytes().all(|b| b.is_ascii_digit());
            if let Some(n) = digits.parse::<u64>().ok().filter(|_| canonical) {
                numbers.push(n);
            }
        }
    }
    numbers.sort_unstable();
    Ok(numbers)
}

/// Takes the store's lock (`PATH.lock`, created `0600`), held as long as the returned file is.
pub fn lock(base: &Path) -> Result<Flock<File>, OpenError> {
    let mut name = base.as_os_str().to_owned();
    name.push(".lock");
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(PathBuf::from(name))?;
    Flock::lock(file, FlockArg::LockExclusiveNonblock).map_err(|(_, e)| {
        if e == Errno::EWOULDBLOCK {
            OpenError::Locked
        } else {
            OpenError::Io(e.into())
        }
    })
}

/// Syncs the directory holding the store, so a segment's creation or deletion survives a power
/// loss.
pub fn sync_directory(base: &Path) -> io::Result<()> {
    File::open(directory_of(base))?.sync_all()
}

fn directory_of(base: &Path) -> &Path {
    match base.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// The part of a record read to place a segment in time.
#[derive(Deserialize)]
struct Stamp {
    received_at_ms: u64,
}

/// The time of the record `line` (`None` if it has none: not a record of the store).
pub fn time_of(line: &[u8]) -> Option<u64> {
    serde_json::from_slice::<Stamp>(line)
        .ok()
        .map(|s| s.received_at_ms)
}

/// The time of the first record of the file (`None` if empty or unreadable as a record).
pub fn first_time(path: &Path) -> io::Result<Option<u64>> {
    let mut reader = BufReader::new(File::open(path)?);
    let mut line = Vec::new();
    reader.read_until(b'\n', &mut line)?;
    Ok(time_of(&line))
}

/// The time of the last whole record of the file (`None` if it has none), read backwards from
/// its end, so this costs the same at any size.
pub fn last_time(path: &Path) -> io::Result<Option<u64>> {
    let file = File::open(path)?;
    let len = file.metadata()?.len();
    let mut block = vec![0; 1 << 16];
    // The bytes after the last newline are a torn line, not a record.
    let mut end = len;
    let mut tail: Vec<u8> = Vec::new();
    let mut seen_last_newline = false;
    while end > 0 {
        let start = end.saturating_sub(block.len() as u64);
        let chunk = &mut block[..(end - start) as usize];
        file.read_exact_at(chunk, start)?;
        for &b in chunk.iter().rev() {
            if b != b'\n' {
                if seen_last_newline {
                    tail.push(b);
                }
                continue;
            }
            if seen_last_newline && !tail.is_empty() {
                tail.reverse();
                return Ok(time_of(&tail));
            }
            seen_last_newline = true;
        }
        end = start;
    }
    tail.reverse();
    Ok(if seen_last_newline {
        time_of(&tail)
    } else {
        None
    })
}

/// Hands every whole line of a sealed segment to `line` (1-based number); returns how many,
/// and the bytes of a last line without its newline, which are not read (see
/// [`Recovered::torn_bytes`](crate::append_log::Recovered::torn_bytes)): a segment is whole
/// when sealed, so only something outside the store cuts one, and the store goes on with what
/// is whole rather than refusing to start again and again.
pub fn read_lines(
    path: &Path,
    mut line: impl FnMut(u64, &[u8]) -> Result<(), String>,
) -> Result<(u64, u64), OpenError> {
    let mut reader = BufReader::with_capacity(1 << 16, File::open(path)?);
    let (mut number, mut buf) = (0, Vec::new());
    loop {
        buf.clear();
        if reader.read_until(b'\n', &mut buf)? == 0 {
            return Ok((number, 0));
        }
        if buf.last() != Some(&b'\n') {
            return Ok((number, buf.len() as u64));
        }
        number += 1;
        line(number, &buf).map_err(|why| OpenError::BadLine(number, why))?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_are_named_listed_and_placed_in_time() {
        let dir = crate::test_dir::TestDir::new("segments");
        let base = dir.join("events.jsonl");
        assert_eq!(list(&base).expect("lists"), Vec::<u64>::new());
        for (n, text) in [
            (
                0,
                "{\"received_at_ms\":1}\n{\"received_at_ms\":2}\n".to_string(),
            ),
            (
                2,
                format!(
                    "{{\"received_at_ms\":3,\"pad\":\"{}\"}}\n{{\"received_at_ms\":4}}\n{{\"recei",
                    "x".repeat(200_000)
                ),
            ),
            (10, String::new()),
        ] {
            std::fs::write(path_of(&base, n), text).expect("write");
        }
        for other in [
            "events.jsonl.lock",
            "events.jsonl.01",
            "events.jsonl.x",
            "other.1",
        ] {
            std::fs::write(dir.join(other), "").expect("write");
        }
        assert_eq!(list(&base).expect("lists"), vec![0, 2, 10]);
        assert_eq!(path_of(&base, 2), dir.join("events.jsonl.2"));
        assert_eq!(first_time(&base).expect("reads"), Some(1));
        assert_eq!(last_time(&base).expect("reads"), Some(2));
        assert_eq!(first_time(&path_of(&base, 2)).expect("reads"), Some(3));
        assert_eq!(last_time(&path_of(&base, 2)).expect("reads"), Some(4));
        assert_eq!(last_time(&path_of(&base, 10)).expect("reads"), None);
        let mut seen = Vec::new();
        let read = read_lines(&path_of(&base, 2), |n, _| {
            seen.push(n);
            Ok(())
        })
        .expect("reads");
        assert_eq!(
            read,
            (2, "{\"recei".len() as u64),
            "the cut last line is not read"
        );
        assert_eq!(seen, vec![1, 2]);
        std::fs::write(&base, "{\"received_at_ms\":7}\n").expect("write");
        assert_eq!(last_time(&base).expect("reads"), Some(7));
        let held = lock(&base).expect("locks");
        assert!(matches!(lock(&base), Err(OpenError::Locked)));
        drop(held);
        lock(&base).expect("the lock went with it");
    }
}
