//! `tencent-meeting`: end Tencent Meeting meetings from a shell, debug request signatures, and
//! run the local simulator.
//!
//! Exit codes: `outcome::Exit` (its table is in `dismiss --help` and cli/README.md).

mod append_log;
mod args;
mod credentials;
mod dedup_window;
mod demo;
mod dismiss;
mod event_printer;
mod event_store;
mod events;
mod outcome;
mod segments;
mod server;
mod shared_db;
mod sign;
mod sim;
#[cfg(test)]
mod test_dir;

use std::io::IsTerminal as _;
use std::process::ExitCode;

use clap::Parser as _;

use crate::args::{Cli, Command};
use crate::outcome::Exit;

fn main() -> ExitCode {
    ignore_file_size_signal();
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

/// A write past `ulimit -f` then fails with EFBIG, which the event store and the journal answer
/// and undo like a full disk, instead of SIGXFSZ killing the process with nothing said (and a
/// receiver crash-looping on restart).
fn ignore_file_size_signal() {
    use nix::sys::signal::{SigHandler, Signal, signal};
    // SAFETY: ignoring installs no handler code, and no other thread exists yet.
    if let Err(e) = unsafe { signal(Signal::SIGXFSZ, SigHandler::SigIgn) } {
        eprintln!(
            "warning: could not ignore SIGXFSZ ({e}): a write past `ulimit -f` ends the process"
        );
    }
}

/// `-v` shows each of the client's attempts on stderr, answered or not (the library logs an
/// answered attempt at `DEBUG`, a failed one at `INFO`); `-vv` everything else at `DEBUG` too.
/// `RUST_LOG` overrides.
fn init_tracing(verbose: u8) {
    let default = match verbose {
        0 => "warn",
        1 => "tencent_meeting=info,tencent_meeting::attempt=debug,warn",
        _ => "tencent_meeting=debug,info",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(colour(
            std::io::stderr().is_terminal(),
            std::env::var_os("NO_COLOR").as_deref(),
        ))
        .with_writer(std::io::stderr)
        .try_init();
}

/// Whether stderr gets colour codes: only on a terminal (a log redirected to a file or a pipe
/// stays plain text), and never when `NO_COLOR` is set to anything but the empty string
/// (<https://no-color.org>).
fn colour(stderr_is_terminal: bool, no_color: Option<&std::ffi::OsStr>) -> bool {
    stderr_is_terminal && no_color.is_none_or(|v| v.is_empty())
}

#[cfg(test)]
mod tests {
    use std::ffi::OsStr;

    use super::colour;

    #[test]
    fn colour_only_on_a_terminal_without_no_color() {
        assert!(colour(true, None));
        assert!(
            colour(true, Some(OsStr::new(""))),
            "an empty NO_COLOR is unset"
        );
        assert!(!colour(true, Some(OsStr::new("1"))));
        assert!(
            !colour(false, None),
            "a file or a pipe gets no colour codes"
        );
    }

    /// Here rather than in `test_dir.rs`: the process tests include that file as well, and would
    /// each run this again.
    #[test]
    fn a_test_dir_is_removed_when_the_test_ends_and_kept_when_it_fails() {
        use crate::test_dir::TestDir;

        let passed = {
            let dir = TestDir::new("test-dir");
            std::fs::write(dir.join("file"), "x").expect("written");
            dir.to_path_buf()
        };
        assert!(!passed.exists(), "{}", passed.display());

        let (tx, rx) = std::sync::mpsc::channel();
        let failing = std::thread::spawn(move || {
            let dir = TestDir::new("test-dir-failing");
            std::fs::write(dir.join("file"), "x").expect("written");
            tx.send(dir.to_path_buf()).expect("sent");
            panic!("a failing test");
        });
        assert!(failing.join().is_err());
        let kept = rx.recv().expect("the path");
        assert!(kept.join("file").exists(), "{}", kept.display());
        std::fs::remove_dir_all(&kept).expect("removed");
    }
}
