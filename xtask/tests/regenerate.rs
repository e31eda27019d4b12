//! Regenerating after a spec change, as a user would, in a copy of the workspace: compatible
//! changes (a new optional property in a request body, a response and an event, a new optional
//! query parameter, a new value of a response enum) regenerate with the whole workspace
//! compiling and the tests that build generated values passing; a breaking change (a new
//! required property, a response property changing type) is reported by `cargo xtask codegen`,
//! `cargo xtask lint` still runs, and reverting the spec then `cargo xtask codegen` alone
//! restores the checked-in client.
//!
//! The copy puts its binaries in a target directory of its own, but shares this workspace's
//! build directory (`build.build-dir`), so the dependencies compiled here are reused and only the
//! workspace's own crates are compiled again. Cargo names a workspace crate's artifacts after
//! its name, version and path relative to the workspace, which the copy shares with this
//! workspace; so the copy's crates get a version of their own (`+regenerate-test` build
//! metadata), and never overwrite this workspace's artifacts. One test walks through every
//! change on one copy, so each `cargo check` after the first recompiles only what changed.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const SPEC: &str = "openapi/tencent-meeting.yaml";
const MANIFEST: &str = "Cargo.toml";
/// The workspace version line, and the copy's, told apart by build metadata.
const VERSION: &str = "version = \"0.1.0\"";
const COPY_VERSION: &str = "version = \"0.1.0+regenerate-test\"";
const GENERATED: &str = "generated/src/generated.rs";

/// Inserts `text` right after the first `then` that follows the first `section` of `spec`.
fn insert_after(spec: &str, section: &str, then: &str, text: &str) -> String {
    let at = spec
        .find(section)
        .unwrap_or_else(|| panic!("the test's anchor `{section}` moved; update the test"));
    let rest = &spec[at..];
    let within = rest
        .find(then)
        .unwrap_or_else(|| panic!("no `{then}` after `{section}`; update the test"));
    let cut = at + within + then.len();
    format!("{}{text}{}", &spec[..cut], &spec[cut..])
}

/// The compatible changes: an optional property in the dismiss body, in the look-up's
/// `MeetingInfo` (a string enum) and in the `meeting.end` event's meeting, and an optional query
/// parameter of the look-up.
fn compatible_changes(spec: &str) -> String {
    let spec = insert_after(
        spec,
        "    DismissMeetingRequest:\n",
        "      properties:\n",
        "        probe_note:\n          type: string\n          description: A new optional request property.\n",
    );
    let spec = insert_after(
        &spec,
        "    MeetingInfo:\n",
        "      properties:\n",
        "        probe_state:\n          type: string\n          enum: [PROBE_A, PROBE_B]\n          description: A new optional response property.\n",
    );
    let spec = insert_after(
        &spec,
        "    EventMeetingInfo:\n",
        "      properties:\n",
        "        probe_room:\n          type: string\n          description: A new optional event property.\n",
    );
    insert_after(
        &spec,
        "      operationId: getMeeting\n",
        "        - $ref: \"#/components/parameters/MeetingId\"\n",
        "        - name: probe_filter\n          in: query\n          required: false\n          description: A new optional query parameter.\n          schema:\n            type: string\n",
    )
}

#[test]
fn compatible_spec_changes_regenerate_cleanly_and_breaking_ones_are_reported() {
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

    // 1. Compatible changes: the client changes, the workspace compiles, nothing is reported.
    let compatible = compatible_changes(&original_spec);
    fs::write(copy.join(SPEC), &compatible).expect("write the changed spec");
    let codegen = xtask(&copy, &scratch, &["codegen"]);
    let report = text(&codegen);
    assert!(
        codegen.status.success()
            && report.contains("the workspace compiles against the new client"),
        "compatible changes must regenerate cleanly:\n{report}"
    );
    let client = read(&copy.join(GENERATED));
    for field in [
        "pub probe_note: ::std::option::Option<::std::string::String>",
        "pub probe_state: ::std::option::Option<MeetingInfoProbeState>",
        "pub probe_room: ::std::option::Option<::std::string::String>",
        "pub fn probe_filter<V>(",
    ] {
        assert!(client.contains(field), "the new client has `{field}`");
    }

    // 2. A new value of the response's enum.
    let with_new_value = compatible.replacen(
        "enum: [PROBE_A, PROBE_B]",
        "enum: [PROBE_A, PROBE_B, PROBE_C]",
        1,
    );
    fs::write(copy.join(SPEC), &with_new_value).expect("write the changed spec");
    let codegen = xtask(&copy, &scratch, &["codegen"]);
    let report = text(&codegen);
    assert!(
        codegen.status.success()
            && report.contains("the workspace compiles against the new client"),
        "a new enum value must regenerate cleanly:\n{report}"
    );
    assert!(
        read(&copy.join(GENERATED)).contains("ProbeC"),
        "the new variant"
    );

    // ... and the tests that build generated values pass against it: the wrapper's (the dismiss
    // body, the meeting.end event) and the typed mocks' (the error answer). The copy lives in
    // the target directory, away from the project's `../shared` vectors, so the checks that the
    // vendored vectors are the shared ones are skipped here: they compare files the spec change
    // does not touch, and the workspace's own test run makes them (on CI a missing shared file
    // fails them, as this copy's would).
    for args in [
        &[
            "test",
            "--package",
            "tencent-meeting",
            "--features",
            "webhook",
            "--lib",
            "--",
            "--skip",
            "vendored_vectors_match_the_shared_ones",
        ][..],
        &[
            "test",
            "--package",
            "tencent-meeting-openapi",
            "--features",
            "httpmock",
            "--test",
            "mock",
        ],
    ] {
        let tests = cargo_in(&copy, &scratch, args);
        assert!(
            tests.status.success(),
            "the tests pass against the regenerated client ({}):\n{}",
            args.join(" "),
            text(&tests)
        );
    }

    // 3. A new required property of the dismiss body: the builders still compile, but cannot
    // build a body without it; codegen names it and fails.
    let required = insert_after(
        &with_new_value,
        "    DismissMeetingRequest:\n",
        "      required:\n",
        "        - probe_note\n",
    );
    fs::write(copy.join(SPEC), &required).expect("write the changed spec");
    let codegen = xtask(&copy, &scratch, &["codegen"]);
    let report = text(&codegen);
    assert!(
        !codegen.status.success()
            && report
                .contains("the workspace compiles against it, but the spec change is breaking")
            && report.contains(
                "`types::DismissMeetingRequest` has a new required property `probe_note`"
            ),
        "a new required property is reported though everything compiles:\n{report}"
    );

    // 4. A response property changing type: the wrapper no longer compiles, and codegen names
    // the crate and the first error.
    let meeting_id = "        meeting_id:\n          type: string\n          description: The meeting ID; for a recurring meeting, the master meeting ID.\n";
    assert!(
        required.contains(meeting_id),
        "the test's anchor (MeetingInfo.meeting_id) moved"
    );
    let breaking = required.replacen(
        meeting_id,
        &meeting_id.replacen("type: string", "type: integer", 1),
        1,
    );
    fs::write(copy.join(SPEC), &breaking).expect("write the changed spec");
    let codegen = xtask(&copy, &scratch, &["codegen"]);
    let report = text(&codegen);
    assert!(
        !codegen.status.success()
            && report.contains("the workspace no longer compiles against it")
            && report.contains("crate `tencent-meeting` (wrapper/)")
            && report.contains("error[E0308]"),
        "codegen names the crate and the first error:\n{report}"
    );

    // 5. The linter still builds and runs while the workspace is broken (on the compatible
    // spec: step 4's examples no longer fit its new type, step 3's lack the new property).
    fs::write(copy.join(SPEC), &with_new_value).expect("write the changed spec");
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
    let mut all = vec!["xtask"];
    all.extend_from_slice(args);
    cargo_in(copy, scratch, &all)
}

/// Runs `cargo ARGS` in the copy, with its own target directory and this workspace's build
/// directory.
fn cargo_in(copy: &Path, scratch: &Path, args: &[&str]) -> Output {
    // This workspace's build directory: the parent of CARGO_TARGET_TMPDIR (`<target>/tmp`).
    let build_dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .expect("the target directory");
    Command::new(cargo())
        .current_dir(copy)
        .args(args)
        .env("CARGO_TARGET_DIR", scratch.join("target"))
        .env("CARGO_BUILD_BUILD_DIR", build_dir)
        .env_remove("RUSTC_WORKSPACE_WRAPPER")
        .output()
        .expect("run cargo")
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
