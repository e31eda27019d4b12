//! `cargo xtask perf-guard`: the instruction count of the dismiss's prepare path, of a whole
//! dismiss through the wrapper, by hand on reqwest and through the generated client alone
//! (against a loopback server), and of receiving one sealed `meeting.end`, against the baseline
//! checked in at `xtask/perf-baseline.json`. It also prints the raw call's count over the
//! wrapper's (the client-side ratio the load test measures in CPU time, without the noise) and
//! splits it at the generated client.
//!
//! Not a timed assertion: `valgrind --tool=callgrind` counts the instructions the driver
//! (`perf/`, built in release) executes inside its measured function, which is the same number
//! on a busy machine as on an idle one. A change that makes a path cost more than the tolerance
//! over its baseline fails here, in the session that made it, instead of at the next load test.
//! `--bless` writes the measured counts as the new baseline (for a change whose cost is meant).
//! Without valgrind the guard says it skipped, except on CI (`CI` set), where `.ci/run` installs
//! it and its absence is an error.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::Instant;

use anyhow::{Context as _, Result, bail};
use serde::{Deserialize, Serialize};

use crate::workspace_root;

/// The baseline, relative to the workspace root.
const BASELINE: &str = "xtask/perf-baseline.json";

/// The driver's package and binary.
const DRIVER: &str = "tencent-meeting-perf";

/// The paths the driver runs (its first argument).
const PATHS: [&str; 5] = ["prepare", "dismiss", "raw", "generated", "event"];

/// Calls per path in the counted function: enough that the loop's own cost and the one-off
/// `block_on` vanish in the average (200 and 100 give the same count per call to the
/// instruction), few enough that a run under callgrind takes well under a second.
const ITERATIONS: u32 = 200;

/// The tolerance a new baseline gets.
const DEFAULT_TOLERANCE_PERCENT: f64 = 3.0;

/// `xtask/perf-baseline.json`.
#[derive(Serialize, Deserialize)]
struct Baseline {
    /// What the numbers are, for a reader of the file.
    about: String,
    /// How far over its baseline a path may go before the guard fails.
    tolerance_percent: f64,
    /// Instructions per call, by path.
    instructions_per_call: BTreeMap<String, u64>,
}

/// Measures both paths and compares them with the baseline, or with `bless` rewrites it.
pub fn run(bless: bool) -> Result<ExitCode> {
    let root = workspace_root();
    if !valgrind_found() {
        if std::env::var_os("CI").is_some() {
            bail!(
                "valgrind is missing (.ci/run installs it with apt-get): the perf guard cannot run"
            );
        }
        println!("perf guard skipped: valgrind is not installed (apt-get install valgrind)");
        return Ok(ExitCode::SUCCESS);
    }
    let driver = build_driver(&root)?;
    let mut measured = BTreeMap::new();
    for path in PATHS {
        measured.insert(path.to_string(), count(&driver, path)?);
    }
    let baseline_path = root.join(BASELINE);
    if bless {
        let tolerance_percent = read_baseline(&baseline_path)
            .map_or(DEFAULT_TOLERANCE_PERCENT, |b| b.tolerance_percent);
        let baseline = Baseline {
            about: format!(
                "Instructions per call counted by `cargo xtask perf-guard` (valgrind --tool=callgrind \
                 on the release build of perf/, {ITERATIONS} calls per path); rewritten by \
                 `cargo xtask perf-guard --bless`."
            ),
            tolerance_percent,
            instructions_per_call: measured.clone(),
        };
        let text = serde_json::to_string_pretty(&baseline)? + "\n";
        std::fs::write(&baseline_path, text)
            .with_context(|| format!("writing {}", baseline_path.display()))?;
        for (path, count) in &measured {
            println!("{path:>9}: {count} instructions per call (blessed)");
        }
        println!("wrote {BASELINE}");
        return Ok(ExitCode::SUCCESS);
    }
    let baseline = read_baseline(&baseline_path)?;
    let mut over = Vec::new();
    for (path, &count) in &measured {
        let Some(&expected) = baseline.instructions_per_call.get(path) else {
            bail!(
                "{BASELINE} has no count for the {path} path: run `cargo xtask perf-guard --bless`"
            );
        };
        let change = (count as f64 / expected as f64 - 1.0) * 100.0;
        println!(
            "{path:>9}: {count} instructions per call, baseline {expected} ({change:+.1} %, \
             tolerance +{} %)",
            baseline.tolerance_percent
        );
        if change > baseline.tolerance_percent {
            over.push(format!(
                "the {path} path costs {count} instructions per call, {change:.1} % over its \
                 baseline of {expected} (tolerance {} %)",
                baseline.tolerance_percent
            ));
        } else if -change > baseline.tolerance_percent {
            println!(
                "          {:.1} % under the baseline: `cargo xtask perf-guard --bless` keeps the \
                 gain from being given back unnoticed",
                -change
            );
        }
    }
    if !over.is_empty() {
        bail!(
            "perf guard: {}.\nFind what costs more with\n  valgrind --tool=callgrind \
             --collect-atstart=no --toggle-collect='*measured_PATH*' {} PATH {ITERATIONS}\n  \
             (PATH prepare, dismiss, raw, generated or event; raw and generated count in \
             measured_dismiss)\n  \
             callgrind_annotate --inclusive=yes callgrind.out.PID\nIf the cost is meant, say why \
             in the commit and run `cargo xtask perf-guard --bless`.",
            over.join("; "),
            driver.display(),
        );
    }
    if let (Some(&raw), Some(&generated), Some(&wrapper)) = (
        measured.get("raw"),
        measured.get("generated"),
        measured.get("dismiss"),
    ) {
        println!(
            "raw/wrapper: {:.3} (a dismiss by hand on reqwest over one through the wrapper; the \
             goal is 0.95 or more); raw/generated: {:.3} (over one through the generated client \
             alone); generated/wrapper: {:.3} (what the wrapper adds to the generated client)",
            raw as f64 / wrapper as f64,
            raw as f64 / generated as f64,
            generated as f64 / wrapper as f64
        );
    }
    println!("perf guard: within the baseline");
    Ok(ExitCode::SUCCESS)
}

fn read_baseline(path: &Path) -> Result<Baseline> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))
}

fn valgrind_found() -> bool {
    Command::new("valgrind")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Builds the driver in release and returns its executable, as cargo reports it (so any
/// `CARGO_TARGET_DIR` is followed).
fn build_driver(root: &Path) -> Result<PathBuf> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let started = Instant::now();
    let output = Command::new(cargo)
        .current_dir(root)
        .args([
            "build",
            "--release",
            "--package",
            DRIVER,
            "--message-format=json-render-diagnostics",
        ])
        .stderr(Stdio::inherit())
        .output()
        .context("running cargo build --release -p tencent-meeting-perf")?;
    if !output.status.success() {
        bail!("cargo build --release -p {DRIVER} failed");
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    let executable = stdout
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|m| m["reason"] == "compiler-artifact" && m["target"]["name"] == DRIVER)
        .find_map(|m| m["executable"].as_str().map(PathBuf::from))
        .with_context(|| format!("cargo built no executable named {DRIVER}"))?;
    println!(
        "built {} in {:.1} s",
        executable.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(executable)
}

/// The driver's function that runs `path`'s calls (the raw baseline and the generated client
/// alone share the dismiss's).
fn measured_function(path: &str) -> String {
    match path {
        "raw" | "generated" => "measured_dismiss".to_string(),
        _ => format!("measured_{path}"),
    }
}

/// Runs the driver's `path` under callgrind, counting only inside its measured function, and
/// returns the instructions per call.
fn count(driver: &Path, path: &str) -> Result<u64> {
    let started = Instant::now();
    let output = Command::new("valgrind")
        .args([
            "--tool=callgrind",
            "--callgrind-out-file=/dev/null",
            "--collect-atstart=no",
            &format!("--toggle-collect=*{}*", measured_function(path)),
        ])
        .arg(driver)
        .args([path, &ITERATIONS.to_string()])
        .output()
        .context("running valgrind")?;
    let stderr = String::from_utf8_lossy(&output.stderr);
    if !output.status.success() {
        bail!("the driver failed on the {path} path under valgrind:\n{stderr}");
    }
    // callgrind's summary: `==PID== Collected : N`.
    let collected: u64 = stderr
        .lines()
        .filter_map(|line| line.split_once("Collected :"))
        .find_map(|(_, n)| n.trim().parse().ok())
        .with_context(|| format!("no `Collected :` line in callgrind's output:\n{stderr}"))?;
    // A count this small means the toggle matched nothing but the call into the function: the
    // measured work ran elsewhere (inlined into a caller, say), and the guard would see nothing.
    if collected < u64::from(ITERATIONS) * 100 {
        bail!(
            "callgrind counted only {collected} instructions in {}: the driver's measured \
             function no longer holds the work",
            measured_function(path)
        );
    }
    println!(
        "counted the {path} path in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(collected / u64::from(ITERATIONS))
}
