//! `cargo xtask features`: the wrapper checked against a tokio with only the features the wrapper
//! itself declares.
//!
//! A plain `cargo check -p tencent-meeting` cannot catch a missing tokio feature: cargo unifies
//! features per package, and hyper, hyper-util and reqwest turn on `sync`, `net`, `io-util`, …
//! of the same tokio, so code using `tokio::sync` builds whether the wrapper asks for `sync` or
//! not, and breaks only for a user whose other dependencies happen not to ask for it either.
//! `cargo hack --each-feature` has the same blind spot.
//!
//! So this check gives the wrapper a tokio of its own: a copy of the very tokio in Cargo.lock
//! under another package name (`tokio-probe`, its library still called `tokio`), in a scratch
//! workspace holding copies of `wrapper/` and `generated/` whose `tokio` dependency is that copy.
//! hyper and reqwest keep the real tokio; the wrapper's `tokio::…` paths resolve against the
//! probe, which has exactly the features the wrapper's manifest asks for, per wrapper feature.
//! The wrapper hands no tokio type to another crate (a type from the probe would not match the
//! real tokio's), so any error here is a missing feature. Checked, not built, without a TLS
//! stack (the TLS features only choose reqwest's), for each wrapper feature that changes what
//! tokio is asked for.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use anyhow::{Context, Result, bail};

use crate::workspace_root;

/// The wrapper's feature sets checked: the core, and each feature that adds code using tokio.
const FEATURE_SETS: [&str; 3] = ["", "webhook", "webhook-axum"];

/// The package name the copy of tokio gets.
const PROBE: &str = "tokio-probe";

pub fn run() -> Result<ExitCode> {
    let root = workspace_root();
    let cargo = env!("CARGO");
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    let scratch = target.join("tokio-feature-probe");
    let tokio = tokio_source(&root, cargo)?;
    copy_tokio(&tokio, &scratch.join("tokio"))?;
    let workspace = scratch.join("workspace");
    write_workspace(&root, &workspace)?;
    let mut failed = Vec::new();
    for features in FEATURE_SETS {
        let mut args = vec![
            "check",
            "--lib",
            "-p",
            "tencent-meeting",
            "--no-default-features",
        ];
        if !features.is_empty() {
            args.extend(["--features", features]);
        }
        let shown = if features.is_empty() {
            "(none)"
        } else {
            features
        };
        println!("==> tokio features: the wrapper with features {shown}");
        let status = Command::new(cargo)
            .args(&args)
            .env("CARGO_TARGET_DIR", &target)
            .current_dir(&workspace)
            .status()
            .context("running cargo check")?;
        if !status.success() {
            failed.push(shown);
        }
    }
    if !failed.is_empty() {
        bail!(
            "the wrapper does not build with only the tokio features it declares (wrapper \
             features: {}). Add what the compiler names to `tokio` in wrapper/Cargo.toml (under \
             the wrapper feature that uses it, as `tokio/<feature>`).",
            failed.join("; ")
        );
    }
    println!("==> tokio features: the wrapper declares every tokio feature it uses");
    Ok(ExitCode::SUCCESS)
}

/// The source directory of the tokio the wrapper resolves to in Cargo.lock.
fn tokio_source(root: &Path, cargo: &str) -> Result<PathBuf> {
    let output = Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--locked"])
        .current_dir(root)
        .output()
        .context("running cargo metadata")?;
    if !output.status.success() {
        bail!(
            "cargo metadata failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let metadata: serde_json::Value =
        serde_json::from_slice(&output.stdout).context("reading cargo metadata")?;
    let wrapper = metadata["packages"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|p| p["name"] == "tencent-meeting")
        .and_then(|p| p["id"].as_str())
        .context("no tencent-meeting package")?;
    let tokio_id = metadata["resolve"]["nodes"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|n| n["id"] == wrapper)
        .and_then(|n| n["deps"].as_array())
        .into_iter()
        .flatten()
        .find(|d| d["name"] == "tokio")
        .and_then(|d| d["pkg"].as_str())
        .context("the wrapper does not depend on tokio")?;
    let manifest = metadata["packages"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|p| p["id"] == tokio_id)
        .and_then(|p| p["manifest_path"].as_str())
        .context("tokio's package is not in the metadata")?;
    Path::new(manifest)
        .parent()
        .map(Path::to_path_buf)
        .context("tokio's manifest has no directory")
}

/// Copies tokio's sources to `to` as the package `tokio-probe` (its library still `tokio`).
/// Skipped when `to` already holds this version, so cargo can reuse what it checked last time.
fn copy_tokio(from: &Path, to: &Path) -> Result<()> {
    let stamp = to.join(".copied-from");
    let source = from.to_string_lossy().into_owned();
    if std::fs::read_to_string(&stamp).is_ok_and(|s| s == source) {
        return Ok(());
    }
    if to.exists() {
        std::fs::remove_dir_all(to).with_context(|| format!("removing {}", to.display()))?;
    }
    copy_dir(from, to)?;
    let manifest_path = to.join("Cargo.toml");
    let manifest = std::fs::read_to_string(&manifest_path)?;
    // The package's name (the first `name = "tokio"`, in `[package]`; `[lib]` keeps its own).
    let package = manifest
        .find("[package]\n")
        .context("tokio's Cargo.toml has no [package]")?;
    let name = manifest[package..]
        .find("\nname = \"tokio\"\n")
        .map(|at| package + at)
        .filter(|&at| !manifest[package..at].contains("\n["))
        .context("tokio's [package] has no `name = \"tokio\"` line")?;
    let renamed = format!(
        "{}\nname = \"{PROBE}\"\n{}",
        &manifest[..name],
        &manifest[name + "\nname = \"tokio\"\n".len()..]
    );
    std::fs::write(&manifest_path, renamed)?;
    std::fs::write(&stamp, source)?;
    Ok(())
}

/// A workspace of copies of `wrapper/` and `generated/` (sources and manifests without their
/// dev-dependencies and test targets) whose `tokio` is the probe.
fn write_workspace(root: &Path, to: &Path) -> Result<()> {
    if to.exists() {
        std::fs::remove_dir_all(to).with_context(|| format!("removing {}", to.display()))?;
    }
    std::fs::create_dir_all(to)?;
    let manifest = sections(
        &std::fs::read_to_string(root.join("Cargo.toml"))?,
        &[
            "[workspace]",
            "[workspace.package]",
            "[workspace.dependencies]",
        ],
    );
    let members = manifest
        .lines()
        .find(|l| l.starts_with("members = "))
        .context("the root Cargo.toml has no `members = ` line")?;
    let manifest = replace_once(
        &manifest,
        members,
        "members = [\"generated\", \"wrapper\"]",
        "the root Cargo.toml",
    )?;
    let manifest = replace_once(
        &manifest,
        "\ntokio = \"1\"\n",
        &format!(
            "\ntokio = {{ package = \"{PROBE}\", path = \"../tokio\", default-features = false }}\n"
        ),
        "the root Cargo.toml's [workspace.dependencies]",
    )?;
    std::fs::write(to.join("Cargo.toml"), manifest)?;
    std::fs::copy(root.join("Cargo.lock"), to.join("Cargo.lock"))?;
    for crate_dir in ["wrapper", "generated"] {
        let dir = to.join(crate_dir);
        copy_dir(&root.join(crate_dir).join("src"), &dir.join("src"))?;
        let manifest = std::fs::read_to_string(root.join(crate_dir).join("Cargo.toml"))?;
        // What building the library reads: dev-dependencies would pull in the rest of the
        // workspace, and test, bench and example targets point at files not copied.
        let manifest = sections(
            &manifest,
            &["[package]", "[features]", "[dependencies]", "[lib]"],
        );
        std::fs::write(dir.join("Cargo.toml"), manifest)?;
        // The crate's README may be included by its documentation.
        let readme = root.join(crate_dir).join("README.md");
        if readme.exists() {
            std::fs::copy(readme, dir.join("README.md"))?;
        }
    }
    Ok(())
}

/// The sections of a manifest named in `keep` (a section runs from its header to the next).
fn sections(manifest: &str, keep: &[&str]) -> String {
    let mut kept = String::new();
    let mut keeping = true;
    for line in manifest.lines() {
        if line.starts_with('[') {
            keeping = keep.contains(&line.trim());
        }
        if keeping {
            kept.push_str(line);
            kept.push('\n');
        }
    }
    kept
}

fn replace_once(text: &str, from: &str, to: &str, what: &str) -> Result<String> {
    match text.matches(from).count() {
        1 => Ok(text.replacen(from, to, 1)),
        n => bail!("expected {from:?} once in {what}, found it {n} times"),
    }
}

fn copy_dir(from: &Path, to: &Path) -> Result<()> {
    std::fs::create_dir_all(to).with_context(|| format!("creating {}", to.display()))?;
    for entry in std::fs::read_dir(from).with_context(|| format!("reading {}", from.display()))? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target)
                .with_context(|| format!("copying {}", entry.path().display()))?;
        }
    }
    Ok(())
}
