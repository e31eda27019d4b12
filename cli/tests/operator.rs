//! What an operator meets at a shell beyond the dismiss itself: logs that stay plain text when
//! redirected, `-v` showing every attempt, refusals that list what is valid, the simulator's
//! secret kept out of `ps`, the simulator's bounds, and pacing said in `--help`.

mod common;

use std::io::{BufRead as _, BufReader, Read as _};
use std::process::{Command as StdCommand, Stdio};
use std::time::Duration;

use common::{IDENTITY, Sim, bare, stderr_of, stdout_of};
use tencent_meeting_sim::{DEMO_APP_ID, DEMO_SECRET_ID, DEMO_SECRET_KEY, MeetingSpec};

/// The escape that starts every ANSI colour code.
const ESCAPE: &str = "\u{1b}[";

#[test]
fn logs_redirected_to_a_file_carry_no_colour_codes() {
    let sim = Sim::start();
    let id = sim.meeting(MeetingSpec::new(common::CREATOR));
    let dir = common::tempdir();
    let log = dir.join("err.txt");
    // As `tencent-meeting -vv dismiss … 2>err.txt`.
    let status = StdCommand::new(assert_cmd::cargo::cargo_bin("tencent-meeting"))
        .envs([
            ("TENCENT_MEETING_APP_ID", DEMO_APP_ID),
            ("TENCENT_MEETING_SECRET_ID", DEMO_SECRET_ID),
            ("TENCENT_MEETING_SECRET_KEY", DEMO_SECRET_KEY),
            ("TENCENT_MEETING_BASE_URL", sim.sim().base_url()),
        ])
        .env_remove("RUST_LOG")
        .env_remove("NO_COLOR")
        .args(["-vv", "dismiss", &id])
        .args(IDENTITY)
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).expect("log file"))
        .status()
        .expect("runs");
    assert!(status.success());
    let logged = std::fs::read_to_string(&log).expect("log");
    assert!(logged.contains("status=200"), "{logged}");
    assert!(
        !logged.contains(ESCAPE),
        "colour codes in a file: {logged:?}"
    );
}

#[test]
fn on_a_terminal_logs_are_coloured_unless_no_color_is_set() {
    let sim = Sim::start();
    let on_a_terminal = |no_color: Option<&str>| {
        let id = sim.meeting(MeetingSpec::new(common::CREATOR));
        let pty = nix::pty::openpty(None, None).expect("a pseudo-terminal");
        let mut cmd = sim.spawnable();
        cmd.args(["-v", "dismiss", &id])
            .args(IDENTITY)
            .env_remove("RUST_LOG")
            .env_remove("NO_COLOR")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::from(pty.slave));
        if let Some(value) = no_color {
            cmd.env("NO_COLOR", value);
        }
        // The command holds the only copy of the terminal's slave side: once the child exits
        // and the command is dropped, reading the master side ends (EIO).
        let mut child = cmd.spawn().expect("runs");
        drop(cmd);
        let mut master = std::fs::File::from(pty.master);
        let mut seen = Vec::new();
        let mut chunk = [0u8; 4096];
        while let Ok(n @ 1..) = master.read(&mut chunk) {
            seen.extend_from_slice(&chunk[..n]);
        }
        assert!(child.wait().expect("exits").success());
        String::from_utf8_lossy(&seen).into_owned()
    };
    let coloured = on_a_terminal(None);
    assert!(coloured.contains("status"), "{coloured:?}");
    assert!(
        coloured.contains(ESCAPE),
        "no colour on a terminal: {coloured:?}"
    );
    let plain = on_a_terminal(Some("1"));
    assert!(plain.contains("status"), "{plain:?}");
    assert!(
        !plain.contains(ESCAPE),
        "colour despite NO_COLOR: {plain:?}"
    );
}

#[test]
fn verbose_shows_an_answered_attempt_too() {
    let sim = Sim::start();
    let id = sim.meeting(MeetingSpec::new(common::CREATOR));
    let out = sim
        .cli()
        .args(["-v", "dismiss", &id])
        .args(IDENTITY)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let stderr = stderr_of(&out);
    assert!(
        stderr.contains("tencent_meeting::attempt")
            && stderr.contains("attempt=1")
            && stderr.contains("status=200"),
        "-v shows the attempt that succeeded: {stderr}"
    );
    // Without -v, nothing but the outcome.
    let quiet = sim.meeting(MeetingSpec::new(common::CREATOR));
    let out = sim
        .cli()
        .args(["dismiss", &quiet])
        .args(IDENTITY)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0));
    assert!(!stderr_of(&out).contains("attempt="), "{}", stderr_of(&out));
}

#[test]
fn a_bad_instance_lists_every_valid_name() {
    for bad in ["desktop", "11"] {
        let out = bare()
            .args(["dismiss", "7567173273889276131", "--userid", "a"])
            .args(["--reason-code", "1", "--instance", bad, "--dry-run"])
            .output()
            .expect("runs");
        assert_eq!(out.status.code(), Some(2), "{bad}");
        let stderr = stderr_of(&out);
        for name in [
            "pc",
            "mac",
            "android-pad",
            "mini-program",
            "rooms-windows",
            "controller-iphone",
        ] {
            assert!(stderr.contains(name), "{bad}: {name} missing from {stderr}");
        }
    }
}

/// `tencent-meeting sim` with `env`, and its banner (everything before "serving until Ctrl-C").
fn sim_process(args: &[&str], env: &[(&str, &str)]) -> (std::process::Child, String, String) {
    let mut child = StdCommand::new(assert_cmd::cargo::cargo_bin("tencent-meeting"))
        .args(["sim", "--addr", "127.0.0.1:0"])
        .args(args)
        .env_remove("TENCENT_MEETING_SIM_SECRET_KEY")
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("sim starts");
    let mut banner = String::new();
    if let Some(stdout) = child.stdout.take() {
        let mut reader = BufReader::new(stdout);
        while !banner.contains("serving until Ctrl-C") {
            if reader.read_line(&mut banner).unwrap_or(0) == 0 {
                break;
            }
        }
        std::thread::spawn(move || std::io::copy(&mut reader, &mut std::io::sink()));
    }
    let base_url = banner.lines().next().unwrap_or_default().to_string();
    (child, base_url, banner)
}

#[test]
fn the_simulator_takes_its_secret_key_from_the_environment_and_does_not_print_it() {
    const KEY: &str = "a-secret-of-the-operators-own";
    let (mut child, base_url, banner) = sim_process(
        &["--rate-limit", "off"],
        &[("TENCENT_MEETING_SIM_SECRET_KEY", KEY)],
    );
    assert!(base_url.starts_with("http://127.0.0.1:"), "{banner}");
    assert!(!banner.contains(KEY), "the banner shows the key: {banner}");
    assert!(
        banner.contains("TENCENT_MEETING_SIM_SECRET_KEY"),
        "{banner}"
    );
    let dismiss = |key: &str| {
        bare()
            .env("TENCENT_MEETING_APP_ID", DEMO_APP_ID)
            .env("TENCENT_MEETING_SECRET_ID", DEMO_SECRET_ID)
            .env("TENCENT_MEETING_SECRET_KEY", key)
            .env("TENCENT_MEETING_BASE_URL", &base_url)
            // A meeting the simulator does not hold: 9061 once the signature passes.
            .args(["dismiss", "7567173273889276131"])
            .args(IDENTITY)
            .args(["--attempts", "1", "--output", "json"])
            .output()
            .expect("runs")
    };
    let with_demo_key = stdout_of(&dismiss(DEMO_SECRET_KEY));
    let with_own_key = stdout_of(&dismiss(KEY));
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        with_demo_key.contains("signature"),
        "the demo key no longer signs: {with_demo_key}"
    );
    assert!(
        !with_own_key.contains("signature"),
        "the key from the environment signs: {with_own_key}"
    );
    // `--help` names the variable.
    let help = stdout_of(&bare().args(["sim", "--help"]).output().expect("runs"));
    assert!(help.contains("TENCENT_MEETING_SIM_SECRET_KEY"), "{help}");
}

#[test]
fn the_simulator_refuses_a_window_it_cannot_count() {
    // 18446744073709552 s is u64::MAX ms and a bit: it made every request panic.
    for window in ["18446744073709552", "86401"] {
        let out = bare()
            .args(["sim", "--rate-limit-window", window])
            .timeout(Duration::from_secs(30))
            .output()
            .expect("runs");
        assert_eq!(out.status.code(), Some(2), "{window}: {}", stderr_of(&out));
        assert!(stderr_of(&out).contains("86400"), "{}", stderr_of(&out));
    }
    // A day is still a window.
    let (mut child, base_url, banner) = sim_process(&["--rate-limit-window", "86400"], &[]);
    let _ = child.kill();
    let _ = child.wait();
    assert!(base_url.starts_with("http://"), "{banner}");
    assert!(banner.contains("per 86400 s"), "{banner}");
}

#[test]
fn help_says_how_requests_are_paced() {
    let help = stdout_of(&bare().args(["dismiss", "--help"]).output().expect("runs"));
    // A look-up takes its own slot: the first request goes at once, the dismiss after it one
    // slot later, and that is said where the flag is.
    let flag = help
        .split("--rate-limit <N|off>")
        .nth(1)
        .and_then(|rest| rest.split("\n      --").next())
        .unwrap_or_default();
    assert!(
        flag.contains("--lookup") && flag.contains("200 ms"),
        "--rate-limit's help: {flag}"
    );
}
