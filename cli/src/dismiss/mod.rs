//! `tencent-meeting dismiss`: one meeting, or a batch with `--from`, through one pipeline (a
//! single ID is a batch of one): IDs in ([`source`]), calls ([`call`]), outcomes out to the
//! journal ([`journal`]) and the reporter ([`report`]).

mod call;
pub mod confirm;
mod id_map;
mod journal;
mod outcome;
mod pipeline;
mod quota;
pub mod render;
mod report;
mod signals;
mod source;
pub mod terms;

use std::io::IsTerminal as _;

use crate::args::DismissArgs;
use crate::outcome::Exit;
use crate::shared_db;

use self::call::Calls;
use self::confirm::Confirmer;
use self::journal::{History, Journal};
use self::pipeline::Run;
use self::render::Resolve;
use self::report::Reporter;
use self::signals::Signals;
use self::source::{Input, Source};

/// Runs `dismiss`.
pub async fn run(args: DismissArgs) -> Exit {
    // First, so that a Ctrl-C from here on stops the run the usual way.
    let signals = Signals::install();
    let usage = |message: String| {
        eprintln!("error: {message}");
        Exit::Usage
    };
    if let Err(message) = args.check() {
        return usage(message);
    }
    // clap requires one of the two.
    let Some(input) = Input::of(args.meeting_id.as_deref(), args.from.as_deref()) else {
        return Exit::Usage;
    };
    let (journal, history) = match &args.journal {
        Some(path) => match Journal::open(path) {
            Ok((journal, history)) => (Some(journal), history),
            Err(message) => return usage(message),
        },
        None => (None, History::default()),
    };
    // The shared database first: one that cannot be reached stops the run before anything
    // is sent, as a transport failure.
    let events_db = match &args.events_from {
        Some(url) => match shared_db::connect("--events-from", url).await {
            Ok(db) => Some(db),
            Err(message) => {
                eprintln!("error: {message} (nothing was sent)");
                return Exit::Transport;
            }
        },
        None => None,
    };
    let confirmer = match Confirmer::start(&args, events_db).await {
        Ok(confirmer) => confirmer,
        Err(message) => return usage(message),
    };
    let shared_quota = match quota::connect(&args).await {
        Ok(quota) => quota,
        Err(message) => {
            eprintln!("error: {message} (nothing was sent)");
            return Exit::Transport;
        }
    };
    let calls = match Calls::new(&args, journal, confirmer, shared_quota) {
        Ok(calls) => calls,
        Err(message) => return usage(message),
    };
    let source = match Source::open(&input).await {
        Ok(source) => source,
        Err(message) => return usage(message),
    };
    let batch = input.is_batch();
    let len = match input.regular_file() {
        Some(path) if batch && std::io::stderr().is_terminal() => source::count(path).await,
        _ => None,
    };
    let resolve = Resolve::of(&args);
    let mut reporter = Reporter::new(args.output, batch, resolve.clone(), len);
    let run = Run {
        calls: &calls,
        history: &history,
        resolve: &resolve,
        concurrency: if batch { args.concurrency() } else { 1 },
        input_name: input.name(),
    };
    let ending = run.run(source, &mut reporter, signals).await;
    reporter.finish(&ending)
}
