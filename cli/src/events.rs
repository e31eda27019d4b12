//! `tencent-meeting events listen`: a receiver for Tencent Meeting events (webhooks) that stores
//! every verified event durably before acknowledging it, and prints it as a JSON line.
//!
//! Token and EncodingAESKey come from the environment (`TENCENT_MEETING_WEBHOOK_TOKEN`,
//! `TENCENT_MEETING_WEBHOOK_AES_KEY`; no key = plain mode), never from flags, which other users
//! of the machine can read. The receiver is the library's axum one; its handler appends to the
//! [`EventStore`] and answers 200 only once the append is synced.

use std::io::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::{Args, Subcommand};
use tencent_meeting::webhook::axum::Receiver;
use tencent_meeting::webhook::store::{self, EventStore as _};
use tencent_meeting::webhook::{Event, Webhook};
use tencent_meeting_postgres::PgEventStore;

use crate::event_store::{Appended, EventStore};
use crate::outcome::Exit;
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
    /// Refuse requests whose `timestamp` is more than this many seconds from now (default: no
    /// window, none is documented).
    #[arg(long, value_name = "SECONDS")]
    pub max_age: Option<u64>,
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
    let (store, stored) = match Store::open(&args.store).await {
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
    let receiver = Receiver::new(webhook, move |events: Vec<Event>| {
        let store = store.clone();
        async move { store_and_print(&store, events).await }
    });
    let app = axum::Router::new().route(&args.path, receiver.into_method_router());
    let served = axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await;
    match served {
        Ok(()) => Exit::Ok,
        Err(e) => {
            eprintln!("error: {e}");
            Exit::Transport
        }
    }
}

/// Where `events listen` keeps what it acknowledges.
#[derive(Clone)]
enum Store {
    /// `--store PATH`: this receiver's own file.
    File(EventStore),
    /// `--store postgres://…`: the database all replicas share.
    Postgres(PgEventStore),
}

impl Store {
    /// Opens the file or connects to the database; also says, for the first line, what it is.
    async fn open(store: &Path) -> Result<(Store, String), (Exit, String)> {
        if let Some(url) = store.to_str().filter(|s| shared_db::is_url(s)) {
            let db = shared_db::connect("--store", url)
                .await
                .map_err(|e| (Exit::Transport, e))?;
            return Ok((
                Store::Postgres(PgEventStore::new(&db)),
                "the PostgreSQL database of --store, shared with any other receiver".to_string(),
            ));
        }
        let (file, opened) = EventStore::open(store)
            .map_err(|e| (Exit::Usage, format!("the store {}: {e}", store.display())))?;
        if opened.torn_bytes > 0 {
            eprintln!(
                "note: cut {} bytes of an unacknowledged write off the end of {}",
                opened.torn_bytes,
                file.path().display()
            );
        }
        let what = format!(
            "{} ({} deliveries already stored)",
            file.path().display(),
            opened.deliveries
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
                Ok(store::Appended::New(events)) => Ok(events),
                Ok(store::Appended::Duplicate) => Ok(Vec::new()),
                Err(e) => Err(e.to_string()),
            },
        }
    }
}

/// Stores the delivery, then prints its new events: stdout never shows an event the store may
/// lose. A duplicate is acknowledged again without a line.
async fn store_and_print(store: &Store, events: Vec<Event>) -> Result<(), String> {
    match store.append(events).await {
        Ok(events) if !events.is_empty() => {
            let mut out = std::io::stdout().lock();
            for event in &events {
                let printed = serde_json::to_writer(&mut out, event)
                    .map_err(std::io::Error::other)
                    .and_then(|()| out.write_all(b"\n"));
                if let Err(e) = printed {
                    // Stored already: a closed stdout does not make the delivery fail.
                    tracing::warn!(error = %e, "could not print an event");
                }
            }
            let _ = out.flush();
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
