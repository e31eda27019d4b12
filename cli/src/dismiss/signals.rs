//! Ctrl-C (SIGINT) and SIGTERM, counted: the first asks a run to stop taking new IDs, the
//! second to stop at once.

use tokio::signal::unix::{Signal, SignalKind, signal};

/// SIGINT and SIGTERM, once installed; until then (or if they cannot be), the defaults apply.
pub struct Signals {
    interrupt: Option<Signal>,
    terminate: Option<Signal>,
}

impl Signals {
    /// Takes over SIGINT and SIGTERM for the rest of the process.
    pub fn install() -> Self {
        let take = |kind| match signal(kind) {
            Ok(s) => Some(s),
            Err(e) => {
                eprintln!("warning: cannot handle signals ({e}); Ctrl-C will end the run at once");
                None
            }
        };
        Self {
            interrupt: take(SignalKind::interrupt()),
            terminate: take(SignalKind::terminate()),
        }
    }

    /// Waits for the next SIGINT or SIGTERM. Cancel-safe.
    pub async fn recv(&mut self) {
        tokio::select! {
            () = next(self.interrupt.as_mut()) => {}
            () = next(self.terminate.as_mut()) => {}
        }
    }
}

/// The next delivery of `signal`; never, without one.
async fn next(signal: Option<&mut Signal>) {
    match signal {
        Some(signal) => {
            signal.recv().await;
        }
        None => std::future::pending().await,
    }
}
