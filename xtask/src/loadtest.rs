//! `cargo xtask loadtest`: a launcher. The load test itself is the `tencent-meeting-loadtest`
//! crate (`loadtest/`), beside what it measures, so that `xtask` never builds the runtime crates.

use std::ffi::OsString;
use std::process::{Command, ExitCode};

use anyhow::{Context as _, Result};

use crate::workspace_root;

/// Runs the load test in release with `args`, and exits as it does.
pub fn run(args: &[OsString]) -> Result<ExitCode> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = Command::new(cargo)
        .current_dir(workspace_root())
        .args([
            "run",
            "--quiet",
            "--release",
            "--package",
            "tencent-meeting-loadtest",
            "--",
        ])
        .args(args)
        .status()
        .context("running cargo run --release -p tencent-meeting-loadtest")?;
    Ok(match status.code() {
        Some(0) => ExitCode::SUCCESS,
        Some(code) => ExitCode::from(u8::try_from(code).unwrap_or(1)),
        None => ExitCode::FAILURE,
    })
}
