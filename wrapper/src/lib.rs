//! Dismiss (end) Tencent Meeting (腾讯会议) meetings from Rust: signed to the byte, validated
//! before anything is sent, and typed errors for everything the service can answer.
//!
//! This crate is a thin, hand-written layer over `tencent-meeting-openapi`, the client that
//! progenitor generates from the project's OpenAPI spec. It adds:
//! - request signing ([`signing`]) over the exact bytes sent, and OAuth2.0 headers;
//! - validation of every input, and the dismiss page's rules for quick and recurring meetings;
//! - timeouts, bounded retries with backoff, an optional rate limit, and one [`Error`] type.
//!
//! ```no_run
//! # async fn run() -> Result<(), tencent_meeting::Error> {
//! use tencent_meeting::{Client, Credentials, Error, Instance, MeetingKind, Operator};
//!
//! let client = Client::builder()
//!     .credentials(Credentials::enterprise("200000001", "AKIDEXAMPLE", "secret-key")?)
//!     .build()?;
//! let result = client
//!     .dismiss_meeting("7567173273889276131")
//!     .operator(Operator::user_id("test1"))
//!     .instance(Instance::Pc)
//!     .reason_code(3)
//!     .reason_detail("结束会议")
//!     .kind(MeetingKind::Quick)
//!     .send()
//!     .await;
//! match result {
//!     // Ok only with evidence: the service's success answer, or a look-up after an unknown attempt.
//!     Ok(dismissed) => assert!(dismissed.retrieve_code()), // a quick meeting's code is reclaimed
//!     // The meeting may or may not have ended: look it up before acting on either.
//!     Err(e) if e.maybe_applied() => eprintln!("unknown: {e}"),
//!     Err(e) => return Err(e),
//! }
//! # Ok(()) }
//! ```
//!
//! # Outcomes
//!
//! A dismiss returns `Ok(Dismissed)` only with evidence that the meeting ended
//! ([`Dismissed::evidence`]): the service's success answer (HTTP 200 with an empty body or `{}`,
//! nothing else), or, when an attempt may have taken effect unanswered and a retry was told
//! "already ended" (13603), a look-up showing the meeting over. An attempt *may have taken
//! effect* when its request was written and what came back is not the service's own answer: no
//! answer in time, a reset or truncated answer, a gateway's 5xx page, a 2xx that is not a
//! success body ([`Error::maybe_applied`] lists every case). When such an attempt's fate stays
//! unshown, the error is [`Error::OutcomeUnknown`]. Every other error a dismiss returns means the
//! dismiss did not take effect: it was refused before sending, the service refused it with its
//! own error, something in front of the service refused it without forwarding (a 3xx or 4xx
//! without `error_info`), or nothing was written.
//!
//! # Tracing
//!
//! Each call runs in a span named `tencent_meeting` (fields `operation`, `meeting_id`); each
//! attempt logs one event with target `tencent_meeting::attempt` (fields `attempt`, `status`,
//! `api_code`, `trace_id`, `elapsed_ms`, and `retry_in_ms` when it is retried): at `DEBUG` when
//! answered, at `INFO` when it failed. Filter with `RUST_LOG=tencent_meeting::attempt=info`.

#![warn(missing_docs)]
// On docs.rs (`--cfg docsrs`, nightly): each feature-gated item says which feature it needs.
#![cfg_attr(docsrs, feature(doc_cfg))]

mod before_send;
mod call;
mod client;
pub mod clock;
mod credentials;
mod dismiss;
mod dismissed;
mod dismisser;
mod error;
mod instance;
mod kind;
mod lookup;
mod operator;
mod prepared;
mod rate_limit;
mod response;
mod retry;
mod signer;
pub mod signing;
mod status;
#[cfg(feature = "test-util")]
#[cfg_attr(docsrs, doc(cfg(feature = "test-util")))]
pub mod testing;
mod transport;
#[cfg(test)]
mod vendored;

/// Guides beyond the API reference.
pub mod docs {
    /// Testing code that uses this crate: test doubles, the simulator, typed mocks, and when to
    /// use which.
    #[doc = include_str!("docs/testing.md")]
    // The double is built only with `test-util`; without it, the link goes to the published
    // documentation (docs.rs builds every feature).
    #[doc = ""]
    #[cfg_attr(
        feature = "test-util",
        doc = "[fake-dismisser]: crate::testing::FakeDismisser"
    )]
    #[cfg_attr(
        not(feature = "test-util"),
        doc = "[fake-dismisser]: <https://docs.rs/tencent-meeting/latest/tencent_meeting/testing/struct.FakeDismisser.html>"
    )]
    pub mod testing {}
}
#[cfg(feature = "webhook")]
pub mod webhook;

pub use client::{
    Client, ClientBuilder, DEFAULT_BASE_URL, DEFAULT_CONNECT_TIMEOUT, DEFAULT_RATE_LIMIT_WINDOW,
    DEFAULT_TIMEOUT,
};
pub use credentials::{Credentials, ProvideCredentials, SharedCredentials};
pub use dismiss::{DismissMeeting, PlannedDismiss, REASON_DETAIL_MAX_CHARS};
pub use dismissed::{Dismissed, EventConfirmation, Evidence};
pub use dismisser::Dismisser;
pub use error::{
    ApiError, ApiErrorKind, BeforeSendError, ConfigError, DecodeError, Error, OutcomeUnknown,
    Refusal, TimeoutError, TransportError, ValidationError,
};
pub use instance::Instance;
pub use kind::MeetingKind;
pub use lookup::{GetMeeting, Meeting};
pub use operator::Operator;
pub use prepared::{PreparedHeader, PreparedRequest};
pub use rate_limit::{Pacer, RateLimiter, RateLimiterError};
pub use retry::RetryPolicy;
pub use signer::RequestSigner;
pub use status::MeetingStatus;

/// The README (the crate's page on crates.io): its examples compile as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
