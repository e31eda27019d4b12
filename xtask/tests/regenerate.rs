//! Regenerating never deadlocks: in a copy of the workspace, a spec change that breaks the
//! wrapper is reported by `cargo xtask codegen`, `cargo xtask lint` still runs, and reverting the
//! spec then `cargo xtask codegen` alone restores the checked-in client.
//!
//! The copy puts its binaries in a target directory of its own, but shares this workspace's
//! build directory (`build.build-dir`), so the dependencies compiled here are reused and only the
//! workspace's own crates are compiled again. Cargo names a workspace crate's artifacts after
//! its name, version and path relative to the workspace, which the copy shares with this
//! workspace; so the copy's crates get a version of their own (`+regenerate-test` build
//! metadata), and never overwrite this workspace's artifacts.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const SPEC: &str = "openapi/tencent-meeting.yaml";
const MANIFEST: &str = "Cargo.toml";
/// The workspace version line, and the copy's, told apart by build metadata.
const VERSION: &str = "version = \"0.1.0\"";
const COPY_VERSION: &str = "version = \"0.1.0+regenerate-test\"";
const GENERATED: &str = "generated/src/generated.rs";

/// The dismiss body's `required` list, and the same list without `reason_code`.
const REQUIRED: &str = "      required:\n        - instanceid\n        - reason_code\n";
const REQUIRED_WITHOUT_REASON_CODE: &str = "      required:\n        - instanceid\n";

#[test]
fn a_spec_change_that_breaks_the_wrapper_is_reported_and_reverting_restores_the_client() {
    let root = workspace_root();
    let scratch = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("regenerate");
    let copy = scratch.join("workspace");
    copy_workspace(&root, &copy);
    let manifest = read(&copy.join(MANIFEST));
    assert!(
        manifest.contains(VERSION),
        "the workspace version moved; update the test's VERSION"
    );
    fs::write(
        copy.join(MANIFEST),
        manifest.replacen(VERSION, COPY_VERSION, 1),
    )
    .expect("write the copy's manifest");
    let original_spec = read(&copy.join(SPEC));
    let original_client = read(&copy.join(GENERATED));

    // 1. reason_code becomes optional: the new client is written.
    assert!(
        original_spec.contains(REQUIRED),
        "the test's anchor (the dismiss body's required list) moved; update the test"
    );
    fs::write(
        copy.join(SPEC),
        original_spec.replacen(REQUIRED, REQUIRED_WITHOUT_REASON_CODE, 1),
    )
    .expect("write the changed spec");
    let codegen = xtask(&copy, &scratch, &["codegen"]);
    let report = text(&codegen);
    // 2. ... and the wrapper no longer compiles against it: said plainly, with the crate.
    assert!(
        !codegen.status.success(),
        "codegen must fail when the workspace no longer compiles:\n{report}"
    );
    assert!(
        report.contains("the workspace no longer compiles against it")
            && report.contains("crate `tencent-meeting` (wrapper/)")
            && report.contains("error[E0308]"),
        "codegen names the crate and the first error:\n{report}"
    );
    // The typed mocks' test breaks too (it sets reason_code); cargo keeps going, so both show.
    assert!(
        report.contains("crate `tencent-meeting-openapi` (generated/), test target `mock`"),
        "codegen names every target that fails:\n{report}"
    );
    let changed_client = read(&copy.join(GENERATED));
    assert_ne!(
        changed_client, original_client,
        "the new client was written"
    );
    assert!(
        changed_client.contains("pub reason_code: ::std::option::Option<i32>"),
        "reason_code became optional in the generated body"
    );

    // 3. The linter still builds and runs while the wrapper is broken.
    let lint = xtask(&copy, &scratch, &["lint"]);
    assert!(lint.status.success(), "lint:\n{}", text(&lint));

    // Reverting the spec and regenerating restores the client, with nothing else.
    fs::write(copy.join(SPEC), &original_spec).expect("restore the spec");
    let codegen = xtask(&copy, &scratch, &["codegen"]);
    assert!(codegen.status.success(), "codegen:\n{}", text(&codegen));
    assert!(
        text(&codegen).contains("the workspace compiles against the new client"),
        "{}",
        text(&codegen)
    );
    assert_eq!(
        read(&copy.join(GENERATED)),
        original_client,
        "the checked-in client is restored byte for byte"
    );
    let check = xtask(&copy, &scratch, &["codegen", "--check"]);
    assert!(check.status.success(), "codegen --check:\n{}", text(&check));
}

/// `xtask` builds without any crate of the workspace: regenerating cannot depend on the code it
/// regenerates.
#[test]
fn xtask_depends_on_no_workspace_crate() {
    let root = workspace_root();
    let output = Command::new(cargo())
        .current_dir(&root)
        .args([
            "tree",
            "--package",
            "xtask",
            "--edges",
            "normal,build",
            "--prefix",
            "none",
            "--offline",
        ])
        .output()
        .expect("run cargo tree");
    let tree = text(&output);
    assert!(output.status.success(), "cargo tree:\n{tree}");
    for line in tree.lines().skip(1) {
        assert!(
            !line.contains(root.to_string_lossy().as_ref()),
            "xtask depends on a workspace crate: {line}"
        );
    }
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask/ has a parent")
        .to_path_buf()
}

fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string())
}

/// Copies the files git knows (committed or not ignored) into `to`, replacing what was there.
fn copy_workspace(root: &Path, to: &Path) {
    let _ = fs::remove_dir_all(to);
    let listed = Command::new("git")
        .current_dir(root)
        .args([
            "ls-files",
            "-z",
            "--cached",
            "--others",
            "--exclude-standard",
        ])
        .output()
        .expect("run git ls-files");
    assert!(listed.status.success(), "git ls-files: {}", text(&listed));
    for path in listed.stdout.split(|&b| b == 0).filter(|p| !p.is_empty()) {
        let path = Path::new(std::str::from_utf8(path).expect("UTF-8 path"));
        let from = root.join(path);
        if !from.is_file() {
            continue; // deleted in the working tree
        }
        let dest = to.join(path);
        fs::create_dir_all(dest.parent().expect("a file has a parent")).expect("mkdir");
        fs::copy(&from, &dest).unwrap_or_else(|e| panic!("copy {}: {e}", path.display()));
    }
}

/// Runs `cargo xtask ARGS` in the copy, as a user would.
fn xtask(copy: &Path, scratch: &Path, args: &[&str]) -> Output {
    // This workspace's build directory: the parent of CARGO_TARGET_TMPDIR (`<target>/tmp`).
    let build_dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .expect("the target directory");
    Command::new(cargo())
        .current_dir(copy)
        .arg("xtask")
        .args(args)
        .env("CARGO_TARGET_DIR", scratch.join("target"))
        .env("CARGO_BUILD_BUILD_DIR", build_dir)
        .env_remove("RUSTC_WORKSPACE_WRAPPER")
        .output()
        .expect("run cargo xtask")
}

fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}
