//! `tencent-meeting events listen`: a receiver for Tencent Meeting events (webhooks) that stores
//! every verified event durably before acknowledging it, and prints it as a JSON line.
//!
//! Token and EncodingAESKey come from the environment (`TENCENT_MEETING_WEBHOOK_TOKEN`,
//! `TENCENT_MEETING_WEBHOOK_AES_KEY`; no key = plain mode), never from flags, which other users
//! of the machine can read. The receiver is the library's axum one; its handler appends to the
//! [`FileEventStore`] and answers 200 only once the append is synced.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::{Args, Subcommand};
use tencent_meeting::webhook::axum::{MAX_BODY_BYTES, Receiver};
use tencent_meeting::webhook::store::{Appended, EventStore as _};
use tencent_meeting::webhook::{Event, Webhook};
use tencent_meeting_postgres::PgEventStore;

use crate::args::parse_duration;
use crate::event_printer::Printer;
use crate::event_store::FileEventStore;
use crate::outcome::Exit;
use crate::segments::Policy;
use crate::server::{self, Limits};
use crate::shared_db;

/// The variable holding the subscription's Token.
pub const TOKEN_VAR: &str = "TENCENT_MEETING_WEBHOOK_TOKEN";
/// The variable holding the subscription's EncodingAESKey (unset: plain mode).
pub const AES_KEY_VAR: &str = "TENCENT_MEETING_WEBHOOK_AES_KEY";

/// `events`.
#[derive(Args, Debug)]
pub struct EventsArgs {
    #[command(subcommand)]
    pub command: EventsCommand,
}

/// `events` subcommands.
#[derive(Subcommand, Debug)]
pub enum EventsCommand {
    /// Receive events at ADDR: answer the URL check, verify each delivery, store it durably in
    /// --store (dropping duplicates), print it as a JSON line, then answer 200. Token and key
    /// from $TENCENT_MEETING_WEBHOOK_TOKEN and $TENCENT_MEETING_WEBHOOK_AES_KEY (unset: plain
    /// mode); with --store postgres://…, the password from $PGPASSWORD.
    Listen(ListenArgs),
}

/// `events listen`.
#[derive(Args, Debug)]
pub struct ListenArgs {
    /// The address to listen on, e.g. 0.0.0.0:8080 (port 0: any free port).
    #[arg(long)]
    pub addr: SocketAddr,
    /// Where events are kept: an append-only file of JSON lines, created if missing (one
    /// receiver), or a PostgreSQL database, postgres://user@host/dbname, shared by any number
    /// of receivers (a redelivery to another replica is stored once).
    #[arg(long, value_name = "PATH|postgres://…")]
    pub store: PathBuf,
    /// The URL path the subscription points at.
    #[arg(long, default_value = "/")]
    pub path: String,
    /// With a store file: how long a stored event is remembered, to answer its redeliveries
    /// without storing them again. The platform redelivers for hours; an event that comes again
    /// after this is stored (and printed) again. Memory grows with the events of this window,
    /// not with the whole file. (A postgres:// store keeps every key.)
    #[arg(long, value_name = "HOURS", default_value_t = 72,
          value_parser = clap::value_parser!(u64).range(1..=8760))]
    pub dedup_hours: u64,
    /// With a store file: a sealed segment (PATH, PATH.1, PATH.2, …) whose last event was
    /// stored longer ago than this is deleted, so the disk holds about this much history. At
    /// least --dedup-hours (a restart must find every event it is to remember).
    #[arg(long, value_name = "HOURS", default_value_t = 168,
          value_parser = clap::value_parser!(u64).range(1..=87_600))]
    pub retain_hours: u64,
    /// With a store file: a new segment is started once the current one holds this many bytes.
    #[arg(long, value_name = "BYTES", default_value_t = 64 * 1024 * 1024,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub segment_bytes: u64,
    /// With a store file: a new segment is started once the current one's first event is this
    /// many minutes old (so retention and a restart work in steps of about this much).
    #[arg(long, value_name = "MINUTES", default_value_t = 60,
          value_parser = clap::value_parser!(u64).range(1..=525_600))]
    pub segment_minutes: u64,
    /// Refuse requests whose `timestamp` is more than this many seconds from now (default: no
    /// window, none is documented).
    #[arg(long, value_name = "SECONDS")]
    pub max_age: Option<u64>,
    /// A request's head (request line and headers) must be whole within this long of the
    /// connection opening, or of its first byte after an answer; else the connection is
    /// closed. In seconds, or with a unit (500ms, 2m).
    #[arg(long, value_name = "SECONDS", default_value = "3", value_parser = parse_duration)]
    pub header_timeout: Duration,
    /// A request's body must be whole within this long of its head (the platform gives a
    /// delivery 3 s in all); else 408 and the connection is closed.
    #[arg(long, value_name = "SECONDS", default_value = "3", value_parser = parse_duration)]
    pub body_timeout: Duration,
    /// A kept-alive connection that sends nothing for this long after its last answer is
    /// closed.
    #[arg(long, value_name = "SECONDS", default_value = "15", value_parser = parse_duration)]
    pub idle_timeout: Duration,
    /// Connections open at once, at most [default: the open-file limit (ulimit -n) less 64].
    /// One more closes the connection longest idle, sending its head, or sending its body
    /// (nothing of it is stored yet), so a flood of idle or slow connections cannot starve
    /// honest senders; only when every connection's request is being handled is the newcomer
    /// answered 503 and closed.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    pub max_connections: Option<u64>,
    /// The largest body accepted, in bytes; larger gets 413 (a delivery is a few KiB).
    #[arg(long, value_name = "BYTES", default_value_t = MAX_BODY_BYTES as u64,
          value_parser = clap::value_parser!(u64).range(1..=64 * 1024 * 1024))]
    pub max_body_bytes: u64,
    /// On Ctrl-C or SIGTERM: stop accepting, give requests in progress this long to be
    /// answered, then close every connection and exit, whatever the clients do (the process
    /// ends within this plus one second).
    #[arg(long, value_name = "SECONDS", default_value = "5", value_parser = parse_duration)]
    pub shutdown_timeout: Duration,
}

impl ListenArgs {
    /// The server's limits, from the flags.
    fn limits(&self) -> Limits {
        Limits {
            header_timeout: self.header_timeout,
            body_timeout: self.body_timeout,
            idle_timeout: self.idle_timeout,
            max_connections: self
                .max_connections
                .and_then(|n| usize::try_from(n).ok())
                .unwrap_or_else(server::default_max_connections),
            shutdown_timeout: self.shutdown_timeout,
        }
    }
}

pub async fn run(args: EventsArgs) -> Exit {
    match args.command {
        EventsCommand::Listen(args) => listen(args).await,
    }
}

/// The subscription's Token and key from the environment; an error names the variable.
pub fn webhook_from_env() -> Result<Webhook, String> {
    let Ok(token) = std::env::var(TOKEN_VAR) else {
        return Err(format!("set {TOKEN_VAR} to the subscription's Token"));
    };
    let key = std::env::var(AES_KEY_VAR).ok().filter(|k| !k.is_empty());
    Webhook::new(token, key.as_deref())
        .map_err(|e| format!("{e} (from {TOKEN_VAR} / {AES_KEY_VAR})"))
}

async fn listen(args: ListenArgs) -> Exit {
    let mut webhook = match webhook_from_env() {
        Ok(webhook) => webhook,
        Err(e) => {
            eprintln!("error: {e}");
            return Exit::Usage;
        }
    };
    if let Some(seconds) = args.max_age {
        webhook = webhook.max_age(Duration::from_secs(seconds));
    }
    if !args.path.starts_with('/') {
        eprintln!("error: --path must start with `/`, got {:?}", args.path);
        return Exit::Usage;
    }
    if args.retain_hours < args.dedup_hours {
        eprintln!(
            "error: --retain-hours ({}) must be at least --dedup-hours ({}): a restart reads the \
             window's events from the segments kept",
            args.retain_hours, args.dedup_hours
        );
        return Exit::Usage;
    }
    let dedup_window = Duration::from_secs(args.dedup_hours * 3600);
    let policy = Policy {
        max_bytes: args.segment_bytes,
        max_age: Duration::from_secs(args.segment_minutes * 60),
        retain: Duration::from_secs(args.retain_hours * 3600),
    };
    let (store, stored) = match Store::open(&args.store, dedup_window, policy).await {
        Ok(opened) => opened,
        Err((exit, message)) => {
            eprintln!("error: {message}");
            return exit;
        }
    };
    let listener = match tokio::net::TcpListener::bind(args.addr).await {
        Ok(listener) => listener,
        Err(e) => {
            eprintln!("error: cannot listen on {}: {e}", args.addr);
            return Exit::Usage;
        }
    };
    let addr = listener
        .local_addr()
        .map_or_else(|_| args.addr.to_string(), |a| a.to_string());
    let mode = if webhook.is_encrypted() {
        "AES"
    } else {
        "plain"
    };
    // Scripts read the URL from the first line on stderr; stdout carries only events.
    eprintln!(
        "listening on http://{addr}{path} ({mode} mode); storing to {stored}",
        path = args.path,
    );
    if let Store::File(file) = &store {
        // After the banner (scripts read the URL from the first line): the port is bound before
        // the index is read, so a long history never means "connection refused".
        let file = file.clone();
        tokio::spawn(async move {
            if let Some(loaded) = file.ready().await {
                let skipped = if loaded.segments_read < loaded.segments {
                    " (the others hold only events older than --dedup-hours)"
                } else {
                    ""
                };
                eprintln!(
                    "ready: {} deliveries read from {} of the {} segments of {}{skipped}; {} \
                     events within --dedup-hours remembered (index read in {:.2} s)",
                    loaded.deliveries,
                    loaded.segments_read,
                    loaded.segments,
                    file.path().display(),
                    loaded.remembered,
                    loaded.took.as_secs_f64()
                );
            }
        });
    }
    let (printer, printing) = Printer::stdout();
    let receiver = Receiver::new(webhook, move |events: Vec<Event>| {
        let store = store.clone();
        let printer = printer.clone();
        async move { store_and_print(&store, &printer, events).await }
    })
    .max_body_bytes(usize::try_from(args.max_body_bytes).unwrap_or(MAX_BODY_BYTES));
    let app = axum::Router::new().route(&args.path, receiver.into_method_router());
    let limits = args.limits();
    server::serve(listener, app, limits, async move {
        let signal = server::shutdown_signal().await;
        eprintln!(
            "{signal}: stopping; requests in progress get {:?} to be answered",
            limits.shutdown_timeout
        );
    })
    .await;
    // The server and its handlers (and their printers) are gone: what is queued gets a moment
    // to reach a stdout that is being read, never longer.
    printing.finish(Duration::from_secs(1)).await;
    Exit::Ok
}

/// Where `events listen` keeps what it acknowledges.
#[derive(Clone)]
enum Store {
    /// `--store PATH`: this receiver's own file.
    File(FileEventStore),
    /// `--store postgres://…`: the database all replicas share.
    Postgres(PgEventStore),
}

impl Store {
    /// Opens the file or connects to the database; also says, for the first line, what it is.
    async fn open(
        store: &Path,
        dedup_window: Duration,
        policy: Policy,
    ) -> Result<(Store, String), (Exit, String)> {
        if let Some(url) = store.to_str().filter(|s| shared_db::is_url(s)) {
            let db = shared_db::connect("--store", url)
                .await
                .map_err(|e| (Exit::Transport, e))?;
            return Ok((
                Store::Postgres(PgEventStore::new(&db)),
                "the PostgreSQL database of --store, shared with any other receiver".to_string(),
            ));
        }
        let (file, opened) = FileEventStore::open(store, dedup_window, policy, exit_unusable)
            .map_err(|e| (Exit::Usage, e))?;
        if opened.torn_bytes > 0 {
            eprintln!(
                "warning: {} ended in a cut line: {} bytes of a record that may have been \
                 acknowledged were lost (a crash during a write leaves the same cut line \
                 unacknowledged; the file cannot tell which); the store continues after the \
                 last whole line",
                opened.segment.display(),
                opened.torn_bytes,
            );
        }
        let what = format!(
            "{} (reading its index; deliveries wait for it)",
            file.path().display(),
        );
        Ok((Store::File(file), what))
    }

    /// Stores the delivery's events not stored yet; returns them (none: a duplicate).
    async fn append(&self, events: Vec<Event>) -> Result<Vec<Event>, String> {
        match self {
            Store::File(file) => match file.append(events).await {
                Ok(Appended::New(events)) => Ok(events),
                Ok(Appended::Duplicate) => Ok(Vec::new()),
                Err(e) => Err(e.to_string()),
            },
            Store::Postgres(db) => match db.append(events).await {
                Ok(Appended::New(events)) => Ok(events),
                Ok(Appended::Duplicate) => Ok(Vec::new()),
                Err(e) => Err(e.to_string()),
            },
        }
    }
}

/// A store that cannot be used any more (a failed write whose undo failed too, or a line that
/// is not the store's) ends the receiver: answering 500 forever would look alive to a
/// supervisor, which restarts a process that exits. What was acknowledged is on disk.
fn exit_unusable(path: &Path, why: &str) {
    eprintln!(
        "error: the store {} is unusable: {why}; exiting so that a supervisor restarts the \
         receiver (every acknowledged delivery is on disk)",
        path.display()
    );
    std::process::exit(i32::from(Exit::Incomplete as u8));
}

/// Stores the delivery, then queues its new events for stdout: stdout never shows an event the
/// store may lose, and a stdout nobody reads never holds up the answer. A duplicate is
/// acknowledged again without a line.
async fn store_and_print(
    store: &Store,
    printer: &Printer,
    events: Vec<Event>,
) -> Result<(), String> {
    match store.append(events).await {
        Ok(events) if !events.is_empty() => {
            printer.print(&events);
            Ok(())
        }
        Ok(_) => {
            tracing::info!("duplicate delivery acknowledged again, not stored twice");
            Ok(())
        }
        Err(e) => {
            eprintln!(
                "error: could not store a delivery (answered 500, the platform will send it again): {e}"
            );
            Err(e)
        }
    }
}
