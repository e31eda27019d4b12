//! Load test of `tencent-meeting events listen` with its durable store: events/s and latency
//! percentiles of signed, encrypted `meeting.end` deliveries over loopback, each answered only
//! after its line is fsynced. Figures go in BENCHMARKS.md; nothing here asserts a time.
//!
//! ```sh
//! cargo build --release -p tencent-meeting-cli --bin tencent-meeting --example events_load
//! target/release/examples/events_load --bin target/release/tencent-meeting \
//!     [--events 20000] [--concurrency 64] [--plain] [--store DIR] \
//!     [--flood N] [--flood-mode idle|header|body] [--nofile N] [--fresh-connections] \
//!     [--listen-arg ARG]…
//! ```
//!
//! The deliveries are sealed before the clock starts (sealing is the platform's cost, not the
//! receiver's). At the end, every delivery must have been answered 200 and stored exactly once.
//!
//! Under attack: `--flood N` opens N connections to the listener before the deliveries and
//! holds them idle to the end, opening a new one whenever the listener closes one (a
//! persistent attacker); `--flood-mode header` makes each send its request head a byte a
//! second, `body` a whole head declaring 1,000 bytes, then the body a byte a second; `--nofile N` starts the listener under `ulimit -n N`;
//! `--fresh-connections` sends each delivery on a new connection (as a sender that keeps none
//! open would, and the one that meets a full server); `--listen-arg` passes a flag to
//! `events listen` (e.g. `--listen-arg --header-timeout --listen-arg 120`).

use std::io::{BufRead as _, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use tencent_meeting::webhook::Webhook;
use tencent_meeting::webhook::sender::{MeetingEndNotice, SealedDelivery};

const TOKEN: &str = "Ab3dEf6hIj9kLm2nOp5qRs8tU";
const KEY: &str = "abcdefghijklmnopqrstuvwxyzABCDEFG1234567890";

struct Options {
    bin: PathBuf,
    events: usize,
    concurrency: usize,
    plain: bool,
    store: Option<PathBuf>,
    flood: usize,
    flood_mode: FloodMode,
    nofile: Option<u32>,
    fresh_connections: bool,
    listen_args: Vec<String>,
}

fn options() -> Result<Options, String> {
    let mut options = Options {
        bin: PathBuf::from("target/release/tencent-meeting"),
        events: 20_000,
        concurrency: 64,
        plain: false,
        store: None,
        flood: 0,
        flood_mode: FloodMode::Idle,
        nofile: None,
        fresh_connections: false,
        listen_args: Vec::new(),
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or(format!("{arg} needs a value"));
        match arg.as_str() {
            "--bin" => options.bin = PathBuf::from(value()?),
            "--events" => {
                options.events = value()?.parse().map_err(|e| format!("--events: {e}"))?
            }
            "--concurrency" => {
                options.concurrency = value()?
                    .parse()
                    .map_err(|e| format!("--concurrency: {e}"))?
            }
            "--store" => options.store = Some(PathBuf::from(value()?)),
            "--plain" => options.plain = true,
            "--flood" => options.flood = value()?.parse().map_err(|e| format!("--flood: {e}"))?,
            "--flood-mode" => {
                options.flood_mode = match value()?.as_str() {
                    "idle" => FloodMode::Idle,
                    "header" => FloodMode::Header,
                    "body" => FloodMode::Body,
                    other => {
                        return Err(format!("--flood-mode: idle, header or body, not {other}"));
                    }
                }
            }
            "--nofile" => {
                options.nofile = Some(value()?.parse().map_err(|e| format!("--nofile: {e}"))?)
            }
            "--fresh-connections" => options.fresh_connections = true,
            "--listen-arg" => options.listen_args.push(value()?),
            other => return Err(format!("unknown argument {other}")),
        }
    }
    if options.events == 0 || options.concurrency == 0 {
        return Err("--events and --concurrency must be positive".into());
    }
    Ok(options)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let options = options()?;
    let dir = options.store.clone().unwrap_or_else(|| {
        std::env::temp_dir().join(format!("events-load-{}", std::process::id()))
    });
    std::fs::create_dir_all(&dir)?;
    let store = dir.join("events.jsonl");
    // The store and its segments (`events.jsonl.N`) from an earlier run.
    for file in segment_files(&dir)? {
        std::fs::remove_file(file)?;
    }

    let mut command = match options.nofile {
        Some(limit) => {
            let mut sh = Command::new("sh");
            sh.arg("-c")
                .arg(format!("ulimit -n {limit} && exec \"$0\" \"$@\""))
                .arg(&options.bin);
            sh
        }
        None => Command::new(&options.bin),
    };
    let mut listener = command
        .args(["events", "listen", "--addr", "127.0.0.1:0", "--store"])
        .arg(&store)
        .args(&options.listen_args)
        .env("TENCENT_MEETING_WEBHOOK_TOKEN", TOKEN)
        .env(
            "TENCENT_MEETING_WEBHOOK_AES_KEY",
            if options.plain { "" } else { KEY },
        )
        .env_remove("RUST_LOG")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| {
            format!(
                "{}: {e} (build it with cargo build --release)",
                options.bin.display()
            )
        })?;
    let mut banner = String::new();
    if let Some(stderr) = listener.stderr.take() {
        let mut stderr = BufReader::new(stderr);
        stderr.read_line(&mut banner)?;
        std::thread::spawn(move || std::io::copy(&mut stderr, &mut std::io::sink()));
    }
    let url = banner
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .ok_or(format!("no URL in {banner:?}"))?
        .to_string();

    // Held idle to the end: the listener must serve the deliveries around them.
    let addr = url
        .trim_start_matches("http://")
        .split('/')
        .next()
        .unwrap_or_default()
        .to_string();
    let flood = Flood::start(&addr, options.flood, options.flood_mode)?;

    let webhook = Webhook::new(TOKEN, (!options.plain).then_some(KEY))?;
    let deliveries: Arc<Vec<SealedDelivery>> = Arc::new(
        (0..options.events)
            .map(|i| {
                let mut notice = MeetingEndNotice::new(
                    format!("load-{i}"),
                    format!("{}", 10_000_000_000_000_000_000u128 + i as u128),
                    1_700_000_000_000 + i as i64,
                );
                notice.meeting_code = Some(format!("{:09}", i));
                notice.subject = Some("Load test meeting".into());
                notice.operator_userid = Some("alice".into());
                notice.operator_instance_id = Some("1".into());
                webhook.seal_event(&notice.to_json(), "1700000000123", &i.to_string())
            })
            .collect(),
    );

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let (elapsed, mut latencies, failures) = runtime.block_on(async {
        let http = reqwest::Client::builder()
            .pool_max_idle_per_host(if options.fresh_connections {
                0
            } else {
                options.concurrency
            })
            .build()?;
        let next = Arc::new(AtomicUsize::new(0));
        let failures = Arc::new(AtomicUsize::new(0));
        let started = Instant::now();
        let mut tasks = Vec::new();
        for _ in 0..options.concurrency {
            let (http, url, next, failures, deliveries) = (
                http.clone(),
                url.clone(),
                Arc::clone(&next),
                Arc::clone(&failures),
                Arc::clone(&deliveries),
            );
            tasks.push(tokio::spawn(async move {
                let mut latencies = Vec::new();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(sealed) = deliveries.get(i) else {
                        break;
                    };
                    let sent = Instant::now();
                    let status = http
                        .post(&url)
                        .headers(sealed.header_map())
                        .header("content-type", "application/json")
                        .body(sealed.body.clone())
                        .send()
                        .await
                        .map(|r| r.status().as_u16());
                    latencies.push(sent.elapsed());
                    if status.ok() != Some(200) {
                        failures.fetch_add(1, Ordering::Relaxed);
                    }
                }
                latencies
            }));
        }
        let mut latencies = Vec::with_capacity(options.events);
        for task in tasks {
            latencies.extend(task.await?);
        }
        let elapsed = started.elapsed();
        Ok::<_, Box<dyn std::error::Error>>((elapsed, latencies, failures.load(Ordering::Relaxed)))
    })?;
    let _ = listener.kill();
    let _ = listener.wait();
    let (flooded, reopened) = (options.flood, flood.stop());

    let mut stored = 0;
    let segments = segment_files(&dir)?;
    for file in &segments {
        stored += std::fs::read_to_string(file)?.lines().count();
    }
    let bytes: u64 = segments
        .iter()
        .map(|f| std::fs::metadata(f).map(|m| m.len()))
        .sum::<std::io::Result<u64>>()?;
    println!("store: {} segments, {bytes} bytes", segments.len());
    latencies.sort_unstable();
    let at = |q: f64| latencies[((latencies.len() - 1) as f64 * q) as usize];
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "{} events, concurrency {}, {} mode, store {}",
        options.events,
        options.concurrency,
        if options.plain { "plain" } else { "AES" },
        store.display()
    );
    if flooded > 0 || options.nofile.is_some() || options.fresh_connections {
        println!(
            "flood: {flooded} {:?} connections held (reopened {reopened} times when closed); listener ulimit -n {}; {}",
            options.flood_mode,
            options
                .nofile
                .map_or_else(|| "unchanged".to_string(), |n| n.to_string()),
            if options.fresh_connections {
                "a new connection per delivery"
            } else {
                "connections reused"
            }
        );
    }
    println!(
        "events/s: {:.0}   latency p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms   failures: {failures}   stored lines: {stored}",
        options.events as f64 / elapsed.as_secs_f64(),
        ms(at(0.50)),
        ms(at(0.99)),
        ms(at(1.0)),
    );
    if failures > 0 || stored != options.events {
        return Err(format!(
            "expected {} deliveries answered 200 and stored once; {failures} failed, {stored} stored",
            options.events
        )
        .into());
    }
    if options.store.is_none() {
        let _ = std::fs::remove_dir_all(&dir);
    }
    Ok(())
}

/// What each flood connection does.
#[derive(Debug, Clone, Copy)]
enum FloodMode {
    /// Nothing.
    Idle,
    /// Its request head, a byte a second.
    Header,
    /// A whole head declaring 1,000 bytes at once, then the body a byte a second.
    Body,
}

const SLOW_HEAD: &[u8] = b"POST / HTTP/1.1\r\nhost: x\r\ncontent-length: 1000\r\nx-padding: ";

/// N connections, kept at N by a thread that replaces each one the listener closes, and
/// sends each its byte a second.
struct Flood {
    stop: Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<usize>>,
}

impl Flood {
    fn start(addr: &str, n: usize, mode: FloodMode) -> std::io::Result<Self> {
        let mut held = Vec::with_capacity(n);
        for _ in 0..n {
            held.push(open_flood(addr, mode)?);
        }
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (addr, stopping) = (addr.to_string(), Arc::clone(&stop));
        let thread = (n > 0).then(|| {
            std::thread::spawn(move || {
                let mut reopened = 0;
                let mut last_byte = Instant::now();
                while !stopping.load(Ordering::Relaxed) {
                    let byte_due = last_byte.elapsed() >= Duration::from_secs(1);
                    if byte_due {
                        last_byte = Instant::now();
                    }
                    for (stream, sent) in &mut held {
                        let mut byte = [0u8; 1];
                        let mut closed = match std::io::Read::read(stream, &mut byte) {
                            Ok(0) => true,
                            Err(e) => e.kind() != std::io::ErrorKind::WouldBlock,
                            Ok(_) => false,
                        };
                        if byte_due && !closed {
                            let next = match mode {
                                FloodMode::Idle => None,
                                FloodMode::Header => Some(SLOW_HEAD[*sent % SLOW_HEAD.len()]),
                                FloodMode::Body => Some(b'x'),
                            };
                            if let Some(next) = next {
                                closed = std::io::Write::write(stream, &[next]).is_err();
                                *sent += 1;
                            }
                        }
                        if closed && let Ok(fresh) = open_flood(&addr, mode) {
                            *stream = fresh.0;
                            *sent = fresh.1;
                            reopened += 1;
                        }
                    }
                    std::thread::sleep(Duration::from_millis(5));
                }
                reopened
            })
        });
        Ok(Self { stop, thread })
    }

    /// Stops and closes the flood; how many connections it had to reopen.
    fn stop(self) -> usize {
        self.stop.store(true, Ordering::Relaxed);
        self.thread.and_then(|t| t.join().ok()).unwrap_or(0)
    }
}

/// A flood connection, and how many of its slow bytes it has sent.
fn open_flood(addr: &str, mode: FloodMode) -> std::io::Result<(std::net::TcpStream, usize)> {
    let mut stream = std::net::TcpStream::connect(addr)?;
    if let FloodMode::Body = mode {
        std::io::Write::write_all(&mut stream, SLOW_HEAD)?;
        std::io::Write::write_all(&mut stream, b"1\r\n\r\n")?;
    }
    stream.set_nonblocking(true)?;
    Ok((stream, 0))
}

/// The store's files in `dir`: `events.jsonl` and its segments `events.jsonl.N`.
fn segment_files(dir: &std::path::Path) -> std::io::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        let segment = name == "events.jsonl"
            || name
                .strip_prefix("events.jsonl.")
                .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
        if segment {
            files.push(path);
        }
    }
    Ok(files)
}
