//! `tencent-meeting events listen` as a process: what it acknowledges survives `kill -9`,
//! duplicates are dropped across restarts, and bad deliveries store and print nothing.

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use tencent_meeting::webhook::Webhook;
use tencent_meeting::webhook::sender::{MeetingEndNotice, SealedDelivery};

const TOKEN: &str = "Ab3dEf6hIj9kLm2nOp5qRs8tU";
const KEY: &str = "abcdefghijklmnopqrstuvwxyzABCDEFG1234567890";

/// A running `events listen`, its URL, and its stdout lines as they come.
struct Listener {
    child: Child,
    url: String,
    banner: String,
    lines: mpsc::Receiver<String>,
}

impl Listener {
    fn start(store: &Path) -> Self {
        Self::start_with(store, &[])
    }

    fn start_with(store: &Path, extra: &[&str]) -> Self {
        let mut child = Command::new(assert_cmd::cargo::cargo_bin("tencent-meeting"))
            .args([
                "events",
                "listen",
                "--addr",
                "127.0.0.1:0",
                "--path",
                "/hook",
                "--store",
            ])
            .arg(store)
            .args(extra)
            .env("TENCENT_MEETING_WEBHOOK_TOKEN", TOKEN)
            .env("TENCENT_MEETING_WEBHOOK_AES_KEY", KEY)
            .env_remove("RUST_LOG")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the listener starts");
        let mut banner = String::new();
        if let Some(stderr) = child.stderr.take() {
            let mut stderr = BufReader::new(stderr);
            let _ = stderr.read_line(&mut banner);
            // Keep draining stderr so the process never blocks on it.
            std::thread::spawn(move || std::io::copy(&mut stderr, &mut std::io::sink()));
        }
        let url = banner
            .split_whitespace()
            .find(|w| w.starts_with("http://"))
            .unwrap_or_else(|| panic!("no URL in {banner:?}"))
            .to_string();
        let (tx, lines) = mpsc::channel();
        if let Some(stdout) = child.stdout.take() {
            std::thread::spawn(move || {
                for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                    if tx.send(line).is_err() {
                        break;
                    }
                }
            });
        }
        Self {
            child,
            url,
            banner,
            lines,
        }
    }

    /// SIGKILL: no chance to flush or clean up.
    fn kill_9(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    fn next_line(&self) -> Option<String> {
        self.lines.recv_timeout(Duration::from_secs(10)).ok()
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn webhook() -> Webhook {
    Webhook::new(TOKEN, Some(KEY)).expect("valid")
}

fn delivery(i: usize) -> SealedDelivery {
    let notice = MeetingEndNotice::new(
        format!("trace-{i}"),
        format!("{}", 1000 + i),
        1_700_000_000_000,
    );
    webhook().seal_event(&notice.to_json(), "1700000000123", &i.to_string())
}

fn store_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("events-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir.join("events.jsonl")
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
}

async fn post(
    http: &reqwest::Client,
    url: &str,
    sealed: &SealedDelivery,
    body: Vec<u8>,
) -> Option<u16> {
    http.post(url)
        .headers(sealed.header_map())
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .ok()
        .map(|r| r.status().as_u16())
}

/// Trace ids in the store file.
fn stored(path: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(path).expect("the store");
    text.lines()
        .map(|line| {
            let record: serde_json::Value = serde_json::from_str(line).expect("whole lines only");
            record["trace_id"].as_str().expect("a trace id").to_string()
        })
        .collect()
}

#[test]
fn acknowledged_events_survive_kill_9_and_duplicates_are_dropped_after_restart() {
    let store = store_dir("kill9");
    let rt = runtime();
    let http = reqwest::Client::new();
    let listener = Listener::start(&store);
    assert!(listener.banner.contains("AES mode"), "{}", listener.banner);
    let url = listener.url.clone();

    // 40 deliveries at once; the listener is killed with SIGKILL as soon as the 10th 200 arrives,
    // while the others are in flight.
    let acknowledged: Vec<usize> = rt.block_on(async {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        for i in 0..40 {
            let (http, url, tx) = (http.clone(), url.clone(), tx.clone());
            tokio::spawn(async move {
                let sealed = delivery(i);
                let status = post(&http, &url, &sealed, sealed.body.clone()).await;
                let _ = tx.send((i, status));
            });
        }
        drop(tx);
        let mut acknowledged = Vec::new();
        let mut killer = Some(listener);
        while let Some((i, status)) = rx.recv().await {
            if status == Some(200) {
                acknowledged.push(i);
                if acknowledged.len() == 10
                    && let Some(listener) = killer.take()
                {
                    listener.kill_9();
                }
            }
        }
        acknowledged
    });
    assert!(acknowledged.len() >= 10, "{acknowledged:?}");
    eprintln!("acknowledged before the kill: {}", acknowledged.len());

    // Every acknowledged delivery is in the store, each once.
    let after_kill = stored(&store);
    for i in &acknowledged {
        let trace = format!("trace-{i}");
        assert_eq!(
            after_kill.iter().filter(|t| **t == trace).count(),
            1,
            "{trace} was acknowledged: it must be stored exactly once ({after_kill:?})"
        );
    }

    // Restarted on the same store: redeliveries are acknowledged and dropped, new ones stored.
    let listener = Listener::start(&store);
    // The port is bound before the store's index is read (cli/tests/store.rs checks the count
    // it reports once ready); deliveries wait for the index.
    assert!(
        listener.banner.contains("reading its index"),
        "{}",
        listener.banner
    );
    rt.block_on(async {
        for i in &acknowledged {
            let sealed = delivery(*i);
            assert_eq!(
                post(&http, &listener.url, &sealed, sealed.body.clone()).await,
                Some(200)
            );
        }
        let fresh = delivery(1000);
        assert_eq!(
            post(&http, &listener.url, &fresh, fresh.body.clone()).await,
            Some(200)
        );
    });
    // The only line printed is the new delivery's: the duplicates were not printed again.
    let line = listener.next_line().expect("a line for the new delivery");
    let event: serde_json::Value = serde_json::from_str(&line).expect("a JSON line");
    assert_eq!(event["event"], "meeting.end");
    assert_eq!(event["trace_id"], "trace-1000");
    assert_eq!(event["payload"]["meeting_info"]["meeting_id"], "2000");
    let final_store = stored(&store);
    assert_eq!(final_store.len(), after_kill.len() + 1, "{final_store:?}");
    listener.kill_9();
}

#[test]
fn bad_deliveries_store_and_print_nothing() {
    let store = store_dir("bad");
    let rt = runtime();
    let http = reqwest::Client::new();
    let listener = Listener::start(&store);
    let good = delivery(1);
    let mut wrong_signature = good.clone();
    wrong_signature.headers.signature = "0".repeat(40);
    let foreign = Webhook::new(TOKEN, Some("ZYXWVUTSRQPONMLKJIHGFEDCBAzyxwvutsrqponmlkj"))
        .expect("valid")
        .seal_event(b"{\"event\":\"meeting.end\"}", "1700000000123", "1");
    let huge = format!("{{\"data\":\"{}\"}}", "A".repeat(2 * 1024 * 1024)).into_bytes();
    rt.block_on(async {
        let url = &listener.url;
        assert_eq!(
            post(&http, url, &wrong_signature, good.body.clone()).await,
            Some(401)
        );
        assert_eq!(
            post(&http, url, &foreign, foreign.body.clone()).await,
            Some(400)
        );
        assert_eq!(
            post(&http, url, &good, b"not json".to_vec()).await,
            Some(400)
        );
        // The URL check still answers.
        let check = webhook().seal_url_check("hello", "1700000000123", "9");
        let answer = http
            .get(format!("{url}?{}", check.query))
            .headers(check.header_map())
            .send()
            .await
            .expect("answered");
        assert_eq!(answer.status().as_u16(), 200);
        assert_eq!(answer.text().await.expect("body"), "hello");
        // Last: the listener answers 413 without reading the rest, then closes the connection.
        assert_eq!(post(&http, url, &good, huge).await, Some(413));
    });
    assert!(stored(&store).is_empty(), "nothing stored");
    assert!(
        listener
            .lines
            .recv_timeout(Duration::from_millis(300))
            .is_err(),
        "nothing printed"
    );
}

/// With `--max-age`, a delivery signed too long ago is refused (401) and not stored; one signed
/// now is taken.
#[test]
fn max_age_refuses_stale_deliveries() {
    let store = store_dir("stale");
    let rt = runtime();
    let http = reqwest::Client::new();
    let listener = Listener::start_with(&store, &["--max-age", "300"]);
    let notice = MeetingEndNotice::new("fresh", "1", 1).to_json();
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_millis()
        .to_string();
    let stale = webhook().seal_event(&notice, "1700000000123", "1");
    let fresh = webhook().seal_event(&notice, &now_ms, "2");
    rt.block_on(async {
        assert_eq!(
            post(&http, &listener.url, &stale, stale.body.clone()).await,
            Some(401)
        );
        assert!(stored(&store).is_empty());
        assert_eq!(
            post(&http, &listener.url, &fresh, fresh.body.clone()).await,
            Some(200)
        );
    });
    assert_eq!(stored(&store), ["fresh"]);
}

#[test]
fn missing_or_bad_secrets_and_urls_are_usage_errors() {
    let out = Command::new(assert_cmd::cargo::cargo_bin("tencent-meeting"))
        .args(["events", "listen", "--addr", "127.0.0.1:0", "--store"])
        .arg(store_dir("no-token"))
        .env_remove("TENCENT_MEETING_WEBHOOK_TOKEN")
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("TENCENT_MEETING_WEBHOOK_TOKEN"), "{stderr}");
    let out = Command::new(assert_cmd::cargo::cargo_bin("tencent-meeting"))
        .args(["events", "listen", "--addr", "127.0.0.1:0", "--store"])
        .arg(store_dir("bad-key"))
        .env("TENCENT_MEETING_WEBHOOK_TOKEN", TOKEN)
        .env("TENCENT_MEETING_WEBHOOK_AES_KEY", "too-short")
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("EncodingAESKey: must be 43"), "{stderr}");
    // The simulator: a subscription without a Token, or a URL that fails its verification.
    let sim = |token: Option<&str>| {
        let mut command = Command::new(assert_cmd::cargo::cargo_bin("tencent-meeting"));
        command
            .args([
                "sim",
                "--addr",
                "127.0.0.1:0",
                "--webhook-url",
                "http://127.0.0.1:9/x",
            ])
            .env_remove("TENCENT_MEETING_WEBHOOK_TOKEN")
            .env_remove("TENCENT_MEETING_WEBHOOK_AES_KEY");
        if let Some(token) = token {
            command.env("TENCENT_MEETING_WEBHOOK_TOKEN", token);
        }
        command.output().expect("runs")
    };
    for (token, words) in [(None, "--webhook-token"), (Some(TOKEN), "URL verification")] {
        let out = sim(token);
        assert_eq!(out.status.code(), Some(2));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(words), "{stderr}");
    }
}

/// The whole path as processes: `sim --webhook-url` verifies the listener's URL at start; a
/// `dismiss` through the CLI ends a meeting on it; the listener stores and prints the
/// `meeting.end` it received.
#[test]
fn the_simulator_process_delivers_meeting_end_to_the_listener_process() {
    use tencent_meeting_sim::{DEMO_APP_ID, DEMO_SECRET_ID, DEMO_SECRET_KEY};

    let store = store_dir("sim");
    let listener = Listener::start(&store);
    let mut sim = Command::new(assert_cmd::cargo::cargo_bin("tencent-meeting"))
        .args([
            "sim",
            "--addr",
            "127.0.0.1:0",
            "--webhook-url",
            &listener.url,
        ])
        .env("TENCENT_MEETING_WEBHOOK_TOKEN", TOKEN)
        .env("TENCENT_MEETING_WEBHOOK_AES_KEY", KEY)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the simulator starts");
    let mut lines = BufReader::new(sim.stdout.take().expect("stdout")).lines();
    let base_url = lines
        .next()
        .and_then(Result::ok)
        .unwrap_or_default()
        .trim()
        .to_string();
    assert!(base_url.starts_with("http://127.0.0.1:"), "{base_url:?}");
    let mut banner = Vec::new();
    for line in lines.by_ref().map_while(Result::ok) {
        let last = line.starts_with("serving until");
        banner.push(line);
        if last {
            break;
        }
    }
    assert!(
        banner
            .iter()
            .any(|l| l.contains("webhooks: meeting.end to") && l.contains("AES mode")),
        "{banner:?}"
    );

    let rt = runtime();
    let id = rt.block_on(async {
        let created: serde_json::Value = reqwest::Client::new()
            .post(format!("{base_url}/_sim/meetings"))
            .json(&serde_json::json!({"creator_userid": "alice"}))
            .send()
            .await
            .expect("answered")
            .json()
            .await
            .expect("JSON");
        created["meeting_id"]
            .as_str()
            .expect("a meeting id")
            .to_string()
    });
    let dismissed = Command::new(assert_cmd::cargo::cargo_bin("tencent-meeting"))
        .env("TENCENT_MEETING_APP_ID", DEMO_APP_ID)
        .env("TENCENT_MEETING_SECRET_ID", DEMO_SECRET_ID)
        .env("TENCENT_MEETING_SECRET_KEY", DEMO_SECRET_KEY)
        .args([
            "dismiss",
            &id,
            "--userid",
            "alice",
            "--instance",
            "pc",
            "--reason-code",
            "1",
        ])
        .args(["--base-url", &base_url])
        .output()
        .expect("runs");
    assert_eq!(
        dismissed.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&dismissed.stderr)
    );
    let line = listener.next_line().expect("the meeting.end is printed");
    let _ = sim.kill();
    let _ = sim.wait();
    let event: serde_json::Value = serde_json::from_str(&line).expect("a JSON line");
    assert_eq!(event["event"], "meeting.end");
    assert_eq!(event["payload"]["meeting_info"]["meeting_id"], id.as_str());
    assert_eq!(event["payload"]["meeting_end_type"], 0);
    assert_eq!(event["payload"]["operator"]["userid"], "alice");
    assert_eq!(stored(&store).len(), 1);
}
