//! A faithful local simulator of the Tencent Meeting (腾讯会议) REST API's "dismiss meeting"
//! (`POST /v1/meetings/{meetingId}/dismiss`) and "meeting look-up" (`GET /v1/meetings/{meetingId}`)
//! endpoints: a real HTTP server on tokio and hyper, for tests, demos and load tests.
//!
//! - Both authentication modes: enterprise secret (signed; verified with the client crate's own
//!   [`tencent_meeting::signing::verify`]) and OAuth2.0, with the 5-minute timestamp window
//!   (190300) and replay detection (190301).
//! - The dismiss page's rules: only the creator (9042; a userid, an open_id and an ms_open_id
//!   are different users even when spelled alike), only a meeting in progress (9007 for a
//!   cancelled one, 13603 for one ended, 9003 for one not started), recurring meetings only by
//!   the master ID (9002), quick meetings always reclaim their code, OAuth2.0 callers only on
//!   meetings created through OAuth2.0 (9042). See [`codes`] for every code answered.
//! - Recurring meetings as the service runs them: a dismiss by the master ID ends the current
//!   sub-meeting and schedules the next (`MEETING_STATE_INIT`), and the look-up's
//!   `current_sub_meeting_id`, `remain_sub_meetings`, `has_more_sub_meeting` and
//!   `sub_meetings` always agree ([`MeetingSpec`] says how to set them up).
//! - The service's request quotas by default: 300 a minute (190310) and 200,000 a day
//!   (190311) per application ([`RateLimits`]).
//! - Success is HTTP 200 with an empty body, or `{}` with
//!   [`SimulatorBuilder::empty_object_success`]. Every answer carries an `X-Tc-Trace` header.
//! - An admin API under `/_sim/` (see [`admin`](crate#admin-api)) and fault injection
//!   ([`Faults`]): latency, latency after a committed dismiss, dropped connections, any error
//!   answer ([`ApiFailure`]: any code, HTTP status, `new_error_code` and message; or a bare
//!   status), 5xx codes 41 and 960000, HTML 502 pages and truncated bodies, as seeded shares or
//!   as "fail the next N requests" (optionally only dismisses, look-ups or one meeting).
//! - Events (webhooks): subscriptions ([`WebhookSubscription`]) are verified with the
//!   platform's URL-check GET, and every committed dismiss sends a signed (with a key,
//!   encrypted) `meeting.end` to them, at least once, with fault knobs for duplicates, delay
//!   and reordering ([`WebhookFaults`]). The signing and encryption are the client crate's
//!   `tencent_meeting::webhook` functions.
//!
//! From the simulator to a client in one line: [`Simulator::client_builder`] (enterprise
//! credentials) or [`Simulator::oauth_client_builder`] (OAuth2.0). Meeting states are the
//! client crate's own [`tencent_meeting::MeetingStatus`]: one type on both sides.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use tencent_meeting::{Instance, Operator};
//! use tencent_meeting_sim::{MeetingSpec, Simulator};
//!
//! let sim = Simulator::builder().start().await?;
//! let id = sim.create_meeting(MeetingSpec::new("alice"))?;
//! let client = sim.client_builder().build()?;
//! client
//!     .dismiss_meeting(&id)
//!     .operator(Operator::user_id("alice"))
//!     .instance(Instance::Pc)
//!     .reason_code(1)
//!     .send()
//!     .await?;
//! assert_eq!(sim.meeting(&id).map(|m| m.dismiss_count), Some(1));
//! sim.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! # Admin API
//!
//! No authentication, no faults, no rate limits, not counted in [`Stats`]:
//!
//! | request | answer |
//! |---|---|
//! | `POST /_sim/meetings` with a [`MeetingSpec`] (or an array) | `{"meeting_id": "..."}` (or `{"meeting_ids": [...]}`) |
//! | `GET /_sim/meetings` | every [`MeetingView`] |
//! | `GET /_sim/meetings/{id}` | one [`MeetingView`], 404 when unknown |
//! | `POST /_sim/meetings/{id}/start` | starts a scheduled meeting ([`Simulator::start_meeting`]); its [`MeetingView`], 409 when it cannot start |
//! | `GET /_sim/stats` | [`Stats`] |
//! | `GET /_sim/faults` | the [`Faults`] in force |
//! | `POST /_sim/faults` with [`Faults`] | replaces every knob; answers the [`Faults`] in force |
//! | `GET /_sim/rate-limits` | the [`RateLimits`] in force |
//! | `POST /_sim/rate-limits` with [`RateLimits`] | replaces them and counts afresh; answers them |
//! | `GET /_sim/webhooks` | subscriptions (without secrets), [`WebhookFaults`], [`WebhookStats`] |
//! | `POST /_sim/webhooks` with a [`WebhookSubscription`] | verifies the URL, then subscribes; 502 when the verification fails |
//! | `DELETE /_sim/webhooks` | removes every subscription |
//! | `GET`/`POST /_sim/webhooks/faults` with [`WebhookFaults`] | reads or replaces the delivery faults |
//!
//! Admin errors answer `{"error": "..."}` with 400, 404, 405, 409 or 502.
//!
//! # Choices where the service is not documented
//!
//! - **Not started vs ended.** A dismiss of a meeting that has not started
//!   (`MEETING_STATE_INIT`, including a recurring meeting whose next sub-meeting is scheduled),
//!   never started (`MEETING_STATE_NULL`) or is not valid (`MEETING_STATE_INVALID`) answers
//!   9003, "meeting does not exist", with a message saying which: the page allows dismissing
//!   only "a valid meeting in progress", and of the documented codes 9003 ("no such meeting
//!   to end") is the one a service would plausibly answer when it finds no meeting in
//!   progress; 190004 is for malformed parameters, and 13603 ("already ended") would let a
//!   client report a meeting as done that is still to happen. An ended meeting
//!   (`MEETING_STATE_ENDED`) or one whose code was reclaimed (`MEETING_STATE_RECYCLED`)
//!   answers 13603, the code seen for "already ended" on cancel. A cancelled one answers 9007.
//! - **Recurring meetings.** A dismiss by the master ID ends the current sub-meeting only. With
//!   sub-meetings to come, the meeting becomes `MEETING_STATE_INIT`, the next one current
//!   (start it with [`Simulator::start_meeting`]), and `remain_sub_meetings` counts one fewer;
//!   after the last one it is `MEETING_STATE_ENDED`. `remain_sub_meetings` counts those after
//!   the current one. The look-up's `sub_meetings` lists those not held yet, the current one
//!   first (held ones drop out; all of them are still sub-meeting IDs, 9002). Sub-meetings
//!   beyond the list show as `has_more_sub_meeting` 1 and enter it one at a time when the
//!   listed ones are used up. [`MeetingSpec::without_remain_sub_meetings`] leaves the count out
//!   of the look-up, as the service sometimes does.
//! - **Blocked sub-meetings.** When a dismiss reclaims the code (`retrieve_code` 1) while
//!   sub-meetings remain, the service accepts it and the later sub-meetings cannot run: the
//!   meeting shows `MEETING_STATE_RECYCLED` (the service's state for a reclaimed code), with
//!   `current_sub_meeting_id`, `remain_sub_meetings` and `sub_meetings` still naming the ones
//!   that were to come; a dismiss answers 13603 and [`Simulator::start_meeting`] refuses.
//!   [`MeetingView::sub_meetings_blocked`] records it. A one-time meeting whose code was
//!   reclaimed shows `MEETING_STATE_ENDED`, as any dismissed one.
//! - **Operators.** `operator_id_type` 1 (userid), 2 (open_id) and 4 (ms_open_id) name
//!   different users: a meeting's creator is recorded with its kind
//!   ([`MeetingSpec::creator_id_type`]; default userid, open_id for meetings created through
//!   OAuth2.0), and only the same kind and ID may dismiss it (else 9042). The `userid` body
//!   field names a userid for enterprise callers and the open id for OAuth2.0 callers.
//! - A sub-meeting ID sent to dismiss answers 9002 ("meeting id error"), naming the master ID.
//! - `force_dismiss_meeting` is validated and recorded; participants are not simulated, so 0
//!   ends the meeting too.
//! - Unknown body fields and JSON `null` are told apart: `null` counts as absent, an unknown
//!   field is 190004.
//! - **Rate limits.** The quotas count authenticated requests (dismisses and look-ups alike)
//!   per AppId (per token for OAuth2.0) in fixed windows of the simulator clock: minutes (or
//!   the configured window; the service counts per minute) and days from midnight UTC+8, where
//!   the service runs. A refused request is not counted. The day's quota is checked first, so
//!   a caller past it gets 190311 whatever the minute. Both answer HTTP 400 (the service
//!   answers request errors with 400; a quota is the caller's, not a failure inside the
//!   service) with the same `error_info` body as every other error: `error_code`,
//!   `new_error_code` equal to it, and a message.
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
mod lifecycle;
mod meeting;
mod params;
mod rate_limit;
mod replay;
mod server;
mod service;
mod state;
mod stats;
mod webhooks;

pub use api_error::codes;
pub use credentials::{
    DEMO_ACCESS_TOKEN, DEMO_APP_ID, DEMO_OPEN_ID, DEMO_SDK_ID, DEMO_SECRET_ID, DEMO_SECRET_KEY,
    SimCredentials,
};
pub use error::SimError;
pub use faults::{ApiFailure, FailNext, FailureKind, Faults, NewCode, Operation};
pub use meeting::{
    DismissRecord, MAX_GENERATED_SUB_MEETINGS, MeetingSpec, MeetingView, SubMeeting,
};
pub use rate_limit::{
    DOCUMENTED_PER_DAY, DOCUMENTED_PER_MINUTE, DOCUMENTED_WINDOW_SECS, MAX_WINDOW_SECS, RateLimits,
};
pub use server::{
    DEFAULT_MAX_BODY_BYTES, DEFAULT_REPLAY_CAPACITY, DEFAULT_RNG_SEED, Simulator, SimulatorBuilder,
    TIMESTAMP_WINDOW,
};
pub use stats::Stats;
pub use webhooks::{WebhookFaults, WebhookStats, WebhookSubscription};

/// The clock trait and clocks the simulator uses, re-exported from the client crate.
pub use tencent_meeting::clock::{Clock, FixedClock, SystemClock};

/// Every Rust block of the workspace's README.md, compiled (and run, unless marked otherwise) as a
/// doc-test of this crate, which has both the client and the simulator at hand.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;

/// The crate's own README (its page on crates.io): its examples compile as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct CrateReadmeDoctests;
