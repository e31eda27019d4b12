//! Tencent Meeting events (webhooks, 事件订阅): verify, decode and parse what the platform sends
//! to a subscriber's URL — notably `meeting.end`, the event that tells a meeting really ended.
//! Feature `webhook`; the axum receiver is feature `webhook-axum`.
//!
//! The core is pure functions, no I/O, async-stripe style: one call any server can make.
//!
//! ```
//! # fn handle(headers: &http::HeaderMap, body: &[u8]) -> Result<(), Box<dyn std::error::Error>> {
//! use tencent_meeting::webhook::{Event, Webhook};
//!
//! let webhook = Webhook::new("Ab3dEf6hIj9kLm2nOp5qRs8tU", Some("abcdefghijklmnopqrstuvwxyzABCDEFG1234567890"))?;
//! for event in webhook.verify_and_parse(headers, body)? {
//!     if let Event::MeetingEnd(end) = &event {
//!         println!("meeting {} ended ({:?})", end.meeting().meeting_id(), end.end_type());
//!     }
//! }
//! # Ok(()) }
//! ```
//!
//! | piece | module |
//! |---|---|
//! | signature: `sha1_hex(sort(token, timestamp, nonce, data))`, constant-time check | [`signature`] |
//! | AES-256-CBC from the EncodingAESKey, lenient base64 and PKCS#7 (1..=32); plain mode | [`cipher`] |
//! | the `timestamp`/`nonce`/`signature` headers | [`headers`] |
//! | the URL check's `check_str` (percent-decoding that keeps `+`) | [`url_check`] |
//! | typed events ([`Event`], [`MeetingEnd`]), built on the spec's generated payload types | [`event`] |
//! | [`Webhook`]: the Token and key, `verify_and_parse`, `verify_url` | `config` |
//! | the platform's side: sealing events and URL checks (feature `service-side`: the simulator uses it, a receiver never seals) | `sender` |
//! | where acknowledged events are kept: [`store::EventStore`], [`store::EventKey`] (the one identity of an event), [`store::MemoryEventStore`] | [`store`] |
//! | which `meeting.end` confirms a dismiss (end type, time, sub-meeting) | [`ConfirmationRules`] |
//! | waiting for one meeting's `meeting.end` with a deadline | [`waiter`] |
//! | the axum receiver | `axum` (feature `webhook-axum`) |
//!
//! **Paths.** The types a receiver names are re-exported here — import them as
//! `tencent_meeting::webhook::{Event, MeetingEndWaiter, …}` — the way `std::collections::HashMap`
//! stands beside `std::collections::hash_map`: each module keeps its piece's documentation and
//! the helpers that are not re-exported ([`event::parse_event`], [`cipher::decrypt`], the header
//! names in [`headers`]), so a type is also reachable through its module, and the API listing
//! (`wrapper/public-api.txt`) shows it at both paths.
//!
//! What the platform documents, and where this module had to choose, is in
//! `ARCHITECTURE.md` (the event path) and the spec's `x-webhooks`.

#[cfg(feature = "webhook-axum")]
pub mod axum;
pub mod cipher;
mod config;
mod confirmation;
mod error;
pub mod event;
pub mod headers;
#[cfg(any(test, feature = "service-side"))]
#[cfg_attr(docsrs, doc(cfg(feature = "service-side")))]
pub mod sender;
pub mod signature;
pub mod store;
pub mod url_check;
#[cfg(test)]
mod vectors;
pub mod waiter;

pub use cipher::{AesKey, Cipher, DecryptError};
pub use config::Webhook;
pub use confirmation::{ConfirmationRules, DEFAULT_CLOCK_SKEW, NotThisDismiss};
pub use error::WebhookError;
pub use event::{
    CreateMode, Event, EventMeeting, EventUser, MeetingEnd, MeetingEndType, MeetingStarted,
    MeetingType,
};
pub use headers::SignatureHeaders;
pub use waiter::{
    IgnoredEnds, MeetingEndFilter, MeetingEndWaiter, MeetingEndWatch, NotSeen, RefusedDeliveries,
};
