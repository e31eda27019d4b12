//! The JSON lines `events listen` prints: a view of what it stored, never the record. A handler
//! never waits for stdout: lines go through a bounded queue to one writer task, and when the
//! queue is full (stdout is not being read: a stalled log shipper, `| sleep 90`) or stdout is
//! gone, the line is dropped and counted instead. The stall is said once on stderr when it
//! starts, and the count at exit; the store has every event either way.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use tencent_meeting::webhook::Event;
use tokio::io::{AsyncWrite, AsyncWriteExt as _};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// Lines waiting for stdout at most (on top of the pipe's own 64 KiB): about 300 KiB of events,
/// enough for a reader that pauses, not so much that one that stopped costs memory.
pub const QUEUE_LINES: usize = 1024;

/// Prints events through a bounded queue; cheap to clone into every handler.
#[derive(Clone)]
pub struct Printer {
    lines: mpsc::Sender<Vec<u8>>,
    counts: Arc<Counts>,
}

#[derive(Default)]
struct Counts {
    queued: AtomicU64,
    written: AtomicU64,
    dropped: AtomicU64,
    warned: AtomicBool,
}

/// The writer task, to wait for at exit.
pub struct PrinterTask {
    task: JoinHandle<()>,
    counts: Arc<Counts>,
}

impl Printer {
    /// A printer to the process's stdout.
    pub fn stdout() -> (Printer, PrinterTask) {
        Self::to(tokio::io::stdout(), QUEUE_LINES)
    }

    /// A printer to `out`, holding up to `capacity` lines.
    pub fn to<W>(out: W, capacity: usize) -> (Printer, PrinterTask)
    where
        W: AsyncWrite + Unpin + Send + 'static,
    {
        let (lines, queue) = mpsc::channel(capacity.max(1));
        let counts = Arc::new(Counts::default());
        let task = tokio::spawn(write_lines(out, queue, Arc::clone(&counts)));
        (
            Printer {
                lines,
                counts: Arc::clone(&counts),
            },
            PrinterTask { task, counts },
        )
    }

    /// Queues `events` for stdout, one line each; never waits. What does not fit is counted.
    pub fn print(&self, events: &[Event]) {
        for event in events {
            let mut line = match serde_json::to_vec(event) {
                Ok(line) => line,
                Err(e) => {
                    tracing::warn!(error = %e, "could not print an event");
                    self.dropped();
                    continue;
                }
            };
            line.push(b'\n');
            match self.lines.try_send(line) {
                Ok(()) => {
                    self.counts.queued.fetch_add(1, Ordering::Relaxed);
                }
                Err(_) => self.dropped(),
            }
        }
    }

    fn dropped(&self) {
        self.counts.dropped.fetch_add(1, Ordering::Relaxed);
        if !self.counts.warned.swap(true, Ordering::Relaxed) {
            eprintln!(
                "warning: stdout is not being read: events are still stored and acknowledged, \
                 but some are not printed from now on (a count at exit; the store has them all)"
            );
        }
    }
}

impl PrinterTask {
    /// Lets the writer finish the queue for at most `within` (stdout may never drain), then
    /// says on stderr how many events were stored but not printed, if any. Every [`Printer`]
    /// must be dropped first, or the writer waits for them until `within`.
    pub async fn finish(self, within: Duration) {
        let PrinterTask { mut task, counts } = self;
        if tokio::time::timeout(within, &mut task).await.is_err() {
            task.abort();
        }
        let unwritten = counts
            .queued
            .load(Ordering::Relaxed)
            .saturating_sub(counts.written.load(Ordering::Relaxed));
        let unprinted = counts.dropped.load(Ordering::Relaxed) + unwritten;
        if unprinted > 0 {
            eprintln!(
                "note: {unprinted} events were stored but not printed (stdout did not keep up); \
                 the store has them"
            );
        }
    }
}

/// Writes queued lines in batches until the queue closes or `out` fails (closed stdout: the
/// queue then closes and every later line counts as dropped).
async fn write_lines<W>(mut out: W, mut queue: mpsc::Receiver<Vec<u8>>, counts: Arc<Counts>)
where
    W: AsyncWrite + Unpin,
{
    let mut batch = Vec::new();
    while let Some(first) = queue.recv().await {
        batch.clear();
        batch.extend_from_slice(&first);
        let mut lines = 1;
        while batch.len() < 64 * 1024 {
            match queue.try_recv() {
                Ok(line) => {
                    batch.extend_from_slice(&line);
                    lines += 1;
                }
                Err(_) => break,
            }
        }
        if let Err(e) = write_batch(&mut out, &batch).await {
            tracing::warn!(error = %e, "stdout failed; events are no longer printed");
            return;
        }
        counts.written.fetch_add(lines, Ordering::Relaxed);
    }
}

async fn write_batch<W: AsyncWrite + Unpin>(out: &mut W, batch: &[u8]) -> std::io::Result<()> {
    out.write_all(batch).await?;
    out.flush().await
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use tencent_meeting::webhook::Event;
    use tencent_meeting::webhook::event::parse_event;

    use super::Printer;

    fn event(i: usize) -> Event {
        let json = format!(r#"{{"event":"meeting.started","trace_id":"trace-{i}","payload":[]}}"#);
        let mut events = parse_event(json.as_bytes()).expect("an event");
        events.remove(0)
    }

    #[tokio::test]
    async fn a_reader_that_keeps_up_gets_every_line_in_order() {
        let (reader, writer) = tokio::io::duplex(1 << 20);
        let (printer, task) = Printer::to(writer, 8);
        for i in 0..5 {
            printer.print(&[event(i)]);
            tokio::task::yield_now().await;
        }
        drop(printer);
        task.finish(Duration::from_secs(5)).await;
        let mut text = String::new();
        let mut reader = reader;
        tokio::io::AsyncReadExt::read_to_string(&mut reader, &mut text)
            .await
            .expect("read");
        let traces: Vec<String> = text
            .lines()
            .map(|l| {
                serde_json::from_str::<serde_json::Value>(l).expect("a JSON line")["trace_id"]
                    .to_string()
            })
            .collect();
        assert_eq!(traces.len(), 5, "{text}");
        assert!(traces[0].contains("trace-0") && traces[4].contains("trace-4"));
    }

    #[tokio::test]
    async fn a_stalled_reader_costs_lines_not_waiting() {
        // A 16-byte pipe nobody reads: the writer blocks on its first line.
        let (_reader, writer) = tokio::io::duplex(16);
        let (printer, task) = Printer::to(writer, 2);
        for i in 0..100 {
            // Returns at once every time, though nothing is read.
            printer.print(&[event(i)]);
        }
        let counts = std::sync::Arc::clone(&printer.counts);
        drop(printer);
        task.finish(Duration::from_millis(100)).await;
        let dropped = counts.dropped.load(std::sync::atomic::Ordering::Relaxed);
        assert!(
            dropped >= 97,
            "at most the queue and one line in flight: {dropped}"
        );
    }
}
