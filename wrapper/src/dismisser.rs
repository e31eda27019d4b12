//! What dismisses meetings: the client, or a test double in your own tests.

use std::future::Future;

use crate::client::Client;
use crate::dismiss::{DismissMeeting, DismissRequest};
use crate::dismissed::Dismissed;
use crate::error::Error;

/// Something that dismisses meetings: [`Client`], or a test double such as
/// [`crate::testing::FakeDismisser`].
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
pub trait Dismisser: Clone + Send + Sync + Sized {
    /// Runs a dismiss as configured on a [`DismissMeeting`].
    fn dismiss(
        &self,
        request: DismissRequest,
    ) -> impl Future<Output = Result<Dismissed, Error>> + Send;

    /// Starts a dismiss call for `meeting_id` (for a recurring meeting, its master meeting ID).
    /// Nothing is sent before [`DismissMeeting::send`].
    fn dismiss_meeting(&self, meeting_id: impl Into<String>) -> DismissMeeting<Self> {
        DismissMeeting::new(self.clone(), meeting_id)
    }
}

impl Dismisser for Client {
    fn dismiss(
        &self,
        request: DismissRequest,
    ) -> impl Future<Output = Result<Dismissed, Error>> + Send {
        crate::dismiss::send_on(self, request)
    }
}
