//! `POST /v1/meetings/{meetingId}/dismiss`: the call this crate exists for.
//!
//! [`DismissMeeting`] is the builder a call is configured with; [`request`] holds what it
//! configures and the rules that turn it into what is sent; [`send`] runs it on a [`Client`].

mod request;
mod send;

use std::future::Future;
use std::time::Duration;

pub(crate) use request::DismissRequest;
pub use request::{PlannedDismiss, REASON_DETAIL_MAX_CHARS};
pub(crate) use send::dismiss as send_on;

use crate::client::Client;
use crate::dismissed::Dismissed;
use crate::dismisser::Dismisser;
use crate::error::{Error, ValidationError};
use crate::instance::Instance;
use crate::kind::MeetingKind;
use crate::operator::Operator;
use crate::prepared::PreparedRequest;
use crate::retry::RetryPolicy;

/// A dismiss call, configured by chained calls and run by [`DismissMeeting::send`] on a
/// [`Client`] (or on a test double: see [`Dismisser`]).
///
/// Defaults follow the dismiss page: `force_dismiss_meeting` 1, `retrieve_code` 0. This builder is
/// the one way to configure a dismiss: there is no request value with a `Default` of its own
/// (one that said `force_dismiss_meeting` 0 existed, and is gone):
///
/// ```compile_fail
/// let request = tencent_meeting::DismissRequest::default();
/// ```
#[derive(Debug, Clone)]
#[must_use = "a dismiss call does nothing until .send() is awaited"]
pub struct DismissMeeting<D = Client> {
    dismisser: D,
    request: DismissRequest,
}

impl<D: Dismisser> DismissMeeting<D> {
    /// A dismiss of `meeting_id` (for a recurring meeting, its master meeting ID), to be run by
    /// `dismisser`. [`Client::dismiss_meeting`] and [`Dismisser::dismiss_meeting`] call this.
    pub fn new(dismisser: D, meeting_id: impl Into<String>) -> Self {
        Self {
            dismisser,
            request: DismissRequest::new(meeting_id.into()),
        }
    }

    /// Who dismisses the meeting: its creator. Exactly one identity per request; with OAuth2.0
    /// credentials it defaults to the credentials' open id.
    pub fn operator(mut self, operator: Operator) -> Self {
        self.request.identity.set_operator(operator);
        self
    }

    /// The operator's device type (`instanceid`). Required.
    pub fn instance(mut self, instance: Instance) -> Self {
        self.request.identity.set_instance(Ok(instance));
        self
    }

    /// The device type as a raw `instanceid`, checked against the 16 documented values when the
    /// call is sent.
    pub fn instance_id(mut self, instanceid: i32) -> Self {
        self.request
            .identity
            .set_instance(Instance::try_from(instanceid));
        self
    }

    /// A reason code of your choosing (`reason_code`). Required.
    pub fn reason_code(mut self, reason_code: i32) -> Self {
        self.request.reason_code = Some(reason_code);
        self
    }

    /// A free-text reason (`reason_detail`), at most [`REASON_DETAIL_MAX_CHARS`] characters.
    pub fn reason_detail(mut self, reason_detail: impl Into<String>) -> Self {
        self.request.reason_detail = Some(reason_detail.into());
        self
    }

    /// Whether to end the meeting even with participants inside (`force_dismiss_meeting`,
    /// default true).
    pub fn force(mut self, force: bool) -> Self {
        self.request.force = force;
        self
    }

    /// Whether to reclaim the meeting code so nobody can rejoin (`retrieve_code`, default false).
    /// Always true for a quick meeting; refused for a recurring meeting with sub-meetings to come
    /// (or an unknown number of them) unless [`Self::force_retrieve_code`] is also called.
    pub fn retrieve_code(mut self, retrieve_code: bool) -> Self {
        self.request.retrieve_code = retrieve_code;
        self
    }

    /// Reclaims the code even of a recurring meeting with sub-meetings to come, which then
    /// cannot run. Implies `retrieve_code(true)`.
    pub fn force_retrieve_code(mut self) -> Self {
        self.request.retrieve_code = true;
        self.request.force_retrieve_code = true;
        self
    }

    /// The kind of meeting, if you know it, so its rules apply without a look-up.
    pub fn kind(mut self, kind: MeetingKind) -> Self {
        self.request.kind = Some(kind);
        self
    }

    /// Looks the meeting up first (`GET /v1/meetings/{id}`) and applies the rules its kind and
    /// status call for: a sub-meeting ID or a meeting not in progress is refused without sending
    /// the dismiss. Overrides [`Self::kind`].
    pub fn lookup(mut self) -> Self {
        self.request.lookup = true;
        self
    }

    /// This call's timeout of one attempt, instead of the client's.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.request.overrides.timeout = Some(timeout);
        self
    }

    /// This call's retry policy, instead of the client's.
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.request.overrides.retry = Some(retry);
        self
    }

    /// The most this call may take, look-ups, attempts and waits included, instead of the
    /// client's deadline. An attempt still in flight when it passes ends as a timeout (with its
    /// outcome unknown when the request was sent), never by dropping the call.
    pub fn deadline(mut self, deadline: Duration) -> Self {
        self.request.overrides.deadline = Some(deadline);
        self
    }

    /// Runs `hook` once, right before the dismiss's first request leaves: after validation, the
    /// look-up (with [`Self::lookup`]) and the client's rate limiter, before the request is
    /// signed. Retries do not run it again. When it returns `Err`, nothing is sent and the call
    /// ends with [`Error::BeforeSend`]. For recording durably that the request is about to
    /// leave (a journal's "sending" line): a crash before the hook leaves nothing to doubt, and
    /// a crash after it leaves exactly the dismiss it recorded in doubt. A call refused before
    /// sending never runs it; a test double
    // The double exists only with `test-util`: a build without it names it without a link.
    #[cfg_attr(feature = "test-util", doc = "([`crate::testing::FakeDismisser`])")]
    #[cfg_attr(
        not(feature = "test-util"),
        doc = "(`testing::FakeDismisser`, feature `test-util`)"
    )]
    /// does not either.
    pub fn before_send<F, Fut, E>(mut self, hook: F) -> Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: std::future::Future<Output = Result<(), E>> + Send + 'static,
        E: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        self.request.before_send = Some(crate::before_send::BeforeSend::new(hook));
        self
    }

    /// Validates and sends the dismiss, retrying what the retry policy allows.
    ///
    /// `Ok` only with evidence that the meeting ended ([`Dismissed::evidence`]). When an attempt
    /// may have reached the service unanswered and nothing since showed the outcome, the error is
    /// [`Error::OutcomeUnknown`].
    // Not an `async fn`: the future returned is the dismisser's own, not one more layer around
    // it that every caller would move into place (it holds the ~4 KB attempt futures).
    pub fn send(self) -> impl Future<Output = Result<Dismissed, Error>> + Send {
        self.dismisser.dismiss(self.request)
    }
}

impl DismissMeeting<Client> {
    /// Validates, stamps and signs the dismiss exactly as [`Self::send`] would, and returns the
    /// request without sending anything. A look-up cannot be part of a dry run: give the kind.
    pub async fn prepare(self) -> Result<PreparedRequest, Error> {
        if self.request.lookup {
            return Err(ValidationError::new(
                "lookup",
                "a dry run sends nothing, so it cannot look the meeting up; give the kind instead",
            )
            .into());
        }
        send::prepare(&self.dismisser, self.request).await
    }
}
