//! The client's requests pass Prism's request validation against our own spec: Prism (from the
//! npm registry, installed by `cargo xtask ci`) serves `openapi/tencent-meeting.yaml` with
//! `--errors`, so any request that breaks the spec (body, query, path, security headers) gets an
//! error answer instead of the documented success.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use tencent_meeting::{
    Client, Credentials, Error, Evidence, Instance, MeetingKind, Operator, RetryPolicy,
};

struct Prism {
    child: Child,
    base_url: String,
}

impl Drop for Prism {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Starts Prism on a free port, or returns None (outside CI) when it is not installed.
async fn start_prism() -> Option<Prism> {
    let bin = root().join("node_modules/.bin/prism");
    if !bin.exists() {
        assert!(
            std::env::var_os("CI").is_none(),
            "Prism is not installed: run `npm ci` (cargo xtask ci does)"
        );
        eprintln!("skipped: {} not found; run `npm ci`", bin.display());
        return None;
    }
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port");
    let child = Command::new(bin)
        .args([
            "mock",
            "openapi/tencent-meeting.yaml",
            "--errors",
            "-h",
            "127.0.0.1",
            "-p",
        ])
        .arg(port.to_string())
        .current_dir(root())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("prism starts");
    let prism = Prism {
        child,
        base_url: format!("http://127.0.0.1:{port}"),
    };
    // Prism takes a few seconds to load; wait until it accepts connections.
    for _ in 0..300 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return Some(prism);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("Prism did not start listening on port {port}");
}

fn client(base_url: &str, credentials: Credentials) -> Client {
    Client::builder()
        .base_url(base_url)
        .credentials(credentials)
        .retry(RetryPolicy::none())
        .build()
        .expect("client")
}

#[tokio::test]
async fn requests_pass_prism_validation() {
    let Some(prism) = start_prism().await else {
        return;
    };
    let enterprise = Credentials::enterprise("200000001", "AKIDexample", "key")
        .and_then(|c| c.with_sdk_id("19000000001"))
        .expect("credentials");
    let oauth = Credentials::oauth2("token", "open-id").expect("credentials");
    let ent = client(&prism.base_url, enterprise);
    let oauth = client(&prism.base_url, oauth);

    let calls = [
        ent.dismiss_meeting("7567173273889276131")
            .operator(Operator::user_id("test1"))
            .instance(Instance::Pc)
            .reason_code(3)
            .reason_detail("结束会议")
            .retrieve_code(true),
        ent.dismiss_meeting("15434747088712431484")
            .operator(Operator::operator_user_id("tester"))
            .instance(Instance::ControllerIphone)
            .reason_code(-1)
            .force(false)
            .kind(MeetingKind::Quick),
        ent.dismiss_meeting("1")
            .operator(Operator::ms_open_id("ms"))
            .instance(Instance::RoomsAndroid)
            .reason_code(0),
        oauth
            .dismiss_meeting("2")
            .instance(Instance::Web)
            .reason_code(1),
    ];
    for call in calls {
        let description = format!("{call:?}");
        match call.send().await {
            Ok(d) => assert!(
                matches!(d.evidence(), Evidence::Answered { status: 200, .. }),
                "{description}: {:?}",
                d.evidence()
            ),
            Err(e) => panic!("Prism refused {description}: {}", describe(&e)),
        }
    }
    for (client, operator) in [
        (&ent, Operator::user_id("test1")),
        (&ent, Operator::operator_user_id("tester")),
        (&oauth, Operator::open_id("open-id")),
    ] {
        let meeting = client
            .get_meeting("15434747088712431484")
            .operator(operator)
            .instance(Instance::Mac)
            .send()
            .await;
        if let Err(e) = meeting {
            panic!("Prism refused the look-up: {}", describe(&e));
        }
    }

    // And the check has teeth: a request that breaks the spec (meeting ID not digits) is refused.
    let raw = reqwest::Client::new()
        .post(format!("{}/v1/meetings/abc/dismiss", prism.base_url))
        .header("X-TC-Key", "k")
        .header("X-TC-Timestamp", "1")
        .header("X-TC-Nonce", "1")
        .header("X-TC-Signature", "s")
        .header("AppId", "a")
        .json(&serde_json::json!({"userid": "u", "instanceid": 11, "reason_code": 1}))
        .send()
        .await
        .expect("prism answers");
    assert!(raw.status().is_client_error(), "{}", raw.status());
}

fn describe(e: &Error) -> String {
    match e {
        Error::Decode(e) => format!("HTTP {}: {}", e.status(), e.snippet()),
        other => other.to_string(),
    }
}
