//! One ID through to its outcome: the dismiss the flags describe, preceded by a look-up when an
//! earlier run left its outcome in doubt, and by the journal's "sending" line.

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use tencent_meeting::{
    Client, DEFAULT_BASE_URL, DismissMeeting, Error, Pacer, RateLimiter, RetryPolicy,
};

use crate::args::DismissArgs;
use crate::credentials;
use crate::dismiss::confirm::Confirmer;
use crate::dismiss::journal::{Journal, SENDING};
use crate::dismiss::outcome::{Done, Failure, Outcome, Unknown};
use crate::dismiss::source::Entry;
use crate::dismiss::terms;

/// How much slower than the quota requests are spaced: the service counts fixed windows, and a
/// request the scheduler delays after its turn could otherwise land in the same window as the
/// one a quota's worth later. 2 % of a minute is 1.2 s of slack, and costs 2 % of throughput.
pub const PACING_MARGIN: f64 = 0.02;

/// What every call of a run shares.
pub struct Calls<'a> {
    client: Client,
    args: &'a DismissArgs,
    journal: Option<Journal>,
    confirmer: Option<Confirmer>,
}

impl<'a> Calls<'a> {
    /// The client the flags and environment describe, paced by `shared_quota` when given (see
    /// `quota.rs`) or else by --rate-limit alone; an error names the flag or variable.
    pub fn new(
        args: &'a DismissArgs,
        journal: Option<Journal>,
        confirmer: Option<Confirmer>,
        shared_quota: Option<Arc<dyn RateLimiter>>,
    ) -> Result<Self, String> {
        let window = Duration::from_secs(args.rate_limit_window);
        let mut builder = Client::builder()
            .base_url(
                args.base_url
                    .clone()
                    .unwrap_or_else(|| DEFAULT_BASE_URL.to_string()),
            )
            .credentials(credentials::from_env()?)
            .timeout(args.timeout())
            .retry(RetryPolicy::default().max_attempts(args.attempts))
            // The quota's window: what --rate-limit counts in, and when a 190310 is retried.
            .rate_limit_window(window);
        if let Some(quota) = shared_quota {
            builder = builder.rate_limiter(quota);
        } else if let Some(requests) = args.rate_limit.0.and_then(NonZeroU32::new) {
            // Spaced 2 % wider than the quota, in this process.
            let pacer = Pacer::per(requests, window.mul_f64(1.0 + PACING_MARGIN));
            builder = builder.rate_limiter(Arc::new(pacer));
        }
        let client = builder.build().map_err(|e| terms::error_text(&e.into()))?;
        Ok(Self {
            client,
            args,
            journal,
            confirmer,
        })
    }

    /// The journal, when there is one.
    pub fn journal(&self) -> Option<&Journal> {
        self.journal.as_ref()
    }

    /// Runs `entry` to its outcome. `in_doubt`: the journal says an earlier dismiss of this ID
    /// may have taken effect, so the meeting is looked up first and dismissed only if it still
    /// runs.
    pub async fn run(&self, entry: &Entry, in_doubt: bool) -> Outcome {
        let id = entry.meeting_id.as_str();
        if self.args.dry_run {
            return match self.dismiss(id).prepare().await {
                Ok(prepared) => Outcome::Prepared(Box::new(prepared)),
                Err(e) => Outcome::Failed(Failure::Call(Box::new(e))),
            };
        }
        if in_doubt {
            match self.look_up(id).await {
                Ok(Some(ended)) => return ended,
                // Still running, or not started: dismiss it.
                Ok(None) => {}
                // Refused before sending: the earlier dismiss was refused the same way, so it was
                // never sent either. The dismiss below says why.
                Err(Error::Validation(_)) => {}
                Err(e) => return Outcome::Unknown(Unknown::LookUp(Box::new(e))),
            }
        }
        let mut dismiss = self.dismiss(id);
        if let Some(journal) = &self.journal {
            // Written when the request is about to leave (after the pacing wait), and durable
            // before it does: a crash before leaves nothing in doubt; a failure sends nothing.
            let journal = journal.clone();
            let sending = json!({"meeting_id": id, "line": entry.line, "status": SENDING});
            dismiss = dismiss.before_send(move || {
                let journal = journal.clone();
                let sending = sending.clone();
                async move { journal.append(&sending).await }
            });
        }
        // Watch before sending: the event can arrive before the dismiss's answer.
        let watch = self
            .confirmer
            .as_ref()
            .map(|c| (c.watch(id), c.wait(), c.rules()));
        match dismiss.send().await {
            Ok(dismissed) => match watch {
                None => Outcome::Done(Done::Dismissed(Box::new(dismissed))),
                // Only this dismiss's own end confirms it; others are counted, and said.
                Some((watch, wait, rules)) => match watch.confirm(&dismissed, &rules, wait).await {
                    Ok(confirmed) => Outcome::Done(Done::Dismissed(Box::new(confirmed))),
                    Err(not_seen) => Outcome::NotConfirmed(Box::new(dismissed), Box::new(not_seen)),
                },
            },
            Err(e) => match Outcome::of_error(e, in_doubt) {
                Ok(outcome) => outcome,
                // "Already ended" while an earlier dismiss was in doubt: perhaps ours. Only a
                // look-up showing it ended makes it done.
                Err(ended) => match self.look_up(id).await {
                    Ok(Some(done)) => done,
                    _ => Outcome::Unknown(Unknown::NotConfirmed(ended)),
                },
            },
        }
    }

    /// `Some(done)` when a look-up shows the meeting over ([`tencent_meeting::Meeting::has_ended`]:
    /// not `MEETING_STATE_NULL`, which is a meeting that never started); `None` when it does not.
    async fn look_up(&self, id: &str) -> Result<Option<Outcome>, Error> {
        let mut lookup = self.client.get_meeting(id).instance(self.args.instance);
        if let Some(operator) = self.args.operator() {
            lookup = lookup.operator(operator);
        }
        let meeting = lookup.send().await?;
        Ok(meeting.has_ended().then(|| {
            Outcome::Done(Done::LookedUp(
                meeting
                    .status()
                    .cloned()
                    .unwrap_or(tencent_meeting::MeetingStatus::Ended),
            ))
        }))
    }

    /// The dismiss call the flags describe.
    fn dismiss(&self, meeting_id: &str) -> DismissMeeting {
        let args = self.args;
        let mut call = self
            .client
            .dismiss_meeting(meeting_id)
            .instance(args.instance)
            .reason_code(args.reason_code)
            .force(!args.no_force)
            .retrieve_code(args.retrieve_code);
        if let Some(operator) = args.operator() {
            call = call.operator(operator);
        }
        if let Some(detail) = &args.reason_detail {
            call = call.reason_detail(detail.clone());
        }
        if args.force_retrieve_code {
            call = call.force_retrieve_code();
        }
        if let Some(kind) = args.kind() {
            call = call.kind(kind);
        }
        if args.lookup {
            call = call.lookup();
        }
        call
    }
}
