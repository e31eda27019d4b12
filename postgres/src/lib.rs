//! Several Tencent Meeting (腾讯会议) receivers and senders on one PostgreSQL database.
//!
//! A team that ends meetings from its own service runs it as several replicas. What
//! [`tencent-meeting`](tencent_meeting) keeps in one process, this crate keeps in the database
//! they share:
//!
//! - **the events** ([`PgEventStore`]): every receiver stores the deliveries it acknowledges in
//!   one table, deduplicated by the event's identity, so a redelivery to another replica is
//!   stored once and no replica's disk is a single point of loss;
//! - **the confirmations** ([`PgEventFeed`]): a dismiss sent by one process is confirmed by a
//!   `meeting.end` that another process received, through the wrapper's own
//!   `MeetingEndWaiter` and its rules;
//! - **the quota** ([`PgRateLimiter`]): the service allows an app 300 requests a minute, not
//!   each process; every sender of the app reserves its slot in one row (GCRA), so together
//!   they stay within the quota.
//!
//! The schema is the crate's own: [`Database::connect`] creates or migrates it (versioned, under
//! a lock, so replicas may start together). Every operation has a timeout; an unreachable
//! database is an [`Error`] the caller sees, never a silent success.

#![warn(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod database;
mod error;
mod feed;
mod quota;
mod schema;
mod store;
#[cfg(feature = "testing")]
#[cfg_attr(docsrs, doc(cfg(feature = "testing")))]
pub mod testing;

pub use database::{DEFAULT_MAX_CONNECTIONS, DEFAULT_TIMEOUT, Database, DatabaseBuilder};
pub use error::Error;
pub use feed::{CATCH_UP_MARGIN, PgEventFeed};
pub use quota::{DEFAULT_PATIENCE, PgRateLimiter};
pub use schema::SCHEMA_VERSION;
pub use store::{PgEventStore, StoredEvent};

/// The README (the crate's page on crates.io): its examples compile as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
