//! `cargo xtask loadtest --batch-rss`: the peak resident memory of the CLI dismissing a large
//! batch (`tencent-meeting dismiss --from ids.txt`), against `tencent-meeting sim` seeded with
//! as many meetings, both release builds on 127.0.0.1.
//!
//! The peak is the kernel's own high-water mark of the CLI process, read two ways:
//! - GNU time's `%M` (`/usr/bin/time`, Debian package `time`), when it is installed: `time`
//!   forks the CLI from its own small process and reports its `ru_maxrss`. (Our own `wait4`
//!   could not: Linux carries the RSS of the process that spawned a child over into the child's
//!   `ru_maxrss` at exec, and this process is larger than the figure measured.)
//! - `VmHWM` from `/proc/PID/status`, read every 5 ms while the CLI runs; it can miss only
//!   growth in the last few milliseconds before exit.

use std::fs;
use std::io::{BufRead as _, BufReader, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, bail, ensure};

use crate::workspace_root;

/// The longest the batch may run before it is stopped (it takes seconds).
const BATCH_DEADLINE: Duration = Duration::from_secs(600);
/// How often `/proc/PID/status` is read while the batch runs.
const POLL: Duration = Duration::from_millis(5);
/// GNU time, which reports the peak RSS of the command it runs.
const GNU_TIME: &str = "/usr/bin/time";
/// The first meeting ID of the batch; the others follow it (19 digits, as real IDs have).
const FIRST_ID: u64 = 7_000_000_000_000_000_000;

/// What to measure.
pub struct BatchArgs {
    pub size: usize,
    pub concurrency: u32,
    pub max_rss_mb: f64,
}

pub fn run(args: &BatchArgs) -> Result<ExitCode> {
    let bin = build_cli()?;
    let dir =
        std::env::temp_dir().join(format!("tencent-meeting-batch-rss-{}", std::process::id()));
    fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let result = measure(&bin, &dir, args);
    let _ = fs::remove_dir_all(&dir);
    result
}

/// Builds the CLI in release and returns the path of its binary.
fn build_cli() -> Result<PathBuf> {
    eprintln!("building tencent-meeting (release)...");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| env!("CARGO").into());
    let output = Command::new(cargo)
        .current_dir(workspace_root())
        .args([
            "build",
            "--release",
            "--package",
            "tencent-meeting-cli",
            "--bin",
            "tencent-meeting",
            "--message-format=json-render-diagnostics",
        ])
        .stderr(Stdio::inherit())
        .output()
        .context("running cargo build")?;
    ensure!(output.status.success(), "cargo build failed");
    for line in output.stdout.split(|&b| b == b'\n') {
        let Ok(message) = serde_json::from_slice::<serde_json::Value>(line) else {
            continue;
        };
        if message["reason"] == "compiler-artifact"
            && message["target"]["name"] == "tencent-meeting"
            && let Some(path) = message["executable"].as_str()
        {
            return Ok(PathBuf::from(path));
        }
    }
    bail!("cargo build did not report the tencent-meeting executable")
}

fn measure(bin: &Path, dir: &Path, args: &BatchArgs) -> Result<ExitCode> {
    // The seed (the simulator's meetings) and the ID list (the CLI's input), written streaming.
    let seed_path = dir.join("seed.json");
    let ids_path = dir.join("ids.txt");
    {
        let mut seed = std::io::BufWriter::new(fs::File::create(&seed_path)?);
        let mut ids = std::io::BufWriter::new(fs::File::create(&ids_path)?);
        seed.write_all(b"[")?;
        for i in 0..args.size as u64 {
            let id = FIRST_ID + i;
            let comma = if i == 0 { "" } else { "," };
            write!(
                seed,
                "{comma}{{\"meeting_id\":\"{id}\",\"creator_userid\":\"alice\"}}"
            )?;
            writeln!(ids, "{id}")?;
        }
        seed.write_all(b"]")?;
        seed.flush()?;
        ids.flush()?;
    }

    eprintln!(
        "starting tencent-meeting sim with {} meetings...",
        args.size
    );
    let mut sim = Command::new(bin)
        .args(["sim", "--addr", "127.0.0.1:0", "--seed"])
        .arg(&seed_path)
        // The batch sends far more than the service's 300 a minute, on purpose.
        .args(["--rate-limit", "off", "--daily-limit", "off"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .context("starting tencent-meeting sim")?;
    let outcome = (|| {
        let stdout = sim.stdout.take().context("the simulator's stdout")?;
        let (tx, rx) = mpsc::channel();
        // The first line is the base URL; the rest is drained so the pipe never fills.
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            if let Some(Ok(first)) = lines.next() {
                let _ = tx.send(first);
            }
            for _ in lines {}
        });
        let base_url = rx
            .recv_timeout(Duration::from_secs(120))
            .context("tencent-meeting sim printed no base URL")?;
        ensure!(
            base_url.starts_with("http://127.0.0.1:"),
            "unexpected first line from the simulator: {base_url:?}"
        );
        run_batch(bin, &ids_path, &base_url, args)
    })();
    // Our own child, by its handle.
    let _ = sim.kill();
    let _ = sim.wait();
    outcome
}

fn run_batch(bin: &Path, ids: &Path, base_url: &str, args: &BatchArgs) -> Result<ExitCode> {
    let command_line = format!(
        "tencent-meeting dismiss --from ids.txt --userid alice --instance pc --reason-code 1 --concurrency {} --rate-limit 0 --output json --base-url {base_url} > /dev/null",
        args.concurrency
    );
    eprintln!("running: {command_line}");
    let time_out = ids.with_file_name("time.txt");
    let gnu_time = Path::new(GNU_TIME).exists();
    let mut command = if gnu_time {
        let mut c = Command::new(GNU_TIME);
        c.args(["-f", "%M", "-o"]).arg(&time_out).arg(bin);
        c
    } else {
        Command::new(bin)
    };
    command
        .args(["dismiss", "--from"])
        .arg(ids)
        .args([
            "--userid",
            "alice",
            "--instance",
            "pc",
            "--reason-code",
            "1",
            "--concurrency",
            &args.concurrency.to_string(),
            "--rate-limit",
            "0",
            "--output",
            "json",
            "--base-url",
            base_url,
        ])
        .env("TENCENT_MEETING_APP_ID", tencent_meeting_sim::DEMO_APP_ID)
        .env(
            "TENCENT_MEETING_SECRET_ID",
            tencent_meeting_sim::DEMO_SECRET_ID,
        )
        .env(
            "TENCENT_MEETING_SECRET_KEY",
            tencent_meeting_sim::DEMO_SECRET_KEY,
        )
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let started = Instant::now();
    let mut child = command
        .spawn()
        .context("starting tencent-meeting dismiss")?;
    let stderr = child.stderr.take().context("the CLI's stderr")?;
    let stderr_lines = std::thread::spawn(move || {
        BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
            .collect::<Vec<_>>()
    });
    // Under GNU time the CLI is time's child; its pid is read once it exists.
    let mut cli_pid = (!gnu_time).then_some(child.id());
    let mut vm_hwm_kib = 0u64;
    let status = loop {
        if cli_pid.is_none() {
            cli_pid = first_child(child.id());
        }
        if let Some(hwm) = cli_pid.and_then(vm_hwm) {
            vm_hwm_kib = vm_hwm_kib.max(hwm);
        }
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if started.elapsed() > BATCH_DEADLINE {
            // The CLI (GNU time's child, when under it) by its pid, then our own child.
            if let Some(pid) = cli_pid.filter(|&p| p != child.id()) {
                let _ = Command::new("kill").arg(pid.to_string()).status();
            }
            let _ = child.kill();
            let _ = child.wait();
            bail!("the batch ran longer than {BATCH_DEADLINE:?}; stopped");
        }
        std::thread::sleep(POLL);
    };
    let elapsed = started.elapsed();
    let stderr = stderr_lines.join().unwrap_or_default();
    let summary = stderr
        .iter()
        .rev()
        .find(|l| l.starts_with("summary:"))
        .cloned()
        .unwrap_or_else(|| "(no summary line)".to_string());
    let sim_stats = fetch_stats(base_url)?;
    let dismissals = sim_stats["dismissals"].as_u64().unwrap_or(0);
    let errors = &sim_stats["errors_by_code"];

    // The CLI's line of stderr may be followed by GNU time's own complaint on failure.
    let time_kib: Option<u64> = fs::read_to_string(&time_out)
        .ok()
        .and_then(|t| t.lines().last().and_then(|l| l.trim().parse().ok()));
    let mib = |kib: u64| kib as f64 / 1024.0;
    let mb = |kib: u64| kib as f64 * 1024.0 / 1e6;
    println!("command:    {command_line}");
    println!("exit:       {status}; CLI says: {summary}");
    println!(
        "simulator:  {dismissals} dismissals, errors by code {errors}; {} ids in {:.1} s ({:.0}/s)",
        args.size,
        elapsed.as_secs_f64(),
        args.size as f64 / elapsed.as_secs_f64()
    );
    let peak_kib = match time_kib {
        Some(kib) => {
            println!(
                "peak RSS:   {:.1} MiB ({:.1} MB) by GNU time %M (ru_maxrss); VmHWM polled every {POLL:?}: {:.1} MiB",
                mib(kib),
                mb(kib),
                mib(vm_hwm_kib)
            );
            kib.max(vm_hwm_kib)
        }
        None => {
            println!(
                "peak RSS:   {:.1} MiB ({:.1} MB) by VmHWM polled every {POLL:?} (install GNU time, `apt-get install time`, for its %M as well)",
                mib(vm_hwm_kib),
                mb(vm_hwm_kib)
            );
            vm_hwm_kib
        }
    };
    let ok = status.success() && dismissals == args.size as u64;
    let under = mb(peak_kib) < args.max_rss_mb;
    println!(
        "batch RSS: {:.1} MB {} {:.0} MB{}",
        mb(peak_kib),
        if under { "<" } else { ">=" },
        args.max_rss_mb,
        if ok {
            ""
        } else {
            " (but the batch did not fully succeed)"
        }
    );
    Ok(if ok && under {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// `VmHWM` of `pid`, in KiB, while it runs.
fn vm_hwm(pid: u32) -> Option<u64> {
    let status = fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()
}

/// The first child of `pid` (the CLI under GNU time), once it has one.
fn first_child(pid: u32) -> Option<u32> {
    fs::read_to_string(format!("/proc/{pid}/task/{pid}/children"))
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// The simulator's `GET /_sim/stats`.
fn fetch_stats(base_url: &str) -> Result<serde_json::Value> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let response = reqwest::Client::new()
            .get(format!("{base_url}/_sim/stats"))
            .timeout(Duration::from_secs(10))
            .send()
            .await
            .context("GET /_sim/stats")?;
        response
            .json::<serde_json::Value>()
            .await
            .context("reading /_sim/stats")
    })
}
