//! Test doubles for code that uses this crate: no server, no network. Feature `test-util`
//! (add it under `[dev-dependencies]`, as tokio's is): a double answers what you script, so a
//! release build does without it.
//!
//! [`FakeDismisser`] stands in for a [`Client`](crate::Client) wherever your code takes an
//! `impl `[`Dismisser`]. It applies the same validation and meeting-kind rules as the client (an
//! invalid call fails the same way, with nothing "sent"), records every call that would have been
//! sent, and answers each with what you script: a [`Dismissed`] (see
//! [`PlannedDismiss::answered`]) or any error ([`crate::ApiError::new`],
//! [`crate::OutcomeUnknown::new`], …).
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! use tencent_meeting::testing::FakeDismisser;
//! use tencent_meeting::{ApiError, Dismisser, Error, Instance, Operator};
//!
//! // The service refuses: not the meeting's creator.
//! let fake = FakeDismisser::responding(|_| Err(ApiError::new(400, 9042, "no permission").into()));
//! let result = fake
//!     .dismiss_meeting("7567173273889276131")
//!     .operator(Operator::user_id("mallory"))
//!     .instance(Instance::Pc)
//!     .reason_code(1)
//!     .send()
//!     .await;
//! assert!(matches!(result, Err(Error::Api(e)) if e.code() == 9042));
//! assert_eq!(fake.calls()[0].operator(), &Operator::user_id("mallory"));
//! # }
//! ```

use std::fmt;
use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};

use crate::dismiss::{DismissRequest, PlannedDismiss};
use crate::dismissed::Dismissed;
use crate::dismisser::{Dismisser, sealed};
use crate::error::Error;

type Respond = dyn Fn(&PlannedDismiss) -> Result<Dismissed, Error> + Send + Sync;

/// A [`Dismisser`] that sends nothing: it validates each call as the client does, records it,
/// and answers as scripted. Clones share the script and the record.
#[derive(Clone)]
pub struct FakeDismisser {
    open_id: Option<String>,
    respond: Arc<Respond>,
    calls: Arc<Mutex<Vec<PlannedDismiss>>>,
}

impl FakeDismisser {
    /// A fake under which every valid call succeeds, as the service's success answer would
    /// ([`PlannedDismiss::answered`]).
    pub fn new() -> Self {
        Self::responding(|planned| Ok(planned.answered()))
    }

    /// A fake that answers every valid call with `respond`'s result.
    pub fn responding(
        respond: impl Fn(&PlannedDismiss) -> Result<Dismissed, Error> + Send + Sync + 'static,
    ) -> Self {
        Self {
            open_id: None,
            respond: Arc::new(respond),
            calls: Arc::default(),
        }
    }

    /// Validates as a client with OAuth2.0 credentials for `open_id` would: the operator defaults
    /// to it, and no other is accepted.
    pub fn with_oauth2_open_id(mut self, open_id: impl Into<String>) -> Self {
        self.open_id = Some(open_id.into());
        self
    }

    /// Every call that passed validation (and so would have been sent), in order.
    pub fn calls(&self) -> Vec<PlannedDismiss> {
        self.calls
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

impl Default for FakeDismisser {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for FakeDismisser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FakeDismisser")
            .field("open_id", &self.open_id)
            .field("calls", &self.calls().len())
            .finish_non_exhaustive()
    }
}

impl Dismisser for FakeDismisser {}

impl sealed::Sealed for FakeDismisser {
    fn dismiss(
        self,
        request: DismissRequest,
    ) -> impl Future<Output = Result<Dismissed, Error>> + Send {
        let result = request
            .plan_without_lookup(self.open_id.as_deref())
            .and_then(|planned| {
                self.calls
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .push(planned.clone());
                (self.respond)(&planned)
            });
        std::future::ready(result)
    }
}
