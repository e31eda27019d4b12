//! What dismisses meetings: the client, or a test double in your own tests.

use std::future::Future;

use crate::client::Client;
use crate::dismiss::{DismissMeeting, DismissRequest};
use crate::dismissed::Dismissed;
use crate::error::Error;

/// Something that dismisses meetings: [`Client`], or (feature `test-util`) the test double
/// `testing::FakeDismisser`.
///
/// Code written against `impl Dismisser` ends meetings with a real client in production and can
/// be unit-tested without a server:
///
/// ```
/// use tencent_meeting::{Dismissed, Dismisser, Error, Instance, Operator};
///
/// /// Ends a room's meeting; what the caller's own code does with the outcome is what is tested.
/// async fn end_room(dismisser: &impl Dismisser, meeting_id: &str) -> Result<Dismissed, Error> {
///     dismisser
///         .dismiss_meeting(meeting_id)
///         .operator(Operator::user_id("room-bot"))
///         .instance(Instance::RoomsWindows)
///         .reason_code(7)
///         .send()
///         .await
/// }
/// ```
///
/// **Sealed**: only this crate implements it. A dismisser's job is to return a [`Dismissed`],
/// which is this crate's word that the meeting ended (the service's success answer, or "already
/// ended" confirmed by a look-up); a release build has no way to make one without a call, so an
/// implementation outside the crate could only pass a `Client`'s results along or forge them.
/// The test double covers what an implementation of your own would be for: it runs the client's
/// validation and rules, records each call and answers as you script (`FakeDismisser::responding`,
/// feature `test-util`). Sealing also lets the trait grow without breaking anyone.
///
/// A dismisser of one's own, as the trait allowed before it was sealed, does not compile (the
/// trait is sealed, and the request it would receive cannot be named):
///
/// ```compile_fail
/// use std::future::Future;
///
/// use tencent_meeting::{DismissRequest, Dismissed, Dismisser, Error, ValidationError};
///
/// #[derive(Clone)]
/// struct MyOwn;
///
/// impl Dismisser for MyOwn {
///     fn dismiss(
///         self,
///         _request: DismissRequest,
///     ) -> impl Future<Output = Result<Dismissed, Error>> + Send {
///         std::future::ready(Err(Error::from(ValidationError::new("mine", "refused"))))
///     }
/// }
/// ```
///
/// Nor does one without the request:
///
/// ```compile_fail
/// use tencent_meeting::Dismisser;
///
/// #[derive(Clone)]
/// struct MyOwn;
///
/// impl Dismisser for MyOwn {}
/// ```
pub trait Dismisser: sealed::Sealed + Clone + Send + Sync + Sized {
    /// Starts a dismiss call for `meeting_id` (for a recurring meeting, its master meeting ID).
    /// Nothing is sent before [`DismissMeeting::send`].
    fn dismiss_meeting(&self, meeting_id: impl Into<String>) -> DismissMeeting<Self> {
        DismissMeeting::new(self.clone(), meeting_id)
    }
}

/// The part of [`Dismisser`] only this crate sees: running a configured dismiss.
pub(crate) mod sealed {
    use super::*;

    /// Runs a dismiss as configured on a [`DismissMeeting`]. Public in a private module: nameable
    /// by this crate only, so nothing outside it can implement [`Dismisser`].
    pub trait Sealed {
        /// Validates, plans and runs `request`.
        fn dismiss(
            self,
            request: DismissRequest,
        ) -> impl Future<Output = Result<Dismissed, Error>> + Send;
    }
}

impl sealed::Sealed for Client {
    fn dismiss(
        self,
        request: DismissRequest,
    ) -> impl Future<Output = Result<Dismissed, Error>> + Send {
        crate::dismiss::send_on(self, request)
    }
}

impl Dismisser for Client {}
