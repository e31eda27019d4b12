//! What every call shares, one concern per file:
//!
//! - [`identity`]: the operator rules (exactly one identity, the OAuth2.0 open id, the device
//!   type) and the meeting ID, checked before anything is sent;
//! - [`budget`]: a call's settings and the clock of its deadline;
//! - [`attempts`]: the attempt loop (rate limiter, the `before_send` hook, one attempt after
//!   another) and the outcome it reports;
//! - [`retry_decision`]: after a failed attempt, retry (and after how long) or give up, and why;
//! - [`trace`]: the one event each attempt logs, and the call's span;
//! - [`dry_run`]: one request built, stamped and signed but not sent.
//!
//! The split follows what changes for different reasons: the operator rules follow the service's
//! documentation, the retry decision the error taxonomy, the loop the order of side effects. The
//! decision and the budget are plain values, so their unit tests need no server.

mod attempts;
mod budget;
mod dry_run;
mod identity;
mod retry_decision;
mod trace;

pub(crate) use attempts::{Outcome, final_error};
pub(crate) use budget::{Budget, Overrides};
pub(crate) use identity::{Call, Identity};
pub(crate) use trace::ATTEMPT_TARGET;
