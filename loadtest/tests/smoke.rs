//! The load test still runs: a tiny debug run (its figures mean nothing) goes through the same
//! checks as a real one — the raw baseline sends the wrapper's request byte for byte (but for the
//! timestamp, nonce and signature), and every meeting ends exactly once. A change to what the
//! wrapper sends that the baseline does not follow fails here, not at the next benchmark.

use assert_cmd::Command;

/// A tiny debug run with `extra` arguments: its standard output, once it has succeeded.
fn tiny_run(extra: &[&str]) -> String {
    let output = Command::cargo_bin("tencent-meeting-loadtest")
        .expect("the load test binary")
        .args(["--no-release", "--requests", "200", "--rounds", "1"])
        .args(["--warmup", "10", "--concurrency", "4"])
        .args(extra)
        .output()
        .expect("runs");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stdout}\n{stderr}");
    stdout
}

#[test]
fn a_tiny_run_passes_the_wire_check_and_ends_each_meeting_once() {
    let stdout = tiny_run(&[]);
    assert!(
        stdout.contains("0 never, 0 more than once")
            && stdout.contains("ratio wrapper/raw: ")
            && stdout.contains("client CPU ratio raw/wrapper: "),
        "{stdout}"
    );
}

/// `--compare generated` measures the generated client alone against raw: its body is checked to
/// be the wrapper's, and its meetings end exactly once too.
#[test]
fn the_generated_client_alone_can_be_compared_with_raw() {
    let stdout = tiny_run(&["--compare", "generated"]);
    assert!(
        stdout.contains("its body is the wrapper's")
            && stdout.contains("0 never, 0 more than once")
            && stdout.contains("ratio generated/raw: ")
            && stdout.contains("client CPU ratio raw/generated: "),
        "{stdout}"
    );
}
