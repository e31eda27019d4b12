//! What the receiver's process tests share: the webhook secrets, `meeting.end` deliveries sealed
//! as the platform sends them, a store path per test, posting a delivery, the store's records,
//! `tencent-meeting events listen` as a process ([`Listener`]), and raw connections to it (a
//! request head with any declared length, read until the listener closes).

use std::io::{BufRead as _, BufReader, ErrorKind, Read as _};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex, PoisonError, mpsc};
use std::time::{Duration, Instant};

use tencent_meeting::webhook::Webhook;
use tencent_meeting::webhook::sender::{MeetingEndNotice, SealedDelivery};

/// The subscription's Token.
pub const TOKEN: &str = "Ab3dEf6hIj9kLm2nOp5qRs8tU";
/// The subscription's EncodingAESKey (AES mode).
pub const KEY: &str = "abcdefghijklmnopqrstuvwxyzABCDEFG1234567890";

/// How the platform and the receiver encode a delivery's `data`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Token and EncodingAESKey: AES-256-CBC.
    Aes,
    /// Token only: base64.
    Plain,
}

impl Mode {
    /// The webhook configured as the subscription is.
    pub fn webhook(self) -> Webhook {
        let key = match self {
            Self::Aes => Some(KEY),
            Self::Plain => None,
        };
        Webhook::new(TOKEN, key).expect("valid")
    }
}

/// Delivery `i`: a `meeting.end` with trace id `trace-{i}` for meeting `1000 + i`, sealed with
/// nonce `i` and a fixed timestamp.
pub fn meeting_end(mode: Mode, i: usize) -> SealedDelivery {
    let notice = MeetingEndNotice::new(
        format!("trace-{i}"),
        format!("{}", 1000 + i),
        1_700_000_000_000,
    );
    mode.webhook()
        .seal_event(&notice.to_json(), "1700000000123", &i.to_string())
}

/// `events.jsonl` in an empty directory of its own under the system temp dir, named after the
/// test (`name`), removed when the test ends (kept when it fails).
pub fn store_path(name: &str) -> super::TestFile {
    super::TestFile::new(&format!("receiver-{name}"), "events.jsonl")
}

/// A runtime for the test's HTTP client, beside the blocking test thread.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
}

/// Posts `sealed` as the platform does: its status, or the error as text.
pub async fn post(
    http: &reqwest::Client,
    url: &str,
    sealed: &SealedDelivery,
) -> Result<u16, String> {
    post_body(http, url, sealed, sealed.body.clone()).await
}

/// Posts `body` with `sealed`'s signature headers (a body they do not sign, or no JSON at all).
pub async fn post_body(
    http: &reqwest::Client,
    url: &str,
    sealed: &SealedDelivery,
    body: Vec<u8>,
) -> Result<u16, String> {
    http.post(url)
        .headers(sealed.header_map())
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .map(|r| r.status().as_u16())
        .map_err(|e| format!("{e:?}"))
}

/// Posts `meeting_end(mode, i)` for each `i` in turn; each must be answered 200.
pub fn deliver_each(
    rt: &tokio::runtime::Runtime,
    http: &reqwest::Client,
    url: &str,
    mode: Mode,
    ids: impl IntoIterator<Item = usize>,
) {
    rt.block_on(async {
        for i in ids {
            assert_eq!(
                post(http, url, &meeting_end(mode, i)).await,
                Ok(200),
                "delivery {i}"
            );
        }
    });
}

/// The store file's lines, each checked to be a whole JSON record.
pub fn records(path: &Path) -> Vec<serde_json::Value> {
    let text = std::fs::read_to_string(path).expect("the store");
    assert!(
        text.is_empty() || text.ends_with('\n'),
        "whole lines only: {text:?}"
    );
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not whole ({e}): {l}")))
        .collect()
}

/// The `trace_id` of each record in the store file, in order.
pub fn trace_ids(path: &Path) -> Vec<String> {
    records(path)
        .iter()
        .map(|r| r["trace_id"].as_str().expect("a trace id").to_string())
        .collect()
}

/// `events listen` on `store` (a path or a `postgres://` URL) at `127.0.0.1:0` and `/hook`, in
/// `mode`'s environment, as a command to add flags to.
pub fn listen_command(store: impl AsRef<std::ffi::OsStr>, mode: Mode) -> Command {
    let mut command = Command::new(assert_cmd::cargo::cargo_bin("tencent-meeting"));
    command
        .args([
            "events",
            "listen",
            "--addr",
            "127.0.0.1:0",
            "--path",
            "/hook",
            "--store",
        ])
        .arg(store);
    set_environment(&mut command, mode);
    command
}

fn set_environment(command: &mut Command, mode: Mode) {
    command
        .env("TENCENT_MEETING_WEBHOOK_TOKEN", TOKEN)
        .env_remove("RUST_LOG");
    match mode {
        Mode::Aes => command.env("TENCENT_MEETING_WEBHOOK_AES_KEY", KEY),
        Mode::Plain => command.env_remove("TENCENT_MEETING_WEBHOOK_AES_KEY"),
    };
}

/// How to start a [`Listener`]: AES mode, stdout read line by line, no resource limits, unless
/// told otherwise.
pub struct ListenerBuilder {
    store: PathBuf,
    mode: Mode,
    extra: Vec<String>,
    limits: Vec<String>,
    read_stdout: bool,
}

impl ListenerBuilder {
    /// Plain or AES mode.
    pub fn mode(mut self, mode: Mode) -> Self {
        self.mode = mode;
        self
    }

    /// More flags for `events listen`.
    pub fn args(mut self, extra: &[&str]) -> Self {
        self.extra.extend(extra.iter().map(|s| s.to_string()));
        self
    }

    /// Under `ulimit -n files` (open descriptors), set by `sh` as an operator would.
    pub fn max_open_files(mut self, files: u32) -> Self {
        self.limits.push(format!("ulimit -n {files}"));
        self
    }

    /// Under `ulimit -f blocks` (file size), set by `sh` as an operator would.
    pub fn max_file_blocks(mut self, blocks: u32) -> Self {
        self.limits.push(format!("ulimit -f {blocks}"));
        self
    }

    /// Stdout a pipe this side holds open and never reads: it fills and stays full.
    pub fn stdout_unread(mut self) -> Self {
        self.read_stdout = false;
        self
    }

    /// Starts it and waits for its `listening on` line; panics with its exit status and stderr
    /// if it ends first.
    pub fn start(self) -> Listener {
        self.spawn()
            .unwrap_or_else(|(status, stderr)| panic!("exited {status}: {stderr}"))
    }

    /// Starts it and waits (up to 30 s) for its `listening on` line; `Err` with its exit status
    /// and stderr if it ends first.
    pub fn spawn(self) -> Result<Listener, (ExitStatus, String)> {
        let mut command = if self.limits.is_empty() {
            listen_command(&self.store, self.mode)
        } else {
            let listen = listen_command(&self.store, self.mode);
            let mut sh = Command::new("sh");
            sh.arg("-c")
                .arg(format!(
                    "{} && exec \"$0\" \"$@\"",
                    self.limits.join(" && ")
                ))
                .arg(listen.get_program())
                .args(listen.get_args());
            set_environment(&mut sh, self.mode);
            sh
        };
        let mut child = command
            .args(&self.extra)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the listener starts");
        let stderr = Arc::new(Mutex::new(String::new()));
        let (banner_tx, banner_rx) = mpsc::channel();
        if let Some(pipe) = child.stderr.take() {
            let stderr = Arc::clone(&stderr);
            // Keeps draining stderr so the process never blocks on it.
            std::thread::spawn(move || {
                for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                    if let Some(url) = line.split_whitespace().find(|w| w.starts_with("http://")) {
                        let _ = banner_tx.send((url.to_string(), line.clone()));
                    }
                    let mut all = stderr.lock().unwrap_or_else(PoisonError::into_inner);
                    all.push_str(&line);
                    all.push('\n');
                }
            });
        }
        let (lines_tx, lines) = mpsc::channel();
        let unread_stdout = if self.read_stdout {
            if let Some(stdout) = child.stdout.take() {
                std::thread::spawn(move || {
                    for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                        if lines_tx.send(line).is_err() {
                            break;
                        }
                    }
                });
            }
            None
        } else {
            child.stdout.take()
        };
        match banner_rx.recv_timeout(Duration::from_secs(30)) {
            Ok((url, banner)) => {
                let addr = url
                    .trim_start_matches("http://")
                    .split('/')
                    .next()
                    .unwrap_or_default()
                    .to_string();
                Ok(Listener {
                    child,
                    url,
                    addr,
                    banner,
                    lines,
                    stderr,
                    _unread_stdout: unread_stdout,
                })
            }
            Err(_) => {
                let status = child.wait().expect("the listener ended");
                // The stderr thread sees the pipe close once the process is gone.
                std::thread::sleep(Duration::from_millis(100));
                let text = stderr
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .clone();
                Err((status, text))
            }
        }
    }
}

/// A running `events listen`: its URL, its stdout lines as they come, and all of its stderr.
/// Killed (SIGKILL) when dropped.
pub struct Listener {
    pub child: Child,
    /// `http://127.0.0.1:PORT/hook`, from its `listening on` line.
    pub url: String,
    /// `127.0.0.1:PORT`, for raw connections.
    pub addr: String,
    /// The `listening on` line.
    pub banner: String,
    /// Stdout, a line at a time (nothing when started with `stdout_unread`).
    pub lines: mpsc::Receiver<String>,
    stderr: Arc<Mutex<String>>,
    /// Held, never read.
    _unread_stdout: Option<ChildStdout>,
}

impl Listener {
    /// How to start one on `store`.
    pub fn builder(store: &Path) -> ListenerBuilder {
        ListenerBuilder {
            store: store.to_path_buf(),
            mode: Mode::Aes,
            extra: Vec::new(),
            limits: Vec::new(),
            read_stdout: true,
        }
    }

    /// Started on `store` in `mode` with `extra` flags.
    pub fn start(store: &Path, mode: Mode, extra: &[&str]) -> Self {
        Self::builder(store).mode(mode).args(extra).start()
    }

    /// All of stderr so far.
    pub fn stderr(&self) -> String {
        self.stderr
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Waits (up to a minute: a hang) until stderr has `text`; whether it came. The receiver
    /// writes a line before it answers or exits, but this side's reader may be behind.
    pub fn wait_for_stderr(&self, text: &str) -> bool {
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(60) {
            if self.stderr().contains(text) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    }

    /// The next stdout line, waiting up to 10 s.
    pub fn next_line(&self) -> Option<String> {
        self.lines.recv_timeout(Duration::from_secs(10)).ok()
    }

    /// The stdout lines that come until none has for half a second.
    pub fn drain(&self) -> Vec<String> {
        std::iter::from_fn(|| self.lines.recv_timeout(Duration::from_millis(500)).ok()).collect()
    }

    /// The exit status once it ends by itself (within 10 s), else `None`.
    pub fn wait_for_exit(&mut self) -> Option<ExitStatus> {
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                // Its last stderr lines are still in this side's reader.
                std::thread::sleep(Duration::from_millis(100));
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }

    /// Sends `signal` (SIGINT is Ctrl-C; SIGTERM what supervisors send), then waits for the
    /// exit, failing after `ceiling` (a hang). Returns the status and how long it took.
    pub fn signal_and_wait(
        &mut self,
        signal: nix::sys::signal::Signal,
        ceiling: Duration,
    ) -> (ExitStatus, Duration) {
        super::signal(&self.child, signal);
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().expect("waitable") {
                return (status, started.elapsed());
            }
            assert!(
                started.elapsed() < ceiling,
                "the listener did not exit within {ceiling:?} of {signal}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// SIGKILL: no chance to flush or clean up.
    pub fn kill_9(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A raw connection to the listener; reads give up after 30 s (a hang, not a measurement).
pub fn connect(addr: &str) -> TcpStream {
    let stream = TcpStream::connect(addr).expect("connects");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .expect("a read timeout");
    stream
}

/// Reads until the server closes the connection: what it sent, or an error if it was still
/// open after the read timeout.
pub fn read_until_closed(stream: &mut TcpStream) -> Result<String, String> {
    let mut received = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return Ok(String::from_utf8_lossy(&received).into_owned()),
            Ok(n) => received.extend_from_slice(&buf[..n]),
            Err(e) if matches!(e.kind(), ErrorKind::ConnectionReset | ErrorKind::BrokenPipe) => {
                return Ok(String::from_utf8_lossy(&received).into_owned());
            }
            Err(e) => {
                return Err(format!(
                    "still open ({e}); received {:?}",
                    String::from_utf8_lossy(&received)
                ));
            }
        }
    }
}

/// The head of a signed POST of delivery `i` in `mode`, with `content_length` declared.
pub fn post_head(mode: Mode, i: usize, content_length: u64) -> String {
    let sealed = meeting_end(mode, i);
    let mut head = format!(
        "POST /hook HTTP/1.1\r\nhost: localhost\r\ncontent-length: {content_length}\r\ncontent-type: application/json\r\n"
    );
    for (name, value) in &sealed.header_map() {
        head.push_str(&format!(
            "{name}: {}\r\n",
            value.to_str().expect("ASCII header")
        ));
    }
    head.push_str("\r\n");
    head
}
