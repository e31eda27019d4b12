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
//! use tencent_meeting::{Client, Credentials, Instance, MeetingKind, Operator};
//!
//! let client = Client::builder()
//!     .credentials(Credentials::enterprise("200000001", "AKID...", "secret-key")?)
//!     .build()?;
//! let dismissed = client
//!     .dismiss_meeting("7567173273889276131")
//!     .operator(Operator::user_id("test1"))
//!     .instance(Instance::Pc)
//!     .reason_code(3)
//!     .reason_detail("结束会议")
//!     .kind(MeetingKind::Quick)
//!     .send()
//!     .await?;
//! assert!(dismissed.retrieve_code); // a quick meeting's code is always reclaimed
//! # Ok(()) }
//! ```

#![warn(missing_docs)]

mod call;
mod client;
pub mod clock;
mod credentials;
mod dismiss;
mod error;
mod instance;
mod kind;
mod lookup;
mod operator;
mod prepared;
mod rate_limit;
mod response;
mod retry;
pub mod signing;
mod transport;
#[cfg(feature = "webhook")]
pub mod webhook;

pub use client::{
    Client, ClientBuilder, DEFAULT_BASE_URL, DEFAULT_CONNECT_TIMEOUT, DEFAULT_TIMEOUT,
};
pub use credentials::Credentials;
pub use dismiss::{DismissMeeting, Dismissed, REASON_DETAIL_MAX_CHARS};
pub use error::{ApiErrorKind, Error, Refusal, ValidationError};
pub use instance::Instance;
pub use kind::MeetingKind;
pub use lookup::{GetMeeting, Meeting, MeetingStatus};
pub use operator::Operator;
pub use prepared::{PreparedHeader, PreparedRequest};
pub use response::parse_error_body;
pub use retry::RetryPolicy;

/// The generated client this crate wraps, for what the wrapper does not cover.
pub use tencent_meeting_openapi as openapi;
