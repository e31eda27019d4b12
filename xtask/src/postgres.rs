//! A throwaway PostgreSQL for the tests: `cargo xtask ci` starts one for its test steps, and
//! `cargo xtask postgres -- COMMAND` runs any command with one. The cluster is the very code the
//! tests' private clusters use (`postgres/src/testing/cluster.rs`, standard library only),
//! compiled into xtask as a file: xtask depends on no crate of the workspace.

#[path = "../../postgres/src/testing/cluster.rs"]
#[allow(dead_code)] // xtask uses only part of it
mod cluster;

use std::ffi::OsString;
use std::process::{Command, ExitCode};

use anyhow::{Context, Result, bail};

pub use cluster::{Cluster, DATABASE_URL_VAR};

/// The server the tests should use: the one [`DATABASE_URL_VAR`] already names (nothing
/// started), or a throwaway cluster started now. `None` when PostgreSQL is not installed and
/// this is not CI (the tests that need it then say they are skipped).
pub fn for_tests(on_ci: bool) -> Result<Option<(String, Option<Cluster>)>> {
    if let Some(url) = std::env::var(DATABASE_URL_VAR)
        .ok()
        .filter(|u| !u.is_empty())
    {
        println!("==> PostgreSQL: the tests use {DATABASE_URL_VAR}={url}");
        return Ok(Some((url, None)));
    }
    let started = std::time::Instant::now();
    match Cluster::start() {
        Ok(cluster) => {
            let url = cluster.url();
            println!(
                "==> PostgreSQL: a throwaway cluster at {url}, started in {:.1} s",
                started.elapsed().as_secs_f64()
            );
            Ok(Some((url, Some(cluster))))
        }
        Err(e) if on_ci => Err(e).context("starting a throwaway PostgreSQL cluster"),
        Err(e) => {
            println!(
                "==> PostgreSQL: none ({e}); the tests that need it are SKIPPED (each says so on \
                 standard error)"
            );
            Ok(None)
        }
    }
}

/// `cargo xtask postgres [--fsync] -- COMMAND…`: runs the command with [`DATABASE_URL_VAR`]
/// naming a throwaway cluster, stopped and removed when the command ends; `fsync` on when
/// `durable` (benchmarks), off otherwise (tests).
pub fn run(durable: bool, command: &[OsString]) -> Result<ExitCode> {
    let Some((program, args)) = command.split_first() else {
        bail!("usage: cargo xtask postgres [--fsync] -- COMMAND [ARGS…]");
    };
    let cluster =
        Cluster::start_with_fsync(durable).context("starting a throwaway PostgreSQL cluster")?;
    eprintln!("==> PostgreSQL: {DATABASE_URL_VAR}={}", cluster.url());
    let status = Command::new(program)
        .args(args)
        .env(DATABASE_URL_VAR, cluster.url())
        .status()
        .with_context(|| format!("running {}", program.to_string_lossy()))?;
    drop(cluster);
    Ok(match status.code() {
        Some(0) => ExitCode::SUCCESS,
        Some(code) => ExitCode::from(u8::try_from(code).unwrap_or(1)),
        None => ExitCode::FAILURE,
    })
}
