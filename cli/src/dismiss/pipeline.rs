//! The one pipeline every dismiss runs through, one ID or a batch: IDs in, calls with bounded
//! concurrency, outcomes out to the journal and the reporter, and the signals that stop it.
//!
//! Nothing known is lost: an outcome goes to the journal (fsynced) before it is reported; the
//! first SIGINT or SIGTERM, a read error or a journal failure stop the intake while the calls
//! in flight finish and are reported; a second signal abandons those calls and reports each as
//! unknown.

use std::collections::BTreeMap;

use futures::FutureExt as _;
use futures::StreamExt as _;
use futures::stream::FuturesUnordered;

use crate::dismiss::call::Calls;
use crate::dismiss::journal::{History, Prior};
use crate::dismiss::outcome::{Outcome, Skip, Unknown};
use crate::dismiss::render::{self, Resolve};
use crate::dismiss::report::{Ending, Reporter};
use crate::dismiss::signals::Signals;
use crate::dismiss::source::{Entry, Seen, Source};

/// What the pipeline needs besides its input.
pub struct Run<'r, 'a> {
    /// Runs each ID's calls.
    pub calls: &'r Calls<'a>,
    /// What earlier runs recorded in the journal.
    pub history: &'r History,
    /// How unknown outcomes can be settled (for the journal's records).
    pub resolve: &'r Resolve,
    /// How many IDs are in flight at most.
    pub concurrency: usize,
    /// The input in words, for messages.
    pub input_name: String,
}

/// One finished call: its place in the intake, its entry, its outcome, and whether the journal
/// recorded it.
type Finished = (u64, Entry, Outcome, Result<(), String>);

impl Run<'_, '_> {
    /// Runs every ID of `source` to an outcome, or until stopped; reports each.
    pub async fn run(
        &self,
        mut source: Source,
        reporter: &mut Reporter,
        mut signals: Signals,
    ) -> Ending {
        let mut ending = Ending::default();
        let mut in_flight = FuturesUnordered::new();
        // In flight, by their place in the intake, to list them in order if abandoned.
        let mut flying: BTreeMap<u64, Entry> = BTreeMap::new();
        let mut seen = Seen::default();
        let (mut taken, mut stopping, mut exhausted) = (0u64, false, false);
        loop {
            if in_flight.is_empty() && (stopping || exhausted) {
                break;
            }
            let can_take = !stopping && !exhausted && in_flight.len() < self.concurrency;
            tokio::select! {
                biased;
                () = signals.recv() => {
                    if ending.interrupted {
                        ending.aborted = true;
                        break;
                    }
                    ending.interrupted = true;
                    stopping = true;
                }
                Some(finished) = in_flight.next(), if !in_flight.is_empty() => {
                    let (place, entry, outcome, journaled): Finished = finished;
                    flying.remove(&place);
                    self.report(reporter, &entry, &outcome, journaled, &mut ending, &mut stopping);
                }
                item = source.next(), if can_take => match item {
                    None => exhausted = true,
                    Some(Err(e)) => {
                        ending.input_error =
                            Some(format!("{} at line {}: {}", self.input_name, e.line, e.message));
                        stopping = true;
                    }
                    Some(Ok(entry)) => {
                        let prior = self.history.prior(&entry.meeting_id);
                        let skip = match (seen.repeat_of(&entry), prior) {
                            (Some(first), _) => Some(Skip::Duplicate(first)),
                            (None, Some(p @ (Prior::Done | Prior::AlreadyEnded))) => Some(Skip::Journal(p)),
                            _ => None,
                        };
                        if let Some(skip) = skip {
                            let outcome = Outcome::Skipped(skip);
                            self.report(reporter, &entry, &outcome, Ok(()), &mut ending, &mut stopping);
                            continue;
                        }
                        taken += 1;
                        flying.insert(taken, entry.clone());
                        in_flight.push(self.one(taken, entry, prior == Some(Prior::InDoubt)));
                    }
                },
            }
        }
        if ending.aborted {
            // Outcomes already known are reported as they are; the rest are abandoned.
            while let Some(Some((place, entry, outcome, journaled))) =
                in_flight.next().now_or_never()
            {
                flying.remove(&place);
                self.report(
                    reporter,
                    &entry,
                    &outcome,
                    journaled,
                    &mut ending,
                    &mut stopping,
                );
            }
            drop(in_flight);
            for entry in flying.into_values() {
                let outcome = Outcome::Unknown(Unknown::Aborted);
                let journaled = self.journal(&entry, &outcome).await;
                self.report(
                    reporter,
                    &entry,
                    &outcome,
                    journaled,
                    &mut ending,
                    &mut stopping,
                );
            }
        }
        ending
    }

    /// Runs one ID and records its outcome in the journal.
    async fn one(&self, place: u64, entry: Entry, in_doubt: bool) -> Finished {
        let outcome = self.calls.run(&entry, in_doubt).await;
        let journaled = self.journal(&entry, &outcome).await;
        (place, entry, outcome, journaled)
    }

    async fn journal(&self, entry: &Entry, outcome: &Outcome) -> Result<(), String> {
        match self.calls.journal() {
            Some(journal) if outcome.journaled() => {
                journal
                    .append(&render::json(entry, outcome, self.resolve))
                    .await
            }
            _ => Ok(()),
        }
    }

    /// Reports an outcome; one the journal could not record is still reported, and stops the
    /// intake.
    fn report(
        &self,
        reporter: &mut Reporter,
        entry: &Entry,
        outcome: &Outcome,
        journaled: Result<(), String>,
        ending: &mut Ending,
        stopping: &mut bool,
    ) {
        reporter.outcome(entry, outcome);
        if reporter.output_failed() {
            *stopping = true;
        }
        if let Err(e) = journaled {
            reporter.warn(&format!(
                "meeting {}: its outcome ({}) could not be recorded: {e}",
                entry.meeting_id,
                outcome.status()
            ));
            ending.journal_error.get_or_insert(e);
            *stopping = true;
        }
    }
}
