//! Outcomes out: each on stdout as it becomes known (text or JSON), warnings on stderr, a
//! progress bar when stderr is a terminal, and the summary with the exit code.

use std::io::{IsTerminal as _, Write as _};

use indicatif::{ProgressBar, ProgressStyle};
use serde_json::json;

use crate::args::OutputFormat;
use crate::dismiss::outcome::{Outcome, Skip};
use crate::dismiss::render::{self, Resolve};
use crate::dismiss::source::Entry;
use crate::outcome::Exit;

/// How a run ended, beyond its outcomes.
#[derive(Debug, Default)]
pub struct Ending {
    /// SIGINT or SIGTERM arrived: no new IDs were taken after it.
    pub interrupted: bool,
    /// A second one arrived: the calls in flight were abandoned (and reported unknown).
    pub aborted: bool,
    /// The input could not be read to its end.
    pub input_error: Option<String>,
    /// The journal could not record an outcome.
    pub journal_error: Option<String>,
}

/// Counts by status.
#[derive(Debug, Default)]
struct Tally {
    done: u64,
    not_confirmed: u64,
    already_ended: u64,
    failed: u64,
    unknown: u64,
    skipped: u64,
    duplicates: u64,
    prepared: u64,
    worst: Option<Exit>,
}

/// Prints outcomes and the summary.
pub struct Reporter {
    output: OutputFormat,
    batch: bool,
    resolve: Resolve,
    progress: ProgressBar,
    tally: Tally,
    /// Why stdout could not be written, once it could not.
    output_error: Option<String>,
}

impl Reporter {
    /// A reporter for one ID (`batch` false) or a batch of `len` IDs (when known beforehand).
    pub fn new(output: OutputFormat, batch: bool, resolve: Resolve, len: Option<u64>) -> Self {
        let progress = if batch && std::io::stderr().is_terminal() {
            let bar = match len {
                Some(len) => ProgressBar::new(len),
                None => ProgressBar::no_length(),
            };
            let template = match len {
                Some(_) => "{bar:40} {pos}/{len} meetings, {per_sec}, eta {eta}",
                None => "{spinner} {pos} meetings, {per_sec}",
            };
            if let Ok(style) = ProgressStyle::with_template(template) {
                bar.set_style(style);
            }
            bar
        } else {
            ProgressBar::hidden()
        };
        Self {
            output,
            batch,
            resolve,
            progress,
            tally: Tally::default(),
            output_error: None,
        }
    }

    /// A warning on stderr.
    pub fn warn(&self, message: &str) {
        self.progress.suspend(|| eprintln!("warning: {message}"));
    }

    /// Prints one outcome and counts it.
    pub fn outcome(&mut self, entry: &Entry, outcome: &Outcome) {
        let tally = &mut self.tally;
        match outcome {
            Outcome::Done(_) => tally.done += 1,
            Outcome::NotConfirmed(..) => tally.not_confirmed += 1,
            Outcome::AlreadyEnded(_) => tally.already_ended += 1,
            Outcome::Failed(_) => tally.failed += 1,
            Outcome::Unknown(_) => tally.unknown += 1,
            Outcome::Skipped(Skip::Duplicate(_)) => tally.duplicates += 1,
            Outcome::Skipped(Skip::Journal(_)) => tally.skipped += 1,
            Outcome::Prepared(_) => tally.prepared += 1,
        }
        let exit = outcome.exit();
        tally.worst = Some(tally.worst.map_or(exit, |w| w.worse(exit)));
        if !matches!(outcome, Outcome::Skipped(Skip::Duplicate(_))) {
            self.progress.inc(1);
        }
        let line = entry
            .line
            .map(|n| format!("line {n}: "))
            .unwrap_or_default();
        let duplicate = matches!(outcome, Outcome::Skipped(Skip::Duplicate(_)));
        let mut to_stderr = Vec::new();
        if duplicate {
            to_stderr.push(format!(
                "warning: {line}{}",
                render::text(entry, outcome, &self.resolve)
            ));
        }
        let to_stdout = match self.output {
            OutputFormat::Json => Some(render::json(entry, outcome, &self.resolve).to_string()),
            OutputFormat::Text if duplicate => None,
            OutputFormat::Text => {
                let text = render::text(entry, outcome, &self.resolve);
                let label = match outcome {
                    Outcome::Failed(_) => "failed: ",
                    Outcome::Unknown(_) => "unknown: ",
                    Outcome::Skipped(_) => "skipped: ",
                    _ => "",
                };
                if !self.batch && matches!(outcome, Outcome::Failed(_) | Outcome::Unknown(_)) {
                    to_stderr.push(format!("error: {label}{text}"));
                    None
                } else {
                    Some(format!("{line}{label}{text}"))
                }
            }
        };
        let progress = self.progress.clone();
        progress.suspend(|| {
            for message in &to_stderr {
                eprintln!("{message}");
            }
            if let Some(text) = to_stdout {
                self.print(&text);
            }
        });
    }

    /// Writes a line on stdout. When stdout is gone (a closed pipe), says so once on stderr and
    /// remembers it: the run then stops taking IDs ([`Self::output_failed`]).
    fn print(&mut self, text: &str) {
        if self.output_error.is_some() {
            return;
        }
        let mut stdout = std::io::stdout().lock();
        if let Err(e) = writeln!(stdout, "{text}").and_then(|()| stdout.flush()) {
            eprintln!("error: cannot write to stdout ({e}): no new IDs are taken");
            self.output_error = Some(e.to_string());
        }
    }

    /// Whether stdout could not be written: outcomes can no longer be reported there.
    pub fn output_failed(&self) -> bool {
        self.output_error.is_some()
    }

    /// Prints the summary (a batch's, or the notes a single ID needs) and returns the exit code.
    pub fn finish(mut self, ending: &Ending) -> Exit {
        self.progress.finish_and_clear();
        let tally = std::mem::take(&mut self.tally);
        let t = &tally;
        let mut exit = t.worst.unwrap_or(Exit::Ok);
        if ending.input_error.is_some()
            || ending.journal_error.is_some()
            || self.output_error.is_some()
        {
            exit = exit.worse(Exit::Incomplete);
        }
        if ending.interrupted {
            exit = exit.worse(Exit::Interrupted);
        }
        let mut notes = Vec::new();
        if ending.aborted {
            notes.push(
                "interrupted twice: the calls in flight were abandoned and are listed as unknown"
                    .to_string(),
            );
        } else if ending.interrupted {
            notes.push(
                "interrupted: no new IDs were taken; the calls in flight were finished and reported"
                    .to_string(),
            );
        }
        if let Some(e) = &ending.input_error {
            notes.push(format!(
                "stopped reading {e}; the IDs read before it were finished and reported"
            ));
        }
        if let Some(e) = &ending.journal_error {
            notes.push(format!(
                "stopped: {e}; the calls in flight were finished and reported"
            ));
        }
        if let Some(e) = &self.output_error {
            notes.push(format!(
                "stopped: stdout could not be written ({e}); the calls in flight were finished{}",
                match &self.resolve.journal {
                    Some(j) => format!(" and their outcomes are in the journal {j}"),
                    None => String::new(),
                }
            ));
        }
        if t.unknown > 0 {
            notes.push(match &self.resolve.journal {
                Some(j) => format!(
                    "{} outcome(s) unknown: run the same command again with --journal {j} to settle them by look-up",
                    t.unknown
                ),
                None => format!(
                    "{} outcome(s) unknown: see each for how to find out (a batch run with --journal FILE settles them when run again)",
                    t.unknown
                ),
            });
        }
        if !self.batch {
            for note in &notes {
                eprintln!("{note}");
            }
            return exit;
        }
        match self.output {
            OutputFormat::Json => {
                let summary = json!({"summary": {
                    "meetings": t.done + t.not_confirmed + t.already_ended + t.failed + t.unknown + t.skipped + t.prepared,
                    "done": t.done,
                    "not_confirmed": t.not_confirmed,
                    "already_ended": t.already_ended,
                    "failed": t.failed,
                    "unknown": t.unknown,
                    "skipped": t.skipped,
                    "duplicates": t.duplicates,
                    "prepared": t.prepared,
                    "interrupted": ending.interrupted,
                    "aborted": ending.aborted,
                    "input_error": ending.input_error,
                    "journal_error": ending.journal_error,
                    "journal": self.resolve.journal,
                    "exit_code": exit as u8,
                }});
                self.print(&summary.to_string());
            }
            OutputFormat::Text => {}
        }
        let mut counts = if t.prepared > 0 {
            format!("{} prepared", t.prepared)
        } else {
            format!("{} dismissed", t.done)
        };
        for (n, what) in [
            (t.not_confirmed, "dismissed but not confirmed by event"),
            (t.already_ended, "already ended"),
            (t.failed, "failed"),
            (t.unknown, "unknown"),
            (t.skipped, "skipped (done in the journal)"),
        ] {
            if n > 0 || what == "failed" {
                counts.push_str(&format!(", {n} {what}"));
            }
        }
        let total = t.done
            + t.not_confirmed
            + t.already_ended
            + t.failed
            + t.unknown
            + t.skipped
            + t.prepared;
        let mut summary = format!("summary: {total} meeting(s): {counts}");
        if t.duplicates > 0 {
            summary.push_str(&format!("; {} repeated ID(s) skipped", t.duplicates));
        }
        summary.push_str(&format!("; exit code {}", exit as u8));
        eprintln!("{summary}");
        for note in &notes {
            eprintln!("{note}");
        }
        exit
    }
}
