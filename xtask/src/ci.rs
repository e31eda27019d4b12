//! `cargo xtask ci`: the checks CI runs, in order, stopping at the first failure.

use std::path::Path;
use std::process::{Command, ExitCode};

use anyhow::{Context, Result, bail};

use crate::workspace_root;

/// The spec the external linters check.
const SPEC: &str = "openapi/tencent-meeting.yaml";

pub fn run() -> Result<ExitCode> {
    let root = workspace_root();
    let cargo = env!("CARGO");
    let cargo_steps: &[(&str, &[&str])] = &[
        ("format", &["fmt", "--all", "--check"]),
        (
            "clippy",
            &["clippy", "--workspace", "--all-targets", "--", "-D", "warnings"],
        ),
        ("codegen drift", &["xtask", "codegen", "--check"]),
        ("spec lint", &["xtask", "lint"]),
    ];
    for (name, args) in cargo_steps {
        step(name, cargo, args, &root)?;
    }
    // Spectral and Redocly come from the npm registry (`npm ci`, as .ci/run does).
    let bin = root.join("node_modules/.bin");
    if bin.join("spectral").exists() && bin.join("redocly").exists() {
        let spectral = bin.join("spectral");
        let redocly = bin.join("redocly");
        step(
            "Spectral (spectral:oas)",
            &spectral.to_string_lossy(),
            &["lint", "--ruleset", ".spectral.yaml", "--fail-severity", "error", SPEC],
            &root,
        )?;
        step(
            "Redocly (recommended)",
            &redocly.to_string_lossy(),
            &["lint", "--extends=recommended", SPEC],
            &root,
        )?;
    } else if std::env::var_os("CI").is_some() {
        bail!("Spectral and Redocly are missing: run `npm ci` first (.ci/run does)");
    } else {
        println!("==> skipping Spectral and Redocly: run `npm ci` to install them");
    }
    step(
        "tests",
        cargo,
        &["nextest", "run", "--workspace", "--no-fail-fast"],
        &root,
    )?;
    step("doc tests", cargo, &["test", "--workspace", "--doc"], &root)?;
    println!("==> all checks passed");
    Ok(ExitCode::SUCCESS)
}

fn step(name: &str, program: &str, args: &[&str], root: &Path) -> Result<()> {
    println!("==> {name}: {} {}", short(program), args.join(" "));
    let status = Command::new(program)
        .args(args)
        .current_dir(root)
        .status()
        .with_context(|| format!("running {program}"))?;
    if !status.success() {
        bail!("{name} failed: {} {}", short(program), args.join(" "));
    }
    Ok(())
}

fn short(program: &str) -> &str {
    Path::new(program)
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or(program)
}
