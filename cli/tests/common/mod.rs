//! What the CLI's process tests share: the binary with a clean environment, the simulator (in
//! this process, or as a `tencent-meeting sim` process driven through its admin API), signals,
//! temp dirs; the event receiver's in `receiver`.

#![allow(dead_code)] // each test binary uses its own part

pub mod receiver;
// The unit tests' helper, the same file.
#[path = "../../src/test_dir.rs"]
pub mod test_dir;

pub use test_dir::{TestDir, TestFile};

use std::io::{BufRead as _, BufReader, Write as _};
use std::path::PathBuf;
use std::process::{Child, Command as StdCommand, Output, Stdio};
use std::time::{Duration, Instant};

use assert_cmd::Command;
use serde_json::Value;
use tencent_meeting_sim::{
    DEMO_APP_ID, DEMO_SECRET_ID, DEMO_SECRET_KEY, Faults, MeetingSpec, MeetingView, Simulator,
    Stats,
};

pub const CREATOR: &str = "alice";

/// The environment variables the CLI reads.
const VARS: [&str; 8] = [
    "TENCENT_MEETING_APP_ID",
    "TENCENT_MEETING_SDK_ID",
    "TENCENT_MEETING_SECRET_ID",
    "TENCENT_MEETING_SECRET_KEY",
    "TENCENT_MEETING_ACCESS_TOKEN",
    "TENCENT_MEETING_OPEN_ID",
    "TENCENT_MEETING_BASE_URL",
    "RUST_LOG",
];

/// The CLI with none of its variables in its environment.
pub fn bare() -> Command {
    let mut cmd = Command::cargo_bin("tencent-meeting").expect("binary");
    for var in VARS {
        cmd.env_remove(var);
    }
    cmd
}

/// The CLI as a `std` command (to spawn, signal and kill), with the demo credentials for
/// `base_url`.
pub fn spawnable(base_url: &str) -> StdCommand {
    let mut cmd = StdCommand::new(assert_cmd::cargo::cargo_bin("tencent-meeting"));
    for var in VARS {
        cmd.env_remove(var);
    }
    cmd.env("TENCENT_MEETING_APP_ID", DEMO_APP_ID)
        .env("TENCENT_MEETING_SECRET_ID", DEMO_SECRET_ID)
        .env("TENCENT_MEETING_SECRET_KEY", DEMO_SECRET_KEY)
        .env("TENCENT_MEETING_BASE_URL", base_url);
    cmd
}

pub fn stdout_of(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr_of(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// The JSON lines of a run's stdout.
pub fn json_lines(output: &Output) -> Vec<Value> {
    stdout_of(output)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect()
}

/// The records (every line but the summary) and the summary of a batch's JSON output.
pub fn records_and_summary(output: &Output) -> (Vec<Value>, Value) {
    let mut lines = json_lines(output);
    let summary = lines.pop().expect("a summary line");
    assert!(
        summary.get("summary").is_some(),
        "the last line is the summary: {summary}"
    );
    assert!(lines.iter().all(|l| l.get("summary").is_none()));
    (lines, summary["summary"].clone())
}

/// The usual operator flags.
pub const IDENTITY: [&str; 6] = [
    "--userid",
    CREATOR,
    "--instance",
    "pc",
    "--reason-code",
    "1",
];

/// A simulator in this process, on its own runtime, so the test thread can block on the CLI.
pub struct Sim {
    sim: Option<Simulator>,
    runtime: tokio::runtime::Runtime,
}

impl Sim {
    pub fn start() -> Self {
        Self::with(Simulator::builder())
    }

    pub fn with(builder: tencent_meeting_sim::SimulatorBuilder) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let sim = runtime.block_on(builder.start()).expect("simulator");
        Self {
            sim: Some(sim),
            runtime,
        }
    }

    pub fn sim(&self) -> &Simulator {
        self.sim.as_ref().expect("running")
    }

    pub fn meeting(&self, spec: MeetingSpec) -> String {
        self.sim().create_meeting(spec).expect("meeting")
    }

    pub fn meetings(&self, n: usize) -> Vec<String> {
        (0..n)
            .map(|_| self.meeting(MeetingSpec::new(CREATOR)))
            .collect()
    }

    pub fn view(&self, id: &str) -> MeetingView {
        self.sim().meeting(id).expect("known meeting")
    }

    pub fn dismiss_count(&self, id: &str) -> u32 {
        self.view(id).dismiss_count
    }

    pub fn faults(&self, faults: Faults) {
        self.sim().set_faults(faults).expect("faults");
    }

    /// The CLI with enterprise demo credentials, pointed at this simulator.
    pub fn cli(&self) -> Command {
        let mut cmd = bare();
        cmd.env("TENCENT_MEETING_APP_ID", DEMO_APP_ID)
            .env("TENCENT_MEETING_SECRET_ID", DEMO_SECRET_ID)
            .env("TENCENT_MEETING_SECRET_KEY", DEMO_SECRET_KEY)
            .env("TENCENT_MEETING_BASE_URL", self.sim().base_url());
        cmd
    }

    pub fn spawnable(&self) -> StdCommand {
        spawnable(self.sim().base_url())
    }

    pub fn requests(&self) -> u64 {
        self.sim().stats().requests
    }

    pub fn stats(&self) -> Stats {
        self.sim().stats()
    }

    /// Runs a future on the simulator's runtime.
    pub fn block_on<F: std::future::Future>(&self, future: F) -> F::Output {
        self.runtime.block_on(future)
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        if let Some(sim) = self.sim.take() {
            self.runtime.block_on(sim.shutdown());
        }
    }
}

/// `tencent-meeting sim` as a process, driven through its admin API.
pub struct SimProcess {
    child: Child,
    pub base_url: String,
    runtime: tokio::runtime::Runtime,
    http: reqwest::Client,
}

impl SimProcess {
    /// Starts `tencent-meeting sim` with `args` and reads its base URL.
    pub fn start(args: &[&str]) -> Self {
        let mut child = StdCommand::new(assert_cmd::cargo::cargo_bin("tencent-meeting"))
            .args(["sim", "--addr", "127.0.0.1:0"])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("sim starts");
        let mut first = String::new();
        if let Some(stdout) = child.stdout.take() {
            let mut reader = BufReader::new(stdout);
            let _ = reader.read_line(&mut first);
            // Keep draining so the simulator never blocks on a full pipe.
            std::thread::spawn(move || {
                let mut sink = String::new();
                while reader.read_line(&mut sink).unwrap_or(0) > 0 {
                    sink.clear();
                }
            });
        }
        let base_url = first.trim().to_string();
        assert!(base_url.starts_with("http://127.0.0.1:"), "{base_url:?}");
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        Self {
            child,
            base_url,
            runtime,
            http: reqwest::Client::new(),
        }
    }

    fn admin(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let url = format!("{}/_sim/{path}", self.base_url);
        self.runtime.block_on(async {
            let mut request = self.http.request(method, &url);
            if let Some(body) = body {
                request = request.json(&body);
            }
            let response = request.send().await.expect("admin API answers");
            assert!(
                response.status().is_success(),
                "{url}: {}",
                response.status()
            );
            response.json::<Value>().await.expect("admin JSON")
        })
    }

    /// Creates `n` meetings of `creator`, in progress; their IDs.
    pub fn create(&self, n: usize) -> Vec<String> {
        let specs: Vec<Value> = (0..n)
            .map(|_| serde_json::json!({"creator_userid": CREATOR}))
            .collect();
        let created = self.admin(reqwest::Method::POST, "meetings", Some(Value::Array(specs)));
        created["meeting_ids"]
            .as_array()
            .expect("meeting_ids")
            .iter()
            .map(|v| v.as_str().expect("an ID").to_string())
            .collect()
    }

    pub fn meeting(&self, id: &str) -> MeetingView {
        serde_json::from_value(self.admin(reqwest::Method::GET, &format!("meetings/{id}"), None))
            .expect("a meeting")
    }

    pub fn stats(&self) -> Stats {
        serde_json::from_value(self.admin(reqwest::Method::GET, "stats", None)).expect("stats")
    }

    pub fn faults(&self, faults: &Faults) {
        let body = serde_json::to_value(faults).expect("faults JSON");
        self.admin(reqwest::Method::POST, "faults", Some(body));
    }

    pub fn cli(&self) -> StdCommand {
        spawnable(&self.base_url)
    }
}

impl Drop for SimProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Sends `signal` to the process `child`.
pub fn signal(child: &Child, signal: nix::sys::signal::Signal) {
    let pid = nix::unistd::Pid::from_raw(i32::try_from(child.id()).expect("a pid"));
    nix::sys::signal::kill(pid, signal).expect("signal sent");
}

/// Asserts, from the simulator's count of requests per window (`stats.admitted_by_window`),
/// that `requests` requests were counted and that a run paced to `per_window` a window kept up
/// with it: the lower median of the windows it filled in full (all but the first and last,
/// which the run only partly covers) got at least `per_window − 2`. Pacing is 2 % wider than
/// the quota, so a full window gets 19 or 20 of 20; a stall of a loaded machine can take some
/// from one window (the pacer does not catch up in a burst), not from most of them. What a
/// stopwatch would say instead depends on the machine's load. Returns the counts, to print.
pub fn assert_full_windows_keep_up(stats: &Stats, per_window: u64, requests: u64) -> Vec<u64> {
    let windows: Vec<u64> = stats.admitted_by_window.values().copied().collect();
    assert_eq!(
        windows.iter().sum::<u64>(),
        requests,
        "every request counted in a window: {windows:?}"
    );
    let mut full = windows
        .get(1..windows.len().saturating_sub(1))
        .unwrap_or_default()
        .to_vec();
    full.sort_unstable();
    assert!(full.len() >= 3, "the run spans five windows: {windows:?}");
    let median = full[(full.len() - 1) / 2];
    assert!(
        median + 2 >= per_window,
        "the full windows got {full:?} requests of the {per_window} allowed: the run does not keep up with the quota (all windows: {windows:?})"
    );
    windows
}

/// Waits until `condition` holds, polling; panics after `limit` (a bound on a hang, not a
/// timing assertion).
pub fn wait_until(limit: Duration, what: &str, mut condition: impl FnMut() -> bool) {
    let start = Instant::now();
    while !condition() {
        assert!(start.elapsed() < limit, "gave up waiting for {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// A file of meeting IDs, one per line.
pub fn id_file(dir: &std::path::Path, name: &str, ids: &[String]) -> PathBuf {
    let path = dir.join(name);
    let mut f = std::fs::File::create(&path).expect("file");
    for id in ids {
        writeln!(f, "{id}").expect("write");
    }
    path
}

/// A fresh directory under the system temp dir, removed when the test ends (kept when it fails).
pub fn tempdir() -> TestDir {
    TestDir::new("cli")
}
