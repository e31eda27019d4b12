//! `tencent-meeting events listen` facing strangers, as processes over real sockets: a stdout
//! nobody reads never blocks a delivery, and the server's timeouts and limits (idle, slow
//! header, missing body, a connection flood at a low descriptor limit, Ctrl-C with a slow
//! client) close what must be closed while honest deliveries are still answered.
//!
//! No assertion here is on time: ceilings only catch a hang (the old receiver hung forever).

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tencent_meeting::webhook::Webhook;
use tencent_meeting::webhook::sender::{MeetingEndNotice, SealedDelivery};

const TOKEN: &str = "Ab3dEf6hIj9kLm2nOp5qRs8tU";
const KEY: &str = "abcdefghijklmnopqrstuvwxyzABCDEFG1234567890";

/// A running `events listen` whose stdout is a pipe this test holds open and never reads.
struct Listener {
    child: Child,
    url: String,
    #[allow(dead_code)] // for the limits tests
    addr: String,
    /// Held, never read: the pipe fills and stays full.
    _stdout: Option<ChildStdout>,
    stderr: Arc<Mutex<String>>,
}

impl Listener {
    /// `events listen` with `extra` flags, run through `sh -c 'ulimit -n N; exec …'` when
    /// `nofile` is given.
    fn start(store: &Path, extra: &[&str], nofile: Option<u32>) -> Self {
        let binary = assert_cmd::cargo::cargo_bin("tencent-meeting");
        let mut command = match nofile {
            Some(limit) => {
                let mut sh = Command::new("sh");
                sh.arg("-c")
                    .arg(format!("ulimit -n {limit} && exec \"$0\" \"$@\""))
                    .arg(&binary);
                sh
            }
            None => Command::new(&binary),
        };
        let mut child = command
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
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the listener starts");
        let mut stderr = BufReader::new(child.stderr.take().expect("stderr"));
        let mut banner = String::new();
        let _ = stderr.read_line(&mut banner);
        let url = banner
            .split_whitespace()
            .find(|w| w.starts_with("http://"))
            .unwrap_or_else(|| panic!("no URL in {banner:?}"))
            .to_string();
        let addr = url
            .trim_start_matches("http://")
            .trim_end_matches("/hook")
            .to_string();
        let collected = Arc::new(Mutex::new(banner));
        let sink = Arc::clone(&collected);
        std::thread::spawn(move || {
            for line in stderr.lines().map_while(Result::ok) {
                if let Ok(mut text) = sink.lock() {
                    text.push_str(&line);
                    text.push('\n');
                }
            }
        });
        Self {
            _stdout: child.stdout.take(),
            child,
            url,
            addr,
            stderr: collected,
        }
    }

    fn stderr(&self) -> String {
        self.stderr.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// SIGINT, as Ctrl-C; then waits for the exit, failing after `ceiling` (a hang).
    fn interrupt_and_wait(&mut self, ceiling: Duration) -> std::process::ExitStatus {
        let pid = nix::unistd::Pid::from_raw(self.child.id() as i32);
        nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGINT).expect("signalled");
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().expect("waitable") {
                return status;
            }
            assert!(
                started.elapsed() < ceiling,
                "the listener did not exit within {ceiling:?} of Ctrl-C"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
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

fn store_path(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("serving-cli-{}-{name}", std::process::id()));
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

/// A client whose every request gives up after a minute: that catches a hang, it measures
/// nothing.
fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .expect("client")
}

/// Posts delivery `i`; the status, or the error as text.
async fn post(http: &reqwest::Client, url: &str, i: usize) -> Result<u16, String> {
    let sealed = delivery(i);
    http.post(url)
        .headers(sealed.header_map())
        .header("content-type", "application/json")
        .body(sealed.body.clone())
        .send()
        .await
        .map(|r| r.status().as_u16())
        .map_err(|e| format!("{e:?}"))
}

/// The signed URL check; its status and body.
async fn url_check(http: &reqwest::Client, url: &str) -> Result<(u16, String), String> {
    let check = webhook().seal_url_check("still-here", "1700000000123", "9");
    let answer = http
        .get(format!("{url}?{}", check.query))
        .headers(check.header_map())
        .send()
        .await
        .map_err(|e| format!("{e:?}"))?;
    let status = answer.status().as_u16();
    Ok((status, answer.text().await.unwrap_or_default()))
}

/// Waits until stderr has `words` (the reader thread may be a line behind); a minute is a hang.
fn wait_for(listener: &Listener, words: &str) {
    let started = Instant::now();
    while !listener.stderr().contains(words) {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "never said {words:?}: {}",
            listener.stderr()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn stored_lines(path: &Path) -> usize {
    std::fs::read_to_string(path)
        .map(|text| text.lines().count())
        .unwrap_or(0)
}

/// Bullet 1 of issue 20: with stdout a pipe nobody reads (it holds 64 KiB, about 250 events;
/// the listener queues 1,024 more), 2,000 deliveries are all stored and answered 200, the URL check still answers, the events
/// that could not be printed are said once on stderr, and counted at exit.
#[test]
fn a_stdout_nobody_reads_blocks_no_delivery() {
    const DELIVERIES: usize = 2_000;
    let store = store_path("stalled-stdout");
    let mut listener = Listener::start(&store, &[], None);
    let http = client();
    runtime().block_on(async {
        // 16 senders at a time, as a platform delivering a burst might; the first batch not
        // all answered 200 fails the test.
        for chunk in (0..DELIVERIES).collect::<Vec<_>>().chunks(16) {
            let sends = chunk.iter().map(|i| post(&http, &listener.url, *i));
            let answers = futures::future::join_all(sends).await;
            let failed: Vec<_> = chunk
                .iter()
                .zip(&answers)
                .filter(|(_, a)| **a != Ok(200))
                .collect();
            assert!(
                failed.is_empty(),
                "deliveries not answered 200 after {} were: {failed:?}",
                chunk[0]
            );
        }
        let check = url_check(&http, &listener.url).await;
        assert_eq!(
            check,
            Ok((200, "still-here".to_string())),
            "the URL check answers"
        );
    });
    assert_eq!(stored_lines(&store), DELIVERIES, "every delivery is stored");
    wait_for(&listener, "not being read");
    let stderr = listener.stderr();
    assert_eq!(
        stderr.matches("not being read").count(),
        1,
        "the stall is said once: {stderr}"
    );
    let status = listener.interrupt_and_wait(Duration::from_secs(60));
    assert!(status.success(), "{status:?}");
    wait_for(&listener, "stored but not printed");
    let stderr = listener.stderr();
    let unprinted = stderr
        .lines()
        .find(|l| l.contains("stored but not printed"))
        .unwrap_or_else(|| panic!("no count at exit: {stderr}"));
    let count: usize = unprinted
        .split_whitespace()
        .find_map(|w| w.parse().ok())
        .unwrap_or_else(|| panic!("no number in {unprinted:?}"));
    assert!(
        count > 0 && count < DELIVERIES,
        "some, not all, could not be printed: {unprinted}"
    );
}
