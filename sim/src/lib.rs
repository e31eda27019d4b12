//! A faithful local simulator of the Tencent Meeting (腾讯会议) REST API's "dismiss meeting"
//! (`POST /v1/meetings/{meetingId}/dismiss`) and "meeting look-up" (`GET /v1/meetings/{meetingId}`)
//! endpoints: a real HTTP server on tokio and hyper, for tests, demos and load tests.
//!
//! - Both authentication modes: enterprise secret (signed; verified with the client crate's own
//!   [`tencent_meeting::signing::verify`]) and OAuth2.0, with the 5-minute timestamp window
//!   (190300) and replay detection (190301).
//! - The dismiss page's rules: only the creator (9042), only a meeting in progress (9007 for a
//!   cancelled one, 13603 otherwise), recurring meetings only by the master ID (9002), quick
//!   meetings always reclaim their code, OAuth2.0 callers only on meetings created through
//!   OAuth2.0 (9042). See [`codes`] for every code answered.
//! - Success is HTTP 200 with an empty body, or `{}` with
//!   [`SimulatorBuilder::empty_object_success`]. Every answer carries an `X-Tc-Trace` header.
//! - An admin API under `/_sim/` (see [`admin`](crate#admin-api)) and fault injection
//!   ([`Faults`]): latency, latency after a committed dismiss, dropped connections, 5xx codes 41
//!   and 960000, HTML 502 pages, truncated bodies and rate limiting, as seeded shares or as
//!   "fail the next N requests".
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use tencent_meeting_sim::{MeetingSpec, Simulator};
//!
//! let sim = Simulator::builder().empty_object_success(false).start().await?;
//! let id = sim.create_meeting(MeetingSpec::new("alice"))?;
//! // ... point a client at sim.base_url() with sim.credentials() and dismiss `id` as "alice" ...
//! assert_eq!(sim.meeting(&id).map(|m| m.dismiss_count), Some(0));
//! sim.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! # Admin API
//!
//! No authentication, no faults, not counted in [`Stats`]:
//!
//! | request | answer |
//! |---|---|
//! | `POST /_sim/meetings` with a [`MeetingSpec`] (or an array) | `{"meeting_id": "..."}` (or `{"meeting_ids": [...]}`) |
//! | `GET /_sim/meetings` | every [`MeetingView`] |
//! | `GET /_sim/meetings/{id}` | one [`MeetingView`], 404 when unknown |
//! | `GET /_sim/stats` | [`Stats`] |
//! | `GET /_sim/faults` | the [`Faults`] in force |
//! | `POST /_sim/faults` with [`Faults`] | replaces every knob; answers the [`Faults`] in force |
//!
//! Admin errors answer `{"error": "..."}` with 400, 404, 405 or 409.
//!
//! # Choices where the service is not documented
//!
//! - A dismiss of a meeting in any state but started or cancelled (not yet started, ended,
//!   recycled, …) answers 13603, the code seen for "already ended"; the real code for "not
//!   started" is not documented.
//! - A sub-meeting ID sent to dismiss answers 9002 ("meeting id error"), naming the master ID.
//! - `force_dismiss_meeting` is validated and recorded; participants are not simulated, so 0
//!   ends the meeting too.
//! - Unknown body fields and JSON `null` are told apart: `null` counts as absent, an unknown
//!   field is 190004.
//! - The rate limit counts authenticated requests per AppId (per token for OAuth2.0) in fixed
//!   minutes of the simulator clock, and answers HTTP 400 with 190310.
//! - An OAuth2.0 caller acting as anyone but its own open id answers 9042. Look-ups are not
//!   limited to the creator or to meetings created through OAuth2.0; dismisses are.
//! - Missing `AppId`, `X-TC-Key`, `AccessToken` or `OpenId` answer 190303; a missing
//!   `X-TC-Signature` 200003; a missing or non-numeric `X-TC-Timestamp` or `X-TC-Nonce` 190004.
//!   `X-TC-Registered` is not checked. The timestamp is signed as the decimal number it parses
//!   to, so one sent with leading zeros fails its signature.
//! - The replay cache remembers (credential, timestamp, nonce) for 5 minutes past the later of
//!   when it was seen and its timestamp, bounded by [`DEFAULT_REPLAY_CAPACITY`] entries.
//!   Clients sharing one nonce source never collide; independent clients that draw nonces as
//!   the official SDKs do (`millis * 10^6 + random`) can, rarely, and get 190301 as they would
//!   from the service.
//!
//! # Running it from a CLI
//!
//! Build with [`Simulator::builder`], print [`Simulator::describe`], then await
//! [`Simulator::run_until_ctrl_c`]; or hold the handle and await your own signal, then
//! [`Simulator::shutdown`]. Dropping the handle also stops the server.

#![warn(missing_docs)]

mod admin;
mod api_error;
mod auth;
mod body;
mod credentials;
mod error;
mod faults;
mod handlers;
mod meeting;
mod params;
mod rate_limit;
mod replay;
mod server;
mod service;
mod state;
mod stats;

pub use api_error::codes;
pub use credentials::{
    DEMO_ACCESS_TOKEN, DEMO_APP_ID, DEMO_OPEN_ID, DEMO_SDK_ID, DEMO_SECRET_ID, DEMO_SECRET_KEY,
    SimCredentials,
};
pub use error::SimError;
pub use faults::{FailNext, FailureKind, Faults};
pub use meeting::{DismissRecord, MeetingSpec, MeetingStatus, MeetingView, SubMeeting};
pub use server::{
    DEFAULT_MAX_BODY_BYTES, DEFAULT_REPLAY_CAPACITY, DEFAULT_RNG_SEED, Simulator, SimulatorBuilder,
    TIMESTAMP_WINDOW,
};
pub use stats::Stats;

/// The clock trait and clocks the simulator uses, re-exported from the client crate.
pub use tencent_meeting::clock::{Clock, FixedClock, SystemClock};
