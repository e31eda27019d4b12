//! A throwaway PostgreSQL cluster: `initdb` into a fresh temporary directory, the server started
//! on a free port of 127.0.0.1, stopped and its directory removed when the value is dropped.
//!
//! Standard library only, because `cargo xtask` compiles this very file too (`xtask` depends on
//! no crate of the workspace): CI's cluster and the tests' private ones start the same way.
//!
//! When the process runs as root (CI does), `initdb` and the server run as the system user
//! `postgres` (PostgreSQL refuses to run as root) and the directory is handed to that user;
//! otherwise they run as the current user. The binaries are found in the newest
//! `/usr/lib/postgresql/<version>/bin` (Debian keeps them off `PATH`), else on `PATH`.
//!
//! The server is this process's child, not daemonised (`pg_ctl start` would put it in a session
//! of its own): a Ctrl-C at the terminal reaches it too, and it shuts down with the rest.

use std::fs;
use std::io;
use std::net::TcpListener;
use std::os::unix::fs::{MetadataExt as _, PermissionsExt as _};
use std::os::unix::process::CommandExt as _;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The environment variable naming the PostgreSQL server tests create their databases on: a
/// URL (`postgres://user@host:port/dbname`) whose role may `CREATE DATABASE`.
pub const DATABASE_URL_VAR: &str = "TENCENT_MEETING_TEST_DATABASE_URL";

/// How long the server may take to accept connections after it is started.
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// How a running cluster is stopped (`pg_ctl stop -m`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopMode {
    /// Disconnect the clients, roll back what is in flight, shut down cleanly.
    Fast,
    /// Abort at once, as a crash would: the next start recovers from the write-ahead log.
    Immediate,
}

/// A running (or stopped) throwaway cluster; dropping it stops the server and removes its files.
#[derive(Debug)]
pub struct Cluster {
    /// The temporary directory: `data/` (the cluster), `server.log`, the socket.
    root: PathBuf,
    bin: PathBuf,
    port: u16,
    /// The user and group the server runs as, when not the current ones.
    run_as: Option<(u32, u32)>,
    /// Whether the server syncs its writes to disk (`fsync`).
    durable: bool,
    server: Option<Child>,
}

impl Cluster {
    /// Creates a cluster in a new temporary directory and starts it. Its one role is `postgres`,
    /// a superuser that connects without a password from this machine. `fsync` is off: the
    /// cluster does not outlive this machine's uptime, and a server crash (a process's) loses
    /// nothing without it, since committed data is written to the operating system at commit.
    pub fn start() -> io::Result<Cluster> {
        Self::start_with_fsync(false)
    }

    /// [`Cluster::start`], with `fsync` on when `durable`, as a production server runs: for
    /// benchmarks, whose figures must include what a commit costs.
    pub fn start_with_fsync(durable: bool) -> io::Result<Cluster> {
        let bin = find_bin_dir()?;
        let root = make_temp_dir()?;
        let run_as = if fs::metadata(&root)?.uid() == 0 {
            let owner = postgres_user()?;
            std::os::unix::fs::chown(&root, Some(owner.0), Some(owner.1))?;
            Some(owner)
        } else {
            None
        };
        let mut cluster = Cluster {
            root,
            bin,
            port: 0,
            run_as,
            durable,
            server: None,
        };
        let data = cluster.data_dir();
        let initdb = cluster
            .command("initdb")
            .arg("-D")
            .arg(&data)
            .args([
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--locale=C",
                "--no-sync",
            ])
            .stdin(Stdio::null())
            .output()
            .map_err(|e| with_context(e, "running initdb"))?;
        if !initdb.status.success() {
            return Err(io::Error::other(format!(
                "initdb failed ({}): {}",
                initdb.status,
                String::from_utf8_lossy(&initdb.stderr).trim()
            )));
        }
        // A free port can be taken by someone else before the server binds it: try a few.
        let mut last_error = None;
        for _ in 0..5 {
            cluster.port = free_port()?;
            match cluster.start_server() {
                Ok(()) => return Ok(cluster),
                Err(e) => last_error = Some(e),
            }
        }
        Err(last_error.unwrap_or_else(|| io::Error::other("the server did not start")))
    }

    /// `postgres://postgres@127.0.0.1:PORT/postgres`: the maintenance database, as the superuser.
    pub fn url(&self) -> String {
        self.url_of("postgres")
    }

    /// The URL of the database `name` on this cluster.
    pub fn url_of(&self, name: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{name}", self.port)
    }

    /// The TCP port the server listens on (127.0.0.1).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Whether the server is running (as far as this value knows: it started it and has not
    /// stopped it).
    pub fn is_running(&self) -> bool {
        self.server.is_some()
    }

    /// Stops the server (`pg_ctl stop -m fast|immediate`) and waits for it to exit. The data
    /// stays: [`Cluster::restart`] starts it again on the same port.
    pub fn stop(&mut self, mode: StopMode) -> io::Result<()> {
        let Some(mut server) = self.server.take() else {
            return Ok(());
        };
        let mode = match mode {
            StopMode::Fast => "fast",
            StopMode::Immediate => "immediate",
        };
        let stopped = self
            .command("pg_ctl")
            .arg("stop")
            .arg("-D")
            .arg(self.data_dir())
            .args(["-m", mode, "-w", "-t", "60"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        if !stopped.is_ok_and(|s| s.success()) {
            // pg_ctl could not stop it: do not leave a server behind.
            let _ = server.kill();
        }
        server.wait()?;
        Ok(())
    }

    /// Starts the server again after [`Cluster::stop`], on the same port.
    pub fn restart(&mut self) -> io::Result<()> {
        if self.server.is_some() {
            return Ok(());
        }
        self.start_server()
    }

    /// The end of the server's log, for a failure message.
    pub fn log_tail(&self) -> String {
        let log = fs::read_to_string(self.root.join("server.log")).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }

    fn data_dir(&self) -> PathBuf {
        self.root.join("data")
    }

    /// Starts `postgres` as a child and waits until it accepts connections.
    fn start_server(&mut self) -> io::Result<()> {
        let log = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.root.join("server.log"))?;
        if let Some((uid, gid)) = self.run_as {
            std::os::unix::fs::chown(self.root.join("server.log"), Some(uid), Some(gid))?;
        }
        let mut server = self
            .command("postgres")
            .arg("-D")
            .arg(self.data_dir())
            .arg("-p")
            .arg(self.port.to_string())
            .arg("-c")
            .arg("listen_addresses=127.0.0.1")
            .arg("-c")
            .arg(format!("unix_socket_directories={}", self.root.display()))
            .arg("-c")
            .arg(if self.durable {
                "fsync=on"
            } else {
                "fsync=off"
            })
            .args(["-c", "max_connections=200"])
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()
            .map_err(|e| with_context(e, "starting postgres"))?;
        let started = Instant::now();
        loop {
            if let Some(status) = server.try_wait()? {
                return Err(io::Error::other(format!(
                    "postgres exited ({status}) before it was ready:\n{}",
                    self.log_tail()
                )));
            }
            if self.ready() {
                self.server = Some(server);
                return Ok(());
            }
            if started.elapsed() > START_TIMEOUT {
                let _ = server.kill();
                let _ = server.wait();
                return Err(io::Error::other(format!(
                    "postgres was not ready within {START_TIMEOUT:?}:\n{}",
                    self.log_tail()
                )));
            }
            thread::sleep(Duration::from_millis(20));
        }
    }

    /// Whether the server says it accepts connections: the status line of `postmaster.pid`
    /// (its eighth) reads `ready`, as `pg_ctl start -w` checks.
    fn ready(&self) -> bool {
        fs::read_to_string(self.data_dir().join("postmaster.pid"))
            .is_ok_and(|pid_file| pid_file.lines().nth(7).map(str::trim) == Some("ready"))
    }

    /// One of the cluster's binaries, run as the cluster's owner.
    fn command(&self, program: &str) -> Command {
        let mut command = Command::new(self.bin.join(program));
        if let Some((uid, gid)) = self.run_as {
            command.uid(uid).gid(gid).env("HOME", &self.root);
        }
        // The server and initdb read these; a developer's own settings must not leak in.
        for var in ["PGDATA", "PGPORT", "PGHOST", "PGUSER", "PGDATABASE"] {
            command.env_remove(var);
        }
        command.current_dir(&self.root);
        command
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = self.stop(StopMode::Immediate);
        let _ = fs::remove_dir_all(&self.root);
    }
}

/// The newest `/usr/lib/postgresql/<version>/bin` that holds `initdb`, or the directory of the
/// `initdb` on `PATH`.
fn find_bin_dir() -> io::Result<PathBuf> {
    let mut versions: Vec<(u32, PathBuf)> = fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = entry.path().join("bin");
            bin.join("initdb").exists().then_some((version, bin))
        })
        .collect();
    versions.sort();
    if let Some((_, bin)) = versions.pop() {
        return Ok(bin);
    }
    std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .find(|dir| dir.join("initdb").exists() && dir.join("postgres").exists())
        .ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::NotFound,
                "PostgreSQL's initdb was found neither in /usr/lib/postgresql/*/bin nor on PATH \
                 (Debian: apt-get install postgresql-15)",
            )
        })
}

/// A new directory under the system's temporary directory, readable by all (the server's
/// owner must reach it), named after this process.
fn make_temp_dir() -> io::Result<PathBuf> {
    let base = std::env::temp_dir();
    for attempt in 0..100u32 {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let dir = base.join(format!(
            "tencent-meeting-pg-{}-{nanos}-{attempt}",
            std::process::id()
        ));
        match fs::create_dir(&dir) {
            Ok(()) => {
                fs::set_permissions(&dir, fs::Permissions::from_mode(0o755))?;
                return Ok(dir);
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(with_context(e, "creating a temporary directory")),
        }
    }
    Err(io::Error::other("could not create a temporary directory"))
}

/// The uid and gid of the system user `postgres` (Debian's package creates it).
fn postgres_user() -> io::Result<(u32, u32)> {
    let id = |flag: &str| -> io::Result<u32> {
        let out = Command::new("id").args([flag, "postgres"]).output()?;
        String::from_utf8_lossy(&out.stdout)
            .trim()
            .parse()
            .map_err(|_| {
                io::Error::other(
                    "running as root, and there is no user `postgres` to run PostgreSQL as \
                     (Debian's postgresql package creates it)",
                )
            })
    };
    Ok((id("-u")?, id("-g")?))
}

/// A port of 127.0.0.1 that was free a moment ago.
fn free_port() -> io::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

fn with_context(e: io::Error, what: &str) -> io::Error {
    io::Error::new(e.kind(), format!("{what}: {e}"))
}
