//! Developer workflows for the tencent-meeting workspace (`cargo xtask <command>`).
//!
//! Every workflow a contributor or CI runs lives here, so that the only tool a fresh clone needs
//! is cargo.

mod ci;
mod codegen;
mod disk;
mod doc_facts;
mod features;
mod forgery;
mod lint;
mod loadtest;
mod perf_guard;
mod postgres;
mod public_api;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "cargo xtask",
    about = "Developer workflows for tencent-meeting"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Regenerate `generated/` from `openapi/tencent-meeting.yaml`.
    Codegen {
        /// Regenerate in memory and fail with a diff if the checked-in code differs.
        #[arg(long)]
        check: bool,
    },
    /// Lint OpenAPI specs (default: `openapi/*.yaml`).
    Lint(lint::LintArgs),
    /// List the `tencent-meeting` crate's public API into `wrapper/public-api.txt`.
    PublicApi {
        /// Fail with a diff if the checked-in listing differs from the crate's API.
        #[arg(long)]
        check: bool,
    },
    /// Check the wrapper against a tokio with only the features its manifest declares (hyper and
    /// reqwest turn on tokio features that would hide a missing one from a plain build).
    Features,
    /// Count the instructions of the dismiss's prepare path and of receiving one sealed
    /// meeting.end under valgrind (callgrind), and fail when either is over the baseline in
    /// `xtask/perf-baseline.json` by more than its tolerance. Skipped without valgrind, except on
    /// CI.
    PerfGuard {
        /// Write the measured counts as the new baseline instead of comparing.
        #[arg(long)]
        bless: bool,
    },
    /// Check that a user's program cannot make a `Dismissed` (the wrapper's evidence that a
    /// meeting ended) without the wrapper's `test-util` feature, and can with it.
    Forgery,
    /// Everything CI checks: fmt, clippy, codegen --check, lint, public-api --check, the TLS
    /// choices, the perf guard, docs, packaging, tests.
    Ci,
    /// Run a command with a throwaway PostgreSQL cluster: `TENCENT_MEETING_TEST_DATABASE_URL`
    /// names it, and it is stopped and removed when the command ends (e.g. `cargo xtask postgres
    /// -- cargo nextest run -p tencent-meeting-postgres`).
    Postgres {
        /// Start it with `fsync` on, as a production server runs (for benchmarks; the tests'
        /// cluster runs without, which loses nothing unless the machine itself crashes).
        #[arg(long)]
        fsync: bool,
        /// The command and its arguments.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true, required = true)]
        command: Vec<std::ffi::OsString>,
    },
    /// Throughput of the wrapper against a raw reqwest baseline on an in-process simulator
    /// (always in release), or with --batch-rss the CLI's peak RSS on a large batch. Runs the
    /// `tencent-meeting-loadtest` crate; `cargo xtask loadtest --help` lists its options.
    #[command(disable_help_flag = true)]
    Loadtest {
        /// Passed to the load test unchanged.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<std::ffi::OsString>,
    },
}

fn main() -> ExitCode {
    if let Some(code) = public_api::as_rustdoc() {
        return code;
    }
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Codegen { check } => codegen::run(check),
        Command::Lint(args) => return lint::run(args),
        Command::PublicApi { check } => public_api::run(check),
        Command::Features => features::run(),
        Command::PerfGuard { bless } => perf_guard::run(bless),
        Command::Forgery => forgery::run(),
        Command::Ci => ci::run(),
        Command::Loadtest { args } => loadtest::run(&args),
        Command::Postgres { fsync, command } => postgres::run(fsync, &command),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

/// The workspace root (the parent of `xtask/`).
pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("."))
}
