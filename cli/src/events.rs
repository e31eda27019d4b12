//! `tencent-meeting events listen`: a receiver for Tencent Meeting events (webhooks) that stores
//! every verified event durably before acknowledging it, and prints it as a JSON line.
//!
//! Token and EncodingAESKey come from the environment (`TENCENT_MEETING_WEBHOOK_TOKEN`,
//! `TENCENT_MEETING_WEBHOOK_AES_KEY`; no key = plain mode), never from flags, which other users
//! of the machine can read. The receiver is the library's axum one; its handler appends to the
//! [`EventStore`] and answers 200 only once the append is synced.

use std::io::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Subcommand};
use tencent_meeting::webhook::axum::Receiver;
use tencent_meeting::webhook::{Event, Webhook};

use crate::event_store::{Appended, EventStore};
use crate::outcome::Exit;

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
    /// mode).
    Listen(ListenArgs),
}

/// `events listen`.
#[derive(Args, Debug)]
pub struct ListenArgs {
    /// The address to listen on, e.g. 0.0.0.0:8080 (port 0: any free port).
    #[arg(long)]
    pub addr: SocketAddr,
    /// The event log: an append-only file of JSON lines, created if missing.
    #[arg(long, value_name = "PATH")]
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
    let (store, opened) = match EventStore::open(&args.store) {
        Ok(opened) => opened,
        Err(e) => {
            eprintln!("error: the store {}: {e}", args.store.display());
            return Exit::Usage;
        }
    };
    if opened.torn_bytes > 0 {
        eprintln!(
            "note: cut {} bytes of an unacknowledged write off the end of {}",
            opened.torn_bytes,
            store.path().display()
        );
    }
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
        "listening on http://{addr}{path} ({mode} mode); storing to {store} ({n} deliveries already stored)",
        path = args.path,
        store = store.path().display(),
        n = opened.deliveries,
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

/// Stores the delivery, then prints its new events: stdout never shows an event the store may
/// lose. A duplicate is acknowledged again without a line.
async fn store_and_print(store: &EventStore, events: Vec<Event>) -> std::io::Result<()> {
    match store.append(events).await {
        Ok(Appended::New(events)) => {
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
        Ok(Appended::Duplicate) => {
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
