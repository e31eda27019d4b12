//! The official Python SDK (`wemeet-openapi-sdk-python`), unchanged, dismisses meetings on the
//! simulator. Skipped, with a message, when `import wemeet_openapi` fails (see
//! `sim/tests/python_sdk/README.md` for the install command). `PYTHON` overrides `python3`.

use tencent_meeting::MeetingStatus;
use tencent_meeting_sim::{DEMO_ACCESS_TOKEN, DEMO_OPEN_ID, DEMO_SDK_ID, MeetingSpec, Simulator};
use tokio::process::Command;

use crate::common::*;

const SCRIPT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/python_sdk/dismiss_with_official_sdk.py"
);

/// The Python interpreter to use, or `None` (with a printed reason) when the SDK is missing.
/// On CI (`CI` set), where `cargo xtask ci` installs the SDK, a missing SDK fails the test.
async fn python_with_sdk() -> Option<String> {
    let python = python_if_installed().await;
    assert!(
        python.is_some() || std::env::var_os("CI").is_none(),
        "the official Python SDK must be installed on CI (cargo xtask ci installs it)"
    );
    python
}

async fn python_if_installed() -> Option<String> {
    let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".to_string());
    let probe = Command::new(&python)
        .args(["-c", "import wemeet_openapi"])
        .output()
        .await;
    match probe {
        Ok(out) if out.status.success() => Some(python),
        Ok(out) => {
            println!(
                "SKIPPED: `{python} -c \"import wemeet_openapi\"` failed ({}); install with `pip install wemeet-openapi-sdk-python==1.0.10 requests-toolbelt==1.0.0`",
                String::from_utf8_lossy(&out.stderr)
                    .lines()
                    .last()
                    .unwrap_or("no output")
            );
            None
        }
        Err(e) => {
            println!("SKIPPED: cannot run {python}: {e}");
            None
        }
    }
}

/// Runs the script against `sim` with `args`, and asserts it succeeded.
async fn run_script(python: &str, sim: &Simulator, id: &str, args: &[&str]) {
    let out = Command::new(python)
        .arg(SCRIPT)
        .args(["--base-url", sim.base_url(), "--meeting-id", id])
        .args(args)
        .output()
        .await
        .expect("the script runs");
    assert!(
        out.status.success(),
        "the script failed: {}\nstdout: {}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The enterprise arguments for `sim`'s credentials.
fn enterprise_args(sim: &Simulator) -> Vec<String> {
    let c = sim.credentials();
    let mut args = vec![
        "--app-id".to_string(),
        c.app_id.clone(),
        "--secret-id".to_string(),
        c.secret_id.clone(),
        "--secret-key".to_string(),
        c.secret_key.clone(),
    ];
    if let Some(sdk) = &c.sdk_id {
        args.extend(["--sdk-id".to_string(), sdk.clone()]);
    }
    args
}

/// Asserts, through the admin API, that the meeting ended exactly once.
async fn assert_dismissed(sim: &Simulator, id: &str) {
    let raw = admin_get(sim, &format!("/_sim/meetings/{id}")).await;
    let json = raw.json();
    assert_eq!(json["status"], MeetingStatus::Ended.as_str(), "{json}");
    assert_eq!(json["dismiss_count"], 1, "{json}");
    assert_eq!(
        json["last_dismiss"]["operator_id_type"],
        if json["created_via_oauth"] == true {
            2
        } else {
            1
        }
    );
}

#[tokio::test]
async fn official_python_sdk_dismisses_with_the_empty_object_switch() {
    let Some(python) = python_with_sdk().await else {
        return;
    };
    let sim = start(
        Simulator::builder()
            .sdk_id(Some(DEMO_SDK_ID.into()))
            .empty_object_success(true),
    )
    .await;
    let id = create(&sim, MeetingSpec::new(ALICE));
    let args = enterprise_args(&sim);
    let mut all: Vec<&str> = vec!["--operator", ALICE];
    all.extend(args.iter().map(String::as_str));
    run_script(&python, &sim, &id, &all).await;
    assert_dismissed(&sim, &id).await;
}

#[tokio::test]
async fn official_python_sdk_against_the_documented_empty_body() {
    let Some(python) = python_with_sdk().await else {
        return;
    };
    let sim = start(Simulator::builder().sdk_id(Some(DEMO_SDK_ID.into()))).await;
    let id = create(&sim, MeetingSpec::new(ALICE));
    let args = enterprise_args(&sim);
    let mut all: Vec<&str> = vec!["--operator", ALICE, "--empty-body-expected"];
    all.extend(args.iter().map(String::as_str));
    run_script(&python, &sim, &id, &all).await;
    assert_dismissed(&sim, &id).await;
}

#[tokio::test]
async fn official_python_sdk_dismisses_with_oauth() {
    let Some(python) = python_with_sdk().await else {
        return;
    };
    let sim = start(Simulator::builder().empty_object_success(true)).await;
    let id = create(&sim, MeetingSpec::new(DEMO_OPEN_ID).created_via_oauth());
    run_script(
        &python,
        &sim,
        &id,
        &[
            "--operator",
            DEMO_OPEN_ID,
            "--oauth-token",
            DEMO_ACCESS_TOKEN,
            "--open-id",
            DEMO_OPEN_ID,
        ],
    )
    .await;
    assert_dismissed(&sim, &id).await;
}

#[tokio::test]
async fn the_script_fails_when_the_simulator_refuses() {
    let Some(python) = python_with_sdk().await else {
        return;
    };
    let sim = start(
        Simulator::builder()
            .sdk_id(Some(DEMO_SDK_ID.into()))
            .empty_object_success(true),
    )
    .await;
    let id = create(&sim, MeetingSpec::new(ALICE));
    let c = sim.credentials().clone();
    let out = Command::new(&python)
        .arg(SCRIPT)
        .args([
            "--base-url",
            sim.base_url(),
            "--meeting-id",
            &id,
            "--operator",
            ALICE,
        ])
        .args([
            "--app-id",
            &c.app_id,
            "--sdk-id",
            DEMO_SDK_ID,
            "--secret-id",
            &c.secret_id,
        ])
        .args(["--secret-key", "not-the-secret-key"])
        .output()
        .await
        .expect("the script runs");
    assert!(!out.status.success(), "a wrong key must fail the script");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("200003"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(view(&sim, &id).status, MeetingStatus::Started);
}
