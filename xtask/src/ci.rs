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
    setup(&root)?;
    let cargo_steps: &[(&str, &[&str])] = &[
        ("format", &["fmt", "--all", "--check"]),
        (
            "clippy",
            &[
                "clippy",
                "--workspace",
                "--all-targets",
                "--",
                "-D",
                "warnings",
            ],
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
            &[
                "lint",
                "--ruleset",
                ".spectral.yaml",
                "--fail-severity",
                "error",
                SPEC,
            ],
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

/// Installs what the tests use beyond the Rust toolchain, when the machine can: the npm spec tools
/// (Spectral, Redocly, Prism) and the official Python SDK. On CI (`CI` set) both are required;
/// elsewhere a missing Node or Python only skips the checks that need them.
fn setup(root: &Path) -> Result<()> {
    let on_ci = std::env::var_os("CI").is_some();
    if !npm_packages_installed(root) {
        let installed = step(
            "install spec tools",
            "npm",
            &["ci", "--no-audit", "--no-fund", "--loglevel=error"],
            root,
        );
        if let Err(e) = installed {
            if on_ci {
                return Err(e);
            }
            println!("==> without npm tools: {e:#}");
        }
    }
    let requirements = "sim/tests/python_sdk/requirements.txt";
    let installed = step(
        "install the official Python SDK",
        "python3",
        &[
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "-r",
            requirements,
        ],
        root,
    );
    if let Err(e) = installed {
        if on_ci {
            return Err(e);
        }
        println!("==> without the Python SDK: {e:#}");
    }
    Ok(())
}

/// Whether `npm ci` installed what package-lock.json lists: npm records the installed tree in
/// `node_modules/.package-lock.json`; every package the lock file requires (optional ones, such as
/// another OS's binaries, aside) must be there at its version.
fn npm_packages_installed(root: &Path) -> bool {
    let packages = |path: &Path| -> Option<serde_json::Value> {
        let text = std::fs::read_to_string(path).ok()?;
        let lock: serde_json::Value = serde_json::from_str(&text).ok()?;
        lock.get("packages").cloned()
    };
    let (Some(wanted), Some(installed)) = (
        packages(&root.join("package-lock.json")),
        packages(&root.join("node_modules/.package-lock.json")),
    ) else {
        return false;
    };
    let Some(wanted) = wanted.as_object() else {
        return false;
    };
    wanted
        .iter()
        // "" is the project itself.
        .filter(|(path, entry)| !path.is_empty() && entry["optional"] != true)
        .all(|(path, entry)| installed[path.as_str()]["version"] == entry["version"])
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
