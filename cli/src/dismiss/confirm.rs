//! `--confirm-by-event`: a waiter that each call watches before it sends its dismiss, fed by a
//! receiver of the service's events run in process for the length of the dismiss run
//! (`--listen`), or by what the team's receivers store in PostgreSQL (`--events-from`).

use std::net::SocketAddr;
use std::time::Duration;

use tencent_meeting::webhook::axum::Receiver;
use tencent_meeting::webhook::{
    ConfirmationRules, Event, MeetingEndFilter, MeetingEndType, MeetingEndWaiter, MeetingEndWatch,
    Webhook,
};
use tencent_meeting_postgres::{Database, PgEventFeed};
use tokio::task::JoinHandle;

use crate::args::DismissArgs;
use crate::events::webhook_from_env;
use crate::server::{self, Limits};

/// The waiter, and what feeds it.
pub struct Confirmer {
    waiter: MeetingEndWaiter,
    wait: Duration,
    rules: ConfirmationRules,
    feeder: Feeder,
}

/// What feeds the waiter; it stops when dropped.
enum Feeder {
    /// `--listen`: the receiver's server task.
    Receiver(JoinHandle<()>),
    /// `--events-from`: the database's feed.
    Database(#[allow(dead_code)] PgEventFeed), // held for its Drop
}

impl Confirmer {
    /// With `--confirm-by-event`: listens at `--listen` on `--listen-path`, or follows what is
    /// stored in `events_db` (`--events-from`, connected). Returns once events are being
    /// received or followed.
    pub async fn start(
        args: &DismissArgs,
        events_db: Option<Database>,
    ) -> Result<Option<Self>, String> {
        if !args.confirm_by_event {
            return Ok(None);
        }
        if let Some(db) = events_db {
            let waiter = MeetingEndWaiter::new();
            let feed = PgEventFeed::start(&db, waiter.clone())
                .await
                .map_err(|e| format!("--events-from: {e}"))?;
            eprintln!("following the meeting.end events stored in the --events-from database");
            return Ok(Some(Self {
                waiter,
                wait: Duration::from_secs_f64(args.wait),
                rules: rules(args),
                feeder: Feeder::Database(feed),
            }));
        }
        let Some(addr) = args.listen else {
            return Ok(None);
        };
        if !args.listen_path.starts_with('/') {
            return Err(format!(
                "--listen-path must start with `/`, got {:?}",
                args.listen_path
            ));
        }
        let webhook = webhook_from_env()?;
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|e| format!("--listen {addr}: {e}"))?;
        let bound: SocketAddr = listener
            .local_addr()
            .map_err(|e| format!("--listen {addr}: {e}"))?;
        let (waiter, server) = serve_receiver(webhook, listener, &args.listen_path);
        eprintln!(
            "listening for meeting.end events on http://{bound}{}",
            args.listen_path
        );
        Ok(Some(Self {
            waiter,
            wait: Duration::from_secs_f64(args.wait),
            rules: rules(args),
            feeder: Feeder::Receiver(server),
        }))
    }

    /// Watches for the end of `meeting_id` from now on (call it before sending the dismiss, so
    /// an event faster than the dismiss's answer is not missed).
    pub fn watch(&self, meeting_id: &str) -> MeetingEndWatch {
        self.waiter.watch(MeetingEndFilter::meeting(meeting_id))
    }

    /// How long each call waits for its event.
    pub fn wait(&self) -> Duration {
        self.wait
    }

    /// Which end confirms a dismiss: of an end type in --confirm-end-types (0), not before the
    /// request left less --confirm-skew (5 s), of the same sub-meeting when both are known.
    pub fn rules(&self) -> ConfirmationRules {
        self.rules.clone()
    }
}

/// The library's rules, with --confirm-end-types and --confirm-skew when given.
fn rules(args: &DismissArgs) -> ConfirmationRules {
    let mut rules = ConfirmationRules::default();
    if let Some(codes) = &args.confirm_end_types {
        rules = rules.end_types(codes.iter().copied().map(MeetingEndType::from_code));
    }
    if let Some(skew) = args.confirm_skew {
        // Checked by the parser: finite, in [0, 3600].
        rules = rules.clock_skew(Duration::from_secs_f64(skew));
    }
    rules
}

/// Serves the library's receiver on `listener` at `path` with the default limits (the server
/// of `events listen`), feeding the returned waiter (with the events it acknowledges, and a
/// count of the deliveries it refuses). Nothing is stored: the events only confirm (the
/// journal keeps each confirmation). It serves until the handle is aborted.
pub fn serve_receiver(
    webhook: Webhook,
    listener: tokio::net::TcpListener,
    path: &str,
) -> (MeetingEndWaiter, JoinHandle<()>) {
    let waiter = MeetingEndWaiter::new();
    let receiver =
        Receiver::new(webhook, |_: Vec<Event>| async { Ok::<(), String>(()) }).feed(waiter.clone());
    let app = axum::Router::new().route(path, receiver.into_method_router());
    let server = tokio::spawn(server::serve(
        listener,
        app,
        Limits::default(),
        std::future::pending(),
    ));
    (waiter, server)
}

impl Drop for Confirmer {
    fn drop(&mut self) {
        if let Feeder::Receiver(server) = &self.feeder {
            server.abort();
        }
    }
}
