//! `cargo xtask forgery`: a user's program cannot make a `Dismissed` without the wrapper's
//! `test-util` feature.
//!
//! A `Dismissed` is the wrapper's word that a meeting ended, so the constructors test doubles need
//! (`Dismissed::answered` and its `with_*` adjusters, `PlannedDismiss::answered`,
//! `testing::FakeDismisser`) exist only with `test-util`. A test inside the workspace cannot show
//! that they are gone without it: cargo unifies features across the packages it builds together,
//! and the simulator's and the CLI's dev-dependencies turn `test-util` on. So this builds a user's
//! crate of its own, outside the workspace, depending on the wrapper as a user does
//! (`user_program.rs`): without the feature each line marked `forges` must be a compile error,
//! and with it the program must compile, so that the errors are the forging and nothing else.
//! Checked (`cargo check`), not built, without a TLS stack; the target directory is shared, so
//! dependencies are checked once.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use anyhow::{Context, Result, bail};

use crate::workspace_root;

/// The user's program.
const PROGRAM: &str = include_str!("forgery/user_program.rs");

/// What marks a line that must not compile without `test-util`.
const MARK: &str = "// forges";

pub fn run() -> Result<ExitCode> {
    let root = workspace_root();
    let cargo = env!("CARGO");
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    let probe = target.join("forgery-probe");
    write_probe(&root, &probe)?;

    println!("==> forgery: a user's program without `test-util`");
    let without = check(cargo, &probe, &target, false)?;
    if without.success {
        bail!(
            "a user's program that makes a `Dismissed` compiles without the `test-util` feature: \
             gate what it uses (see xtask/src/forgery/user_program.rs) behind \
             `#[cfg(feature = \"test-util\")]`"
        );
    }
    let failing = error_lines(&without.stderr);
    let forging = forging_lines(PROGRAM);
    let compiled: Vec<usize> = forging.difference(&failing).copied().collect();
    let unexpected: Vec<usize> = failing.difference(&forging).copied().collect();
    if !unexpected.is_empty() {
        bail!(
            "the user's program fails on lines not marked `forges` ({unexpected:?}), so it does \
             not show what it is meant to:\n{}",
            without.stderr
        );
    }
    if !compiled.is_empty() {
        bail!(
            "without `test-util`, these lines of xtask/src/forgery/user_program.rs still compile \
             and make a `Dismissed` no call showed: {compiled:?}"
        );
    }
    println!(
        "==> forgery: each of its {} ways to forge is a compile error",
        forging.len()
    );

    println!("==> forgery: the same program with `test-util`");
    let with = check(cargo, &probe, &target, true)?;
    if !with.success {
        bail!(
            "the user's program does not compile even with `test-util`, so its errors without \
             the feature prove nothing:\n{}",
            with.stderr
        );
    }
    println!("==> forgery: only `test-util` makes a `Dismissed` without a call");
    Ok(ExitCode::SUCCESS)
}

/// A crate outside the workspace (its own `[workspace]`) depending on the wrapper by path, with
/// the workspace's lock file so it resolves to the versions already checked.
fn write_probe(root: &Path, probe: &Path) -> Result<()> {
    let src = probe.join("src");
    std::fs::create_dir_all(&src).with_context(|| format!("creating {}", src.display()))?;
    let wrapper = root.join("wrapper");
    let manifest = format!(
        "[package]\n\
         name = \"forgery-probe\"\n\
         version = \"0.0.0\"\n\
         edition = \"2024\"\n\
         publish = false\n\
         \n\
         [workspace]\n\
         \n\
         [features]\n\
         test-util = [\"tencent-meeting/test-util\"]\n\
         \n\
         [dependencies]\n\
         tencent-meeting = {{ path = {:?}, default-features = false }}\n",
        wrapper.to_string_lossy()
    );
    write_if_changed(&probe.join("Cargo.toml"), &manifest)?;
    write_if_changed(&src.join("main.rs"), PROGRAM)?;
    let lock = std::fs::read_to_string(root.join("Cargo.lock")).context("reading Cargo.lock")?;
    write_if_changed(&probe.join("Cargo.lock"), &lock)?;
    Ok(())
}

/// Rewriting an unchanged file would make cargo check the crate again.
fn write_if_changed(path: &Path, contents: &str) -> Result<()> {
    if std::fs::read_to_string(path).is_ok_and(|old| old == contents) {
        return Ok(());
    }
    std::fs::write(path, contents).with_context(|| format!("writing {}", path.display()))
}

struct Checked {
    success: bool,
    stderr: String,
}

fn check(cargo: &str, probe: &Path, target: &Path, test_util: bool) -> Result<Checked> {
    let mut command = Command::new(cargo);
    command
        .args(["check", "--offline", "--message-format", "short"])
        .env("CARGO_TARGET_DIR", target)
        .current_dir(probe);
    if test_util {
        command.args(["--features", "test-util"]);
    }
    let output = command.output().context("running cargo check")?;
    Ok(Checked {
        success: output.status.success(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    })
}

/// The lines of `src/main.rs` the compiler reports errors on (`--message-format short`:
/// `src/main.rs:LINE:COLUMN: error[…]: …`).
fn error_lines(stderr: &str) -> BTreeSet<usize> {
    stderr
        .lines()
        .filter_map(|line| {
            let rest = line.strip_prefix("src/main.rs:")?;
            let (number, rest) = rest.split_once(':')?;
            let (_column, message) = rest.split_once(':')?;
            message
                .trim_start()
                .starts_with("error")
                .then(|| number.parse().ok())
                .flatten()
        })
        .collect()
}

/// The (1-based) lines of the program marked as forging.
fn forging_lines(program: &str) -> BTreeSet<usize> {
    program
        .lines()
        .enumerate()
        .filter(|(_, line)| line.trim_end().ends_with(MARK))
        .map(|(index, _)| index + 1)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compiler_errors_are_read_by_line_and_warnings_are_not() {
        let stderr = "\
src/main.rs:10:15: error[E0599]: no function or associated item named `answered` found
src/main.rs:14:15: warning: unused variable
src/main.rs:33:29: error[E0433]: failed to resolve: could not find `testing` in `tencent_meeting`
error: could not compile `forgery-probe` (bin \"forgery-probe\") due to 2 previous errors";
        assert_eq!(error_lines(stderr), BTreeSet::from([10, 33]));
    }

    #[test]
    fn the_program_marks_every_way_to_forge() {
        let marked = forging_lines(PROGRAM);
        assert_eq!(marked.len(), 7, "{marked:?}");
        for line in marked {
            let text = PROGRAM.lines().nth(line - 1).unwrap_or_default();
            assert!(text.contains(MARK), "line {line}: {text}");
        }
    }
}
