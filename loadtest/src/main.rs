//! The load test (`cargo xtask loadtest` runs it): the wrapper's throughput against a raw `reqwest` baseline, both
//! dismissing meetings on an in-process simulator on 127.0.0.1; and, with `--batch-rss`, the
//! CLI's peak memory on a large batch.
//!
//! Throughput, per round and side: seed N fresh meetings, dismiss them with C calls in flight
//! (C tasks, each taking the next meeting), and record requests/s, the latency of each call,
//! errors, and the CPU time of the simulator's threads and of the clients' threads. Rounds
//! alternate the order of the two sides (wrapper first, then raw first, ...) and the ratio
//! printed last is the median of the rounds' ratios. Before measuring, each side dismisses its
//! own warm-up meetings, and the raw request is checked to be byte for byte the wrapper's.
//! After every run each of its meetings must have ended exactly once.
//!
//! Always measured in release: `cargo xtask loadtest` runs
//! `cargo run --release -p tencent-meeting-loadtest -- ARGS`, and a debug build refuses to measure.
//! It lives beside what it measures, apart from `xtask`, so that the developer tools build
//! without the runtime crates they regenerate.

mod batch_rss;
mod cpu;
// The guard's driver's third client, compiled here from the same file (`--compare generated`).
#[path = "../../perf/src/generated_client.rs"]
mod generated_client;
mod raw;
mod raw_client;

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, bail};
use tencent_meeting::{Client, Credentials, DismissMeeting, Error, Instance, Operator};
use tencent_meeting_sim::{MeetingSpec, RateLimits, Simulator};

use generated_client::GeneratedClient;
use raw_client::{RawClient, RawOutcome};

/// The creator of every meeting and the operator of every dismiss.
const OPERATOR: &str = "alice";

/// `cargo xtask loadtest` (or `cargo run --release -p tencent-meeting-loadtest --`).
#[derive(clap::Parser, Debug)]
#[command(
    name = "cargo xtask loadtest",
    about = "Throughput of the wrapper against a raw reqwest baseline on an in-process simulator, or with --batch-rss the CLI's peak RSS on a large batch"
)]
pub struct LoadtestArgs {
    /// Dismisses per side and round (each on its own meeting).
    #[arg(long, default_value_t = 20_000)]
    requests: usize,
    /// Calls in flight at once, the same for both sides.
    #[arg(long, default_value_t = 64)]
    concurrency: usize,
    /// Warm-up dismisses per side before measuring (on meetings of their own).
    #[arg(long, default_value_t = 500)]
    warmup: usize,
    /// Rounds of (wrapper, raw), alternating which goes first; the ratio is their median.
    #[arg(long, default_value_t = 5)]
    rounds: usize,
    /// Before each measured run, wait up to this many seconds for the rest of the machine to
    /// be quiet (other processes below a quarter of a core), as builds running beside the load
    /// test take cores from it. 0: do not wait.
    #[arg(long, default_value_t = 10)]
    quiet_wait: u64,
    /// Worker threads of the clients' tokio runtime.
    #[arg(long, default_value_t = 2)]
    client_threads: usize,
    /// Worker threads of the simulator's tokio runtime (same process).
    #[arg(long, default_value_t = 2)]
    sim_threads: usize,
    /// Alternate the sides in chunks of this many dismisses within a round (0: whole runs).
    #[arg(long, default_value_t = 2_000)]
    chunk: usize,
    /// Measure one side only (e.g. under `perf record`); no ratio is printed.
    #[arg(long, value_enum)]
    only: Option<Side>,
    /// The side measured against raw: the wrapper, or (a diagnostic) the generated client alone,
    /// signed by the raw client's code, to tell the wrapper's own cost from the generated
    /// client's.
    #[arg(long, value_enum, default_value = "wrapper")]
    compare: Side,
    /// Exit with failure when the ratio is below this.
    #[arg(long)]
    min_ratio: Option<f64>,
    /// Instead: measure the CLI's peak RSS dismissing a batch (`tencent-meeting dismiss --from`)
    /// against `tencent-meeting sim`, both release builds.
    #[arg(long)]
    batch_rss: bool,
    /// With --batch-rss: how many meeting IDs.
    #[arg(long, default_value_t = 100_000)]
    batch_size: usize,
    /// With --batch-rss: the CLI's --concurrency.
    #[arg(long, default_value_t = 64)]
    batch_concurrency: u32,
    /// With --batch-rss: fail when the peak RSS is at or above this many MB (10^6 bytes).
    #[arg(long, default_value_t = 50.0)]
    max_rss_mb: f64,
    /// Run in this build even if it is a debug build (for checking the tool; the figures of a
    /// debug build mean nothing).
    #[arg(long, hide = true)]
    no_release: bool,
}

fn main() -> ExitCode {
    let args = <LoadtestArgs as clap::Parser>::parse();
    match run(args) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: LoadtestArgs) -> Result<ExitCode> {
    if cfg!(debug_assertions) && !args.no_release {
        bail!(
            "this is a debug build, whose figures mean nothing: run `cargo xtask loadtest` (it builds in release)"
        );
    }
    if args.batch_rss {
        return batch_rss::run(&batch_rss::BatchArgs {
            size: args.batch_size,
            concurrency: args.batch_concurrency,
            max_rss_mb: args.max_rss_mb,
        });
    }
    if args.requests == 0 || args.concurrency == 0 || args.rounds == 0 {
        bail!("--requests, --concurrency and --rounds must be at least 1");
    }
    throughput(&args)
}

/// The workspace root (the parent of `loadtest/`), where `--batch-rss` builds the CLI.
fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("."))
}

/// The dismiss call both the measurement and the checks make.
fn dismiss_call(client: &Client, meeting_id: &str) -> DismissMeeting {
    client
        .dismiss_meeting(meeting_id)
        .operator(Operator::user_id(OPERATOR))
        .instance(Instance::Pc)
        .reason_code(1)
}

/// Who sends the dismisses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Side {
    /// `tencent_meeting::Client`.
    Wrapper,
    /// A hand-made `reqwest` request signed with `signing::sign`.
    Raw,
    /// The generated client alone, signed in its request hook by the raw client's code.
    Generated,
}

impl Side {
    fn name(self) -> &'static str {
        match self {
            Side::Wrapper => "wrapper",
            Side::Raw => "raw",
            Side::Generated => "generated",
        }
    }

    /// The side in a sentence.
    fn in_prose(self) -> &'static str {
        match self {
            Side::Wrapper => "the wrapper",
            Side::Raw => "raw",
            Side::Generated => "the generated client alone",
        }
    }
}

/// One side's measured run.
#[derive(Debug, Clone)]
struct RunResult {
    side: Side,
    requests: usize,
    elapsed: Duration,
    /// Per-call latency (sorted once the run is complete).
    latencies: Vec<Duration>,
    /// Failed calls, as "kind: count".
    errors: Vec<(String, usize)>,
    /// Wrapper calls that needed more than one attempt.
    retried: usize,
    cpu: cpu::Window,
    /// Meetings of the run not ended exactly once: (never dismissed, dismissed more than once).
    not_once: (usize, usize),
}

impl RunResult {
    fn new(side: Side) -> Self {
        Self {
            side,
            requests: 0,
            elapsed: Duration::ZERO,
            latencies: Vec::new(),
            errors: Vec::new(),
            retried: 0,
            cpu: cpu::Window::default(),
            not_once: (0, 0),
        }
    }

    /// Counts the meetings of `ids` that did not end exactly once.
    fn check_exactly_once(&mut self, sim: &Simulator, ids: &[String]) {
        for id in ids {
            match sim.meeting(id).map(|m| m.dismiss_count) {
                Some(1) => {}
                Some(0) | None => self.not_once.0 += 1,
                Some(_) => self.not_once.1 += 1,
            }
        }
    }

    fn rps(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64()
    }

    fn error_count(&self) -> usize {
        self.errors.iter().map(|(_, n)| n).sum()
    }

    fn percentile(&self, p: f64) -> Duration {
        if self.latencies.is_empty() {
            return Duration::ZERO;
        }
        let rank = (p * (self.latencies.len() - 1) as f64).round() as usize;
        self.latencies[rank.min(self.latencies.len() - 1)]
    }

    fn per_request(&self, d: Duration) -> f64 {
        d.as_secs_f64() * 1e6 / self.requests as f64
    }

    fn line(&self) -> String {
        let errors = if self.errors.is_empty() {
            "0 errors".to_string()
        } else {
            let kinds: Vec<String> = self
                .errors
                .iter()
                .map(|(k, n)| format!("{k} {n}"))
                .collect();
            format!("{} errors ({})", self.error_count(), kinds.join(", "))
        };
        let not_once = match self.not_once {
            (0, 0) => String::new(),
            (never, twice) => format!(", NOT EXACTLY ONCE: {never} never, {twice} twice"),
        };
        format!(
            "{:<7} {:>7.0} req/s  p50 {:>6.2} ms  p99 {:>6.2} ms  {errors}{}{not_once}; CPU/request: clients {:>5.1} µs, simulator {:>5.1} µs, other {:>4.1} µs; this process kept {:.0} % of {} cores busy, other processes {:.0} %",
            self.side.name(),
            self.rps(),
            ms(self.percentile(0.50)),
            ms(self.percentile(0.99)),
            if self.retried > 0 {
                format!(", {} retried", self.retried)
            } else {
                String::new()
            },
            self.per_request(self.cpu.own.client),
            self.per_request(self.cpu.own.sim),
            self.per_request(self.cpu.own.other),
            100.0 * self.cpu.own.total().as_secs_f64()
                / self.elapsed.as_secs_f64()
                / cores() as f64,
            cores(),
            100.0 * self.cpu.others.as_secs_f64() / self.elapsed.as_secs_f64() / cores() as f64,
        )
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// What a call came back as, for the error tally.
enum Outcome {
    Ok { attempts: u32 },
    Failed(String),
}

fn throughput(args: &LoadtestArgs) -> Result<ExitCode> {
    if args.compare == Side::Raw {
        bail!("--compare takes wrapper or generated: raw is what they are measured against");
    }
    // Two runtimes in one process, with named threads, so the CPU time each spends can be told
    // apart: the simulator's and the clients'.
    let sim_runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(args.sim_threads.max(1))
        .thread_name(cpu::SIM_THREADS)
        .enable_all()
        .build()?;
    let client_runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(args.client_threads.max(1))
        .thread_name(cpu::CLIENT_THREADS)
        .enable_all()
        .build()?;
    // Far beyond the service's 300 requests a minute, on purpose.
    let sim = sim_runtime.block_on(
        Simulator::builder()
            .rate_limits(RateLimits::unlimited())
            .start(),
    )?;
    let creds = sim.credentials().clone();
    let wrapper = Client::builder()
        .base_url(sim.base_url())
        .credentials(Credentials::enterprise(
            &creds.app_id,
            &creds.secret_id,
            &creds.secret_key,
        )?)
        .build()?;
    let raw = Arc::new(raw::raw_client(sim.base_url(), &creds)?);
    let generated = Arc::new(
        GeneratedClient::new(
            sim.base_url(),
            &creds.app_id,
            &creds.secret_id,
            &creds.secret_key,
        )
        .map_err(anyhow::Error::msg)?,
    );
    let clients = Clients {
        runtime: &client_runtime,
        wrapper: &wrapper,
        raw: &raw,
        generated: &generated,
        concurrency: args.concurrency,
    };
    let compared = args.compare;
    let sides: Vec<Side> = match args.only {
        Some(side) => vec![side],
        None => vec![compared, Side::Raw],
    };
    let chunk = if args.chunk == 0 {
        args.requests
    } else {
        args.chunk.min(args.requests)
    };

    println!("{}", machine());
    println!(
        "setup: {}; N = {} per side and round, C = {}, {} round(s) alternating in chunks of {chunk}, warm-up {} per side; simulator in this process on its own tokio runtime ({} threads), clients on another ({} threads); 127.0.0.1, HTTP/1.1 keep-alive",
        if cfg!(debug_assertions) {
            "DEBUG build (--no-release: these figures mean nothing)"
        } else {
            "release build"
        },
        args.requests,
        args.concurrency,
        args.rounds,
        args.warmup,
        args.sim_threads,
        args.client_threads
    );
    let check_id = seed(&sim, 1)?.remove(0);
    let same = client_runtime.block_on(raw::check_same_request(&wrapper, &creds, &check_id))?;
    println!("{same}");
    if compared == Side::Generated {
        let wrapper_body = client_runtime
            .block_on(dismiss_call(&wrapper, &check_id).prepare())?
            .body;
        let generated_body = GeneratedClient::body(OPERATOR).map_err(anyhow::Error::msg)?;
        if generated_body != wrapper_body {
            bail!(
                "the generated client's body {:?} is not the wrapper's {:?}",
                String::from_utf8_lossy(&generated_body),
                String::from_utf8_lossy(&wrapper_body)
            );
        }
        println!(
            "compared: the generated client alone, signed as raw signs; its body is the wrapper's"
        );
    }

    let mut all_ids = Vec::new();
    for &side in &sides {
        if args.warmup > 0 {
            let ids = seed(&sim, args.warmup)?;
            let mut warm = RunResult::new(side);
            clients.run(side, &ids, &mut warm)?;
            println!(
                "warm-up {:<7} {} calls, {} errors",
                side.name(),
                warm.requests,
                warm.error_count()
            );
            all_ids.extend(ids);
        }
    }

    let mut rounds: Vec<Vec<RunResult>> = Vec::new();
    for round in 0..args.rounds {
        // Which side goes first alternates from round to round; within a round the sides take
        // turns chunk by chunk, so a slow spell of the machine falls on both alike.
        let mut order = sides.clone();
        if round % 2 == 1 {
            order.reverse();
        }
        let ids: Vec<Vec<String>> = order
            .iter()
            .map(|_| seed(&sim, args.requests))
            .collect::<Result<_>>()?;
        let mut results: Vec<RunResult> = order.iter().map(|&side| RunResult::new(side)).collect();
        wait_for_quiet(Duration::from_secs(args.quiet_wait));
        let mut from = 0;
        while from < args.requests {
            let to = (from + chunk).min(args.requests);
            for (i, &side) in order.iter().enumerate() {
                clients.run(side, &ids[i][from..to], &mut results[i])?;
            }
            from = to;
        }
        for (i, result) in results.iter_mut().enumerate() {
            result.check_exactly_once(&sim, &ids[i]);
            result.latencies.sort_unstable();
            println!("round {} {}", round + 1, result.line());
        }
        all_ids.extend(ids.into_iter().flatten());
        results.sort_by_key(|r| r.side == Side::Raw);
        rounds.push(results);
    }

    // Exactly once, over every meeting of every run (warm-ups included), and the simulator's
    // own account of authentication errors.
    let (mut never, mut twice) = (0usize, 0usize);
    for id in &all_ids {
        match sim.meeting(id).map(|m| m.dismiss_count) {
            Some(1) => {}
            Some(0) | None => never += 1,
            Some(_) => twice += 1,
        }
    }
    let stats = sim.stats();
    let auth_errors: u64 = [190301, 200003]
        .iter()
        .filter_map(|c| stats.errors_by_code.get(c))
        .sum();
    let exactly_once = never == 0 && twice == 0 && auth_errors == 0;
    println!(
        "exactly once: {} meetings, {} ended exactly once, {never} never, {twice} more than once; simulator: {} dismiss requests, {} dismissals, errors by code {:?} ({} replay 190301 / signature 200003)",
        all_ids.len(),
        all_ids.len() - never - twice,
        stats.dismiss_requests,
        stats.dismissals,
        stats.errors_by_code,
        auth_errors
    );

    let ratio = summarise(&rounds, compared);
    // Keep the simulator until here: dropping it stops the server.
    drop(sim);
    client_runtime.shutdown_timeout(Duration::from_secs(1));
    sim_runtime.shutdown_timeout(Duration::from_secs(1));
    let below = match ratio {
        Some(ratio) => {
            println!("ratio {}/raw: {ratio:.2}", compared.name());
            args.min_ratio.is_some_and(|min| ratio < min)
        }
        None => false,
    };
    Ok(if exactly_once && !below {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => 0.0,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

/// Prints the medians and what bounds them; returns the median of the rounds' ratios when
/// both sides ran. `compared` is the side measured against raw (the wrapper, unless
/// `--compare generated`).
fn summarise(rounds: &[Vec<RunResult>], compared: Side) -> Option<f64> {
    let side_runs = |side: Side| -> Vec<&RunResult> {
        rounds
            .iter()
            .flat_map(|r| r.iter().filter(move |x| x.side == side))
            .collect()
    };
    let per_request = |runs: &[&RunResult], f: fn(&cpu::Window) -> Duration| {
        median(runs.iter().map(|r| r.per_request(f(&r.cpu))).collect())
    };
    let mut out = String::new();
    for side in [compared, Side::Raw] {
        let runs = side_runs(side);
        if runs.is_empty() {
            continue;
        }
        let _ = writeln!(
            out,
            "median {:<7} {:>7.0} req/s  p50 {:>6.2} ms  p99 {:>6.2} ms  errors {}  CPU/request: clients {:.1} µs, simulator {:.1} µs",
            side.name(),
            median(runs.iter().map(|r| r.rps()).collect()),
            median(runs.iter().map(|r| ms(r.percentile(0.5))).collect()),
            median(runs.iter().map(|r| ms(r.percentile(0.99))).collect()),
            runs.iter().map(|r| r.error_count()).sum::<usize>(),
            per_request(&runs, |w| w.own.client),
            per_request(&runs, |w| w.own.sim),
        );
    }
    let all: Vec<&RunResult> = rounds.iter().flatten().collect();
    let sim_us = per_request(&all, |w| w.own.sim);
    let cores = cores() as f64;
    let (wrapper_runs, raw_runs) = (side_runs(compared), side_runs(Side::Raw));
    let wrapper_us = per_request(&wrapper_runs, |w| w.own.client);
    let raw_us = per_request(&raw_runs, |w| w.own.client);
    let _ = writeln!(
        out,
        "simulator cost: {sim_us:.1} µs of CPU per request on its own threads (its share of the kernel's loopback TCP work included), so on {cores} cores the simulator alone could serve at most ~{:.0} req/s.",
        cores * 1e6 / sim_us.max(f64::EPSILON),
    );
    if wrapper_runs.is_empty() || raw_runs.is_empty() {
        print!("{out}");
        return None;
    }
    let name = compared.name();
    let prose = compared.in_prose();
    let ratios: Vec<f64> = rounds
        .iter()
        .filter_map(|r| match r.as_slice() {
            [w, r] => Some(w.rps() / r.rps()),
            _ => None,
        })
        .collect();
    // The clients' own CPU per request, raw over wrapper, round by round: what "thin" costs,
    // without the simulator's share of the cores diluting it (the line above adds the simulator
    // to both sides).
    let client_ratios: Vec<f64> = rounds
        .iter()
        .filter_map(|r| match r.as_slice() {
            [w, r] => {
                let wrapper = w.per_request(w.cpu.own.client);
                Some(r.per_request(r.cpu.own.client) / wrapper.max(f64::EPSILON))
            }
            _ => None,
        })
        .collect();
    let _ = writeln!(
        out,
        "what bounds the figure: the simulator and the clients share the same {cores} cores (nothing here waits on a network), so req/s <= {cores} cores / (simulator + client CPU per request): ~{:.0} req/s for raw ({raw_us:.1} µs/request) and ~{:.0} req/s for {prose} ({wrapper_us:.1} µs/request), if every core were busy. Per request, {prose} costs {:.1} µs of CPU more than raw; in CPU terms the ratio is {:.2}.",
        cores * 1e6 / (sim_us + raw_us).max(f64::EPSILON),
        cores * 1e6 / (sim_us + wrapper_us).max(f64::EPSILON),
        wrapper_us - raw_us,
        (sim_us + raw_us) / (sim_us + wrapper_us).max(f64::EPSILON),
    );
    let _ = writeln!(
        out,
        "ratios by round ({name} req/s / raw req/s): {}",
        ratios
            .iter()
            .map(|r| format!("{r:.3}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let _ = writeln!(
        out,
        "client CPU ratios by round (raw client CPU per request / {name}'s): {}",
        client_ratios
            .iter()
            .map(|r| format!("{r:.3}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let _ = writeln!(
        out,
        "client CPU ratio raw/{name}: {:.2}",
        median(client_ratios)
    );
    print!("{out}");
    Some(median(ratios))
}

/// Waits (at most `max`) until other processes have used less than a quarter of a core over
/// a quarter of a second, so a run starts on a quiet machine if one comes.
fn wait_for_quiet(max: Duration) {
    const SAMPLE: Duration = Duration::from_millis(250);
    let started = Instant::now();
    while started.elapsed() < max {
        let mark = cpu::Mark::now();
        std::thread::sleep(SAMPLE);
        if mark.window().others < SAMPLE / 4 {
            return;
        }
    }
}

/// Creates `n` meetings of the operator's and returns their IDs (outside any measured window).
fn seed(sim: &Simulator, n: usize) -> Result<Vec<String>> {
    (0..n)
        .map(|_| {
            sim.create_meeting(MeetingSpec::new(OPERATOR))
                .context("creating a meeting")
        })
        .collect()
}

/// The two clients and the runtime they run on.
struct Clients<'a> {
    runtime: &'a tokio::runtime::Runtime,
    wrapper: &'a Client,
    raw: &'a Arc<RawClient>,
    generated: &'a Arc<GeneratedClient>,
    concurrency: usize,
}

impl Clients<'_> {
    /// Dismisses every meeting of `ids` from `side` with `concurrency` calls in flight (that
    /// many tasks, each taking the next meeting), adding what it measured to `into`.
    fn run(&self, side: Side, ids: &[String], into: &mut RunResult) -> Result<()> {
        let ids: Arc<Vec<String>> = Arc::new(ids.to_vec());
        let next = Arc::new(AtomicUsize::new(0));
        let concurrency = self.concurrency.max(1);
        let mark = cpu::Mark::now();
        let started = Instant::now();
        let per_worker = self.runtime.block_on(async {
            let mut workers = tokio::task::JoinSet::new();
            for _ in 0..concurrency.min(ids.len()) {
                let (ids, next) = (Arc::clone(&ids), Arc::clone(&next));
                let (wrapper, raw) = (self.wrapper.clone(), Arc::clone(self.raw));
                let generated = Arc::clone(self.generated);
                workers.spawn(async move {
                    let mut done = Vec::with_capacity(ids.len() / concurrency + 1);
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(id) = ids.get(i) else { break };
                        let t = Instant::now();
                        let outcome = match side {
                            Side::Wrapper => match dismiss_call(&wrapper, id).send().await {
                                Ok(d) => Outcome::Ok {
                                    attempts: d.attempts(),
                                },
                                Err(e) => Outcome::Failed(error_kind(&e)),
                            },
                            Side::Raw => match raw.dismiss(id, OPERATOR).await {
                                RawOutcome::Ok => Outcome::Ok { attempts: 1 },
                                RawOutcome::Status(status, code) => Outcome::Failed(match code {
                                    Some(code) => format!("api {code}"),
                                    None => format!("http {status}"),
                                }),
                                RawOutcome::Transport(_) => Outcome::Failed("transport".into()),
                            },
                            Side::Generated => match generated.dismiss(id, OPERATOR).await {
                                Ok(()) => Outcome::Ok { attempts: 1 },
                                Err(e) => Outcome::Failed(format!("generated: {e}")),
                            },
                        };
                        done.push((t.elapsed(), outcome));
                    }
                    done
                });
            }
            let mut all = Vec::with_capacity(ids.len());
            while let Some(joined) = workers.join_next().await {
                all.extend(joined?);
            }
            anyhow::Ok(all)
        })?;
        into.elapsed += started.elapsed();
        into.cpu += mark.window();
        into.requests += ids.len();
        for (latency, outcome) in per_worker {
            into.latencies.push(latency);
            match outcome {
                Outcome::Ok { attempts } => into.retried += usize::from(attempts > 1),
                Outcome::Failed(kind) => match into.errors.iter_mut().find(|(k, _)| *k == kind) {
                    Some((_, n)) => *n += 1,
                    None => into.errors.push((kind, 1)),
                },
            }
        }
        Ok(())
    }
}

/// A short name for an error, for the tally.
fn error_kind(e: &Error) -> String {
    match e {
        Error::Api(a) => format!("api {}", a.code()),
        Error::Transport(_) => "transport".into(),
        Error::Timeout(_) => "timeout".into(),
        Error::Decode(d) => format!("decode {}", d.status()),
        Error::OutcomeUnknown(_) => "outcome unknown".into(),
        Error::Validation(_) => "validation".into(),
        Error::Refused(_) => "refused".into(),
        _ => "other".into(),
    }
}

/// The machine, for the report: cores, memory, CPU model.
fn machine() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .and_then(|l| l.split_once(':'))
        .map_or("unknown CPU".to_string(), |(_, m)| m.trim().to_string());
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let mem_gib = meminfo
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or("?".to_string(), |kib| {
            format!("{:.1}", kib / 1024.0 / 1024.0)
        });
    format!("machine: {} cores ({model}), {mem_gib} GiB memory", cores())
}
