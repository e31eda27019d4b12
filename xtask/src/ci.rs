//! `cargo xtask ci`: the checks CI runs, in order, stopping at the first failure.

use std::process::{Command, ExitCode};

use anyhow::{Context, Result, bail};

use crate::workspace_root;

pub fn run() -> Result<ExitCode> {
    let steps: &[(&str, &[&str])] = &[
        ("format", &["fmt", "--all", "--check"]),
        (
            "clippy",
            &["clippy", "--workspace", "--all-targets", "--", "-D", "warnings"],
        ),
        ("codegen drift", &["xtask", "codegen", "--check"]),
        ("spec lint", &["xtask", "lint"]),
        ("tests", &["nextest", "run", "--workspace", "--no-fail-fast"]),
        ("doc tests", &["test", "--workspace", "--doc"]),
    ];
    for (name, args) in steps {
        println!("==> {name}: cargo {}", args.join(" "));
        let status = Command::new(env!("CARGO"))
            .args(*args)
            .current_dir(workspace_root())
            .status()
            .with_context(|| format!("running cargo {}", args.join(" ")))?;
        if !status.success() {
            bail!("{name} failed: cargo {}", args.join(" "));
        }
    }
    println!("==> all checks passed");
    Ok(ExitCode::SUCCESS)
}
