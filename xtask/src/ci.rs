//! `cargo xtask ci`: the checks CI runs, in order, stopping at the first failure. Each step
//! prints how long it took.

use std::path::Path;
use std::process::{Command, ExitCode, Stdio};
use std::time::Instant;

use anyhow::{Context, Result, bail};

use crate::{disk, postgres, workspace_root};

/// What a clean clone's run writes at most, with `.ci/run`'s settings (no incremental caches,
/// line tables only) is 6.6 GB, measured with `du` every 15 s through one; 8 GB leaves a margin.
const DISK_NEEDED: u64 = 8_000_000_000;

/// The spec the external linters check.
const SPEC: &str = "openapi/tencent-meeting.yaml";

/// The crates that publish to crates.io, in dependency order.
const PUBLISHED: [&str; 5] = [
    "tencent-meeting-openapi",
    "tencent-meeting",
    "tencent-meeting-sim",
    "tencent-meeting-postgres",
    "tencent-meeting-cli",
];

pub fn run() -> Result<ExitCode> {
    let root = workspace_root();
    let cargo = env!("CARGO");
    let started = Instant::now();
    let on_ci = std::env::var_os("CI").is_some();
    check_disk(&root, on_ci)?;
    let openssl = setup(&root)?;
    // Started first: a machine that cannot run it fails in seconds, not after the build. Held
    // until the end of the run (dropping it stops the server and removes its files).
    let postgres = postgres::for_tests(on_ci)?;
    let database_env: Vec<(&str, &str)> = match &postgres {
        Some((url, _)) => vec![(postgres::DATABASE_URL_VAR, url.as_str())],
        None => Vec::new(),
    };
    let cargo_steps: &[(&str, &[&str])] = &[
        ("format", &["fmt", "--all", "--check"]),
        (
            "clippy",
            &[
                "clippy",
                "--workspace",
                "--all-targets",
                "--",
                "-D",
                "warnings",
            ],
        ),
        ("codegen drift", &["xtask", "codegen", "--check"]),
        ("spec lint", &["xtask", "lint", "--progenitor"]),
    ];
    for (name, args) in cargo_steps {
        step(name, cargo, args, &root)?;
    }
    if openssl {
        // Every feature, so native-tls (OpenSSL) too.
        step(
            "public API",
            cargo,
            &["xtask", "public-api", "--check"],
            &root,
        )?;
    }
    // The wrapper with each TLS stack, alone (no other crate's features unified in).
    step(
        "TLS: rustls (the default)",
        cargo,
        &["check", "-p", "tencent-meeting"],
        &root,
    )?;
    // Every tokio feature the wrapper uses is declared: checked against a tokio of its own,
    // which the features hyper and reqwest turn on cannot reach.
    step("tokio features", cargo, &["xtask", "features"], &root)?;
    // Instruction counts of the prepare and event paths against xtask/perf-baseline.json (a
    // release build of one small binary, then two short runs under callgrind).
    step("perf guard", cargo, &["xtask", "perf-guard"], &root)?;
    // Release builds cannot forge evidence: a user's crate outside the workspace (where no
    // dev-dependency turns `test-util` on) must fail to make a `Dismissed`.
    step("no forged evidence", cargo, &["xtask", "forgery"], &root)?;
    if openssl {
        step(
            "TLS: native-tls instead",
            cargo,
            &[
                "check",
                "-p",
                "tencent-meeting",
                "--no-default-features",
                "--features",
                "native-tls",
            ],
            &root,
        )?;
        step_with_env(
            "docs",
            cargo,
            &["doc", "--workspace", "--no-deps", "--all-features"],
            &[("RUSTDOCFLAGS", "-D warnings")],
            &root,
        )?;
    } else {
        println!(
            "==> skipping the public API, native-tls and docs (all features) checks: they need \
             OpenSSL's headers (apt-get install libssl-dev pkg-config)"
        );
    }
    // Needs no OpenSSL: none of these builds has native-tls.
    docs_without_features(cargo, &root)?;
    // Spectral and Redocly come from the npm registry (`npm ci`, as .ci/run does).
    let bin = root.join("node_modules/.bin");
    if bin.join("spectral").exists() && bin.join("redocly").exists() {
        let spectral = bin.join("spectral");
        let redocly = bin.join("redocly");
        step(
            "Spectral (spectral:oas)",
            &spectral.to_string_lossy(),
            &[
                "lint",
                "--ruleset",
                ".spectral.yaml",
                "--fail-severity",
                "error",
                SPEC,
            ],
            &root,
        )?;
        step(
            "Redocly (recommended)",
            &redocly.to_string_lossy(),
            &["lint", "--extends=recommended", SPEC],
            &root,
        )?;
    } else if std::env::var_os("CI").is_some() {
        bail!("Spectral and Redocly are missing: run `npm ci` first (.ci/run does)");
    } else {
        println!("==> skipping Spectral and Redocly: run `npm ci` to install them");
    }
    step_with_env(
        "tests",
        cargo,
        &["nextest", "run", "--workspace", "--no-fail-fast"],
        &database_env,
        &root,
    )?;
    step_with_env(
        "doc tests",
        cargo,
        &["test", "--workspace", "--doc"],
        &database_env,
        &root,
    )?;
    drop(postgres);
    // Each crate that publishes, as crates.io would get it, built from the package alone: the
    // path dependencies become registry ones, served from the packages made in the same run.
    forget_unpacked_packages()?;
    let mut package = vec!["package", "--allow-dirty"];
    for name in PUBLISHED {
        package.extend(["-p", name]);
    }
    step("packaging", cargo, &package, &root)?;
    println!(
        "==> all checks passed in {:.0} s",
        started.elapsed().as_secs_f64()
    );
    if let Some(free) = disk::available(&target_dir(&root)) {
        println!("==> disk: {} free at the end", disk::gigabytes(free));
    }
    Ok(ExitCode::SUCCESS)
}

/// The crates whose docs link to items behind optional features, each documented as a user
/// without those features builds it (one `cargo doc -p` at a time, so no other crate's features
/// are unified in): a link to an item the build lacks is broken there, and the all-features
/// docs step cannot see it.
const DOCS_WITHOUT_FEATURES: [&[&str]; 4] = [
    &["-p", "tencent-meeting"],
    &["-p", "tencent-meeting", "--features", "webhook"],
    &["-p", "tencent-meeting", "--features", "webhook-axum"],
    &["-p", "tencent-meeting-openapi"],
];

/// One step: `cargo doc` with `-D warnings` for each of [`DOCS_WITHOUT_FEATURES`].
fn docs_without_features(cargo: &str, root: &Path) -> Result<()> {
    let name = "docs (without test-util, service-side, httpmock)";
    println!("==> {name}");
    let started = Instant::now();
    for selection in DOCS_WITHOUT_FEATURES {
        let mut args = vec!["doc", "--no-deps"];
        args.extend_from_slice(selection);
        step_with_env(name, cargo, &args, &[("RUSTDOCFLAGS", "-D warnings")], root)?;
    }
    println!(
        "==> {name}: all done in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Where cargo writes: `CARGO_TARGET_DIR`, else the workspace's `target/` (or the workspace
/// itself before the first build made it).
fn target_dir(root: &Path) -> std::path::PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) if Path::new(&dir).exists() => dir.into(),
        _ if root.join("target").exists() => root.join("target"),
        _ => root.to_path_buf(),
    }
}

/// Says how much disk is free where cargo writes, and stops before building when it is less
/// than a run needs (on CI; elsewhere a warning, since a warm target directory needs less).
fn check_disk(root: &Path, on_ci: bool) -> Result<()> {
    let target = target_dir(root);
    let Some(free) = disk::available(&target) else {
        println!(
            "==> disk: cannot tell how much is free at {}",
            target.display()
        );
        return Ok(());
    };
    println!(
        "==> disk: {} free at {}",
        disk::gigabytes(free),
        target.display()
    );
    if free < DISK_NEEDED {
        let message = format!(
            "{} free at {}, and a clean run writes up to {}: free some space (old target \
             directories, clones) and run again",
            disk::gigabytes(free),
            target.display(),
            disk::gigabytes(DISK_NEEDED)
        );
        if on_ci {
            bail!(message);
        }
        println!("==> warning: {message}");
    }
    Ok(())
}

/// Installs what the tests use beyond the Rust toolchain, when the machine can: the npm spec tools
/// (Spectral, Redocly, Prism), the official Python SDK, and OpenSSL's headers for the native-tls
/// build. On CI (`CI` set) all are required; elsewhere a missing one only skips the checks that
/// need it. Returns whether OpenSSL's headers are there.
fn setup(root: &Path) -> Result<bool> {
    let on_ci = std::env::var_os("CI").is_some();
    let openssl = match ensure_openssl(root) {
        Ok(()) => true,
        Err(e) if on_ci => return Err(e),
        Err(e) => {
            println!("==> without OpenSSL's headers: {e:#}");
            false
        }
    };
    if !npm_packages_installed(root) {
        let installed = step(
            "install spec tools",
            "npm",
            &["ci", "--no-audit", "--no-fund", "--loglevel=error"],
            root,
        );
        if let Err(e) = installed {
            if on_ci {
                return Err(e);
            }
            println!("==> without npm tools: {e:#}");
        }
    }
    let requirements = "sim/tests/python_sdk/requirements.txt";
    let installed = step(
        "install the official Python SDK",
        "python3",
        &[
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "-r",
            requirements,
        ],
        root,
    );
    if let Err(e) = installed {
        if on_ci {
            return Err(e);
        }
        println!("==> without the Python SDK: {e:#}");
    }
    Ok(openssl)
}

/// OpenSSL's headers and pkg-config, which `native-tls` (openssl-sys) builds with: installed with
/// apt-get (CI runs as root on Debian) unless `pkg-config --exists openssl` finds them.
fn ensure_openssl(root: &Path) -> Result<()> {
    if openssl_found() {
        return Ok(());
    }
    step(
        "install OpenSSL's headers",
        "apt-get",
        &["update", "-qq"],
        root,
    )?;
    step_with_env(
        "install OpenSSL's headers",
        "apt-get",
        &[
            "install",
            "-y",
            "-qq",
            "--no-install-recommends",
            "libssl-dev",
            "pkg-config",
        ],
        &[("DEBIAN_FRONTEND", "noninteractive")],
        root,
    )?;
    if !openssl_found() {
        bail!(
            "`pkg-config --exists openssl` still fails after installing libssl-dev and pkg-config"
        );
    }
    Ok(())
}

/// Removes the copies of our own packages that an earlier `cargo package` unpacked into cargo's
/// registry sources. Cargo unpacks a package once per name and version and reuses the directory
/// after, so a second run would verify against the first run's sources (a dependency since
/// removed still "missing", say). Removing an unpacked copy is always safe: cargo unpacks again.
fn forget_unpacked_packages() -> Result<()> {
    let cargo_home = match std::env::var_os("CARGO_HOME") {
        Some(home) => std::path::PathBuf::from(home),
        None => match std::env::var_os("HOME") {
            Some(home) => Path::new(&home).join(".cargo"),
            None => return Ok(()),
        },
    };
    let Ok(registries) = std::fs::read_dir(cargo_home.join("registry/src")) else {
        return Ok(());
    };
    for registry in registries.flatten() {
        for name in PUBLISHED {
            let unpacked = registry
                .path()
                .join(format!("{name}-{}", env!("CARGO_PKG_VERSION")));
            if unpacked.exists() {
                std::fs::remove_dir_all(&unpacked)
                    .with_context(|| format!("removing {}", unpacked.display()))?;
            }
        }
    }
    Ok(())
}

fn openssl_found() -> bool {
    Command::new("pkg-config")
        .args(["--exists", "openssl"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Whether `npm ci` installed what package-lock.json lists: npm records the installed tree in
/// `node_modules/.package-lock.json`; every package the lock file requires (optional ones, such as
/// another OS's binaries, aside) must be there at its version.
fn npm_packages_installed(root: &Path) -> bool {
    let packages = |path: &Path| -> Option<serde_json::Value> {
        let text = std::fs::read_to_string(path).ok()?;
        let lock: serde_json::Value = serde_json::from_str(&text).ok()?;
        lock.get("packages").cloned()
    };
    let (Some(wanted), Some(installed)) = (
        packages(&root.join("package-lock.json")),
        packages(&root.join("node_modules/.package-lock.json")),
    ) else {
        return false;
    };
    let Some(wanted) = wanted.as_object() else {
        return false;
    };
    wanted
        .iter()
        // "" is the project itself.
        .filter(|(path, entry)| !path.is_empty() && entry["optional"] != true)
        .all(|(path, entry)| installed[path.as_str()]["version"] == entry["version"])
}

fn step(name: &str, program: &str, args: &[&str], root: &Path) -> Result<()> {
    step_with_env(name, program, args, &[], root)
}

fn step_with_env(
    name: &str,
    program: &str,
    args: &[&str],
    env: &[(&str, &str)],
    root: &Path,
) -> Result<()> {
    let shown_env: String = env.iter().map(|(k, v)| format!("{k}='{v}' ")).collect();
    println!(
        "==> {name}: {shown_env}{} {}",
        short(program),
        args.join(" ")
    );
    let started = Instant::now();
    let status = Command::new(program)
        .args(args)
        .envs(env.iter().copied())
        .current_dir(root)
        .status()
        .with_context(|| format!("running {program}"))?;
    if !status.success() {
        bail!("{name} failed: {} {}", short(program), args.join(" "));
    }
    println!(
        "==> {name}: done in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

fn short(program: &str) -> &str {
    Path::new(program)
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or(program)
}
