//! `tencent-meeting`: end Tencent Meeting meetings from a shell, debug request signatures, and
//! run the local simulator.
//!
//! Exit codes: 0 success, 1 API error, 2 usage or validation error (nothing sent), 3 transport
//! error or timeout (nothing applied), 4 outcome unknown (the meeting may have ended), 5 a batch
//! stopped early (its input or journal failed), 6 dismissed but its `meeting.end` not seen
//! (`--confirm-by-event`), 130 interrupted.

mod args;
mod credentials;
mod demo;
mod dismiss;
mod event_store;
mod events;
mod outcome;
mod shared_db;
mod sign;
mod sim;

use std::process::ExitCode;

use clap::Parser as _;

use crate::args::{Cli, Command};
use crate::outcome::Exit;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // clap prints help and version to stdout with success; usage errors get exit code 2.
            let _ = e.print();
            return if e.use_stderr() {
                Exit::Usage.into()
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    init_tracing(cli.verbose);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: could not start the async runtime: {e}");
            return Exit::Transport.into();
        }
    };
    let exit = runtime.block_on(async {
        match cli.command {
            Command::Dismiss(args) => dismiss::run(args).await,
            Command::Sign(args) => sign::run(&args, cli.verbose),
            Command::Sim(args) => sim::run(args).await,
            Command::Demo => demo::run().await,
            Command::Events(args) => events::run(args).await,
        }
    });
    // A reader blocked on standard input must not hold the process open.
    runtime.shutdown_background();
    exit.into()
}

/// `-v` shows the client's attempts on stderr; `RUST_LOG` overrides.
fn init_tracing(verbose: u8) {
    let default = match verbose {
        0 => "warn",
        1 => "tencent_meeting=info,warn",
        _ => "tencent_meeting=debug,info",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}
