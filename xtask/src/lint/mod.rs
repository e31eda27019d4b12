//! `cargo xtask lint [SPEC...]`: placeholder until the linter lands.

use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `cargo xtask lint`.
#[derive(clap::Args)]
pub struct LintArgs {
    /// Spec files to lint (default: openapi/*.yaml).
    pub specs: Vec<PathBuf>,
}

pub fn run(_args: LintArgs) -> ExitCode {
    eprintln!("lint: not implemented yet");
    ExitCode::FAILURE
}
