//! IDs in: the one ID on the command line, or one per line of a file or standard input,
//! streamed (never counted or read ahead beyond a few lines), each with its line number.

use std::path::{Path, PathBuf};

use tokio::io::{AsyncBufReadExt as _, AsyncRead, BufReader};
use tokio::sync::mpsc;

use crate::dismiss::id_map::IdMap;

/// How many lines the reader may run ahead of the calls: enough to keep them busy, few enough
/// that stopping leaves little read and not taken.
const READ_AHEAD: usize = 16;

/// A meeting ID to dismiss, and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The ID as written (checked by the client, not here).
    pub meeting_id: String,
    /// Its line in the batch input; `None` for the ID on the command line.
    pub line: Option<u64>,
}

/// The input could not be read past `line`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadError {
    /// The line that could not be read.
    pub line: u64,
    /// Why, in words.
    pub message: String,
}

/// Where the IDs come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// One ID, from the command line.
    One(String),
    /// A file, one ID per line.
    File(PathBuf),
    /// Standard input (`--from -`), one ID per line.
    Stdin,
}

impl Input {
    /// The input the arguments name.
    pub fn of(meeting_id: Option<&str>, from: Option<&Path>) -> Option<Self> {
        match (from, meeting_id) {
            (Some(path), _) if path == Path::new("-") => Some(Self::Stdin),
            (Some(path), _) => Some(Self::File(path.to_path_buf())),
            (None, Some(id)) => Some(Self::One(id.to_string())),
            (None, None) => None,
        }
    }

    /// A batch (`--from`), as opposed to one ID.
    pub fn is_batch(&self) -> bool {
        !matches!(self, Self::One(_))
    }

    /// The input in words, for messages.
    pub fn name(&self) -> String {
        match self {
            Self::One(_) => "the command line".to_string(),
            Self::File(path) => path.display().to_string(),
            Self::Stdin => "standard input".to_string(),
        }
    }

    /// The file, when the input is a regular file (which can be counted beforehand without
    /// consuming it, unlike a pipe or a FIFO).
    pub fn regular_file(&self) -> Option<&Path> {
        match self {
            Self::File(path) if std::fs::metadata(path).is_ok_and(|m| m.is_file()) => {
                Some(path.as_path())
            }
            _ => None,
        }
    }
}

/// The stream of entries, read by a task of its own so that taking the next one is
/// cancel-safe.
pub struct Source {
    entries: mpsc::Receiver<Result<Entry, ReadError>>,
}

impl Source {
    /// Opens the input; an error (nothing could be read at all) is the user's to fix, and
    /// nothing has been sent.
    pub async fn open(input: &Input) -> Result<Self, String> {
        let (tx, entries) = mpsc::channel(READ_AHEAD);
        match input {
            Input::One(id) => {
                let _ = tx.try_send(Ok(Entry {
                    meeting_id: id.clone(),
                    line: None,
                }));
            }
            Input::File(path) => {
                let file = tokio::fs::File::open(path)
                    .await
                    .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
                tokio::spawn(read_lines(file, tx));
            }
            Input::Stdin => {
                tokio::spawn(read_lines(tokio::io::stdin(), tx));
            }
        }
        Ok(Self { entries })
    }

    /// The next entry; `None` at the end of the input. Cancel-safe.
    pub async fn next(&mut self) -> Option<Result<Entry, ReadError>> {
        self.entries.recv().await
    }
}

/// Sends each line's ID, in order, until the end, the first read error, or the receiver
/// stopping.
async fn read_lines(input: impl AsyncRead + Unpin, tx: mpsc::Sender<Result<Entry, ReadError>>) {
    let mut reader = BufReader::new(input);
    let mut buf = Vec::new();
    let mut line = 0u64;
    loop {
        buf.clear();
        line += 1;
        let entry = match reader.read_until(b'\n', &mut buf).await {
            Ok(0) => return,
            Ok(_) => match std::str::from_utf8(&buf) {
                Ok(text) => match meeting_id_of(text) {
                    Some(id) => Ok(Entry {
                        meeting_id: id.to_string(),
                        line: Some(line),
                    }),
                    None => continue,
                },
                Err(_) => Err(ReadError {
                    line,
                    message: "not UTF-8 text (is this a list of meeting IDs?)".to_string(),
                }),
            },
            Err(e) => Err(ReadError {
                line,
                message: e.to_string(),
            }),
        };
        let failed = entry.is_err();
        if tx.send(entry).await.is_err() || failed {
            return;
        }
    }
}

/// The meeting ID on a line: text before any `#`, trimmed; `None` for a blank or comment line.
pub fn meeting_id_of(line: &str) -> Option<&str> {
    let id = line.split('#').next().unwrap_or_default().trim();
    (!id.is_empty()).then_some(id)
}

/// The IDs seen so far, to skip repeats: each with its first line (0: the command line).
#[derive(Debug, Default)]
pub struct Seen(IdMap<u64>);

impl Seen {
    /// `Some(first line)` when `entry`'s ID was seen before; else remembers it.
    pub fn repeat_of(&mut self, entry: &Entry) -> Option<Option<u64>> {
        if let Some(first) = self.0.get(&entry.meeting_id) {
            return Some((*first > 0).then_some(*first));
        }
        self.0.insert(&entry.meeting_id, entry.line.unwrap_or(0));
        None
    }
}

/// Counts the IDs in a regular file (for the progress bar's length). Streams; `None` when the
/// file cannot be read.
pub async fn count(path: &Path) -> Option<u64> {
    let file = tokio::fs::File::open(path).await.ok()?;
    let mut reader = BufReader::new(file);
    let (mut buf, mut total) = (Vec::new(), 0u64);
    loop {
        buf.clear();
        match reader.read_until(b'\n', &mut buf).await {
            Ok(0) => return Some(total),
            Ok(_) => {
                let text = String::from_utf8_lossy(&buf);
                total += u64::from(meeting_id_of(&text).is_some());
            }
            Err(_) => return None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_ids_and_skips_comments() {
        assert_eq!(meeting_id_of("  123  \n"), Some("123"));
        assert_eq!(meeting_id_of("123 # the weekly sync"), Some("123"));
        assert_eq!(meeting_id_of("# a comment"), None);
        assert_eq!(meeting_id_of("   \r\n"), None);
        assert_eq!(meeting_id_of("abc"), Some("abc"));
    }

    #[tokio::test]
    async fn numbers_lines_and_stops_at_the_first_unreadable_one() {
        let input: &[u8] = b"# ids\n1\n\n2 # two\n\xff\xfe\n3\n";
        let (tx, mut rx) = mpsc::channel(8);
        read_lines(input, tx).await;
        let mut got = Vec::new();
        while let Some(item) = rx.recv().await {
            got.push(item);
        }
        let entry = |id: &str, line| {
            Ok(Entry {
                meeting_id: id.to_string(),
                line: Some(line),
            })
        };
        assert_eq!(got.len(), 3, "{got:?}");
        assert_eq!(got[0], entry("1", 2));
        assert_eq!(got[1], entry("2", 4));
        assert!(matches!(&got[2], Err(ReadError { line: 5, .. })), "{got:?}");
    }

    #[test]
    fn remembers_the_first_line_of_each_id() {
        let mut seen = Seen::default();
        let at = |line| Entry {
            meeting_id: "7".to_string(),
            line: Some(line),
        };
        assert_eq!(seen.repeat_of(&at(3)), None);
        assert_eq!(seen.repeat_of(&at(9)), Some(Some(3)));
    }
}
